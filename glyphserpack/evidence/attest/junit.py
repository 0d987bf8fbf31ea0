"""JUnit XML: an SDK's report parsed with junitparser; its counts are what the evidence claims.

Counts are recomputed from the ``<testcase>`` elements (a case's first result decides:
failure, error or skipped, otherwise passed), checked against each suite's own attributes and
then against the evidence's ``tests_*`` claims. The size is checked before parsing, and a
document type declaration (entities) is refused: a test report never needs one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from junitparser import Error, Failure, JUnitXml, JUnitXmlError, Skipped, TestSuite

from glyphserpack.evidence.attest.reading import AttachmentError, linked_bytes, memoised
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import HashLink
from glyphserpack.evidence.productization import SdkConformance
from glyphserpack.findings import Finding, finding

__all__ = ["JUNIT_LIMIT", "Counts", "JunitRead", "check_sdk_report", "count_cases", "parse_junit", "read_junit"]

#: Largest JUnit report parsed. A real SDK conformance report is a few MB at most.
JUNIT_LIMIT = 32 * 1024 * 1024


@dataclass(frozen=True)
class Counts:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.tests + other.tests,
            self.failures + other.failures,
            self.errors + other.errors,
            self.skipped + other.skipped,
        )


def count_cases(suite: TestSuite) -> Counts:
    """Counts recomputed from a suite's ``<testcase>`` elements."""
    failures = errors = skipped = tests = 0
    for case in suite:
        tests += 1
        results = case.result
        if results:
            first = results[0]
            failures += isinstance(first, Failure)
            errors += isinstance(first, Error)
            skipped += isinstance(first, Skipped)
    return Counts(tests, failures, errors, skipped)


def _attr(suite: TestSuite, name: str) -> int | None:
    raw = suite._elem.get(name)  # junitparser's typed properties default missing attributes to 0
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return -1


def _suites(data: bytes) -> list[TestSuite]:
    """The ``<testsuite>`` elements of a report; ValueError, with a reason, when it is not JUnit XML."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValueError("has a DOCTYPE (document type declaration) or entity declaration (refused)")
    try:
        xml = JUnitXml.fromstring(data)
    except SyntaxError as exc:
        # junitparser parses with lxml when it is installed, else with xml.etree: their errors
        # (lxml.etree.XMLSyntaxError, xml.etree.ElementTree.ParseError) share only SyntaxError
        raise ValueError(f"not well-formed XML ({exc.msg})") from None
    except JUnitXmlError:
        raise ValueError("root element is not <testsuites> or <testsuite>") from None
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    if not suites:
        raise ValueError("has no <testsuite>")
    return suites


def _totals(suites: list[TestSuite]) -> Counts:
    total = Counts()
    for suite in suites:
        counted = count_cases(suite)
        stated = {a: _attr(suite, a) for a in ("tests", "failures", "errors", "skipped")}
        for attr, value in stated.items():
            if value is not None and value < 0:
                raise ValueError(f"<testsuite {suite.name or ''}> {attr} is not a whole number")
        declared = stated["tests"] or 0
        if counted.tests > declared:
            raise ValueError(
                f"<testsuite {suite.name or ''}> holds {counted.tests} cases but declares tests={declared}"
            )
        total += Counts(
            declared,
            max(stated["failures"] or 0, counted.failures),
            max(stated["errors"] or 0, counted.errors),
            max(stated["skipped"] or 0, counted.skipped),
        )
    return total


def parse_junit(data: bytes) -> Counts:
    """Totals of a conformance report (certification binding); ValueError, with a reason, when it is not JUnit.

    Declared ``tests`` count (a suite may list fewer cases than it ran), but never fewer than
    the listed cases; failures, errors and skips are the larger of what a suite states and what
    its cases show, so a report cannot claim to pass over a failing case.
    """
    return _totals(_suites(data))


@dataclass(frozen=True)
class JunitRead:
    """One JUnit attachment, read and parsed once per check (:func:`read_junit`).

    ``absent``: missing or altered, which the loader already reported. ``problem``: why it
    cannot be read as JUnit at all (too large, not XML). Otherwise ``suites`` holds its
    ``<testsuite>`` elements and ``totals`` the :func:`parse_junit` totals, or ``totals_problem``
    when the suites disagree with themselves in a way no total can be taken from.
    """

    absent: bool = False
    problem: str = ""
    suites: tuple[TestSuite, ...] = ()
    totals: Counts | None = None
    totals_problem: str = ""


def read_junit(tree: EvidenceTree, link: HashLink) -> JunitRead:
    """The JUnit report behind ``link``, memoised per tree by (path, sha256): checks and metrics share one parse."""
    return memoised(tree, "junit", link, lambda: _read_junit(tree, link))


def _read_junit(tree: EvidenceTree, link: HashLink) -> JunitRead:
    try:
        data = linked_bytes(tree, link, limit=JUNIT_LIMIT)
    except AttachmentError as exc:
        return JunitRead(problem=exc.reason)
    if data is None:
        return JunitRead(absent=True)
    try:
        suites = _suites(data)
    except ValueError as exc:
        return JunitRead(problem=f"not JUnit XML: {exc}")
    try:
        return JunitRead(suites=tuple(suites), totals=_totals(suites))
    except ValueError as exc:
        return JunitRead(suites=tuple(suites), totals_problem=str(exc))


def check_sdk_report(tree: EvidenceTree, doc_path: str, i: int, sdk: SdkConformance) -> Iterator[Finding]:
    """GSP-E034 when the report is unreadable or disagrees with itself, GSP-E035 when it contradicts the claim."""
    name = sdk.report.path
    who = f"{doc_path} sdks[{i}] ({sdk.language})"
    got = read_junit(tree, sdk.report)
    if got.absent:
        return
    if got.problem:
        yield finding("GSP-E034", name, f"{who} report: {got.problem}")
        return
    total = Counts()
    for suite in got.suites:
        counted = count_cases(suite)
        total += counted
        for attr, value in (
            ("tests", counted.tests),
            ("failures", counted.failures),
            ("errors", counted.errors),
            ("skipped", counted.skipped),
        ):
            stated = _attr(suite, attr)
            if stated is not None and stated != value:
                yield finding(
                    "GSP-E034",
                    name,
                    f"suite {suite.name!r} states {attr}={stated} but lists {value} such <testcase> elements",
                )
    claimed = Counts(sdk.tests_total, sdk.tests_failed, sdk.tests_errors, sdk.tests_skipped)
    for label, claim, actual in (
        ("tests_total", claimed.tests, total.tests),
        ("tests_passed", sdk.tests_passed, total.passed),
        ("tests_failed", claimed.failures, total.failures),
        ("tests_errors", claimed.errors, total.errors),
        ("tests_skipped", claimed.skipped, total.skipped),
    ):
        if claim != actual:
            yield finding("GSP-E035", name, f"{who} claims {label} {claim}; the report has {actual}")
