"""Blocks as eight bit-planes: the symbol layout of the parity code (FORMAT.md §11.2).

A block of ``B`` bytes holds ``B`` symbols of GF(2^8), but not one per byte: the block is cut
into eight planes of ``B / 8`` bytes, and bit ``b`` of symbol ``t`` is bit ``t`` of plane ``b``
(plane bytes read little-endian). Multiplying every symbol by a field constant is then a
fixed GF(2)-linear mix of the eight planes (for the generator 2: a rotation and three XORs),
which is plain XOR of whole planes, whereas byte-per-symbol needs per-byte shifts and masks.

The planes are simply the eight consecutive slices of the block, so a block *is* its planes:
we view the bytes as a ``(count, 8, words)`` numpy array (64-bit words when the plane length
allows, bytes otherwise) and mix planes with in-place XOR, without converting anything. Every
operation acts on each bit position alike, so the word size and byte order never change an
output byte. This runs at memory speed, which is what keeps ``pack --parity`` within its
time budget (issue 6); the earlier big-integer planes spent most of their time converting
bytes to ``int`` and back. The code itself is unchanged: every symbol column of a stripe is a
``reedsolo`` codeword.
"""

from __future__ import annotations

import functools
import os

# We use no linear algebra, and OpenBLAS would otherwise start a thread pool on import; the
# encoder forks worker processes, which must not inherit live threads (encode.py). Only the
# default changes: a value the user set stands, and so does a numpy already imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # after the thread-pool default above
import numpy.typing as npt
import reedsolo  # type: ignore[import-untyped]  # no stubs; field tables set up by rs.py

from glyphserpack._internal.parity import rs

__all__ = ["PLANES", "Planes", "from_planes", "mul", "to_planes", "xor_into", "zeros"]

PLANES = 8
Planes = npt.NDArray[np.unsignedinteger]


def _dtype(block_size: int) -> type[np.unsignedinteger]:
    if block_size % PLANES:
        raise ValueError(f"block size {block_size} is not a multiple of {PLANES}")
    return np.uint64 if (block_size // PLANES) % 8 == 0 else np.uint8


def zeros(block_size: int, count: int = 1) -> Planes:
    """``count`` all-zero blocks."""
    dt = _dtype(block_size)
    return np.zeros((count, PLANES, block_size // PLANES // np.dtype(dt).itemsize), dtype=dt)


def to_planes(data: bytes | bytearray | memoryview, block_size: int, count: int = 1) -> Planes:
    """``count`` consecutive blocks of ``data`` (zero-padded to full blocks) as planes.

    The result has shape ``(count, 8, words)``; ``[:, b]`` is plane ``b`` of every block, so one
    array operation covers a whole row of small blocks. A full-length ``bytes`` input is viewed,
    not copied (read-only); callers only read it or XOR it into another array.
    """
    need = count * block_size
    out = zeros(block_size, count)
    if len(data) >= need and isinstance(data, bytes):
        return np.frombuffer(data, dtype=out.dtype, count=out.size).reshape(out.shape)
    flat = out.reshape(-1).view(np.uint8)
    n = min(len(data), need)
    flat[:n] = np.frombuffer(data, dtype=np.uint8, count=n)
    return out


def from_planes(planes: Planes) -> bytes:
    """Inverse of :func:`to_planes`: the blocks' bytes, one after another."""
    return planes.tobytes()


@functools.cache
def _mix(c: int) -> tuple[tuple[int, ...], ...]:
    """For each output plane ``i``, the input planes ``j`` with bit ``i`` set in ``c * 2^j``."""
    with rs.LOCK:
        images = [reedsolo.gf_mul(c, 1 << j) for j in range(PLANES)]
    return tuple(tuple(j for j in range(PLANES) if images[j] >> i & 1) for i in range(PLANES))


def mul(planes: Planes, c: int, out: Planes | None = None) -> Planes:
    """Every symbol multiplied by the field element ``c`` (into ``out`` if given, which must
    not be ``planes`` itself: output planes are built from several input planes)."""
    res = np.empty_like(planes) if out is None else out
    for i, sources in enumerate(_mix(c)):
        dst = res[:, i]
        if not sources:
            dst[...] = 0
        elif len(sources) == 1:
            dst[...] = planes[:, sources[0]]
        else:
            np.bitwise_xor(planes[:, sources[0]], planes[:, sources[1]], out=dst)
            for j in sources[2:]:
                dst ^= planes[:, j]
    return res


def xor_into(acc: Planes, other: Planes) -> Planes:
    """Symbol-wise field addition, in place in ``acc`` (returned for chaining)."""
    np.bitwise_xor(acc, other, out=acc)
    return acc
