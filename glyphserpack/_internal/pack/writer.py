"""Streaming pack writer: tar members in, independent zstd frames out (FORMAT.md §4.1).

Memory stays bounded by ``FRAME_TARGET`` times the number of frames in flight, whatever the
input size: members are read in chunks, cut into frames at fixed offsets, and compressed by
a thread pool (``zstandard`` releases the GIL while compressing) while the next frame fills.
"""

from __future__ import annotations

import collections
import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO

import zstandard

from glyphserpack._internal.pack.frames import IndexMember, encode_index, seek_table
from glyphserpack._internal.pack.tarfmt import EOA, member_header, padding
from glyphserpack.errors import PackError

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
        self._spare: list[bytearray] = []
        self._new_buffer()
        self.d_pos = 0
        self.frames: list[tuple[int, int, bytes]] = []
        self.members: list[IndexMember] = []
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
        self._window = max(2, 2 * threads)
        self._pending: collections.deque[tuple[Future[tuple[bytes, int, bytes]], bytearray]] = collections.deque()

    def _new_buffer(self) -> None:
        # A full-size frame buffer, filled in place (``_put``, ``fill_from``) so it never
        # reallocates. The one handed to a worker is its own until compressed, then comes back
        # to ``_spare``: a fresh 4 MiB bytearray per frame is zero-filled and faulted in, which
        # cost the reading thread a sixth of its time.
        self.buf = self._spare.pop() if self._spare else bytearray(FRAME_TARGET)
        self.view = memoryview(self.buf)
        self.fill = 0

    def _compress(self, data: bytes | bytearray | memoryview) -> tuple[bytes, int, bytes]:
        """Runs in a worker: compress one frame and hash the compressed bytes."""
        cctx = getattr(self._local, "cctx", None)
        if cctx is None:
            cctx = zstandard.ZstdCompressor(level=self.level, write_checksum=True, write_content_size=True)
            self._local.cctx = cctx
        comp = cctx.compress(data)
        return comp, len(data), hashlib.sha256(comp).digest()

    def _drain(self, keep: int) -> None:
        while len(self._pending) > keep:
            future, buf = self._pending.popleft()
            self._emit(*future.result())
            self._spare.append(buf)

    def _emit(self, comp: bytes, d_size: int, sha: bytes) -> None:
        self.out.write(comp)
        self.frames.append((len(comp), d_size, sha))

    def cut(self) -> None:
        """End the current frame (if any) so the next member starts a fresh one.

        The filled part of the buffer goes to a worker, and the buffer is not touched again
        until that frame has been written.
        """
        if not self.fill:
            return
        data = self.view[: self.fill]
        if self._pool is None:
            self._emit(*self._compress(data))
            self._spare.append(self.buf)
        else:
            self._pending.append((self._pool.submit(self._compress, data), self.buf))
            self._drain(self._window)
        self._new_buffer()

    def _advance(self, n: int) -> None:
        self.fill += n
        self.d_pos += n
        if self.fill == FRAME_TARGET:
            self.cut()

    def _put(self, data: bytes | memoryview) -> None:
        # One copy per byte: fill the frame buffer up to the boundary, then hand it over whole.
        view = memoryview(data)
        while view:
            n = min(len(view), FRAME_TARGET - self.fill)
            self.view[self.fill : self.fill + n] = view[:n]
            view = view[n:]
            self._advance(n)

    def fill_from(self, readinto: Callable[[memoryview], int], size: int) -> int:
        """Read up to ``size`` bytes straight into the frame buffer with ``readinto`` (no copy,
        no allocation per chunk; it sees each region once, so it can hash it); returns how many
        arrived before ``readinto`` returned 0."""
        got = 0
        while got < size:
            n = readinto(self.view[self.fill : self.fill + min(size - got, FRAME_TARGET - self.fill)])
            if not n:
                break
            got += n
            self._advance(n)
        return got

    def add_member(
        self, name: str, size: int, content: Iterable[bytes] | Callable[[memoryview], int], mtime: int
    ) -> None:
        """Append one member whose content is ``size`` bytes: chunks, or a ``readinto``-style
        callable (see :meth:`fill_from`). The caller checks that exactly ``size`` bytes came."""
        header = member_header(name, size, mtime)
        total = len(header) + size + padding(size)
        if total > FRAME_TARGET or self.fill + total > FRAME_TARGET:
            self.cut()
        start = self.d_pos
        self._put(header)
        if callable(content):
            got = self.fill_from(content, size)
            if got != size:
                raise PackError(f"member {name}: its source ended after {got} of {size} bytes")
        else:
            for chunk in content:
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
