"""List new documents in an evidence tree (``glyphserpack evidence add``), then re-pin it.

A file written into the tree (by ``cert issue``, ``cert revoke`` or an editor) counts only
once the tree lists it: ``release.yaml`` ``documents`` for every document, and the
certification bundle's ``certification_records`` for a certification record (the bundle is
what the records are bound to, :mod:`glyphserpack.evidence.attest.certification`).
Revocations and execution certificates have no list of their own in the bundle: a revocation
counts from ``documents`` (:func:`glyphserpack.evidence.bindings.tree_revocations`), an
execution certificate through the ``run_evidence`` that links it.

Listing used to be done with ``sed``/``printf`` and the SHA-256 copied by hand. Here every new
file is checked first, the way the loader and ``check`` would read it (inside the tree, a
known kind, a new path, content and id, a signature the tree's trust store accepts), and the
whole edit (new list entries plus the re-pin they cause, :func:`~glyphserpack.evidence.pin.plan_pins`)
is planned before one all-or-nothing write. Lists are appended to in the documents' text, so
comments and layout survive, as with ``evidence pin``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from glyphserpack._internal.fsio import check_relative_name, read_bounded, resolve_inside
from glyphserpack.errors import EvidenceError, InputError, UsageError
from glyphserpack.evidence.issue import tree_trust
from glyphserpack.evidence.kinds import KINDS
from glyphserpack.evidence.loader import DOCUMENT_LIMIT, EvidenceTree, load_tree, parse_listed
from glyphserpack.evidence.pin import PinPlan, apply_pins, compose_text, plan_pins
from glyphserpack.evidence.status import signature_status

__all__ = [
    "CONFORMANCE_REPORT",
    "ID_FIELDS",
    "AddPlan",
    "Listed",
    "add_kinds",
    "append_items",
    "append_links",
    "apply_add",
    "plan_add",
]

#: kind -> the payload field that must be unique among the tree's documents of that kind.
#: An execution certificate has none: its renewal keeps the run_id (supersession by subject).
ID_FIELDS = {
    "certification_record": "record_id",
    "revocation": "revocation_id",
    "run_evidence": "run_id",
    "certification_bundle": "bundle_id",
}
#: ``--kind`` of a JUnit XML conformance report: an attachment listed in the certification
#: bundle's ``conformance_reports`` (not a document), with its suite, adapter and counts.
CONFORMANCE_REPORT = "conformance_report"


def add_kinds() -> tuple[str, ...]:
    """The kinds ``evidence add`` lists: every document kind but the release manifest, and conformance reports."""
    return (*(k for k in KINDS if k != "release_manifest"), CONFORMANCE_REPORT)


@dataclass(frozen=True)
class Listed:
    """One new document and every list it was appended to (``file: field``)."""

    path: str
    kind: str
    sha256: str
    lists: tuple[str, ...]

    def line(self) -> str:
        return f"{self.path} ({self.kind}, sha256 {self.sha256}) -> {', '.join(self.lists)}"


@dataclass(frozen=True)
class AddPlan:
    """What ``evidence add`` will write: the new entries, the re-pin they cause, the bytes of each file."""

    listed: tuple[Listed, ...]
    pins: PinPlan
    new_bytes: dict[str, bytes] = field(repr=False)
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """What ``evidence add`` (and ``cert … --add``) print: each entry, each re-pin, each note."""
        out = [f"listed: {x.line()}" for x in self.listed]
        out += [f"re-pinned: {c.line()}" for c in self.pins.changes]
        out += [f"needs re-signing: {r.line()}" for r in self.pins.resign]
        return out + [f"note: {n}" for n in self.notes]


def _tree_path(root: Path, file: Path) -> str:
    """``file`` as a path inside the tree, refused (naming it) when it lies outside or is not a plain file."""
    try:
        rel = file.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise UsageError(
            f"{file}: outside the evidence tree {root}; nothing written",
            remedy="write (or copy) the file into the tree first, then list it",
        ) from None
    check_relative_name(rel, what=f"{file}")
    target = resolve_inside(root, rel, what=f"{file}")
    if not target.is_file():
        raise InputError(f"{file}: no such file in the evidence tree {root}; nothing written")
    return rel


def append_links(data: bytes, name: str, key: str, links: Sequence[tuple[str, str]]) -> bytes:
    """Append ``(path, sha256)`` hash links to the block list ``key`` of a YAML document's text."""
    return append_items(data, name, key, [{"path": p, "sha256": h} for p, h in links])


