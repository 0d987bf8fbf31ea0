"""``glyphserpack evidence add``: list new documents in the tree and re-pin it (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack.evidence import check, decode_envelope, load_tree
from glyphserpack.evidence.certificates import encode_envelope
from glyphserpack.evidence.listing import append_links
from glyphserpack.evidence.pin import plan_pins
from glyphserpack.signing import key_id

from .attest_helpers import BUNDLE, CPU_RECORD
from .test_cert_cli import record_spec, run, statuses, write_spec

NEW = "certification/records/cert-backend-cpu-ref-2026b.cbor"
S3_RECORD = "certification/records/cert-store-s3-2026.cbor"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the tree (and beside it) by path: a tree hash to compare before and after."""
    return {
        p.relative_to(root.parent).as_posix(): p.read_bytes() for p in sorted(root.parent.rglob("*")) if p.is_file()
    }


def issue_record(reg: Path, capsys: pytest.CaptureFixture[str], rel: str = NEW, **changes: object) -> Path:
    spec = write_spec(reg.parent / "record.yaml", record_spec(**changes))
    code, _, err = run(
        capsys, "cert", "issue", spec, "--key", reg.parent / "ca.pem", "--evidence", reg, "-o", reg / rel
    )
    assert code == 0, err
    return reg / rel


