"""Load an evidence tree: the release manifest, every listed document, every hash link.

Two kinds of trouble are kept apart on purpose. A tree that cannot be *read* as evidence
(malformed YAML/JSON, wrong type, unknown field, an escaping path, a link, a file over the
size cap) raises an :class:`~glyphserpack.errors.GlyphserpackError` naming the file and field
(exit code 2, nothing written). A tree that reads fine but whose *content* is wrong (a hash
link that does not match or points at nothing) yields findings and a FAIL verdict (exit 1).

A listed document whose bytes do not match its recorded SHA-256 is reported and then *not*
parsed: its content is not what the release committed to, so nothing may rely on it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from glyphserpack._internal.docload import DOCUMENT_LIMIT, parse_document
from glyphserpack._internal.fsio import check_relative_name, hash_bounded, read_bounded, resolve_inside
from glyphserpack.errors import EvidenceError, GlyphserpackError, InputError, InputTooLargeError, UnsafePathError
from glyphserpack.evidence.certificates import Envelope, decode_envelope
from glyphserpack.evidence.kinds import KINDS, SIGNED
from glyphserpack.evidence.models import HashLink, ReleaseManifest
from glyphserpack.findings import Finding, finding
from glyphserpack.trust import TrustStore

__all__ = [
    "ATTACHMENT_LIMIT",
    "DOCUMENT_LIMIT",
    "MANIFEST_NAMES",
    "Document",
    "EvidenceTree",
    "LinkCheck",
    "iter_links",
    "load_manifest",
    "load_tree",
    "parse_listed",
    "parse_trust_store",
]

#: Largest attachment we hash (logs, SBOMs, binaries). Documents are capped at DOCUMENT_LIMIT (16 MiB).
ATTACHMENT_LIMIT = 256 * 1024 * 1024
#: The root document of a tree; exactly one must exist.
MANIFEST_NAMES = ("release.yaml", "release.yml", "release.json")


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Document:
    """One listed, hash-verified, schema-valid document."""

    path: str
    kind: str
    sha256: str
    obj: dict[str, Any] = field(repr=False)
    model: BaseModel = field(repr=False)
    envelope: Envelope | None = field(default=None, repr=False)

    def as_(self, model: type[M]) -> M:
        """The typed model, checked: ``doc.as_(RunEvidence).certificate``."""
        if not isinstance(self.model, model):
            raise TypeError(f"{self.path} is a {self.kind}, not {model.__name__}")
        return self.model


@dataclass(frozen=True)
class LinkCheck:
    """The outcome of one hash link: ``actual`` is None when the target does not exist."""

    source: str
    field: str
    path: str
    expected: str
    actual: str | None

    @property
    def ok(self) -> bool:
        return self.actual == self.expected


@dataclass(frozen=True)
class EvidenceTree:
    """A loaded evidence tree. ``root`` is only used for I/O, never shown in reports."""

    root: Path
    manifest_path: str
    manifest: ReleaseManifest
    manifest_obj: dict[str, Any] = field(repr=False)
    trust: TrustStore = field(repr=False)
    documents: dict[str, Document] = field(repr=False)
    links: tuple[LinkCheck, ...] = field(repr=False)
    findings: tuple[Finding, ...] = ()
    unreferenced: tuple[str, ...] = ()
    #: per-tree answers by (what, path, sha256): parsed attachments (attest/reading.py ``memoised``)
    #: and signature statuses (status.py ``document_signature_status``)
    attest_memo: dict[tuple[str, str, str], Any] = field(default_factory=dict, repr=False, compare=False)
    _good_links: frozenset[tuple[str, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Indexed once: checks ask link_ok for every link of every record, and scanning all
        # links each time made a 1,000-record tree quadratic.
        good = frozenset((lc.path, lc.expected) for lc in self.links if lc.ok)
        object.__setattr__(self, "_good_links", good)

    def by_kind(self, kind: str) -> list[Document]:
        """Documents of one kind, sorted by path."""
        return [d for p, d in sorted(self.documents.items()) if d.kind == kind]

    def link_ok(self, link: HashLink) -> bool:
        """Whether a link's target exists with the recorded SHA-256."""
        return (link.path, link.sha256) in self._good_links


def iter_links(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, HashLink]]:
    """Every :class:`HashLink` inside a model, with its field path, in declaration order."""
    for name in type(model).model_fields:
        yield from _walk(getattr(model, name), f"{prefix}{name}")


def _walk(value: object, where: str) -> Iterator[tuple[str, HashLink]]:
    if isinstance(value, HashLink):
        yield where, value
    elif isinstance(value, BaseModel):
        yield from iter_links(value, f"{where}.")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{where}[{i}]")


