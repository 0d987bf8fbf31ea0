"""``pack --parity`` and ``protect`` write the same sidecar; bad options are usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from glyphserpack.cli import main


def test_pack_with_parity_equals_protect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(bytes(range(256)) * 2000)
    (src / "b.txt").write_text("hello\n")
    out = tmp_path / "x.glyphserpack"
    created = "2026-01-01T00:00:00Z"
    assert main(["pack", str(src), "-o", str(out), "--created", created, "--parity", "10%"]) == 0
    assert "x.glyphserpack.par:" in capsys.readouterr().out
    first = (tmp_path / "x.glyphserpack.par").read_bytes()
    (tmp_path / "x.glyphserpack.par").unlink()
    assert main(["protect", str(out), "--parity", "10%"]) == 0
    assert (tmp_path / "x.glyphserpack.par").read_bytes() == first
    assert main(["verify", str(out)]) == 0
    assert "x.glyphserpack: VALID" in capsys.readouterr().out


def test_bad_parity_option_packs_nothing(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("x")
    assert main(["pack", str(src), "-o", str(tmp_path / "x.glyphserpack"), "--parity", "5"]) == 2
    assert not (tmp_path / "x.glyphserpack").exists()
    assert main(["protect", str(tmp_path / "missing.glyphserpack")]) == 2
