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
