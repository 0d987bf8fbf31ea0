"""Signed evidence: execution certificates (CONTRACTS.md §4), certification records and revocations (§7).

File representation (one for all three signed kinds): a ``.cbor`` file holding the canonical
CBOR map ``{"signed_payload": bytes, "unsigned_metadata": map, "signature": bytes}``.
``signed_payload`` is exactly the canonical CBOR bytes that were signed (Ed25519, RFC 8032),
and decodes to a map with ``kind`` and ``schema_version`` inside it, so the kind itself is
signed. ``unsigned_metadata`` is informational and never trusted. Because the file is
canonical, ``certificate_hash`` = SHA-256(canonical CBOR of the whole object) = SHA-256 of
the file's bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, StringConstraints

from glyphserpack import canonical
from glyphserpack.errors import CanonicalError, EvidenceError
from glyphserpack.evidence.models import (
    DocumentBase,
    ExecutionMode,
    HashLink,
    Hex64,
    Ident,
    Strict,
    Text,
    UtcTime,
    Verdict,
)
from glyphserpack.signing import key_id as compute_key_id
from glyphserpack.signing import sign

__all__ = [
    "SIGNED_KINDS",
    "CertificationRecord",
    "Envelope",
    "ExecutionCertificate",
    "Revocation",
    "decode_envelope",
    "encode_envelope",
]

Bytes32 = Annotated[bytes, Field(min_length=32, max_length=32, description="32-byte SHA-256 (CBOR byte string)")]
RevocationReason = Literal[
    "unspecified",
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
    "privilegeWithdrawn",
    "aACompromise",
]


class _Signed(DocumentBase):
    key_id: Hex64 = Field(description="SHA-256 of the signer's raw Ed25519 public key; must be in the trust store")
    signature_algorithm: Literal["ed25519"]


class ExecutionCertificate(_Signed):
    """CONTRACTS.md §4 signed payload (plus ``kind``, ``schema_version`` and ``execution_mode``)."""

    kind: Literal["execution_certificate"]
    certificate_version: Literal[1]
    execution_mode: ExecutionMode
    tenant_id: Ident
    run_id: Ident
    replay_token: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    manifest_hash: Bytes32
    trace_final_hash: Bytes32
    checkpoint_hash: Bytes32
    policy_bundle_hash: Bytes32
    policy_gate_hash: Bytes32
    authz_decision_hash: Bytes32
    dependencies_lock_hash: Bytes32
    lockfile_hash: Bytes32
    toolchain_hash: Bytes32
    determinism_profile_hash: Bytes32
    operator_contracts_root_hash: Bytes32
    ir_hash: Bytes32
    lineage_root_hash: Bytes32
    sampler_config_hash: Bytes32
    data_access_plan_hash: Bytes32
    dataset_snapshot_id: Ident
    tmmu_plan_hash: Bytes32
    backend_binary_hash: Bytes32
    trust_store_hash: Bytes32
    revocation_bundle_hash: Bytes32
    verification_time_utc: UtcTime
    valid_until_utc: UtcTime
    step_start: int = Field(ge=0)
    step_end: int = Field(ge=0)
    dp_epsilon: float | None = None
    dp_delta: float | None = None
    attestation_quote_hash: Bytes32 | None = None
    attestation_bundle_hash: Bytes32 | None = None
    redaction_policy_hash: Bytes32 | None = None


class CertSubject(Strict):
    adapter_id: Ident
    adapter_kind: Literal["backend", "artifact_store", "operator"]
    vendor: Text
    adapter_version: Text


class CertPackage(Strict):
    """The certification evidence package (§7), every member hash-pinned."""

    package_manifest: HashLink
    contract_bundle: HashLink
    conformance_package: HashLink
    security_statement: HashLink
    sbom: HashLink
    certification_verdict: HashLink


class CertificationRecord(_Signed):
    """A signed "Certified Backend vX" / "Certified Artifact Store vY" record (§7)."""

    kind: Literal["certification_record"]
    record_id: Ident
    certificate_class: Annotated[str, StringConstraints(pattern=r"^Certified (Backend|Artifact Store|Operator) v\d+$")]
    subject: CertSubject
    issuer: Text
    issued_utc: UtcTime
    valid_until_utc: UtcTime
    sunset_utc: UtcTime = Field(description="after this the class itself is retired; renew before it")
    verdict: Verdict
    package: CertPackage


class Revocation(_Signed):
    """A signed revocation record with an RFC 5280 reason code (§7)."""

    kind: Literal["revocation"]
    revocation_id: Ident
    target_kind: Literal["certification_record", "execution_certificate"]
    target: HashLink
    reason_code: RevocationReason
    revoked_utc: UtcTime
    issuer: Text


#: kind -> (model, signed time field used for key validity, trust-store purpose)
SIGNED_KINDS: dict[str, tuple[type[_Signed], str, str]] = {
    "execution_certificate": (ExecutionCertificate, "verification_time_utc", "certificate"),
    "certification_record": (CertificationRecord, "issued_utc", "certificate"),
    "revocation": (Revocation, "revoked_utc", "revocation"),
}


@dataclass(frozen=True)
class Envelope:
    """A decoded signed file: the exact signed bytes, their decoded map, metadata, signature."""

    signed_payload: bytes
    payload: dict[str, Any]
    unsigned_metadata: dict[str, Any]
    signature: bytes

    @property
    def kind(self) -> str:
        return str(self.payload.get("kind", ""))


def decode_envelope(data: bytes, *, name: str) -> Envelope:
    """Decode a signed ``.cbor`` file; shape errors name the file and the member at fault."""
    try:
        outer = canonical.loads(data)
    except CanonicalError as exc:
        raise EvidenceError(f"{name}: not a canonical CBOR signed envelope: {exc.message}") from None
    if not isinstance(outer, dict) or set(outer) != {"signed_payload", "unsigned_metadata", "signature"}:
        got = sorted(outer) if isinstance(outer, dict) else type(outer).__name__
        raise EvidenceError(f"{name}: expected a map with signed_payload, unsigned_metadata, signature; got {got}")
    payload_bytes, meta, sig = outer["signed_payload"], outer["unsigned_metadata"], outer["signature"]
    if not isinstance(payload_bytes, bytes):
        raise EvidenceError(f"{name}: signed_payload: expected a byte string")
    if not isinstance(meta, dict):
        raise EvidenceError(f"{name}: unsigned_metadata: expected a map")
    if not isinstance(sig, bytes) or len(sig) != 64:
        raise EvidenceError(f"{name}: signature: expected 64 bytes (Ed25519)")
    try:
        payload = canonical.loads(payload_bytes)
    except CanonicalError as exc:
        raise EvidenceError(f"{name}: signed_payload is not canonical CBOR: {exc.message}") from None
    if not isinstance(payload, dict):
        raise EvidenceError(f"{name}: signed_payload: expected a map")
    if payload.get("kind") not in SIGNED_KINDS:
        raise EvidenceError(f"{name}: signed_payload.kind: expected one of {', '.join(sorted(SIGNED_KINDS))}")
    return Envelope(payload_bytes, payload, meta, sig)


def encode_envelope(
    private_key: Ed25519PrivateKey, payload: dict[str, Any], *, unsigned_metadata: dict[str, Any] | None = None
) -> bytes:
    """Sign ``payload`` (its ``key_id`` must be the signer's) and return the canonical file bytes."""
    if payload.get("key_id") != compute_key_id(private_key):
        raise EvidenceError("signed payload key_id does not match the signing key")
    kind = payload.get("kind")
    if kind not in SIGNED_KINDS:
        raise EvidenceError(f"cannot sign kind {kind!r}")
    SIGNED_KINDS[str(kind)][0].model_validate(payload)
    signed = canonical.dumps(payload)
    return canonical.dumps(
        {"signed_payload": signed, "unsigned_metadata": unsigned_metadata or {}, "signature": sign(private_key, signed)}
    )


def file_sha256(data: bytes) -> str:
    """certificate_hash of an envelope file: its bytes are already the canonical object."""
    return hashlib.sha256(data).hexdigest()