def append_items(data: bytes, name: str, key: str, items: Sequence[dict[str, object]]) -> bytes:
    """Append mappings to the block list ``key`` of a YAML document's text.

    Only text is inserted, after the list's last item and at its indentation, so comments,
    key order and quoting survive. A flow-style list (JSON) is refused rather than rewritten.
    """
    text, root = compose_text(data, name)
    found = [v for k, v in root.value if k.value == key] if isinstance(root, yaml.MappingNode) else []
    seq = found[0] if found else None
    if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value:
        raise EvidenceError(
            f"{name}: {key}: expected a non-empty block list (`- path: …` lines) to append to",
            remedy=f"add the entries to {name} by hand, then run `glyphserpack evidence pin`",
        )
    last: yaml.Node = seq.value[-1]
    while isinstance(last, yaml.MappingNode | yaml.SequenceNode) and last.value:
        last = last.value[-1][1] if isinstance(last, yaml.MappingNode) else last.value[-1]
    newline = text.find("\n", last.end_mark.index)
    at = len(text) if newline < 0 else newline + 1
    dash = " " * seq.start_mark.column
    lead = "" if text.endswith("\n") or newline >= 0 else "\n"
    dumped = yaml.safe_dump(list(items), sort_keys=False, allow_unicode=True, width=1000)
    added = "".join(dash + line for line in dumped.splitlines(keepends=True))
    return (text[:at] + lead + added + text[at:]).encode("utf-8")


class _Batch:
    """The new documents of one ``evidence add``, checked one by one against the tree and each other."""

    def __init__(self, tree: EvidenceTree, kind: str | None) -> None:
        self.tree = tree
        self.kind = kind
        self.trust = tree_trust(tree)
        self.paths = {link.path: i for i, link in enumerate(tree.manifest.documents)}
        self.shas = {link.sha256: link.path for link in tree.manifest.documents}
        self.ids = {(d.kind, str(d.obj.get(ID_FIELDS.get(d.kind, ""), ""))): d.path for d in tree.documents.values()}
        self.docs: list[tuple[str, str, str, dict[str, object]]] = []

    def take(self, file: Path) -> None:
        manifest = self.tree.manifest_path
        rel = _tree_path(self.tree.root, file)
        if rel == manifest or rel == self.tree.manifest.trust_store.path:
            raise UsageError(f"{file}: is the tree's {'release manifest' if rel == manifest else 'trust store'}")
        if rel in self.paths:
            raise UsageError(f"{file}: already listed in {manifest} documents[{self.paths[rel]}]; nothing written")
        data = read_bounded(resolve_inside(self.tree.root, rel, what=str(file)), DOCUMENT_LIMIT, what=f"{file}:")
        sha = hashlib.sha256(data).hexdigest()
        if sha in self.shas:
            raise UsageError(f"{file}: the same content as {self.shas[sha]}, already listed; nothing written")
        kind, obj, _, envelope = parse_listed(rel, data)
        if self.kind is not None and kind != self.kind:
            raise UsageError(f"{file}: kind: the document is a {kind}, not --kind {self.kind}; nothing written")
        id_field = ID_FIELDS.get(kind)
        if id_field is not None:
            ident = str(obj.get(id_field, ""))
            other = self.ids.get((kind, ident))
            if other is not None:
                raise UsageError(f"{file}: {id_field} {ident!r}: duplicate id, {other} has it already; nothing written")
            self.ids[(kind, ident)] = rel
        if envelope is not None:
            status = signature_status(self.trust, envelope)
            if status != "ok":
                raise EvidenceError(
                    f"{file}: signature does not verify against the tree's trust store "
                    f"{self.tree.manifest.trust_store.path} (key {obj.get('key_id')}: {status}); nothing written",
                    remedy="re-issue it with a key the trust store allows for this kind at its signed time, "
                    "or add that key with `glyphserpack keys add --trust`",
                )
        self.paths[rel] = len(self.paths)
        self.shas[sha] = rel
        self.docs.append((rel, kind, sha, obj))

    def notes(self) -> list[str]:
        """What still keeps a listed document from counting (``check`` would say so, as a finding)."""
        linked = {str(d.obj["certificate"]["path"]) for d in self.tree.by_kind("run_evidence")}
        linked |= {str(obj["certificate"]["path"]) for _, k, _, obj in self.docs if k == "run_evidence"}  # type: ignore[index]
        out: list[str] = []
        for rel, kind, _, obj in self.docs:
            if kind == "execution_certificate" and rel not in linked:
                out.append(f"{rel}: no run_evidence links it as its certificate; add the run's document too")
            if kind == "revocation":
                target = str(obj["target"]["path"])  # type: ignore[index]
                if target not in self.paths:
                    out.append(f"{rel}: revokes {target}, which the tree does not list")
        return out


