"""Evolution: the compatibility table is parsed and held to the policy (GSP-E043/E044), and each
deprecation's window meets every guarantee it is bound by (GSP-E045).

``compatibility.csv`` (RFC 4180, UTF-8, at most 1 MiB): a header ``surface,<MAJOR.MINOR>...``
with versions strictly ascending, then one row per surface (unique ids ``[a-z0-9][a-z0-9_.-]*``)
holding, per version, ``yes`` (supported), ``deprecated`` (still working, announced for
removal), ``migrate`` (readable only through the migration operator) or ``removed``.

Consistency with the policy, per row: a status never goes back (yes → deprecated → migrate →
removed); ``migrate`` or ``removed`` only arrive with a MAJOR bump (a breaking change); a row
that is not ``yes`` throughout needs a deprecation naming it (``compatibility_surface``).
Per deprecation naming a row: the row exists; it leaves ``yes`` first as ``deprecated`` and in
``deprecated_in_major``; it is never ``removed`` while the migration operator still ships
(MAJOR ≤ ``migration_operator_until_major``) and never ``migrate`` after; the MAJOR where it
becomes ``migrate`` has a breaking change shipping the deprecation's migration operator.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from glyphserpack.evidence.attest.reading import AttachmentError, linked_bytes
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.evidence.models import PROFILES
from glyphserpack.evidence.productization import Deprecation, EvolutionPolicy
from glyphserpack.findings import Finding, finding

__all__ = [
    "STATUSES",
    "TABLE_LIMIT",
    "CompatibilityTable",
    "TableError",
    "add_months",
    "months_between",
    "parse_table",
    "policy_findings",
]

TABLE_LIMIT = 1024 * 1024
#: Row statuses in the only order a surface may move through them.
STATUSES = ("yes", "deprecated", "migrate", "removed")
_VERSION = re.compile(r"(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})")
_SURFACE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,127}")


class TableError(ValueError):
    """A compatibility table that does not follow the format; the message names the line."""


@dataclass(frozen=True)
class CompatibilityTable:
    """Versions as (MAJOR, MINOR) and each surface's status per version, in column order."""

    versions: tuple[tuple[int, int], ...]
    rows: dict[str, tuple[str, ...]]

    def label(self, col: int) -> str:
        return "{}.{}".format(*self.versions[col])


