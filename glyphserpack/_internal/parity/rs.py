"""Reed–Solomon erasure coding over GF(2^8), block-wise, on top of ``reedsolo``.

``reedsolo`` encodes and decodes one codeword of at most 255 symbols at a time in pure
Python, which is far too slow to run once per byte column of a multi-gigabyte pack. The code
is linear, though, so we let ``reedsolo`` define it and derive the coefficient tables from it:

* encoding: ``parity_r = XOR_j coef[j][r] * data_j``, where ``coef[j]`` is the parity
  ``reedsolo.rs_encode_msg`` computes for the unit message ``e_j``;
* erasure decoding: with exactly ``m`` erased positions ``E``, the erased symbols are a
  linear function of the surviving ones; column ``t`` of that map is what
  ``reedsolo.rs_correct_msg`` restores from the unit codeword ``e_t`` with ``E`` erased.

For encoding even that is too slow (one table pass and one bytes-to-int conversion per
block and parity shard), so the encoder instead evaluates the data part of the ``m`` check
equations by Horner's rule over whole rows of blocks held as big integers, where
multiplying every byte by the generator 2 is a handful of shifts and masks
(:class:`Horner`), and converts those ``m`` sums into the ``reedsolo`` parity with a small
``m x m`` matrix (:func:`syndrome_weights`) applied to the parity blocks only.

A whole block is then multiplied by a constant with ``bytes.translate`` (a 256-entry table)
and summed with big-integer XOR, both running in C. Every restored block is still checked
against its SHA-256 by the caller, so a wrong table could never produce a silent result.
"""

from __future__ import annotations

import functools
import threading

import reedsolo  # type: ignore[import-untyped]  # no stubs; wrapped here

__all__ = [
    "CODE_NAME",
    "MAX_SYMBOLS",
    "Horner",
    "decode_matrix",
    "encode_coefficients",
    "mul_table",
    "scaled",
    "syndrome_weights",
]

PRIM = 0x11D
GENERATOR = 2
FCR = 0
MAX_SYMBOLS = 255
CODE_NAME = "reed-solomon/gf256/0x11d/g2/fcr0"

# reedsolo keeps its field tables in module globals; initialise them once, under a lock,
# with our parameters (another user of reedsolo with other parameters would be a bug here).
_LOCK = threading.Lock()


def _init() -> None:
    reedsolo.init_tables(PRIM, GENERATOR, 8)


with _LOCK:
    _init()


@functools.cache
def mul_table(c: int) -> bytes:
    """Translation table multiplying every byte by the field element ``c``."""
    return bytes(reedsolo.gf_mul(c, x) for x in range(256))


@functools.cache
def encode_coefficients(k: int, m: int) -> tuple[tuple[int, ...], ...]:
    """``coef[j][r]``: weight of data position ``j`` in parity shard ``r`` of a ``(k+m, k)`` code."""
    if not (k >= 1 and m >= 1 and k + m <= MAX_SYMBOLS):
        raise ValueError(f"code ({k}+{m}) is outside GF(256) Reed-Solomon limits")
    with _LOCK:
        gen = reedsolo.rs_generator_poly(m, FCR, GENERATOR)
        rows = []
        for j in range(k):
            unit = bytearray(k)
            unit[j] = 1
            rows.append(tuple(reedsolo.rs_encode_msg(unit, m, FCR, GENERATOR, gen)[k:]))
    return tuple(rows)


@functools.cache
def decode_matrix(k: int, m: int, erased: tuple[int, ...]) -> tuple[tuple[int, ...], dict[int, tuple[int, ...]]]:
    """For exactly ``m`` erased positions of a ``k+m`` codeword: surviving positions, and for
    each erased position the weights of the surviving symbols that restore it."""
    n = k + m
    if len(erased) != m or len(set(erased)) != m or not all(0 <= e < n for e in erased):
        raise ValueError(f"need exactly {m} distinct erased positions, got {erased}")
    surviving = tuple(p for p in range(n) if p not in erased)
    cols: dict[int, list[int]] = {e: [] for e in erased}
    with _LOCK:
        for t in surviving:
            unit = bytearray(n)
            unit[t] = 1
            msg, ecc, _ = reedsolo.rs_correct_msg(unit, m, FCR, GENERATOR, erase_pos=list(erased), only_erasures=True)
            word = bytes(msg) + bytes(ecc)
            for e in erased:
                cols[e].append(word[e])
    return surviving, {e: tuple(v) for e, v in cols.items()}


def scaled(block: bytes, c: int) -> int:
    """``c * block`` as a little-endian integer, ready to be XOR-accumulated."""
    if c == 0:
        return 0
    if c == 1:
        return int.from_bytes(block, "little")
    return int.from_bytes(block.translate(mul_table(c)), "little")


def _gf_inverse_matrix(a: list[list[int]]) -> list[list[int]]:
    n = len(a)
    aug = [row[:] + [1 if i == j else 0 for j in range(n)] for i, row in enumerate(a)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if aug[r][col])
        aug[col], aug[pivot] = aug[pivot], aug[col]
        inv = reedsolo.gf_inverse(aug[col][col])
        aug[col] = [reedsolo.gf_mul(v, inv) for v in aug[col]]
        for r in range(n):
            if r != col and aug[r][col]:
                f = aug[r][col]
                aug[r] = [v ^ reedsolo.gf_mul(f, w) for v, w in zip(aug[r], aug[col], strict=True)]
    return [row[n:] for row in aug]


@functools.cache
def syndrome_weights(m: int) -> tuple[tuple[int, ...], ...]:
    """``W[i][r]`` with ``parity_i = XOR_r W[i][r] * H_r`` where ``H_r = XOR_j 2^(r*(k-1-j)) * data_j``.

    Derived from ``reedsolo`` itself: the last ``m`` unit messages have ``H = (2^(r*t))``
    (a Vandermonde matrix), and their parity is what ``rs_encode_msg`` returns.
    """
    coef = encode_coefficients(m, m)
    with _LOCK:
        a = [[reedsolo.gf_pow(2, r * t) for t in range(m)] for r in range(m)]
        inv = _gf_inverse_matrix(a)
        rm = [[coef[m - 1 - t][i] for t in range(m)] for i in range(m)]
        return tuple(tuple(_dot(rm[i], [inv[t][r] for t in range(m)]) for r in range(m)) for i in range(m))


def _dot(u: list[int], v: list[int]) -> int:
    out = 0
    for x, y in zip(u, v, strict=True):
        out ^= reedsolo.gf_mul(x, y)
    return out


class Horner:
    """Byte-wise multiplication by 2 in GF(2^8) of a row of ``length`` bytes held as an int.

    Each byte is shifted left; bytes whose top bit fell off get the reduction ``0x1d``
    (the low byte of the field polynomial 0x11d). No carry crosses a byte: the masks drop it.
    """

    def __init__(self, length: int) -> None:
        self.lsb = int.from_bytes(b"\x01" * length, "little")
        self.low7 = int.from_bytes(b"\xfe" * length, "little")

    def times2(self, x: int, power: int = 1) -> int:
        for _ in range(power):
            x = ((x << 1) & self.low7) ^ (((x >> 7) & self.lsb) * 0x1D)
        return x
