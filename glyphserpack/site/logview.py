"""The site's side of the transparency log: states derived from it, files published from it.

With a log, a certificate's status on every page and in ``api/`` is the one rule
(:func:`glyphserpack.evidence.status.certificate_status`) applied to its signed evidence
(signature, verdict, validity, sunset) and the lifecycle events the log records
(revocation, supersession, expiry), shown with the entry that established it; a certificate
the log never issued is ``invalid`` there. No status is ever typed in. The log's tiles and
checkpoint are republished under ``log/``
(C2SP tlog-tiles, so monitors can read them from the site), and the manifest body commits
to the checkpoint text: the next release can then prove, with an RFC 9162 consistency proof
shipped as ``log/consistency.json``, that its log extends this one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from glyphserpack._internal import jsonout
from glyphserpack._internal.docload import parse_document
from glyphserpack._internal.fsio import atomic_write, read_bounded
from glyphserpack.errors import GlyphserpackError, SiteBuildError
from glyphserpack.evidence.status import certificate_status, with_log
from glyphserpack.log import merkle
from glyphserpack.log.audit import audit_log
from glyphserpack.log.checkpoint import VerifiedCheckpoint, open_checkpoint
from glyphserpack.log.entries import decode_entry, entry_digest
from glyphserpack.log.lifecycle import LifecycleReport, derive_states
from glyphserpack.log.note import ALG_COSIGNATURE_V1, Verifier, parse_verifier_key
from glyphserpack.log.proof import make_consistency_proof
from glyphserpack.log.store import CHECKPOINT, CONFIG, LogStore
from glyphserpack.log.tiles import TILE_WIDTH, encode_bundle, entries_path, tiles_for_size
from glyphserpack.site.context import CertRecord, LogEvent, LogState, LogSummary, SiteContext
from glyphserpack.trust import TrustStore

__all__ = [
    "CONSISTENCY_NAME",
    "KEY_PINNED",
    "KEY_SELF",
    "KEY_TRUST",
    "LOG_JS",
    "LOG_PREFIX",
    "SECTION_FORMAT",
    "Derived",
    "SiteLog",
    "apply_log",
    "as_verifier",
    "consistency_from",
    "derive_log",
    "open_site_log",
    "previous_log_section",
    "publish_log",
]

SECTION_FORMAT = "glyphserpack-site-log/1"
LOG_PREFIX = "log"
CONSISTENCY_NAME = "log/consistency.json"
LOG_JS = "assets/gsp/log-data.js"
KEY_PINNED = "pinned verifier key"
KEY_TRUST = "trust store (purpose checkpoint)"
KEY_SELF = "log directory's own log.json (self-consistency only)"


def as_verifier(key: Verifier | str, *, witness: bool = False) -> Verifier:
    """A verifier key object from itself or its ``name+hash+base64`` text."""
    v = key if isinstance(key, Verifier) else parse_verifier_key(key)
    if witness and v.alg != ALG_COSIGNATURE_V1:
        raise SiteBuildError(f"witness key {v.name}: not a cosignature (type 0x04) key")
    return v


_IMPLIED = {
    "certificate_issued": "valid",
    "certificate_renewed": "valid",
    "certificate_superseded": "superseded",
    "certificate_expired": "expired",
    "certificate_revoked": "revoked",
}


@dataclass(frozen=True)
class Derived:
    """Per-certificate log events, the state each event implies for it, and the fold."""

    events: dict[bytes, list[LogEvent]]
    implied: dict[tuple[bytes, int], str]
    lifecycle: LifecycleReport
    at: str
    packs: dict[bytes, LogEvent]

    def state_of(self, h: bytes) -> LogState:
        """The status the log's facts give certificate ``h`` at ``at``, and the entry behind it.

        The status is :func:`~glyphserpack.evidence.status.certificate_status` of what the
        log records (the rule ``check`` uses); ``not_logged`` when the log never issued it.
        """
        mine = tuple(self.events.get(h, ()))
        cs = self.lifecycle.certificates.get(h)
        if cs is None:
            return LogState("not_logged", "no issuance entry for this certificate's SHA-256 in the log", None, mine)
        by_index = {e.index: e for e in mine}
        first = by_index[cs.history[0]]
        est = first
        for i in cs.history:  # only the events the fold accepted
            if self.implied.get((h, i)) == cs.state:
                est = by_index[i]
                break
        st = certificate_status(cs.facts(), self.at)
        if cs.state == "revoked":
            reason = f"revoked: {cs.revocation_reason} (RFC 5280 code {cs.revocation_reason_code}), entry #{est.index}"
        elif est is first:
            reason = f"{st.reason} (entry #{first.index})"
        else:
            reason = f"{st.reason} (entry #{est.index})"
        return LogState(cs.state, reason, est, mine)


def derive_log(store: LogStore, size: int, at: str) -> Derived:
    """Fold the first ``size`` entries at ``at`` (UTC text); raises on an undecodable entry."""
    events: dict[bytes, list[LogEvent]] = {}
    implied: dict[tuple[bytes, int], str] = {}
    packs: dict[bytes, LogEvent] = {}
    entries: list[tuple[int, dict[str, Any]]] = []
    for index, data in store.iter_entries(size):
        entry = decode_entry(data, where=f"log entry {index}")
        entries.append((index, entry))
        ev = LogEvent(index, entry["type"], entry["time_utc"], merkle.leaf_hash(data).hex(), entry_digest(entry).hex())
        if entry["type"] == "pack_published":
            packs.setdefault(entry["pack_hash"], ev)  # the first publication of that pack
            continue
        if "certificate_hash" in entry:
            events.setdefault(entry["certificate_hash"], []).append(ev)
            if entry["type"] in _IMPLIED:
                implied[(entry["certificate_hash"], index)] = _IMPLIED[entry["type"]]
        if "renews_hash" in entry:
            events.setdefault(entry["renews_hash"], []).append(ev)
            implied[(entry["renews_hash"], index)] = "superseded"
    return Derived(events, implied, derive_states(entries, at=at), at, packs)


@dataclass(frozen=True)
class SiteLog:
    """A log whose checkpoint and tiles verified, with every certificate's derived state."""

    store: LogStore
    checkpoint: bytes
    verified: VerifiedCheckpoint
    key_source: str
    witnesses: tuple[Verifier, ...]
    quorum: int
    derived: Derived

    @property
    def size(self) -> int:
        return self.verified.checkpoint.size


