"""Bit rot: every single-byte flip is detected; damage is localized; undamaged members survive."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack._internal.pack.reader import RawPack
from glyphserpack.cli import main
from glyphserpack.errors import GlyphserpackError
from glyphserpack.pack import extract, open_pack, verify, write

from .conftest import CREATED


@pytest.mark.slow
def test_flipping_any_byte_of_a_small_pack_is_detected(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a")
    pack = tmp_path / "small.glyphserpack"
    write(src, pack, sign_keys=[key], created=CREATED, threads=1)
    original = pack.read_bytes()
    assert verify(pack, threads=1).valid
    undetected = []
    for i in range(len(original)):
        damaged = bytearray(original)
        damaged[i] ^= 0x01 if i % 2 else 0x80
        pack.write_bytes(bytes(damaged))
        try:
            ok = verify(pack, threads=1).valid
        except GlyphserpackError:
            ok = False
        if ok:
            undetected.append(i)
    assert undetected == [], f"{len(undetected)} of {len(original)} flips undetected, first at {undetected[:5]}"


@pytest.fixture
def multi(tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(4):
        (src / f"big{i}.bin").write_bytes(os.urandom(5 * 1024 * 1024))
    for i in range(20):
        (src / f"small{i:02}.txt").write_text(f"small {i}\n")
    pack = tmp_path / "multi.glyphserpack"
    write(src, pack, created=CREATED)
    return src, pack


def _damage_member(pack: Path, name: str, at: int) -> tuple[int, int]:
    """Flip one byte of the compressed frame holding byte ``at`` of member ``name``."""
    with RawPack(pack) as raw:
        m = raw.index.member(name)
        assert m is not None
        pos = m.data_offset + at
        frame = next(f for f in raw.index.frames if f.d_offset <= pos < f.d_offset + f.d_size)
    data = bytearray(pack.read_bytes())
    data[frame.c_offset + frame.c_size // 2] ^= 0xFF
    pack.write_bytes(bytes(data))
    return frame.d_offset, frame.d_offset + frame.d_size


def test_damage_is_localized_to_member_and_range(multi: tuple[Path, Path]) -> None:
    _, pack = multi
    _damage_member(pack, "data/big2.bin", 4_500_000)
    report = verify(pack)
    assert not report.valid
    assert report.damaged_members == ["data/big2.bin"]
    e104 = [f for f in report.findings if f.code == "GSP-E104"]
    e105 = [f for f in report.findings if f.code == "GSP-E105"]
    assert len(e104) == 1
    assert "pack bytes" in e104[0].detail
    assert [f.where for f in e105] == ["data/big2.bin"]
    lo, hi = (int(x) for x in e105[0].detail.split()[2].split("-"))
    assert lo <= 4_500_000 < hi
    assert hi - lo <= 4 * 1024 * 1024


def test_salvage_extracts_every_undamaged_member(multi: tuple[Path, Path], tmp_path: Path) -> None:
    src, pack = multi
    _damage_member(pack, "data/big1.bin", 10)
    dest = tmp_path / "refused"
    assert main(["extract", str(pack), str(dest)]) == 1
    assert not dest.exists()
    dest = tmp_path / "salvaged"
    result = extract(pack, dest, salvage=True)
    assert result.damaged == ["data/big1.bin"]
    assert not (dest / "data" / "big1.bin").exists()
    for p in src.iterdir():
        if p.name != "big1.bin":
            assert (dest / "data" / p.name).read_bytes() == p.read_bytes()
    assert main(["extract", "--salvage", str(pack), str(tmp_path / "cli")]) == 1
    with open_pack(pack) as reader:  # random access still reads undamaged members
        assert reader.read_member("data/big3.bin") == (src / "big3.bin").read_bytes()


def test_damage_in_small_member_group(multi: tuple[Path, Path]) -> None:
    _, pack = multi
    d0, d1 = _damage_member(pack, "data/small05.txt", 0)
    report = verify(pack)
    with RawPack(pack) as raw:
        expected = sorted(m.name for m in raw.index.members if m.header_offset < d1 and m.end > d0)
    assert report.damaged_members == expected
    assert "data/small05.txt" in expected


def test_damaged_index_is_recovered_by_walking_frames(multi: tuple[Path, Path], tmp_path: Path) -> None:
    src, pack = multi
    with RawPack(pack) as raw:
        at = raw.index.index_offset
    data = bytearray(pack.read_bytes())
    data[at] ^= 0x55  # the index frame's magic: the trailer is unusable
    pack.write_bytes(bytes(data))
    report = verify(pack)
    assert not report.valid
    assert {f.code for f in report.findings if f.severity == "error"} == {"GSP-E103"}
    assert [c.check_id for c in report.checks][:2] == ["1-2.trailer", "2a.recovered"]
    assert report.damaged_members == []
    assert main(["extract", str(pack), str(tmp_path / "refused")]) == 1
    assert main(["extract", "--salvage", str(pack), str(tmp_path / "all")]) == 1
    for p in src.iterdir():
        assert (tmp_path / "all" / "data" / p.name).read_bytes() == p.read_bytes()


def test_rotten_index_hash_gets_a_second_opinion(multi: tuple[Path, Path]) -> None:
    _, pack = multi
    with RawPack(pack) as raw:
        index_bytes = pack.read_bytes()[raw.index.index_offset : raw.index.index_offset + raw.index.index_size]
        at = raw.index.index_offset + index_bytes.index(raw.index.frames[1].sha256) + 5
    data = bytearray(pack.read_bytes())
    data[at] ^= 0x01
    pack.write_bytes(bytes(data))
    report = verify(pack)
    assert {f.code for f in report.findings if f.severity == "error"} == {"GSP-E103"}
    assert report.damaged_members == []


def test_recovery_localizes_frame_damage_without_index(multi: tuple[Path, Path], tmp_path: Path) -> None:
    src, pack = multi
    _damage_member(pack, "data/big0.bin", 3_000_000)
    data = bytearray(pack.read_bytes())
    data[-3] ^= 0xFF  # break the seek-table footer too
    pack.write_bytes(bytes(data))
    report = verify(pack)
    assert "data/big0.bin" in report.damaged_members
    result = extract(pack, tmp_path / "s", salvage=True)
    assert "data/big0.bin" in result.damaged
    assert (tmp_path / "s" / "data" / "big1.bin").read_bytes() == (src / "big1.bin").read_bytes()
    assert (tmp_path / "s" / "data" / "small19.txt").read_bytes() == (src / "small19.txt").read_bytes()
