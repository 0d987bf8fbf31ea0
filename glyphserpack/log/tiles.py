"""The C2SP tlog-tiles static layout: tile paths, entry bundles, and the right edge.

A tile at level ``L`` holds up to 256 hashes of complete subtrees of ``256**L`` leaves;
the rightmost tile of each level is *partial* (``.p/<W>``). Those partial tiles are exactly
the tree's right edge, so appending and computing the root only ever need O(log n) tiles:
that is what keeps memory independent of the log's size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from glyphserpack._internal.fsio import read_bounded
from glyphserpack.errors import InputError, VerificationError
from glyphserpack.log.merkle import EMPTY_ROOT, HASH_SIZE, node_hash, reduce_complete

__all__ = [
    "BUNDLE_LIMIT",
    "MAX_ENTRY_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Frontier",
    "TileReader",
    "TileRef",
    "decode_bundle",
    "encode_bundle",
    "encode_index",
    "entries_path",
    "root_from_partials",
    "tile_path",
    "tiles_for_size",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
TILE_BYTES = TILE_WIDTH * HASH_SIZE
#: Entry bundles length-prefix each entry with a big-endian uint16.
MAX_ENTRY_SIZE = 0xFFFF
BUNDLE_LIMIT = TILE_WIDTH * (2 + MAX_ENTRY_SIZE)


def encode_index(n: int) -> str:
    """1234067 -> ``x001/x234/067``: 3-digit groups, all but the last prefixed with ``x``."""
    if n < 0:
        raise ValueError(f"tile index {n} is negative")
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def _suffix(width: int) -> str:
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"tile width {width} is outside 1..{TILE_WIDTH}")
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, n: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]`` relative to the log's prefix."""
    if not 0 <= level <= 63:
        raise ValueError(f"tile level {level} is outside 0..63")
    return f"tile/{level}/{encode_index(n)}{_suffix(width)}"


def entries_path(n: int, width: int = TILE_WIDTH) -> str:
    """``tile/entries/<N>[.p/<W>]``."""
    return f"tile/entries/{encode_index(n)}{_suffix(width)}"


@dataclass(frozen=True, order=True)
class TileRef:
    """One tile a tree of some size needs: level, index and width (256 when full)."""

    level: int
    index: int
    width: int

    @property
    def path(self) -> str:
        return tile_path(self.level, self.index, self.width)


def tiles_for_size(size: int) -> Iterator[TileRef]:
    """Every hash tile a tree of ``size`` leaves consists of (full tiles, then the partial)."""
    level = 0
    while True:
        avail = size >> (TILE_HEIGHT * level)
        if avail == 0:
            return
        full, rest = divmod(avail, TILE_WIDTH)
        for n in range(full):
            yield TileRef(level, n, TILE_WIDTH)
        if rest:
            yield TileRef(level, full, rest)
        level += 1


def encode_bundle(entries: list[bytes]) -> bytes:
    """Concatenate uint16-length-prefixed entries."""
    out = bytearray()
    for e in entries:
        if len(e) > MAX_ENTRY_SIZE:
            raise InputError(f"log entry of {len(e)} bytes exceeds the {MAX_ENTRY_SIZE}-byte bundle limit")
        out += len(e).to_bytes(2, "big") + e
    return bytes(out)


def decode_bundle(data: bytes, *, where: str) -> list[bytes]:
    """Split a bundle back into entries; a truncated or over-long bundle is an error."""
    entries: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise VerificationError(f"{where}: truncated length prefix at byte {pos}")
        n = int.from_bytes(data[pos : pos + 2], "big")
        if pos + 2 + n > len(data):
            raise VerificationError(f"{where}: entry {len(entries)} truncated ({len(data) - pos - 2} of {n} bytes)")
        entries.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return entries


def root_from_partials(partials: dict[int, list[bytes]]) -> bytes:
    """Tree root from each level's partial-tile hashes (the binary decomposition of the size)."""
    chunks: list[bytes] = []
    for level in sorted(partials, reverse=True):
        row = partials[level]
        pos = 0
        for r in range(TILE_HEIGHT - 1, -1, -1):
            if len(row) & (1 << r):
                chunks.append(reduce_complete(row[pos : pos + (1 << r)]))
                pos += 1 << r
    if not chunks:
        return EMPTY_ROOT
    root = chunks[-1]
    for c in reversed(chunks[:-1]):
        root = node_hash(c, root)
    return root