def _fail(log_dir: Path, what: str, lines: Sequence[str]) -> SiteBuildError:
    return SiteBuildError(
        f"log {log_dir}: {what}: " + "; ".join(lines),
        remedy="run `glyphserpack log verify` on the log; a site is never built on a log that does not verify",
    )


def open_site_log(
    log_dir: Path,
    *,
    at: str,
    log_key: Verifier | str | None = None,
    trust: TrustStore | None = None,
    witnesses: Sequence[Verifier | str] = (),
    witness_quorum: int = 0,
) -> SiteLog:
    """Open, fully audit and fold a log directory; raise :class:`SiteBuildError` on any error finding.

    The key is the pinned ``log_key`` when given; else the one in ``log.json``, which only
    proves self-consistency unless ``trust`` holds it for purpose ``checkpoint`` at ``at``.
    """
    log_dir = Path(log_dir)
    wits = tuple(as_verifier(w, witness=True) for w in witnesses)
    if witness_quorum > len(wits):
        raise SiteBuildError(f"a witness quorum of {witness_quorum} needs at least that many witness keys")
    store = LogStore(log_dir, log_key=as_verifier(log_key) if log_key is not None else None)
    report = audit_log(store, witnesses=wits, quorum=witness_quorum, trust=trust, trust_time=at)
    errors = [f.line() for f in sorted(report.findings) if f.severity == "error"]
    if errors:
        raise _fail(log_dir, "the log does not verify", errors)
    data = store.checkpoint_bytes()
    vc = open_checkpoint(data, store.log_key, witnesses=wits, quorum=witness_quorum)
    if (vc.checkpoint.size, vc.checkpoint.root_hash) != (report.size, report.root_hash):
        raise _fail(log_dir, "the log changed while it was audited", ["build again"])
    source = KEY_PINNED if log_key is not None else KEY_TRUST if trust is not None else KEY_SELF
    derived = derive_log(store, vc.checkpoint.size, at)
    return SiteLog(store, data, vc, source, wits, witness_quorum, derived)


def previous_log_section(raw: bytes, *, name: str = "previous manifest") -> dict[str, Any] | None:
    """The ``body.log`` section of a (previous) site manifest, or None when it had no log."""
    obj = parse_document(raw, name=name, fmt="json")
    body = obj.get("body") if isinstance(obj, dict) else None
    section = body.get("log") if isinstance(body, dict) else None
    if section is None:
        return None
    if not isinstance(section, dict) or section.get("format") != SECTION_FORMAT:
        raise SiteBuildError(f"{name}: body.log is not a {SECTION_FORMAT} section")
    if not all(isinstance(section.get(k), str) for k in ("checkpoint", "log_key", "origin")):
        raise SiteBuildError(f"{name}: body.log lacks checkpoint, log_key or origin text")
    return section


