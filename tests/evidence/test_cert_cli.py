"""``glyphserpack cert``: issue, revoke, renew, show and list signed registry evidence (issue 14, item 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from glyphserpack import keys
from glyphserpack.cli import main
from glyphserpack.evidence import check, decode_envelope, load_tree

from .attest_helpers import BUNDLE, CPU_PACKAGE, CPU_RECORD, _demo_key
from .helpers import edit_doc, edit_text, rewrite, sha

RELEASE_TIME = "2026-10-15T12:00:00Z"
S3_RECORD = "certification/records/cert-store-s3-2026.cbor"
GCS_RECORD = "certification/records/cert-store-gcs-2026.cbor"  # revoked in the bundled tree
REVOCATION = "certification/revocations/rev-2026-0007.cbor"
CORE_CERT = "runs/core/certificate.cbor"


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def write_spec(path: Path, spec: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def record_spec(**changes: Any) -> dict[str, Any]:
    files = {
        **{m: f"{CPU_PACKAGE}/{m}.json" for m in ("package_manifest", "certification_verdict")},
        "contract_bundle": f"{CPU_PACKAGE}/contract_bundle.cbor",
        "conformance_package": f"{CPU_PACKAGE}/conformance_package.cbor",
        "security_statement": f"{CPU_PACKAGE}/security_statement.md",
        "sbom": f"{CPU_PACKAGE}/sbom.cdx.json",
    }
    spec: dict[str, Any] = {
        "kind": "certification_record",
        "record_id": "cert-backend-cpu-ref-2026b",
        "certificate_class": "Certified Backend v1",
        "subject": {
            "adapter_id": "glyphser-backend-cpu-ref",
            "adapter_kind": "backend",
            "vendor": "Glyphser Project",
            "adapter_version": "1.4.0",
        },
        "issuer": "Glyphser Certification Authority",
        "issued_utc": "2026-09-01T00:00:00Z",
        "valid_until_utc": "2027-09-01T00:00:00Z",
        "sunset_utc": "2028-12-31T23:59:59Z",
        "verdict": "PASS",
        "package": files,
        "unsigned_metadata": {"note": "test"},
    }
    spec.update(changes)
    return spec


def certificate_spec(root: Path) -> dict[str, Any]:
    """The core run's certificate as a spec: hashes as hex, trace and checkpoint as paths."""
    payload = decode_envelope((root / CORE_CERT).read_bytes(), name=CORE_CERT).payload
    spec = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in payload.items()}
    for computed in ("key_id", "signature_algorithm", "trust_store_hash", "revocation_bundle_hash"):
        del spec[computed]
    del spec["trace_final_hash"], spec["checkpoint_hash"]
    return spec | {"trace": "runs/core/trace.jsonl", "checkpoint": "runs/core/checkpoint.cbor"}


def add_document(root: Path, rel: str, *, record: bool = False) -> None:
    """List a new signed file in release.yaml (and a record in the bundle), re-pinning the tree."""
    link = {"path": rel, "sha256": sha((root / rel).read_bytes())}
    if record:
        edit_doc(root, BUNDLE, lambda d: d["certification_records"].append(link))
    edit_doc(root, "release.yaml", lambda d: d["documents"].append(link))


def statuses(capsys: pytest.CaptureFixture[str], root: Path, *extra: str) -> dict[str, str]:
    code, out, err = run(capsys, "cert", "list", root, "--json", *extra)
    assert code == 0, err
    return {r["path"]: r["status"] for r in json.loads(out)}


