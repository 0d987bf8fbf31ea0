"""CMS SignerInfo checks: signed attributes, the signature itself, the ESS certificate binding.

rfc3161ng's own check only knows RSA PKCS#1 v1.5, so the signature is verified here with
cryptography for RSA PKCS#1 v1.5, RSA-PSS and ECDSA (any named curve it supports).
Every function returns ``None`` when the check passes or a reason text when it does not.
"""

from __future__ import annotations

import hashlib

from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from glyphserpack._internal.cms.parse import PARSE_ERRORS

__all__ = [
    "HASHES",
    "check_ess_binding",
    "check_signed_attributes",
    "find_signer_cert",
    "signature_algorithm_name",
    "verify_signature",
]

#: hash name (asn1crypto spelling) -> cryptography hash class; SHA-1 only for ESS v1 binding.
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _digest(name: str, data: bytes) -> bytes:
    return hashlib.new(name, data).digest()


def _attr(si: cms.SignerInfo, name: str) -> list[object] | None:
    attrs = si["signed_attrs"]
    if isinstance(attrs, core.Void):
        return None
    for attr in attrs:
        if attr["type"].native == name:
            return list(attr["values"])
    return None


def find_signer_cert(si: cms.SignerInfo, certs: list[x509.Certificate]) -> x509.Certificate | None:
    """The certificate named by the SignerInfo's sid (issuerAndSerialNumber or subjectKeyIdentifier)."""
    sid = si["sid"]
    if sid.name == "issuer_and_serial_number":
        issuer_der = sid.chosen["issuer"].dump()
        serial = int(sid.chosen["serial_number"].native)
        for cert in certs:
            if cert.serial_number == serial and cert.issuer.public_bytes() == issuer_der:
                return cert
        # Issuer names are sometimes re-encoded (PrintableString vs UTF8String): asn1crypto
        # compares names the RFC 5280 way (case- and space-folded).
        wanted = sid.chosen["issuer"]
        for cert in certs:
            if cert.serial_number == serial and asn1_x509.Name.load(cert.issuer.public_bytes()) == wanted:
                return cert
        return None
    ski = bytes(sid.chosen.native)
    for cert in certs:
        try:
            ext = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        except x509.ExtensionNotFound:
            continue
        if ext.value.digest == ski:
            return cert
    return None


def check_signed_attributes(si: cms.SignerInfo, *, econtent: bytes, econtent_type: str) -> str | None:
    """Content-type attribute equals eContentType; message-digest equals the hash of eContent."""
    if isinstance(si["signed_attrs"], core.Void):
        return "SignerInfo has no signed attributes (RFC 3161 requires them)"
    ctype = _attr(si, "content_type")
    if not ctype or len(ctype) != 1:
        return "content-type signed attribute missing or not single-valued"
    if ctype[0].dotted != econtent_type:  # type: ignore[attr-defined]
        return f"content-type attribute {ctype[0].dotted} differs from eContentType {econtent_type}"  # type: ignore[attr-defined]
    md = _attr(si, "message_digest")
    if not md or len(md) != 1:
        return "message-digest signed attribute missing or not single-valued"
    alg = str(si["digest_algorithm"]["algorithm"].native)
    if alg not in HASHES:
        return f"unsupported SignerInfo digest algorithm {alg}"
    if bytes(md[0].native) != _digest(alg, econtent):  # type: ignore[attr-defined]
        return f"message-digest attribute does not equal {alg} of the TSTInfo"
    return None


def signature_algorithm_name(si: cms.SignerInfo) -> str:
    """A stable label such as ``sha256/ecdsa`` or ``sha512/rsassa_pkcs1v15`` for reports."""
    algo = si["signature_algorithm"]
    try:
        hash_name = str(algo.hash_algo)
    except PARSE_ERRORS:
        hash_name = str(si["digest_algorithm"]["algorithm"].native)
    return f"{hash_name}/{algo.signature_algo}"


