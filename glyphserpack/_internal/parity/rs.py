"""Reed–Solomon erasure coding over GF(2^8), block-wise, on top of ``reedsolo``.

``reedsolo`` encodes and decodes one codeword of at most 255 symbols at a time in pure
Python, which is far too slow to run once per symbol column of a multi-gigabyte pack. The
code is linear, though, so we let ``reedsolo`` define it and derive the coefficient tables:

* encoding: ``parity_r = XOR_j coef[j][r] * data_j``, where ``coef[j]`` is the parity
  ``reedsolo.rs_encode_msg`` computes for the unit message ``e_j``;
* erasure decoding: with exactly ``m`` erased positions ``E``, the erased symbols are a
  linear function of the surviving ones; column ``t`` of that map is what
  ``reedsolo.rs_correct_msg`` restores from the unit codeword ``e_t`` with ``E`` erased.

The encoder does not apply ``coef`` directly: it evaluates the data part of the ``m`` check
equations by Horner's rule (``H_r = XOR_j 2^(r*(k-1-j)) * data_j``, one multiplication per
block) and converts those ``m`` sums into the ``reedsolo`` parity with a small ``m x m``
matrix (:func:`syndrome_weights`). Whole blocks are multiplied by constants in the
bit-plane layout of ``bitslice.py``. Every restored block is still checked against its
SHA-256 by the caller, so a wrong table could never produce a silent result.
"""

from __future__ import annotations

import functools
import threading

import reedsolo  # type: ignore[import-untyped]  # no stubs; wrapped here

__all__ = [
    "CODE_NAME",
    "LOCK",
    "MAX_SYMBOLS",
    "decode_matrix",
    "encode_coefficients",
    "gf_pow2",
    "syndrome_weights",
]

PRIM = 0x11D
GENERATOR = 2
FCR = 0
MAX_SYMBOLS = 255
#: Symbols are laid out in bit-planes (``bitslice.py``); the name says so, so that a sidecar of the
#: earlier byte-per-symbol layout is refused as unsupported instead of failing its hashes.
CODE_NAME = "reed-solomon/gf256/0x11d/g2/fcr0/bitplanes8"

# reedsolo keeps its field tables in module globals; initialise them once, under a lock,
# with our parameters (another user of reedsolo with other parameters would be a bug here).
LOCK = threading.Lock()


def _init() -> None:
    reedsolo.init_tables(PRIM, GENERATOR, 8)


with LOCK:
    _init()


@functools.cache
def encode_coefficients(k: int, m: int) -> tuple[tuple[int, ...], ...]:
    """``coef[j][r]``: weight of data position ``j`` in parity shard ``r`` of a ``(k+m, k)`` code."""
    if not (k >= 1 and m >= 1 and k + m <= MAX_SYMBOLS):
        raise ValueError(f"code ({k}+{m}) is outside GF(256) Reed-Solomon limits")
    with LOCK:
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
    with LOCK:
        for t in surviving:
            unit = bytearray(n)
            unit[t] = 1
            msg, ecc, _ = reedsolo.rs_correct_msg(unit, m, FCR, GENERATOR, erase_pos=list(erased), only_erasures=True)
            word = bytes(msg) + bytes(ecc)
            for e in erased:
                cols[e].append(word[e])
    return surviving, {e: tuple(v) for e, v in cols.items()}


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
    with LOCK:
        a = [[reedsolo.gf_pow(2, r * t) for t in range(m)] for r in range(m)]
        inv = _gf_inverse_matrix(a)
        rm = [[coef[m - 1 - t][i] for t in range(m)] for i in range(m)]
        return tuple(tuple(_dot(rm[i], [inv[t][r] for t in range(m)]) for r in range(m)) for i in range(m))


def gf_pow2(e: int) -> int:
    """The field element ``2^e``."""
    with LOCK:
        return int(reedsolo.gf_pow(GENERATOR, e))


def _dot(u: list[int], v: list[int]) -> int:
    out = 0
    for x, y in zip(u, v, strict=True):
        out ^= reedsolo.gf_mul(x, y)
    return out
