"""``site verify`` step 8: the transparency log a site publishes, and the states it shows.

a. the checkpoint signature (pinned key, trust store, or the key the site names), and N of M
   witness cosignatures (GSP-E401/E411/E414/E415);
b. a full audit of the published tiles against the checkpoint (GSP-E403..E407, E412);
c. every state in ``api/`` re-derived from the published entries (GSP-E313);
d. the consistency proof from the previous release's checkpoint, both the shipped one and
   one recomputed from the tiles (GSP-E408/E409, GSP-E315 when it is missing); given the
   previous release's log, a rewritten entry is named (GSP-E416 edited, E417 removed,
   E418 reordered).

A site without a log gets the info finding GSP-E314 ("not log-backed"), an error when the
caller demanded a log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glyphserpack._internal import jsontext
from glyphserpack._internal.fsio import read_bounded
from glyphserpack.errors import GlyphserpackError
from glyphserpack.findings import Finding, finding
from glyphserpack.log.audit import audit_log, check_consistency, diagnose_rewrite
from glyphserpack.log.checkpoint import open_checkpoint
from glyphserpack.log.note import Verifier
from glyphserpack.log.proof import verify_consistency_proof
from glyphserpack.log.store import CHECKPOINT, CONFIG, LogStore
from glyphserpack.site.api import log_state_doc
from glyphserpack.site.context import PREFIX
from glyphserpack.site.logview import CONSISTENCY_NAME, LOG_PREFIX, SECTION_FORMAT, as_verifier, derive_log
from glyphserpack.trust import TrustStore

__all__ = ["LogRequirements", "check_site_log"]

_JSON_LIMIT = 256 * 1024 * 1024
_REWRITE = ("GSP-E408", "GSP-E409")


@dataclass(frozen=True)
class LogRequirements:
    """What the caller demands of the site's log; by default only what the site itself declares."""

    log_key: Verifier | None = None
    witnesses: tuple[Verifier, ...] = ()
    witness_quorum: int | None = None
    previous_log: Path | None = None
    required: bool = False


def _code(exc: GlyphserpackError, default: str) -> tuple[str, str]:
    """The error's own code (``default`` when it has none) and its message."""
    return exc.code or default, exc.message


def _under(prefix: str, findings: Sequence[Finding]) -> list[Finding]:
    return [finding(f.code, f"{prefix}{f.where}", f.detail) for f in findings]


def _section(body: dict[str, Any], out: list[Finding]) -> dict[str, Any] | None:
    s = body.get("log")
    texts = ("checkpoint", "log_key", "origin", "state_time_utc")
    if (
        not isinstance(s, dict)
        or s.get("format") != SECTION_FORMAT
        or not all(isinstance(s.get(k), str) for k in texts)
    ):
        out.append(finding("GSP-E312", "site-manifest.json body.log", f"not a {SECTION_FORMAT} section"))
        return None
    return s


def _load_json(site: Path, rel: str, out: list[Finding]) -> Any:
    try:
        return jsontext.loads(read_bounded(site / rel, _JSON_LIMIT, what=rel))
    except (GlyphserpackError, ValueError, OSError) as exc:
        out.append(finding("GSP-E313", rel, f"unreadable: {getattr(exc, 'message', exc)}"))
        return None


def _agrees(status: object, log_state: str) -> bool:
    """A shown status agrees with the log's when equal, or when it is a fail the log cannot see.

    ``failed`` (verdict FAIL) and ``invalid`` (signature not verified) come from the signed
    evidence, which the log does not carry; they dominate whatever the log derives, and a
    certificate the log never issued can only be one of them.
    """
    return status in ("failed", "invalid") or (status == log_state and log_state != "not_logged")


def _compare_states(site: Path, store: LogStore, size: int, at: str, out: list[Finding]) -> None:
    """c. Every state api/ shows must be the state the published entries fold to."""
    try:
        derived = derive_log(store, size, at)
    except GlyphserpackError as exc:
        out.append(finding("GSP-E412", f"{LOG_PREFIX}/", exc.message))
        return
    registry = _load_json(site, "api/registry.json", out)
    rows = registry.get("certificates", []) if isinstance(registry, dict) else []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("sha256"), str):
            out.append(finding("GSP-E313", "api/registry.json", "malformed certificate row"))
            continue
        want = log_state_doc(derived.state_of(bytes.fromhex(row["sha256"])))
        docs: list[tuple[str, Any]] = [("api/registry.json", row)]
        cert = _load_json(site, f"api/certificates/{row['sha256'][:PREFIX]}.json", out)
        if isinstance(cert, dict):
            docs.append((f"api/certificates/{row['sha256'][:PREFIX]}.json", cert.get("entry")))
        for where, shown in docs:
            if not isinstance(shown, dict):
                out.append(finding("GSP-E313", where, "no registry entry"))
            elif (
                shown.get("status_source") != "log"
                or shown.get("log") != want
                or not _agrees(shown.get("status"), str(want["state"]))
            ):
                est = want["established_by"]
                at_entry = f" (entry #{est['index']})" if est else ""
                out.append(
                    finding(
                        "GSP-E313",
                        f"{where} {shown.get('id', row['sha256'][:PREFIX])!s}",
                        f"shows {shown.get('status')!r} ({shown.get('status_source')}); the log derives "
                        f"{want['state']!r}{at_entry}",
                    )
                )
    doc = _load_json(site, "api/log.json", out)
    if isinstance(doc, dict):
        want_all = [
            {
                "certificate_hash": h.hex(),
                "certificate_id": cs.certificate_id,
                "log": log_state_doc(derived.state_of(h)),
            }
            for h, cs in sorted(derived.lifecycle.certificates.items())
        ]
        if doc.get("size") != size or doc.get("certificates") != want_all:
            out.append(finding("GSP-E313", "api/log.json", "certificate states differ from those the log derives"))


