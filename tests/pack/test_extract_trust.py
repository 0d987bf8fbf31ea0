"""``extract --trust``: signatures are checked against a trust store before anything is written."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack.cli import main
from glyphserpack.errors import SignatureInvalid
from glyphserpack.pack import extract, write
from glyphserpack.signing import key_id, public_key_raw
from glyphserpack.trust import TrustedKey, TrustStore

from .conftest import CREATED, build, normal

MEMBER = "data/certs/cert.cbor"


def _trust_dir(path: Path, key: Ed25519PrivateKey, *, not_before: str = "2026-01-01T00:00:00Z") -> Path:
    entry = TrustedKey(key_id(key), public_key_raw(key), "Release", ("pack",), not_before, None, None, None)
    TrustStore.from_keys([entry]).save(path)
    return path


@pytest.fixture
def good_trust(tmp_path: Path, key: Ed25519PrivateKey) -> Path:
    return _trust_dir(tmp_path / "trust-good", key)


@pytest.fixture
def wrong_trust(tmp_path: Path) -> Path:
    return _trust_dir(tmp_path / "trust-wrong", Ed25519PrivateKey.from_private_bytes(b"\7" * 32))


def _nothing_written(dest: Path) -> None:
    assert not dest.exists()
    leftovers = [p.name for p in dest.parent.iterdir() if p.name.startswith(f".{dest.name}.")]
    assert leftovers == [], f"staging directories left behind: {leftovers}"


@pytest.mark.parametrize("members", [[MEMBER], []], ids=["one-member", "whole-pack"])
def test_good_trust_store_extracts(
    packed: Path, good_trust: Path, tmp_path: Path, members: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "out"
    assert main(["extract", str(packed), str(dest), *members, "--trust", str(good_trust)]) == 0
    assert (dest / MEMBER).read_bytes() == (tmp_path / "src" / "certs" / "cert.cbor").read_bytes()
    assert "signatures trusted by trust-good" in capsys.readouterr().out


@pytest.mark.parametrize("members", [[MEMBER], []], ids=["one-member", "whole-pack"])
@pytest.mark.parametrize("salvage", [False, True], ids=["strict", "salvage"])
def test_wrong_key_writes_nothing(
    packed: Path,
    wrong_trust: Path,
    tmp_path: Path,
    members: list[str],
    salvage: bool,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dest = tmp_path / "out"
    argv = ["extract", str(packed), str(dest), *members, "--trust", str(wrong_trust)]
    assert main(argv + (["--salvage"] if salvage else [])) == 1
    err = capsys.readouterr().err
    assert "signatures do not verify against the trust store" in err
    assert "GSP-E115" in err
    assert "nothing extracted" in err
    _nothing_written(dest)


def test_key_not_yet_valid_at_created_time(packed: Path, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    """The signer is judged at the pack's created time, as `verify --trust` does."""
    late = _trust_dir(tmp_path / "trust-late", key, not_before="2026-06-01T00:00:00Z")
    dest = tmp_path / "out"
    with pytest.raises(SignatureInvalid, match="GSP-E115"):
        extract(packed, dest, [MEMBER], trust=TrustStore.load(late))
    _nothing_written(dest)


def test_unsigned_pack_is_refused_with_trust(src: Path, good_trust: Path, tmp_path: Path) -> None:
    unsigned = tmp_path / "unsigned.glyphserpack"
    write(src, unsigned, created=CREATED, threads=1)
    dest = tmp_path / "out"
    with pytest.raises(SignatureInvalid, match="GSP-E117"):
        extract(unsigned, dest, [MEMBER], trust=TrustStore.load(good_trust))
    _nothing_written(dest)
    # Without --trust the same pack extracts: integrity only.
    assert extract(unsigned, dest, [MEMBER]).written == [MEMBER]


def _tampered(tmp_path: Path, key: Ed25519PrivateKey) -> Path:
    """A signed pack whose payload and manifest entry were swapped after signing."""
    evil = b"evil\n"

    def swap(manifest: dict[str, Any]) -> None:
        for m in manifest["members"]:
            if m["name"] == "data/ok.txt":
                m["sha256"] = hashlib.sha256(evil).hexdigest()
                m["size"] = len(evil)

    return build(
        tmp_path / "tampered.glyphserpack",
        [normal("data/ok.txt", evil)],
        [("data/ok.txt", b"fine\n")],
        tamper_manifest=swap,
        sign_keys=[key],
    )


def test_tampered_manifest_passes_integrity_but_not_trust(
    tmp_path: Path, key: Ed25519PrivateKey, good_trust: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = _tampered(tmp_path, key)
    # Integrity only: the member matches the (rewritten) manifest, so it extracts...
    plain = tmp_path / "plain"
    assert main(["extract", str(pack), str(plain), "data/ok.txt"]) == 0
    assert (plain / "data/ok.txt").read_bytes() == b"evil\n"
    assert "integrity only, no --trust" in capsys.readouterr().out
    # ...but the signature no longer covers the manifest, and --trust says so.
    dest = tmp_path / "out"
    for members in (["data/ok.txt"], []):
        assert main(["extract", str(pack), str(dest), *members, "--trust", str(good_trust)]) == 1
        err = capsys.readouterr().err
        assert "GSP-E114" in err
        assert "signatures do not verify" in err
        _nothing_written(dest)


def test_help_says_what_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Without --trust only integrity is checked" in text
    assert "--trust DIRECTORY" in text or "--trust PATH" in text
