"""C2SP tlog-checkpoint bodies, their log signature and tlog-cosignature witnessing.

A checkpoint commits to (origin, size, root). The log signs it as a signed note; witnesses
add ``cosignature/v1`` lines (a timestamped signature over the same body), and a verifier
can demand N of M known witnesses before it believes the log is not showing it a split view.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from glyphserpack.errors import InputError, SignatureInvalid, UsageError
from glyphserpack.log.merkle import HASH_SIZE
from glyphserpack.log.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Note,
    NoteSignature,
    Signer,
    Verifier,
    parse_note,
)
from glyphserpack.signing import verify_signature

__all__ = [
    "Checkpoint",
    "VerifiedCheckpoint",
    "cosign",
    "open_checkpoint",
    "parse_checkpoint_text",
    "sign_checkpoint",
]

_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")
_MAX_TIME = 2**63 - 1


@dataclass(frozen=True)
class Checkpoint:
    """The note body: origin line, decimal size, base64 root, optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode(), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint_text(text: str, *, where: str = "checkpoint") -> Checkpoint:
    """Parse a checkpoint body strictly (no leading zeroes, 32-byte root, non-empty lines)."""
    if not text.endswith("\n"):
        raise InputError(f"{where}: the checkpoint body must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise InputError(f"{where}: expected origin, tree size and root hash lines, got {len(lines)} line(s)")
    origin, size_text, root_text, *ext = lines
    if not origin:
        raise InputError(f"{where}: empty origin line")
    if not _SIZE.match(size_text) or int(size_text) >= 2**64:
        raise InputError(f"{where}: tree size {size_text!r} is not a decimal without leading zeroes")
    try:
        root = base64.b64decode(root_text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise InputError(f"{where}: root hash {root_text!r} is not base64") from None
    if len(root) != HASH_SIZE:
        raise InputError(f"{where}: root hash is {len(root)} bytes, expected {HASH_SIZE}")
    if any(not line for line in ext):
        raise InputError(f"{where}: empty extension line")
    return Checkpoint(origin, int(size_text), root, tuple(ext))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> bytes:
    """The signed-note bytes of ``checkpoint`` signed by the log key (named by its origin)."""
    if signer.name != checkpoint.origin or signer.alg != ALG_ED25519:
        raise UsageError(f"the log key must be a note key named after the origin {checkpoint.origin!r}")
    return Note(checkpoint.text()).signed_by(signer).to_bytes()


def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(note_bytes: bytes, witness: Signer, timestamp: int) -> bytes:
    """Add (or replace) ``witness``'s cosignature/v1 line on a signed checkpoint."""
    if witness.alg != ALG_COSIGNATURE_V1:
        raise UsageError("a witness key must be a cosignature (type 0x04) key")
    if not 0 <= timestamp <= _MAX_TIME:
        raise UsageError(f"cosignature time {timestamp} is outside 0..2**63-1")
    note = parse_note(note_bytes, where="checkpoint")
    parse_checkpoint_text(note.text)
    sig = witness.signature(_cosigned_message(note.text, timestamp), prefix=timestamp.to_bytes(8, "big"))
    kept = tuple(s for s in note.signatures if not (s.name == sig.name and s.hash == sig.hash))
    return Note(note.text, (*kept, sig)).to_bytes()


def _cosignature_time(sig: NoteSignature, witness: Verifier, body: str) -> int | None:
    """The cosignature's timestamp when it verifies, else None."""
    if len(sig.blob) != 8 + 64:
        return None
    timestamp = int.from_bytes(sig.blob[:8], "big")
    if timestamp > _MAX_TIME:
        return None
    ok = verify_signature(witness.public_key, sig.blob[8:], _cosigned_message(body, timestamp))
    return timestamp if ok else None


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """A checkpoint whose log signature verified, with the witnesses whose cosignatures did."""

    checkpoint: Checkpoint
    note: Note
    cosigners: dict[str, int]
    bad_cosigners: tuple[str, ...]


def open_checkpoint(
    data: bytes,
    log_key: Verifier,
    *,
    witnesses: Sequence[Verifier] = (),
    quorum: int = 0,
    where: str = "checkpoint",
) -> VerifiedCheckpoint:
    """Parse and verify a signed checkpoint; raise unless the log signed it and ``quorum`` witnesses did.

    Signature lines from unknown keys are ignored (as signed-note requires); a line from a
    known witness that fails to verify is reported in ``bad_cosigners`` and does not count.
    """
    note = parse_note(data, where=where)
    checkpoint = parse_checkpoint_text(note.text, where=where)
    if checkpoint.origin != log_key.name:
        raise SignatureInvalid(
            f"{where}: origin {checkpoint.origin!r} is not the log {log_key.name!r}",
            code="GSP-E414",
            remedy="check that the checkpoint and the verifier key belong to the same log",
        )
    try:
        note.verify(log_key)
    except SignatureInvalid as exc:
        raise SignatureInvalid(
            f"{where}: {exc.message}", code="GSP-E401", remedy="the checkpoint was altered or signed by another key"
        ) from None
    cosigners: dict[str, int] = {}
    bad: list[str] = []
    for w in witnesses:
        if w.alg != ALG_COSIGNATURE_V1:
            raise UsageError(f"witness key {w.name} is not a cosignature (type 0x04) key")
        for sig in note.matching(w):
            ts = _cosignature_time(sig, w, note.text)
            if ts is None:
                bad.append(w.name)
            else:
                cosigners[w.name] = ts
    if quorum > len(witnesses):
        raise UsageError(f"a quorum of {quorum} needs at least {quorum} witness keys, got {len(witnesses)}")
    if len(cosigners) < quorum:
        have = ", ".join(sorted(cosigners)) or "none"
        raise SignatureInvalid(
            f"{where}: {len(cosigners)} of the required {quorum} witness cosignatures verify ({have})",
            code="GSP-E411",
            remedy="ask more witnesses to run `glyphserpack log witness` on this checkpoint",
        )
    return VerifiedCheckpoint(checkpoint, note, cosigners, tuple(sorted(set(bad))))
