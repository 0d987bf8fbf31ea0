"""Key material for the embedded TSA: a root CA and a TSA certificate (``tsa init DIR``).

The root signs only the TSA certificate; the TSA certificate carries the critical
extendedKeyUsage timeStamping RFC 3161 §2.3 requires, so tokens verify with
``openssl ts -verify`` as well as with ours. Private keys are written 0600 and refused
on load when group/other can read them.

Given a ``revocation_url`` (``tsa init --url``, ``tsa serve`` on first use) the TSA certificate
also names where its status is published: CRL Distribution Points ``URL/crl`` and an
Authority Information Access OCSP entry ``URL/ocsp`` (RFC 5280 §4.2.1.13, §4.2.2.1), both
served by ``tsa serve`` (see ``responder.py``). Directories made before this existed have
neither extension and still load and serve; their tokens simply carry no revocation pointers.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from glyphserpack._internal.fsio import atomic_write, read_bounded
from glyphserpack.errors import KeyMaterialError, UsageError

__all__ = ["KEY_TYPES", "TsaMaterial", "init_tsa", "load_tsa"]

KEY_TYPES = ("ec", "ec-p384", "rsa")
ROOT_KEY = "root-key.pem"
ROOT_CERT = "root.pem"
TSA_KEY = "tsa-key.pem"
TSA_CERT = "tsa.pem"
CHAIN = "chain.pem"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class TsaMaterial:
    """A loaded TSA: signing key, its certificate, and the root that issued it."""

    directory: Path
    key: PrivateKey
    cert: x509.Certificate
    root: x509.Certificate
    root_key: PrivateKey | None = None  # signs CRLs and OCSP answers; may be kept offline

    @property
    def root_pem(self) -> Path:
        return self.directory / ROOT_CERT

    @property
    def chain_pem(self) -> Path:
        return self.directory / CHAIN


def _new_key(key_type: str) -> PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ec-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise UsageError(f"--key-type {key_type!r}: expected one of {', '.join(KEY_TYPES)}")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "glyphserpack"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def init_tsa(
    directory: Path,
    *,
    key_type: str = "ec",
    name: str = "glyphserpack embedded TSA",
    now: dt.datetime | None = None,
    root_years: int = 20,
    tsa_years: int = 10,
    revocation_url: str | None = None,
) -> TsaMaterial:
    """Create a root CA and a TSA certificate in ``directory``; refuse to overwrite keys.

    ``revocation_url`` (e.g. ``http://127.0.0.1:3161/``) is where ``tsa serve`` will run: the
    TSA certificate then points at its ``crl`` and ``ocsp`` paths.
    """
    if (directory / TSA_KEY).exists() or (directory / ROOT_KEY).exists():
        raise KeyMaterialError(
            f"{directory}: already holds TSA keys", remedy="use a new directory, or serve the existing one"
        )
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=1)
    root_key = _new_key(key_type)
    root_name = _name(f"{name} root")
    hash_alg = hashes.SHA384() if key_type == "ec-p384" else hashes.SHA256()
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * root_years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hash_alg)
    )
    tsa_key = _new_key(key_type)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(root_name)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * tsa_years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(tsa_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
    )
    if revocation_url is not None:
        builder = _with_revocation_pointers(builder, revocation_url)
    tsa = builder.sign(root_key, hash_alg)
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write(directory / ROOT_KEY, _key_pem(root_key), mode=0o600)
    atomic_write(directory / TSA_KEY, _key_pem(tsa_key), mode=0o600)
    atomic_write(directory / ROOT_CERT, _cert_pem(root))
    atomic_write(directory / TSA_CERT, _cert_pem(tsa))
    atomic_write(directory / CHAIN, _cert_pem(tsa) + _cert_pem(root))
    return TsaMaterial(directory, tsa_key, tsa, root, root_key)


def _with_revocation_pointers(builder: x509.CertificateBuilder, url: str) -> x509.CertificateBuilder:
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--url {url!r}: expected an http:// or https:// base URL")
    base = url if url.endswith("/") else url + "/"
    crl_dp = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(base + "crl")], relative_name=None, reasons=None, crl_issuer=None
    )
    ocsp = x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(base + "ocsp"))
    return builder.add_extension(x509.CRLDistributionPoints([crl_dp]), critical=False).add_extension(
        x509.AuthorityInformationAccess([ocsp]), critical=False
    )


def _load_key(path: Path) -> PrivateKey:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise KeyMaterialError(f"{path}: TSA key missing", remedy="run `glyphserpack tsa init DIR` first") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyMaterialError(
            f"{path}: private key is readable by group or others (mode {stat.S_IMODE(mode):o})",
            remedy=f"chmod 600 {path}",
        )
    try:
        key = serialization.load_pem_private_key(read_bounded(path, 64 * 1024, what="TSA key"), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyMaterialError(f"{path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyMaterialError(f"{path}: TSA key must be RSA or ECDSA")
    return key


def load_tsa(directory: Path) -> TsaMaterial:
    """Load what ``init_tsa`` wrote, checking key permissions and that key and cert match.

    The root key is optional (it may have been moved offline); without it the server stamps
    but cannot sign CRLs or OCSP answers.
    """
    key = _load_key(directory / TSA_KEY)
    try:
        cert = x509.load_pem_x509_certificate(read_bounded(directory / TSA_CERT, 1 << 20, what="TSA cert"))
        root = x509.load_pem_x509_certificate(read_bounded(directory / ROOT_CERT, 1 << 20, what="root cert"))
    except ValueError as exc:
        raise KeyMaterialError(f"{directory}: TSA certificate unreadable ({exc})") from None
    if _spki(cert.public_key()) != _spki(key.public_key()):
        raise KeyMaterialError(f"{directory}: {TSA_KEY} does not belong to {TSA_CERT}")
    root_key = _load_key(directory / ROOT_KEY) if (directory / ROOT_KEY).exists() else None
    if root_key is not None and _spki(root_key.public_key()) != _spki(root.public_key()):
        raise KeyMaterialError(f"{directory}: {ROOT_KEY} does not belong to {ROOT_CERT}")
    return TsaMaterial(directory, key, cert, root, root_key)


def _spki(public_key: CertificatePublicKeyTypes) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
