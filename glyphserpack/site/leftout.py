"""Which listed documents the site could not show, and on which pages that leaves a gap.

A document that fails its SHA-256 pin, or is missing, is never parsed (the loader refuses
it), so the pages it would have fed render their tables empty: a reader could not tell "this
release has no roadmap entry for ws12" from "the ws12 document was broken". The site still
publishes (the home page carries the FAIL gate verdict and every finding), but every page a
left-out document would have appeared on says which documents are missing from it and why,
and ``site build`` prints a warning naming them.

The kind of a left-out document is taken from the loaded documents beside it (same folder,
one kind), else from the conventional path of a mandatory item, else from the ``kind`` its
own bytes claim; it only decides which pages carry the notice, nothing from the untrusted
bytes is shown.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from glyphserpack._internal.docload import DOCUMENT_LIMIT, parse_document
from glyphserpack._internal.fsio import read_bounded
from glyphserpack.errors import GlyphserpackError
from glyphserpack.evidence.certificates import decode_envelope
from glyphserpack.evidence.kinds import KINDS
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import PROFILES
from glyphserpack.evidence.profiles import mandatory_items
from glyphserpack.site.context import LeftOut

__all__ = ["ALWAYS", "KIND_PAGES", "left_out", "pages_of"]

#: pages that list every left-out document: the overview and the evidence index
ALWAYS = ("index.md", "evidence.md")
#: kind -> the pages its documents feed ("security" = every security case page)
KIND_PAGES: dict[str, tuple[str, ...]] = {
    "profile_bundle": ("profiles.md",),
    "observability_mapping": ("observability.md",),
    "certification_bundle": ("registry.md",),
    "certification_record": ("registry.md",),
    "revocation": ("registry.md", "revocations.md"),
    "execution_certificate": ("registry.md",),
    "run_evidence": ("registry.md",),
    "external_interfaces": ("interfaces.md",),
    "security_case": ("security",),
    "evolution_policy": ("compatibility.md",),
    "performance_tiers": ("performance.md",),
    "chaos_proof_pack": ("chaos.md",),
    "workstream_readiness": ("roadmap.md",),
    # without the trust store no signature verifies: every certificate status is affected
    "trust_store": ("registry.md", "revocations.md"),
}


def pages_of(kind: str) -> tuple[str, ...]:
    """Every page a document of ``kind`` would have appeared on."""
    return ALWAYS + KIND_PAGES.get(kind, ())


def _claimed_kind(root: Path, path: str) -> str:
    """The ``kind`` the file's own bytes claim, or "" (missing, unreadable, not a document)."""
    try:
        data = read_bounded(root / path, DOCUMENT_LIMIT, what=path)
        if path.lower().endswith(".cbor"):
            obj = decode_envelope(data, name=path).payload
        else:
            obj = parse_document(data, name=path)
    except (GlyphserpackError, OSError, ValueError):
        return ""
    kind = obj.get("kind") if isinstance(obj, dict) else None
    return kind if isinstance(kind, str) and kind in KINDS else ""


def _kind(tree: EvidenceTree, path: str) -> str:
    """Loaded neighbours of one kind, else the conventional path of a mandatory item, else the bytes' claim."""
    folder = PurePosixPath(path).parent
    kinds = {d.kind for d in tree.documents.values() if PurePosixPath(d.path).parent == folder}
    if len(kinds) == 1:
        return kinds.pop()
    for item in mandatory_items(PROFILES[-1]):
        if item.example_path == path and item.item_id in KINDS:
            return item.item_id
    return _claimed_kind(tree.root, path)


def left_out(tree: EvidenceTree) -> tuple[LeftOut, ...]:
    """The trust store and every listed document the tree could not load, with the loader's findings."""
    reasons: dict[str, list[str]] = {}
    for f in tree.findings:
        reasons.setdefault(f.where, []).append(f"{f.code} {f.detail}")
    out: dict[str, LeftOut] = {}
    trust = tree.manifest.trust_store.path
    if trust in reasons:
        out[trust] = LeftOut(trust, "trust_store", tuple(reasons[trust]), pages_of("trust_store"))
    for link in tree.manifest.documents:
        if link.path in tree.documents or link.path in out:
            continue
        kind = _kind(tree, link.path)
        why = tuple(reasons.get(link.path, ())) or ("not loaded",)
        out[link.path] = LeftOut(link.path, kind, why, pages_of(kind))
    return tuple(out[p] for p in sorted(out))
