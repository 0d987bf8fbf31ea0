"""The pack and parity benchmarks still run (issue 17 item 6): each at a tiny size, as a script.

Nothing else executes them after a change, so a refactor that breaks one would go unnoticed
until someone wants the figures. Timings are not asserted (the machine is shared); the ratio
lines that ``make bench`` prints are.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(tmp_path: Path, script: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), "--work", str(tmp_path / "work"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"{script} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _ratio(out: str, label: str) -> float:
    found = re.search(rf"{label} (\d+\.\d+)x", out)
    assert found is not None, f"no '{label} N.NNx' line in:\n{out}"
    return float(found.group(1))


def test_small_files_mode_prints_ratios_ls_extract_and_rss(tmp_path: Path) -> None:
    out = _run(tmp_path, "pack_bench.py", "--small-files", "300", "--repeat", "1")
    assert _ratio(out, "pack ratio") > 0
    assert _ratio(out, "verify ratio") > 0
    assert re.search(r"small-files 300: ls \d+\.\d+s, extract one member \d+\.\d+s", out), out
    assert re.search(r"-> max \d+ MB \(target < 500 MB\)", out), out
    assert not (tmp_path / "work" / "small-300").exists(), "scratch tree left behind without --keep"


def test_mixed_tree_mode_prints_ratios(tmp_path: Path) -> None:
    out = _run(tmp_path, "pack_bench.py", "--size", "3M", "--repeat", "1", "--extract-repeat", "1")
    assert re.search(r"pack +\d+\.\d+s vs tar\|zstd && sync \d+\.\d+s +-> \d+\.\d+x", out), out
    assert re.search(r"verify \d+\.\d+s vs zstd -dc\|sha256sum \d+\.\d+s +-> \d+\.\d+x", out), out


def test_parity_bench_prints_overhead_and_repair_share(tmp_path: Path) -> None:
    out = _run(tmp_path, "parity_bench.py", "--size", "2M", "--repeat", "1")
    assert re.search(r"parity at 5% adds -?\d+\.\d+% to pack \(target <= 10%\)", out), out
    assert re.search(r"repair of one block takes \d+\.\d+% of a pack \(target <= 20%\)", out), out
    assert '"repair_identical": true' in out, out
