"""RFC 9162 §2 Merkle tree hashing, proofs and their verification.

Proof *generation* reads subtree hashes through a :class:`NodeSource` (the tiles on disk, or
a list in memory), so building a proof touches O(log n) hashes and memory never grows with
the log. Proof *verification* is the iterative algorithm of RFC 9162 §2.1.3.2 / §2.1.4.2,
which needs nothing but the proof, the sizes and the roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryNodeSource",
    "NodeSource",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "reduce_complete",
    "subtree_hash",
    "tree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
#: MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the 0x00 prefix keeps leaves and nodes apart."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def reduce_complete(hashes: Sequence[bytes]) -> bytes:
    """Root of a complete subtree whose bottom row is ``hashes`` (a power-of-two count)."""
    row = list(hashes)
    if not row or len(row) & (len(row) - 1):
        raise ValueError(f"a complete subtree needs a power-of-two row, got {len(row)} hashes")
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


class NodeSource(Protocol):
    """Read access to the hash of complete, aligned subtrees of a fixed-size tree."""

    def node(self, height: int, index: int) -> bytes:
        """MTH(D[index * 2**height : (index + 1) * 2**height])."""
        ...


class MemoryNodeSource:
    """A :class:`NodeSource` over leaf hashes held in memory (tests and tiny logs)."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self._leaves = list(leaf_hashes)

    def node(self, height: int, index: int) -> bytes:
        width = 1 << height
        start = index * width
        if start + width > len(self._leaves):
            raise IndexError(f"subtree {height}/{index} lies beyond {len(self._leaves)} leaves")
        return reduce_complete(self._leaves[start : start + width])


def _largest_power_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2): RFC 9162's split point k."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(src: NodeSource, lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for the ranges RFC 9162 proofs use (``lo`` aligned to the split)."""
    n = hi - lo
    if n <= 0:
        raise ValueError(f"empty range [{lo}, {hi})")
    if n & (n - 1) == 0 and lo % n == 0:
        return src.node(n.bit_length() - 1, lo // n)
    k = _largest_power_below(n)
    return node_hash(subtree_hash(src, lo, lo + k), subtree_hash(src, lo + k, hi))


def tree_hash(src: NodeSource, size: int) -> bytes:
    """MTH of the first ``size`` leaves."""
    return EMPTY_ROOT if size == 0 else subtree_hash(src, 0, size)


def inclusion_proof(src: NodeSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf's sibling first."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _largest_power_below(hi - lo)
        if m < k:
            path.append(subtree_hash(src, lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree_hash(src, lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def consistency_proof(src: NodeSource, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    path: list[bytes] = []
    lo, hi, m, whole = 0, new_size, old_size, True
    while m != hi - lo:
        k = _largest_power_below(hi - lo)
        if m <= k:
            path.append(subtree_hash(src, lo + k, hi))
            hi = lo + k
        else:
            path.append(subtree_hash(src, lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        path.append(subtree_hash(src, lo, hi))
    path.reverse()
    return path


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` place ``leaf`` (a leaf hash) at ``index`` under ``root``?"""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (new_size, new_root) an append-only extension of the old one?"""
    if not 0 <= old_size <= new_size or any(len(p) != HASH_SIZE for p in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        # Every tree extends the empty tree, but only the real empty root names it.
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
