"""The site as a person uses it: headless Chromium on file:// URLs, no server, no network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import shot
from playwright.sync_api import TimeoutError as PlaywrightTimeout

#: mkdocs-material builds its search index in a web worker on first use; on a loaded 2-core
#: machine that has taken over 10 s. A wait, not a timing assertion: the result is what is tested.
SEARCH_WAIT_MS = 45_000


def _url(site: Path, rel: str) -> str:
    return (site / rel).resolve().as_uri()


def _search(page: Any, query: str, result: str) -> Any:
    """Type ``query`` into the search box as a person does and wait for ``result`` to show.

    In full-suite runs on a loaded machine the first query has (rarely) gone unanswered: typed
    before Material's search had wired itself up. A person types again; so do we, three times
    at most, within the same overall wait.
    """
    box = page.locator("input.md-search__input")
    hit = page.locator(result).first
    for attempt in range(3):
        box.fill("")
        box.press_sequentially(query)
        try:
            hit.wait_for(timeout=SEARCH_WAIT_MS // 3)
            return hit
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def test_search_finds_a_certificate_and_opens_it(demo_site: Path, page: Any) -> None:
    registry = json.loads((demo_site / "api" / "registry.json").read_text())
    cert = next(c for c in registry["certificates"] if c["kind"] == "execution_certificate")
    page.goto(_url(demo_site, "index.html"))
    hit = _search(page, cert["id"], f'.md-search-result__item a[href*="{cert["page"]}"]')
    shot(page, "search-certificate")
    hit.click()
    page.wait_for_load_state()
    assert cert["page"] in page.url
    assert cert["sha256"][:16] in page.url
    assert page.locator("#certificate-hash").inner_text() == cert["sha256"]
    assert page.locator("h1").inner_text().startswith("Execution certificate")
    shot(page, "certificate-page")


def test_registry_filters_by_status(demo_site: Path, page: Any) -> None:
    page.goto(_url(demo_site, "registry.html"))
    rows = page.locator("#gsp-registry tbody tr")
    total = rows.count()
    page.select_option("#gsp-filter-status", "revoked")
    visible = page.locator("#gsp-registry tbody tr:not([hidden])")
    assert 0 < visible.count() < total
    assert all(s == "revoked" for s in visible.evaluate_all("rs => rs.map(r => r.dataset.status)"))
    shot(page, "registry-revoked")


def test_security_control_links_to_its_evidence(demo_site: Path, page: Any) -> None:
    page.goto(_url(demo_site, "index.html"))
    page.get_by_role("link", name="regulated", exact=True).first.click()
    control = page.locator("h3[id^='control-']").first
    anchor = control.get_attribute("id")
    assert anchor is not None
    assert len(anchor) == len("control-") + 16
    evidence = page.locator(f"h3#{anchor} ~ ul a").first
    href = evidence.get_attribute("href")
    shown_hash = evidence.locator("xpath=following-sibling::code[1]").inner_text()
    evidence.click()
    page.wait_for_load_state()
    assert shown_hash in page.url, (href, page.url)
    if "certificates/" in page.url:
        assert page.locator("#certificate-hash").inner_text().startswith(shown_hash)
    else:
        row = page.locator(f"tr#f-{shown_hash}")
        assert row.count() == 1
        assert row.locator(".gsp-hash").inner_text().startswith(shown_hash)
    shot(page, "control-evidence")


def test_browser_verifier_good_and_tampered(demo_site: Path, page: Any, tmp_path: Path) -> None:
    cert = next((demo_site / "files").glob("*-certificate.cbor"))
    good = tmp_path / "certificate.cbor"  # as a visitor would save it
    good.write_bytes(cert.read_bytes())
    bad = tmp_path / "certificate-tampered.cbor"
    data = bytearray(cert.read_bytes())
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    pack = next((demo_site / "packs").rglob("*.glyphserpack"))
    page.goto(_url(demo_site, "verify.html"))
    page.set_input_files("#gsp-file", [str(good), str(bad), str(pack)])
    rows = page.locator("#gsp-result li[data-verdict]")
    page.wait_for_function("() => document.querySelectorAll('#gsp-result li[data-verdict]').length === 3")
    verdicts = {
        r["name"]: r["verdict"]
        for r in rows.evaluate_all(
            "rs => rs.map(r => ({name: r.textContent.split(' ').find(w => w.includes('.')),"
            " verdict: r.dataset.verdict}))"
        )
    }
    assert verdicts == {"certificate.cbor": "match", "certificate-tampered.cbor": "nomatch", pack.name: "match"}
    shot(page, "verifier")


def test_hostile_evidence_renders_as_text_and_runs_nothing(hostile_site: Path, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pages = ["index.html", "registry.html", "evidence.html", "revocations.html"]
    pages += [p.relative_to(hostile_site).as_posix() for p in sorted((hostile_site / "security").glob("*.html"))]
    pages += [p.relative_to(hostile_site).as_posix() for p in sorted((hostile_site / "certificates").glob("*.html"))]
    seen_payload = 0
    for rel in pages:
        page.goto(_url(hostile_site, rel))
        page.wait_for_timeout(30)
        assert page.evaluate("() => window.__pwned") is None, rel
        text = page.locator("article").inner_text()
        if "window.__pwned=1</script>" in text:
            seen_payload += 1
            # rendered as the literal characters, including the Markdown link syntax
            assert "[click me](javascript:window.__pwned=3)" in text, rel
            assert page.locator("article script, article img[src='x'], article svg[onload]").count() == 0, rel
        hrefs = page.locator("a[href]").evaluate_all("as => as.map(a => a.getAttribute('href'))")
        assert not [h for h in hrefs if h.strip().lower().startswith("javascript:")], rel
    assert seen_payload >= 3  # security case, certificate page (metadata), certification record page
    # search results are rendered as HTML by Material: the hostile vendor name must stay text
    page.goto(_url(hostile_site, "index.html"))
    _search(page, "cert-backend-cpu-ref-2026", ".md-search-result__item")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__pwned") is None
    assert "window.__pwned=1</script>" in page.locator(".md-search-result").inner_text()
    shot(page, "hostile-search")
    page.goto(_url(hostile_site, next(p for p in pages if p.startswith("security/core"))))
    shot(page, "hostile-security-case")
    assert dialogs == []


def test_readable_on_a_phone(demo_site: Path, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        pg = context.new_page()
        for rel in ("index.html", "registry.html", next((demo_site / "certificates").glob("*.html")).name):
            target = rel if rel.endswith(("index.html", "registry.html")) else f"certificates/{rel}"
            pg.goto(_url(demo_site, target))
            width = pg.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, (target, width)  # wide tables scroll inside their own box
        shot(pg, "phone-certificate")
    finally:
        context.close()


def test_light_dark_toggle(demo_site: Path, page: Any) -> None:
    page.goto(_url(demo_site, "index.html"))
    before = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    after = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
    assert {before, after} == {"default", "slate"}
    shot(page, "dark-overview")
