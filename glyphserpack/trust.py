"""Trust stores: which Ed25519 keys may sign what, and when.

A trust store is a directory holding ``trust.yaml`` (or ``trust.json``). The same format
serves evidence certificates, pack signatures and log checkpoints, so an archive needs one
kind of file to decide whom it trusts. Time checks use the time the *signed data* states
(e.g. a certificate's ``verification_time_utc``), never the verifier's clock, so a verdict
is the same whenever it is recomputed.

::

    trust_store_version: 1
    keys:
      - key_id: 64 hex     # = SHA-256 of the raw public key (checked)
        public_key: 64 hex # raw Ed25519 public key
        owner: "Glyphser Release Signing"
        purposes: [certificate, pack, checkpoint]
        not_before: "2026-01-01T00:00:00Z"
        not_after: "2030-01-01T00:00:00Z"      # optional
        revoked_at: "2026-06-01T00:00:00Z"     # optional; with revocation_reason
        revocation_reason: keyCompromise

``trust_store_hash`` (CONTRACTS.md §2) is the ObjectDigest of the canonical bundle:
``{"trust_store_version": 1, "keys": [...]}`` with keys sorted by ``key_id``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from glyphserpack import canonical
from glyphserpack._internal.docload import load_document
from glyphserpack.errors import InputError, KeyMaterialError
from glyphserpack.signing import key_id as compute_key_id
from glyphserpack.signing import load_public_key, verify_signature

__all__ = [
    "PURPOSES",
    "REVOCATION_REASONS",
    "KeyStatus",
    "TrustStore",
    "TrustedKey",
    "is_utc_timestamp",
]

PURPOSES = ("certificate", "pack", "checkpoint", "revocation", "site")
#: RFC 5280 CRLReason names, the vocabulary registries already know.
REVOCATION_REASONS = (
    "unspecified",
    "keyCompromise",
    "cACompromise",
    "affiliationChanged",
    "superseded",
    "cessationOfOperation",
    "certificateHold",
    "privilegeWithdrawn",
    "aACompromise",
)
_TS = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
KeyStatus = Literal["ok", "unknown", "wrong_purpose", "not_yet_valid", "expired", "revoked"]
_FIELDS = {
    "key_id",
    "public_key",
    "owner",
    "purposes",
    "not_before",
    "not_after",
    "revoked_at",
    "revocation_reason",
}


def is_utc_timestamp(value: object) -> bool:
    """True for exactly ``YYYY-MM-DDTHH:MM:SSZ`` (CONTRACTS.md §4); these sort as text."""
    return isinstance(value, str) and bool(_TS.match(value))


@dataclass(frozen=True)
class TrustedKey:
    """One key in a trust store with the window in which its signatures count."""

    key_id: str
    public_key: bytes
    owner: str
    purposes: tuple[str, ...]
    not_before: str
    not_after: str | None = None
    revoked_at: str | None = None
    revocation_reason: str | None = None

    def to_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "key_id": self.key_id,
            "public_key": self.public_key.hex(),
            "owner": self.owner,
            "purposes": list(self.purposes),
            "not_before": self.not_before,
        }
        for name in ("not_after", "revoked_at", "revocation_reason"):
            value = getattr(self, name)
            if value is not None:
                obj[name] = value
        return obj

    def public(self) -> Ed25519PublicKey:
        return load_public_key(self.public_key, where=f"trust key {self.key_id}")

    def status_at(self, when: str, purpose: str) -> KeyStatus:
        """Whether a signature made at ``when`` (UTC text) for ``purpose`` counts."""
        if purpose not in self.purposes:
            return "wrong_purpose"
        if self.revoked_at is not None and when >= self.revoked_at:
            return "revoked"
        if when < self.not_before:
            return "not_yet_valid"
        if self.not_after is not None and when > self.not_after:
            return "expired"
        return "ok"


@dataclass(frozen=True)
class TrustStore:
    """An immutable set of trusted keys; build with :meth:`load` or :meth:`from_keys`."""

    keys: tuple[TrustedKey, ...] = field(default_factory=tuple)
    source: str = "<memory>"

    @classmethod
    def from_keys(cls, keys: Iterable[TrustedKey], *, source: str = "<memory>") -> TrustStore:
        ordered = tuple(sorted(keys, key=lambda k: k.key_id))
        ids = [k.key_id for k in ordered]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise InputError(f"{source}: key_id {dupes[0]} listed more than once")
        return cls(ordered, source)

    @classmethod
    def load(cls, directory: Path) -> TrustStore:
        """Load ``trust.yaml`` / ``trust.json`` from a trust directory, checking every field."""
        candidates = [directory / n for n in ("trust.yaml", "trust.yml", "trust.json")]
        found = [p for p in candidates if p.is_file()]
        if not found:
            raise InputError(
                f"trust store {directory}: no trust.yaml or trust.json",
                remedy="create one with `glyphserpack keys generate --trust DIR` or point --trust at the right folder",
            )
        path = found[0]
        doc = load_document(path)
        return cls.from_obj(doc, source=str(path))

    @classmethod
    def from_obj(cls, doc: object, *, source: str) -> TrustStore:
        if not isinstance(doc, dict):
            raise InputError(f"{source}: expected a mapping with trust_store_version and keys")
        unknown = sorted(set(doc) - {"trust_store_version", "keys"})
        if unknown:
            raise InputError(f"{source}: unknown field {unknown[0]!r}")
        if doc.get("trust_store_version") != 1:
            raise InputError(f"{source}: trust_store_version: expected 1, got {doc.get('trust_store_version')!r}")
        raw_keys = doc.get("keys")
        if not isinstance(raw_keys, list):
            raise InputError(f"{source}: keys: expected a list")
        return cls.from_keys((_parse_key(k, f"{source}: keys[{i}]") for i, k in enumerate(raw_keys)), source=source)

    def to_obj(self) -> dict[str, Any]:
        return {"trust_store_version": 1, "keys": [k.to_obj() for k in self.keys]}

    def save(self, directory: Path) -> Path:
        """Write ``trust.json`` atomically (JSON so any tool can read it back exactly)."""
        from glyphserpack._internal import jsonout

        path = directory / "trust.json"
        jsonout.write_json(path, self.to_obj())
        return path

    def hash(self) -> bytes:
        """``trust_store_hash`` = ObjectDigest(canonical bundle), CONTRACTS.md §2."""
        return canonical.object_digest(self.to_obj())

    def get(self, key_id: str) -> TrustedKey | None:
        for k in self.keys:
            if k.key_id == key_id:
                return k
        return None

    def check(self, key_id: str, signature: bytes, message: bytes, *, when: str, purpose: str) -> KeyStatus | str:
        """Return ``"ok"``, a :data:`KeyStatus` naming why the key does not count, or ``"bad_signature"``."""
        key = self.get(key_id)
        if key is None:
            return "unknown"
        status = key.status_at(when, purpose)
        if status != "ok":
            return status
        if not verify_signature(key.public(), signature, message):
            return "bad_signature"
        return "ok"


def _parse_key(raw: object, where: str) -> TrustedKey:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a mapping")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise InputError(f"{where}: unknown field {unknown[0]!r}")
    for name in ("key_id", "public_key", "owner", "purposes", "not_before"):
        if name not in raw:
            raise InputError(f"{where}: missing field {name!r}")
    kid, pub = raw["key_id"], raw["public_key"]
    if not isinstance(kid, str) or not _HEX64.match(kid):
        raise InputError(f"{where}.key_id: expected 64 lower-case hex characters")
    if not isinstance(pub, str) or not _HEX64.match(pub):
        raise InputError(f"{where}.public_key: expected 64 lower-case hex characters (raw Ed25519 key)")
    pub_bytes = bytes.fromhex(pub)
    try:
        load_public_key(pub_bytes, where=where)
    except KeyMaterialError as exc:
        raise InputError(exc.message, code=exc.code) from None
    if compute_key_id(pub_bytes) != kid:
        raise InputError(f"{where}.key_id: does not equal SHA-256 of public_key ({compute_key_id(pub_bytes)})")
    purposes = raw["purposes"]
    if not isinstance(purposes, list) or not purposes or any(p not in PURPOSES for p in purposes):
        raise InputError(f"{where}.purposes: expected a non-empty list drawn from {', '.join(PURPOSES)}")
    if not isinstance(raw["owner"], str) or not raw["owner"]:
        raise InputError(f"{where}.owner: expected non-empty text")
    for name in ("not_before", "not_after", "revoked_at"):
        if name in raw and not is_utc_timestamp(raw[name]):
            raise InputError(f"{where}.{name}: expected YYYY-MM-DDTHH:MM:SSZ, got {raw[name]!r}")
    reason = raw.get("revocation_reason")
    if ("revoked_at" in raw) != (reason is not None):
        raise InputError(f"{where}: revoked_at and revocation_reason go together")
    if reason is not None and reason not in REVOCATION_REASONS:
        raise InputError(f"{where}.revocation_reason: expected one of {', '.join(REVOCATION_REASONS)}")
    return TrustedKey(
        key_id=kid,
        public_key=pub_bytes,
        owner=raw["owner"],
        purposes=tuple(sorted(set(purposes))),
        not_before=raw["not_before"],
        not_after=raw.get("not_after"),
        revoked_at=raw.get("revoked_at"),
        revocation_reason=reason,
    )
