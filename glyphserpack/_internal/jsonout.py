"""The one JSON writer: every JSON file, stdout document and embedded JSON goes through here.

House style, the defaults: two-space indent, keys sorted (so dict order never leaks into
bytes), ``allow_nan=False``, and files end with a newline. JSON has no NaN or infinity, and
Python's encoder would write the bare tokens ``NaN`` / ``Infinity`` that no other parser
accepts; here such a value is an :class:`~glyphserpack.errors.InputError` naming where it sits
in the document. Outputs that deliberately differ say so with an explicit option:

* ``indent=1`` (site manifest, ``api/``, build checkpoint), ``indent=None`` (one-line
  documents: ``--json`` lines, caches, JSON embedded in a script);
* ``compact=True``: no spaces at all (JSON Lines logs, Material's search index for the browser);
* ``sort_keys=False``: where the document's own field order is the order (pydantic models,
  Material's search index);
* ``ensure_ascii``: ``True`` (Python's default, kept wherever it was the format) escapes every
  non-ASCII character; ``False`` writes UTF-8.

``tests/test_jsonout.py`` fails when a ``json.dump``/``json.dumps`` appears anywhere else in the
package, so the rules cannot drift.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from glyphserpack._internal.fsio import atomic_write
from glyphserpack.errors import InputError

__all__ = ["dumps", "to_bytes", "write_json"]


def dumps(
    obj: Any,
    *,
    indent: int | None = 2,
    sort_keys: bool = True,
    ensure_ascii: bool = True,
    compact: bool = False,
) -> str:
    """``obj`` as JSON text without a trailing newline (``click.echo`` and JSON Lines add theirs)."""
    separators = (",", ":") if compact else None
    if indent is not None and not compact:
        fast = _indented(obj, indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
        if fast is not None:
            return fast
    try:
        return json.dumps(
            obj,
            indent=None if compact else indent,
            sort_keys=sort_keys,
            ensure_ascii=ensure_ascii,
            separators=separators,
            allow_nan=False,
        )
    except ValueError:
        found = _non_finite(obj, "")
        if found is None:
            raise
        where, value = found
        raise InputError(
            f"cannot write JSON: {where or 'the value'} is {value!r}; JSON has no NaN or infinity",
            remedy="fix the input that carries this number: JSON, and so this output, needs a finite value",
        ) from None


def to_bytes(
    obj: Any,
    *,
    indent: int | None = 2,
    sort_keys: bool = True,
    ensure_ascii: bool = True,
    compact: bool = False,
) -> bytes:
    """The bytes of a JSON file: :func:`dumps` plus a trailing newline, UTF-8."""
    text = dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii, compact=compact)
    return (text + "\n").encode("utf-8")


def write_json(
    path: Path,
    obj: Any,
    *,
    indent: int | None = 2,
    sort_keys: bool = True,
    ensure_ascii: bool = True,
    compact: bool = False,
) -> None:
    """Write ``obj`` to ``path`` atomically (temp file, fsync, rename); encoded before anything is written."""
    data = to_bytes(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii, compact=compact)
    atomic_write(path, data)


class _Unusual(Exception):
    """A value :func:`_indented` leaves to :mod:`json` (a subclass, a non-text key, NaN)."""


def _indented(obj: Any, indent: int, *, sort_keys: bool, ensure_ascii: bool) -> str | None:
    """The exact text ``json.dumps(obj, indent=indent, ...)`` gives, for documents of plain
    dicts with text keys, lists, text, ints, finite floats, bools and None; else None.

    ``json`` renders indented output in pure Python, one generator step per token; a pack
    manifest mirror of a million members took longer than compressing the payload. Leaves go
    through the C string encoder and containers are joined once per level.
    """
    quote = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    parts: list[str] = []
    add = parts.append

    def _collapse(start: int) -> None:
        # A finished small container becomes one string: a list of a million small dicts
        # would otherwise sit in memory as twenty million small strings until the final
        # join. Large ones stay in pieces, so no text is copied more than a few times.
        if 1 < len(parts) - start <= 256:
            parts[start:] = ["".join(parts[start:])]

    def render(o: Any, level: int) -> None:
        t = type(o)
        if t is str:
            add(quote(o))
        elif t is int:
            add(int.__repr__(o))
        elif o is None:
            add("null")
        elif o is True:
            add("true")
        elif o is False:
            add("false")
        elif t is float:
            if not math.isfinite(o):
                raise _Unusual
            add(float.__repr__(o))
        elif t is dict:
            if not o:
                add("{}")
                return
            start = len(parts)
            keys = list(o)
            for k in keys:
                if type(k) is not str:
                    raise _Unusual
            if sort_keys:
                keys.sort()
            inner = "\n" + " " * (indent * (level + 1))
            sep = "{" + inner
            for k in keys:
                add(sep)
                add(quote(k))
                add(": ")
                render(o[k], level + 1)
                sep = "," + inner
            add("\n" + " " * (indent * level) + "}")
            _collapse(start)
        elif t is list or t is tuple:
            if not o:
                add("[]")
                return
            start = len(parts)
            inner = "\n" + " " * (indent * (level + 1))
            sep = "[" + inner
            for item in o:
                add(sep)
                render(item, level + 1)
                sep = "," + inner
            add("\n" + " " * (indent * level) + "]")
            _collapse(start)
        else:
            raise _Unusual

    try:
        render(obj, 0)
    except (_Unusual, RecursionError):
        return None
    return "".join(parts)


def _non_finite(obj: Any, path: str) -> tuple[str, float] | None:
    """Where (``a.b[2]``) the first NaN or infinity in ``obj`` sits, and the value; None if nowhere."""
    if isinstance(obj, float):
        return None if math.isfinite(obj) else (path, obj)
    if isinstance(obj, Mapping):
        children = [(f"{path}.{k}" if path else str(k), obj[k]) for k in sorted(obj, key=str)]
    elif isinstance(obj, list | tuple):
        children = [(f"{path}[{i}]", item) for i, item in enumerate(obj)]
    else:
        return None
    for child_path, child in children:
        found = _non_finite(child, child_path)
        if found is not None:
            return found
    return None
