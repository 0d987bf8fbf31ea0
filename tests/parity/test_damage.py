"""Random damage at many positions and seeds: repaired to identical bytes, or reported
unrepairable with the right members named and every undamaged member salvaged intact."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glyphserpack.parity import repair

from .conftest import Protected, bad_blocks, bad_parity, over_budget

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True
)


def _check(protected: Protected, pack: bytes, par: bytes | None = None) -> None:
    """Repair a damaged copy and hold the outcome against an independent oracle."""
    g = protected.geometry
    par = protected.par if par is None else par
    bad = bad_blocks(g, protected.pack, pack)
    badp = bad_parity(g, protected.header_len, protected.par, par)
    lost = over_budget(g, bad, badp)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        src = protected.copy(tmp, pack, par)
        out = tmp / "fixed.glyphserpack"
        result = repair(src, out, salvage_to=tmp / "salvaged")
        assert result.repaired == (not lost), (bad, badp, lost)
        if result.repaired:
            assert out.read_bytes() == protected.pack
            assert (tmp / "fixed.glyphserpack.par").read_bytes() == protected.par
            return
        assert not out.exists(), "nothing may be written when the repair is impossible"
        assert not [p.name for p in tmp.iterdir() if p.name.startswith(".")], "speculative copy left behind"
        # The lost byte ranges are exactly those of the over-budget blocks.
        assert result.lost_ranges == result.status.block_ranges(lost)
        lost_ranges = result.lost_ranges
        expected = {
            name
            for name, spans in protected.member_frames.items()
            if any(lo < hi2 and hi > lo2 for lo, hi in spans for lo2, hi2 in lost_ranges)
        }
        assert set(result.damaged_members) == expected
        # Never a silent wrong result: whatever was salvaged is byte-identical to the original.
        salvaged = result.salvaged or []
        for name in salvaged:
            assert (tmp / "salvaged" / name).read_bytes() == _original(protected, name, tmp), name
        assert not set(salvaged) & expected
        trailer_ok = all(hi <= protected.index_offset for _, hi in lost_ranges)
        manifest_ok = "manifest.cbor" not in expected
        if trailer_ok and manifest_ok:
            # Every payload member outside the lost frames is salvaged.
            assert {n for n in protected.files if n not in expected} <= set(salvaged)


def _original(protected: Protected, name: str, tmp: Path) -> bytes:
    if name in protected.files:
        return protected.files[name]
    # Tag files: extract them from a pristine copy.
    from glyphserpack.pack import open_pack

    clean = tmp / "clean"
    clean.mkdir(exist_ok=True)
    p = clean / "x.glyphserpack"
    if not p.exists():
        p.write_bytes(protected.pack)
    with open_pack(p) as reader:
        return reader.read_member(name)


@SETTINGS
@given(data=st.data())
def test_single_bytes(protected: Protected, data: st.DataObject) -> None:
    pack = bytearray(protected.pack)
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(pack) - 1))
        pack[pos] ^= data.draw(st.integers(1, 255))
    _check(protected, bytes(pack))


@SETTINGS
@given(data=st.data())
def test_bursts(protected: Protected, data: st.DataObject) -> None:
    pack = bytearray(protected.pack)
    bsz = protected.geometry.block_size
    for _ in range(data.draw(st.integers(1, 3))):
        length = data.draw(st.integers(1, bsz * protected.geometry.stripes * 3))
        pos = data.draw(st.integers(0, len(pack) - 1))
        end = min(len(pack), pos + length)
        pack[pos:end] = bytes(b ^ 0x5A for b in pack[pos:end])
    _check(protected, bytes(pack))


@SETTINGS
@given(data=st.data())
def test_whole_blocks(protected: Protected, data: st.DataObject) -> None:
    g = protected.geometry
    pack = bytearray(protected.pack)
    if data.draw(st.booleans()):
        blocks = data.draw(st.lists(st.integers(0, g.data_blocks - 1), min_size=1, max_size=12, unique=True))
    else:
        # Several blocks of one stripe: over the budget as soon as more than m are hit.
        s = data.draw(st.integers(0, g.stripes - 1))
        rows = data.draw(st.lists(st.integers(0, g.k - 1), min_size=1, max_size=5, unique=True))
        blocks = [s + j * g.stripes for j in rows if s + j * g.stripes < g.data_blocks] or [s]
    for i in blocks:
        lo, hi = g.block_range(i)
        pack[lo:hi] = bytes((b + 1) % 256 for b in pack[lo:hi])
    _check(protected, bytes(pack))


@SETTINGS
@given(cut=st.integers(1, 400_000), extra=st.binary(max_size=64))
def test_truncation_and_trailing_bytes(protected: Protected, cut: int, extra: bytes) -> None:
    _check(protected, protected.pack[:-cut])
    _check(protected, protected.pack + extra) if extra else None


@SETTINGS
@given(data=st.data())
def test_damage_to_pack_and_parity(protected: Protected, data: st.DataObject) -> None:
    pack = bytearray(protected.pack)
    par = bytearray(protected.par)
    for _ in range(data.draw(st.integers(0, 4))):
        pos = data.draw(st.integers(0, len(pack) - 1))
        pack[pos] ^= 0xFF
    for _ in range(data.draw(st.integers(1, 4))):
        # Anywhere in the sidecar, including either header copy.
        pos = data.draw(st.integers(0, len(par) - 1))
        par[pos] ^= 0xFF
    g = protected.geometry
    h = protected.header_len
    front_ok = par[: 16 + h + 32] == protected.par[: 16 + h + 32]
    back_ok = par[-(16 + h + 32) :] == protected.par[-(16 + h + 32) :]
    if not (front_ok or back_ok):
        return  # both header copies hit: covered by test_sidecar.py
    _check(protected, bytes(pack), bytes(par))
    assert g.parity_blocks > 0


def test_structures_in_the_trailer_are_repairable(protected: Protected, tmp_path: Path) -> None:
    """Seek table, index and the manifest's frame: damage there heals like any other."""
    pack = bytearray(protected.pack)
    pack[-5] ^= 1  # seek table footer
    pack[protected.index_offset + 20] ^= 1  # pack index
    manifest = protected.member_frames["manifest.cbor"][0]
    pack[manifest[0] + 40] ^= 1  # the frame holding manifest.cbor
    src = protected.copy(tmp_path, bytes(pack))
    result = repair(src, tmp_path / "fixed.glyphserpack")
    assert result.repaired
    assert (tmp_path / "fixed.glyphserpack").read_bytes() == protected.pack
    shutil.rmtree(tmp_path / "x.glyphserpack", ignore_errors=True)
