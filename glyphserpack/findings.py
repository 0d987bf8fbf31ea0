"""Stable finding codes and the report they go into.

Verification never stops at the first problem: it collects :class:`Finding` objects, each
with a stable code from :data:`CATALOGUE`, so scripts can match on codes across releases
and people get one line per problem. The catalogue is the single place where codes and
their meaning live; codes are never reused or renumbered.

Ranges: ``GSP-E0xx`` evidence and checks, ``GSP-E1xx`` packs, ``GSP-E2xx`` time-stamps,
``GSP-E3xx`` the site, ``GSP-E4xx`` the transparency log, ``GSP-E5xx`` parity and audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CATALOGUE", "Finding", "Severity", "finding"]

Severity = Literal["error", "warning", "info"]

#: code -> (severity, short title). Titles are stable; details go in Finding.detail.
CATALOGUE: dict[str, tuple[Severity, str]] = {
    # --- GSP-E0xx: evidence and checks -------------------------------------------------
    "GSP-E001": ("error", "document cannot be parsed"),
    "GSP-E002": ("error", "document does not match its schema"),
    "GSP-E003": ("error", "mandatory evidence missing for the profile"),
    "GSP-E004": ("error", "hash link does not match its target"),
    "GSP-E005": ("error", "hash link points at nothing"),
    "GSP-E006": ("error", "unsafe path in evidence tree"),
    "GSP-E007": ("error", "signature does not verify"),
    "GSP-E008": ("error", "signing key unknown, revoked or expired"),
    "GSP-E009": ("error", "document too large"),
    "GSP-E010": ("error", "duplicate document identity"),
    "GSP-E011": ("error", "workstream readiness criteria not met"),
    "GSP-E012": ("error", "component verdict is FAIL"),
    "GSP-E013": ("error", "certificate revoked"),
    "GSP-E014": ("error", "certificate expired at its verification time"),
    "GSP-E015": ("error", "policy obligation not met"),
    "GSP-E016": ("warning", "unreferenced file in evidence tree"),
    # --- GSP-E1xx: packs ---------------------------------------------------------------
    # --- GSP-E2xx: time-stamps ---------------------------------------------------------
    # --- GSP-E3xx: site ----------------------------------------------------------------
}


@dataclass(frozen=True, order=True)
class Finding:
    """One problem (or note) found by a check; ordered so reports sort deterministically."""

    code: str
    where: str
    detail: str

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code][0]

    @property
    def title(self) -> str:
        return CATALOGUE[self.code][1]

    def line(self) -> str:
        """The one-line form the CLI prints: code, place, what is wrong."""
        return f"{self.code} {self.where}: {self.detail}"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "where": self.where, "detail": self.detail}


def finding(code: str, where: str, detail: str) -> Finding:
    """Build a finding, refusing codes that are not in the catalogue (catches typos early)."""
    if code not in CATALOGUE:
        raise ValueError(f"unknown finding code {code}")
    return Finding(code, where, detail)
