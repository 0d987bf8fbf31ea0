#!/usr/bin/env python3
"""Benchmark ``glyphserpack pack/verify/extract`` against stock ``tar | zstd`` on a mixed tree.

Targets (issue 3): pack ≤ 1.3× ``tar -c | zstd -T0 -3``, verify ≤ 1.3× ``zstd -dc | sha256sum``,
peak RSS < 300 MB, extracting one 1 MiB member from a 1 GB pack < 0.2 s.

    .venv/bin/python benchmarks/pack_bench.py --size 1G [--work DIR] [--keep]

The tree is generated deterministically (seeded): many small files (1–64 KiB) holding 20%
of the bytes, one 1 MiB file, and a few large files; content is half random, half text-like,
so it compresses roughly 1.6-fold. Each command runs in its own wrapper process so its peak
RSS (``getrusage(RUSAGE_CHILDREN)``) is measured alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
_WRAP = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:]).returncode\n"
    "dt = time.perf_counter() - t\n"
    "print(rc, dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def generate(tree: Path, total: int, seed: int = 20260301) -> None:
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))) for _ in range(2000)]
    text = (" ".join(rng.choices(vocab, k=1_500_000)) + "\n").encode()[: 8 << 20]

    def content(n: int) -> bytes:
        out = bytearray()
        while len(out) < n:
            off = rng.randrange(0, len(text) - (32 << 10))
            out += rng.randbytes(16 << 10) + text[off : off + (16 << 10)]
        return bytes(out[:n])

    small_budget = total // 5
    used = 0
    i = 0
    while used < small_budget:
        n = rng.randint(1 << 10, 64 << 10)
        p = tree / "small" / f"d{i // 500:03}" / f"f{i:06}.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content(n))
        used += n
        i += 1
    (tree / "mid").mkdir(parents=True, exist_ok=True)
    (tree / "mid" / "one_mb.bin").write_bytes(content(1 << 20))
    big_total = total - used - (1 << 20)
    nbig = 4
    (tree / "large").mkdir(parents=True, exist_ok=True)
    for b in range(nbig):
        with open(tree / "large" / f"big{b}.bin", "wb") as fh:
            left = big_total // nbig
            while left > 0:
                chunk = content(min(left, 8 << 20))
                fh.write(chunk)
                left -= len(chunk)
    print(f"generated {i} small files + 1 MiB file + {nbig} large files, {total / 2**20:.0f} MiB", flush=True)


def run(cmd: list[str], *, shell: bool = False) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command, measured in a fresh wrapper process."""
    argv = ["bash", "-c", cmd[0]] if shell else cmd
    out = subprocess.run([PY, "-c", _WRAP, *argv], capture_output=True, text=True, check=True)
    rc, dt, rss = out.stdout.strip().splitlines()[-1].split()
    if int(rc) != 0:
        raise SystemExit(f"command failed ({rc}): {cmd}")
    return float(dt), int(rss)


def drop(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1G", help="tree size, e.g. 256M or 1G (default 1G)")
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / ".work", help="scratch directory")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--keep", action="store_true", help="keep the generated tree for the next run")
    ap.add_argument("--repeat", type=int, default=3, help="runs per command, interleaved; the minimum is reported")
    args = ap.parse_args()
    total = parse_size(args.size)
    work = args.work / f"tree-{total}"
    tree = work / "tree"
    if not tree.is_dir():
        drop(work)
        generate(tree, total)
    base = work / "baseline.tar.zst"
    pack = work / "bench.glyphserpack"
    cli = [str(Path(PY).parent / "glyphserpack")]
    results: dict[str, float] = {}
    print(f"load average before: {os.getloadavg()}", flush=True)
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"

    def best(key: str, cmd: list[str], *, shell: bool = False, before: Path | None = None) -> None:
        if before is not None:
            drop(before)
        wall, rss = run(cmd, shell=shell)
        results[f"{key}_s"] = min(results.get(f"{key}_s", wall), wall)
        results[f"{key}_rss_kib"] = max(results.get(f"{key}_rss_kib", rss), rss)

    for _ in range(args.repeat):
        best("baseline_pack", [f"tar -c -C '{tree}' . | zstd -T0 -3 -q -o '{base}'"], shell=True, before=base)
        best("pack", [*cli, "pack", str(tree), "-o", str(pack), "--threads", str(args.threads)], before=pack)
    for _ in range(args.repeat):
        best("baseline_verify", [f"zstd -dc -q '{base}' | sha256sum > /dev/null"], shell=True)
        best("verify", [*cli, "verify", str(pack), "--threads", str(args.threads)])
    dest = work / "one"
    sys.path.insert(0, str(ROOT))
    from glyphserpack.pack import extract

    for _ in range(args.repeat):
        best("extract_1mib_cli", [*cli, "extract", str(pack), str(dest), "data/mid/one_mb.bin"], before=dest)
        drop(dest)
        t = time.perf_counter()
        extract(pack, dest, ["data/mid/one_mb.bin"])
        lib = time.perf_counter() - t
        results["extract_1mib_library_s"] = min(results.get("extract_1mib_library_s", lib), lib)
        drop(dest)
    results["input_mib"] = total / 2**20
    results["pack_mib"] = pack.stat().st_size / 2**20
    results["baseline_mib"] = base.stat().st_size / 2**20
    results["pack_ratio_vs_baseline"] = results["pack_s"] / results["baseline_pack_s"]
    results["verify_ratio_vs_baseline"] = results["verify_s"] / results["baseline_verify_s"]
    print(json.dumps({k: round(v, 3) for k, v in results.items()}, indent=2, sort_keys=True))
    print(
        f"pack   {results['pack_s']:.2f}s vs tar|zstd {results['baseline_pack_s']:.2f}s"
        f"  -> {results['pack_ratio_vs_baseline']:.2f}x (target <= 1.3x)\n"
        f"verify {results['verify_s']:.2f}s vs zstd -dc|sha256sum {results['baseline_verify_s']:.2f}s"
        f"  -> {results['verify_ratio_vs_baseline']:.2f}x (target <= 1.3x)\n"
        f"peak RSS pack {results['pack_rss_kib'] / 1024:.0f} MB, verify {results['verify_rss_kib'] / 1024:.0f} MB"
        " (target < 300 MB)\n"
        f"extract one 1 MiB member: library {results['extract_1mib_library_s']:.3f}s,"
        f" CLI incl. interpreter start {results['extract_1mib_cli_s']:.3f}s (target < 0.2s)"
    )
    drop(pack)
    drop(base)
    if not args.keep:
        drop(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
