"""The bundled tree passes every profile; reports are reproducible and location-free."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from glyphserpack import canonical
from glyphserpack.cli import main
from glyphserpack.evidence import check, load_tree, report_files

from .helpers import BUNDLED, copy_tree

PROFILES = ("core", "enterprise", "regulated")


@pytest.mark.parametrize("profile", PROFILES)
def test_bundled_tree_passes(profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", str(BUNDLED), "--profile", profile])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "upgrade_gate_verdict: PASS" in out
    assert "GSP-E0" not in out  # not even a warning in the bundled example


def test_bundled_registry_has_variety() -> None:
    result = check(load_tree(BUNDLED), "regulated")
    statuses = {e.record_id: e.status for e in result.registry}
    assert statuses["cert-store-gcs-2026"] == "revoked"
    assert statuses["cert-store-s3-2025"] == "superseded"  # by cert-store-s3-2026, which outranks its expiry
    assert sorted(s for s in statuses.values() if s == "valid") == ["valid"] * 3
    exp = result.expansion_report
    assert exp["workstreams_total"] == 29
    assert 0 < exp["workstreams_ready"] < 29
    assert exp["blockers_open"] > 0
    assert exp["release_blockers"] == []


def test_report_fields_and_bindings(tmp_path: Path) -> None:
    rc = main(["check", str(BUNDLED), "--profile", "regulated", "--out", str(tmp_path / "out")])
    assert rc == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "expansion_report.cbor",
        "expansion_report.json",
        "productization_report.cbor",
        "productization_report.json",
    ]
    for stem in ("productization_report", "expansion_report"):
        obj = json.loads((tmp_path / "out" / f"{stem}.json").read_text())
        assert canonical.loads((tmp_path / "out" / f"{stem}.cbor").read_bytes()) == obj
        assert len(obj["env_manifest_hash"]) == 64
        assert len(obj["determinism_profile_hash"]) == 64
    prod = json.loads((tmp_path / "out" / "productization_report.json").read_text())
    for name in (
        "profile_bundle_hash",
        "certification_evidence_bundle_hash",
        "observability_mapping_hash",
        "security_case_hash",
    ):
        assert len(prod[name]) == 64
    assert prod["upgrade_gate_verdict"] == "PASS"
    assert set(prod["metrics"]) == {"adoption_days_estimate", "interop_pass_rate", "third_party_verifiability_score"}
    exp = json.loads((tmp_path / "out" / "expansion_report.json").read_text())
    assert [r["workstream_id"] for r in exp["readiness_by_workstream"]] == [f"ws{i}" for i in range(12, 41)]


def test_named_hashes_follow_contracts() -> None:
    """CONTRACTS.md §2: a third party can recompute the named hashes from the documents alone."""
    from glyphserpack._internal.docload import load_document

    result = check(load_tree(BUNDLED), "regulated")
    prod = result.productization_report
    sc = load_document(BUNDLED / "security/security_case.regulated.yaml")
    assert prod["security_case_hash"] == canonical.commit_hash("security_case", sc).hex()
    om = load_document(BUNDLED / "observability/mapping.yaml")
    assert prod["observability_mapping_hash"] == canonical.object_digest(om).hex()
    pb = load_document(BUNDLED / "profiles/profile_bundle.yaml")
    assert prod["profile_bundle_hash"] == canonical.object_digest(pb).hex()


def test_reports_byte_identical_across_runs_and_locations(tmp_path: Path) -> None:
    a = copy_tree(tmp_path / "a")
    b = tmp_path / "somewhere" / "else" / "entirely"
    shutil.copytree(a, b)
    outputs = []
    for root in (a, b, a):
        for profile in PROFILES:
            files = report_files(check(load_tree(root), profile))
            outputs.append((profile, files))
            for data in files.values():
                assert str(tmp_path).encode() not in data
    first = dict(outputs[:3])
    for profile, files in outputs[3:]:
        assert files == first[profile]


def test_regenerating_the_bundled_tree_is_reproducible(tmp_path: Path) -> None:
    import runpy

    mod = runpy.run_path(str(BUNDLED.parent / "scripts" / "make_demo_evidence.py"), run_name="make_demo")
    mod["build"](tmp_path / "evidence")
    mine = sorted(p.relative_to(tmp_path / "evidence") for p in (tmp_path / "evidence").rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(BUNDLED) for p in BUNDLED.rglob("*") if p.is_file())
    assert mine == theirs
    for rel in mine:
        assert (tmp_path / "evidence" / rel).read_bytes() == (BUNDLED / rel).read_bytes(), rel
    assert not any(b"PRIVATE" in (BUNDLED / r).read_bytes() for r in theirs)


def test_json_output_is_the_reports(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", str(BUNDLED), "--profile", "core", "--json"])
    obj = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert obj["productization_report"]["profile_id"] == "core"
    assert obj["productization_report"]["execution_mode"] == "local"
    assert obj["expansion_report"]["profile_id"] == "core"
