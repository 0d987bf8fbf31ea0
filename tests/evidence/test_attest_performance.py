"""Performance tiers recomputed from their files (issue 13, item 1): GSP-E062 / E063 / E065.

Each mutation re-pins its hash links, so only what the files say is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from glyphserpack.evidence.attest.performance import passes

from .attest_helpers import has
from .helpers import BUNDLED, edit_doc, findings_of, rewrite

TIERS = "performance/performance_tiers.yaml"
CPU_RESULTS = "attachments/performance/cpu_tier.results.json"
CPU_BASELINE = "attachments/performance/cpu_tier.baseline.json"
ENV = "attachments/env/env_manifest.json"


def edit_json(root: Path, rel: str, fn: Any) -> None:
    obj = json.loads((root / rel).read_text())
    fn(obj)
    rewrite(root, rel, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def test_bundled_performance_is_consistent() -> None:
    for profile in ("enterprise", "regulated"):
        verdict, lines = findings_of(BUNDLED, profile)
        assert verdict == "PASS"
        assert not [ln for ln in lines if ln.startswith(("GSP-E062", "GSP-E063", "GSP-E065"))]


def test_results_five_times_worse_than_claimed(tree_dir: Path) -> None:
    def fn(o: dict[str, Any]) -> None:
        o["metrics"]["step_time_p50"] *= 5

    edit_json(tree_dir, CPU_RESULTS, fn)
    verdict, lines = findings_of(tree_dir, "enterprise")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E062", CPU_RESULTS, f"{TIERS} tiers[0].metrics[0].observed", "0.179", "5.00x the claim")
    assert has(lines, "GSP-E062", CPU_RESULTS, "regression_verdict is PASS", "recomputed", "FAIL", "step_time_p50")


def test_throughput_collapsed_in_results(tree_dir: Path) -> None:
    def fn(o: dict[str, Any]) -> None:
        o["metrics"]["throughput"] /= 5

    edit_json(tree_dir, CPU_RESULTS, fn)
    verdict, lines = findings_of(tree_dir, "enterprise")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E062", CPU_RESULTS, "recomputed", "FAIL", "throughput")


def test_baseline_file_differs_from_claimed_baseline(tree_dir: Path) -> None:
    def fn(o: dict[str, Any]) -> None:
        o["metrics"]["step_time_p50"] = 0.1

    edit_json(tree_dir, CPU_BASELINE, fn)
    verdict, lines = findings_of(tree_dir, "enterprise")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E062", CPU_BASELINE, "metrics[0].baseline claims step_time_p50 = 0.182", "says 0.1")


def test_results_file_for_another_tier_or_missing_metric(tree_dir: Path) -> None:
    def fn(o: dict[str, Any]) -> None:
        o["tier"] = "multi_gpu_tier"
        del o["metrics"]["throughput"]

    edit_json(tree_dir, CPU_RESULTS, fn)
    _, lines = findings_of(tree_dir, "enterprise")
    assert has(lines, "GSP-E062", CPU_RESULTS, "is for cpu_tier", "'multi_gpu_tier'")
    assert has(lines, "GSP-E062", CPU_RESULTS, "throughput", "no such metric")


def test_results_not_json(tree_dir: Path) -> None:
    rewrite(tree_dir, CPU_RESULTS, b"step_time_p50 was fine, honest\n")
    verdict, lines = findings_of(tree_dir, "enterprise")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E065", CPU_RESULTS, TIERS, "not JSON")


def test_env_manifest_hash_not_the_release_environment(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["tiers"][1]["env_manifest_hash"] = "ef" * 32

    edit_doc(tree_dir, TIERS, fn)
    verdict, lines = findings_of(tree_dir, "enterprise")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E063", TIERS, "tiers[1].env_manifest_hash (single_gpu_tier)", "ef" * 32, ENV)


def test_results_name_another_environment(tree_dir: Path) -> None:
    def fn(o: dict[str, Any]) -> None:
        o["env_manifest_sha256"] = "12" * 32

    edit_json(tree_dir, CPU_RESULTS, fn)
    assert has(findings_of(tree_dir, "enterprise")[1], "GSP-E063", CPU_RESULTS, "12" * 32, ENV)


def test_passes_rule() -> None:
    assert passes("lower_is_better", 1.0, 1.05, 0.05)
    assert not passes("lower_is_better", 1.0, 5.0, 0.05)
    assert passes("higher_is_better", 100.0, 95.0, 0.05)
    assert not passes("higher_is_better", 100.0, 20.0, 0.05)
