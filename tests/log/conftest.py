"""Fixtures for the log tests: a log key, witnesses and a fresh log."""

from __future__ import annotations

from pathlib import Path

import pytest
from logtest_helpers import ORIGIN, fixed_key

from glyphserpack.log.note import ALG_COSIGNATURE_V1, Signer
from glyphserpack.log.store import LogStore


@pytest.fixture
def signer() -> Signer:
    return Signer(ORIGIN, fixed_key("log"))


@pytest.fixture
def witnesses() -> list[Signer]:
    return [Signer(f"witness.example/w{i}", fixed_key(f"w{i}"), ALG_COSIGNATURE_V1) for i in range(3)]


@pytest.fixture
def store(tmp_path: Path, signer: Signer) -> LogStore:
    return LogStore.init(tmp_path / "log", signer)
