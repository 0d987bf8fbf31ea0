"""Long-term validation data for TSA certificates: collect CRLs and OCSP answers, judge them later.

A verifier in 2040 cannot ask a TSA's CA whether its certificate was revoked in 2026, so the
answer is fetched when stamping and kept with the token (``timestamps/link-NN/tsa-K-ltv.cbor``
in a pack; :class:`LtvData` for any other container, e.g. an RFC 4998 record's cryptoInfos).
Collection only fetches the URLs the certificates name (CRL Distribution Points, AIA OCSP),
with a timeout, a size cap, no redirects and at most a few URLs per certificate, and keeps
only answers that parse and are signed for the certificate's issuer; anything else becomes a
warning naming the certificate and the URL, and stamping goes on.

Verification (:func:`check_revocation`) uses only the stored bytes. For every certificate of
the token's path below the trust anchor it checks each CRL (issuer signature, thisUpdate/
nextUpdate against genTime) and each OCSP response (RFC 6960 §4.2.2.2 responder authorisation,
certID, freshness), then applies the revocation rule glyphserpack uses for its own keys
(``glyphserpack.trust``, RFC 5280 §5.3.1 and §5.3.2): a revocation counts from its
revocationDate, and for keyCompromise from its invalidityDate when that is earlier. A token
whose genTime is at or after that instant is invalid; one made before stays valid, whatever
the reason (the revocation does not reach back).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

from glyphserpack import canonical
from glyphserpack._internal.cms import CmsError
from glyphserpack._internal.cms.certpath import _issued_by, cert_label
from glyphserpack._internal.cms.parse import PARSE_ERRORS, parse_token_or_response
from glyphserpack._internal.cms.signature import find_signer_cert
from glyphserpack.errors import CanonicalError

__all__ = [
    "FORMAT",
    "MAX_FETCH_BYTES",
    "Collected",
    "LtvData",
    "check_revocation",
    "ltv_for_token",
    "ltv_member",
    "stored_ltv",
]

FORMAT = "glyphserpack-ltv/1"
MAX_FETCH_BYTES = 1024 * 1024  # one CRL or OCSP answer
MAX_URLS_PER_CERT = 4
MAX_ITEMS = 64  # per kind in one stored bundle
COMPROMISE = "keyCompromise"

Fetch = Callable[[str, bytes | None], bytes]


@dataclass(frozen=True)
class LtvData:
    """Revocation evidence for one token: DER CRLs, DER OCSPResponses, DER certificates (issuers, responders)."""

    crls: tuple[bytes, ...] = ()
    ocsp_responses: tuple[bytes, ...] = ()
    certificates: tuple[bytes, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.crls or self.ocsp_responses)

    def to_cbor(self) -> bytes:
        """The canonical CBOR stored in a pack; the same bytes for the same data."""
        return canonical.dumps(
            {
                "format": FORMAT,
                "crls": list(self.crls),
                "ocsp": list(self.ocsp_responses),
                "certificates": list(self.certificates),
            }
        )

    @classmethod
    def from_cbor(cls, raw: bytes) -> LtvData:
        """Read what :meth:`to_cbor` wrote; ValueError naming the field when it is not that."""
        try:
            doc = canonical.loads(raw)
        except CanonicalError as exc:
            raise ValueError(f"not canonical CBOR ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document")
        parts: list[tuple[bytes, ...]] = []
        for key in ("crls", "ocsp", "certificates"):
            items = doc.get(key)
            if not isinstance(items, list) or not all(isinstance(i, bytes) for i in items) or len(items) > MAX_ITEMS:
                raise ValueError(f"field {key!r}: expected a list of at most {MAX_ITEMS} byte strings")
            parts.append(tuple(items))
        return cls(parts[0], parts[1], parts[2])


def ltv_member(tst_member: str) -> str:
    """Where a pack keeps the LTV data of a token: ``.../tsa-1.tst`` -> ``.../tsa-1-ltv.cbor``."""
    return tst_member.removesuffix(".tst") + "-ltv.cbor"


def stored_ltv(members: Mapping[str, bytes], tst_member: str) -> tuple[LtvData | None, str | None]:
    """The LTV data a pack keeps for a token (None when absent), and why it is unreadable if so."""
    raw = members.get(ltv_member(tst_member))
    if raw is None:
        return None, None
    try:
        return LtvData.from_cbor(raw), None
    except ValueError as exc:
        return None, str(exc)


# --- small helpers ------------------------------------------------------------------------


def _utc(obj: object, name: str) -> dt.datetime | None:
    """cryptography 42 has naive ``this_update``; 43+ adds ``this_update_utc``."""
    value = getattr(obj, f"{name}_utc", None)
    if value is None:
        naive = getattr(obj, name, None)
        value = None if naive is None else naive.replace(tzinfo=dt.UTC)
    return value


def _t(when: dt.datetime | None) -> str:
    return "none" if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def _signature_ok(key: Any, signature: bytes, data: bytes, hash_alg: hashes.HashAlgorithm | None) -> bool:
    """RSA PKCS#1 v1.5, ECDSA and EdDSA, the algorithms CRLs and OCSP responses use in practice."""
    try:
        if isinstance(key, rsa.RSAPublicKey) and hash_alg is not None:
            key.verify(signature, data, padding.PKCS1v15(), hash_alg)
        elif isinstance(key, ec.EllipticCurvePublicKey) and hash_alg is not None:
            key.verify(signature, data, ec.ECDSA(hash_alg))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _urls(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """HTTP(S) CRL distribution points and OCSP responders the certificate names."""
    crls: list[str] = []
    ocsps: list[str] = []
    try:
        for dp in cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value:
            crls += [n.value for n in dp.full_name or () if isinstance(n, x509.UniformResourceIdentifier)]
    except (x509.ExtensionNotFound, ValueError):
        pass
    try:
        for ad in cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value:
            loc = ad.access_location
            if ad.access_method == AuthorityInformationAccessOID.OCSP and isinstance(
                loc, x509.UniformResourceIdentifier
            ):
                ocsps.append(loc.value)
    except (x509.ExtensionNotFound, ValueError):
        pass

    def http(urls: list[str]) -> list[str]:
        return [u for u in urls if u.startswith(("http://", "https://"))][:MAX_URLS_PER_CERT]

    return http(crls), http(ocsps)


def _cert_id(cert: x509.Certificate, issuer: x509.Certificate, alg: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    req = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, alg).build()
    return req.issuer_name_hash, req.issuer_key_hash


def _is_ocsp_signer(cert: x509.Certificate) -> bool:
    try:
        return ExtendedKeyUsageOID.OCSP_SIGNING in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return False


# --- judging one CRL / OCSP response ----------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """What one piece of evidence says about one certificate."""

    source: str
    revoked: bool
    time: dt.datetime | None = None
    reason: str = "unspecified"
    invalidity: dt.datetime | None = None
    fresh: bool = True


def _fresh(this: dt.datetime | None, nxt: dt.datetime | None, at: dt.datetime) -> bool:
    """Usable for ``at``: issued at or after it, or valid across it (thisUpdate <= at <= nextUpdate)."""
    if this is None:
        return False
    return this >= at or (nxt is not None and this <= at <= nxt)


def _crl_statement(
    crl: x509.CertificateRevocationList, n: int, cert: x509.Certificate, issuer: x509.Certificate, at: dt.datetime
) -> tuple[Statement | None, list[tuple[str, str]]]:
    source = f"CRL {n + 1} of {issuer.subject.rfc4514_string()}"
    this, nxt = _utc(crl, "last_update"), _utc(crl, "next_update")
    try:
        signed = crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError, UnsupportedAlgorithm):
        signed = False
    if not signed:
        return None, [("GSP-E242", f"{source} (thisUpdate {_t(this)}) is not signed by the issuer's key")]
    problems: list[tuple[str, str]] = []
    fresh = _fresh(this, nxt, at)
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is None:
        if not fresh:
            problems.append(
                (
                    "GSP-E243",
                    f"{source}: thisUpdate {_t(this)}, nextUpdate {_t(nxt)} say nothing about genTime {_t(at)}",
                )
            )
        return Statement(source, False, fresh=fresh), problems
    reason, invalidity = "unspecified", None
    for ext in entry.extensions:
        if isinstance(ext.value, x509.CRLReason):
            reason = ext.value.reason.value
        elif isinstance(ext.value, x509.InvalidityDate):
            invalidity = _utc(ext.value, "invalidity_date")
    return Statement(source, True, _utc(entry, "revocation_date"), reason, invalidity), problems