def _validation_message(name: str, exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".") or "<document>"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown field"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{name}: {loc}: {msg}{more}"


def validate_kind(kind: str, obj: object, *, name: str) -> BaseModel:
    """Validate ``obj`` against ``kind``'s model or raise EvidenceError naming file and field."""
    model = KINDS[kind]
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        raise EvidenceError(_validation_message(name, exc)) from None


class _Reader:
    """Hashes each file once and turns fsio errors into messages naming the referring field."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[str, tuple[str | None, bytes | None]] = {}

    def read(self, path: str, *, where: str, limit: int, keep: bool) -> tuple[str | None, bytes | None]:
        cached = self.cache.get(path)
        if cached is not None and (cached[1] is not None or not keep or cached[0] is None):
            return cached
        try:
            check_relative_name(path, what=f"{where}: path")
            target = resolve_inside(self.root, path, what=f"{where}: path")
        except UnsafePathError as exc:
            raise UnsafePathError(_strip_root(exc.message, self.root), code=exc.code) from None
        except InputError:
            self.cache[path] = (None, None)
            return None, None
        data: bytes | None = None
        try:
            if keep:  # a document the loader parses: read whole, under the document cap
                data = read_bounded(target, limit, what=f"{where}:")
                digest = hashlib.sha256(data).hexdigest()
            else:  # an attachment: hashed streaming, never held in memory
                digest = hash_bounded(target, limit, what=f"{where}:")
        except InputError as exc:
            raise type(exc)(_strip_root(exc.message, self.root), code=exc.code, remedy=exc.remedy or None) from None
        self.cache[path] = (digest, data)
        return digest, data


def _strip_root(message: str, root: Path) -> str:
    """Error lines name files relative to the tree so they read the same on every machine."""
    return message.replace(f"{root}/", "").replace(str(root), ".")


def load_manifest(root: Path) -> tuple[str, bytes, ReleaseManifest, dict[str, Any]]:
    """The tree's release manifest: (file name, bytes, typed model, parsed mapping); raises if unreadable."""
    present = [n for n in MANIFEST_NAMES if os.path.lexists(root / n)]
    if len(present) != 1:
        raise EvidenceError(
            f"evidence tree: expected exactly one of {', '.join(MANIFEST_NAMES)} at its root, found {len(present)}",
            code="GSP-E003",
            remedy="the release manifest lists every document; see docs/evidence.md",
        )
    name = present[0]
    target = resolve_inside(root, name, what="release manifest")
    data = read_bounded(target, DOCUMENT_LIMIT, what=f"document {name}")
    obj = parse_document(data, name=name)
    if not isinstance(obj, dict) or obj.get("kind") != "release_manifest":
        raise EvidenceError(f"{name}: kind: expected 'release_manifest'")
    model = validate_kind("release_manifest", obj, name=name)
    assert isinstance(model, ReleaseManifest)
    return name, data, model, obj


def parse_listed(path: str, data: bytes) -> tuple[str, dict[str, Any], BaseModel, Envelope | None]:
    """Parse one listed document's bytes: (kind, mapping, typed model, envelope if signed)."""
    suffix = Path(path).suffix.lower()
    envelope: Envelope | None = None
    if suffix == ".cbor":
        envelope = decode_envelope(data, name=path)
        obj = envelope.payload
    elif suffix in (".yaml", ".yml", ".json"):
        parsed = parse_document(data, name=path)
        if not isinstance(parsed, dict):
            raise EvidenceError(f"{path}: expected a mapping with kind and schema_version")
        obj = parsed
    else:
        raise EvidenceError(f"{path}: documents are .yaml, .yml, .json or signed .cbor; attachments go in links")
    kind = obj.get("kind")
    if not isinstance(kind, str) or kind not in KINDS or kind == "release_manifest":
        raise EvidenceError(f"{path}: kind: unknown kind {kind!r}; `glyphserpack schema` lists the kinds")
    if (kind in SIGNED) != (envelope is not None):
        raise EvidenceError(
            f"{path}: kind {kind!r} must be stored {'as a signed .cbor' if kind in SIGNED else 'as YAML/JSON'}"
        )
    return kind, obj, validate_kind(kind, obj, name=path), envelope


