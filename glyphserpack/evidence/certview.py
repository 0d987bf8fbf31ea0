"""What ``cert show`` and ``cert list`` print: signed evidence as rows people can read.

Nothing here decides a status: signatures are checked by
:func:`glyphserpack.evidence.status.signature_status` and a certificate's status at a time
comes from :func:`glyphserpack.evidence.status.certificate_status` over
:func:`~glyphserpack.evidence.status.tree_facts`, the rule ``check``, the site and
``log state`` use. With a registry log, its lifecycle events are merged in by
:func:`~glyphserpack.evidence.status.with_log` (``log_facts``: certificate SHA-256 hex -> the
facts the log records, from :meth:`glyphserpack.log.CertificateState.facts`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from glyphserpack.evidence.certificates import decode_envelope
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.evidence.status import (
    CERTIFICATE_KINDS,
    CertificateFacts,
    certificate_status,
    signature_status,
    tree_facts,
    with_log,
)
from glyphserpack.trust import TrustStore

__all__ = ["CertRow", "LogFacts", "describe", "list_tree"]


@dataclass(frozen=True)
class CertRow:
    """One signed document: what it is, who signed it, and its status (``""`` when not known)."""

    path: str
    kind: str
    id: str
    sha256: str
    key_id: str
    signature: str
    status: str = ""
    reason: str = ""
    since: str | None = None

    def to_obj(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        if self.status:
            status = f"{self.status} ({self.reason})"
        else:
            status = f"{self.reason + ', ' if self.reason else ''}signature {self.signature}"
        return f"{self.path}  {self.kind}  {self.id}  {status}"


def _ident(payload: dict[str, Any]) -> str:
    for name in ("record_id", "run_id", "revocation_id"):
        if name in payload:
            return str(payload[name])
    return ""


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


LogFacts = Mapping[str, CertificateFacts]


def _row(doc: Document, trust: TrustStore, facts: Any, at: str | None, log_facts: LogFacts | None) -> CertRow:
    assert doc.envelope is not None
    p = doc.envelope.payload
    row = CertRow(doc.path, doc.kind, _ident(p), doc.sha256, str(p["key_id"]), signature_status(trust, doc.envelope))
    if doc.kind in CERTIFICATE_KINDS and doc.path in facts:
        f = facts[doc.path] if log_facts is None else with_log(facts[doc.path], log_facts.get(doc.sha256))
        st = certificate_status(f, at)
        return CertRow(**{**row.to_obj(), "status": st.status, "reason": st.reason, "since": st.since})
    if doc.kind == "revocation":
        return CertRow(**{**row.to_obj(), "reason": f"{p['reason_code']} of {p['target']['path']}"})
    return row


def list_tree(tree: EvidenceTree, *, at: str | None, log_facts: LogFacts | None = None) -> list[CertRow]:
    """Every certificate, certification record and revocation of the tree, with its status at ``at``."""
    facts = tree_facts(tree)
    docs = [d for k in (*CERTIFICATE_KINDS, "revocation") for d in tree.by_kind(k)]
    return sorted((_row(d, tree.trust, facts, at, log_facts) for d in docs), key=lambda r: r.path)


def describe(
    data: bytes,
    *,
    name: str,
    trust: TrustStore | None,
    tree: EvidenceTree | None,
    at: str | None,
    log_facts: LogFacts | None = None,
) -> dict[str, Any]:
    """Decoded fields of a signed file, its signer and, when known, its signature check and status.

    With ``tree``, a file listed there (same bytes) gets its status at ``at`` and is checked
    against the tree's trust store unless ``trust`` is given.
    """
    env = decode_envelope(data, name=name)
    sha = hashlib.sha256(data).hexdigest()
    store = trust if trust is not None else (tree.trust if tree is not None else None)
    out: dict[str, Any] = {
        "file": name,
        "kind": env.kind,
        "sha256": sha,
        "key_id": str(env.payload.get("key_id", "")),
        "signature": signature_status(store, env) if store is not None else "not checked (no --trust)",
        "payload": _jsonable(env.payload),
        "unsigned_metadata": _jsonable(env.unsigned_metadata),
    }
    listed = [d for d in tree.documents.values() if d.sha256 == sha] if tree is not None else []
    if tree is not None and listed:
        facts = tree_facts(tree)
        row = _row(listed[0], store or tree.trust, facts, at, log_facts)
        out.update(path=row.path, status=row.status, reason=row.reason, since=row.since)
    elif tree is not None:
        out["status"] = "unknown"
        out["reason"] = f"not listed in {tree.manifest_path}"
    return out
