"""The productization and expansion reports are typed records: built through them, schema from them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from glyphserpack import canonical
from glyphserpack.evidence import check, load_tree
from glyphserpack.evidence.report_models import REPORT_MODELS, ExpansionReport, ProductizationReport, report_schema
from glyphserpack.evidence.reports import report_files

from .helpers import BUNDLED, edit_doc


def _reports(root: Path, profile: str) -> dict[str, dict[str, Any]]:
    result = check(load_tree(root), profile)
    return {"productization_report": result.productization_report, "expansion_report": result.expansion_report}


def _assert_typed(reports: dict[str, dict[str, Any]], files: dict[str, bytes]) -> None:
    for kind, obj in reports.items():
        model = REPORT_MODELS[kind].model_validate(obj)
        assert model.to_obj() == obj  # nothing added, dropped or coerced on the way through
        assert canonical.dumps(model.to_obj()) == files[f"{kind}.cbor"]
        jsonschema.Draft202012Validator(report_schema(kind)).validate(json.loads(files[f"{kind}.json"]))


@pytest.mark.parametrize("profile", ["core", "enterprise", "regulated"])
def test_bundled_reports_are_the_models(profile: str) -> None:
    result = check(load_tree(BUNDLED), profile)
    _assert_typed(_reports(BUNDLED, profile), report_files(result))


def test_failing_reports_carry_their_optional_fields(tree_dir: Path) -> None:
    def block(d: dict[str, Any]) -> None:
        d["status"] = "in_progress"
        d["blockers"] = [
            {"blocker_id": "GLY-1", "description": "HSM", "severity": "release_blocking", "state": "open", "owner": "x"}
        ]

    edit_doc(tree_dir, "readiness/ws38.yaml", block)
    result = check(load_tree(tree_dir), "regulated")
    reports = _reports(tree_dir, "regulated")
    _assert_typed(reports, report_files(result))
    prod = ProductizationReport.model_validate(reports["productization_report"])
    assert prod.first_failing_workstream == "ws38"
    assert prod.findings
    assert all(f.code.startswith("GSP-E") for f in prod.findings)
    exp = ExpansionReport.model_validate(reports["expansion_report"])
    assert [b.blocker_id for b in exp.release_blockers] == ["GLY-1"]
    assert exp.readiness_verdict == "FAIL"


def test_off_shape_reports_are_refused() -> None:
    prod = _reports(BUNDLED, "core")["productization_report"]
    ProductizationReport.model_validate(prod)
    bad_metrics = dict(prod, metrics=dict(prod["metrics"], interop_pass_rate=math.nan))
    with pytest.raises(ValidationError, match="interop_pass_rate"):
        ProductizationReport.model_validate(bad_metrics)
    with pytest.raises(ValidationError, match="surprise"):
        ProductizationReport.model_validate(dict(prod, surprise=1))
    # an absent optional field is omitted from what is written, never null (CONTRACTS.md §1)
    assert "first_failing_workstream" not in ProductizationReport.model_validate(prod).to_obj()


@pytest.mark.parametrize("kind", sorted(REPORT_MODELS))
def test_report_schema_is_closed_and_valid(kind: str) -> None:
    schema = report_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["report_kind"]["const"] == kind
