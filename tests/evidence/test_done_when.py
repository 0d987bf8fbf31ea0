"""Issue 13 "Done when": every mutation from its "Why" list, and others like them, fails the gate.

Each case copies the bundled tree, changes one artifact's *content* (hash links re-pinned,
signed records re-signed, so integrity holds and only reading the artifact can catch it),
then runs ``glyphserpack check DIR --profile regulated --json`` in-process and asserts exit 1
with a finding of the expected code whose ``where`` names the contradicted file. The bundled
tree itself must pass. Mutations from the issue not implemented yet (OpenTelemetry names,
Prometheus names) are not listed here; their checks bring their own cases.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from glyphserpack.cli import cli
from glyphserpack.evidence.rules import recovery_verdict_hash

from .attest_helpers import BUNDLE, CPU_PACKAGE, CPU_RECORD, replace_package_member
from .helpers import copy_tree, edit_doc, edit_text, rewrite, sha

OPENAPI = "attachments/interfaces/openapi.yaml"
IFACE = "interfaces/external_interfaces.yaml"
RUN_PROTO = "attachments/interfaces/proto/glyphser/v1/run.proto"
PY_JUNIT = "attachments/interfaces/sdk-python.junit.xml"
CPU = "glyphser-backend-cpu-ref"
CPU_REPORT = f"attachments/certification/reports/{CPU}.conformance-core.xml"
CPU_REPLAY_REPORT = f"attachments/certification/reports/{CPU}.replay-determinism.xml"
TIERS = "performance/performance_tiers.yaml"
CPU_RESULTS = "attachments/performance/cpu_tier.results.json"
CPU_BASELINE = "attachments/performance/cpu_tier.baseline.json"
PACK = "chaos/chaos_proof_pack.yaml"
WAL01 = "chaos/transcripts/chaos-wal-01.jsonl"
MAPPING = "observability/mapping.yaml"
SEC = "security/security_case.regulated.yaml"
POLICY = "evolution/evolution_policy.yaml"
CSV = "attachments/evolution/compatibility.csv"
RELEASE_SBOM = "attachments/sbom/glyphser-1.4.0.cdx.json"


def run_check(root: Path) -> tuple[int, list[dict[str, str]]]:
    """Exit code and findings of ``check ROOT --profile regulated --json``, in-process."""
    args = ["check", str(root), "--profile", "regulated", "--json"]
    # standalone_mode=False: the command's return value is its exit code (as glyphserpack.cli.main uses it)
    result = CliRunner().invoke(cli, args, standalone_mode=False)
    assert result.exception is None, result.output
    report = json.loads(result.stdout)
    findings: list[dict[str, str]] = report["productization_report"]["findings"]
    return result.return_value, findings


def edit_json(root: Path, rel: str, fn: Callable[[Any], None]) -> None:
    obj = json.loads((root / rel).read_text())
    fn(obj)
    rewrite(root, rel, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


# --- chaos: the transcript format lives here only, so a new format changes one function --------


def failed_transcript(scenario_id: str) -> bytes:
    """A JSON Lines recovery transcript whose invariants fail and that ends not recovered, with data loss."""
    events: list[dict[str, object]] = [
        {"event": "fault_injected", "t_ms": 0, "scenario_id": scenario_id, "fault": "torn WAL tail"},
        {
            "event": "invariant",
            "t_ms": 500,
            "scenario_id": scenario_id,
            "invariant": "corruption_detected",
            "result": "PASS",
        },
        {
            "event": "invariant",
            "t_ms": 15_000,
            "scenario_id": scenario_id,
            "invariant": "recover_to_last_commit",
            "result": "FAIL",
        },
        {
            "event": "invariant",
            "t_ms": 30_000,
            "scenario_id": scenario_id,
            "invariant": "replay_hash_equal",
            "result": "FAIL",
        },
        {
            "event": "final",
            "t_ms": 31_000,
            "scenario_id": scenario_id,
            "outcome": "not_recovered",
            "data_loss": True,
            "reason": "NOT RECOVERED, data loss",
        },
    ]
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events).encode()


def replace_transcript(root: Path, rel: str, scenario_id: str, data: bytes) -> None:
    """Swap a transcript and re-pin its link and the PASS verdict hash that commits to it."""
    old_vh = recovery_verdict_hash(scenario_id, "PASS", sha((root / rel).read_bytes()))
    rewrite(root, rel, data)
    edit_text(root, PACK, old_vh, recovery_verdict_hash(scenario_id, "PASS", sha(data)))


# --- the mutations ---------------------------------------------------------------------------


def otel_attribute_misspelt(root: Path) -> None:
    edit_text(root, MAPPING, "otel_attribute: service.name\n", "otel_attribute: service.nmae\n")


def prometheus_name_unrelated(root: Path) -> None:
    edit_text(
        root, MAPPING, "prometheus_name: glyphser_step_duration_seconds\n", "prometheus_name: node_cpu_seconds_total\n"
    )


def openapi_prose(root: Path) -> None:
    rewrite(root, OPENAPI, b"this is not an OpenAPI document\n")


def openapi_schema_invalid(root: Path) -> None:
    edit_doc(root, OPENAPI, lambda d: d.pop("info"))


def proto_does_not_compile(root: Path) -> None:
    old = "message GetRunRequest { string run_id = 1; }"
    edit_text(root, RUN_PROTO, old, "message GetRunRequest { strin run_id = 1; }")


def junit_failure_behind_412_of_412(root: Path) -> None:
    text = (root / CPU_REPORT).read_text()
    assert 'tests="412"' in text
    failing = 'name="case_0003" time="0.3"><failure message="digest differs"/></testcase>'
    rewrite(root, CPU_REPORT, text.replace('name="case_0003" time="0.3"/>', failing).encode())


def performance_five_times_worse(root: Path) -> None:
    def fn(o: dict[str, Any]) -> None:
        o["metrics"]["step_time_p50"] *= 5

    edit_json(root, CPU_RESULTS, fn)


def chaos_not_recovered(root: Path) -> None:
    replace_transcript(root, WAL01, "chaos-wal-01", failed_transcript("chaos-wal-01"))


def security_pointer_to_missing_field(root: Path) -> None:
    edit_text(root, SEC, "pointer: /decisions/0\n", "pointer: /decisions/0/approver\n")


def deprecation_shorter_than_36_months(root: Path) -> None:
    edit_text(root, POLICY, "removal_not_before: '2029-04-01'", "removal_not_before: '2028-04-01'")


def fingerprint_matching_no_package(root: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["adapter_fingerprints"][0]["binary_sha256"] = "ab" * 32

    edit_doc(root, BUNDLE, fn)


def certified_backend_without_evidence(root: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["conformance_reports"] = [r for r in d["conformance_reports"] if r["adapter_id"] != CPU]
        d["reproducibility_verdicts"] = [v for v in d["reproducibility_verdicts"] if v["adapter_id"] != CPU]

    edit_doc(root, BUNDLE, fn)


# Others like them.


def operation_id_renamed(root: Path) -> None:
    edit_text(root, OPENAPI, "operationId: getExecutionCertificate", "operationId: fetchCertificate")


def sdk_junit_failure_behind_all_passed(root: Path) -> None:
    old = 'name="vector_0007" time="0.07"/>'
    edit_text(root, PY_JUNIT, old, 'name="vector_0007" time="0.07"><failure message="digest mismatch"/></testcase>')


def sbom_schema_violation(root: Path) -> None:
    def fn(o: dict[str, Any]) -> None:
        o["components"][0]["type"] = "gizmo"

    edit_json(root, RELEASE_SBOM, fn)


def record_sbom_without_component_name(root: Path) -> None:
    obj = json.loads((root / CPU_PACKAGE / "sbom.cdx.json").read_text())
    del obj["components"][0]["name"]
    replace_package_member(root, CPU_RECORD, "sbom", json.dumps(obj).encode())


def compatibility_row_contradicting_policy(root: Path) -> None:
    old = "checkpoint_manifest_v1,yes,yes,deprecated,migrate\n"
    edit_text(root, CSV, old, "checkpoint_manifest_v1,yes,yes,deprecated,removed\n")


def results_for_another_tier(root: Path) -> None:
    edit_json(root, CPU_RESULTS, lambda o: o.__setitem__("tier", "multi_gpu_tier"))


def baseline_differs_from_claim(root: Path) -> None:
    def fn(o: dict[str, Any]) -> None:
        o["metrics"]["step_time_p50"] = 0.1

    edit_json(root, CPU_BASELINE, fn)


def junit_report_of_another_suite(root: Path) -> None:
    # The conformance-core report replaced by the (passing) replay-determinism one.
    rewrite(root, CPU_REPORT, (root / CPU_REPLAY_REPORT).read_bytes())


def package_manifest_for_another_adapter(root: Path) -> None:
    pkg = json.loads((root / CPU_PACKAGE / "package_manifest.json").read_text())
    pkg["adapter_id"] = "glyphser-backend-cuda12"
    replace_package_member(root, CPU_RECORD, "package_manifest", json.dumps(pkg).encode())


def proto_message_named_by_evidence_missing(root: Path) -> None:
    edit_doc(root, IFACE, lambda d: d["protobuf_messages"].append("glyphser.v1.AuditEvent"))


def env_manifest_hash_not_the_release_environment(root: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["tiers"][1]["env_manifest_hash"] = "ef" * 32

    edit_doc(root, TIERS, fn)


@dataclass(frozen=True)
class Mutation:
    """One content change, the finding code it must raise and the file that finding names."""

    mutate: Callable[[Path], None]
    code: str
    where: str
    detail: str = ""


ISSUE = {
    "openapi-replaced-by-a-sentence": Mutation(openapi_prose, "GSP-E030", OPENAPI),
    "openapi-schema-invalid": Mutation(openapi_schema_invalid, "GSP-E030", OPENAPI, "'info'"),
    "proto-does-not-compile": Mutation(proto_does_not_compile, "GSP-E032", RUN_PROTO, "strin"),
    "junit-failure-behind-412-of-412": Mutation(junit_failure_behind_412_of_412, "GSP-E061", CPU_REPORT, "412/412"),
    "performance-5x-worse": Mutation(performance_five_times_worse, "GSP-E062", CPU_RESULTS, "5.00x"),
    "chaos-fail-not-recovered": Mutation(chaos_not_recovered, "GSP-E042", PACK, WAL01),
    "security-pointer-to-missing-field": Mutation(security_pointer_to_missing_field, "GSP-E040", SEC, "approver"),
    "otel-attribute-service-nmae": Mutation(otel_attribute_misspelt, "GSP-E051", MAPPING, "service.nmae"),
    "prometheus-name-unrelated-to-otel-metric": Mutation(prometheus_name_unrelated, "GSP-E054", MAPPING, "node_cpu"),
    "deprecation-under-36-months": Mutation(deprecation_shorter_than_36_months, "GSP-E045", POLICY, "36"),
    "fingerprint-matching-no-package": Mutation(fingerprint_matching_no_package, "GSP-E060", BUNDLE, "no package"),
    "certified-backend-without-evidence": Mutation(
        certified_backend_without_evidence, "GSP-E060", BUNDLE, "no reproducibility verdict"
    ),
}
LIKE_THEM = {
    "operation-id-renamed": Mutation(operation_id_renamed, "GSP-E031", OPENAPI, "getExecutionCertificate"),
    "sdk-junit-failure-behind-all-passed": Mutation(sdk_junit_failure_behind_all_passed, "GSP-E035", PY_JUNIT),
    "sbom-schema-violation": Mutation(sbom_schema_violation, "GSP-E064", RELEASE_SBOM, "gizmo"),
    "record-sbom-component-without-name": Mutation(
        record_sbom_without_component_name, "GSP-E064", f"{CPU_PACKAGE}/sbom.cdx.json"
    ),
    "compatibility-row-contradicting-policy": Mutation(compatibility_row_contradicting_policy, "GSP-E044", POLICY, CSV),
    "results-for-another-tier": Mutation(results_for_another_tier, "GSP-E062", CPU_RESULTS, "multi_gpu_tier"),
    "baseline-differs-from-claim": Mutation(baseline_differs_from_claim, "GSP-E062", CPU_BASELINE),
    "junit-report-of-another-suite": Mutation(junit_report_of_another_suite, "GSP-E061", CPU_REPORT),
    "package-manifest-for-another-adapter": Mutation(
        package_manifest_for_another_adapter, "GSP-E060", BUNDLE, "glyphser-backend-cuda12"
    ),
    "proto-message-named-by-evidence-missing": Mutation(
        proto_message_named_by_evidence_missing, "GSP-E031", IFACE, "AuditEvent"
    ),
    "env-manifest-hash-of-another-environment": Mutation(
        env_manifest_hash_not_the_release_environment, "GSP-E063", TIERS
    ),
}


def test_bundled_tree_passes(tmp_path: Path) -> None:
    rc, findings = run_check(copy_tree(tmp_path))
    assert rc == 0, findings
    assert not [f for f in findings if f["severity"] == "error"], findings


@pytest.mark.parametrize("name", [*ISSUE, *LIKE_THEM])
def test_mutation_fails_the_gate_naming_the_file(tmp_path: Path, name: str) -> None:
    m = {**ISSUE, **LIKE_THEM}[name]
    root = copy_tree(tmp_path)
    m.mutate(root)
    rc, findings = run_check(root)
    assert rc == 1, findings
    hits = [f for f in findings if f["code"] == m.code and f["where"] == m.where and m.detail in f["detail"]]
    assert hits, [f"{f['code']} {f['where']}: {f['detail']}" for f in findings]


def test_suite_covers_the_issue_and_five_more() -> None:
    assert len(ISSUE) == 12  # every mutation the issue lists
    assert len(LIKE_THEM) >= 5
