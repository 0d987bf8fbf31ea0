"""Load an Ed25519 private key from a PKCS#8 PEM file.

Stop-gap: :mod:`glyphserpack.keys` owns key files (passphrases, permissions, rotation);
this loader exists so the log does not depend on it while both are written, and should be
replaced by it.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from glyphserpack._internal.fsio import read_bounded
from glyphserpack.errors import KeyMaterialError

__all__ = ["load_private_key"]

_KEY_LIMIT = 64 * 1024


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a PEM private key; ``GLYPHSERPACK_KEY_PASSPHRASE`` unlocks an encrypted one."""
    data = read_bounded(path, _KEY_LIMIT, what="key file")
    passphrase = os.environ.get("GLYPHSERPACK_KEY_PASSPHRASE")
    try:
        key = load_pem_private_key(data, password=passphrase.encode() if passphrase else None)
    except TypeError:
        raise KeyMaterialError(
            f"key file {path}: encrypted, and no passphrase given",
            remedy="set GLYPHSERPACK_KEY_PASSPHRASE",
        ) from None
    except ValueError as exc:
        raise KeyMaterialError(f"key file {path}: not a readable PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMaterialError(f"key file {path}: {type(key).__name__} is not an Ed25519 key")
    return key
