"""The claim inventory: every claim the evidence makes, and which attached artifact re-derives it.

``third_party_verifiability_score`` is the share of these claims that an outsider can
re-derive from attached artifacts with standard tools (junitparser, openapi-spec-validator,
protoc, the CycloneDX schemas, the OpenTelemetry registry...), not merely follow a hash link
to. A claim is *re-derived* when

1. it cites an attached artifact (``artifact``) whose hash link verifies, or a public registry
   its check reads (``registry``: OpenTelemetry semantic conventions), and
2. no finding with one of its attest check's codes (``codes``) contradicts it: a finding on
   the artifact itself, or on the claiming document whose detail names the claim
   (``marker``, e.g. ``conformance_reports[3]``).

A finding on an artifact several claims share (one OpenAPI document names many operations)
withdraws each of them: the outsider re-deriving any of them meets the same broken file.
Claims that cite no artifact (a reproducibility verdict, a readiness criterion's ``met``, a
graduation gate's verdict) count in the denominator only: they are taken on trust.

The inventory is data (:class:`Claim`), so docs, tests and ``check --json`` list the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from glyphserpack.evidence.certificates import CertificationRecord
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import HashLink, ProfileBundle
from glyphserpack.evidence.productization import (
    CertificationBundle,
    ChaosProofPack,
    EvolutionPolicy,
    ExternalInterfaces,
    ObservabilityMapping,
    PerformanceTiers,
    SecurityCase,
)
from glyphserpack.evidence.readiness import WorkstreamReadiness
from glyphserpack.findings import Finding

__all__ = ["CLAIM_CODES", "Claim", "claim_table", "inventory", "rederived", "verifiability_score"]

#: claim kind -> the finding codes of the attest check that re-derives it.
CLAIM_CODES: dict[str, tuple[str, ...]] = {
    "conformance_report": ("GSP-E018", "GSP-E061"),
    "sdk_report": ("GSP-E034", "GSP-E035"),
    "openapi_operation": ("GSP-E030", "GSP-E031", "GSP-E065"),
    "protobuf_service": ("GSP-E031", "GSP-E032", "GSP-E033"),
    "protobuf_message": ("GSP-E031", "GSP-E032", "GSP-E033"),
    "chaos_scenario": ("GSP-E018", "GSP-E041", "GSP-E042", "GSP-E065"),
    "performance_tier": ("GSP-E018", "GSP-E062", "GSP-E063", "GSP-E065"),
    "sbom": ("GSP-E064", "GSP-E065", "GSP-E066"),
    "security_pointer": ("GSP-E040", "GSP-E065"),
    "compatibility_table": ("GSP-E043", "GSP-E044"),
    "deprecation_window": ("GSP-E044", "GSP-E045"),
    "certification_binding": ("GSP-E007", "GSP-E008", "GSP-E060"),
    "observability_entry": ("GSP-E017", "GSP-E050", "GSP-E051", "GSP-E052", "GSP-E053", "GSP-E054", "GSP-E055"),
    "reproducibility_verdict": (),
    "readiness_criterion": (),
    "graduation_gate": (),
}


@dataclass(frozen=True)
class Claim:
    """One claim: its kind, the document and field that make it, the artifact(s) that re-derive it."""

    kind: str
    document: str
    field: str
    artifacts: tuple[str, ...] = ()
    registry: str | None = None
    marker: str | None = None

    @property
    def artifact(self) -> str | None:
        """The artifact cited first (None: nothing attached re-derives the claim)."""
        return self.artifacts[0] if self.artifacts else None

    @property
    def codes(self) -> tuple[str, ...]:
        return CLAIM_CODES[self.kind]

    def to_dict(self) -> dict[str, object]:
        d: dict[str, object] = {"kind": self.kind, "document": self.document, "field": self.field}
        if self.artifact is not None:
            d["artifact"] = self.artifact
        if self.registry is not None:
            d["registry"] = self.registry
        return d


def _c(kind: str, doc: str, fld: str, links: Iterable[HashLink] = (), marker: str | None = None) -> Claim:
    return Claim(kind, doc, fld, tuple(link.path for link in links), marker=marker if marker is not None else fld)


def _certification(tree: EvidenceTree) -> Iterator[Claim]:
    for doc in tree.by_kind("certification_bundle"):
        b = doc.as_(CertificationBundle)
        for i, r in enumerate(b.conformance_reports):
            yield _c("conformance_report", doc.path, f"conformance_reports[{i}]", [r.report])
        for i in range(len(b.reproducibility_verdicts)):
            yield _c("reproducibility_verdict", doc.path, f"reproducibility_verdicts[{i}]")
        for i, link in enumerate(b.certification_records):
            rec = tree.documents.get(link.path)
            marker = None
            if rec is not None and rec.kind == "certification_record":
                marker = f"record {rec.as_(CertificationRecord).record_id} ("
            yield _c("certification_binding", doc.path, f"certification_records[{i}]", [link], marker or "\0")


def _interfaces(tree: EvidenceTree) -> Iterator[Claim]:
    for doc in tree.by_kind("external_interfaces"):
        e = doc.as_(ExternalInterfaces)
        for i, sdk in enumerate(e.sdks):
            yield _c("sdk_report", doc.path, f"sdks[{i}]", [sdk.report])
        for i, op in enumerate(e.openapi_operations):
            yield _c("openapi_operation", doc.path, f"openapi_operations[{i}]", [e.openapi], repr(op))
        for field, kind in (("protobuf_services", "protobuf_service"), ("protobuf_messages", "protobuf_message")):
            for i, name in enumerate(getattr(e, field)):
                yield _c(kind, doc.path, f"{field}[{i}]", e.protobuf, repr(name))


def _chaos_and_performance(tree: EvidenceTree) -> Iterator[Claim]:
    for doc in tree.by_kind("chaos_proof_pack"):
        for i, s in enumerate(doc.as_(ChaosProofPack).scenarios):
            yield _c("chaos_scenario", doc.path, f"scenarios[{i}]", [s.recovery_transcript], f"scenarios[{i}] (")
    for doc in tree.by_kind("performance_tiers"):
        for i, t in enumerate(doc.as_(PerformanceTiers).tiers):
            yield _c("performance_tier", doc.path, f"tiers[{i}]", [t.results, t.baseline])


def _sboms(tree: EvidenceTree) -> Iterator[Claim]:
    if tree.manifest.sbom is not None:
        yield _c("sbom", tree.manifest_path, "sbom", [tree.manifest.sbom])
    for doc in tree.by_kind("certification_record"):
        yield _c("sbom", doc.path, "package.sbom", [doc.as_(CertificationRecord).package.sbom])


def _security(tree: EvidenceTree) -> Iterator[Claim]:
    for doc in tree.by_kind("security_case"):
        for i, ctl in enumerate(doc.as_(SecurityCase).controls):
            for j, loc in enumerate(ctl.evidence_locations):
                if loc.pointer is not None:
                    yield _c("security_pointer", doc.path, f"controls[{i}].evidence_locations[{j}]", [loc])


def _evolution(tree: EvidenceTree) -> Iterator[Claim]:
    for doc in tree.by_kind("evolution_policy"):
        p = doc.as_(EvolutionPolicy)
        table = p.compatibility_table
        yield _c("compatibility_table", doc.path, "compatibility_table", [table], table.path)
        for i, _ in enumerate(p.deprecations):
            yield _c("deprecation_window", doc.path, f"deprecations[{i}]", [table], f"deprecations[{i}] (")


def _observability(tree: EvidenceTree) -> Iterator[Claim]:
    for doc in tree.by_kind("observability_mapping"):
        m = doc.as_(ObservabilityMapping)
        registry = f"OpenTelemetry semantic conventions {m.otel_semconv_version}"
        for field, rows in (("trace_fields", m.trace_fields), ("metrics", m.metrics)):
            for i, _ in enumerate(rows):
                yield Claim("observability_entry", doc.path, f"{field}[{i}]", registry=registry, marker=f"{field}[{i}]")


def _trusted(tree: EvidenceTree) -> Iterator[Claim]:
    for doc in tree.by_kind("workstream_readiness"):
        for i, _ in enumerate(doc.as_(WorkstreamReadiness).success_criteria):
            yield _c("readiness_criterion", doc.path, f"success_criteria[{i}]")
    for doc in tree.by_kind("profile_bundle"):
        for i, step in enumerate(doc.as_(ProfileBundle).graduation):
            for j, _ in enumerate(step.gates):
                yield _c("graduation_gate", doc.path, f"graduation[{i}].gates[{j}]")


def inventory(tree: EvidenceTree) -> list[Claim]:
    """Every claim of the tree, in a fixed order (kind group, document path, field)."""
    out: list[Claim] = []
    for part in (_certification, _interfaces, _chaos_and_performance, _sboms, _security, _evolution):
        out.extend(part(tree))
    out.extend(_observability(tree))
    out.extend(_trusted(tree))
    return out


def _contradicts(f: Finding, claim: Claim) -> bool:
    if f.code not in claim.codes:
        return False
    if f.where in claim.artifacts:
        return True
    return f.where == claim.document and claim.marker is not None and claim.marker in f.detail


def rederived(tree: EvidenceTree, claims: list[Claim], findings: Iterable[Finding]) -> list[bool]:
    """For each claim, whether an outsider re-derives it (the two conditions of the module docstring)."""
    relevant = [f for f in findings if f.severity == "error"]
    ok_paths = {lc.path for lc in tree.links if lc.ok}
    bad_paths = {lc.path for lc in tree.links if not lc.ok}
    out = []
    for c in claims:
        cited = bool(c.artifacts) and all(p in ok_paths and p not in bad_paths for p in c.artifacts)
        out.append((cited or c.registry is not None) and not any(_contradicts(f, c) for f in relevant))
    return out


def verifiability_score(tree: EvidenceTree, findings: Iterable[Finding]) -> tuple[int, int]:
    """(claims re-derived, claims made) for ``third_party_verifiability_score``."""
    claims = inventory(tree)
    return sum(rederived(tree, claims, findings)), len(claims)


def claim_table(tree: EvidenceTree, findings: Iterable[Finding]) -> list[dict[str, object]]:
    """The inventory as rows (``check --json`` ``claims``): each claim plus whether it was re-derived."""
    claims = inventory(tree)
    return [dict(c.to_dict(), rederived=ok) for c, ok in zip(claims, rederived(tree, claims, findings), strict=True)]
