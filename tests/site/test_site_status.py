"""One certificate status: the site, `api/registry.json`, `check` and `log state` agree at any release time.

The bundled evidence is re-dated (``release_time_utc``) to before every issuance, inside the
validity windows (before the revocation), after the revocation, after every expiry and after
the sunset; its log is the one ``build`` would append (``certificate_entries``). At each time
every certificate's status in ``api/registry.json``, on the registry page and on its own page
equals the status ``check`` derives and the one ``glyphserpack log state --at`` prints, and
the gate verdict the site shows equals ``check``'s.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from site_log import LOG_SIGNER, make_log

from glyphserpack.cli import main
from glyphserpack.evidence import check, load_tree
from glyphserpack.evidence.models import PROFILES
from glyphserpack.release.logstep import certificate_entries
from glyphserpack.site import build_site

REPO = Path(__file__).resolve().parents[2]
BUNDLED_TIME = "2026-10-15T12:00:00Z"
TIMES = {
    "before-issuance": "2025-01-01T00:00:00Z",
    "inside-validity": "2026-09-10T00:00:00Z",  # before rev-2026-0007 (2026-09-20)
    "after-revocation": BUNDLED_TIME,
    "after-expiry": "2027-12-01T00:00:00Z",
    "after-sunset": "2029-06-01T00:00:00Z",
}
#: what the one rule gives the bundled records at each time (so the test cannot pass vacuously)
EXPECTED = {
    "before-issuance": {"cert-store-gcs-2026": "not_yet_valid", "cert-store-s3-2025": "not_yet_valid"},
    "inside-validity": {"cert-store-gcs-2026": "valid", "cert-store-s3-2025": "superseded"},
    "after-revocation": {"cert-store-gcs-2026": "revoked", "cert-backend-cpu-ref-2026": "valid"},
    "after-expiry": {"cert-store-gcs-2026": "revoked", "cert-backend-cpu-ref-2026": "expired"},
    "after-sunset": {"cert-backend-cpu-ref-2026": "sunset", "cert-store-s3-2025": "superseded"},
}


def _redate(dest: Path, when: str) -> Path:
    root = Path(shutil.copytree(REPO / "evidence", dest / "evidence", symlinks=True))
    manifest = root / "release.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert f"release_time_utc: '{BUNDLED_TIME}'" in text
    manifest.write_text(text.replace(BUNDLED_TIME, when, 1), encoding="utf-8")
    return root


def _log_state(log: Path, when: str, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    capsys.readouterr()
    assert main(["log", "state", str(log), "--at", when, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["findings"] == []
    return {c["certificate_hash"]: c["state"] for c in doc["certificates"]}


def _page_status(html: str) -> str:
    m = re.search(r'<p id="lifecycle-status"><span class="gsp-status gsp-status-(\w+)">(\w+)</span>', html)
    assert m is not None
    assert m.group(1) == m.group(2)
    return m.group(1)


def _site_verdicts(site: Path) -> dict[str, str]:
    html = (site / "index.html").read_text(encoding="utf-8")
    out = {}
    for p in PROFILES:
        m = re.search(rf"<td>{p}</td>\s*<td>(?:<[^>]+>)*\s*(PASS|FAIL)", html)
        assert m is not None, p
        out[p] = m.group(1)
    return out


@pytest.mark.parametrize("moment", list(TIMES))
def test_site_api_check_and_log_state_agree(moment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    when = TIMES[moment]
    evidence = _redate(tmp_path, when)
    tree = load_tree(evidence)
    results = {p: check(tree, p) for p in PROFILES}
    by_path = results["core"].statuses
    assert all(r.statuses == by_path for r in results.values())  # status does not depend on the profile
    want = {tree.documents[p].sha256: st.status for p, st in by_path.items()}
    records = {e.record_id: e.status for e in results["core"].registry}
    assert {k: records[k] for k in EXPECTED[moment]} == EXPECTED[moment]

    entries: list[dict[str, Any]] = certificate_entries(tree)
    entries.append({"type": "pack_published", "pack_hash": "00" * 32, "time_utc": when})
    log = tmp_path / "log"
    make_log(log, entries)
    assert _log_state(log, when, capsys) == want  # every certificate is logged; none fails

    for name, extra in (("plain", {}), ("log", {"log_dir": log, "log_key": LOG_SIGNER.verifier().vkey()})):
        site = tmp_path / "sites" / name
        build_site(evidence, site, **extra)  # type: ignore[arg-type]
        registry = json.loads((site / "api" / "registry.json").read_text())
        assert registry["release_time_utc"] == when
        shown = {c["sha256"]: c["status"] for c in registry["certificates"]}
        assert shown == want, name
        page = (site / "registry.html").read_text(encoding="utf-8")
        rows = dict(re.findall(r'<tr data-status="(\w+)"><td><a href="([^"]+)">', page))
        assert sorted(rows) == sorted(set(want.values()))
        for c in registry["certificates"]:
            assert f'<tr data-status="{c["status"]}"><td><a href="{c["page"]}">{c["id"]}</a>' in page
            assert _page_status((site / c["page"]).read_text(encoding="utf-8")) == c["status"], c["id"]
        assert _site_verdicts(site) == {p: r.upgrade_gate_verdict for p, r in results.items()}, name
