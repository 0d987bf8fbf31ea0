"""Signed notes, checkpoints and N-of-M witness cosignatures."""

from __future__ import annotations

import base64
import hashlib

import pytest
from logtest_helpers import ORIGIN, fixed_key

from glyphserpack.errors import InputError, KeyMaterialError, SignatureInvalid, UsageError
from glyphserpack.log.checkpoint import Checkpoint, cosign, open_checkpoint, parse_checkpoint_text, sign_checkpoint
from glyphserpack.log.note import ALG_COSIGNATURE_V1, Note, Signer, key_hash, parse_note, parse_verifier_key
from glyphserpack.signing import public_key_raw, verify_signature

# The example from the Go reference implementation of signed notes (golang.org/x/mod/sumdb/note).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_NOTE = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
).encode()


def test_go_reference_note_verifies_and_alterations_do_not() -> None:
    v = parse_verifier_key(GO_VKEY)
    note = parse_note(GO_NOTE)
    note.verify(v)
    assert v.vkey() == GO_VKEY
    altered = parse_note(GO_NOTE.replace(b"problem,", b"problem;"))
    with pytest.raises(SignatureInvalid):
        altered.verify(v)
    sig = note.signatures[0]
    bad_sig = Note(note.text, (type(sig)(sig.name, sig.hash, bytes([sig.blob[0] ^ 1]) + sig.blob[1:]),))
    with pytest.raises(SignatureInvalid):
        parse_note(bad_sig.to_bytes()).verify(v)


def test_key_hash_is_spec_formula() -> None:
    key = fixed_key("k")
    raw = public_key_raw(key)
    assert key_hash("n", 1, raw) == hashlib.sha256(b"n\n\x01" + raw).digest()[:4]
    signer = Signer("example.org/a", key)
    text = signer.verifier().vkey()
    name, hh, blob = text.split("+", 2)
    assert name == "example.org/a"
    assert hh == hashlib.sha256(b"example.org/a\n\x01" + raw).digest()[:4].hex()
    assert base64.b64decode(blob) == b"\x01" + raw
    assert parse_verifier_key(text).raw == raw
    with pytest.raises(KeyMaterialError, match="does not match"):
        parse_verifier_key(f"example.org/b+{hh}+{blob}")


def test_note_round_trip_and_unknown_signers_ignored(signer: Signer) -> None:
    other = Signer("other.example", fixed_key("o"))
    note = Note("hello\nworld\n").signed_by(other).signed_by(signer)
    parsed = parse_note(note.to_bytes())
    assert parsed == note
    parsed.verify(signer.verifier())
    with pytest.raises(SignatureInvalid, match="no signature"):
        parsed.verify(Signer("third.example", fixed_key("t")).verifier())


@pytest.mark.parametrize(
    "raw",
    [
        b"text without signature block\n",
        b"text\n\n\xe2\x80\x94 name AAAA\n",  # too short for hash + signature
        b"text\n\nnot a signature line\n",
        b"text\n\n\xe2\x80\x94 name !!!!\n",
        b"bell\x07\n\n\xe2\x80\x94 name AAAAAAAA\n",
        b"\xff\n\n\xe2\x80\x94 name AAAAAAAA\n",
    ],
)
def test_malformed_notes_rejected(raw: bytes) -> None:
    with pytest.raises(InputError):
        parse_note(raw)


def test_checkpoint_text_is_strict() -> None:
    cp = Checkpoint(ORIGIN, 42, bytes(range(32)), ("ext",))
    assert cp.text() == f"{ORIGIN}\n42\n{base64.b64encode(bytes(range(32))).decode()}\next\n"
    assert parse_checkpoint_text(cp.text()) == cp
    root = base64.b64encode(bytes(32)).decode()
    for bad in [f"o\n042\n{root}\n", f"o\n-1\n{root}\n", "o\n1\nAAAA\n", f"o\n1\n{root}", f"\n1\n{root}\n", "o\n1\n"]:
        with pytest.raises(InputError):
            parse_checkpoint_text(bad)


