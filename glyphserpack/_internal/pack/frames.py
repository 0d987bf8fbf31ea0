"""Container layer: independent zstd frames, the pack index and the seek table (FORMAT.md §4).

The python ``zstandard`` binding compresses and decompresses single frames but knows nothing
of the zstd *seekable format*, so its seek table (a skippable frame with magic 0x184D2A5E at
the very end) is written and parsed here. The pack index, which carries what the seek table
cannot (a SHA-256 per frame and where each tar member lies), is a second skippable frame with
magic 0x184D2A5B placed just before the seek table and listed in it as a frame that
decompresses to zero bytes, so stock ``zstd -dc`` and seekable readers both skip it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

import cbor2

from glyphserpack import canonical

__all__ = [
    "INDEX_MAGIC",
    "SEEK_TABLE_MAGIC",
    "FrameEntry",
    "IndexMember",
    "PackIndex",
    "TrailerProblem",
    "compress_bound",
    "encode_index",
    "read_trailer",
    "seek_table",
    "skippable",
]

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
INDEX_MAGIC = 0x184D2A5B
SEEK_TABLE_MAGIC = 0x184D2A5E
SEEKABLE_FOOTER_MAGIC = 0x8F92EAB1
INDEX_VERSION = 1
#: Hard caps a reader applies before allocating anything a hostile file asks for.
MAX_INDEX_BYTES = 256 * 1024 * 1024
MAX_FRAMES = 4_000_000
#: Largest content one data frame may declare; the reader and the recovery walker both apply it.
MAX_FRAME_BYTES = 64 * 1024 * 1024
GARBAGE_SEARCH = 1024 * 1024


def compress_bound(d_size: int) -> int:
    """More than any zstd frame of ``d_size`` content bytes can take (zstd's ZSTD_compressBound is
    ``d + d/256`` plus a little, and a frame header and checksum add at most 22 bytes)."""
    return d_size + (d_size >> 7) + 1024


@dataclass(frozen=True, slots=True)
class FrameEntry:
    """One data frame: where it is in the file and in the decompressed tar stream."""

    c_offset: int
    c_size: int
    d_offset: int
    d_size: int
    sha256: bytes
    #: Recovery only (FORMAT.md §7 step 2a): ``"unreadable"`` or ``"truncated"`` for bytes that
    #: hold no readable frame. What they decompressed to is unknown, so ``d_size`` is 0 and
    #: ``sha256`` empty; reading one is damage.
    gap: str = ""


@dataclass(frozen=True, slots=True)
class IndexMember:
    """Where one tar member lies in the decompressed stream (from the unsigned index)."""

    name: str
    header_offset: int
    data_offset: int
    size: int

    @property
    def end(self) -> int:
        return self.data_offset + self.size + (-self.size % 512)


@dataclass(frozen=True)
class PackIndex:
    """Decoded index plus the frame layout recovered from the seek table."""

    frames: tuple[FrameEntry, ...]
    members: tuple[IndexMember, ...]
    tail_frame: int
    eoa_offset: int
    index_offset: int
    index_size: int

    @property
    def d_total(self) -> int:
        return self.frames[-1].d_offset + self.frames[-1].d_size if self.frames else 0

    def member(self, name: str) -> IndexMember | None:
        for m in self.members:
            if m.name == name:
                return m
        return None


class TrailerProblem(Exception):
    """The seek table or index cannot be trusted; ``code`` is the finding to report."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def skippable(magic: int, payload: bytes) -> bytes:
    """A zstd skippable frame: magic, 4-byte little-endian length, payload."""
    return struct.pack("<II", magic, len(payload)) + payload


def seek_table(sizes: list[tuple[int, int]]) -> bytes:
    """Seekable-format seek table without checksums (descriptor byte 0)."""
    body = b"".join(struct.pack("<II", c, d) for c, d in sizes)
    body += struct.pack("<IBI", len(sizes), 0, SEEKABLE_FOOTER_MAGIC)
    return skippable(SEEK_TABLE_MAGIC, body)


