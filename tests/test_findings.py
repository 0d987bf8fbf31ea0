"""Codes are data: one catalogue, errors and findings carry their code as a field, no message parsing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from glyphserpack import errors
from glyphserpack.findings import CATALOGUE, Finding, Report, finding

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "glyphserpack"
CODE = re.compile(r"GSP-E\d{3}")


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_code_the_package_and_its_docs_use_is_in_the_catalogue() -> None:
    texts = [*_sources(), ROOT / "README.md", ROOT / "archive" / "FORMAT.md", *sorted((ROOT / "docs").glob("*.md"))]
    unknown = {
        f"{p.relative_to(ROOT)}: {code}"
        for p in texts
        for code in CODE.findall(p.read_text(encoding="utf-8"))
        if code not in CATALOGUE
    }
    assert not unknown


def test_catalogue_is_well_formed() -> None:
    assert all(CODE.fullmatch(code) for code in CATALOGUE)
    assert all(sev in ("error", "warning", "info") and title for sev, title in CATALOGUE.values())
    with pytest.raises(ValueError, match="unknown finding code"):
        finding("GSP-E999", "x", "y")


# What parsing a code or a verdict back out of message text looks like.
_PARSING = [
    re.compile(r"in\s+(exc|err|e)\.message\b"),
    re.compile(r"in\s+str\((exc|err|e)\)"),
    re.compile(r"\.message\.(startswith|partition|split|removeprefix)\("),
    re.compile(r"str\((exc|err|e)\)\.(startswith|partition|split)\("),
    re.compile(r"""f["']GSP-E\d{3} """),  # a code glued to the front of a message
    re.compile(r"""\[\{(exc\.)?code\}\]"""),  # ... or to its end
]


def test_nothing_parses_codes_or_verdicts_out_of_message_text() -> None:
    hits = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _sources()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if any(rx.search(line) for rx in _PARSING)
    ]
    assert not hits


def test_errors_carry_their_code_as_a_field() -> None:
    exc = errors.VerificationError("the log is smaller than the old checkpoint", code="GSP-E408")
    assert exc.code == "GSP-E408"
    assert exc.message == "the log is smaller than the old checkpoint"
    assert str(exc) == "GSP-E408 the log is smaller than the old checkpoint"
    assert exc.diagnostics().startswith("GSP-E408 the log")
    assert errors.InputError("no code").code is None
    with pytest.raises(ValueError, match="unknown finding code"):
        errors.PackError("x", code="GSP-E998")


def test_every_report_has_one_shape() -> None:
    from glyphserpack.log.audit import AuditReport
    from glyphserpack.log.lifecycle import LifecycleReport
    from glyphserpack.pack.report import PackReport
    from glyphserpack.site.verify import SiteReport
    from glyphserpack.timestamp.renewal import ChainReport
    from glyphserpack.timestamp.verify import TimestampReport

    bad = Finding("GSP-E104", "frame 1", "damaged")
    note = Finding("GSP-E217", "timestamps/link-00", "vouches")
    reports: list[Report] = [
        PackReport(pack="p"),
        TimestampReport(where="t"),
        ChainReport(),
        SiteReport(),
        AuditReport(),
        LifecycleReport({}, []),
    ]
    for report in reports:
        assert isinstance(report, Report)
        assert report.valid
        report.findings.append(note)
        assert report.valid, type(report).__name__
        doc = report.to_dict()
        assert doc["valid"] is True, type(report).__name__
        assert doc["findings"] == [note.to_dict()], type(report).__name__
        report.findings.append(bad)
        assert not report.valid, type(report).__name__
        assert report.to_dict()["valid"] is False, type(report).__name__
        assert report.codes == ["GSP-E104", "GSP-E217"]
