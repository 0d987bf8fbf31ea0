"""Log entry documents for signed evidence: one builder per lifecycle event.

``build`` (:mod:`glyphserpack.release.logstep`) and ``cert issue | renew | revoke`` log the
same events for the same documents; building the entries here keeps the two from drifting
(which fields an issuance carries, which time it is logged at).
"""

from __future__ import annotations

from typing import Any

from glyphserpack.evidence.loader import Document
from glyphserpack.evidence.status import issued_time

__all__ = ["issued_entry", "renewed_entry", "revoked_entry"]


def issued_entry(doc: Document) -> dict[str, Any]:
    """``certificate_issued`` for a certificate or certification record, at its signed issue time."""
    m: Any = doc.model
    e: dict[str, Any] = {
        "type": "certificate_issued",
        "certificate_hash": doc.sha256,
        "certificate_id": m.run_id if doc.kind == "execution_certificate" else m.record_id,
        "not_after_utc": m.valid_until_utc,
        "time_utc": issued_time(doc),
    }
    if doc.kind == "certification_record":
        e["subject"], e["sunset_utc"] = m.subject.adapter_id, m.sunset_utc
    return e


def renewed_entry(doc: Document, *, renews_sha256: str) -> dict[str, Any]:
    """``certificate_renewed``: ``doc`` is issued and supersedes the certificate it renews."""
    return {**issued_entry(doc), "type": "certificate_renewed", "renews_hash": renews_sha256}


def revoked_entry(doc: Document) -> dict[str, Any]:
    """``certificate_revoked`` for a revocation document, at its signed revocation time."""
    v: Any = doc.model
    return {
        "type": "certificate_revoked",
        "certificate_hash": v.target.sha256,
        "reason": v.reason_code,
        "time_utc": v.revoked_utc,
    }