def parse_table(data: bytes) -> CompatibilityTable:
    """Parse ``compatibility.csv`` strictly (module docstring); raises :class:`TableError`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TableError(f"not UTF-8 (byte {exc.start})") from None
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise TableError(f"not CSV: {exc}") from None
    if not records or not records[0] or records[0][0] != "surface":
        raise TableError("line 1: the header must start with 'surface'")
    versions: list[tuple[int, int]] = []
    for cell in records[0][1:]:
        m = _VERSION.fullmatch(cell)
        if m is None:
            raise TableError(f"line 1: {cell!r} is not a MAJOR.MINOR version")
        v = (int(m[1]), int(m[2]))
        if versions and v <= versions[-1]:
            raise TableError(
                f"line 1: versions must be strictly ascending ({cell} after {versions[-1][0]}.{versions[-1][1]})"
            )
        versions.append(v)
    if not versions:
        raise TableError("line 1: no version columns")
    rows: dict[str, tuple[str, ...]] = {}
    for n, rec in enumerate(records[1:], start=2):
        if len(rec) != len(versions) + 1:
            raise TableError(f"line {n}: {len(rec)} cells, the header has {len(versions) + 1}")
        surface, cells = rec[0], tuple(rec[1:])
        if not _SURFACE.fullmatch(surface):
            raise TableError(f"line {n}: {surface!r} is not a surface id")
        if surface in rows:
            raise TableError(f"line {n}: surface {surface} listed twice")
        for cell in cells:
            if cell not in STATUSES:
                raise TableError(f"line {n}: {cell!r} is not one of {', '.join(STATUSES)}")
        rows[surface] = cells
    return CompatibilityTable(tuple(versions), rows)


def months_between(start: str, end: str) -> int:
    """Whole calendar months from date ``start`` to ``end`` (YYYY-MM-DD), day-of-month aware."""
    y1, m1, d1 = (int(x) for x in start.split("-"))
    y2, m2, d2 = (int(x) for x in end.split("-"))
    months = (y2 - y1) * 12 + (m2 - m1)
    return months - 1 if d2 < d1 else months


def add_months(day: date, months: int) -> date:
    """The first day that is ``months`` whole months after ``day`` by :func:`months_between`'s count.

    The day of the month is kept; when the target month is too short for it, the result is
    the 1st of the month after (31 Jan + 1 month = 1 Mar: 28 Feb is not yet a whole month
    after 31 Jan). So a window computed here never falls short of what GSP-E045 measures.
    """
    year, month = divmod(day.year * 12 + (day.month - 1) + months, 12)
    month += 1
    if day.day <= calendar.monthrange(year, month)[1]:
        return date(year, month, day.day)
    return date(year + month // 12, month % 12 + 1, 1)


def _row_findings(table: CompatibilityTable, surface: str) -> Iterator[str]:
    cells = table.rows[surface]
    for c in range(1, len(cells)):
        before, now = STATUSES.index(cells[c - 1]), STATUSES.index(cells[c])
        if now < before:
            yield f"{surface} is {cells[c - 1]!r} in {table.label(c - 1)} but {cells[c]!r} again in {table.label(c)}"
        elif now > before and now >= 2 and table.versions[c][0] == table.versions[c - 1][0]:
            yield (
                f"{surface} becomes {cells[c]!r} in {table.label(c)} without a MAJOR bump (a breaking change needs one)"
            )


def _deprecation_findings(
    table: CompatibilityTable, policy: EvolutionPolicy, head: str, d: Deprecation, surface: str
) -> Iterator[str]:
    cells = table.rows[surface]
    for c, cell in enumerate(cells):
        major = table.versions[c][0]
        if major < d.deprecated_in_major and cell != "yes":
            yield f"{head}: deprecated in MAJOR {d.deprecated_in_major}, but {surface} is {cell!r} in {table.label(c)}"
        if major > d.deprecated_in_major and cell == "yes":
            yield f"{head}: deprecated in MAJOR {d.deprecated_in_major}, but {surface} is 'yes' in {table.label(c)}"
        if cell == "removed" and major <= d.migration_operator_until_major:
            yield (
                f"{head}: {surface} is 'removed' in {table.label(c)}, but the migration operator "
                f"ships until MAJOR {d.migration_operator_until_major}"
            )
        if cell == "migrate" and major > d.migration_operator_until_major:
            yield (
                f"{head}: {surface} is 'migrate' in {table.label(c)}, but the migration operator "
                f"ships only until MAJOR {d.migration_operator_until_major}"
            )
    first = next((c for c, cell in enumerate(cells) if cell != "yes"), None)
    if first is not None and cells[first] != "deprecated":
        yield f"{head}: {surface} goes from 'yes' to {cells[first]!r} in {table.label(first)} without being deprecated"
    migrate = next((c for c, cell in enumerate(cells) if cell == "migrate"), None)
    if migrate is not None:
        major = table.versions[migrate][0]
        shipped = any(
            int(b.to_version.split(".")[0]) == major and b.migration_operator == d.migration_operator
            for b in policy.breaking_changes
        )
        if not shipped:
            yield (
                f"{head}: {surface} is 'migrate' from {table.label(migrate)}, but no breaking change to "
                f"MAJOR {major} ships {d.migration_operator}"
            )


def _table_findings(doc: Document, table: CompatibilityTable, policy: EvolutionPolicy) -> Iterator[Finding]:
    path = policy.compatibility_table.path
    for surface in table.rows:
        for detail in _row_findings(table, surface):
            yield finding("GSP-E044", doc.path, f"{path}: {detail}")
    claimed: set[str] = set()
    for i, d in enumerate(policy.deprecations):
        if d.compatibility_surface is None:
            continue
        head = f"deprecations[{i}] ({d.deprecation_id})"
        claimed.add(d.compatibility_surface)
        if d.compatibility_surface not in table.rows:
            yield finding("GSP-E044", doc.path, f"{head}: {path} has no row {d.compatibility_surface}")
            continue
        for detail in _deprecation_findings(table, policy, head, d, d.compatibility_surface):
            yield finding("GSP-E044", doc.path, f"{detail} ({path})")
    for surface, cells in table.rows.items():
        if surface not in claimed and any(cell != "yes" for cell in cells):
            status = next(cell for cell in cells if cell != "yes")
            yield finding("GSP-E044", doc.path, f"{path}: {surface} is {status!r}, but no deprecation names it")


def _window_findings(doc: Document, policy: EvolutionPolicy) -> Iterator[Finding]:
    for i, d in enumerate(policy.deprecations):
        months = months_between(d.announced_on, d.removal_not_before)
        for pid in d.profiles or PROFILES:
            promised = [
                (g.support_months_after_deprecation, k) for k, g in enumerate(policy.guarantees) if g.profile_id == pid
            ]
            if not promised:
                continue  # a profile without a published guarantee is its own GSP-E015
            need, k = max(promised)
            if months < need:
                yield finding(
                    "GSP-E045",
                    doc.path,
                    f"deprecations[{i}] ({d.deprecation_id}): removal_not_before {d.removal_not_before} is "
                    f"{months} months after announced_on {d.announced_on}; the {pid} guarantee "
                    f"(guarantees[{k}]) promises {need}",
                )


def policy_findings(tree: EvidenceTree, doc: Document) -> Iterator[Finding]:
    """GSP-E045 per broken guarantee, then the compatibility table's GSP-E043/E044 findings."""
    policy = doc.as_(EvolutionPolicy)
    yield from _window_findings(doc, policy)
    link = policy.compatibility_table
    try:
        data = linked_bytes(tree, link, limit=TABLE_LIMIT)
        if data is None:
            return  # a broken link is already a GSP-E004/E005 finding
        table = parse_table(data)
    except (AttachmentError, TableError) as exc:
        yield finding("GSP-E043", doc.path, f"compatibility_table {link.path}: {exc}")
        return
    yield from _table_findings(doc, table, policy)
