"""Content rules per document kind: the checks a schema cannot express.

Each rule reads one schema-valid document and yields findings; none raises. Codes:
``GSP-E012`` the evidence itself records a FAIL, ``GSP-E015`` an obligation from the seeds or
CONTRACTS.md is not met, ``GSP-E018`` a recorded value differs from its recomputation. What
attachments and names say is read in ``attest/`` (observability names: ``attest/otel.py``,
``GSP-E017`` and ``GSP-E050``–``E055``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from glyphserpack import canonical
from glyphserpack.evidence.attest import chaos, evolution, security
from glyphserpack.evidence.attest.certification import bind_records
from glyphserpack.evidence.attest.evolution import months_between
from glyphserpack.evidence.attest.interfaces import attest_external_interfaces
from glyphserpack.evidence.attest.otel import attest_observability
from glyphserpack.evidence.attest.performance import attest_performance
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.evidence.models import PROFILES, GraduationGate, ProfileBundle, RunEvidence
from glyphserpack.evidence.productization import (
    CertificationBundle,
    ChaosProofPack,
    EvolutionPolicy,
    ExternalInterfaces,
    PerfMetric,
    PerformanceTiers,
    ReferenceStack,
    SecurityCase,
)
from glyphserpack.evidence.profiles import MIN_EXECUTION_MODE, SECURITY_OBLIGATIONS, mode_satisfies, profile_rank
from glyphserpack.findings import Finding, finding

__all__ = ["RULES", "metric_passes", "months_between", "recovery_verdict_hash"]

Rule = Callable[[EvidenceTree, Document, str], Iterator[Finding]]

GRADUATION_GATES = {
    ("core", "enterprise"): {"conformance_pipeline_pass", "deployment_gate_pass"},
    ("enterprise", "regulated"): {"full_security_case", "regulator_grade_evidence_bundle"},
}
STACK_ORDER = ["wal", "trace", "checkpoint", "execution_certificate", "replay"]
REQUIRED_SDKS = ("go", "python", "typescript")
CHAOS_CATEGORIES = ("network_partition", "partial_artifact_store_failure", "wal_corruption")


def recovery_verdict_hash(scenario_id: str, verdict: str, transcript_sha256: str) -> str:
    """``CommitHash("recovery_verdict", [scenario_id, verdict, transcript_sha256])`` as hex."""
    return canonical.commit_hash("recovery_verdict", [scenario_id, verdict, transcript_sha256]).hex()


def metric_passes(m: PerfMetric) -> bool:
    """A metric passes when it is within ``tolerance_ratio`` of its baseline in its good direction."""
    if m.direction == "lower_is_better":
        return m.observed <= m.baseline * (1.0 + m.tolerance_ratio)
    return m.observed >= m.baseline * (1.0 - m.tolerance_ratio)


def _m(doc: Document) -> Any:
    return doc.model


def _profile_bundle(tree: EvidenceTree, doc: Document, profile: str) -> Iterator[Finding]:
    b: ProfileBundle = _m(doc)
    ids: list[str] = [p.profile_id for p in b.profiles]
    for pid in PROFILES:
        if ids.count(pid) != 1:
            yield finding("GSP-E015", doc.path, f"profiles: {pid!r} must be defined exactly once")
    for i, p in enumerate(b.profiles):
        if not mode_satisfies(p.execution_mode, p.profile_id):
            yield finding(
                "GSP-E015",
                doc.path,
                f"profiles[{i}].execution_mode: {p.profile_id} maps to "
                f"{MIN_EXECUTION_MODE[p.profile_id]!r} or stricter, "
                f"got {p.execution_mode!r}",
            )
        if p.profile_id == "core" and p.topology != "single_node":
            yield finding("GSP-E015", doc.path, f"profiles[{i}].topology: core is single_node")
    rank = profile_rank(profile)
    for (src, dst), gates in sorted(GRADUATION_GATES.items()):
        if profile_rank(dst) > rank:
            continue
        steps = [s for s in b.graduation if (s.from_profile, s.to_profile) == (src, dst)]
        if not steps:
            yield finding("GSP-E015", doc.path, f"graduation: no {src} -> {dst} step")
            continue
        have: dict[str, GraduationGate] = {g.gate_id: g for g in steps[0].gates}
        for gate in sorted(gates - set(have)):
            yield finding("GSP-E015", doc.path, f"graduation {src}->{dst}: gate {gate} missing")
        for gate in sorted(gates & set(have)):
            if have[gate].verdict != "PASS":
                yield finding("GSP-E012", doc.path, f"graduation {src}->{dst}: gate {gate} verdict FAIL")


def _observability(tree: EvidenceTree, doc: Document, profile: str) -> Iterator[Finding]:
    # names against the semantic-conventions registry, Prometheus names derived (attest/otel.py)
    yield from attest_observability(doc.path, _m(doc), product=tree.manifest.product)


def _certification_bundle(tree: EvidenceTree, doc: Document, profile: str) -> Iterator[Finding]:
    b: CertificationBundle = _m(doc)
    for i, r in enumerate(b.conformance_reports):
        ran_ok = r.cases_passed + r.cases_skipped
        if ran_ok > r.cases_total:
            yield finding("GSP-E015", doc.path, f"conformance_reports[{i}]: cases_passed + cases_skipped > cases_total")
        elif (r.verdict == "PASS") != (ran_ok == r.cases_total):
            yield finding(
                "GSP-E018", doc.path, f"conformance_reports[{i}].verdict: {r.verdict} disagrees with the counts"
            )
        if r.verdict == "FAIL" and r.enforcement == "blocking":  # an advisory FAIL only lowers interop_pass_rate
            yield finding("GSP-E012", doc.path, f"conformance_reports[{i}] ({r.suite_id}, {r.adapter_id}): FAIL")
    for i, v in enumerate(b.reproducibility_verdicts):
        if v.verdict == "FAIL":
            yield finding("GSP-E012", doc.path, f"reproducibility_verdicts[{i}] ({v.adapter_id}): FAIL")
    for i, link in enumerate(b.certification_records):
        target = tree.documents.get(link.path)
        if target is not None and target.kind != "certification_record":
            yield finding("GSP-E015", doc.path, f"certification_records[{i}]: {link.path} is a {target.kind}")
    yield from bind_records(tree, doc)  # what the attachments say (attest/certification.py)


def _reference_stack(tree: EvidenceTree, doc: Document, profile: str) -> Iterator[Finding]:
    s: ReferenceStack = _m(doc)
    order = [st.stage for st in s.stages]
    if order != STACK_ORDER:
        yield finding("GSP-E015", doc.path, f"stages: expected {' -> '.join(STACK_ORDER)}, got {' -> '.join(order)}")
    for i, st in enumerate(s.stages):
        if st.verdict == "FAIL":
            yield finding("GSP-E012", doc.path, f"stages[{i}] ({st.stage}): FAIL")
    outputs = sorted({r.output_hash for r in s.golden_runs})
    if len(outputs) != 1:
        yield finding(
            "GSP-E012", doc.path, f"golden_runs: golden demo not deterministic ({len(outputs)} distinct outputs)"
        )


def _external_interfaces(tree: EvidenceTree, doc: Document, profile: str) -> Iterator[Finding]:
    e: ExternalInterfaces = _m(doc)
    langs = {s.language for s in e.sdks}
    for lang in REQUIRED_SDKS:
        if lang not in langs:
            yield finding("GSP-E015", doc.path, f"sdks: no {lang} SDK (python, go and typescript are required)")
    for i, s in enumerate(e.sdks):
        if s.tests_passed + s.tests_skipped > s.tests_total:
            yield finding("GSP-E015", doc.path, f"sdks[{i}]: tests_passed + tests_skipped > tests_total")
        ran_ok = s.tests_passed + s.tests_skipped == s.tests_total  # a skipped vector is not a failed one
        if s.canonicalization != "PASS" or s.replay_safety != "PASS" or not ran_ok:
            yield finding("GSP-E012", doc.path, f"sdks[{i}] ({s.language}): conformance not fully passed")
    reg = tree.manifest.operator_registry
    if reg is not None and reg.sha256 != e.operator_registry_root_hash:
        yield finding("GSP-E018", doc.path, "operator_registry_root_hash: differs from the release's operator_registry")
    yield from attest_external_interfaces(tree, doc.path, e)


def _security_case(tree: EvidenceTree, doc: Document, profile: str) -> Iterator[Finding]:
    c: SecurityCase = _m(doc)
    categories = {ctl.category for ctl in c.controls}
    for cat in sorted(SECURITY_OBLIGATIONS[c.profile_id] - categories):
        yield finding("GSP-E015", doc.path, f"controls: {c.profile_id} requires a {cat} control")
    ids = [ctl.control_id for ctl in c.controls]
    for cid in sorted({x for x in ids if ids.count(x) > 1}):
        yield finding("GSP-E010", doc.path, f"controls: control_id {cid} appears twice")
    for i, ctl in enumerate(c.controls):
        if ctl.verdict == "FAIL":
            yield finding("GSP-E012", doc.path, f"controls[{i}] ({ctl.control_id}): FAIL")
    if c.profile_id == "regulated":
        walked = {x.control_id for x in c.crosswalk}
        for cid in sorted(set(ids) - walked):
            yield finding("GSP-E015", doc.path, f"crosswalk: control {cid} has no threat-model crosswalk entry")
        for cid in sorted(walked - set(ids)):
            yield finding("GSP-E015", doc.path, f"crosswalk: entry for unknown control {cid}")
    yield from security.pointer_findings(tree, doc)
    yield from security.crosswalk_findings(doc)


def _evolution(tree: EvidenceTree, doc: Document, profile: str) -> Iterator[Finding]:
    p: EvolutionPolicy = _m(doc)
    for i, d in enumerate(p.deprecations):
        months = months_between(d.announced_on, d.removal_not_before)
        if months < 18:
            yield finding(
                "GSP-E015",
                doc.path,
                f"deprecations[{i}].removal_not_before: {months} months after announcement, need 18",
            )
        if d.migration_operator_until_major - d.deprecated_in_major < 2:
            yield finding("GSP-E015", doc.path, f"deprecations[{i}]: migration operator must ship for 2 MAJOR releases")
    for i, b in enumerate(p.breaking_changes):
        if int(b.to_version.split(".")[0]) <= int(b.from_version.split(".")[0]):
            yield finding(
                "GSP-E015", doc.path, f"breaking_changes[{i}]: {b.from_version} -> {b.to_version} is not a MAJOR bump"
            )
        if not b.compatibility_table_updated:
            yield finding("GSP-E015", doc.path, f"breaking_changes[{i}]: compatibility table not updated")
    covered = {g.profile_id for g in p.guarantees}
    for pid in PROFILES[: profile_rank(profile) + 1]:
        if pid not in covered:
            yield finding("GSP-E015", doc.path, f"guarantees: no compatibility guarantee published for {pid}")
    for i, g in enumerate(p.guarantees):
        if g.support_months_after_deprecation < 18:
            yield finding("GSP-E015", doc.path, f"guarantees[{i}].support_months_after_deprecation: at least 18")
        if not 3 <= g.lts_years <= 5:
            yield finding("GSP-E015", doc.path, f"guarantees[{i}].lts_years: LTS windows are 3-5 years")
    yield from evolution.policy_findings(tree, doc)


def _performance(tree: EvidenceTree, doc: Document, profile: str) -> Iterator[Finding]:
    p: PerformanceTiers = _m(doc)
    tiers = [t.tier for t in p.tiers]
    for tier in ("cpu_tier", "single_gpu_tier", "multi_gpu_tier"):
        if tier not in tiers:
            yield finding("GSP-E015", doc.path, f"tiers: {tier} missing")
    for i, t in enumerate(p.tiers):
        failed = [m.name for m in t.metrics if not metric_passes(m)]
        recomputed = "FAIL" if failed else "PASS"
        if recomputed != t.regression_verdict:
            yield finding(
                "GSP-E018",
                doc.path,
                f"tiers[{i}].regression_verdict: recorded {t.regression_verdict}, metrics give {recomputed}",
            )
        if "FAIL" in (recomputed, t.regression_verdict):
            yield finding(
                "GSP-E012",
                doc.path,
                f"tiers[{i}] ({t.tier}): performance regression in {', '.join(failed) or 'verdict'}",
            )
    yield from attest_performance(tree, doc)  # the baseline/results files themselves (attest/performance.py)


def _chaos(tree: EvidenceTree, doc: Document, profile: str) -> Iterator[Finding]:
    c: ChaosProofPack = _m(doc)
    cats = [s.category for s in c.scenarios]
    for cat in CHAOS_CATEGORIES:
        if cat not in cats:
            yield finding("GSP-E015", doc.path, f"scenarios: mandatory scenario {cat} missing")
    if len({s.variant for s in c.scenarios if s.category == "wal_corruption"}) < 2:
        yield finding("GSP-E015", doc.path, "scenarios: at least two WAL corruption variants are required")
    for i, s in enumerate(c.scenarios):
        results = {r.invariant: r.verdict for r in s.invariant_results}
        if sorted(results) != sorted(set(s.expected_invariants)):
            yield finding(
                "GSP-E015", doc.path, f"scenarios[{i}].invariant_results: must cover exactly expected_invariants"
            )
        expected = "PASS" if all(v == "PASS" for v in results.values()) else "FAIL"
        if s.final_recovery_verdict != expected:
            yield finding("GSP-E018", doc.path, f"scenarios[{i}].final_recovery_verdict: invariants give {expected}")
        want = recovery_verdict_hash(s.scenario_id, s.final_recovery_verdict, s.recovery_transcript.sha256)
        if s.final_recovery_verdict_hash != want:
            yield finding("GSP-E018", doc.path, f"scenarios[{i}].final_recovery_verdict_hash: recomputed {want}")
        if s.final_recovery_verdict == "FAIL":
            yield finding("GSP-E012", doc.path, f"scenarios[{i}] ({s.scenario_id}): recovery FAIL")
    yield from chaos.transcript_findings(tree, doc)


def _run(tree: EvidenceTree, doc: Document, profile: str) -> Iterator[Finding]:
    r: RunEvidence = _m(doc)
    cert_doc = tree.documents.get(r.certificate.path)
    if cert_doc is None:
        return
    if cert_doc.kind != "execution_certificate":
        yield finding("GSP-E015", doc.path, f"certificate: {r.certificate.path} is a {cert_doc.kind}")
        return
    cert: Any = cert_doc.model
    if cert.run_id != r.run_id:
        yield finding("GSP-E015", doc.path, f"run_id: {r.run_id!r} but the certificate is for {cert.run_id!r}")
    if not mode_satisfies(cert.execution_mode, r.profile_id):
        yield finding(
            "GSP-E015",
            doc.path,
            f"profile_id: {r.profile_id} needs mode {MIN_EXECUTION_MODE[r.profile_id]} or stricter, "
            f"certificate says {cert.execution_mode}",
        )
    if r.checkpoint.sha256 != cert.checkpoint_hash.hex():
        yield finding("GSP-E018", doc.path, "checkpoint: SHA-256 differs from the certificate's checkpoint_hash")
    if r.profile_id == "regulated" and (cert.attestation_quote_hash is None or cert.attestation_bundle_hash is None):
        yield finding(
            "GSP-E015", r.certificate.path, "regulated runs need attestation_quote_hash and attestation_bundle_hash"
        )
    if r.replay is not None and (r.replay.verdict != "PASS" or not r.replay.trace_final_hash_match):
        yield finding("GSP-E012", doc.path, f"replay ({r.replay.replay_run_id}): replay did not reproduce the run")


#: kind -> rule; kinds without an entry are fully covered by their schema and the signature checks.
RULES: dict[str, Rule] = {
    "profile_bundle": _profile_bundle,
    "observability_mapping": _observability,
    "certification_bundle": _certification_bundle,
    "reference_stack": _reference_stack,
    "external_interfaces": _external_interfaces,
    "security_case": _security_case,
    "evolution_policy": _evolution,
    "performance_tiers": _performance,
    "chaos_proof_pack": _chaos,
    "run_evidence": _run,
}
