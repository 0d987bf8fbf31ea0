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
