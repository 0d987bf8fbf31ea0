"""Benchmark the transparency log: batched appends, proof size and time, memory.

Run: ``.venv/bin/python benchmarks/log_bench.py [--entries 100000] [--batch 5000]``.
Entry documents are generated per batch, so peak RSS reflects the log code (which keeps
only the tree's right edge) rather than the benchmark's own input.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack.log import merkle
from glyphserpack.log.audit import audit_log
from glyphserpack.log.note import Signer
from glyphserpack.log.proof import make_proof, verify_proof
from glyphserpack.log.store import LogStore


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def docs(start: int, count: int) -> list[dict[str, object]]:
    return [
        {
            "type": "pack_published",
            "pack_hash": hashlib.sha256(str(i).encode()).hexdigest(),
            "pack_name": f"release-{i}",
            "time_utc": "2026-03-01T12:00:00Z",
        }
        for i in range(start, start + count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--proofs", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="log-bench-"))
    try:
        signer = Signer("bench.example/log", Ed25519PrivateKey.from_private_bytes(bytes(32)))
        store = LogStore.init(work / "log", signer)
        append_time = 0.0
        rss_after_first = 0.0
        for start in range(0, args.entries, args.batch):
            batch = docs(start, min(args.batch, args.entries - start))
            t = time.perf_counter()
            store.append(batch, signer)
            append_time += time.perf_counter() - t
            if start == 0:
                rss_after_first = rss_mib()
        size = store.open_checkpoint().checkpoint.size
        rng = random.Random(7)
        indexes = [rng.randrange(size) for _ in range(args.proofs)]
        proof_times, verify_times, sizes = [], [], []
        for i in indexes:
            t = time.perf_counter()
            proof = make_proof(store, i)
            proof_times.append(time.perf_counter() - t)
            sizes.append(len(proof))
            t = time.perf_counter()
            verify_proof(proof, store.log_key)
            verify_times.append(time.perf_counter() - t)
        cp = store.open_checkpoint().checkpoint
        t = time.perf_counter()
        cons = merkle.consistency_proof(store.reader(size), size // 3, size)
        cons_time = time.perf_counter() - t
        t = time.perf_counter()
        report = audit_log(store)
        audit_time = time.perf_counter() - t
        assert report.ok, report.findings
        disk = sum(p.stat().st_size for p in (work / "log").rglob("*") if p.is_file())
        print(f"entries appended        {size} in batches of {args.batch}")
        print(f"append rate             {size / append_time:,.0f} appends/s ({append_time:.2f} s total)")
        print(f"inclusion proof size    {statistics.mean(sizes):.0f} bytes mean (file incl. entry + checkpoint)")
        print(f"inclusion proof hashes  {len(merkle.inclusion_proof(store.reader(size), indexes[0], size))}")
        print(
            f"proof generation time   {statistics.median(proof_times) * 1e3:.2f} ms median, "
            f"{max(proof_times) * 1e3:.2f} ms max"
        )
        print(f"proof verification time {statistics.median(verify_times) * 1e3:.2f} ms median")
        print(f"consistency proof       {len(cons)} hashes in {cons_time * 1e3:.2f} ms")
        print(f"full audit              {audit_time:.2f} s ({size / audit_time:,.0f} entries/s)")
        print(f"peak RSS                {rss_mib():.1f} MiB (after first batch {rss_after_first:.1f} MiB)")
        print(f"log on disk             {disk / 2**20:.1f} MiB, root {cp.root_hash.hex()[:16]}...")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
