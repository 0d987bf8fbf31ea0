"""Reading a release's support facts from an evidence tree and from a build output directory."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from evidence.helpers import copy_tree, edit_doc

from glyphserpack.errors import EvidenceError, InputError
from glyphserpack.evidence import load_tree
from glyphserpack.registry.facts import ProfileGuarantee, release_facts, release_facts_from_build

POLICY = "evolution/evolution_policy.yaml"


def _drop_policy(root: Path) -> None:
    def drop(doc: dict[str, Any]) -> None:
        doc["documents"] = [d for d in doc["documents"] if d["path"] != POLICY]

    edit_doc(root, "release.yaml", drop)
    (root / POLICY).unlink()


def make_build(base: Path, evidence: Path, *, release_id: str = "glyphser-1.4.0") -> Path:
    """A build output as far as the support facts read it: reports/build.json and the release pack."""
    from glyphserpack import pack

    stage = base / "stage"
    shutil.copytree(evidence, stage / "evidence")
    out = base / "build"
    name = "glyphser-1.4.0.glyphserpack"
    pack.write(stage, out / "packs" / name, created="2026-10-15T12:00:00Z")
    summary = {
        "release_id": release_id,
        "profile_id": "enterprise",
        "upgrade_gate_verdict": "PASS",
        "pack": {"name": name},
    }
    (out / "reports").mkdir()
    (out / "reports" / "build.json").write_text(json.dumps(summary), encoding="utf-8")
    return out


def test_facts_of_the_bundled_evidence() -> None:
    facts = release_facts(load_tree(Path(__file__).resolve().parents[2] / "evidence"), gate="PASS", profile="regulated")
    assert (facts.product, facts.version, facts.cycle, facts.release_date) == ("glyphser", "1.4.0", "1.4", "2026-10-15")
    assert facts.lts_cycles == ("1.4",)
    assert facts.guarantee("enterprise") == ProfileGuarantee("enterprise", 24, 4)
    assert facts.policy_path == POLICY


def test_a_policy_without_lts_cycles_still_loads_and_declares_none(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    edit_doc(root, POLICY, lambda d: d.pop("lts_cycles"))
    facts = release_facts(load_tree(root), gate="PASS", profile="core")
    assert facts.lts_cycles == ()


def test_a_release_without_an_evolution_policy_is_named(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    _drop_policy(root)
    with pytest.raises(EvidenceError) as exc:
        release_facts(load_tree(root), gate="PASS", profile="core")
    assert exc.value.message.startswith("release.yaml: release glyphser-1.4.0 has no evolution policy")


def test_facts_from_a_build_match_the_tree(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    out = make_build(tmp_path, root)
    facts = release_facts_from_build(out)
    from_tree = release_facts(load_tree(root), gate="PASS", profile="enterprise")
    assert facts == dataclasses.replace(from_tree, source="build/reports/build.json")


def test_a_directory_that_is_not_a_build_output(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a build output"):
        release_facts_from_build(tmp_path)


def test_a_build_whose_summary_names_another_release(tmp_path: Path) -> None:
    out = make_build(tmp_path, copy_tree(tmp_path), release_id="glyphser-9.9.9")
    with pytest.raises(InputError, match=r"the pack holds release glyphser-1\.4\.0, but reports/build\.json says"):
        release_facts_from_build(out)


def test_a_build_summary_missing_a_field(tmp_path: Path) -> None:
    out = make_build(tmp_path, copy_tree(tmp_path))
    summary = json.loads((out / "reports/build.json").read_text())
    del summary["upgrade_gate_verdict"]
    (out / "reports/build.json").write_text(json.dumps(summary))
    with pytest.raises(InputError, match=r"build/reports/build.json: upgrade_gate_verdict: missing"):
        release_facts_from_build(out)


def test_a_build_without_an_evolution_policy_is_named(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    _drop_policy(root)
    with pytest.raises(EvidenceError) as exc:
        release_facts_from_build(make_build(tmp_path, root))
    assert "packs/glyphser-1.4.0.glyphserpack: release glyphser-1.4.0 has no evolution policy" in exc.value.message


@pytest.mark.parametrize("bad", [["1.4.0"], ["v1"], []])
def test_lts_cycles_must_name_cycles(tmp_path: Path, bad: list[str]) -> None:
    root = copy_tree(tmp_path)
    edit_doc(root, POLICY, lambda d: d.update(lts_cycles=bad))
    with pytest.raises(EvidenceError, match=r"evolution/evolution_policy\.yaml: lts_cycles"):
        load_tree(root)


def test_the_three_bundled_releases_make_one_matrix() -> None:
    """The example product's releases (1.3.0, 1.4.0, 2.0.0) as the registry will see them."""
    from glyphserpack.registry.support import endoflife_cycles, support_matrix

    repo = Path(__file__).resolve().parents[2]
    trees = [
        repo / "evidence-releases" / "glyphser-1.3.0",
        repo / "evidence",
        repo / "evidence-releases" / "glyphser-2.0.0",
    ]
    facts = [release_facts(load_tree(t), gate="PASS", profile="regulated") for t in trees]
    assert [f.lts_cycles for f in facts] == [(), ("1.4",), ("1.4",)]
    cycles = endoflife_cycles(support_matrix(facts, at="2027-06-01"), "glyphser", "core")
    assert cycles == [
        {
            "cycle": "2.0",
            "releaseDate": "2026-11-20",
            "support": True,
            "eol": False,
            "latest": "2.0.0",
            "latestReleaseDate": "2026-11-20",
            "lts": False,
        },
        {  # 2.0.0 deprecates 1.4; LTS (3 years for core) outlasts 18 months after 2026-11-20
            "cycle": "1.4",
            "releaseDate": "2026-10-15",
            "support": "2026-11-20",
            "eol": "2029-10-15",
            "latest": "1.4.0",
            "latestReleaseDate": "2026-10-15",
            "lts": True,
        },
        {  # 1.4.0 deprecates 1.3; 18 months later
            "cycle": "1.3",
            "releaseDate": "2026-07-15",
            "support": "2026-10-15",
            "eol": "2028-04-15",
            "latest": "1.3.0",
            "latestReleaseDate": "2026-07-15",
            "lts": False,
        },
    ]
