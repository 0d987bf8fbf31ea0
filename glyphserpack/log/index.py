"""Entry hash -> entry index, kept beside the log in sorted runs so a lookup never scans.

``log prove --entry HASH`` on ten million entries cannot read every bundle. Each append
writes one *run*: 16-byte records (the first 8 bytes of an entry digest or subject hash,
then the entry's index), sorted, after a table of where each first byte's records start.
A run covers the entries ``[lo, hi)``; runs merge pairwise while a run is less than twice
the size of the newer one, so n entries leave at most log2(n) runs and a lookup is one
binary search per run: O(log² n) small reads. A merge works one first-byte bucket at a
time, so its memory is a 256th of the index.

The index is a hint, never evidence. Records carry only a hash prefix and the file is not
signed, so the caller (:meth:`LogStore.find`) reads every hit back from the log and hashes
the entry again, and the proof is then checked against the signed checkpoint: a wrong
record cannot produce a wrong proof. ``state.json`` names the tree (size and root) the index
describes; it is checked against the log's tiles before every use, an index of another tree
(rolled back, rewritten, damaged, missing) is rebuilt from the entry bundles, and one that
lags behind the checkpoint is extended from the tail. It is a cache: nothing in it is
fsynced, and the site does not publish it.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import mmap
import os
import shutil
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from glyphserpack._internal import jsonout, jsontext
from glyphserpack._internal.fsio import atomic_writer, deferred_sync, read_bounded
from glyphserpack.errors import GlyphserpackError, VerificationError
from glyphserpack.log.entries import subject_hash_candidates

__all__ = ["INDEX_DIR", "EntryIndex", "IndexDamaged", "index_records"]

INDEX_DIR = ".index"
INDEX_FORMAT = "glyphserpack-log-index/1"
_STATE = "state.json"
_MAGIC = b"GSPIDX1\n"
_KEY = 8
_RECORD = 16
_BUCKETS = 256
_HEADER = len(_MAGIC) + 8 * (_BUCKETS + 1)
_OFFSETS = struct.Struct(f">{_BUCKETS + 1}Q")


def index_records(first: int, leaves: Iterable[bytes]) -> list[bytes]:
    """The unsorted records of leaves numbered from ``first``: entry digest and subject hashes."""
    out: list[bytes] = []
    sha256 = hashlib.sha256
    for i, leaf in enumerate(leaves, first):
        where = i.to_bytes(8, "big")
        out.append(sha256(leaf).digest()[:_KEY] + where)
        out.extend(h[:_KEY] + where for h in subject_hash_candidates(leaf))
    return out


def _run_name(lo: int, hi: int) -> str:
    return f"run-{lo}-{hi}"


class _Keys:
    """The keys of one run's records as a sequence, for :func:`bisect.bisect_left`."""

    def __init__(self, data: mmap.mmap) -> None:
        self.data = data

    def __len__(self) -> int:
        return (len(self.data) - _HEADER) // _RECORD

    def __getitem__(self, i: int) -> bytes:
        at = _HEADER + i * _RECORD
        return self.data[at : at + _KEY]


@dataclass
class _Run:
    lo: int
    hi: int
    data: mmap.mmap
    offsets: tuple[int, ...]
    fd: int

    def bucket(self, b: int) -> list[bytes]:
        """One bucket's records, read (not mapped: a merge must not keep whole runs resident)."""
        start, end = _HEADER + self.offsets[b] * _RECORD, _HEADER + self.offsets[b + 1] * _RECORD
        data = os.pread(self.fd, end - start, start)
        if len(data) != end - start:
            raise IndexDamaged(f"{_run_name(self.lo, self.hi)}: short read")
        return [data[i : i + _RECORD] for i in range(0, len(data), _RECORD)]


class IndexDamaged(VerificationError):
    """A run file or the state is not what the index wrote: the caller rebuilds the index."""


