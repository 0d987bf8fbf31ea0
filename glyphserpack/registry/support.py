"""The support matrix: per product, release cycle and profile, until when a version is supported.

The rules are stated in ``docs/registry.md`` (section *Support matrix*), numbered there and in
:func:`_cycle` below; a test recomputes that section's worked example. In short, for one
product and one profile P:

1. A release counts for P when its upgrade gate PASSed and it was built for P or a stricter
   profile (profiles nest: core ⊂ enterprise ⊂ regulated). A FAILed release counts for none
   and is listed in :attr:`SupportMatrix.excluded` with the reason, never silently dropped.
2. A cycle is MAJOR.MINOR. Its release date is the earliest UTC date of its counting
   releases; ``latest`` is its highest version and that version's date.
3. The cycle's guarantee for P is, per number, the largest any of its counting releases'
   evolution policies publishes (a promise once published is kept).
4. Active support ends on the release date of the next higher cycle of the product that
   counts for P (that release deprecates this cycle); with none yet, it is open.
5. Security support ends ``support_months_after_deprecation`` calendar months after active
   support ends; open while active support is open.
6. A cycle is LTS when the evolution policy of any counting release of the product lists it
   in ``lts_cycles``. Its LTS window ends ``lts_years`` years after the cycle's release date,
   and its security support ends no earlier than that.
7. The state on a day D: ``upcoming`` before the release date, ``supported`` before active
   support ends, ``security-only`` before security support ends, ``eol`` from that day on.
   An end date is the first day *without* that support.

Month arithmetic is :func:`~glyphserpack.evidence.attest.evolution.add_months`: the day of
the month is kept, and a day the target month lacks rolls over to the 1st of the next month
(31 Jan + 1 month = 1 Mar; 29 Feb + 1 year = 1 Mar), the same count of whole months by which
GSP-E045 measures a deprecation window.

The facts of a release (:class:`ReleaseFacts`, :func:`release_facts`,
:func:`release_facts_from_build`) live in :mod:`glyphserpack.registry.facts` and are
re-exported here; the page and the API files are :mod:`glyphserpack.registry.support_site`,
adapters × versions :mod:`glyphserpack.registry.adapters`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from glyphserpack.errors import EvidenceError, InputError, UsageError
from glyphserpack.evidence.attest.evolution import add_months
from glyphserpack.evidence.models import PROFILES
from glyphserpack.registry.facts import ProfileGuarantee, ReleaseFacts, release_facts, release_facts_from_build

__all__ = [
    "DEFAULT_PROFILE",
    "STATES",
    "CycleSupport",
    "ProfileGuarantee",
    "ReleaseFacts",
    "SupportMatrix",
    "SupportState",
    "add_months",
    "endoflife_cycles",
    "parse_day",
    "release_facts",
    "release_facts_from_build",
    "support_matrix",
]

SupportState = Literal["upcoming", "supported", "security-only", "eol"]
STATES: tuple[SupportState, ...] = ("upcoming", "supported", "security-only", "eol")
#: The profile of ``api/eol/<product>.json``: the weakest, so it lists every release that
#: passed any profile and never promises a customer more than every profile guarantees.
DEFAULT_PROFILE = "core"
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ)?$")


def parse_day(text: str, *, what: str = "date") -> date:
    """A UTC calendar day from ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SSZ``; InputError otherwise."""
    m = _DAY.match(text)
    try:
        if m is None:
            raise ValueError(text)
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise InputError(f"{what}: {text!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)") from None


@dataclass(frozen=True)
class CycleSupport:
    """One row of the matrix: a cycle of a product under a profile, and its state on ``at``.

    ``support_end`` and ``eol`` are None while open (no later cycle released yet).
    """

    product: str
    profile: str
    cycle: str
    release_date: date
    latest: str
    latest_date: date
    releases: tuple[str, ...]
    guarantee: ProfileGuarantee
    support_end: date | None
    eol: date | None
    lts: bool
    lts_end: date | None
    state: SupportState

    @property
    def cycle_key(self) -> tuple[int, int]:
        major, minor = self.cycle.split(".")
        return int(major), int(minor)


@dataclass(frozen=True)
class SupportMatrix:
    """Every product's cycles under every profile, as of ``at``.

    ``products`` includes a product whose releases all failed (it then has no cycles);
    ``excluded`` lists each release that counts for no profile as (release_id, reason).
    """

    at: date
    products: tuple[str, ...]
    rows: tuple[CycleSupport, ...]
    excluded: tuple[tuple[str, str], ...]

    def cycles(self, product: str, profile: str) -> tuple[CycleSupport, ...]:
        """One product's cycles under one profile, newest first (as endoflife.date lists them)."""
        return tuple(
            sorted(
                (r for r in self.rows if r.product == product and r.profile == profile),
                key=lambda r: r.cycle_key,
                reverse=True,
            )
        )


def _dedupe(releases: Iterable[ReleaseFacts]) -> list[ReleaseFacts]:
    """One entry per (product, version); the same release read twice must agree on its date."""
    seen: dict[tuple[str, str], ReleaseFacts] = {}
    out: list[ReleaseFacts] = []
    for r in releases:
        key = (r.product, r.version)
        first = seen.get(key)
        if first is None:
            seen[key] = r
            out.append(r)
        elif first.release_date != r.release_date:
            raise InputError(
                f"{r.source}: release {r.release_id} is {r.product} {r.version} released {r.release_date}, but "
                f"{first.source} ({first.release_id}) is the same version released {first.release_date}",
                remedy="a version is released once: remove one of the two, or give the newer one a new version",
            )
        else:
            out.append(r)  # built twice (e.g. for two profiles): both count, rule 1 takes the strictest
    return out


