"""The trust store is one format, append-only and hash-chained; its writers never lose a key (issue 14, item 4)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack import canonical, signing
from glyphserpack import keys as keylib
from glyphserpack.cli import main
from glyphserpack.errors import InputError
from glyphserpack.trust import TrustStore

T0 = "2026-01-01T00:00:00Z"


def raw_hex(key: Ed25519PrivateKey) -> str:
    return signing.public_key_raw(key).hex()


def add(trust: Path, key: Ed25519PrivateKey, owner: str, **extra: Any) -> None:
    keylib.add(raw_hex(key), trust_dir=trust, owner=owner, purposes=("certificate",), not_before=T0, **extra)


def cli(*args: str) -> int:
    return main(list(args))


def owners(trust: Path) -> set[str]:
    return {k.owner for k in TrustStore.load(trust).keys}


# --- one format, nothing lost -------------------------------------------------------------------


def test_twenty_generates_in_a_row_keep_every_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    trust = tmp_path / "ev" / "trust"
    assert cli("keys", "generate", str(tmp_path / "lab-one.key"), "--trust", str(trust), "--owner", "Lab One") == 0
    assert cli("keys", "add", str(tmp_path / "lab-one.key.pub.pem"), "--trust", str(trust), "--owner", "dup",
               "--purpose", "pack") == 2  # fmt: skip
    add(trust, Ed25519PrivateKey.generate(), "Lab Two")
    for i in range(20):
        key = tmp_path / f"k{i}.key"
        assert cli("keys", "generate", str(key), "--trust", str(trust), "--owner", f"signer {i}") == 0
    store = TrustStore.load(trust)
    assert owners(trust) == {"Lab One", "Lab Two", *(f"signer {i}" for i in range(20))}
    assert store.version == 22
    assert [v.version for v in store.versions()] == list(range(1, 23))
    assert sorted(p.name for p in trust.iterdir()) == ["trust.yaml"]  # one file, the one `check` reads


def test_edits_keep_the_leading_comment_block_verbatim(tmp_path: Path) -> None:
    trust = tmp_path / "trust"
    add(trust, Ed25519PrivateKey.generate(), "Lab One")
    assert not (trust / "trust.yaml").read_text().startswith("#")  # a new store has no header to keep
    header = "# Trust store of this evidence tree: public keys only.\n#   indented, kept as is\n\n"
    (trust / "trust.yaml").write_text(header + (trust / "trust.yaml").read_text())
    add(trust, Ed25519PrivateKey.generate(), "Lab Two")
    text = (trust / "trust.yaml").read_text()
    assert text.startswith(header)
    assert text.count("#") == header.count("#")
    assert owners(trust) == {"Lab One", "Lab Two"}


def _add_many(trust: str, keys: list[str], worker: int) -> None:
    for n, pub in enumerate(keys):
        keylib.add(pub, trust_dir=Path(trust), owner=f"w{worker}-{n}", purposes=("pack",), not_before=T0)


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    trust = tmp_path / "trust"
    add(trust, Ed25519PrivateKey.generate(), "original")
    ctx = multiprocessing.get_context("fork")
    jobs = [
        ctx.Process(target=_add_many, args=(str(trust), [raw_hex(Ed25519PrivateKey.generate()) for _ in range(3)], w))
        for w in range(8)
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join(60)
        assert job.exitcode == 0
    store = TrustStore.load(trust)  # verifies the whole chain
    assert len(store.keys) == 1 + 8 * 3
    assert store.version == 1 + 8 * 3


def test_legacy_json_is_read_and_rewritten_as_yaml_and_two_files_are_refused(tmp_path: Path) -> None:
    old = Ed25519PrivateKey.generate()
    entry = {"key_id": signing.key_id(old), "public_key": raw_hex(old), "owner": "legacy", "purposes": ["pack"],
             "not_before": T0}  # fmt: skip
    (tmp_path / "trust.json").write_text(json.dumps({"trust_store_version": 1, "keys": [entry]}))
    legacy_hash = TrustStore.load(tmp_path).hash()
    assert legacy_hash == canonical.object_digest({"trust_store_version": 1, "keys": [entry]})  # as before versions
    add(tmp_path, Ed25519PrivateKey.generate(), "new")
    assert not (tmp_path / "trust.json").exists()
    store = TrustStore.load(tmp_path)
    assert owners(tmp_path) == {"legacy", "new"}
    assert store.history[0].hash() == legacy_hash
    (tmp_path / "trust.json").write_text(json.dumps({"trust_store_version": 1, "keys": [entry]}))
    with pytest.raises(InputError, match=r"holds both trust.yaml and trust.json"):
        TrustStore.load(tmp_path)


# --- the chain ----------------------------------------------------------------------------------


def three_versions(trust: Path) -> list[Ed25519PrivateKey]:
    keys = [Ed25519PrivateKey.generate() for _ in range(3)]
    for i, key in enumerate(keys):
        add(trust, key, f"owner {i + 1}")
    return keys


def test_chain_links_each_version_to_the_one_before(tmp_path: Path) -> None:
    three_versions(tmp_path)
    store = TrustStore.load(tmp_path)
    v1, v2, v3 = store.versions()
    links = (v1.previous_version_hash, v2.previous_version_hash, v3.previous_version_hash)
    assert links == (None, v1.hash(), v2.hash())
    assert store.hash() == v3.hash() == canonical.object_digest(v3.bundle())  # history is not hashed
    assert "history" not in store.bundle()
    assert [len(v.keys) for v in store.versions()] == [1, 2, 3]


def test_tampered_history_version_is_named(tmp_path: Path) -> None:
    three_versions(tmp_path)
    doc = yaml.safe_load((tmp_path / "trust.yaml").read_text())
    doc["history"][0]["keys"][0]["not_before"] = "2020-01-01T00:00:00Z"  # back-date a key in version 1
    (tmp_path / "trust.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError) as err:
        TrustStore.load(tmp_path)
    assert "version 2's previous_version_hash does not match version 1" in err.value.message
    assert "version 1 was altered" in err.value.message


def test_a_version_that_removes_or_rewrites_a_key_is_refused(tmp_path: Path) -> None:
    keys = three_versions(tmp_path)
    store = TrustStore.load(tmp_path)
    with pytest.raises(InputError, match="version 4 removes key"):
        store.next_version(store.keys[1:])
    # A hand-made version 4 that drops a key, with every hash link right, is still refused on load.
    doc = store.to_obj()
    forged = {"trust_store_version": 4, "previous_version_hash": store.hash().hex(), "keys": doc["keys"][1:]}
    forged["history"] = [*doc["history"], store.bundle()]
    (tmp_path / "trust.yaml").write_text(yaml.safe_dump(forged))
    with pytest.raises(InputError, match=r"trust.yaml: version 4 removes key .*a version may only add"):
        TrustStore.load(tmp_path)
    # Rewriting, in the current version, a key an earlier version holds contradicts that version.
    (first,) = [k for k in doc["keys"] if k["key_id"] == signing.key_id(keys[0])]  # in version 1
    first["owner"] = "someone else"
    (tmp_path / "trust.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError, match="version 3 changes owner"):
        TrustStore.load(tmp_path)


def test_rotate_and_revoke_append_versions_and_keep_history(tmp_path: Path) -> None:
    first = Ed25519PrivateKey.generate()
    add(tmp_path, first, "first")
    kid = signing.key_id(first)
    keylib.rotate(kid, tmp_path / "next.key", trust_dir=tmp_path, at="2026-06-01T00:00:00Z")
    keylib.revoke(kid, trust_dir=tmp_path, at="2026-07-01T00:00:00Z", reason="superseded")
    store = TrustStore.load(tmp_path)
    assert store.version == 3
    old = store.get(kid)
    assert old is not None
    assert (old.not_after, old.revoked_at) == ("2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z")
    first_version = store.history[0].get(kid)
    assert first_version is not None
    assert first_version.not_after is None  # version 1 is kept as it was
    with pytest.raises(InputError, match="already revoked"):
        keylib.revoke(kid, trust_dir=tmp_path, at="2026-08-01T00:00:00Z")
    assert TrustStore.load(tmp_path).version == 3  # nothing written


# --- RFC 5280 revocation ------------------------------------------------------------------------


def signed_at(store: TrustStore, key: Ed25519PrivateKey, when: str) -> str:
    msg = b"certificate payload"
    return str(store.check(signing.key_id(key), signing.sign(key, msg), msg, when=when, purpose="certificate"))


def test_key_compromise_reaches_back_to_its_invalidity_date(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    add(tmp_path, key, "lab")
    assert cli("keys", "revoke", signing.key_id(key), "--trust", str(tmp_path), "--at", "2026-06-01T00:00:00Z",
               "--reason", "keyCompromise", "--invalidity-date", "2026-05-01T00:00:00Z") == 0  # fmt: skip
    store = TrustStore.load(tmp_path)
    assert signed_at(store, key, "2026-04-30T23:59:59Z") == "ok"
    assert signed_at(store, key, "2026-05-15T00:00:00Z") == "revoked"  # before publication, after compromise
    assert signed_at(store, key, "2026-06-02T00:00:00Z") == "revoked"


def test_key_compromise_without_invalidity_date_starts_at_revocation(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    add(tmp_path, key, "lab")
    keylib.revoke(signing.key_id(key), trust_dir=tmp_path, at="2026-06-01T00:00:00Z", reason="keyCompromise")
    store = TrustStore.load(tmp_path)
    assert signed_at(store, key, "2026-05-31T23:59:59Z") == "ok"
    assert signed_at(store, key, "2026-06-01T00:00:00Z") == "revoked"


@pytest.mark.parametrize("reason", ["superseded", "cessationOfOperation", "affiliationChanged"])
def test_other_reasons_never_reach_back(tmp_path: Path, reason: str) -> None:
    key = Ed25519PrivateKey.generate()
    add(tmp_path, key, "lab")
    keylib.revoke(signing.key_id(key), trust_dir=tmp_path, at="2026-06-01T00:00:00Z", reason=reason)
    store = TrustStore.load(tmp_path)
    assert signed_at(store, key, "2026-05-31T23:59:59Z") == "ok"  # signed before: still valid
    assert signed_at(store, key, "2026-06-01T00:00:01Z") == "revoked"
    with pytest.raises(Exception, match="only a keyCompromise"):
        keylib.revoke(signing.key_id(key), trust_dir=tmp_path, at="2026-07-01T00:00:00Z", reason=reason,
                      invalidity_date="2026-05-01T00:00:00Z")  # fmt: skip


def test_invalidity_date_in_a_file_is_checked(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    entry = {"key_id": signing.key_id(key), "public_key": raw_hex(key), "owner": "x", "purposes": ["pack"],
             "not_before": T0, "revoked_at": "2026-06-01T00:00:00Z", "revocation_reason": "superseded",
             "invalidity_date": "2026-05-01T00:00:00Z"}  # fmt: skip
    with pytest.raises(InputError, match=r"keys\[0\].invalidity_date: only a keyCompromise"):
        TrustStore.from_obj({"trust_store_version": 1, "keys": [entry]}, source="t.yaml")
    entry |= {"revocation_reason": "keyCompromise", "invalidity_date": "2026-07-01T00:00:00Z"}
    with pytest.raises(InputError, match="is after revoked_at"):
        TrustStore.from_obj({"trust_store_version": 1, "keys": [entry]}, source="t.yaml")


# --- purposes -----------------------------------------------------------------------------------


def test_release_purpose_expands_to_what_build_signs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert cli("keys", "generate", str(tmp_path / "r.key"), "--trust", str(tmp_path / "t"), "--purpose", "release",
               "--purpose", "certificate") == 0  # fmt: skip
    (key,) = TrustStore.load(tmp_path / "t").keys
    assert key.purposes == ("certificate", "checkpoint", "pack", "site")
    assert cli("keys", "generate", str(tmp_path / "x.key"), "--trust", str(tmp_path / "t"), "--purpose", "sign") == 2
    assert not (tmp_path / "x.key").exists()
    assert len(TrustStore.load(tmp_path / "t").keys) == 1


def _key_of_version_1(doc: dict[str, Any]) -> dict[str, Any]:
    """The current version's entry for the key version 1 already held (rewriting it breaks the chain)."""
    kid = doc["history"][0]["keys"][0]["key_id"]
    return next(k for k in doc["keys"] if k["key_id"] == kid)


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda d: d["keys"][0].update(purposes=["sight"]), "keys[0].purposes: expected a non-empty list"),
        (lambda d: _key_of_version_1(d).update(owner="Mallory"), "version 2 changes owner of key"),
        (lambda d: d.update(trust_store_version=7), "trust.yaml"),
    ],
)
def test_cli_writers_name_a_hand_edited_store_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, says: str
) -> None:
    trust = tmp_path / "trust"
    add(trust, Ed25519PrivateKey.generate(), "Lab One")
    add(trust, Ed25519PrivateKey.generate(), "Lab Two")
    path = trust / "trust.yaml"
    doc = yaml.safe_load(path.read_text())
    edit(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    before = path.read_bytes()
    pub = raw_hex(Ed25519PrivateKey.generate())
    rc = cli("keys", "add", pub, "--trust", str(trust), "--owner", "Lab Three", "--purpose", "certificate",
             "--not-before", T0)  # fmt: skip
    err = capsys.readouterr().err
    assert (rc, says in err, "Traceback" in err) == (2, True, False), err
    assert path.read_bytes() == before
    assert sorted(p.name for p in trust.iterdir()) == ["trust.yaml"]
