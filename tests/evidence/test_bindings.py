"""What execution certificates sign is recomputed from the tree: trust store, revocation set, trace.

Each check has a positive case (the bundled tree, recomputed here independently of the
library) and negative cases (one tampered field -> that finding, verdict FAIL, CLI exit 1).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from glyphserpack import canonical
from glyphserpack.cli import main
from glyphserpack.errors import EvidenceError, InputError
from glyphserpack.evidence import decode_envelope, encode_envelope, load_tree
from glyphserpack.evidence.bindings import parse_trace, revocation_bundle_hash, revocation_set, trace_final_hash
from glyphserpack.signing import key_id
from glyphserpack.trust import TrustStore

from .helpers import BUNDLED, findings_of, rewrite, sha

CERTS = ("runs/core/certificate.cbor", "runs/enterprise/certificate.cbor", "runs/regulated/certificate.cbor")
CORE_CERT = CERTS[0]


def demo_key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"glyphserpack DEMO key: {name}".encode()).digest())


def payload_of(root: Path, rel: str) -> dict[str, Any]:
    return dict(decode_envelope((root / rel).read_bytes(), name=rel).payload)


def resign(root: Path, rel: str, change: dict[str, Any], key: str = "release-2026") -> None:
    """Re-sign a signed file with a changed payload (with the right key, so only the change counts)."""
    k = demo_key(key)
    rewrite(root, rel, encode_envelope(k, dict(payload_of(root, rel), **change, key_id=key_id(k))))


def add_document(root: Path, rel: str, data: bytes) -> None:
    (root / rel).write_bytes(data)
    text = (root / "release.yaml").read_text()
    entry = f"documents:\n- path: {rel}\n  sha256: {sha(data)}\n"
    (root / "release.yaml").write_text(text.replace("documents:\n", entry, 1))


def add_revocation(root: Path, rev_id: str, revoked_utc: str) -> None:
    ca = demo_key("cert-authority-2026")
    target = "certification/records/cert-store-s3-2025.cbor"
    payload = {
        "kind": "revocation",
        "schema_version": 1,
        "revocation_id": rev_id,
        "target_kind": "certification_record",
        "target": {"path": target, "sha256": sha((root / target).read_bytes())},
        "reason_code": "superseded",
        "revoked_utc": revoked_utc,
        "issuer": "test",
        "key_id": key_id(ca),
        "signature_algorithm": "ed25519",
    }
    add_document(root, f"certification/revocations/{rev_id}.cbor", encode_envelope(ca, payload))


def has(lines: list[str], code: str, where: str, *texts: str) -> bool:
    return any(ln.startswith(f"{code} {where}:") and all(t in ln for t in texts) for ln in lines)


def cli(root: Path, profile: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(["check", str(root), "--profile", profile])
    return rc, capsys.readouterr().out


# --- an independent reference for the definitions in docs/evidence.md ---------------------------


def ref_trace_final_hash(path: Path) -> bytes:
    h = bytes(32)
    for line in path.read_text(encoding="utf-8").splitlines():
        h = hashlib.sha256(canonical.dumps(["trace_record", [h, json.loads(line)]])).digest()
    return h


def ref_revocation_hash(root: Path, as_of: str) -> bytes:
    revs = [payload_of(root, p.relative_to(root).as_posix()) for p in (root / "certification/revocations").iterdir()]
    chosen = sorted((r for r in revs if r["revoked_utc"] <= as_of), key=lambda r: r["revocation_id"])
    return hashlib.sha256(canonical.dumps(chosen)).digest()


# --- positive: the bundled tree ---------------------------------------------------------------


@pytest.mark.parametrize("rel", CERTS)
def test_bundled_certificates_bind_what_the_tree_holds(rel: str) -> None:
    cert = payload_of(BUNDLED, rel)
    # the version in force when it was signed (version 3 of the history; version 4 came later)
    signed_under = yaml.safe_load((BUNDLED / "trust/trust.yaml").read_text())["history"][2]
    assert signed_under["trust_store_version"] == 3
    assert cert["trust_store_hash"] == hashlib.sha256(canonical.dumps(signed_under)).digest()
    assert cert["revocation_bundle_hash"] == ref_revocation_hash(BUNDLED, cert["verification_time_utc"])
    assert cert["trace_final_hash"] == ref_trace_final_hash(BUNDLED / rel.replace("certificate.cbor", "trace.jsonl"))
    # the bundled revocation predates the certificates, so the bound set is not the empty one
    assert cert["revocation_bundle_hash"] != hashlib.sha256(canonical.dumps([])).digest()


def test_report_revocation_hash_is_the_same_function() -> None:
    from glyphserpack.evidence import check

    tree = load_tree(BUNDLED)
    prod = check(tree, "core").productization_report
    assert prod["revocation_bundle_hash"] == ref_revocation_hash(BUNDLED, "9999-12-31T23:59:59Z").hex()


# --- trust_store_hash ---------------------------------------------------------------------------


def test_tampered_trust_store_hash(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = hashlib.sha256(b"another trust store").digest()
    resign(tree_dir, CORE_CERT, {"trust_store_hash": bogus})
    real = TrustStore.load(tree_dir / "trust").hash().hex()
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E019", CORE_CERT, "trust_store_hash", bogus.hex(), real, "trust/trust.yaml")
    assert not any(ln.startswith("GSP-E019 runs/enterprise") for ln in lines)
    rc, out = cli(tree_dir, "core", capsys)
    assert rc == 1
    assert f"GSP-E019 {CORE_CERT}: trust_store_hash: certificate signs {bogus.hex()}" in out
    assert "upgrade_gate_verdict: FAIL" in out


def test_swapped_trust_store_breaks_every_binding(tree_dir: Path) -> None:
    """The same keys as a fresh one-version store: well-formed, but no version any certificate pinned."""
    doc = yaml.safe_load((tree_dir / "trust/trust.yaml").read_text())
    swapped = {"trust_store_version": 1, "keys": doc["keys"]}
    rewrite(tree_dir, "trust/trust.yaml", yaml.safe_dump(swapped).encode())
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    for rel in CERTS:
        assert has(lines, "GSP-E019", rel, "trust_store_hash", "versions tried: v1 ")


def test_trust_store_edited_in_place_is_refused_naming_the_version(tree_dir: Path) -> None:
    text = (tree_dir / "trust/trust.yaml").read_text()
    rewrite(tree_dir, "trust/trust.yaml", text.replace("(DEMO)", "(DEMO, renamed)", 1).encode())
    with pytest.raises(EvidenceError, match=r"GSP-E002 trust/trust.yaml: version 4 changes owner of key"):
        load_tree(tree_dir)


# --- revocation_bundle_hash ---------------------------------------------------------------------


def test_tampered_revocation_bundle_hash(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = hashlib.sha256(b"no revocations").digest()
    resign(tree_dir, CORE_CERT, {"revocation_bundle_hash": bogus})
    want = ref_revocation_hash(tree_dir, "2026-10-10T08:15:00Z").hex()
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E020", CORE_CERT, "revocation_bundle_hash", bogus.hex(), want, "rev-2026-0007")
    rc, out = cli(tree_dir, "core", capsys)
    assert rc == 1
    assert f"GSP-E020 {CORE_CERT}: revocation_bundle_hash: certificate signs {bogus.hex()}" in out


def test_revocation_after_verification_time_keeps_bindings(tree_dir: Path) -> None:
    """A later revocation is not part of what an older certificate could have bound."""
    add_revocation(tree_dir, "rev-later", "2026-10-10T08:15:01Z")
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "PASS", lines
    tree = load_tree(tree_dir)
    from glyphserpack.evidence import check

    prod = check(tree, "regulated").productization_report  # the report's set is everything in the tree
    assert prod["revocation_bundle_hash"] == ref_revocation_hash(tree_dir, "9999-12-31T23:59:59Z").hex()
    assert prod["revocation_bundle_hash"] != payload_of(tree_dir, CORE_CERT)["revocation_bundle_hash"].hex()


def test_revocation_at_or_before_verification_time_changes_the_bound_set(tree_dir: Path) -> None:
    add_revocation(tree_dir, "rev-backdated", "2026-10-10T08:15:00Z")  # effective at that very instant
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    for rel in CERTS:
        assert has(lines, "GSP-E020", rel, "rev-2026-0007, rev-backdated")


def test_revocation_set_time_cut() -> None:
    revs = [
        {"revocation_id": "b", "revoked_utc": "2026-01-02T00:00:00Z"},
        {"revocation_id": "a", "revoked_utc": "2026-01-03T00:00:00Z"},
    ]
    assert [r["revocation_id"] for r in revocation_set(revs)] == ["a", "b"]
    assert [r["revocation_id"] for r in revocation_set(revs, as_of="2026-01-02T00:00:00Z")] == ["b"]
    assert revocation_set(revs, as_of="2026-01-01T23:59:59Z") == []
    assert revocation_bundle_hash(revs) == hashlib.sha256(canonical.dumps(revocation_set(revs))).digest()


# --- trace_final_hash ---------------------------------------------------------------------------

CORE_TRACE = "runs/core/trace.jsonl"


def test_tampered_trace(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (tree_dir / CORE_TRACE).read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace("OptimizerStep", "OptimizerSkip")
    rewrite(tree_dir, CORE_TRACE, "".join(lines).encode())  # re-pinned: only the content is wrong
    signed = payload_of(tree_dir, CORE_CERT)["trace_final_hash"].hex()
    actual = ref_trace_final_hash(tree_dir / CORE_TRACE).hex()
    verdict, found = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(found, "GSP-E021", CORE_CERT, "trace_final_hash", signed, actual, CORE_TRACE)
    rc, out = cli(tree_dir, "core", capsys)
    assert rc == 1
    assert f"GSP-E021 {CORE_CERT}: trace_final_hash: certificate signs {signed}, trace {CORE_TRACE}" in out


def test_tampered_trace_final_hash_field(tree_dir: Path) -> None:
    resign(tree_dir, CORE_CERT, {"trace_final_hash": bytes(32)})
    verdict, found = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(found, "GSP-E021", CORE_CERT, "0" * 64)


def test_trace_respelled_keeps_its_final_hash(tree_dir: Path) -> None:
    """The chain is over records, not bytes: another JSON spelling of the same records passes."""
    records = [json.loads(ln) for ln in (tree_dir / CORE_TRACE).read_text().splitlines()]
    respelled = "".join(json.dumps(dict(reversed(list(r.items()))), indent=None) + "\n" for r in records)
    assert respelled.encode() != (tree_dir / CORE_TRACE).read_bytes()
    rewrite(tree_dir, CORE_TRACE, respelled.encode())
    assert findings_of(tree_dir, "core") == ("PASS", [])


def test_trace_missing(tree_dir: Path) -> None:
    (tree_dir / CORE_TRACE).unlink()
    verdict, found = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(found, "GSP-E005", CORE_TRACE)
    assert has(found, "GSP-E022", CORE_CERT, f"trace {CORE_TRACE} (from runs/core/run.yaml) is missing")


def test_trace_altered_is_not_parsed(tree_dir: Path) -> None:
    (tree_dir / CORE_TRACE).write_bytes(b"not json\n")  # pinned digest no longer matches
    verdict, found = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(found, "GSP-E004", CORE_TRACE)
    assert has(found, "GSP-E022", CORE_CERT, "is altered")


def test_trace_not_a_trace_sidecar(tree_dir: Path) -> None:
    text = (tree_dir / CORE_TRACE).read_text()
    rewrite(tree_dir, CORE_TRACE, (text + "[1, 2]\n").encode())
    verdict, found = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(found, "GSP-E022", CORE_CERT, f"{CORE_TRACE} line 7", "a trace record is an object")


def test_certificate_without_a_run_has_no_trace(tree_dir: Path) -> None:
    text = (tree_dir / "release.yaml").read_text()
    run_sha = sha((tree_dir / "runs/core/run.yaml").read_bytes())
    entry = f"- path: runs/core/run.yaml\n  sha256: {run_sha}\n"
    assert entry in text
    (tree_dir / "release.yaml").write_text(text.replace(entry, ""))
    (tree_dir / "runs/core/run.yaml").unlink()
    verdict, found = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(found, "GSP-E022", CORE_CERT, "no run_evidence links this certificate to its trace")


def test_parse_trace_formats_and_errors() -> None:
    recs = [{"step": 0, "op": "a"}, {"step": 1, "op": "b", "x": 1.5}]
    jsonl = "".join(json.dumps(r) + "\n" for r in recs).encode()
    assert parse_trace(jsonl, name="t.jsonl") == recs
    assert parse_trace(jsonl.rstrip(b"\n"), name="t.ndjson") == recs
    assert parse_trace(canonical.dumps(recs), name="t.cbor") == recs
    h0 = hashlib.sha256(canonical.dumps(["trace_record", [bytes(32), recs[0]]])).digest()
    assert trace_final_hash(recs[:1]) == h0
    assert trace_final_hash(recs) == hashlib.sha256(canonical.dumps(["trace_record", [h0, recs[1]]])).digest()
    for data, name, msg in [
        (b"", "t.jsonl", "no records"),
        (b'{"a": 1}\n\n{"a": 2}\n', "t.jsonl", "t.jsonl line 2: empty line"),
        (b'{"a": 1, "a": 2}\n', "t.jsonl", "duplicate key"),
        (b"{bad\n", "t.jsonl", "t.jsonl line 1"),
        (canonical.dumps({"a": 1}), "t.cbor", "array of records"),
        (b"\xff", "t.cbor", "not canonical CBOR"),
        (b"{}", "t.txt", "unknown trace format"),
    ]:
        with pytest.raises(InputError, match=msg):
            parse_trace(data, name=name)


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=5)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.dictionaries(TEXT.filter(bool), st.integers(-(2**63), 2**63 - 1) | TEXT, max_size=4),
        min_size=1,
        max_size=6,
    ),
    st.data(),
)
def test_trace_hash_commits_to_every_record_and_their_order(recs: list[dict[str, Any]], data: st.DataObject) -> None:
    jsonl = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode()
    assert trace_final_hash(parse_trace(jsonl, name="t.jsonl")) == trace_final_hash(recs)
    i = data.draw(st.integers(0, len(recs) - 1))
    changed = [dict(r) for r in recs]
    changed[i]["__tamper__"] = 1
    assert trace_final_hash(changed) != trace_final_hash(recs)
    if len(recs) > 1 and recs[0] != recs[-1]:
        assert trace_final_hash([recs[-1], *recs[1:-1], recs[0]]) != trace_final_hash(recs)
