"""SPDX 2.x SBOMs parsed and validated with spdx-tools (issue 13, item 1): GSP-E066.

spdx-tools is imported only when an SPDX SBOM is present (about 0.3 s, which a tree of
CycloneDX SBOMs never pays). Documents are parsed from memory, not from a file: JSON from the
object the caller already parsed, tag-value with the library's own ply grammar (built without
writing its parser tables anywhere). Parsing and the library's full validation
(``validate_full_spdx_document``: required fields, SPDXID syntax, every relationship's ends
present, checksums, license expressions, SPDX-2.2/2.3 only) give the messages reported.

The caller caps the size (``SBOM_LIMIT``) before anything here runs, but 4 MiB of SPDX is
far more than spdx-tools validates in bounded time: for each relationship it lists every
element of the document again (500 packages with 500 relationships take about 1 s, 2,000 with
2,000 about 30 s). :func:`spdx_too_large` therefore refuses, before parsing, a document with
more than :data:`SPDX_ELEMENT_LIMIT` packages, files and snippets, or whose relationships
times elements exceed :data:`SPDX_PAIR_LIMIT`.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SPDX_ELEMENT_LIMIT", "SPDX_PAIR_LIMIT", "spdx_problems", "spdx_too_large"]

#: Most packages + files + snippets validated (about 1 s of parsing and checking at the limit).
SPDX_ELEMENT_LIMIT = 5_000
#: Most relationships x elements validated: the library's relationship check is quadratic.
SPDX_PAIR_LIMIT = 250_000
#: Messages quoted in one finding; the rest are counted.
_SHOWN = 3
#: Tag-value tags that open an element or a relationship.
_TV_ELEMENT = re.compile(r"^(?:PackageName|FileName|SnippetSPDXID):", re.M)
_TV_RELATIONSHIP = re.compile(r"^Relationship:", re.M)


def _counts(doc: dict[str, Any] | str) -> tuple[int, int]:
    """(elements, relationships) of a document, counted without parsing it."""
    if isinstance(doc, str):
        return len(_TV_ELEMENT.findall(doc)), len(_TV_RELATIONSHIP.findall(doc))

    def n(key: str) -> int:
        v = doc.get(key)
        return len(v) if isinstance(v, list) else 0

    packages = doc.get("packages")
    has_files = (
        sum(len(p["hasFiles"]) for p in packages or () if isinstance(p, dict) and isinstance(p.get("hasFiles"), list))
        if isinstance(packages, list)
        else 0
    )
    # documentDescribes and hasFiles become relationships when parsed
    return n("packages") + n("files") + n("snippets"), n("relationships") + n("documentDescribes") + has_files


def spdx_too_large(doc: dict[str, Any] | str) -> str:
    """Why spdx-tools would not validate ``doc`` in bounded time, or ``""``."""
    elements, relationships = _counts(doc)
    if elements > SPDX_ELEMENT_LIMIT:
        return f"{elements} packages, files and snippets, more than the {SPDX_ELEMENT_LIMIT} validated; not validated"
    if relationships * (elements + 1) > SPDX_PAIR_LIMIT:
        return (
            f"{relationships} relationships among {elements} elements, more than spdx-tools validates in "
            f"bounded time (relationships x elements at most {SPDX_PAIR_LIMIT}); not validated"
        )
    return ""


def spdx_problems(doc: dict[str, Any] | str) -> str:
    """What spdx-tools says is wrong with an SPDX document (parsed JSON object or tag-value text); ``""`` if valid.

    Call :func:`spdx_too_large` first: this runs the library whatever the document's size.
    """
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    try:
        document = _parse(doc)
    except SPDXParsingError as exc:
        messages = exc.get_messages()  # type: ignore[no-untyped-call]
        return "spdx-tools cannot parse it: " + _join([_readable(str(m)) for m in messages])
    except Exception as exc:  # noqa: BLE001 - hostile input may trip any error inside a third-party parser
        return f"spdx-tools cannot parse it: {type(exc).__name__}: {str(exc)[:200]}"
    messages = validate_full_spdx_document(document)
    return _join([_message(m) for m in messages])


def _parse(doc: dict[str, Any] | str) -> Any:
    if isinstance(doc, dict):
        from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

        return JsonLikeDictParser().parse(doc)  # type: ignore[no-untyped-call]
    from ply.yacc import NullLogger
    from spdx_tools.spdx.parser.tagvalue.parser import Parser

    parser = Parser(write_tables=False, debug=False, errorlog=NullLogger())  # type: ignore[no-untyped-call]
    return parser.parse(doc)  # type: ignore[no-untyped-call]


def _message(m: Any) -> str:
    """``<element>: <what is wrong>``; the element is its SPDXID when the library knows it."""
    ctx = m.context
    where = ctx.spdx_id or (ctx.element_type.name.lower() if ctx.element_type else "document")
    return f"{where}: {m.validation_message}"


#: spdx-tools reports a required field that is missing (or of the wrong type) as a beartype
#: setter error naming the model class and its parameter, e.g. ``Error while constructing
#: Package: ['SetterError Package: ... parameter name="None" violates type hint ...']``.
_SETTER = re.compile(r"Error while constructing (\w+): \[.*?parameter (\w+)=(\S+?) violates type hint", re.S)


def _readable(message: str) -> str:
    """A setter error as ``<Class>.<field>: required field missing``, anything else as the library said it."""
    m = _SETTER.search(message)
    if m is None:
        return message
    what = "required field missing" if m[3] == '"None"' else f"wrong type ({m[3][:60]})"
    return f"{m[1]}.{m[2]}: {what}"


def _join(messages: list[str]) -> str:
    messages = list(dict.fromkeys(messages))  # the validator repeats a message once per reference
    shown = "; ".join(s[:300] for s in messages[:_SHOWN])
    more = len(messages) - _SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")
