"""The parity is exactly reedsolo's Reed–Solomon code (symbols in bit-planes), and erasure decoding inverts it."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import pytest
import reedsolo  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from glyphserpack._internal.parity import bitslice
from glyphserpack._internal.parity.rs import decode_matrix
from glyphserpack._internal.parity.sidecar import choose_geometry
from glyphserpack.errors import UsageError
from glyphserpack.parity import encode, parse_ratio
from glyphserpack.parity.encode import encode_stripes


def symbols(block: bytes) -> list[int]:
    """The GF(2^8) symbols of a block, by the bit-plane layout (FORMAT.md §11.2), written out plainly."""
    p = len(block) // 8
    planes = [int.from_bytes(block[b * p : (b + 1) * p], "little") for b in range(8)]
    return [sum(((planes[b] >> t) & 1) << b for b in range(8)) for t in range(8 * p)]


@settings(max_examples=25, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=30_000),
    m=st.integers(1, 5),
    ratio=st.sampled_from([0.01, 0.05, 0.2, 1.0]),
)
def test_parity_columns_are_reedsolo_codewords(data: bytes, m: int, ratio: float) -> None:
    g = choose_geometry(len(data), ratio, m)
    fd, name = tempfile.mkstemp()
    try:
        os.write(fd, data)
        parity, block_sha = encode_stripes(fd, g)
    finally:
        os.close(fd)
        os.unlink(name)
    assert len(block_sha) == 32 * g.data_blocks
    bsz = g.block_size
    padded = data + bytes(g.stripes * g.k * bsz - len(data))
    rng = random.Random(len(data))
    for s in rng.sample(range(g.stripes), min(g.stripes, 3)):
        cols = [symbols(padded[(j * g.stripes + s) * bsz : (j * g.stripes + s + 1) * bsz]) for j in range(g.k)]
        cols += [symbols(parity[s * m + i]) for i in range(m)]
        for t in rng.sample(range(bsz), 4):
            word = bytes(c[t] for c in cols)
            assert reedsolo.rs_check(word, m), (s, t)


@settings(max_examples=40, deadline=None)
@given(k=st.integers(2, 60), m=st.integers(1, 4), seed=st.integers(0, 2**32))
def test_any_m_erasures_are_restored(k: int, m: int, seed: int) -> None:
    rng = random.Random(seed)
    msg = rng.randbytes(k)
    word = bytes(reedsolo.rs_encode_msg(msg, m))
    erased = tuple(sorted(rng.sample(range(k + m), m)))
    surviving, weights = decode_matrix(k, m, erased)
    for e in erased:
        acc = 0
        for t, w in zip(surviving, weights[e], strict=True):
            acc ^= reedsolo.gf_mul(word[t], w)
        assert acc == word[e]


@settings(max_examples=30, deadline=None)
@given(
    data=st.binary(min_size=0, max_size=4096),
    size=st.sampled_from([8, 64, 512, 1024]),
    count=st.integers(1, 4),
    c=st.integers(0, 255),
)
def test_bit_planes_round_trip_and_multiply_symbol_wise(data: bytes, size: int, count: int, c: int) -> None:
    data = data[: size * count]
    padded = data + bytes(size * count - len(data))
    planes = bitslice.to_planes(data, size, count)
    assert bitslice.from_planes(planes) == padded
    product = bitslice.from_planes(bitslice.mul(planes, c))
    for i in range(count):
        block = padded[i * size : (i + 1) * size]
        got = product[i * size : (i + 1) * size]
        assert symbols(got) == [reedsolo.gf_mul(c, x) for x in symbols(block)]


def test_parse_ratio() -> None:
    assert parse_ratio("5%") == 0.05
    assert parse_ratio("12.5%") == 0.125
    for bad in ("0%", "5", "150%", "-1%", "x"):
        with pytest.raises(UsageError, match="percentage"):
            parse_ratio(bad)


def test_geometry_respects_the_field_and_the_budget() -> None:
    for size in (1, 511, 5739, 6_500_000, 1 << 30):
        for ratio in (0.01, 0.05, 0.5):
            g = choose_geometry(size, ratio)
            assert g.k + g.m <= 255
            assert g.stripes * g.k >= g.data_blocks
            if size > 1 << 20:
                assert g.parity_blocks * g.block_size <= size * ratio * 1.1 + g.m * g.block_size


def test_grouping_and_parallel_split_do_not_change_the_parity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = random.Random(7).randbytes(300_000)
    (tmp_path / "p").write_bytes(data)
    g = choose_geometry(len(data), 0.05)
    fd = os.open(tmp_path / "p", os.O_RDONLY)
    try:
        whole = encode_stripes(fd, g, workers=1)
        # Groups of 4 stripes: several groups, the last one short, split over two processes.
        monkeypatch.setattr(encode, "_ROW_BYTES", 4 * g.block_size)
        assert len(encode._groups(g)) >= 3
        assert g.stripes % 4
        assert encode_stripes(fd, g, workers=2) == whole
        assert encode_stripes(fd, g, workers=1) == whole
    finally:
        os.close(fd)
