"""``check(tree, profile)``: everything that decides a verdict, numbered like the seed's procedure.

1. Resolve the target profile and its mandatory set (``profiles``).
2–9. Run the content rules of every present document (``rules``), in section order.
10. Verify signatures against the tree's trust store, derive every certificate's status at
    the release time (``status``: the one rule the site and ``log state`` use too), check
    certificates against the release bindings and recompute what they sign: trust store,
    revocation set at their verification time, trace (``bindings``).
11. Evaluate roadmap readiness (workstreams 12–40) against this release's gate.
12. Reduce fail-dominantly to workstream verdicts and ``upgrade_gate_verdict``; build reports.
"""

from __future__ import annotations

from typing import Any

from glyphserpack.evidence.attest.sbom import check_release_sbom
from glyphserpack.evidence.bindings import certificate_bindings
from glyphserpack.evidence.certificates import SIGNED_KINDS
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.evidence.productization import CertificationBundle
from glyphserpack.evidence.profiles import profile_rank, resolve_items
from glyphserpack.evidence.readiness import ROADMAP_WORKSTREAMS, WorkstreamReadiness
from glyphserpack.evidence.reports import attach_reports
from glyphserpack.evidence.results import CheckResult, ReadinessRow, RegistryEntry
from glyphserpack.evidence.rules import RULES
from glyphserpack.evidence.status import CertificateStatus, certificate_status, document_signature_status, tree_facts
from glyphserpack.evidence.verdicts import reduce_verdicts, workstream_for_path
from glyphserpack.findings import Finding, finding

__all__ = ["CheckResult", "ReadinessRow", "RegistryEntry", "check"]


#: kind -> the field that must be unique across documents of that kind ("" = one document only)
_IDENTITY = {
    "profile_bundle": "",
    "observability_mapping": "",
    "certification_bundle": "",
    "reference_stack": "",
    "external_interfaces": "",
    "evolution_policy": "",
    "performance_tiers": "",
    "chaos_proof_pack": "",
    "security_case": "profile_id",
    "run_evidence": "run_id",
    "execution_certificate": "run_id",
    "certification_record": "record_id",
    "revocation": "revocation_id",
}


def _duplicates(tree: EvidenceTree, out: list[tuple[str, Finding]]) -> None:
    """One identity, one document: otherwise which one a report hashes would be arbitrary."""
    for kind, key in _IDENTITY.items():
        first: dict[object, str] = {}
        for doc in tree.by_kind(kind):
            ident = doc.obj.get(key) if key else kind
            if ident in first:
                what = f"{key} {ident}" if key else f"a second {kind}"
                detail = f"{what} (first in {first[ident]})"
                out.append((workstream_for_path(tree, doc.path), finding("GSP-E010", doc.path, detail)))
            else:
                first[ident] = doc.path


def _verify_signatures(tree: EvidenceTree, out: list[tuple[str, Finding]]) -> dict[str, bool]:
    ok: dict[str, bool] = {}
    for doc in sorted((d for d in tree.documents.values() if d.envelope is not None), key=lambda d: d.path):
        assert doc.envelope is not None
        _, time_field, purpose = SIGNED_KINDS[doc.kind]
        model: Any = doc.model
        when = getattr(model, time_field)
        status = document_signature_status(tree, doc)
        ws = workstream_for_path(tree, doc.path)
        if status == "bad_signature":
            out.append((ws, finding("GSP-E007", doc.path, f"signature by key {model.key_id[:16]}… does not verify")))
        elif status != "ok":
            out.append(
                (
                    ws,
                    finding(
                        "GSP-E008",
                        doc.path,
                        f"key {model.key_id[:16]}… is {status} for {purpose} at {time_field} {when}",
                    ),
                )
            )
        ok[doc.path] = status == "ok"
    return ok


def _revocations(
    tree: EvidenceTree, sig_ok: dict[str, bool], out: list[tuple[str, Finding]]
) -> dict[tuple[str, str], Any]:
    revoked: dict[tuple[str, str], Any] = {}
    for doc in tree.by_kind("revocation"):
        rev: Any = doc.model
        target = tree.documents.get(rev.target.path)
        if target is not None and target.kind != rev.target_kind:
            out.append(
                (
                    "I.C",
                    finding(
                        "GSP-E015", doc.path, f"target: {rev.target.path} is a {target.kind}, not {rev.target_kind}"
                    ),
                )
            )
        if sig_ok.get(doc.path):
            revoked[(rev.target.path, rev.target.sha256)] = rev
    return revoked


def _registry(
    tree: EvidenceTree, statuses: dict[str, CertificateStatus]
) -> tuple[list[RegistryEntry], dict[str, list[Document]]]:
    """Certification records with their status at the release time; the valid bundled ones count."""
    bundled = {
        link.path
        for b in tree.by_kind("certification_bundle")
        for link in b.as_(CertificationBundle).certification_records
    }
    entries: list[RegistryEntry] = []
    valid: dict[str, list[Document]] = {}
    for doc in tree.by_kind("certification_record"):
        r: Any = doc.model
        st = statuses[doc.path]
        if st.status == "valid" and doc.path in bundled:
            valid.setdefault(r.subject.adapter_kind, []).append(doc)
        entries.append(
            RegistryEntry(
                r.record_id,
                doc.path,
                r.certificate_class,
                r.subject.adapter_id,
                r.subject.adapter_kind,
                st.status,
                "" if st.status == "valid" else st.reason,
            )
        )
    return sorted(entries, key=lambda e: e.record_id), valid


