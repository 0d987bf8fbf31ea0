"""Offline inclusion proofs in the C2SP tlog-proof text format.

The entry itself rides in the ``extra`` line (base64 canonical CBOR), so the file alone,
checked against the log's verifier key (and optionally witness keys), proves that exactly
this entry is at this index in a tree the log signed: a pack carrying it needs no network.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from glyphserpack._internal import jsonout, jsontext
from glyphserpack.errors import InputError, VerificationError
from glyphserpack.log import merkle
from glyphserpack.log.checkpoint import Checkpoint, open_checkpoint
from glyphserpack.log.entries import decode_entry
from glyphserpack.log.note import Verifier
from glyphserpack.log.store import LogStore

__all__ = [
    "CONSISTENCY_FORMAT",
    "PROOF_HEADER",
    "ProofFile",
    "VerifiedProof",
    "consistency_document",
    "make_consistency_proof",
    "make_proof",
    "parse_proof",
    "verify_consistency_proof",
    "verify_proof",
]

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
PROOF_LIMIT = 2 << 20
#: A site release ships this JSON document: both checkpoints verbatim plus the RFC 9162 proof.
CONSISTENCY_FORMAT = "glyphserpack-log-consistency/1"


@dataclass(frozen=True)
class ProofFile:
    """The parts of a proof file, unverified."""

    entry: bytes
    index: int
    path: tuple[bytes, ...]
    checkpoint: bytes

    def to_bytes(self) -> bytes:
        lines = [PROOF_HEADER, "extra " + base64.b64encode(self.entry).decode(), f"index {self.index}"]
        lines += [base64.b64encode(h).decode() for h in self.path]
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint


@dataclass(frozen=True)
class VerifiedProof:
    """A proof that verified: the decoded entry, its index and the checkpoint it is under."""

    entry: dict[str, Any]
    index: int
    checkpoint: Checkpoint
    cosigners: dict[str, int]


def make_proof(store: LogStore, index: int) -> bytes:
    """Inclusion proof of entry ``index`` under the log's current checkpoint (self-checked)."""
    data = store.checkpoint_bytes()
    cp = open_checkpoint(data, store.log_key).checkpoint
    if not 0 <= index < cp.size:
        raise InputError(f"entry index {index} is outside the log (size {cp.size})")
    entry = store.entry(index, cp.size)
    path = merkle.inclusion_proof(store.reader(cp.size), index, cp.size)
    if not merkle.verify_inclusion(merkle.leaf_hash(entry), index, cp.size, path, cp.root_hash):
        raise VerificationError(
            f"the tiles of {store.root} do not prove entry {index} under the checkpoint",
            code="GSP-E410",
            remedy="run `glyphserpack log verify` to find the damaged tile",
        )
    return ProofFile(entry, index, tuple(path), data).to_bytes()


def parse_proof(data: bytes, *, where: str = "proof") -> ProofFile:
    """Parse a proof file strictly; the checkpoint part stays verbatim bytes."""
    if len(data) > PROOF_LIMIT:
        raise InputError(f"{where}: larger than {PROOF_LIMIT} bytes")
    head, sep, checkpoint = data.partition(b"\n\n")
    if not sep:
        raise InputError(f"{where}: no blank line before the checkpoint")
    try:
        lines = head.decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise InputError(f"{where}: proof lines are not ASCII") from None
    if lines[0] != PROOF_HEADER:
        raise InputError(f"{where}: first line is not {PROOF_HEADER!r}")
    if len(lines) < 3 or not lines[1].startswith("extra "):
        raise InputError(f"{where}: expected an 'extra' line carrying the entry")
    try:
        entry = base64.b64decode(lines[1][6:], validate=True)
        index_text = lines[2].removeprefix("index ")
        if (
            not lines[2].startswith("index ")
            or not index_text.isdigit()
            or (index_text != "0" and index_text[0] == "0")
        ):
            raise InputError(f"{where}: expected 'index <decimal>' on line 3")
        path = tuple(base64.b64decode(line, validate=True) for line in lines[3:])
    except binascii.Error:
        raise InputError(f"{where}: malformed base64") from None
    if any(len(h) != merkle.HASH_SIZE for h in path):
        raise InputError(f"{where}: a proof hash is not {merkle.HASH_SIZE} bytes")
    return ProofFile(entry, int(index_text), path, checkpoint)


