"""The public API of glyphserpack.evidence is pinned: drift must be deliberate."""

from __future__ import annotations

import glyphserpack.evidence as ev

EXPECTED = [
    "ATTACHMENT_LIMIT",
    "DOCUMENT_LIMIT",
    "KINDS",
    "PROFILES",
    "SECTIONS",
    "SIGNED",
    "CheckResult",
    "Document",
    "Envelope",
    "EvidenceTree",
    "GraduationPlan",
    "GraduationStep",
    "HashLink",
    "ItemStatus",
    "LinkCheck",
    "MandatoryItem",
    "ReadinessRow",
    "RegistryEntry",
    "WorkstreamVerdict",
    "check",
    "decode_envelope",
    "encode_envelope",
    "graduation",
    "load_tree",
    "mandatory_items",
    "report_files",
    "schema_for",
    "to_json_bytes",
    "write_reports",
]


def test_public_names_are_pinned() -> None:
    assert sorted(ev.__all__) == sorted(EXPECTED)
    for name in EXPECTED:
        assert getattr(ev, name) is not None


def test_profiles_nest() -> None:
    core, ent, reg = ({i.item_id for i in ev.mandatory_items(p)} for p in ev.PROFILES)
    assert core < ent < reg
    assert {"security_case:regulated", "chaos_proof_pack", "sbom"} <= reg - ent
    assert {"certified_backend", "observability_mapping", "performance_tiers"} <= ent - core
