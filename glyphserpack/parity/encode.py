"""Computing a pack's parity sidecar (``glyphserpack protect`` / ``pack --parity``)."""

from __future__ import annotations

import bisect
import hashlib
import multiprocessing
import os
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from glyphserpack import canonical
from glyphserpack._internal.fsio import atomic_writer, refuse_output_inside
from glyphserpack._internal.parity import bitslice
from glyphserpack._internal.parity.rs import gf_pow2, syndrome_weights
from glyphserpack._internal.parity.sidecar import (
    DEFAULT_SHARDS,
    Geometry,
    back,
    choose_geometry,
    front,
    header_obj,
    sidecar_path,
)
from glyphserpack.errors import InputError, PackError, UsageError

__all__ = ["DEFAULT_RATIO", "encode_stripes", "parse_ratio", "protect", "sidecar_path", "write_sidecar"]

DEFAULT_RATIO = 0.05
_ROW_BYTES = 256 * 1024
#: Packs at least this big are encoded by two processes (see :func:`encode_stripes`).
PARALLEL_MIN = 64 * 1024 * 1024
_RATIO = re.compile(r"(\d+(?:\.\d+)?)%")


def parse_ratio(text: str) -> float:
    """``"5%"`` -> 0.05; the parity budget as a share of the pack size (0 < p <= 100%)."""
    m = _RATIO.fullmatch(text.strip())
    value = float(m.group(1)) / 100 if m else -1.0
    if not 0 < value <= 1:
        raise UsageError(f"--parity {text!r}: expected a percentage such as 5% (more than 0%, at most 100%)")
    return value


def _hash_blocks(seg: bytes, block: int) -> bytes:
    mv = memoryview(seg)
    return b"".join(hashlib.sha256(mv[o : o + block]).digest() for o in range(0, len(seg), block))


