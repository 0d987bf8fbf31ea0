"""Ed25519 key files and the trust directory that says which of them count.

Private keys are PKCS#8 PEM files created with mode 0600 (refused on load when group or
others can read them), optionally encrypted with a passphrase. Passphrases come from the
caller (the CLI reads ``GLYPHSERPACK_KEY_PASSPHRASE`` or prompts) and are never logged.
Rotation and revocation only ever *add* information to the trust store (``not_after``,
``revoked_at``), so signatures made before the change keep verifying at their signed time.
Every edit of a trust directory is a read-modify-write of its one trust file under an
exclusive ``fcntl.flock`` on the directory itself (not on a lock file: a trust directory often
sits inside an evidence tree, where any extra file is an unreferenced file, ``GSP-E016``, and
would be packed and published) that appends a new version
(:meth:`TrustStore.next_version`) and replaces the file atomically: concurrent writers are
serialised and none loses another's key.
Private keys never enter a pack: :func:`glyphserpack.pack.write` embeds public keys only.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack._internal.fsio import atomic_write, read_bounded
from glyphserpack.errors import InputError, KeyMaterialError, UsageError
from glyphserpack.signing import key_id, public_key_raw
from glyphserpack.trust import (
    PURPOSE_GROUPS,
    PURPOSES,
    REVOCATION_REASONS,
    TrustedKey,
    TrustStore,
    expand_purposes,
    is_utc_timestamp,
    trust_file,
)

__all__ = [
    "PASSPHRASE_ENV",
    "KeyInfo",
    "add",
    "edit_trust_dir",
    "generate",
    "load_private_key",
    "load_trust_dir",
    "revoke",
    "rotate",
    "save_private_key",
    "show",
]

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
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
    if trust_file(directory) is not None:
        return TrustStore.load(directory)
    return TrustStore.from_keys((), source=str(directory / "trust.yaml"))


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold the directory's exclusive lock (blocking) for one read-modify-write."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def edit_trust_dir(directory: Path, change: Callable[[TrustStore], list[TrustedKey]]) -> TrustStore:
    """Append one version to the store in ``directory``: ``change`` maps the current store to the new key list.

    Runs under the directory's lock, so the store ``change`` sees is the latest one. An empty
    directory starts at version 1; otherwise the result must only add keys or facts
    (:meth:`TrustStore.next_version`). Nothing is written if ``change`` or the check raises.
    """
    with _locked(directory):
        store = load_trust_dir(directory)
        keys = change(store)
        if trust_file(directory) is None:
            new = TrustStore.from_keys(keys, source=store.source)
        else:
            new = store.next_version(keys)
        new.save(directory)
        return new


def _check_entry(not_before: str, not_after: str | None, purposes: tuple[str, ...]) -> tuple[str, ...]:
    """Check a new entry's window; return its purposes with shorthands (``release``) expanded."""
    _check_time(not_before, "--not-before")
    if not_after is not None:
        _check_time(not_after, "--not-after")
    return _check_purposes(purposes)


def _check_purposes(purposes: tuple[str, ...]) -> tuple[str, ...]:
    """Purposes with shorthands expanded; UsageError naming an unknown one."""
    names = ", ".join((*PURPOSES, *PURPOSE_GROUPS))
    expanded = expand_purposes(purposes)
    bad = [p for p in expanded if p not in PURPOSES]
    if bad or not expanded:
        raise UsageError(f"--purpose {bad[0] if bad else '(none)'}: expected some of {names}")
    return expanded


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
    purposes = _check_entry(not_before, not_after, purposes)
    if path.exists() or os.path.islink(path):
        raise UsageError(f"key file {path}: already exists; refusing to overwrite a key")
    if trust_dir is None:
        return _write_key(path, Ed25519PrivateKey.generate(), passphrase)
    key = Ed25519PrivateKey.generate()

    def change(store: TrustStore) -> list[TrustedKey]:
        entry = TrustedKey(key_id(key), public_key_raw(key), owner, purposes, not_before, not_after)
        keys = _with_new_key(store, entry)
        _write_key(path, key, passphrase)  # under the lock, after the store was read and checked
        return keys

    edit_trust_dir(trust_dir, change)
    return KeyInfo(key_id(key), public_key_raw(key).hex(), path.name, passphrase is not None)


def _with_new_key(store: TrustStore, entry: TrustedKey) -> list[TrustedKey]:
    existing = store.get(entry.key_id)
    if existing is not None:
        raise InputError(
            f"{store.source}: key {entry.key_id} is already trusted (owner {existing.owner!r}); "
            "an entry is never rewritten",
            remedy="use `keys rotate` or `keys revoke` to change what it may do",
        )
    return [*store.keys, entry]


