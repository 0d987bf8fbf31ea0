"""Ed25519 key files and the trust directory that says which of them count.

Private keys are PKCS#8 PEM files created with mode 0600 (refused on load when group or
others can read them), optionally encrypted with a passphrase. Passphrases come from the
caller (the CLI reads ``GLYPHSERPACK_KEY_PASSPHRASE`` or prompts) and are never logged.
Rotation and revocation only ever *add* information to the trust store (``not_after``,
``revoked_at``), so signatures made before the change keep verifying at their signed time.
Private keys never enter a pack: :func:`glyphserpack.pack.write` embeds public keys only.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack._internal.fsio import atomic_write, read_bounded
from glyphserpack.errors import InputError, KeyMaterialError, UsageError
from glyphserpack.signing import key_id, public_key_raw
from glyphserpack.trust import PURPOSES, REVOCATION_REASONS, TrustedKey, TrustStore, is_utc_timestamp

__all__ = [
    "PASSPHRASE_ENV",
    "KeyInfo",
    "generate",
    "load_private_key",
    "load_trust_dir",
    "revoke",
    "rotate",
    "save_private_key",
    "show",
]

PASSPHRASE_ENV = "GLYPHSERPACK_KEY_PASSPHRASE"  # noqa: S105 - the variable name, not a secret
_KEY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class KeyInfo:
    """Public facts about a key file (nothing secret)."""

    key_id: str
    public_key: str
    path: str
    encrypted: bool

    def to_obj(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def public_path(path: Path) -> Path:
    """Where the public half of ``path`` is written: ``NAME.pub.pem`` beside it."""
    return path.with_name(path.name.removesuffix(".pem") + ".pub.pem")


def load_trust_dir(directory: Path) -> TrustStore:
    """The trust store in ``directory``, or an empty one if the directory has none yet."""
    if any((directory / n).is_file() for n in ("trust.yaml", "trust.yml", "trust.json")):
        return TrustStore.load(directory)
    return TrustStore.from_keys((), source=str(directory))


def _check_time(value: str, what: str) -> None:
    if not is_utc_timestamp(value):
        raise UsageError(f"{what} {value!r}: expected YYYY-MM-DDTHH:MM:SSZ")


def generate(
    path: Path,
    *,
    passphrase: bytes | None = None,
    trust_dir: Path | None = None,
    owner: str = "glyphserpack signer",
    purposes: tuple[str, ...] = ("pack",),
    not_before: str,
    not_after: str | None = None,
) -> KeyInfo:
    """Create a new key at ``path`` (0600) and its public half; optionally trust it in ``trust_dir``."""
    _check_time(not_before, "not_before")
    if not_after is not None:
        _check_time(not_after, "not_after")
    if any(p not in PURPOSES for p in purposes) or not purposes:
        raise UsageError(f"purposes {purposes}: expected some of {', '.join(PURPOSES)}")
    if path.exists() or os.path.islink(path):
        raise UsageError(f"key file {path}: already exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    save_private_key(path, key, passphrase=passphrase)
    kid = key_id(key)
    if trust_dir is not None:
        _add_key(trust_dir, key, owner, purposes, not_before, not_after)
    return KeyInfo(kid, public_key_raw(key).hex(), path.name, passphrase is not None)


def _add_key(
    trust_dir: Path,
    key: Ed25519PrivateKey,
    owner: str,
    purposes: tuple[str, ...],
    not_before: str,
    not_after: str | None,
) -> None:
    store = load_trust_dir(trust_dir)
    entry = TrustedKey(
        key_id=key_id(key),
        public_key=public_key_raw(key),
        owner=owner,
        purposes=tuple(sorted(set(purposes))),
        not_before=not_before,
        not_after=not_after,
    )
    TrustStore.from_keys([*store.keys, entry], source=store.source).save(trust_dir)


def save_private_key(path: Path, key: Ed25519PrivateKey, *, passphrase: bytes | None = None) -> None:
    """Write ``key`` as PKCS#8 PEM (mode 0600) and its public half beside it.

    :func:`generate` uses it for new keys; tests and migrations use it for a key they hold.
    """
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    atomic_write(path, pem, mode=0o600)
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    atomic_write(public_path(path), pub)


def load_private_key(path: Path, *, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Load a private key, refusing files that group or others can read."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise KeyMaterialError(f"key file {path}: not found") from None
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise KeyMaterialError(
            f"key file {path}: mode {stat.S_IMODE(st.st_mode):04o} lets others read a private key",
            remedy=f"chmod 600 {path}",
        )
    data = read_bounded(path, _KEY_LIMIT, what="key file")
    encrypted = b"ENCRYPTED" in data.split(b"\n", 1)[0]
    if encrypted and not passphrase:
        raise KeyMaterialError(
            f"key file {path}: is encrypted and no passphrase was given",
            remedy=f"set {PASSPHRASE_ENV} or run interactively to be prompted",
        )
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except (ValueError, TypeError):
        raise KeyMaterialError(f"key file {path}: cannot be read (wrong passphrase or not a PEM private key)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMaterialError(f"key file {path}: not an Ed25519 key ({type(key).__name__})")
    return key


def show(path: Path, *, passphrase: bytes | None = None) -> KeyInfo:
    """Key id and public key of a private key file (or of a public ``.pub.pem`` file)."""
    head = read_bounded(path, _KEY_LIMIT, what="key file")
    if b"PUBLIC KEY" in head.split(b"\n", 1)[0]:
        from glyphserpack.signing import load_public_key

        pub = load_public_key(head, where=str(path))
        return KeyInfo(key_id(pub), public_key_raw(pub).hex(), path.name, False)
    key = load_private_key(path, passphrase=passphrase)
    return KeyInfo(key_id(key), public_key_raw(key).hex(), path.name, b"ENCRYPTED" in head.split(b"\n", 1)[0])


def rotate(
    old_key_id: str,
    new_path: Path,
    *,
    trust_dir: Path,
    at: str,
    passphrase: bytes | None = None,
    owner: str | None = None,
) -> KeyInfo:
    """Generate a successor key valid from ``at`` and end the old key's window at ``at``."""
    _check_time(at, "rotation time")
    store = TrustStore.load(trust_dir)
    old = store.get(old_key_id)
    if old is None:
        raise InputError(f"trust store {trust_dir}: no key {old_key_id}")
    info = generate(new_path, passphrase=passphrase, not_before=at)
    new_key = TrustedKey(
        key_id=info.key_id,
        public_key=bytes.fromhex(info.public_key),
        owner=owner or old.owner,
        purposes=old.purposes,
        not_before=at,
    )
    ended = dataclasses.replace(old, not_after=at if old.not_after is None or old.not_after > at else old.not_after)
    rest = [k for k in store.keys if k.key_id != old_key_id]
    TrustStore.from_keys([*rest, ended, new_key], source=store.source).save(trust_dir)
    return info


def revoke(key_id_: str, *, trust_dir: Path, at: str, reason: str = "keyCompromise") -> TrustedKey:
    """Mark a key revoked from ``at``: its signatures made at or after that time stop counting."""
    _check_time(at, "revocation time")
    if reason not in REVOCATION_REASONS:
        raise UsageError(f"reason {reason!r}: expected one of {', '.join(REVOCATION_REASONS)}")
    store = TrustStore.load(trust_dir)
    old = store.get(key_id_)
    if old is None:
        raise InputError(f"trust store {trust_dir}: no key {key_id_}")
    revoked = dataclasses.replace(old, revoked_at=at, revocation_reason=reason)
    rest = [k for k in store.keys if k.key_id != key_id_]
    TrustStore.from_keys([*rest, revoked], source=store.source).save(trust_dir)
    return revoked
