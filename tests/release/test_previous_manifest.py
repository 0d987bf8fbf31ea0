"""``build --previous-manifest FILE``: a file that cannot chain is refused before anything is written.

Every case exits 2, names the file, prints no traceback, and leaves OUT uncreated. The
successful chain of two ``--log`` releases is in test_registry_log.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.release.config import load_config

from .helpers import EVIDENCE, Keys

Make = Callable[[Path, Path], Path]


def _missing(tmp: Path, reference: Path) -> Path:
    return tmp / "nowhere" / "site-manifest.json"


def _not_json(tmp: Path, reference: Path) -> Path:
    path = tmp / "site-manifest.json"
    path.write_text('{"manifest_version": 1,')
    return path


def _wrong_kind(tmp: Path, reference: Path) -> Path:
    path = tmp / "build.json"  # a real JSON document of ours, but not a site manifest
    shutil.copyfile(reference / "reports" / "build.json", path)
    return path


def _edited(tmp: Path, reference: Path) -> Path:
    path = tmp / "site-manifest.json"
    doc = json.loads((reference / "site" / "site-manifest.json").read_text())
    doc["body"]["release_id"] = "glyphser-9.9.9"
    path.write_text(json.dumps(doc))
    return path


def _directory(tmp: Path, reference: Path) -> Path:
    path = tmp / "site-manifest.json"
    path.mkdir()
    return path


def _logged_site(tmp: Path, reference: Path) -> Path:
    # The reference site publishes a log; a build without --log makes a new log that cannot extend it.
    path = tmp / "site-manifest.json"
    shutil.copyfile(reference / "site" / "site-manifest.json", path)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_missing, "not found"),
        (_not_json, "invalid JSON"),
        (_wrong_kind, "not a glyphserpack site manifest"),
        (_edited, "does not match its body"),
        (_directory, "not a regular file"),
        (_logged_site, "a build without --log makes a new self-contained log, which cannot extend it"),
    ],
    ids=["missing", "not-json", "wrong-kind", "edited", "directory", "log-without---log"],
)
def test_unusable_previous_manifest_is_refused_naming_the_file(
    make: Make, message: str, tmp_path: Path, reference: Path, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    given = make(tmp_path, reference)
    # from glyphserpack.toml, relative to the evidence tree (click would refuse a directory itself)
    (evidence / "glyphserpack.toml").write_text(f'previous_manifest = "../{given.relative_to(tmp_path)}"\n')
    assert load_config(evidence).previous_manifest == evidence / ".." / given.relative_to(tmp_path)
    out = tmp_path / "dist"
    capsys.readouterr()
    assert main(["build", str(evidence), "-o", str(out), "--sign-key", str(keys.key)]) == 2
    err = capsys.readouterr().err
    assert f"previous manifest {evidence / '..' / given.relative_to(tmp_path)}" in err
    assert message in err
    assert "hint:" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_previous_manifest_inside_the_output_is_refused(
    tmp_path: Path, reference: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    shutil.copytree(reference / "site", out / "site")  # the last release built into the same OUT
    inside = out / "site" / "site-manifest.json"
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    assert main(["build", str(EVIDENCE), "-o", str(out), "--previous-manifest", str(inside)]) == 2
    err = capsys.readouterr().err
    assert f"previous manifest {inside}: lies inside the output directory" in err
    assert "copy the previous release's site-manifest.json out of OUT first" in err
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before  # nothing removed


def test_unsigned_build_chains_to_an_unlogged_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without a signing key there is no log, so any site manifest can be the predecessor."""
    first, second = tmp_path / "one", tmp_path / "two"
    assert main(["build", str(EVIDENCE), "-o", str(first), "--parity", "off"]) == 0
    manifest = shutil.copyfile(first / "site" / "site-manifest.json", tmp_path / "one.json")
    chained = ["--previous-manifest", str(manifest)]
    assert main(["build", str(EVIDENCE), "-o", str(second), "--parity", "off", *chained]) == 0
    root = json.loads(manifest.read_text())["root"]
    assert json.loads((second / "site" / "site-manifest.json").read_text())["body"]["previous_manifest_root"] == root
    assert (second / "site" / "history" / f"{root[:16]}.json").read_bytes() == manifest.read_bytes()
    assert json.loads((second / "reports" / "verification" / "site.json").read_text())["previous_manifest_root"] == root
    capsys.readouterr()