def encode_index(frames: list[tuple[int, int, bytes]], members: list[IndexMember], tail_frame: int, eoa: int) -> bytes:
    """Canonical CBOR of the index object (FORMAT.md §4.3)."""
    obj = {
        "index_version": INDEX_VERSION,
        "frames": [[c, d, h] for c, d, h in frames],
        "members": [[m.name, m.header_offset, m.data_offset, m.size] for m in members],
        "tail_frame": tail_frame,
        "eoa_offset": eoa,
    }
    return skippable(INDEX_MAGIC, canonical.dumps(obj))


def _read_at(fh: BinaryIO, offset: int, size: int) -> bytes:
    fh.seek(offset)
    return fh.read(size)


def _find_footer(fh: BinaryIO, file_size: int) -> int:
    """End offset of the seek table; raises E119 (missing) or E120 (bytes after it)."""
    if file_size >= 9:
        tail = _read_at(fh, file_size - 9, 9)
        if struct.unpack("<I", tail[5:9])[0] == SEEKABLE_FOOTER_MAGIC:
            return file_size
    start = max(0, file_size - GARBAGE_SEARCH)
    window = _read_at(fh, start, file_size - start)
    pos = window.rfind(struct.pack("<I", SEEKABLE_FOOTER_MAGIC))
    if pos >= 5:
        end = start + pos + 4
        raise TrailerProblem("GSP-E120", f"{file_size - end} bytes of trailing data after the seek table at {end}")
    raise TrailerProblem("GSP-E119", "no seek table at the end of the file (truncated, or not a pack)")


def read_trailer(fh: BinaryIO, file_size: int, *, strict: bool = True) -> PackIndex:
    """Parse seek table and index, cross-checking them against each other and the file size."""
    end = _find_footer(fh, file_size)
    footer = _read_at(fh, end - 9, 9)
    count, descriptor, _ = struct.unpack("<IBI", footer)
    if descriptor & 0x7F:
        raise TrailerProblem("GSP-E102", f"seek table descriptor {descriptor:#04x} has reserved bits set")
    entry_size = 12 if descriptor & 0x80 else 8
    if count < 1 or count > MAX_FRAMES:
        raise TrailerProblem("GSP-E102", f"seek table lists {count} frames")
    table_len = 8 + count * entry_size + 9
    table_start = end - table_len
    if table_start < 0:
        raise TrailerProblem("GSP-E102", "seek table is larger than the file")
    head = _read_at(fh, table_start, 8)
    if head != struct.pack("<II", SEEK_TABLE_MAGIC, table_len - 8):
        raise TrailerProblem("GSP-E102", f"seek table frame header at {table_start} is wrong")
    raw = _read_at(fh, table_start + 8, count * entry_size)
    sizes = [struct.unpack_from("<II", raw, i * entry_size) for i in range(count)]
    if sum(c for c, _ in sizes) != table_start:
        raise TrailerProblem("GSP-E102", "seek table frame sizes do not add up to the frames before it")
    ic, idsize = sizes[-1]
    index_offset = table_start - ic
    if idsize != 0 or ic < 8 or ic - 8 > MAX_INDEX_BYTES:
        raise TrailerProblem("GSP-E102", "last seek-table entry is not the pack index frame")
    ihead = _read_at(fh, index_offset, 8)
    if ihead != struct.pack("<II", INDEX_MAGIC, ic - 8):
        raise TrailerProblem("GSP-E103", f"pack index frame header at {index_offset} is wrong")
    raw_index = _read_at(fh, index_offset + 8, ic - 8)
    try:
        # cbor2 (C) decodes large indexes ~20x faster than the strict pure-Python decoder; the
        # index is unsigned and every value is type-checked and cross-checked against the
        # stream; ``strict`` (verification) also confirms canonical form by re-encoding.
        obj = cbor2.loads(raw_index)
    except Exception as exc:  # noqa: BLE001 - cbor2 raises several unrelated types on garbage
        raise TrailerProblem("GSP-E103", f"pack index is not CBOR ({type(exc).__name__})") from None
    index = _decode_index(obj, sizes[:-1], index_offset, ic)
    if strict and encode_index(
        [(f.c_size, f.d_size, f.sha256) for f in index.frames], list(index.members), index.tail_frame, index.eoa_offset
    ) != _read_at(fh, index_offset, ic):
        raise TrailerProblem("GSP-E103", "pack index is not in canonical CBOR form")
    return index


