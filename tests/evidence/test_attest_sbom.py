"""CycloneDX SBOMs validated against their spec version's schema (issue 13): GSP-E064 / GSP-E065.

The release SBOM (release.yaml ``sbom``) and every bound certification record's SBOM are
validated offline with cyclonedx-python-lib; an oversized SBOM is refused before parsing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.evidence.attest.sbom import SBOM_LIMIT, sbom_errors

from .attest_helpers import BUNDLE, CPU_PACKAGE, CPU_RECORD, has, replace_package_member
from .helpers import BUNDLED, findings_of, rewrite

RELEASE_SBOM = "attachments/sbom/glyphser-1.4.0.cdx.json"


def sbom(root: Path, rel: str = RELEASE_SBOM) -> dict[str, Any]:
    obj: dict[str, Any] = json.loads((root / rel).read_text())
    return obj


def test_bundled_sboms_are_valid() -> None:
    assert sbom_errors((BUNDLED / RELEASE_SBOM).read_text()) == ("", "")
    found = sorted((BUNDLED / "attachments/certification").glob("cert-*/sbom.*.json"))
    assert {p.name for p in found} == {"sbom.cdx.json", "sbom.spdx.json"}  # both formats are exercised
    for rec in found:
        assert sbom_errors(rec.read_text()) == ("", ""), rec
    _, lines = findings_of(BUNDLED, "regulated")
    assert not [ln for ln in lines if ln.startswith(("GSP-E064", "GSP-E065", "GSP-E066"))]


def test_release_sbom_schema_invalid(tree_dir: Path) -> None:
    obj = sbom(tree_dir)
    obj["components"][0]["type"] = "gizmo"  # not a CycloneDX component type
    rewrite(tree_dir, RELEASE_SBOM, json.dumps(obj).encode())
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E064", RELEASE_SBOM, "claimed by release.yaml", "CycloneDX 1.5 schema", "gizmo")


def test_release_sbom_unknown_field_is_refused_by_the_strict_schema(tree_dir: Path) -> None:
    obj = sbom(tree_dir)
    obj["components"][1]["licence"] = "MIT"
    rewrite(tree_dir, RELEASE_SBOM, json.dumps(obj).encode())
    assert has(findings_of(tree_dir, "regulated")[1], "GSP-E064", RELEASE_SBOM, "licence")


def test_release_sbom_unknown_spec_version(tree_dir: Path) -> None:
    obj = sbom(tree_dir)
    obj["specVersion"] = "9.9"
    rewrite(tree_dir, RELEASE_SBOM, json.dumps(obj).encode())
    assert has(findings_of(tree_dir, "regulated")[1], "GSP-E064", RELEASE_SBOM, "specVersion '9.9'")


def test_release_sbom_not_cyclonedx(tree_dir: Path) -> None:
    rewrite(tree_dir, RELEASE_SBOM, b"this is not an SBOM\n")
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E065", RELEASE_SBOM, "not JSON")


def test_record_sbom_schema_invalid(tree_dir: Path) -> None:
    rel = f"{CPU_PACKAGE}/sbom.cdx.json"
    obj = sbom(tree_dir, rel)
    del obj["components"][0]["name"]  # a component must have a name
    replace_package_member(tree_dir, CPU_RECORD, "sbom", json.dumps(obj).encode())
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E064", rel, f"claimed by {CPU_RECORD}", "name")
    assert not has(lines, "GSP-E060", BUNDLE, "SBOM")  # present and pinned: its content is the problem


@pytest.mark.timeout(60)
def test_sbom_with_100k_components_is_refused_before_parsing(tree_dir: Path) -> None:
    obj = sbom(tree_dir)
    obj["components"] = [
        {"type": "library", "name": f"pkg{i}", "version": "1.0.0", "purl": f"pkg:pypi/pkg{i}@1.0.0"}
        for i in range(100_000)
    ]
    data = json.dumps(obj).encode()
    assert len(data) > SBOM_LIMIT
    rewrite(tree_dir, RELEASE_SBOM, data)
    start = time.monotonic()
    verdict, lines = findings_of(tree_dir, "regulated")
    elapsed = time.monotonic() - start
    assert verdict == "FAIL"
    assert has(lines, "GSP-E065", RELEASE_SBOM, "claimed by release.yaml", "limit", "not validated")
    assert elapsed < 20  # hashing ~10 MB and refusing it, without building or validating 100k objects
