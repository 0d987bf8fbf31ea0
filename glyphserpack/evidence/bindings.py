"""What an execution certificate's signature binds it to, recomputed from the tree.

A certificate (CONTRACTS.md §4) signs three hashes that only mean something if a verifier
recomputes them from what it actually holds:

* ``trust_store_hash`` — the version of the tree's trust store the certificate was signed
  under (:meth:`glyphserpack.trust.TrustStore.hash` of that version). It must equal the hash
  of *some* version in the store's verified, append-only history that holds the signing key
  (normally the version in force at signing), not of the current one: keys added later leave
  earlier certificates valid, while a swapped or forged trust store still cannot pass.
* ``revocation_bundle_hash`` — the canonical revocation set *as of the certificate's signed
  ``verification_time_utc``*: the revocation records whose ``revoked_utc`` is at or before that
  time. A revocation issued later cannot have been known when the certificate was verified,
  and a revocation *of* the certificate necessarily postdates it (the revocation pins the
  certificate's bytes, which contain this hash), so comparing with the whole, ever-growing set
  would invalidate every older certificate the moment anything new is revoked.
* ``trace_final_hash`` — the last link of the hash chain over the run's trace sidecar records:
  ``h_0 = 32 zero bytes``, ``h_i = CommitHash("trace_record", [h_(i-1), record_i])``,
  ``trace_final_hash = h_n``. Records are compared as canonical values, so a replay that emits
  the same records in the same order has the same final hash however its JSON is spelled.

Codes: ``GSP-E019`` trust store, ``GSP-E020`` revocation set, ``GSP-E021`` trace hash,
``GSP-E022`` the trace a certificate commits to is missing, altered or not a trace sidecar.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from glyphserpack import canonical
from glyphserpack._internal.docload import parse_document
from glyphserpack._internal.fsio import read_bounded, resolve_inside
from glyphserpack.errors import CanonicalError, GlyphserpackError, InputError
from glyphserpack.evidence.loader import ATTACHMENT_LIMIT, Document, EvidenceTree
from glyphserpack.evidence.models import RunEvidence
from glyphserpack.findings import Finding, finding

__all__ = [
    "TRACE_GENESIS",
    "TRACE_RECORD_TAG",
    "TRACE_SUFFIXES",
    "certificate_bindings",
    "parse_trace",
    "revocation_bundle_hash",
    "revocation_set",
    "trace_final_hash",
    "tree_revocations",
]

#: Domain-separation tag of one trace-chain link.
TRACE_RECORD_TAG = "trace_record"
#: The chain's starting value (before the first record).
TRACE_GENESIS = bytes(32)
#: Trace sidecar spellings: JSON Lines (one object per line) or a canonical CBOR array of maps.
TRACE_SUFFIXES = (".jsonl", ".ndjson", ".cbor")


# --- revocation set ----------------------------------------------------------------------------


def revocation_set(revocations: Iterable[Mapping[str, Any]], *, as_of: str | None = None) -> list[dict[str, Any]]:
    """The canonical revocation set: signed payloads sorted by ``revocation_id``.

    With ``as_of`` (UTC text), only revocations with ``revoked_utc <= as_of`` — the set a
    verifier could have held at that time. ``<=`` because a revocation takes effect at its
    instant, as key revocation does in the trust store.
    """
    chosen = [dict(r) for r in revocations if as_of is None or str(r["revoked_utc"]) <= as_of]
    return sorted(chosen, key=lambda r: str(r["revocation_id"]))


def revocation_bundle_hash(revocations: Iterable[Mapping[str, Any]], *, as_of: str | None = None) -> bytes:
    """``revocation_bundle_hash`` = ObjectDigest(:func:`revocation_set`), CONTRACTS.md §2."""
    return canonical.object_digest(revocation_set(revocations, as_of=as_of))


def tree_revocations(tree: EvidenceTree) -> list[dict[str, Any]]:
    """Every revocation payload in the tree (listed, hash-verified, schema-valid)."""
    return [d.obj for d in tree.by_kind("revocation")]


# --- trace sidecar -----------------------------------------------------------------------------


def parse_trace(data: bytes, *, name: str) -> list[dict[str, Any]]:
    """Decode a trace sidecar into its records; InputError naming the file and line if it is not one."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".cbor":
        try:
            obj = canonical.loads(data)
        except CanonicalError as exc:
            raise InputError(f"{name}: not canonical CBOR: {exc.message}") from None
        if not isinstance(obj, list):
            raise InputError(f"{name}: a CBOR trace is an array of records")
        records: list[object] = list(obj)
        where = [f"{name}: record {i}" for i in range(len(records))]
    elif suffix in (".jsonl", ".ndjson"):
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()  # the final newline ends the last record; it does not start an empty one
        records, where = [], []
        for n, line in enumerate(lines, 1):
            label = f"{name} line {n}"
            if not line.strip():
                raise InputError(f"{label}: empty line (one JSON object per line)")
            records.append(parse_document(line, name=label, fmt="json"))
            where.append(label)
    else:
        raise InputError(f"{name}: unknown trace format; expected {', '.join(TRACE_SUFFIXES)}")
    if not records:
        raise InputError(f"{name}: trace has no records")
    for label, rec in zip(where, records, strict=True):
        if not isinstance(rec, dict):
            raise InputError(f"{label}: a trace record is an object, got {type(rec).__name__}")
    return [rec for rec in records if isinstance(rec, dict)]


