"""SPDX 2.x SBOMs parsed and validated with spdx-tools (issue 13, item 1): GSP-E066.

spdx-tools is imported only when an SPDX SBOM is present (about 0.3 s, which a tree of
CycloneDX SBOMs never pays). Documents are parsed from memory, not from a file: JSON from the
object the caller already parsed, tag-value with the library's own ply grammar (built without
writing its parser tables anywhere). Parsing and the library's full validation
(``validate_full_spdx_document``: required fields, SPDXID syntax, every relationship's ends
present, checksums, license expressions, SPDX-2.2/2.3 only) give the messages reported.

The caller caps the size (``SBOM_LIMIT``) before anything here runs; :data:`SPDX_ELEMENT_LIMIT`
caps the elements the validator walks, since it checks each relationship against every element.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SPDX_ELEMENT_LIMIT", "spdx_problems"]

#: Most packages + files + snippets + relationships validated: a large real SBOM has a few
#: thousand. The library's relationship check is quadratic, so more is refused unvalidated.
SPDX_ELEMENT_LIMIT = 20_000
#: Messages quoted in one finding; the rest are counted.
_SHOWN = 3


def _count(obj: dict[str, Any]) -> int:
    return sum(len(v) for k in ("packages", "files", "snippets", "relationships") if isinstance(v := obj.get(k), list))


def spdx_problems(doc: dict[str, Any] | str) -> str:
    """What spdx-tools says is wrong with an SPDX document (parsed JSON object or tag-value text); ``""`` if valid."""
    if isinstance(doc, dict) and _count(doc) > SPDX_ELEMENT_LIMIT:
        return f"more than {SPDX_ELEMENT_LIMIT} packages, files, snippets and relationships; not validated"
    if isinstance(doc, str) and doc.count("\nRelationship:") + doc.count("\nPackageName:") > SPDX_ELEMENT_LIMIT:
        return f"more than {SPDX_ELEMENT_LIMIT} packages and relationships; not validated"
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    try:
        document = _parse(doc)
    except SPDXParsingError as exc:
        return "spdx-tools cannot parse it: " + _join([str(m) for m in exc.get_messages()])  # type: ignore[no-untyped-call]
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


def _join(messages: list[str]) -> str:
    shown = "; ".join(s[:300] for s in messages[:_SHOWN])
    more = len(messages) - _SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")
