"""A log directory on disk: tiles, entry bundles, the signed checkpoint and a lock.

Crash consistency comes from ordering, not from a journal: an append writes every new tile
and bundle (each atomically) *before* it atomically replaces ``checkpoint``. Until that
rename the checkpoint still names the old tree, whose tiles were never touched (full tiles
are immutable and a partial tile's content is fixed by its width), so a crash leaves the
old log intact plus some orphan files the next append simply overwrites.

Durability is batched: the tiles and bundles of an append are written without their own
fsyncs inside :func:`~glyphserpack._internal.fsio.deferred_sync`, which flushes them with one
``syncfs`` before the checkpoint (itself fsynced) is renamed into place. A batch of any size
therefore costs two flushes, not two per file. The entry index (:mod:`.index`) is updated
after the commit; it is a rebuildable cache and never decides anything.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from glyphserpack._internal import jsonout, jsontext
from glyphserpack._internal.fsio import atomic_write, deferred_sync, read_bounded
from glyphserpack.errors import GlyphserpackError, InputError, VerificationError
from glyphserpack.log import merkle
from glyphserpack.log.checkpoint import Checkpoint, VerifiedCheckpoint, cosign, open_checkpoint, sign_checkpoint
from glyphserpack.log.entries import decode_entry, entry_digest, prepare_entry, subject_hashes
from glyphserpack.log.index import EntryIndex, IndexDamaged, index_records
from glyphserpack.log.note import NOTE_LIMIT, Signer, Verifier, check_key_name, parse_verifier_key
from glyphserpack.log.tiles import (
    BUNDLE_LIMIT,
    TILE_HEIGHT,
    TILE_WIDTH,
    Frontier,
    TileReader,
    decode_bundle,
    encode_bundle,
    entries_path,
    tile_path,
)

__all__ = ["BATCH_SIZE", "CHECKPOINT", "CONFIG", "LOG_FORMAT", "AppendResult", "LogStore"]

CHECKPOINT = "checkpoint"
CONFIG = "log.json"
LOCK = ".lock"
LOG_FORMAT = "glyphserpack-log/1"
#: Entries per commit of :meth:`LogStore.append_many`: a multiple of the tile width, so each
#: commit writes full tiles only, and small enough that a batch's leaves fit in memory.
BATCH_SIZE = 1 << 16


@dataclass(frozen=True)
class AppendResult:
    """Where the batch landed: its first index and the new tree."""

    first_index: int
    size: int
    root_hash: bytes
    checkpoint: bytes


def _commit_checkpoint(root: Path, data: bytes) -> None:
    """The single commit point of an append: atomically publish the new checkpoint."""
    atomic_write(root / CHECKPOINT, data)


class LogStore:
    """One log directory. The verifier key comes from ``log.json`` unless one is pinned."""

    def __init__(self, root: Path, *, log_key: Verifier | None = None) -> None:
        self.root = root
        config_path = root / CONFIG
        if not config_path.is_file():
            raise InputError(f"{root}: not a log directory (no {CONFIG})", remedy="create one with `log init`")
        raw = read_bounded(config_path, 64 * 1024, what="log config")
        try:
            config = jsontext.loads(raw)
        except ValueError as exc:
            raise InputError(f"{config_path}: invalid JSON ({exc})") from None
        if not isinstance(config, dict) or config.get("format") != LOG_FORMAT:
            raise InputError(f"{config_path}: expected format {LOG_FORMAT!r}")
        self.config: dict[str, Any] = config
        self.key_from_directory = log_key is None
        self.log_key = log_key or parse_verifier_key(str(config.get("log_key", "")))
        self.origin = self.log_key.name

    # --- creation and locking -----------------------------------------------------------

    @classmethod
    def init(cls, root: Path, signer: Signer) -> LogStore:
        """Create an empty log (size 0) with a signed checkpoint; refuses an existing log."""
        check_key_name(signer.name, what="origin")
        if (root / CHECKPOINT).exists() or (root / CONFIG).exists():
            raise InputError(f"{root}: already holds a log", remedy="choose an empty directory")
        root.mkdir(parents=True, exist_ok=True)
        config = {"format": LOG_FORMAT, "origin": signer.name, "log_key": signer.verifier().vkey()}
        jsonout.write_json(root / CONFIG, config)
        _commit_checkpoint(root, sign_checkpoint(Checkpoint(signer.name, 0, merkle.EMPTY_ROOT), signer))
        return cls(root)

    @contextlib.contextmanager
    def locked(self, *, wait: bool = False) -> Iterator[None]:
        """Exclusive lock for writers; the kernel drops it if the holder dies.

        Appenders refuse a held lock; ``wait`` (index maintenance by a reader) queues instead.
        """
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES):
                    raise InputError(
                        f"{self.root}: another process is writing to this log",
                        remedy="wait for it to finish; the lock is released when it exits",
                    ) from None
                raise
            yield
        finally:
            os.close(fd)

    # --- reading -------------------------------------------------------------------------

    def checkpoint_bytes(self) -> bytes:
        return read_bounded(self.root / CHECKPOINT, NOTE_LIMIT, what="checkpoint")

    def open_checkpoint(self, witnesses: Sequence[Verifier] = (), quorum: int = 0) -> VerifiedCheckpoint:
        return open_checkpoint(self.checkpoint_bytes(), self.log_key, witnesses=witnesses, quorum=quorum)

    def reader(self, size: int) -> TileReader:
        return TileReader(self.root, size)

    def bundle(self, n: int, size: int) -> list[bytes]:
        """Entries of bundle ``n`` as the tree of ``size`` sees them (full bundle prefix as fallback)."""
        width = min(TILE_WIDTH, size - n * TILE_WIDTH)
        if width <= 0:
            raise InputError(f"bundle {n} lies beyond a tree of size {size}")
        for rel in (entries_path(n, width), entries_path(n)):
            path = self.root / rel
            if os.path.lexists(path):
                entries = decode_bundle(read_bounded(path, BUNDLE_LIMIT, what=f"bundle {rel}"), where=rel)
                if len(entries) < width or (rel == entries_path(n, width) and len(entries) != width):
                    raise VerificationError(f"{rel}: {len(entries)} entries, expected {width}", code="GSP-E406")
                return entries[:width]
        raise VerificationError(f"{entries_path(n, width)} is missing (needed for tree size {size})", code="GSP-E406")

    def iter_entries(self, size: int) -> Iterator[tuple[int, bytes]]:
        """Stream ``(index, leaf data)`` for the first ``size`` entries, one bundle in memory."""
        for n in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
            for i, data in enumerate(self.bundle(n, size)):
                yield n * TILE_WIDTH + i, data

    def entry(self, index: int, size: int) -> bytes:
        return self.bundle(index // TILE_WIDTH, size)[index % TILE_WIDTH]

    def find(self, digest: bytes, size: int) -> list[int]:
        """Indexes whose entry digest, or certificate/pack hash, equals ``digest``.

        Candidates come from the entry index (O(log n)); each is read back from the log and
        compared, so a damaged index can hide nothing it names and invent nothing. A
        candidate that matches nothing means the index is wrong: it is rebuilt and asked again.
        """
        if size == 0:
            return []
        root_hash = merkle.tree_hash(self.reader(size), size)
        rebuild = False
        for attempt in range(3):
            try:
                candidates = self._index_lookup(digest, size, root_hash, rebuild=rebuild)
            except IndexDamaged:
                if attempt == 2:
                    raise
                # Once more as it is (a concurrent append may have merged runs away), then rebuilt.
                rebuild = attempt == 1
                continue
            by_entry: list[int] = []
            by_subject: list[int] = []
            for index in candidates:
                entry = decode_entry(self.entry(index, size), where=f"entry {index}")
                if entry_digest(entry) == digest:
                    by_entry.append(index)
                elif digest in subject_hashes(entry):
                    by_subject.append(index)
            if len(by_entry) + len(by_subject) == len(candidates) or rebuild:
                return by_entry or by_subject  # after a rebuild a stray hit is a prefix collision
            rebuild = True
        raise AssertionError("unreachable")

    def _index_lookup(self, digest: bytes, size: int, root_hash: bytes, *, rebuild: bool) -> list[int]:
        """Index candidates for ``digest`` once the index describes exactly the tree (size, root)."""
        index = EntryIndex(self.root)
        state = None if rebuild else index.state()
        if state is not None and (state[0] > size or merkle.tree_hash(self.reader(size), state[0]) != state[1]):
            state = None  # the index describes another history: rebuilt below
        if state is None or state[0] < size:
            try:
                with self.locked(wait=True):
                    state = None if state is None else index.state()
                    self._catch_up(index, state, size)
            except OSError as exc:
                raise InputError(
                    f"{index.dir}: cannot bring the entry index up to size {size} ({exc.strerror or exc})",
                    remedy="run the lookup once where the log directory is writable, or use --index N",
                ) from None
            state = index.state()
        if state is None or state[:2] != (size, root_hash):
            raise IndexDamaged(f"{self.root}: the entry index could not be brought to size {size}")
        return [i for i in index.lookup(digest, state[2]) if i < size]

    def _catch_up(self, index: EntryIndex, state: tuple[int, bytes, list[tuple[int, int]]] | None, size: int) -> None:
        """Extend the index from the entry bundles up to ``size`` (from nothing when ``state`` is None)."""
        if state is None:
            index.clear()
            start, start_root = 0, merkle.EMPTY_ROOT
        else:
            start, start_root = state[0], state[1]
        reader = self.reader(size)
        lo = start
        while lo < size:
            hi = min(size, (lo // BATCH_SIZE + 1) * BATCH_SIZE)
            leaves = [data for _, data in self._iter_range(lo, hi, size)]
            hi_root = merkle.tree_hash(reader, hi)
            index.extend(lo, start_root, hi, hi_root, index_records(lo, leaves))
            lo, start_root = hi, hi_root

    def _iter_range(self, lo: int, hi: int, size: int) -> Iterator[tuple[int, bytes]]:
        for n in range(lo // TILE_WIDTH, (hi + TILE_WIDTH - 1) // TILE_WIDTH):
            for i, data in enumerate(self.bundle(n, size)):
                if lo <= n * TILE_WIDTH + i < hi:
                    yield n * TILE_WIDTH + i, data

    def frontier(self, size: int, root_hash: bytes) -> tuple[Frontier, list[bytes]]:
        """The right edge at ``size`` and the partial bundle, checked against ``root_hash``."""
        reader = self.reader(size)
        rows: dict[int, list[bytes]] = {}
        level = 0
        while size >> (TILE_HEIGHT * level):
            avail = size >> (TILE_HEIGHT * level)
            width = avail % TILE_WIDTH
            if width:
                rows[level] = reader.hashes(level, avail - width, width)
            level += 1
        frontier = Frontier(size, rows)
        if frontier.root() != root_hash:
            raise VerificationError(
                f"{self.root}: the partial tiles do not hash to the checkpoint root",
                code="GSP-E407",
                remedy="run `glyphserpack log verify` to find the damaged tile; refusing to append onto it",
            )
        pending: list[bytes] = []
        if size % TILE_WIDTH:
            pending = self.bundle(size // TILE_WIDTH, size)
            if [merkle.leaf_hash(e) for e in pending] != rows[0]:
                raise VerificationError(f"{self.root}: the partial entry bundle does not match tile 0", code="GSP-E405")
        return frontier, pending

    # --- writing -------------------------------------------------------------------------

    def append(self, docs: Sequence[object], signer: Signer, *, where: str = "entry") -> AppendResult:
        """Validate and append a batch of entry documents, then publish one new checkpoint."""
        entries = [prepare_entry(d, where=f"{where} {i}") for i, d in enumerate(docs)]
        return self.append_encoded(entries, signer)

    def append_many(
        self,
        docs: Iterable[object],
        signer: Signer,
        *,
        where: str = "entry",
        number_from: int = 0,
        batch_size: int = BATCH_SIZE,
        progress: Callable[[int], None] | None = None,
    ) -> AppendResult:
        """Append any number of entry documents: all validated first, then committed in batches.

        The documents are validated and encoded into a spool file before anything is written,
        so a bad one (named ``f"{where} {number_from + i}"``) leaves the log untouched. The
        spool is then appended ``batch_size`` entries per commit (one flush, one checkpoint),
        keeping memory flat however many documents there are. ``progress`` receives the
        count of entries appended after each commit. With no documents nothing is written.
        """
        self._check_signer(signer)
        if batch_size < 1:
            raise InputError(f"batch size {batch_size} is not positive")
        with tempfile.TemporaryFile(prefix="glyphserpack-log-spool-") as spool:
            chunks: list[int] = []
            leaves: list[bytes] = []
            for i, doc in enumerate(docs):
                leaves.append(prepare_entry(doc, where=f"{where} {number_from + i}"))
                if len(leaves) == batch_size:
                    chunks.append(spool.write(encode_bundle(leaves)))
                    leaves = []
            if leaves:
                chunks.append(spool.write(encode_bundle(leaves)))
            spool.seek(0)
            result: AppendResult | None = None
            done = 0
            for length in chunks:
                batch = decode_bundle(spool.read(length), where="spool")
                step = self.append_encoded(batch, signer)
                result = step if result is None else replace(step, first_index=result.first_index)
                done += len(batch)
                if progress is not None:
                    progress(done)
        if result is None:
            cp = self.open_checkpoint().checkpoint
            return AppendResult(cp.size, cp.size, cp.root_hash, self.checkpoint_bytes())
        return result

    def _check_signer(self, signer: Signer) -> None:
        if signer.verifier().vkey() != self.log_key.vkey():
            raise InputError(f"the signing key is not this log's key ({self.log_key.vkey()})")

    def append_encoded(self, entries: Sequence[bytes], signer: Signer) -> AppendResult:
        """Append already-encoded leaves (validated by :meth:`append`) as one commit.

        Only the right edge is read and hashed (O(batch + log n)); full tiles are written once,
        when they fill; the batch's files get one flush before the checkpoint names them.
        """
        self._check_signer(signer)
        entries = list(entries)
        with self.locked():
            cp = self.open_checkpoint().checkpoint
            frontier, pending = self.frontier(cp.size, cp.root_hash)
            first = cp.size
            leaf_hash = merkle.leaf_hash
            completed = frontier.push([leaf_hash(e) for e in entries])
            size = frontier.size
            # Entry bundles: the old partial bundle's entries followed by the new ones.
            start = first - len(pending)
            batch = [*pending, *entries]
            with deferred_sync(self.root):
                for off in range(0, len(batch), TILE_WIDTH):
                    chunk = batch[off : off + TILE_WIDTH]
                    path = self.root / entries_path((start + off) // TILE_WIDTH, len(chunk))
                    atomic_write(path, encode_bundle(chunk))
                for level, n, row in completed:
                    atomic_write(self.root / tile_path(level, n), b"".join(row))
                for level, row in frontier.partials().items():
                    n = (size >> (TILE_HEIGHT * level)) // TILE_WIDTH
                    atomic_write(self.root / tile_path(level, n, len(row)), b"".join(row))
            root_hash = frontier.root()
            note = sign_checkpoint(Checkpoint(self.origin, size, root_hash), signer)
            _commit_checkpoint(self.root, note)
            self._index_appended(first, cp.root_hash, size, root_hash, entries)
        return AppendResult(first, size, root_hash, note)

    def _index_appended(self, first: int, first_root: bytes, size: int, root: bytes, entries: list[bytes]) -> None:
        """Extend the entry index by a committed batch; on any trouble drop it (it is rebuilt on use)."""
        index = EntryIndex(self.root)
        try:
            state = index.state()
            if (state is None and first == 0) or (state is not None and state[:2] == (first, first_root)):
                index.extend(first, first_root, size, root, index_records(first, entries))
            # else: the index lags behind (or is missing): `find` catches it up when asked.
        except (GlyphserpackError, OSError):
            index.clear()

    def witness(self, signer: Signer, timestamp: int, *, last_seen: bytes | None = None) -> bytes:
        """Cosign the current checkpoint after checking it extends ``last_seen`` (the witness's state)."""
        with self.locked():
            data = self.checkpoint_bytes()
            new = open_checkpoint(data, self.log_key).checkpoint
            if last_seen is not None:
                old = open_checkpoint(last_seen, self.log_key, where="last-seen checkpoint").checkpoint
                if new.size < old.size:
                    raise VerificationError(
                        f"checkpoint size {new.size} is smaller than the {old.size} this witness last saw",
                        code="GSP-E408",
                        remedy="the log rolled back; do not cosign and raise the alarm",
                    )
                proof = merkle.consistency_proof(self.reader(new.size), old.size, new.size)
                if not merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof):
                    raise VerificationError(
                        f"checkpoint {new.size} does not extend the size-{old.size} checkpoint last seen",
                        code="GSP-E409",
                        remedy="history was rewritten; run `glyphserpack log consistency` to name the entry",
                    )
            else:
                self.frontier(new.size, new.root_hash)  # first sight: at least the right edge must match
            out = cosign(data, signer, timestamp)
            _commit_checkpoint(self.root, out)
        return out
