"""Restoring a damaged pack (and its sidecar) byte for byte from the Reed–Solomon parity.

Bad blocks are known from their SHA-256, so they are *erasures*: each stripe can lose up to
``m`` of its ``k + m`` blocks, whichever they are (data, or parity). Every restored block is
checked against its recorded SHA-256 and every block written is hashed again, so a repair
either reproduces the protected bytes exactly or stops with an error; it never guesses.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from glyphserpack._internal.fsio import atomic_writer, refuse_output_inside
from glyphserpack._internal.parity import bitslice
from glyphserpack._internal.parity.check import ParityStatus, assess
from glyphserpack._internal.parity.kcopy import copy_range
from glyphserpack._internal.parity.rs import decode_matrix
from glyphserpack._internal.parity.sidecar import Header, back, front
from glyphserpack.errors import InputError, PackError
from glyphserpack.parity.encode import sidecar_path

__all__ = ["RepairResult", "repair"]


@dataclass
class RepairResult:
    """Outcome of :func:`repair`: either a byte-identical pack, or precisely what is lost."""

    status: ParityStatus
    repaired: bool
    output: Path | None = None
    sidecar_output: Path | None = None
    restored_blocks: list[int] = field(default_factory=list)
    restored_parity: list[int] = field(default_factory=list)
    lost_ranges: list[tuple[int, int]] = field(default_factory=list)
    lost_structures: list[str] = field(default_factory=list)
    damaged_members: list[str] = field(default_factory=list)
    salvaged: list[str] | None = None
    #: Set when the sidecar was unusable: whether the pack verified on its own (then only the
    #: parity is lost, and ``protect`` on the pack makes it again).
    pack_intact: bool | None = None


class _Stripes:
    """Reads surviving blocks and decodes erased ones, one stripe at a time."""

    def __init__(self, pfd: int, sfd: int, header: Header) -> None:
        self.pfd, self.sfd, self.h, self.g = pfd, sfd, header, header.geometry

    def data(self, i: int) -> bytes:
        g = self.g
        lo, hi = g.block_range(i)
        raw = os.pread(self.pfd, hi - lo, lo)
        return raw + bytes(g.block_size - len(raw))

    def parity(self, q: int) -> bytes:
        return os.pread(self.sfd, self.g.block_size, self.h.parity_block_offset(q))

    def decode(self, s: int, bad: set[int], bad_parity: set[int]) -> tuple[dict[int, bytes], dict[int, bytes]]:
        g = self.g
        k, m, n = g.k, g.m, g.k + g.m
        erased = [j for j in range(k) if s + j * g.stripes in bad]
        erased += [k + r for r in range(m) if s * m + r in bad_parity]
        if len(erased) > m:
            return {}, {}
        # Erasure decoding needs exactly m erased positions; pad with healthy ones (restoring
        # them too is harmless, they are simply not used).
        padded = set(erased)
        for p in reversed(range(n)):
            if len(padded) == m:
                break
            padded.add(p)
        surviving, weights = decode_matrix(k, m, tuple(sorted(padded)))
        values: list[bytes | None] = []
        for t in surviving:
            if t >= k:
                values.append(self.parity(s * m + t - k))
            else:
                i = s + t * g.stripes
                values.append(self.data(i) if i < g.data_blocks else None)
        data: dict[int, bytes] = {}
        parity: dict[int, bytes] = {}
        planes = [None if v is None else bitslice.to_planes(v, g.block_size) for v in values]
        term = bitslice.zeros(g.block_size)
        for e in erased:
            acc = bitslice.zeros(g.block_size)
            for v, w in zip(planes, weights[e], strict=True):
                if v is not None:
                    bitslice.xor_into(acc, bitslice.mul(v, w, out=term))
            block = bitslice.from_planes(acc)
            if e < k:
                i = s + e * g.stripes
                lo, hi = g.block_range(i)
                block = block[: hi - lo]
                if hashlib.sha256(block).digest() != self.h.block_sha256[i]:
                    raise PackError(f"restored block {i} does not match its SHA-256; refusing to guess")
                data[i] = block
            else:
                q = s * m + e - k
                if hashlib.sha256(block).digest() != self.h.parity_sha256[q]:
                    raise PackError(f"restored parity block {q} does not match its SHA-256; refusing to guess")
                parity[q] = block
        return data, parity


def _patch(fd: int, st: _Stripes, restored: dict[int, bytes]) -> None:
    """Cut or extend a copy of the damaged pack to its protected size and write the restored blocks."""
    g = st.g
    os.ftruncate(fd, g.pack_size)
    for i, block in sorted(restored.items()):
        view = memoryview(block)
        at = g.block_range(i)[0]
        while view:
            n = os.pwrite(fd, view, at)
            at += n
            view = view[n:]


def _write_pack(out: Path, st: _Stripes, restored: dict[int, bytes]) -> None:
    """The pack's surviving bytes, copied by the kernel, with the restored blocks patched in."""
    available = min(st.g.pack_size, os.fstat(st.pfd).st_size)
    with atomic_writer(out) as fh:
        copy_range(st.pfd, fh.fileno(), available)
        _patch(fh.fileno(), st, restored)


def _write_sidecar(out: Path, st: _Stripes, restored: dict[int, bytes]) -> None:
    raw = st.h.raw
    with atomic_writer(out) as fh:
        fh.write(front(raw))
        for q in range(st.g.parity_blocks):
            block = restored.get(q)
            if block is None:
                block = st.parity(q)
                if hashlib.sha256(block).digest() != st.h.parity_sha256[q]:
                    raise PackError(f"parity block {q} changed during the repair; sidecar not written")
            fh.write(block)
        fh.write(back(raw))


