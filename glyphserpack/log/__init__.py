"""Append-only transparency log of certificates, revocations and packs (C2SP tlog-tiles).

Public surface, by subject: :mod:`.merkle` (RFC 9162 hashing and proofs), :mod:`.tiles`
(static layout), :mod:`.note` and :mod:`.checkpoint` (signed notes, witnessing),
:mod:`.entries` and :mod:`.lifecycle` (what is logged and what it means), :mod:`.store`
(the directory and crash-safe appends), :mod:`.audit` and :mod:`.proof` (checking it).
"""

from __future__ import annotations

from glyphserpack.log.audit import AuditReport, audit_log, check_consistency, diagnose_rewrite
from glyphserpack.log.checkpoint import Checkpoint, VerifiedCheckpoint, cosign, open_checkpoint, sign_checkpoint
from glyphserpack.log.entries import ENTRY_TYPES, REASON_CODES, decode_entry, encode_entry, entry_digest, make_entry
from glyphserpack.log.lifecycle import CertificateState, LifecycleReport, derive_states
from glyphserpack.log.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)
from glyphserpack.log.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Note,
    Signer,
    Verifier,
    parse_note,
    parse_verifier_key,
)
from glyphserpack.log.proof import (
    ProofFile,
    VerifiedProof,
    make_consistency_proof,
    make_proof,
    parse_proof,
    verify_consistency_proof,
    verify_proof,
)
from glyphserpack.log.store import AppendResult, LogStore
from glyphserpack.log.tiles import TileReader, entries_path, tile_path

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "EMPTY_ROOT",
    "ENTRY_TYPES",
    "REASON_CODES",
    "AppendResult",
    "AuditReport",
    "CertificateState",
    "Checkpoint",
    "LifecycleReport",
    "LogStore",
    "Note",
    "ProofFile",
    "Signer",
    "TileReader",
    "VerifiedCheckpoint",
    "VerifiedProof",
    "Verifier",
    "audit_log",
    "check_consistency",
    "consistency_proof",
    "cosign",
    "decode_entry",
    "derive_states",
    "diagnose_rewrite",
    "encode_entry",
    "entries_path",
    "entry_digest",
    "inclusion_proof",
    "leaf_hash",
    "make_consistency_proof",
    "make_entry",
    "make_proof",
    "node_hash",
    "open_checkpoint",
    "parse_note",
    "parse_proof",
    "parse_verifier_key",
    "sign_checkpoint",
    "tile_path",
    "tree_hash",
    "verify_consistency",
    "verify_consistency_proof",
    "verify_inclusion",
    "verify_proof",
]
