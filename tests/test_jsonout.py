"""One JSON writer (``_internal/jsonout``): no stray ``json.dump(s)``, no NaN, stable bytes."""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glyphserpack._internal import jsonout
from glyphserpack._internal.pack import bag
from glyphserpack.errors import InputError
from glyphserpack.parity import auditlog

PACKAGE = Path(__file__).resolve().parents[1] / "glyphserpack"
WRITER = "_internal/jsonout.py"
#: (file, enclosing function) -> why a json.dumps there is not an output
NOT_OUTPUT = {
    ("site/builder.py", "_digest"): "hashes a cache key; the text is never written anywhere",
}
_FORBIDDEN_ATTRS = {"dump", "dumps"}


def _calls(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, enclosing function, what) for each json.dump/json.dumps/model_dump_json call."""
    found: list[tuple[int, str, str]] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else func
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                attr, value = child.func.attr, child.func.value
                if attr in _FORBIDDEN_ATTRS and isinstance(value, ast.Name) and value.id == "json":
                    found.append((child.lineno, func, f"json.{attr}"))
                elif attr == "model_dump_json":
                    found.append((child.lineno, func, attr))
            if isinstance(child, ast.ImportFrom) and child.module == "json":
                for alias in child.names:
                    if alias.name in _FORBIDDEN_ATTRS:
                        found.append((child.lineno, func, f"from json import {alias.name}"))
            visit(child, name)

    visit(tree, "<module>")
    return found


def test_no_json_output_bypasses_the_writer() -> None:
    stray = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == WRITER:
            continue
        for line, func, what in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            if (rel, func) not in NOT_OUTPUT:
                stray.append(f"glyphserpack/{rel}:{line} {what} in {func}()")
    assert stray == [], "route these through glyphserpack._internal.jsonout:\n" + "\n".join(stray)


def test_the_grep_sees_what_it_must() -> None:
    """The checker itself: each spelling of a stray dump is caught."""
    src = (
        "import json\nfrom json import dumps\n"
        "def f(m):\n    json.dump(1, fh)\n    return json.dumps(1), m.model_dump_json()\n"
    )
    assert [what for _, _, what in _calls(ast.parse(src))] == [
        "from json import dumps",
        "json.dump",
        "json.dumps",
        "model_dump_json",
    ]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_a_clear_error(bad: float) -> None:
    with pytest.raises(InputError, match=r"metrics\.rates\[1\] is (nan|inf|-inf); JSON has no NaN or infinity"):
        jsonout.dumps({"metrics": {"rates": [0.5, bad]}, "ok": True})


WRITERS: dict[str, Callable[[Any], object]] = {
    "pack manifest.json mirror": bag.manifest_json,
    "parity audit log line": auditlog.render,
    "jsonout.to_bytes": jsonout.to_bytes,
}


@pytest.mark.parametrize("label", sorted(WRITERS))
def test_outputs_refuse_nan_instead_of_writing_invalid_json(label: str) -> None:
    """Before the one writer, these wrote the bare token ``NaN``, which no JSON parser accepts."""
    with pytest.raises(InputError, match="JSON has no NaN"):
        WRITERS[label]({"x": math.nan})


def test_write_json_writes_nothing_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_bytes(b"old\n")
    with pytest.raises(InputError):
        jsonout.write_json(target, {"x": math.inf})
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_house_style_and_options() -> None:
    obj = {"b": [1, "é"], "a": {"y": None, "x": 1.5}}
    assert jsonout.to_bytes(obj) == (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode()
    assert jsonout.dumps(obj, ensure_ascii=False, indent=1) == json.dumps(
        obj, indent=1, sort_keys=True, ensure_ascii=False
    )
    assert jsonout.dumps(obj, indent=None) == '{"a": {"x": 1.5, "y": null}, "b": [1, "\\u00e9"]}'
    assert (
        jsonout.dumps(obj, compact=True, sort_keys=False, ensure_ascii=False) == '{"b":[1,"é"],"a":{"y":null,"x":1.5}}'
    )
