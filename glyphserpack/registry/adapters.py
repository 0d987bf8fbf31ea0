"""Adapters × product versions: which adapter is certified for which version, by which record.

The registry builder folds the log and each release's certification records into plain
:class:`AdapterCertRow` values, one per (adapter, product version, record), each carrying
the record's status from the one status rule (:func:`glyphserpack.evidence.status.certificate_status`).
:func:`adapter_matrix` turns them into a grid whose cells say, in words, what holds:

=================  ===========================================================
cell               the record statuses it stands for
=================  ===========================================================
``certified``      ``valid``
``revoked``        ``revoked``
``expired``        ``expired``, ``sunset`` (its class retired)
``superseded``     ``superseded`` (a later record for the same adapter exists)
``not certified``  ``failed``, ``invalid``, ``not_yet_valid``
``absent``         no record for this adapter and version
=================  ===========================================================

When several records meet in one cell the first of ``certified``, ``revoked``, ``expired``,
``not certified``, ``superseded`` decides: an adapter with one valid record is certified
whatever older records say, and a superseded record only speaks when nothing newer does.
The cell keeps every record id, and names the one that decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from glyphserpack.errors import InputError
from glyphserpack.evidence.models import PROFILES
from glyphserpack.evidence.status import STATUSES, Status

__all__ = [
    "CELL_STATUSES",
    "AdapterCell",
    "AdapterCertRow",
    "AdapterMatrix",
    "CellStatus",
    "adapter_matrix",
    "cell_status",
]

CellStatus = Literal["certified", "revoked", "expired", "superseded", "not certified", "absent"]
#: Cell statuses in the order they decide a cell (``absent`` only when there is no record).
CELL_STATUSES: tuple[CellStatus, ...] = ("certified", "revoked", "expired", "not certified", "superseded", "absent")
_CELL: dict[str, CellStatus] = {
    "valid": "certified",
    "revoked": "revoked",
    "expired": "expired",
    "sunset": "expired",
    "superseded": "superseded",
    "failed": "not certified",
    "invalid": "not certified",
    "not_yet_valid": "not certified",
}


def cell_status(status: Status) -> CellStatus:
    """The matrix word for a record status (table in the module docstring)."""
    return _CELL[status]


@dataclass(frozen=True)
class AdapterCertRow:
    """One certification record of one adapter for one product version, with its status."""

    adapter_id: str
    product: str
    version: str
    record_id: str
    status: Status
    profile: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise InputError(
                f"adapter {self.adapter_id}, record {self.record_id}: status {self.status!r} is not one of "
                f"{', '.join(STATUSES)}"
            )
        if self.profile not in PROFILES:
            raise InputError(
                f"adapter {self.adapter_id}, record {self.record_id}: profile {self.profile!r} is not one of "
                f"{', '.join(PROFILES)}"
            )

    @property
    def version_key(self) -> tuple[int, ...]:
        try:
            return tuple(int(p) for p in self.version.split("."))
        except ValueError:
            raise InputError(
                f"adapter {self.adapter_id}, record {self.record_id}: version {self.version!r} is not MAJOR.MINOR.PATCH"
            ) from None


@dataclass(frozen=True)
class AdapterCell:
    """What one adapter holds for one product version; ``record_id`` is the deciding record."""

    status: CellStatus
    record_id: str | None = None
    records: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()


_ABSENT = AdapterCell("absent")


@dataclass(frozen=True)
class AdapterMatrix:
    """Per product: its versions (ascending), its adapters (sorted) and the non-absent cells."""

    versions: dict[str, tuple[str, ...]]
    adapters: dict[str, tuple[str, ...]]
    cells: dict[tuple[str, str, str], AdapterCell]

    @property
    def products(self) -> tuple[str, ...]:
        return tuple(sorted(self.versions))

    def cell(self, adapter_id: str, product: str, version: str) -> AdapterCell:
        """The cell of an adapter and a product version; ``absent`` when no record names both."""
        return self.cells.get((adapter_id, product, version), _ABSENT)


def adapter_matrix(rows: Iterable[AdapterCertRow]) -> AdapterMatrix:
    """The adapters × versions grid of ``rows`` (cell rules: module docstring)."""
    grouped: dict[tuple[str, str, str], list[AdapterCertRow]] = {}
    versions: dict[str, dict[str, tuple[int, ...]]] = {}
    adapters: dict[str, set[str]] = {}
    for row in rows:
        versions.setdefault(row.product, {})[row.version] = row.version_key
        adapters.setdefault(row.product, set()).add(row.adapter_id)
        grouped.setdefault((row.adapter_id, row.product, row.version), []).append(row)
    cells: dict[tuple[str, str, str], AdapterCell] = {}
    for key, found in grouped.items():
        decider = min(found, key=lambda r: (CELL_STATUSES.index(cell_status(r.status)), r.record_id))
        cells[key] = AdapterCell(
            status=cell_status(decider.status),
            record_id=decider.record_id,
            records=tuple(sorted({r.record_id for r in found})),
            profiles=tuple(p for p in PROFILES if any(r.profile == p for r in found)),
        )
    return AdapterMatrix(
        versions={p: tuple(sorted(vs, key=lambda v: vs[v])) for p, vs in sorted(versions.items())},
        adapters={p: tuple(sorted(a)) for p, a in sorted(adapters.items())},
        cells=dict(sorted(cells.items())),
    )
