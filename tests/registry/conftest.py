"""A registry of two releases built from copies of the bundled evidence into one log (session).

Release 1.4.0 is the bundled evidence; 1.5.0 is a copy with a new version, release id and
release time (tests/evidence/helpers.py re-pins the hash links). Both are built with
``build --log REGISTRY/log`` (about 5 s each), once per session; tests copy the registry
before they change it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from evidence.helpers import copy_tree, edit_doc

from glyphserpack.cli import main

ORIGIN = "certs.example.org/glyphser/log"
BASE_URL = "https://certs.example.org/glyphser/"
AT = "2026-11-01T00:00:00Z"


@dataclass(frozen=True)
class Registry:
    root: Path  # REGISTRY (log/ + releases/), never changed by tests: copy it first
    key: Path
    trust: Path

    def copy(self, dest: Path) -> Path:
        shutil.copytree(self.root, dest, symlinks=True)
        return dest


def build_release(evidence: Path, registry: Path, key: Path, trust: Path, name: str) -> Path:
    out = registry / "releases" / name
    args = ["build", str(evidence), "-o", str(out), "--profile", "regulated", "--sign-key", str(key)]
    args += ["--trust", str(trust), "--base-url", BASE_URL, "--log", str(registry / "log")]
    assert main(args) in (0, 1), f"build of {name} failed"
    assert (out / "reports" / "build.json").is_file()
    return out


def new_version(base: Path, version: str, release_time: str) -> Path:
    tree = copy_tree(base)

    def bump(doc: dict[str, Any]) -> None:
        doc["version"] = version
        doc["release_id"] = f"glyphser-{version}"
        doc["release_time_utc"] = release_time

    edit_doc(tree, "release.yaml", bump)
    return tree


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    from glyphserpack.keys import generate

    base = tmp_path_factory.mktemp("registry")
    key = base / "keys" / "release.pem"
    generate(
        key,
        trust_dir=base / "trust",
        owner="registry tests",
        purposes=("checkpoint", "pack", "site"),
        not_before="2020-01-01T00:00:00Z",
    )
    root = base / "REGISTRY"
    (root / "releases").mkdir(parents=True)
    assert main(["log", "init", str(root / "log"), "--origin", ORIGIN, "--key", str(key)]) == 0
    build_release(copy_tree(base / "ev1"), root, key, base / "trust", "glyphser-1.4.0")
    build_release(
        new_version(base / "ev2", "1.5.0", "2026-10-20T12:00:00Z"), root, key, base / "trust", "glyphser-1.5.0"
    )
    return Registry(root, key, base / "trust")
