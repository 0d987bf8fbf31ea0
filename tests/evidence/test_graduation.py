"""``check --graduate``: what is missing to move up, item by item."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.cli import main
from glyphserpack.evidence import graduation, load_tree

from .helpers import BUNDLED, edit_doc


@pytest.mark.parametrize("step", ["core:enterprise", "enterprise:regulated"])
def test_bundled_tree_is_ready_to_graduate(step: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", str(BUNDLED), "--graduate", step])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert out.strip().endswith("ready to graduate: yes")
    assert "[missing]" not in out
    assert "[failing]" not in out


def test_items_are_exactly_what_the_higher_profile_adds() -> None:
    plan = graduation(load_tree(BUNDLED), "core", "enterprise")
    items = [s.item_id for s in plan.steps]
    assert items == [
        "security_case:enterprise",
        "run_evidence:enterprise",
        "observability_mapping",
        "certification_bundle",
        "certified_backend",
        "certified_artifact_store",
        "external_interfaces",
        "performance_tiers",
        "gate:conformance_pipeline_pass",
        "gate:deployment_gate_pass",
    ]


def test_missing_items_are_listed(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree_dir / "chaos/chaos_proof_pack.yaml").unlink()

    def fn(d: dict[str, Any]) -> None:
        d.pop("sbom")
        d["documents"] = [x for x in d["documents"] if x["path"] != "chaos/chaos_proof_pack.yaml"]

    edit_doc(tree_dir, "release.yaml", fn)
    rc = main(["check", str(tree_dir), "--graduate", "enterprise:regulated", "--json", "--out", str(tmp_path / "o")])
    obj = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert obj["ready"] is False
    by_id = {s["item_id"]: s for s in obj["steps"]}
    assert by_id["chaos_proof_pack"]["status"] == "missing"
    assert "chaos/chaos_proof_pack.yaml" in by_id["chaos_proof_pack"]["detail"]
    assert by_id["sbom"]["status"] == "missing"
    assert by_id["security_case:regulated"]["status"] == "satisfied"
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["graduation_report.cbor", "graduation_report.json"]
    # the lower step is unaffected: chaos and SBOM are regulated-only
    assert main(["check", str(tree_dir), "--graduate", "core:enterprise"]) == 0


def test_a_tree_failing_its_own_profile_is_not_ready(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree_dir / "chaos/chaos_proof_pack.yaml").unlink()  # still listed: a dangling link fails every profile
    assert main(["check", str(tree_dir), "--graduate", "core:enterprise"]) == 1
    out = capsys.readouterr().out
    assert "[failing] profile:core" in out
    assert "chaos/chaos_proof_pack.yaml" in out


def test_new_obligations_show_as_failing(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # an obligation only the higher profile checks: its graduation gate is recorded as FAIL
    def gate(d: dict[str, Any]) -> None:
        d["graduation"][1]["gates"][1]["verdict"] = "FAIL"

    edit_doc(tree_dir, "profiles/profile_bundle.yaml", gate)
    plan = graduation(load_tree(tree_dir), "enterprise", "regulated")
    assert not plan.ready
    statuses = {s.item_id: s.status for s in plan.steps}
    assert statuses["gate:regulator_grade_evidence_bundle"] == "failing"
    assert any(s.item_id == "finding:GSP-E012" for s in plan.steps)


def test_profile_must_match_graduation_start(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(BUNDLED), "--profile", "regulated", "--graduate", "core:enterprise"]) == 2
    assert "does not match" in capsys.readouterr().err
