"""The registry search page in Chromium: 10,000 rows, served on loopback (issue 15 item 7, issue 17 item 2).

The page is built the way a registry site builds it: ``render_search_page`` as a Markdown page
through mkdocs-material with the packaged ``mkdocs.yml``, and the index from
``write_search_index`` in ``search/`` beside it. Every response the browser receives is
recorded, so "no file the page loads exceeds 1 MB" and "nothing outside the site" are checked
on what was really fetched.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from search_synth import STATUSES, synthetic_row, synthetic_rows
from test_site_a11y import AXE_JS, NO_FADES, RUN_AXE, SCHEMES, SET_SCHEME, WCAG_TAGS, describe, serving

from glyphserpack._internal.fsio import replace_dir
from glyphserpack.registry.search import write_search_index
from glyphserpack.registry.search_page import render_search_page
from glyphserpack.site.builder import MKDOCS_YML
from glyphserpack.site.render import TEMPLATES

N = 10_000
MB = 1024 * 1024
ROWS = [synthetic_row(i) for i in range(N)]


def build_search_site(root: Path) -> Path:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    info = write_search_index(synthetic_rows(N), root / "index")
    docs, site = root / "docs", root / "site"
    (docs / "assets").mkdir(parents=True)
    (docs / "index.md").write_text(render_search_page(info), encoding="utf-8")
    shutil.copytree(TEMPLATES / "assets", docs / "assets" / "gsp")
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    build(
        load_config(config_file=str(MKDOCS_YML), docs_dir=str(docs), site_dir=str(site), nav=[{"Search": "index.md"}])
    )
    # Material's own search (the header box) keeps its search_index.json in search/ too; the
    # sharded index replaces that directory whole, so a registry build carries the file over.
    for material in (site / "search").iterdir():
        shutil.copy2(material, root / "index" / material.name)
    replace_dir(root / "index", site / "search")
    return site


@pytest.fixture(scope="module")
def search_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_search_site(tmp_path_factory.mktemp("search-site"))


@pytest.fixture(scope="module")
def served_search(search_site: Path) -> Iterator[str]:
    with serving(search_site) as base:
        yield base


@pytest.fixture
def tab(browser: Any, served_search: str, search_site: Path) -> Iterator[Any]:
    """A page that records every response; after the test each must be a file of the site, < 1 MB.

    Sizes are taken from the served files (a response from the browser's cache has no length).
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    pg = context.new_page()
    seen: list[tuple[str, int]] = []
    pg.on("response", lambda r: seen.append((r.url, r.status)))
    try:
        yield pg
    finally:
        context.close()
    assert seen, "the page fetched nothing"
    outside = [u for u, _ in seen if not u.startswith(served_search)]
    assert outside == [], f"the page reached beyond the site: {outside}"
    failed = [(u, status) for u, status in seen if status >= 400]
    assert failed == [], f"requests that failed: {failed}"
    sizes = {u: (search_site / unquote(urlsplit(u).path).lstrip("/")) for u, _ in seen}
    sizes = {u: (p / "index.html" if p.is_dir() else p).stat().st_size for u, p in sizes.items()}
    big = {u: n for u, n in sizes.items() if n >= MB}
    assert big == {}, f"files of 1 MB or more: {big}"
    assert any("/search/rows/" in u for u in sizes)
    assert any("/search/post/" in u for u in sizes)


def open_search(tab: Any, base: str, query: str = "") -> None:
    tab.goto(base + "index.html" + query, wait_until="load")
    wait(tab)


def wait(tab: Any) -> None:
    tab.wait_for_selector("#gsp-search[data-state=ready]", timeout=20_000)


def total(tab: Any) -> int:
    return int(tab.get_attribute("#gsp-search", "data-total"))


def shown(tab: Any, column: int) -> list[str]:
    return tab.eval_on_selector_all(
        "#gsp-search-table tbody tr", f"rows => rows.map(r => r.cells[{column}].textContent)"
    )


def submit(tab: Any, **fields: str) -> None:
    for name, value in fields.items():
        if name == "q":
            tab.fill("#gsp-search-q", value)
        else:
            tab.select_option(f"#gsp-search-{name}", value)
    tab.click("#gsp-search-form button[type=submit]")
    wait(tab)


def test_a_query_by_id_finds_the_row(tab: Any, served_search: str) -> None:
    open_search(tab, served_search)
    assert total(tab) == N  # no query: everything, first page
    assert len(shown(tab, 0)) == 50
    submit(tab, q="EC-0004321")
    assert total(tab) == 1
    assert shown(tab, 0) == ["ec-0004321"]
    href = tab.get_attribute("#gsp-search-table tbody a", "href")
    assert href == served_search + ROWS[4321].url
    assert parse_qs(urlsplit(tab.url).query) == {"query": ["EC-0004321"]}


def test_each_filter_narrows_the_results(tab: Any, served_search: str) -> None:
    open_search(tab, served_search)
    chosen: dict[str, str] = {}
    before = N
    for facet, value in (
        ("status", "revoked"),
        ("version", "2.0.0"),
        ("profile", "regulated"),
        ("adapter", "jax-tpu"),
        ("product", "glyphser"),
    ):
        chosen[facet] = value
        submit(tab, **{facet: value})
        expected = sum(all(getattr(r, f) == v for f, v in chosen.items()) for r in ROWS)
        assert 0 < total(tab) == expected < before, (facet, value)
        before = expected
        column = ["id", "title", "kind", "product", "version", "profile", "status", "adapter"].index(facet)
        assert set(shown(tab, column)) == {value}
    matching = [r for r in ROWS if all(getattr(r, f) == v for f, v in chosen.items())]
    tenant = matching[0].title.split()[3]  # "run I tenant tNN …"
    submit(tab, q=f"tenant {tenant}")
    words_hit = sum(f" {tenant} " in r.title for r in matching)
    assert 0 < total(tab) == words_hit < before


def test_the_url_restores_query_filters_and_page_and_history_steps_back(tab: Any, served_search: str) -> None:
    open_search(tab, served_search, "?query=tenant&status=renewed&page=2")
    assert tab.input_value("#gsp-search-q") == "tenant"
    assert tab.input_value("#gsp-search-status") == "renewed"
    expected = sum(r.status == "renewed" and "tenant" in r.title for r in ROWS)
    assert total(tab) == expected
    assert re.search(r"page 2 of \d+", tab.text_content("#gsp-search-message"))
    first_on_2 = shown(tab, 0)[0]
    tab.click("#gsp-search-output nav a[rel=next]")
    wait(tab)
    assert "page=3" in tab.url
    assert shown(tab, 0)[0] != first_on_2
    tab.go_back()
    wait(tab)
    assert "page=2" in tab.url
    assert shown(tab, 0)[0] == first_on_2
    assert tab.input_value("#gsp-search-status") == "renewed"


def test_hostile_titles_are_shown_as_text(tab: Any, served_search: str) -> None:
    for i in (7, 1007, 2007, 3007):
        open_search(tab, served_search, f"?query={ROWS[i].id}")
        assert shown(tab, 1) == [ROWS[i].title]
        assert tab.evaluate("() => window.GSP_PWNED") is None
        assert tab.locator("#gsp-search-table img").count() == 0
    submit(tab, q="\uff25VIL Bidi")  # fullwidth E: NFKC and case folding match the index's
    assert ROWS[3007].id in shown(tab, 0)


def test_the_page_passes_wcag21_aa_in_light_and_dark(tab: Any, served_search: str) -> None:
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run scripts/setup.sh all (installs axe-core from npm)")
    problems: list[str] = []
    for query in ("", f"?status={STATUSES[1]}&page=3", "?query=no-such-thing"):
        open_search(tab, served_search, query)
        tab.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
        tab.add_style_tag(content=NO_FADES)
        for scheme in SCHEMES:
            tab.evaluate(SET_SCHEME, scheme)
            problems += describe(f"search{query} [{scheme}]", tab.evaluate(RUN_AXE, WCAG_TAGS)["violations"])
    assert not problems, "\n".join(problems)
