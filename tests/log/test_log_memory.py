"""Appending and proving touch only the tree's right edge: cost does not grow with the log."""

from __future__ import annotations

import tracemalloc

from logtest_helpers import pack_doc

from glyphserpack.log import tiles
from glyphserpack.log.note import Signer
from glyphserpack.log.proof import make_proof
from glyphserpack.log.store import LogStore


def measure_append(store: LogStore, signer: Signer, start: int) -> tuple[int, int]:
    """(peak bytes allocated, tiles read) for appending ten entries."""
    reads = {"n": 0}
    real = tiles.read_bounded

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads["n"] += 1
        return real(*args, **kwargs)

    tiles.read_bounded = counting  # type: ignore[assignment]
    try:
        tracemalloc.start()
        store.append([pack_doc(start + i) for i in range(10)], signer)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        tiles.read_bounded = real  # type: ignore[assignment]
    return peak, reads["n"]


def test_append_cost_independent_of_log_size(store: LogStore, signer: Signer) -> None:
    store.append([pack_doc(i) for i in range(1_000)], signer)
    small_peak, small_reads = measure_append(store, signer, 1_000)
    for start in range(1_010, 40_000, 10_000):
        store.append([pack_doc(start + i) for i in range(10_000)], signer)
    big_peak, big_reads = measure_append(store, signer, 50_000)
    assert store.open_checkpoint().checkpoint.size == 41_020
    assert big_reads <= small_reads + 2  # one more partial tile level at most
    assert big_peak < small_peak * 1.5 + 64 * 1024, (small_peak, big_peak)
    proof = make_proof(store, 12_345)
    assert proof.count(b"\n") < 40  # log2(41k) hashes plus header and checkpoint
