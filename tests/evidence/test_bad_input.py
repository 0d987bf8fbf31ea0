"""Each kind of bad input: one clear line naming the file (and line/field), a distinct exit code, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glyphserpack.cli import main

from .helpers import edit_text, rewrite, sha


def run(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], profile: str = "regulated"
) -> tuple[int, str, str, Path]:
    out = tmp_path / "reports"
    rc = main(["check", str(root), "--profile", profile, "--out", str(out)])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err, out


def assert_invalid(rc: int, out: str, err: str, out_dir: Path, *needles: str) -> None:
    assert rc == 2, (out, err)
    assert out == ""
    lines = [ln for ln in err.splitlines() if not ln.startswith("  hint:")]
    assert len(lines) == 1, err
    assert lines[0].startswith("glyphserpack: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert not out_dir.exists(), "nothing may be written on invalid input"


def test_malformed_yaml_names_file_and_line(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rewrite(
        tree_dir, "observability/mapping.yaml", b"kind: observability_mapping\nschema_version: 1\nmetrics: [unclosed\n"
    )
    assert_invalid(*run(tree_dir, tmp_path, capsys), "GSP-E001 observability/mapping.yaml:", "invalid YAML")


def test_malformed_json_names_file_and_line(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree_dir / "release.yaml").unlink()
    (tree_dir / "release.json").write_text('{\n  "kind": "release_manifest",\n  "schema_version": 1,,\n}\n')
    assert_invalid(*run(tree_dir, tmp_path, capsys), "GSP-E001 release.json:3:", "invalid JSON")


def test_json_documents_are_accepted(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from glyphserpack._internal.docload import load_document

    obj = load_document(tree_dir / "profiles/profile_bundle.yaml")
    old = sha((tree_dir / "profiles/profile_bundle.yaml").read_bytes())
    data = json.dumps(obj, indent=2).encode()
    (tree_dir / "profiles/profile_bundle.yaml").unlink()
    (tree_dir / "profiles/profile_bundle.json").write_bytes(data)
    text = (
        (tree_dir / "release.yaml").read_text().replace("profiles/profile_bundle.yaml", "profiles/profile_bundle.json")
    )
    (tree_dir / "release.yaml").write_text(text.replace(old, sha(data)))
    rc, out, err, _ = run(tree_dir, tmp_path, capsys)
    assert rc == 0, out + err


def test_wrong_type_names_file_and_field(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_text(tree_dir, "performance/performance_tiers.yaml", "tolerance_ratio: 0.05", "tolerance_ratio: '5%'")
    needle = "GSP-E002 performance/performance_tiers.yaml: tiers[0].metrics[0].tolerance_ratio: "
    assert_invalid(*run(tree_dir, tmp_path, capsys), needle, "valid number")


def test_unknown_field_names_file_and_field(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_text(tree_dir, "readiness/ws20.yaml", "status: ready", "status: ready\nstatus_note: almost")
    assert_invalid(*run(tree_dir, tmp_path, capsys), "GSP-E002 readiness/ws20.yaml: status_note: unknown field")


def test_unknown_field_in_release_manifest(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (tree_dir / "release.yaml").read_text()
    (tree_dir / "release.yaml").write_text(text + "signed_off_by: someone\n")
    assert_invalid(*run(tree_dir, tmp_path, capsys), "GSP-E002 release.yaml: signed_off_by: unknown field")


def test_dangling_hash_link_fails_naming_target(
    tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree_dir / "chaos/transcripts/chaos-wal-02.jsonl").unlink()
    rc, out, err, _ = run(tree_dir, tmp_path, capsys)
    assert rc == 1
    assert err == ""
    assert "GSP-E005 chaos/transcripts/chaos-wal-02.jsonl: referenced by chaos/chaos_proof_pack.yaml" in out
    assert "upgrade_gate_verdict: FAIL (first failing workstream: I.I)" in out


def test_hash_mismatch_fails_naming_target(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (tree_dir / "attachments/sbom/glyphser-1.4.0.cdx.json").open("ab") as fh:
        fh.write(b" ")
    rc, out, _, _ = run(tree_dir, tmp_path, capsys)
    assert rc == 1
    assert "GSP-E004 attachments/sbom/glyphser-1.4.0.cdx.json: release.yaml sbom expects sha256" in out


def test_bad_signature_fails_naming_certificate(
    tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rel = "runs/core/certificate.cbor"
    data = bytearray((tree_dir / rel).read_bytes())
    assert data[1:11] == b"isignature"
    assert data[11:13] == b"\x58\x40"
    data[20] ^= 0x01
    rewrite(tree_dir, rel, bytes(data))
    rc, out, _, _ = run(tree_dir, tmp_path, capsys, profile="core")
    assert rc == 1
    assert f"GSP-E007 {rel}: signature by key" in out
    assert "GSP-E004" not in out
    assert "GSP-E005" not in out


def test_escaping_path_is_invalid(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "outside.yaml").write_text("kind: profile_bundle\n")
    text = (tree_dir / "release.yaml").read_text()
    (tree_dir / "release.yaml").write_text(text.replace("path: profiles/profile_bundle.yaml", "path: ../outside.yaml"))
    assert_invalid(*run(tree_dir, tmp_path, capsys), "GSP-E006 release.yaml: documents[", "../outside.yaml")


def test_absolute_path_is_invalid(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_text(
        tree_dir, "chaos/chaos_proof_pack.yaml", "path: chaos/transcripts/chaos-wal-01.jsonl", "path: /etc/passwd"
    )
    assert_invalid(*run(tree_dir, tmp_path, capsys), "GSP-E006 chaos/chaos_proof_pack.yaml", "/etc/passwd", "absolute")


def test_symlink_is_invalid(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tree_dir / "profiles/profile_bundle.yaml"
    real = tmp_path / "real_bundle.yaml"
    real.write_bytes(target.read_bytes())
    target.unlink()
    os.symlink(real, target)
    assert_invalid(*run(tree_dir, tmp_path, capsys), "GSP-E006", "profiles/profile_bundle.yaml", "symbolic link")
    assert str(tree_dir) not in capsys.readouterr().err


def test_symlinked_directory_is_invalid(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moved = tmp_path / "moved_chaos"
    (tree_dir / "chaos").rename(moved)
    os.symlink(moved, tree_dir / "chaos")
    assert_invalid(*run(tree_dir, tmp_path, capsys), "GSP-E006", "chaos", "symbolic link")


def test_two_gigabyte_document_is_invalid(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tree_dir / "observability/mapping.yaml"
    target.unlink()
    with target.open("wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse: no disk used, but 2 GB by size
    assert_invalid(
        *run(tree_dir, tmp_path, capsys), "GSP-E009", "observability/mapping.yaml", "2147483648 bytes", "limit"
    )


def test_missing_tree_and_missing_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_invalid(*run(tmp_path / "nope", tmp_path, capsys), "no such directory")
    (tmp_path / "empty").mkdir()
    assert_invalid(*run(tmp_path / "empty", tmp_path, capsys), "GSP-E003", "release.yaml")


def test_wrong_kind_in_listed_document(tree_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_text(tree_dir, "readiness/ws12.yaml", "kind: workstream_readiness", "kind: readiness")
    assert_invalid(*run(tree_dir, tmp_path, capsys), "GSP-E002 readiness/ws12.yaml", "kind")


def test_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check", str(tmp_path)]) == 2
    assert "--profile is required" in capsys.readouterr().err
    assert main(["check", str(tmp_path), "--profile", "gold"]) == 2
    assert main(["check", str(tmp_path), "--graduate", "core:regulated"]) == 2
    assert "core:enterprise or enterprise:regulated" in capsys.readouterr().err
    assert main(["schema", "nonsense"]) == 2
