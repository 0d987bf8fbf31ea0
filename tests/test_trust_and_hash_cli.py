"""Trust stores, Ed25519 helpers and the `hash` command."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack import canonical, signing
from glyphserpack.cli import main
from glyphserpack.errors import InputError
from glyphserpack.trust import TrustStore


def key_entry(key: Ed25519PrivateKey, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key_id": signing.key_id(key),
        "public_key": signing.public_key_raw(key).hex(),
        "owner": "Release signing",
        "purposes": ["pack", "certificate"],
        "not_before": "2026-01-01T00:00:00Z",
        "not_after": "2027-01-01T00:00:00Z",
    }
    entry.update(extra)
    return entry


def test_key_id_is_sha256_of_raw_key() -> None:
    key = Ed25519PrivateKey.generate()
    assert signing.key_id(key) == hashlib.sha256(signing.public_key_raw(key)).hexdigest()


def test_trust_store_time_window_purpose_and_revocation(tmp_path: Path) -> None:
    good, revoked = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    doc = {
        "trust_store_version": 1,
        "keys": [
            key_entry(good),
            key_entry(revoked, revoked_at="2026-06-01T00:00:00Z", revocation_reason="keyCompromise"),
        ],
    }
    (tmp_path / "trust.json").write_text(json.dumps(doc))
    store = TrustStore.load(tmp_path)
    msg = b"root hash"
    when = "2026-03-01T00:00:00Z"
    assert store.check(signing.key_id(good), signing.sign(good, msg), msg, when=when, purpose="pack") == "ok"
    assert (
        store.check(signing.key_id(good), signing.sign(good, b"x"), msg, when=when, purpose="pack") == "bad_signature"
    )
    assert store.check(signing.key_id(good), signing.sign(good, msg), msg, when=when, purpose="site") == "wrong_purpose"
    late = "2027-02-01T00:00:00Z"
    assert store.check(signing.key_id(good), signing.sign(good, msg), msg, when=late, purpose="pack") == "expired"
    early = "2025-12-31T23:59:59Z"
    assert (
        store.check(signing.key_id(good), signing.sign(good, msg), msg, when=early, purpose="pack") == "not_yet_valid"
    )
    rid = signing.key_id(revoked)
    assert store.check(rid, signing.sign(revoked, msg), msg, when=when, purpose="pack") == "ok"
    after = "2026-07-01T00:00:00Z"
    assert store.check(rid, signing.sign(revoked, msg), msg, when=after, purpose="pack") == "revoked"
    assert store.check("0" * 64, b"", msg, when=when, purpose="pack") == "unknown"
    # Order of keys in the file does not change the hash.
    doc["keys"].reverse()
    (tmp_path / "trust.json").write_text(json.dumps(doc))
    assert TrustStore.load(tmp_path).hash() == store.hash()
    assert store.hash() == canonical.object_digest(store.to_obj())


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda e: e.update(key_id="0" * 64), "does not equal SHA-256"),
        (lambda e: e.update(public_key="zz"), "public_key"),
        (lambda e: e.update(purposes=["launch"]), "purposes"),
        (lambda e: e.update(not_before="2026-01-01"), "not_before"),
        (lambda e: e.update(colour="blue"), "unknown field 'colour'"),
        (lambda e: e.update(revoked_at="2026-02-01T00:00:00Z"), "go together"),
        (lambda e: e.pop("owner"), "missing field 'owner'"),
    ],
)
def test_trust_store_rejects_bad_entries(tmp_path: Path, mutate: Any, fragment: str) -> None:
    entry = key_entry(Ed25519PrivateKey.generate())
    mutate(entry)
    (tmp_path / "trust.json").write_text(json.dumps({"trust_store_version": 1, "keys": [entry]}))
    with pytest.raises(InputError, match=fragment):
        TrustStore.load(tmp_path)


def test_trust_store_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no trust\.yaml"):
        TrustStore.load(tmp_path)


def test_hash_cli_object_digest_and_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "doc.yaml"
    doc.write_text("b: 1\na: [1.5, true]\n")
    obj = {"a": [1.5, True], "b": 1}
    assert main(["hash", str(doc)]) == 0
    assert capsys.readouterr().out.strip() == hashlib.sha256(canonical.dumps(obj)).hexdigest()
    assert main(["hash", str(doc), "--commit", "security_case", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "CommitHash"
    assert out["sha256"] == hashlib.sha256(canonical.dumps(["security_case", obj])).hexdigest()


def test_hash_cli_same_value_any_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    obj = {"x": [1, 2.0, "é"], "y": None}
    (tmp_path / "a.json").write_text(json.dumps(obj))
    (tmp_path / "a.cbor").write_bytes(canonical.dumps(obj))
    (tmp_path / "a.yaml").write_text('y: null\nx: [1, 2.0, "é"]\n')
    hashes = set()
    for name in ("a.json", "a.cbor", "a.yaml"):
        assert main(["hash", str(tmp_path / name)]) == 0
        hashes.add(capsys.readouterr().out.strip())
    assert len(hashes) == 1


def test_hash_cli_bad_input_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "bad.yaml"
    doc.write_text("a: 1\na: 2\n")
    assert main(["hash", str(doc)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:2:1" in err
    assert "duplicate key 'a'" in err
    assert "Traceback" not in err
    assert main(["hash", str(tmp_path / "missing.json")]) == 2
    assert "not found" in capsys.readouterr().err
