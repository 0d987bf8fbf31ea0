"""Recovering frame boundaries when the index or seek table is damaged (FORMAT.md §7, step 2a).

Without the trailer we still know where frames are: every zstd frame header and block header
states its own length (RFC 8878 §3.1), so walking them from offset 0 rebuilds the frame list.
Each frame's content checksum (always written) stands in for the lost SHA-256, so salvage
can continue past damage to the trailer. ``zstandard`` exposes no frame walker, hence this code.

Bit rot in a frame's own headers must not end the walk there: the frames after it are usually
intact. So where no frame walks cleanly, the walker *resynchronises*: it searches forward for
the next zstd magic at which a complete frame walks cleanly, decompresses to exactly its
declared size and matches its content checksum. A chance magic inside compressed data almost
never passes all three; if a candidate fails, the search goes on from the byte after it. The
skipped bytes become a *gap* entry (``FrameEntry.gap``): a stretch of unknown content that
reading reports as damaged, so the scanner names the members it cuts and probes for the next
member header after it (``scan.py``).

The walk stops cleanly at the trailer: when no verified frame follows, the first skippable
frame magic (0x184D2A50-0x184D2A5F: the index 0x184D2A5B, the seek table 0x184D2A5E) ends the
data frames. Memory stays bounded (one frame at a time, 1 MiB search windows), and time stays
linear in the file size even for a hostile file full of plausible-looking frames, because the
frames tried while resynchronising are charged against a budget of the file size plus 64 MiB.
"""

from __future__ import annotations

import hashlib
import os
import re

import zstandard

from glyphserpack._internal.pack.frames import MAX_FRAME_BYTES, ZSTD_MAGIC, FrameEntry, PackIndex, compress_bound

__all__ = ["walk"]

#: RFC 8878 Block_Maximum_Size: no block may state more than 128 KiB.
_MAX_BLOCK = 128 * 1024
#: Longest frame the walker accepts: the content cap plus what zstd can add to incompressible data.
_MAX_FRAME_COMPRESSED = compress_bound(MAX_FRAME_BYTES)
#: Bytes read per step of the forward search, and ahead of each block header.
_WINDOW = 1024 * 1024
_READ_AHEAD = 4096
#: What resynchronising may spend on candidate frames beyond the file size (FORMAT.md §7 2a).
_BUDGET_SLACK = 64 * 1024 * 1024
_SKIPPABLE = re.compile(rb"[\x50-\x5f]\x2a\x4d\x18", re.DOTALL)


def _is_skippable(head: bytes) -> bool:
    return len(head) >= 4 and _SKIPPABLE.match(head) is not None


