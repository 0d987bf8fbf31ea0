"""Benchmark the transparency log at scale: batched appends, prove by hash, full verify.

Run: ``.venv/bin/python benchmarks/log_bench.py`` (quick: 100k and 1M entries),
``--full`` (adds 10M), or ``--sizes 2000`` (what tests/test_benchmarks_run.py uses).

Each phase runs in its own child process so its peak RSS (VmHWM) is its own:

* append: ``LogStore.append_many`` of generated entry documents (generation included),
  ``--batch`` entries per commit;
* prove: ``LogStore.find`` through the entry index, then ``make_proof``, for random entries
  named by their digest (the index is built during the appends, so this is the lookup);
* verify: ``audit_log`` of the whole log (every bundle decoded and rehashed, every tile
  compared).

Baseline: SHA-256 of the same entry bytes with hashlib in one loop (the least any append or
verify must do), so the ratios say how far the log is from raw hashing on this machine,
whatever its load. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

QUICK = (100_000, 1_000_000)
FULL = (*QUICK, 10_000_000)
SEED = bytes(32)
ORIGIN = "bench.example/log"


def _doc(i: int) -> dict[str, object]:
    return {
        "type": "pack_published",
        "pack_hash": hashlib.sha256(str(i).encode()).hexdigest(),
        "pack_name": f"release-{i}",
        "time_utc": "2026-03-01T12:00:00Z",
    }


def _docs(count: int) -> Iterator[dict[str, object]]:
    return (_doc(i) for i in range(count))


def _peak_rss_mib() -> float:
    """VmHWM of this process (the child running one phase)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _signer():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from glyphserpack.log.note import Signer

    return Signer(ORIGIN, Ed25519PrivateKey.from_private_bytes(SEED))


def phase_append(log: Path, count: int, batch: int) -> dict[str, float]:
    from glyphserpack.log.store import LogStore

    signer = _signer()
    store = LogStore.init(log, signer)
    wall, cpu = time.perf_counter(), time.process_time()
    result = store.append_many(_docs(count), signer, batch_size=batch)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert result.size == count, result
    return {"wall": wall, "cpu": cpu, "rss": _peak_rss_mib()}


def phase_baseline(log: Path, count: int) -> dict[str, float]:
    """hashlib SHA-256 over every entry's bytes, in one loop (the bundles read beforehand, untimed)."""
    from glyphserpack.log.store import LogStore

    store = LogStore(log)
    hashed, elapsed = 0, 0.0
    for n in range((count + 255) // 256):
        leaves = store.bundle(n, count)
        t = time.perf_counter()
        for leaf in leaves:
            hashlib.sha256(leaf).digest()
        elapsed += time.perf_counter() - t
        hashed += len(leaves)
    assert hashed == count
    return {"wall": elapsed}


def phase_prove(log: Path, count: int, proofs: int) -> dict[str, float]:
    from glyphserpack.log.entries import decode_entry, entry_digest
    from glyphserpack.log.proof import make_proof, verify_proof
    from glyphserpack.log.store import LogStore

    store = LogStore(log)
    size = store.open_checkpoint().checkpoint.size
    rng = random.Random(7)
    picks = [rng.randrange(size) for _ in range(proofs)]
    digests = [entry_digest(decode_entry(store.entry(i, size), where="bench")) for i in picks]
    times = []
    for i, digest in zip(picks, digests, strict=True):
        t = time.perf_counter()
        hits = store.find(digest, size)
        proof = make_proof(store, hits[0])
        times.append(time.perf_counter() - t)
        assert hits == [i], (hits, i)
        verify_proof(proof, store.log_key)
    runs = len(json.loads((log / ".index" / "state.json").read_text())["runs"])
    return {"p50": statistics.median(times), "max": max(times), "runs": runs, "rss": _peak_rss_mib()}


def phase_verify(log: Path) -> dict[str, float]:
    from glyphserpack.log.audit import audit_log
    from glyphserpack.log.store import LogStore

    wall = time.perf_counter()
    report = audit_log(LogStore(log))
    wall = time.perf_counter() - wall
    assert report.ok, report.findings[:5]
    return {"wall": wall, "rss": _peak_rss_mib()}


def _child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--phase", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def bench(size: int, batch: int, proofs: int, work: Path) -> None:
    """Run the phases for one size, printing each line as soon as its phase ends."""
    log = work / f"log-{size}"

    def say(line: str) -> None:
        print(line, flush=True)

    say(f"== {size:,} entries (batch {batch:,}; load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores)")
    app = _child("append", str(log), str(size), str(batch))
    say(
        f"append   {app['wall']:8.2f} s  {size / app['wall']:>10,.0f} entries/s wall  "
        f"{size / app['cpu']:>10,.0f} entries/s cpu  peak RSS {app['rss']:.0f} MiB"
    )
    base = _child("baseline", str(log), str(size))
    say(f"baseline {base['wall']:8.2f} s  {size / base['wall']:>10,.0f} entries/s (hashlib SHA-256 of the entries)")
    say(f"ratio append/baseline {app['wall'] / base['wall']:.1f}x")
    prv = _child("prove", str(log), str(size), str(proofs))
    say(
        f"prove    {prv['p50'] * 1e3:8.2f} ms median  {prv['max'] * 1e3:.2f} ms max  "
        f"({proofs} lookups by entry digest, {prv['runs']:.0f} index runs)  peak RSS {prv['rss']:.0f} MiB"
    )
    ver = _child("verify", str(log))
    disk = sum(p.stat().st_size for p in log.rglob("*") if p.is_file())
    say(
        f"verify   {ver['wall']:8.2f} s  {size / ver['wall']:>10,.0f} entries/s  peak RSS {ver['rss']:.0f} MiB  "
        f"log on disk {disk / 2**20:.0f} MiB (load average now {os.getloadavg()[0]:.1f})"
    )
    say(f"ratio verify/baseline {ver['wall'] / base['wall']:.1f}x")
    shutil.rmtree(log, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also 10,000,000 entries")
    parser.add_argument("--sizes", "--entries", type=int, nargs="+", help="entry counts to run instead of the defaults")
    parser.add_argument("--batch", type=int, default=1 << 16, help="entries per commit")
    parser.add_argument("--proofs", type=int, default=200, help="lookups + proofs timed per size")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        log = Path(rest[0])
        if name == "append":
            result = phase_append(log, int(rest[1]), int(rest[2]))
        elif name == "baseline":
            result = phase_baseline(log, int(rest[1]))
        elif name == "prove":
            result = phase_prove(log, int(rest[1]), int(rest[2]))
        else:
            result = phase_verify(log)
        print(json.dumps(result))
        return
    sizes = args.sizes or (FULL if args.full else QUICK)
    work = Path(tempfile.mkdtemp(prefix="log-bench-"))
    try:
        for size in sizes:
            bench(size, args.batch, min(args.proofs, size), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