def _ocsp_signer(resp: ocsp.OCSPResponse, issuer: x509.Certificate) -> tuple[bool, str]:
    """RFC 6960 §4.2.2.2: signed by the issuer itself, or by a responder it certified for OCSPSigning."""
    data, sig, alg = resp.tbs_response_bytes, resp.signature, resp.signature_hash_algorithm
    if _signature_ok(issuer.public_key(), sig, data, alg):
        return True, "issuer"
    for responder in resp.certificates:
        if _signature_ok(responder.public_key(), sig, data, alg):
            if not _issued_by(responder, issuer):
                return False, f"responder {cert_label(responder)} is not certified by the issuer"
            if not _is_ocsp_signer(responder):
                return False, f"responder {cert_label(responder)} lacks the id-kp-OCSPSigning purpose"
            return True, cert_label(responder)
    return False, "signed by neither the issuer nor a responder it certified"


def _ocsp_statements(
    resp: ocsp.OCSPResponse, n: int, cert: x509.Certificate, issuer: x509.Certificate, at: dt.datetime
) -> tuple[list[Statement], list[tuple[str, str]], bool]:
    """Statements about ``cert`` in one response, problems, and whether any SingleResponse named it."""
    source = f"OCSP response {n + 1}"
    statements: list[Statement] = []
    problems: list[tuple[str, str]] = []
    matched = False
    for single in resp.responses:
        if single.serial_number != cert.serial_number:
            continue
        try:
            name_hash, key_hash = _cert_id(cert, issuer, single.hash_algorithm)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            problems.append(("GSP-E245", f"{source}: certID hash unusable ({exc})"))
            matched = True
            continue
        if (single.issuer_name_hash, single.issuer_key_hash) != (name_hash, key_hash):
            problems.append(
                (
                    "GSP-E244",
                    f"{source}: certID names serial {cert.serial_number:x} but another issuer than "
                    f"{issuer.subject.rfc4514_string()}",
                )
            )
            matched = True
            continue
        matched = True
        ok, who = _ocsp_signer(resp, issuer)
        if not ok:
            problems.append(("GSP-E242", f"{source} about {cert_label(cert)}: {who}"))
            continue
        this, nxt = _utc(single, "this_update"), _utc(single, "next_update")
        fresh = _fresh(this, nxt, at)
        status = single.certificate_status
        if status == ocsp.OCSPCertStatus.REVOKED:
            reason = "unspecified" if single.revocation_reason is None else single.revocation_reason.value
            statements.append(Statement(source, True, _utc(single, "revocation_time"), reason))
        elif status == ocsp.OCSPCertStatus.GOOD:
            if not fresh:
                problems.append(
                    (
                        "GSP-E243",
                        f"{source} about {cert_label(cert)}: thisUpdate {_t(this)}, nextUpdate {_t(nxt)}"
                        f" say nothing about genTime {_t(at)} (stale)",
                    )
                )
            statements.append(Statement(source, False, fresh=fresh))
        else:
            problems.append(("GSP-E241", f"{source}: the responder does not know {cert_label(cert)}"))
    return statements, problems, matched


