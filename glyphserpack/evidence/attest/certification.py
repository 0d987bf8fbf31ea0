"""Certification records bound to their evidence (issue 13, item 2).

A record of class C for adapter A counts in the registry only when the certification bundle
that lists it carries, for A:

1. a conformance report for every suite class C requires (:data:`REQUIRED_SUITES`), each
   parsed from its JUnit file, passing, with the totals the bundle claims, and blocking: a
   suite the bundle reports as ``enforcement: advisory`` cannot fail the gate, so it cannot
   satisfy a requirement either;
2. a passing reproducibility verdict;
3. a fingerprint whose ``binary_sha256`` equals the binary hash in A's package manifest (the
   record's own ``package.package_manifest``, which must name A);
4. an SBOM in the record's package that is present and pinned.

Only records that are valid at the release time are bound: a revoked, expired or superseded
record no longer claims anything, and the registry already shows why. Anything missing is a
``GSP-E060`` finding naming the bundle (the claim), the record and the absent evidence; a
conformance report whose parsed content contradicts the bundle is ``GSP-E061`` on the report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from glyphserpack.evidence.attest.junit import read_junit
from glyphserpack.evidence.attest.reading import read_json
from glyphserpack.evidence.attest.sbom import check_sbom
from glyphserpack.evidence.certificates import CertificationRecord
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.evidence.productization import (
    AdapterFingerprint,
    CertificationBundle,
    ConformanceReport,
    ReproducibilityVerdict,
)
from glyphserpack.evidence.status import certificate_status, tree_facts
from glyphserpack.findings import Finding, finding

__all__ = ["REQUIRED_SUITES", "bind_new_record", "bind_records", "check_conformance_report", "required_suites"]

#: Certificate class family -> the conformance suites a record of that class needs, per adapter.
#: The seeds (I.C) require "conformance harness suite reports" and "reproducibility verdicts";
#: every class runs the core harness, and the classes that store or compute run state must
#: also show that a replay reproduces it.
REQUIRED_SUITES: dict[str, tuple[str, ...]] = {
    "Backend": ("conformance-core", "replay-determinism"),
    "Artifact Store": ("conformance-core", "replay-determinism"),
    "Operator": ("conformance-core",),
}


def required_suites(certificate_class: str) -> tuple[str, ...]:
    """The suites for ``"Certified Backend v1"`` and the like (the class pattern is schema-checked)."""
    family = certificate_class.removeprefix("Certified ").rsplit(" v", 1)[0]
    return REQUIRED_SUITES.get(family, ("conformance-core",))


def check_conformance_report(tree: EvidenceTree, bundle_path: str, r: ConformanceReport) -> Iterator[Finding]:
    """Parse one report and hold its totals against the bundle's claim (``GSP-E061`` on the report)."""
    got = read_junit(tree, r.report)
    if got.absent:
        return  # missing or altered: the loader reported it (GSP-E004/E005)
    claim = (
        f"{bundle_path} claims {r.suite_id} for {r.adapter_id}: "
        f"{r.cases_passed}/{r.cases_total} {r.verdict}{_skips(r.cases_skipped)}"
    )
    totals = got.totals
    if totals is None:
        yield finding(
            "GSP-E061",
            r.report.path,
            f"{claim}; the report cannot be read as JUnit: {got.problem or got.totals_problem}",
        )
        return
    says = (
        f"the report says {totals.tests} tests, {totals.failures} failures, "
        f"{totals.errors} errors, {totals.skipped} skipped"
    )
    counts_differ = (totals.tests, totals.passed, totals.skipped) != (r.cases_total, r.cases_passed, r.cases_skipped)
    failing_behind_pass = r.verdict == "PASS" and (totals.failures > 0 or totals.errors > 0 or totals.tests == 0)
    if counts_differ or failing_behind_pass:
        yield finding("GSP-E061", r.report.path, f"{claim}; {says}")


def _skips(n: int) -> str:
    return f" ({n} skipped)" if n else ""


def _valid_records(tree: EvidenceTree, bundle: CertificationBundle) -> list[Document]:
    """The bundle's records that are valid at the release time (the ones the registry counts)."""
    docs = [tree.documents.get(link.path) for link in bundle.certification_records]
    records = [d for d in docs if d is not None and d.kind == "certification_record"]
    if not records:
        return []
    facts = tree_facts(tree)
    at = tree.manifest.release_time_utc
    return [d for d in records if d.path in facts and certificate_status(facts[d.path], at).status == "valid"]


@dataclass(frozen=True)
class _ByAdapter:
    """The bundle's reports, reproducibility verdicts and fingerprints indexed by adapter once:
    looking them up per record by scanning made binding N records against N adapters quadratic."""

    reports: dict[str, dict[str, ConformanceReport]]
    repro: dict[str, list[ReproducibilityVerdict]]
    prints: dict[str, list[AdapterFingerprint]]

    @classmethod
    def of(cls, b: CertificationBundle) -> _ByAdapter:
        reports: dict[str, dict[str, ConformanceReport]] = defaultdict(dict)
        for r in b.conformance_reports:
            reports[r.adapter_id][r.suite_id] = r  # the last one wins, as before
        repro: dict[str, list[ReproducibilityVerdict]] = defaultdict(list)
        for v in b.reproducibility_verdicts:
            repro[v.adapter_id].append(v)
        prints: dict[str, list[AdapterFingerprint]] = defaultdict(list)
        for f in b.adapter_fingerprints:
            prints[f.adapter_id].append(f)
        return cls(dict(reports), dict(repro), dict(prints))


