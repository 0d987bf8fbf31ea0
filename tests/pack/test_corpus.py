"""Every released format version's reference pack opens and verifies, forever."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import bagit
import pytest

from glyphserpack.cli import main
from glyphserpack.pack import attach, open_pack, verify
from glyphserpack.trust import TrustStore

CORPUS = Path(__file__).resolve().parents[2] / "archive" / "corpus"
VERSIONS = sorted(p for p in CORPUS.glob("v*") if p.is_dir())


def test_corpus_has_format_1_0() -> None:
    assert [p.name for p in VERSIONS][:1] == ["v1.0"], f"reference packs missing under {CORPUS}"


@pytest.mark.parametrize("entry", VERSIONS, ids=[p.name for p in VERSIONS])
def test_reference_pack_verifies_to_expected_report(entry: Path) -> None:
    report = verify(entry / "reference.glyphserpack", trust=TrustStore.load(entry / "trust"))
    assert report.valid
    assert report.to_json() == (entry / "expected_report.json").read_text()


@pytest.mark.parametrize("entry", VERSIONS, ids=[p.name for p in VERSIONS])
def test_reference_pack_with_stock_tools_and_attachments(
    entry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "reference.glyphserpack"
    shutil.copyfile(entry / "reference.glyphserpack", copy)
    dest = tmp_path / "bag"
    dest.mkdir()
    subprocess.run(f"zstd -qdc '{copy}' | tar -x -C '{dest}'", shell=True, check=True)
    bagit.Bag(str(dest)).validate()
    with open_pack(copy) as reader:
        root = reader.root_hash
    attach(copy, {"timestamps/tsa.tsr": b"token"})
    assert main(["verify", str(copy), "--trust", str(entry / "trust")]) == 0
    assert f"root hash {root.hex()}" in capsys.readouterr().out
    assert main(["ls", str(copy)]) == 0
    listing = capsys.readouterr().out
    assert "unsigned  timestamps/tsa.tsr" in listing
    assert "root      manifest.cbor" in listing


def test_corpus_has_format_1_1_with_rfc_4998_time_stamps() -> None:
    assert "v1.1" in [p.name for p in VERSIONS]
    assert (CORPUS / "v1.1" / "tsa-root.pem").is_file()


STAMPED = [p for p in VERSIONS if (p / "tsa-root.pem").is_file()]


@pytest.mark.parametrize("entry", STAMPED, ids=[p.name for p in STAMPED])
def test_reference_time_stamps_and_evidence_records_verify(
    entry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack, roots = entry / "reference.glyphserpack", entry / "tsa-root.pem"
    report = verify(pack, trust=TrustStore.load(entry / "trust"), tsa_trust=roots)
    assert report.valid
    assert [f.code for f in report.findings] == ["GSP-E217"] * 3
    assert main(["ers", "export", str(pack), "-o", str(tmp_path / "ers")]) == 0
    dest = tmp_path / "bag"
    dest.mkdir()
    subprocess.run(f"zstd -qdc '{pack}' | tar -x -C '{dest}'", shell=True, check=True)
    records = sorted((tmp_path / "ers" / "data").rglob("*.ers"))
    from glyphserpack.timestamp.ers import OID_CERT_VALUES, OID_REVOCATION_VALUES
    from glyphserpack.timestamp.ers_asn1 import EvidenceRecord

    infos = EvidenceRecord.load(records[0].read_bytes())["crypto_infos"]  # TSA chain and its CRL/OCSP
    assert sorted(a["attr_type"].dotted for a in infos) == sorted([OID_CERT_VALUES, OID_REVOCATION_VALUES])
    assert len(records) == len(list((dest / "data").rglob("*.*")))
    for record in records:
        data = dest / record.relative_to(tmp_path / "ers").with_suffix("")
        capsys.readouterr()
        assert main(["ers", "verify", str(record), "--data", str(data), "--tsa-trust", str(roots)]) == 0
        out = capsys.readouterr().out
        assert "chain 0 (sha256): data existed unaltered at" in out
        assert "chain 1 (sha512): data existed unaltered at" in out  # the hash-tree renewal
