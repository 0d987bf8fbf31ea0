"""``glyphserpack site verify``: every way a published site can differ from the signed one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import make_key, write_trust

from glyphserpack.cli import main
from glyphserpack.site import build_site, verify_site
from glyphserpack.site.manifest import MANIFEST_NAME, attach_timestamp
from glyphserpack.trust import TrustStore

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def copy(demo_site: Path, tmp_path: Path) -> Path:
    out = tmp_path / "site"
    shutil.copytree(demo_site, out)
    return out


def _codes(site: Path, **kwargs: object) -> set[str]:
    return {f.code for f in verify_site(site, **kwargs).findings}  # type: ignore[arg-type]


def test_signed_site_verifies(demo_site: Path, site_trust: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["site", "verify", str(demo_site), "--trust", str(site_trust), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"]
    assert report["signatures"][0]["result"] == "ok"
    # no time-stamp in this build, and no transparency log (info only)
    assert {f["code"] for f in report["findings"]} == {"GSP-E310", "GSP-E314"}


def test_edited_file_is_detected(copy: Path, site_trust: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = next((copy / "certificates").glob("*.html"))
    page.write_text(page.read_text().replace("valid", "VALID", 1))
    assert main(["site", "verify", str(copy), "--trust", str(site_trust)]) == 1
    out = capsys.readouterr().out
    assert "GSP-E303" in out
    assert page.name in out


def test_missing_and_extra_files_are_detected(copy: Path) -> None:
    (copy / "registry.html").unlink()
    (copy / "injected.js").write_text("alert(1)")
    assert {"GSP-E302", "GSP-E304"} <= _codes(copy)


def test_manifest_body_edit_breaks_the_root(copy: Path) -> None:
    obj = json.loads((copy / MANIFEST_NAME).read_text())
    obj["body"]["release_id"] = "someone-else"
    (copy / MANIFEST_NAME).write_text(json.dumps(obj))
    assert "GSP-E305" in _codes(copy)


def test_bad_signature_and_untrusted_key(copy: Path, tmp_path: Path) -> None:
    stranger = write_trust(make_key("stranger"), tmp_path / "other-trust")
    assert "GSP-E306" in _codes(copy, trust=TrustStore.load(stranger))
    wrong_purpose = write_trust(make_key("good"), tmp_path / "pack-only", purposes=("pack",))
    assert "GSP-E306" in _codes(copy, trust=TrustStore.load(wrong_purpose))
    obj = json.loads((copy / MANIFEST_NAME).read_text())
    sig = bytearray(bytes.fromhex(obj["signatures"][0]["signature"]))
    sig[0] ^= 1
    obj["signatures"][0]["signature"] = sig.hex()
    (copy / MANIFEST_NAME).write_text(json.dumps(obj))
    good = write_trust(make_key("good"), tmp_path / "good-trust")
    report = verify_site(copy, trust=TrustStore.load(good))
    assert not report.valid
    assert report.signatures[0]["result"] == "bad_signature"


def test_unsigned_site_fails_when_a_trust_store_is_given(tmp_path: Path, site_trust: Path) -> None:
    site = tmp_path / "unsigned"
    build_site(REPO / "evidence", site)
    assert verify_site(site).valid  # unsigned is a warning on its own
    assert {"GSP-E306", "GSP-E307"} <= _codes(site, trust=TrustStore.load(site_trust))


def test_manifest_chain(demo_site: Path, tmp_path: Path, site_key_file: Path, site_trust: Path) -> None:
    previous = demo_site / MANIFEST_NAME
    nxt = tmp_path / "next"
    build_site(REPO / "evidence", nxt, sign_key=site_key_file, previous_manifest=previous)
    body = json.loads((nxt / MANIFEST_NAME).read_text())["body"]
    assert body["previous_manifest_root"] == json.loads(previous.read_text())["root"]
    assert main(["site", "verify", str(nxt), "--trust", str(site_trust), "--previous", str(previous)]) == 0
    # a different "previous" than the one recorded
    other = tmp_path / "other"
    build_site(REPO / "evidence", other, base_url="https://example.invalid/")
    assert "GSP-E308" in _codes(nxt, previous=other / MANIFEST_NAME)
    # the republished history copy altered (and its hash in the manifest fixed up to match)
    hist = next((nxt / "history").glob("*.json"))
    obj = json.loads(hist.read_text())
    obj["body"]["release_id"] = "rewritten"
    hist.write_text(json.dumps(obj))
    assert "GSP-E308" in _codes(nxt)


def test_unreadable_manifest(copy: Path) -> None:
    (copy / MANIFEST_NAME).write_text("{not json")
    assert _codes(copy) == {"GSP-E301"}
    (copy / MANIFEST_NAME).unlink()
    assert _codes(copy) == {"GSP-E301"}


def test_unsafe_manifest_path(copy: Path) -> None:
    obj = json.loads((copy / MANIFEST_NAME).read_text())
    obj["body"]["files"].append({"path": "../outside", "sha256": "0" * 64, "size": 0})
    (copy / MANIFEST_NAME).write_text(json.dumps(obj))
    assert {"GSP-E311", "GSP-E305"} <= _codes(copy)


def test_rfc3161_timestamp_over_the_root(tmp_path: Path) -> None:
    from glyphserpack.timestamp.ca import init_tsa
    from glyphserpack.timestamp.client import request_timestamp
    from glyphserpack.timestamp.server import TsaServer
    from glyphserpack.timestamp.verify import load_certificates

    tsa = init_tsa(tmp_path / "tsa")
    site = tmp_path / "site"
    with TsaServer(tsa.directory) as server:
        build_site(REPO / "evidence", site, timestamper=lambda root: request_timestamp(server.url, root).token)
    roots = load_certificates(tsa.root_pem)
    report = verify_site(site, tsa_roots=roots)
    assert report.valid
    assert report.timestamps[0]["result"] == "valid"
    assert "GSP-E310" not in {f.code for f in report.findings}
    # a token over some other root, attached later, is refused
    other = tmp_path / "other-site"
    with TsaServer(tsa.directory) as server:
        build_site(REPO / "evidence", other, base_url="https://example.invalid/")
        attach_timestamp(site, request_timestamp(server.url, bytes(32)).token)
    assert "GSP-E309" in _codes(site, tsa_roots=roots)


def test_archive_page_reports_checked_pack_timestamps(tmp_path: Path, packs_dir: Path) -> None:
    from glyphserpack.pack import stamp_pack
    from glyphserpack.timestamp.ca import init_tsa
    from glyphserpack.timestamp.server import TsaServer
    from glyphserpack.timestamp.verify import load_certificates

    packs = tmp_path / "packs"
    shutil.copytree(packs_dir, packs)
    tsa = init_tsa(tmp_path / "tsa")
    with TsaServer(tsa.directory) as server:
        stamp_pack(next(packs.glob("*.glyphserpack")), [server.url])
    roots = load_certificates(tsa.root_pem)
    checked = tmp_path / "checked"
    build_site(REPO / "evidence", checked, packs_dir=packs, tsa_roots=roots)
    archive = (checked / "archive.html").read_text()
    assert "time-stamp chain valid against the given TSA roots" in archive
    cert_page = next(
        p for p in (checked / "certificates").glob("*.html") if "glyphser-1.4.0.glyphserpack" in p.read_text()
    )
    assert ": valid" in cert_page.read_text()
    unchecked = tmp_path / "unchecked"
    build_site(REPO / "evidence", unchecked, packs_dir=packs)
    assert "TSA certificates not checked" in (unchecked / "archive.html").read_text()
    other = init_tsa(tmp_path / "other-tsa")
    wrong = tmp_path / "wrong"
    build_site(REPO / "evidence", wrong, packs_dir=packs, tsa_roots=load_certificates(other.root_pem))
    assert "time-stamp chain INVALID" in (wrong / "archive.html").read_text()