def test_issued_record_and_certificate_pass_regulated(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca = reg.parent / "ca.pem"
    new = "certification/records/cert-backend-cpu-ref-2026b.cbor"
    spec = write_spec(reg.parent / "record.yaml", record_spec())
    code, out, err = run(capsys, "cert", "issue", spec, "--key", ca, "--evidence", reg, "-o", reg / new)
    assert code == 0, err
    assert sha((reg / new).read_bytes()) in out
    add_document(reg, new, record=True)

    cert_spec = write_spec(reg.parent / "cert.yaml", certificate_spec(reg))
    issued = reg.parent / "core-cert.cbor"
    code, _, err = run(capsys, "cert", "issue", cert_spec, "--key", ca, "--evidence", reg, "-o", issued)
    assert code == 0, err
    original = decode_envelope((reg / CORE_CERT).read_bytes(), name=CORE_CERT).payload
    made = decode_envelope(issued.read_bytes(), name="core-cert").payload
    # every computed hash (trace chain, checkpoint, revocation set) equals the generator's; the
    # trust store binds the version in force now (the bundled certificate pins an earlier one)
    assert made["trust_store_hash"] == load_tree(reg).trust.hash()
    assert made["trust_store_hash"] != original["trust_store_hash"]
    same = ("key_id", "trust_store_hash")
    assert {k: v for k, v in made.items() if k not in same} == {k: v for k, v in original.items() if k not in same}
    rewrite(reg, CORE_CERT, issued.read_bytes())  # the run now carries the issued certificate

    result = check(load_tree(reg), "regulated")
    assert [f.line() for f in result.findings] == []
    assert result.upgrade_gate_verdict == "PASS"
    got = statuses(capsys, reg)
    assert got[new] == "valid"
    assert got[CPU_RECORD] == "superseded"  # same adapter and class, issued later
    assert got[CORE_CERT] == "valid"

    code, out, err = run(capsys, "cert", "show", reg / new, "--evidence", reg, "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["kind"], shown["signature"], shown["status"], shown["path"]) == (
        "certification_record",
        "ok",
        "valid",
        new,
    )
    assert shown["payload"]["package"]["sbom"]["sha256"] == sha((reg / CPU_PACKAGE / "sbom.cdx.json").read_bytes())
    code, out, _ = run(capsys, "cert", "show", reg / new)
    assert code == 0
    assert "signature: not checked" in out
    assert "record_id: cert-backend-cpu-ref-2026b" in out


def test_revoke_writes_a_revocation_that_list_and_check_show(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (reg / S3_RECORD).read_bytes()
    code, _out, err = run(
        capsys, "cert", "revoke", reg / S3_RECORD, "--reason", "keyCompromise",
        "--key", reg.parent / "ca.pem", "--at", "2026-10-12T00:00:00Z", "--id", "rev-2026-0100",
    )  # fmt: skip
    assert code == 0, err
    assert (reg / S3_RECORD).read_bytes() == before  # never edits the target
    rev = "certification/revocations/rev-2026-0100.cbor"
    payload = decode_envelope((reg / rev).read_bytes(), name=rev).payload
    assert payload["target"] == {"path": S3_RECORD, "sha256": sha(before)}
    assert payload["reason_code"] == "keyCompromise"
    add_document(reg, rev)

    assert statuses(capsys, reg)[S3_RECORD] == "revoked"
    assert statuses(capsys, reg, "--at", "2026-10-01T00:00:00Z")[S3_RECORD] == "valid"  # not retroactive
    result = check(load_tree(reg), "regulated")
    assert {e.path: e.status for e in result.registry}[S3_RECORD] == "revoked"
    assert not [f for f in result.findings if f.code in ("GSP-E019", "GSP-E020")]


def test_revoke_names_its_output_relative_when_given_relative(
    reg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(reg.parent)
    code, out, err = run(
        capsys, "cert", "revoke", f"{reg.name}/{S3_RECORD}", "--reason", "superseded", "--key", "ca.pem",
        "--at", "2026-10-12T00:00:00Z", "--id", "rev-rel",
    )  # fmt: skip
    assert code == 0, err
    assert f"  {reg.name}/certification/revocations/rev-rel.cbor  (revocation" in out
    assert str(reg.parent) not in out


def test_renew_supersedes_the_old_record(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = "certification/records/cert-store-s3-2026-renewed.cbor"
    code, _, err = run(
        capsys, "cert", "renew", reg / S3_RECORD, "--key", reg.parent / "ca.pem",
        "--at", "2026-09-15T00:00:00Z", "--valid-until", "2027-09-15T00:00:00Z", "-o", reg / new,
    )  # fmt: skip
    assert code == 0, err
    renewed = decode_envelope((reg / new).read_bytes(), name=new).payload
    assert (renewed["record_id"], renewed["issued_utc"]) == ("cert-store-s3-2026-r20260915", "2026-09-15T00:00:00Z")
    add_document(reg, new, record=True)
    got = statuses(capsys, reg)
    assert (got[S3_RECORD], got[new]) == ("superseded", "valid")
    assert check(load_tree(reg), "regulated").upgrade_gate_verdict == "PASS"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _nothing_written(root: Path, before: dict[str, bytes]) -> None:
    assert _snapshot(root) == before


@pytest.mark.parametrize(
    ("case", "code", "says"),
    [
        ("unknown_field", 2, "colour: unknown field"),
        ("computed_field", 2, "key_id: computed by cert issue"),
        ("no_evidence", 1, "no conformance report for required suite conformance-core"),
        ("wrong_purpose", 2, "wrong_purpose"),
        ("expired_key", 2, "expired"),
        ("bad_pin", 2, "package.sbom: pins sha256"),
        ("trace_twice", 2, "trace: give trace or trace_final_hash, not both"),
        ("missing_trace", 2, "no such file"),
    ],
)
def test_bad_issue_is_refused_with_nothing_written(
    reg: Path, capsys: pytest.CaptureFixture[str], case: str, code: int, says: str
) -> None:
    key, extra = reg.parent / "ca.pem", []
    spec = record_spec()
    if case == "unknown_field":
        spec["subject"] = dict(spec["subject"], colour="blue")
    elif case == "computed_field":
        spec["key_id"] = "0" * 64
    elif case == "no_evidence":
        spec["subject"] = dict(spec["subject"], adapter_id="acme-npu")
    elif case == "wrong_purpose":
        trust = reg.parent / "trust"
        key = reg.parent / "pack.pem"
        keys.generate(key, trust_dir=trust, purposes=("pack",), not_before="2026-01-01T00:00:00Z")
        extra = ["--trust", str(trust)]
    elif case == "expired_key":
        key = reg.parent / "ca-2025.pem"  # its trust window ended 2026-03-31
    elif case == "trace_twice":
        spec = certificate_spec(reg) | {"trace_final_hash": "0" * 64}
    elif case == "missing_trace":
        spec = certificate_spec(reg) | {"trace": "runs/core/none.jsonl"}
    elif case == "bad_pin":
        spec["package"] = dict(spec["package"], sbom={"path": f"{CPU_PACKAGE}/sbom.cdx.json", "sha256": "0" * 64})
    before = _snapshot(reg)
    out = reg / "certification/records/new.cbor"
    got, _, err = run(
        capsys, "cert", "issue", write_spec(reg.parent / "s.yaml", spec), "--key", key, "--evidence", reg, "-o", out,
        *extra,
    )  # fmt: skip
    assert (got, says in err, "Traceback" in err) == (code, True, False), err
    _nothing_written(reg, before)


@pytest.mark.parametrize(
    ("target", "extra", "says"),
    [
        (REVOCATION, [], "is a revocation, not a certificate"),
        (GCS_RECORD, [], "already revoked by certification/revocations/rev-2026-0007.cbor"),
        (S3_RECORD, ["--reason", "bored"], "expected an RFC 5280 reason"),
        (
            S3_RECORD,
            ["--at", "2026-01-01T00:00:00Z"],
            "before certification/records/cert-store-s3-2026.cbor was issued",
        ),
        ("release.yaml", [], "not a canonical CBOR signed envelope"),
    ],
)
def test_bad_revocation_is_refused_with_nothing_written(
    reg: Path, capsys: pytest.CaptureFixture[str], target: str, extra: list[str], says: str
) -> None:
    before = _snapshot(reg)
    args = ["--reason", "superseded", "--at", "2026-10-12T00:00:00Z", *extra]
    code, _, err = run(capsys, "cert", "revoke", reg / target, "--key", reg.parent / "ca.pem", *args)
    assert (code, says in err, "Traceback" in err) == (2, True, False), err
    _nothing_written(reg, before)


def test_revoking_an_unlisted_certificate_is_refused(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stray = reg / "certification/records/stray.cbor"
    stray.write_bytes((reg / S3_RECORD).read_bytes())
    code, _, err = run(capsys, "cert", "revoke", stray, "--reason", "superseded", "--key", reg.parent / "ca.pem")
    assert code == 2
    assert "unknown certificate" in err
    assert not (reg / "certification/revocations").joinpath("rev-" + sha(stray.read_bytes())[:16] + ".cbor").exists()


def test_existing_output_is_kept_without_force(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(reg.parent / "record.yaml", record_spec())
    out = reg.parent / "taken.cbor"
    out.write_bytes(b"keep me")
    args = ["cert", "issue", spec, "--key", reg.parent / "ca.pem", "--evidence", reg, "-o", out]
    code, _, err = run(capsys, *args)
    assert code == 2
    assert "--force" in err
    assert out.read_bytes() == b"keep me"
    code, _, err = run(capsys, *args, "--force")
    assert code == 0, err
    assert decode_envelope(out.read_bytes(), name="taken").kind == "certification_record"


def registry_log(reg: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """An empty registry log beside the tree and its private key file."""
    log_key = reg.parent / "log.pem"
    keys.save_private_key(log_key, _demo_key("test-log"))
    log_dir = reg.parent / "registry-log"
    assert run(capsys, "log", "init", log_dir, "--origin", "test.example/log", "--key", log_key)[0] == 0
    return log_dir, log_key


def test_log_gets_issuance_revocation_and_renewal(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log_dir, log_key = registry_log(reg, capsys)
    ca, logged = reg.parent / "ca.pem", ["--log", str(log_dir), "--log-key", str(log_key)]
    new = "certification/records/cert-backend-cpu-ref-2026b.cbor"
    spec = write_spec(reg.parent / "record.yaml", record_spec())
    code, out, err = run(capsys, "cert", "issue", spec, "--key", ca, "--evidence", reg, "-o", reg / new, *logged)
    assert (code, "logged certificate_issued at index 0" in out) == (0, True), err
    add_document(reg, new, record=True)
    renewed = "certification/records/cert-backend-cpu-ref-2026c.cbor"
    code, out, err = run(
        capsys, "cert", "renew", reg / new, "--key", ca, "--at", "2026-09-10T00:00:00Z",
        "--valid-until", "2027-09-10T00:00:00Z", "--id", "cert-backend-cpu-ref-2026c", "-o", reg / renewed, *logged,
    )  # fmt: skip
    assert (code, "certificate_renewed at index 1" in out) == (0, True), err
    add_document(reg, renewed, record=True)
    code, out, err = run(
        capsys, "cert", "revoke", reg / renewed, "--reason", "cessationOfOperation", "--key", ca,
        "--at", "2026-10-12T00:00:00Z", *logged,
    )  # fmt: skip
    assert (code, "certificate_revoked at index 2" in out) == (0, True), err

    assert run(capsys, "log", "verify", log_dir)[0] == 0
    code, out, err = run(capsys, "log", "state", log_dir, "--json")
    assert code == 0, err
    states = {c["certificate_hash"]: c["state"] for c in json.loads(out)["certificates"]}
    assert states == {sha((reg / new).read_bytes()): "superseded", sha((reg / renewed).read_bytes()): "revoked"}
    with_log = statuses(capsys, reg, "--log", str(log_dir))
    assert (with_log[new], with_log[renewed]) == ("superseded", "revoked")
    assert with_log[S3_RECORD] == "invalid"  # a log-backed registry: never issued in this log


def test_log_needs_its_key_before_anything_is_signed(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = reg.parent / "x.cbor"
    spec = write_spec(reg.parent / "record.yaml", record_spec())
    code, _, err = run(
        capsys, "cert", "issue", spec, "--key", reg.parent / "ca.pem", "--evidence", reg, "-o", out,
        "--log", reg.parent / "log",
    )  # fmt: skip
    assert code == 2
    assert "--log-key" in err
    assert not out.exists()


@pytest.mark.parametrize("command", ["revoke", "renew"])
def test_log_events_for_a_certificate_the_log_never_issued_are_refused(
    reg: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """`log state` would call such an entry GSP-E413: refuse it before signing."""
    log_dir, log_key = registry_log(reg, capsys)
    logged = ["--key", reg.parent / "ca.pem", "--at", "2026-10-12T00:00:00Z", "--log", log_dir, "--log-key", log_key]
    extra = (
        ["--reason", "superseded"]
        if command == "revoke"
        else ["--valid-until", "2027-10-12T00:00:00Z", "-o", reg / "certification/records/r2.cbor"]
    )
    before, checkpoint = _snapshot(reg), (log_dir / "checkpoint").read_bytes()
    code, _, err = run(capsys, "cert", command, reg / S3_RECORD, *extra, *logged)
    assert (code, "never issued it" in err, "Traceback" in err) == (2, True, False), err
    _nothing_written(reg, before)
    assert (log_dir / "checkpoint").read_bytes() == checkpoint


def test_revoking_again_is_refused_when_only_the_log_knows_the_first_revocation(
    reg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A `--log` revocation is in the log at once but in the tree only once listed: ask the log."""
    log_dir, log_key = registry_log(reg, capsys)
    ca, logged = reg.parent / "ca.pem", ["--log", str(log_dir), "--log-key", str(log_key)]
    new = "certification/records/cert-backend-cpu-ref-2026b.cbor"
    spec = write_spec(reg.parent / "record.yaml", record_spec())
    assert run(capsys, "cert", "issue", spec, "--key", ca, "--evidence", reg, "-o", reg / new, *logged)[0] == 0
    add_document(reg, new, record=True)
    args = ["--reason", "cessationOfOperation", "--key", ca, "--at", "2026-10-12T00:00:00Z", *logged]
    code, out, err = run(capsys, "cert", "revoke", reg / new, "--id", "rev-first", *args)
    assert (code, "certificate_revoked at index 1" in out) == (0, True), err
    before, checkpoint = _snapshot(reg), (log_dir / "checkpoint").read_bytes()
    code, _, err = run(capsys, "cert", "revoke", reg / new, "--id", "rev-second", *args)
    assert (code, "already revoked (cessationOfOperation at 2026-10-12T00:00:00Z" in err) == (2, True), err
    assert "registry log" in err
    assert "Traceback" not in err
    _nothing_written(reg, before)
    assert (log_dir / "checkpoint").read_bytes() == checkpoint


HAND_EDIT = ("  purposes:\n  - certificate\n  - revocation\n", "  purposes:\n  - certifikate\n  - revocation\n")


@pytest.mark.parametrize(
    ("command", "repin", "says"),
    [
        ("issue", False, "trust/trust.yaml: the tree's trust store does not match its pin"),
        ("revoke", False, "trust/trust.yaml: the tree's trust store does not match its pin"),
        ("issue", True, "trust/trust.yaml: keys[1].purposes: expected a non-empty list"),
        ("revoke", True, "trust/trust.yaml: keys[1].purposes: expected a non-empty list"),
    ],
)
def test_hand_edited_trust_store_is_named_and_nothing_is_written(
    reg: Path, capsys: pytest.CaptureFixture[str], command: str, repin: bool, says: str
) -> None:
    """A store edited by hand is named (not reported as "key unknown"), before or after re-pinning."""
    path = reg / "trust/trust.yaml"
    text = path.read_text()
    assert HAND_EDIT[0] in text
    if repin:
        edit_text(reg, "trust/trust.yaml", *HAND_EDIT)
    else:
        path.write_text(text.replace(*HAND_EDIT, 1))
    before = _snapshot(reg)
    ca = reg.parent / "ca.pem"
    if command == "issue":
        spec = write_spec(reg.parent / "s.yaml", record_spec())
        args = ["issue", spec, "--evidence", reg, "-o", reg / "certification/records/new.cbor"]
    else:
        args = ["revoke", reg / S3_RECORD, "--reason", "superseded", "--at", "2026-10-12T00:00:00Z"]
    code, _, err = run(capsys, "cert", *args, "--key", ca)
    assert (code, says in err, "unknown" in err, "Traceback" in err) == (2, True, False, False), err
    _nothing_written(reg, before)


def test_list_names_signed_files_the_tree_does_not_list_yet(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = "certification/records/cert-backend-cpu-ref-2026b.cbor"
    spec = write_spec(reg.parent / "record.yaml", record_spec())
    assert (
        run(capsys, "cert", "issue", spec, "--key", reg.parent / "ca.pem", "--evidence", reg, "-o", reg / new)[0] == 0
    )
    code, out, err = run(capsys, "cert", "list", reg)
    assert (code, f"note: {new} is not listed in release.yaml" in err, new in out) == (0, True, False), err
    add_document(reg, new, record=True)
    code, out, err = run(capsys, "cert", "list", reg)
    assert (code, "not listed" in err, new in out) == (0, False, True), err
