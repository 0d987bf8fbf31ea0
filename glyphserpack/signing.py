"""Ed25519 primitives shared by certificates, packs and the log.

``key_id`` is the lower-case hex SHA-256 of the raw 32-byte public key: anyone can
recompute it from the key alone, so a trust store can be checked without our tool.
Key *files* (generation, encryption, rotation, revocation) live in :mod:`glyphserpack.keys`.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from glyphserpack.errors import KeyMaterialError

__all__ = [
    "SIGNATURE_ALGORITHM",
    "key_id",
    "load_public_key",
    "public_key_raw",
    "sign",
    "verify_signature",
]

SIGNATURE_ALGORITHM = "ed25519"


def public_key_raw(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The 32 raw public-key bytes (of a private key's public half too)."""
    from cryptography.hazmat.primitives import serialization  # late: ~9 ms, unused when only verifying

    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey | bytes) -> str:
    """SHA-256 of the raw public key, hex: the identity a signature names its key by."""
    raw = key if isinstance(key, bytes) else public_key_raw(key)
    if len(raw) != 32:
        raise KeyMaterialError(f"an Ed25519 public key is 32 bytes, got {len(raw)}")
    return hashlib.sha256(raw).hexdigest()


def load_public_key(data: bytes, *, where: str) -> Ed25519PublicKey:
    """Accept a PEM SubjectPublicKeyInfo, or 32 raw bytes, or 64 hex characters."""
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            from cryptography.hazmat.primitives import serialization

            key = serialization.load_pem_public_key(text)
            if not isinstance(key, Ed25519PublicKey):
                raise KeyMaterialError(f"{where}: not an Ed25519 public key ({type(key).__name__})")
            return key
        if len(text) == 64:
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.decode("ascii")))
        if len(data) == 32:
            return Ed25519PublicKey.from_public_bytes(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyMaterialError(f"{where}: cannot read public key ({exc})") from None
    raise KeyMaterialError(f"{where}: expected a PEM Ed25519 public key, 64 hex characters or 32 raw bytes")


def sign(private_key: Ed25519PrivateKey, message: bytes) -> bytes:
    """RFC 8032 Ed25519 signature (deterministic: same key and message, same 64 bytes)."""
    return private_key.sign(message)


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """True only when ``signature`` is a valid 64-byte Ed25519 signature of ``message``."""
    if len(signature) != 64:
        return False
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
