"""The adapter from the evidence model (and packs) to the site's typed context.

This is the only module that reads evidence documents' fields; templates see only
:class:`~glyphserpack.site.context.SiteContext`. When the evidence model changes shape,
this file changes and nothing else in the site does.

Certificate status is not decided here: it is :func:`glyphserpack.evidence.status.certificate_status`
at the release's own ``release_time_utc`` (never the build machine's clock), the same rule
``check`` and ``log state`` use, so the registry can never contradict the gate.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from glyphserpack import canonical
from glyphserpack._internal import jsonout
from glyphserpack.evidence.kinds import KINDS
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.evidence.models import PROFILES
from glyphserpack.evidence.status import (
    CERTIFICATE_KINDS,
    CertificateFacts,
    certificate_status,
    issued_time,
    tree_facts,
)
from glyphserpack.site import packs as packinfo
from glyphserpack.site.cachekey import code_fingerprint
from glyphserpack.site.context import (
    CertRecord,
    ChaosScenarioRow,
    ControlRow,
    EvidenceFile,
    Field,
    GuaranteeRow,
    Link,
    PackRecord,
    ProfileRow,
    RevocationRow,
    SecurityCasePage,
    SiteContext,
    TierRow,
    VerdictRow,
    WorkstreamRow,
    cert_page,
    download_path,
    file_anchor,
)
from glyphserpack.site.leftout import left_out
from glyphserpack.trust import TrustStore

__all__ = ["build_context", "published_files"]


def _m(doc: Document) -> Any:
    return doc.model


def published_files(tree: EvidenceTree) -> dict[str, str]:
    """path -> sha256 of every intact file the site republishes (manifest, documents, attachments)."""
    out = {lc.path: lc.expected for lc in tree.links if lc.ok}
    for path, doc in tree.documents.items():
        out[path] = doc.sha256
    out[tree.manifest_path] = hashlib.sha256((tree.root / tree.manifest_path).read_bytes()).hexdigest()
    return out


class _Linker:
    """Turns a path + SHA-256 into the link a page shows: certificate page or evidence anchor."""

    def __init__(self, tree: EvidenceTree, cert_paths: dict[str, str]) -> None:
        self.ok = set(published_files(tree).items())
        self.cert_paths = cert_paths

    def link(self, path: str, sha256: str, label: str | None = None) -> Link:
        ok = (path, sha256) in self.ok
        if self.cert_paths.get(path) == sha256:
            return Link(label or path, sha256, cert_page(sha256), ok)
        return Link(label or path, sha256, file_anchor(sha256), ok)

    def of(self, hl: Any, label: str | None = None) -> Link:
        return self.link(str(hl.path), str(hl.sha256), label)

    def doc(self, doc: Document, label: str | None = None) -> Link:
        return self.link(doc.path, doc.sha256, label)


def _hex(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)


def _flat(obj: object, prefix: str = "") -> list[tuple[str, str]]:
    """Nested values as (dotted.name, text) pairs, in key order, for field tables."""
    if isinstance(obj, dict):
        out: list[tuple[str, str]] = []
        for k in sorted(obj):
            out.extend(_flat(obj[k], f"{prefix}{k}."))
        return out
    if isinstance(obj, list):
        out = []
        for i, v in enumerate(obj):
            out.extend(_flat(v, f"{prefix}{i}."))
        return out
    return [(prefix.rstrip("."), _hex(obj))]


def _signature(tree: EvidenceTree, doc: Document, when_field: str, purpose: str) -> tuple[str, str, str]:
    """(result, key_id, key owner) of a signed document, checked at its own signed time."""
    env = doc.envelope
    key_id = str(doc.obj.get("key_id", ""))
    key = tree.trust.get(key_id)
    owner = key.owner if key is not None else "unknown key"
    if env is None:
        return "not signed", key_id, owner
    when = str(doc.obj.get(when_field, ""))
    return str(tree.trust.check(key_id, env.signature, env.signed_payload, when=when, purpose=purpose)), key_id, owner


def _revocations(tree: EvidenceTree, ln: _Linker) -> list[RevocationRow]:
    rows = []
    for doc in tree.by_kind("revocation"):
        m = _m(doc)
        sig, _, _ = _signature(tree, doc, "revoked_utc", "revocation")
        rows.append(
            RevocationRow(
                revocation_id=m.revocation_id,
                sha256=doc.sha256,
                target_kind=m.target_kind,
                target=ln.of(m.target),
                reason_code=m.reason_code,
                revoked_utc=m.revoked_utc,
                issuer=m.issuer,
                signature=sig,
                document=ln.doc(doc, m.revocation_id),
            )
        )
    return sorted(rows, key=lambda r: (r.revoked_utc, r.sha256))


def _certificates(
    tree: EvidenceTree,
    ln: _Linker,
    revocations: list[RevocationRow],
    packs: Sequence[PackRecord],
    facts: dict[str, CertificateFacts],
) -> list[CertRecord]:
    release_time = tree.manifest.release_time_utc
    revoked = {r.target.sha256: r for r in revocations if r.signature == "ok"}
    runs = {str(_m(d).certificate.path): d for d in tree.by_kind("run_evidence")}
    docs = [d for k in CERTIFICATE_KINDS for d in tree.by_kind(k)]
    by_sha = {d.sha256: d for d in docs}
    tstamps = {p.sha256: p.timestamps for p in packs}
    trust_hash = tree.trust.hash().hex()
    out = []
    for d in docs:
        m = _m(d)
        is_exec = d.kind == "execution_certificate"
        sig, key_id, owner = _signature(tree, d, "verification_time_utc" if is_exec else "issued_utc", "certificate")
        st = certificate_status(facts[d.path], release_time)
        status, reason = st.status, st.reason
        rev = revoked.get(d.sha256) if status == "revoked" else None
        sup = by_sha.get(facts[d.path].superseded_by) if status == "superseded" else None
        related: list[Link] = []
        profile = ""
        run = runs.get(d.path)
        if run is not None:
            rm = _m(run)
            profile = rm.profile_id
            related.append(ln.doc(run, f"run evidence {rm.run_id}"))
            related += [ln.of(rm.trace, "trace"), ln.of(rm.checkpoint, "checkpoint")]
            related += [ln.of(t, "policy transcript") for t in rm.policy_transcripts]
            if rm.wal is not None:
                related.append(ln.of(rm.wal, "WAL"))
        if not is_exec:
            pkg = m.package
            related += [ln.of(getattr(pkg, n), n.replace("_", " ")) for n in type(pkg).model_fields]
        in_packs = tuple(p for p in packs if d.path in p.members or d.sha256 in p.members)
        fields = tuple(Field(k, v) for k, v in _flat(d.obj))
        meta = d.envelope.unsigned_metadata if d.envelope is not None else {}
        out.append(
            CertRecord(
                kind=d.kind,  # type: ignore[arg-type]
                ident=m.run_id if is_exec else m.record_id,
                title=(
                    f"Execution certificate {m.run_id}" if is_exec else f"{m.certificate_class}: {m.subject.vendor}"
                ),
                cert_class="Execution certificate" if is_exec else m.certificate_class,
                subject=m.tenant_id
                if is_exec
                else f"{m.subject.vendor} {m.subject.adapter_id} {m.subject.adapter_version}",
                sha256=d.sha256,
                path=d.path,
                issued_utc=issued_time(d),
                valid_until_utc=m.valid_until_utc,
                status=status,
                status_reason=reason,
                signature=sig,
                key_id=key_id,
                key_owner=owner,
                profile=profile or (m.execution_mode if is_exec else ""),
                fields=fields,
                unsigned_metadata=tuple(Field(k, v) for k, v in _flat(meta)),
                related=tuple(related),
                packs=in_packs,
                timestamps=tuple(t for p in in_packs for t in tstamps.get(p.sha256, ())),
                trust_store_path=tree.manifest.trust_store.path,
                trust_store_hash=trust_hash,
                revocation=rev,
                superseded_by=ln.doc(sup, "later record") if sup is not None else None,
                facts=facts[d.path],
            )
        )
    return sorted(out, key=lambda c: (c.kind, c.ident, c.issued_utc, c.sha256))


def _security_cases(tree: EvidenceTree, ln: _Linker) -> list[SecurityCasePage]:
    out = []
    for doc in tree.by_kind("security_case"):
        m = _m(doc)
        controls = []
        for raw, c in zip(doc.obj.get("controls", []), m.controls, strict=True):
            controls.append(
                ControlRow(
                    control_id=c.control_id,
                    digest=canonical.object_digest(raw).hex(),
                    category=c.category,
                    mitigation=c.mitigation,
                    evidence=tuple(ln.of(e) for e in c.evidence_locations),
                    pointers=tuple(e.pointer or "" for e in c.evidence_locations),
                    procedure=c.verification_procedure_ref,
                    verdict=c.verdict,
                )
            )
        verdict = "FAIL" if any(c.verdict == "FAIL" or not all(e.ok for e in c.evidence) for c in controls) else "PASS"
        out.append(
            SecurityCasePage(
                profile=m.profile_id,
                sha256=doc.sha256,
                security_case_hash=canonical.commit_hash("security_case", doc.obj).hex(),
                document=ln.doc(doc),
                assets=tuple((a.id, a.description) for a in m.assets),
                trust_boundaries=tuple((a.id, a.description) for a in m.trust_boundaries),
                attacker_capabilities=tuple((a.id, a.description) for a in m.attacker_capabilities),
                controls=tuple(controls),
                crosswalk=tuple(
                    (
                        x.control_id,
                        ", ".join(x.threat_ids),
                        "; ".join(x.required_mitigations),
                        ", ".join(x.evidence_fields),
                        x.verification_procedure,
                    )
                    for x in m.crosswalk
                ),
                verdict=verdict,
            )
        )
    return sorted(out, key=lambda s: (PROFILES.index(s.profile), s.sha256))


def _first(tree: EvidenceTree, kind: str) -> Document | None:
    docs = tree.by_kind(kind)
    return docs[0] if docs else None


def _evolution(tree: EvidenceTree, version: str, ln: _Linker) -> tuple[Any, ...]:
    doc = _first(tree, "evolution_policy")
    if doc is None:
        return (), (), (), (), None
    m = _m(doc)
    src = ln.doc(doc)
    guarantees = tuple(
        GuaranteeRow(g.profile_id, g.support_months_after_deprecation, g.lts_years, g.statement, src)
        for g in m.guarantees
    )
    deps = tuple(
        (
            d.deprecation_id,
            d.surface,
            d.announced_on,
            d.removal_not_before,
            str(d.deprecated_in_major),
            d.migration_operator,
            str(d.migration_operator_until_major),
            d.migration_guide.sha256,
        )
        for d in m.deprecations
    )
    breaks = tuple(
        (
            b.change_id,
            b.from_version,
            b.to_version,
            b.migration_operator,
            b.migration_evidence.sha256,
            b.migration_guide.sha256,
            "yes" if b.compatibility_table_updated else "no",
        )
        for b in m.breaking_changes
    )
    versions = {version} | {b.from_version for b in m.breaking_changes} | {b.to_version for b in m.breaking_changes}
    by_profile = {g.profile_id: g for g in m.guarantees}
    matrix = []
    for v in sorted(versions, key=lambda s: tuple(int(p) for p in s.split("."))):
        cells = []
        for p in PROFILES:
            g = by_profile.get(p)
            if g is None:
                cells.append("not guaranteed")
            else:
                cells.append(f"LTS {g.lts_years} y, {g.support_months_after_deprecation} mo after deprecation")
        matrix.append((v, tuple(cells)))
    return guarantees, deps, breaks, tuple(matrix), src


def _verdict_key(tree: EvidenceTree) -> str:
    """What the checks' outcome depends on: the manifest (which pins every document and
    attachment by SHA-256), what loading found, the trust store, and the code and toolchain
    (:func:`~glyphserpack.site.cachekey.code_fingerprint`)."""
    h = hashlib.sha256((tree.root / tree.manifest_path).read_bytes())
    h.update(repr(tree.findings).encode() + repr(tree.unreferenced).encode() + tree.trust.hash())
    h.update(code_fingerprint().encode())
    return h.hexdigest()


def _verdicts(
    tree: EvidenceTree, cache: Path | None
) -> tuple[tuple[VerdictRow, ...], tuple[tuple[str, str, str], ...]]:
    """Per-profile upgrade gate verdicts and the three metrics, from the evidence model's checks.

    Checking three profiles is the most expensive step of an unchanged rebuild, so with a
    cache the outcome is kept under a key that commits to everything it depends on.
    """
    import json

    from glyphserpack._internal.fsio import atomic_write

    path = cache / "verdicts" / f"{_verdict_key(tree)}.json" if cache is not None else None
    if path is not None and path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        return (
            tuple(VerdictRow(r[0], r[1], r[2], None) for r in data["rows"]),
            tuple((m[0], m[1], m[2]) for m in data["metrics"]),
        )
    rows, values = _run_checks(tree)
    if path is not None:
        doc = {"rows": [[r.name, r.verdict, r.detail] for r in rows], "metrics": [list(m) for m in values]}
        atomic_write(path, jsonout.dumps(doc, indent=None).encode())
    return rows, values


def _run_checks(tree: EvidenceTree) -> tuple[tuple[VerdictRow, ...], tuple[tuple[str, str, str], ...]]:
    from glyphserpack.evidence.checks import check
    from glyphserpack.evidence.reports import metrics

    rows: list[VerdictRow] = []
    values: list[tuple[str, str, str]] = []
    for p in PROFILES:
        result = check(tree, p)
        first = result.first_failing_workstream
        errors = sum(1 for f in result.findings if f.severity == "error")
        detail = f"{errors} error findings, first failing workstream {first}" if first else f"{errors} error findings"
        rows.append(VerdictRow(p, result.upgrade_gate_verdict, detail, None))
        for name, value in metrics(result).items():
            values.append((p, name, f"{value:g}"))
    return tuple(rows), tuple(values)


def build_context(
    tree: EvidenceTree,
    *,
    packs: Iterable[Path] = (),
    base_url: str = "",
    cache: Path | None = None,
    tsa_roots: Sequence[Any] | None = None,
    pack_trust: TrustStore | None = None,
) -> SiteContext:
    """Derive the whole template context from a loaded tree and the pack files to publish."""
    files = published_files(tree)
    cert_paths = {d.path: d.sha256 for k in ("execution_certificate", "certification_record") for d in tree.by_kind(k)}
    ln = _Linker(tree, cert_paths)
    pack_records = tuple(packinfo.describe(p, tsa_roots=tsa_roots, trust=pack_trust) for p in sorted(packs))
    revocations = _revocations(tree, ln)
    certificates = _certificates(tree, ln, revocations, pack_records, tree_facts(tree))
    rel = tree.manifest
    guarantees, deps, breaks, matrix, evo_src = _evolution(tree, rel.version, ln)
    verdicts, metrics = _verdicts(tree, cache)

    profiles: tuple[ProfileRow, ...] = ()
    graduation: list[tuple[str, str, tuple[VerdictRow, ...]]] = []
    pb = _first(tree, "profile_bundle")
    if pb is not None:
        profiles = tuple(
            ProfileRow(p.profile_id, p.execution_mode, p.topology, p.description, tuple(p.requirements))
            for p in _m(pb).profiles
        )
        for step in _m(pb).graduation:
            gates = tuple(VerdictRow(g.gate_id, g.verdict, "", ln.of(g.evidence)) for g in step.gates)
            graduation.append((step.from_profile, step.to_profile, gates))

    obs = _first(tree, "observability_mapping")
    observability = tuple(
        (x.source_metric, x.otel_name, x.prometheus_name, x.unit, x.instrument)
        for x in (_m(obs).metrics if obs else [])
    )
    obs_traces = tuple((x.source_field, x.otel_attribute, x.scope) for x in (_m(obs).trace_fields if obs else []))

    ifc = _first(tree, "external_interfaces")
    interfaces: tuple[Link, ...] = ()
    sdks: tuple[tuple[str, ...], ...] = ()
    if ifc is not None:
        mi = _m(ifc)
        interfaces = (ln.of(mi.openapi, f"OpenAPI {mi.openapi_version}"), *(ln.of(p) for p in mi.protobuf))
        sdks = tuple(
            (
                s.language,
                s.package,
                s.version,
                s.canonicalization,
                s.replay_safety,
                f"{s.tests_passed}/{s.tests_total}",
                s.report.sha256,
            )
            for s in mi.sdks
        )

    tiers: list[TierRow] = []
    for doc in tree.by_kind("performance_tiers"):
        for t in _m(doc).tiers:
            tiers.append(
                TierRow(
                    t.tier,
                    t.env_manifest_hash,
                    tuple(t.workload_ids),
                    tuple(
                        (x.name, x.unit, f"{x.baseline:g}", f"{x.observed:g}", f"{x.tolerance_ratio:g}")
                        for x in t.metrics
                    ),
                    t.regression_verdict,
                    ln.of(t.baseline),
                    ln.of(t.results),
                )
            )
    chaos: list[ChaosScenarioRow] = []
    chaos_doc = _first(tree, "chaos_proof_pack")
    for doc in tree.by_kind("chaos_proof_pack"):
        for s in _m(doc).scenarios:
            chaos.append(
                ChaosScenarioRow(
                    s.scenario_id,
                    s.category,
                    s.variant,
                    s.fault_injection,
                    tuple((i.invariant, i.verdict) for i in s.invariant_results),
                    ln.of(s.recovery_transcript),
                    s.final_recovery_verdict,
                    s.final_recovery_verdict_hash,
                )
            )
    workstreams = []
    blockers = []
    for doc in tree.by_kind("workstream_readiness"):
        w = _m(doc)
        open_b = tuple(b.blocker_id for b in w.blockers if b.state == "open")
        workstreams.append(
            WorkstreamRow(
                w.workstream_id,
                w.roadmap_section,
                w.title,
                w.status,
                sum(1 for c in w.success_criteria if c.met),
                len(w.success_criteria),
                open_b,
                f"{w.release_gate_binding.gate_id} ({w.release_gate_binding.enforcement})",
                ln.doc(doc),
            )
        )
        blockers += [
            (w.workstream_id, b.blocker_id, b.description)
            for b in w.blockers
            if b.state == "open" and b.severity == "release_blocking"
        ]

    referenced: dict[str, set[str]] = {}
    for lc in tree.links:
        referenced.setdefault(lc.path, set()).add(lc.source)
    evidence_files = tuple(
        EvidenceFile(
            path=p,
            sha256=h,
            size=_size(tree.root, p),
            download=download_path(h, p),
            kind=tree.documents[p].kind if p in tree.documents else "attachment",
            referenced_by=tuple(sorted(referenced.get(p, set()))),
        )
        for p, h in sorted(files.items())
    )
    trust_keys = tuple((k.key_id, k.owner, ", ".join(k.purposes), k.revoked_at or "") for k in tree.trust.keys)
    manifest_sha = files[tree.manifest_path]
    return SiteContext(
        release_id=rel.release_id,
        version=rel.version,
        release_time_utc=rel.release_time_utc,
        base_url=base_url,
        manifest=ln.link(tree.manifest_path, manifest_sha),
        trust_store=ln.of(rel.trust_store),
        trust_keys=trust_keys,
        verdicts=verdicts,
        metrics=metrics,
        blockers=tuple(blockers),
        certificates=tuple(certificates),
        revocations=tuple(revocations),
        security_cases=tuple(_security_cases(tree, ln)),
        guarantees=guarantees,
        deprecations=deps,
        breaking_changes=breaks,
        compat_matrix=matrix,
        evolution_document=evo_src,
        profiles=profiles,
        graduation=tuple(graduation),
        observability=observability,
        observability_traces=obs_traces,
        observability_document=ln.doc(obs) if obs else None,
        interfaces=interfaces,
        sdks=sdks,
        interfaces_document=ln.doc(ifc) if ifc else None,
        tiers=tuple(tiers),
        chaos=tuple(chaos),
        chaos_document=ln.doc(chaos_doc) if chaos_doc else None,
        workstreams=tuple(sorted(workstreams, key=lambda w: int(w.workstream_id[2:]))),
        packs=pack_records,
        files=evidence_files,
        schemas=tuple(sorted(KINDS)),
        findings=tuple(f.line() for f in tree.findings),
        left_out=left_out(tree),
    )


def _size(root: Path, path: str) -> int:
    return (root / path).stat().st_size