def verify_signature(si: cms.SignerInfo, cert: x509.Certificate, signed_attrs_der: bytes) -> str | None:
    """Verify the SignerInfo signature over its signed attributes (``[0]`` bytes as received)."""
    # The signature covers the attributes re-tagged as a universal SET (RFC 5652 §5.4),
    # using the bytes as received: never re-encode, or non-DER signers stop verifying.
    signed = bytearray(signed_attrs_der)
    signed[0] = 0x31
    signature = bytes(si["signature"].native)
    algo = si["signature_algorithm"]
    kind = algo.signature_algo
    label = signature_algorithm_name(si)
    hash_name = label.split("/")[0]
    if hash_name not in HASHES or hash_name == "sha1":
        return f"unsupported or retired signature hash {hash_name}"
    hash_alg = HASHES[hash_name]()
    key = cert.public_key()
    try:
        if kind == "rsassa_pkcs1v15":
            if not isinstance(key, rsa.RSAPublicKey):
                return "signature algorithm is RSA but the signer key is not"
            key.verify(signature, bytes(signed), padding.PKCS1v15(), hash_alg)
        elif kind == "rsassa_pss":
            if not isinstance(key, rsa.RSAPublicKey):
                return "signature algorithm is RSA-PSS but the signer key is not RSA"
            params = algo["parameters"]
            pss_hash = HASHES[str(params["hash_algorithm"]["algorithm"].native)]()
            mgf_hash = HASHES[str(params["mask_gen_algorithm"]["parameters"]["algorithm"].native)]()
            salt = int(params["salt_length"].native)
            key.verify(signature, bytes(signed), padding.PSS(padding.MGF1(mgf_hash), salt), pss_hash)
        elif kind == "ecdsa":
            if not isinstance(key, ec.EllipticCurvePublicKey):
                return "signature algorithm is ECDSA but the signer key is not EC"
            key.verify(signature, bytes(signed), ec.ECDSA(hash_alg))
        else:
            return f"unsupported signature algorithm {kind}"
    except InvalidSignature:
        return f"{label} signature does not verify with the signer certificate's key"
    except UnsupportedAlgorithm as exc:
        return f"{label} signature cannot be checked: {exc}"
    except PARSE_ERRORS as exc:
        return f"{label} signature cannot be checked: {exc}"
    return None


def check_ess_binding(si: cms.SignerInfo, cert: x509.Certificate) -> tuple[str, str | None]:
    """ESS signingCertificate (v1, SHA-1) or signingCertificateV2 must name the signer cert.

    Returns the attribute found (``v1``/``v2``/``none``) and a reason when it does not bind.
    """
    der = cert.public_bytes(Encoding.DER)
    v2 = _attr(si, "signing_certificate_v2")
    v1 = _attr(si, "signing_certificate")
    if v2:
        first = v2[0]["certs"][0]  # type: ignore[index]
        alg = str(first["hash_algorithm"]["algorithm"].native)
        if alg not in HASHES:
            return "v2", f"ESSCertIDv2 uses unsupported hash {alg}"
        if bytes(first["cert_hash"].native) != _digest(alg, der):
            return "v2", "ESSCertIDv2 hash does not match the signer certificate"
        return "v2", _issuer_serial_ok(first, cert)
    if v1:
        first = v1[0]["certs"][0]  # type: ignore[index]
        if bytes(first["cert_hash"].native) != _digest("sha1", der):
            return "v1", "ESSCertID (SHA-1) hash does not match the signer certificate"
        return "v1", _issuer_serial_ok(first, cert)
    return "none", "neither signingCertificate nor signingCertificateV2 is among the signed attributes"


def _issuer_serial_ok(ess_id: object, cert: x509.Certificate) -> str | None:
    issuer_serial = ess_id["issuer_serial"]  # type: ignore[index]
    if isinstance(issuer_serial, core.Void):
        return None
    if int(issuer_serial["serial_number"].native) != cert.serial_number:
        return "ESS issuerSerial names a different serial number than the signer certificate"
    return None
