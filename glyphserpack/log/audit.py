"""Full audit of a log directory and naming of rewritten history.

The audit recomputes the whole tree from the entry bundles, compares every stored tile
with the recomputation and the final root with the signed checkpoint, and reports *all*
problems as findings. It streams bundle by bundle through a :class:`Frontier`, so auditing
a log of any size needs O(log n) memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from glyphserpack.errors import GlyphserpackError
from glyphserpack.findings import Finding, Report, finding
from glyphserpack.log import merkle
from glyphserpack.log.checkpoint import Checkpoint, open_checkpoint
from glyphserpack.log.entries import decode_entry
from glyphserpack.log.note import Verifier, parse_note
from glyphserpack.log.store import LogStore
from glyphserpack.log.tiles import TILE_HEIGHT, TILE_WIDTH, Frontier, tile_path
from glyphserpack.signing import key_id
from glyphserpack.trust import TrustStore

__all__ = ["AuditReport", "audit_log", "check_consistency", "diagnose_rewrite"]


@dataclass
class AuditReport(Report):
    """Outcome of an audit: valid only when there is no error-severity finding."""

    size: int = 0
    root_hash: bytes = b""
    cosigners: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Same as ``valid`` (the name of ``log verify --json``'s ``ok`` key)."""
        return self.valid

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "ok": self.ok,
            "size": self.size,
            "root_hash": self.root_hash.hex(),
            "cosigners": sorted(self.cosigners),
            "findings": self.findings_dicts(),
        }

    def to_json(self) -> dict[str, Any]:
        """Same as :meth:`to_dict` (the name older callers use)."""
        return self.to_dict()


def _code_of(exc: GlyphserpackError, default: str) -> tuple[str, str]:
    """The error's own ``GSP-E4xx`` code (``default`` when it has none) and its message."""
    code = exc.code if exc.code is not None and exc.code.startswith("GSP-E4") else default
    return code, exc.message


def _compare_tile(store: LogStore, level: int, n: int, row: list[bytes], out: list[Finding], size: int) -> None:
    width = len(row)
    try:
        stored = store.reader(size).tile(level, n)
    except GlyphserpackError as exc:
        code, msg = _code_of(exc, "GSP-E403")
        out.append(finding(code, tile_path(level, n, width), msg))
        return
    got = [stored[i * 32 : (i + 1) * 32] for i in range(width)]
    bad = [i for i in range(width) if got[i] != row[i]]
    if bad:
        first = (n * TILE_WIDTH + bad[0]) << (TILE_HEIGHT * level)
        out.append(
            finding(
                "GSP-E405",
                tile_path(level, n, width),
                f"{len(bad)} of {width} hashes differ from the entries; first differing hash covers entry {first}",
            )
        )


