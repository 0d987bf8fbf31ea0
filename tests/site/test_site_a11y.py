"""Every page of the demo site passes axe-core's WCAG 2.1 A/AA rules in Chromium (issue 15, item 7).

axe-core comes from npm, pinned by scripts/npm/package-lock.json and installed into .node/ by
``scripts/setup.sh all``. The built site is served on loopback (as `glyphserpack site serve`
does) rather than opened from file://, so the pages load exactly as a visitor's browser sees
them; one browser visits the pages one after another, checking each in the light and the dark
palette.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from glyphserpack.site.serve import make_server

AXE_JS = REPO / ".node" / "node_modules" / "axe-core" / "axe.min.js"
#: The rule sets the issue names: WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
#: Material's two palettes (mkdocs.yml): the reader's light/dark toggle only swaps this body
#: attribute, so each page is checked in both without reloading it.
SCHEMES = ("default", "slate")
SET_SCHEME = "s => document.body.setAttribute('data-md-color-scheme', s)"
#: Material fades colours over a quarter second when the palette changes; axe must see the end
#: state, not a half-faded one, so the test switches the fades off.
NO_FADES = "*, *::before, *::after { transition: none !important; }"


def site_pages(site: Path) -> list[str]:
    """Every HTML page of the built site, as URL paths relative to its root (sorted, stable)."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def describe(page: str, violations: list[dict[str, Any]]) -> list[str]:
    """One readable line per offending element: page, rule, impact, CSS target."""
    return [
        f"{page}: {v['id']} ({v['impact']}) at {' '.join(map(str, node['target']))} — {v['help']}"
        for v in violations
        for node in v["nodes"]
    ]


@contextlib.contextmanager
def serving(site: Path) -> Iterator[str]:
    """``site`` served on loopback (a free port) in a thread; yields its base URL."""
    server = make_server(site, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def served_demo(demo_site: Path) -> Iterator[str]:
    with serving(demo_site) as base:
        yield base


def axe_problems(
    browser: Any, base: str, pages: list[str], *, settle: Callable[[Any], None] | None = None
) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on each page (URL relative to ``base``), light and dark.

    One browser context visits the pages in turn; ``settle(tab)`` waits until a page that
    fills itself in by script is filled, so axe sees it finished, not half-built.
    """
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run scripts/setup.sh all (installs axe-core from npm)")
    axe = AXE_JS.read_text(encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    problems: list[str] = []
    try:
        tab = context.new_page()
        for rel in pages:
            tab.goto(base + rel, wait_until="load")
            if settle is not None:
                settle(tab)
            tab.add_script_tag(content=axe)
            tab.add_style_tag(content=NO_FADES)
            for scheme in SCHEMES:
                tab.evaluate(SET_SCHEME, scheme)
                result = tab.evaluate(RUN_AXE, WCAG_TAGS)
                problems += describe(f"{rel} [{scheme}]", result["violations"])
    finally:
        context.close()
    return problems


def test_every_page_passes_wcag21_aa(demo_site: Path, served_demo: str, browser: Any) -> None:
    pages = site_pages(demo_site)
    assert len(pages) >= 20, pages  # the demo site is a few dozen pages; fewer means a broken walk
    problems = axe_problems(browser, served_demo, pages)
    assert not problems, f"{len(problems)} WCAG 2.1 A/AA violations on {len(pages)} pages:\n" + "\n".join(problems)


#: The registry site's own pages (the release sites under releases/ are the demo site's kind);
#: the search page is checked empty, with results and with none.
REGISTRY_PAGES = [
    "404.html",
    "index.html",
    "certificates/index.html",
    "support/index.html",
    "archive/index.html",
    "find/index.html",
    "find/index.html?query=cert",
    "find/index.html?query=no-such-thing",
]


def search_ready(tab: Any) -> None:
    """On the search page, wait until search.js has loaded the index and shown its results."""
    if tab.locator("#gsp-search").count():
        tab.wait_for_selector("#gsp-search[data-state=ready]", timeout=20_000)


def test_the_registry_sites_own_pages_pass_wcag21_aa(registry: Any, browser: Any, tmp_path: Path) -> None:
    from glyphserpack.registry.build import build_registry
    from glyphserpack.trust import TrustStore

    site = tmp_path / "SITE"
    build_registry(
        registry.root, site, sign_key=registry.key, trust=TrustStore.load(registry.trust), at="2026-11-01T00:00:00Z"
    )
    own = sorted(p for p in site_pages(site) if not p.startswith(("releases/", "search/")))
    assert own == sorted({p.split("?")[0] for p in REGISTRY_PAGES}), own  # a new page must be listed here
    with serving(site) as base:
        problems = axe_problems(browser, base, REGISTRY_PAGES, settle=search_ready)
    assert not problems, f"{len(problems)} WCAG 2.1 A/AA violations on the registry site:\n" + "\n".join(problems)


def test_describe_names_page_rule_impact_and_target() -> None:
    violation = {"id": "link-in-text-block", "impact": "serious", "help": "Links must be distinguishable"}
    lines = describe("index.html", [{**violation, "nodes": [{"target": ["p > a"]}, {"target": ["#x"]}]}])
    assert lines == [
        "index.html: link-in-text-block (serious) at p > a — Links must be distinguishable",
        "index.html: link-in-text-block (serious) at #x — Links must be distinguishable",
    ]
