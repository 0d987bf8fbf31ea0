"""Comparing a pack with its parity sidecar: which blocks are bad, and is that repairable."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from glyphserpack._internal.parity.sidecar import Geometry, Header, HeaderProblem, read_header
from glyphserpack.errors import InputError
from glyphserpack.findings import Finding, finding

__all__ = ["ParityStatus", "assess", "merge_ranges"]

#: Called with the number of bytes just read (audit rate limiting).
ReadHook = Callable[[int], None]
_RUN_BYTES = 8 << 20
_HASH_THREADS = 2


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _fmt(ranges: list[tuple[int, int]], limit: int = 8) -> str:
    text = ", ".join(f"{lo}-{hi}" for lo, hi in ranges[:limit])
    return text + (f" and {len(ranges) - limit} more" if len(ranges) > limit else "")


@dataclass
class ParityStatus:
    """What the sidecar says about the pack (or only about the blocks sampled)."""

    pack: str
    sidecar: str
    header: Header | None = None
    header_notes: list[str] = field(default_factory=list)
    actual_size: int = 0
    bad_blocks: list[int] = field(default_factory=list)
    bad_parity: list[int] = field(default_factory=list)
    lost_blocks: list[int] = field(default_factory=list)
    checked_blocks: int = 0
    checked_bytes: int = 0

    @property
    def geometry(self) -> Geometry | None:
        return self.header.geometry if self.header is not None else None

    @property
    def trailing(self) -> int:
        g = self.geometry
        return max(0, self.actual_size - g.pack_size) if g is not None else 0

    @property
    def intact(self) -> bool:
        """Pack and sidecar both exactly as protected (as far as checked)."""
        return (
            self.header is not None
            and not self.header_notes
            and not self.bad_blocks
            and not self.bad_parity
            and self.trailing == 0
        )

    @property
    def pack_intact(self) -> bool:
        return self.header is not None and not self.bad_blocks and self.trailing == 0

    @property
    def repairable(self) -> bool:
        return self.header is not None and not self.lost_blocks

    def block_ranges(self, blocks: Iterable[int]) -> list[tuple[int, int]]:
        g = self.geometry
        assert g is not None
        return merge_ranges(g.block_range(i) for i in blocks)

    def findings(self) -> list[Finding]:
        """GSP-E5xx findings for a verification report or an audit log entry."""
        where = self.sidecar
        if self.header is None:
            return [finding("GSP-E501", where, "; ".join(self.header_notes) or "no usable header copy")]
        out: list[Finding] = []
        g = self.header.geometry
        if self.header_notes:
            out.append(finding("GSP-E502", where, "; ".join(self.header_notes)))
        if self.actual_size < g.pack_size:
            out.append(
                finding("GSP-E508", self.pack, f"pack has {self.actual_size} bytes, parity records {g.pack_size}")
            )
        elif self.trailing:
            out.append(finding("GSP-E508", self.pack, f"{self.trailing} bytes after the protected {g.pack_size}"))
        if self.bad_blocks:
            out.append(
                finding(
                    "GSP-E503",
                    self.pack,
                    f"{len(self.bad_blocks)} of {g.data_blocks} blocks differ from their SHA-256: pack bytes "
                    + _fmt(self.block_ranges(self.bad_blocks)),
                )
            )
        if self.bad_parity:
            out.append(finding("GSP-E506", where, f"{len(self.bad_parity)} of {g.parity_blocks} parity blocks damaged"))
        if self.lost_blocks:
            out.append(
                finding(
                    "GSP-E505",
                    self.pack,
                    f"more than {g.m} erasures in a stripe; cannot restore pack bytes "
                    + _fmt(self.block_ranges(self.lost_blocks)),
                )
            )
        elif not self.intact:
            out.append(finding("GSP-E504", self.pack, "damage within the parity budget: run glyphserpack repair"))
        return out


def _read_block(fd: int, g: Geometry, i: int) -> bytes:
    lo, hi = g.block_range(i)
    return os.pread(fd, hi - lo, lo)


_buffers = threading.local()


def _bad_in_run(fd: int, h: Header, first: int, last: int) -> tuple[list[int], int]:
    """Bad data blocks among ``first..last-1`` (read in one go), and the bytes read.

    Each thread reads into one buffer it keeps: a fresh 8 MiB ``bytes`` per run would cost
    a page fault per 4 KiB, which took more system time than the hashing saved.
    """
    g = h.geometry
    lo, hi = g.block_range(first)[0], g.block_range(last - 1)[1]
    buf: bytearray | None = getattr(_buffers, "buf", None)
    if buf is None or len(buf) < hi - lo:
        buf = _buffers.buf = bytearray(hi - lo)
    n = os.preadv(fd, [memoryview(buf)[: hi - lo]], lo)
    view = memoryview(buf)[:n]
    bad: list[int] = []
    for i in range(first, last):
        a, b = g.block_range(i)
        block = view[a - lo : b - lo]
        if len(block) != b - a or hashlib.sha256(block).digest() != h.block_sha256[i]:
            bad.append(i)
    return bad, n


def _check_all(fd: int, h: Header, status: ParityStatus) -> None:
    """Every data block, hashed by two threads (``hashlib`` releases the GIL), in runs of 8 MiB.

    This is what ``verify`` and ``repair`` wait for; on two cores it takes half the time.
    """
    g = h.geometry
    per_run = max(1, _RUN_BYTES // g.block_size)
    runs = [(a, min(g.data_blocks, a + per_run)) for a in range(0, g.data_blocks, per_run)]
    workers = max(1, min(_HASH_THREADS, os.cpu_count() or 1, len(runs)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="glyphserpack-assess") as pool:
        for bad, n in pool.map(lambda r: _bad_in_run(fd, h, *r), runs):
            status.bad_blocks.extend(bad)
            status.checked_bytes += n
    status.checked_blocks += g.data_blocks


def assess(
    pack: Path,
    sidecar: Path,
    *,
    blocks: Iterable[int] | None = None,
    parity_blocks: Iterable[int] | None = None,
    on_read: ReadHook | None = None,
) -> ParityStatus:
    """Check every block (or only ``blocks`` / ``parity_blocks``) against the sidecar's hashes."""
    pack, sidecar = Path(pack), Path(sidecar)
    status = ParityStatus(pack=pack.name, sidecar=sidecar.name)
    try:
        pfd = os.open(pack, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"pack {pack.name}: cannot open ({exc.strerror})") from None
    try:
        sfd = os.open(sidecar, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        os.close(pfd)
        raise InputError(f"parity {sidecar.name}: cannot open ({exc.strerror})") from None
    try:
        status.actual_size = os.fstat(pfd).st_size
        try:
            status.header, status.header_notes = read_header(sfd)
        except HeaderProblem as exc:
            status.header_notes = [str(exc)]
            return status
        h = status.header
        g = h.geometry
        one_by_one: Iterable[int] = range(g.data_blocks) if blocks is None else sorted(set(blocks))
        if blocks is None and on_read is None:
            _check_all(pfd, h, status)
            one_by_one = ()
        for i in one_by_one:
            data = _read_block(pfd, g, i)
            status.checked_blocks += 1
            status.checked_bytes += len(data)
            if on_read is not None:
                on_read(len(data))
            lo, hi = g.block_range(i)
            if len(data) != hi - lo or hashlib.sha256(data).digest() != h.block_sha256[i]:
                status.bad_blocks.append(i)
        for q in range(g.parity_blocks) if parity_blocks is None else sorted(set(parity_blocks)):
            data = os.pread(sfd, g.block_size, h.parity_block_offset(q))
            status.checked_bytes += len(data)
            if on_read is not None:
                on_read(len(data))
            if hashlib.sha256(data).digest() != h.parity_sha256[q]:
                status.bad_parity.append(q)
        status.lost_blocks = lost_blocks(g, status.bad_blocks, status.bad_parity)
    finally:
        os.close(pfd)
        os.close(sfd)
    return status


def lost_blocks(g: Geometry, bad: Iterable[int], bad_parity: Iterable[int]) -> list[int]:
    """Bad data blocks in stripes with more erasures than parity shards."""
    per_stripe: dict[int, list[int]] = {}
    for i in bad:
        per_stripe.setdefault(i % g.stripes, []).append(i)
    count = {s: len(v) for s, v in per_stripe.items()}
    for q in bad_parity:
        count[q // g.m] = count.get(q // g.m, 0) + 1
    return sorted(i for s, v in per_stripe.items() if count[s] > g.m for i in v)
