"""Typed documents for the productization workstreams I.B–I.I of ``productization-plan.md`` §2.

Each class is one document kind; field descriptions become the published JSON Schema, so they
say what an author must put there. Rules that span fields (naming conventions, windows,
recomputed verdicts) live in :mod:`glyphserpack.evidence.checks`, not here, so a schema error
always means "wrong shape" and a check finding always means "right shape, wrong content".
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from glyphserpack.evidence.models import (
    Date,
    DocumentBase,
    HashLink,
    Hex64,
    Ident,
    ProfileId,
    SemVer,
    Strict,
    Text,
    Verdict,
)

__all__ = [
    "CertificationBundle",
    "ChaosProofPack",
    "EvidenceLocation",
    "EvolutionPolicy",
    "ExternalInterfaces",
    "ObservabilityMapping",
    "PerformanceTiers",
    "ReferenceStack",
    "SecurityCase",
]

#: A release cycle, MAJOR.MINOR (the first two parts of a SemVer version).
Cycle = Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$")]
PromName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
SurfaceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,127}$")]
OtelName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")]


# --- I.B observability mapping ------------------------------------------------------------------


class TraceFieldMapping(Strict):
    source_field: Ident = Field(description="Glyphser trace-sidecar field")
    otel_attribute: OtelName = Field(description="OpenTelemetry attribute name")
    scope: Literal["span", "resource"]


class MetricMapping(Strict):
    source_metric: Ident
    otel_name: OtelName
    prometheus_name: PromName = Field(description="canonical Prometheus name incl. unit and _total suffixes")
    unit: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(description="UCUM unit, e.g. s, By, 1")
    instrument: Literal["counter", "gauge", "histogram", "updown_counter"]


class Exporter(Strict):
    exporter_id: Ident
    protocol: Literal["otlp_grpc", "otlp_http", "prometheus_scrape"]
    endpoint_template: Text


class ObservabilityMapping(DocumentBase):
    """I.B: trace fields → span/resource attributes, metrics → OTel and Prometheus names/units."""

    kind: Literal["observability_mapping"]
    mapping_version: SemVer
    otel_semconv_version: SemVer
    trace_fields: list[TraceFieldMapping] = Field(min_length=1)
    metrics: list[MetricMapping] = Field(min_length=1)
    exporters: list[Exporter] = Field(min_length=1)


# --- I.C certification evidence bundle ----------------------------------------------------------


class ConformanceReport(Strict):
    suite_id: Ident
    adapter_id: Ident
    report: HashLink
    cases_total: int = Field(ge=0)
    cases_passed: int = Field(ge=0)
    cases_skipped: int = Field(default=0, ge=0, description="skips the JUnit report must record")
    verdict: Verdict = Field(description="PASS exactly when every case that ran passed (passed + skipped = total)")
    enforcement: Literal["blocking", "advisory"] = Field(
        default="blocking",
        description="advisory: a FAIL does not fail the gate (it still counts in interop_pass_rate) and the "
        "suite cannot satisfy a certificate class's required suite",
    )


class ReproducibilityVerdict(Strict):
    adapter_id: Ident
    runs: int = Field(ge=2, description="independent re-runs compared")
    verdict: Verdict


class AdapterFingerprint(Strict):
    adapter_id: Ident
    adapter_kind: Literal["backend", "artifact_store", "operator"]
    binary_sha256: Hex64
    runtime: Text


class CertificationBundle(DocumentBase):
    """I.C: the certification evidence bundle (its ObjectDigest is certification_evidence_bundle_hash)."""

    kind: Literal["certification_bundle"]
    bundle_id: Ident
    test_vectors_catalog: HashLink
    conformance_reports: list[ConformanceReport] = Field(min_length=1)
    reproducibility_verdicts: list[ReproducibilityVerdict] = Field(min_length=1)
    adapter_fingerprints: list[AdapterFingerprint] = Field(min_length=1)
    certification_records: list[HashLink] = Field(min_length=1, description="signed certification_record files")
    verification_report: HashLink


# --- I.D reference stack / golden demo --------------------------------------------------------


class StackStage(Strict):
    stage: Literal["wal", "trace", "checkpoint", "execution_certificate", "replay"]
    artifact: HashLink
    verdict: Verdict


class GoldenRun(Strict):
    run_id: Ident
    host_class: Text
    output_hash: Hex64


class ReferenceStack(DocumentBase):
    """I.D: the local-mode reference stack and its golden demo, run twice for identical output."""

    kind: Literal["reference_stack"]
    stack_id: Ident
    mode: Literal["local"]
    stages: list[StackStage] = Field(min_length=5, description="wal, trace, checkpoint, execution_certificate, replay")
    fixtures: list[HashLink] = Field(min_length=1)
    environment_lock: HashLink
    golden_runs: list[GoldenRun] = Field(min_length=2)


# --- I.E external interfaces ---------------------------------------------------------------------


class SdkConformance(Strict):
    language: Literal["python", "go", "typescript", "java", "rust"]
    package: Text
    version: SemVer
    report: HashLink
    canonicalization: Verdict
    replay_safety: Verdict
    tests_total: int = Field(ge=0)
    tests_passed: int = Field(ge=0)
    tests_failed: int = Field(default=0, ge=0, description="failures the JUnit report must record")
    tests_errors: int = Field(default=0, ge=0, description="errors the JUnit report must record")
    tests_skipped: int = Field(default=0, ge=0, description="skips the JUnit report must record")


class ExternalInterfaces(DocumentBase):
    """I.E: OpenAPI and Protobuf generated from the operator registry, plus SDK conformance."""

    kind: Literal["external_interfaces"]
    operator_registry_root_hash: Hex64
    openapi: HashLink
    openapi_version: Literal["3.0.3", "3.1.0"]
    protobuf: list[HashLink] = Field(min_length=1)
    protobuf_package: Ident
    sdks: list[SdkConformance] = Field(min_length=1)
    openapi_operations: list[Ident] = Field(
        default_factory=list, description="operationIds the OpenAPI document must define"
    )
    protobuf_services: list[Ident] = Field(
        default_factory=list, description="fully qualified services the compiled .proto files must define"
    )
    protobuf_messages: list[Ident] = Field(
        default_factory=list, description="fully qualified messages the compiled .proto files must define"
    )


# --- I.F security case (CONTRACTS.md §3) -------------------------------------------------------


class EvidenceLocation(HashLink):
    """A pointer into evidence: the file (hash-pinned) and, optionally, a field inside it."""

    pointer: Annotated[str, StringConstraints(max_length=512)] | None = Field(
        default=None, description="JSON Pointer or member name inside the file"
    )


class Named(Strict):
    id: Ident
    description: Text


class Control(Strict):
    control_id: Ident
    category: Literal["authz", "integrity", "governance", "attestation", "revocation", "privacy"]
    mitigation: Text
    evidence_locations: list[EvidenceLocation] = Field(min_length=1)
    verification_procedure_ref: Text
    verdict: Verdict


class CrosswalkEntry(Strict):
    control_id: Ident
    threat_ids: list[Ident] = Field(min_length=1)
    required_mitigations: list[Text] = Field(min_length=1)
    evidence_fields: list[Text] = Field(min_length=1)
    verification_procedure: Text


class SecurityCase(DocumentBase):
    """I.F: control-mapped security case for one product profile."""

    kind: Literal["security_case"]
    profile_id: ProfileId
    assets: list[Named] = Field(min_length=1)
    trust_boundaries: list[Named] = Field(min_length=1)
    attacker_capabilities: list[Named] = Field(min_length=1)
    controls: list[Control] = Field(min_length=1)
    crosswalk: list[CrosswalkEntry] = Field(default_factory=list)


# --- I.G evolution and deprecation (CONTRACTS.md §8) ---------------------------------------------


class Deprecation(Strict):
    deprecation_id: Ident
    surface: Text
    announced_on: Date
    removal_not_before: Date = Field(description="at least 18 months after announced_on")
    deprecated_in_major: int = Field(ge=0)
    migration_operator: Ident
    migration_operator_until_major: int = Field(ge=0, description="last MAJOR shipping the migration operator")
    migration_guide: HashLink
    profiles: list[ProfileId] | None = Field(
        default=None,
        min_length=1,
        description="profiles the deprecation applies to (absent: every profile); its window must meet each "
        "one's support_months_after_deprecation guarantee",
    )
    compatibility_surface: SurfaceId | None = Field(
        default=None, description="the compatibility_table row (surface column) of the deprecated surface"
    )


class BreakingChange(Strict):
    change_id: Ident
    from_version: SemVer
    to_version: SemVer
    migration_operator: Ident
    migration_evidence: HashLink
    migration_guide: HashLink
    compatibility_table_updated: bool


class CompatibilityGuarantee(Strict):
    profile_id: ProfileId
    support_months_after_deprecation: int = Field(ge=0)
    lts_years: int = Field(ge=0)
    statement: Text


class EvolutionPolicy(DocumentBase):
    """I.G: deprecation windows, breaking-change obligations, per-profile guarantees."""

    kind: Literal["evolution_policy"]
    policy_version: SemVer
    compatibility_table: HashLink
    deprecations: list[Deprecation]
    breaking_changes: list[BreakingChange]
    guarantees: list[CompatibilityGuarantee] = Field(min_length=1)
    lts_cycles: list[Cycle] | None = Field(
        default=None,
        min_length=1,
        description="release cycles (MAJOR.MINOR) declared long-term support: each is supported lts_years (per "
        "profile guarantee) from its first release; absent: no cycle is LTS (docs/registry.md, Support matrix)",
    )


# --- I.H performance tiers -------------------------------------------------------------------------


class PerfMetric(Strict):
    name: Ident
    unit: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    direction: Literal["lower_is_better", "higher_is_better"]
    baseline: float
    observed: float
    tolerance_ratio: float = Field(ge=0.0, le=1.0)


class PerfTier(Strict):
    tier: Literal["cpu_tier", "single_gpu_tier", "multi_gpu_tier"]
    env_manifest_hash: Hex64
    workload_ids: list[Ident] = Field(min_length=1)
    baseline: HashLink
    results: HashLink
    metrics: list[PerfMetric] = Field(min_length=1)
    regression_verdict: Verdict


class PerformanceTiers(DocumentBase):
    """I.H: the official benchmark tiers; verdicts are recomputed from the metrics."""

    kind: Literal["performance_tiers"]
    tiers: list[PerfTier] = Field(min_length=1)


# --- I.I chaos and recovery ---------------------------------------------------------------------


class InvariantResult(Strict):
    invariant: Ident
    verdict: Verdict


class ChaosScenario(Strict):
    scenario_id: Ident
    category: Literal["network_partition", "partial_artifact_store_failure", "wal_corruption"]
    variant: Ident
    fault_injection: Text
    expected_invariants: list[Ident] = Field(min_length=1)
    invariant_results: list[InvariantResult] = Field(min_length=1)
    recovery_transcript: HashLink
    final_recovery_verdict: Verdict
    final_recovery_verdict_hash: Hex64 = Field(
        description='CommitHash("recovery_verdict", [scenario_id, final_recovery_verdict, recovery_transcript.sha256])'
    )


class ChaosProofPack(DocumentBase):
    """I.I: mandatory chaos scenarios and their recovery proofs."""

    kind: Literal["chaos_proof_pack"]
    pack_id: Ident
    scenarios: list[ChaosScenario] = Field(min_length=1)
