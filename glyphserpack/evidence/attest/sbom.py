"""SBOMs validated with the library of their format (issue 13, item 1): CycloneDX or SPDX.

:func:`sbom_format` is the one place that tells the formats apart: a JSON object with
``bomFormat: "CycloneDX"`` is CycloneDX, one with ``spdxVersion`` is SPDX JSON, text with an
``SPDXVersion:`` tag line is SPDX tag-value; anything else is not an SBOM this checker reads.
CycloneDX is validated against the JSON Schema cyclonedx-python-lib ships for the document's
own ``specVersion`` (offline, strict validator); SPDX with spdx-tools (attest/spdx.py, imported
only when an SPDX SBOM is present). An SBOM is hostile input: its size is capped before it is
parsed (:data:`SBOM_LIMIT`, so a 100k-component SBOM is a finding in milliseconds, not minutes
of validation).

Codes: ``GSP-E064`` the SBOM is not a valid CycloneDX document of its declared version (the
detail names the file, who claims it and what the schema says); ``GSP-E066`` it is not a valid
SPDX document (what spdx-tools says); ``GSP-E065`` it is too large, or neither format at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any, Literal

from glyphserpack._internal import jsontext
from glyphserpack.evidence.attest.reading import read_pinned
from glyphserpack.evidence.attest.spdx import spdx_problems, spdx_too_large
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import HashLink
from glyphserpack.findings import Finding, finding

__all__ = ["SBOM_LIMIT", "SbomFormat", "check_release_sbom", "check_sbom", "sbom_errors", "sbom_format"]

#: Largest SBOM validated: about 20k components of typical size. Larger ones are refused
#: before parsing, so time and memory stay bounded whatever the attachment holds.
SBOM_LIMIT = 4 * 1024 * 1024


@lru_cache(maxsize=8)
def _validator(spec_version: str) -> Any:
    """The strict JSON validator of one CycloneDX spec version (schemas ship with the library)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SchemaVersion.from_version(spec_version))


SbomFormat = Literal["cyclonedx-json", "spdx-json", "spdx-tag-value"]


def sbom_format(text: str) -> tuple[SbomFormat, Any] | str:
    """``(format, parsed)`` (the JSON object, or the text for tag-value), or why it is neither format."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            obj = jsontext.loads(text)
        except ValueError as exc:
            return f"not JSON ({exc})"
        if isinstance(obj, dict) and obj.get("bomFormat") == "CycloneDX":
            return "cyclonedx-json", obj
        if isinstance(obj, dict) and "spdxVersion" in obj:
            return "spdx-json", obj
        return 'JSON, but neither CycloneDX (bomFormat "CycloneDX") nor SPDX (spdxVersion)'
    if any(line.startswith("SPDXVersion:") for line in text.splitlines()):
        return "spdx-tag-value", text
    return "not JSON, and not SPDX tag-value (no SPDXVersion: line): neither CycloneDX nor SPDX"


def sbom_errors(text: str) -> tuple[str, str]:
    """``(code, why)`` when ``text`` is not a valid CycloneDX or SPDX SBOM, else ``("", "")``.

    ``GSP-E065`` when it is neither format (or SPDX too large to validate in bounded time),
    ``GSP-E064`` when its CycloneDX schema says no, ``GSP-E066`` when spdx-tools says no.
    """
    detected = sbom_format(text)
    if isinstance(detected, str):
        return "GSP-E065", detected
    fmt, parsed = detected
    if fmt != "cyclonedx-json":
        too_large = spdx_too_large(parsed)
        if too_large:
            return "GSP-E065", f"SPDX ({fmt}): {too_large}"
        problems = spdx_problems(parsed)
        return ("GSP-E066", f"SPDX ({fmt}): {problems}") if problems else ("", "")
    spec = parsed.get("specVersion")
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
