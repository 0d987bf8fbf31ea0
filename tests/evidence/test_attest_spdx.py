"""SPDX SBOMs parsed and validated with spdx-tools (issue 13, item 1): GSP-E066, and format detection.

The bundled cert-store-s3-2026 package carries an SPDX 2.3 JSON SBOM; the others CycloneDX.
Mutations re-sign the record after changing only its SBOM (attest_helpers.replace_package_member),
so a finding can only come from reading the SBOM.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.evidence.attest.sbom import sbom_errors, sbom_format
from glyphserpack.evidence.attest.spdx import SPDX_ELEMENT_LIMIT, SPDX_PAIR_LIMIT

from .attest_helpers import BUNDLE, has, replace_package_member
from .helpers import BUNDLED, findings_of

S3_RECORD = "certification/records/cert-store-s3-2026.cbor"
S3_SBOM = "attachments/certification/cert-store-s3-2026/sbom.spdx.json"
TAG_VALUE = Path(__file__).resolve().parents[1] / "assets" / "sbom" / "store-s3.spdx"


def spdx(root: Path = BUNDLED) -> dict[str, Any]:
    obj: dict[str, Any] = json.loads((root / S3_SBOM).read_text())
    return obj


def test_bundled_spdx_sbom_is_valid_and_realistic() -> None:
    text = (BUNDLED / S3_SBOM).read_text()
    detected = sbom_format(text)
    assert not isinstance(detected, str)
    assert detected[0] == "spdx-json"
    assert sbom_errors(text) == ("", "")
    doc = spdx()
    assert doc["spdxVersion"] == "SPDX-2.3"
    assert len(doc["packages"]) >= 5
    for p in doc["packages"]:
        assert p["externalRefs"][0]["referenceLocator"].startswith("pkg:pypi/")
        assert p["checksums"][0]["algorithm"] == "SHA256"
    kinds = {r["relationshipType"] for r in doc["relationships"]}
    assert kinds == {"DESCRIBES", "DEPENDS_ON"}


def test_valid_tag_value_spdx_passes() -> None:
    text = TAG_VALUE.read_text()
    detected = sbom_format(text)
    assert not isinstance(detected, str)
    assert detected[0] == "spdx-tag-value"
    assert sbom_errors(text) == ("", "")


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda t: t.replace("DEPENDS_ON SPDXRef-Package-boto3", "DEPENDS_ON SPDXRef-Package-botox"), "botox"),
        (lambda t: t.replace("DocumentName: glyphser-store-s3-1.4.0\n", ""), "'name'"),
        (lambda t: t.replace("SPDXID: SPDXRef-Package-boto3", "SPDXID: Package-boto3"), '"SPDXRef-"'),
    ],
)
def test_invalid_tag_value_spdx(edit: Any, says: str) -> None:
    code, why = sbom_errors(edit(TAG_VALUE.read_text()))
    assert code == "GSP-E066"
    assert why.startswith("SPDX (spdx-tag-value): ")
    assert says in why


def _mutated(tree_dir: Path, doc: dict[str, Any]) -> list[str]:
    replace_package_member(tree_dir, S3_RECORD, "sbom", json.dumps(doc, indent=2).encode())
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert not has(lines, "GSP-E060", BUNDLE, "SBOM")  # present and pinned: its content is the problem
    return lines


def test_spdx_missing_required_field(tree_dir: Path) -> None:
    doc = spdx(tree_dir)
    del doc["packages"][1]["downloadLocation"]
    lines = _mutated(tree_dir, doc)
    assert has(lines, "GSP-E066", S3_SBOM, f"claimed by {S3_RECORD}", "Package.download_location: required field")


def test_spdx_broken_relationship(tree_dir: Path) -> None:
    doc = spdx(tree_dir)
    doc["relationships"][1]["relatedSpdxElement"] = "SPDXRef-Package-missing"
    lines = _mutated(tree_dir, doc)
    assert has(lines, "GSP-E066", S3_SBOM, f"claimed by {S3_RECORD}", '"SPDXRef-Package-missing"', "did not find")


def test_spdx_bad_spdxid(tree_dir: Path) -> None:
    doc = spdx(tree_dir)
    doc["packages"][2]["SPDXID"] = "Package_botocore"
    lines = _mutated(tree_dir, doc)
    assert has(lines, "GSP-E066", S3_SBOM, "Package_botocore: spdx_id", 'must begin with "SPDXRef-"')


def test_neither_cyclonedx_nor_spdx_is_a_finding(tree_dir: Path) -> None:
    replace_package_member(tree_dir, S3_RECORD, "sbom", b'{"components": ["boto3"]}\n')
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E065", S3_SBOM, f"claimed by {S3_RECORD}", "neither CycloneDX", "nor SPDX")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("this is not an SBOM\n", "not JSON, and not SPDX tag-value"),
        ('{"bomFormat": "SWID"}', "neither CycloneDX"),
        ("[1, 2]", "neither CycloneDX"),
        ('{"spdxVersion": ', "not JSON"),
    ],
)
def test_format_detection_names_what_is_wrong(text: str, why: str) -> None:
    detected = sbom_format(text)
    assert isinstance(detected, str)
    assert why in detected
    assert sbom_errors(text) == ("GSP-E065", detected)


@pytest.mark.timeout(60)
def test_spdx_too_large_to_validate_is_refused_in_bounded_time() -> None:
    doc = spdx()
    n = int(SPDX_PAIR_LIMIT**0.5) + 10  # under the element limit, over the pair limit
    assert n < SPDX_ELEMENT_LIMIT
    doc["packages"] = [
        {"SPDXID": f"SPDXRef-P{i}", "name": f"p{i}", "downloadLocation": "NOASSERTION", "filesAnalyzed": False}
        for i in range(n)
    ]
    doc["relationships"] = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": f"SPDXRef-P{i}"}
        for i in range(n)
    ]
    start = time.monotonic()
    code, why = sbom_errors(json.dumps(doc))
    assert time.monotonic() - start < 5  # refused before spdx-tools spends its quadratic time on it
    assert code == "GSP-E065"
    assert "bounded time" in why
    doc["packages"] = doc["packages"] * (SPDX_ELEMENT_LIMIT // n + 1)
    assert "packages, files and snippets, more than" in sbom_errors(json.dumps(doc))[1]


def test_spdx_tools_is_imported_only_for_spdx() -> None:
    probe = (
        "import sys, pathlib\n"
        "from glyphserpack.evidence.attest.sbom import sbom_errors\n"
        f"assert sbom_errors(pathlib.Path({str(BUNDLED / 'attachments/sbom/glyphser-1.4.0.cdx.json')!r}).read_text()) "
        "== ('', '')\n"
        "assert 'spdx_tools' not in sys.modules\n"
        f"assert sbom_errors(pathlib.Path({str(TAG_VALUE)!r}).read_text()) == ('', '')\n"
        "assert 'spdx_tools' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=120)
