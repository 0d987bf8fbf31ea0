"""One rule for a certificate's status at a time T: ``check``, the site and ``log state`` all use it.

The status of an execution certificate or a certification record used to be derived in
three places with three rule sets, so the public registry could call a certificate "valid"
that ``check`` did not count. Now every caller gathers the *facts* it has (the signed
evidence, the registry log's events, or both) into :class:`CertificateFacts` and asks
:func:`certificate_status`. Facts are gathered from an evidence tree by :func:`tree_facts`
and from a log by :mod:`glyphserpack.log.lifecycle`; :func:`with_log` merges the two.

Precedence (fail-dominant: the first rule that holds at T decides):

1. ``invalid``: the signature does not verify against the trust store at the document's
   own signed time, or a registry log is in play and holds no issuance entry for it. Trust
   is not established, so nothing the document says counts.
2. ``failed``: a certification record whose verdict is FAIL. It never certified anything.
3. ``revoked``: a signature-verified revocation (or the log's revocation entry) dated at or
   before T. Before its time the certificate was valid: revocation is not retroactive.
4. ``not_yet_valid``: T is before the certificate was issued (``issued_utc``;
   ``verification_time_utc`` for an execution certificate).
5. ``superseded``: a later certificate for the same subject (same tenant and run; same
   adapter and certificate class) was issued at or before T.
6. ``sunset``: T is after the record's ``sunset_utc`` (its class is retired; no renewal).
7. ``expired``: T is after ``valid_until_utc`` (or a logged expiry entry is dated at or
   before T).
8. ``valid``: otherwise. A certificate is valid from its issuance to its ``valid_until_utc``,
   both inclusive.

With no time (``at=None``, ``log state`` without ``--at``) rules 4, 6 and the time half of 7
are skipped and every recorded event counts: the status as the log's history leaves it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal, get_args

from glyphserpack.evidence.certificates import SIGNED_KINDS, Envelope
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.trust import TrustStore

__all__ = [
    "CERTIFICATE_KINDS",
    "STATUSES",
    "CertificateFacts",
    "CertificateStatus",
    "Status",
    "certificate_status",
    "document_signature_status",
    "issued_time",
    "signature_ok",
    "signature_status",
    "supersession",
    "tree_facts",
    "with_log",
]

Status = Literal["invalid", "failed", "revoked", "not_yet_valid", "superseded", "sunset", "expired", "valid"]
#: Every status, in precedence order (the first that holds wins).
STATUSES: tuple[Status, ...] = get_args(Status)
#: The evidence kinds that have a status.
CERTIFICATE_KINDS = ("execution_certificate", "certification_record")


@dataclass(frozen=True)
class CertificateFacts:
    """What the status rule needs to know about one certificate; times are UTC text.

    ``logged`` is None when no registry log is in play, else whether the log issued it.
    """

    issued_utc: str
    valid_until_utc: str | None = None
    sunset_utc: str | None = None
    verdict: str | None = None
    signature_ok: bool = True
    revoked_utc: str | None = None
    revocation_reason: str = ""
    superseded_utc: str | None = None
    #: SHA-256 (hex) of the certificate that superseded this one
    superseded_by: str = ""
    expired_utc: str | None = None
    logged: bool | None = None


@dataclass(frozen=True)
class CertificateStatus:
    """A status, why (text for people), and since when it holds (None when it has no start)."""

    status: Status
    reason: str
    since: str | None = None


def _reached(event: str | None, at: str | None) -> bool:
    return event is not None and (at is None or event <= at)


def certificate_status(facts: CertificateFacts, at: str | None) -> CertificateStatus:
    """The status of a certificate at ``at`` (UTC text), by the precedence in the module docstring."""
    f = facts
    if not f.signature_ok:  # 1
        return CertificateStatus("invalid", "signature not verified against the trust store")
    if f.verdict == "FAIL":  # 2
        return CertificateStatus("failed", "certification verdict FAIL", f.issued_utc)
    if f.logged is False:  # 1, for a log-backed registry
        return CertificateStatus("invalid", "no issuance entry for it in the transparency log")
    if _reached(f.revoked_utc, at):  # 3
        return CertificateStatus("revoked", f"{f.revocation_reason} at {f.revoked_utc}".strip(), f.revoked_utc)
    if at is not None and at < f.issued_utc:  # 4
        return CertificateStatus("not_yet_valid", f"issued {f.issued_utc}, after {at}", None)
    if _reached(f.superseded_utc, at):  # 5
        by = f" by {f.superseded_by[:16]}" if f.superseded_by else ""
        return CertificateStatus("superseded", f"superseded{by} at {f.superseded_utc}", f.superseded_utc)
    if at is not None and f.sunset_utc is not None and f.sunset_utc < at:  # 6
        return CertificateStatus("sunset", f"class sunset at {f.sunset_utc}", f.sunset_utc)
    if _reached(f.expired_utc, at):  # 7, a recorded expiry
        return CertificateStatus("expired", f"expiry recorded at {f.expired_utc}", f.expired_utc)
    if at is not None and f.valid_until_utc is not None and f.valid_until_utc < at:  # 7
        return CertificateStatus("expired", f"valid until {f.valid_until_utc}", f.valid_until_utc)
    until = f" until {f.valid_until_utc}" if f.valid_until_utc else ""
    return CertificateStatus("valid", f"issued {f.issued_utc}, valid{until}", f.issued_utc)  # 8


def with_log(evidence: CertificateFacts, log: CertificateFacts | None) -> CertificateFacts:
    """Evidence facts with the lifecycle events taken from the log (``log`` None: not logged).

    The signed evidence says what was certified and for how long; the log says what happened
    to it since (revocation, supersession, recorded expiry), so those come from the log only.
    """
    if log is None:
        return replace(evidence, logged=False, revoked_utc=None, superseded_utc=None, expired_utc=None)
    return replace(
        evidence,
        logged=True,
        revoked_utc=log.revoked_utc,
        revocation_reason=log.revocation_reason,
        superseded_utc=log.superseded_utc,
        superseded_by=log.superseded_by,
        expired_utc=log.expired_utc,
    )


def issued_time(doc: Document) -> str:
    """When a certificate took effect: its signed verification or issuance time."""
    m: Any = doc.model
    return str(m.verification_time_utc if doc.kind == "execution_certificate" else m.issued_utc)


def signature_status(trust: TrustStore, env: Envelope) -> str:
    """``"ok"`` or why a signed document's signature does not count (:meth:`TrustStore.check`).

    The key must be trusted for the kind's purpose at the document's own signed time.
    """
    if env.kind not in SIGNED_KINDS:
        return "not_signed_evidence"
    _, when_field, purpose = SIGNED_KINDS[env.kind]
    p = env.payload
    return trust.check(
        str(p.get("key_id")), env.signature, env.signed_payload, when=str(p.get(when_field)), purpose=purpose
    )


def document_signature_status(tree: EvidenceTree, doc: Document) -> str:
    """:func:`signature_status` of a signed document of ``tree``, verified once per tree.

    ``check`` verifies every signature (step 10) and the certification binding (a rule, run
    before it) and the status facts ask again for the same documents: the tree keeps the answer.
    """
    if doc.envelope is None:
        return "not_signed_evidence"
    key = ("signature", doc.path, doc.sha256)
    memo = tree.attest_memo
    if key not in memo:
        memo[key] = signature_status(tree.trust, doc.envelope)
    return str(memo[key])


def signature_ok(tree: EvidenceTree, doc: Document) -> bool:
    """The document's signature verifies with a key trusted for its purpose at its own signed time."""
    return document_signature_status(tree, doc) == "ok"


