"""Our own RFC 3161 verifier: any token, from any TSA, checked the way ``openssl ts -verify`` does.

Why not rfc3161ng's ``check_timestamp``: it verifies RSA PKCS#1 v1.5 only, does no path
building and checks validity against the wall clock. Here every step runs and lands in the
report (numbered as in docs/timestamping.md), so one bad token yields every reason at once:

1. parse (TimeStampResp or bare token)      7. signed attributes (content type, digest)
2. PKIStatus granted                         8. CMS signature (RSA, RSA-PSS, ECDSA)
3. structure (TSTInfo, one SignerInfo)      9. ESS signingCertificate v1/v2 binding
4. message imprint equals data/digest       10. path to a configured root (never an embedded one)
5. nonce, when we made the request          11. EKU timeStamping (critical) on the TSA cert
6. signer certificate by its sid            12. validity of the whole path at genTime
                                            13. policy OID allow list (optional)
                                            14. revocation at genTime from stored LTV data
                                                (optional, ``ltv.py``)
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from glyphserpack._internal.cms import CmsError
from glyphserpack._internal.cms.certpath import (
    build_path,
    cert_label,
    check_tsa_eku,
    load_der_certificate,
    load_pem_bundle,
)
from glyphserpack._internal.cms.parse import (
    OID_TST_INFO,
    PARSE_ERRORS,
    ParsedToken,
    format_time,
    parse_token_or_response,
)
from glyphserpack._internal.cms.signature import (
    check_ess_binding,
    check_signed_attributes,
    find_signer_cert,
    signature_algorithm_name,
    verify_signature,
)
from glyphserpack._internal.fsio import read_bounded
from glyphserpack.errors import InputError, TimestampInvalid
from glyphserpack.findings import CATALOGUE, Finding, Report, finding
from glyphserpack.timestamp.ltv import LtvData, check_revocation

__all__ = ["IMPRINT_HASHES", "Check", "TimestampReport", "load_certificates", "verify_or_raise", "verify_timestamp"]

#: Imprint algorithms we accept (SHA-1 imprints are refused: collisions are practical).
IMPRINT_HASHES = ("sha256", "sha384", "sha512")
MAX_PEM_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Check:
    """One numbered verification step and its outcome."""

    name: str
    ok: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass
class TimestampReport(Report):
    """Everything a token says and every check made on it; deterministic for the same inputs."""

    where: str
    gen_time: str | None = None
    accuracy: str | None = None
    tsa_name: str | None = None
    serial: str | None = None
    policy: str | None = None
    nonce: str | None = None
    imprint_algorithm: str | None = None
    imprint: str | None = None
    signature_algorithm: str | None = None
    signer: str | None = None
    chain: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def _step(self, name: str, problem: str | None, code: str, ok_detail: str = "ok") -> bool:
        self.checks.append(Check(name, problem is None, ok_detail if problem is None else problem))
        if problem is not None:
            self.findings.append(finding(code, self.where, problem))
        return problem is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "valid": self.valid,
            "gen_time": self.gen_time,
            "accuracy": self.accuracy,
            "tsa_name": self.tsa_name,
            "serial": self.serial,
            "policy": self.policy,
            "nonce": self.nonce,
            "imprint_algorithm": self.imprint_algorithm,
            "imprint": self.imprint,
            "signature_algorithm": self.signature_algorithm,
            "signer": self.signer,
            "chain": list(self.chain),
            "checks": [c.to_dict() for c in self.checks],
            "findings": self.findings_dicts(),
        }

    def lines(self) -> list[str]:
        """Human-readable summary: verdict, what the token says, then each check."""
        out = [f"{self.where}: {'VALID' if self.valid else 'INVALID'}"]
        for label, value in (
            ("genTime", self.gen_time),
            ("accuracy", self.accuracy),
            ("TSA", self.tsa_name),
            ("serial", self.serial),
            ("policy", self.policy),
            ("imprint", f"{self.imprint_algorithm} {self.imprint}" if self.imprint else None),
            ("signature", self.signature_algorithm),
            ("signer", self.signer),
        ):
            if value is not None:
                out.append(f"  {label}: {value}")
        out.extend(f"  [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}" for c in self.checks)
        out.extend(f"  {f.line()}" for f in sorted(self.findings))
        return out


def load_certificates(path: Path, *, what: str = "certificate file") -> list[x509.Certificate]:
    """Load a PEM bundle (or one DER certificate) the user pointed us at."""
    raw = read_bounded(path, MAX_PEM_BYTES, what=what)
    try:
        certs = load_pem_bundle(raw)
    except ValueError as exc:
        raise InputError(f"{what} {path}: not a PEM or DER certificate ({exc})") from None
    if not certs:
        raise InputError(f"{what} {path}: contains no certificate")
    return certs


def _format_accuracy(acc: tuple[int, int, int] | None) -> str | None:
    if acc is None:
        return None
    seconds, millis, micros = acc
    return f"{seconds + millis / 1000 + micros / 1_000_000:g}s"


def verify_timestamp(
    token: bytes,
    *,
    data: bytes | None = None,
    digest: bytes | None = None,
    trust_roots: Sequence[x509.Certificate],
    untrusted: Sequence[x509.Certificate] = (),
    nonce: int | None = None,
    allowed_policies: Collection[str] | None = None,
    where: str = "token",
    revocation: LtvData | None = None,
    check_revocation_data: bool = False,
) -> TimestampReport:
    """Check ``token`` (TimeStampResp or TimeStampToken DER) against ``data`` or its ``digest``.

    With ``check_revocation_data`` the TSA path is also checked for revocation at genTime,
    using only ``revocation`` (stored LTV data; none is a warning naming what is missing).
    """
    report = TimestampReport(where=where)
    ltv = revocation if check_revocation_data else None
    try:
        _run(report, token, data, digest, trust_roots, untrusted, nonce, allowed_policies, ltv, check_revocation_data)
    except PARSE_ERRORS as exc:  # a lazily parsed field deep in the token was malformed
        report._step("parse", f"malformed DER inside the token: {exc}", "GSP-E200")
    return report


def _unsigned_fields_problem(parsed: ParsedToken) -> str | None:
    """RFC 5652 rules for the fields the signature does not cover, so tampering there shows too."""
    si = parsed.signer_infos[0]
    si_version = si["version"].native
    expected = "v1" if si["sid"].name == "issuer_and_serial_number" else "v3"
    if parsed.signed_data_version not in (1, 3, 4, 5):  # 1 is wrong for TSTInfo but common (GitHub)
        return f"SignedData version {parsed.signed_data_version} is not a CMS version"
    if si_version != expected:
        return f"SignerInfo version {si_version} does not match its {si['sid'].name} identifier"
    if si["digest_algorithm"]["parameters"].native is not None:
        return "SignerInfo digestAlgorithm parameters must be absent or NULL"
    return None


def _run(
    report: TimestampReport,
    token: bytes,
    data: bytes | None,
    digest: bytes | None,
    trust_roots: Sequence[x509.Certificate],
    untrusted: Sequence[x509.Certificate],
    nonce: int | None,
    allowed_policies: Collection[str] | None,
    ltv: LtvData | None = None,
    revocation: bool = False,
) -> None:
    # 1. parse
    try:
        parsed = parse_token_or_response(token)
    except CmsError as exc:
        report._step("parse", f"not a TimeStampResp or TimeStampToken: {exc}", "GSP-E200")
        return
    report._step("parse", None, "GSP-E200", f"{parsed.kind} parsed")
    # 2. status
    if not report._step(
        "status",
        None
        if parsed.granted
        else f"PKIStatus {parsed.status} {parsed.status_text} {','.join(parsed.fail_info)}".strip(),
        "GSP-E201",
        parsed.status,
    ):
        return
    assert parsed.gen_time is not None
    report.gen_time = format_time(parsed.gen_time)
    report.accuracy = _format_accuracy(parsed.accuracy)
    report.tsa_name = parsed.tsa_name
    report.serial = f"{parsed.serial:x}"
    report.policy = parsed.policy
    report.nonce = None if parsed.nonce is None else f"{parsed.nonce:x}"
    report.imprint_algorithm = parsed.imprint_alg
    report.imprint = parsed.imprint.hex()
    # 3. structure
    structure = None
    if parsed.econtent_type != OID_TST_INFO:
        structure = f"eContentType {parsed.econtent_type} is not id-ct-TSTInfo"
    elif len(parsed.signer_infos) != 1:
        structure = f"{len(parsed.signer_infos)} SignerInfos, RFC 3161 requires exactly one"
    elif parsed.imprint_alg not in IMPRINT_HASHES:
        structure = f"imprint algorithm {parsed.imprint_alg} not accepted (use one of {', '.join(IMPRINT_HASHES)})"
    else:
        structure = _unsigned_fields_problem(parsed)
    if not report._step("structure", structure, "GSP-E212", f"TSTInfo, SignedData v{parsed.signed_data_version}"):
        return
    si = parsed.signer_infos[0]
    report.signature_algorithm = signature_algorithm_name(si)
    # 4. imprint
    expected = digest
    if expected is None and data is not None:
        expected = hashlib.new(parsed.imprint_alg, data).digest()
    if expected is None:
        imprint_problem: str | None = "no data or digest given to compare the imprint with"
    elif expected != parsed.imprint:
        imprint_problem = f"{parsed.imprint_alg} imprint {parsed.imprint.hex()} differs from expected {expected.hex()}"
    else:
        imprint_problem = None
    report._step("message imprint", imprint_problem, "GSP-E202", f"{parsed.imprint_alg} matches")
    # 5. nonce
    if nonce is not None:
        nonce_problem = None if parsed.nonce == nonce else f"nonce {report.nonce} differs from requested {nonce:x}"
        report._step("nonce", nonce_problem, "GSP-E203", "matches the request")
    # 6. signer certificate
    pool = [*parsed.embedded_certs, *untrusted, *_ltv_certificates(ltv)]
    try:
        signer = find_signer_cert(si, pool)
    except PARSE_ERRORS as exc:
        report._step("signer certificate", f"SignerInfo sid unreadable: {exc}", "GSP-E212")
        return
    if not report._step(
        "signer certificate",
        None
        if signer
        else f"the certificate named by the SignerInfo is neither embedded ({len(parsed.embedded_certs)} certs)"
        " nor among --untrusted",
        "GSP-E207",
        cert_label(signer) if signer else "",
    ):
        return
    assert signer is not None
    report.signer = cert_label(signer)
    # 7. signed attributes, 8. signature, 9. ESS binding
    try:
        attrs = check_signed_attributes(si, econtent=parsed.tst_der, econtent_type=parsed.econtent_type)
        sig = verify_signature(si, signer, parsed.signed_attrs_der[0])
        ess_kind, ess = check_ess_binding(si, signer)
    except PARSE_ERRORS as exc:
        report._step("signer info", f"SignerInfo malformed: {exc}", "GSP-E200")
        return
    report._step("signed attributes", attrs, "GSP-E205", "content-type and message-digest match")
    report._step("signature", sig, "GSP-E204", f"{report.signature_algorithm} verifies")
    report._step(
        "ESS signing certificate", ess, "GSP-E206", f"signingCertificate{'V2' if ess_kind == 'v2' else ''} binds"
    )
    # 10.-12. path, EKU, validity at genTime
    result = build_path(signer, anchors=trust_roots, untrusted=pool, at=parsed.gen_time)
    report.chain = [cert_label(c) for c in result.path]
    path_problems = [d for k, d in result.problems if k in ("path", "ca")]
    report._step("path to trust root", "; ".join(path_problems) or None, "GSP-E208", f"{len(result.path)} certificates")
    report._step("EKU timeStamping", check_tsa_eku(signer), "GSP-E209", "critical, timeStamping only")
    if result.anchored:
        time_problems = [d for k, d in result.problems if k == "time"]
        report._step(
            "validity at genTime", "; ".join(time_problems) or None, "GSP-E210", f"all valid at {report.gen_time}"
        )
    # 13. policy
    if allowed_policies is not None:
        ok = parsed.policy in allowed_policies
        report._step("policy", None if ok else f"policy {parsed.policy} not in {sorted(allowed_policies)}", "GSP-E211")
    # 14. revocation at genTime, from the stored data only
    if revocation and result.anchored:
        problems = check_revocation(result.path, ltv, parsed.gen_time)
        errors = [d for c, d in problems if CATALOGUE[c][0] == "error"]
        report.checks.append(
            Check("revocation at genTime", not errors, "; ".join(errors) or f"{len(result.path) - 1} certificate(s)")
        )
        report.findings.extend(finding(code, report.where, detail) for code, detail in problems)


def _ltv_certificates(ltv: LtvData | None) -> list[x509.Certificate]:
    """Issuer and responder certificates kept with the LTV data help build the path, never anchor it."""
    out = []
    for der in ltv.certificates if ltv else ():
        try:
            out.append(load_der_certificate(der))
        except ValueError:
            continue  # the revocation check reports what it cannot use
    return out


def verify_or_raise(token: bytes, **kwargs: Any) -> TimestampReport:
    """Like :func:`verify_timestamp` but raises :class:`TimestampInvalid` listing every finding."""
    report = verify_timestamp(token, **kwargs)
    if not report.valid:
        raise TimestampInvalid(
            "; ".join(f.line() for f in sorted(report.findings)),
            remedy="check the data, the trust roots (--trust) and the TSA chain (--untrusted)",
        )
    return report
