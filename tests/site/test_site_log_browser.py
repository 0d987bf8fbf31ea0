"""The verify page checks the log in Chromium: checkpoint signature, witnesses, consistency (WebCrypto)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from conftest import LogReleases, shot
from site_log import LOG_SIGNER, OTHER_SIGNER


def _check(page: Any, site: Path) -> dict[str, tuple[bool, str]]:
    page.goto((site / "verify.html").resolve().as_uri())
    return _result(page)


def _result(page: Any) -> dict[str, tuple[bool, str]]:
    page.wait_for_function("() => !['running', ''].includes(document.getElementById('gsp-log').dataset.verdict)")
    rows = page.locator("#gsp-log-result li").evaluate_all(
        "ls => ls.map(l => [l.dataset.step, l.dataset.ok === 'true', l.textContent])"
    )
    return {step: (ok, text) for step, ok, text in rows}


def _verdict(page: Any) -> str:
    return str(page.evaluate("() => document.getElementById('gsp-log').dataset.verdict"))


def test_good_history_passes_in_the_browser(log_releases: LogReleases, page: Any) -> None:
    steps = _check(page, log_releases.site2)
    assert _verdict(page) == "ok", steps
    assert steps["checkpoint"][0]
    assert "size 11" in steps["checkpoint"][1]
    assert steps["witnesses"] == (True, steps["witnesses"][1])
    assert "2 of 3 witnesses" in steps["witnesses"][1]
    assert steps["consistency"][0]
    assert "size 5 → 11" in steps["consistency"][1]
    page.locator("#gsp-log").scroll_into_view_if_needed()
    shot(page, "log-verify-good")


def test_rewritten_history_fails_in_the_browser(log_releases: LogReleases, page: Any) -> None:
    for how in ("edited", "reordered"):
        steps = _check(page, log_releases.rewritten[how])
        assert _verdict(page) == "fail", (how, steps)
        assert steps["checkpoint"][0]  # the log key did sign the rewritten tree ...
        ok, text = steps["consistency"]  # ... but it does not extend the previous release's
        assert not ok, (how, text)
        assert "GSP-E409" in text, (how, text)
        assert "history rewritten" in text, (how, text)
    page.locator("#gsp-log").scroll_into_view_if_needed()
    shot(page, "log-verify-rewritten")


def test_pinned_key_and_altered_checkpoint(log_releases: LogReleases, page: Any, tmp_path: Path) -> None:
    page.goto((log_releases.site2 / "verify.html").resolve().as_uri())
    _result(page)
    page.fill("#gsp-log-key", OTHER_SIGNER.verifier().vkey())
    page.evaluate("() => { document.getElementById('gsp-log').dataset.verdict = 'running'; }")
    page.click("#gsp-log-check")
    steps = _result(page)
    assert _verdict(page) == "fail"
    assert not steps["checkpoint"][0]
    assert "GSP-E401" in steps["checkpoint"][1]
    page.fill("#gsp-log-key", LOG_SIGNER.verifier().vkey())
    page.evaluate("() => { document.getElementById('gsp-log').dataset.verdict = 'running'; }")
    page.click("#gsp-log-check")
    steps = _result(page)
    assert _verdict(page) == "ok"
    assert "pinned by you" in steps["key"][1]
    # a checkpoint whose size was edited no longer carries a valid log signature
    site = Path(shutil.copytree(log_releases.site2, tmp_path / "site"))
    js = site / "assets" / "gsp" / "log-data.js"
    data = json.loads(js.read_text().removeprefix("window.GSP_LOG = ").removesuffix(";\n"))
    origin, size, rest = data["checkpoint"].split("\n", 2)
    data["checkpoint"] = f"{origin}\n{int(size) + 1}\n{rest}"
    js.write_text("window.GSP_LOG = " + json.dumps(data) + ";\n")
    steps = _check(page, site)
    assert _verdict(page) == "fail"
    assert not steps["checkpoint"][0]
    assert "GSP-E401" in steps["checkpoint"][1]


def test_site_without_log_says_not_log_backed(demo_site: Path, page: Any) -> None:
    page.goto((demo_site / "verify.html").resolve().as_uri())
    page.wait_for_function("() => document.getElementById('gsp-log').dataset.verdict === 'none'")
    assert "not log-backed" in page.locator("#gsp-log-result").inner_text()