def _consistency(
    site: Path,
    store: LogStore,
    key: Verifier,
    current: bytes,
    previous: dict[str, Any],
    section: dict[str, Any],
    req: LogRequirements,
    out: list[Finding],
) -> None:
    """d. The log must extend the checkpoint the previous release published."""
    old = str(previous.get("checkpoint", "")).encode()
    found: list[Finding] = []
    if section.get("consistency_proof") != CONSISTENCY_NAME:
        found.append(
            finding("GSP-E315", "site-manifest.json body.log", "the previous release had a log; no consistency proof")
        )
    else:
        try:
            data = read_bounded(site / CONSISTENCY_NAME, 1 << 20, what=CONSISTENCY_NAME)
            doc = jsontext.loads(data)
            if doc.get("old_checkpoint") != old.decode() or doc.get("new_checkpoint") != current.decode():
                found.append(
                    finding(
                        "GSP-E409",
                        CONSISTENCY_NAME,
                        "the proof does not run from the previous release's checkpoint to log/checkpoint",
                    )
                )
            verify_consistency_proof(data, key, where=CONSISTENCY_NAME)
        except GlyphserpackError as exc:
            code, msg = _code(exc, "GSP-E409")
            found.append(finding(code, CONSISTENCY_NAME, msg))
        except (ValueError, AttributeError) as exc:
            found.append(finding("GSP-E409", CONSISTENCY_NAME, f"malformed: {exc}"))
    found += _under(
        f"{LOG_PREFIX}/ ", check_consistency(store, old, current, where_old="previous release's checkpoint")
    )
    out.extend(found)
    if not any(f.code in _REWRITE for f in found):
        return
    if req.previous_log is None:
        out.append(
            finding(
                "GSP-E409",
                f"{LOG_PREFIX}/",
                "history rewritten since the previous release; pass its log (--previous-log) to name the entry",
            )
        )
        return
    old_dir = req.previous_log / LOG_PREFIX if (req.previous_log / LOG_PREFIX / CONFIG).is_file() else req.previous_log
    try:
        old_store = LogStore(old_dir, log_key=key)
        old_cp = open_checkpoint(old, key).checkpoint
        audit = audit_log(old_store)
        if not audit.ok or (audit.size, audit.root_hash) != (old_cp.size, old_cp.root_hash):
            out.append(
                finding("GSP-E312", "--previous-log", "not the log the previous release published (or it is damaged)")
            )
            return
        old_size = old_cp.size
        new_size = open_checkpoint(current, key).checkpoint.size
        named = diagnose_rewrite(old_store, store, old_size, new_size)
    except GlyphserpackError as exc:
        out.append(finding("GSP-E312", "--previous-log", exc.message))
        return
    out.extend(_under(f"{LOG_PREFIX}/ ", named))


def check_site_log(
    site: Path,
    body: dict[str, Any],
    previous_body: dict[str, Any] | None,
    *,
    req: LogRequirements,
    trust: TrustStore | None,
) -> list[Finding]:
    """Findings of step 8 for a site whose manifest ``body`` was read (and ``previous_body`` when chained)."""
    out: list[Finding] = []
    if "log" not in body:
        if req.required:
            out.append(finding("GSP-E312", "site-manifest.json", "the site publishes no transparency log"))
        else:
            out.append(finding("GSP-E314", "site-manifest.json", "certificate states are not log-backed"))
        return out
    section = _section(body, out)
    if section is None:
        return out
    try:
        key = req.log_key or as_verifier(str(section["log_key"]))
        store = LogStore(site / LOG_PREFIX, log_key=key)
        current = read_bounded(site / LOG_PREFIX / CHECKPOINT, 1 << 20, what="log/checkpoint")
    except GlyphserpackError as exc:
        out.append(finding("GSP-E312", f"{LOG_PREFIX}/", exc.message))
        return out
    if current.decode("utf-8", "replace") != section["checkpoint"]:
        out.append(finding("GSP-E312", f"{LOG_PREFIX}/{CHECKPOINT}", "differs from the checkpoint the manifest names"))
    if req.witnesses:
        witnesses, quorum = req.witnesses, req.witness_quorum or 0
    else:
        try:
            witnesses = tuple(as_verifier(str(w), witness=True) for w in section.get("witnesses") or [])
        except GlyphserpackError as exc:
            out.append(finding("GSP-E312", "site-manifest.json body.log.witnesses", exc.message))
            witnesses = ()
        quorum = req.witness_quorum if req.witness_quorum is not None else int(section.get("witness_quorum") or 0)
    if quorum > len(witnesses):
        out.append(finding("GSP-E411", "checkpoint", f"a quorum of {quorum} needs {quorum} witness keys"))
        quorum = len(witnesses)
    when = str(body.get("build_time_utc", ""))
    audit = audit_log(
        store,
        witnesses=witnesses,
        quorum=quorum,
        trust=trust if req.log_key is None else None,
        trust_time=when,
    )
    out += _under(f"{LOG_PREFIX}/", audit.findings)
    if not audit.ok:
        return out  # without a sound log there is nothing to derive or extend
    _compare_states(site, store, audit.size, str(section["state_time_utc"]), out)
    prev = previous_body.get("log") if isinstance(previous_body, dict) else None
    if isinstance(prev, dict):
        _consistency(site, store, key, current, prev, section, req, out)
    elif isinstance(section.get("previous_checkpoint"), str):
        # No previous site to chain to (``build --log`` knows the log's checkpoint before this
        # release instead): the proof it publishes must still hold, not merely be hashed.
        _consistency(site, store, key, current, {"checkpoint": section["previous_checkpoint"]}, section, req, out)
    return out