def _decode_index(obj: Any, sizes: list[tuple[int, int]], index_offset: int, index_size: int) -> PackIndex:
    def bad(detail: str) -> TrailerProblem:
        return TrailerProblem("GSP-E103", f"pack index: {detail}")

    if not isinstance(obj, dict) or set(obj) != {"index_version", "frames", "members", "tail_frame", "eoa_offset"}:
        raise bad("expected index_version, frames, members, tail_frame, eoa_offset")
    if obj["index_version"] != INDEX_VERSION:
        raise bad(f"index_version {obj['index_version']!r} is not {INDEX_VERSION}")
    raw_frames = obj["frames"]
    if not isinstance(raw_frames, list) or len(raw_frames) != len(sizes):
        raise bad("frame count differs from the seek table")
    frames: list[FrameEntry] = []
    c_off = d_off = 0
    for i, (item, (c, d)) in enumerate(zip(raw_frames, sizes, strict=True)):
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[2], bytes) and len(item[2]) == 32):
            raise bad(f"frames[{i}] malformed")
        if item[0] != c or item[1] != d:
            raise TrailerProblem(
                "GSP-E102", f"seek table entry {i} ({c}, {d}) differs from the index ({item[0]}, {item[1]})"
            )
        if c > compress_bound(d):
            # Otherwise a forged table could make a reader allocate most of the file for one frame.
            raise TrailerProblem("GSP-E102", f"seek table entry {i}: {c} compressed bytes for {d} bytes of content")
        frames.append(FrameEntry(c_off, c, d_off, d, item[2]))
        c_off += c
        d_off += d
    members: list[IndexMember] = []
    prev_end = 0
    raw_members = obj["members"]
    if not isinstance(raw_members, list):
        raise bad("members is not a list")
    # Checks spelled out rather than via all()/properties: this loop runs once per member on
    # every `extract MEMBER` and `ls`, and was a tenth of the single-member extract time.
    for i, item in enumerate(raw_members):
        if type(item) is not list or len(item) != 4:
            raise bad(f"members[{i}] malformed")
        name, hdr, data, size = item
        if (
            type(name) is not str
            or type(hdr) is not int
            or type(data) is not int
            or type(size) is not int
            or hdr < 0
            or data < 0
            or size < 0
        ):
            raise bad(f"members[{i}] malformed")
        end = data + size + (-size % 512)
        if hdr != prev_end or data <= hdr or end > d_off:
            raise bad(f"members[{i}] {name!r} is not contiguous with the member before it")
        members.append(IndexMember(name, hdr, data, size))
        prev_end = end
    tail, eoa = obj["tail_frame"], obj["eoa_offset"]
    if type(tail) is not int or not 0 <= tail < len(frames) or type(eoa) is not int or eoa != prev_end:
        raise bad("tail_frame or eoa_offset out of range")
    if eoa + 1024 != d_off:
        raise bad(f"end-of-archive at {eoa} does not end the stream of {d_off} bytes")
    tail_start = frames[tail].d_offset
    first_tail = next((m for m in members if m.header_offset >= tail_start), None)
    if (
        first_tail is None
        or first_tail.header_offset != tail_start
        or first_tail.name != "bagit.txt"
        or any(m.name.startswith("data/") for m in members if m.header_offset >= tail_start)
    ):
        raise bad(f"tail_frame {tail} does not start at bagit.txt after the payload")
    return PackIndex(tuple(frames), tuple(members), tail, eoa, index_offset, index_size)
