"""``glyphserpack demo`` fills a registry: three releases, one log, a revocation between them.

One demo run (library call) shared by the tests; they read OUT/registry (the REGISTRY layout
of issue 15), OUT/site and OUT/trust.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.log import LogStore, decode_entry, derive_states
from glyphserpack.release.demo import DemoOutcome, bundled_releases, run_demo

RELEASES = ("glyphser-1.3.0", "glyphser-1.4.0", "glyphser-2.0.0")
GCS = "cert-store-gcs-2026"


@dataclass(frozen=True)
class Registry:
    out: Path
    result: DemoOutcome
    entries: list[tuple[int, dict[str, Any]]]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    out = tmp_path_factory.mktemp("demo") / "dist"
    result = run_demo(out)
    store = LogStore(out / "registry" / "log")
    size = store.open_checkpoint().checkpoint.size
    entries = [(i, decode_entry(d, where=f"entry {i}")) for i, d in store.iter_entries(size)]
    return Registry(out, result, entries)


def test_bundled_releases_come_in_version_order() -> None:
    names = [p.name for p in bundled_releases()]
    assert names == ["glyphser-1.3.0", "evidence", "glyphser-2.0.0"]


def test_the_registry_layout(registry: Registry) -> None:
    out = registry.out
    assert sorted(p.name for p in out.iterdir()) == ["registry", "site", "trust"]
    assert sorted(p.name for p in (out / "registry").iterdir()) == ["log", "releases"]
    assert sorted(p.name for p in (out / "registry" / "releases").iterdir()) == list(RELEASES)
    for rel, outcome in zip(RELEASES, registry.result.releases, strict=True):
        root = out / "registry" / "releases" / rel
        assert outcome.out == root
        assert outcome.exit_code == 0
        summary = json.loads((root / "reports" / "build.json").read_text())
        assert summary["release_id"] == rel
        assert (root / ".glyphserpack-build.json").is_file()
        assert (root / "site" / "site-manifest.json").is_file()
    assert registry.result.exit_code == 0


def test_releases_are_logged_in_order_with_the_revocation_between(registry: Registry) -> None:
    packs = [(i, e["pack_name"]) for i, e in registry.entries if e["type"] == "pack_published"]
    assert [name for _, name in packs] == [f"{r}.glyphserpack" for r in RELEASES]
    revoked = [i for i, e in registry.entries if e["type"] == "certificate_revoked"]
    assert len(revoked) == 1
    assert packs[0][0] < revoked[0] < packs[1][0]  # after 1.3.0 was published, before 1.4.0
    assert registry.result.revocations[0] == ()
    assert len(registry.result.revocations[1]) == 1
    assert GCS in registry.result.revocations[1][0]
    assert registry.result.revocations[2] == ()
    # each certificate is logged once, though 1.4.0 and 2.0.0 carry records 1.3.0 logged
    issued = [e["certificate_hash"] for _, e in registry.entries if e["type"] == "certificate_issued"]
    assert len(issued) == len(set(issued))


def test_log_states_show_the_revocation_after_1_3_0(registry: Registry) -> None:
    packs = [i for i, e in registry.entries if e["type"] == "pack_published"]

    def state_of(cert_id: str, upto: int) -> Any:
        report = derive_states(registry.entries[: upto + 1])
        assert report.findings == []
        (cert,) = [c for c in report.certificates.values() if c.certificate_id == cert_id]
        return cert

    assert state_of(GCS, packs[0]).revoked_at is None  # as 1.3.0 was published: certified
    later = state_of(GCS, packs[1])
    assert later.revoked_at == "2026-09-20T14:00:00Z"
    assert later.revocation_reason == "privilegeWithdrawn"
    final = derive_states(registry.entries)
    assert final.findings == []
    by_id = {c.certificate_id: c for c in final.certificates.values()}
    assert by_id["cert-store-s3-2025"].superseded_by == by_id["cert-store-s3-2026"].certificate_hash
    renewal = by_id["cert-backend-cuda12-2026-r20261105"]
    assert by_id["cert-backend-cuda12-2026"].superseded_by == renewal.certificate_hash


def test_every_release_verifies_and_sites_chain(registry: Registry) -> None:
    from glyphserpack.pack import verify
    from glyphserpack.site import verify_site
    from glyphserpack.timestamp import load_certificates
    from glyphserpack.trust import TrustStore

    trust = TrustStore.load(registry.out / "trust")
    roots = load_certificates(registry.out / "trust" / "tsa-roots.pem", what="roots")
    previous_roots = []
    for outcome in registry.result.releases:
        pack = outcome.out / "packs" / outcome.summary["pack"]["name"]
        assert verify(pack, trust=trust).valid, pack
        assert verify_site(outcome.out / "site", trust=trust, tsa_roots=roots).valid, outcome.out
        previous_roots.append(outcome.summary["previous_manifest_root"])
    assert previous_roots[0] is None
    assert all(previous_roots[1:])
    newest = registry.result.releases[-1].out / "site"
    site = registry.out / "site"
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == sorted(
        p.relative_to(newest) for p in newest.rglob("*")
    )
    assert verify_site(site, trust=trust, tsa_roots=roots).valid


def test_a_foreign_output_directory_is_refused(tmp_path: Path) -> None:
    from glyphserpack.errors import UsageError

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not a glyphserpack demo"):
        run_demo(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