class EntryIndex:
    """The index directory of one log. Writers hold the log's lock; readers only read."""

    def __init__(self, log_root: Path) -> None:
        self.dir = log_root / INDEX_DIR

    # --- state ---------------------------------------------------------------------------

    def state(self) -> tuple[int, bytes, list[tuple[int, int]]] | None:
        """(size, root hash, runs) the index describes, or None when missing or unreadable."""
        path = self.dir / _STATE
        if not path.is_file():
            return None
        try:
            doc = jsontext.loads(read_bounded(path, 1 << 20, what="log index state"))
            if not isinstance(doc, dict) or doc.get("format") != INDEX_FORMAT:
                return None
            size, root = int(doc["size"]), bytes.fromhex(doc["root_hash"])
            runs = [(int(lo), int(hi)) for lo, hi in doc["runs"]]
        except (ValueError, KeyError, TypeError, AttributeError, GlyphserpackError):
            return None  # an unreadable state is a missing index, not an error of the log
        edges = [0] + [hi for _, hi in runs]
        if len(root) != 32 or [lo for lo, _ in runs] != edges[:-1] or edges[-1] != size:
            return None
        return size, root, runs

    def _write_state(self, size: int, root: bytes, runs: list[tuple[int, int]]) -> None:
        doc = {"format": INDEX_FORMAT, "size": size, "root_hash": root.hex(), "runs": [list(r) for r in runs]}
        with atomic_writer(self.dir / _STATE) as fh:
            fh.write(jsonout.to_bytes(doc))

    def clear(self) -> None:
        """Forget the index (it is rebuilt on the next lookup)."""
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- reading -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _open(self, lo: int, hi: int) -> Iterator[_Run]:
        path = self.dir / _run_name(lo, hi)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            raise IndexDamaged(f"{path.name} is missing") from None
        try:
            length = os.fstat(fd).st_size
            if length < _HEADER or (length - _HEADER) % _RECORD:
                raise IndexDamaged(f"{path.name}: {length} bytes is not a run")
            data = mmap.mmap(fd, length, access=mmap.ACCESS_READ)
        except BaseException:
            os.close(fd)
            raise
        try:
            offsets = _OFFSETS.unpack(data[len(_MAGIC) : _HEADER])
            count = (length - _HEADER) // _RECORD
            if (
                data[: len(_MAGIC)] != _MAGIC
                or offsets[0] != 0
                or offsets[-1] != count
                or count < hi - lo
                or any(a > b for a, b in itertools.pairwise(offsets))
            ):
                raise IndexDamaged(f"{path.name}: bad header")
            yield _Run(lo, hi, data, offsets, fd)
        finally:
            data.close()
            os.close(fd)

    def lookup(self, digest: bytes, runs: list[tuple[int, int]]) -> list[int]:
        """Indexes whose records match ``digest``'s prefix: candidates for the caller to check."""
        key, b = digest[:_KEY], digest[0]
        hits: list[int] = []
        for lo, hi in runs:
            with self._open(lo, hi) as run:
                keys = _Keys(run.data)
                i = bisect.bisect_left(keys, key, run.offsets[b], run.offsets[b + 1])
                while i < run.offsets[b + 1] and keys[i] == key:
                    at = _HEADER + i * _RECORD + _KEY
                    where = int.from_bytes(run.data[at : at + 8], "big")
                    if not lo <= where < hi:
                        raise IndexDamaged(f"{_run_name(lo, hi)}: record names entry {where}")
                    hits.append(where)
                    i += 1
        return sorted(set(hits))

    # --- writing -------------------------------------------------------------------------

    def _write_run(self, lo: int, hi: int, buckets: Iterable[list[bytes]], counts: list[int]) -> None:
        offsets = [0]
        for c in counts:
            offsets.append(offsets[-1] + c)
        with atomic_writer(self.dir / _run_name(lo, hi)) as fh:
            fh.write(_MAGIC + _OFFSETS.pack(*offsets))
            for records in buckets:
                fh.write(b"".join(records))

    def extend(self, lo: int, lo_root: bytes, hi: int, hi_root: bytes, records: list[bytes]) -> None:
        """Add the run of entries ``[lo, hi)``, taking the tree from ``(lo, lo_root)`` to ``(hi, hi_root)``.

        The index must describe exactly the tree ``(lo, lo_root)`` (an empty index, size 0);
        anything else means it belongs to another history, and it is dropped rather than
        left describing a tree it does not.
        """
        state = self.state()
        if state is None and lo == 0:
            state = (0, lo_root, [])
        if state is None or state[:2] != (lo, lo_root):
            self.clear()
            raise IndexDamaged(f"the index does not describe the size-{lo} tree")
        runs = state[2]
        with deferred_sync(self.dir.parent, sync=False):
            self.dir.mkdir(exist_ok=True)
            if hi > lo:
                records.sort()
                buckets: list[list[bytes]] = [[] for _ in range(_BUCKETS)]
                for r in records:
                    buckets[r[0]].append(r)
                self._write_run(lo, hi, buckets, [len(x) for x in buckets])
                runs.append((lo, hi))
            while len(runs) >= 2 and runs[-2][1] - runs[-2][0] < 2 * (runs[-1][1] - runs[-1][0]):
                (alo, ahi), (blo, bhi) = runs[-2], runs[-1]
                self._merge(alo, ahi, blo, bhi)
                runs[-2:] = [(alo, bhi)]
            self._write_state(hi, hi_root, runs)
        self._collect(runs)

    def _merge(self, alo: int, ahi: int, blo: int, bhi: int) -> None:
        with self._open(alo, ahi) as a, self._open(blo, bhi) as b:
            counts = [a.offsets[i + 1] - a.offsets[i] + b.offsets[i + 1] - b.offsets[i] for i in range(_BUCKETS)]

            def merged() -> Iterator[list[bytes]]:
                for i in range(_BUCKETS):
                    records = a.bucket(i) + b.bucket(i)
                    records.sort()  # two sorted runs: timsort merges them in linear time
                    yield records

            self._write_run(alo, bhi, merged(), counts)

    def _collect(self, runs: list[tuple[int, int]]) -> None:
        """Delete run files the state no longer names (merged away, or left by a crash)."""
        keep = {_run_name(lo, hi) for lo, hi in runs} | {_STATE}
        for entry in os.scandir(self.dir):
            if entry.name not in keep:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