def _invalid_from(st: Statement) -> dt.datetime | None:
    """Same rule as ``glyphserpack.trust.TrustKey.invalid_from``: only keyCompromise reaches back."""
    if st.time is None:
        return st.invalidity
    if st.reason == COMPROMISE and st.invalidity is not None:
        return min(st.invalidity, st.time)
    return st.time


def _parse_all(
    ltv: LtvData,
) -> tuple[list[x509.CertificateRevocationList], list[ocsp.OCSPResponse], list[tuple[str, str]]]:
    crls, resps, problems = [], [], []
    for n, der in enumerate(ltv.crls):
        try:
            crl = x509.load_der_x509_crl(der)
            _ = (crl.issuer.rfc4514_string(), list(crl), crl.extensions)
            crls.append(crl)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            problems.append(("GSP-E245", f"stored CRL {n + 1} is not a DER CRL ({exc})"))
    for n, der in enumerate(ltv.ocsp_responses):
        try:
            resp = ocsp.load_der_ocsp_response(der)
            if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
                problems.append(("GSP-E245", f"stored OCSP response {n + 1} has status {resp.response_status.name}"))
                continue
            _ = (list(resp.responses), resp.certificates, resp.tbs_response_bytes, resp.signature_hash_algorithm)
            resps.append(resp)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            problems.append(("GSP-E245", f"stored OCSP response {n + 1} is not a DER OCSPResponse ({exc})"))
    return crls, resps, problems


