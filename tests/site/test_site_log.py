"""Log-backed sites: states derived from the log, the published log, and `site verify` on it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, LogReleases, make_key, write_trust
from site_log import LEFT_OUT, LOG_SIGNER, OTHER_SIGNER, WITNESSES, by_id, evidence_entries, make_log

from glyphserpack.cli import main
from glyphserpack.errors import SiteBuildError
from glyphserpack.log import LogStore, audit_log, leaf_hash, verify_consistency_proof
from glyphserpack.log.entries import encode_entry, make_entry
from glyphserpack.log.tiles import tile_path
from glyphserpack.signing import key_id, sign
from glyphserpack.site import build_site, verify_site
from glyphserpack.site.manifest import MANIFEST_NAME, compute_root, hash_files

VKEY = LOG_SIGNER.verifier().vkey()
WVKEYS = [w.verifier().vkey() for w in WITNESSES]


def _registry(site: Path) -> dict[str, dict[str, Any]]:
    reg = json.loads((site / "api" / "registry.json").read_text())
    return {c["id"]: c for c in reg["certificates"]}


def _codes(site: Path, **kwargs: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in verify_site(site, **kwargs).findings:
        out.setdefault(f.code, []).append(f"{f.where}: {f.detail}")
    return out


def _errors(site: Path, **kwargs: Any) -> set[str]:
    return {f.code for f in verify_site(site, **kwargs).findings if f.severity == "error"}


def resign(site: Path) -> None:
    """Re-hash and re-sign a tampered site with the real site key (a dishonest publisher)."""
    path = site / MANIFEST_NAME
    obj = json.loads(path.read_text())
    obj["body"]["files"] = hash_files(site)
    obj["root"] = compute_root(obj["body"])
    key = make_key("good")
    sig = sign(key, bytes.fromhex(obj["root"])).hex()
    obj["signatures"] = [{"key_id": key_id(key), "algorithm": "ed25519", "signature": sig}]
    path.write_text(json.dumps(obj, indent=1, sort_keys=True) + "\n")


@pytest.fixture
def copy2(log_releases: LogReleases, tmp_path: Path) -> Path:
    return Path(shutil.copytree(log_releases.site2, tmp_path / "site"))


# --- build ------------------------------------------------------------------------------


def test_every_status_is_the_state_derived_from_the_log(log_releases: LogReleases) -> None:
    reg = _registry(log_releases.site2)
    log = LogStore(log_releases.log)
    leaves = [leaf_hash(d) for _, d in log.iter_entries(len(log_releases.first) + len(log_releases.rest))]
    expected = {
        "cert-store-gcs-2026": ("revoked", "revoked", "certificate_revoked"),
        "cert-store-s3-2025": ("superseded", "superseded", "certificate_superseded"),
        "cert-backend-cuda12-2026": ("expired", "expired", "certificate_expired"),
        "cert-backend-cpu-ref-2026": ("valid", "valid", "certificate_issued"),
        # a log-backed registry does not vouch for what its log never issued
        LEFT_OUT: ("invalid", "not_logged", None),
    }
    for ident, (status, state, entry_type) in expected.items():
        row = reg[ident]
        assert (row["status"], row["status_source"], row["log"]["state"]) == (status, "log", state), ident
        est = row["log"]["established_by"]
        if entry_type is None:
            assert est is None
            continue
        assert est["type"] == entry_type
        assert bytes.fromhex(est["leaf_hash"]) == leaves[est["index"]]  # the hash names that very entry
    # the evidence alone would call cuda12 valid and s3-2025 superseded "by a later record"
    assert "entry #" in reg["cert-backend-cuda12-2026"]["status_reason"]
    page = (log_releases.site2 / reg["cert-store-gcs-2026"]["page"]).read_text()
    assert "derived from the transparency log" in page
    assert reg["cert-store-gcs-2026"]["log"]["established_by"]["leaf_hash"] in page
    registry_html = (log_releases.site2 / "registry.html").read_text()
    assert 'data-source="log"' in registry_html
    assert 'data-status="invalid"' in registry_html
    api_log = json.loads((log_releases.site2 / "api" / "log.json").read_text())
    assert api_log["size"] == len(leaves)
    assert api_log["cosigners"] == ["witness.example/w0", "witness.example/w1"]
    one = json.loads((log_releases.site2 / reg["cert-store-gcs-2026"]["api"]).read_text())
    assert one["entry"] == reg["cert-store-gcs-2026"]
    # the published pack is an entry of the log too, and the archive says which
    (pack,) = json.loads((log_releases.site2 / "api" / "packs.json").read_text())["packs"]
    assert pack["log_entry"]["type"] == "pack_published"
    assert bytes.fromhex(pack["log_entry"]["leaf_hash"]) == leaves[pack["log_entry"]["index"]]
    assert f"published as entry #{pack['log_entry']['index']}" in (log_releases.site2 / "archive.html").read_text()


def test_every_link_of_a_log_backed_site_resolves(log_releases: LogReleases) -> None:
    from test_site_build import test_every_internal_link_and_anchor_resolves_and_nothing_is_remote as check_links

    check_links(log_releases.site2)
    assert 'href="log/checkpoint"' in (log_releases.site2 / "verify.html").read_text()


def test_without_a_log_statuses_are_labelled_not_log_backed(demo_site: Path) -> None:
    reg = _registry(demo_site)
    assert {c["status_source"] for c in reg.values()} == {"evidence (not log-backed)"}
    assert all(c["log"] is None for c in reg.values())
    assert 'data-source="evidence"' in (demo_site / "registry.html").read_text()
    assert not (demo_site / "log").exists()
    codes = _codes(demo_site)
    assert "GSP-E314" in codes
    assert _errors(demo_site, require_log=True) == {"GSP-E312"}


def test_release_publishes_the_log_checkpoint_and_consistency_proof(log_releases: LogReleases) -> None:
    site = log_releases.site2
    body = json.loads((site / MANIFEST_NAME).read_text())["body"]
    listed = {f["path"] for f in body["files"]}
    assert {"log/checkpoint", "log/consistency.json", "log/log.json", "assets/gsp/log-data.js"} <= listed
    assert (site / "log" / "checkpoint").read_bytes() == (log_releases.log / "checkpoint").read_bytes()
    assert (site / "log" / "checkpoint").read_text().count("\u2014 witness.example/") == 2
    section = body["log"]
    assert section["log_key"] == VKEY
    assert section["witness_quorum"] == 2
    assert section["size"] == len(log_releases.first) + len(log_releases.rest)
    old_body = json.loads((log_releases.site1 / MANIFEST_NAME).read_text())["body"]
    assert "consistency_proof" not in old_body["log"]  # the first log-backed release has nothing to extend
    old, new = verify_consistency_proof((site / "log" / "consistency.json").read_bytes(), LOG_SIGNER.verifier())
    assert (old.size, new.size) == (len(log_releases.first), section["size"])
    assert old_body["log"]["checkpoint"] == section["previous_checkpoint"]
    report = audit_log(LogStore(site / "log", log_key=LOG_SIGNER.verifier()))
    assert report.ok, report.findings  # the published log/ is a complete C2SP tlog-tiles log


def _build(tmp_path: Path, name: str, **kwargs: Any) -> Path:
    out = tmp_path / name
    build_site(REPO / "evidence", out, cache_dir=tmp_path / "cache", **kwargs)
    return out


def test_build_refuses_a_log_it_cannot_trust(log_releases: LogReleases, tmp_path: Path) -> None:
    log = log_releases.log
    with pytest.raises(SiteBuildError, match="GSP-E401"):
        _build(tmp_path, "a", log_dir=log, log_key=OTHER_SIGNER.verifier().vkey())
    with pytest.raises(SiteBuildError, match="GSP-E411"):
        _build(tmp_path, "b", log_dir=log, witnesses=WVKEYS, witness_quorum=3)
    no_checkpoint_purpose = write_trust(LOG_SIGNER.private_key, tmp_path / "trust", purposes=("site",))
    with pytest.raises(SiteBuildError, match="GSP-E415"):
        _build(tmp_path, "c", log_dir=log, log_trust=_trust(no_checkpoint_purpose))
    with pytest.raises(SiteBuildError, match="need --log"):
        _build(tmp_path, "d", log_key=VKEY)
    damaged = Path(shutil.copytree(log, tmp_path / "damaged"))
    size = len(log_releases.first) + len(log_releases.rest)
    tile = damaged / tile_path(0, 0, size)  # the tile the current checkpoint rests on
    data = bytearray(tile.read_bytes())
    data[0] ^= 1
    tile.write_bytes(bytes(data))
    with pytest.raises(SiteBuildError, match="GSP-E405"):
        _build(tmp_path, "e", log_dir=damaged)
    assert not any((tmp_path / n).exists() for n in "abcde")
    trusted = write_trust(LOG_SIGNER.private_key, tmp_path / "trust2", purposes=("checkpoint",))
    ok = _build(tmp_path, "f", log_dir=log, log_trust=_trust(trusted))
    assert json.loads((ok / MANIFEST_NAME).read_text())["body"]["log"]["key_source"].startswith("trust store")


def _trust(directory: Path) -> Any:
    from glyphserpack.trust import TrustStore

    return TrustStore.load(directory)


def test_build_refuses_a_rewritten_or_foreign_log(log_releases: LogReleases, tmp_path: Path) -> None:
    from site_log import rewrite

    previous = log_releases.site1 / MANIFEST_NAME
    rewritten = make_log(tmp_path / "rw", rewrite(log_releases.first, "edited") + log_releases.rest)
    with pytest.raises(SiteBuildError, match="GSP-E409") as exc:
        _build(tmp_path, "a", log_dir=rewritten.root, previous_manifest=previous)
    assert "--old-log" in (exc.value.remedy or "")
    foreign = make_log(tmp_path / "foreign", log_releases.first, signer=OTHER_SIGNER)
    with pytest.raises(SiteBuildError, match="GSP-E414"):
        _build(tmp_path, "b", log_dir=foreign.root, previous_manifest=previous)
    shrunk = make_log(tmp_path / "shrunk", log_releases.first[:2])
    with pytest.raises(SiteBuildError, match="GSP-E408"):
        _build(tmp_path, "c", log_dir=shrunk.root, previous_manifest=previous)


# --- verify -----------------------------------------------------------------------------


def test_good_release_verifies_with_pinned_keys_and_witnesses(
    log_releases: LogReleases, site_trust: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = log_releases.site2
    report = verify_site(
        site,
        log_key=VKEY,
        witnesses=WVKEYS,
        witness_quorum=2,
        previous=log_releases.site1 / MANIFEST_NAME,
        previous_log=log_releases.site1,
    )
    assert report.valid, [f.line() for f in report.findings]
    assert report.log is not None
    assert report.log["cosigners"] == ["witness.example/w0", "witness.example/w1"]
    vkey_file = tmp_path / "log.vkey"
    vkey_file.write_text(VKEY + "\n")
    args = ["site", "verify", str(site), "--trust", str(site_trust), "--log-key", str(vkey_file), "--json"]
    args += [a for w in WVKEYS for a in ("--witness", w)] + ["--witness-quorum", "2"]
    # the site trust store has no checkpoint key, but the pinned log key takes precedence
    assert main(args) == 0, capsys.readouterr().out
    out = json.loads(capsys.readouterr().out)
    assert out["valid"]
    assert out["log"]["size"] == report.log["size"]


def test_verify_demands_the_checkpoint_key_and_witness_quorum(log_releases: LogReleases, site_trust: Path) -> None:
    site = log_releases.site2
    assert "GSP-E401" in _errors(site, log_key=OTHER_SIGNER.verifier().vkey())
    assert "GSP-E411" in _errors(site, witnesses=WVKEYS, witness_quorum=3)
    assert "GSP-E411" in _errors(site, witnesses=WVKEYS[2:], witness_quorum=1)  # w2 never cosigned
    # a trust store without a checkpoint key does not vouch for the log key the site names
    assert "GSP-E415" in _errors(site, trust=_trust(site_trust))


def test_state_in_api_that_the_log_does_not_derive_is_named(copy2: Path) -> None:
    path = copy2 / "api" / "registry.json"
    reg = json.loads(path.read_text())
    row = next(c for c in reg["certificates"] if c["id"] == "cert-store-gcs-2026")
    row["status"] = "valid"
    row["log"]["state"] = "valid"
    path.write_text(json.dumps(reg, indent=1))
    resign(copy2)
    codes = _codes(copy2)
    assert "GSP-E303" not in codes
    assert any("cert-store-gcs-2026" in w and "'revoked'" in w for w in codes["GSP-E313"]), codes


def test_published_log_damage_is_found_even_when_resigned(copy2: Path) -> None:
    bundle = next(p for p in (copy2 / "log" / "tile" / "entries").rglob("*") if p.is_file())
    data = bytearray(bundle.read_bytes())
    data[-1] ^= 1
    bundle.write_bytes(bytes(data))
    assert "GSP-E303" in _errors(copy2)
    resign(copy2)
    errors = _errors(copy2)
    assert "GSP-E303" not in errors
    assert errors & {"GSP-E405", "GSP-E407", "GSP-E412"}, errors


def test_missing_consistency_proof_is_an_error(copy2: Path) -> None:
    (copy2 / "log" / "consistency.json").unlink()
    obj = json.loads((copy2 / MANIFEST_NAME).read_text())
    del obj["body"]["log"]["consistency_proof"]
    (copy2 / MANIFEST_NAME).write_text(json.dumps(obj))
    resign(copy2)
    assert _errors(copy2) == {"GSP-E315"}


@pytest.mark.parametrize(("how", "code"), [("edited", "GSP-E416"), ("removed", "GSP-E417"), ("reordered", "GSP-E418")])
def test_rewritten_history_is_detected_and_named(log_releases: LogReleases, how: str, code: str) -> None:
    site = log_releases.rewritten[how]
    # everything a dishonest operator controls checks out: files, site signature, log signature, tiles
    plain = _codes(site)
    assert {"GSP-E303", "GSP-E305", "GSP-E306", "GSP-E401", "GSP-E405", "GSP-E407"}.isdisjoint(plain)
    assert "GSP-E409" in plain, plain  # ... but not the consistency with the previous release
    assert any("--previous-log" in d for d in plain["GSP-E409"])
    named = _codes(site, previous_log=log_releases.site1)
    assert [d.split(":")[0] for d in named[code]] == ["log/ entry 1"], named
    for other in {"GSP-E416", "GSP-E417", "GSP-E418"} - {code}:
        assert other not in named


def test_cli_builds_a_log_backed_site_and_names_a_rewrite(
    log_releases: LogReleases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vkey = tmp_path / "log.vkey"
    vkey.write_text(VKEY)
    out = tmp_path / "site"
    args = ["site", "build", str(REPO / "evidence"), "-o", str(out), "--log", str(log_releases.log)]
    args += ["--log-key", str(vkey), "--witness-quorum", "2"] + [a for w in WVKEYS for a in ("--witness", w)]
    args += ["--previous-manifest", str(log_releases.site1 / MANIFEST_NAME), "--cache-dir", str(log_releases.cache)]
    args += ["--packs", str(log_releases.packs)]
    assert main(args) == 0, capsys.readouterr()
    capsys.readouterr()
    # same inputs, same site: the root (over everything but signatures) is reproducible
    roots = {json.loads((s / MANIFEST_NAME).read_text())["root"] for s in (out, log_releases.site2)}
    assert len(roots) == 1
    assert main(["site", "verify", str(out), "--log-key", VKEY]) == 0
    capsys.readouterr()
    rc = main(["site", "verify", str(log_releases.rewritten["edited"]), "--previous-log", str(log_releases.site1)])
    text = capsys.readouterr().out
    assert rc == 1
    assert "GSP-E416 log/ entry 1" in text
    assert main(["site", "build", str(REPO / "evidence"), "-o", str(tmp_path / "x"), "--log-key", VKEY]) == 2


def test_entry_documents_match_what_the_site_derives_from() -> None:
    """The test log's entries are real, valid log entries of the demo certificates."""
    entries = evidence_entries(REPO / "evidence")
    assert LEFT_OUT in by_id(entries)
    for e in entries:
        assert encode_entry(make_entry(e))  # the log would accept each one as is


