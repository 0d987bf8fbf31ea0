"""The site's caches cannot serve stale verdicts (issue 12, item 8).

Every cache key commits to the package's code, the templates, ``mkdocs.yml`` and the installed
mkdocs / mkdocs-material versions (:mod:`glyphserpack.site.cachekey`). The end-to-end tests
plant a recognisable stale detail in every cached verdict, so a rebuild that reuses one shows
it on the home page; the first test proves the plant is seen when nothing changed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
from site_synth import make_tree

from glyphserpack.site import build_site, cachekey
from glyphserpack.site.builder import MKDOCS_YML
from glyphserpack.site.render import TEMPLATES

STALE = "STALE-CACHED-VERDICT"


@pytest.fixture(scope="module")
def small_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("small") / "evidence", n_certs=3)


@pytest.fixture
def fresh_fingerprint() -> Iterator[None]:
    """Forget the once-per-process fingerprint before and after: the test changes what it reads."""
    cachekey.code_fingerprint.cache_clear()
    yield
    cachekey.code_fingerprint.cache_clear()


def _copy_package(dest: Path) -> Path:
    shutil.copytree(cachekey.PACKAGE, dest, ignore=shutil.ignore_patterns("__pycache__", "_data"))
    return dest


def _versions(**changed: str) -> dict[str, str]:
    return {**{"mkdocs": "1.6.1", "mkdocs-material": "9.5.0"}, **changed}


def _plant_stale_verdicts(cache: Path) -> int:
    files = sorted((cache / "verdicts").glob("*.json"))
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for row in doc["rows"]:
            row[2] = STALE
        path.write_text(json.dumps(doc), encoding="utf-8")
    return len(files)


def _home(site: Path) -> str:
    return (site / "index.html").read_text(encoding="utf-8")


def test_fingerprint_does_not_depend_on_where_the_package_lives(tmp_path: Path) -> None:
    versions = _versions()
    here = cachekey.fingerprint(cachekey.PACKAGE, TEMPLATES, MKDOCS_YML, versions)
    there = cachekey.fingerprint(_copy_package(tmp_path / "glyphserpack"), TEMPLATES, MKDOCS_YML, versions)
    assert here == there


@pytest.mark.parametrize(
    "module",
    [
        "findings.py",  # outside evidence/: the old key hashed glyphserpack/evidence/*.py only
        "canonical.py",
        "_internal/cms/__init__.py",
        "evidence/checks.py",
    ],
)
def test_a_changed_module_changes_the_fingerprint(tmp_path: Path, module: str) -> None:
    package = _copy_package(tmp_path / "glyphserpack")
    before = cachekey.fingerprint(package, TEMPLATES, MKDOCS_YML, _versions())
    with (package / module).open("a", encoding="utf-8") as f:
        f.write("\n# changed\n")
    assert cachekey.fingerprint(package, TEMPLATES, MKDOCS_YML, _versions()) != before


def test_templates_mkdocs_yml_and_tool_versions_change_the_fingerprint(tmp_path: Path) -> None:
    templates = tmp_path / "site_templates"
    shutil.copytree(TEMPLATES, templates)
    yml = tmp_path / "mkdocs.yml"
    shutil.copyfile(MKDOCS_YML, yml)
    keys = {cachekey.fingerprint(cachekey.PACKAGE, templates, yml, _versions())}
    keys.add(cachekey.fingerprint(cachekey.PACKAGE, templates, yml, _versions(**{"mkdocs-material": "9.5.1"})))
    keys.add(cachekey.fingerprint(cachekey.PACKAGE, templates, yml, _versions(mkdocs="1.6.2")))
    next(p for p in sorted(templates.rglob("*.j2"))).write_text("changed", encoding="utf-8")
    keys.add(cachekey.fingerprint(cachekey.PACKAGE, templates, yml, _versions()))
    yml.write_text(yml.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    keys.add(cachekey.fingerprint(cachekey.PACKAGE, templates, yml, _versions()))
    assert len(keys) == 5


def test_the_installed_versions_are_read_once_per_process(
    monkeypatch: pytest.MonkeyPatch, fresh_fingerprint: None
) -> None:
    calls: list[str] = []
    real = metadata.version

    def version(name: str) -> str:
        calls.append(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", version)
    first = cachekey.code_fingerprint()
    assert cachekey.code_fingerprint() == first
    assert sorted(calls) == ["mkdocs", "mkdocs-material"]
    assert cachekey.tool_versions() == {"mkdocs": real("mkdocs"), "mkdocs-material": real("mkdocs-material")}


def test_an_unchanged_rebuild_reuses_the_cached_verdicts(small_tree: Path, tmp_path: Path) -> None:
    """The control for the tests below: a planted verdict is what an unchanged rebuild shows."""
    cache = tmp_path / "cache"
    build_site(small_tree, tmp_path / "site", cache_dir=cache)
    assert STALE not in _home(tmp_path / "site")
    assert _plant_stale_verdicts(cache) == 1
    again = build_site(small_tree, tmp_path / "site", cache_dir=cache)
    assert again.pages_rendered == 0
    assert STALE in _home(again.out)


def test_a_new_mkdocs_material_version_does_not_reuse_cached_verdicts(
    small_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_fingerprint: None
) -> None:
    cache = tmp_path / "cache"
    first = build_site(small_tree, tmp_path / "site", cache_dir=cache)
    assert _plant_stale_verdicts(cache) == 1
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "10.0.0" if name == "mkdocs-material" else real(name))
    cachekey.code_fingerprint.cache_clear()
    again = build_site(small_tree, tmp_path / "site", cache_dir=cache)
    assert STALE not in _home(again.out)
    assert again.mkdocs_ran  # mkdocs' own output is keyed the same way
    assert again.pages_rendered == first.pages_rendered


def test_a_changed_module_does_not_reuse_cached_verdicts(
    small_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_fingerprint: None
) -> None:
    cache = tmp_path / "cache"
    build_site(small_tree, tmp_path / "site", cache_dir=cache)
    assert _plant_stale_verdicts(cache) == 1
    package = _copy_package(tmp_path / "glyphserpack")
    with (package / "findings.py").open("a", encoding="utf-8") as f:
        f.write("\n# a finding's wording changed\n")
    monkeypatch.setattr(cachekey, "PACKAGE", package)
    cachekey.code_fingerprint.cache_clear()
    again = build_site(small_tree, tmp_path / "site", cache_dir=cache)
    assert STALE not in _home(again.out)
    assert again.mkdocs_ran