def _write_key(path: Path, key: Ed25519PrivateKey, passphrase: bytes | None) -> KeyInfo:
    """Write the private key (0600) and its public half."""
    save_private_key(path, key, passphrase=passphrase)
    return KeyInfo(key_id(key), public_key_raw(key).hex(), path.name, passphrase is not None)


def add(
    public: str | Path,
    *,
    trust_dir: Path,
    owner: str,
    purposes: tuple[str, ...],
    not_before: str,
    not_after: str | None = None,
    passphrase: bytes | None = None,
) -> TrustedKey:
    """Trust an existing key: ``public`` is 64 hex of a raw key, else a key file (``.pub.pem`` or private PEM)."""
    expanded = _check_entry(not_before, not_after, purposes)
    if isinstance(public, str) and _HEX64.match(public):
        from glyphserpack.signing import load_public_key

        raw = bytes.fromhex(public)
        load_public_key(raw, where="public key")
    else:
        raw = bytes.fromhex(show(Path(public), passphrase=passphrase).public_key)
    entry = TrustedKey(key_id(raw), raw, owner, expanded, not_before, not_after)
    edit_trust_dir(trust_dir, lambda store: _with_new_key(store, entry))
    return entry


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
    key = Ed25519PrivateKey.generate()
    if new_path.exists() or os.path.islink(new_path):
        raise UsageError(f"key file {new_path}: already exists; refusing to overwrite a key")

    def change(store: TrustStore) -> list[TrustedKey]:
        old = _existing(store, old_key_id)
        new_key = TrustedKey(key_id(key), public_key_raw(key), owner or old.owner, old.purposes, at)
        ended = dataclasses.replace(old, not_after=at if old.not_after is None or old.not_after > at else old.not_after)
        keys = _with_new_key(_replaced(store, ended), new_key)
        _write_key(new_path, key, passphrase)
        return keys

    if trust_file(trust_dir) is None:
        raise InputError(f"trust store {trust_dir}: no trust.yaml; nothing to rotate")
    edit_trust_dir(trust_dir, change)
    return KeyInfo(key_id(key), public_key_raw(key).hex(), new_path.name, passphrase is not None)


def _existing(store: TrustStore, key_id_: str) -> TrustedKey:
    old = store.get(key_id_)
    if old is None:
        raise InputError(
            f"{store.source}: no key {key_id_}", remedy="print a key file's id with `glyphserpack keys show KEY_FILE`"
        )
    return old


def _replaced(store: TrustStore, entry: TrustedKey) -> TrustStore:
    return TrustStore(
        tuple(entry if k.key_id == entry.key_id else k for k in store.keys),
        store.source,
        store.version,
        store.previous_version_hash,
        store.history,
    )


def revoke(
    key_id_: str,
    *,
    trust_dir: Path,
    at: str,
    reason: str = "keyCompromise",
    invalidity_date: str | None = None,
) -> TrustedKey:
    """Mark a key revoked from ``at`` (RFC 5280 reason); a keyCompromise may reach back to ``invalidity_date``."""
    _check_time(at, "revocation time")
    if reason not in REVOCATION_REASONS:
        raise UsageError(f"--reason {reason!r}: expected one of {', '.join(REVOCATION_REASONS)}")
    if invalidity_date is not None:
        _check_time(invalidity_date, "--invalidity-date")
        if reason != "keyCompromise":
            raise UsageError(f"--invalidity-date: only a keyCompromise revocation reaches back (reason {reason})")
        if invalidity_date > at:
            raise UsageError(f"--invalidity-date {invalidity_date}: after the revocation time {at}")
    if trust_file(trust_dir) is None:
        raise InputError(f"trust store {trust_dir}: no trust.yaml; nothing to revoke")
    done: list[TrustedKey] = []

    def change(store: TrustStore) -> list[TrustedKey]:
        old = _existing(store, key_id_)
        if old.revoked_at is not None:
            raise InputError(
                f"{store.source}: key {key_id_} is already revoked at {old.revoked_at} ({old.revocation_reason})"
            )
        revoked = dataclasses.replace(old, revoked_at=at, revocation_reason=reason, invalidity_date=invalidity_date)
        done.append(revoked)
        return list(_replaced(store, revoked).keys)

    edit_trust_dir(trust_dir, change)
    return done[0]
