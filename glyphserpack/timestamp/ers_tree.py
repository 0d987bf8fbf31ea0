"""RFC 4998 §4.2-4.3 hash trees: build one over data-object hashes, reduce it per object, recover the root.

Every node hashes the *binary ascending sorted* concatenation of its children, so a verifier
needs no left/right flags: a reduced hash tree is just, per level, the sibling hashes. We
build a binary tree over the leaves sorted by value (deterministic; a lone last node moves
up unchanged), which Bouncy Castle's verifier reads too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

__all__ = ["HashTree", "node_hash", "recover_root"]


def node_hash(hash_alg: str, values: Sequence[bytes]) -> bytes:
    """H(binary sorted concatenation of ``values``) (RFC 4998 §4.2 step 4)."""
    return hashlib.new(hash_alg, b"".join(sorted(values))).digest()


def recover_root(hash_alg: str, reduced: Sequence[Sequence[bytes]]) -> bytes:
    """The root a reduced hash tree leads to (§4.3): hash each list with the previous level's hash."""
    if not reduced:
        raise ValueError("empty reduced hash tree")
    current = node_hash(hash_alg, reduced[0]) if len(reduced[0]) > 1 else bytes(reduced[0][0])
    for level in reduced[1:]:
        current = node_hash(hash_alg, [current, *level])
    return current


@dataclass(frozen=True)
class HashTree:
    """A binary hash tree over ``leaves``; ``levels[0]`` are the sorted leaves, ``levels[-1]`` the root."""

    hash_alg: str
    levels: tuple[tuple[bytes, ...], ...]

    @classmethod
    def build(cls, hash_alg: str, leaves: Sequence[bytes]) -> HashTree:
        if not leaves:
            raise ValueError("a hash tree needs at least one leaf")
        level = tuple(sorted(bytes(x) for x in leaves))
        levels = [level]
        while len(level) > 1:
            nxt = [node_hash(hash_alg, level[i : i + 2]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = tuple(nxt)
            levels.append(level)
        return cls(hash_alg, tuple(levels))

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    @cached_property
    def _positions(self) -> dict[bytes, int]:
        """Leaf value -> its first position (one lookup per object keeps export linear)."""
        out: dict[bytes, int] = {}
        for i, leaf in enumerate(self.levels[0]):
            out.setdefault(leaf, i)
        return out

    def reduced(self, leaf: bytes) -> list[list[bytes]]:
        """The reduced hash tree of ``leaf`` (§4.3): [leaf and its sibling], then one sibling per level.

        Empty when the tree is the single leaf itself (the ArchiveTimeStamp then has no
        reducedHashtree and the token stamps the leaf directly).
        """
        pos = self._positions.get(leaf)
        if pos is None:
            raise ValueError("leaf not in the tree")
        out: list[list[bytes]] = []
        for level in self.levels[:-1]:
            sib = pos ^ 1
            if sib < len(level):
                if not out:
                    out.append([level[pos], level[sib]])
                else:
                    out.append([level[sib]])
            elif not out:
                out.append([level[pos]])
            pos //= 2
        if len(out) == 1 and len(out[0]) == 1:
            return []
        return out
