"""Product profiles and their mandatory evidence sets (CONTRACTS.md §5, productization plan I.A).

``core`` ⊂ ``enterprise`` ⊂ ``regulated``: each profile requires everything the one below it
requires, plus its own items. A missing item is a deterministic FAIL (``GSP-E003``), never a
warning. Product profile ``enterprise`` maps to execution mode ``managed`` (a stricter mode is
accepted); ``core`` to ``local``; ``regulated`` to ``regulated``.
"""

from __future__ import annotations

from dataclasses import dataclass

from glyphserpack.errors import UsageError
from glyphserpack.evidence.loader import Document, EvidenceTree, iter_links
from glyphserpack.evidence.models import EXECUTION_MODES, PROFILES, RunEvidence
from glyphserpack.evidence.readiness import ROADMAP_WORKSTREAMS, WorkstreamReadiness

__all__ = [
    "MIN_EXECUTION_MODE",
    "PROFILES",
    "SECURITY_OBLIGATIONS",
    "ItemStatus",
    "MandatoryItem",
    "mandatory_items",
    "mode_satisfies",
    "profile_rank",
    "resolve_items",
]

#: product profile -> the weakest execution mode its runs may use.
MIN_EXECUTION_MODE: dict[str, str] = {"core": "local", "enterprise": "managed", "regulated": "regulated"}

#: CONTRACTS.md §3 mode obligations: control categories each profile's security case must cover.
SECURITY_OBLIGATIONS: dict[str, frozenset[str]] = {
    "core": frozenset({"authz", "integrity"}),
    "enterprise": frozenset({"authz", "integrity", "governance"}),
    "regulated": frozenset({"authz", "integrity", "governance", "attestation", "revocation"}),
}


@dataclass(frozen=True)
class MandatoryItem:
    """One entry of a profile's mandatory evidence set."""

    item_id: str
    workstream_id: str
    since: str
    description: str
    example_path: str


@dataclass(frozen=True)
class ItemStatus:
    """Whether a mandatory item is present, and which files make it up (sorted)."""

    item: MandatoryItem
    present: bool
    files: tuple[str, ...]
    documents: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "item_id": self.item.item_id,
            "workstream_id": self.item.workstream_id,
            "required_since": self.item.since,
            "status": "present" if self.present else "missing",
            "files": list(self.files),
        }


def profile_rank(profile: str) -> int:
    """Position of ``profile`` in core < enterprise < regulated; UsageError for anything else."""
    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    return PROFILES.index(profile)


def mode_satisfies(mode: str, profile: str) -> bool:
    """Whether a run's execution mode is at least as strict as the profile requires."""
    return EXECUTION_MODES.index(mode) >= EXECUTION_MODES.index(MIN_EXECUTION_MODE[profile])


