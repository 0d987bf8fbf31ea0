"""The build's transparency log: one entry per certificate, revocation and pack.

Without ``--log`` the log under ``OUT/log`` is built from nothing on every run of the step:
entries come in a fixed order with times from the evidence, and Ed25519 note signatures are
deterministic, so a re-run after a crash produces the same tiles and checkpoint byte for
byte; it is this release's self-contained record. With ``--log LOG_DIR`` the same entries
are appended to the registry's long-lived log instead (only those it lacks; see
:mod:`glyphserpack.release.registry_log`) and ``OUT/log`` is a copy of it.
"""

from __future__ import annotations

import shutil
from typing import Any
from urllib.parse import urlsplit

from glyphserpack._internal.fsio import atomic_write
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.findings import Finding, finding
from glyphserpack.pack.report import Check
from glyphserpack.release.context import BuildContext
from glyphserpack.release.loglayout import LOG_DIR, PROOF_DIR, PROOF_NAME, proof_path
from glyphserpack.release.registry_log import append_release, open_registry_log

__all__ = [
    "LOG_DIR",
    "PROOF_DIR",
    "PROOF_NAME",
    "certificate_entries",
    "log_entries",
    "log_origin",
    "proof_path",
    "run_log_step",
    "verify_log",
]

_TYPE_ORDER = {"certificate_issued": 0, "certificate_superseded": 1, "certificate_revoked": 2, "pack_published": 3}


def log_origin(ctx: BuildContext) -> str:
    """``HOST/PATH/log`` from the base URL, else ``glyphserpack.invalid/RELEASE/log`` (never resolvable)."""
    base = ctx.config.base_url
    if base:
        parts = urlsplit(base)
        host = (parts.netloc + parts.path).strip("/")
        if host:
            return f"{host}/log"
    return f"glyphserpack.invalid/{ctx.tree.manifest.release_id}/log"


def log_entries(ctx: BuildContext) -> list[dict[str, Any]]:
    """Entries for every certificate and revocation (:func:`certificate_entries`), then the pack."""
    entries = certificate_entries(ctx.tree)
    entries.append(
        {
            "type": "pack_published",
            "pack_hash": ctx.state["pack_root"],
            "pack_name": ctx.state["pack_name"],
            "time_utc": ctx.build_time_utc(),
        }
    )
    return entries


def certificate_entries(tree: EvidenceTree) -> list[dict[str, Any]]:
    """Entries for every certificate and revocation whose signature verifies, in time order.

    A certification record whose verdict is FAIL is not logged: it never certified anything
    (the site and ``check`` show it as ``failed``). A later certificate for the same subject
    supersedes the earlier one at its issue time, by the same rule the site and ``check`` use
    (:func:`glyphserpack.evidence.status.supersession`), unless the earlier one was revoked by
    then (revocation is final). Expiry and sunset are not logged: they follow from
    ``not_after_utc`` and ``sunset_utc`` (``glyphserpack log state --at TIME``).
    """
    from glyphserpack.evidence.status import CERTIFICATE_KINDS, issued_time, signature_ok, supersession
    from glyphserpack.log.cert_entries import issued_entry, revoked_entry

    certs = [d for k in CERTIFICATE_KINDS for d in tree.by_kind(k)]
    logged = [d for d in certs if signature_ok(tree, d) and getattr(d.model, "verdict", "PASS") != "FAIL"]
    issued = [issued_entry(doc) for doc in logged]
    revoked = [revoked_entry(doc) for doc in tree.by_kind("revocation") if signature_ok(tree, doc)]
    gone: dict[str, str] = {}
    for e in revoked:
        gone[e["certificate_hash"]] = min(e["time_utc"], gone.get(e["certificate_hash"], e["time_utc"]))
    superseded = []
    by_path = {d.path: d for d in logged}
    for path, new in sorted(supersession(logged).items()):
        old = by_path[path]
        if gone.get(old.sha256, "9999") > issued_time(new):
            superseded.append(
                {
                    "type": "certificate_superseded",
                    "certificate_hash": old.sha256,
                    "superseded_by_hash": new.sha256,
                    "time_utc": issued_time(new),
                }
            )
    entries = issued + superseded + revoked
    entries.sort(key=lambda e: (e["time_utc"], _TYPE_ORDER[e["type"]], e["certificate_hash"]))
    return entries


def _key_option(ctx: BuildContext) -> str:
    return "--log-key" if ctx.config.log_key is not None else "--sign-key"


def run_log_step(ctx: BuildContext) -> dict[str, Any]:
    """(Re)create ``OUT/log``, append every entry in one batch, write the pack's inclusion proof.

    With ``--log`` the entries go to the registry's log and ``OUT/log`` is a copy of it.
    """
    from glyphserpack.log import LogStore, Signer, make_proof

    if ctx.config.log is not None:
        store = open_registry_log(ctx.config.log, ctx.checkpoint_signer, option=_key_option(ctx))
        return append_release(ctx, store, log_entries(ctx))
    root = ctx.path(LOG_DIR)
    shutil.rmtree(root, ignore_errors=True)
    signer = Signer(log_origin(ctx), ctx.checkpoint_signer)
    store = LogStore.init(root, signer)
    entries = log_entries(ctx)
    ctx.progress(f"appending {len(entries)} log entries")
    result = store.append(entries, signer)
    index = result.size - 1  # the pack entry is last
    atomic_write(ctx.path(proof_path(ctx)), make_proof(store, index))
    return {"log_size": result.size, "log_root": result.root_hash.hex(), "log_vkey": signer.verifier().vkey()}


def verify_log(ctx: BuildContext, proof: bytes | None) -> tuple[list[Check], list[Finding]]:
    """Audit the log and check the pack's attached inclusion proof against the log key."""
    from glyphserpack.errors import GlyphserpackError
    from glyphserpack.log import LogStore, audit_log, parse_verifier_key, verify_proof

    checks: list[Check] = []
    findings: list[Finding] = []
    key = parse_verifier_key(ctx.state["log_vkey"])
    audit = audit_log(LogStore(ctx.path(LOG_DIR), log_key=key))
    findings += audit.findings
    checks.append(Check("L.audit", "pass" if audit.ok else "fail", f"log of {audit.size} entries"))
    if proof is None:
        findings.append(finding("GSP-E410", f"proofs/{PROOF_NAME}", "the pack carries no inclusion proof"))
        checks.append(Check("L.inclusion", "fail", "no proof attached"))
        return checks, findings
    try:
        verified = verify_proof(proof, key, where=f"proofs/{PROOF_NAME}")
        entry = verified.entry
        if entry.get("type") != "pack_published" or entry.get("pack_hash") != bytes.fromhex(ctx.state["pack_root"]):
            raise ValueError(f"the proof is for a {entry.get('type')} entry, not for this pack's root hash")
        checks.append(Check("L.inclusion", "pass", f"entry {verified.index} of {verified.checkpoint.size}"))
    except (GlyphserpackError, ValueError) as exc:
        findings.append(finding("GSP-E410", f"proofs/{PROOF_NAME}", str(exc)))
        checks.append(Check("L.inclusion", "fail", str(exc)))
    return checks, findings
