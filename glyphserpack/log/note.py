"""C2SP signed-note: a UTF-8 text plus ``— <name> <base64(key hash || signature)>`` lines.

The key hash (4 bytes of SHA-256 over name, newline, signature-type byte and public key)
lets a verifier skip lines from keys it does not know without trying every key, and binds
the key's *name* into its identity. Verifier keys travel as ``<name>+<hex hash>+<base64>``
text so a third party can pin them without our tool.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from glyphserpack.errors import InputError, KeyMaterialError, SignatureInvalid
from glyphserpack.signing import public_key_raw, sign, verify_signature

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "NOTE_LIMIT",
    "Note",
    "NoteSignature",
    "Signer",
    "Verifier",
    "check_key_name",
    "key_hash",
    "parse_note",
    "parse_verifier_key",
]

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
NOTE_LIMIT = 1 << 20
_DASH = "\u2014"


def check_key_name(name: str, *, what: str = "key name") -> str:
    """Names are non-empty and free of spaces, '+' and control characters (they sit in vkeys)."""
    if not name:
        raise InputError(f"{what}: must not be empty")
    for ch in name:
        if ch == "+" or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zs"):
            raise InputError(f"{what} {name!r}: must not contain spaces, '+' or control characters")
    return name


def key_hash(name: str, alg: int, public_raw: bytes) -> bytes:
    """SHA-256(name || 0x0A || alg || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes((alg,)) + public_raw).digest()[:4]


def _b64decode(text: str, *, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InputError(f"{what}: not standard base64") from None


@dataclass(frozen=True)
class Verifier:
    """A named public key with its signature type: the parsed form of a vkey."""

    name: str
    alg: int
    public_key: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return public_key_raw(self.public_key)

    @property
    def hash(self) -> bytes:
        return key_hash(self.name, self.alg, self.raw)

    def vkey(self) -> str:
        """``<name>+<8 hex>+<base64(alg || key)>``."""
        blob = base64.b64encode(bytes((self.alg,)) + self.raw).decode()
        return f"{self.name}+{self.hash.hex()}+{blob}"


def parse_verifier_key(text: str) -> Verifier:
    """Parse a vkey; the embedded hash must match the name and key (catches a renamed key)."""
    text = text.strip()
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise KeyMaterialError(f"verifier key {text[:60]!r}: expected <name>+<hash>+<base64 key>")
    name, hash_hex, blob_text = parts
    check_key_name(name, what="verifier key name")
    blob = _b64decode(blob_text, what=f"verifier key {name}")
    if len(blob) != 33 or blob[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise KeyMaterialError(f"verifier key {name}: expected type 0x01 or 0x04 and a 32-byte Ed25519 key")
    verifier = Verifier(name, blob[0], Ed25519PublicKey.from_public_bytes(blob[1:]))
    if hash_hex != verifier.hash.hex():
        raise KeyMaterialError(f"verifier key {name}: key hash {hash_hex} does not match the name and key")
    return verifier


@dataclass(frozen=True)
class Signer:
    """A named private key; ``alg`` picks a plain note signature or a cosignature key hash."""

    name: str
    private_key: Ed25519PrivateKey
    alg: int = ALG_ED25519

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.alg, self.private_key.public_key())

    def signature(self, message: bytes, prefix: bytes = b"") -> NoteSignature:
        """Sign ``message``; ``prefix`` goes between key hash and signature (cosignature time)."""
        return NoteSignature(self.name, self.verifier().hash, prefix + sign(self.private_key, message))


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key hash, signature bytes (type-specific)."""

    name: str
    hash: bytes
    blob: bytes

    def line(self) -> str:
        return f"{_DASH} {self.name} {base64.b64encode(self.hash + self.blob).decode()}\n"


@dataclass(frozen=True)
class Note:
    """A signed note: ``text`` always ends in a newline; signatures in file order."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()

    def to_bytes(self) -> bytes:
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode()

    def signed_by(self, signer: Signer) -> Note:
        return Note(self.text, (*self.signatures, signer.signature(self.text.encode())))

    def matching(self, verifier: Verifier) -> list[NoteSignature]:
        return [s for s in self.signatures if s.name == verifier.name and s.hash == verifier.hash]

    def verify(self, verifier: Verifier) -> None:
        """Raise unless ``verifier`` signed the text (plain Ed25519 note signature)."""
        sigs = self.matching(verifier)
        if not sigs:
            raise SignatureInvalid(f"note has no signature by {verifier.name} ({verifier.hash.hex()})")
        for s in sigs:
            if not verify_signature(verifier.public_key, s.blob, self.text.encode()):
                raise SignatureInvalid(f"signature by {verifier.name} does not verify over the note text")


def _check_text(text: str, *, where: str) -> None:
    for i, ch in enumerate(text):
        if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cs"):
            raise InputError(f"{where}: control character U+{ord(ch):04X} at offset {i}")


def parse_note(data: bytes, *, where: str = "note") -> Note:
    """Split text and signature lines; refuses malformed notes rather than guessing."""
    if len(data) > NOTE_LIMIT:
        raise InputError(f"{where}: {len(data)} bytes, more than the {NOTE_LIMIT}-byte note limit")
    try:
        whole = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 (byte {exc.start})") from None
    _check_text(whole, where=where)
    cut = whole.rfind("\n\n")
    if cut < 0 or not whole.endswith("\n"):
        raise InputError(f"{where}: expected note text, a blank line and signature lines ending in a newline")
    text, sig_block = whole[: cut + 1], whole[cut + 2 :]
    sigs: list[NoteSignature] = []
    for n, line in enumerate(sig_block[:-1].split("\n"), start=1):
        if not line.startswith(_DASH + " "):
            raise InputError(f"{where}: signature line {n} does not start with '\u2014 '")
        fields = line[2:].split(" ")
        if len(fields) != 2:
            raise InputError(f"{where}: signature line {n}: expected '\u2014 <name> <base64>'")
        name = check_key_name(fields[0], what=f"{where}: signature line {n} name")
        blob = _b64decode(fields[1], what=f"{where}: signature line {n}")
        if len(blob) < 5:
            raise InputError(f"{where}: signature line {n}: too short for a key hash and signature")
        sigs.append(NoteSignature(name, blob[:4], blob[4:]))
    if not sigs:
        raise InputError(f"{where}: the note carries no signature")
    return Note(text, tuple(sigs))