def _certificates(
    tree: EvidenceTree,
    revoked: dict[tuple[str, str], Any],
    statuses: dict[str, CertificateStatus],
    out: list[tuple[str, Finding]],
) -> None:
    want_dp = tree.manifest.determinism_profile.sha256
    for doc in tree.by_kind("execution_certificate"):
        c: Any = doc.model
        if c.verification_time_utc > c.valid_until_utc:
            out.append(
                (
                    "R.1",
                    finding(
                        "GSP-E014",
                        doc.path,
                        f"valid_until_utc {c.valid_until_utc} < verification_time_utc {c.verification_time_utc}",
                    ),
                )
            )
        if c.step_start > c.step_end:
            out.append(("R.1", finding("GSP-E015", doc.path, "step_start: after step_end")))
        if c.determinism_profile_hash.hex() != want_dp:
            out.append(
                (
                    "R.1",
                    finding(
                        "GSP-E015", doc.path, "determinism_profile_hash: differs from the release's determinism profile"
                    ),
                )
            )
        rev = revoked.get((doc.path, doc.sha256))
        if rev is not None and statuses[doc.path].status == "revoked":  # revoked at the release time
            out.append(("R.1", finding("GSP-E013", doc.path, f"revoked by {rev.revocation_id}: {rev.reason_code}")))
    out.extend(("R.1", f) for f in certificate_bindings(tree))


def _readiness(tree: EvidenceTree, profile: str, out: list[tuple[str, Finding]]) -> list[ReadinessRow]:
    from glyphserpack import canonical

    docs: dict[str, Document] = {}
    for doc in tree.by_kind("workstream_readiness"):
        wid = doc.as_(WorkstreamReadiness).workstream_id
        if wid in docs:
            out.append((wid, finding("GSP-E010", doc.path, f"workstream_id {wid} also in {docs[wid].path}")))
            continue
        docs[wid] = doc
    rows: list[ReadinessRow] = []
    for wid, (section, title) in sorted(ROADMAP_WORKSTREAMS.items()):
        found = docs.get(wid)
        if found is None:
            rows.append(ReadinessRow(wid, section, title, "missing", "MISSING", True, 0, (), ""))
            continue
        doc, w = found, found.as_(WorkstreamReadiness)
        if (w.roadmap_section, w.title) != (section, title):
            out.append((wid, finding("GSP-E015", doc.path, f"roadmap_section/title: expected {section} {title!r}")))
        gate = w.release_gate_binding
        gating = (
            gate.enforcement == "blocking" and profile in gate.profiles and gate.target_release == tree.manifest.version
        )
        reasons = []
        if w.status != "ready":
            reasons.append(f"status is {w.status}")
        reasons += [f"criterion {c.criterion_id} not met" for c in w.success_criteria if not c.met]
        open_blockers = [b for b in w.blockers if b.state == "open"]
        blocking = tuple((wid, b.blocker_id, b.description) for b in open_blockers if b.severity == "release_blocking")
        reasons += [f"blocker {b[1]} open" for b in blocking]
        arts = w.evidence_artifact_format.artifacts
        if not arts:
            reasons.append("no evidence artifacts")
        reasons += [f"artifact {a.path} not verified" for a in arts if not tree.link_ok(a)]
        if gating and reasons:
            out.append(
                (wid, finding("GSP-E011", doc.path, f"gates {gate.gate_id} for {profile}: {'; '.join(reasons)}"))
            )
        rows.append(
            ReadinessRow(
                wid,
                section,
                title,
                w.status,
                "NOT_READY" if reasons else "READY",
                gating,
                len(open_blockers),
                blocking if gating else (),
                canonical.object_digest(doc.obj).hex(),
            )
        )
    return rows


def check(tree: EvidenceTree, profile: str) -> CheckResult:
    """Check a loaded tree against ``profile`` (core, enterprise or regulated); never raises on content."""
    profile_rank(profile)  # 1: refuse unknown profiles before doing any work
    attributed: list[tuple[str, Finding]] = [(workstream_for_path(tree, f.where), f) for f in tree.findings]
    for doc in sorted(tree.documents.values(), key=lambda d: d.path):  # 2-9
        rule = RULES.get(doc.kind)
        if rule is not None:
            ws = workstream_for_path(tree, doc.path)
            attributed.extend((ws, f) for f in rule(tree, doc, profile))
    attributed.extend(("R.1", f) for f in check_release_sbom(tree))  # the release SBOM's content
    _duplicates(tree, attributed)
    sig_ok = _verify_signatures(tree, attributed)  # 10
    revoked = _revocations(tree, sig_ok, attributed)
    at = tree.manifest.release_time_utc
    statuses = {p: certificate_status(f, at) for p, f in tree_facts(tree).items()}
    registry, valid = _registry(tree, statuses)
    _certificates(tree, revoked, statuses, attributed)
    readiness = _readiness(tree, profile, attributed)  # 11
    items = resolve_items(tree, profile, valid)
    for st in items:
        if not st.present:
            detail = f"{st.item.description} is mandatory for profile {profile} (e.g. {st.item.example_path})"
            attributed.append((st.item.workstream_id, finding("GSP-E003", st.item.item_id, detail)))
    required = {st.item.workstream_id for st in items}
    present = {workstream_for_path(tree, p) for p in tree.documents}
    workstreams, verdict, first_fail = reduce_verdicts(attributed, required, present)  # 12
    result = CheckResult(
        profile=profile,
        tree=tree,
        findings=tuple(sorted({f for _, f in attributed})),
        workstreams=tuple(workstreams),
        upgrade_gate_verdict=verdict,
        first_failing_workstream=first_fail,
        items=tuple(items),
        registry=tuple(registry),
        readiness=tuple(readiness),
        signatures_ok=sum(sig_ok.values()),
        signatures_total=len(sig_ok),
        statuses=statuses,
    )
    return attach_reports(result)
