"""The copied real-token corpus is exactly what its provenance index says it is."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .conftest import REAL_NAMES


def test_every_file_matches_sha256sums(real_dir: Path) -> None:
    lines = (real_dir / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    sums = dict(reversed(line.split(maxsplit=1)) for line in lines if line.strip())
    assert len(sums) >= 5 * len(REAL_NAMES)
    for name, digest in sums.items():
        assert hashlib.sha256((real_dir / name).read_bytes()).hexdigest() == digest, name


def test_every_token_has_its_files(real_dir: Path) -> None:
    for name in REAL_NAMES:
        for suffix in (".tsr", ".tst", ".data", "-chain.pem", "-root.pem"):
            assert (real_dir / f"{name}{suffix}").is_file(), f"{name}{suffix}"


def test_the_corpus_lives_in_the_repository(real_dir: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    assert real_dir.resolve().is_relative_to(repo / "tests" / "assets")