def trace_final_hash(records: Iterable[Mapping[str, Any]]) -> bytes:
    """The last link of the trace's hash chain (module docstring); 32 bytes."""
    h = TRACE_GENESIS
    for rec in records:
        h = canonical.commit_hash(TRACE_RECORD_TAG, [h, dict(rec)])
    return h


def _read_trace(tree: EvidenceTree, path: str, sha256: str) -> bytes:
    """The trace's bytes, re-checked against the pinned digest (the file may change after loading)."""
    data = read_bounded(resolve_inside(tree.root, path, what=f"trace {path}"), ATTACHMENT_LIMIT, what=f"trace {path}:")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise InputError(f"{path}: changed while it was being checked")
    return data


# --- the checks --------------------------------------------------------------------------------


def _runs_for(tree: EvidenceTree, cert: Document) -> list[Document]:
    return [
        d
        for d in tree.by_kind("run_evidence")
        if d.as_(RunEvidence).certificate.path == cert.path and d.as_(RunEvidence).certificate.sha256 == cert.sha256
    ]


def _trace_findings(tree: EvidenceTree, cert: Document, signed: bytes) -> Iterator[Finding]:
    runs = _runs_for(tree, cert)
    if not runs:
        yield finding(
            "GSP-E022",
            cert.path,
            "trace_final_hash: no run_evidence links this certificate to its trace, so it cannot be verified "
            "(every release carries the trace of each certified run, CONTRACTS.md §5)",
        )
        return
    for run in runs:
        link = run.as_(RunEvidence).trace
        if not tree.link_ok(link):
            state = "missing" if not any(lc.path == link.path and lc.actual for lc in tree.links) else "altered"
            yield finding(
                "GSP-E022",
                cert.path,
                f"trace_final_hash: trace {link.path} (from {run.path}) is {state}, so it cannot be verified",
            )
            continue
        try:
            records = parse_trace(_read_trace(tree, link.path, link.sha256), name=link.path)
        except GlyphserpackError as exc:  # reports never show where the tree lives
            detail = exc.message.replace(f"{tree.root}/", "").replace(str(tree.root), ".")
            yield finding("GSP-E022", cert.path, f"trace_final_hash: {detail}")
            continue
        actual = trace_final_hash(records)
        if actual != signed:
            yield finding(
                "GSP-E021",
                cert.path,
                f"trace_final_hash: certificate signs {signed.hex()}, trace {link.path} "
                f"({len(records)} records) gives {actual.hex()}",
            )


def _trust_mismatch(tree: EvidenceTree, signed: bytes, key_id: str) -> str:
    """E019's message: what the certificate signs and every version it was compared with."""
    tried = []
    for v in tree.trust.versions():
        holds = "holds" if v.get(key_id) is not None else "lacks"
        tried.append(f"v{v.version} {v.hash().hex()} ({holds} key {key_id[:16]}…)")
    return (
        f"trust_store_hash: certificate signs {signed.hex()}, which is no version of trust store "
        f"{tree.manifest.trust_store.path} holding its signing key; versions tried: {'; '.join(tried)}"
    )


def certificate_bindings(tree: EvidenceTree) -> Iterator[Finding]:
    """Findings for every execution certificate whose signed bindings differ from the tree."""
    trust_ok = tree.link_ok(tree.manifest.trust_store)  # a broken trust store is reported already
    revocations = tree_revocations(tree)
    for cert in tree.by_kind("execution_certificate"):
        c: Any = cert.model
        if trust_ok and tree.trust.version_with(c.trust_store_hash, c.key_id) is None:
            yield finding("GSP-E019", cert.path, _trust_mismatch(tree, c.trust_store_hash, c.key_id))
        when = c.verification_time_utc
        expected = revocation_bundle_hash(revocations, as_of=when)
        if c.revocation_bundle_hash != expected:
            ids = [str(r["revocation_id"]) for r in revocation_set(revocations, as_of=when)]
            yield finding(
                "GSP-E020",
                cert.path,
                f"revocation_bundle_hash: certificate signs {c.revocation_bundle_hash.hex()}, the revocation set "
                f"as of verification_time_utc {when} ({', '.join(ids) or 'empty'}) hashes to {expected.hex()}",
            )
        yield from _trace_findings(tree, cert, c.trace_final_hash)
