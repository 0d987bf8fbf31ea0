"""A payload file that changes size between being listed and being read is refused, and the
pack is not written (the race is made deterministic by editing the listing)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from glyphserpack.errors import PackError

write_mod = importlib.import_module("glyphserpack.pack.write")


@pytest.mark.parametrize(("listed", "message"), [(12, "shrank while being packed"), (8, "grew while being packed")])
def test_file_changing_size_mid_pack_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listed: int, message: str
) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"0123456789")
    (src / "b.bin").write_bytes(bytes(5 << 20))  # spans a frame boundary, read straight into frames
    real = write_mod._collect

    def stale(root: Path) -> list[tuple[str, Path, int, int]]:
        return [(n, p, listed if n == "data/a.txt" else s, t) for n, p, s, t in real(root)]

    monkeypatch.setattr(write_mod, "_collect", stale)
    out = tmp_path / "x.glyphserpack"
    with pytest.raises(PackError, match=rf"a\.txt: {message}"):
        write_mod.write(src, out, created=0)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src"]  # no temp file left behind


def test_large_members_round_trip_through_the_frame_buffer(tmp_path: Path) -> None:
    from glyphserpack.pack import extract

    src = tmp_path / "src"
    src.mkdir()
    blobs = {"big.bin": bytes(range(256)) * (37 << 10), "small.txt": b"x" * 777, "empty": b""}
    for name, data in blobs.items():
        (src / name).write_bytes(data)
    out = tmp_path / "x.glyphserpack"
    write_mod.write(src, out, created=0, threads=2)
    extract(out, tmp_path / "dest")
    for name, data in blobs.items():
        assert (tmp_path / "dest" / "data" / name).read_bytes() == data
