"""Recovering frame boundaries when the index or seek table is damaged (FORMAT.md §7, step 2a).

Without the trailer we still know where frames are: every zstd frame header and block header
states its own length (RFC 8878 §3.1). Walking them from offset 0 rebuilds the frame list, and
each frame's content checksum (always written) stands in for the lost SHA-256, so salvage can
continue past damage to the trailer. ``zstandard`` exposes no frame walker, hence this code.
"""

from __future__ import annotations

import hashlib
import os
import struct

from glyphserpack._internal.pack.frames import FrameEntry, PackIndex

__all__ = ["walk"]

_ZSTD = 0xFD2FB528
_MAX_BLOCK = 128 * 1024


def _frame_length(fd: int, offset: int, end: int) -> tuple[int, int] | None:
    """(compressed length, declared content size) of the zstd frame at ``offset``, or None."""
    head = os.pread(fd, 18, offset)
    if len(head) < 6 or struct.unpack_from("<I", head)[0] != _ZSTD:
        return None
    fhd = head[4]
    fcs_flag, single, checksum, dict_flag = fhd >> 6, (fhd >> 5) & 1, (fhd >> 2) & 1, fhd & 3
    if fhd & 0x08:
        return None
    pos = 5 + (0 if single else 1) + (0, 1, 2, 4)[dict_flag]
    fcs_len = (1 if single else 0, 2, 4, 8)[fcs_flag]
    if fcs_len == 0 or pos + fcs_len > len(head):
        return None
    size = int.from_bytes(head[pos : pos + fcs_len], "little") + (256 if fcs_len == 2 else 0)
    p = offset + pos + fcs_len
    while True:
        bh = os.pread(fd, 3, p)
        if len(bh) < 3:
            return None
        value = int.from_bytes(bh, "little")
        last, btype, bsize = value & 1, (value >> 1) & 3, value >> 3
        if btype == 3 or bsize > _MAX_BLOCK:
            return None
        p += 3 + (1 if btype == 1 else bsize)
        if p > end:
            return None
        if last:
            break
    p += 4 if checksum else 0
    return (p - offset, size) if p <= end else None


def walk(fd: int, size: int) -> PackIndex:
    """Frames found by walking headers, until the first skippable frame or unreadable bytes.

    Damaged frames are kept (their length is known as long as block headers survive); their
    recomputed SHA-256 lets them through the hash check so decompression itself reports them.
    """
    frames: list[FrameEntry] = []
    c_off = d_off = 0
    while c_off < size:
        found = _frame_length(fd, c_off, size)
        if found is None:
            break
        c_len, d_len = found
        sha = hashlib.sha256(os.pread(fd, c_len, c_off)).digest()
        frames.append(FrameEntry(c_off, c_len, d_off, d_len, sha))
        c_off += c_len
        d_off += d_len
    return PackIndex(tuple(frames), (), 0, -1, c_off, 0)
