"""Trust stores: which Ed25519 keys may sign what, and when — with an append-only history.

A trust store is a directory holding one file, ``trust.yaml`` (a legacy ``trust.json`` is
still read, and rewritten as ``trust.yaml`` on the next edit; both at once is an error). The
same format serves evidence certificates, pack signatures, site manifests and log
checkpoints. Time checks use the time the *signed data* states (e.g. a certificate's
``verification_time_utc``), never the verifier's clock, so a verdict is the same whenever it
is recomputed.

Every edit makes a new *version*; the file carries the current version on top and every
earlier version, unchanged, under ``history`` (one file, so one atomic rename publishes an
edit, one hash link pins the whole chain, and packs and evidence trees carry it as is)::

    trust_store_version: 3            # the current version, counted from 1
    previous_version_hash: 64 hex     # trust_store_hash of version 2 (absent in version 1)
    keys:
      - key_id: 64 hex     # = SHA-256 of the raw public key (checked)
        public_key: 64 hex # raw Ed25519 public key
        owner: "Glyphser Release Signing"
        purposes: [certificate, pack, checkpoint]
        not_before: "2026-01-01T00:00:00Z"
        not_after: "2030-01-01T00:00:00Z"      # optional
        revoked_at: "2026-06-01T00:00:00Z"     # optional; with revocation_reason
        revocation_reason: keyCompromise
        invalidity_date: "2026-05-20T00:00:00Z" # optional, keyCompromise only (RFC 5280)
    history:                          # versions 1 and 2, oldest first, each as it was
      - {trust_store_version: 1, keys: [...]}
      - {trust_store_version: 2, previous_version_hash: ..., keys: [...]}

``trust_store_hash`` (CONTRACTS.md §2) of a version is the ObjectDigest of its canonical
bundle: ``trust_store_version``, ``previous_version_hash`` (when present) and ``keys`` sorted
by ``key_id`` — never ``history``. A store with no history is version 1 and hashes exactly as
before versions existed. Loading verifies the chain: versions numbered 1..N, each
``previous_version_hash`` equal to the hash of the version before, and each version a
superset of the one before: keys are only ever added, and an existing key only gains facts
(a ``not_after`` or an earlier one, a revocation); nothing is removed or rewritten. So a
certificate that pins the hash of the version it was signed under keeps verifying after
keys are added (:meth:`TrustStore.version_with`).

Revocation follows RFC 5280 reasons: ``keyCompromise`` invalidates signatures from
``invalidity_date`` (when the compromise is known to predate the publication) or else from
``revoked_at``; every other reason (``superseded``, ``cessationOfOperation``,
``affiliationChanged``, ...) only ends the key's window at ``revoked_at`` and never reaches
back before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from glyphserpack import canonical
from glyphserpack._internal.docload import DOCUMENT_LIMIT, load_document
from glyphserpack.errors import InputError, KeyMaterialError
from glyphserpack.signing import key_id as compute_key_id
from glyphserpack.signing import load_public_key, verify_signature

__all__ = [
    "PURPOSES",
    "PURPOSE_GROUPS",
    "REVOCATION_REASONS",
    "TRUST_FILE",
    "KeyStatus",
    "TrustStore",
    "TrustedKey",
    "expand_purposes",
    "is_utc_timestamp",
    "trust_file",
]

PURPOSES = ("certificate", "pack", "checkpoint", "revocation", "site")
#: Shorthands accepted wherever purposes are given: ``release`` is everything ``build`` signs.
PURPOSE_GROUPS: dict[str, tuple[str, ...]] = {"release": ("pack", "site", "checkpoint")}
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
#: The one file a trust directory holds (written); ``LEGACY_FILES`` are still read.
TRUST_FILE = "trust.yaml"
LEGACY_FILES = ("trust.yml", "trust.json")
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
    "invalidity_date",
}
_VERSION_FIELDS = {"trust_store_version", "previous_version_hash", "keys"}


def is_utc_timestamp(value: object) -> bool:
    """True for exactly ``YYYY-MM-DDTHH:MM:SSZ`` (CONTRACTS.md §4); these sort as text."""
    return isinstance(value, str) and bool(_TS.match(value))


def expand_purposes(purposes: Iterable[str]) -> tuple[str, ...]:
    """Sorted purposes with :data:`PURPOSE_GROUPS` shorthands expanded; unknown names are kept (callers report them)."""
    out: set[str] = set()
    for p in purposes:
        out.update(PURPOSE_GROUPS.get(p, (p,)))
    return tuple(sorted(out))


def trust_file(directory: Path) -> Path | None:
    """The trust file in ``directory`` (None if there is none); InputError if there are two."""
    found = [directory / n for n in (TRUST_FILE, *LEGACY_FILES) if (directory / n).is_file()]
    if len(found) > 1:
        raise InputError(
            f"trust store {directory}: holds both {found[0].name} and {found[1].name}; "
            "which one counts would depend on the reader",
            remedy=f"keep {TRUST_FILE} (the format glyphserpack writes) and move the other away",
        )
    return found[0] if found else None


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
    invalidity_date: str | None = None

    def to_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "key_id": self.key_id,
            "public_key": self.public_key.hex(),
            "owner": self.owner,
            "purposes": list(self.purposes),
            "not_before": self.not_before,
        }
        for name in ("not_after", "revoked_at", "revocation_reason", "invalidity_date"):
            value = getattr(self, name)
            if value is not None:
                obj[name] = value
        return obj

    def public(self) -> Ed25519PublicKey:
        return load_public_key(self.public_key, where=f"trust key {self.key_id}")

    def invalid_from(self) -> str | None:
        """From when on signatures stop counting because of a revocation (RFC 5280 semantics).

        ``keyCompromise`` may reach back to its ``invalidity_date``: whoever held the key
        since then could have signed anything. Other reasons end the window at ``revoked_at``.
        """
        if self.revoked_at is None:
            return None
        if self.revocation_reason == "keyCompromise" and self.invalidity_date is not None:
            return min(self.invalidity_date, self.revoked_at)
        return self.revoked_at

    def status_at(self, when: str, purpose: str) -> KeyStatus:
        """Whether a signature made at ``when`` (UTC text) for ``purpose`` counts."""
        if purpose not in self.purposes:
            return "wrong_purpose"
        cutoff = self.invalid_from()
        if cutoff is not None and when >= cutoff:
            return "revoked"
        if when < self.not_before:
            return "not_yet_valid"
        if self.not_after is not None and when > self.not_after:
            return "expired"
        return "ok"

    def extended_by(self, new: TrustedKey) -> str | None:
        """Why ``new`` is not this key with only facts added (None when it is)."""
        for name in ("public_key", "owner", "purposes", "not_before"):
            if getattr(new, name) != getattr(self, name):
                return f"changes {name}"
        if self.not_after is not None and (new.not_after is None or new.not_after > self.not_after):
            return f"extends or removes not_after {self.not_after}"
        if self.revoked_at is not None:
            for name in ("revoked_at", "revocation_reason", "invalidity_date"):
                if getattr(new, name) != getattr(self, name):
                    return f"changes {name} of a revoked key"
        return None


@dataclass(frozen=True)
class TrustStore:
    """One version of a trust store plus the versions before it; build with :meth:`load` or :meth:`from_keys`."""

    keys: tuple[TrustedKey, ...] = field(default_factory=tuple)
    source: str = "<memory>"
    version: int = 1
    previous_version_hash: bytes | None = None
    history: tuple[TrustStore, ...] = ()

    @classmethod
    def from_keys(cls, keys: Iterable[TrustedKey], *, source: str = "<memory>") -> TrustStore:
        """A version-1 store (no history) holding ``keys``."""
        return cls(_ordered(keys, source), source)

    @classmethod
    def load(cls, directory: Path) -> TrustStore:
        """Load the trust file of a trust directory, checking every field and the whole history."""
        path = trust_file(directory)
        if path is None:
            raise InputError(
                f"trust store {directory}: no {TRUST_FILE}",
                remedy="create one with `glyphserpack keys generate KEY --trust DIR` or point --trust at the right one",
            )
        return cls.from_obj(load_document(path), source=str(path))

    @classmethod
    def from_obj(cls, doc: object, *, source: str) -> TrustStore:
        """Parse a trust file's content and verify its history chain (InputError naming the version that breaks it)."""
        if not isinstance(doc, dict):
            raise InputError(f"{source}: expected a mapping with trust_store_version and keys")
        unknown = sorted(set(doc) - _VERSION_FIELDS - {"history"})
        if unknown:
            raise InputError(f"{source}: unknown field {unknown[0]!r}")
        raw_history = doc.get("history", [])
        if not isinstance(raw_history, list):
            raise InputError(f"{source}: history: expected a list of earlier versions, oldest first")
        history: list[TrustStore] = []
        for i, raw in enumerate(raw_history):
            where = f"{source}: history[{i}]"
            if isinstance(raw, dict) and "history" in raw:
                raise InputError(f"{where}: unknown field 'history' (only the current version carries history)")
            version = _parse_version(raw, where, source)
            _check_link(history[-1] if history else None, version, where, i + 1)
            history.append(version)
        current = _parse_version(doc, source, source)
        _check_link(history[-1] if history else None, current, source, len(history) + 1)
        return replace(current, history=tuple(history))

    def bundle(self) -> dict[str, Any]:
        """This version's canonical bundle: what :meth:`hash` digests (never the history)."""
        obj: dict[str, Any] = {"trust_store_version": self.version}
        if self.previous_version_hash is not None:
            obj["previous_version_hash"] = self.previous_version_hash.hex()
        obj["keys"] = [k.to_obj() for k in self.keys]
        return obj

    def to_obj(self) -> dict[str, Any]:
        """The trust file's content: this version and, when there is one, its history."""
        obj = self.bundle()
        if self.history:
            obj["history"] = [v.bundle() for v in self.history]
        return obj

    def hash(self) -> bytes:
        """``trust_store_hash`` of the current version = ObjectDigest(:meth:`bundle`), CONTRACTS.md §2.

        A signer binds to this: the hash of the version in force when it signs.
        """
        return canonical.object_digest(self.bundle())

    def versions(self) -> tuple[TrustStore, ...]:
        """Every version, oldest first, the current one last (each without history)."""
        return (*self.history, replace(self, history=()))

    def version_with(self, store_hash: bytes, key_id: str) -> TrustStore | None:
        """The version whose hash is ``store_hash`` if it trusts ``key_id`` (what a certificate may pin)."""
        for v in self.versions():
            if v.hash() == store_hash and v.get(key_id) is not None:
                return v
        return None

    def next_version(self, keys: Iterable[TrustedKey]) -> TrustStore:
        """The version after this one holding ``keys``; InputError unless it only adds keys or facts."""
        new = TrustStore(
            _ordered(keys, self.source),
            self.source,
            self.version + 1,
            self.hash(),
            (*self.history, replace(self, history=())),
        )
        problem = _superset_problem(self, new)
        if problem:
            raise InputError(f"{self.source}: version {new.version} {problem}; a trust store only ever grows")
        return new

    def save(self, directory: Path) -> Path:
        """Write ``trust.yaml`` atomically (retiring a legacy ``trust.json``): the one format :meth:`load` reads."""
        import yaml

        from glyphserpack._internal.fsio import atomic_write

        path = directory / TRUST_FILE
        text = yaml.safe_dump(self.to_obj(), sort_keys=False, allow_unicode=True, width=110)
        atomic_write(path, (_leading_comments(path) + text).encode("utf-8"))
        for legacy in LEGACY_FILES:
            (directory / legacy).unlink(missing_ok=True)
        return path

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