def check_revocation(path: Sequence[x509.Certificate], ltv: LtvData | None, at: dt.datetime) -> list[tuple[str, str]]:
    """``(code, detail)`` for the revocation status of every certificate of ``path`` (signer first) at ``at``.

    The last certificate is the trust anchor and is not checked. Empty when every certificate
    has fresh, correctly signed evidence that it was not revoked at ``at``.
    """
    ltv = ltv or LtvData()
    crls, resps, out = _parse_all(ltv)
    used = [False] * len(resps)
    for cert, issuer in itertools.pairwise(path):
        statements: list[Statement] = []
        for n, crl in enumerate(crls):
            if crl.issuer != issuer.subject:
                continue
            st, problems = _crl_statement(crl, n, cert, issuer, at)
            out += problems
            if st is not None:
                statements.append(st)
        for n, resp in enumerate(resps):
            sts, problems, matched = _ocsp_statements(resp, n, cert, issuer, at)
            used[n] = used[n] or matched
            statements += sts
            out += problems
        revoked = [s for s in statements if s.revoked]
        if revoked:
            first = min(revoked, key=lambda s: _invalid_from(s) or at)
            cutoff = _invalid_from(first)
            when = f"revoked {_t(first.time)} ({first.reason}"
            when += f", invalid since {_t(first.invalidity)})" if first.invalidity else ")"
            if cutoff is None or at >= cutoff:
                out.append(("GSP-E240", f"{cert_label(cert)} {when} per {first.source}: not valid at genTime {_t(at)}"))
            else:
                out.append(
                    (
                        "GSP-E246",
                        f"{cert_label(cert)} {when} per {first.source}, after genTime {_t(at)}:"
                        " the revocation does not reach back, the token stays valid",
                    )
                )
        elif not any(s.fresh for s in statements):
            crl_urls, ocsp_urls = _urls(cert)
            where = ", ".join(crl_urls + ocsp_urls) or "the certificate names no CRL or OCSP URL"
            out.append(("GSP-E241", f"no usable revocation data for {cert_label(cert)} at genTime {_t(at)} ({where})"))
    for n, was_used in enumerate(used):
        if not was_used:
            serials = ", ".join(f"{s.serial_number:x}" for s in resps[n].responses)
            out.append(("GSP-E244", f"OCSP response {n + 1} is about serial {serials}, no certificate of the path"))
    return out


# --- collection ---------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # only the URL the certificate names is fetched


