"""Session fixtures: the deterministic TSA, a signing key, and one uninterrupted reference build."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import TSA_CLOCK, Keys, Tsa, build_args, run_build


@pytest.fixture(scope="session")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tsa]:
    from glyphserpack.timestamp import TsaServer, init_tsa

    state = tmp_path_factory.mktemp("tsa")
    material = init_tsa(state, key_type="rsa", now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with TsaServer(state, material=material, clock=lambda: TSA_CLOCK) as server:
        yield Tsa(server.url, state, material.root_pem)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    from glyphserpack.keys import generate

    base = tmp_path_factory.mktemp("keys")
    key = base / "release.pem"
    generate(
        key,
        trust_dir=base / "trust",
        owner="build tests",
        purposes=("checkpoint", "pack", "site"),
        not_before="2020-01-01T00:00:00Z",
    )
    return Keys(key, base / "trust")


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory, tsa: Tsa, keys: Keys) -> Path:
    """One uninterrupted build that every equivalence test compares against."""
    out = tmp_path_factory.mktemp("reference") / "dist"
    tsa.reset()
    assert run_build(build_args(out, tsa, keys)) == 0
    assert tsa.served() == 2  # one token over the pack root, one over the site root
    return out