def _leading_comments(path: Path) -> str:
    """The comment block atop an existing ``trust.yaml``, verbatim (``evidence init`` writes one).

    The store is rewritten from its model on every edit; without this, ``keys add`` would drop
    the header that tells a reader what the file is. Only the leading block is kept: comments
    inside the mapping have no model field to ride on.
    """
    from glyphserpack._internal.fsio import read_bounded

    if not path.is_file():
        return ""
    head: list[str] = []
    for line in read_bounded(path, DOCUMENT_LIMIT, what="trust store").decode("utf-8", "replace").splitlines(True):
        if not (line.startswith("#") or not line.strip()):
            break
        head.append(line)
    return "".join(head).lstrip("\n")


def _ordered(keys: Iterable[TrustedKey], source: str) -> tuple[TrustedKey, ...]:
    ordered = tuple(sorted(keys, key=lambda k: k.key_id))
    ids = [k.key_id for k in ordered]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(f"{source}: key_id {dupes[0]} listed more than once")
    return ordered


def _superset_problem(old: TrustStore, new: TrustStore) -> str | None:
    """Why ``new`` does not only add to ``old`` (None when it does)."""
    by_id = {k.key_id: k for k in new.keys}
    for key in old.keys:
        successor = by_id.get(key.key_id)
        if successor is None:
            return f"removes key {key.key_id} ({key.owner})"
        problem = key.extended_by(successor)
        if problem:
            return f"{problem} of key {key.key_id} ({key.owner})"
    return None