def audit_log(
    store: LogStore,
    *,
    witnesses: Sequence[Verifier] = (),
    quorum: int = 0,
    last_seen: bytes | None = None,
    trust: TrustStore | None = None,
    trust_time: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditReport:
    """Check the checkpoint signature(s), every bundle and tile, and the root; collect findings.

    ``progress(done, total)`` is told the entries checked so far, every 64 bundles and at the end.
    """
    report = AuditReport()
    try:
        data = store.checkpoint_bytes()
        vc = open_checkpoint(data, store.log_key, witnesses=witnesses, quorum=quorum)
    except GlyphserpackError as exc:
        code, msg = _code_of(exc, "GSP-E402")
        report.findings.append(finding(code, "checkpoint", msg))
        return report
    cp = vc.checkpoint
    report.size, report.root_hash, report.cosigners = cp.size, cp.root_hash, sorted(vc.cosigners)
    for name in vc.bad_cosigners:
        report.findings.append(finding("GSP-E419", "checkpoint", f"cosignature by {name} does not verify"))
    if trust is not None:
        _check_trust(store, data, trust, trust_time, report)
    if last_seen is not None:
        report.findings.extend(check_consistency(store, last_seen, data, where_old="last-seen checkpoint"))
    frontier = Frontier()
    reported = 0
    for n in range((cp.size + TILE_WIDTH - 1) // TILE_WIDTH):
        try:
            bundle = store.bundle(n, cp.size)
        except GlyphserpackError as exc:
            code, msg = _code_of(exc, "GSP-E406")
            report.findings.append(finding(code, f"bundle {n}", msg))
            return report  # without the entries nothing further can be recomputed
        for i, leaf in enumerate(bundle):
            try:
                decode_entry(leaf, where=f"entry {n * TILE_WIDTH + i}")
            except GlyphserpackError as exc:
                if reported < 20:
                    report.findings.append(finding("GSP-E412", f"entry {n * TILE_WIDTH + i}", exc.message))
                reported += 1
        for level, idx, row in frontier.push([merkle.leaf_hash(e) for e in bundle]):
            _compare_tile(store, level, idx, row, report.findings, cp.size)
        if progress is not None and n % 64 == 63:
            progress(frontier.size, cp.size)
    if progress is not None:
        progress(frontier.size, cp.size)
    for level, row in frontier.partials().items():
        idx = (cp.size >> (TILE_HEIGHT * level)) // TILE_WIDTH
        _compare_tile(store, level, idx, row, report.findings, cp.size)
    root = frontier.root()
    if root != cp.root_hash:
        report.findings.append(
            finding("GSP-E407", "checkpoint", f"entries hash to {root.hex()}, the checkpoint says {cp.root_hash.hex()}")
        )
    return report


def _check_trust(store: LogStore, data: bytes, trust: TrustStore, when: str | None, report: AuditReport) -> None:
    """The log key must be in the trust store for purpose ``checkpoint`` at ``when``."""
    kid = key_id(store.log_key.raw)
    note = parse_note(data)
    sig = next(iter(note.matching(store.log_key)), None)
    if when is None:
        status = "no time given for the trust check (--at or SOURCE_DATE_EPOCH)"
    elif sig is None:
        status = "no signature"
    else:
        status = trust.check(kid, sig.blob, note.text.encode(), when=when, purpose="checkpoint")
    if status != "ok":
        report.findings.append(finding("GSP-E415", "checkpoint", f"log key {kid[:16]}: {status}"))


def check_consistency(
    store: LogStore, old_data: bytes, new_data: bytes, *, where_old: str = "old checkpoint"
) -> list[Finding]:
    """Findings for (old, new) checkpoints of ``store``'s log: signature, rollback, consistency."""
    out: list[Finding] = []
    opened: list[Checkpoint] = []
    for label, blob in ((where_old, old_data), ("new checkpoint", new_data)):
        try:
            opened.append(open_checkpoint(blob, store.log_key, where=label).checkpoint)
        except GlyphserpackError as exc:
            code, msg = _code_of(exc, "GSP-E402")
            out.append(finding(code, label, msg))
    if out:
        return out
    old, new = opened
    if new.size < old.size:
        return [finding("GSP-E408", "new checkpoint", f"size {new.size} is smaller than the {old.size} seen before")]
    try:
        proof = merkle.consistency_proof(store.reader(new.size), old.size, new.size)
    except GlyphserpackError as exc:
        code, msg = _code_of(exc, "GSP-E403")
        return [finding(code, "log", msg)]
    if not merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof):
        out.append(
            finding(
                "GSP-E409",
                "new checkpoint",
                f"the size-{new.size} tree does not extend the size-{old.size} tree (history rewritten "
                "or the log's tiles do not match the new checkpoint)",
            )
        )
    return out


def diagnose_rewrite(old: LogStore, new: LogStore, old_size: int, new_size: int) -> list[Finding]:
    """Name the first rewritten entry by comparing an old copy of the log with the new one.

    Only called once a consistency check failed; it holds leaf hashes of both logs in memory,
    which is acceptable for a diagnosis but not for the append path.
    """
    old_leaves = [merkle.leaf_hash(d) for _, d in old.iter_entries(old_size)]
    new_leaves = [merkle.leaf_hash(d) for _, d in new.iter_entries(new_size)]
    where = {h: i for i, h in reversed(list(enumerate(new_leaves)))}
    for i, h in enumerate(old_leaves):
        if i < len(new_leaves) and new_leaves[i] == h:
            continue
        j = where.get(h)
        if j is None:
            if i < len(new_leaves) and new_leaves[i] not in set(old_leaves):
                return [finding("GSP-E416", f"entry {i}", "the entry's content differs from the earlier log")]
            return [finding("GSP-E417", f"entry {i}", "the entry of the earlier log is no longer in the log")]
        return [finding("GSP-E418", f"entry {i}", f"the entry of the earlier log now sits at index {j}")]
    return []
