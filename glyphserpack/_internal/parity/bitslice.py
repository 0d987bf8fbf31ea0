"""Blocks as eight bit-planes: the symbol layout of the parity code (FORMAT.md §11.2).

A block of ``B`` bytes holds ``B`` symbols of GF(2^8), but not one per byte: the block is cut
into eight planes of ``B / 8`` bytes, each read as a little-endian integer, and bit ``b`` of
symbol ``t`` is bit ``t`` of plane ``b``. Multiplying every symbol by a field constant is then
a fixed GF(2)-linear mix of the eight planes (for the generator 2: a rotation and three
XORs), done with big-integer XOR in C, whereas byte-per-symbol needs per-byte shifts and
masks over the whole block. This made encoding about 2.5 times faster, which is what keeps
``pack --parity`` within its time budget (issue 6). The code itself is unchanged: every
symbol column of a stripe is a ``reedsolo`` codeword.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal

import reedsolo  # type: ignore[import-untyped]  # no stubs; field tables set up by rs.py

from glyphserpack._internal.parity import rs

__all__ = ["PLANES", "from_planes", "mul", "to_planes", "xor"]

PLANES = 8
#: Every operation on the planes acts on each bit position alike, so the byte order used to
#: turn a plane into an integer does not change a single output byte (the symbol *numbering*
#: of FORMAT.md §11.2 is little-endian); big-endian converts about 25% faster in CPython.
_ORDER: Literal["big"] = "big"
Planes = list[int]


def to_planes(data: bytes | memoryview, block_size: int, count: int = 1) -> Planes:
    """``count`` consecutive blocks of ``data`` (zero-padded to full blocks) as eight planes.

    Plane ``b`` of several blocks is the concatenation of each block's plane ``b``, so one
    integer operation covers a whole row of small blocks.
    """
    p = block_size // PLANES
    need = count * block_size
    mv = memoryview(data)
    if len(mv) < need:
        mv = memoryview(bytes(mv) + bytes(need - len(mv)))
    if count == 1:
        return [int.from_bytes(mv[b * p : (b + 1) * p], _ORDER) for b in range(PLANES)]
    return [
        int.from_bytes(
            b"".join(mv[i * block_size + b * p : i * block_size + (b + 1) * p] for i in range(count)), _ORDER
        )
        for b in range(PLANES)
    ]


def from_planes(planes: Sequence[int], block_size: int, count: int = 1) -> bytes:
    """Inverse of :func:`to_planes`: ``count`` blocks of ``block_size`` bytes."""
    p = block_size // PLANES
    raw = [x.to_bytes(p * count, _ORDER) for x in planes]
    if count == 1:
        return b"".join(raw)
    return b"".join(raw[b][i * p : (i + 1) * p] for i in range(count) for b in range(PLANES))


@functools.cache
def _mix(c: int) -> tuple[tuple[int, ...], ...]:
    """For each output plane ``i``, the input planes ``j`` with bit ``i`` set in ``c * 2^j``."""
    with rs.LOCK:
        images = [reedsolo.gf_mul(c, 1 << j) for j in range(PLANES)]
    return tuple(tuple(j for j in range(PLANES) if images[j] >> i & 1) for i in range(PLANES))


def mul(planes: Sequence[int], c: int) -> Planes:
    """Every symbol multiplied by the field element ``c``."""
    out: Planes = []
    for sources in _mix(c):
        acc = 0
        for j in sources:
            acc ^= planes[j]
        out.append(acc)
    return out


def xor(a: Sequence[int], b: Sequence[int]) -> Planes:
    """Symbol-wise field addition."""
    return [x ^ y for x, y in zip(a, b, strict=True)]
