"""SBOMs validated against their CycloneDX spec version's JSON Schema (issue 13, item 1).

The schema is the one cyclonedx-python-lib ships for the document's own ``specVersion``,
validated offline with its strict JSON validator. An SBOM is hostile input: its size is
capped before it is parsed (:data:`SBOM_LIMIT`, so a 100k-component SBOM is a finding in
milliseconds, not minutes of schema validation), and only JSON CycloneDX is accepted.

Codes: ``GSP-E064`` the SBOM is not a valid CycloneDX document of its declared version (the
detail names the file, who claims it and what the schema says); ``GSP-E065`` it is too large
or not JSON at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from glyphserpack._internal import jsontext
from glyphserpack.evidence.attest.reading import read_pinned
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import HashLink
from glyphserpack.findings import Finding, finding

__all__ = ["SBOM_LIMIT", "check_release_sbom", "check_sbom", "sbom_errors"]

#: Largest SBOM validated: about 20k components of typical size. Larger ones are refused
#: before parsing, so time and memory stay bounded whatever the attachment holds.
SBOM_LIMIT = 4 * 1024 * 1024


@lru_cache(maxsize=8)
def _validator(spec_version: str) -> Any:
    """The strict JSON validator of one CycloneDX spec version (schemas ship with the library)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SchemaVersion.from_version(spec_version))


def sbom_errors(text: str) -> tuple[str, str]:
    """``(code, why)`` when ``text`` is not a valid CycloneDX JSON SBOM of its own specVersion, else ``("", "")``.

    ``GSP-E065`` when it is not CycloneDX JSON at all, ``GSP-E064`` when its schema says no.
    """
    try:
        obj = jsontext.loads(text)
    except ValueError as exc:
        return "GSP-E065", f"not JSON ({exc})"
    if not isinstance(obj, dict) or obj.get("bomFormat") != "CycloneDX":
        return "GSP-E065", 'not a CycloneDX JSON document (bomFormat is not "CycloneDX")'
    spec = obj.get("specVersion")
    try:
        validator = _validator(str(spec))
    except ValueError:
        return "GSP-E064", f"specVersion {spec!r} is not a CycloneDX version this checker knows"
    error = validator.validate_str(text)
    if error is None:
        return "", ""
    return "GSP-E064", f"CycloneDX {spec} schema: {_describe(error)}"


def _describe(error: Any) -> str:
    """One line from the library's ValidationError: where in the document, and what."""
    data = getattr(error, "data", None)
    path = getattr(data, "json_path", None) or "$"
    message = getattr(data, "message", None) or str(error)
    return f"{path}: {str(message)[:300]}"


def check_sbom(tree: EvidenceTree, link: HashLink, *, claimed_by: str) -> Iterator[Finding]:
    """Findings for one SBOM attachment that ``claimed_by`` (a document path) points at."""
    got = read_pinned(tree, link, limit=SBOM_LIMIT)
    if got.unusable:
        yield finding("GSP-E065", link.path, f"SBOM claimed by {claimed_by}: {got.problem}; not validated")
        return
    if got.data is None:
        return  # missing or altered: the loader reported it (GSP-E004/E005)
    try:
        text = got.data.decode("utf-8")
    except UnicodeDecodeError:
        yield finding("GSP-E065", link.path, f"SBOM claimed by {claimed_by}: not UTF-8 text")
        return
    code, problem = sbom_errors(text)
    if code:
        yield finding(code, link.path, f"SBOM claimed by {claimed_by}: {problem}")


def check_release_sbom(tree: EvidenceTree) -> Iterator[Finding]:
    """The release SBOM (``release.yaml`` ``sbom``), when the release has one."""
    if tree.manifest.sbom is not None and tree.link_ok(tree.manifest.sbom):
        yield from check_sbom(tree, tree.manifest.sbom, claimed_by=tree.manifest_path)
