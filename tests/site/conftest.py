"""Fixtures for the site tests: built sites (demo, hostile), a site signing key, a browser."""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from site_synth import make_tree

from glyphserpack.signing import key_id, public_key_raw
from glyphserpack.site import build_site
from glyphserpack.trust import TrustedKey, TrustStore

# The registry of two releases (tests/registry/conftest.py) for the registry site's browser
# checks; tests/ is on the path already when tests/registry is collected too.
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from registry.conftest import registry  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "site"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def make_key(label: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"site test key {label}".encode()).digest())


def write_key(key: Ed25519PrivateKey, path: Path) -> Path:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)
    path.chmod(0o600)
    return path


def write_trust(key: Ed25519PrivateKey, directory: Path, *, purposes: tuple[str, ...] = ("site",)) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    raw = public_key_raw(key)
    tk = TrustedKey(key_id(raw), raw, "site test", purposes, "2020-01-01T00:00:00Z")
    TrustStore.from_keys([tk]).save(directory)
    return directory


@pytest.fixture(scope="session")
def site_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_key(make_key("good"), tmp_path_factory.mktemp("keys") / "site.pem")


@pytest.fixture(scope="session")
def site_trust(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_trust(make_key("good"), tmp_path_factory.mktemp("trust"))


@pytest.fixture(scope="session")
def packs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from glyphserpack.pack.write import write

    out = tmp_path_factory.mktemp("packs")
    write(REPO / "evidence", out / "glyphser-1.4.0.glyphserpack", created="2026-10-15T12:00:00Z", threads=1)
    return out


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory, site_key_file: Path, packs_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("demo") / "site"
    build_site(REPO / "evidence", out, packs_dir=packs_dir, sign_key=site_key_file)
    return out


@pytest.fixture(scope="session")
def hostile_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("hostile") / "evidence", hostile=True)


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory: pytest.TempPathFactory, hostile_tree: Path) -> Path:
    out = tmp_path_factory.mktemp("hostile-site") / "site"
    build_site(hostile_tree, out)
    return out


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium (installed by .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    external: list[str] = []
    pg.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(("file:", "data:", "blob:", "about:")) else None,
    )
    pg.external_requests = external
    try:
        yield pg
    finally:
        context.close()
    assert external == [], f"the site tried to reach the network: {external}"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


# --- transparency-log releases (tests/site/test_site_log*.py) --------------------------


@dataclass(frozen=True)
class LogReleases:
    """Two log-backed releases of the demo evidence, and rewritten-history forgeries of the second."""

    root: Path
    first: list[dict[str, Any]]
    rest: list[dict[str, Any]]
    log: Path
    site1: Path
    site2: Path
    cache: Path
    rewritten: dict[str, Path]
    packs: Path


def build_rewritten(rel: LogReleases, how: str, site_key_file: Path) -> Path:
    """Release 2 built by a dishonest operator on a rewritten log (same log key) with a forged proof."""
    from site_log import LOG_SIGNER, forged_consistency_proof, make_log, rewrite

    log = rel.root / f"log-{how}"
    store = make_log(log, rewrite(rel.first, how) + rel.rest)
    assert store.log_key.vkey() == LOG_SIGNER.verifier().vkey()
    out = rel.root / f"site-{how}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("glyphserpack.site.logview.make_consistency_proof", forged_consistency_proof)
        build_site(
            REPO / "evidence",
            out,
            log_dir=log,
            previous_manifest=rel.site1 / "site-manifest.json",
            sign_key=site_key_file,
            cache_dir=rel.cache,
        )
    return out


@pytest.fixture(scope="session")
def log_releases(tmp_path_factory: pytest.TempPathFactory, site_key_file: Path, packs_dir: Path) -> LogReleases:
    from site_log import LATER, LOG_SIGNER, WITNESSES, cosign, make_log, releases

    from glyphserpack.site.packs import describe

    root = tmp_path_factory.mktemp("log-releases")
    first, rest = releases(REPO / "evidence")
    pack = describe(next(packs_dir.glob("*.glyphserpack")))
    assert pack.root_hash is not None
    rest.append({"type": "pack_published", "pack_hash": pack.root_hash, "pack_name": pack.name, "time_utc": LATER})
    log = root / "log"
    store = make_log(log, first)
    cache = root / "cache"
    site1 = root / "site1"
    build_site(REPO / "evidence", site1, log_dir=log, sign_key=site_key_file, cache_dir=cache)
    shutil.copytree(log, root / "log-at-release1")
    store.append(rest, LOG_SIGNER)
    cosign(store, WITNESSES[:2])
    site2 = root / "site2"
    build_site(
        REPO / "evidence",
        site2,
        log_dir=log,
        log_key=LOG_SIGNER.verifier().vkey(),
        witnesses=[w.verifier() for w in WITNESSES],
        witness_quorum=2,
        previous_manifest=site1 / "site-manifest.json",
        sign_key=site_key_file,
        cache_dir=cache,
        packs_dir=packs_dir,
    )
    rel = LogReleases(root, first, rest, log, site1, site2, cache, {}, packs_dir)
    for how in ("edited", "removed", "reordered"):
        rel.rewritten[how] = build_rewritten(rel, how, site_key_file)
    return rel
