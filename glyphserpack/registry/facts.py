"""What the support matrix needs to know about one release, read from its evidence or its build.

A support matrix spans many releases, each carrying its *own* evolution policy. The matrix
rules (:mod:`glyphserpack.registry.support`) need only a handful of facts per release: which
product and version it is, when it was released, the profile it was built for and whether
its upgrade gate passed, and what its policy guarantees per profile. :class:`ReleaseFacts`
holds exactly those, so the rules never touch an evidence tree, a pack or a file.

Two readers: :func:`release_facts` from a loaded evidence tree, and
:func:`release_facts_from_build` from a ``glyphserpack build`` output directory (its
``reports/build.json`` for profile and verdict, and the release pack for ``release.yaml`` and
the evolution policy, each member checked against the pack's signed manifest on read).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glyphserpack._internal.docload import DOCUMENT_LIMIT, parse_document
from glyphserpack._internal.fsio import read_bounded, resolve_inside
from glyphserpack.errors import EvidenceError, GlyphserpackError, InputError
from glyphserpack.evidence.loader import MANIFEST_NAMES, EvidenceTree, parse_listed, validate_kind
from glyphserpack.evidence.models import PROFILES, ReleaseManifest
from glyphserpack.evidence.productization import EvolutionPolicy
from glyphserpack.release.pipeline import SUMMARY as BUILD_SUMMARY  # where `build` writes its summary

if TYPE_CHECKING:
    from glyphserpack.pack import PackReader

__all__ = [
    "BUILD_SUMMARY",
    "ProfileGuarantee",
    "ReleaseFacts",
    "release_facts",
    "release_facts_from_build",
]

#: Where a release pack keeps the evidence tree it packed (``publish_steps._stage``).
_PACK_EVIDENCE = "data/evidence/"
_GATES = ("PASS", "FAIL")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class ProfileGuarantee:
    """One ``guarantees[]`` entry of an evolution policy, reduced to the numbers the rules use."""

    profile: str
    support_months_after_deprecation: int
    lts_years: int


@dataclass(frozen=True)
class ReleaseFacts:
    """One release as the support matrix sees it; ``source`` names where the facts were read.

    ``policy_path`` is the evolution policy's path inside the evidence tree, so an error about
    a missing guarantee can name the file to fix.
    """

    product: str
    version: str
    release_id: str
    release_time_utc: str
    profile: str
    gate: str
    guarantees: tuple[ProfileGuarantee, ...]
    lts_cycles: tuple[str, ...]
    policy_path: str
    source: str

    def __post_init__(self) -> None:
        if not _VERSION.match(self.version):
            raise InputError(f"{self.source}: version {self.version!r} is not MAJOR.MINOR.PATCH")
        if self.profile not in PROFILES:
            raise InputError(f"{self.source}: profile {self.profile!r} is not one of {', '.join(PROFILES)}")
        if self.gate not in _GATES:
            raise InputError(f"{self.source}: gate verdict {self.gate!r} is not PASS or FAIL")

    @property
    def cycle(self) -> str:
        """MAJOR.MINOR: the release cycle this version belongs to."""
        major, minor, _ = self.version.split(".")
        return f"{major}.{minor}"

    @property
    def version_key(self) -> tuple[int, int, int]:
        """The version as numbers, for ordering (``1.10.0`` after ``1.9.3``)."""
        major, minor, patch = self.version.split(".")
        return int(major), int(minor), int(patch)

    @property
    def release_date(self) -> str:
        """The UTC calendar date of the release (YYYY-MM-DD)."""
        return self.release_time_utc[:10]

    def guarantee(self, profile: str) -> ProfileGuarantee | None:
        """The policy's guarantee for ``profile``; the most generous if it is listed twice."""
        found = [g for g in self.guarantees if g.profile == profile]
        if not found:
            return None
        return ProfileGuarantee(
            profile,
            max(g.support_months_after_deprecation for g in found),
            max(g.lts_years for g in found),
        )


def _facts(
    manifest: ReleaseManifest, policy: EvolutionPolicy, policy_path: str, *, gate: str, profile: str, source: str
) -> ReleaseFacts:
    return ReleaseFacts(
        product=manifest.product,
        version=manifest.version,
        release_id=manifest.release_id,
        release_time_utc=manifest.release_time_utc,
        profile=profile,
        gate=gate,
        guarantees=tuple(
            ProfileGuarantee(g.profile_id, g.support_months_after_deprecation, g.lts_years) for g in policy.guarantees
        ),
        lts_cycles=tuple(policy.lts_cycles or ()),
        policy_path=policy_path,
        source=source,
    )


def _no_policy(release_id: str, where: str) -> EvidenceError:
    return EvidenceError(
        f"{where}: release {release_id} has no evolution policy (no evolution_policy document in release.yaml)",
        remedy="add evolution/evolution_policy.yaml to the release: its guarantees are what the support matrix "
        "computes end of support from",
    )


