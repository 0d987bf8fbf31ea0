"""The evidence model, its checks and readiness verdicts.

Typical use (the CLI does exactly this)::

    from glyphserpack.evidence import load_tree, check, write_reports
    tree = load_tree(Path("evidence"))          # raises GlyphserpackError on unreadable input
    result = check(tree, "regulated")            # never raises on content; findings instead
    result.upgrade_gate_verdict                  # "PASS" | "FAIL"
    write_reports(result, Path("out"))           # {productization,expansion}_report.{cbor,json}

See ``docs/evidence.md`` for the tree layout, every kind and the metric formulas.
"""

from __future__ import annotations

from glyphserpack.evidence.certificates import Envelope, decode_envelope, encode_envelope
from glyphserpack.evidence.checks import CheckResult, ReadinessRow, RegistryEntry, check
from glyphserpack.evidence.graduation import GraduationPlan, GraduationStep, graduation
from glyphserpack.evidence.kinds import KINDS, SIGNED, schema_for
from glyphserpack.evidence.loader import (
    ATTACHMENT_LIMIT,
    DOCUMENT_LIMIT,
    Document,
    EvidenceTree,
    LinkCheck,
    load_tree,
)
from glyphserpack.evidence.models import PROFILES, HashLink
from glyphserpack.evidence.profiles import ItemStatus, MandatoryItem, mandatory_items
from glyphserpack.evidence.reports import report_files, to_json_bytes, write_reports
from glyphserpack.evidence.verdicts import SECTIONS, WorkstreamVerdict

__all__ = [
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