def _items() -> list[MandatoryItem]:
    items = [
        MandatoryItem(
            "profile_bundle", "I.A", "core", "profile definitions and graduation gates", "profiles/profile_bundle.yaml"
        ),
        MandatoryItem(
            "reference_stack",
            "I.D",
            "core",
            "runnable reference stack and golden demo",
            "reference_stack/reference_stack.yaml",
        ),
        MandatoryItem(
            "evolution_policy",
            "I.G",
            "core",
            "deprecation policy and compatibility guarantees",
            "evolution/evolution_policy.yaml",
        ),
    ]
    for p in PROFILES:
        items.append(
            MandatoryItem(
                f"security_case:{p}",
                "I.F",
                p,
                f"control-mapped security case for {p}",
                f"security/security_case.{p}.yaml",
            )
        )
        items.append(
            MandatoryItem(
                f"run_evidence:{p}",
                "R.1",
                p,
                f"a certified run in {MIN_EXECUTION_MODE[p]} mode or stricter",
                f"runs/{p}/run.yaml",
            )
        )
    items += [
        MandatoryItem(
            "observability_mapping",
            "I.B",
            "enterprise",
            "OpenTelemetry/Prometheus mapping",
            "observability/mapping.yaml",
        ),
        MandatoryItem(
            "certification_bundle",
            "I.C",
            "enterprise",
            "certification evidence bundle",
            "certification/certification_bundle.yaml",
        ),
        MandatoryItem(
            "certified_backend",
            "I.C",
            "enterprise",
            "a valid 'Certified Backend' record",
            "certification/records/*.cbor",
        ),
        MandatoryItem(
            "certified_artifact_store",
            "I.C",
            "enterprise",
            "a valid 'Certified Artifact Store' record",
            "certification/records/*.cbor",
        ),
        MandatoryItem(
            "external_interfaces",
            "I.E",
            "enterprise",
            "OpenAPI, Protobuf and SDK conformance",
            "interfaces/external_interfaces.yaml",
        ),
        MandatoryItem(
            "performance_tiers", "I.H", "enterprise", "performance tier report", "performance/performance_tiers.yaml"
        ),
        MandatoryItem(
            "chaos_proof_pack", "I.I", "regulated", "chaos and recovery proof pack", "chaos/chaos_proof_pack.yaml"
        ),
        MandatoryItem(
            "sbom",
            "R.1",
            "regulated",
            "release SBOM (release manifest field sbom)",
            "attachments/sbom/glyphser-1.4.0.cdx.json",
        ),
        MandatoryItem(
            "conformance_coverage_report",
            "R.1",
            "regulated",
            "conformance coverage report (release manifest field)",
            "attachments/conformance/coverage.json",
        ),
        MandatoryItem(
            "operator_registry",
            "R.1",
            "regulated",
            "operator registry (release manifest field)",
            "attachments/interfaces/operator_registry.json",
        ),
    ]
    for ws in ROADMAP_WORKSTREAMS:
        items.append(
            MandatoryItem(
                f"readiness:{ws}", ws, "core", f"readiness of roadmap workstream {ws[2:]}", f"readiness/{ws}.yaml"
            )
        )
    return items


_ALL_ITEMS = _items()


def mandatory_items(profile: str) -> list[MandatoryItem]:
    """The mandatory set of ``profile`` (everything required since it or a weaker profile)."""
    rank = profile_rank(profile)
    return [i for i in _ALL_ITEMS if profile_rank(i.since) <= rank]


def _doc_files(tree: EvidenceTree, doc: Document) -> list[str]:
    """A document and every file it links to (all of them must be intact)."""
    return [doc.path, *(link.path for _, link in iter_links(doc.model))]


def resolve_items(tree: EvidenceTree, profile: str, active_records: dict[str, list[Document]]) -> list[ItemStatus]:
    """Which mandatory items the tree satisfies.

    ``active_records`` maps adapter kind -> its records whose status is ``valid`` at the release time.
    """
    out: list[ItemStatus] = []
    for item in mandatory_items(profile):
        docs = _select(tree, item, active_records)
        files: list[str] = []
        if item.item_id in ("sbom", "conformance_coverage_report", "operator_registry"):
            link = getattr(tree.manifest, item.item_id)
            if link is not None and tree.link_ok(link):
                files.append(link.path)
        for doc in docs:
            files.extend(_doc_files(tree, doc))
            if doc.kind == "run_evidence":
                cert_path = doc.as_(RunEvidence).certificate.path
                if cert_path in tree.documents:
                    files.extend(_doc_files(tree, tree.documents[cert_path]))
        primary = [d.path for d in docs] or files[:1]
        out.append(ItemStatus(item, bool(files), tuple(sorted(set(files))), tuple(primary)))
    return out


def _select(tree: EvidenceTree, item: MandatoryItem, active: dict[str, list[Document]]) -> list[Document]:
    key, _, arg = item.item_id.partition(":")
    if key in ("security_case", "run_evidence"):
        docs = [d for d in tree.by_kind(key) if getattr(d.model, "profile_id", None) == arg]
        if key == "run_evidence":
            docs = [d for d in docs if d.as_(RunEvidence).certificate.path in tree.documents]
        return docs
    if key == "readiness":
        return [d for d in tree.by_kind("workstream_readiness") if d.as_(WorkstreamReadiness).workstream_id == arg]
    if key == "certified_backend":
        return active.get("backend", [])
    if key == "certified_artifact_store":
        return active.get("artifact_store", [])
    if key in ("sbom", "conformance_coverage_report", "operator_registry"):
        return []
    return tree.by_kind(key)
