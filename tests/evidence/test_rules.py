"""Content rules: each obligation from the seeds / CONTRACTS.md turns a verdict to FAIL with its code."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from glyphserpack.evidence import check, encode_envelope, load_tree
from glyphserpack.evidence.productization import PerfMetric
from glyphserpack.evidence.rules import metric_passes, months_between

from .helpers import edit_doc, findings_of, rewrite


def has(lines: list[str], code: str, where: str, text: str = "") -> bool:
    return any(ln.startswith(f"{code} {where}") and text in ln for ln in lines)


def test_deprecation_window_shorter_than_18_months(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["deprecations"][0]["removal_not_before"] = "2027-09-30"

    edit_doc(tree_dir, "evolution/evolution_policy.yaml", fn)
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E015", "evolution/evolution_policy.yaml", "17 months")


def test_breaking_change_without_major_bump(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["breaking_changes"][0]["to_version"] = "1.5.0"

    edit_doc(tree_dir, "evolution/evolution_policy.yaml", fn)
    assert has(findings_of(tree_dir, "core")[1], "GSP-E015", "evolution/evolution_policy.yaml", "not a MAJOR bump")


def test_chaos_needs_all_categories_and_two_wal_variants(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["scenarios"] = [s for s in d["scenarios"] if s["category"] != "network_partition"][:2]

    edit_doc(tree_dir, "chaos/chaos_proof_pack.yaml", fn)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E015", "chaos/chaos_proof_pack.yaml", "network_partition missing")
    assert has(lines, "GSP-E015", "chaos/chaos_proof_pack.yaml", "two WAL corruption variants")


def test_chaos_verdict_hash_is_recomputed(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["scenarios"][0]["final_recovery_verdict_hash"] = "0" * 64

    edit_doc(tree_dir, "chaos/chaos_proof_pack.yaml", fn)
    assert has(
        findings_of(tree_dir, "regulated")[1], "GSP-E018", "chaos/chaos_proof_pack.yaml", "final_recovery_verdict_hash"
    )


def test_perf_regression_verdict_is_recomputed(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["tiers"][1]["metrics"][0]["observed"] = 0.0500  # 21% slower than 0.0412, tolerance 5%

    edit_doc(tree_dir, "performance/performance_tiers.yaml", fn)
    verdict, lines = findings_of(tree_dir, "enterprise")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E018", "performance/performance_tiers.yaml", "recorded PASS, metrics give FAIL")
    assert has(lines, "GSP-E012", "performance/performance_tiers.yaml", "step_time_p50")


def test_regulated_security_case_needs_attestation_and_crosswalk(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["controls"] = [c for c in d["controls"] if c["category"] != "attestation"]
        d["crosswalk"] = d["crosswalk"][1:]

    edit_doc(tree_dir, "security/security_case.regulated.yaml", fn)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E015", "security/security_case.regulated.yaml", "requires a attestation control")
    assert has(lines, "GSP-E015", "security/security_case.regulated.yaml", "no threat-model crosswalk entry")
    assert findings_of(tree_dir, "core")[0] == "FAIL"  # the document is present and wrong: fail-dominant everywhere


def test_gating_workstream_not_ready_blocks_release(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["status"] = "in_progress"
        d["blockers"] = [
            {
                "blocker_id": "GLY-1",
                "description": "HSM firmware",
                "severity": "release_blocking",
                "state": "open",
                "owner": "sec",
            }
        ]

    edit_doc(tree_dir, "readiness/ws38.yaml", fn)  # ws38 gates only the regulated profile
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E011", "readiness/ws38.yaml", "blocker GLY-1 open")
    assert findings_of(tree_dir, "enterprise")[0] == "PASS"
    result = check(load_tree(tree_dir), "regulated")
    assert result.expansion_report["release_blockers"] == [
        {"workstream_id": "ws38", "blocker_id": "GLY-1", "description": "HSM firmware"}
    ]
    assert result.first_failing_workstream == "ws38"


def test_enterprise_run_in_local_mode_is_rejected(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["profile_id"] = "enterprise"

    edit_doc(tree_dir, "runs/core/run.yaml", fn)
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E015", "runs/core/run.yaml", "needs mode managed or stricter")
    assert has(lines, "GSP-E003", "run_evidence:core")


def test_enterprise_profile_must_map_to_managed(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["profiles"][1]["execution_mode"] = "local"

    edit_doc(tree_dir, "profiles/profile_bundle.yaml", fn)
    assert has(
        findings_of(tree_dir, "core")[1], "GSP-E015", "profiles/profile_bundle.yaml", "enterprise maps to 'managed'"
    )


def test_failed_graduation_gate(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["graduation"][1]["gates"][0]["verdict"] = "FAIL"

    edit_doc(tree_dir, "profiles/profile_bundle.yaml", fn)
    assert findings_of(tree_dir, "enterprise")[0] == "PASS"
    assert has(findings_of(tree_dir, "regulated")[1], "GSP-E012", "profiles/profile_bundle.yaml", "full_security_case")


# --- signed evidence: keys, revocation, expiry -------------------------------------------------


def _resign(tree_dir: Path, rel: str, change: dict[str, Any], key: Ed25519PrivateKey | None = None) -> None:
    from glyphserpack.evidence import decode_envelope
    from glyphserpack.signing import key_id

    env = decode_envelope((tree_dir / rel).read_bytes(), name=rel)
    key = key or Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test key").digest())
    payload = dict(env.payload, **change, key_id=key_id(key))
    rewrite(tree_dir, rel, encode_envelope(key, payload))


def test_unknown_signing_key(tree_dir: Path) -> None:
    _resign(tree_dir, "runs/core/certificate.cbor", {})
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E008", "runs/core/certificate.cbor", "unknown")


def _demo_key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"glyphserpack DEMO key: {name}".encode()).digest())


def test_certificate_expired_at_verification_time(tree_dir: Path) -> None:
    _resign(
        tree_dir, "runs/core/certificate.cbor", {"valid_until_utc": "2026-10-01T00:00:00Z"}, _demo_key("release-2026")
    )
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E014", "runs/core/certificate.cbor")


def test_signed_by_key_after_its_revocation(tree_dir: Path) -> None:
    _resign(tree_dir, "certification/records/cert-backend-cpu-ref-2026.cbor", {}, _demo_key("partner-lab-2025"))
    verdict, lines = findings_of(tree_dir, "enterprise")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E008", "certification/records/cert-backend-cpu-ref-2026.cbor", "revoked")


def test_revoked_execution_certificate(tree_dir: Path) -> None:
    from glyphserpack.signing import key_id

    ca = _demo_key("cert-authority-2026")
    cert = tree_dir / "runs/core/certificate.cbor"
    rev = encode_envelope(
        ca,
        {
            "kind": "revocation",
            "schema_version": 1,
            "revocation_id": "rev-test-1",
            "target_kind": "execution_certificate",
            "target": {"path": "runs/core/certificate.cbor", "sha256": hashlib.sha256(cert.read_bytes()).hexdigest()},
            "reason_code": "superseded",
            "revoked_utc": "2026-10-12T00:00:00Z",
            "issuer": "test",
            "key_id": key_id(ca),
            "signature_algorithm": "ed25519",
        },
    )
    (tree_dir / "certification/revocations/rev-test-1.cbor").write_bytes(rev)
    text = (tree_dir / "release.yaml").read_text()
    entry = (
        f"documents:\n- path: certification/revocations/rev-test-1.cbor\n  sha256: {hashlib.sha256(rev).hexdigest()}\n"
    )
    (tree_dir / "release.yaml").write_text(text.replace("documents:\n", entry, 1))
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E013", "runs/core/certificate.cbor", "superseded")


def test_without_active_backend_certification(tree_dir: Path) -> None:
    for rid in ("cert-backend-cpu-ref-2026", "cert-backend-cuda12-2026"):
        _resign(
            tree_dir,
            f"certification/records/{rid}.cbor",
            {"valid_until_utc": "2026-09-01T00:00:00Z"},
            _demo_key("cert-authority-2026"),
        )
    verdict, lines = findings_of(tree_dir, "enterprise")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E003", "certified_backend")
    assert findings_of(tree_dir, "core")[0] == "PASS"
    statuses = {e.record_id: e.status for e in check(load_tree(tree_dir), "core").registry}
    assert statuses["cert-backend-cpu-ref-2026"] == "expired"


# --- properties -------------------------------------------------------------------------------


@given(st.integers(1990, 2100), st.integers(1, 12), st.integers(1, 28), st.integers(0, 600))
def test_months_between_counts_whole_months(y: int, m: int, d: int, k: int) -> None:
    y2, m2 = divmod((m - 1) + k, 12)
    start, end = f"{y:04d}-{m:02d}-{d:02d}", f"{y + y2:04d}-{m2 + 1:02d}-{d:02d}"
    assert months_between(start, end) == k
    if d > 1:
        assert months_between(start, f"{y + y2:04d}-{m2 + 1:02d}-{d - 1:02d}") == k - 1


@given(
    st.floats(0.001, 1e6),
    st.floats(0.0, 0.5),
    st.floats(0.0, 2.0),
    st.sampled_from(["lower_is_better", "higher_is_better"]),
)
def test_metric_verdict_is_monotonic(baseline: float, tol: float, factor: float, direction: str) -> None:
    def passes(observed: float) -> bool:
        return metric_passes(
            PerfMetric(
                name="m", unit="s", direction=direction, baseline=baseline, observed=observed, tolerance_ratio=tol
            )
        )  # type: ignore[arg-type]

    assert passes(baseline)
    better, worse = (
        (baseline * factor * 0.5, baseline * (1 + tol) * (1 + factor) + 1)
        if direction == "lower_is_better"
        else (baseline * (1 + factor), baseline * (1 - tol) * 0.5 - 1e-9)
    )
    assert passes(better)
    assert not passes(worse)


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(st.data())
def test_any_damage_to_a_mandatory_file_is_detected(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    from .helpers import copy_tree

    root = copy_tree(tmp_path_factory.mktemp("damage"))
    result = check(load_tree(root), "regulated")
    rel = data.draw(st.sampled_from([f for f in result.mandatory_files() if f != "release.yaml"]))
    raw = bytearray((root / rel).read_bytes())
    pos = data.draw(st.integers(0, len(raw) - 1))
    raw[pos] ^= data.draw(st.integers(1, 255))
    (root / rel).write_bytes(bytes(raw))
    after = check(load_tree(root), "regulated")
    assert after.upgrade_gate_verdict == "FAIL"
    assert any(f.where == rel and f.code == "GSP-E004" for f in after.findings)


def test_duplicate_singleton_document(tree_dir: Path) -> None:
    data = (tree_dir / "observability/mapping.yaml").read_bytes()
    (tree_dir / "observability/mapping2.yaml").write_bytes(data)
    text = (tree_dir / "release.yaml").read_text()
    entry = f"documents:\n- path: observability/mapping2.yaml\n  sha256: {hashlib.sha256(data).hexdigest()}\n"
    (tree_dir / "release.yaml").write_text(text.replace("documents:\n", entry, 1))
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E010", "observability/mapping2.yaml", "a second observability_mapping")