def test_checkpoint_signature_and_origin(signer: Signer) -> None:
    data = sign_checkpoint(Checkpoint(ORIGIN, 3, bytes(32)), signer)
    assert open_checkpoint(data, signer.verifier()).checkpoint.size == 3
    forged = data.replace(b"\n3\n", b"\n4\n")
    with pytest.raises(SignatureInvalid, match="GSP-E401"):
        open_checkpoint(forged, signer.verifier())
    stranger = Signer(ORIGIN, fixed_key("stranger"))
    with pytest.raises(SignatureInvalid, match="GSP-E401"):
        open_checkpoint(sign_checkpoint(Checkpoint(ORIGIN, 3, bytes(32)), stranger), signer.verifier())
    elsewhere = Signer("elsewhere.example", fixed_key("log"))
    with pytest.raises(SignatureInvalid, match="GSP-E414"):
        open_checkpoint(sign_checkpoint(Checkpoint("elsewhere.example", 3, bytes(32)), elsewhere), signer.verifier())


def test_cosignature_format_follows_tlog_cosignature(signer: Signer, witnesses: list[Signer]) -> None:
    data = cosign(sign_checkpoint(Checkpoint(ORIGIN, 3, bytes(32)), signer), witnesses[0], 1_700_000_000)
    note = parse_note(data)
    sig = note.matching(witnesses[0].verifier())[0]
    raw = public_key_raw(witnesses[0].private_key)
    assert sig.hash == hashlib.sha256(witnesses[0].name.encode() + b"\n\x04" + raw).digest()[:4]
    assert int.from_bytes(sig.blob[:8], "big") == 1_700_000_000
    message = b"cosignature/v1\ntime 1700000000\n" + note.text.encode()
    assert verify_signature(witnesses[0].private_key.public_key(), sig.blob[8:], message)


def test_n_of_m_cosignatures(signer: Signer, witnesses: list[Signer]) -> None:
    data = sign_checkpoint(Checkpoint(ORIGIN, 7, bytes(32)), signer)
    data = cosign(cosign(data, witnesses[0], 100), witnesses[1], 200)
    keys = [w.verifier() for w in witnesses]
    vc = open_checkpoint(data, signer.verifier(), witnesses=keys, quorum=2)
    assert vc.cosigners == {witnesses[0].name: 100, witnesses[1].name: 200}
    with pytest.raises(SignatureInvalid, match=r"GSP-E411.*2 of the required 3"):
        open_checkpoint(data, signer.verifier(), witnesses=keys, quorum=3)
    with pytest.raises(UsageError):
        open_checkpoint(data, signer.verifier(), witnesses=keys[:1], quorum=2)
    # A cosignature over another body, pasted in, does not count.
    other = cosign(sign_checkpoint(Checkpoint(ORIGIN, 8, bytes(32)), signer), witnesses[2], 300)
    pasted = data + parse_note(other).signatures[-1].line().encode()
    vc = open_checkpoint(pasted, signer.verifier(), witnesses=keys, quorum=2)
    assert vc.bad_cosigners == (witnesses[2].name,)
    assert witnesses[2].name not in vc.cosigners
    # Re-cosigning replaces the witness's previous line instead of stacking them.
    again = cosign(data, witnesses[0], 150)
    assert open_checkpoint(again, signer.verifier(), witnesses=keys).cosigners[witnesses[0].name] == 150
    assert len(parse_note(again).signatures) == 3


def test_cosign_refuses_note_keys(signer: Signer) -> None:
    data = sign_checkpoint(Checkpoint(ORIGIN, 1, bytes(32)), signer)
    with pytest.raises(UsageError):
        cosign(data, Signer("w.example", fixed_key("w")), 1)
    vkey = Signer("w.example", fixed_key("w"), ALG_COSIGNATURE_V1).verifier().vkey()
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04
