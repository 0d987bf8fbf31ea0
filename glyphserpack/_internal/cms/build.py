"""Building RFC 3161 replies for the embedded TSA (TSTInfo, SignedData, TimeStampResp).

The token is shaped like the ones OpenSSL and the public TSAs issue: SignedData v3 with
eContentType id-ct-TSTInfo, one SignerInfo found by issuerAndSerialNumber, signed
attributes content-type, signing-time, message-digest and signingCertificateV2
(ESSCertIDv2, SHA-256, with issuerSerial), signed with RSA PKCS#1 v1.5 or ECDSA.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from glyphserpack._internal.cms.parse import TimeStampResp

__all__ = ["TokenSpec", "build_rejection", "build_response", "build_token", "signer_hash_for"]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class TokenSpec:
    """Everything that goes into one TSTInfo."""

    imprint_alg: str
    imprint: bytes
    serial: int
    gen_time: dt.datetime
    policy: str
    nonce: int | None = None
    accuracy_seconds: int = 1
    accuracy_millis: int = 0
    tsa_name: bool = True


def signer_hash_for(key: PrivateKey) -> str:
    """Match the hash to the key strength: SHA-384 for P-384 and up, SHA-256 otherwise."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return "sha384"
    return "sha256"


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _tst_info(spec: TokenSpec, tsa_cert: asn1_x509.Certificate) -> tsp.TSTInfo:
    accuracy: dict[str, int] = {}
    if spec.accuracy_seconds:
        accuracy["seconds"] = spec.accuracy_seconds
    if spec.accuracy_millis:
        accuracy["millis"] = spec.accuracy_millis
    value: dict[str, object] = {
        "version": "v1",
        "policy": spec.policy,
        "message_imprint": {
            "hash_algorithm": {"algorithm": spec.imprint_alg},
            "hashed_message": spec.imprint,
        },
        "serial_number": spec.serial,
        "gen_time": spec.gen_time.astimezone(dt.UTC),
    }
    if accuracy:
        value["accuracy"] = accuracy
    if spec.nonce is not None:
        value["nonce"] = spec.nonce
    if spec.tsa_name:
        value["tsa"] = asn1_x509.GeneralName(name="directory_name", value=tsa_cert.subject)
    return tsp.TSTInfo(value)


def build_token(
    spec: TokenSpec,
    *,
    key: PrivateKey,
    tsa_cert: x509.Certificate,
    extra_certs: Sequence[x509.Certificate] = (),
    include_certs: bool = True,
    pss: bool = False,
) -> bytes:
    """Sign a TSTInfo and wrap it as a DER TimeStampToken (CMS ContentInfo); RSA may use PSS."""
    a_cert = _asn1_cert(tsa_cert)
    tst_der = _tst_info(spec, a_cert).dump()
    hash_name = signer_hash_for(key)
    cert_der = tsa_cert.public_bytes(Encoding.DER)
    ess = tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "cert_hash": hashlib.sha256(cert_der).digest(),
                    "issuer_serial": {
                        "issuer": [asn1_x509.GeneralName(name="directory_name", value=a_cert.issuer)],
                        "serial_number": a_cert.serial_number,
                    },
                }
            ]
        }
    )
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"generalized_time": spec.gen_time})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.new(hash_name, tst_der).digest()]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
        ]
    )
    to_sign = signed_attrs.dump()
    chosen_hash = hashes.SHA384() if hash_name == "sha384" else hashes.SHA256()
    sig_alg: dict[str, object]
    if isinstance(key, rsa.RSAPrivateKey) and pss:
        salt = chosen_hash.digest_size
        signature = key.sign(to_sign, padding.PSS(padding.MGF1(chosen_hash), salt), chosen_hash)
        sig_alg = {
            "algorithm": "rsassa_pss",
            "parameters": {
                "hash_algorithm": {"algorithm": hash_name},
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": hash_name}},
                "salt_length": salt,
                "trailer_field": "trailer_field_bc",
            },
        }
    elif isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(to_sign, padding.PKCS1v15(), chosen_hash)
        sig_alg = {"algorithm": f"{hash_name}_rsa"}
    else:
        signature = key.sign(to_sign, ec.ECDSA(chosen_hash))
        sig_alg = {"algorithm": f"{hash_name}_ecdsa"}
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": a_cert.issuer, "serial_number": a_cert.serial_number},
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": hash_name}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm(sig_alg),
            "signature": signature,
        }
    )
    signed_data: dict[str, object] = {
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": hash_name})],
        "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(tst_der)},
        "signer_infos": [signer_info],
    }
    if include_certs:
        signed_data["certificates"] = [a_cert, *(_asn1_cert(c) for c in extra_certs)]
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)}).dump())


def build_response(token: bytes, *, status: str = "granted") -> bytes:
    """Wrap a token in a granted TimeStampResp."""
    resp = TimeStampResp({"status": {"status": status}, "time_stamp_token": cms.ContentInfo.load(token)})
    return bytes(resp.dump())


def build_rejection(fail_info: str, text: str, *, status: str = "rejection") -> bytes:
    """A TimeStampResp that refuses the request, with PKIFailureInfo and a reason text."""
    resp = TimeStampResp(
        {"status": {"status": status, "status_string": [text], "fail_info": tsp.PKIFailureInfo({fail_info})}}
    )
    return bytes(resp.dump())
