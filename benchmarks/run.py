"""Run every benchmark at its issue's reference size and print the ratios against baselines.

``make bench`` calls this. Each benchmark is a standalone script that can also be run alone
with its own options (see its ``--help``); here they run one after another so that they do
not compete for the two cores.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

RUNS: list[list[str]] = [
    ["pack_bench.py", "--size", "1G", "--repeat", "3"],
    ["log_bench.py", "--entries", "100000"],
    ["site_bench.py", "100", "1000", "10000"],
    ["parity_bench.py", "--size", "1G", "--repeat", "3"],
    ["check_bench.py", "--records", "1000"],
    ["search_bench.py", "10000", "100000"],
]


def main() -> int:
    failed = 0
    for script, *args in RUNS:
        path = HERE / script
        if not path.exists():
            continue
        print(f"=== {script} {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(path), *args], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
