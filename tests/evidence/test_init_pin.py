"""``glyphserpack evidence init`` / ``evidence pin`` and ``glyphserpack hash --file-sha256``."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from glyphserpack import keys
from glyphserpack.cli import main
from glyphserpack.evidence import check, load_tree
from glyphserpack.evidence.loader import iter_links
from glyphserpack.evidence.models import PROFILES
from glyphserpack.evidence.pin import plan_pins

from .helpers import BUNDLED, findings_of


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_pin_on_the_bundled_tree_reports_nothing(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(tree_dir)
    assert main(["evidence", "pin", str(tree_dir), "--check"]) == 0
    assert main(["evidence", "pin", str(tree_dir)]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert _snapshot(tree_dir) == before
    assert not plan_pins(BUNDLED).stale


def test_edited_attachment_is_found_then_fixed_bottom_up(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rel = "attachments/readiness/ws12/design.md"
    (tree_dir / rel).write_text((tree_dir / rel).read_text() + "\nOne more paragraph.\n")
    before = _snapshot(tree_dir)
    capsys.readouterr()

    assert main(["evidence", "pin", str(tree_dir), "--check"]) == 1
    out = capsys.readouterr().out
    assert "readiness/ws12.yaml: " in out
    assert f"({rel})" in out
    assert ".sha256" in out
    assert "release.yaml: documents[" in out  # the document's own pin is stale too
    assert _snapshot(tree_dir) == before  # --check changes nothing

    assert main(["evidence", "pin", str(tree_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["written"] is True
    assert report["resign"] == []
    assert {c["path"] for c in report["changes"]} == {"readiness/ws12.yaml", "release.yaml"}
    new = hashlib.sha256((tree_dir / rel).read_bytes()).hexdigest()
    assert any(c["target"] == rel and c["new"] == new for c in report["changes"])

    after = _snapshot(tree_dir)
    changed = {p for p in after if after[p] != before[p]}
    assert changed == {"readiness/ws12.yaml", "release.yaml"}
    # minimal edit: the header comment, key order and every other line survive
    old_lines = before["readiness/ws12.yaml"].decode().splitlines()
    new_lines = after["readiness/ws12.yaml"].decode().splitlines()
    assert len(old_lines) == len(new_lines)
    assert old_lines[0] == new_lines[0].strip()
    assert old_lines[0].startswith("#")
    assert sum(a != b for a, b in zip(old_lines, new_lines, strict=True)) == 1

    assert findings_of(tree_dir, "regulated")[0] == "PASS"
    assert main(["evidence", "pin", str(tree_dir)]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_edit_under_a_signed_record_names_it_and_leaves_it_alone(
    tree_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = "certification/records/cert-store-s3-2026.cbor"
    member = "attachments/certification/cert-store-s3-2026/security_statement.md"
    (tree_dir / member).write_text((tree_dir / member).read_text() + "\nAmended.\n")
    signed_before = (tree_dir / record).read_bytes()

    assert main(["evidence", "pin", str(tree_dir)]) == 1
    captured = capsys.readouterr()
    assert f"needs re-signing: {record}: package.security_statement.sha256 ({member})" in captured.out
    assert "re-issue" in captured.out
    assert (tree_dir / record).read_bytes() == signed_before


def test_edit_of_a_run_artifact_names_its_execution_certificate(
    tree_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cert = tree_dir / "runs/core/certificate.cbor"
    cert_before = cert.read_bytes()
    (tree_dir / "runs/core/wal.log").write_bytes((tree_dir / "runs/core/wal.log").read_bytes() + b"extra\n")
    assert main(["evidence", "pin", str(tree_dir)]) == 0  # the certificate signs no WAL hash
    assert "re-pinned: runs/core/run.yaml: wal.sha256 (runs/core/wal.log)" in capsys.readouterr().out

    trace = tree_dir / "runs/core/trace.jsonl"
    trace.write_bytes(trace.read_bytes() + b'{"step": 99, "op": "added"}\n')
    (tree_dir / "runs/core/checkpoint.cbor").write_bytes(b"\xa0")
    assert main(["evidence", "pin", str(tree_dir)]) == 1
    out = capsys.readouterr().out
    assert "re-pinned: runs/core/run.yaml: trace.sha256 (runs/core/trace.jsonl)" in out
    assert "needs re-signing: runs/core/certificate.cbor: trace_final_hash (runs/core/trace.jsonl)" in out
    assert "needs re-signing: runs/core/certificate.cbor: checkpoint_hash (runs/core/checkpoint.cbor)" in out
    assert "needs re-signing: runs/enterprise" not in out
    assert cert.read_bytes() == cert_before


def test_pin_from_another_cwd_with_a_relative_path(
    tree_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rel = "attachments/evolution/compatibility.csv"
    (tree_dir / rel).write_bytes((tree_dir / rel).read_bytes() + b"\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    relative = os.path.relpath(tree_dir, elsewhere)
    assert main(["evidence", "pin", relative]) == 0
    assert main(["evidence", "pin", relative, "--check"]) == 0
    assert "nothing to do" in capsys.readouterr().out.splitlines()[-1]
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # nothing written to the cwd


def test_missing_link_target_is_an_input_error_and_nothing_is_written(
    tree_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree_dir / "attachments/readiness/ws13/design.md").unlink()
    (tree_dir / "attachments/readiness/ws12/design.md").write_text("changed\n")
    before = _snapshot(tree_dir)
    assert main(["evidence", "pin", str(tree_dir)]) == 2
    err = capsys.readouterr().err
    assert "readiness/ws13.yaml" in err
    assert "attachments/readiness/ws13/design.md" in err
    assert "no such file" in err
    assert _snapshot(tree_dir) == before


def test_hash_file_sha256_is_what_a_pin_holds(capsys: pytest.CaptureFixture[str]) -> None:
    trust = BUNDLED / "trust/trust.yaml"
    assert main(["hash", str(trust), "--file-sha256"]) == 0
    assert capsys.readouterr().out.strip() == hashlib.sha256(trust.read_bytes()).hexdigest()
    assert main(["hash", str(trust)]) == 0  # the default stays the ObjectDigest
    assert capsys.readouterr().out.strip() != hashlib.sha256(trust.read_bytes()).hexdigest()
    assert main(["hash", str(trust), "--file-sha256", "--commit", "x"]) == 2


# --- evidence init ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "release.key"
    assert main(["keys", "generate", str(path)]) == 0
    return path


def _init(dest: Path, profile: str, key: Path | None, *extra: str) -> int:
    args = ["evidence", "init", str(dest), "--product", "acme", "--version", "2.1.0", "--profile", profile]
    return main([*args, *(["--key", str(key)] if key else []), *extra])


@pytest.mark.parametrize("profile", PROFILES)
def test_init_passes_its_profile_and_the_next_one_up_names_what_is_missing(
    profile: str, tmp_path: Path, key_file: Path
) -> None:
    dest = tmp_path / "ev"
    assert _init(dest, profile, key_file, "--release-time", "2027-03-01T00:00:00Z") == 0
    tree = load_tree(dest)
    assert tree.manifest.release_id == "acme-2.1.0"
    assert tree.manifest.release_time_utc == "2027-03-01T00:00:00Z"
    result = check(tree, profile)
    assert result.upgrade_gate_verdict == "PASS", [f.line() for f in result.findings]
    assert [k.key_id for k in tree.trust.keys] == [_kid(key_file)]
    assert key_file.read_bytes() not in b"".join(p.read_bytes() for p in dest.rglob("*") if p.is_file())
    head = (dest / "security/security_case.core.yaml").read_text().splitlines()[:2]
    assert "REPLACE:" in " ".join(head)
    if profile != "regulated":
        up = PROFILES[PROFILES.index(profile) + 1]
        higher = check(tree, up)
        assert higher.upgrade_gate_verdict == "FAIL"
        assert any(f.code == "GSP-E003" and "mandatory" in f.line() for f in higher.findings)
    assert not plan_pins(dest).stale


def _kid(key_file: Path) -> str:
    return keys.show(key_file).key_id


def test_init_is_deterministic_and_refuses_a_non_empty_directory(
    tmp_path: Path, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert _init(a, "core", key_file) == 0
    assert _init(b, "core", key_file) == 0
    assert _snapshot(a) == _snapshot(b)
    before = _snapshot(a)
    capsys.readouterr()
    assert _init(a, "core", key_file) == 2
    assert "not empty" in capsys.readouterr().err
    assert _snapshot(a) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no scratch directory left behind


def test_init_without_a_key_says_how_to_make_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _init(tmp_path / "ev", "core", None) == 2
    assert "glyphserpack keys generate" in capsys.readouterr().err
    assert not (tmp_path / "ev").exists()


def test_init_then_edit_then_pin_round_trip(tmp_path: Path, key_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "ev"
    assert _init(dest, "core", key_file) == 0
    doc = dest / "readiness/ws20.yaml"
    assert "REPLACE:" in doc.read_text().splitlines()[1]
    rel = next(link.path for _, link in iter_links(load_tree(dest).documents["readiness/ws20.yaml"].model))
    (dest / rel).write_text("# Our own design\n")
    capsys.readouterr()
    assert main(["evidence", "pin", str(dest), "--check"]) == 1
    assert f"({rel})" in capsys.readouterr().out
    assert main(["evidence", "pin", str(dest)]) == 0
    assert doc.read_text().splitlines()[1].startswith("# Glyphser demo release. REPLACE:")  # comments kept
    assert main(["check", str(dest), "--profile", "core"]) == 0


def test_init_with_bad_version_writes_nothing(
    tmp_path: Path, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["evidence", "init", str(tmp_path / "ev"), "--product", "acme", "--version", "1.0", "--profile", "core"]
    assert main([*args, "--key", str(key_file)]) == 2
    assert "--version '1.0'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_init_takes_its_release_time_from_source_date_epoch(
    tmp_path: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")  # 2027-01-15T08:00:00Z
    assert _init(tmp_path / "ev", "core", key_file) == 0
    tree = load_tree(tmp_path / "ev")
    assert tree.manifest.release_time_utc == "2027-01-15T08:00:00Z"
    assert check(tree, "core").upgrade_gate_verdict == "PASS"


def test_a_failure_while_writing_leaves_the_tree_as_it_was(tree_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import glyphserpack.evidence.pin as pin_mod

    rel = "attachments/readiness/ws12/design.md"
    (tree_dir / rel).write_text("rewritten\n")
    before = _snapshot(tree_dir)
    calls: list[int] = []
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the second staged file: the first is already on disk as a temp
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(pin_mod.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space"):
        pin_mod.apply_pins(tree_dir, plan_pins(tree_dir))
    monkeypatch.undo()
    assert len(calls) == 2
    assert _snapshot(tree_dir) == before  # no document changed, no temp file left


def test_pin_of_a_directory_without_a_release_manifest_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evidence", "pin", str(tmp_path)]) == 2
    assert "GSP-E003" in capsys.readouterr().err


def test_a_cycle_of_pins_is_refused(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tree_dir / "profiles/profile_bundle.yaml"
    gate = "path: attachments/profiles/conformance_pipeline_pass.json"
    doc.write_text(doc.read_text().replace(gate, "path: profiles/profile_bundle.yaml", 1))  # links to itself
    before = _snapshot(tree_dir)
    assert main(["evidence", "pin", str(tree_dir)]) == 2
    assert "profiles/profile_bundle.yaml: its hash links form a cycle" in capsys.readouterr().err
    assert _snapshot(tree_dir) == before


@pytest.mark.parametrize("check_only", [False, True])
def test_a_trust_store_edited_into_an_invalid_state_is_named_not_pinned(
    tree_dir: Path, capsys: pytest.CaptureFixture[str], check_only: bool
) -> None:
    """Pinning would bless the edit; `check` and `cert` would then refuse the tree."""
    store = tree_dir / "trust/trust.yaml"
    text = store.read_text()
    assert "  - revocation\n" in text
    store.write_text(text.replace("  - revocation\n", "  - revokation\n", 1))
    before = _snapshot(tree_dir)
    assert main(["evidence", "pin", str(tree_dir), *(["--check"] if check_only else [])]) == 2
    err = capsys.readouterr().err
    assert "trust/trust.yaml: keys[" in err
    assert "].purposes: expected" in err
    assert "Traceback" not in err
    assert _snapshot(tree_dir) == before
