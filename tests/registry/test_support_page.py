"""Adapters × versions, and the support page: words not colour, captions, scopes, axe-core clean."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import markdown
import pytest

from glyphserpack.errors import InputError
from glyphserpack.evidence.status import STATUSES
from glyphserpack.registry.adapters import AdapterCertRow, adapter_matrix, cell_status
from glyphserpack.registry.facts import ProfileGuarantee, ReleaseFacts
from glyphserpack.registry.support import support_matrix
from glyphserpack.registry.support_site import render_support_page

REPO = Path(__file__).resolve().parents[2]
AXE_JS = REPO / ".node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CSS = REPO / "site_templates" / "assets" / "gsp.css"


def cert(adapter: str, version: str, record: str, status: Any, profile: str = "regulated") -> AdapterCertRow:
    return AdapterCertRow(adapter, "glyphser", version, record, status, profile)


def test_every_record_status_has_a_cell_word() -> None:
    assert {s: cell_status(s) for s in STATUSES} == {
        "invalid": "not certified",
        "failed": "not certified",
        "revoked": "revoked",
        "not_yet_valid": "not certified",
        "superseded": "superseded",
        "sunset": "expired",
        "expired": "expired",
        "valid": "certified",
    }


def test_cells_pick_the_deciding_record_and_keep_them_all() -> None:
    m = adapter_matrix(
        [
            cert("cuda12", "1.4.0", "rec-old", "superseded"),
            cert("cuda12", "1.4.0", "rec-new", "valid", "core"),
            cert("s3", "1.4.0", "rec-s3-a", "superseded"),
            cert("s3", "1.4.0", "rec-s3-b", "revoked"),
            cert("s3", "1.10.0", "rec-s3-c", "expired"),
            cert("gcs", "1.9.0", "rec-gcs", "superseded"),
        ]
    )
    assert m.versions == {"glyphser": ("1.4.0", "1.9.0", "1.10.0")}  # numeric order
    assert m.adapters == {"glyphser": ("cuda12", "gcs", "s3")}
    c = m.cell("cuda12", "glyphser", "1.4.0")
    assert (c.status, c.record_id, c.records, c.profiles) == (
        "certified",
        "rec-new",
        ("rec-new", "rec-old"),
        ("core", "regulated"),
    )
    assert m.cell("s3", "glyphser", "1.4.0").status == "revoked"
    assert m.cell("gcs", "glyphser", "1.9.0").status == "superseded"  # nothing newer speaks
    assert m.cell("gcs", "glyphser", "1.4.0").status == "absent"
    assert m.cell("gcs", "glyphser", "1.4.0").record_id is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("status", "ok", "status 'ok'"), ("profile", "gold", "profile 'gold'")],
)
def test_a_bad_row_is_named(field: str, value: str, message: str) -> None:
    kwargs: dict[str, Any] = {"status": "valid", "profile": "core", field: value}
    with pytest.raises(InputError, match=f"adapter cuda12, record rec-1: {message}"):
        AdapterCertRow("cuda12", "glyphser", "1.4.0", "rec-1", kwargs["status"], kwargs["profile"])


def test_a_bad_version_is_named() -> None:
    with pytest.raises(InputError, match=r"version 'latest' is not MAJOR\.MINOR\.PATCH"):
        adapter_matrix([cert("cuda12", "latest", "rec-1", "valid")])


def _release(version: str, when: str, *, lts: tuple[str, ...] = (), gate: str = "PASS") -> ReleaseFacts:
    return ReleaseFacts(
        product="glyphser",
        version=version,
        release_id=f"glyphser-{version}",
        release_time_utc=f"{when}T12:00:00Z",
        profile="regulated",
        gate=gate,
        guarantees=tuple(
            ProfileGuarantee(p, m, y) for p, m, y in (("core", 18, 3), ("enterprise", 24, 4), ("regulated", 36, 5))
        ),
        lts_cycles=lts,
        policy_path="evolution/evolution_policy.yaml",
        source=f"glyphser-{version}/reports/build.json",
    )


def sample_page(adapter: str = "cuda12") -> str:
    matrix = support_matrix(
        [
            _release("1.3.0", "2025-01-31"),
            _release("1.4.0", "2026-10-15", lts=("1.4",)),
            _release("2.0.0", "2027-08-31"),
            _release("2.1.0", "2028-02-29", gate="FAIL"),
        ],
        at="2029-06-30",
    )
    adapters = adapter_matrix(
        [
            cert(adapter, "1.4.0", "rec-1", "valid"),
            cert(adapter, "1.3.0", "rec-0", "superseded"),
            cert("s3", "1.4.0", "rec-s3", "revoked"),
            cert("s3", "2.0.0", "rec-s3-2", "expired"),
        ]
    )
    return render_support_page(matrix, adapters)


def test_the_page_says_each_state_in_words_in_captioned_scoped_tables() -> None:
    page = sample_page()
    assert page.count("<caption>") == page.count("<table>") == 4  # three profiles + adapters
    assert '<th scope="row">1.4</th>' in page
    assert '<th scope="col">Security support ends</th>' in page
    for word in ("supported", "security-only", "eol", "certified", "revoked", "expired", "superseded", "absent"):
        assert re.search(rf">{word}<", page), word
    assert "<li>glyphser-2.1.0: upgrade gate FAIL for the regulated profile</li>" in _html(page)
    assert "yes, window ends 2029-10-15" in page  # 1.4 is LTS, core: 3 years from 2026-10-15
    for wrap in re.findall(r"<div [^>]*>", page):
        assert 'tabindex="0"' in wrap
        assert 'role="region"' in wrap
        assert "aria-label=" in wrap


def test_evidence_text_is_escaped_on_the_page() -> None:
    page = sample_page('<img src=x onerror="alert(1)">')
    assert "<img" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_an_empty_registry_renders() -> None:
    page = render_support_page(support_matrix([], at="2029-01-01"), adapter_matrix([]))
    assert "No releases." in page
    assert "No adapter certification records." in page


def _html(page: str) -> str:
    body = markdown.markdown(page, extensions=["tables", "attr_list", "admonition", "fenced_code"])
    css = CSS.read_text(encoding="utf-8")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Support matrix</title>'
        f"<style>{css}</style></head><body><main>{body}</main></body></html>"
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium (installed by .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            yield b
        finally:
            b.close()


def test_the_page_passes_axe_wcag21_aa(browser: Any) -> None:
    """The page's own markup (tables, captions, scopes, regions, status colours) under axe-core."""
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run scripts/setup.sh all (installs axe-core from npm)")
    tab = browser.new_page()
    try:
        tab.set_content(_html(sample_page()))
        tab.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
        result = tab.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
        )
        assert tab.locator("table caption").count() == 4
    finally:
        tab.close()
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]] == []
