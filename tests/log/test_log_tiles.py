"""tlog-tiles layout: path encoding, partial tiles, bundles, and tile contents by definition."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from logtest_helpers import fixed_key, naive_mth, pack_doc

from glyphserpack.errors import InputError, VerificationError
from glyphserpack.log import merkle
from glyphserpack.log.entries import encode_entry, make_entry
from glyphserpack.log.note import Signer
from glyphserpack.log.store import LogStore
from glyphserpack.log.tiles import (
    TileRef,
    decode_bundle,
    encode_bundle,
    encode_index,
    entries_path,
    tile_path,
    tiles_for_size,
)


def test_index_encoding() -> None:
    assert encode_index(0) == "000"
    assert encode_index(7) == "007"
    assert encode_index(999) == "999"
    assert encode_index(1000) == "x001/000"
    assert encode_index(1234067) == "x001/x234/067"
    assert encode_index(10**9) == "x001/x000/x000/000"
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(1, 3, 17) == "tile/1/003.p/17"
    assert entries_path(1000, 5) == "tile/entries/x001/000.p/5"
    with pytest.raises(ValueError, match="width"):
        tile_path(0, 0, 0)
    with pytest.raises(ValueError, match="level"):
        tile_path(64, 0)


def test_tiles_for_size_matches_spec_example() -> None:
    refs = list(tiles_for_size(70_000))
    assert [r for r in refs if r.level == 0 and r.width == 256] == [TileRef(0, n, 256) for n in range(273)]
    assert TileRef(0, 273, 112) in refs
    assert TileRef(1, 0, 256) in refs
    assert TileRef(1, 1, 17) in refs
    assert TileRef(2, 0, 1) in refs
    assert len(refs) == 273 + 1 + 1 + 1 + 1
    assert list(tiles_for_size(256)) == [TileRef(0, 0, 256), TileRef(1, 0, 1)]
    assert list(tiles_for_size(0)) == []


def test_bundle_round_trip_and_truncation() -> None:
    entries = [b"", b"a", b"x" * 300]
    blob = encode_bundle(entries)
    assert blob[:2] == b"\x00\x00"
    assert blob[2:5] == b"\x00\x01a"
    assert decode_bundle(blob, where="b") == entries
    with pytest.raises(VerificationError, match="truncated"):
        decode_bundle(blob[:-1], where="b")
    with pytest.raises(InputError, match="limit"):
        encode_bundle([b"x" * 70_000])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=140), min_size=1, max_size=5))
def test_store_tiles_match_definition(tmp_path_factory: pytest.TempPathFactory, batches: list[int]) -> None:
    signer = Signer("glyphser.example/log", fixed_key("log"))
    store = LogStore.init(tmp_path_factory.mktemp("t") / "log", signer)
    docs = [pack_doc(i) for i in range(sum(batches))]
    leaves = [encode_entry(make_entry(d)) for d in docs]
    pos = 0
    for b in batches:
        result = store.append(docs[pos : pos + b], signer)
        pos += b
        assert result.size == pos
        assert result.root_hash == naive_mth(leaves[:pos])
        check_tiles(store.root, leaves[:pos])


def check_tiles(root: Path, leaves: list[bytes]) -> None:
    """Each tile hash i of tile n at level l is MTH(D[(n*256+i)*256**l : (n*256+i+1)*256**l])."""
    size = len(leaves)
    for ref in tiles_for_size(size):
        data = (root / ref.path).read_bytes()
        assert len(data) == 32 * ref.width
        span = 256**ref.level
        for i in range(ref.width):
            lo = (ref.index * 256 + i) * span
            assert data[32 * i : 32 * i + 32] == naive_mth(leaves[lo : lo + span])
    for n in range((size + 255) // 256):
        width = min(256, size - 256 * n)
        assert (
            decode_bundle((root / entries_path(n, width)).read_bytes(), where="b") == leaves[256 * n : 256 * n + width]
        )


def test_partial_tiles_written_per_checkpoint(store: LogStore, signer: Signer) -> None:
    store.append([pack_doc(i) for i in range(3)], signer)
    store.append([pack_doc(i) for i in range(3, 300)], signer)
    root = store.root
    assert (root / "tile/0/000.p/3").is_file()  # the size-3 checkpoint's tile stays served
    assert (root / "tile/0/000").stat().st_size == 8192
    assert (root / "tile/0/001.p/44").stat().st_size == 44 * 32
    assert (root / "tile/1/000.p/1").stat().st_size == 32
    assert (root / "tile/entries/000").is_file()
    assert (root / "tile/entries/001.p/44").is_file()
    # An older tree size still reads through the reader (its partial tile is kept).
    leaves = [merkle.leaf_hash(encode_entry(make_entry(pack_doc(i)))) for i in range(3)]
    assert merkle.tree_hash(store.reader(3), 3) == merkle.tree_hash(merkle.MemoryNodeSource(leaves), 3)
