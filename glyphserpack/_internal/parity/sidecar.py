"""The parity sidecar file ``<pack>.par``: layout, header copies and block geometry.

Layout (all integers little-endian)::

    "GSPPAR1\\n" | u64 H | header (canonical CBOR, H bytes) | SHA-256(header)     front copy
    parity blocks, stripe-major (stripe 0 shard 0..m-1, stripe 1 ...), each block_size bytes
    header | SHA-256(header) | u64 H | "GSPPAR1\\n"                              back copy

The header is stored twice, each copy with its own hash, because it holds the per-block
SHA-256 list that turns damage into erasures: losing one copy must not lose the parity.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glyphserpack import canonical
from glyphserpack._internal.parity.rs import CODE_NAME, MAX_SYMBOLS
from glyphserpack.errors import CanonicalError

__all__ = [
    "MAGIC",
    "PARITY_VERSION",
    "Geometry",
    "Header",
    "HeaderProblem",
    "choose_geometry",
    "read_header",
    "sidecar_path",
]

MAGIC = b"GSPPAR1\n"
PARITY_VERSION = 1
MIN_BLOCK = 512
MAX_BLOCK = 64 * 1024
#: Aim for at least this many blocks, so a small pack still gets fine-grained erasures.
TARGET_BLOCKS = 2048
DEFAULT_SHARDS = 2
MAX_HEADER = 512 * 1024 * 1024


class HeaderProblem(Exception):
    """Neither header copy of a sidecar is usable."""


@dataclass(frozen=True)
class Geometry:
    """How a pack of ``pack_size`` bytes is cut into blocks and interleaved into stripes.

    Data block ``i`` is symbol ``i // stripes`` of stripe ``i % stripes``: consecutive
    blocks land in different stripes, so a burst of up to ``stripes * m`` blocks is
    still within every stripe's budget of ``m`` erasures.
    """

    pack_size: int
    block_size: int
    stripes: int
    k: int
    m: int

    @property
    def data_blocks(self) -> int:
        return max(1, -(-self.pack_size // self.block_size))

    @property
    def parity_blocks(self) -> int:
        return self.stripes * self.m

    def place(self, i: int) -> tuple[int, int]:
        """(stripe, position) of data block ``i``."""
        return i % self.stripes, i // self.stripes

    def block_range(self, i: int) -> tuple[int, int]:
        lo = i * self.block_size
        return lo, min(self.pack_size, lo + self.block_size)

    def members(self, stripe: int) -> list[int]:
        """Data block numbers of one stripe, by position (virtual zero blocks omitted)."""
        return list(range(stripe, self.data_blocks, self.stripes))


def choose_geometry(pack_size: int, ratio: float, m: int = DEFAULT_SHARDS) -> Geometry:
    """Block size and stripe shape for a parity ``ratio`` (0 < ratio <= 1) of the pack size."""
    if not 0 < ratio <= 1:
        raise ValueError(f"parity ratio {ratio} outside (0, 1]")
    block = MIN_BLOCK
    while block < MAX_BLOCK and pack_size // (block * 2) >= TARGET_BLOCKS:
        block *= 2
    blocks = max(1, -(-pack_size // block))
    if not 1 <= m <= MAX_SYMBOLS // 2:
        raise ValueError(f"{m} parity shards per stripe is outside 1..{MAX_SYMBOLS // 2}")
    k = max(1, min(MAX_SYMBOLS - m, int(m / ratio + 1e-9)))
    stripes = -(-blocks // k)
    # At least m data positions per stripe (virtual zero blocks if the pack is tiny), so the
    # encoder's syndrome-to-parity matrix is defined for every stripe.
    k = max(m, -(-blocks // stripes))
    return Geometry(pack_size, block, stripes, k, m)


@dataclass(frozen=True)
class Header:
    """Decoded sidecar header plus where the parity blocks start in the sidecar."""

    geometry: Geometry
    block_sha256: tuple[bytes, ...]
    parity_sha256: tuple[bytes, ...]
    raw: bytes
    #: (member name, first pack byte of its first frame, end of its last frame), stream order
    members: tuple[tuple[str, int, int], ...] = ()
    index_offset: int = 0

    @property
    def parity_offset(self) -> int:
        return 16 + len(self.raw) + 32

    @property
    def sidecar_size(self) -> int:
        g = self.geometry
        return 2 * (16 + len(self.raw) + 32) + g.parity_blocks * g.block_size

    def parity_block_offset(self, q: int) -> int:
        return self.parity_offset + q * self.geometry.block_size


def header_obj(
    g: Geometry, block_sha: bytes, parity_sha: bytes, members: list[list[Any]], index_offset: int
) -> dict[str, Any]:
    return {
        "members": members,
        "index_offset": index_offset,
        "parity_version": PARITY_VERSION,
        "code": CODE_NAME,
        "pack_size": g.pack_size,
        "block_size": g.block_size,
        "stripes": g.stripes,
        "stripe_data": g.k,
        "stripe_parity": g.m,
        "block_sha256": block_sha,
        "parity_sha256": parity_sha,
    }


def front(raw: bytes) -> bytes:
    return MAGIC + struct.pack("<Q", len(raw)) + raw + hashlib.sha256(raw).digest()


def back(raw: bytes) -> bytes:
    return raw + hashlib.sha256(raw).digest() + struct.pack("<Q", len(raw)) + MAGIC


def _decode(raw: bytes) -> Header:
    obj = canonical.loads(raw)
    fields = {
        "members",
        "index_offset",
        "parity_version",
        "code",
        "pack_size",
        "block_size",
        "stripes",
        "stripe_data",
        "stripe_parity",
        "block_sha256",
        "parity_sha256",
    }
    if not isinstance(obj, dict) or set(obj) != fields:
        raise HeaderProblem("header fields are not those of parity version 1")
    if obj["parity_version"] != PARITY_VERSION or obj["code"] != CODE_NAME:
        raise HeaderProblem(f"parity version {obj['parity_version']!r} / code {obj['code']!r} not supported")
    ints = ("pack_size", "block_size", "stripes", "stripe_data", "stripe_parity")
    if not all(type(obj[f]) is int and obj[f] > 0 for f in ints):
        raise HeaderProblem("header sizes malformed")
    g = Geometry(obj["pack_size"], obj["block_size"], obj["stripes"], obj["stripe_data"], obj["stripe_parity"])
    if g.k + g.m > MAX_SYMBOLS or g.stripes * g.k < g.data_blocks or g.block_size > MAX_BLOCK:
        raise HeaderProblem("stripe shape impossible for this pack size")
    bs, ps = obj["block_sha256"], obj["parity_sha256"]
    if not (isinstance(bs, bytes) and len(bs) == 32 * g.data_blocks):
        raise HeaderProblem("block hash list has the wrong length")
    if not (isinstance(ps, bytes) and len(ps) == 32 * g.parity_blocks):
        raise HeaderProblem("parity hash list has the wrong length")
    members = obj["members"]
    if not isinstance(members, list) or not all(
        isinstance(m, list)
        and len(m) == 3
        and isinstance(m[0], str)
        and all(type(v) is int and 0 <= v <= g.pack_size for v in m[1:])
        for m in members
    ):
        raise HeaderProblem("member map malformed")
    if type(obj["index_offset"]) is not int or not 0 <= obj["index_offset"] <= g.pack_size:
        raise HeaderProblem("index_offset malformed")
    spans = tuple((m[0], m[1], m[2]) for m in members)
    return Header(g, _split(bs), _split(ps), raw, spans, obj["index_offset"])


def _split(b: bytes) -> tuple[bytes, ...]:
    return tuple(b[i : i + 32] for i in range(0, len(b), 32))


def _try(fd: int, size: int, at_front: bool) -> Header:
    if at_front:
        head = os.pread(fd, 16, 0)
        if len(head) < 16 or head[:8] != MAGIC:
            raise HeaderProblem("front copy: no magic")
        (h,) = struct.unpack("<Q", head[8:])
        start = 16
    else:
        tail = os.pread(fd, 16, max(0, size - 16))
        if len(tail) < 16 or tail[8:] != MAGIC:
            raise HeaderProblem("back copy: no magic")
        (h,) = struct.unpack("<Q", tail[:8])
        start = size - 16 - 32 - h
    if h > MAX_HEADER or start < 0:
        raise HeaderProblem("header length implausible")
    raw = os.pread(fd, h, start)
    digest = os.pread(fd, 32, start + h)
    if len(raw) != h or hashlib.sha256(raw).digest() != digest:
        raise HeaderProblem(("front" if at_front else "back") + " copy does not match its hash")
    try:
        return _decode(raw)
    except CanonicalError as exc:
        raise HeaderProblem(f"header is not canonical CBOR: {exc.message}") from None


def read_header(fd: int) -> tuple[Header, list[str]]:
    """The first usable header copy, and what was wrong with the other (for the report)."""
    size = os.fstat(fd).st_size
    notes: list[str] = []
    for at_front in (True, False):
        try:
            header = _try(fd, size, at_front)
        except HeaderProblem as exc:
            notes.append(str(exc))
            continue
        if at_front:
            try:
                if _try(fd, size, False).raw != header.raw:
                    notes.append("back copy differs from the front copy")
            except HeaderProblem as exc:
                notes.append(str(exc))
        return header, notes
    raise HeaderProblem("; ".join(notes))


def sidecar_path(pack: Path) -> Path:
    """Where the parity of ``pack`` lives: ``<pack>.par`` beside it (FORMAT.md §11)."""
    return pack.with_name(pack.name + ".par")
