"""Archive time-stamp chains: renewal covers the root and every earlier token, verification walks it."""

from __future__ import annotations

import datetime as dt
import hashlib
import shlex
import subprocess
from pathlib import Path

import pytest

from glyphserpack import canonical
from glyphserpack.errors import UsageError
from glyphserpack.timestamp import TsaMaterial, TsaServer, init_tsa, openssl_commands, stamp_members, verify_members

ROOT = hashlib.sha256(b"a pack root").digest()


@pytest.fixture(scope="module")
def expired_tsa(tmp_path_factory: pytest.TempPathFactory) -> TsaMaterial:
    """A TSA whose certificate was valid only during 2020 (expired long before the renewal)."""
    return init_tsa(
        tmp_path_factory.mktemp("tsa-old"), key_type="rsa", now=dt.datetime(2020, 1, 2, tzinfo=dt.UTC), tsa_years=1
    )


@pytest.fixture(scope="module")
def chain(expired_tsa: TsaMaterial, ec_tsa: TsaMaterial) -> dict[str, bytes]:
    old_clock = lambda: dt.datetime(2020, 6, 1, 12, 0, 0, tzinfo=dt.UTC)  # noqa: E731
    with TsaServer(expired_tsa.directory, clock=old_clock) as old:
        first, out0 = stamp_members(ROOT, {}, [old.url])
    with TsaServer(ec_tsa.directory) as new, TsaServer(ec_tsa.directory) as new2:
        members, out1 = stamp_members(ROOT, first, [new.url, new2.url], quorum=2, hash_alg="sha512", renew=True)
    assert (out0.link, out1.link) == (0, 1)
    assert len(out1.tokens) == 2
    return members


def test_renewal_chain_verifies_and_says_who_vouches(
    chain: dict[str, bytes], expired_tsa: TsaMaterial, ec_tsa: TsaMaterial
) -> None:
    report = verify_members(ROOT, chain, trust_roots=[expired_tsa.root, ec_tsa.root])
    assert report.valid, report.lines()
    codes = sorted(f.code for f in report.findings)
    # two links vouch; link 0 renewed after expiry; none of the three TSAs publishes revocation data
    assert codes == ["GSP-E217", "GSP-E217", "GSP-E218", "GSP-E241", "GSP-E241", "GSP-E241"]
    link0, link1 = report.links
    assert link0.vouches.startswith("the pack root existed at 2020-06-01T12:00:00Z")
    assert "the pack root and 4 earlier members existed at" in link1.vouches
    assert link1.hash_alg == "sha512"
    assert link1.valid_count == 2


def test_renewal_input_covers_every_earlier_member(chain: dict[str, bytes]) -> None:
    doc = canonical.loads(chain["timestamps/link-01/input.cbor"])
    assert doc["root_hash"] == ROOT
    covered = {c["member"]: c["digest"] for c in doc["covers"]}
    assert sorted(covered) == [
        "timestamps/link-00/input.cbor",
        "timestamps/link-00/tsa-1-chain.pem",
        "timestamps/link-00/tsa-1.tsr",
        "timestamps/link-00/tsa-1.tst",
    ]
    assert covered["timestamps/link-00/tsa-1.tst"] == hashlib.sha512(chain["timestamps/link-00/tsa-1.tst"]).digest()


def test_tampering_an_earlier_token_breaks_the_chain(
    chain: dict[str, bytes], expired_tsa: TsaMaterial, ec_tsa: TsaMaterial
) -> None:
    damaged = dict(chain)
    tst = bytearray(damaged["timestamps/link-00/tsa-1.tst"])
    tst[-3] ^= 0x40
    damaged["timestamps/link-00/tsa-1.tst"] = bytes(tst)
    report = verify_members(ROOT, damaged, trust_roots=[expired_tsa.root, ec_tsa.root])
    codes = {f.code for f in report.findings}
    assert not report.valid
    assert {"GSP-E204", "GSP-E213", "GSP-E202"} <= codes  # bad signature, and link 1 no longer covers it


def test_malformed_token_in_chain_is_reported_not_raised(chain: dict[str, bytes], ec_tsa: TsaMaterial) -> None:
    damaged = dict(chain)
    damaged["timestamps/link-01/tsa-2.tst"] = b"\x30\x82\xff\xff garbage"
    damaged["timestamps/index.cbor"] = chain["timestamps/index.cbor"]
    report = verify_members(ROOT, damaged, trust_roots=[ec_tsa.root])
    assert "GSP-E200" in {f.code for f in report.findings}
    assert "GSP-E214" in {f.code for f in report.findings}  # quorum 2 no longer met


def test_wrong_root_and_untrusted_tsas(chain: dict[str, bytes], ec_tsa: TsaMaterial) -> None:
    other_root = verify_members(hashlib.sha256(b"other").digest(), chain, trust_roots=[ec_tsa.root])
    assert "GSP-E213" in {f.code for f in other_root.findings}
    untrusted = verify_members(ROOT, chain, trust_roots=[ec_tsa.root])  # the 2020 TSA's root not given
    assert [f.code for f in untrusted.findings if f.severity == "error"] == ["GSP-E208", "GSP-E214"]
    no_trust = verify_members(ROOT, chain, trust_roots=None)
    assert [f.code for f in no_trust.findings] == ["GSP-E215"]


def test_openssl_commands_verify_every_token(
    chain: dict[str, bytes], expired_tsa: TsaMaterial, ec_tsa: TsaMaterial, tmp_path: Path
) -> None:
    for name, data in chain.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (tmp_path / "TSA-ROOTS.pem").write_bytes(expired_tsa.root_pem.read_bytes() + ec_tsa.root_pem.read_bytes())
    commands = openssl_commands(chain)
    assert len(commands) == 3
    assert chain["timestamps/verify-openssl.txt"].decode().count("openssl ts -verify") == 3
    for cmd in commands:
        out = subprocess.run(shlex.split(cmd), cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False)
        assert "Verification: OK" in out.stdout, (cmd, out.stderr)


def test_stamp_twice_without_renew_is_refused(chain: dict[str, bytes]) -> None:
    with pytest.raises(UsageError, match="--renew"):
        stamp_members(ROOT, chain, ["http://127.0.0.1:9/"])
    with pytest.raises(UsageError, match="existing time-stamp"):
        stamp_members(ROOT, {}, ["http://127.0.0.1:9/"], renew=True)


@pytest.mark.parametrize(
    "index",
    [
        b"\xff",
        canonical.dumps({"format": "glyphserpack-timestamps/1", "root_hash": ROOT, "links": [{"index": 0}]}),
        canonical.dumps(
            {
                "format": "glyphserpack-timestamps/1",
                "root_hash": ROOT,
                "links": [{"index": 0, "hash_alg": "md5", "quorum": 1, "input": "timestamps/x", "tokens": []}],
            }
        ),
    ],
)
def test_malformed_index_is_a_finding(chain: dict[str, bytes], ec_tsa: TsaMaterial, index: bytes) -> None:
    damaged = {**chain, "timestamps/index.cbor": index}
    report = verify_members(ROOT, damaged, trust_roots=[ec_tsa.root])
    assert [f.code for f in report.findings] == ["GSP-E213"]


def test_profile_quorum_overrides_the_index(chain: dict[str, bytes], expired_tsa: TsaMaterial) -> None:
    # link 0 was stamped by one TSA; a profile that demands two makes it fall short
    report = verify_members(ROOT, chain, trust_roots=[expired_tsa.root], min_quorum=2)
    assert "GSP-E214" in {f.code for f in report.findings}
