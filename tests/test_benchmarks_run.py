"""The benchmark scripts still run: a tiny size of each, exit 0, ratio lines printed.

Nothing else runs the benchmarks after a change, so a renamed API would leave them broken
until someone measures again (issue 17 item 6). Sizes here are tiny: this checks that the
script works and reports, not the figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_log_bench_runs_and_prints_its_ratios() -> None:
    out = run_bench("log_bench.py", "--sizes", "600", "--proofs", "5", "--batch", "256")
    assert "== 600 entries" in out
    for label in ("append", "baseline", "prove", "verify"):
        assert any(line.startswith(label) for line in out.splitlines()), (label, out)
    assert "ratio append/baseline" in out
    assert "ratio verify/baseline" in out
