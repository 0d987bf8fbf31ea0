"""The verification report: every check with its result, every finding, deterministic bytes.

:func:`glyphserpack.pack.verify` fills it with steps 1–11 of FORMAT.md §7 and the time-stamp
chain; a build adds its transparency-log checks to the same report with
:meth:`PackReport.add_check` / :meth:`PackReport.merge`, so a pack has one verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from glyphserpack import canonical
from glyphserpack.findings import Finding, Report

if TYPE_CHECKING:
    from glyphserpack._internal.parity.check import ParityStatus
    from glyphserpack.timestamp.renewal import ChainReport

__all__ = ["REPORT_VERSION", "Check", "CheckResult", "PackReport"]

REPORT_VERSION = 1
CheckResult = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Check:
    """One numbered step of FORMAT.md §7 (or of a later stage) and how it came out."""

    check_id: str
    result: CheckResult
    detail: str

    def to_obj(self) -> dict[str, str]:
        return {"id": self.check_id, "result": self.result, "detail": self.detail}


@dataclass
class PackReport(Report):
    """Outcome of verifying one pack; ``valid`` is False as soon as any error finding or failed check exists."""

    pack: str
    root_hash: str | None = None
    format_version: str | None = None
    created: str | None = None
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    damaged_members: list[str] = field(default_factory=list)
    #: step T's per-link, per-token detail (what the site lists); None when not checked
    timestamp_chain: ChainReport | None = field(default=None, repr=False, compare=False)
    #: step 11's sidecar status; None when there is no sidecar or it was not checked
    parity: ParityStatus | None = field(default=None, repr=False, compare=False)

    @property
    def valid(self) -> bool:
        return super().valid and all(c.result != "fail" for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.valid else 1

    def add_check(self, check_id: str, result: CheckResult, detail: str = "") -> None:
        self.checks.append(Check(check_id, result, detail))

    def merge(self, other_checks: list[Check], other_findings: list[Finding]) -> None:
        """Append checks and findings produced elsewhere (e.g. time-stamp verification)."""
        self.checks.extend(other_checks)
        self.findings.extend(other_findings)

    def to_dict(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "report_version": REPORT_VERSION,
            "pack": self.pack,
            "valid": self.valid,
            "checks": [c.to_obj() for c in self.checks],
            "findings": self.findings_dicts(),
            "damaged_members": sorted(set(self.damaged_members)),
        }
        for key in ("root_hash", "format_version", "created"):
            value = getattr(self, key)
            if value is not None:
                obj[key] = value
        return obj

    def to_obj(self) -> dict[str, Any]:
        """Same as :meth:`to_dict` (the name older callers use)."""
        return self.to_dict()

    def to_cbor(self) -> bytes:
        return canonical.dumps(self.to_dict())

    def to_json(self) -> str:
        from glyphserpack._internal import jsonout

        return jsonout.dumps(self.to_dict(), ensure_ascii=False) + "\n"