def plan_add(
    root: Path,
    files: Sequence[Path],
    *,
    kind: str | None = None,
    suite: str | None = None,
    adapter: str | None = None,
) -> AddPlan:
    """Check ``files`` and plan listing them in the tree at ``root``, plus the re-pin; writes nothing.

    Raises UsageError for a file outside the tree, a kind other than ``kind``, a path, content
    or id the tree lists already; EvidenceError for an unknown kind, a document that does not
    match its schema, or a signature the tree's trust store does not accept. With ``kind``
    :data:`CONFORMANCE_REPORT` the one file is a JUnit report of ``suite`` for ``adapter``.
    """
    root = Path(root)
    if kind is not None and kind not in add_kinds():
        raise UsageError(f"--kind {kind!r}: unknown evidence kind; expected one of {', '.join(add_kinds())}")
    if not files:
        raise UsageError("FILE: give at least one document to list")
    tree = load_tree(root)
    if kind == CONFORMANCE_REPORT:
        return _plan_report(tree, files, suite, adapter)
    if suite is not None or adapter is not None:
        raise UsageError(f"--suite/--adapter: only with --kind {CONFORMANCE_REPORT}")
    batch = _Batch(tree, kind)
    for file in files:
        batch.take(Path(file))
    manifest = tree.manifest_path
    edited = {manifest: _current(tree, manifest)}
    edited[manifest] = append_links(edited[manifest], manifest, "documents", [(r, s) for r, _, s, _ in batch.docs])
    records = [(r, s) for r, k, s, _ in batch.docs if k == "certification_record"]
    bundle = ""
    if records:
        bundle = _one_bundle(tree, records[0][0])
        edited[bundle] = append_links(_current(tree, bundle), bundle, "certification_records", records)
    pins = plan_pins(root, edited=edited)
    listed = tuple(
        Listed(
            r, k, s, (f"{manifest}: documents", *([f"{bundle}: certification_records"] if r in dict(records) else []))
        )
        for r, k, s, _ in batch.docs
    )
    return AddPlan(listed, pins, {**edited, **pins.new_bytes}, tuple(batch.notes()))


def _one_bundle(tree: EvidenceTree, what: str) -> str:
    bundles = tree.by_kind("certification_bundle")
    if len(bundles) != 1:
        raise UsageError(
            f"{what}: goes in the certification bundle, and the tree has {len(bundles)}; nothing written",
            remedy="list it in the right bundle by hand, then run `glyphserpack evidence pin`",
        )
    return bundles[0].path


def _plan_report(tree: EvidenceTree, files: Sequence[Path], suite: str | None, adapter: str | None) -> AddPlan:
    """A JUnit report into the bundle's ``conformance_reports``, its counts read from the report itself."""
    from glyphserpack.evidence.attest.junit import JUNIT_LIMIT, parse_junit

    if len(files) != 1 or suite is None or adapter is None:
        raise UsageError(f"--kind {CONFORMANCE_REPORT}: takes one FILE, with --suite and --adapter")
    file = Path(files[0])
    rel = _tree_path(tree.root, file)
    bundle = _one_bundle(tree, str(file))
    for i, report in enumerate(tree.documents[bundle].obj["conformance_reports"]):
        where = f"{bundle} conformance_reports[{i}]"
        if report["report"]["path"] == rel:
            raise UsageError(f"{file}: already listed in {where}; nothing written")
        if (report["suite_id"], report["adapter_id"]) == (suite, adapter):
            raise UsageError(
                f"{file}: suite_id {suite!r} for adapter_id {adapter!r}: duplicate id, {where} has it already; "
                "nothing written"
            )
    data = read_bounded(resolve_inside(tree.root, rel, what=str(file)), JUNIT_LIMIT, what=f"{file}:")
    try:
        counts = parse_junit(data)
    except ValueError as exc:
        raise EvidenceError(f"{file}: not a JUnit conformance report: {exc}; nothing written") from None
    sha = hashlib.sha256(data).hexdigest()
    item: dict[str, object] = {
        "suite_id": suite,
        "adapter_id": adapter,
        "report": {"path": rel, "sha256": sha},
        "cases_total": counts.tests,
        "cases_passed": counts.passed,
        "cases_skipped": counts.skipped,
        "verdict": "PASS" if counts.failures + counts.errors == 0 else "FAIL",
    }
    edited = {bundle: append_items(_current(tree, bundle), bundle, "conformance_reports", [item])}
    pins = plan_pins(tree.root, edited=edited)
    listed = Listed(rel, CONFORMANCE_REPORT, sha, (f"{bundle}: conformance_reports",))
    return AddPlan((listed,), pins, {**edited, **pins.new_bytes})


def _current(tree: EvidenceTree, rel: str) -> bytes:
    return read_bounded(resolve_inside(tree.root, rel, what=rel), DOCUMENT_LIMIT, what=f"document {rel}")


def apply_add(root: Path, plan: AddPlan) -> None:
    """Write every file of the plan at once (staged, then renamed), or none."""
    apply_pins(root, PinPlan(plan.pins.changes, plan.pins.resign, dict(sorted(plan.new_bytes.items()))))
