"""``build --log LOG_DIR``: append this release to the registry's long-lived log.

A registry publishes release after release into ONE append-only log, so that each site can
prove (RFC 9162 consistency) that its log extends the one the previous release published.
The rules, in the order the step applies them:

* the log must already exist (``glyphserpack log init``): a typo in ``--log`` must not
  quietly start a second, empty history;
* the key that signs the checkpoints (``--log-key``, else the build's signing key) must be
  the log's key (its origin comes from ``log.json``);
* the whole log is audited before anything is appended: a rewritten tile is refused;
* only entries the log does not hold yet are appended, compared by leaf hash (RFC 9162
  ``SHA-256(0x00 || entry)``): re-running or resuming never appends twice, and a
  certificate logged by an earlier release is not logged again;
* the checkpoint before this build's appends is the "previous release" checkpoint. It is
  saved under ``OUT/.build/`` *before* appending, so a resumed build uses the very same
  bytes; a fresh re-run that finds everything logged already re-derives it from the tree
  (the contiguous run of this release's entries that ends with its pack entry).

Then the pack's inclusion proof is made against the new checkpoint and a copy of the log
(exactly the tiles and bundles of that checkpoint, no orphans) is published as ``OUT/log``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack._internal.fsio import atomic_write, read_bounded
from glyphserpack.errors import InputError, KeyMaterialError, VerificationError
from glyphserpack.log import LogStore, Signer, audit_log, make_proof, merkle, open_checkpoint, sign_checkpoint
from glyphserpack.log.checkpoint import Checkpoint
from glyphserpack.log.entries import decode_entry, prepare_entry
from glyphserpack.log.note import NOTE_LIMIT
from glyphserpack.log.store import CHECKPOINT, CONFIG
from glyphserpack.log.tiles import TILE_WIDTH, encode_bundle, entries_path, tiles_for_size
from glyphserpack.release.context import BuildContext
from glyphserpack.release.loglayout import LOG_DIR, proof_path

__all__ = ["PREVIOUS_NAME", "append_release", "open_registry_log", "publish_copy"]

#: under ``OUT/.build/``: the log's checkpoint as it was before this build appended
PREVIOUS_NAME = "log-previous-checkpoint"


def open_registry_log(path: Path, key: Ed25519PrivateKey, *, option: str = "--sign-key") -> LogStore:
    """Open ``LOG_DIR`` and check that ``key`` (given as ``option``) is its key; raise before any step runs."""
    if not (path / CONFIG).is_file():
        raise InputError(
            f"--log {path}: not a transparency log (no {CONFIG}); the build appends to an existing log only",
            remedy=f"create it once with `glyphserpack log init {path} --origin HOST/PATH/log --key SIGN_KEY` "
            "(the build's signing key), then build again",
        )
    store = LogStore(path)
    mine = Signer(store.origin, key).verifier().vkey()
    if mine != store.log_key.vkey():
        raise KeyMaterialError(
            f"--log {path}: the key given as {option} is not this log's key "
            f"(log {store.log_key.vkey()}, {option} {mine})",
            remedy="give the key the log was created with (log.json names its verifier key): "
            "--log-key LOG.key when it is not the release key",
        )
    return store


def audit_or_refuse(store: LogStore) -> bytes:
    """Full audit of the log; return its checkpoint bytes, or raise (exit 1) naming what is wrong."""
    current = store.checkpoint_bytes()
    audit = audit_log(store)
    errors = [f.line() for f in sorted(audit.findings) if f.severity == "error"]
    if errors:
        raise VerificationError(
            f"--log {store.root}: the log does not verify; nothing was appended: " + "; ".join(errors),
            remedy=f"run `glyphserpack log verify {store.root}` and restore the log from a good copy; "
            "never append onto a rewritten history",
        )
    cp = open_checkpoint(current, store.log_key).checkpoint
    if (cp.size, cp.root_hash) != (audit.size, audit.root_hash):
        raise InputError(f"--log {store.root}: the log changed while it was audited", remedy="build again")
    return current


def _previous_from_tree(
    store: LogStore, key: Ed25519PrivateKey, size: int, release: set[bytes], pack_index: int
) -> bytes:
    """Re-derive the pre-build checkpoint when every entry of this release is logged already.

    This release's appended entries form the contiguous run that ends with its pack entry and
    starts after the previous release's pack entry (every build's batch ends with its pack).
    Ed25519 is deterministic, so the re-signed checkpoint equals the one the log had then
    (cosignatures aside: witnesses cosign the log's latest checkpoint, not this one).
    """
    first = pack_index
    while first > 0:
        data = store.entry(first - 1, size)
        if (
            merkle.leaf_hash(data) not in release
            or decode_entry(data, where=f"log entry {first - 1}")["type"] == "pack_published"
        ):
            break
        first -= 1
    root = merkle.tree_hash(store.reader(size), first) if first else merkle.EMPTY_ROOT
    return sign_checkpoint(Checkpoint(store.origin, first, root), Signer(store.origin, key))


def append_release(ctx: BuildContext, store: LogStore, docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Append what the log lacks of ``docs`` (pack entry last), prove the pack, publish ``OUT/log``."""
    signer = Signer(store.origin, ctx.checkpoint_signer)
    current = audit_or_refuse(store)
    size = open_checkpoint(current, store.log_key).checkpoint.size
    encoded = [prepare_entry(d, where=f"build entry {i} ({d['type']})") for i, d in enumerate(docs)]
    leaves = [merkle.leaf_hash(e) for e in encoded]
    index_of: dict[bytes, int] = {}
    for index, data in store.iter_entries(size):
        index_of.setdefault(merkle.leaf_hash(data), index)
    new: list[bytes] = []
    for data, leaf in zip(encoded, leaves, strict=True):
        if leaf not in index_of:
            index_of[leaf] = size + len(new)
            new.append(data)
    saved = ctx.build_dir / PREVIOUS_NAME
    if saved.is_file():  # a resumed build: the checkpoint recorded before the interrupted append
        previous = read_bounded(saved, NOTE_LIMIT, what="saved previous checkpoint")
    else:
        leaf = leaves[-1]
        previous = (
            _previous_from_tree(store, ctx.checkpoint_signer, size, set(leaves), index_of[leaf]) if not new else current
        )
        atomic_write(saved, previous)  # durable before the append: a resume must see the same bytes
    ctx.hook("previous-saved")
    if new:
        ctx.progress(f"appending {len(new)} of {len(encoded)} entries to {store.root}")
        result = store.append_encoded(new, signer)
        if result.first_index != size:
            raise InputError(f"--log {store.root}: another process appended during the build", remedy="build again")
    else:
        ctx.progress(f"all {len(encoded)} entries are in {store.root} already; nothing appended")
    ctx.hook("appended")
    atomic_write(ctx.path(proof_path(ctx)), make_proof(store, index_of[leaves[-1]]))
    checkpoint = publish_copy(store, ctx.path(LOG_DIR))
    cp = open_checkpoint(checkpoint, store.log_key).checkpoint
    old = open_checkpoint(previous, store.log_key, where="previous checkpoint").checkpoint
    return {
        "log_size": cp.size,
        "log_root": cp.root_hash.hex(),
        "log_vkey": store.log_key.vkey(),
        "log_previous_size": old.size,
        # a first release (the log was empty) has no previous release to be consistent with
        "log_previous_checkpoint": previous.decode() if old.size else None,
    }


def publish_copy(store: LogStore, dest: Path) -> bytes:
    """Copy the log at its current checkpoint into ``dest`` (checkpoint written last); return it."""
    checkpoint = store.checkpoint_bytes()
    size = open_checkpoint(checkpoint, store.log_key).checkpoint.size
    shutil.rmtree(dest, ignore_errors=True)
    atomic_write(dest / CONFIG, read_bounded(store.root / CONFIG, 64 * 1024, what="log config"))
    reader = store.reader(size)
    for ref in tiles_for_size(size):
        atomic_write(dest / ref.path, reader.tile(ref.level, ref.index))
    for n in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        bundle = store.bundle(n, size)
        atomic_write(dest / entries_path(n, len(bundle)), encode_bundle(bundle))
    atomic_write(dest / CHECKPOINT, checkpoint)
    return checkpoint
