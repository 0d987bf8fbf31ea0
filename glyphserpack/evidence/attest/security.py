"""Security case: every evidence pointer resolves in the document it cites (GSP-E040).

A control's ``evidence_locations[].pointer`` is an RFC 6901 JSON Pointer (``/decisions/0``)
or, for brevity, a top-level member name (``authz_decision_hash`` means ``/authz_decision_hash``
with no escaping). It is resolved in the parsed content of the cited, hash-verified file; for
a signed ``.cbor`` document that is its signed payload plus the envelope's ``signature`` and
``unsigned_metadata``. A pointer into a file that is not JSON, YAML or CBOR cannot resolve.

A crosswalk entry's ``evidence_fields`` name the control's evidence: each must be the path or
the pointer of one of that control's evidence locations, so a crosswalk cannot cite evidence
the control does not point at (and that nothing therefore resolves).
"""

from __future__ import annotations

from collections.abc import Iterator

from glyphserpack.evidence.attest.pointer import PointerError, resolve_pointer
from glyphserpack.evidence.attest.reading import AttachmentError, linked_object
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.evidence.productization import SecurityCase
from glyphserpack.findings import Finding, finding

__all__ = ["crosswalk_findings", "pointer_findings"]


def pointer_findings(tree: EvidenceTree, doc: Document) -> Iterator[Finding]:
    """One GSP-E040 per evidence pointer that names nothing in its (intact) cited file."""
    case = doc.as_(SecurityCase)
    parsed: dict[tuple[str, str], object] = {}
    for i, ctl in enumerate(case.controls):
        for j, loc in enumerate(ctl.evidence_locations):
            if loc.pointer is None:
                continue
            where = f"controls[{i}].evidence_locations[{j}].pointer"
            key = (loc.path, loc.sha256)
            try:
                if key not in parsed:
                    parsed[key] = linked_object(tree, loc)
                content = parsed[key]
                if content is None:
                    continue  # the broken link itself is already a GSP-E004/E005 finding
                pointer = loc.pointer if loc.pointer.startswith("/") or loc.pointer == "" else None
                if pointer is None:
                    if not isinstance(content, dict) or loc.pointer not in content:
                        raise PointerError(f"no top-level member {loc.pointer!r}")
                else:
                    resolve_pointer(content, pointer)
            except (AttachmentError, PointerError) as exc:
                yield finding(
                    "GSP-E040",
                    doc.path,
                    f"{where} {loc.pointer!r} ({ctl.control_id}) does not resolve in {loc.path}: {exc}",
                )


def crosswalk_findings(doc: Document) -> Iterator[Finding]:
    """GSP-E040 per crosswalk evidence field that is neither a path nor a pointer of its control's locations."""
    case = doc.as_(SecurityCase)
    named: dict[str, set[str]] = {}
    for ctl in case.controls:
        own = named.setdefault(ctl.control_id, set())
        for loc in ctl.evidence_locations:
            own.add(loc.path)
            if loc.pointer is not None:
                own.add(loc.pointer)
    for i, entry in enumerate(case.crosswalk):
        names = named.get(entry.control_id)
        if names is None:
            continue  # an entry for an unknown control is its own GSP-E015
        for j, field in enumerate(entry.evidence_fields):
            if field not in names:
                yield finding(
                    "GSP-E040",
                    doc.path,
                    f"crosswalk[{i}].evidence_fields[{j}] {field!r} ({entry.control_id}) is neither a path nor "
                    "a pointer of the control's evidence_locations",
                )
