"""The three productization metrics move with what the evidence says (issue 13, item 4)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.evidence import check, load_tree
from glyphserpack.evidence.attest import junit
from glyphserpack.evidence.claims import CLAIM_CODES, inventory
from glyphserpack.evidence.metrics import W_BLOCKER, W_MISSING, metric_inputs
from glyphserpack.evidence.report_models import ProductizationReport
from glyphserpack.evidence.results import CheckResult

from .attest_helpers import has
from .helpers import BUNDLED, REPO, copy_tree, edit_doc, rewrite

BUNDLE = "certification/certification_bundle.yaml"
CPU = "glyphser-backend-cpu-ref"
ADVISORY = f"attachments/certification/reports/{CPU}.interop-extended.xml"
PY_JUNIT = "attachments/interfaces/sdk-python.junit.xml"
READINESS = "readiness/ws12.yaml"
DOCS = REPO / "docs" / "evidence.md"
PROFILES = ("core", "enterprise", "regulated")


def _check(root: Path, profile: str = "regulated") -> CheckResult:
    return check(load_tree(root), profile)


@pytest.fixture(scope="module")
def bundled() -> dict[str, CheckResult]:
    tree = load_tree(BUNDLED)
    return {p: check(tree, p) for p in PROFILES}


@pytest.fixture
def tree_dir(tmp_path: Path) -> Path:
    return copy_tree(tmp_path)


def _metrics(result: CheckResult) -> dict[str, float]:
    return dict(result.productization_report["metrics"])


def _report(suite: str, total: int, failures: int, skipped: int) -> bytes:
    """A JUnit report listing every case: ``failures`` failing, ``skipped`` skipped, the rest passing."""
    cases = []
    for i in range(total):
        if i < failures:
            body = '<failure message="digest differs"/>'
        elif i < failures + skipped:
            body = "<skipped/>"
        else:
            body = ""
        cases.append(f'<testcase classname="{suite}" name="c{i}">{body}</testcase>')
    head = f'<testsuite name="{suite}" tests="{total}" failures="{failures}" errors="0" skipped="{skipped}">'
    return f"<testsuites>{head}{''.join(cases)}</testsuite></testsuites>\n".encode()


def _advisory_fails(root: Path, *, enforcement: str = "advisory") -> None:
    """The cpu-ref advisory suite now fails 6 of its 64 cases (4 skipped), claimed honestly."""
    rewrite(root, ADVISORY, _report(f"{CPU}.interop-extended", 64, 6, 4))

    def fn(d: dict[str, Any]) -> None:
        for r in d["conformance_reports"]:
            if r["adapter_id"] == CPU and r["suite_id"] == "interop-extended":
                r.update(cases_passed=54, cases_skipped=4, verdict="FAIL", enforcement=enforcement)

    edit_doc(root, BUNDLE, fn)


# --- the bundled evidence and its documented worked example --------------------------------


def test_bundled_has_skips_and_an_advisory_failure(bundled: dict[str, CheckResult]) -> None:
    r = bundled["regulated"]
    assert r.upgrade_gate_verdict == "PASS"
    n = metric_inputs(r)
    assert 0 < n.passed < n.ran  # the advisory failure is counted, the gate still passes
    assert _metrics(r)["interop_pass_rate"] < 1.0


def test_docs_worked_example_is_what_check_computes(bundled: dict[str, CheckResult]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("<!-- metrics-example:start -->")[1].split("<!-- metrics-example:end -->")[0]
    rows = {
        m[0]: (float(m[1]), float(m[2]), float(m[3]))
        for m in re.findall(r"^\| (\w+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", section, re.M)
    }
    assert sorted(rows) == sorted(PROFILES)
    for p, r in bundled.items():
        m = _metrics(r)
        assert rows[p] == (m["interop_pass_rate"], m["third_party_verifiability_score"], m["adoption_days_estimate"])
    n = metric_inputs(bundled["regulated"])
    flat = " ".join(section.split())
    assert f"= {n.passed} / {n.ran} =" in flat
    assert f"{n.claims_total} made, {n.claims_rederived} re-derived" in flat
    assert f"the {n.claims_total - n.claims_rederived} trusted ones" in flat
    assert f"{n.items_missing} items missing, {n.items_failing} failing" in flat
    assert f"{n.blockers_open} open release-blocking and {n.minor_open} open non-blocking" in flat


def test_docs_list_every_claim_kind() -> None:
    table = DOCS.read_text(encoding="utf-8").split("Claim inventory")[1].split("**Worked example**")[0]
    documented = {
        kind
        for row in table.splitlines()
        if row.startswith("| `")
        for kind in re.findall(r"`(\w+)`", row.split("|")[1])
    }
    assert documented == set(CLAIM_CODES)


def test_inventory_kinds_are_catalogued() -> None:
    claims = inventory(load_tree(BUNDLED))
    assert {c.kind for c in claims} == set(CLAIM_CODES)
    assert all(c.document and c.field for c in claims)
    trusted = [c for c in claims if c.artifact is None and c.registry is None]
    assert {c.kind for c in trusted} == {k for k, codes in CLAIM_CODES.items() if not codes}


# --- each metric moves with the evidence ---------------------------------------------------


def test_advisory_failure_lowers_interop_and_raises_days(tree_dir: Path, bundled: dict[str, CheckResult]) -> None:
    _advisory_fails(tree_dir)
    for p in PROFILES:
        r = _check(tree_dir, p)
        assert r.upgrade_gate_verdict == "PASS", [f.line() for f in r.findings]
        assert not [f for f in r.findings if f.code == "GSP-E012"]
        before, after = _metrics(bundled[p]), _metrics(r)
        assert after != before
        assert after["interop_pass_rate"] < before["interop_pass_rate"]
        assert after["adoption_days_estimate"] > before["adoption_days_estimate"]
        ProductizationReport.model_validate(r.productization_report)


def test_the_same_failure_in_a_blocking_suite_fails_the_gate(tree_dir: Path) -> None:
    _advisory_fails(tree_dir, enforcement="blocking")
    r = _check(tree_dir)
    assert r.upgrade_gate_verdict == "FAIL"
    assert has([f.line() for f in r.findings], "GSP-E012", BUNDLE, "interop-extended", CPU)


def test_required_suite_reported_as_advisory_does_not_bind(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        for r in d["conformance_reports"]:
            if r["adapter_id"] == CPU and r["suite_id"] == "conformance-core":
                r["enforcement"] = "advisory"

    edit_doc(tree_dir, BUNDLE, fn)
    lines = [f.line() for f in _check(tree_dir).findings]
    assert has(lines, "GSP-E060", BUNDLE, CPU, "required suite conformance-core is advisory")


def test_unreadable_report_lowers_interop_and_verifiability(tree_dir: Path, bundled: dict[str, CheckResult]) -> None:
    rewrite(tree_dir, PY_JUNIT, b"312 of 318 passed\n")
    r = _check(tree_dir)
    assert has([f.line() for f in r.findings], "GSP-E034", PY_JUNIT)
    before, after = metric_inputs(bundled["regulated"]), metric_inputs(r)
    assert (after.passed, after.ran) == (before.passed - 312, before.ran + 6)  # 0 passed of its claimed 318
    assert after.claims_rederived == before.claims_rederived - 1
    assert (
        _metrics(r)["third_party_verifiability_score"]
        < _metrics(bundled["regulated"])["third_party_verifiability_score"]
    )


def test_contradicting_report_lowers_verifiability(tree_dir: Path, bundled: dict[str, CheckResult]) -> None:
    rewrite(tree_dir, ADVISORY, _report(f"{CPU}.interop-extended", 64, 1, 4))  # the bundle still claims 60 passed
    r = _check(tree_dir)
    assert has([f.line() for f in r.findings], "GSP-E061", ADVISORY)
    assert metric_inputs(r).claims_rederived == metric_inputs(bundled["regulated"]).claims_rederived - 1


def test_open_release_blocker_raises_days(tree_dir: Path, bundled: dict[str, CheckResult]) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["blockers"].append(
            {
                "blocker_id": "GLY-9999",
                "description": "snapshot ids collide across regions",
                "severity": "release_blocking",
                "state": "open",
                "owner": "platform-team",
            }
        )

    edit_doc(tree_dir, READINESS, fn)
    r = _check(tree_dir, "core")
    before = _metrics(bundled["core"])["adoption_days_estimate"]
    assert _metrics(r)["adoption_days_estimate"] == pytest.approx(before + W_BLOCKER, abs=1e-3)


def test_missing_item_raises_days(tree_dir: Path, bundled: dict[str, CheckResult]) -> None:
    edit_doc(tree_dir, "release.yaml", lambda d: d.pop("sbom"))
    r = _check(tree_dir)
    assert r.upgrade_gate_verdict == "FAIL"
    assert metric_inputs(r).items_missing == 1
    before = _metrics(bundled["regulated"])["adoption_days_estimate"]
    assert _metrics(r)["adoption_days_estimate"] >= before + W_MISSING


# --- one parse per report per check --------------------------------------------------------


def test_each_junit_report_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = junit._suites

    def counting(data: bytes) -> Any:
        calls.append(len(data))
        return real(data)

    monkeypatch.setattr(junit, "_suites", counting)
    tree = load_tree(BUNDLED)
    result = check(tree, "regulated")
    reports = {(lc.path, lc.expected) for lc in tree.links if lc.path.endswith(".xml") and "reports/" in lc.path} | {
        (lc.path, lc.expected) for lc in tree.links if lc.path.endswith(".junit.xml")
    }
    # check() ran the SDK and conformance checks and the metrics: one parse per report in all
    assert len(calls) == len(reports) > 0
    assert metric_inputs(result).ran > 0  # read from the memo, not the files
    assert len(calls) == len(reports)
