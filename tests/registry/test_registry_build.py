"""``registry build``: one site for many releases; statuses, events and checks from the one log."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.errors import InputError
from glyphserpack.keys import load_private_key
from glyphserpack.log import LogStore, Signer, derive_states
from glyphserpack.site.verify import verify_site
from glyphserpack.trust import TrustStore

from .conftest import AT, Registry
from .helpers import build, flip_pack_byte, log_entries, snapshot


@pytest.fixture(scope="module")
def site(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "SITE"
    result = build(registry, registry.root, out)
    assert result.failed == ()
    assert result.releases == 2
    return out


def test_home_lists_every_release_with_its_site_and_pack(site: Path) -> None:
    html = (site / "index.html").read_text()
    for version in ("1.4.0", "1.5.0"):
        assert f"releases/glyphser/{version}/index.html" in html
        assert (site / "releases" / "glyphser" / version / "site-manifest.json").is_file()
        assert (site / "archive" / "glyphser" / version / f"glyphser-{version}.glyphserpack").is_file()
        assert (site / "archive" / "glyphser" / version / f"glyphser-{version}.glyphserpack.par").is_file()
    assert html.count("gsp-FAIL") == 1  # the legend only: both releases pass
    assert 'href="assets/gsp/gsp.css"' in html  # the release sites' theme and assets


def test_release_sites_are_verbatim_and_their_links_resolve(registry: Registry, site: Path) -> None:
    for version in ("1.4.0", "1.5.0"):
        src = registry.root / "releases" / f"glyphser-{version}" / "site"
        dst = site / "releases" / "glyphser" / version
        assert snapshot(src) == snapshot(dst)
        for page in ("index.html", "registry.html", "archive.html"):
            hrefs = re.findall(r'href="([^"#?]+)', (dst / page).read_text())
            local = [h for h in hrefs if not re.match(r"^[a-z]+:", h)]
            assert local, page
            missing = [h for h in local if not (dst / page).parent.joinpath(h).resolve().exists()]
            assert not missing, f"{version}/{page}: {missing}"


def test_certificate_statuses_are_the_log_fold(registry: Registry, site: Path) -> None:
    lifecycle = derive_states(log_entries(registry.root), at=AT)
    doc = json.loads((site / "api" / "certificates.json").read_text())
    assert doc["certificates"]
    for c in doc["certificates"]:
        state = lifecycle.certificates[bytes.fromhex(c["sha256"])]
        assert c["status"] == state.state, c["id"]
        assert c["releases"] == ["glyphser/1.4.0", "glyphser/1.5.0"]
        one = json.loads((site / "api" / "certificates" / f"{c['sha256'][:16]}.json").read_text())
        assert one["status"] == c["status"]
    assert {c["status"] for c in doc["certificates"]} >= {"valid", "revoked", "superseded"}


def test_feed_entries_agree_with_the_log(registry: Registry, site: Path) -> None:
    import feedparser

    entries = log_entries(registry.root)
    feed = feedparser.parse((site / "feeds" / "all.atom").read_bytes())
    kinds = sorted(e.tags[0].term for e in feed.entries)
    logged = [e["type"] for _, e in entries]
    for kind in set(logged):
        assert kinds.count(kind) >= logged.count(kind), kind
    published = [e for e in feed.entries if e.tags[0].term == "pack_published"]
    assert sorted(e.title for e in published) == [
        "Release glyphser 1.4.0 published",
        "Release glyphser 1.5.0 published",
    ]
    assert len({e.id for e in feed.entries}) == len(feed.entries)
    assert feed.feed.updated == max(e["time_utc"] for _, e in entries)
    assert (site / "feeds" / "glyphser.atom").is_file()


def test_a_revocation_appended_between_builds_shows_as_revoked(registry: Registry, site: Path, tmp_path: Path) -> None:
    import feedparser

    root = registry.copy(tmp_path / "REG")
    before = json.loads((site / "api" / "certificates.json").read_text())["certificates"]
    victim = next(c for c in before if c["status"] == "valid")
    store = LogStore(root / "log")
    signer = Signer(store.origin, load_private_key(registry.key))
    entry = {
        "type": "certificate_revoked",
        "certificate_hash": victim["sha256"],
        "reason": "keyCompromise",
        "time_utc": "2026-10-25T00:00:00Z",
    }
    renewed = next(c for c in before if c["status"] == "valid" and c["sha256"] != victim["sha256"])
    renewal = {
        "type": "certificate_renewed",
        "certificate_hash": "ab" * 32,
        "certificate_id": "renewal-of-" + renewed["id"],
        "renews_hash": renewed["sha256"],
        "time_utc": "2026-10-24T00:00:00Z",
    }
    store.append([renewal, entry], signer)
    out = tmp_path / "SITE"
    build(registry, root, out)
    after = {c["sha256"]: c for c in json.loads((out / "api" / "certificates.json").read_text())["certificates"]}
    assert after[victim["sha256"]]["status"] == "revoked"
    assert after[renewed["sha256"]]["status"] == "superseded"
    feed = feedparser.parse((out / "feeds" / "all.atom").read_bytes())
    newest, renewal_events = feed.entries[0], feed.entries[1:3]
    assert newest.tags[0].term == "certificate_revoked"
    assert victim["sha256"] in newest.summary
    assert sorted(e.tags[0].term for e in renewal_events) == ["certificate_renewed", "certificate_superseded"]
    assert all(renewed["sha256"] in e.summary for e in renewal_events)
    assert "revoked" in (out / "certificates" / "index.html").read_text()


def test_two_releases_claiming_one_version_are_an_error(registry: Registry, tmp_path: Path) -> None:
    root = registry.copy(tmp_path / "REG")
    shutil.copytree(root / "releases" / "glyphser-1.5.0", root / "releases" / "zz-copy")
    with pytest.raises(InputError) as err:
        build(registry, root, tmp_path / "SITE")
    assert "glyphser-1.5.0" in err.value.message
    assert "zz-copy" in err.value.message
    assert not (tmp_path / "SITE").exists()


def test_a_release_missing_from_the_log_is_an_error(registry: Registry, tmp_path: Path) -> None:
    root = tmp_path / "REG"
    shutil.copytree(registry.root / "releases", root / "releases")
    assert (
        main(
            ["log", "init", str(root / "log"), "--origin", "certs.example.org/glyphser/log", "--key", str(registry.key)]
        )
        == 0
    )
    with pytest.raises(InputError) as err:
        build(registry, root, tmp_path / "SITE")
    assert "no pack_published entry in the registry log" in err.value.message
    assert "glyphser-1.4.0" in err.value.message


def test_a_tampered_pack_is_published_with_fail(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = registry.copy(tmp_path / "REG")
    flip_pack_byte(root, "glyphser-1.4.0")
    out = tmp_path / "SITE"
    args = ["registry", "build", str(root), "-o", str(out), "--trust", str(registry.trust), "--at", AT]
    assert main(args) == 1
    assert "FAIL glyphser/1.4.0" in capsys.readouterr().err
    html = (out / "index.html").read_text()
    assert "glyphser 1.4.0: FAIL" in html
    assert "pack GSP-E" in html
    releases = json.loads((out / "api" / "releases.json").read_text())["releases"]
    assert {r["version"]: r["checks"] for r in releases} == {"1.4.0": "FAIL", "1.5.0": "PASS"}


def test_site_verify_checks_the_registry_and_every_nested_release(
    registry: Registry, site: Path, tmp_path: Path
) -> None:
    trust = TrustStore.load(registry.trust)
    report = verify_site(site, trust=trust)
    assert report.valid, report.lines()
    assert [r["path"] for r in report.releases or []] == ["releases/glyphser/1.4.0", "releases/glyphser/1.5.0"]
    copy = tmp_path / "SITE"
    shutil.copytree(site, copy)
    target = copy / "releases" / "glyphser" / "1.5.0" / "registry.html"
    target.write_bytes(target.read_bytes().replace(b"<", b"[", 1))
    bad = verify_site(copy, trust=trust)
    assert not bad.valid
    wheres = {f.where for f in bad.findings if f.code == "GSP-E303"}
    assert "releases/glyphser/1.5.0/registry.html" in wheres
    top = copy / "feeds" / "all.atom"
    top.write_bytes(top.read_bytes() + b" ")
    assert "feeds/all.atom" in {f.where for f in verify_site(copy, trust=trust).findings}


def test_two_builds_are_byte_identical(registry: Registry, site: Path, tmp_path: Path) -> None:
    again = tmp_path / "SITE"
    build(registry, registry.root, again)
    assert snapshot(again) == snapshot(site)


def test_chained_to_the_previous_registry_manifest(registry: Registry, site: Path, tmp_path: Path) -> None:
    out = tmp_path / "SITE"
    prev = site / "registry-manifest.json"
    build(registry, registry.root, out, previous_manifest=prev)
    body = json.loads((out / "registry-manifest.json").read_text())["body"]
    assert body["previous_manifest_root"] == json.loads(prev.read_text())["root"]
    assert verify_site(out, trust=TrustStore.load(registry.trust), previous=prev).valid


def test_unchanged_rebuild_writes_nothing_and_add_one_reuses_the_rest(registry: Registry, tmp_path: Path) -> None:
    root = tmp_path / "REG"
    (root / "releases").mkdir(parents=True)
    shutil.copytree(registry.root / "log", root / "log")
    shutil.copytree(registry.root / "releases" / "glyphser-1.4.0", root / "releases" / "glyphser-1.4.0")
    out, cache = tmp_path / "SITE", tmp_path / "cache"
    first = build(registry, root, out, cache_dir=cache)
    assert first.mkdocs_ran
    assert first.releases_copied == 1
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    inode = out.stat().st_ino
    again = build(registry, root, out, cache_dir=cache)
    assert again.unchanged
    assert not again.mkdocs_ran
    assert again.root == first.root
    assert again.verify_cache_hits == 1
    assert out.stat().st_ino == inode
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == stamp
    (out / "feeds" / "all.atom").write_bytes(b"edited by hand")  # a touched output is rebuilt, not trusted
    repaired = build(registry, root, out, cache_dir=cache)
    assert not repaired.unchanged
    assert (repaired.releases_linked, repaired.releases_copied) == (0, 1)  # nothing reused from a touched output
    assert repaired.root == first.root
    assert (out / "feeds" / "all.atom").read_bytes() != b"edited by hand"
    shutil.copytree(registry.root / "releases" / "glyphser-1.5.0", root / "releases" / "glyphser-1.5.0")
    added = build(registry, root, out, cache_dir=cache)
    assert not added.unchanged
    assert added.mkdocs_ran
    assert (added.releases_linked, added.releases_copied, added.verify_cache_hits) == (1, 1, 1)
    assert verify_site(out, trust=TrustStore.load(registry.trust)).valid


def test_not_after_passed_at_the_registry_time_is_an_expiry_event(registry: Registry, tmp_path: Path) -> None:
    import feedparser

    later = "2028-06-01T00:00:00Z"
    out = tmp_path / "SITE"
    build(registry, registry.root, out, at=later)
    lifecycle = derive_states(log_entries(registry.root), at=later)
    expired = {h.hex() for h, s in lifecycle.certificates.items() if s.state == "expired"}
    assert expired
    certs = {c["sha256"]: c for c in json.loads((out / "api" / "certificates.json").read_text())["certificates"]}
    assert {h for h, c in certs.items() if c["status"] == "expired"} == expired & set(certs)
    feed = feedparser.parse((out / "feeds" / "all.atom").read_bytes())
    derived = [e for e in feed.entries if e.tags[0].term == "certificate_expired"]
    assert {next(h for h in expired if h in e.summary) for e in derived} == expired
    assert all(e.updated <= later for e in derived)


def test_a_version_that_is_not_a_safe_folder_name_is_refused(registry: Registry, tmp_path: Path) -> None:
    root = registry.copy(tmp_path / "REG")
    manifest = next((root / "releases" / "glyphser-1.5.0" / "site" / "files").glob("*-release.yaml"))
    manifest.write_text(manifest.read_text().replace("version: 1.5.0", "version: ../../escaped", 1))
    with pytest.raises(InputError) as err:
        build(registry, root, tmp_path / "SITE")
    assert "version '../../escaped' cannot name a folder" in err.value.message
    assert manifest.name in err.value.message or "files" in err.value.message
    assert not (tmp_path / "escaped").exists()
    assert not (tmp_path / "SITE").exists()
