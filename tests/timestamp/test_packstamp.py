"""Time-stamping real packs: attached without changing the root, unchanged on failure, verifiable."""

from __future__ import annotations

from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.errors import TimestampError
from glyphserpack.pack import attach, open_pack, stamp_pack
from glyphserpack.timestamp import TsaMaterial, TsaServer, verify_pack_timestamps

from .badtsa import bad_tsa


def test_stamp_pack_attaches_and_verifies(pack: Path, ec_tsa: TsaMaterial, ec_server: TsaServer) -> None:
    with open_pack(pack) as reader:
        root = reader.root_hash
    outcome = stamp_pack(pack, [ec_server.url], trust=[ec_tsa.root])
    assert outcome.link == 0
    with open_pack(pack) as reader:
        assert reader.root_hash == root
        names = sorted(reader.attachments())
        assert "timestamps/link-00/tsa-1.tst" in names
        assert "timestamps/index.cbor" in names
        findings = verify_pack_timestamps(reader, tsa_trust=ec_tsa.root_pem)
        assert [f.code for f in findings] == ["GSP-E217", "GSP-E241"]  # ec_tsa names no CRL or OCSP URL
        assert [f.code for f in verify_pack_timestamps(reader, tsa_trust=None)] == ["GSP-E215"]


@pytest.mark.parametrize(
    "mode", ["html", "slow", "rejection", "huge-declared", "huge-streamed", "wrong-nonce", "wrong-imprint"]
)
def test_failed_stamp_leaves_pack_unchanged(pack: Path, ec_server: TsaServer, mode: str) -> None:
    before = pack.read_bytes()
    with bad_tsa(mode, upstream=ec_server.url, delay=2.0) as bad, pytest.raises(TimestampError) as err:
        stamp_pack(pack, [ec_server.url, bad], quorum=2, timeout=0.5, retries=0)
    assert bad in err.value.message
    assert "1 of 2 TSAs" in err.value.message
    assert pack.read_bytes() == before


def test_cli_timestamp_and_renew(
    pack: Path, ec_tsa: TsaMaterial, rsa_tsa: TsaMaterial, capsys: pytest.CaptureFixture[str]
) -> None:
    with TsaServer(ec_tsa.directory) as a, TsaServer(rsa_tsa.directory) as b:
        assert main(["timestamp", str(pack), "--tsa", a.url, "--tsa", b.url, "--quorum", "2"]) == 0
        assert "added time-stamp link 0 (sha256, 2 TSA(s))" in capsys.readouterr().out
        assert main(["timestamp", str(pack), "--tsa", a.url]) == 2  # already stamped, no --renew
        assert "--renew" in capsys.readouterr().err
        assert main(["timestamp", str(pack), "--tsa", b.url, "--renew", "--hash", "sha512"]) == 0
        assert "archive time-stamp (renewal) link 1" in capsys.readouterr().out
    roots = pack.parent / "roots.pem"
    roots.write_bytes(ec_tsa.root_pem.read_bytes() + rsa_tsa.root_pem.read_bytes())
    with open_pack(pack) as reader:
        codes = [f.code for f in verify_pack_timestamps(reader, tsa_trust=roots)]
        assert codes == ["GSP-E217", "GSP-E217", "GSP-E241", "GSP-E241", "GSP-E241"]  # 3 tokens, no revocation data


def test_cli_timestamp_down_tsa_exit_2(pack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = pack.read_bytes()
    assert main(["timestamp", str(pack), "--tsa", "http://127.0.0.1:9/", "--retries", "0", "--timeout", "1"]) == 2
    err = capsys.readouterr().err
    assert "TSA http://127.0.0.1:9/" in err
    assert "hint:" in err
    assert pack.read_bytes() == before


def test_malformed_token_in_pack_is_a_finding(pack: Path, ec_tsa: TsaMaterial, ec_server: TsaServer) -> None:
    stamp_pack(pack, [ec_server.url])
    attach(pack, {"timestamps/link-00/tsa-1.tst": b"\x30\x03\x02\x01"})
    with open_pack(pack) as reader:
        codes = {f.code for f in verify_pack_timestamps(reader, tsa_trust=ec_tsa.root_pem)}
    assert {"GSP-E200", "GSP-E214"} <= codes
