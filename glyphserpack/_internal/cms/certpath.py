"""Certificate path building and checking at a chosen time (the token's genTime).

cryptography's ``x509.verification`` implements the CA/Browser-Forum web PKI profile: it
checks against the wall clock semantics of TLS, wants serverAuth/clientAuth and rejects
several long-lived time-stamping roots, so it cannot check a 2018 TSA chain "as of" 2018.
This module does what ``openssl ts -verify -attime genTime`` does instead: build a path
from the signer through the untrusted pool to a configured anchor, verify each signature
with ``verify_directly_issued_by``, and check validity, CA flags and the TSA's EKU at the
given time. Anchors come only from the caller's trust list, never from the token.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

__all__ = [
    "PathResult",
    "build_path",
    "cert_label",
    "check_tsa_eku",
    "forced",
    "load_der_certificate",
    "load_pem_bundle",
]

MAX_DEPTH = 8


_CERT_PROBLEMS = (Warning, x509.DuplicateExtension, x509.UnsupportedGeneralNameType, x509.InvalidVersion)


@contextlib.contextmanager
def _certificate_defects_as_value_errors() -> Iterator[None]:
    """cryptography reports some RFC 5280 violations only as warnings, and others as types that are not ValueError.

    Warnings (a non-positive serial, a country name of the wrong length) are raised again on
    every later access; the others escape the callers' ``except ValueError``. A hostile token
    must not become a warning storm or an unexpected exception deep in path building.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            yield
    except _CERT_PROBLEMS as exc:
        raise ValueError(f"malformed certificate: {exc}") from None
    except UnsupportedAlgorithm as exc:
        raise ValueError(f"certificate uses an unsupported algorithm: {exc}") from None


def forced(cert: x509.Certificate) -> x509.Certificate:
    """Parse every lazily decoded part now, so a malformed certificate fails here (ValueError)."""
    with _certificate_defects_as_value_errors():
        _ = (cert.serial_number, cert.extensions, cert.subject.rfc4514_string(), cert.issuer.rfc4514_string())
        _ = (cert.public_key(), cert.not_valid_before_utc, cert.not_valid_after_utc, cert.signature_hash_algorithm)
    return cert


def load_der_certificate(der: bytes) -> x509.Certificate:
    """Load and fully parse one DER certificate; every defect is a ValueError."""
    with _certificate_defects_as_value_errors():
        cert = x509.load_der_x509_certificate(der)
    return forced(cert)


def load_pem_bundle(data: bytes) -> list[x509.Certificate]:
    """All certificates in a PEM bundle (ValueError on garbage, empty list if none)."""
    if b"-----BEGIN" not in data:
        return [load_der_certificate(data)] if data else []
    with _certificate_defects_as_value_errors():
        certs = x509.load_pem_x509_certificates(data)
    return [forced(c) for c in certs]


def cert_label(cert: x509.Certificate) -> str:
    """Subject plus serial: short, and unique enough to tell people which certificate."""
    return f"{cert.subject.rfc4514_string()} (serial {cert.serial_number:x})"


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


@dataclass
class PathResult:
    """The path found (signer first, anchor last) and what is wrong with it, if anything."""

    path: list[x509.Certificate] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail): kind in path|time|ca

    @property
    def anchored(self) -> bool:
        return bool(self.path)


def _search(
    chain: list[x509.Certificate], anchors: Sequence[x509.Certificate], pool: Sequence[x509.Certificate]
) -> list[x509.Certificate] | None:
    cert = chain[-1]
    if any(_der(cert) == _der(a) for a in anchors):
        return chain
    if len(chain) > MAX_DEPTH:
        return None
    for anchor in anchors:
        if anchor.subject == cert.issuer and _issued_by(cert, anchor):
            return [*chain, anchor]
    seen = {_der(c) for c in chain}
    for cand in pool:
        if _der(cand) in seen or cand.subject != cert.issuer or not _issued_by(cert, cand):
            continue
        found = _search([*chain, cand], anchors, pool)
        if found:
            return found
    return None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    return bool(bc.ca)


def build_path(
    leaf: x509.Certificate,
    *,
    anchors: Sequence[x509.Certificate],
    untrusted: Sequence[x509.Certificate],
    at: dt.datetime,
) -> PathResult:
    """Find a path from ``leaf`` to one of ``anchors`` and check it at time ``at``."""
    result = PathResult()
    try:
        path = _search([leaf], anchors, untrusted)
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        result.problems.append(("path", f"certificate cannot be processed: {exc}"))
        return result
    if path is None:
        result.problems.append(
            (
                "path",
                f"no chain from {cert_label(leaf)} to any configured trust root"
                f" (issuer {leaf.issuer.rfc4514_string()})",
            )
        )
        return result
    result.path = path
    for cert in path:
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            result.problems.append(
                (
                    "time",
                    f"{cert_label(cert)} valid {cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} to "
                    f"{cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}, not at {at:%Y-%m-%dT%H:%M:%SZ}",
                )
            )
    for cert in path[1:-1]:  # intermediates must be CAs; anchors are trusted as configured
        if not _is_ca(cert):
            result.problems.append(("ca", f"{cert_label(cert)} issues certificates but is not a CA"))
    return result


def check_tsa_eku(cert: x509.Certificate) -> str | None:
    """RFC 3161 §2.3: the TSA certificate has exactly the timeStamping EKU, marked critical."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return f"{cert_label(cert)} has no extendedKeyUsage; a TSA certificate needs timeStamping"
    usages = list(ext.value)
    if ExtendedKeyUsageOID.TIME_STAMPING not in usages:
        return f"{cert_label(cert)} extendedKeyUsage lacks timeStamping"
    if len(usages) != 1:
        return f"{cert_label(cert)} extendedKeyUsage has purposes besides timeStamping"
    if not ext.critical:
        return f"{cert_label(cert)} extendedKeyUsage timeStamping is not marked critical"
    return None
