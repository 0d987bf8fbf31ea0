"""Certification records are bound to their evidence (issue 13, item 2): GSP-E060 / GSP-E061.

The bundled tree passes every profile; each mutation below (hash links re-pinned, signed
records re-signed, so only the content is wrong) turns the verdict to FAIL with a finding
that names the contradicted file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.evidence.attest.certification import required_suites
from glyphserpack.evidence.attest.junit import parse_junit

from .attest_helpers import BUNDLE, CPU_PACKAGE, CPU_RECORD, has, replace_package_member
from .helpers import BUNDLED, edit_doc, findings_of, rewrite

CPU = "glyphser-backend-cpu-ref"
CPU_REPORT = f"attachments/certification/reports/{CPU}.conformance-core.xml"


@pytest.mark.parametrize("profile", ["core", "enterprise", "regulated"])
def test_bundled_records_are_bound(profile: str) -> None:
    verdict, lines = findings_of(BUNDLED, profile)
    assert verdict == "PASS"
    assert not [ln for ln in lines if ln.startswith(("GSP-E060", "GSP-E061"))]


def test_fingerprint_matching_no_package(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["adapter_fingerprints"][0]["binary_sha256"] = "ab" * 32

    edit_doc(tree_dir, BUNDLE, fn)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E060", BUNDLE, CPU_RECORD, "matches no package", f"{CPU_PACKAGE}/package_manifest.json")


def test_package_manifest_with_another_binary(tree_dir: Path) -> None:
    rel = f"{CPU_PACKAGE}/package_manifest.json"
    pkg = json.loads((tree_dir / rel).read_text())
    pkg["binary_sha256"] = "cd" * 32
    replace_package_member(tree_dir, CPU_RECORD, "package_manifest", json.dumps(pkg).encode())
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E060", BUNDLE, "matches no package", f"says binary_sha256 {'cd' * 32}")


def test_package_manifest_for_another_adapter(tree_dir: Path) -> None:
    rel = f"{CPU_PACKAGE}/package_manifest.json"
    pkg = json.loads((tree_dir / rel).read_text())
    pkg["adapter_id"] = "glyphser-backend-cuda12"
    replace_package_member(tree_dir, CPU_RECORD, "package_manifest", json.dumps(pkg).encode())
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E060", BUNDLE, rel, "is for 'glyphser-backend-cuda12'")


def test_certified_backend_without_reports_or_reproducibility(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["conformance_reports"] = [r for r in d["conformance_reports"] if r["adapter_id"] != CPU]
        d["reproducibility_verdicts"] = [v for v in d["reproducibility_verdicts"] if v["adapter_id"] != CPU]

    edit_doc(tree_dir, BUNDLE, fn)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    for what in (
        "no conformance report for required suite conformance-core",
        "no conformance report for required suite replay-determinism",
        "no reproducibility verdict",
    ):
        assert has(lines, "GSP-E060", BUNDLE, "Certified Backend v1", CPU_RECORD, what), what


def test_failing_reproducibility_verdict(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["reproducibility_verdicts"][0]["verdict"] = "FAIL"

    edit_doc(tree_dir, BUNDLE, fn)
    assert has(findings_of(tree_dir, "core")[1], "GSP-E060", BUNDLE, CPU_RECORD, "reproducibility verdict is FAIL")


def test_failing_conformance_report_behind_a_pass_claim(tree_dir: Path) -> None:
    text = (tree_dir / CPU_REPORT).read_text()
    text = text.replace('failures="0"', 'failures="1"').replace(
        'name="case_0003" time="0.3"/>', 'name="case_0003" time="0.3"><failure message="digest differs"/></testcase>'
    )
    rewrite(tree_dir, CPU_REPORT, text.encode())
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E061", CPU_REPORT, f"{BUNDLE} claims conformance-core", "412/412 PASS", "1 failures")


def test_failing_case_hidden_by_zero_attributes(tree_dir: Path) -> None:
    text = (
        (tree_dir / CPU_REPORT)
        .read_text()
        .replace('name="case_0003" time="0.3"/>', 'name="case_0003" time="0.3"><error message="crash"/></testcase>')
    )
    rewrite(tree_dir, CPU_REPORT, text.encode())
    assert has(findings_of(tree_dir, "core")[1], "GSP-E061", CPU_REPORT, "1 errors")


def test_conformance_report_that_is_not_junit(tree_dir: Path) -> None:
    rewrite(tree_dir, CPU_REPORT, b"all 412 cases passed, trust us\n")
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E061", CPU_REPORT, "cannot be read as JUnit")


def test_record_sbom_missing(tree_dir: Path) -> None:
    (tree_dir / CPU_PACKAGE / "sbom.cdx.json").unlink()
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E060", BUNDLE, CPU_RECORD, f"SBOM {CPU_PACKAGE}/sbom.cdx.json missing")


def test_revoked_record_is_not_bound() -> None:
    # acme-store-gcs has no reports in the bundle, but its record is revoked: nothing to bind.
    _, lines = findings_of(BUNDLED, "regulated")
    assert not any("acme-store-gcs" in ln for ln in lines)


def test_required_suites_by_class() -> None:
    assert required_suites("Certified Backend v1") == ("conformance-core", "replay-determinism")
    assert required_suites("Certified Artifact Store v2") == ("conformance-core", "replay-determinism")
    assert required_suites("Certified Operator v1") == ("conformance-core",)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><testsuites/>', "DOCTYPE"),
        (b"<testsuites><testsuite", "well-formed"),
        (b"<html/>", "root element"),
        (b'<testsuite tests="x"/>', "whole number"),
        (b'<testsuite tests="1"><testcase/><testcase/></testsuite>', "holds 2 cases"),
    ],
)
def test_junit_refuses_bad_input(data: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_junit(data)


def test_junit_totals() -> None:
    t = parse_junit(
        b'<testsuites><testsuite tests="4" skipped="1"><testcase/><testcase><failure/></testcase>'
        b"<testcase><skipped/></testcase></testsuite></testsuites>"
    )
    assert (t.tests, t.failures, t.errors, t.skipped, t.passed) == (4, 1, 0, 1, 2)
