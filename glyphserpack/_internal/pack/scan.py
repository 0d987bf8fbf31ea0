"""One streaming pass over every frame: frame hashes, strict tar parsing, member hashes.

Frames are checked and decompressed by a thread pool a few frames ahead of the parser, so a
pass costs about one decompression and one SHA-256 of the data while memory stays bounded.
A damaged frame becomes a *gap*: the members it touches are reported with the damaged byte
ranges, and parsing resumes at the next member header the index names (FORMAT.md §7 step 5).

A recovered pack (step 2a) has no index to name headers, and what a gap held is unknown. There
the member a gap cuts is reported from the first lost byte to its end, and parsing *probes*:
every 512-byte block of the following frames, counted from each frame's start, is a candidate
header, accepted only if it is a valid normalized header, until one is (FORMAT.md §7 step 5).
"""

from __future__ import annotations

import bisect
import collections
import hashlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import BinaryIO

from glyphserpack._internal.pack.frames import IndexMember, PackIndex
from glyphserpack._internal.pack.reader import FrameDamage, RawPack
from glyphserpack._internal.pack.tarfmt import (
    BLOCK,
    PAX_LIMIT,
    HeaderProblem,
    member_name,
    padding,
    parse_pax,
    parse_ustar,
)

__all__ = ["Opener", "Problem", "ScanResult", "Scanned", "scan"]

Problem = tuple[str, str, str]
#: Called when a member starts; returns a file to stream its content into, or None.
Opener = Callable[[str, int], BinaryIO | None]


@dataclass(slots=True)
class Scanned:
    """What the stream really holds for one member."""

    name: str
    header_offset: int
    data_offset: int
    size: int
    mtime: int = 0
    sha256: str | None = None
    damaged: list[tuple[int, int]] = field(default_factory=list)
    data: bytes | None = None


@dataclass
class ScanResult:
    members: list[Scanned]
    problems: list[Problem]
    damaged_frames: list[int]


_HDR, _PAX, _HDR2, _DATA, _PAD, _EOA, _DONE, _SKIP = range(8)
#: Where every header's ustar magic and version lie (FORMAT.md §3.2): what probing looks for.
_USTAR_MAGIC, _MAGIC_AT = b"ustar\x0000", 257
#: Compared against rather than ``any(block)``, which walks the block byte by byte in Python.
_ZERO_BLOCK = bytes(BLOCK)


