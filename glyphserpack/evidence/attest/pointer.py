"""RFC 6901 JSON Pointer, resolved over parsed JSON, YAML or CBOR values.

A small implementation rather than a dependency: ``jsonpointer`` is not one of ours, and the
subset needed (resolve, never modify) is about thirty lines whose every rule is tested here:
``~1`` is ``/`` and ``~0`` is ``~`` (decoded in that order, so ``~01`` is ``~1``), any other
``~`` is an error, array indices are ``0`` or have no leading zero, and ``-`` (the element
after the last one) never exists when reading.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["PointerError", "parse_pointer", "resolve_pointer"]

_BAD_ESCAPE = re.compile(r"~(?![01])")
_INDEX = re.compile(r"0|[1-9][0-9]*")


class PointerError(ValueError):
    """A pointer that is malformed or names nothing; the message says which ref and why."""


def parse_pointer(pointer: str) -> list[str]:
    """The reference tokens of ``pointer`` (``""`` is the whole document, so no tokens)."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerError(f"{pointer!r} is not a JSON Pointer (it must be empty or start with '/')")
    tokens = []
    for raw in pointer[1:].split("/"):
        if _BAD_ESCAPE.search(raw):
            raise PointerError(f"ref {raw!r}: '~' must be followed by 0 or 1")
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
    return tokens


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value ``pointer`` names in ``document``; raises :class:`PointerError` if there is none."""
    value = document
    where = ""
    for ref in parse_pointer(pointer):
        if isinstance(value, dict):
            if ref not in value:
                raise PointerError(f"{where or '/'} has no member {ref!r}")
            value = value[ref]
        elif isinstance(value, list):
            if ref == "-":
                raise PointerError(f"{where or '/'}: '-' names the element after the last one, which never exists")
            if not _INDEX.fullmatch(ref):
                raise PointerError(f"{where or '/'}: {ref!r} is not an array index (digits, no leading zero)")
            if int(ref) >= len(value):
                raise PointerError(f"{where or '/'}: index {ref} out of range (array of {len(value)})")
            value = value[int(ref)]
        else:
            raise PointerError(f"{where or '/'} is a {type(value).__name__}, it has no member {ref!r}")
        where += "/" + ref.replace("~", "~0").replace("/", "~1")
    return value
