"""``productization_report`` and ``expansion_report``: canonical, byte-identical, location-free.

Their shape is the typed records of :mod:`glyphserpack.evidence.report_models`: both reports are
built through them and kept as plain canonical-profile maps (text, ints, binary64 floats, bools,
lists, maps; hashes as lower-case hex) written twice: canonical CBOR (the bytes third parties
hash) and JSON (sorted keys, two-space indent, UTF-8, trailing newline). Nothing in them
depends on the clock, dict order or where the tree lives: paths are tree-relative, times come
from the evidence.

The three metrics in ``metrics`` come from :func:`glyphserpack.evidence.metrics.metrics`
(parsed JUnit reports, the claim inventory of :mod:`glyphserpack.evidence.claims`, missing
items and open blockers); their formulas and weights are documented there and in
docs/evidence.md.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from glyphserpack import canonical
from glyphserpack._internal import jsonout
from glyphserpack._internal.fsio import atomic_write
from glyphserpack.evidence.bindings import revocation_bundle_hash, tree_revocations
from glyphserpack.evidence.metrics import BASE_DAYS, metrics
from glyphserpack.evidence.report_models import ExpansionReport, ProductizationReport
from glyphserpack.evidence.results import CheckResult

__all__ = ["BASE_DAYS", "REPORT_NAMES", "attach_reports", "metrics", "to_json_bytes", "write_reports"]

REPORT_NAMES = ("productization_report", "expansion_report")


def to_json_bytes(obj: object) -> bytes:
    """The JSON form every report uses (sorted keys, so dict order never leaks into bytes)."""
    return jsonout.to_bytes(obj, ensure_ascii=False)


def _named_hashes(result: CheckResult) -> dict[str, str]:
    """CONTRACTS.md §2 named hashes of the documents this report rests on (absent ones omitted)."""
    tree = result.tree
    out: dict[str, str] = {}
    spec: list[tuple[str, str, str | None]] = [
        ("profile_bundle_hash", "profile_bundle", None),
        ("certification_evidence_bundle_hash", "certification_bundle", None),
        ("observability_mapping_hash", "observability_mapping", None),
        ("security_case_hash", "security_case", "security_case"),
        ("performance_tier_report_hash", "performance_tiers", None),
        ("chaos_proof_pack_hash", "chaos_proof_pack", None),
    ]
    for name, kind, tag in spec:
        docs = tree.by_kind(kind)
        if kind == "security_case":  # the case of the profile being checked
            docs = [d for d in docs if d.obj.get("profile_id") == result.profile]
        if docs:
            obj = docs[0].obj
            out[name] = (canonical.commit_hash(tag, obj) if tag else canonical.object_digest(obj)).hex()
    out["revocation_bundle_hash"] = revocation_bundle_hash(tree_revocations(tree)).hex()
    out["trust_store_hash"] = tree.trust.hash().hex()
    entries = sorted(
        {
            (lc.path, lc.actual, tree.documents[lc.path].kind if lc.path in tree.documents else "attachment")
            for lc in tree.links
            if lc.ok
        }
    )
    catalog = [{"path": p, "sha256": str(s), "kind": k} for p, s, k in entries]
    out["evidence_catalog_hash"] = canonical.commit_hash("evidence_catalog", catalog).hex()
    return out


def _binding(result: CheckResult) -> dict[str, Any]:
    m = result.tree.manifest
    return {
        "release_id": m.release_id,
        "product": m.product,
        "product_version": m.version,
        "release_time_utc": m.release_time_utc,
        "profile_id": result.profile,
        "env_manifest_hash": m.env_manifest.sha256,
        "determinism_profile_hash": m.determinism_profile.sha256,
    }


def attach_reports(result: CheckResult) -> CheckResult:
    """Return ``result`` with both report maps filled in (called by :func:`check`)."""
    from glyphserpack.evidence.profiles import MIN_EXECUTION_MODE

    prod: dict[str, Any] = {"report_kind": "productization_report", "report_version": 1, **_binding(result)}
    prod["execution_mode"] = MIN_EXECUTION_MODE[result.profile]
    prod.update(_named_hashes(result))
    prod["metrics"] = metrics(result)
    prod["workstreams"] = [w.to_dict() for w in result.workstreams if not w.workstream_id.startswith("ws")]
    prod["mandatory_items"] = [st.to_dict() for st in result.items]
    prod["certification_registry"] = [e.to_dict() for e in result.registry]
    prod["findings"] = [f.to_dict() for f in result.findings]
    prod["upgrade_gate_verdict"] = result.upgrade_gate_verdict
    if result.first_failing_workstream is not None:
        prod["first_failing_workstream"] = result.first_failing_workstream

    exp: dict[str, Any] = {"report_kind": "expansion_report", "report_version": 1, **_binding(result)}
    ws_verdicts = {w.workstream_id: w.verdict for w in result.workstreams}
    exp["readiness_by_workstream"] = [dict(r.to_dict(), verdict=ws_verdicts[r.workstream_id]) for r in result.readiness]
    blockers = sorted(b for r in result.readiness for b in r.release_blockers)
    exp["release_blockers"] = [{"workstream_id": w, "blocker_id": b, "description": d} for w, b, d in blockers]
    exp["expansion_evidence_hash"] = canonical.commit_hash(
        "expansion_evidence", [[r.workstream_id, r.evidence_hash] for r in result.readiness if r.evidence_hash]
    ).hex()
    exp["workstreams_total"] = len(result.readiness)
    exp["workstreams_ready"] = sum(1 for r in result.readiness if r.readiness == "READY")
    exp["blockers_open"] = sum(r.blockers_open for r in result.readiness)
    exp["readiness_verdict"] = (
        "FAIL" if any(ws_verdicts[r.workstream_id] == "FAIL" for r in result.readiness) else "PASS"
    )
    # Through the typed records: a report that leaves its documented shape fails here, not in a reader.
    prod = ProductizationReport.model_validate(prod).to_obj()
    exp = ExpansionReport.model_validate(exp).to_obj()
    return dataclasses.replace(result, productization_report=prod, expansion_report=exp)


def report_files(result: CheckResult) -> dict[str, bytes]:
    """File name -> exact bytes of the four report files."""
    out: dict[str, bytes] = {}
    for name, obj in (
        ("productization_report", result.productization_report),
        ("expansion_report", result.expansion_report),
    ):
        out[f"{name}.cbor"] = canonical.dumps(obj)
        out[f"{name}.json"] = to_json_bytes(obj)
    return out


def write_reports(result: CheckResult, out_dir: Path) -> list[Path]:
    """Write ``{productization,expansion}_report.{cbor,json}`` atomically into ``out_dir``."""
    files = report_files(result)  # encode everything before the first write
    written = []
    for name, data in sorted(files.items()):
        path = Path(out_dir) / name
        atomic_write(path, data)
        written.append(path)
    return written
