"""Recovery past damage (FORMAT.md §7 step 2a): bit rot is localized even without a trailer.

Each case destroys the trailer (so the frame layout must be rebuilt by walking the file) and
damages data frames in the middle. The members touching a damaged frame must be reported, and
every other member salvaged byte-identical: a member is either extracted intact or named.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from glyphserpack._internal.pack.frames import FrameEntry, IndexMember
from glyphserpack._internal.pack.reader import RawPack
from glyphserpack.cli import main
from glyphserpack.errors import VerificationError
from glyphserpack.pack import extract, verify, write

from .conftest import CREATED

#: Payload sizes chosen so frames hold several members, members span frames, and a frame can
#: start with the end of a large member followed by small ones (frames 2, 5 and 8).
_SIZES = [300_000, 1_500_000, 5_000_000, 700_000, 2_100_000, 9_000_000, 40_000, 3_000_000, 1_200_000]
_SIZES += [6_500_000, 100, 800_000]
_NAMES = [f"f{i:02}.bin" for i in range(len(_SIZES))]
_NAMES[7] = "f07-" + "ü" * 60 + ".bin"  # a pax header: probing after damage must accept it
_ZEROS = "f05.bin"  # a large all-zero member: its frames after damage must not look like the end
F = ["data/" + name for name in _NAMES]


@dataclass(frozen=True)
class Original:
    src: Path
    pack: bytes
    frames: tuple[FrameEntry, ...]
    members: tuple[IndexMember, ...]
    tail_frame: int
    index_offset: int


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Original:
    root = tmp_path_factory.mktemp("recovery")
    src = root / "src"
    src.mkdir()
    rng = random.Random(1234)
    for name, size in zip(_NAMES, _SIZES, strict=True):
        (src / name).write_bytes(bytes(size) if name == _ZEROS else rng.randbytes(size))
    pack = root / "orig.glyphserpack"
    write(src, pack, created=CREATED, threads=2)
    with RawPack(pack) as raw:
        index = raw.index
    assert index.tail_frame >= 9  # the layout the cases below rely on
    return Original(src, pack.read_bytes(), index.frames, index.members, index.tail_frame, index.index_offset)


def _block_headers(data: bytes | bytearray, frame: FrameEntry) -> list[int]:
    """File offsets of the block headers of ``frame`` (RFC 8878 §3.1.1)."""
    off = frame.c_offset
    fhd = data[off + 4]
    single, fcs_flag, dict_flag = (fhd >> 5) & 1, fhd >> 6, fhd & 3
    p = off + 5 + (0 if single else 1) + (0, 1, 2, 4)[dict_flag] + (1 if single else 0, 2, 4, 8)[fcs_flag]
    out = []
    while True:
        value = int.from_bytes(data[p : p + 3], "little")
        out.append(p)
        p += 3 + (1 if (value >> 1) & 3 == 1 else value >> 3)
        if value & 1:
            return out


def _break_trailer(data: bytearray, orig: Original, how: str) -> bytearray:
    if how == "truncate":  # the seek table's footer is gone: E119
        return data[:-20]
    if how == "seek-table":  # overwritten in place: E102/E119
        start = len(data) - (len(data) - orig.index_offset) // 2
        data[start:] = random.Random(how).randbytes(len(data) - start)
        return data
    assert how == "index"  # the index frame wiped: E103
    data[orig.index_offset : orig.index_offset + 64] = bytes(64)
    return data


def _hit(orig: Original, lo: int, hi: int) -> set[int]:
    """Frames whose compressed bytes overlap ``[lo, hi)``."""
    return {i for i, f in enumerate(orig.frames) if f.c_offset < hi and f.c_offset + f.c_size > lo}


def _touching(orig: Original, frames: set[int]) -> list[str]:
    """Members whose headers or content overlap the decompressed bytes of ``frames``."""
    spans = [(orig.frames[i].d_offset, orig.frames[i].d_offset + orig.frames[i].d_size) for i in frames]
    return sorted(m.name for m in orig.members if any(m.header_offset < d1 and m.end > d0 for d0, d1 in spans))


def _salvage(orig: Original, data: bytes, tmp_path: Path) -> tuple[list[str], list[str], Path]:
    """Salvage a damaged copy; check every written file is the original; (damaged, written, pack)."""
    pack = tmp_path / "damaged.glyphserpack"
    pack.write_bytes(data)
    dest = tmp_path / "salvaged"
    result = extract(pack, dest, salvage=True)
    assert result.report is not None
    assert not result.report.valid
    assert [c.check_id for c in result.report.checks][:2] == ["1-2.trailer", "2a.recovered"]
    on_disk = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert on_disk == result.written
    assert not set(result.written) & set(result.damaged)
    for name in result.written:
        if name.startswith("data/"):
            assert (dest / name).read_bytes() == (orig.src / name[5:]).read_bytes(), name
    assert set(result.written) | set(result.damaged) == {m.name for m in orig.members}
    assert sorted(result.report.damaged_members) == result.damaged
    return result.damaged, result.written, pack


def _corrupt_magic(data: bytearray, orig: Original, i: int) -> tuple[int, int]:
    f = orig.frames[i]
    data[f.c_offset : f.c_offset + 4] = b"\x28\xb5\x00\x00"
    return f.c_offset, f.c_offset + 4


def _corrupt_block_type(data: bytearray, orig: Original, i: int) -> tuple[int, int]:
    """Give a block in the middle of frame ``i`` the reserved type 3: its header cannot parse."""
    heads = _block_headers(data, orig.frames[i])
    at = heads[len(heads) // 2]
    data[at] |= 0b110
    return at, at + 3


def _corrupt_block_size(data: bytearray, orig: Original, i: int) -> tuple[int, int]:
    """Shrink a block's size in the middle of frame ``i``: its headers still walk, to a wrong end."""
    heads = _block_headers(data, orig.frames[i])
    at = heads[len(heads) // 2]
    value = int.from_bytes(data[at : at + 3], "little")
    data[at : at + 3] = (value - (1000 << 3)).to_bytes(3, "little")
    return at, at + 3


def _overwrite_run(data: bytearray, orig: Original, i: int) -> tuple[int, int]:
    """Random bytes over the boundary between frames ``i - 1`` and ``i``."""
    at = orig.frames[i].c_offset
    lo, hi = at - min(60_000, orig.frames[i - 1].c_size // 2), at + min(60_000, orig.frames[i].c_size // 2)
    data[lo:hi] = random.Random(i).randbytes(hi - lo)
    return lo, hi


Damage = Callable[[bytearray, Original, int], tuple[int, int]]
_CASES: list[tuple[str, Damage, int, str, list[str]]] = [
    ("magic-f1", _corrupt_magic, 1, "truncate", [F[2]]),
    ("magic-f3-zeros", _corrupt_magic, 3, "index", [F[5]]),
    ("magic-f6", _corrupt_magic, 6, "seek-table", [F[8]]),
    ("block-type-f2", _corrupt_block_type, 2, "truncate", F[2:5]),
    ("block-type-f7", _corrupt_block_type, 7, "seek-table", [F[9]]),
    ("block-size-f0", _corrupt_block_size, 0, "index", F[0:2]),
    ("block-size-f8", _corrupt_block_size, 8, "truncate", F[9:12]),
    ("run-f4-f5", _overwrite_run, 5, "seek-table", F[5:8]),
    ("run-f6-f7", _overwrite_run, 7, "truncate", F[8:10]),
]


@pytest.mark.parametrize(("label", "damage", "frame", "trailer", "expected"), _CASES, ids=[c[0] for c in _CASES])
def test_salvage_continues_past_a_damaged_frame(
    original: Original, tmp_path: Path, label: str, damage: Damage, frame: int, trailer: str, expected: list[str]
) -> None:
    data = bytearray(original.pack)
    lo, hi = damage(data, original, frame)
    assert _touching(original, _hit(original, lo, hi)) == expected  # the case damages what it says
    damaged, written, _ = _salvage(original, bytes(_break_trailer(data, original, trailer)), tmp_path)
    assert damaged == expected
    assert "manifest.cbor" in written


def test_verify_names_damaged_members_and_byte_ranges(
    original: Original, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bytearray(original.pack)
    _corrupt_block_type(data, original, 2)  # cuts f02 (whose header is in frame 1), loses f03, f04
    _corrupt_magic(data, original, 7)  # loses f09's header
    pack = tmp_path / "p.glyphserpack"
    pack.write_bytes(bytes(_break_trailer(data, original, "truncate")))
    assert main(["verify", str(pack), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["damaged_members"] == ["data/f02.bin", "data/f03.bin", "data/f04.bin", "data/f09.bin"]
    by_code: dict[str, list[dict[str, str]]] = {}
    for f in report["findings"]:
        by_code.setdefault(f["code"], []).append(f)
    f2 = original.frames[2]
    f7 = original.frames[7]
    e104 = {f["detail"].split(" are ")[0] for f in by_code["GSP-E104"]}
    assert e104 == {f"pack bytes {f.c_offset}-{f.c_offset + f.c_size}" for f in (f2, f7)}
    (cut,) = [f for f in by_code["GSP-E105"] if f["where"] == "data/f02.bin"]
    f02 = next(m for m in original.members if m.name == "data/f02.bin")
    assert cut["detail"].startswith(f"content bytes {f2.d_offset - f02.data_offset}-{f02.size} ")
    lost = {f["where"]: f["detail"] for f in by_code["GSP-E108"]}
    assert sorted(lost) == ["data/f03.bin", "data/f04.bin", "data/f09.bin"]
    assert f"content bytes 0-{_SIZES[9]}" in lost["data/f09.bin"]
    assert main(["extract", "--salvage", str(pack), str(tmp_path / "out")]) == 1
    assert (tmp_path / "out" / "data" / "f10.bin").read_bytes() == (original.src / "f10.bin").read_bytes()


@pytest.mark.parametrize("trailer", ["truncate", "seek-table", "index"])
def test_walk_stops_at_the_trailer(original: Original, tmp_path: Path, trailer: str) -> None:
    """Only the trailer is broken: recovery finds exactly the data frames, and no damage."""
    data = _break_trailer(bytearray(original.pack), original, trailer)
    pack = tmp_path / "p.glyphserpack"
    pack.write_bytes(bytes(data))
    with RawPack.recover(pack) as raw:
        found = raw.index.frames
    if trailer == "index":  # the wiped index frame is unreadable bytes up to the seek table
        seek_table = len(data) - (8 + 8 * int.from_bytes(data[-9:-5], "little") + 9)
        end = original.frames[-1].d_offset + original.frames[-1].d_size
        wiped = FrameEntry(original.index_offset, seek_table - original.index_offset, end, 0, b"", gap="unreadable")
        assert found[-1] == wiped
        found = found[:-1]
    assert found == original.frames
    report = verify(pack)
    assert report.damaged_members == []
    assert {f.code for f in report.findings if f.severity == "error"} <= {"GSP-E102", "GSP-E103", "GSP-E119"}
    assert [c.result for c in report.checks if c.check_id in ("4.frames", "5.tar", "7.members")] == ["pass"] * 3


def test_salvage_without_a_readable_manifest_writes_nothing(original: Original, tmp_path: Path) -> None:
    """No manifest, no hashes to check members against: salvage refuses instead of guessing."""
    data = bytearray(original.pack)
    _corrupt_magic(data, original, 3)
    _corrupt_block_type(data, original, original.tail_frame)
    pack = tmp_path / "p.glyphserpack"
    pack.write_bytes(bytes(_break_trailer(data, original, "truncate")))
    report = verify(pack)
    assert "GSP-E112" in {f.code for f in report.findings}
    with pytest.raises(VerificationError, match="GSP-E"):
        extract(pack, tmp_path / "out", salvage=True)
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


@pytest.mark.parametrize("seed", range(6))
def test_random_damage_is_localized(original: Original, tmp_path: Path, seed: int) -> None:
    """Random runs, flips and block-header hits anywhere in the payload frames, trailer broken."""
    rng = random.Random(seed)
    data = bytearray(original.pack)
    hit: set[int] = set()
    end = original.frames[original.tail_frame].c_offset
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["flip", "run", "block"])
        if kind == "block":
            i = rng.randrange(original.tail_frame)
            at = rng.choice(_block_headers(data, original.frames[i]))
            data[at] ^= 1 << rng.randrange(8)
            lo, hi = at, at + 1
        else:
            lo = rng.randrange(end - 1)
            hi = min(end, lo + (1 if kind == "flip" else rng.randint(2, 300_000)))
            data[lo:hi] = bytes(b ^ rng.randint(1, 255) for b in data[lo:hi])
        hit |= _hit(original, lo, hi)
    data = _break_trailer(data, original, rng.choice(["truncate", "seek-table", "index"]))
    damaged, _, _ = _salvage(original, bytes(data), tmp_path)
    assert set(damaged) <= set(_touching(original, hit))
    shutil.rmtree(tmp_path / "salvaged")


def test_a_pack_stored_inside_is_not_taken_for_this_one(tmp_path: Path) -> None:
    """After damage, resynchronising can land on the frames of a pack stored as a payload file.

    They are genuine frames, checksums and all, and hold a second manifest.cbor; with two,
    neither is trusted, so salvage writes nothing rather than judge members by the wrong one.
    """
    rng = random.Random(99)
    inner_src = tmp_path / "inner"
    inner_src.mkdir()
    (inner_src / "x.bin").write_bytes(rng.randbytes(20_000))
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(rng.randbytes(1_000_000))
    write(inner_src, src / "b.glyphserpack", created=CREATED)
    (src / "c.bin").write_bytes(rng.randbytes(1_000_000))
    pack = tmp_path / "outer.glyphserpack"
    write(src, pack, created=CREATED)
    with RawPack(pack) as raw:
        first = raw.index.frames[0]
    data = bytearray(pack.read_bytes())
    data[_block_headers(data, first)[1]] |= 0b110  # damage before the stored pack, same frame
    pack.write_bytes(bytes(data[:-20]))
    report = verify(pack)
    assert "GSP-E109" in {f.code for f in report.findings if f.where == "bagit.txt"}  # the inner tail was read
    assert any(f.code == "GSP-E112" and "appears 2 times" in f.detail for f in report.findings)
    with pytest.raises(VerificationError):
        extract(pack, tmp_path / "out", salvage=True)
    assert not (tmp_path / "out").exists()
