"""Readiness documents for roadmap workstreams 12–40 (``ecosystem-expansion-roadmap.md`` §2, §4).

The roadmap asks every workstream to define a scope boundary, deterministic success criteria,
an evidence artifact format and a release gate binding; this kind adds the status and the
blockers so readiness can be decided without reading prose.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from glyphserpack.evidence.models import DocumentBase, HashLink, Ident, ProfileId, SemVer, Strict, Text

__all__ = ["ROADMAP_WORKSTREAMS", "WorkstreamReadiness"]

#: workstream_id -> (roadmap section, title), in the roadmap's declared order.
ROADMAP_WORKSTREAMS: dict[str, tuple[str, str]] = {
    "ws12": ("II.A", "Deep ML Ecosystem Integration"),
    "ws13": ("II.B", "Real-Time and Streaming Determinism"),
    "ws14": ("II.C", "Advanced Model Lifecycle Automation"),
    "ws15": ("II.D", "Security Hardening and Compliance Automation"),
    "ws16": ("II.E", "Developer Productivity and UX"),
    "ws17": ("II.F", "Governance and Policy as Code"),
    "ws18": ("II.G", "Economic Models and Incentives"),
    "ws19": ("II.H", "Environmental Sustainability"),
    "ws20": ("II.I", "Long-Term Archival and Notarization"),
    "ws21": ("II.J", "Multi-Tenancy at Scale"),
    "ws22": ("II.K", "Rich Observability Beyond Metrics"),
    "ws23": ("II.L", "Research Extensibility"),
    "ws24": ("II.M", "Cross-Version Guarantees"),
    "ws25": ("II.N", "Community Recognition and Incentives"),
    "ws26": ("II.O", "Formal Methods for Implementation Safety"),
    "ws27": ("II.P", "MLOps Toolchain Integration"),
    "ws28": ("II.Q", "Emerging Hardware Adaptation"),
    "ws29": ("II.R", "Accessibility for Non-Experts"),
    "ws30": ("II.S", "Continuous Improvement Process"),
    "ws31": ("II.T", "Responsible AI and Ethics Hooks"),
    "ws32": ("II.U", "DR and Business Continuity"),
    "ws33": ("II.V", "Identity and Access Integration"),
    "ws34": ("II.W", "Multi-Cloud and Hybrid Cloud"),
    "ws35": ("II.X", "Collaborative Model Development"),
    "ws36": ("II.Y", "Data Privacy Lifecycle Integration"),
    "ws37": ("II.Z", "Online Learning and Continuous Deployment"),
    "ws38": ("III.A", "HSM and Key Governance"),
    "ws39": ("III.B", "Regulatory Sandbox Support"),
    "ws40": ("III.C", "Long-Term Vision Artifacts"),
}

WorkstreamId = Annotated[str, StringConstraints(pattern=r"^ws(1[2-9]|2\d|3\d|40)$")]


class ScopeBoundary(Strict):
    in_scope: list[Text] = Field(min_length=1)
    out_of_scope: list[Text] = Field(min_length=1)


class SuccessCriterion(Strict):
    criterion_id: Ident
    description: Text
    measure: Text = Field(description="how the criterion is measured, deterministically")
    met: bool


class ArtifactFormat(Strict):
    media_type: Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+-]+$")]
    schema_ref: Text
    artifacts: list[HashLink] = Field(default_factory=list)


class GateBinding(Strict):
    gate_id: Ident
    target_release: SemVer = Field(description="the release whose gate this workstream binds")
    profiles: list[ProfileId] = Field(description="profiles whose release gate it binds")
    enforcement: Literal["blocking", "advisory"]


class Blocker(Strict):
    blocker_id: Ident
    description: Text
    severity: Literal["release_blocking", "non_blocking"]
    state: Literal["open", "closed"]
    owner: Text


class WorkstreamReadiness(DocumentBase):
    """Readiness of one roadmap workstream (12–40) for a release gate."""

    kind: Literal["workstream_readiness"]
    workstream_id: WorkstreamId
    roadmap_section: Annotated[str, StringConstraints(pattern=r"^(II|III)\.[A-Z]$")]
    title: Text
    scope_boundary: ScopeBoundary
    success_criteria: list[SuccessCriterion] = Field(min_length=1)
    evidence_artifact_format: ArtifactFormat
    release_gate_binding: GateBinding
    status: Literal["planned", "in_progress", "ready", "blocked"]
    blockers: list[Blocker] = Field(default_factory=list)
