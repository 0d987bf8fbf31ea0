"""Per-workstream verdicts and the fail-dominant ``upgrade_gate_verdict``.

Workstreams are evaluated in the declared section order of ``productization-plan.md`` §3
(1–9 = I.A–I.I), then the release evidence of CONTRACTS.md §5 (section 10, ``R.1``), then the
roadmap readiness workstreams 12–40 (section 11, ``ws12``–``ws40``); ties inside a section
break by lexical ``workstream_id``. Reduction is fail-dominant: any FAIL makes the gate FAIL,
and the first failing workstream in that order is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.readiness import ROADMAP_WORKSTREAMS, WorkstreamReadiness
from glyphserpack.findings import Finding

__all__ = ["SECTIONS", "WorkstreamVerdict", "reduce_verdicts", "workstream_for_path", "workstream_order"]

GateVerdict = Literal["PASS", "FAIL"]

#: (section number, workstream_id, title, document kinds owned)
SECTIONS: list[tuple[int, str, str, frozenset[str]]] = [
    (1, "I.A", "Product profiles", frozenset({"profile_bundle"})),
    (2, "I.B", "Observability interoperability bridge", frozenset({"observability_mapping"})),
    (
        3,
        "I.C",
        "Adapter certification program",
        frozenset({"certification_bundle", "certification_record", "revocation"}),
    ),
    (4, "I.D", "Runnable reference stack", frozenset({"reference_stack"})),
    (5, "I.E", "External interface standardization", frozenset({"external_interfaces"})),
    (6, "I.F", "Auditor-ready security case", frozenset({"security_case"})),
    (7, "I.G", "Evolution and deprecation economics", frozenset({"evolution_policy"})),
    (8, "I.H", "Performance as contract", frozenset({"performance_tiers"})),
    (9, "I.I", "Chaos and recovery proof packs", frozenset({"chaos_proof_pack"})),
    (10, "R.1", "Release evidence (certificates, runs, trust)", frozenset({"run_evidence", "execution_certificate"})),
]
SECTIONS += [(11, ws, title, frozenset()) for ws, (_, title) in sorted(ROADMAP_WORKSTREAMS.items())]
_KIND_TO_WS = {kind: ws for _, ws, _, kinds in SECTIONS for kind in kinds}


@dataclass(frozen=True)
class WorkstreamVerdict:
    """Verdict of one workstream: PASS, FAIL, or SKIP (not required and nothing present)."""

    section: int
    workstream_id: str
    title: str
    required: bool
    verdict: Literal["PASS", "FAIL", "SKIP"]
    finding_codes: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "section": self.section,
            "workstream_id": self.workstream_id,
            "title": self.title,
            "required": self.required,
            "verdict": self.verdict,
            "finding_codes": list(self.finding_codes),
        }


def workstream_order(ws: str) -> tuple[int, str]:
    """Sort key: declared section, then lexical workstream_id."""
    for section, wid, _, _ in SECTIONS:
        if wid == ws:
            return section, wid
    raise KeyError(ws)


def workstream_for_path(tree: EvidenceTree, path: str) -> str:
    """The workstream a file's findings count against: its own kind, or that of the first file linking to it."""
    doc = tree.documents.get(path)
    if doc is not None:
        if doc.kind == "workstream_readiness":
            return doc.as_(WorkstreamReadiness).workstream_id
        return _KIND_TO_WS.get(doc.kind, "R.1")
    sources = sorted(lc.source for lc in tree.links if lc.path == path and lc.source != path)
    for src in sources:
        if src in tree.documents:
            return workstream_for_path(tree, src)
    return "R.1"


def reduce_verdicts(
    attributed: list[tuple[str, Finding]], required: set[str], present: set[str]
) -> tuple[list[WorkstreamVerdict], GateVerdict, str | None]:
    """Fold findings into workstream verdicts and one gate verdict (fail-dominant, declared order)."""
    by_ws: dict[str, list[Finding]] = {}
    for ws, f in attributed:
        by_ws.setdefault(ws, []).append(f)
    out: list[WorkstreamVerdict] = []
    first_fail: str | None = None
    for section, ws, title, _ in sorted(SECTIONS, key=lambda s: (s[0], s[1])):
        fs = sorted(set(by_ws.get(ws, [])))
        failed = any(f.severity == "error" for f in fs)
        if failed:
            verdict: Literal["PASS", "FAIL", "SKIP"] = "FAIL"
            first_fail = first_fail or ws
        elif ws in required or ws in present:
            verdict = "PASS"
        else:
            verdict = "SKIP"
        out.append(WorkstreamVerdict(section, ws, title, ws in required, verdict, tuple(sorted({f.code for f in fs}))))
    return out, ("FAIL" if first_fail else "PASS"), first_fail
