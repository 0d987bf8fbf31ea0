"""Revocation for the embedded TSA's CA: its revocation list, CRLs (RFC 5280) and OCSP (RFC 6960).

The root CA of ``tsa init`` issues one certificate, the TSA's. ``tsa revoke`` records a
revocation in ``DIR/revocations.json`` (written atomically); every CRL and OCSP answer is
built from that file when asked, so a revocation shows in the next CRL without restarting
``tsa serve``. Both are signed by the root key itself (RFC 6960 §4.2.2.2: the CA may sign
its own OCSP responses), so the server needs ``root-key.pem`` to answer them; a state
directory without it still stamps, and /crl and /ocsp answer 503.

CRL numbers are the thisUpdate time in seconds since the epoch: monotonic without a counter.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from glyphserpack._internal.fsio import read_bounded
from glyphserpack._internal.jsonout import write_json
from glyphserpack.errors import InputError, KeyMaterialError, UsageError
from glyphserpack.timestamp.ca import PrivateKey, TsaMaterial
from glyphserpack.trust import REVOCATION_REASONS

__all__ = [
    "CRL_VALIDITY",
    "OCSP_VALIDITY",
    "REVOCATIONS",
    "Revocation",
    "build_crl",
    "load_revocations",
    "ocsp_response",
    "reason_flag",
    "revoke",
]

REVOCATIONS = "revocations.json"
CRL_VALIDITY = dt.timedelta(days=1)
OCSP_VALIDITY = dt.timedelta(hours=12)
MAX_STATE = 4 * 1024 * 1024
_DER = Encoding.DER


def reason_flag(name: str) -> x509.ReasonFlags:
    """The cryptography flag for an RFC 5280 CRLReason name (``keyCompromise`` -> key_compromise)."""
    if name not in REVOCATION_REASONS:
        raise UsageError(f"--reason {name!r}: expected one of {', '.join(REVOCATION_REASONS)}")
    return x509.ReasonFlags(name)  # the enum values are the RFC 5280 names


@dataclass(frozen=True)
class Revocation:
    """One revoked serial: when (revocationDate), why, and optionally since when the key was unsafe."""

    serial: int
    time: dt.datetime
    reason: str
    invalidity: dt.datetime | None = None

    def to_json(self) -> dict[str, str]:
        out = {"serial": f"{self.serial:x}", "time": _text(self.time), "reason": self.reason}
        if self.invalidity is not None:
            out["invalidity_date"] = _text(self.invalidity)
        return out


def _text(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(value: object, where: str) -> dt.datetime:
    if not isinstance(value, str):
        raise InputError(f"{where}: expected a UTC time such as 2026-11-01T00:00:00Z")
    try:
        when = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise InputError(f"{where}: {value!r} is not a UTC time such as 2026-11-01T00:00:00Z") from None
    return when.replace(tzinfo=dt.UTC)


def load_revocations(directory: Path) -> list[Revocation]:
    """Every revocation recorded in ``DIR/revocations.json`` (none when the file is absent)."""
    path = directory / REVOCATIONS
    if not path.exists():
        return []
    try:
        doc = json.loads(read_bounded(path, MAX_STATE, what="revocation list"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("revoked"), list):
        raise InputError(f"{path}: expected an object with a 'revoked' list")
    out = []
    for n, entry in enumerate(doc["revoked"]):
        where = f"{path}: revoked[{n}]"
        if not isinstance(entry, dict) or entry.get("reason") not in REVOCATION_REASONS:
            raise InputError(f"{where}: needs serial, time and a reason from {', '.join(REVOCATION_REASONS)}")
        try:
            serial = int(str(entry.get("serial")), 16)
        except ValueError:
            raise InputError(f"{where}.serial: expected hexadecimal") from None
        inv = entry.get("invalidity_date")
        out.append(
            Revocation(
                serial,
                _parse(entry.get("time"), f"{where}.time"),
                str(entry["reason"]),
                None if inv is None else _parse(inv, f"{where}.invalidity_date"),
            )
        )
    return out


def revoke(
    directory: Path,
    serial: int,
    *,
    reason: str,
    time: dt.datetime,
    invalidity: dt.datetime | None = None,
) -> Revocation:
    """Record that ``serial`` is revoked; refuse a second revocation of the same serial."""
    reason_flag(reason)  # validates the name
    if reason == "certificateHold":
        raise UsageError("--reason certificateHold: holds are not supported; revoke for good with another reason")
    if invalidity is not None and reason != "keyCompromise":
        raise UsageError("--invalidity-date goes with --reason keyCompromise only")
    existing = load_revocations(directory)
    if any(r.serial == serial for r in existing):
        raise UsageError(f"serial {serial:x} is already revoked in {directory / REVOCATIONS}")
    entry = Revocation(serial, time.astimezone(dt.UTC).replace(microsecond=0), reason, invalidity)
    entries = sorted([*existing, entry], key=lambda r: r.serial)
    doc = {"revoked": [r.to_json() for r in entries]}
    write_json(directory / REVOCATIONS, doc)
    return entry


def _root_key(material: TsaMaterial) -> PrivateKey:
    if material.root_key is None:
        raise KeyMaterialError(
            f"{material.directory}: root-key.pem is not here; CRLs and OCSP answers need the CA key",
            remedy="serve from the directory `tsa init` made, or bring the root key back",
        )
    return material.root_key


def _hash(material: TsaMaterial) -> hashes.SHA256 | hashes.SHA384:
    """The root's own signature hash (``tsa init`` uses SHA-384 for P-384, SHA-256 otherwise)."""
    return hashes.SHA384() if isinstance(material.root.signature_hash_algorithm, hashes.SHA384) else hashes.SHA256()


