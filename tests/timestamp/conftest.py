"""Shared fixtures: the real-token corpus in tests/assets, and embedded TSAs in temp dirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from glyphserpack.pack import write
from glyphserpack.timestamp.ca import TsaMaterial, init_tsa
from glyphserpack.timestamp.server import TsaServer

REAL = Path(__file__).resolve().parents[1] / "assets" / "tsa-real"

#: The nine real tokens of tests/assets/tsa-real (see its INDEX.md and tests/assets/PROVENANCE.md).
REAL_NAMES = [
    "digicert-2018",
    "symantec-2018",
    "identrust-2025",
    "freetsa-2025-certs",
    "freetsa-2025-nocerts",
    "sigstage-2025-sha384",
    "sigstage-2025-nocerts",
    "sigstore-prod-2026",
    "github-staging-2023",
]


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """The held-out corpus; its absence is a failure, never a skip."""
    if not (REAL / "INDEX.md").is_file():
        pytest.fail(f"{REAL} is missing: the real-token corpus is part of the repository")
    return REAL


@pytest.fixture(scope="session")
def ec_tsa(tmp_path_factory: pytest.TempPathFactory) -> TsaMaterial:
    return init_tsa(tmp_path_factory.mktemp("tsa-ec"), key_type="ec")


@pytest.fixture(scope="session")
def rsa_tsa(tmp_path_factory: pytest.TempPathFactory) -> TsaMaterial:
    return init_tsa(tmp_path_factory.mktemp("tsa-rsa"), key_type="rsa")


@pytest.fixture
def ec_server(ec_tsa: TsaMaterial) -> Iterator[TsaServer]:
    with TsaServer(ec_tsa.directory) as server:
        yield server


@pytest.fixture
def rsa_server(rsa_tsa: TsaMaterial) -> Iterator[TsaServer]:
    with TsaServer(rsa_tsa.directory) as server:
        yield server


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A small unsigned, unstamped pack."""
    src = tmp_path / "evidence"
    src.mkdir()
    (src / "certificate.json").write_text('{"run_id": "r1"}\n')
    out = tmp_path / "release.glyphserpack"
    write(src, out, created=0)
    return out
