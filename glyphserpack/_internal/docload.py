"""Strict loading of JSON, YAML and canonical CBOR documents into canonical-profile values.

Ordinary loaders are too forgiving for evidence that gets hashed: PyYAML turns ``yes`` into
``True`` and ``2026-01-01`` into a ``date``, and both JSON and YAML quietly keep the last of
two duplicate keys. Here duplicates are errors (with the line), only ``true``/``false`` are
booleans, timestamps stay text, and anything the canonical profile cannot hold is refused.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import yaml

from glyphserpack import canonical
from glyphserpack._internal import jsontext
from glyphserpack._internal.fsio import read_bounded
from glyphserpack.errors import CanonicalError, InputError

__all__ = ["DOCUMENT_LIMIT", "MAX_DEPTH", "MAX_VALUES", "load_document", "parse_document"]

#: Largest evidence document we parse (attachments are hashed, not parsed, and have no cap).
DOCUMENT_LIMIT = 16 * 1024 * 1024

_LoaderBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_LoaderBase):  # type: ignore[misc]
    """SafeLoader with YAML 1.2-like scalars and duplicate-key detection."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise yaml.constructor.ConstructorError(
                None, None, f"map key {key!r} is not text (quote it)", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _construct_binary(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bytes:
    return bytes(yaml.SafeLoader.construct_yaml_binary(loader, node))


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:binary", _construct_binary)


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _json_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


#: Most values a document may hold once YAML aliases are expanded: far above any real evidence
#: document (16 MiB of JSON is at most a few million values), far below what an alias bomb
#: (``b: [*a, *a, ...]`` nested a few levels) expands to, which every later pass would walk.
MAX_VALUES = 4_000_000
#: The canonical profile's nesting limit (CONTRACTS.md §1), checked here first so the walk
#: below cannot exhaust Python's stack before ``canonical.dumps`` would refuse the document.
MAX_DEPTH = 256

_Path = tuple[object, ...]


def _where(name: str, path: _Path) -> str:
    keys: list[object] = []
    while path:
        path, key = path[0], path[1]  # type: ignore[assignment]
        keys.append(key)
    parts = [f"[{k}]" if isinstance(k, int) else f".{k}" for k in reversed(keys)]
    if len(parts) > 8:  # a nesting-depth error would otherwise print hundreds of steps
        parts = [*parts[:3], "…", *parts[-3:]]
    return name + "".join(parts)


def _check_values(obj: object, name: str) -> None:
    """Reject values the profile cannot hash the same way everywhere (NaN/inf from YAML), and
    documents too deep or too large once shared (aliased) parts are counted at every use.

    A shared container is walked once and its expanded size remembered, so the check costs
    the size of the parsed graph, not of its expansion.
    """
    sizes: dict[int, int] = {}

    def walk(o: object, path: _Path, depth: int) -> int:
        if isinstance(o, float) and not math.isfinite(o):
            raise InputError(f"{_where(name, path)}: non-finite number {o!r} is not allowed in evidence")
        if not isinstance(o, dict | list):
            return 1
        if depth >= MAX_DEPTH:
            raise InputError(f"{_where(name, path)}: nested deeper than {MAX_DEPTH} levels")
        known = sizes.get(id(o))
        if known is not None:
            return known
        total = 1
        for key, value in o.items() if isinstance(o, dict) else enumerate(o):
            total += walk(value, (path, key), depth + 1)
            if total > MAX_VALUES:
                raise InputError(
                    f"{_where(name, path)}: holds more than {MAX_VALUES:,} values once YAML aliases are expanded"
                )
        sizes[id(o)] = total
        return total

    walk(obj, (), 0)


def parse_document(data: bytes, *, name: str, fmt: str | None = None) -> Any:
    """Parse bytes as JSON, YAML or canonical CBOR (by ``fmt`` or by ``name``'s suffix)."""
    fmt = fmt or Path(name).suffix.lower().lstrip(".")
    if fmt == "cbor":
        try:
            obj = canonical.loads(data)
        except CanonicalError as exc:
            raise InputError(f"{name}: not canonical CBOR: {exc.message}") from None
    elif fmt == "json":
        try:
            text = data.decode("utf-8")
            obj = jsontext.loads(text, object_pairs_hook=_json_pairs, parse_constant=_json_constant)
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: not UTF-8 (byte {exc.start})") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
        except ValueError as exc:
            raise InputError(f"{name}: invalid JSON: {exc}") from None
    elif fmt in ("yaml", "yml"):
        try:
            text = data.decode("utf-8")
            obj = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - strict safe loader above
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: not UTF-8 (byte {exc.start})") from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            loc = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
            raise InputError(f"{loc}: invalid YAML: {exc.problem or exc.context}") from None
        except yaml.YAMLError as exc:
            raise InputError(f"{name}: invalid YAML: {exc}") from None
    else:
        raise InputError(f"{name}: unknown document format {fmt!r}; expected .json, .yaml, .yml or .cbor")
    _check_values(obj, name)
    try:
        canonical.dumps(obj)
    except CanonicalError as exc:
        raise InputError(f"{name}: value outside the canonical profile: {exc.message}") from None
    return obj


def load_document(path: Path, *, name: str | None = None, limit: int = DOCUMENT_LIMIT) -> Any:
    """Read (bounded) and parse a document file; errors name ``name`` or the path."""
    label = name or str(path)
    data = read_bounded(path, limit, what="document")
    return parse_document(data, name=label, fmt=path.suffix.lower().lstrip("."))
