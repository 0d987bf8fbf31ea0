"""The support matrix rules (docs/registry.md, Support matrix), its API shape and its bad input."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, timedelta
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glyphserpack.errors import EvidenceError, InputError, UsageError
from glyphserpack.evidence.attest.evolution import months_between
from glyphserpack.evidence.models import PROFILES
from glyphserpack.registry.facts import ProfileGuarantee, ReleaseFacts
from glyphserpack.registry.support import (
    DEFAULT_PROFILE,
    add_months,
    endoflife_cycles,
    support_matrix,
)
from glyphserpack.registry.support_site import write_support_api

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "registry.md"
SCHEMA = json.loads((REPO / "tests" / "assets" / "endoflife" / "cycles.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
GUARANTEES = (
    ProfileGuarantee("core", 18, 3),
    ProfileGuarantee("enterprise", 24, 4),
    ProfileGuarantee("regulated", 36, 5),
)


def rel(
    version: str,
    when: str,
    *,
    profile: str = "regulated",
    gate: str = "PASS",
    product: str = "glyphser",
    lts: tuple[str, ...] = (),
    guarantees: tuple[ProfileGuarantee, ...] = GUARANTEES,
) -> ReleaseFacts:
    time = when if "T" in when else f"{when}T12:00:00Z"
    return ReleaseFacts(
        product=product,
        version=version,
        release_id=f"{product}-{version}",
        release_time_utc=time,
        profile=profile,
        gate=gate,
        guarantees=guarantees,
        lts_cycles=lts,
        policy_path="evolution/evolution_policy.yaml",
        source=f"{product}-{version}/reports/build.json",
    )


def row(matrix, cycle: str, profile: str = "core", product: str = "glyphser"):  # type: ignore[no-untyped-def]
    (found,) = [r for r in matrix.cycles(product, profile) if r.cycle == cycle]
    return found


# --- the worked example of docs/registry.md, recomputed from the doc's own numbers -----------


def _doc_tables() -> list[list[dict[str, str]]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Support matrix", 1)[1].split("\n## ", 1)[0]
    example = section.split("### Worked example", 1)[1]
    tables: list[list[dict[str, str]]] = []
    block: list[str] = []
    for line in [*example.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            cells = [[c.strip() for c in b.strip("|").split("|")] for b in block]
            tables.append([dict(zip(cells[0], r, strict=True)) for r in cells[2:]])
            block = []
    return tables


def test_the_worked_example_in_the_docs_recomputes() -> None:
    guarantees_t, releases_t, expected_t = _doc_tables()
    at = re.search(r"state on \*\*(\d{4}-\d\d-\d\d)\*\*", DOC.read_text(encoding="utf-8"))
    assert at is not None
    guarantees = tuple(
        ProfileGuarantee(g["profile"], int(g["support_months_after_deprecation"]), int(g["lts_years"]))
        for g in guarantees_t
    )
    releases = [
        dataclasses.replace(
            rel(
                r["version"],
                r["release_time_utc"],
                profile=r["built for"],
                gate=r["gate"],
                lts=() if r["lts_cycles"] == "-" else (r["lts_cycles"],),
                guarantees=guarantees,
            ),
            release_id=r["release"],
        )
        for r in releases_t
    ]
    matrix = support_matrix(releases, at=at[1])
    got = []
    for profile in PROFILES:
        for c in endoflife_cycles(matrix, "glyphser", profile):
            r = row(matrix, c["cycle"], profile)
            got.append(
                {
                    "profile": profile,
                    "cycle": c["cycle"],
                    "releaseDate": c["releaseDate"],
                    "latest": c["latest"],
                    "latestReleaseDate": c["latestReleaseDate"],
                    "support": json.dumps(c["support"]).strip('"'),
                    "eol": json.dumps(c["eol"]).strip('"'),
                    "lts": json.dumps(c["lts"]),
                    "LTS window ends": r.lts_end.isoformat() if r.lts_end else "-",
                    "state": r.state,
                }
            )
    assert got == expected_t
    assert matrix.excluded == (("glyphser-2.1.0", "upgrade gate FAIL for the regulated profile"),)


# --- calendar arithmetic ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2027-01-31", 1, "2027-03-01"),  # February has no 31st: the 1st of the month after
        ("2028-01-31", 1, "2028-03-01"),  # nor in a leap year
        ("2028-01-29", 1, "2028-02-29"),  # the leap day exists in 2028
        ("2027-01-29", 1, "2027-03-01"),  # but not in 2027
        ("2028-02-29", 12, "2029-03-01"),  # leap day + 1 year
        ("2028-02-29", 48, "2032-02-29"),  # back on a leap year
        ("2027-03-31", 1, "2027-05-01"),
        ("2027-12-15", 1, "2028-01-15"),  # year boundary
        ("2027-11-30", 3, "2028-03-01"),  # rolls over from February across the year
        ("2026-08-31", 18, "2028-03-01"),
        ("2027-05-10", 0, "2027-05-10"),
    ],
)
def test_add_months(start: str, months: int, expected: str) -> None:
    assert add_months(date.fromisoformat(start), months) == date.fromisoformat(expected)


@settings(max_examples=300, deadline=None)
@given(st.dates(date(1990, 1, 1), date(2100, 12, 31)), st.integers(0, 240))
def test_add_months_agrees_with_the_deprecation_window_count(start: date, months: int) -> None:
    """An end date is the first day ``months`` whole months later as GSP-E045 counts them."""
    end = add_months(start, months)
    assert months_between(start.isoformat(), end.isoformat()) == months
    if months:
        assert months_between(start.isoformat(), (end - timedelta(days=1)).isoformat()) == months - 1


# --- rules at their boundaries ---------------------------------------------------------------


def _two_cycles() -> list[ReleaseFacts]:
    return [rel("1.0.0", "2027-01-31"), rel("1.1.0", "2027-06-30")]


@pytest.mark.parametrize(
    ("at", "state"),
    [
        ("2027-01-30", "upcoming"),  # the day before the first release
        ("2027-01-31", "supported"),  # release day
        ("2027-06-29", "supported"),  # the day before the next cycle
        ("2027-06-30", "security-only"),  # the next cycle's release day ends active support
        ("2028-12-29", "security-only"),  # the day before eol (2027-06-30 + 18 months)
        ("2028-12-30", "eol"),  # eol is the first day without support
        ("2028-12-30T00:00:00Z", "eol"),  # a UTC time reads as its day
    ],
)
def test_state_at_each_boundary(at: str, state: str) -> None:
    matrix = support_matrix(_two_cycles(), at=at)
    r = row(matrix, "1.0")
    assert (r.support_end, r.eol) == (date(2027, 6, 30), date(2028, 12, 30))
    assert r.state == state
    assert row(matrix, "1.1").state == ("upcoming" if at < "2027-06-30" else "supported")


def test_a_cycle_released_on_the_31st_ends_on_a_clamped_day() -> None:
    matrix = support_matrix([rel("1.0.0", "2026-01-01"), rel("1.1.0", "2027-08-31")], at="2029-03-01")
    r = row(matrix, "1.0")  # core: 18 months after 2027-08-31; February 2029 has no 31st
    assert r.eol == date(2029, 3, 1)
    assert r.state == "eol"
    assert support_matrix([rel("1.0.0", "2026-01-01"), rel("1.1.0", "2027-08-31")], at="2029-02-28").rows[0].state == (
        "security-only"
    )


def test_lts_extends_security_support_and_only_when_declared() -> None:
    plain = support_matrix([rel("1.0.0", "2027-01-31"), rel("1.1.0", "2027-06-30")], at="2029-06-01")
    lts = support_matrix([rel("1.0.0", "2027-01-31", lts=("1.0",)), rel("1.1.0", "2027-06-30")], at="2029-06-01")
    assert (row(plain, "1.0").lts, row(plain, "1.0").lts_end, row(plain, "1.0").state) == (False, None, "eol")
    r = row(lts, "1.0")
    assert (r.lts, r.lts_end, r.eol, r.state) == (True, date(2030, 1, 31), date(2030, 1, 31), "security-only")
    reg = row(lts, "1.0", "regulated")  # 5 years from 2027-01-31 outlasts 36 months after 2027-06-30
    assert (reg.lts_end, reg.eol) == (date(2032, 1, 31), date(2032, 1, 31))


def test_lts_window_shorter_than_the_deprecation_window_changes_nothing() -> None:
    short = tuple(ProfileGuarantee(p, 60, 3) for p in PROFILES)
    matrix = support_matrix(
        [rel("1.0.0", "2027-01-31", lts=("1.0",), guarantees=short), rel("1.1.0", "2027-06-30", guarantees=short)],
        at="2030-01-01",
    )
    r = row(matrix, "1.0")
    assert (r.lts_end, r.eol) == (date(2030, 1, 31), date(2032, 6, 30))


def test_a_later_release_may_declare_an_earlier_cycle_lts() -> None:
    matrix = support_matrix([rel("1.0.0", "2027-01-31"), rel("1.1.0", "2027-06-30", lts=("1.0",))], at="2028-01-01")
    assert row(matrix, "1.0").lts
    assert row(matrix, "1.0").lts_end == date(2030, 1, 31)  # counted from 1.0's own release
    assert not row(matrix, "1.1").lts


def test_the_newest_cycle_is_open_even_when_lts() -> None:
    matrix = support_matrix([rel("1.0.0", "2027-01-31", lts=("1.0",))], at="2040-01-01")
    r = row(matrix, "1.0")
    assert (r.support_end, r.eol, r.state, r.lts_end) == (None, None, "supported", date(2030, 1, 31))
    assert endoflife_cycles(matrix, "glyphser", "core")[0] == {
        "cycle": "1.0",
        "releaseDate": "2027-01-31",
        "support": True,
        "eol": False,
        "latest": "1.0.0",
        "latestReleaseDate": "2027-01-31",
        "lts": True,
    }


def test_latest_is_the_highest_version_not_the_newest_date() -> None:
    releases = [rel("1.2.0", "2027-01-01"), rel("1.2.10", "2027-03-01"), rel("1.2.9", "2027-05-01")]
    r = row(support_matrix(releases, at="2027-06-01"), "1.2")
    assert (r.release_date, r.latest, r.latest_date) == (date(2027, 1, 1), "1.2.10", date(2027, 3, 1))
    assert r.releases == ("glyphser-1.2.0", "glyphser-1.2.10", "glyphser-1.2.9")


def test_profiles_count_only_releases_built_for_them_or_stricter() -> None:
    matrix = support_matrix(
        [rel("1.0.0", "2027-01-01"), rel("1.1.0", "2027-06-01", profile="core")],
        at="2027-07-01",
    )
    assert [c.cycle for c in matrix.cycles("glyphser", "core")] == ["1.1", "1.0"]
    assert [c.cycle for c in matrix.cycles("glyphser", "regulated")] == ["1.0"]
    assert row(matrix, "1.0", "regulated").state == "supported"  # 1.1 does not deprecate it there
    assert row(matrix, "1.0", "core").state == "security-only"


def test_a_failed_release_counts_nowhere_and_is_listed() -> None:
    matrix = support_matrix([rel("1.0.0", "2027-01-01"), rel("1.1.0", "2027-06-01", gate="FAIL")], at="2027-07-01")
    assert all(r.cycle == "1.0" and r.state == "supported" for r in matrix.rows)
    assert matrix.excluded == (("glyphser-1.1.0", "upgrade gate FAIL for the regulated profile"),)


def test_products_are_independent() -> None:
    matrix = support_matrix(
        [rel("1.0.0", "2027-01-01"), rel("2.0.0", "2027-03-01", product="other"), rel("1.1.0", "2027-06-01")],
        at="2027-04-01",
    )
    assert matrix.products == ("glyphser", "other")
    assert row(matrix, "1.0").support_end == date(2027, 6, 1)  # not other's 2.0 release
    assert row(matrix, "2.0", product="other").state == "supported"
    assert [c["cycle"] for c in endoflife_cycles(matrix, "glyphser", "core")] == ["1.1", "1.0"]


def test_the_guarantee_is_the_most_generous_of_the_cycle() -> None:
    small = (ProfileGuarantee("core", 18, 3),)
    big = (ProfileGuarantee("core", 30, 3),)
    matrix = support_matrix(
        [
            rel("1.0.0", "2027-01-01", profile="core", guarantees=small),
            rel("1.0.1", "2027-02-01", profile="core", guarantees=big),
            rel("1.1.0", "2027-06-01", profile="core", guarantees=small),
        ],
        at="2027-07-01",
    )
    assert row(matrix, "1.0").eol == date(2029, 12, 1)


# --- the invariant, for random releases ---------------------------------------------------------

_release = st.builds(
    lambda minor, patch, day, profile, gate, lts, months, years: rel(
        f"1.{minor}.{patch}",
        date.fromordinal(date(2024, 1, 1).toordinal() + day).isoformat(),
        profile=profile,
        gate=gate,
        lts=("1." + str(minor),) if lts else (),
        guarantees=tuple(ProfileGuarantee(p, months, years) for p in PROFILES),
    ),
    st.integers(0, 4),
    st.integers(0, 3),
    st.integers(0, 2000),
    st.sampled_from(PROFILES),
    st.sampled_from(("PASS", "PASS", "FAIL")),
    st.booleans(),
    st.integers(0, 60),
    st.integers(0, 6),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(_release, min_size=1, max_size=8, unique_by=lambda r: r.version), st.integers(0, 4000))
def test_eol_after_support_after_release(releases: list[ReleaseFacts], offset: int) -> None:
    at = date.fromordinal(date(2023, 1, 1).toordinal() + offset).isoformat()
    matrix = support_matrix(releases, at=at)
    for r in matrix.rows:
        assert (r.support_end is None) == (r.eol is None)
        if r.support_end is not None and r.eol is not None:
            assert r.eol >= r.support_end >= r.release_date
        assert r.latest_date >= r.release_date
        if r.lts_end is not None:
            assert r.lts_end >= r.release_date
            assert r.eol is None or r.eol >= r.lts_end
    for product in matrix.products:
        for profile in PROFILES:
            VALIDATOR.validate(endoflife_cycles(matrix, product, profile))


# --- bad input --------------------------------------------------------------------------------


def test_two_releases_of_one_version_with_different_dates_are_refused() -> None:
    a = rel("1.0.0", "2027-01-01")
    b = dataclasses.replace(rel("1.0.0", "2027-02-01"), release_id="glyphser-1.0.0-again", source="again/build.json")
    with pytest.raises(InputError) as exc:
        support_matrix([a, b], at="2027-03-01")
    assert "again/build.json: release glyphser-1.0.0-again" in exc.value.message
    assert "glyphser-1.0.0/reports/build.json (glyphser-1.0.0)" in exc.value.message


def test_the_same_release_built_for_two_profiles_counts_once_per_profile() -> None:
    matrix = support_matrix([rel("1.0.0", "2027-01-01", profile="core"), rel("1.0.0", "2027-01-01")], at="2027-03-01")
    assert [(r.profile, r.releases) for r in matrix.rows] == [(p, ("glyphser-1.0.0",)) for p in PROFILES]


def test_a_policy_without_a_guarantee_for_a_counting_profile_is_named() -> None:
    only_core = (ProfileGuarantee("core", 18, 3),)
    with pytest.raises(EvidenceError) as exc:
        support_matrix([rel("1.0.0", "2027-01-01", guarantees=only_core)], at="2027-03-01")
    msg = exc.value.message
    assert "release glyphser-1.0.0" in msg
    assert "evolution/evolution_policy.yaml" in msg
    assert "no guarantee for enterprise" in msg
    # built for core only, the same policy is enough
    assert support_matrix([rel("1.0.0", "2027-01-01", profile="core", guarantees=only_core)], at="2027-03-01").rows


@pytest.mark.parametrize("bad", ["2027-13-01", "yesterday", "2027-02-30", ""])
def test_a_bad_day_is_refused(bad: str) -> None:
    with pytest.raises(InputError, match="at: "):
        support_matrix([rel("1.0.0", "2027-01-01")], at=bad)


def test_bad_profile_gate_and_product_are_refused() -> None:
    with pytest.raises(InputError, match="profile 'gold'"):
        rel("1.0.0", "2027-01-01", profile="gold")
    with pytest.raises(InputError, match="gate verdict 'MAYBE'"):
        rel("1.0.0", "2027-01-01", gate="MAYBE")
    with pytest.raises(InputError, match=r"version '1\.4' is not MAJOR"):
        rel("1.4", "2027-01-01")
    matrix = support_matrix([rel("1.0.0", "2027-01-01")], at="2027-03-01")
    with pytest.raises(UsageError, match="product 'nope'"):
        endoflife_cycles(matrix, "nope", "core")
    with pytest.raises(UsageError, match="profile 'gold'"):
        endoflife_cycles(matrix, "glyphser", "gold")


# --- the API files ------------------------------------------------------------------------------


def _example_matrix():  # type: ignore[no-untyped-def]
    return support_matrix(
        [
            rel("1.3.0", "2025-01-31"),
            rel("1.4.0", "2026-08-31", lts=("1.4",)),
            rel("2.0.0", "2027-08-31", profile="enterprise"),
            rel("0.9.0", "2024-05-01", product="glyphser-lite", profile="core"),
        ],
        at="2028-01-01",
    )


def test_api_files_have_the_endoflife_shape_and_the_documented_layout(tmp_path: Path) -> None:
    written = write_support_api(_example_matrix(), tmp_path)
    names = [p.relative_to(tmp_path).as_posix() for p in written]
    expected = ["api/eol/all.json"]
    for product in ("glyphser", "glyphser-lite"):
        expected += [f"api/eol/{product}.json"] + [f"api/eol/{product}/{p}.json" for p in PROFILES]
    assert sorted(names) == sorted(expected)
    assert json.loads((tmp_path / "api/eol/all.json").read_text()) == ["glyphser", "glyphser-lite"]
    for path in written:
        if path.name == "all.json":
            continue
        doc = json.loads(path.read_text(encoding="utf-8"))
        VALIDATOR.validate(doc)
        assert all(isinstance(c["cycle"], str) for c in doc)
    default = json.loads((tmp_path / "api/eol/glyphser.json").read_text())
    assert default == json.loads((tmp_path / f"api/eol/glyphser/{DEFAULT_PROFILE}.json").read_text())
    assert [c["cycle"] for c in default] == ["2.0", "1.4", "1.3"]
    regulated = json.loads((tmp_path / "api/eol/glyphser/regulated.json").read_text())
    assert [c["cycle"] for c in regulated] == ["1.4", "1.3"]  # 2.0 was built for enterprise only
    assert json.loads((tmp_path / "api/eol/glyphser-lite/regulated.json").read_text()) == []


def test_the_schema_rejects_what_endoflife_does_not_define() -> None:
    good = [{"cycle": "1.0", "releaseDate": "2027-01-01", "eol": False, "latest": "1.0.0"}]
    VALIDATOR.validate(good)
    for bad in (
        [{**good[0], "eol": "soon"}],
        [{**good[0], "releaseDate": "2027-1-1"}],
        [{**good[0], "colour": "green"}],
        [{k: v for k, v in good[0].items() if k != "latest"}],
        good[0],
    ):
        with pytest.raises(jsonschema.ValidationError):
            VALIDATOR.validate(bad)


def test_api_bytes_are_deterministic(tmp_path: Path) -> None:
    a = write_support_api(_example_matrix(), tmp_path / "a")
    b = write_support_api(_example_matrix(), tmp_path / "b")
    assert [p.relative_to(tmp_path / "a") for p in a] == [p.relative_to(tmp_path / "b") for p in b]
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes()
        assert x.read_bytes().endswith(b"\n")
    assert not list((tmp_path / "a").rglob("*.tmp"))


@pytest.mark.parametrize("product", ["all", "../up", "Glyphser", ""])
def test_a_product_that_cannot_name_a_file_writes_nothing(tmp_path: Path, product: str) -> None:
    matrix = support_matrix([rel("1.0.0", "2027-01-01", product=product)], at="2027-03-01")
    with pytest.raises(InputError, match="cannot name a file"):
        write_support_api(matrix, tmp_path)
    assert not list(tmp_path.rglob("*"))
