"""A site over evidence whose documents fail their pins says, on every affected page, what it left out."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest

from glyphserpack.cli import main

REPO = Path(__file__).resolve().parents[2]
NOTE = "Left out of this page"
BROKEN = "readiness/ws12.yaml"  # bytes changed: fails its SHA-256 pin (GSP-E004)
MISSING = "observability/mapping.yaml"  # deleted: GSP-E005


def _html(site: Path, page: str) -> str:
    return (site / page).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def damaged_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    tmp = tmp_path_factory.mktemp("left-out")
    evidence = Path(shutil.copytree(REPO / "evidence", tmp / "evidence", symlinks=True))
    broken = evidence / BROKEN
    broken.write_text(broken.read_text(encoding="utf-8") + "\n# edited after pinning\n", encoding="utf-8")
    (evidence / MISSING).unlink()
    site = tmp / "site"
    err = io.StringIO()  # a module-scoped fixture cannot use capsys
    with contextlib.redirect_stderr(err):
        code = main(["site", "build", str(evidence), "-o", str(site)])
    return site, code, err.getvalue()


def test_every_affected_page_names_the_left_out_documents_and_why(damaged_site: tuple[Path, int, str]) -> None:
    site, _, _ = damaged_site
    roadmap = _html(site, "roadmap.html")
    assert NOTE in roadmap
    assert BROKEN in roadmap
    assert "GSP-E004" in roadmap
    assert MISSING not in roadmap  # only what this page would have shown
    observability = _html(site, "observability.html")
    assert NOTE in observability
    assert MISSING in observability
    assert "GSP-E005" in observability
    for page in ("index.html", "evidence.html"):  # the overview and the file index list every one
        html = _html(site, page)
        assert NOTE in html
        assert BROKEN in html
        assert MISSING in html
    for page in ("chaos.html", "profiles.html", "registry.html", "compatibility.html"):
        assert NOTE not in _html(site, page), page


def test_the_build_publishes_but_warns(damaged_site: tuple[Path, int, str]) -> None:
    site, code, err = damaged_site
    assert code == 0  # published: the pages say what is missing, the gate verdict on the home page is FAIL
    assert (site / "site-manifest.json").is_file()
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2
    assert any(BROKEN in w and "GSP-E004" in w and "roadmap.html" in w for w in warnings), warnings
    assert any(MISSING in w and "GSP-E005" in w and "observability.html" in w for w in warnings), warnings
    assert ">FAIL<" in _html(site, "index.html")


def test_intact_evidence_leaves_nothing_out(demo_site: Path) -> None:
    assert not [p for p in demo_site.rglob("*.html") if NOTE in p.read_text(encoding="utf-8")]
