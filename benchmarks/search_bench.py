#!/usr/bin/env python3
"""Registry search index benchmark: 10,000 and 100,000 rows (1,000,000 with --full).

For each size, in a fresh process each (so peak memory is the build's own ru_maxrss):
  1. build the sharded index (``write_search_index``) from synthetic rows
     (tests/site/search_synth.py) and time it;
  2. the baseline: the same rows as ONE JSON file (``json.dumps``, what a single-file index
     such as mkdocs-material's ships) and its gzip (level 6), for size and time.
Then, from the written files alone, what three queries make a browser fetch (as search.js
does: manifest, the postings shards of the keys, the rows files of page 1): a lookup by id,
the status filter ``revoked``, and the word ``tenant`` (in most rows).

Targets (issue 17 item 2): no file a browser loads over ~1 MB (we aim at < 256 KB), memory
bounded at 1,000,000 rows.

Usage: .venv/bin/python benchmarks/search_bench.py [--full] [N ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work" / "search"
PAGE = 50

BUILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from search_synth import synthetic_rows
from glyphserpack.registry.search import write_search_index
t = time.perf_counter()
info = write_search_index(synthetic_rows(int(sys.argv[1])), Path(sys.argv[2]))
print(json.dumps({"seconds": round(time.perf_counter() - t, 2), "files": info.files,
                  "total_bytes": info.total_bytes, "largest_file": info.largest_file,
                  "largest_bytes": info.largest_bytes, "postings_shards": info.postings_shards,
                  "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""

BASELINE = r"""
import gzip, json, resource, sys, time
from dataclasses import astuple
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from search_synth import synthetic_rows
t = time.perf_counter()
rows = [[str(v) for v in astuple(r)] for r in synthetic_rows(int(sys.argv[1]))]
data = json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode()
Path(sys.argv[2]).write_bytes(data)
seconds = time.perf_counter() - t
packed = gzip.compress(data, 6, mtime=0)
print(json.dumps({"seconds": round(seconds, 2), "json_bytes": len(data), "gzip_bytes": len(packed),
                  "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def child(script: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", script, *args], check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def query_cost(index: Path, keys: list[str]) -> tuple[int, int]:
    """Files and bytes search.js fetches for rows matching all ``keys``, page 1 (cold cache)."""
    manifest = json.loads((index / "manifest.json").read_bytes())
    firsts: list[str] = manifest["postings"]
    files = {"manifest.json"}
    hits: set[int] | None = None
    for key in keys:
        found: set[int] = set()
        for i, first in enumerate(firsts):
            if first <= key and (i + 1 == len(firsts) or firsts[i + 1] >= key):
                files.add(f"post/{i}.json")
                for k, gaps in json.loads((index / f"post/{i}.json").read_bytes()):
                    if k == key:
                        ordinal = 0
                        for n, gap in enumerate(gaps):
                            ordinal = gap if n == 0 else ordinal + gap
                            found.add(ordinal)
        hits = found if hits is None else hits & found
    per = manifest["rows_per_shard"]
    files.update(f"rows/{o // per}.json" for o in sorted(hits or ())[:PAGE])
    return len(files), sum((index / f).stat().st_size for f in files)


def run(n: int, work_root: Path = WORK) -> dict[str, Any]:
    work = work_root / str(n)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    synth = str(REPO / "tests" / "site")
    built = child(BUILD, str(n), str(work / "search"), synth)
    base = child(BASELINE, str(n), str(work / "all.json"), synth)
    index = work / "search"
    costs = {
        "id": query_cost(index, [f"#ec-{n // 2:07d}"]),
        "status=revoked": query_cost(index, ["=status=revoked"]),
        "word tenant": query_cost(index, ["tenant"]),
    }
    shutil.rmtree(work, ignore_errors=True)
    return {"n": n, **built, "baseline": base, "queries": costs}


def kib(b: int) -> str:
    return f"{b / 1024:,.0f} KiB" if b < 10 * 1024 * 1024 else f"{b / 1024 / 1024:,.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, help="row counts (default 10000 100000)")
    ap.add_argument("--full", action="store_true", help="also 1,000,000 rows")
    ap.add_argument("--work", type=Path, default=WORK, help=f"scratch directory (default {WORK})")
    args = ap.parse_args(argv)
    sizes = args.sizes or [10_000, 100_000]
    if args.full and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    for n in sizes:
        r = run(n, args.work)
        b = r["baseline"]
        print(f"--- {n:,} rows")
        print(f"  build   {r['seconds']:>8.2f} s   peak RSS {r['peak_mb']:,.0f} MB   files {r['files']:,}")
        print(f"  largest {kib(r['largest_bytes'])} ({r['largest_file']})   total {kib(r['total_bytes'])}")
        print(
            f"  baseline one JSON file: {kib(b['json_bytes'])} in {b['seconds']:.2f} s "
            f"(peak RSS {b['peak_mb']:,.0f} MB), gzip {kib(b['gzip_bytes'])}"
        )
        print(
            f"  ratios: largest file / one file {r['largest_bytes'] / b['json_bytes']:.4f}, "
            f"largest / gzip {r['largest_bytes'] / b['gzip_bytes']:.3f}, "
            f"total / one file {r['total_bytes'] / b['json_bytes']:.2f}, "
            f"build time / json.dumps {r['seconds'] / max(b['seconds'], 0.01):.1f}"
        )
        for name, (files, size) in r["queries"].items():
            print(f"  query {name:<15} fetches {files:>3} files, {kib(size)}")
        sys.stdout.flush()
        if r["largest_bytes"] >= 1024 * 1024:
            print("  FAIL: a file of 1 MB or more")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