def _counts_for(r: ReleaseFacts, profile: str) -> bool:
    return r.gate == "PASS" and PROFILES.index(r.profile) >= PROFILES.index(profile)


def _guarantee(members: list[ReleaseFacts], profile: str) -> ProfileGuarantee:
    found: list[ProfileGuarantee] = []
    for r in members:
        g = r.guarantee(profile)
        if g is None:
            raise EvidenceError(
                f"{r.source}: release {r.release_id} counts for the {profile} profile, but its evolution policy "
                f"{r.policy_path} publishes no guarantee for {profile}",
                remedy=f"add a guarantees[] entry with profile_id: {profile} to {r.policy_path}",
            )
        found.append(g)
    return ProfileGuarantee(
        profile, max(g.support_months_after_deprecation for g in found), max(g.lts_years for g in found)
    )


def _state(at: date, released: date, support_end: date | None, eol: date | None) -> SupportState:
    if at < released:
        return "upcoming"
    if support_end is None or at < support_end:
        return "supported"
    if eol is None or at < eol:
        return "security-only"
    return "eol"


def _cycle(
    product: str, profile: str, members: list[ReleaseFacts], successor: date | None, lts_named: bool, at: date
) -> CycleSupport:
    """Rules 2-7 of the module docstring (and of docs/registry.md) for one cycle."""
    dates = [parse_day(r.release_time_utc, what=f"{r.source}: release_time_utc") for r in members]
    released = min(dates)  # 2.
    newest = max(range(len(members)), key=lambda i: (members[i].version_key, dates[i]))
    g = _guarantee(members, profile)  # 3.
    support_end = None if successor is None else max(successor, released)  # 4.
    eol = None if support_end is None else add_months(support_end, g.support_months_after_deprecation)  # 5.
    lts_end = add_months(released, 12 * g.lts_years) if lts_named else None  # 6.
    if eol is not None and lts_end is not None:
        eol = max(eol, lts_end)
    return CycleSupport(
        product=product,
        profile=profile,
        cycle=members[0].cycle,
        release_date=released,
        latest=members[newest].version,
        latest_date=dates[newest],
        releases=tuple(sorted({r.release_id for r in members})),
        guarantee=g,
        support_end=support_end,
        eol=eol,
        lts=lts_named,
        lts_end=lts_end,
        state=_state(at, released, support_end, eol),  # 7.
    )


def support_matrix(releases: Iterable[ReleaseFacts], *, at: str) -> SupportMatrix:
    """The matrix of every product, cycle and profile on day ``at`` (rules: module docstring)."""
    day = parse_day(at, what="at")
    facts = _dedupe(releases)
    rows: list[CycleSupport] = []
    for product in sorted({r.product for r in facts}):
        mine = [r for r in facts if r.product == product]
        for profile in PROFILES:
            counting = [r for r in mine if _counts_for(r, profile)]  # 1.
            named = {c for r in counting for c in r.lts_cycles}
            by_cycle: dict[tuple[int, int], list[ReleaseFacts]] = {}
            for r in counting:
                by_cycle.setdefault(r.version_key[:2], []).append(r)
            keys = sorted(by_cycle)
            firsts = [
                min(parse_day(r.release_time_utc, what=f"{r.source}: release_time_utc") for r in by_cycle[k])
                for k in keys
            ]
            for i, key in enumerate(keys):
                successor = firsts[i + 1] if i + 1 < len(keys) else None
                members = by_cycle[key]
                rows.append(_cycle(product, profile, members, successor, members[0].cycle in named, day))
    excluded = tuple(
        sorted(
            {(r.release_id, f"upgrade gate {r.gate} for the {r.profile} profile") for r in facts if r.gate != "PASS"}
        )
    )
    return SupportMatrix(day, tuple(sorted({r.product for r in facts})), tuple(rows), excluded)


def _day_or(value: date | None, open_value: bool) -> str | bool:
    return value.isoformat() if value is not None else open_value


def endoflife_cycles(matrix: SupportMatrix, product: str, profile: str) -> list[dict[str, Any]]:
    """``product``'s cycles under ``profile`` in endoflife.date's v0 API shape, newest first.

    ``support``/``eol`` are a date, or ``true``/``false`` while open (no end scheduled yet).
    ``lts`` is a boolean: an LTS cycle is LTS from its first release. There is no paid
    extended-support tier in an evolution policy, so ``extendedSupport`` is left out.
    """
    if profile not in PROFILES:
        raise UsageError(f"profile {profile!r} is not one of {', '.join(PROFILES)}")
    if product not in matrix.products:
        raise UsageError(f"product {product!r} is not in the support matrix ({', '.join(matrix.products) or 'empty'})")
    return [
        {
            "cycle": c.cycle,
            "releaseDate": c.release_date.isoformat(),
            "support": _day_or(c.support_end, True),
            "eol": _day_or(c.eol, False),
            "latest": c.latest,
            "latestReleaseDate": c.latest_date.isoformat(),
            "lts": c.lts,
        }
        for c in matrix.cycles(product, profile)
    ]