def _fingerprint(fd: int) -> tuple[int, int, int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _open(path: Path, what: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"{what} {path.name}: cannot open ({exc.strerror})") from None


class _NotRepairable(Exception):
    """Raised inside the output's atomic writer to discard the copy made speculatively."""


def _assess_while_copying(pack: Path, sidecar: Path, pfd: int, dst: int, out: Path) -> ParityStatus:
    """Hash every block (:func:`assess`) while the kernel copies the pack into ``dst``.

    Hashing and the kernel copy both run outside the GIL, so on two cores the copy is
    nearly free. Damage is rare: the copy is made before we know it is repairable, and
    thrown away (with its temp file) when it is not.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="glyphserpack-repair-copy") as pool:
        copied = pool.submit(copy_range, pfd, dst, os.fstat(pfd).st_size)
        status = assess(pack, sidecar)
        try:
            copied.result()
        except OSError as exc:
            raise PackError(f"{out.name}: cannot write the repaired pack ({exc.strerror})") from None
    return status


def repair(
    pack: Path,
    out: Path,
    *,
    sidecar: Path | None = None,
    out_sidecar: Path | None = None,
    salvage_to: Path | None = None,
) -> RepairResult:
    """Write the protected bytes of ``pack`` to ``out`` (and a fresh sidecar beside it).

    When the damage exceeds the parity budget nothing is written to ``out``; the result
    names the pack byte ranges and members that cannot be restored, and with
    ``salvage_to`` every undamaged member is extracted there (``extract --salvage``).
    """
    pack, out = Path(pack), Path(out)
    sidecar = Path(sidecar) if sidecar is not None else sidecar_path(pack)
    out_sidecar = Path(out_sidecar) if out_sidecar is not None else sidecar_path(out)
    # Repairing in place (out = pack, so out's sidecar = the sidecar) is fine: both are read
    # through descriptors opened first and replaced atomically. Crossing them over is not.
    refuse_output_inside(out, sidecar, option="--output", what="parity file")
    refuse_output_inside(out_sidecar, pack, option="--output's sidecar", what="pack")
    pfd = _open(pack, "pack")
    try:
        sfd = _open(sidecar, "parity")
    except InputError:
        os.close(pfd)
        raise
    try:
        before = _fingerprint(pfd)
        try:
            with atomic_writer(out) as fh:
                status = _assess_while_copying(pack, sidecar, pfd, fh.fileno(), out)
                if status.header is None or not status.repairable:
                    raise _NotRepairable
                st = _Stripes(pfd, sfd, status.header)
                restored, restored_parity = _decode(st, status)
                _patch(fh.fileno(), st, restored)
                if _fingerprint(pfd) != before:
                    raise PackError(f"pack {pack.name} changed while it was being repaired; nothing written")
        except _NotRepairable:
            pass
        else:
            # The sidecar's parity blocks are each checked against their hash as they are
            # written, so it does not depend on the pack staying unchanged.
            _write_sidecar(out_sidecar, st, restored_parity)
            return RepairResult(
                status=status,
                repaired=True,
                output=out,
                sidecar_output=out_sidecar,
                restored_blocks=sorted(restored),
                restored_parity=sorted(restored_parity),
            )
        result = RepairResult(status=status, repaired=False)
        if status.header is None:
            result.lost_structures.append("parity sidecar (no usable header copy)")
            _unrepairable(result, pack, salvage_to)
            return result
        st = _Stripes(pfd, sfd, status.header)
        restored, restored_parity = _decode(st, status)
        result.restored_blocks, result.restored_parity = sorted(restored), sorted(restored_parity)
        result.lost_ranges = status.block_ranges(status.lost_blocks)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".repair-", dir=out.parent) as tmp:
            best = Path(tmp) / pack.name
            _write_pack(best, st, restored)
            _unrepairable(result, best, salvage_to)
        return result
    finally:
        os.close(pfd)
        os.close(sfd)


def _decode(st: _Stripes, status: ParityStatus) -> tuple[dict[int, bytes], dict[int, bytes]]:
    """Every block of every stripe within its erasure budget, restored and hash-checked."""
    g = st.g
    bad, bad_parity = set(status.bad_blocks), set(status.bad_parity)
    restored: dict[int, bytes] = {}
    restored_parity: dict[int, bytes] = {}
    for s in sorted({i % g.stripes for i in bad} | {q // g.m for q in bad_parity}):
        d, p = st.decode(s, bad, bad_parity)
        restored.update(d)
        restored_parity.update(p)
    return restored, restored_parity


def _unrepairable(result: RepairResult, best: Path, salvage_to: Path | None) -> None:
    """Name what is lost, from the best pack we can rebuild, and salvage the rest."""
    from glyphserpack.pack import extract, verify

    header = result.status.header
    if header is not None and header.members:
        # Exact: the sidecar's member map does not depend on the damaged index or manifest.
        lost = result.lost_ranges
        result.damaged_members = sorted(
            {name for name, lo, hi in header.members if any(a < hi and b > lo for a, b in lost)}
        )
        if any(b > header.index_offset for _, b in lost):
            result.lost_structures.append("pack index / seek table")
    else:
        report = verify(best, parity=False)
        if header is None:
            result.pack_intact = report.valid
        names = set(report.damaged_members)
        names |= {f.where for f in report.findings if f.code in ("GSP-E105", "GSP-E106", "GSP-E108")}
        result.damaged_members = sorted(names)
    if salvage_to is not None:
        from glyphserpack.errors import VerificationError

        try:
            got = extract(best, salvage_to, salvage=True)
        except VerificationError:
            result.salvaged = []
        else:
            result.salvaged = got.written
            result.damaged_members = sorted(set(result.damaged_members) | set(got.damaged))
