"""What a tree still needs to move up a profile (``core -> enterprise``, ``enterprise -> regulated``).

The plan is item by item: every mandatory item the higher profile adds, with its status, plus
every finding that fails the higher profile but not the lower one (new obligations such as
attestation on regulated runs or a complete threat-model crosswalk), plus the recorded
graduation gates of the profile bundle (productization plan I.A).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glyphserpack.errors import UsageError
from glyphserpack.evidence.checks import CheckResult, check
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import ProfileBundle
from glyphserpack.evidence.profiles import profile_rank
from glyphserpack.evidence.rules import GRADUATION_GATES

__all__ = ["GraduationPlan", "GraduationStep", "graduation", "parse_step"]


@dataclass(frozen=True)
class GraduationStep:
    """One thing to do (or already done) to graduate."""

    item_id: str
    workstream_id: str
    status: str  # "satisfied" | "missing" | "failing"
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {
            "item_id": self.item_id,
            "workstream_id": self.workstream_id,
            "status": self.status,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class GraduationPlan:
    from_profile: str
    to_profile: str
    steps: tuple[GraduationStep, ...]
    target: CheckResult

    @property
    def ready(self) -> bool:
        return all(s.status == "satisfied" for s in self.steps) and self.target.upgrade_gate_verdict == "PASS"

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_kind": "graduation_report",
            "report_version": 1,
            "release_id": self.target.tree.manifest.release_id,
            "from_profile": self.from_profile,
            "to_profile": self.to_profile,
            "ready": self.ready,
            "steps": [s.to_dict() for s in self.steps],
        }


def parse_step(text: str) -> tuple[str, str]:
    """``"core:enterprise"`` -> ("core", "enterprise"); only one step up at a time."""
    src, sep, dst = text.partition(":")
    if not sep or (src, dst) not in GRADUATION_GATES:
        raise UsageError(f"--graduate {text!r}: expected core:enterprise or enterprise:regulated")
    return src, dst


def graduation(tree: EvidenceTree, from_profile: str, to_profile: str) -> GraduationPlan:
    """Item-by-item plan for moving ``tree`` from ``from_profile`` to ``to_profile``."""
    if profile_rank(to_profile) != profile_rank(from_profile) + 1:
        raise UsageError(f"graduation goes one profile up at a time, not {from_profile} -> {to_profile}")
    low, high = check(tree, from_profile), check(tree, to_profile)
    low_items = {st.item.item_id for st in low.items}
    steps: list[GraduationStep] = []
    for st in high.items:
        if st.item.item_id in low_items:
            continue
        if st.present:
            steps.append(GraduationStep(st.item.item_id, st.item.workstream_id, "satisfied", ", ".join(st.documents)))
        else:
            steps.append(
                GraduationStep(
                    st.item.item_id,
                    st.item.workstream_id,
                    "missing",
                    f"add {st.item.description} (e.g. {st.item.example_path})",
                )
            )
    bundle = tree.by_kind("profile_bundle")
    gates: dict[str, str] = {}
    if bundle:
        for step in bundle[0].as_(ProfileBundle).graduation:
            if (step.from_profile, step.to_profile) == (from_profile, to_profile):
                gates = {g.gate_id: g.verdict for g in step.gates}
    for gate in sorted(GRADUATION_GATES[(from_profile, to_profile)]):
        verdict = gates.get(gate)
        status = "satisfied" if verdict == "PASS" else ("failing" if verdict else "missing")
        steps.append(GraduationStep(f"gate:{gate}", "I.A", status, f"recorded verdict {verdict or 'none'}"))
    if low.upgrade_gate_verdict == "FAIL":
        errors = [f for f in low.findings if f.severity == "error"]
        steps.append(
            GraduationStep(
                f"profile:{from_profile}",
                low.first_failing_workstream or "",
                "failing",
                f"the tree does not pass {from_profile} itself ({len(errors)} errors; first: {errors[0].line()})",
            )
        )
    low_findings = set(low.findings)
    for f in high.findings:
        if f not in low_findings and f.severity == "error" and f.code != "GSP-E003":
            steps.append(GraduationStep(f"finding:{f.code}", "", "failing", f.line()))
    return GraduationPlan(from_profile, to_profile, tuple(steps), high)
