"""Derive each certificate's status from the log: the facts its entries record, then the one rule.

States are never typed in: the entries are folded in log order into each certificate's
facts (issued when, valid until when, sunset, superseded / revoked / expired when), so anyone
with the log reaches the same answer, and an event that makes no sense (revoking an unknown
certificate, superseding a revoked one) becomes a finding instead of silently winning. The
status at a time is then :func:`glyphserpack.evidence.status.certificate_status`, the rule
``check`` and the site use too (``valid``, ``not_yet_valid``, ``superseded``, ``sunset``,
``expired``, ``revoked``; the log never records ``failed`` or ``invalid`` certificates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from glyphserpack.evidence.status import CertificateFacts, Status, certificate_status
from glyphserpack.findings import Finding, Report, finding

__all__ = ["CertificateState", "LifecycleReport", "State", "derive_states"]

State = Status
_Event = Literal["issued", "superseded", "expired", "revoked"]
#: Which events may follow which, in log order: later ones only in this order; revocation is final.
_RANK: dict[str, int] = {"issued": 0, "expired": 1, "superseded": 2, "revoked": 3}


@dataclass
class CertificateState:
    """Where one certificate stands, with the log indexes that put it there."""

    certificate_hash: bytes
    certificate_id: str
    state: State = "valid"
    issued_at: str = ""
    changed_at: str = ""
    not_after_utc: str | None = None
    sunset_utc: str | None = None
    superseded_by: bytes | None = None
    superseded_at: str | None = None
    expired_at: str | None = None
    revoked_at: str | None = None
    revocation_reason: str | None = None
    revocation_reason_code: int | None = None
    packs: list[bytes] = field(default_factory=list)
    history: list[int] = field(default_factory=list)
    #: the last lifecycle event the fold accepted (decides which events may follow)
    event: _Event = "issued"

    def facts(self) -> CertificateFacts:
        """What the log records about this certificate, for the status rule."""
        return CertificateFacts(
            issued_utc=self.issued_at,
            valid_until_utc=self.not_after_utc,
            sunset_utc=self.sunset_utc,
            revoked_utc=self.revoked_at,
            revocation_reason=self.revocation_reason or "",
            superseded_utc=self.superseded_at,
            superseded_by=self.superseded_by.hex() if self.superseded_by else "",
            expired_utc=self.expired_at,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "certificate_hash": self.certificate_hash.hex(),
            "certificate_id": self.certificate_id,
            "state": self.state,
            "issued_at": self.issued_at,
            "changed_at": self.changed_at,
            "not_after_utc": self.not_after_utc,
            "sunset_utc": self.sunset_utc,
            "superseded_by": self.superseded_by.hex() if self.superseded_by else None,
            "revocation_reason": self.revocation_reason,
            "revocation_reason_code": self.revocation_reason_code,
            "packs": [p.hex() for p in self.packs],
            "log_indexes": self.history,
        }


@dataclass
class LifecycleReport(Report):
    """All certificates by hash, plus findings for events the fold had to refuse."""

    certificates: dict[bytes, CertificateState]
    findings: list[Finding]

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "certificates": [self.certificates[h].to_json() for h in sorted(self.certificates)],
            "findings": self.findings_dicts(),
        }

    def to_json(self) -> dict[str, Any]:
        """Same as :meth:`to_dict` (the name older callers use)."""
        return self.to_dict()


def _move(cert: CertificateState, new: _Event, when: str, index: int, findings: list[Finding]) -> bool:
    if cert.event == "superseded" and new == "expired":
        cert.history.append(index)  # a replaced certificate running out is history, not a change
        return False
    if cert.event == "revoked" or _RANK[new] < _RANK[cert.event]:
        findings.append(
            finding(
                "GSP-E413",
                f"entry {index}",
                f"certificate {cert.certificate_hash.hex()[:16]} is {cert.event}; a {new} event cannot follow",
            )
        )
        return False
    cert.event = new
    cert.history.append(index)
    if new == "superseded":
        cert.superseded_at = when
    elif new == "expired":
        cert.expired_at = when
    elif new == "revoked":
        cert.revoked_at = when
    return True


def derive_states(entries: Iterable[tuple[int, dict[str, Any]]], *, at: str | None = None) -> LifecycleReport:
    """Fold ``(index, entry)`` pairs in log order, then give each certificate its status at ``at``.

    ``at`` is UTC text; without it every recorded event counts and no time rule applies
    (nothing is ``not_yet_valid``, ``sunset`` or expired by its ``not_after_utc``).
    """
    certs: dict[bytes, CertificateState] = {}
    findings: list[Finding] = []
    for index, e in entries:
        kind, when = e["type"], e["time_utc"]
        if kind == "pack_published":
            ch = e.get("certificate_hash")
            if ch is not None and ch in certs:
                certs[ch].packs.append(e["pack_hash"])
            continue
        h = e["certificate_hash"]
        if kind in ("certificate_issued", "certificate_renewed"):
            if h in certs:
                findings.append(finding("GSP-E413", f"entry {index}", f"certificate {h.hex()[:16]} issued twice"))
                continue
            certs[h] = CertificateState(
                h,
                e["certificate_id"],
                issued_at=when,
                changed_at=when,
                not_after_utc=e.get("not_after_utc"),
                sunset_utc=e.get("sunset_utc"),
            )
            certs[h].history.append(index)
            if kind == "certificate_renewed":
                old = certs.get(e["renews_hash"])
                if old is None:
                    findings.append(finding("GSP-E413", f"entry {index}", "renews a certificate not in the log"))
                elif _move(old, "superseded", when, index, findings):
                    old.superseded_by = h
            continue
        cert = certs.get(h)
        if cert is None:
            findings.append(
                finding("GSP-E413", f"entry {index}", f"{kind} for certificate {h.hex()[:16]} not issued in the log")
            )
            continue
        if kind == "certificate_superseded":
            if e["superseded_by_hash"] not in certs:
                findings.append(finding("GSP-E413", f"entry {index}", "superseded by a certificate not in the log"))
            if _move(cert, "superseded", when, index, findings):
                cert.superseded_by = e["superseded_by_hash"]
        elif kind == "certificate_expired":
            _move(cert, "expired", when, index, findings)
        elif kind == "certificate_revoked" and _move(cert, "revoked", when, index, findings):
            cert.revocation_reason, cert.revocation_reason_code = e["reason"], e["reason_code"]
    for cert in certs.values():
        st = certificate_status(cert.facts(), at)
        cert.state, cert.changed_at = st.status, st.since or cert.issued_at
    return LifecycleReport(certs, findings)