@dataclass
class Frontier:
    """The right edge of the tree: per level, the hashes of the current partial tile.

    :meth:`push` adds leaf hashes and returns the tiles that became full, so a writer
    (append) or a checker (audit) can stream through a log of any size in O(log n) memory.
    """

    size: int = 0
    rows: dict[int, list[bytes]] = field(default_factory=dict)

    def push(self, leaf_hashes: list[bytes]) -> list[tuple[int, int, list[bytes]]]:
        """Add leaves; return ``(level, index, hashes)`` for every tile completed on the way."""
        completed: list[tuple[int, int, list[bytes]]] = []
        pos, count = 0, len(leaf_hashes)
        while pos < count:
            # Fill level 0 a tile's worth at a time; only a completed tile climbs a level.
            row = self.rows.setdefault(0, [])
            take = min(TILE_WIDTH - len(row), count - pos)
            row.extend(leaf_hashes[pos : pos + take])
            pos += take
            self.size += take - 1  # _add numbers a tile by the index of the leaf that completes it
            if len(row) == TILE_WIDTH:
                completed.append((0, self.size >> TILE_HEIGHT, row))
                self.rows[0] = []
                self._add(1, reduce_complete(row), completed)
            self.size += 1
        return completed

    def _add(self, level: int, h: bytes, completed: list[tuple[int, int, list[bytes]]]) -> None:
        row = self.rows.setdefault(level, [])
        row.append(h)
        if len(row) == TILE_WIDTH:
            index = self.size >> (TILE_HEIGHT * (level + 1))
            completed.append((level, index, row))
            self.rows[level] = []
            self._add(level + 1, reduce_complete(row), completed)

    def partials(self) -> dict[int, list[bytes]]:
        return {lvl: row for lvl, row in self.rows.items() if row}

    def root(self) -> bytes:
        return root_from_partials(self.partials())


class TileReader:
    """Reads hash tiles of a tree of fixed ``size`` from a log directory (a :class:`NodeSource`).

    The exact tile a checkpoint needs is tried first; when a partial tile has been replaced
    by its full tile (allowed by the spec), the full tile's prefix serves instead.
    """

    def __init__(self, root: Path, size: int) -> None:
        self.root = root
        self.size = size
        self._cache: dict[tuple[int, int], bytes] = {}

    def _read(self, rel: str, expected: int) -> bytes | None:
        path = self.root / rel
        if not os.path.lexists(path):
            return None
        data = read_bounded(path, TILE_BYTES, what=f"tile {rel}")
        if len(data) != expected * HASH_SIZE:
            raise VerificationError(
                f"tile {rel}: {len(data)} bytes, expected {expected * HASH_SIZE} ({expected} hashes)",
                code="GSP-E404",
                remedy="the tile is truncated or padded; restore it from a mirror or rebuild the log",
            )
        return data

    def tile(self, level: int, n: int) -> bytes:
        """The bytes of tile ``n`` at ``level`` as the tree of ``self.size`` sees it."""
        key = (level, n)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        avail = self.size >> (TILE_HEIGHT * level)
        width = min(TILE_WIDTH, avail - n * TILE_WIDTH)
        if width <= 0:
            raise VerificationError(f"tile {level}/{n} lies beyond a tree of size {self.size}")
        data = self._read(tile_path(level, n, width), width)
        if data is None and width < TILE_WIDTH:
            full = self._read(tile_path(level, n), TILE_WIDTH)
            data = None if full is None else full[: width * HASH_SIZE]
        if data is None:
            raise VerificationError(
                f"tile {tile_path(level, n, width)} is missing (needed for tree size {self.size})",
                code="GSP-E403",
                remedy="restore the tile from a mirror; a log with missing tiles cannot prove anything",
            )
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = data
        return data

    def hashes(self, level: int, start: int, count: int) -> list[bytes]:
        """``count`` consecutive hashes at tile level ``level``; never spans two tiles."""
        n, off = divmod(start, TILE_WIDTH)
        data = self.tile(level, n)
        return [data[(off + i) * HASH_SIZE : (off + i + 1) * HASH_SIZE] for i in range(count)]

    def node(self, height: int, index: int) -> bytes:
        level, r = divmod(height, TILE_HEIGHT)
        count = 1 << r
        if (index + 1) * (1 << height) > self.size:
            raise VerificationError(f"subtree {height}/{index} lies beyond a tree of size {self.size}")
        return reduce_complete(self.hashes(level, index * count, count))
