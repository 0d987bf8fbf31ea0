"""``build`` refuses up front when its key may not sign what it will sign (issue 14, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.keys import generate

from .helpers import EVIDENCE


def make_key(tmp_path: Path, purposes: tuple[str, ...], not_before: str = "2020-01-01T00:00:00Z") -> tuple[Path, str]:
    key = tmp_path / "keys" / "release.pem"
    key.parent.mkdir()
    info = generate(key, trust_dir=tmp_path / "trust", owner="tests", purposes=purposes, not_before=not_before)
    return key, info.key_id


def build(tmp_path: Path, *extra: str) -> int:
    return main(["build", str(EVIDENCE), "-o", str(tmp_path / "dist"), "--profile", "core", *extra])


def test_pack_only_key_is_refused_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, kid = make_key(tmp_path, ("pack",))
    rc = build(tmp_path, "--sign-key", str(key), "--trust", str(tmp_path / "trust"))
    err = capsys.readouterr().err
    assert rc == 2
    assert not (tmp_path / "dist").exists()  # nothing written
    assert f"--sign-key {key}: key {kid}" in err
    assert "may not sign site, checkpoint (the site manifest and the log checkpoints)" in err
    assert "--purpose release" in err  # the command that fixes it


def test_key_not_yet_valid_at_the_release_time_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    key, kid = make_key(tmp_path, ("pack", "site", "checkpoint"), not_before="2027-01-01T00:00:00Z")
    rc = build(tmp_path, "--sign-key", str(key), "--trust", str(tmp_path / "trust"))
    err = capsys.readouterr().err
    assert rc == 2
    assert not (tmp_path / "dist").exists()
    assert f"key {kid} (tests) is not yet valid at the build time 2026-10-15T12:00:00Z" in err


def test_key_from_the_config_file_is_named_as_the_config_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, _ = make_key(tmp_path, ("certificate",))
    evidence = tmp_path / "evidence"
    import shutil

    shutil.copytree(EVIDENCE, evidence)
    (evidence / "glyphserpack.toml").write_text(f'sign_key = "{key}"\ntrust = "{tmp_path / "trust"}"\n')
    rc = main(["build", str(evidence), "-o", str(tmp_path / "dist"), "--profile", "core"])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"sign_key in glyphserpack.toml {key}" in err
    assert "--sign-key" not in err.split("remedy")[0].split("\n")[0]


def test_bad_tsa_roots_error_names_tsa_roots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roots = tmp_path / "roots.pem"
    roots.write_text("not a certificate\n")
    rc = build(tmp_path, "--tsa-roots", str(roots))
    err = capsys.readouterr().err
    assert rc == 2
    assert f"--tsa-roots {roots}" in err
    assert "--tsa-trust" not in err
    assert not (tmp_path / "dist").exists()


def test_hand_edited_trust_store_is_named_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, _ = make_key(tmp_path, ("release",))
    store = tmp_path / "trust" / "trust.yaml"
    store.write_text(store.read_text().replace("  - site\n", "  - sight\n", 1))
    rc = build(tmp_path, "--sign-key", str(key), "--trust", str(tmp_path / "trust"))
    err = capsys.readouterr().err
    assert rc == 2
    assert not (tmp_path / "dist").exists()  # nothing written
    assert f"{store}: keys[0].purposes: expected" in err
    assert "Traceback" not in err


def _log_key(tmp_path: Path, purposes: tuple[str, ...]) -> tuple[Path, str]:
    key = tmp_path / "keys" / "log.pem"
    info = generate(
        key, trust_dir=tmp_path / "trust", owner="log", purposes=purposes, not_before="2020-01-01T00:00:00Z"
    )
    return key, info.key_id


def _log_init(tmp_path: Path, key: Path) -> Path:
    log = tmp_path / "registry-log"
    assert main(["log", "init", str(log), "--origin", "registry.example/log", "--key", str(key)]) == 0
    return log


def test_log_signed_by_its_own_key_builds_and_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, _ = make_key(tmp_path, ("pack", "site"))  # no checkpoint purpose: --log-key signs those
    log_key, _ = _log_key(tmp_path, ("checkpoint",))
    log = _log_init(tmp_path, log_key)
    trust = str(tmp_path / "trust")
    rc = build(tmp_path, "--sign-key", str(key), "--trust", trust, "--log", str(log), "--log-key", str(log_key),
               "--parity", "off")  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["site", "verify", str(tmp_path / "dist" / "site"), "--trust", trust]) == 0
    assert "site: VALID" in capsys.readouterr().out
    assert main(["log", "verify", str(log), "--trust", trust, "--at", "2026-11-01T00:00:00Z"]) == 0


def test_log_key_without_checkpoint_purpose_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key, _ = make_key(tmp_path, ("pack", "site"))
    log_key, kid = _log_key(tmp_path, ("certificate",))
    log = _log_init(tmp_path, log_key)
    before = sorted((p.as_posix(), p.read_bytes()) for p in log.rglob("*") if p.is_file())
    rc = build(tmp_path, "--sign-key", str(key), "--trust", str(tmp_path / "trust"), "--log", str(log),
               "--log-key", str(log_key))  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert f"--log-key {log_key}: key {kid} (log) may not sign checkpoint (the log checkpoints)" in err
    assert "--purpose checkpoint" in err
    assert not (tmp_path / "dist").exists()
    assert sorted((p.as_posix(), p.read_bytes()) for p in log.rglob("*") if p.is_file()) == before


def test_release_key_without_checkpoint_needs_a_log_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, _ = make_key(tmp_path, ("pack", "site"))
    rc = build(tmp_path, "--sign-key", str(key), "--trust", str(tmp_path / "trust"))
    assert rc == 2
    assert "may not sign checkpoint" in capsys.readouterr().err


def test_log_key_that_is_not_the_logs_key_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, _ = make_key(tmp_path, ("release",))
    log_key, _ = _log_key(tmp_path, ("checkpoint",))
    log = _log_init(tmp_path, key)  # the log was made with the release key
    rc = build(tmp_path, "--sign-key", str(key), "--trust", str(tmp_path / "trust"), "--log", str(log),
               "--log-key", str(log_key))  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert f"--log {log}: the key given as --log-key is not this log's key" in err
    assert not (tmp_path / "dist").exists()


def test_log_key_from_the_config_file_is_named_as_the_config_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    key, _ = make_key(tmp_path, ("pack", "site"))
    log_key, _ = _log_key(tmp_path, ("pack",))
    log = _log_init(tmp_path, log_key)
    evidence = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    (evidence / "glyphserpack.toml").write_text(f'log = "{log}"\nlog_key = "{log_key}"\n')
    rc = main(["build", str(evidence), "-o", str(tmp_path / "dist"), "--profile", "core", "--sign-key", str(key),
               "--trust", str(tmp_path / "trust")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert f"log_key in glyphserpack.toml {log_key}: key" in err
    assert "may not sign checkpoint" in err
    assert not (tmp_path / "dist").exists()
