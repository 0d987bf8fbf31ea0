"""Typed log entries: what the registry records, as canonical CBOR leaves.

Every lifecycle event is its own entry, so the history of a certificate is the log and
its current state is *derived* (see :mod:`glyphserpack.log.lifecycle`). Hashes are stored
as 32 raw bytes (CONTRACTS.md) and shown as hex; times are UTC text taken from the entry
document or ``SOURCE_DATE_EPOCH``, never from the clock, so rebuilding a log is reproducible.
"""

from __future__ import annotations

import re
import time
from typing import Any

from glyphserpack import canonical
from glyphserpack._internal.fsio import source_date_epoch
from glyphserpack.errors import CanonicalError, InputError
from glyphserpack.log.tiles import MAX_ENTRY_SIZE
from glyphserpack.trust import REVOCATION_REASONS, is_utc_timestamp

__all__ = [
    "ENTRY_TYPES",
    "ENTRY_VERSION",
    "REASON_CODES",
    "decode_entry",
    "encode_entry",
    "entry_bytes",
    "entry_digest",
    "entry_to_json",
    "make_entry",
    "prepare_entry",
    "subject_hash_candidates",
    "subject_hashes",
]

ENTRY_VERSION = 1
#: RFC 5280 §5.3.1 CRLReason codes (7 is unused; removeFromCRL is not a revocation).
REASON_CODES: dict[str, int] = {
    "unspecified": 0,
    "keyCompromise": 1,
    "cACompromise": 2,
    "affiliationChanged": 3,
    "superseded": 4,
    "cessationOfOperation": 5,
    "certificateHold": 6,
    "privilegeWithdrawn": 9,
    "aACompromise": 10,
}
assert set(REASON_CODES) == set(REVOCATION_REASONS)

# type -> (required fields, optional fields); "*_hash" fields are 32-byte hashes.
ENTRY_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "certificate_issued": (("certificate_hash", "certificate_id"), ("subject", "not_after_utc", "sunset_utc")),
    "certificate_renewed": (
        ("certificate_hash", "certificate_id", "renews_hash"),
        ("subject", "not_after_utc", "sunset_utc"),
    ),
    "certificate_superseded": (("certificate_hash", "superseded_by_hash"), ()),
    "certificate_expired": (("certificate_hash",), ()),
    "certificate_revoked": (("certificate_hash", "reason"), ("reason_code",)),
    "pack_published": (("pack_hash",), ("pack_name", "certificate_hash")),
}
_COMMON = ("log_entry_version", "type", "time_utc")
_ALLOWED = {kind: frozenset((*req, *opt, *_COMMON)) for kind, (req, opt) in ENTRY_TYPES.items()}
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_TEXT_LIMIT = 1024


def _hash_field(value: object, where: str) -> bytes:
    if isinstance(value, bytes) and len(value) == 32:
        return value
    if isinstance(value, str) and _HEX64.match(value):
        return bytes.fromhex(value)
    raise InputError(f"{where}: expected a SHA-256 hash (64 hex characters)")


