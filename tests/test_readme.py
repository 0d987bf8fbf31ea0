"""The README's examples are run, so the documentation cannot drift from the code."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_block(heading: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, f"no sh block under {heading}"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_five_line_example_runs(tmp_path: Path) -> None:
    assert not tmp_path.resolve().is_relative_to(ROOT), "the example must run from a directory of its own"
    shutil.copytree(ROOT / "evidence", tmp_path / "evidence")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    lines = readme_block("Pack and verify in five lines")
    assert len(lines) == 5
    for line in lines:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
    assert (tmp_path / "out" / "bagit.txt").is_file()
    assert (tmp_path / "out" / "verification_instructions.txt").is_file()
    assert not list((tmp_path / "out").rglob("*.key")), "a private key landed in the pack"


def test_hash_examples_run_from_a_fresh_directory(tmp_path: Path) -> None:
    assert not tmp_path.resolve().is_relative_to(ROOT)
    (tmp_path / "doc.yaml").write_text("kind: example\nvalue: 1\n")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    lines = readme_block("Hashes")
    assert len(lines) == 3
    digests = []
    for line in lines:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        assert re.fullmatch(r"[0-9a-f]{64}\n", result.stdout), result.stdout
        digests.append(result.stdout)
    assert len(set(digests)) == 3
    assert digests[2].strip() == hashlib.sha256((tmp_path / "doc.yaml").read_bytes()).hexdigest()


def test_start_an_evidence_tree_runs_from_a_fresh_directory(tmp_path: Path) -> None:
    assert not tmp_path.resolve().is_relative_to(ROOT)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.pop("SOURCE_DATE_EPOCH", None)
    lines = readme_block("Start an evidence tree")
    assert len(lines) == 4
    subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(lines)], cwd=tmp_path, env=env, check=True)
    assert (tmp_path / "ev" / "release.yaml").is_file()
    key = (tmp_path / "release.key").read_bytes()
    assert all(key not in p.read_bytes() for p in (tmp_path / "ev").rglob("*") if p.is_file())


def test_quickstart_has_exactly_two_commands() -> None:
    lines = [line.split("#")[0].strip() for line in readme_block("Quickstart")]
    assert lines == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
