"""Parity sidecars that let a damaged pack heal itself, and scheduled fixity audits.

A pack ``x.glyphserpack`` is protected by ``x.glyphserpack.par``: Reed–Solomon parity over
fixed-size blocks of the *whole file* (frames, index, seek table, manifest — every byte),
plus a SHA-256 per block so that damage is located exactly and decoded as erasures
(specification: ``archive/FORMAT.md`` §11)::

    protect(Path("x.glyphserpack"), ratio=0.05)          # writes x.glyphserpack.par
    status = assess(Path("x.glyphserpack"), Path("x.glyphserpack.par"))
    if not status.intact and status.repairable:
        repair(Path("x.glyphserpack"), Path("fixed.glyphserpack"))
"""

from __future__ import annotations

from glyphserpack._internal.parity.check import ParityStatus, assess
from glyphserpack.parity.audit import AuditOptions, AuditSummary, run_audit
from glyphserpack.parity.auditlog import check_log
from glyphserpack.parity.encode import DEFAULT_RATIO, parse_ratio, protect, sidecar_path
from glyphserpack.parity.repair import RepairResult, repair

__all__ = [
    "DEFAULT_RATIO",
    "AuditOptions",
    "AuditSummary",
    "ParityStatus",
    "RepairResult",
    "assess",
    "check_log",
    "parse_ratio",
    "protect",
    "repair",
    "run_audit",
    "sidecar_path",
]
