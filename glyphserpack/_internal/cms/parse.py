"""Untrusted DER in, plain values out: TimeStampResp / TimeStampToken / TSTInfo / TimeStampReq.

asn1crypto parses lazily, so a malformed field can surface as almost any exception deep
inside a later attribute access. Everything here is forced eagerly inside one guard and
re-raised as :class:`CmsError`, so callers never see anything else from malformed input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from asn1crypto import cms, core, tsp
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from cryptography import x509

from glyphserpack._internal.cms import CmsError
from glyphserpack._internal.cms.certpath import load_der_certificate

__all__ = [
    "PARSE_ERRORS",
    "ParsedRequest",
    "ParsedToken",
    "TimeStampResp",
    "format_time",
    "parse_request",
    "parse_token_or_response",
]

#: Every exception asn1crypto / cryptography raise on bad input, in one place.
PARSE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    NotImplementedError,
    x509.InvalidVersion,  # cryptography's, for a damaged certificate version; not a ValueError
)

OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"


class TimeStampResp(core.Sequence):  # type: ignore[misc]  # asn1crypto ships no type hints
    """RFC 3161 TimeStampResp; asn1crypto's own marks the token mandatory, breaking rejections."""

    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


GRANTED = ("granted", "granted_with_mods")


def format_time(value: dt.datetime) -> str:
    """UTC text with a 'Z', keeping sub-second digits only when the token has them."""
    value = value.astimezone(dt.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


_SHORT = {
    "common_name": "CN",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "country_name": "C",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "email_address": "emailAddress",
    "serial_number": "serialNumber",
}


def _name_text(name: asn1_x509.Name) -> str:
    """RFC 4514 order (most specific first), short labels where there is one."""
    parts: list[str] = []
    for rdn in name.chosen:
        for atv in rdn:
            label = _SHORT.get(str(atv["type"].native), atv["type"].dotted)
            parts.append(f"{label}={atv['value'].native}")
    return ",".join(reversed(parts))


def _general_name_text(gn: asn1_x509.GeneralName) -> str:
    if gn.name == "directory_name":
        return _name_text(gn.chosen)
    return f"{gn.name}:{gn.native}"


@dataclass(frozen=True)
class ParsedToken:
    """What a reply or token says, before anything about it has been checked."""

    kind: str  # "response" or "token"
    status: str  # PKIStatus name; "granted" for a bare token
    status_text: str
    fail_info: tuple[str, ...]
    token_der: bytes | None
    tst_der: bytes
    econtent_type: str
    gen_time: dt.datetime | None
    serial: int | None
    policy: str
    imprint_alg: str
    imprint: bytes
    nonce: int | None
    accuracy: tuple[int, int, int] | None  # seconds, millis, micros
    ordering: bool
    tsa_name: str | None
    embedded_certs: tuple[x509.Certificate, ...]
    signer_infos: tuple[cms.SignerInfo, ...]
    signed_attrs_der: tuple[bytes, ...]  # each SignerInfo's [0] signedAttrs exactly as received
    signed_data_version: int

    @property
    def granted(self) -> bool:
        return self.status in GRANTED


def _empty_rejection(status: str, text: str, fail: tuple[str, ...]) -> ParsedToken:
    return ParsedToken(
        kind="response",
        status=status,
        status_text=text,
        fail_info=fail,
        token_der=None,
        tst_der=b"",
        econtent_type="",
        gen_time=None,
        serial=None,
        policy="",
        imprint_alg="",
        imprint=b"",
        nonce=None,
        accuracy=None,
        ordering=False,
        tsa_name=None,
        embedded_certs=(),
        signer_infos=(),
        signed_attrs_der=(),
        signed_data_version=0,
    )


def _parse_token(token_der: bytes, kind: str, status: str, text: str) -> ParsedToken:
    # Raw byte slices are taken before any ``.native`` access: asn1crypto may re-encode a
    # value once it has been converted, and signatures must be checked over the bytes received.
    content_info = cms.ContentInfo.load(token_der, strict=True)
    if content_info["content_type"].dotted != "1.2.840.113549.1.7.2":
        raise CmsError(f"token content type is {content_info['content_type'].dotted}, expected signedData")
    sd: cms.SignedData = content_info["content"]
    eci = sd["encap_content_info"]
    econtent_type = eci["content_type"].dotted
    if isinstance(eci["content"], core.Void):
        raise CmsError("token has no encapsulated TSTInfo")
    # asn1crypto types eContent as Any or ParsableOctetString depending on the SignedData
    # version (GitHub's TSA writes version 1), so unwrap the [0] EXPLICIT OCTET STRING by hand.
    raw = eci["content"].dump()
    if raw[:1] != b"\x04":
        raw = asn1_parser.parse(raw, strict=True)[4]
    tst_der = bytes(core.OctetString.load(raw, strict=True).native)
    tst = tsp.TSTInfo.load(tst_der, strict=True)
    tst.native  # noqa: B018 - forces the lazy parse so errors surface here
    imprint = tst["message_imprint"]
    accuracy = None
    if tst["accuracy"].native is not None:
        acc = tst["accuracy"]
        accuracy = (
            int(acc["seconds"].native or 0),
            int(acc["millis"].native or 0),
            int(acc["micros"].native or 0),
        )
    tsa = tst["tsa"]
    tsa_name = None if tsa.native is None else _general_name_text(tsa)
    signer_infos = tuple(sd["signer_infos"])
    signed_attrs_der = tuple(bytes(si["signed_attrs"].dump()) for si in signer_infos)
    for si in signer_infos:  # now (raw bytes taken) force the whole SignerInfo to parse
        si.native  # noqa: B018
    certs: list[x509.Certificate] = []
    if not isinstance(sd["certificates"], core.Void):
        for choice in sd["certificates"]:
            if choice.name == "certificate":
                try:
                    certs.append(load_der_certificate(choice.chosen.dump()))
                except ValueError as exc:
                    raise CmsError(f"embedded certificate: {exc}") from None
    return ParsedToken(
        kind=kind,
        status=status,
        status_text=text,
        fail_info=(),
        token_der=token_der,
        tst_der=tst_der,
        econtent_type=econtent_type,
        gen_time=tst["gen_time"].native,
        serial=int(tst["serial_number"].native),
        policy=tst["policy"].dotted,
        imprint_alg=str(imprint["hash_algorithm"]["algorithm"].native),
        imprint=bytes(imprint["hashed_message"].native),
        nonce=None if tst["nonce"].native is None else int(tst["nonce"].native),
        accuracy=accuracy,
        ordering=bool(tst["ordering"].native),
        tsa_name=tsa_name,
        embedded_certs=tuple(certs),
        signer_infos=signer_infos,
        signed_attrs_der=signed_attrs_der,
        signed_data_version=int(sd["version"].native[1:]) if sd["version"].native else 0,
    )


def parse_token_or_response(der: bytes) -> ParsedToken:
    """Parse a DER TimeStampResp or a bare TimeStampToken, telling which by its first field."""
    try:
        contents = core.Sequence.load(der, strict=True).contents or b""
        if not contents:
            raise CmsError("empty SEQUENCE, neither a TimeStampResp nor a token")
        if contents[0] == 0x06:  # starts with an OBJECT IDENTIFIER: a ContentInfo, i.e. a bare token
            return _parse_token(der, "token", "granted", "")
        resp = TimeStampResp.load(der, strict=True)
        token_raw = None if isinstance(resp["time_stamp_token"], core.Void) else bytes(resp["time_stamp_token"].dump())
        status_info = resp["status"]
        status = str(status_info["status"].native)
        texts = status_info["status_string"].native or []
        text = "; ".join(str(t) for t in texts)
        fail = tuple(sorted(str(f) for f in (status_info["fail_info"].native or ())))
        if status not in GRANTED:
            return _empty_rejection(status, text, fail)
        if token_raw is None:  # RFC 3161 §2.4.2: granted replies MUST carry the token
            raise CmsError(f"PKIStatus {status} but the reply carries no timeStampToken")
        return _parse_token(token_raw, "response", status, text)
    except CmsError:
        raise
    except PARSE_ERRORS as exc:
        raise CmsError(f"malformed DER: {exc}") from None


@dataclass(frozen=True)
class ParsedRequest:
    """A TimeStampReq as the embedded TSA sees it."""

    hash_alg: str
    imprint: bytes
    nonce: int | None
    cert_req: bool
    policy: str | None
    has_extensions: bool


def parse_request(der: bytes) -> ParsedRequest:
    """Parse a DER TimeStampReq (the body of an ``application/timestamp-query`` POST)."""
    try:
        req = tsp.TimeStampReq.load(der, strict=True)
        req.native  # noqa: B018
        if req["version"].native != "v1":
            raise CmsError(f"TimeStampReq version {req['version'].native}, expected v1")
        mi = req["message_imprint"]
        return ParsedRequest(
            hash_alg=str(mi["hash_algorithm"]["algorithm"].native),
            imprint=bytes(mi["hashed_message"].native),
            nonce=None if req["nonce"].native is None else int(req["nonce"].native),
            cert_req=bool(req["cert_req"].native),
            policy=None if req["req_policy"].native is None else req["req_policy"].dotted,
            has_extensions=req["extensions"].native is not None,
        )
    except CmsError:
        raise
    except PARSE_ERRORS as exc:
        raise CmsError(f"malformed TimeStampReq: {exc}") from None