def _text_field(value: object, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > _TEXT_LIMIT:
        raise InputError(f"{where}: expected non-empty text of at most {_TEXT_LIMIT} characters")
    return value


def _utc_field(value: object, where: str) -> str:
    if not is_utc_timestamp(value):
        raise InputError(f"{where}: expected UTC time as YYYY-MM-DDTHH:MM:SSZ, got {value!r}")
    assert isinstance(value, str)
    return value


def _default_time(where: str) -> str:
    epoch = source_date_epoch()
    if epoch is None:
        raise InputError(
            f"{where}: no time_utc and SOURCE_DATE_EPOCH is not set",
            remedy="give the entry a time_utc field or set SOURCE_DATE_EPOCH; the log never reads the clock",
        )
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def make_entry(doc: object, *, where: str = "entry") -> dict[str, Any]:
    """Validate an entry document and return its normalised canonical form."""
    entry = _normalise(doc, where)
    entry_bytes(entry, where=where)
    return entry


def entry_bytes(entry: dict[str, Any], *, where: str = "entry") -> bytes:
    """Encode a normalised entry, refusing one too large for an entry bundle."""
    data = encode_entry(entry)
    if len(data) > MAX_ENTRY_SIZE:
        raise InputError(f"{where}: the encoded entry is {len(data)} bytes, more than {MAX_ENTRY_SIZE}")
    return data


def prepare_entry(doc: object, *, where: str = "entry") -> bytes:
    """Validate an entry document and return its leaf bytes (encoding it once)."""
    return entry_bytes(_normalise(doc, where), where=where)


def _normalise(doc: object, where: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a mapping with a 'type' field")
    kind = doc.get("type")
    if not isinstance(kind, str) or kind not in ENTRY_TYPES:
        raise InputError(f"{where}: type {kind!r} is not one of {', '.join(sorted(ENTRY_TYPES))}")
    required, optional = ENTRY_TYPES[kind]
    allowed = _ALLOWED[kind]
    unknown = sorted(str(k) for k in doc if k not in allowed)
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(unknown)} for a {kind} entry")
    missing = [f for f in required if f not in doc]
    if missing:
        raise InputError(f"{where}: a {kind} entry needs {', '.join(missing)}")
    version = doc.get("log_entry_version", ENTRY_VERSION)
    if version != ENTRY_VERSION or isinstance(version, bool):
        raise InputError(f"{where}.log_entry_version: expected {ENTRY_VERSION}, got {version!r}")
    out: dict[str, Any] = {"log_entry_version": ENTRY_VERSION, "type": kind}
    out["time_utc"] = _utc_field(doc["time_utc"], f"{where}.time_utc") if "time_utc" in doc else _default_time(where)
    for name in (*required, *optional):
        if name not in doc or name in ("reason", "reason_code"):
            continue
        field_where = f"{where}.{name}"
        if name.endswith("_hash"):
            out[name] = _hash_field(doc[name], field_where)
        elif name.endswith("_utc"):
            out[name] = _utc_field(doc[name], field_where)
        else:
            out[name] = _text_field(doc[name], field_where)
    if kind == "certificate_revoked":
        reason = doc["reason"]
        if reason not in REASON_CODES:
            raise InputError(f"{where}.reason: {reason!r} is not an RFC 5280 reason ({', '.join(REASON_CODES)})")
        code = doc.get("reason_code", REASON_CODES[reason])
        if code != REASON_CODES[reason] or isinstance(code, bool):
            raise InputError(f"{where}.reason_code: {code!r} does not match {reason} ({REASON_CODES[reason]})")
        out["reason"], out["reason_code"] = reason, code
    return out


def encode_entry(entry: dict[str, Any]) -> bytes:
    """The leaf data: canonical CBOR of the normalised entry."""
    return canonical.dumps_flat(entry)


def decode_entry(data: bytes, *, where: str) -> dict[str, Any]:
    """Decode and re-validate a leaf; a leaf that does not round-trip is refused.

    An audit decodes every leaf of the log, so a well-formed leaf takes the fast route
    (:func:`canonical.loads_flat`, accepted only when it re-encodes to exactly ``data``);
    anything else goes through the strict decoder, whose error names what is wrong.
    """
    fast = canonical.loads_flat(data)
    if fast is not None:
        try:
            entry = _normalise(fast, where)
            if encode_entry(entry) == data:
                return entry
        except (InputError, CanonicalError):
            pass
    try:
        obj = canonical.loads(data)
    except CanonicalError as exc:
        raise InputError(f"{where}: not canonical CBOR: {exc.message}") from None
    entry = _normalise(obj, where)
    if entry_bytes(entry, where=where) != data:
        raise InputError(f"{where}: entry is not in normalised form")
    return entry


def entry_digest(entry: dict[str, Any]) -> bytes:
    """ObjectDigest of the entry: the name ``log prove --entry`` accepts."""
    return canonical.object_digest(entry)


#: The fields naming what an entry is about: ``log prove --entry`` accepts their hashes too.
SUBJECT_FIELDS = ("certificate_hash", "pack_hash")
# How each appears in a leaf: the canonical CBOR text key, then a 32-byte byte-string head.
_SUBJECT_MARKS = tuple(canonical.dumps(k) + b"\x58\x20" for k in SUBJECT_FIELDS)


def subject_hashes(entry: dict[str, Any]) -> list[bytes]:
    """The certificate or pack hash(es) an entry is about (for lookups by artefact hash)."""
    return [entry[k] for k in SUBJECT_FIELDS if k in entry]


def subject_hash_candidates(leaf: bytes) -> list[bytes]:
    """A superset of :func:`subject_hashes` read off the leaf bytes without decoding them.

    Indexing ten million leaves cannot afford a full decode each. Every occurrence of a
    subject field's encoded key is taken, so the true hash is always among the candidates;
    a text field that happens to contain the same bytes adds a spurious one, which costs a
    lookup nothing because every index hit is decoded and compared before it is used.
    """
    out: list[bytes] = []
    for mark in _SUBJECT_MARKS:
        at = leaf.find(mark)
        while at >= 0:
            start = at + len(mark)
            if start + 32 <= len(leaf):
                out.append(leaf[start : start + 32])
            at = leaf.find(mark, at + 1)
    return out


def entry_to_json(entry: dict[str, Any]) -> dict[str, Any]:
    """JSON-friendly copy: hashes as lower-case hex."""
    return {k: (v.hex() if isinstance(v, bytes) else v) for k, v in sorted(entry.items())}
