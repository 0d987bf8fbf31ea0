"""Run every benchmark at its issue's reference size and print the ratios against baselines.

``make bench`` calls this with ``--quick`` (the big pack and parity runs at smaller sizes).
Each benchmark is a standalone script that can also be run alone with its own options (see
its ``--help``); here they run one after another so that they do not compete for the two cores.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

RUNS: list[list[str]] = [
    ["pack_bench.py", "--size", "1G", "--repeat", "3"],
    ["pack_bench.py", "--small-files", "1000000", "--repeat", "3"],
    ["log_bench.py"],
    ["site_bench.py", "100", "1000", "10000"],
    ["parity_bench.py", "--size", "1G", "--repeat", "3"],
    ["check_bench.py", "--records", "1000"],
    ["search_bench.py", "10000", "100000"],
    ["registry_bench.py", "50x200"],
]


#: ``--quick`` (what ``make bench`` runs): the same measurements at sizes that take minutes,
#: keyed by the full run they stand in for; runs not listed here run at their full size.
QUICK: dict[tuple[str, ...], list[str]] = {
    ("pack_bench.py", "--size", "1G", "--repeat", "3"): ["pack_bench.py", "--size", "256M", "--repeat", "1"],
    ("pack_bench.py", "--small-files", "1000000", "--repeat", "3"): [
        "pack_bench.py",
        "--small-files",
        "20000",
        "--repeat",
        "1",
    ],
    ("parity_bench.py", "--size", "1G", "--repeat", "3"): ["parity_bench.py", "--size", "100M", "--repeat", "1"],
    ("registry_bench.py", "50x200"): ["registry_bench.py", "10x200"],
}


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failed = 0
    for run in RUNS:
        script, *args = QUICK.get(tuple(run), run) if quick else run
        path = HERE / script
        if not path.exists():
            continue
        print(f"=== {script} {' '.join(args)}", flush=True)
        failed += subprocess.run([sys.executable, str(path), *args], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
