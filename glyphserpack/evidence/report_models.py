"""Typed records of the two check reports: ``productization_report`` and ``expansion_report``.

:func:`glyphserpack.evidence.reports.attach_reports` builds each report through these models,
so a report cannot leave the shape documented here (docs/evidence.md), and
:func:`report_schema` generates their JSON Schemas from the same classes. What is encoded
(canonical CBOR) and written (JSON) is :meth:`ReportBase.to_obj`: the model as a plain map,
optional fields omitted, never null (CONTRACTS.md §1), so the bytes are those of a plain map
with the same content.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from glyphserpack.evidence.models import ExecutionMode, Hex64, ProfileId, SemVer, Strict, UtcTime, Verdict

__all__ = [
    "REPORT_MODELS",
    "ExpansionReport",
    "MandatoryItemStatus",
    "ProductizationMetrics",
    "ProductizationReport",
    "ReadinessByWorkstream",
    "RegistryRecord",
    "ReleaseBlocker",
    "ReportBase",
    "ReportFinding",
    "WorkstreamResult",
    "report_schema",
]

Finite = Annotated[float, Field(allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]


class ReportBase(Strict):
    """The release binding both reports start with: which release, which profile, which environment."""

    report_version: Literal[1]
    release_id: str
    product: Literal["glyphser"]
    product_version: SemVer
    release_time_utc: UtcTime = Field(description="the evaluation time of every validity window")
    profile_id: ProfileId = Field(description="the profile the release was checked against")
    env_manifest_hash: Hex64
    determinism_profile_hash: Hex64

    def to_obj(self) -> dict[str, Any]:
        """The plain map that is encoded (CBOR) and written (JSON); absent optional fields omitted."""
        return self.model_dump(exclude_none=True)


# --- productization_report ----------------------------------------------------------------------


class ProductizationMetrics(Strict):
    """The three metrics; formulas in docs/evidence.md and :mod:`glyphserpack.evidence.reports`."""

    adoption_days_estimate: Finite = Field(ge=0.0)
    interop_pass_rate: Finite = Field(ge=0.0, le=1.0)
    third_party_verifiability_score: Finite = Field(ge=0.0, le=1.0)


class WorkstreamResult(Strict):
    """A workstream's verdict, reduced fail-dominantly from its findings."""

    section: int = Field(ge=1, description="position in the seed's procedure (1-10), 11 for roadmap workstreams")
    workstream_id: str
    title: str
    required: bool = Field(description="whether the checked profile requires this workstream")
    verdict: Literal["PASS", "FAIL", "SKIP"]
    finding_codes: list[str] = Field(description="codes of the findings behind a FAIL, sorted")


class MandatoryItemStatus(Strict):
    """One item of the profile's mandatory set and the files that evidence it."""

    item_id: str
    workstream_id: str
    required_since: ProfileId = Field(description="the weakest profile that requires the item")
    status: Literal["present", "missing"]
    files: list[str] = Field(description="tree-relative paths")


class RegistryRecord(Strict):
    """A certification record as the registry lists it, with its status at the release time."""

    record_id: str
    path: str
    certificate_class: str
    adapter_id: str
    adapter_kind: str
    status: str = Field(description="active, revoked, expired, not_yet_valid, failed or invalid at the release time")
    reason: str | None = Field(default=None, description="why the status is not active (omitted when active)")


class ReportFinding(Strict):
    """A finding with its stable code (docs: the GSP-E catalogue)."""

    code: Annotated[str, Field(pattern=r"^GSP-E[0-9]{3}$")]
    severity: Literal["error", "warning", "info"]
    where: str
    detail: str


class ProductizationReport(ReportBase):
    """``reports/productization_report.{cbor,json}``: the gate verdict and what it rests on."""

    report_kind: Literal["productization_report"]
    execution_mode: ExecutionMode = Field(description="the weakest execution mode the profile accepts")
    profile_bundle_hash: Hex64 | None = None
    certification_evidence_bundle_hash: Hex64 | None = None
    observability_mapping_hash: Hex64 | None = None
    security_case_hash: Hex64 | None = None
    performance_tier_report_hash: Hex64 | None = None
    chaos_proof_pack_hash: Hex64 | None = None
    revocation_bundle_hash: Hex64
    trust_store_hash: Hex64
    evidence_catalog_hash: Hex64
    metrics: ProductizationMetrics
    workstreams: list[WorkstreamResult] = Field(description="workstreams I.A-I.I and R.1, in section order")
    mandatory_items: list[MandatoryItemStatus]
    certification_registry: list[RegistryRecord]
    findings: list[ReportFinding]
    upgrade_gate_verdict: Verdict
    first_failing_workstream: str | None = Field(default=None, description="omitted when the gate passes")


# --- expansion_report ---------------------------------------------------------------------------


class ReadinessByWorkstream(Strict):
    """Readiness of one roadmap workstream (12-40) for this release and profile."""

    workstream_id: str
    roadmap_section: str
    title: str
    status: Literal["planned", "in_progress", "ready", "blocked", "missing"]
    readiness: Literal["READY", "NOT_READY", "MISSING"]
    gating: bool = Field(description="whether its release gate binds this release and profile")
    blockers_open: Count
    evidence_hash: Hex64 | None = Field(default=None, description="ObjectDigest of its readiness document")
    verdict: Literal["PASS", "FAIL", "SKIP"]


class ReleaseBlocker(Strict):
    workstream_id: str
    blocker_id: str
    description: str


class ExpansionReport(ReportBase):
    """``reports/expansion_report.{cbor,json}``: roadmap readiness and open release blockers."""

    report_kind: Literal["expansion_report"]
    readiness_by_workstream: list[ReadinessByWorkstream]
    release_blockers: list[ReleaseBlocker] = Field(description="blockers of gating workstreams, sorted")
    expansion_evidence_hash: Hex64
    workstreams_total: Count
    workstreams_ready: Count
    blockers_open: Count
    readiness_verdict: Verdict


#: report_kind -> model
REPORT_MODELS: dict[str, type[ProductizationReport] | type[ExpansionReport]] = {
    "productization_report": ProductizationReport,
    "expansion_report": ExpansionReport,
}


def report_schema(kind: str) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one report kind, generated from its model."""
    schema = REPORT_MODELS[kind].model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://glyphser.dev/schemas/glyphserpack/{kind}-v1.json",
        **schema,
    }