def build_crl(material: TsaMaterial, *, now: dt.datetime) -> bytes:
    """A DER CRL of the root, listing every recorded revocation, valid ``CRL_VALIDITY`` from ``now``."""
    key = _root_key(material)
    now = now.astimezone(dt.UTC).replace(microsecond=0)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(material.root.subject)
        .last_update(now)
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(material.root.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    for rev in load_revocations(material.directory):
        entry = x509.RevokedCertificateBuilder().serial_number(rev.serial).revocation_date(rev.time)
        if rev.reason != "unspecified":  # RFC 5280 §5.3.1: unspecified SHOULD be absent
            entry = entry.add_extension(x509.CRLReason(reason_flag(rev.reason)), critical=False)
        if rev.invalidity is not None:
            entry = entry.add_extension(x509.InvalidityDate(rev.invalidity.replace(tzinfo=None)), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(key, _hash(material)).public_bytes(_DER)


def _unauthorized() -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(_DER)


def ocsp_response(material: TsaMaterial, request_der: bytes, *, now: dt.datetime) -> bytes:
    """Answer one DER OCSPRequest about a certificate of the root (RFC 6960), signed by the root key."""
    try:
        req = ocsp.load_der_ocsp_request(request_der)
        serial, key_hash, name_hash, alg = (
            req.serial_number,
            req.issuer_key_hash,
            req.issuer_name_hash,
            req.hash_algorithm,
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(_DER)
    probe = ocsp.OCSPRequestBuilder().add_certificate(material.cert, material.root, alg).build()
    if (probe.issuer_key_hash, probe.issuer_name_hash) != (key_hash, name_hash):
        return _unauthorized()  # RFC 6960 §2.3: not a certificate of this CA
    key = _root_key(material)
    now = now.astimezone(dt.UTC).replace(microsecond=0)
    revoked = {r.serial: r for r in load_revocations(material.directory)}
    rev = revoked.get(serial)
    reason: x509.ReasonFlags | None
    if rev is not None:
        status, rev_time = ocsp.OCSPCertStatus.REVOKED, rev.time
        reason = None if rev.reason == "unspecified" else reason_flag(rev.reason)
    elif serial == material.cert.serial_number:
        status, rev_time, reason = ocsp.OCSPCertStatus.GOOD, None, None
    else:
        status, rev_time, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=name_hash,
        issuer_key_hash=key_hash,
        serial_number=serial,
        algorithm=alg,
        cert_status=status,
        this_update=now,
        next_update=now + OCSP_VALIDITY,
        revocation_time=rev_time,
        revocation_reason=reason,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, material.root)
    nonce = _nonce(req)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.sign(key, _hash(material)).public_bytes(_DER)


def _nonce(req: ocsp.OCSPRequest) -> bytes | None:
    try:
        return req.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except (x509.ExtensionNotFound, ValueError):
        return None
