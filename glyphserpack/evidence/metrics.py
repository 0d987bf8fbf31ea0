"""The three productization metrics, computed from what the attachments say (issue 13, item 4).

Formulas (binary64, rounded to 4 decimals; docs/evidence.md has a worked example):

* ``interop_pass_rate`` = Σ passed / Σ (tests − skipped) over the *parsed* JUnit report of
  every suite: each SDK report and each conformance report of the certification bundle,
  advisory suites included. A report that cannot be read counts as 0 passed of its claimed
  total. 0.0 when nothing ran.
* ``third_party_verifiability_score`` = claims re-derived / claims made, over the claim
  inventory of :mod:`glyphserpack.evidence.claims`; 0.0 when the tree makes no claim.
* ``adoption_days_estimate`` = BASE_DAYS[profile] + W_MISSING × mandatory items missing
  + W_FAILING × mandatory items present but failing (an error finding on one of their files)
  + W_BLOCKER × open release_blocking blockers + W_MINOR × open non_blocking blockers
  + (1 − interop_pass_rate) × BASE_DAYS[profile].

Everything is taken from the :class:`CheckResult` (its items, findings and tree); nothing here
calls ``check`` again.
"""

from __future__ import annotations

from dataclasses import dataclass

from glyphserpack.evidence.attest.junit import read_junit
from glyphserpack.evidence.claims import verifiability_score
from glyphserpack.evidence.models import HashLink
from glyphserpack.evidence.productization import CertificationBundle, ExternalInterfaces
from glyphserpack.evidence.readiness import WorkstreamReadiness
from glyphserpack.evidence.results import CheckResult

__all__ = [
    "BASE_DAYS",
    "W_BLOCKER",
    "W_FAILING",
    "W_MINOR",
    "W_MISSING",
    "MetricInputs",
    "metric_inputs",
    "metrics",
]

#: Onboarding effort of a clean release, in days, per profile (the seeds' adoption targets).
BASE_DAYS = {"core": 2.0, "enterprise": 10.0, "regulated": 20.0}
#: Days per mandatory item the release does not carry (producing the evidence from scratch).
W_MISSING = 3.0
#: Days per mandatory item present but contradicted by a finding (fixing and re-running it).
W_FAILING = 2.0
#: Days per open release_blocking blocker of a workstream (a release-sized fix).
W_BLOCKER = 5.0
#: Days per open non_blocking blocker (a workaround to document and live with).
W_MINOR = 0.5


@dataclass(frozen=True)
class MetricInputs:
    """The counts the three formulas read; kept so docs and tests can show the arithmetic."""

    passed: int
    ran: int
    claims_rederived: int
    claims_total: int
    items_missing: int
    items_failing: int
    blockers_open: int
    minor_open: int


def _suite_reports(result: CheckResult) -> list[tuple[HashLink, int]]:
    """(report link, claimed total) of every SDK and conformance suite, advisory ones included."""
    tree = result.tree
    out: list[tuple[HashLink, int]] = []
    for doc in tree.by_kind("external_interfaces"):
        out += [(s.report, s.tests_total) for s in doc.as_(ExternalInterfaces).sdks]
    for doc in tree.by_kind("certification_bundle"):
        out += [(r.report, r.cases_total) for r in doc.as_(CertificationBundle).conformance_reports]
    return out


def metric_inputs(result: CheckResult) -> MetricInputs:
    """Every count the formulas need, read from the result (attachments parsed once, memoised)."""
    tree = result.tree
    passed = ran = 0
    for link, claimed in _suite_reports(result):
        totals = read_junit(tree, link).totals
        if totals is None:
            ran += claimed  # unreadable: 0 passed of its claimed total
        else:
            passed += totals.passed
            ran += totals.tests - totals.skipped
    rederived, total = verifiability_score(tree, result.findings)
    failing_paths = {f.where for f in result.findings if f.severity == "error"}
    missing = sum(1 for st in result.items if not st.present)
    failing = sum(1 for st in result.items if st.present and failing_paths & set(st.files + st.documents))
    blockers = minor = 0
    for doc in tree.by_kind("workstream_readiness"):
        for b in doc.as_(WorkstreamReadiness).blockers:
            if b.state == "open":
                blockers += b.severity == "release_blocking"
                minor += b.severity == "non_blocking"
    return MetricInputs(passed, ran, rederived, total, missing, failing, blockers, minor)


def metrics(result: CheckResult) -> dict[str, float]:
    """The three productization metrics; formulas in the module docstring and docs/evidence.md."""
    n = metric_inputs(result)
    interop = n.passed / n.ran if n.ran else 0.0
    score = n.claims_rederived / n.claims_total if n.claims_total else 0.0
    base = BASE_DAYS[result.profile]
    days = (
        base
        + W_MISSING * n.items_missing
        + W_FAILING * n.items_failing
        + W_BLOCKER * n.blockers_open
        + W_MINOR * n.minor_open
        + (1.0 - interop) * base
    )
    return {
        "adoption_days_estimate": round(days, 4),
        "interop_pass_rate": round(interop, 4),
        "third_party_verifiability_score": round(score, 4),
    }
