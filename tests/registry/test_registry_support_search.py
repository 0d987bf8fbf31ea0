"""``registry build``: the support matrix (``support/``, ``api/eol/``) and the search (``find/``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from glyphserpack.registry.search import normalize
from glyphserpack.site.verify import verify_site
from glyphserpack.trust import TrustStore

from .conftest import AT, Registry
from .helpers import build, flip_pack_byte, log_entries
from .test_search import Index

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "tests" / "assets" / "endoflife" / "cycles.schema.json").read_text(encoding="utf-8"))
PROFILES = ("core", "enterprise", "regulated")


@pytest.fixture(scope="module")
def site(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "SITE"
    result = build(registry, registry.root, out)
    assert result.failed == ()
    return out


def releases_json(site: Path) -> list[dict[str, Any]]:
    return list(json.loads((site / "api" / "releases.json").read_text())["releases"])


def test_support_api_agrees_with_the_releases(site: Path) -> None:
    assert json.loads((site / "api" / "eol" / "all.json").read_text()) == ["glyphser"]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    docs = {p: json.loads((site / "api" / "eol" / "glyphser" / f"{p}.json").read_text()) for p in PROFILES}
    default = json.loads((site / "api" / "eol" / "glyphser.json").read_text())
    for doc in [default, *docs.values()]:
        validator.validate(doc)
    assert default == docs["core"]
    # both releases are regulated and passed: every profile lists cycles 1.5 (newest first) and 1.4
    by_version = {r["version"]: r for r in releases_json(site)}
    for doc in docs.values():
        assert [c["cycle"] for c in doc] == ["1.5", "1.4"]
        newest, older = doc
        assert (newest["latest"], newest["releaseDate"]) == ("1.5.0", by_version["1.5.0"]["release_time_utc"][:10])
        assert (older["latest"], older["releaseDate"]) == ("1.4.0", by_version["1.4.0"]["release_time_utc"][:10])
        assert newest["support"] is True  # open: no newer cycle yet
        assert newest["eol"] is False
        assert older["support"] == newest["releaseDate"]  # rule 4: the next cycle ends active support


def test_support_page_shows_the_matrix_and_a_revoked_adapter_cell(registry: Registry, site: Path) -> None:
    html = (site / "support" / "index.html").read_text()
    assert "Support matrix" in html
    assert f"State on {AT[:10]}" in html
    assert "glyphser release cycles under the regulated profile" in html
    certs = json.loads((site / "api" / "certificates.json").read_text())["certificates"]
    revoked = [c for c in certs if c["kind"] == "certification_record" and c["status"] == "revoked"]
    assert revoked
    for c in revoked:  # its cell (status word, then the deciding record id) says revoked
        assert f'gsp-status-revoked">revoked</span> {c["id"]}' in html, c["id"]
    assert "Releases not counted" not in html  # both releases passed


def test_a_release_shown_fail_is_not_counted(registry: Registry, tmp_path: Path) -> None:
    root = registry.copy(tmp_path / "REG")
    flip_pack_byte(root, "glyphser-1.5.0")
    out = tmp_path / "SITE"
    assert build(registry, root, out).failed == ("glyphser/1.5.0",)
    html = (out / "support" / "index.html").read_text()
    assert "Releases not counted" in html
    assert "glyphser-1.5.0: shown FAIL in this registry: pack GSP-E" in html
    for p in PROFILES:
        doc = json.loads((out / "api" / "eol" / "glyphser" / f"{p}.json").read_text())
        assert [c["cycle"] for c in doc] == ["1.4"]


def test_search_finds_every_certificate_of_the_log_with_the_registry_status(registry: Registry, site: Path) -> None:
    index = Index(site / "find" / "index")
    manifest = index.m
    api = {c["sha256"]: c for c in json.loads((site / "api" / "certificates.json").read_text())["certificates"]}
    logged = {e["certificate_hash"].hex() for _, e in log_entries(registry.root) if "certificate_hash" in e}
    shown = logged & set(api)
    assert len(shown) >= 5
    for sha in shown:
        cert = api[sha]
        rows = [index.row(o) for o in index.postings("#" + normalize(cert["id"]))]
        assert sorted(r["version"] for r in rows) == ["1.4.0", "1.5.0"], cert["id"]
        for row in rows:
            assert row["id"] == cert["id"]
            assert row["status"] == cert["status"], cert["id"]
            assert (site / row["url"]).is_file(), row["url"]  # its page in the release's site
    assert manifest["rows"] == 2 * len(api)
    assert set(dict(manifest["facets"]["status"])) == {c["status"] for c in api.values()}
    adapters = dict(manifest["facets"]["adapter"])
    assert "glyphser-backend-cpu-ref" in adapters


def test_search_page_and_home_and_nav_link_it(site: Path) -> None:
    page = (site / "find" / "index.html").read_text()
    assert 'data-index="index/"' in page
    assert 'name="query"' in page
    assert (site / "find" / "index" / "search.js").is_file()
    home = (site / "index.html").read_text()
    for href in ("support/index.html", "find/index.html"):
        assert f'href="{href}"' in home, href
    nav = (site / "certificates" / "index.html").read_text()
    assert 'href="../find/index.html"' in nav
    assert 'href="../support/index.html"' in nav
    assert (site / "search" / "search_index.json").is_file()  # Material's own search is left alone


def test_the_registry_manifest_covers_support_and_search(registry: Registry, site: Path) -> None:
    report = verify_site(site, trust=TrustStore.load(registry.trust))
    assert report.valid, report.lines()
    body = json.loads((site / "registry-manifest.json").read_text())["body"]
    paths = {f["path"] for f in body["files"]}
    for need in ("support/index.html", "api/eol/glyphser.json", "find/index.html", "find/index/manifest.json"):
        assert need in paths, need
