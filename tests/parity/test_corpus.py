"""The reference sidecar of the v1.0 corpus pack is reproduced byte for byte and repairs it."""

from __future__ import annotations

import shutil
from pathlib import Path

from glyphserpack.pack import verify
from glyphserpack.parity import protect, repair

CORPUS = Path(__file__).resolve().parents[2] / "archive" / "corpus"


def test_reference_sidecar_is_reproduced(tmp_path: Path) -> None:
    pack = tmp_path / "reference.glyphserpack"
    shutil.copyfile(CORPUS / "v1.0" / "reference.glyphserpack", pack)
    assert protect(pack).read_bytes() == (CORPUS / "parity-v1" / "reference.glyphserpack.par").read_bytes()


def test_reference_sidecar_repairs_the_reference_pack(tmp_path: Path) -> None:
    original = (CORPUS / "v1.0" / "reference.glyphserpack").read_bytes()
    damaged = bytearray(original)
    damaged[-3] ^= 0xFF  # seek table footer
    damaged[700] ^= 0xFF  # first data frame
    pack = tmp_path / "reference.glyphserpack"
    pack.write_bytes(bytes(damaged))
    shutil.copyfile(CORPUS / "parity-v1" / "reference.glyphserpack.par", tmp_path / "reference.glyphserpack.par")
    assert not verify(pack).valid
    result = repair(pack, tmp_path / "fixed.glyphserpack")
    assert result.repaired
    assert (tmp_path / "fixed.glyphserpack").read_bytes() == original
