"""RFC 4998 Evidence Records: tree construction, records built from real tokens, hostile input."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.timestamp import TsaMaterial, TsaServer
from glyphserpack.timestamp.client import request_timestamp
from glyphserpack.timestamp.ers import Step, build_records, stamp_target, verify_record
from glyphserpack.timestamp.ers_tree import HashTree, node_hash, recover_root


def _h(data: bytes, alg: str = "sha256") -> bytes:
    return hashlib.new(alg, data).digest()


# --- §4.2-4.3 tree construction ---------------------------------------------------------


def test_node_hash_is_order_free_sorted_concatenation() -> None:
    a, b = _h(b"a"), _h(b"b")
    assert node_hash("sha256", [a, b]) == node_hash("sha256", [b, a]) == _h(min(a, b) + max(a, b))


def test_single_object_tree_is_its_hash_and_needs_no_reduced_tree() -> None:
    leaf = _h(b"only")
    tree = HashTree.build("sha256", [leaf])
    assert tree.root == leaf
    assert tree.reduced(leaf) == []


def test_three_objects_follow_rfc_4998_figure() -> None:
    # RFC 4998 §4.2: h1, h2 hash into h12; h3 joins at the next level; the reduced tree of d1
    # is [[h1, h2], [h3]] and the root is H(sorted(h12, h3)).
    h1, h2, h3 = sorted(_h(x) for x in (b"d1", b"d2", b"d3"))
    tree = HashTree.build("sha256", [h3, h1, h2])
    h12 = node_hash("sha256", [h1, h2])
    assert tree.root == node_hash("sha256", [h12, h3])
    assert tree.reduced(h1) == [[h1, h2], [h3]]
    assert tree.reduced(h3) == [[h3], [h12]]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 33])
@pytest.mark.parametrize("alg", ["sha256", "sha512"])
def test_every_reduced_tree_leads_to_the_root(n: int, alg: str) -> None:
    leaves = [_h(b"object %d" % i, alg) for i in range(n)]
    tree = HashTree.build(alg, leaves)
    for leaf in leaves:
        reduced = tree.reduced(leaf)
        assert (recover_root(alg, reduced) if reduced else leaf) == tree.root
        assert len(reduced) <= max(1, (n - 1).bit_length())


def test_a_changed_leaf_changes_the_recovered_root() -> None:
    leaves = [_h(b"%d" % i) for i in range(6)]
    tree = HashTree.build("sha256", leaves)
    reduced = tree.reduced(leaves[2])
    forged = [[_h(b"forged") if v == leaves[2] else v for v in reduced[0]], *reduced[1:]]
    assert recover_root("sha256", forged) != tree.root


# --- records from real tokens -----------------------------------------------------------

OBJECTS = {"data/a.txt": b"alpha\n", "data/sub/b.bin": bytes(range(256)), "manifest.cbor": b"\xa0"}


def _digest(name: str, alg: str) -> bytes:
    return _h(OBJECTS[name], alg)


class _Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clocked(ec_tsa: TsaMaterial) -> Iterator[tuple[TsaServer, _Clock]]:
    clock = _Clock()
    with TsaServer(ec_tsa.directory, clock=clock) as server:
        yield server, clock


def _history(url: str, clock: _Clock, plan: list[tuple[str, dt.datetime]]) -> list[Step]:
    names = sorted(OBJECTS)
    steps: list[Step] = []
    for alg, when in plan:
        clock.now = when
        target = stamp_target(names, _digest, steps, alg)
        steps.append(Step(alg, request_timestamp(url, target, hash_alg=alg).token))
    return steps


def _at(year: int) -> dt.datetime:
    return dt.datetime(year, 1, 1, tzinfo=dt.UTC)


def test_records_prove_each_object_across_both_kinds_of_renewal(
    clocked: tuple[TsaServer, _Clock], ec_tsa: TsaMaterial
) -> None:
    server, clock = clocked
    plan = [("sha256", _at(2030)), ("sha256", _at(2031)), ("sha512", _at(2032)), ("sha512", _at(2033))]
    steps = _history(server.url, clock, plan)
    records = build_records(sorted(OBJECTS), _digest, steps)
    from glyphserpack.timestamp.ers_asn1 import EvidenceRecord

    for name, der in records.items():
        er = EvidenceRecord.load(der, strict=True)  # the hand-composed DER parses as the RFC's ASN.1
        assert er["version"].native == 1
        assert [a["algorithm"].native for a in er["digest_algorithms"]] == ["sha256", "sha512"]
        assert [len(chain) for chain in er["archive_time_stamp_sequence"]] == [2, 2]
        report = verify_record(der, OBJECTS[name], trust_roots=[ec_tsa.root], where=name)
        assert report.valid, report.lines()
        assert [(c.hash_alg, c.proven_from) for c in report.chains] == [
            ("sha256", "2030-01-01T00:00:00Z"),
            ("sha512", "2032-01-01T00:00:00Z"),
        ]
        assert [s.kind for c in report.chains for s in c.stamps] == [
            "time-stamp",
            "time-stamp renewal",
            "hash-tree renewal",
            "time-stamp renewal",
        ]
        altered = verify_record(der, OBJECTS[name] + b"x", trust_roots=[ec_tsa.root], where=name)
        assert "GSP-E231" in altered.codes
        assert not altered.valid


def test_a_renewal_older_than_what_it_renews_is_a_finding(
    clocked: tuple[TsaServer, _Clock], ec_tsa: TsaMaterial
) -> None:
    server, clock = clocked
    steps = _history(server.url, clock, [("sha256", _at(2031)), ("sha256", _at(2030))])
    der = build_records(sorted(OBJECTS), _digest, steps)["data/a.txt"]
    report = verify_record(der, OBJECTS["data/a.txt"], trust_roots=[ec_tsa.root])
    assert "GSP-E233" in report.codes
    assert not report.valid


def test_a_reduced_tree_not_leading_to_the_stamped_root_is_a_finding(
    clocked: tuple[TsaServer, _Clock], ec_tsa: TsaMaterial
) -> None:
    server, clock = clocked
    steps = _history(server.url, clock, [("sha256", _at(2030))])
    der = build_records(sorted(OBJECTS), _digest, steps)["data/a.txt"]
    # Swap one sibling hash for another value of the same length: same shape, wrong root.
    sibling = next(_h(v) for n, v in OBJECTS.items() if n != "data/a.txt" and _h(v) in der)
    forged = der.replace(sibling, _h(b"someone else"))
    report = verify_record(forged, OBJECTS["data/a.txt"], trust_roots=[ec_tsa.root])
    assert "GSP-E232" in report.codes
    assert "GSP-E202" not in report.codes
    assert not report.valid


def test_at_before_the_stamp_is_a_finding(clocked: tuple[TsaServer, _Clock], ec_tsa: TsaMaterial) -> None:
    server, clock = clocked
    der = build_records(sorted(OBJECTS), _digest, _history(server.url, clock, [("sha256", _at(2030))]))["manifest.cbor"]
    assert verify_record(der, b"\xa0", trust_roots=[ec_tsa.root], at=_at(2031)).valid
    early = verify_record(der, b"\xa0", trust_roots=[ec_tsa.root], at=_at(2029))
    assert "GSP-E234" in early.codes


# --- hostile input ----------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    inner = b"\x04\x00"
    for _ in range(depth):
        n = len(inner)
        length = bytes([n]) if n < 0x80 else bytes([0x82, n >> 8, n & 0xFF]) if n < 0x10000 else b"\x83" + n.to_bytes(3)
        inner = b"\x30" + length + inner
    return inner


HOSTILE = {
    "empty": b"",
    "garbage": b"not DER at all \x00\xff" * 10,
    "truncated": bytes.fromhex("3082ffff020101"),
    "huge length": b"\x30\x84\x7f\xff\xff\xff\x02\x01\x01",
    "indefinite length": b"\x30\x80\x02\x01\x01\x00\x00",
    "deeply nested": _nested(3000),
    "wrong shape": bytes.fromhex("3003020101"),
    "trailing bytes": bytes.fromhex("3003020101") + b"\x00",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_records_give_a_finding_never_a_traceback(name: str, ec_tsa: TsaMaterial) -> None:
    report = verify_record(HOSTILE[name], b"data", trust_roots=[ec_tsa.root], where=name)
    assert not report.valid
    assert "GSP-E230" in report.codes or "GSP-E234" in report.codes


@pytest.mark.parametrize("name", ["garbage", "truncated", "deeply nested"])
def test_ers_verify_cli_on_hostile_input_exits_1_with_the_code(
    name: str, tmp_path: Path, ec_tsa: TsaMaterial, capsys: pytest.CaptureFixture[str]
) -> None:
    rec, data = tmp_path / "x.ers", tmp_path / "x"
    rec.write_bytes(HOSTILE[name])
    data.write_bytes(b"data")
    code = main(["ers", "verify", str(rec), "--data", str(data), "--tsa-trust", str(ec_tsa.root_pem), "--json"])
    assert code == 1
    assert "GSP-E230" in capsys.readouterr().out


def test_ers_verify_cli_rejects_a_bad_at_time(tmp_path: Path, ec_tsa: TsaMaterial) -> None:
    rec = tmp_path / "x.ers"
    rec.write_bytes(b"\x30\x00")
    code = main(["ers", "verify", str(rec), "--data", str(rec), "--tsa-trust", str(ec_tsa.root_pem), "--at", "soon"])
    assert code == 2


def test_crypto_infos_carry_certificates_and_revocation_data(
    clocked: tuple[TsaServer, _Clock], ec_tsa: TsaMaterial
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from glyphserpack.timestamp.ers import OID_CERT_VALUES, OID_REVOCATION_VALUES, CryptoInfo
    from glyphserpack.timestamp.ers_asn1 import EvidenceRecord

    server, clock = clocked
    steps = _history(server.url, clock, [("sha256", _at(2030))])
    cert = ec_tsa.root.public_bytes(Encoding.DER)
    infos = [CryptoInfo("certificate", cert), CryptoInfo("crl", b"\x30\x00"), CryptoInfo("ocsp", b"\x30\x01\x05")]
    # Per token (as the stamping code collects them) and per call: merged, without duplicates.
    steps = [Step(steps[0].hash_alg, steps[0].token, tuple(infos[1:]))]
    der = build_records(sorted(OBJECTS), _digest, steps, crypto_infos=infos[:2])["data/a.txt"]
    attrs = {a["attr_type"].dotted: a for a in EvidenceRecord.load(der)["crypto_infos"]}
    assert sorted(attrs) == sorted([OID_CERT_VALUES, OID_REVOCATION_VALUES])
    assert cert in attrs[OID_CERT_VALUES].dump()
    # RevocationValues: crlVals [0] then ocspVals [1], each a SEQUENCE OF the DER given.
    expected = bytes.fromhex("300d" + "a004" + "30023000" + "a105" + "3003300105")
    assert attrs[OID_REVOCATION_VALUES]["attr_values"][0].dump() == expected
    assert verify_record(der, OBJECTS["data/a.txt"], trust_roots=[ec_tsa.root]).valid
    with pytest.raises(ValueError, match="unknown cryptoInfo kind"):
        build_records(sorted(OBJECTS), _digest, steps, crypto_infos=[CryptoInfo("gossip", b"\x30\x00")])


# --- ers export -------------------------------------------------------------------------

CORPUS_1_0 = Path(__file__).resolve().parents[2] / "archive" / "corpus" / "v1.0" / "reference.glyphserpack"


def test_export_refuses_a_format_1_0_pack_and_an_unstamped_one(tmp_path: Path) -> None:
    from glyphserpack.pack import write

    assert main(["ers", "export", str(CORPUS_1_0), "-o", str(tmp_path / "a")]) == 2
    src = tmp_path / "src"
    src.mkdir()
    (src / "x.txt").write_text("x\n")
    write(src, tmp_path / "p.glyphserpack", created=0)
    assert main(["ers", "export", str(tmp_path / "p.glyphserpack"), "-o", str(tmp_path / "b")]) == 2
    assert not (tmp_path / "a").exists()
    assert not (tmp_path / "b").exists()


def test_export_refuses_to_write_through_a_link_out_of_the_directory(
    tmp_path: Path, ec_tsa: TsaMaterial, ec_server: TsaServer
) -> None:
    from glyphserpack.pack import stamp_pack, write

    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "x.txt").write_text("x\n")
    pack = tmp_path / "p.glyphserpack"
    write(src, pack, created=0)
    stamp_pack(pack, [ec_server.url])
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "data").symlink_to(elsewhere)
    assert main(["ers", "export", str(pack), "-o", str(out)]) == 2
    assert list(elsewhere.iterdir()) == []
    (out / "data").unlink()
    assert main(["ers", "export", str(pack), "-o", str(out)]) == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.ers")) == [
        "data/sub/x.txt.ers",
        "manifest.cbor.ers",
    ]


def test_a_first_stamp_under_sha512_reads_the_payload_and_exports(
    tmp_path: Path, ec_tsa: TsaMaterial, ec_server: TsaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    from glyphserpack.pack import stamp_pack, verify, write

    src = tmp_path / "src"
    src.mkdir()
    (src / "x.txt").write_text("x\n")
    pack = tmp_path / "p.glyphserpack"
    write(src, pack, created=0)
    stamp_pack(pack, [ec_server.url], hash_alg="sha512")
    assert verify(pack, tsa_trust=[ec_tsa.root]).valid
    assert main(["ers", "export", str(pack), "-o", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    record, data = tmp_path / "out" / "data" / "x.txt.ers", src / "x.txt"
    assert main(["ers", "verify", str(record), "--data", str(data), "--tsa-trust", str(ec_tsa.root_pem)]) == 0
    assert "chain 0 (sha512): data existed unaltered" in capsys.readouterr().out
