"""The bundled releases 1.3.0 and 2.0.0 beside evidence/ (1.4.0): generated, passing, one story.

``scripts/make_demo_evidence.py`` writes all three from one generator (a release is a
``ReleaseSpec``); ``glyphserpack demo`` builds them into one registry.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.cli import main
from glyphserpack.evidence import check, load_tree

from .helpers import BUNDLED, REPO

RELEASES = REPO / "evidence-releases"
TREES = {
    "glyphser-1.3.0": RELEASES / "glyphser-1.3.0",
    "glyphser-1.4.0": BUNDLED,
    "glyphser-2.0.0": RELEASES / "glyphser-2.0.0",
}
PROFILES = ("core", "enterprise", "regulated")


def _generator() -> dict[str, Any]:
    return runpy.run_path(str(REPO / "scripts" / "make_demo_evidence.py"), run_name="make_demo")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("release", sorted(TREES))
def test_every_bundled_release_passes(release: str, profile: str, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["check", str(TREES[release]), "--profile", profile])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"release {release}" in out
    assert "upgrade_gate_verdict: PASS" in out
    assert "GSP-E0" not in out  # not even a warning in the bundled examples


def test_generator_is_deterministic_and_matches_the_shipped_trees(tmp_path: Path) -> None:
    gen = _generator()
    first = [_files(p) for p in gen["build_all"](tmp_path / "one")]
    second = [_files(p) for p in gen["build_all"](tmp_path / "two")]
    assert first == second
    shipped = [_files(TREES[r]) for r in ("glyphser-1.3.0", "glyphser-1.4.0", "glyphser-2.0.0")]
    for mine, theirs in zip(first, shipped, strict=True):
        assert sorted(mine) == sorted(theirs)
        assert [k for k in mine if mine[k] != theirs[k]] == []  # regenerate: scripts/make_demo_evidence.py
    assert sorted(p.name for p in RELEASES.iterdir()) == ["glyphser-1.3.0", "glyphser-2.0.0"]


def test_one_story_across_the_releases() -> None:
    """Shared records are the same bytes; 1.3.0's GCS record is revoked before 1.4.0; 2.0.0 renews."""
    results = {r: check(load_tree(p), "regulated") for r, p in TREES.items()}
    status = {r: {e.record_id: e.status for e in res.registry} for r, res in results.items()}
    assert status["glyphser-1.3.0"]["cert-store-gcs-2026"] == "valid"
    assert status["glyphser-1.4.0"]["cert-store-gcs-2026"] == "revoked"
    assert status["glyphser-2.0.0"]["cert-store-gcs-2026"] == "revoked"
    assert status["glyphser-1.4.0"]["cert-store-s3-2025"] == "superseded"  # by cert-store-s3-2026
    assert status["glyphser-2.0.0"]["cert-backend-cuda12-2026"] == "superseded"  # by its renewal
    assert status["glyphser-2.0.0"]["cert-backend-cuda12-2026-r20261105"] == "valid"
    assert "cert-backend-cpu-ref-2025" in status["glyphser-1.3.0"]
    assert len(status["glyphser-1.3.0"]) < len(status["glyphser-1.4.0"]) < len(status["glyphser-2.0.0"])
    for rel in ("cert-store-gcs-2026", "cert-store-s3-2025"):
        path = f"certification/records/{rel}.cbor"
        assert (TREES["glyphser-1.3.0"] / path).read_bytes() == (BUNDLED / path).read_bytes(), rel
    rev = "certification/revocations/rev-2026-0007.cbor"
    assert (TREES["glyphser-2.0.0"] / rev).read_bytes() == (BUNDLED / rev).read_bytes()
    assert not (TREES["glyphser-1.3.0"] / "certification" / "revocations").exists()
    times = [load_tree(p).manifest.release_time_utc for p in TREES.values()]
    assert times == sorted(times)
    assert max(times) < "2026-12-03T00:00:00Z"


def test_2_0_0_makes_the_breaking_change_1_4_0_announces() -> None:
    def policy(tree: Path) -> dict[str, Any]:
        docs = load_tree(tree).by_kind("evolution_policy")
        assert len(docs) == 1
        return dict(docs[0].obj)

    older, announced, newer = (policy(TREES[r]) for r in ("glyphser-1.3.0", "glyphser-1.4.0", "glyphser-2.0.0"))
    assert [c["change_id"] for c in announced["breaking_changes"]] == ["bc-2.0-checkpoint-v2"]
    change = newer["breaking_changes"][0]
    assert change["change_id"] == "bc-2.0-checkpoint-v2"
    assert change["to_version"] == load_tree(TREES["glyphser-2.0.0"]).manifest.version
    assert older["policy_version"] < announced["policy_version"] < newer["policy_version"]