def _check_link(before: TrustStore | None, version: TrustStore, where: str, expected: int) -> None:
    """One step of the chain: numbering, hash link to ``before``, superset of ``before``."""
    if version.version != expected:
        raise InputError(
            f"{where}: trust_store_version: expected {expected} (versions count up from 1), got {version.version}"
        )
    if before is None:
        if version.previous_version_hash is not None:
            raise InputError(f"{where}: version 1 has no previous_version_hash")
        return
    if version.previous_version_hash != before.hash():
        raise InputError(
            f"{where}: version {version.version}'s previous_version_hash does not match version {before.version}, "
            f"which hashes to {before.hash().hex()}: version {before.version} was altered or the chain was spliced",
            remedy="restore the trust file from a trusted copy; history is append-only",
        )
    problem = _superset_problem(before, version)
    if problem:
        raise InputError(f"{where}: version {version.version} {problem}; a version may only add keys or facts")


def _parse_version(doc: object, where: str, source: str) -> TrustStore:
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a mapping with trust_store_version and keys")
    unknown = sorted(set(doc) - _VERSION_FIELDS - {"history"})
    if unknown:
        raise InputError(f"{where}: unknown field {unknown[0]!r}")
    number = doc.get("trust_store_version")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise InputError(f"{where}: trust_store_version: expected a version number from 1, got {number!r}")
    prev = doc.get("previous_version_hash")
    if prev is not None and (not isinstance(prev, str) or not _HEX64.match(prev)):
        raise InputError(f"{where}.previous_version_hash: expected 64 lower-case hex characters")
    raw_keys = doc.get("keys")
    if not isinstance(raw_keys, list):
        raise InputError(f"{where}: keys: expected a list")
    keys = _ordered((_parse_key(k, f"{where}: keys[{i}]") for i, k in enumerate(raw_keys)), where)
    return TrustStore(keys, source, number, bytes.fromhex(prev) if prev is not None else None)


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
    for name in ("not_before", "not_after", "revoked_at", "invalidity_date"):
        if name in raw and not is_utc_timestamp(raw[name]):
            raise InputError(f"{where}.{name}: expected YYYY-MM-DDTHH:MM:SSZ, got {raw[name]!r}")
    reason = raw.get("revocation_reason")
    if ("revoked_at" in raw) != (reason is not None):
        raise InputError(f"{where}: revoked_at and revocation_reason go together")
    if reason is not None and reason not in REVOCATION_REASONS:
        raise InputError(f"{where}.revocation_reason: expected one of {', '.join(REVOCATION_REASONS)}")
    invalid = raw.get("invalidity_date")
    if invalid is not None and reason != "keyCompromise":
        raise InputError(f"{where}.invalidity_date: only a keyCompromise revocation reaches back before revoked_at")
    if invalid is not None and invalid > raw["revoked_at"]:
        raise InputError(f"{where}.invalidity_date: {invalid} is after revoked_at {raw['revoked_at']}")
    return TrustedKey(
        key_id=kid,
        public_key=pub_bytes,
        owner=raw["owner"],
        purposes=tuple(sorted(set(purposes))),
        not_before=raw["not_before"],
        not_after=raw.get("not_after"),
        revoked_at=raw.get("revoked_at"),
        revocation_reason=reason,
        invalidity_date=invalid,
    )
