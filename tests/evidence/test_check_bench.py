"""benchmarks/check_bench.py stays runnable: its generated tree passes, so it measures the success path."""

from __future__ import annotations

import runpy
from pathlib import Path

from glyphserpack.evidence import check, load_tree

from .helpers import REPO


def test_generated_records_are_bound_and_pass(tmp_path: Path) -> None:
    make_tree = runpy.run_path(str(REPO / "benchmarks" / "check_bench.py"))["make_tree"]
    root = make_tree(tmp_path / "tree", 3)
    result = check(load_tree(root), "regulated")
    assert result.upgrade_gate_verdict == "PASS", [f.line() for f in result.findings]
    records = {p for p in result.tree.documents if p.startswith("certification/records/cert-bench-")}
    assert len(records) == 3
    assert {r.adapter_id for r in result.registry} >= {f"bench-backend-{i:04d}" for i in range(3)}


def test_bench_is_registered_with_the_benchmark_runner() -> None:
    assert '["check_bench.py", "--records", "1000"]' in (REPO / "benchmarks" / "run.py").read_text()