def _lineage(doc: Document) -> tuple[str, ...]:
    m: Any = doc.model
    if doc.kind == "execution_certificate":
        return (doc.kind, m.tenant_id, m.run_id)
    return (doc.kind, m.subject.adapter_id, m.certificate_class)


def supersession(docs: list[Document]) -> dict[str, Document]:
    """path -> the next certificate for the same subject, for every certificate that has one.

    Only certificates that could ever be valid take part (the caller passes those whose
    signature verifies and whose verdict is not FAIL): a failed re-certification does not
    replace a good one. Each is superseded by the next one issued, at that one's issue time.
    """
    chains: dict[tuple[str, ...], list[Document]] = {}
    for d in docs:
        chains.setdefault(_lineage(d), []).append(d)
    out: dict[str, Document] = {}
    for chain in chains.values():
        chain.sort(key=lambda d: (issued_time(d), d.sha256))
        for old, new in itertools.pairwise(chain):
            out[old.path] = new
    return out


def tree_facts(tree: EvidenceTree) -> dict[str, CertificateFacts]:
    """path -> facts of every certificate and certification record, from the evidence alone.

    Revocations count only when their own signature verifies; the earliest one wins.
    """
    ok = partial(signature_ok, tree)
    revoked: dict[str, Any] = {}
    for doc in tree.by_kind("revocation"):
        rev: Any = doc.model
        old = revoked.get(rev.target.sha256)
        if ok(doc) and (old is None or rev.revoked_utc < old.revoked_utc):
            revoked[rev.target.sha256] = rev
    certs = [d for k in CERTIFICATE_KINDS for d in tree.by_kind(k)]
    good = {d.path: ok(d) for d in certs}
    newer = supersession([d for d in certs if good[d.path] and getattr(d.model, "verdict", "PASS") != "FAIL"])
    out: dict[str, CertificateFacts] = {}
    for d in certs:
        m: Any = d.model
        rev = revoked.get(d.sha256)
        sup = newer.get(d.path)
        is_record = d.kind == "certification_record"
        out[d.path] = CertificateFacts(
            issued_utc=issued_time(d),
            valid_until_utc=m.valid_until_utc,
            sunset_utc=m.sunset_utc if is_record else None,
            verdict=m.verdict if is_record else None,
            signature_ok=good[d.path],
            revoked_utc=rev.revoked_utc if rev is not None else None,
            revocation_reason=f"{rev.reason_code} ({rev.revocation_id})" if rev is not None else "",
            superseded_utc=issued_time(sup) if sup is not None else None,
            superseded_by=sup.sha256 if sup is not None else "",
        )
    return out
