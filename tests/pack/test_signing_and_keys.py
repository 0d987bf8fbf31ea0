"""Signers, trust stores (revoked/expired keys at the pack's signed time) and key files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack import keys
from glyphserpack.cli import main
from glyphserpack.errors import KeyMaterialError, UsageError
from glyphserpack.pack import verify, write
from glyphserpack.signing import key_id
from glyphserpack.trust import TrustStore

from .conftest import CREATED


def _trust(tmp_path: Path, *pairs: tuple[Ed25519PrivateKey, dict[str, str]]) -> TrustStore:
    from glyphserpack.signing import public_key_raw
    from glyphserpack.trust import TrustedKey

    entries = [
        TrustedKey(
            key_id(k),
            public_key_raw(k),
            "owner",
            ("pack",),
            extra.get("not_before", "2026-01-01T00:00:00Z"),
            extra.get("not_after"),
            extra.get("revoked_at"),
            extra.get("revocation_reason"),
        )
        for k, extra in pairs
    ]
    return TrustStore.from_keys(entries)


@pytest.fixture
def two_keys() -> tuple[Ed25519PrivateKey, Ed25519PrivateKey]:
    return Ed25519PrivateKey.from_private_bytes(b"\1" * 32), Ed25519PrivateKey.from_private_bytes(b"\2" * 32)


def test_several_signers_verify_against_trust(
    src: Path, tmp_path: Path, two_keys: tuple[Ed25519PrivateKey, ...]
) -> None:
    out = tmp_path / "p.glyphserpack"
    write(src, out, sign_keys=list(two_keys), created=CREATED)
    report = verify(out, trust=_trust(tmp_path, (two_keys[0], {}), (two_keys[1], {})))
    assert report.valid
    assert report.findings == []
    assert [c.result for c in report.checks if c.check_id == "9.signatures"] == ["pass"]


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"revoked_at": "2026-02-01T00:00:00Z", "revocation_reason": "keyCompromise"}, "GSP-E116"),
        ({"not_after": "2026-02-01T00:00:00Z"}, "GSP-E115"),
        ({"not_before": "2026-06-01T00:00:00Z"}, "GSP-E115"),
    ],
    ids=["revoked", "expired", "not-yet-valid"],
)
def test_untrusted_signer_at_pack_time(
    packed: Path, key: Ed25519PrivateKey, tmp_path: Path, extra: dict[str, str], code: str
) -> None:
    report = verify(packed, trust=_trust(tmp_path, (key, extra)))
    codes = {f.code for f in report.findings}
    assert not report.valid
    assert {code, "GSP-E117"} <= codes


def test_revocation_after_creation_does_not_invalidate(packed: Path, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    extra = {"revoked_at": "2026-04-01T00:00:00Z", "revocation_reason": "superseded"}
    assert verify(packed, trust=_trust(tmp_path, (key, extra))).valid


def test_unknown_signer_and_unsigned(
    packed: Path, src: Path, tmp_path: Path, two_keys: tuple[Ed25519PrivateKey, ...]
) -> None:
    trust = _trust(tmp_path, (two_keys[0], {}))
    assert {f.code for f in verify(packed, trust=trust).findings} == {"GSP-E115", "GSP-E117"}
    unsigned = tmp_path / "u.glyphserpack"
    write(src, unsigned, created=CREATED)
    assert verify(unsigned).valid
    assert {f.code for f in verify(unsigned).findings} == {"GSP-E125"}
    assert {f.code for f in verify(unsigned, trust=trust).findings} == {"GSP-E125", "GSP-E117"}


def test_cli_verify_with_trust_dir_and_reports(
    packed: Path, key: Ed25519PrivateKey, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trust_dir = tmp_path / "trust"
    _trust(tmp_path, (key, {})).save(trust_dir)
    cbor = tmp_path / "report.cbor"
    assert main(["verify", str(packed), "--trust", str(trust_dir), "--json", "--cbor-out", str(cbor)]) == 0
    first = capsys.readouterr().out
    obj = json.loads(first)
    assert obj["valid"] is True
    assert obj["pack"] == "release.glyphserpack"
    assert str(tmp_path) not in first
    assert main(["verify", str(packed), "--trust", str(trust_dir), "--json"]) == 0
    assert capsys.readouterr().out == first  # deterministic
    from glyphserpack import canonical

    assert canonical.loads(cbor.read_bytes()) == obj
    assert main(["verify", str(packed)]) == 0
    assert "VALID" in capsys.readouterr().out


def test_key_generate_show_pack_rotate_revoke(
    tmp_path: Path, src: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trust_dir = tmp_path / "trust"
    kf = tmp_path / "k1.pem"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert main(["keys", "generate", str(kf), "--trust", str(trust_dir), "--owner", "Release"]) == 0
    kid = capsys.readouterr().out.split()[0]
    assert stat.S_IMODE(os.stat(kf).st_mode) == 0o600
    assert main(["keys", "show", str(kf), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["key_id"] == kid
    assert "PRIVATE" not in json.dumps(shown)
    out = tmp_path / "p.glyphserpack"
    assert main(["pack", str(src), "-o", str(out), "--sign-key", str(kf), "--created", CREATED]) == 0
    capsys.readouterr()
    assert main(["verify", str(out), "--trust", str(trust_dir)]) == 0
    # Rotation ends the old key's window after the pack was made: old pack still verifies.
    assert (
        main(
            ["keys", "rotate", kid, str(tmp_path / "k2.pem"), "--trust", str(trust_dir), "--at", "2026-05-01T00:00:00Z"]
        )
        == 0
    )
    assert main(["verify", str(out), "--trust", str(trust_dir)]) == 0
    # Revocation before the pack's created time invalidates it.
    assert main(["keys", "revoke", kid, "--trust", str(trust_dir), "--at", "2026-02-01T00:00:00Z"]) == 0
    capsys.readouterr()
    assert main(["verify", str(out), "--trust", str(trust_dir)]) == 1
    assert "GSP-E116" in capsys.readouterr().out
    store = TrustStore.load(trust_dir)
    assert len(store.keys) == 2


def test_encrypted_key_needs_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kf = tmp_path / "enc.pem"
    info = keys.generate(kf, passphrase=b"s3cret-pass", not_before=CREATED)
    assert info.encrypted
    assert b"ENCRYPTED" in kf.read_bytes()
    with pytest.raises(KeyMaterialError, match="encrypted"):
        keys.load_private_key(kf)
    with pytest.raises(KeyMaterialError, match="wrong passphrase"):
        keys.load_private_key(kf, passphrase=b"nope")
    assert key_id(keys.load_private_key(kf, passphrase=b"s3cret-pass")) == info.key_id
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "s3cret-pass")
    assert main(["keys", "show", str(kf)]) == 0
    monkeypatch.delenv(keys.PASSPHRASE_ENV)
    assert main(["keys", "show", str(kf)]) == 2


def test_key_file_permissions_and_overwrite(tmp_path: Path) -> None:
    kf = tmp_path / "k.pem"
    keys.generate(kf, not_before=CREATED)
    with pytest.raises(UsageError, match="already exists"):
        keys.generate(kf, not_before=CREATED)
    os.chmod(kf, 0o644)
    with pytest.raises(KeyMaterialError, match="lets others read"):
        keys.load_private_key(kf)
