"""OpenAPI 3.x: the attachment is a schema-valid OpenAPI document defining the operations named.

Validation is openapi-spec-validator's (the OpenAPI Initiative's JSON Schemas). Before it runs,
every ``$ref`` must be local (``#/...``): a remote or relative reference would make the
validator fetch files or URLs, which a check must never do; chains of references that only
point at each other are refused as cycles, and the validator's own recursion is bounded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from glyphserpack._internal.docload import DOCUMENT_LIMIT, parse_document
from glyphserpack.errors import InputError
from glyphserpack.evidence.attest.reading import AttachmentError, by_content, linked_bytes
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.productization import ExternalInterfaces
from glyphserpack.findings import Finding, finding

__all__ = ["check_openapi", "operation_ids"]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: More ``$ref`` values than any real API document has; bounds the reference walk.
MAX_REFS = 100_000


def operation_ids(spec: dict[str, Any]) -> set[str]:
    """Every ``operationId`` under ``paths`` (and 3.1 ``webhooks``)."""
    out: set[str] = set()
    for section in ("paths", "webhooks"):
        items = spec.get(section)
        if not isinstance(items, dict):
            continue
        for item in items.values():
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                op = item.get(method)
                if isinstance(op, dict) and isinstance(op.get("operationId"), str):
                    out.add(op["operationId"])
    return out


def _refs(node: object) -> Iterator[str]:
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            ref = cur.get("$ref")
            if isinstance(ref, str):
                yield ref
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


def _resolve(spec: object, ref: str) -> object:
    """The node a local JSON Pointer reference names, or None (RFC 6901 unescaping)."""
    cur = spec
    for raw in ref[2:].split("/") if ref != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return None
    return cur


def _reference_problem(spec: dict[str, Any]) -> str | None:
    """Why the document's references cannot be followed safely, or None.

    A chain that was followed to its end once is remembered, so a document of N references
    chained one after another costs N steps, not N squared.
    """
    settled: set[str] = set()  # references whose chain ends in a real node
    for n, ref in enumerate(_refs(spec)):
        if n > MAX_REFS:
            return f"more than {MAX_REFS} $ref values"
        if not ref.startswith("#"):
            return f"$ref {ref!r} is not local to the document (remote and file references are not followed)"
        chain = [ref]
        on_chain = {ref}
        target = _resolve(spec, ref)
        while ref not in settled and isinstance(target, dict) and isinstance(target.get("$ref"), str):
            ref = target["$ref"]
            if ref in on_chain:
                shown = chain if len(chain) <= 8 else [*chain[:3], "...", *chain[-3:]]
                return f"$ref cycle: {' -> '.join([*shown, ref])}"
            if not ref.startswith("#"):
                break  # reported when the walk reaches this $ref itself
            chain.append(ref)
            on_chain.add(ref)
            target = _resolve(spec, ref)
        settled.update(chain)
    return None


#: What :func:`_first_error` says when the validator recursed too deep (reported as the claim's problem).
_TOO_DEEP = "references nest too deeply to validate"


def _first_error(spec: dict[str, Any], version: str) -> str | None:
    """The validator's first error as text (None when the document is valid); pure in the bytes."""
    validator = OpenAPIV31SpecValidator if version.startswith("3.1.") else OpenAPIV30SpecValidator
    try:
        error: OpenAPIValidationError | None = next(iter(validator(spec).iter_errors()), None)
    except RecursionError:
        return _TOO_DEEP
    if error is None:
        return None
    where = "/".join(str(p) for p in error.path) or "<document>"
    return f"not a valid OpenAPI {version} document at {where}: {error.message}"


def check_openapi(tree: EvidenceTree, doc_path: str, e: ExternalInterfaces) -> Iterator[Finding]:
    """GSP-E030 when the attachment is not a valid OpenAPI 3.x document, GSP-E031 for missing operations."""
    name = e.openapi.path
    try:
        data = linked_bytes(tree, e.openapi, limit=DOCUMENT_LIMIT)
    except AttachmentError as exc:
        yield finding("GSP-E030", name, f"{doc_path} openapi: {exc.reason}")
        return
    if data is None:
        return
    try:
        spec = parse_document(data, name=name, fmt="json" if name.endswith(".json") else "yaml")
    except InputError as exc:
        yield finding("GSP-E030", name, f"{doc_path} openapi claims an OpenAPI document; {exc.message}")
        return
    if not isinstance(spec, dict) or not isinstance(spec.get("openapi"), str):
        yield finding(
            "GSP-E030", name, f"{doc_path} openapi claims an OpenAPI document; this has no 'openapi' version field"
        )
        return
    version = spec["openapi"]
    if version != e.openapi_version:
        yield finding(
            "GSP-E030", name, f"{doc_path} claims openapi_version {e.openapi_version}; document says {version}"
        )
    problem = _reference_problem(spec)
    if problem is not None:
        yield finding("GSP-E030", name, f"{doc_path} openapi: {problem}")
        return
    if not version.startswith(("3.0.", "3.1.")):
        yield finding("GSP-E030", name, f"openapi {version!r} is not OpenAPI 3.0 or 3.1")
        return
    problem = by_content(
        "openapi-spec-validator", hashlib.sha256(data).hexdigest(), lambda: _first_error(spec, version)
    )
    if problem is not None:
        yield finding("GSP-E030", name, f"{doc_path} openapi: {problem}" if problem == _TOO_DEEP else problem)
        return
    defined = operation_ids(spec)
    for op in e.openapi_operations:
        if op not in defined:
            yield finding(
                "GSP-E031",
                name,
                f"{doc_path} openapi_operations names {op!r}; the document defines no such operationId",
            )
