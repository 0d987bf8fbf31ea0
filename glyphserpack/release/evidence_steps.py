"""Steps 1–10: the procedure of seed ``productization-plan.md`` §3, one content-addressed object each.

Every step writes ``reports/steps/NN-NAME.cbor`` (canonical CBOR, the bytes that are hashed)
and a ``.json`` twin, names the seed operator it stands for, carries the verdicts of the
workstreams it completes and the hash of the previous step's object, so the ten objects
form a hash chain that step 10 seals. The checkpoint records what seed §5 lists: completed
workstream ids and the partial certification bundle, observability mapping and chaos
proof-pack hashes. The objects are views of one ``check()`` of the tree, computed once per
process; a resumed run recomputes it and step 10 refuses to finish if any hash recorded
before the interruption differs from the recomputation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from glyphserpack import canonical
from glyphserpack.errors import InputError
from glyphserpack.evidence import SECTIONS, report_files, to_json_bytes
from glyphserpack.release.context import BuildContext, StepResult, sha256_hex

__all__ = ["EVIDENCE_STEPS", "PARTIAL_HASHES", "STEP_DIR", "EvidenceStep"]

STEP_DIR = "reports/steps"
OBJECT_VERSION = 1

#: checkpoint state key -> the productization-report hash it must equal at step 10 (seed §5)
PARTIAL_HASHES = {
    "partial_observability_mapping_hash": "observability_mapping_hash",
    "partial_certification_bundle_hash": "certification_evidence_bundle_hash",
    "partial_chaos_proof_pack_hash": "chaos_proof_pack_hash",
}


@dataclass(frozen=True)
class EvidenceStep:
    """One numbered step of seed §3: the operator it implements and the workstreams it completes."""

    number: int
    name: str
    operator: str | None  # None for step 10: the seed's operator manifest (§0.G) names none for it
    title: str
    workstreams: tuple[str, ...]
    fields: Callable[[BuildContext], dict[str, Any]]
    partial: str | None = None  # checkpoint key of the partial hash this step produces

    def run(self, ctx: BuildContext) -> StepResult:
        result = ctx.result()
        prod = result.productization_report
        obj: dict[str, Any] = {
            "build_step_version": OBJECT_VERSION,
            "step": self.number,
            "name": self.name,
            "operator": self.operator,
            "release_id": prod["release_id"],
            "profile_id": result.profile,
            "previous_step_hash": ctx.state.get("step_hash"),
            "workstreams": [w.to_dict() for w in result.workstreams if w.workstream_id in self.workstreams],
        }
        obj.update(self.fields(ctx))
        data = canonical.dumps(obj)
        out = StepResult()
        base = f"{STEP_DIR}/{self.number:02d}-{self.name}"
        ctx.write(f"{base}.cbor", data, out)
        ctx.hook("mid")
        ctx.write(f"{base}.json", to_json_bytes(obj), out)
        if self.number == 10:
            _aggregate(ctx, out)
        done = [*ctx.state.get("completed_workstream_ids", []), *self.workstreams]
        out.state = {"step_hash": sha256_hex(data), "completed_workstream_ids": done}
        hashes = dict(ctx.state.get("step_hashes", {}))
        hashes[self.name] = sha256_hex(data)
        out.state["step_hashes"] = hashes
        if self.partial is not None:
            out.state[self.partial] = prod.get(PARTIAL_HASHES[self.partial])
        if self.number == 10:
            out.state["upgrade_gate_verdict"] = result.upgrade_gate_verdict
            out.state["release_id"] = prod["release_id"]
        return out


def _doc_hash(ctx: BuildContext, kind: str) -> str | None:
    docs = ctx.tree.by_kind(kind)
    return canonical.object_digest(docs[0].obj).hex() if docs else None


def _named(*names: str) -> Callable[[BuildContext], dict[str, Any]]:
    def extra(ctx: BuildContext) -> dict[str, Any]:
        prod = ctx.result().productization_report
        return {n: prod.get(n) for n in names}

    return extra


def _profile(ctx: BuildContext) -> dict[str, Any]:
    r = ctx.result()
    prod = r.productization_report
    return {
        "execution_mode": prod["execution_mode"],
        "profile_bundle_hash": prod.get("profile_bundle_hash"),
        "env_manifest_hash": prod["env_manifest_hash"],
        "determinism_profile_hash": prod["determinism_profile_hash"],
        "mandatory_items": prod["mandatory_items"],
    }


def _certification(ctx: BuildContext) -> dict[str, Any]:
    prod = ctx.result().productization_report
    return {
        "certification_evidence_bundle_hash": prod.get("certification_evidence_bundle_hash"),
        "revocation_bundle_hash": prod["revocation_bundle_hash"],
        "trust_store_hash": prod["trust_store_hash"],
        "certification_registry": prod["certification_registry"],
    }


def _kind(field: str, kind: str) -> Callable[[BuildContext], dict[str, Any]]:
    def extra(ctx: BuildContext) -> dict[str, Any]:
        return {field: _doc_hash(ctx, kind)}

    return extra


def _interfaces(ctx: BuildContext) -> dict[str, Any]:
    prod = ctx.result().productization_report
    return {
        "external_interfaces_hash": _doc_hash(ctx, "external_interfaces"),
        "interop_pass_rate": prod["metrics"]["interop_pass_rate"],
    }


def _verdict(ctx: BuildContext) -> dict[str, Any]:
    r = ctx.result()
    prod, exp = r.productization_report, r.expansion_report
    for key, name in PARTIAL_HASHES.items():
        if key in ctx.state and ctx.state[key] != prod.get(name):
            raise InputError(
                f"{name}: {prod.get(name)} differs from {ctx.state[key]} recorded before the interruption",
                remedy="the evidence changed during the build; build again without --resume",
            )
    reports = {name: sha256_hex(data) for name, data in sorted(report_files(r).items())}
    return {
        "upgrade_gate_verdict": r.upgrade_gate_verdict,
        "first_failing_workstream": r.first_failing_workstream,
        "readiness_verdict": exp["readiness_verdict"],
        "metrics": prod["metrics"],
        "evidence_catalog_hash": prod["evidence_catalog_hash"],
        "expansion_evidence_hash": exp["expansion_evidence_hash"],
        "step_hashes": [ctx.state.get("step_hashes", {}).get(s.name) for s in EVIDENCE_STEPS[:9]],
        "report_sha256": reports,
    }


def _aggregate(ctx: BuildContext, out: StepResult) -> None:
    """Step 10 also writes the two reports (``reports/{productization,expansion}_report.*``)."""
    for name, data in sorted(report_files(ctx.result()).items()):
        ctx.write(f"reports/{name}", data, out)


_WS_TAIL = tuple(ws for section, ws, _, _ in SECTIONS if section >= 10)

EVIDENCE_STEPS: list[EvidenceStep] = [
    EvidenceStep(
        1, "resolve-profile", "UML_OS.Product.ResolveProfile_v1", "Resolve the product profile", ("I.A",), _profile
    ),
    EvidenceStep(
        2,
        "observability-mapping",
        "UML_OS.Product.EmitObservabilityMapping_v1",
        "Observability mapping bundle and hash",
        ("I.B",),
        _named("observability_mapping_hash"),
        "partial_observability_mapping_hash",
    ),
    EvidenceStep(
        3,
        "certification-bundle",
        "UML_OS.Product.BuildCertificationBundle_v1",
        "Certification evidence bundle and hash",
        ("I.C",),
        _certification,
        "partial_certification_bundle_hash",
    ),
    EvidenceStep(
        4,
        "reference-stack",
        "UML_OS.Product.ValidateReferenceStack_v1",
        "Reference stack and golden demo",
        ("I.D",),
        _kind("reference_stack_hash", "reference_stack"),
    ),
    EvidenceStep(
        5,
        "external-interfaces",
        "UML_OS.Product.GenerateExternalInterfaces_v1",
        "External interfaces and SDK conformance",
        ("I.E",),
        _interfaces,
    ),
    EvidenceStep(
        6,
        "security-case",
        "UML_OS.Product.EmitSecurityCase_v1",
        "Control-mapped security case",
        ("I.F",),
        _named("security_case_hash"),
    ),
    EvidenceStep(
        7,
        "evolution-policy",
        "UML_OS.Product.ValidateEvolutionPolicy_v1",
        "Evolution and deprecation policy",
        ("I.G",),
        _kind("evolution_policy_hash", "evolution_policy"),
    ),
    EvidenceStep(
        8,
        "performance-tiers",
        "UML_OS.Product.EvaluatePerformanceTier_v1",
        "Performance tiers",
        ("I.H",),
        _named("performance_tier_report_hash"),
    ),
    EvidenceStep(
        9,
        "chaos-proof-pack",
        "UML_OS.Product.RunChaosProofPack_v1",
        "Chaos and recovery proof pack",
        ("I.I",),
        _named("chaos_proof_pack_hash"),
        "partial_chaos_proof_pack_hash",
    ),
    EvidenceStep(
        10,
        "aggregate-verdict",
        None,
        "Aggregate verdict and reports",
        _WS_TAIL,
        _verdict,
    ),
]