def load_tree(path: Path) -> EvidenceTree:
    """Load and hash-verify an evidence tree rooted at ``path`` (a directory with ``release.yaml``).

    Unreadable input raises with a stable finding code in ``exc.code`` (also shown first in
    ``str(exc)``), so scripts can match on it just as on report findings: ``GSP-E001``
    cannot be parsed, ``GSP-E002`` does not match its schema, ``GSP-E003`` no release
    manifest, ``GSP-E006`` unsafe path, ``GSP-E009`` too large.
    """
    root = Path(path)
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        raise InputError(f"evidence tree {root}: no such directory") from None
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise UnsafePathError(f"evidence tree {root}: not a directory (links are not followed)", code="GSP-E006")
    try:
        return _load_tree(root)
    except GlyphserpackError as exc:
        if exc.code is not None:
            raise
        if isinstance(exc, UnsafePathError):
            code = "GSP-E006"
        elif isinstance(exc, InputTooLargeError):
            code = "GSP-E009"
        elif isinstance(exc, EvidenceError):
            code = "GSP-E002"
        else:
            code = "GSP-E001"
        raise type(exc)(exc.message, code=code, remedy=exc.remedy or None) from None


def parse_trust_store(data: bytes, *, name: str) -> TrustStore:
    """A tree's trust store from its bytes, or EvidenceError naming the field or version that breaks it.

    Shared by the loader and ``evidence pin``, which refuses to pin a store that would not load.
    """
    try:
        return TrustStore.from_obj(parse_document(data, name=name), source=name)
    except InputError as exc:
        raise EvidenceError(exc.message, remedy="see glyphserpack.trust for the trust-store format") from None


def _load_tree(root: Path) -> EvidenceTree:
    manifest_name, _, manifest, manifest_obj = load_manifest(root)
    reader = _Reader(root)
    findings: list[Finding] = []
    links: list[LinkCheck] = []

    def check_link(source: str, where: str, link: HashLink, *, limit: int, keep: bool) -> bytes | None:
        actual, data = reader.read(link.path, where=f"{source}: {where}", limit=limit, keep=keep)
        links.append(LinkCheck(source, where, link.path, link.sha256, actual))
        if actual is None:
            findings.append(finding("GSP-E005", link.path, f"referenced by {source} {where}, but no such file"))
        elif actual != link.sha256:
            findings.append(
                finding("GSP-E004", link.path, f"{source} {where} expects sha256 {link.sha256}, file has {actual}")
            )
        return data if actual == link.sha256 else None

    # Step 1: the trust store the signatures are checked against.
    trust_data = check_link(manifest_name, "trust_store", manifest.trust_store, limit=DOCUMENT_LIMIT, keep=True)
    if trust_data is None:
        trust = TrustStore.from_keys([], source=manifest.trust_store.path)
    else:
        trust = parse_trust_store(trust_data, name=manifest.trust_store.path)

    # Step 2: every listed document, in path order, hash-verified before it is parsed.
    documents: dict[str, Document] = {}
    seen: set[str] = set()
    for i, link in sorted(enumerate(manifest.documents), key=lambda t: (t[1].path, t[0])):
        if link.path in seen:
            findings.append(finding("GSP-E010", link.path, f"{manifest_name} documents[{i}] lists it twice"))
            continue
        seen.add(link.path)
        data = check_link(manifest_name, f"documents[{i}]", link, limit=DOCUMENT_LIMIT, keep=True)
        if data is None:
            continue
        kind, obj, model, envelope = parse_listed(link.path, data)
        documents[link.path] = Document(link.path, kind, link.sha256, obj, model, envelope)

    # Step 3: the release's own attachments, then every link inside every document.
    for where, link in iter_links(manifest):
        if where.startswith(("documents[", "trust_store")):
            continue
        check_link(manifest_name, where, link, limit=ATTACHMENT_LIMIT, keep=False)
    for doc_path, doc in sorted(documents.items()):
        for where, link in iter_links(doc.model):
            check_link(doc_path, where, link, limit=ATTACHMENT_LIMIT, keep=False)

    referenced = {manifest_name} | {lc.path for lc in links}
    # When a listed document could not be read, what it references is unknown: say nothing.
    complete = all(link.path in documents for link in manifest.documents)
    unreferenced = tuple(sorted(_all_files(root) - referenced)) if complete else ()
    findings.extend(finding("GSP-E016", p, "not referenced by any document") for p in unreferenced)
    return EvidenceTree(
        root=root,
        manifest_path=manifest_name,
        manifest=manifest,
        manifest_obj=manifest_obj,
        trust=trust,
        documents=documents,
        links=tuple(links),
        findings=tuple(sorted(set(findings))),
        unreferenced=unreferenced,
    )


def _all_files(root: Path) -> set[str]:
    out: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        rel = Path(dirpath).relative_to(root)
        for name in filenames:
            out.add((rel / name).as_posix())
    return out