def consistency_from(log: SiteLog, section: dict[str, Any] | None) -> bytes | None:
    """The consistency proof from the previous release's checkpoint, or None for a first log-backed site."""
    if section is None:
        return None
    old_key = as_verifier(str(section["log_key"]))
    if old_key.vkey() != log.store.log_key.vkey():
        raise SiteBuildError(
            f"the previous release's log is {old_key.name} with another key; this log is "
            f"{log.store.log_key.name}: a release cannot silently switch to a different log",
            code="GSP-E414",
            remedy="build from the log the previous release published (append to it)",
        )
    try:
        return make_consistency_proof(log.store, str(section["checkpoint"]).encode())
    except GlyphserpackError as exc:
        raise SiteBuildError(
            f"{exc.message} (previous release's checkpoint)",
            code=exc.code,
            remedy="the log no longer extends what the previous release published; history was rewritten. "
            "Name the entry with `glyphserpack log consistency OLD NEW --log LOG --old-log PREVIOUS_SITE/log`",
        ) from None


def _with_log(c: CertRecord, d: Derived) -> CertRecord:
    """The certificate's status from its evidence facts and the log's lifecycle events."""
    h = bytes.fromhex(c.sha256)
    st = d.state_of(h)
    cs = d.lifecycle.certificates.get(h)
    if c.facts is None:
        return replace(c, log_state=st)
    status = certificate_status(with_log(c.facts, cs.facts() if cs is not None else None), d.at)
    reason = st.reason if status.status == st.state else status.reason
    return replace(c, status=status.status, status_reason=reason, log_state=st)


def apply_log(ctx: SiteContext, log: SiteLog, previous_size: int | None, *, has_consistency: bool) -> SiteContext:
    """Give every certificate its status from its evidence and the log's events (one rule)."""
    d = log.derived
    certs = tuple(_with_log(c, d) for c in ctx.certificates)
    packs = tuple(
        replace(p, log_entry=d.packs.get(bytes.fromhex(p.root_hash or "")) or d.packs.get(bytes.fromhex(p.sha256)))
        for p in ctx.packs
    )
    cp = log.verified.checkpoint
    summary = LogSummary(
        origin=cp.origin,
        size=cp.size,
        root_hash=cp.root_hash.hex(),
        log_key=log.store.log_key.vkey(),
        key_source=log.key_source,
        checkpoint=log.checkpoint.decode(),
        consistency_proof=CONSISTENCY_NAME if has_consistency else None,
        cosigners=tuple(sorted(log.verified.cosigners)),
        witness_quorum=log.quorum,
        state_time_utc=d.at,
        previous_size=previous_size,
        findings=tuple(f.line() for f in sorted(d.lifecycle.findings)),
        certificates=tuple(
            (h.hex(), d.lifecycle.certificates[h].certificate_id, d.state_of(h))
            for h in sorted(d.lifecycle.certificates)
        ),
    )
    return replace(ctx, certificates=certs, packs=packs, log=summary)


def publish_log(log: SiteLog, site: Path, consistency: bytes | None) -> dict[str, Any]:
    """Write ``log/`` (checkpoint, log.json, the tiles of this size, consistency proof) and
    ``assets/gsp/log-data.js``; return the manifest body's ``log`` section."""
    out = site / LOG_PREFIX
    size = log.size
    atomic_write(out / CHECKPOINT, log.checkpoint)
    atomic_write(out / CONFIG, read_bounded(log.store.root / CONFIG, 64 * 1024, what="log config"))
    reader = log.store.reader(size)
    for ref in tiles_for_size(size):
        atomic_write(out / ref.path, reader.tile(ref.level, ref.index))
    for n in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        bundle = log.store.bundle(n, size)
        atomic_write(out / entries_path(n, len(bundle)), encode_bundle(bundle))
    cp = log.verified.checkpoint
    section: dict[str, Any] = {
        "format": SECTION_FORMAT,
        "prefix": f"{LOG_PREFIX}/",
        "origin": cp.origin,
        "log_key": log.store.log_key.vkey(),
        "key_source": log.key_source,
        "size": size,
        "root_hash": cp.root_hash.hex(),
        "checkpoint": log.checkpoint.decode(),
        "witnesses": [w.vkey() for w in log.witnesses],
        "witness_quorum": log.quorum,
        "cosigners": sorted(log.verified.cosigners),
        "state_time_utc": log.derived.at,
    }
    doc: dict[str, Any] | None = None
    if consistency is not None:
        atomic_write(site / CONSISTENCY_NAME, consistency)
        doc = json.loads(consistency)
        section["consistency_proof"] = CONSISTENCY_NAME
        section["previous_checkpoint"] = doc["old_checkpoint"]
    browser = {k: section[k] for k in ("origin", "log_key", "key_source", "checkpoint", "witnesses", "witness_quorum")}
    browser["consistency"] = doc
    text = jsonout.dumps(browser, indent=None).replace("</", "<\\/")
    atomic_write(site / LOG_JS, f"window.GSP_LOG = {text};\n".encode())
    return section
