"""Offline proof files, consistency between checkpoints, and naming rewritten history."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from logtest_helpers import fixed_key, pack_doc

from glyphserpack.errors import InputError, SignatureInvalid, VerificationError
from glyphserpack.log.audit import check_consistency, diagnose_rewrite
from glyphserpack.log.checkpoint import Checkpoint, sign_checkpoint
from glyphserpack.log.note import Signer
from glyphserpack.log.proof import PROOF_HEADER, make_proof, parse_proof, verify_proof
from glyphserpack.log.store import CHECKPOINT, LogStore


def test_proof_file_round_trip(store: LogStore, signer: Signer) -> None:
    store.append([pack_doc(i) for i in range(37)], signer)
    for index in (0, 17, 36):
        data = make_proof(store, index)
        assert data.startswith(PROOF_HEADER.encode() + b"\nextra ")
        vp = verify_proof(data, signer.verifier())
        assert vp.index == index
        assert vp.entry["pack_name"] == f"pack-{index}"
        assert vp.checkpoint.size == 37


def test_altered_proofs_fail(store: LogStore, signer: Signer) -> None:
    store.append([pack_doc(i) for i in range(37)], signer)
    data = make_proof(store, 5)
    proof = parse_proof(data)
    other_entry = parse_proof(make_proof(store, 6)).entry
    swapped = type(proof)(other_entry, proof.index, proof.path, proof.checkpoint).to_bytes()
    with pytest.raises(VerificationError, match="GSP-E410"):
        verify_proof(swapped, signer.verifier())
    moved = type(proof)(proof.entry, 4, proof.path, proof.checkpoint).to_bytes()
    with pytest.raises(VerificationError, match="GSP-E410"):
        verify_proof(moved, signer.verifier())
    bad_path = type(proof)(proof.entry, 5, (bytes(32), *proof.path[1:]), proof.checkpoint).to_bytes()
    with pytest.raises(VerificationError, match="GSP-E410"):
        verify_proof(bad_path, signer.verifier())
    with pytest.raises(SignatureInvalid):
        verify_proof(data, Signer(signer.name, fixed_key("other")).verifier())
    with pytest.raises(InputError):
        parse_proof(data.replace(b"index 5", b"index 05"))
    with pytest.raises(InputError):
        parse_proof(b"c2sp.org/tlog-proof@v2\n" + data.split(b"\n", 1)[1])
    line = base64.b64encode(proof.path[0]).decode()
    with pytest.raises(InputError):
        parse_proof(data.replace(line.encode(), line[:-4].encode()))


def test_proof_carries_cosignatures_for_quorum(store: LogStore, signer: Signer, witnesses: list[Signer]) -> None:
    store.append([pack_doc(i) for i in range(3)], signer)
    store.witness(witnesses[0], 1000)
    store.witness(witnesses[1], 1001)
    data = make_proof(store, 1)
    keys = [w.verifier() for w in witnesses]
    assert set(verify_proof(data, signer.verifier(), witnesses=keys, quorum=2).cosigners) == {
        witnesses[0].name,
        witnesses[1].name,
    }
    with pytest.raises(SignatureInvalid, match="GSP-E411"):
        verify_proof(data, signer.verifier(), witnesses=keys, quorum=3)


def test_witness_refuses_rollback_and_rewrite(store: LogStore, signer: Signer, witnesses: list[Signer]) -> None:
    store.append([pack_doc(i) for i in range(10)], signer)
    seen = store.witness(witnesses[0], 1)
    store.append([pack_doc(i) for i in range(10, 20)], signer)
    seen = store.witness(witnesses[0], 2, last_seen=seen)
    current = store.checkpoint_bytes()
    (store.root / CHECKPOINT).write_bytes(_checkpoint_at(store, signer, 10))  # a validly signed rollback
    with pytest.raises(VerificationError, match="GSP-E408"):
        store.witness(witnesses[0], 3, last_seen=seen)
    (store.root / CHECKPOINT).write_bytes(current)
    store.append([pack_doc(i) for i in range(20, 25)], signer)
    forged = sign_checkpoint(Checkpoint(store.origin, 25, bytes(32)), signer)
    (store.root / CHECKPOINT).write_bytes(forged)  # signed, but not the tree the tiles hold
    with pytest.raises(VerificationError, match="GSP-E409"):
        store.witness(witnesses[0], 4, last_seen=seen)


def _checkpoint_at(store: LogStore, signer: Signer, size: int) -> bytes:
    from glyphserpack.log import merkle

    return sign_checkpoint(Checkpoint(store.origin, size, merkle.tree_hash(store.reader(size), size)), signer)


def build(root: Path, signer: Signer, docs: list[dict[str, object]]) -> LogStore:
    store = LogStore.init(root, signer)
    store.append(docs, signer)
    return store


@pytest.mark.parametrize(
    ("rewrite", "code"),
    [("edit", "GSP-E416"), ("remove", "GSP-E417"), ("reorder", "GSP-E418")],
)
def test_rewritten_history_detected_and_named(tmp_path: Path, signer: Signer, rewrite: str, code: str) -> None:
    docs = [pack_doc(i) for i in range(12)]
    old = build(tmp_path / "old", signer, docs)
    old_cp = old.checkpoint_bytes()
    changed = list(docs)
    if rewrite == "edit":
        changed[3] = {**docs[3], "pack_name": "quietly-edited"}
    elif rewrite == "remove":
        del changed[3]
    else:
        changed[3], changed[4] = docs[4], docs[3]
    new = build(tmp_path / "new", signer, [*changed, *(pack_doc(i) for i in range(100, 110))])
    findings = check_consistency(new, old_cp, new.checkpoint_bytes())
    assert [f.code for f in findings] == ["GSP-E409"]
    named = diagnose_rewrite(old, new, 12, new.open_checkpoint().checkpoint.size)
    assert [(f.code, f.where) for f in named] == [(code, "entry 3")]


def test_honest_growth_is_consistent(store: LogStore, signer: Signer, tmp_path: Path) -> None:
    store.append([pack_doc(i) for i in range(5)], signer)
    old_cp = store.checkpoint_bytes()
    snapshot = tmp_path / "snap"
    shutil.copytree(store.root, snapshot)
    for n in (1, 250, 700):
        store.append([pack_doc(1000 + i) for i in range(n)], signer)
        assert check_consistency(store, old_cp, store.checkpoint_bytes()) == []
    assert diagnose_rewrite(LogStore(snapshot), store, 5, 956) == []
    assert [f.code for f in check_consistency(store, store.checkpoint_bytes(), old_cp)] == ["GSP-E408"]


def test_consistency_proof_document(store: LogStore, signer: Signer, witnesses: list[Signer]) -> None:
    import json

    from glyphserpack.log.proof import make_consistency_proof, verify_consistency_proof

    store.append([pack_doc(i) for i in range(7)], signer)
    old_cp = store.checkpoint_bytes()
    store.append([pack_doc(i) for i in range(7, 300)], signer)
    store.witness(witnesses[0], 5)
    doc = make_consistency_proof(store, old_cp)
    old, new = verify_consistency_proof(doc, signer.verifier(), witnesses=[witnesses[0].verifier()], quorum=1)
    assert (old.size, new.size) == (7, 300)
    tampered = json.loads(doc)
    tampered["proof"][0] = base64.b64encode(bytes(32)).decode()
    with pytest.raises(VerificationError, match="GSP-E409"):
        verify_consistency_proof(json.dumps(tampered).encode(), signer.verifier())
    swapped = json.loads(doc)
    swapped["old_checkpoint"], swapped["new_checkpoint"] = swapped["new_checkpoint"], swapped["old_checkpoint"]
    with pytest.raises(VerificationError, match="GSP-E408"):
        verify_consistency_proof(json.dumps(swapped).encode(), signer.verifier())
    with pytest.raises(InputError):
        verify_consistency_proof(b"[]", signer.verifier())