def test_add_lists_a_record_in_both_lists_and_the_tree_checks(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = issue_record(reg, capsys)
    header = (reg / BUNDLE).read_text().splitlines()[0]
    code, out, err = run(capsys, "evidence", "add", reg, new)
    assert code == 0, err
    assert f"listed: {NEW} (certification_record" in out
    assert f"release.yaml: documents, {BUNDLE}: certification_records" in out
    assert f"re-pinned: release.yaml: documents[0].sha256 ({BUNDLE})" in out
    assert (reg / BUNDLE).read_text().splitlines()[0] == header  # comments survive
    assert not plan_pins(reg).stale
    result = check(load_tree(reg), "regulated")
    assert [f.line() for f in result.findings] == []
    assert result.upgrade_gate_verdict == "PASS"
    got = statuses(capsys, reg)
    assert (got[NEW], got[CPU_RECORD]) == ("valid", "superseded")


def test_add_lists_a_revocation_and_json_reports_it(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "cert", "revoke", reg / S3_RECORD, "--reason", "keyCompromise", "--key", reg.parent / "ca.pem",
        "--at", "2026-10-12T00:00:00Z", "--id", "rev-2026-0100",
    )  # fmt: skip
    assert code == 0, err
    rev = "certification/revocations/rev-2026-0100.cbor"
    bundle_before = (reg / BUNDLE).read_bytes()
    code, out, err = run(capsys, "evidence", "add", reg, reg / rev, "--kind", "revocation", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [(x["path"], x["lists"]) for x in report["listed"]] == [(rev, ["release.yaml: documents"])]
    assert (reg / BUNDLE).read_bytes() == bundle_before  # a revocation has no list in the bundle
    assert statuses(capsys, reg)[S3_RECORD] == "revoked"
    findings = check(load_tree(reg), "regulated").findings  # revoking a store's record may fail the gate
    assert not [f.line() for f in findings if f.code in ("GSP-E004", "GSP-E005", "GSP-E016", "GSP-E019", "GSP-E020")]


def _foreign_record(reg: Path) -> Path:
    """A record with a new id signed by a key the tree's trust store has never seen."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    payload = dict(decode_envelope((reg / CPU_RECORD).read_bytes(), name=CPU_RECORD).payload)
    payload.update(record_id="cert-foreign", key_id=key_id(key))
    out = reg / "certification/records/cert-foreign.cbor"
    out.write_bytes(encode_envelope(key, payload))
    return out


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("outside", "outside the evidence tree"),
        ("unknown-kind", "--kind 'certificate': unknown evidence kind"),
        ("wrong-kind", "the document is a certification_record, not --kind revocation"),
        ("listed", f"{S3_RECORD}: already listed in release.yaml documents["),
        ("same-content", "the same content as " + S3_RECORD),
        ("duplicate-id", "record_id 'cert-backend-cpu-ref-2026': duplicate id, " + CPU_RECORD),
        ("bad-signature", "cert-foreign.cbor: signature does not verify against the tree's trust store"),
        ("not-a-document", "attachments/env/env_manifest.json: kind: unknown kind"),
    ],
)
def test_add_refuses_and_writes_nothing(
    reg: Path, capsys: pytest.CaptureFixture[str], case: str, expected: str
) -> None:
    new = issue_record(reg, capsys)
    args: list[object] = [new]
    if case == "outside":
        outside = reg.parent / "record.cbor"
        outside.write_bytes(new.read_bytes())
        args = [outside]
    elif case == "unknown-kind":
        args = [new, "--kind", "certificate"]
    elif case == "wrong-kind":
        args = [new, "--kind", "revocation"]
    elif case == "listed":
        args = [new, reg / S3_RECORD]
    elif case == "same-content":
        copy = reg / "certification/records/copy.cbor"
        copy.write_bytes((reg / S3_RECORD).read_bytes())
        args = [copy]
    elif case == "duplicate-id":
        args = [issue_record(reg, capsys, "certification/records/dup.cbor", record_id="cert-backend-cpu-ref-2026")]
    elif case == "bad-signature":
        args = [new, _foreign_record(reg)]
    elif case == "not-a-document":
        args = [reg / "attachments/env/env_manifest.json"]
    before = snapshot(reg)
    code, _, err = run(capsys, "evidence", "add", reg, *args)
    assert code == 2, err
    assert expected in err, err
    assert "Traceback" not in err
    assert snapshot(reg) == before


def test_append_links_keeps_indentation_comments_and_refuses_flow_lists() -> None:
    text = b"# head\nkind: x\nitems:\n  - path: a\n    sha256: '1'  # one\nafter: 2\n"
    out = append_links(text, "x.yaml", "items", [("b c", "f" * 64)])
    assert out == (
        b"# head\nkind: x\nitems:\n  - path: a\n    sha256: '1'  # one\n"
        b"  - path: b c\n    sha256: " + b"f" * 64 + b"\nafter: 2\n"
    )
    assert append_links(text, "x.yaml", "items", [("d", "1" * 64)]).endswith(
        b"  sha256: '" + b"1" * 64 + b"'\nafter: 2\n"
    )
    with pytest.raises(Exception, match="items: expected a non-empty block list"):
        append_links(b'{"items": [{"path": "a"}]}', "x.json", "items", [("b", "0" * 64)])


def test_cert_issue_and_revoke_with_add_list_what_they_write(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca = reg.parent / "ca.pem"
    spec = write_spec(reg.parent / "record.yaml", record_spec())
    code, out, err = run(capsys, "cert", "issue", spec, "--key", ca, "--evidence", reg, "-o", reg / NEW, "--add")
    assert code == 0, err
    assert f"listed: {NEW} (certification_record" in out
    assert not plan_pins(reg).stale
    assert statuses(capsys, reg)[NEW] == "valid"
    code, out, err = run(
        capsys, "cert", "revoke", reg / S3_RECORD, "--reason", "superseded", "--key", ca,
        "--at", "2026-10-12T00:00:00Z", "--id", "rev-add", "--add",
    )  # fmt: skip
    assert code == 0, err
    assert "listed: certification/revocations/rev-add.cbor (revocation" in out
    assert statuses(capsys, reg)[S3_RECORD] == "revoked"


def test_cert_issue_with_add_outside_the_tree_takes_the_file_back(
    reg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(reg.parent / "record.yaml", record_spec())
    before = snapshot(reg)
    outside = reg.parent / "out.cbor"
    code, _, err = run(capsys, "cert", "issue", spec, "--key", reg.parent / "ca.pem", "--evidence", reg, "-o", outside,
                       "--add")  # fmt: skip
    assert code == 2, err
    assert "out.cbor: outside the evidence tree" in err
    assert snapshot(reg) == before


REPORTS = "attachments/certification/reports"
CPU = "glyphser-backend-cpu-ref"


def test_add_lists_a_conformance_report_with_its_counts(reg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = reg / REPORTS / f"{CPU}.interop.xml"
    new.write_bytes((reg / REPORTS / f"{CPU}.replay-determinism.xml").read_bytes())
    code, out, err = run(capsys, "evidence", "add", reg, new, "--kind", "conformance_report", "--suite", "interop",
                         "--adapter", CPU)  # fmt: skip
    assert code == 0, err
    assert f"-> {BUNDLE}: conformance_reports" in out
    tree = load_tree(reg)
    added = tree.documents[BUNDLE].obj["conformance_reports"][-1]
    reports = tree.documents[BUNDLE].obj["conformance_reports"]
    original = next(r for r in reports if (r["suite_id"], r["adapter_id"]) == ("replay-determinism", CPU))
    assert (added["suite_id"], added["report"]["path"]) == ("interop", f"{REPORTS}/{CPU}.interop.xml")
    assert (added["cases_total"], added["cases_passed"], added["verdict"]) == (
        original["cases_total"],
        original["cases_passed"],
        "PASS",
    )
    assert not plan_pins(reg).stale
    result = check(tree, "regulated")
    assert [f.line() for f in result.findings] == []


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("x.xml", ["--suite", "replay-determinism", "--adapter", CPU], "suite_id 'replay-determinism' for adapter_id"),
        ("x.md", ["--suite", "interop", "--adapter", CPU], "x.md: not a JUnit conformance report"),
        ("x.xml", ["--suite", "interop"], "takes one FILE, with --suite and --adapter"),
    ],
)
def test_add_refuses_a_bad_conformance_report(
    reg: Path, capsys: pytest.CaptureFixture[str], name: str, args: list[str], expected: str
) -> None:
    new = reg / REPORTS / name
    new.write_bytes(
        b"# not xml\n" if name.endswith(".md") else (reg / REPORTS / f"{CPU}.replay-determinism.xml").read_bytes()
    )
    before = snapshot(reg)
    code, _, err = run(capsys, "evidence", "add", reg, new, "--kind", "conformance_report", *args)
    assert code == 2, err
    assert expected in err, err
    assert snapshot(reg) == before