class _Walker:
    """Frame checks over one open file, with the resynchronisation budget."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size
        self.budget = size + _BUDGET_SLACK
        self.verified_at = -1
        #: Whether the last :meth:`frame_at` failed only because the file ends inside the frame.
        self.cut = False

    def frame_at(self, offset: int) -> tuple[int, int, int]:
        """(compressed length, content size, bytes walked); length 0 unless a frame walks cleanly.

        Walking cleanly means: zstd magic; frame header with the reserved bit clear, the
        checksum flag set, no dictionary and a content size of at most 64 MiB; block headers
        of a known type stating at most 128 KiB each, up to the last block; then the 4-byte
        checksum; all inside the file and at most _MAX_FRAME_COMPRESSED bytes in all.
        """
        self.cut = False
        head = os.pread(self.fd, 14, offset)
        if len(head) < 6 or head[:4] != ZSTD_MAGIC:
            return 0, 0, 4
        fhd = head[4]
        fcs_flag, single, checksum, dict_flag = fhd >> 6, (fhd >> 5) & 1, (fhd >> 2) & 1, fhd & 3
        fcs_len = (1 if single else 0, 2, 4, 8)[fcs_flag]
        pos = 5 + (0 if single else 1)
        if fhd & 0x08 or not checksum or dict_flag or fcs_len == 0 or pos + fcs_len > len(head):
            return 0, 0, 5
        content = int.from_bytes(head[pos : pos + fcs_len], "little") + (256 if fcs_len == 2 else 0)
        if content > MAX_FRAME_BYTES:
            return 0, 0, pos + fcs_len
        end = min(self.size, offset + _MAX_FRAME_COMPRESSED)
        p = offset + pos + fcs_len
        buf, at = b"", p  # read-ahead, so that runs of tiny blocks cost no system call each
        while True:
            if p + 3 > at + len(buf):
                buf, at = os.pread(self.fd, _READ_AHEAD, p), p
                if len(buf) < 3:
                    self.cut = True
                    return 0, 0, p - offset
            value = int.from_bytes(buf[p - at : p - at + 3], "little")
            last, btype, bsize = value & 1, (value >> 1) & 3, value >> 3
            if btype == 3 or bsize > _MAX_BLOCK:
                return 0, 0, p - offset
            p += 3 + (1 if btype == 1 else bsize)
            if p > end:
                self.cut = p > self.size
                return 0, 0, p - offset
            if last:
                break
        p += 4
        self.cut = p > self.size
        return (p - offset, content, p - offset) if p <= end else (0, 0, p - offset)

    def verified(self, offset: int, c_len: int, content: int) -> bool:
        """Whether the frame decompresses to exactly ``content`` bytes with a matching checksum."""
        if offset == self.verified_at:
            return True
        comp = os.pread(self.fd, c_len, offset)
        try:
            data = zstandard.ZstdDecompressor().decompress(comp, max_output_size=max(content, 1))
        except (zstandard.ZstdError, MemoryError):
            return False
        if len(data) != content:
            return False
        self.verified_at = offset
        return True

    def starts_frame(self, offset: int) -> bool:
        """Whether the bytes at ``offset`` begin with a zstd or skippable frame magic."""
        head = os.pread(self.fd, 4, offset)
        return head == ZSTD_MAGIC or _is_skippable(head)

    def next_verified(self, start: int) -> int | None:
        """The first offset at or after ``start`` where a verified frame begins (None: none, or over budget)."""
        pos = start
        while pos + 4 <= self.size:
            window = os.pread(self.fd, _WINDOW + 3, pos)
            j = window.find(ZSTD_MAGIC)
            while j >= 0:
                if self.budget <= 0:
                    return None
                c_len, content, walked = self.frame_at(pos + j)
                self.budget -= walked
                if c_len and self.verified(pos + j, c_len, content):
                    return pos + j
                j = window.find(ZSTD_MAGIC, j + 1)
            pos += _WINDOW
        return None

    def next_skippable(self, start: int) -> int:
        """The first offset at or after ``start`` holding a skippable-frame magic, else the file size."""
        pos = start
        while pos + 4 <= self.size:
            found = _SKIPPABLE.search(os.pread(self.fd, _WINDOW + 3, pos))
            if found is not None:
                return pos + found.start()
            pos += _WINDOW
        return self.size

    def sha256(self, offset: int, c_len: int) -> bytes:
        return hashlib.sha256(os.pread(self.fd, c_len, offset)).digest()


def walk(fd: int, size: int) -> PackIndex:
    """Frames found by walking headers from offset 0, unreadable stretches as gaps, up to the trailer.

    Each step (lettered as in FORMAT.md §7 step 2a):

    (a) If a frame walks cleanly at the current offset and is followed by the end of the
        file, a zstd magic or a skippable magic, it is taken as is (its content is checked
        when it is read); followed by anything else, it is taken only if it is verified.
    (b) Otherwise the current offset starts unreadable bytes: search forward from the next
        byte for a verified frame; the bytes up to it are a gap, and the walk goes on there.
    (c) If none follows, the data frames are over: the trailer starts at the first skippable
        magic at or after the current offset (the end of the file if there is none), and any
        bytes before it are a final gap, *truncated* if they reach the end of the file and
        begin with a frame that would walk cleanly but for the file ending inside it.

    Frames taken in (a) may still be damaged; their recomputed SHA-256 lets them through the
    hash check so that decompression itself reports them.
    """
    w = _Walker(fd, size)
    frames: list[FrameEntry] = []
    c_off = d_off = 0

    def gap(end: int, why: str) -> None:
        frames.append(FrameEntry(c_off, end - c_off, d_off, 0, b"", gap=why))

    while c_off < size:
        # (a) A frame that walks cleanly here.
        c_len, content, _ = w.frame_at(c_off)
        cut = w.cut
        if c_len:
            nxt = c_off + c_len
            if nxt == size or w.starts_frame(nxt) or w.verified(c_off, c_len, content):
                frames.append(FrameEntry(c_off, c_len, d_off, content, w.sha256(c_off, c_len)))
                c_off, d_off = nxt, d_off + content
                continue
        # (b) Unreadable bytes (or the trailer): resynchronise at the next verified frame.
        found = w.next_verified(c_off + 1)
        if found is not None:
            gap(found, "unreadable")
            c_off = found
            continue
        # (c) Nothing verifiable follows: the trailer starts at the first skippable magic.
        trailer = c_off if _is_skippable(os.pread(fd, 4, c_off)) else w.next_skippable(c_off + 1)
        if trailer > c_off:
            gap(trailer, "truncated" if cut and trailer == size else "unreadable")
        c_off = trailer
        break
    return PackIndex(tuple(frames), (), 0, -1, c_off, 0)
