"""Sign certification records, execution certificates and revocations (``glyphserpack cert``).

Signing used to take library code, so nothing checked a record before it was signed: a
record for an adapter without conformance evidence, or a certificate pinning the wrong trust
store, was found by ``check`` only after it had been published. Here every signed document is
built in the same order:

1. validate the spec against the kind's model (an error names the field);
2. fill what the contract computes instead of trusting the spec: ``key_id``, the trust-store
   and revocation-set hashes (:mod:`glyphserpack.evidence.bindings`), the trace and checkpoint
   hashes and the package pins from the files in the evidence tree;
3. hold the document against its evidence with the checks ``check`` runs
   (:func:`glyphserpack.evidence.attest.certification.bind_new_record`);
4. sign, then ask the trust store whether this key may sign this kind at the document's own
   signed time (:func:`glyphserpack.evidence.status.signature_status`).

Nothing is written here: the caller writes :attr:`Signed.data` (atomically) only when all four
steps passed. The spec format is documented, with examples, in ``docs/cert.md``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack._internal.fsio import read_bounded, resolve_inside
from glyphserpack.errors import EvidenceError, InputError, KeyMaterialError, UsageError, VerificationError
from glyphserpack.evidence.attest.certification import bind_new_record
from glyphserpack.evidence.bindings import parse_trace, revocation_bundle_hash, trace_final_hash, tree_revocations
from glyphserpack.evidence.certificates import (
    SIGNED_KINDS,
    CertificationRecord,
    CertPackage,
    decode_envelope,
    encode_envelope,
)
from glyphserpack.evidence.loader import ATTACHMENT_LIMIT, Document, EvidenceTree, validate_kind
from glyphserpack.evidence.status import CERTIFICATE_KINDS, signature_status
from glyphserpack.signing import key_id as compute_key_id
from glyphserpack.trust import REVOCATION_REASONS, TrustStore, is_utc_timestamp

__all__ = ["COMPUTED_FIELDS", "FILE_FIELDS", "Signed", "issue", "renew", "revoke", "tree_trust"]

#: Fields ``cert issue`` computes; a spec that sets one is refused (it would not be checked).
COMPUTED_FIELDS = ("key_id", "signature_algorithm", "trust_store_hash", "revocation_bundle_hash")
#: Execution-certificate spec fields naming a file of the evidence tree -> the hash computed from it.
FILE_FIELDS = {"trace": "trace_final_hash", "checkpoint": "checkpoint_hash"}
_PACKAGE_MEMBERS = tuple(CertPackage.model_fields)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def tree_trust(tree: EvidenceTree) -> TrustStore:
    """The tree's trust store, refusing one whose pin in the release manifest does not hold.

    The loader treats a trust store that fails its pin as holding no keys (``check`` reports
    ``GSP-E004``/``E005``), which for signing would surface as the misleading "key unknown".
    A store edited by hand since the last ``evidence pin`` is named here instead.
    """
    link = tree.manifest.trust_store
    bad = [lc for lc in tree.links if lc.field == "trust_store" and lc.path == link.path and not lc.ok]
    if bad:
        got = bad[0].actual
        what = "no such file" if got is None else f"the file has sha256 {got}, {tree.manifest_path} pins {link.sha256}"
        raise EvidenceError(
            f"{link.path}: the tree's trust store does not match its pin ({what}); no key can be checked against it",
            remedy=f"if {link.path} was edited on purpose, re-pin it with `glyphserpack evidence pin DIR`; "
            "otherwise restore it",
        )
    return tree.trust


@dataclass(frozen=True)
class Signed:
    """A signed document ready to write: the file bytes and the document as the tree will load it."""

    data: bytes
    document: Document

    @property
    def sha256(self) -> str:
        return self.document.sha256


def _trust_store_hash(store: TrustStore) -> bytes:
    # The one place this module computes trust_store_hash (the store's own definition).
    return store.hash()


def _read(tree: EvidenceTree, rel: object, where: str) -> bytes:
    if not isinstance(rel, str):
        raise EvidenceError(f"{where}: expected a path inside the evidence tree")
    return read_bounded(resolve_inside(tree.root, rel, what=where), ATTACHMENT_LIMIT, what=f"{where}:")


def _hex_to_bytes(payload: dict[str, Any]) -> None:
    """Execution-certificate hashes are 32-byte strings in CBOR; a YAML spec writes them as hex."""
    for name, value in list(payload.items()):
        if name.endswith("_hash") and isinstance(value, str) and _HEX64.match(value):
            payload[name] = bytes.fromhex(value)


def _fill_execution_certificate(payload: dict[str, Any], tree: EvidenceTree, store: TrustStore, name: str) -> None:
    _hex_to_bytes(payload)
    for file_field, hash_field in FILE_FIELDS.items():
        if file_field not in payload:
            continue
        if hash_field in payload:
            raise EvidenceError(f"{name}: {file_field}: give {file_field} or {hash_field}, not both")
        rel = payload.pop(file_field)
        data = _read(tree, rel, f"{name}: {file_field}")
        if file_field == "trace":
            payload[hash_field] = trace_final_hash(parse_trace(data, name=rel))
        else:
            payload[hash_field] = hashlib.sha256(data).digest()
    payload["trust_store_hash"] = _trust_store_hash(store)
    when = payload.get("verification_time_utc")
    if not is_utc_timestamp(when):
        raise EvidenceError(f"{name}: verification_time_utc: expected YYYY-MM-DDTHH:MM:SSZ, got {when!r}")
    payload["revocation_bundle_hash"] = revocation_bundle_hash(tree_revocations(tree), as_of=str(when))


def _fill_package(payload: dict[str, Any], tree: EvidenceTree, name: str) -> None:
    """Pin every package member: a path gets the SHA-256 of the file; a given pin must match it."""
    package = payload.get("package")
    if not isinstance(package, dict):
        return  # the model names the problem
    pinned: dict[str, Any] = {}
    for member, value in package.items():
        where = f"{name}: package.{member}"
        if member not in _PACKAGE_MEMBERS:
            pinned[member] = value  # the model refuses it as an unknown field
            continue
        rel = value.get("path") if isinstance(value, dict) else value
        actual = hashlib.sha256(_read(tree, rel, where)).hexdigest()
        if isinstance(value, dict) and value.get("sha256", actual) != actual:
            raise EvidenceError(f"{where}: pins sha256 {value.get('sha256')}, {rel} has {actual}")
        pinned[member] = {"path": rel, "sha256": actual}
    payload["package"] = pinned


def _as_document(data: bytes, *, path: str) -> Document:
    env = decode_envelope(data, name=path)
    model = validate_kind(env.kind, env.payload, name=path)
    return Document(path, env.kind, hashlib.sha256(data).hexdigest(), env.payload, model, env)


def _sign(
    key: Ed25519PrivateKey, payload: dict[str, Any], meta: dict[str, Any], store: TrustStore, *, path: str
) -> Signed:
    """Step 4: sign, then refuse unless the store trusts this key for this kind at its signed time."""
    data = encode_envelope(key, payload, unsigned_metadata=meta)
    doc = _as_document(data, path=path)
    assert doc.envelope is not None
    status = signature_status(store, doc.envelope)
    if status != "ok":
        kind = str(payload["kind"])
        _, when_field, purpose = SIGNED_KINDS[kind]
        trusted = store.get(str(payload["key_id"]))
        who = f"key {payload['key_id']}" + (f" ({trusted.owner})" if trusted else "")
        raise KeyMaterialError(
            f"{who} may not sign a {kind} at {when_field} {payload[when_field]}: "
            f"{status} in trust store {store.source}",
            remedy=f"use a key with purpose {purpose!r} valid at that time "
            f"(glyphserpack keys generate --purpose {purpose})",
        )
    return Signed(data, doc)


def issue(
    spec: object, key: Ed25519PrivateKey, *, tree: EvidenceTree, trust: TrustStore | None = None, name: str, path: str
) -> Signed:
    """Build, check and sign a certification record or execution certificate from ``spec``.

    ``tree`` is the evidence the document binds to; ``trust`` (default: the tree's store) says
    who may sign. ``name`` labels the spec in errors; ``path`` is where the file will live,
    relative to the tree root. Raises EvidenceError (bad spec), VerificationError (the
    evidence does not support it) or KeyMaterialError (the key may not sign it).
    """
    if not isinstance(spec, Mapping):
        raise EvidenceError(f"{name}: expected a mapping of payload fields")
    payload: dict[str, Any] = dict(spec)
    kind = payload.get("kind")
    if kind not in CERTIFICATE_KINDS:
        raise EvidenceError(f"{name}: kind: expected one of {', '.join(CERTIFICATE_KINDS)}, got {kind!r}")
    for computed in COMPUTED_FIELDS:
        if computed in payload:
            raise EvidenceError(f"{name}: {computed}: computed by cert issue; remove it from the spec")
    meta = payload.pop("unsigned_metadata", {})
    if not isinstance(meta, dict):
        raise EvidenceError(f"{name}: unsigned_metadata: expected a mapping")
    store = trust if trust is not None else tree_trust(tree)
    payload.setdefault("schema_version", 1)
    payload["key_id"], payload["signature_algorithm"] = compute_key_id(key), "ed25519"
    if kind == "execution_certificate":
        payload.setdefault("certificate_version", 1)
        _fill_execution_certificate(payload, tree, store, name)
    else:
        _fill_package(payload, tree, name)
    model = validate_kind(str(kind), payload, name=name)
    if isinstance(model, CertificationRecord) and model.verdict == "PASS":
        problems = bind_new_record(tree, model, path=path)
        if problems:
            lines = "\n  ".join(f.line() for f in sorted(problems))
            raise VerificationError(
                f"{name}: the evidence does not support this record; nothing signed:\n  {lines}",
                remedy="add the missing conformance evidence to the certification bundle, then issue again",
            )
    return _sign(key, payload, meta, store, path=path)


def _revocations_of(tree: EvidenceTree, sha256: str) -> list[Document]:
    return [d for d in tree.by_kind("revocation") if d.obj["target"]["sha256"] == sha256]


def _certificate(data: bytes, *, path: str, tree: EvidenceTree | None) -> Document:
    """The certificate a revocation or renewal is about; refused unless the registry holds it, unrevoked."""
    doc = _as_document(data, path=path)
    if doc.kind not in CERTIFICATE_KINDS:
        raise InputError(f"{path}: is a {doc.kind}, not a certificate or certification record")
    if tree is not None:
        listed = tree.documents.get(path)
        if listed is None or listed.sha256 != doc.sha256:
            raise InputError(
                f"{path}: not listed in {tree.manifest_path} with this content: an unknown certificate",
                remedy="pin it into the evidence tree first (glyphserpack evidence pin)",
            )
        earlier = _revocations_of(tree, doc.sha256)
        if earlier:
            raise InputError(f"{path}: already revoked by {earlier[0].path}")
    return doc


def _issued(doc: Document) -> str:
    return str(doc.obj[SIGNED_KINDS[doc.kind][1]])


def revoke(
    data: bytes,
    key: Ed25519PrivateKey,
    *,
    path: str,
    reason: str,
    at: str,
    tree: EvidenceTree | None,
    trust: TrustStore,
    revocation_id: str | None = None,
    issuer: str | None = None,
    out_path: str,
) -> Signed:
    """A signed revocation of the certificate ``data`` (at ``path`` in the tree) from ``at`` on."""
    if reason not in REVOCATION_REASONS:
        raise UsageError(f"--reason {reason!r}: expected an RFC 5280 reason: {', '.join(REVOCATION_REASONS)}")
    if not is_utc_timestamp(at):
        raise UsageError(f"--at {at!r}: expected YYYY-MM-DDTHH:MM:SSZ")
    target = _certificate(data, path=path, tree=tree)
    if at < _issued(target):
        raise UsageError(f"--at {at}: before {path} was issued ({_issued(target)}); a revocation follows its target")
    kid = compute_key_id(key)
    signer = trust.get(kid)
    payload = {
        "kind": "revocation",
        "schema_version": 1,
        "revocation_id": revocation_id or f"rev-{target.sha256[:16]}",
        "target_kind": target.kind,
        "target": {"path": path, "sha256": target.sha256},
        "reason_code": reason,
        "revoked_utc": at,
        "issuer": issuer or (signer.owner if signer is not None else "unknown issuer"),
        "key_id": kid,
        "signature_algorithm": "ed25519",
    }
    validate_kind("revocation", payload, name="revocation")
    return _sign(key, payload, {}, trust, path=out_path)


def renew(
    data: bytes,
    key: Ed25519PrivateKey,
    *,
    path: str,
    at: str,
    valid_until: str,
    tree: EvidenceTree,
    trust: TrustStore | None = None,
    new_id: str | None = None,
    out_path: str,
) -> Signed:
    """A new certificate for the same subject, issued at ``at``: it supersedes the old one.

    Supersession is by subject (same adapter and class; same tenant and run), the rule of
    :func:`glyphserpack.evidence.status.supersession`, so no field links the two: the renewal
    is re-issued through :func:`issue` and so re-checked against today's evidence.
    """
    for value, option in ((at, "--at"), (valid_until, "--valid-until")):
        if not is_utc_timestamp(value):
            raise UsageError(f"{option} {value!r}: expected YYYY-MM-DDTHH:MM:SSZ")
    old = _certificate(data, path=path, tree=tree)
    if at <= _issued(old):
        raise UsageError(f"--at {at}: not after {path} was issued ({_issued(old)}); a renewal must come later")
    if valid_until <= at:
        raise UsageError(f"--valid-until {valid_until}: not after --at {at}")
    spec = {k: v for k, v in old.obj.items() if k not in COMPUTED_FIELDS}
    spec["valid_until_utc"] = valid_until
    if old.kind == "execution_certificate":
        spec["verification_time_utc"] = at
    else:
        spec["issued_utc"] = at
        spec["record_id"] = new_id or f"{spec['record_id']}-r{at[:10].replace('-', '')}"
        spec["package"] = {m: dict(link) for m, link in spec["package"].items()}
    assert old.envelope is not None
    spec["unsigned_metadata"] = dict(old.envelope.unsigned_metadata)
    return issue(spec, key, tree=tree, trust=trust, name=f"renewal of {path}", path=out_path)
