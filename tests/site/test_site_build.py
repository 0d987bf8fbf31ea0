"""Building: determinism, incremental rebuilds, atomic output, the api/ twin, hash links."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from site_synth import make_tree

from glyphserpack.cli import main
from glyphserpack.errors import SiteBuildError
from glyphserpack.site import build_site

REPO = Path(__file__).resolve().parents[2]


def _snapshot(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _diff(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


@pytest.fixture(scope="module")
def small_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("small") / "evidence", n_certs=3)


def test_same_inputs_give_a_byte_identical_site(small_tree: Path, tmp_path: Path) -> None:
    cold = build_site(small_tree, tmp_path / "a" / "site")
    cache = tmp_path / "cache"
    first = build_site(small_tree, tmp_path / "b" / "out", cache_dir=cache)
    warm = build_site(small_tree, tmp_path / "b" / "out", cache_dir=cache)
    assert cold.mkdocs_ran
    assert first.mkdocs_ran
    assert not warm.mkdocs_ran
    assert warm.pages_rendered == 0
    assert warm.pages_cached == first.pages_rendered > 3
    a, b = _snapshot(cold.out), _snapshot(warm.out)
    assert _diff(a, b) == []
    assert cold.root == first.root == warm.root
    assert not [k for k in a if k.startswith("sitemap")]  # mkdocs' sitemap.xml.gz carried a build time


def test_incremental_rebuild_renders_only_changed_pages(small_tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    build_site(small_tree, tmp_path / "site", cache_dir=cache)
    bigger = make_tree(tmp_path / "bigger", n_certs=4)
    again = build_site(bigger, tmp_path / "site", cache_dir=cache)
    assert again.pages_rendered == 1  # only the new certificate's page
    fresh = build_site(bigger, tmp_path / "fresh")
    assert _diff(_snapshot(again.out), _snapshot(fresh.out)) == []


def test_failed_build_leaves_the_old_site_untouched(
    small_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    build_site(small_tree, out)
    before = _snapshot(out)

    def boom(*_a: object, **_k: object) -> None:
        raise SiteBuildError("injected failure")

    monkeypatch.setattr("glyphserpack.site.api.write_api", boom)
    with pytest.raises(SiteBuildError, match="injected"):
        build_site(small_tree, out)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temp directory left behind


def test_refuses_to_replace_a_directory_that_is_not_a_site(
    small_tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    rc = main(["site", "build", str(small_tree), "-o", str(out)])
    assert rc == 2
    assert "not a glyphserpack site" in capsys.readouterr().err
    assert (out / "precious.txt").read_text() == "keep me"


def test_api_documents_match_their_published_schema(demo_site: Path) -> None:
    schema = json.loads((demo_site / "api" / "schemas" / "site-api.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)

    def check(doc: Path, name: str) -> None:
        jsonschema.validate(json.loads(doc.read_text()), {**schema, "$ref": f"#/$defs/{name}"})

    check(demo_site / "api" / "registry.json", "Registry")
    check(demo_site / "api" / "guarantees.json", "Guarantees")
    check(demo_site / "api" / "packs.json", "Packs")
    certs = sorted((demo_site / "api" / "certificates").glob("*.json"))
    assert certs
    for c in certs:
        check(c, "CertificateDoc")
    registry = json.loads((demo_site / "api" / "registry.json").read_text())
    statuses = {c["status"] for c in registry["certificates"]}
    assert {"valid", "revoked", "superseded"} <= statuses
    for c in registry["certificates"]:
        assert c["sha256"][:16] in c["page"]
        assert (demo_site / c["page"]).is_file()
    packs = json.loads((demo_site / "api" / "packs.json").read_text())["packs"]
    assert packs
    assert all(p["root_hash"] and (demo_site / p["download"]).is_file() for p in packs)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if d.get("id"):
            self.ids.add(str(d["id"]))
        for attr in ("href", "src"):
            v = d.get(attr)
            if v and re.match(r"^[a-z]+:", v):
                self.external.append(v)
            elif v and attr == "href":
                self.hrefs.append(v)


def test_every_internal_link_and_anchor_resolves_and_nothing_is_remote(demo_site: Path) -> None:
    parsed: dict[Path, _Links] = {}
    for page in demo_site.rglob("*.html"):
        if page.name == "404.html":  # served by web servers at any depth, so mkdocs makes it root-absolute
            continue
        p = _Links()
        p.feed(page.read_text(encoding="utf-8"))
        parsed[page.resolve()] = p
    broken = []
    for page, links in parsed.items():
        assert links.external == [], (page, links.external[:3])
        for href in links.hrefs:
            path, _, anchor = href.partition("#")
            target = (page.parent / path.split("?")[0]).resolve() if path else page
            if not target.exists() or (anchor and target.suffix == ".html" and anchor not in parsed[target].ids):
                broken.append((page.name, href))
    assert broken == []
    css_js = [p for p in demo_site.rglob("*") if p.suffix in (".css",) and "gsp" in p.parts]
    for p in css_js:
        assert "http" not in p.read_text()


def test_claims_link_to_objects_by_hash(demo_site: Path) -> None:
    case = next((demo_site / "security").glob("regulated-*.html")).read_text()
    links = re.findall(r'href="\.\./(evidence\.html#f-|certificates/)([0-9a-f]{16})', case)
    assert len(links) >= 5
    evidence = (demo_site / "evidence.html").read_text()
    for kind, prefix in links:
        if kind.startswith("evidence"):
            assert f'id="f-{prefix}"' in evidence
        else:
            assert (demo_site / "certificates" / f"{prefix}.html").is_file()


def test_every_evidence_file_is_downloadable_with_its_hash(demo_site: Path) -> None:
    import hashlib

    for row in re.findall(
        r'<tr id="f-([0-9a-f]{16})"><td><a href="([^"]+)"', (demo_site / "evidence.html").read_text()
    ):
        data = (demo_site / row[1]).read_bytes()
        assert hashlib.sha256(data).hexdigest().startswith(row[0])


def test_copying_a_site_elsewhere_keeps_it_valid(demo_site: Path, tmp_path: Path, site_trust: Path) -> None:
    copy = tmp_path / "mirror"
    shutil.copytree(demo_site, copy)
    assert main(["site", "verify", str(copy), "--trust", str(site_trust)]) == 0


def test_the_synthetic_bulk_tree_passes_every_profile(small_tree: Path) -> None:
    # The benchmark's trees must be realistic: every bulk certificate has its run and trace.
    from glyphserpack.evidence import load_tree
    from glyphserpack.evidence.checks import check

    tree = load_tree(small_tree)
    for profile in ("core", "enterprise", "regulated"):
        result = check(tree, profile=profile)
        assert result.findings == ()
        assert result.upgrade_gate_verdict == "PASS"