def release_facts(tree: EvidenceTree, *, gate: str, profile: str) -> ReleaseFacts:
    """Facts of a loaded evidence tree, checked for ``profile`` with upgrade-gate verdict ``gate``."""
    rid = tree.manifest.release_id
    docs = tree.by_kind("evolution_policy")
    if not docs:
        raise _no_policy(rid, tree.manifest_path)
    if len(docs) > 1:
        raise EvidenceError(
            f"{tree.manifest_path}: release {rid} lists {len(docs)} evolution policies "
            f"({', '.join(d.path for d in docs)}); the support matrix needs exactly one"
        )
    doc = docs[0]
    return _facts(
        tree.manifest, doc.as_(EvolutionPolicy), doc.path, gate=gate, profile=profile, source=tree.manifest_path
    )


def _summary(build_dir: Path) -> dict[str, Any]:
    where = f"{build_dir.name}/{BUILD_SUMMARY}"
    try:
        data = read_bounded(resolve_inside(build_dir, BUILD_SUMMARY, what="build summary"), DOCUMENT_LIMIT, what=where)
    except InputError as exc:
        raise InputError(
            f"{build_dir}: not a build output ({BUILD_SUMMARY}: {exc.message})",
            remedy="point at a directory written by `glyphserpack build`",
        ) from None
    obj = parse_document(data, name=where)
    fields = {"release_id": str, "profile_id": str, "upgrade_gate_verdict": str, "pack": dict}
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object")
    for name, typ in fields.items():
        if not isinstance(obj.get(name), typ):
            raise InputError(f"{where}: {name}: missing or not a {typ.__name__}")
    if not isinstance(obj["pack"].get("name"), str):
        raise InputError(f"{where}: pack.name: missing or not a string")
    return obj


class _PackDocs:
    """Reads documents from a release pack; any failure becomes an error naming the pack."""

    def __init__(self, reader: PackReader, where: str) -> None:
        self.reader = reader
        self.where = where

    def _wrap(self, exc: GlyphserpackError) -> GlyphserpackError:
        cls = EvidenceError if isinstance(exc, EvidenceError) else InputError
        return cls(f"{self.where}: {exc.message}", code=exc.code, remedy=exc.remedy or None)

    def has(self, path: str) -> bool:
        return self.reader.has_member(_PACK_EVIDENCE + path)

    def read(self, path: str) -> bytes:
        try:
            return self.reader.read_member(_PACK_EVIDENCE + path)
        except GlyphserpackError as exc:
            raise self._wrap(exc) from None

    def manifest(self, name: str) -> ReleaseManifest:
        try:
            model = validate_kind("release_manifest", parse_document(self.read(name), name=name), name=name)
        except GlyphserpackError as exc:
            raise self._wrap(exc) from None
        assert isinstance(model, ReleaseManifest)
        return model

    def policy(self, path: str, sha256: str) -> EvolutionPolicy | None:
        """The document at ``path`` if it is an evolution policy (checked against its pinned SHA-256)."""
        data = self.read(path)
        if b"evolution_policy" not in data:
            return None  # cheap pre-filter; the parse below decides
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceError(f"{self.where}: {path} does not match its SHA-256 in release.yaml")
        try:
            kind, _, model, _ = parse_listed(path, data)
        except GlyphserpackError as exc:
            raise self._wrap(exc) from None
        return model if kind == "evolution_policy" and isinstance(model, EvolutionPolicy) else None


def release_facts_from_build(build_dir: Path) -> ReleaseFacts:
    """Facts of one ``glyphserpack build`` output directory (see the module docstring)."""
    from glyphserpack.pack import open_pack  # the pack reader is only needed here

    build_dir = Path(build_dir)
    summary = _summary(build_dir)
    pack_rel = f"packs/{summary['pack']['name']}"
    where = f"{build_dir.name}/{pack_rel}"
    try:
        reader = open_pack(resolve_inside(build_dir, pack_rel, what="release pack"))
    except GlyphserpackError as exc:
        raise InputError(f"{where}: {exc.message}", code=exc.code) from None
    with reader:
        docs = _PackDocs(reader, where)
        names = [n for n in MANIFEST_NAMES if docs.has(n)]
        if len(names) != 1:
            raise EvidenceError(f"{where}: expected one release manifest in its evidence, found {len(names)}")
        manifest = docs.manifest(names[0])
        found: list[tuple[str, EvolutionPolicy]] = []
        for link in manifest.documents:
            if link.path.lower().endswith(".cbor"):
                continue  # signed envelopes are certificates and records, never a policy
            policy = docs.policy(link.path, link.sha256)
            if policy is not None:
                found.append((link.path, policy))
    if manifest.release_id != summary["release_id"]:
        raise InputError(
            f"{where}: the pack holds release {manifest.release_id}, but {BUILD_SUMMARY} says {summary['release_id']}"
        )
    if not found:
        raise _no_policy(manifest.release_id, where)
    if len(found) > 1:
        raise EvidenceError(
            f"{where}: release {manifest.release_id} lists {len(found)} evolution policies "
            f"({', '.join(p for p, _ in found)}); the support matrix needs exactly one"
        )
    path, policy = found[0]
    return _facts(
        manifest,
        policy,
        path,
        gate=summary["upgrade_gate_verdict"],
        profile=summary["profile_id"],
        source=f"{build_dir.name}/{BUILD_SUMMARY}",
    )