def http_fetch(url: str, body: bytes | None, *, timeout: float = 5.0, max_bytes: int = MAX_FETCH_BYTES) -> bytes:
    """GET ``url`` (or POST an OCSP request); OSError/ValueError with the reason on any failure."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("only http:// and https:// are fetched")
    headers = {} if body is None else {"Content-Type": "application/ocsp-request"}
    request = urllib.request.Request(url, data=body, method="GET" if body is None else "POST", headers=headers)  # noqa: S310 - scheme checked above
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as resp:
            declared = resp.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise ValueError(f"reply of {declared} bytes exceeds the {max_bytes}-byte limit")
            data: bytes = resp.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ValueError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise OSError(f"unreachable or too slow ({getattr(exc, 'reason', exc)})") from None
    if len(data) > max_bytes:
        raise ValueError(f"reply exceeds the {max_bytes}-byte limit")
    return data


@dataclass
class Collected:
    """What stamping gathered for one token, and a warning per certificate/URL that gave nothing usable."""

    data: LtvData
    warnings: list[str] = field(default_factory=list)


def _issuer_of(cert: x509.Certificate, pool: Sequence[x509.Certificate]) -> x509.Certificate | None:
    for cand in pool:
        if cand.subject == cert.issuer and _der(cand) != _der(cert) and _issued_by(cert, cand):
            return cand
    return None


def _chain(signer: x509.Certificate, pool: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    chain = [signer]
    while len(chain) < 8 and chain[-1].subject != chain[-1].issuer:
        issuer = _issuer_of(chain[-1], pool)
        if issuer is None or any(_der(issuer) == _der(c) for c in chain):
            break
        chain.append(issuer)
    return chain


def ltv_for_token(
    token: bytes,
    *,
    certificates: Sequence[x509.Certificate] = (),
    at: dt.datetime | None = None,
    timeout: float = 5.0,
    max_bytes: int = MAX_FETCH_BYTES,
    fetch: Fetch | None = None,
) -> Collected:
    """Fetch revocation data for every certificate of the token's TSA chain (never raises for the network).

    ``certificates`` adds issuers the token does not embed (its chain file, the TSA trust
    roots); a certificate whose issuer is unknown cannot have its CRL/OCSP checked and is
    named in a warning. ``at`` is the token's genTime (default: read from the token).
    """

    def get(url: str, body: bytes | None) -> bytes:
        return http_fetch(url, body, timeout=timeout, max_bytes=max_bytes)

    fetcher = fetch or get
    try:
        parsed = parse_token_or_response(token)
        pool = [*parsed.embedded_certs, *certificates]
        signer = find_signer_cert(parsed.signer_infos[0], pool) if parsed.signer_infos else None
    except CmsError as exc:
        return Collected(LtvData(), [f"token unreadable, no revocation data collected ({exc})"])
    except PARSE_ERRORS as exc:
        return Collected(LtvData(), [f"token unreadable, no revocation data collected ({exc})"])
    if signer is None:
        return Collected(LtvData(), ["the token's signer certificate is not at hand; no revocation data collected"])
    when = at or parsed.gen_time or dt.datetime.now(dt.UTC)
    chain = _chain(signer, pool)
    crls: list[bytes] = []
    resps: list[bytes] = []
    certs: list[bytes] = [_der(c) for c in chain[1:]]
    warnings: list[str] = []
    for cert in chain:
        if cert.subject == cert.issuer:
            continue  # a root vouches for itself
        issuer = _issuer_of(cert, pool)
        crl_urls, ocsp_urls = _urls(cert)
        if issuer is None:
            warnings.append(
                f"{cert_label(cert)}: issuer certificate not at hand, its revocation data cannot be checked"
                " (pass the TSA trust roots)"
            )
            continue
        if not crl_urls and not ocsp_urls:
            warnings.append(f"{cert_label(cert)}: names no CRL distribution point or OCSP responder")
            continue
        for kind, urls in (("crl", crl_urls), ("ocsp", ocsp_urls)):
            for url in urls:
                der, problem = _fetch_checked(fetcher, url, kind, cert, issuer, when)
                if der is None:
                    warnings.append(f"{cert_label(cert)}: {kind.upper()} {url}: {problem}")
                elif kind == "crl":
                    crls.append(der)
                else:
                    resps.append(der)
                    certs += _responder_certs(der)
    data = LtvData(tuple(crls), tuple(resps), tuple(dict.fromkeys(certs)))
    for code, detail in check_revocation(chain, data, when) if len(chain) > 1 else ():
        if code == "GSP-E240":  # kept as evidence, but the token will not verify
            warnings.append(detail)
    return Collected(data, warnings)


def _fetch_checked(
    fetch: Fetch, url: str, kind: str, cert: x509.Certificate, issuer: x509.Certificate, at: dt.datetime
) -> tuple[bytes | None, str | None]:
    """Fetch one CRL (``kind`` "crl") or OCSP answer and keep it only if it passes the verifier's own checks."""
    body = None
    if kind == "ocsp":  # SHA-1 certID: RFC 6960's default, what OpenSSL and most responders expect
        sha1 = hashes.SHA1()  # noqa: S303 - names the certificate, protects nothing
        body = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, sha1).build().public_bytes(Encoding.DER)
    try:
        der = fetch(url, body)
    except (OSError, ValueError) as exc:
        return None, str(exc)
    single = LtvData(crls=(der,)) if kind == "crl" else LtvData(ocsp_responses=(der,))
    problems = [d for c, d in check_revocation([cert, issuer], single, at) if c not in ("GSP-E240", "GSP-E246")]
    if problems:
        return None, "; ".join(problems) + " (not kept)"
    return der, None


def _responder_certs(der: bytes) -> list[bytes]:
    with contextlib.suppress(ValueError):
        return [_der(c) for c in ocsp.load_der_ocsp_response(der).certificates]
    return []