def _groups(g: Geometry) -> list[tuple[int, int]]:
    width = max(1, _ROW_BYTES // g.block_size)
    return [(s0, min(g.stripes, s0 + width)) for s0 in range(0, g.stripes, width)]


def _encode_part(fd: int, g: Geometry, first: int, last: int) -> tuple[dict[int, bytes], list[tuple[int, bytes]]]:
    """Parity blocks of stripe groups ``first..last-1`` and the hashes of their data blocks.

    Row ``j`` of the interleave (symbol ``j`` of every stripe) is a contiguous run of the
    pack, so a group of adjacent stripes reads one segment per row, views it as bit-planes
    and folds it into the group's check sums by Horner's rule (``H_r = 2^r * H_r + row``;
    see ``_internal/parity/rs.py`` and ``bitslice.py``). One group is finished before the
    next starts, so its sums stay in the CPU cache while the segments (``_ROW_BYTES`` each,
    large enough to read well from a disk) stream past.
    """
    bsz, m = g.block_size, g.m
    powers = [gf_pow2(r) for r in range(m)]
    weights = syndrome_weights(m)
    parity: dict[int, bytes] = {}
    hashes: list[tuple[int, bytes]] = []
    for s0, s1 in _groups(g)[first:last]:
        acc = [bitslice.zeros(bsz, s1 - s0) for _ in range(m)]
        scratch = bitslice.zeros(bsz, s1 - s0)
        for j in range(g.k):
            lo = min(g.pack_size, (j * g.stripes + s0) * bsz)
            hi = min(g.pack_size, (j * g.stripes + s1) * bsz)
            seg = os.pread(fd, hi - lo, lo) if hi > lo else b""
            if len(seg) != hi - lo:
                raise PackError("pack shrank while its parity was computed")
            if seg:
                hashes.append((j * g.stripes + s0, _hash_blocks(seg, bsz)))
            x = bitslice.to_planes(seg, bsz, s1 - s0)  # a short or empty segment is zero-padded
            bitslice.xor_into(acc[0], x)
            for r in range(1, m):
                # H_r <- 2^r * H_r + x, ping-ponging between the sum and the scratch array
                acc[r], scratch = bitslice.mul(acc[r], powers[r], out=scratch), acc[r]
                bitslice.xor_into(acc[r], x)
        for i in range(m):
            out = bitslice.zeros(bsz, s1 - s0)
            for r in range(m):
                bitslice.xor_into(out, bitslice.mul(acc[r], weights[i][r], out=scratch))
            blocks = bitslice.from_planes(out)
            for s in range(s0, s1):
                o = (s - s0) * bsz
                parity[s * m + i] = blocks[o : o + bsz]
    return parity, hashes


def encode_stripes(
    fd: int, g: Geometry, *, workers: int | None = None, meanwhile: Callable[[], None] | None = None
) -> tuple[list[bytes], bytes]:
    """Parity blocks (stripe-major) and the concatenated SHA-256 of every data block.

    Each segment costs a few Python calls between the GIL-free SHA-256, ``pread`` and numpy
    work, enough for two threads to contend (measured: threads gain a third of what processes
    gain), so large packs are split by stripe groups over ``workers`` forked processes
    (default: 2 when the pack is at least 64 MiB and there are two CPUs); the result does not
    depend on the split. ``meanwhile`` runs in this process while the workers compute (only
    when there are workers; it is called after they are forked, so no thread of ours is
    alive at fork time, and ``bitslice`` keeps numpy from starting a BLAS thread pool).
    """
    n_groups = len(_groups(g))
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if g.pack_size >= PARALLEL_MIN else 1
    workers = max(1, min(workers, n_groups))
    bounds = [(n_groups * w // workers, n_groups * (w + 1) // workers) for w in range(workers)]
    if workers == 1:
        parts = [_encode_part(fd, g, 0, n_groups)]
    else:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [pool.submit(_encode_part, fd, g, a, b) for a, b in bounds]
            if meanwhile is not None:
                meanwhile()
            parts = [f.result() for f in futures]
    parity: list[bytes] = [b""] * g.parity_blocks
    block_sha = bytearray(32 * g.data_blocks)
    for blocks, hashes in parts:
        for q, block in blocks.items():
            parity[q] = block
        for i, digests in hashes:
            block_sha[32 * i : 32 * i + len(digests)] = digests
    return parity, bytes(block_sha)


def member_map(pack: Path) -> tuple[list[list[Any]], int]:
    """Each member's frame span in the pack, and where the index starts.

    Kept in the sidecar so that, when damage is beyond repair and takes the pack's own index
    or manifest with it, the lost members can still be named exactly.
    """
    from glyphserpack._internal.pack.frames import TrailerProblem
    from glyphserpack._internal.pack.reader import RawPack

    try:
        raw = RawPack(pack, strict=False)
    except (TrailerProblem, PackError):
        return [], 0
    with raw:
        idx = raw.index
        starts = [f.d_offset for f in idx.frames]
        out: list[list[Any]] = []
        for m in idx.members:
            first = bisect.bisect_right(starts, m.header_offset) - 1
            last = bisect.bisect_left(starts, m.end) - 1
            f0, f1 = idx.frames[max(first, 0)], idx.frames[max(last, first, 0)]
            out.append([m.name, f0.c_offset, f1.c_offset + f1.c_size])
        return out, idx.index_offset


def protect(pack: Path, *, ratio: float = DEFAULT_RATIO, out: Path | None = None, shards: int = DEFAULT_SHARDS) -> Path:
    """Write the parity sidecar of ``pack`` (atomically) and return its path.

    The sidecar is a pure function of the pack's bytes and the parameters, so protecting
    the same pack twice, or repairing a damaged sidecar, gives the same bytes.
    """
    pack = Path(pack)
    par = out if out is not None else sidecar_path(pack)
    refuse_output_inside(par, pack, option="--output", what="pack")
    try:
        fd = os.open(pack, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(f"pack {pack.name}: cannot open ({exc.strerror})") from None
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            raise InputError(f"pack {pack.name}: is empty")
        g = choose_geometry(size, ratio, shards)
        mapped: list[tuple[list[list[Any]], int]] = []
        parity, block_sha = encode_stripes(fd, g, meanwhile=lambda: mapped.append(member_map(pack)))
        members = mapped[0] if mapped else member_map(pack)
        if os.fstat(fd).st_size != size:
            raise PackError(f"pack {pack.name}: changed size while its parity was computed")
    finally:
        os.close(fd)
    return write_sidecar(pack, par, g, parity, block_sha, members=members)


def write_sidecar(
    pack: Path,
    par: Path,
    g: Geometry,
    parity: list[bytes],
    block_sha: bytes,
    *,
    members: tuple[list[list[Any]], int] | None = None,
) -> Path:
    """Assemble and atomically write a sidecar from computed parity (FORMAT.md §11.3).

    ``members`` is :func:`member_map` of ``pack`` if the caller already has it.
    """
    parity_sha = b"".join(hashlib.sha256(p).digest() for p in parity)
    member_spans, index_offset = member_map(pack) if members is None else members
    raw = canonical.dumps(header_obj(g, block_sha, parity_sha, member_spans, index_offset))
    with atomic_writer(par) as fh:
        fh.write(front(raw))
        for p in parity:
            fh.write(p)
        fh.write(back(raw))
    return par