def _bind_one(
    tree: EvidenceTree, bundle_path: str, by: _ByAdapter, rec: CertificationRecord, rec_path: str
) -> Iterator[Finding]:
    a = rec.subject.adapter_id
    head = f"{rec.certificate_class} record {rec.record_id} ({rec_path}) for {a}"

    def missing(what: str) -> Finding:
        return finding("GSP-E060", bundle_path, f"{head}: {what}")

    # 1. every required suite: a report in the bundle, for this adapter, passing
    reports = by.reports.get(a, {})
    for suite in required_suites(rec.certificate_class):
        r = reports.get(suite)
        if r is None:
            yield missing(f"no conformance report for required suite {suite}")
        elif r.enforcement == "advisory":
            yield missing(f"conformance report {r.report.path} for required suite {suite} is advisory, not blocking")
        elif r.verdict != "PASS" or r.cases_passed + r.cases_skipped != r.cases_total:
            yield missing(f"conformance report {r.report.path} for {suite} is not passing")
    # 2. a passing reproducibility verdict
    repro = by.repro.get(a, [])
    if not repro:
        yield missing("no reproducibility verdict")
    elif any(v.verdict != "PASS" for v in repro):
        yield missing("reproducibility verdict is FAIL")
    # 3. a fingerprint equal to the binary hash in the adapter's package manifest
    prints = by.prints.get(a, [])
    manifest_link = rec.package.package_manifest
    got = read_json(tree, manifest_link)
    pkg = got.obj if got.data is not None else None
    if not prints:
        yield missing("no adapter fingerprint")
    elif any(f.adapter_kind != rec.subject.adapter_kind for f in prints):
        yield missing(f"fingerprint adapter_kind differs from the record's {rec.subject.adapter_kind}")
    if got.data is None:
        yield missing(f"package manifest {manifest_link.path} unusable: {got.problem}")
    else:
        yield from _package_binding(bundle_path, head, manifest_link.path, pkg, a, [f.binary_sha256 for f in prints])
    # 4. an SBOM in the record's package
    sbom = rec.package.sbom
    if not tree.link_ok(sbom):
        yield missing(f"SBOM {sbom.path} missing or altered")
    else:
        yield from check_sbom(tree, sbom, claimed_by=rec_path)


def _package_binding(
    bundle_path: str, head: str, manifest_path: str, pkg: Any, adapter: str, fingerprints: list[str]
) -> Iterator[Finding]:
    if not isinstance(pkg, dict):
        yield finding("GSP-E060", bundle_path, f"{head}: package manifest {manifest_path} is not a JSON object")
        return
    if pkg.get("adapter_id") != adapter:
        yield finding(
            "GSP-E060", bundle_path, f"{head}: package manifest {manifest_path} is for {pkg.get('adapter_id')!r}"
        )
    binary = pkg.get("binary_sha256")
    if not isinstance(binary, str):
        yield finding("GSP-E060", bundle_path, f"{head}: package manifest {manifest_path} has no binary_sha256")
    elif fingerprints and binary not in fingerprints:
        yield finding(
            "GSP-E060",
            bundle_path,
            f"{head}: adapter fingerprint {', '.join(fingerprints)} matches no package: "
            f"{manifest_path} says binary_sha256 {binary}",
        )


def bind_records(tree: EvidenceTree, doc: Document) -> Iterator[Finding]:
    """Steps 1-4 for every valid record of the bundle ``doc``, then every report's parsed totals."""
    b = doc.as_(CertificationBundle)
    for r in b.conformance_reports:
        yield from check_conformance_report(tree, doc.path, r)
    by = _ByAdapter.of(b)
    for rec in _valid_records(tree, b):
        yield from _bind_one(tree, doc.path, by, rec.as_(CertificationRecord), rec.path)


def bind_new_record(tree: EvidenceTree, rec: CertificationRecord, *, path: str) -> list[Finding]:
    """Steps 1-4 for a record not yet in the tree (``cert issue`` checks before it signs).

    The record is held against every certification bundle of the tree, as ``check`` will
    once it is listed there; with no bundle there is no conformance evidence to bind to.
    """
    bundles = tree.by_kind("certification_bundle")
    if not bundles:
        return [finding("GSP-E060", path, f"{rec.record_id}: the evidence tree has no certification_bundle")]
    out: list[Finding] = []
    for doc in bundles:
        b = doc.as_(CertificationBundle)
        for r in b.conformance_reports:
            if r.adapter_id == rec.subject.adapter_id:
                out.extend(check_conformance_report(tree, doc.path, r))
        out.extend(_bind_one(tree, doc.path, _ByAdapter.of(b), rec, path))
    return out
