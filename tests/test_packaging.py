"""A built wheel is self-contained: the demo runs from it with no checkout beside it.

Builds the wheel from a copy of the sources (the checkout is never written to), unpacks it
and runs ``glyphserpack demo`` (then ``evidence init``) from the unpacked copy with the test
environment's dependencies. ``setup.py`` must have copied the templates, mkdocs.yml and the example
evidence into ``glyphserpack/_data``; without them the demo fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    "mkdocs.yml",
    "glyphserpack",
    "evidence",
    "evidence-releases",
    "site_templates",
)


def test_wheel_carries_its_data_and_runs_the_demo_without_a_checkout(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "_data"))
        else:
            shutil.copy2(ROOT / name, src / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), "."],
        cwd=src,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("glyphserpack-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for must in (
        "glyphserpack/_data/mkdocs.yml",
        "glyphserpack/_data/evidence/release.yaml",
        "glyphserpack/_data/evidence-releases/glyphser-1.3.0/release.yaml",
        "glyphserpack/_data/evidence-releases/glyphser-2.0.0/release.yaml",
        "glyphserpack/_data/site_templates/pages/registry.md.j2",
        "glyphserpack/_data/site_templates/search/search.js",
    ):
        assert must in names
    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    probe = (
        "import json, sys, glyphserpack; from glyphserpack._internal.resources import resource; "
        "from glyphserpack.cli import main; rc = main(['demo', '-o', sys.argv[1], '--json']); "
        "print(json.dumps({'rc': rc, 'pkg': glyphserpack.__file__, 'evidence': str(resource('evidence'))}))"
    )
    env = {**os.environ, "PYTHONPATH": str(installed)}
    out = tmp_path / "dist"
    done = subprocess.run(  # a relative -o, as a user in a directory of their own would type it
        [sys.executable, "-c", probe, "dist"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["rc"] == 0
    assert summary["pkg"].startswith(str(installed))
    assert summary["evidence"] == str(installed / "glyphserpack" / "_data" / "evidence")
    assert (out / "site" / "index.html").is_file()
    releases = sorted(p.name for p in (out / "registry" / "releases").iterdir())
    assert releases == ["glyphser-1.3.0", "glyphser-1.4.0", "glyphser-2.0.0"]  # the shipped releases
    assert all(any((out / "registry" / "releases" / r / "packs").glob("*.glyphserpack")) for r in releases)
    # evidence init scaffolds from the packaged example evidence, not from a checkout
    scaffold = (
        "import sys; from glyphserpack.cli import main; assert main(['keys', 'generate', 'k.pem']) == 0; "
        "sys.exit(main(['evidence', 'init', 'ev', '--product', 'acme', '--version', '1.0.0', "
        "'--profile', 'core', '--key', 'k.pem']))"
    )
    done = subprocess.run([sys.executable, "-c", scaffold], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ev" / "release.yaml").is_file()
