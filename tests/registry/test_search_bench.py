"""benchmarks/search_bench.py stays runnable and is registered with the benchmark runner (issue 17 item 6)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "benchmarks" / "search_bench.py"


def test_the_bench_runs_and_reports_every_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main = runpy.run_path(str(BENCH))["main"]
    assert main(["2000", "--work", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for figure in ("--- 2,000 rows", "peak RSS", "largest", "baseline one JSON file", "gzip", "ratios:", "query id"):
        assert figure in out, figure
    assert "query id              fetches   3 files" in out  # manifest, one postings shard, one rows file


def test_bench_is_registered_with_the_benchmark_runner() -> None:
    assert '["search_bench.py", "10000", "100000"]' in (REPO / "benchmarks" / "run.py").read_text()
