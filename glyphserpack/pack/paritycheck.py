"""The ``parity`` check of a pack's verification report, shared by ``verify``, ``build`` and the site.

A sidecar ``<pack>.par`` beside a pack is checked with :func:`glyphserpack.parity.assess`;
this module only turns its :class:`~glyphserpack.parity.ParityStatus` into one check line
(and the status's GSP-E5xx findings), so every place that reports on parity says the same.
"""

from __future__ import annotations

from pathlib import Path

from glyphserpack._internal.parity.check import ParityStatus, assess
from glyphserpack._internal.parity.sidecar import sidecar_path
from glyphserpack.pack.report import CheckResult, PackReport

__all__ = ["add_parity_check", "parity_result"]


def parity_result(status: ParityStatus) -> tuple[CheckResult, str]:
    """What the sidecar found, as a check result and a one-line detail (callers name the sidecar).

    A damaged sidecar alone does not make a sound pack invalid: its findings are warnings,
    and the check passes as long as the pack itself is intact.
    """
    if status.intact:
        detail = "pack and parity intact"
    elif status.header is None:
        detail = "unreadable, repairability unknown"
    elif status.pack_intact:
        detail = "pack intact; the sidecar itself is damaged (`glyphserpack repair` restores it)"
    elif status.repairable:
        detail = "damage is repairable with `glyphserpack repair`"
    else:
        detail = "damage exceeds the parity budget"
    result: CheckResult = "pass" if status.pack_intact else "skip" if status.header is None else "fail"
    return result, detail


def add_parity_check(report: PackReport, pack_file: Path) -> ParityStatus | None:
    """If a parity sidecar sits beside the pack, add what it finds to ``report``; else add nothing."""
    par = sidecar_path(pack_file)
    if not par.exists():
        return None
    status = assess(pack_file, par)
    report.merge([], status.findings())
    result, detail = parity_result(status)
    report.add_check("parity", result, f"{status.sidecar}: {detail}")
    return status
