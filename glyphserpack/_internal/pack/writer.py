"""Streaming pack writer: tar members in, independent zstd frames out (FORMAT.md §4.1).

Memory stays bounded by ``FRAME_TARGET`` times the number of frames in flight, whatever the
input size: members are read in chunks, cut into frames at fixed offsets, and compressed by
a thread pool (``zstandard`` releases the GIL while compressing) while the next frame fills.
"""

from __future__ import annotations

import collections
import hashlib
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO

import zstandard

from glyphserpack._internal.pack.frames import IndexMember, encode_index, seek_table
from glyphserpack._internal.pack.tarfmt import EOA, member_header, padding

__all__ = ["FRAME_TARGET", "FrameSink", "tail_order"]

#: Decompressed bytes per frame: big enough for good ratios, small enough for cheap random access.
FRAME_TARGET = 4 * 1024 * 1024

_TAIL_RANK = (
    ("bagit.txt", 0),
    ("bag-info.txt", 1),
    ("manifest-sha256.txt", 2),
    ("keys/", 3),
    ("trust/", 4),
    ("verification_instructions.txt", 5),
    ("manifest.cbor", 6),
    ("manifest.json", 7),
    ("signatures/", 8),
    ("proofs/", 9),
    ("timestamps/", 10),
    ("tagmanifest-sha256.txt", 11),
)


def tail_order(name: str) -> tuple[int, str]:
    """Sort key of tag files in the tail (FORMAT.md §3.3); unknown names sort last."""
    for prefix, rank in _TAIL_RANK:
        if name == prefix or (prefix.endswith("/") and name.startswith(prefix)):
            return rank, name
    return 99, name


class FrameSink:
    """Accumulates the tar stream, cuts it into frames and writes them compressed, in order."""

    def __init__(self, out: IO[bytes], *, level: int, threads: int) -> None:
        self.out = out
        self.level = level
        self.buf = bytearray()
        self.d_pos = 0
        self.frames: list[tuple[int, int, bytes]] = []
        self.members: list[IndexMember] = []
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
        self._window = max(2, 2 * threads)
        self._pending: collections.deque[Future[tuple[bytes, int, bytes]]] = collections.deque()

    def _compress(self, data: bytearray) -> tuple[bytes, int, bytes]:
        """Runs in a worker: compress one frame and hash the compressed bytes."""
        cctx = getattr(self._local, "cctx", None)
        if cctx is None:
            cctx = zstandard.ZstdCompressor(level=self.level, write_checksum=True, write_content_size=True)
            self._local.cctx = cctx
        comp = cctx.compress(data)
        return comp, len(data), hashlib.sha256(comp).digest()

    def _drain(self, keep: int) -> None:
        while len(self._pending) > keep:
            self._emit(*self._pending.popleft().result())

    def _emit(self, comp: bytes, d_size: int, sha: bytes) -> None:
        self.out.write(comp)
        self.frames.append((len(comp), d_size, sha))

    def _submit(self, data: bytearray) -> None:
        """Hand ``data`` over to a worker; the caller must not touch it afterwards."""
        if self._pool is None:
            self._emit(*self._compress(data))
            return
        self._pending.append(self._pool.submit(self._compress, data))
        self._drain(self._window)

    def cut(self) -> None:
        """End the current frame (if any) so the next member starts a fresh one."""
        if self.buf:
            self._submit(self.buf)
            self.buf = bytearray()

    def _put(self, data: bytes | memoryview) -> None:
        # One copy per byte: fill the frame buffer up to the boundary, then hand it over whole.
        view = memoryview(data)
        self.d_pos += len(view)
        while view:
            take = view[: FRAME_TARGET - len(self.buf)]
            self.buf += take
            view = view[len(take) :]
            if len(self.buf) == FRAME_TARGET:
                self._submit(self.buf)
                self.buf = bytearray()

    def add_member(self, name: str, size: int, chunks: Iterable[bytes], mtime: int) -> None:
        """Append one member; ``chunks`` must yield exactly ``size`` bytes (checked by the caller)."""
        header = member_header(name, size, mtime)
        total = len(header) + size + padding(size)
        if total > FRAME_TARGET or len(self.buf) + total > FRAME_TARGET:
            self.cut()
        start = self.d_pos
        self._put(header)
        for chunk in chunks:
            self._put(chunk)
        self._put(b"\0" * padding(size))
        self.members.append(IndexMember(name, start, start + len(header), size))

    def copy_frame(self, comp: bytes, d_size: int, sha: bytes) -> None:
        """Re-emit an existing frame verbatim (attachments rewrite only the tail)."""
        self._drain(0)
        self.out.write(comp)
        self.frames.append((len(comp), d_size, sha))
        self.d_pos += d_size

    def write_tail(self, files: Mapping[str, bytes], mtime: int) -> None:
        """Tag files in tail order, the end-of-archive blocks, then index and seek table."""
        self.cut()
        self._drain(0)
        tail_frame = len(self.frames)
        for name in sorted(files, key=tail_order):
            self.add_member(name, len(files[name]), [files[name]], mtime)
        eoa = self.d_pos
        self._put(EOA)
        self.cut()
        self._drain(0)
        if self._pool is not None:
            self._pool.shutdown()
        index = encode_index(self.frames, self.members, tail_frame, eoa)
        self.out.write(index)
        self.out.write(seek_table([(c, d) for c, d, _ in self.frames] + [(len(index), 0)]))

    def abort(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
