"""The entry index beside the log: same answers as a scan, never trusted, rebuilt when wrong."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from logtest_helpers import TIME, h, pack_doc

from glyphserpack.log import index as index_mod
from glyphserpack.log.entries import decode_entry, entry_digest, subject_hashes
from glyphserpack.log.index import INDEX_DIR, EntryIndex
from glyphserpack.log.note import Signer
from glyphserpack.log.proof import make_proof
from glyphserpack.log.store import LogStore


def scan(store: LogStore, digest: bytes, size: int) -> list[int]:
    """The lookup as it was before the index: decode every entry."""
    by_entry, by_subject = [], []
    for i, data in store.iter_entries(size):
        entry = decode_entry(data, where=f"entry {i}")
        if entry_digest(entry) == digest:
            by_entry.append(i)
        elif digest in subject_hashes(entry):
            by_subject.append(i)
    return by_entry or by_subject


def digest_of(store: LogStore, i: int, size: int) -> bytes:
    return entry_digest(decode_entry(store.entry(i, size), where="test"))


def issued(i: int) -> dict[str, str]:
    cert = h(f"c{i % 7}")
    return {"type": "certificate_issued", "certificate_hash": cert, "certificate_id": f"c{i}", "time_utc": TIME}


@pytest.fixture
def grown(store: LogStore, signer: Signer) -> LogStore:
    store.append([pack_doc(i) for i in range(300)], signer)
    for start in range(300, 900, 150):  # several runs, merged as they go
        store.append_many((issued(i) if i % 3 else pack_doc(i) for i in range(start, start + 150)), signer)
    store.append([pack_doc(i) for i in range(900, 905)], signer)
    return store


def test_index_lookup_equals_scan_and_proofs_match(grown: LogStore) -> None:
    size = 905
    state = EntryIndex(grown.root).state()
    assert state is not None
    assert state[0] == size
    assert len(state[2]) <= 10  # merged: O(log n) runs
    for i in (0, 1, 255, 256, 299, 300, 301, 640, 899, 904):
        digest = digest_of(grown, i, size)
        hits = grown.find(digest, size)
        assert hits == scan(grown, digest, size) == [i]
        assert make_proof(grown, hits[0]) == make_proof(grown, i)
    for subject in (bytes.fromhex(h("c3")), bytes.fromhex(h("pack42"))):
        assert grown.find(subject, size) == scan(grown, subject, size) != []
    assert grown.find(hashlib.sha256(b"absent").digest(), size) == []


def test_missing_index_is_rebuilt(grown: LogStore) -> None:
    shutil.rmtree(grown.root / INDEX_DIR)
    digest = digest_of(grown, 777, 905)
    assert grown.find(digest, 905) == [777]
    state = EntryIndex(grown.root).state()
    assert state is not None
    assert state[0] == 905


def test_index_left_behind_by_appends_catches_up(grown: LogStore, signer: Signer) -> None:
    shutil.rmtree(grown.root / INDEX_DIR)
    grown.append([pack_doc(i) for i in range(905, 1000)], signer)  # no index to extend
    assert not (grown.root / INDEX_DIR / "state.json").exists()
    assert grown.find(digest_of(grown, 990, 1000), 1000) == [990]
    # An index one append behind is extended from the tail, not rebuilt.
    state = EntryIndex(grown.root).state()
    assert state is not None
    (grown.root / INDEX_DIR / "state.json").rename(grown.root / "saved-state")
    grown.append([pack_doc(1000)], signer)
    (grown.root / "saved-state").rename(grown.root / INDEX_DIR / "state.json")
    assert grown.find(digest_of(grown, 1000, 1001), 1001) == [1000]
    after = EntryIndex(grown.root).state()
    assert after is not None
    assert after[2][0] == state[2][0]


def wrong_record(store: LogStore, digest: bytes, to: int) -> None:
    """Point the index record of ``digest`` at entry ``to`` (same run), as damage would."""
    state = EntryIndex(store.root).state()
    assert state is not None
    for lo, hi in state[2]:
        path = store.root / INDEX_DIR / f"run-{lo}-{hi}"
        data = bytearray(path.read_bytes())
        at = data.find(digest[:8], index_mod._HEADER)
        while at >= 0 and (at - index_mod._HEADER) % 16:
            at = data.find(digest[:8], at + 1)
        if at >= 0:
            data[at + 8 : at + 16] = to.to_bytes(8, "big")
            path.write_bytes(bytes(data))
            return
    raise AssertionError("record not found")


def test_wrong_index_record_is_detected_and_rebuilt(grown: LogStore) -> None:
    digest = digest_of(grown, 500, 905)
    wrong_record(grown, digest, 501)
    state = EntryIndex(grown.root).state()
    assert state is not None
    assert EntryIndex(grown.root).lookup(digest, state[2]) == [501]  # the damage is there
    assert grown.find(digest, 905) == [500]  # the hit was checked against the log
    # The rebuilt index is right again: the record names 500 once more.
    state = EntryIndex(grown.root).state()
    assert state is not None
    assert EntryIndex(grown.root).lookup(digest, state[2]) == [500]


@pytest.mark.parametrize("damage", ["truncated-run", "missing-run", "garbage-state", "bad-magic", "foreign-state"])
def test_damaged_index_is_rebuilt(grown: LogStore, signer: Signer, tmp_path: Path, damage: str) -> None:
    idx = grown.root / INDEX_DIR
    runs = sorted(p for p in idx.iterdir() if p.name.startswith("run-"))
    if damage == "truncated-run":
        runs[0].write_bytes(runs[0].read_bytes()[:-7])
    elif damage == "missing-run":
        runs[-1].unlink()
    elif damage == "garbage-state":
        (idx / "state.json").write_text("{")
    elif damage == "bad-magic":
        runs[0].write_bytes(b"X" + runs[0].read_bytes()[1:])
    else:  # the index of another log of the same size: another root
        other = LogStore.init(tmp_path / "other", signer)
        other.append([pack_doc(i + 10_000) for i in range(905)], signer)
        shutil.rmtree(idx)
        shutil.copytree(other.root / INDEX_DIR, idx)
    assert grown.find(digest_of(grown, 123, 905), 905) == [123]
    assert grown.find(digest_of(grown, 904, 905), 905) == [904]


def test_rolled_back_log_rebuilds_its_index(store: LogStore, signer: Signer) -> None:
    store.append([pack_doc(i) for i in range(100)], signer)
    small = store.checkpoint_bytes()
    store.append([pack_doc(i) for i in range(100, 200)], signer)
    (store.root / "checkpoint").write_bytes(small)  # index describes 200, the log says 100
    assert store.find(digest_of(store, 150, 200), 100) == []
    assert store.find(digest_of(store, 50, 100), 100) == [50]
    state = json.loads((store.root / INDEX_DIR / "state.json").read_text())
    assert state["size"] == 100


def test_prove_cli_uses_the_index_without_a_scan(grown: LogStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from glyphserpack.cli import main

    def no_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("prove --entry must not scan the log")

    monkeypatch.setattr(LogStore, "iter_entries", no_scan)
    digest = digest_of(grown, 333, 905)
    assert main(["log", "prove", str(grown.root), "--entry", digest.hex(), "-o", str(grown.root.parent / "p")]) == 0
    assert (grown.root.parent / "p").read_bytes() == make_proof(grown, 333)
