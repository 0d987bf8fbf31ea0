"""A log directory on disk: tiles, entry bundles, the signed checkpoint and a lock.

Crash consistency comes from ordering, not from a journal: an append writes every new tile
and bundle (each atomically) *before* it atomically replaces ``checkpoint``. Until that
rename the checkpoint still names the old tree, whose tiles were never touched (full tiles
are immutable and a partial tile's content is fixed by its width), so a crash leaves the
old log intact plus some orphan files the next append simply overwrites.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glyphserpack._internal import jsonout, jsontext
from glyphserpack._internal.fsio import atomic_write, read_bounded
from glyphserpack.errors import InputError, VerificationError
from glyphserpack.log import merkle
from glyphserpack.log.checkpoint import Checkpoint, VerifiedCheckpoint, cosign, open_checkpoint, sign_checkpoint
from glyphserpack.log.entries import entry_digest, prepare_entry, subject_hashes
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

__all__ = ["CHECKPOINT", "CONFIG", "LOG_FORMAT", "AppendResult", "LogStore"]

CHECKPOINT = "checkpoint"
CONFIG = "log.json"
LOCK = ".lock"
LOG_FORMAT = "glyphserpack-log/1"


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
    def locked(self) -> Iterator[None]:
        """Exclusive lock for writers; the kernel drops it if the holder dies."""
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
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
        """Indexes whose entry digest, or certificate/pack hash, equals ``digest``."""
        from glyphserpack.log.entries import decode_entry

        by_entry: list[int] = []
        by_subject: list[int] = []
        for index, data in self.iter_entries(size):
            entry = decode_entry(data, where=f"entry {index}")
            if entry_digest(entry) == digest:
                by_entry.append(index)
            elif digest in subject_hashes(entry):
                by_subject.append(index)
        return by_entry or by_subject

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

    def append_encoded(self, entries: Sequence[bytes], signer: Signer) -> AppendResult:
        """Append already-encoded leaves (validated by :meth:`append`)."""
        if signer.verifier().vkey() != self.log_key.vkey():
            raise InputError(f"the signing key is not this log's key ({self.log_key.vkey()})")
        with self.locked():
            cp = self.open_checkpoint().checkpoint
            frontier, pending = self.frontier(cp.size, cp.root_hash)
            first = cp.size
            completed = frontier.push([merkle.leaf_hash(e) for e in entries])
            size = frontier.size
            # Entry bundles: the old partial bundle's entries followed by the new ones.
            start = first - len(pending)
            batch = [*pending, *entries]
            for off in range(0, len(batch), TILE_WIDTH):
                chunk = batch[off : off + TILE_WIDTH]
                atomic_write(self.root / entries_path((start + off) // TILE_WIDTH, len(chunk)), encode_bundle(chunk))
            for level, n, row in completed:
                atomic_write(self.root / tile_path(level, n), b"".join(row))
            for level, row in frontier.partials().items():
                n = (size >> (TILE_HEIGHT * level)) // TILE_WIDTH
                atomic_write(self.root / tile_path(level, n, len(row)), b"".join(row))
            root_hash = frontier.root()
            note = sign_checkpoint(Checkpoint(self.origin, size, root_hash), signer)
            _commit_checkpoint(self.root, note)
        return AppendResult(first, size, root_hash, note)

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
