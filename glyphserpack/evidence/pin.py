"""Re-pin the hash links of an evidence tree, bottom-up: attachments, documents, release manifest.

After editing an attachment the SHA-256 pinned by the document that links to it is stale;
re-pinning that document changes *its* bytes, so the release manifest's pin of the document is
stale too. :func:`plan_pins` walks the link graph depth first (a document's targets before the
document) with the loader's own :func:`~glyphserpack.evidence.loader.iter_links`, so it sees
exactly the links ``check`` verifies, and computes every new pin before anything is written.

Documents are edited minimally: only the text of each stale ``sha256`` scalar is replaced,
located through the YAML node tree, so comments, key order, quoting and layout survive.
Signed records (``.cbor`` envelopes) are never edited: re-pinning one would invalidate its
signature. Each one whose pins changed (or, for an execution certificate, whose run's trace
or checkpoint no longer gives the hash it signs) is named in :attr:`PinPlan.resign` instead.
:func:`apply_pins` stages every new file beside its target first, then renames them all.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from glyphserpack._internal.docload import DOCUMENT_LIMIT, parse_document
from glyphserpack._internal.fsio import check_relative_name, read_bounded, resolve_inside
from glyphserpack.errors import EvidenceError, InputError
from glyphserpack.evidence.bindings import parse_trace, trace_final_hash
from glyphserpack.evidence.certificates import ExecutionCertificate
from glyphserpack.evidence.loader import (
    ATTACHMENT_LIMIT,
    MANIFEST_NAMES,
    iter_links,
    load_manifest,
    parse_listed,
    parse_trust_store,
    validate_kind,
)
from glyphserpack.evidence.models import ReleaseManifest, RunEvidence

__all__ = ["PinChange", "PinPlan", "Resign", "apply_pins", "compose_text", "find_scalar", "plan_pins"]

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


@dataclass(frozen=True)
class PinChange:
    """One stale pin in an editable document: ``path`` field ``field`` goes from ``old`` to ``new``."""

    path: str
    field: str
    target: str
    old: str
    new: str

    def line(self) -> str:
        return f"{self.path}: {self.field} ({self.target}): {self.old} -> {self.new}"


@dataclass(frozen=True)
class Resign:
    """A signed record that commits to something that changed; only its signer can fix it."""

    path: str
    field: str
    target: str
    reason: str

    def line(self) -> str:
        return f"{self.path}: {self.field} ({self.target}): {self.reason}"


@dataclass(frozen=True)
class PinPlan:
    """Every stale pin of a tree and the new bytes of each document to rewrite."""

    changes: tuple[PinChange, ...]
    resign: tuple[Resign, ...]
    new_bytes: dict[str, bytes] = field(repr=False)

    @property
    def stale(self) -> bool:
        return bool(self.changes or self.resign)

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [asdict(c) for c in self.changes],
            "resign": [asdict(r) for r in self.resign],
            "stale": self.stale,
        }


@dataclass
class _Node:
    path: str
    data: bytes
    kind: str
    model: BaseModel
    signed: bool


class _Planner:
    def __init__(self, root: Path, edited: Mapping[str, bytes]) -> None:
        self.root = root
        self.edited = edited
        self.nodes: dict[str, _Node] = {}
        self.hashes: dict[str, str] = {}
        self.state: dict[str, str] = {}
        self.changes: list[PinChange] = []
        self.resign: list[Resign] = []
        self.new_bytes: dict[str, bytes] = {}

    def read(self, rel: str, *, where: str, limit: int) -> bytes:
        if rel in self.edited:
            return self.edited[rel]
        try:
            check_relative_name(rel, what=f"{where}: path")
            target = resolve_inside(self.root, rel, what=f"{where}: path")
        except InputError as exc:
            raise EvidenceError(exc.message, code="GSP-E006") from None
        if not os.path.lexists(target):
            raise EvidenceError(
                f"{where}: {rel}: no such file, so it cannot be pinned",
                code="GSP-E005",
                remedy="restore the file or remove the link, then rerun `glyphserpack evidence pin`",
            )
        return read_bounded(target, limit, what=f"{where}:")

    def digest(self, rel: str, *, where: str) -> str:
        """The SHA-256 a link to ``rel`` must carry: of its new bytes if this run rewrites it."""
        if rel in self.nodes:
            self.visit(rel)
            data = self.new_bytes.get(rel, self.nodes[rel].data)
            return hashlib.sha256(data).hexdigest()
        if rel not in self.hashes:
            self.hashes[rel] = hashlib.sha256(self.read(rel, where=where, limit=ATTACHMENT_LIMIT)).hexdigest()
        return self.hashes[rel]

    def visit(self, rel: str) -> None:
        state = self.state.get(rel)
        if state == "done":
            return
        if state == "active":
            raise EvidenceError(f"{rel}: its hash links form a cycle; a cycle of pins can never be satisfied")
        self.state[rel] = "active"
        node = self.nodes[rel]
        stale: list[tuple[str, str, str, str]] = []
        for where, link in iter_links(node.model):
            actual = self.digest(link.path, where=f"{rel}: {where}")
            if actual != link.sha256:
                stale.append((where, link.path, link.sha256, actual))
        if node.signed:
            for where, target, old, new in stale:
                self.resign.append(Resign(rel, f"{where}.sha256", target, f"signed pin {old}, file now has {new}"))
        elif stale:
            self.new_bytes[rel] = edit_pins(node.data, rel, [(w, old, new) for w, _, old, new in stale])
            self.changes += [PinChange(rel, f"{w}.sha256", t, old, new) for w, t, old, new in stale]
        self._certificate_commits(node)
        self.state[rel] = "done"

    def _certificate_commits(self, node: _Node) -> None:
        """A run's execution certificate signs its checkpoint's SHA-256 and its trace's final hash.

        Recomputed with the same functions ``check`` uses (:mod:`~glyphserpack.evidence.bindings`),
        so an edited trace or checkpoint names the certificate that must be re-issued.
        """
        run = node.model
        if not isinstance(run, RunEvidence):
            return
        cert_node = self.nodes.get(run.certificate.path)
        if cert_node is None or not isinstance(cert_node.model, ExecutionCertificate):
            return
        cert, path = cert_node.model, cert_node.path
        ckpt = self.digest(run.checkpoint.path, where=f"{node.path}: checkpoint")
        if cert.checkpoint_hash.hex() != ckpt:
            detail = f"certificate signs {cert.checkpoint_hash.hex()}, file has {ckpt}"
            self.resign.append(Resign(path, "checkpoint_hash", run.checkpoint.path, detail))
        data = self.read(run.trace.path, where=f"{node.path}: trace", limit=ATTACHMENT_LIMIT)
        try:
            final = trace_final_hash(parse_trace(data, name=run.trace.path)).hex()
        except InputError as exc:
            final = f"nothing (the trace no longer parses: {exc.message})"
        if cert.trace_final_hash.hex() != final:
            detail = f"certificate signs {cert.trace_final_hash.hex()}, trace gives {final}"
            self.resign.append(Resign(path, "trace_final_hash", run.trace.path, detail))


def plan_pins(root: Path, *, edited: Mapping[str, bytes] | None = None) -> PinPlan:
    """Compute every stale pin of the tree at ``root`` and the new document bytes; writes nothing.

    ``edited`` maps tree paths to bytes that replace the files' content in the plan (and then
    in :attr:`PinPlan.new_bytes` when re-pinned): ``evidence add`` and ``evidence new-release``
    plan their own edits and the re-pin they cause as one write.

    Raises :class:`~glyphserpack.errors.EvidenceError` (naming file and field) when a link's
    target is missing or unsafe, a document cannot be parsed, or links form a cycle.
    """
    root = Path(root)
    planner = _Planner(root, edited or {})
    name, data, manifest, _ = load_manifest(root)
    if name in planner.edited:
        data = planner.edited[name]
        model = validate_kind("release_manifest", parse_document(data, name=name), name=name)
        assert isinstance(model, ReleaseManifest)
        manifest = model
    planner.nodes[name] = _Node(name, data, "release_manifest", manifest, signed=False)
    # A store edited by hand into an invalid state is named here, not pinned (check would refuse it).
    trust_rel = manifest.trust_store.path
    parse_trust_store(planner.read(trust_rel, where=f"{name}: trust_store", limit=DOCUMENT_LIMIT), name=trust_rel)
    for i, link in enumerate(manifest.documents):
        if link.path in planner.nodes:
            continue
        doc_data = planner.read(link.path, where=f"{name}: documents[{i}]", limit=DOCUMENT_LIMIT)
        kind, _, model, envelope = parse_listed(link.path, doc_data)
        planner.nodes[link.path] = _Node(link.path, doc_data, kind, model, signed=envelope is not None)
    planner.visit(name)
    resign = sorted(set(planner.resign), key=lambda r: (r.path, r.field, r.target))
    return PinPlan(tuple(planner.changes), tuple(resign), dict(sorted(planner.new_bytes.items())))


def edit_pins(data: bytes, name: str, edits: list[tuple[str, str, str]]) -> bytes:
    """Replace the ``sha256`` scalar of each ``(field path, old, new)`` link in a YAML/JSON text.

    Only the characters of each scalar change (located by the YAML node tree), so comments,
    key order and quoting survive. The result is re-parsed and checked before it is returned.
    """
    text, node = compose_text(data, name)
    spans: list[tuple[int, int, str]] = []
    for where, old, new in edits:
        scalar = find_scalar(node, f"{where}.sha256", name)
        start, end = scalar.start_mark.index, scalar.end_mark.index
        if old not in text[start:end]:
            raise EvidenceError(f"{name}: {where}.sha256: expected {old} at line {scalar.start_mark.line + 1}")
        # a plain scalar of only digits would read back as a number: quote it then
        fresh = f"'{new}'" if scalar.style is None and new.isdigit() else new
        spans.append((start, end, text[start:end].replace(old, fresh)))
    for start, end, replacement in sorted(spans, reverse=True):
        text = text[:start] + replacement + text[end:]
    out = text.encode("utf-8")
    if name in MANIFEST_NAMES:
        model = validate_kind("release_manifest", parse_document(out, name=name), name=name)
    else:
        model = parse_listed(name, out)[2]
    got = {w: link.sha256 for w, link in iter_links(model)}
    for where, _, new in edits:
        if got.get(where) != new:
            raise EvidenceError(f"{name}: {where}.sha256: in-place edit did not take (a bug; nothing written)")
    return out


def compose_text(data: bytes, name: str) -> tuple[str, yaml.Node]:
    """A YAML/JSON document's text and node tree (with each node's position), for edits in place."""
    text = data.decode("utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise EvidenceError(f"{name}: cannot be edited in place: {exc}") from None
    if node is None:
        raise EvidenceError(f"{name}: empty document")
    return text, node


def find_scalar(node: yaml.Node, where: str, name: str) -> yaml.ScalarNode:
    """The scalar node at field path ``where`` (``a.b[2].c``) of a composed YAML document, or EvidenceError."""
    for m in _STEP.finditer(where):
        key, index = m.group(1), m.group(2)
        if key is not None and isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
            if found:
                node = found[0]
                continue
        elif index is not None and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            node = node.value[int(index)]
            continue
        raise EvidenceError(f"{name}: {where}: not found in the document text")
    if not isinstance(node, yaml.ScalarNode):
        raise EvidenceError(f"{name}: {where}: expected a text value")
    return node


def apply_pins(root: Path, plan: PinPlan) -> None:
    """Write a plan's documents: stage every new file beside its target, then rename all.

    A failure while staging removes the staged files and leaves the tree exactly as it was.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for rel, data in plan.new_bytes.items():
            target = resolve_inside(Path(root), rel, what="pin")
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
