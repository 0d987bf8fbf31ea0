"""What :func:`~glyphserpack.evidence.checks.check` returns: the result and its rows.

Kept apart from the checking code so that :mod:`~glyphserpack.evidence.reports`, which turns a
result into the productization and expansion reports, needs only these types and never imports
the checks that call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from glyphserpack.errors import EXIT_FAIL, EXIT_OK
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.profiles import ItemStatus
from glyphserpack.evidence.status import CertificateStatus, Status
from glyphserpack.evidence.verdicts import WorkstreamVerdict
from glyphserpack.findings import Finding

__all__ = ["CheckResult", "ReadinessRow", "RegistryEntry"]


@dataclass(frozen=True)
class RegistryEntry:
    """One certification record as a registry would list it."""

    record_id: str
    path: str
    certificate_class: str
    adapter_id: str
    adapter_kind: str
    status: Status
    reason: str

    def to_dict(self) -> dict[str, str]:
        d = {
            k: getattr(self, k)
            for k in ("record_id", "path", "certificate_class", "adapter_id", "adapter_kind", "status")
        }
        if self.reason:
            d["reason"] = self.reason
        return d


@dataclass(frozen=True)
class ReadinessRow:
    """Readiness of one roadmap workstream for this release and profile."""

    workstream_id: str
    roadmap_section: str
    title: str
    status: str
    readiness: Literal["READY", "NOT_READY", "MISSING"]
    gating: bool
    blockers_open: int
    release_blockers: tuple[tuple[str, str, str], ...]
    evidence_hash: str

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {
            "workstream_id": self.workstream_id,
            "roadmap_section": self.roadmap_section,
            "title": self.title,
            "status": self.status,
            "readiness": self.readiness,
            "gating": self.gating,
            "blockers_open": self.blockers_open,
        }
        if self.evidence_hash:
            d["evidence_hash"] = self.evidence_hash
        return d


@dataclass(frozen=True)
class CheckResult:
    """The complete outcome of checking one tree against one profile."""

    profile: str
    tree: EvidenceTree = field(repr=False, compare=False)
    findings: tuple[Finding, ...]
    workstreams: tuple[WorkstreamVerdict, ...]
    upgrade_gate_verdict: Literal["PASS", "FAIL"]
    first_failing_workstream: str | None
    items: tuple[ItemStatus, ...]
    registry: tuple[RegistryEntry, ...]
    readiness: tuple[ReadinessRow, ...]
    signatures_ok: int
    signatures_total: int
    #: path -> status at the release time of every certificate and certification record
    statuses: dict[str, CertificateStatus] = field(default_factory=dict, repr=False, compare=False)
    productization_report: dict[str, Any] = field(default_factory=dict, repr=False)
    expansion_report: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def exit_code(self) -> int:
        """0 when the gate passes, 1 when it fails (invalid input never gets this far: exit 2)."""
        return EXIT_OK if self.upgrade_gate_verdict == "PASS" else EXIT_FAIL

    def mandatory_files(self) -> list[str]:
        """Every file the profile's mandatory set rests on, including the manifest and trust store."""
        files = {self.tree.manifest_path, self.tree.manifest.trust_store.path}
        for st in self.items:
            files.update(st.files)
        return sorted(files)
