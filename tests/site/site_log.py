"""Transparency logs for the site tests: entries for the demo evidence, releases, rewrites."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack.evidence.loader import load_tree
from glyphserpack.log import LogStore, Signer
from glyphserpack.log.note import ALG_COSIGNATURE_V1

ORIGIN = "glyphser.example/site-test-log"


def _key(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"site log test {label}".encode()).digest())


LOG_SIGNER = Signer(ORIGIN, _key("log"))
OTHER_SIGNER = Signer(ORIGIN, _key("impostor"))
WITNESSES = [Signer(f"witness.example/w{i}", _key(f"w{i}"), ALG_COSIGNATURE_V1) for i in range(3)]


def evidence_entries(evidence: Path) -> list[dict[str, Any]]:
    """One issuance per certificate and record, one revocation per revocation document (log order)."""
    tree = load_tree(evidence)
    out: list[dict[str, Any]] = []
    for doc in tree.by_kind("execution_certificate"):
        m: Any = doc.model
        out.append(
            {
                "type": "certificate_issued",
                "certificate_hash": doc.sha256,
                "certificate_id": m.run_id,
                "not_after_utc": m.valid_until_utc,
                "time_utc": m.verification_time_utc,
            }
        )
    for doc in tree.by_kind("certification_record"):
        r: Any = doc.model
        out.append(
            {
                "type": "certificate_issued",
                "certificate_hash": doc.sha256,
                "certificate_id": r.record_id,
                "not_after_utc": r.valid_until_utc,
                "time_utc": r.issued_utc,
            }
        )
    for doc in tree.by_kind("revocation"):
        v: Any = doc.model
        out.append(
            {
                "type": "certificate_revoked",
                "certificate_hash": v.target.sha256,
                "reason": v.reason_code,
                "time_utc": v.revoked_utc,
            }
        )
    out.sort(key=lambda e: (e["time_utc"], e["type"] != "certificate_issued", e["certificate_hash"]))
    return out


def make_log(log_dir: Path, entries: list[dict[str, Any]], *, signer: Signer = LOG_SIGNER) -> LogStore:
    store = LogStore.init(log_dir, signer)
    if entries:
        store.append(entries, signer)
    return store


def cosign(store: LogStore, witnesses: list[Signer], timestamp: int = 1_790_000_000) -> None:
    for w in witnesses:
        store.witness(w, timestamp)


def by_id(entries: list[dict[str, Any]]) -> dict[str, str]:
    """certificate_id -> certificate_hash of the issuance entries."""
    return {e["certificate_id"]: e["certificate_hash"] for e in entries if e["type"] == "certificate_issued"}


LEFT_OUT = "run-regulated-20261010-0001"  # never logged: the site says "invalid" (log state "not_logged")
LATER = "2026-10-12T00:00:00Z"


def releases(evidence: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Entries of release 1 and those release 2 appends (supersession, expiry, two more issues)."""
    every = evidence_entries(evidence)
    ids = by_id(every)
    logged = [e for e in every if e.get("certificate_id") != LEFT_OUT]
    first, rest = logged[:5], logged[5:]
    rest += [
        {
            "type": "certificate_superseded",
            "certificate_hash": ids["cert-store-s3-2025"],
            "superseded_by_hash": ids["cert-store-s3-2026"],
            "time_utc": LATER,
        },
        {"type": "certificate_expired", "certificate_hash": ids["cert-backend-cuda12-2026"], "time_utc": LATER},
    ]
    return first, rest


def rewrite(first: list[dict[str, Any]], how: str) -> list[dict[str, Any]]:
    """Release 1's entries with entry 1 edited, removed, or swapped with entry 2."""
    out = [dict(e) for e in first]
    if how == "edited":
        out[1]["time_utc"] = "2020-01-01T00:00:00Z"
    elif how == "removed":
        del out[1]
    elif how == "reordered":
        out[1], out[2] = out[2], out[1]
    else:
        raise ValueError(how)
    return out


def forged_consistency_proof(store: LogStore, old_checkpoint: bytes) -> bytes:
    """What a dishonest builder ships: a consistency proof it never checked."""
    from glyphserpack.log import merkle, open_checkpoint
    from glyphserpack.log.proof import consistency_document

    new_data = store.checkpoint_bytes()
    old = open_checkpoint(old_checkpoint, store.log_key).checkpoint
    new = open_checkpoint(new_data, store.log_key).checkpoint
    path = merkle.consistency_proof(store.reader(new.size), old.size, new.size)
    return consistency_document(old_checkpoint, new_data, path)