def test_derived_state_names_the_entry_that_established_it(tmp_path: Path) -> None:
    """Renewal supersedes, a past not_after expires (via the issuance entry), revocation is final."""
    from glyphserpack.site.logview import derive_log

    def h(n: int) -> str:
        return f"{n:064x}"

    t = "2026-01-0{}T00:00:00Z".format
    docs = [
        {"type": "certificate_issued", "certificate_hash": h(1), "certificate_id": "a", "time_utc": t(1)},
        {"type": "certificate_issued", "certificate_hash": h(3), "certificate_id": "c", "time_utc": t(1)},
        {
            "type": "certificate_renewed",
            "certificate_hash": h(2),
            "certificate_id": "b",
            "renews_hash": h(1),
            "time_utc": t(2),
        },
        {"type": "certificate_expired", "certificate_hash": h(1), "time_utc": t(3)},  # no change: superseded
        {
            "type": "certificate_issued",
            "certificate_hash": h(4),
            "certificate_id": "d",
            "not_after_utc": t(4),
            "time_utc": t(1),
        },
        {"type": "certificate_revoked", "certificate_hash": h(3), "reason": "keyCompromise", "time_utc": t(5)},
        {"type": "certificate_issued", "certificate_hash": h(3), "certificate_id": "c", "time_utc": t(6)},  # refused
    ]
    store = make_log(tmp_path / "log", docs)
    derived = derive_log(store, len(docs), "2026-06-01T00:00:00Z")

    def state(n: int) -> tuple[str, int | None]:
        st = derived.state_of(bytes.fromhex(h(n)))
        return st.state, st.established_by.index if st.established_by else None

    assert state(1) == ("superseded", 2)
    assert state(2) == ("valid", 2)
    assert state(3) == ("revoked", 5)
    assert state(4) == ("expired", 4)  # by time: the issuance entry carried not_after_utc
    assert f"valid until {t(4)} (entry #4)" in derived.state_of(bytes.fromhex(h(4))).reason
    assert state(9) == ("not_logged", None)
    assert [f.code for f in derived.lifecycle.findings] == ["GSP-E413"]
    assert [e.index for e in derived.state_of(bytes.fromhex(h(1))).events] == [0, 2, 3]