def verify_proof(
    data: bytes, log_key: Verifier, *, witnesses: Sequence[Verifier] = (), quorum: int = 0, where: str = "proof"
) -> VerifiedProof:
    """Verify a proof file with only the log's (and witnesses') verifier keys; raise on any failure."""
    proof = parse_proof(data, where=where)
    vc = open_checkpoint(proof.checkpoint, log_key, witnesses=witnesses, quorum=quorum, where=f"{where}: checkpoint")
    cp = vc.checkpoint
    if not merkle.verify_inclusion(merkle.leaf_hash(proof.entry), proof.index, cp.size, proof.path, cp.root_hash):
        raise VerificationError(
            f"{where}: the entry is not at index {proof.index} of the size-{cp.size} tree",
            code="GSP-E410",
            remedy="the proof or its entry was altered, or it belongs to another log",
        )
    entry = decode_entry(proof.entry, where=f"{where}: entry")
    return VerifiedProof(entry, proof.index, cp, vc.cosigners)


def make_consistency_proof(store: LogStore, old_checkpoint: bytes) -> bytes:
    """A self-contained JSON proof that the log's current checkpoint extends ``old_checkpoint``."""
    new_data = store.checkpoint_bytes()
    old = open_checkpoint(old_checkpoint, store.log_key, where="old checkpoint").checkpoint
    new = open_checkpoint(new_data, store.log_key).checkpoint
    if new.size < old.size:
        raise VerificationError(
            f"the log (size {new.size}) is smaller than the old checkpoint ({old.size})", code="GSP-E408"
        )
    path = merkle.consistency_proof(store.reader(new.size), old.size, new.size)
    if not merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, path):
        raise VerificationError(
            f"the log at size {new.size} does not extend the old size-{old.size} checkpoint",
            code="GSP-E409",
            remedy="history was rewritten; run `glyphserpack log consistency --old-log` to name the entry",
        )
    return consistency_document(old_checkpoint, new_data, path)


def consistency_document(old_checkpoint: bytes, new_checkpoint: bytes, path: Sequence[bytes]) -> bytes:
    """The JSON file of a consistency proof (docs/transparency-log.md), as published on the site."""
    doc = {
        "format": CONSISTENCY_FORMAT,
        "old_checkpoint": old_checkpoint.decode(),
        "new_checkpoint": new_checkpoint.decode(),
        "proof": [base64.b64encode(h).decode() for h in path],
    }
    return jsonout.to_bytes(doc)


def verify_consistency_proof(
    data: bytes, log_key: Verifier, *, witnesses: Sequence[Verifier] = (), quorum: int = 0, where: str = "proof"
) -> tuple[Checkpoint, Checkpoint]:
    """Verify a :func:`make_consistency_proof` document; return (old, new) checkpoints or raise."""
    try:
        doc = jsontext.loads(data)
        if not isinstance(doc, dict) or doc.get("format") != CONSISTENCY_FORMAT:
            raise InputError(f"{where}: not a {CONSISTENCY_FORMAT} document")
        path = [base64.b64decode(h, validate=True) for h in doc["proof"]]
        old_data, new_data = doc["old_checkpoint"].encode(), doc["new_checkpoint"].encode()
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise InputError(f"{where}: malformed consistency proof document") from None
    old = open_checkpoint(old_data, log_key, where=f"{where}: old checkpoint").checkpoint
    new = open_checkpoint(new_data, log_key, witnesses=witnesses, quorum=quorum, where=f"{where}: new checkpoint")
    cp = new.checkpoint
    if cp.size < old.size:
        raise VerificationError(f"{where}: new size {cp.size} is smaller than the old {old.size}", code="GSP-E408")
    if not merkle.verify_consistency(old.size, cp.size, old.root_hash, cp.root_hash, path):
        raise VerificationError(f"{where}: size {cp.size} does not extend size {old.size}", code="GSP-E409")
    return old, cp