class _TarScanner:
    def __init__(self, index: PackIndex, capture: Callable[[str], bool], opener: Opener | None) -> None:
        self.index = index
        self.by_header = {m.header_offset: m for m in index.members}
        self.layout_known = index.eoa_offset >= 0
        if self.layout_known:
            self.header_offsets = [m.header_offset for m in index.members] + [index.eoa_offset]
        else:  # recovered pack: headers lie on 512-byte blocks counted from each frame's start
            self.header_offsets = [f.d_offset for f in index.frames]
            self.frame_ends = [f.d_offset + f.d_size for f in index.frames]
        self.capture = capture
        self.opener = opener
        self.members: list[Scanned] = []
        self.problems: list[Problem] = []
        self.seen: set[str] = set()
        self.state = _HDR
        self.need = BLOCK
        self.hbuf = bytearray()
        self.pos = 0
        self.start = 0
        self.pax: dict[str, bytes] = {}
        self.cur: Scanned | None = None
        self.hasher: hashlib._Hash | None = None
        self.cap: bytearray | None = None
        self.out: BinaryIO | None = None
        self.remaining = 0
        self.reported_trailing = False
        self.pax_len = 0
        self.skip_to = 0
        self.probing = False
        #: The end-of-archive marker has been read where it belongs.
        self.ended = False

    def problem(self, code: str, where: str, detail: str) -> None:
        self.problems.append((code, where, detail))

    def feed(self, data: bytes) -> None:
        mv = memoryview(data)
        i = 0
        n = len(mv)
        while i < n:
            st = self.state
            if st == _SKIP:
                k = min(n - i, self.skip_to - self.pos)
            elif st == _DATA:
                k = min(n - i, self.remaining)
                chunk = mv[i : i + k]
                if self.hasher is not None:
                    self.hasher.update(chunk)
                if self.cap is not None:
                    self.cap += chunk
                if self.out is not None:
                    self.out.write(chunk)
                self.remaining -= k
            elif st == _PAD:
                k = min(n - i, self.remaining)
                if mv[i : i + k] != _ZERO_BLOCK[:k]:
                    self.problem("GSP-E124", self._where(), "non-zero padding after member data")
                self.remaining -= k
            elif st == _DONE:
                if not self.reported_trailing and any(mv[i:]):
                    self.reported_trailing = True
                    self.problem("GSP-E120", f"stream@{self.pos + 0}", "data after the tar end-of-archive marker")
                k = n - i
            elif st == _HDR and self.probing and not self.hbuf:
                k = self._probe(data, i, n)
                if k == 0:
                    k = min(n - i, self.need)
                    self.hbuf += mv[i : i + k]
                else:
                    self.start = self.pos + k
            elif not self.hbuf and n - i >= self.need:
                # A whole header block (or pax record) in this chunk: no staging copy.
                k = self.need
                i += k
                self.pos += k
                self._on_header_bytes(st, bytes(data[i - k : i]))
                continue
            else:
                k = min(n - i, self.need - len(self.hbuf))
                self.hbuf += mv[i : i + k]
            i += k
            self.pos += k
            self._advance()

    def _probe(self, data: bytes, i: int, n: int) -> int:
        """Bytes to skip from ``data[i]`` (a candidate block) to the next block worth parsing.

        A fast pre-filter for probing: only blocks with the ustar magic at offset 257, or the
        one where the end-of-archive marker must lie, can pass :meth:`_on_block`.
        """
        frame_left = self.frame_ends[bisect.bisect_right(self.header_offsets, self.pos) - 1] - self.pos
        skip = min(n - i, frame_left)
        if skip < frame_left:  # the chunk ends inside the frame: parse its last block whole
            skip -= skip % BLOCK
        eoa = self.index.d_total - 2 * BLOCK - self.pos
        if 0 <= eoa < skip and eoa % BLOCK == 0:
            skip = eoa
        end = i + skip + _MAGIC_AT + len(_USTAR_MAGIC)
        at = data.find(_USTAR_MAGIC, i + _MAGIC_AT, end)
        while at >= 0 and (at - _MAGIC_AT - i) % BLOCK:
            at = data.find(_USTAR_MAGIC, at + 1, end)
        return at - _MAGIC_AT - i if at >= 0 else skip

    def _where(self) -> str:
        return self.cur.name if self.cur is not None else f"stream@{self.start}"

    def _advance(self) -> None:
        st = self.state
        if st == _SKIP and self.pos == self.skip_to:
            self._to_header()
        elif st == _DATA and self.remaining == 0:
            self._end_member()
        elif st == _PAD and self.remaining == 0:
            self._to_header()
        elif st in (_HDR, _PAX, _HDR2, _EOA) and len(self.hbuf) == self.need:
            block = bytes(self.hbuf)
            self.hbuf.clear()
            self._on_header_bytes(st, block)

    def _on_header_bytes(self, st: int, block: bytes) -> None:
        try:
            self._on_block(st, block)
        except HeaderProblem as exc:
            # While probing (recovered pack, after damage) blocks are only candidate headers.
            if not self.probing:
                self.problem(exc.code, f"stream@{self.start}", exc.detail)
            self._resync(self.start + 1)

    def _to_header(self) -> None:
        self.state, self.need, self.start = _HDR, BLOCK, self.pos
        self.pax = {}
        self.hbuf.clear()

    def _resync(self, at: int) -> None:
        """Continue at the first member header the index places at or after ``at``.

        Without an index (recovered pack), probe from the first block at or after ``at``.
        """
        self._close_out()
        self.cur = None
        if self.layout_known:
            i = bisect.bisect_left(self.header_offsets, at)
            target = self.header_offsets[i] if i < len(self.header_offsets) else -1
        else:
            # Blocks already read (a rejected candidate's pax records) cannot be probed again.
            at = max(at, self.pos)
            self.probing = True
            i = bisect.bisect_right(self.header_offsets, at) - 1
            start, end = self.header_offsets[i], self.frame_ends[i]
            target = min(start - (start - at) // BLOCK * BLOCK, end)
            if target >= self.index.d_total:
                target = -1
        if target < 0:
            self.state = _DONE
            self.reported_trailing = True
            return
        if target == self.pos:
            self._to_header()
        elif target > self.pos:
            self.state, self.skip_to = _SKIP, target
        else:
            self.state = _DONE
            self.reported_trailing = True

    def _on_block(self, st: int, block: bytes) -> None:
        if st == _EOA:
            if block != _ZERO_BLOCK:
                raise HeaderProblem("GSP-E124", "end-of-archive marker is not two zero blocks")
            self.state = _DONE
            self.ended = True
            return
        if st == _PAX:
            self.pax = parse_pax(block[: self.pax_len])
            self.state, self.need = _HDR2, BLOCK
            return
        if st == _HDR and block == _ZERO_BLOCK:
            if not self.layout_known and self.start + 2 * BLOCK != self.index.d_total:
                # Recovered pack: the marker ends the last frame; elsewhere it is not a header.
                raise HeaderProblem("GSP-E119", "zero block before the end of the recovered stream")
            if self.layout_known and self.start != self.index.eoa_offset:
                self.problem("GSP-E119", f"stream@{self.start}", "end-of-archive marker where the index expects more")
            self.state, self.need = _EOA, BLOCK
            return
        hdr = parse_ustar(block)
        if self.probing and not hdr.normalized:
            raise HeaderProblem("GSP-E124", "candidate header is not normalized")
        if hdr.typeflag == b"x":
            if st == _HDR2:
                raise HeaderProblem("GSP-E124", "two pax headers in a row")
            if hdr.size > PAX_LIMIT:
                raise HeaderProblem("GSP-E124", f"pax header of {hdr.size} bytes is over the {PAX_LIMIT} cap")
            self.pax_len = hdr.size
            self.state, self.need = _PAX, hdr.size + padding(hdr.size)
            if self.need == 0:
                self.state, self.need = _HDR2, BLOCK
            return
        raw_name = self.pax.get("path", hdr.name)
        size = hdr.size
        if "size" in self.pax:
            try:
                size = int(self.pax["size"])
            except ValueError:
                raise HeaderProblem("GSP-E124", "pax size record is not a number") from None
        name = member_name(raw_name)
        if not hdr.normalized:
            self.problem("GSP-E124", name, "tar header fields are not the normalized values (FORMAT.md §3.2)")
        self._begin(name, size, hdr.mtime)

    def _begin(self, name: str, size: int, mtime: int) -> None:
        self.probing = False
        cur = Scanned(name, self.start, self.pos, size, mtime)
        duplicate = name in self.seen
        if duplicate:
            self.problem("GSP-E109", name, "member appears more than once in the stream")
        self.seen.add(name)
        expected = self.by_header.get(self.start)
        got = IndexMember(name, self.start, self.pos, size)
        if self.layout_known and expected != got:
            self.problem("GSP-E103", name, f"index entry {expected} does not match the stream {got}")
        self.cur = cur
        self.hasher = hashlib.sha256()
        self.cap = bytearray() if self.capture(name) else None
        self.out = self.opener(name, size) if self.opener is not None and not duplicate else None
        self.members.append(cur)
        self.state, self.remaining = _DATA, size
        if size == 0:
            self._end_member()

    def _close_out(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None

    def _end_member(self) -> None:
        cur = self.cur
        assert cur is not None
        if self.hasher is not None and not cur.damaged:
            cur.sha256 = self.hasher.hexdigest()
        if self.cap is not None and not cur.damaged:
            cur.data = bytes(self.cap)
        self._close_out()
        self.hasher = self.cap = None
        self.state, self.remaining = _PAD, padding(cur.size)
        if self.remaining == 0:
            self._to_header()

    def gap(self, d0: int, d1: int) -> None:
        """Frame bytes ``[d0, d1)`` are unusable: mark every member they touch, then resync."""
        self.pos = d0
        cur = self.cur if self.state in (_DATA, _PAD) else None
        if cur is not None and self.state == _DATA and not self.layout_known:
            # What follows cannot be placed in the member: the rest of it is lost.
            cur.damaged.append((cur.size - self.remaining, cur.size))
            cur.sha256 = None
        for m in self.index.members:
            if m.header_offset < d1 and m.end > d0:
                lo = max(d0, m.data_offset) - m.data_offset
                hi = min(d1, m.data_offset + m.size) - m.data_offset
                rng = (max(0, lo), max(0, min(hi, m.size)))
                if cur is not None and cur.header_offset == m.header_offset:
                    cur.damaged.append(rng)
                    cur.sha256 = None
                elif m.header_offset >= d0:
                    self.members.append(Scanned(m.name, m.header_offset, m.data_offset, m.size, damaged=[rng]))
                    self.seen.add(m.name)
        if cur is not None and self.state == _DATA:
            self.hasher = None
        self.probing = not self.layout_known
        self._resync(d1)
        self.pos = d1
        if self.state == _SKIP and self.skip_to == d1:
            self._to_header()

    def finish(self) -> None:
        self._close_out()
        if self.state != _DONE:
            self.problem("GSP-E119", f"stream@{self.pos}", "tar stream ends before its end-of-archive marker")


def scan(
    raw: RawPack,
    *,
    threads: int = 2,
    capture: Callable[[str], bool] = lambda name: False,
    opener: Opener | None = None,
) -> ScanResult:
    """Check every frame and parse every member, streaming, with ``threads`` decompressors."""
    scanner = _TarScanner(raw.index, capture, opener)
    frames = raw.index.frames
    damaged: list[int] = []

    def work(i: int) -> bytes | FrameDamage:
        try:
            return raw.frame(i)
        except FrameDamage as exc:
            return exc

    window = max(2, 2 * threads)
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        pending: collections.deque[Future[bytes | FrameDamage]] = collections.deque()
        nxt = 0
        for i in range(len(frames)):
            while nxt < len(frames) and len(pending) < window:
                pending.append(pool.submit(work, nxt))
                nxt += 1
            result = pending.popleft().result()
            if isinstance(result, FrameDamage) and result.data is not None:
                scanner.problem(result.code, f"frame {i}", result.detail)
                scanner.feed(result.data)
            elif isinstance(result, FrameDamage) and frames[i].gap and scanner.ended:
                pass  # unreadable bytes after the tar stream: the damaged trailer, already reported
            elif isinstance(result, FrameDamage):
                damaged.append(i)
                scanner.problem(result.code, f"frame {i}", result.detail)
                scanner.gap(frames[i].d_offset, frames[i].d_offset + frames[i].d_size)
            else:
                scanner.feed(result)
    scanner.finish()
    members = sorted(scanner.members, key=lambda s: s.header_offset)
    return ScanResult(members, scanner.problems, damaged)
