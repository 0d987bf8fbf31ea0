#!/usr/bin/env python3
"""Site build benchmark: wall time and peak memory for 100, 1,000 and 10,000 certificates.

For each size: generate a synthetic evidence tree (the bundled demo plus N signed execution
certificates) under ``benchmarks/.work/``, then in a fresh process each
  1. cold build (empty page cache),
  2. unchanged rebuild (same inputs, warm cache: mkdocs and every page skipped),
and print one table. Peak memory is the child's ru_maxrss. Target: 10,000 certificates
in under 60 s on 2 cores.

Usage: .venv/bin/python benchmarks/site_bench.py [N ...]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work" / "site"
sys.path.insert(0, str(REPO / "tests" / "site"))
sys.path.insert(0, str(REPO))

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from glyphserpack.site import build_site
t = time.perf_counter()
r = build_site(Path(sys.argv[1]), Path(sys.argv[2]), cache_dir=Path(sys.argv[3]))
wall = time.perf_counter() - t
print(json.dumps({"seconds": round(wall, 2), "files": r.files, "mkdocs_ran": r.mkdocs_ran,
                  "rendered": r.pages_rendered, "cached": r.pages_cached,
                  "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def run(tree: Path, out: Path, cache: Path) -> dict[str, object]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1790000000", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tree), str(out), str(cache)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    from site_synth import make_tree

    rows = []
    for n in sizes:
        base = WORK / str(n)
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        t = time.perf_counter()
        tree = make_tree(base / "evidence", n_certs=n)
        gen = time.perf_counter() - t
        cold = run(tree, base / "site", base / "cache")
        warm = run(tree, base / "site", base / "cache")
        size_mb = sum(p.stat().st_size for p in (base / "site").rglob("*") if p.is_file()) / 1e6
        rows.append((n, gen, cold, warm, size_mb))
        print(f"n={n}: generate {gen:.1f}s cold {cold} warm {warm} site {size_mb:.0f} MB", flush=True)
    print()
    print(
        "| certificates | cold build s | cold peak MB | unchanged rebuild s | pages re-rendered"
        " | site files | site MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, _, cold, warm, size_mb in rows:
        print(
            f"| {n:,} | {cold['seconds']} | {cold['peak_mb']} | {warm['seconds']} | {warm['rendered']} "
            f"(mkdocs {'ran' if warm['mkdocs_ran'] else 'skipped'}) | {cold['files']:,} | {size_mb:.0f} |"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 10000])
