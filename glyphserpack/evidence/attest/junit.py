"""Totals of a JUnit XML conformance report, read as hostile input.

Only what the certification binding needs: cases, failures, errors and skips summed over
every ``<testsuite>``. A ``<testcase>`` holding ``<failure>`` or ``<error>`` counts even when
the suite's attributes say zero, so a report cannot claim to pass over a failing case. XML
with a DOCTYPE is refused before parsing (no entity expansion, no external references).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

__all__ = ["JUnitTotals", "parse_junit"]


@dataclass(frozen=True)
class JUnitTotals:
    """What a JUnit report says: ``passed`` is what the evidence's ``cases_passed`` must equal."""

    tests: int
    failures: int
    errors: int
    skipped: int

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped


def _int(elem: ET.Element, name: str) -> int:
    raw = elem.get(name, "0")
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"<{elem.tag}> {name}={raw!r} is not a whole number") from None
    if value < 0:
        raise ValueError(f"<{elem.tag}> {name}={raw!r} is negative")
    return value


def parse_junit(data: bytes) -> JUnitTotals:
    """The summed totals of ``data``; ValueError (with a reason for people) when it is not JUnit."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValueError("has a DOCTYPE or entity declaration (refused)")
    try:
        root = ET.fromstring(data)  # noqa: S314  (DOCTYPE refused above)
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from None
    if root.tag == "testsuite":
        suites = [root]
    elif root.tag == "testsuites":
        suites = list(root.iter("testsuite"))
    else:
        raise ValueError(f"root element is <{root.tag}>, not <testsuites> or <testsuite>")
    if not suites:
        raise ValueError("has no <testsuite>")
    tests = failures = errors = skipped = 0
    for s in suites:
        cases = list(s.iter("testcase"))
        failed = sum(1 for c in cases if c.find("failure") is not None)
        errored = sum(1 for c in cases if c.find("error") is not None)
        skips = sum(1 for c in cases if c.find("skipped") is not None)
        declared = _int(s, "tests")
        if len(cases) > declared:
            raise ValueError(f"<testsuite {s.get('name', '')}> holds {len(cases)} cases but declares tests={declared}")
        tests += declared
        failures += max(_int(s, "failures"), failed)
        errors += max(_int(s, "errors"), errored)
        skipped += max(_int(s, "skipped"), skips)
    return JUnitTotals(tests, failures, errors, skipped)
