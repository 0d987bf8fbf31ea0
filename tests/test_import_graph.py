"""The package's import graph has no cycles (issue 12, item 10).

The graph is read from the source with ``ast``, not from ``sys.modules``, so it covers every
module whether or not a test happens to import it. What counts as an edge from module M:

* every ``import a.b`` and ``from a.b import c`` in M, absolute or relative (``from . import
  c``), to a module of the package: an edge to ``a.b``, and to ``a.b.c`` when that is a
  submodule. ``from glyphserpack.x import y`` thus reaches the package ``glyphserpack.x``
  (its ``__init__`` and re-exports), except that ``from . import sibling`` inside the package
  adds no edge to the package itself: the package is already being imported when one of its
  modules runs, and the statement only loads the sibling;
* importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``: an edge to each package
  on the way that is not one of M's own ancestors (those are already being imported);
* **imports inside functions count.** A lazy import that would close a cycle only hides it
  until someone moves the import; the design still has the cycle. A lazy import for start-up
  speed (the CLI imports each subcommand's machinery on use) points down the layers and
  closes no cycle, so it costs nothing here;
* imports under ``if TYPE_CHECKING:`` do not count: they never run.

A second test adds the ``TYPE_CHECKING`` imports back and still finds no cycle. That is how
``evidence/checks`` ↔ ``reports`` looked: ``reports`` needed ``CheckResult`` for its
annotations only, ``checks`` imported ``reports`` inside ``check()``; no cycle ran, yet neither
module could be read, typed or moved without the other. A type two modules share belongs in a
third (``evidence/results``).

There is no allow-list: every cycle found when this test was written
(``_internal/pack/reader`` ↔ ``walk``, ``evidence/checks`` ↔ ``reports``,
``release/logstep`` ↔ ``registry_log``) was broken. If one must ever be tolerated, list it in
``ALLOWED`` with the reason, and remove it the day it is broken.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "glyphserpack"

#: Strongly connected components tolerated, each a frozenset of module names, with a reason.
ALLOWED: dict[frozenset[str], str] = {}

Graph = dict[str, dict[str, list[int]]]  # module -> imported module -> line numbers


def _modules(package: Path) -> dict[str, tuple[Path, bool]]:
    """Module name -> (source file, is a package) for every ``.py`` file under ``package``."""
    out: dict[str, tuple[Path, bool]] = {}
    for path in sorted(package.rglob("*.py")):
        parts = [package.name, *path.relative_to(package).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        out[".".join(parts)] = (path, is_package)
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, *, typing: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node``, at any depth; ``if TYPE_CHECKING:`` bodies only with ``typing``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child) and not typing:
            yield from _imports(ast.Module(body=child.orelse, type_ignores=[]), typing=typing)
        else:
            yield from _imports(child, typing=typing)


def _targets(stmt: ast.Import | ast.ImportFrom, name: str, is_package: bool, known: set[str]) -> set[str]:
    """The package modules ``stmt`` (in module ``name``) makes Python execute."""
    named: set[str] = set()
    if isinstance(stmt, ast.Import):
        named.update(alias.name for alias in stmt.names)
    else:
        if stmt.level:
            base = name.split(".") if is_package else name.split(".")[:-1]
            base = base[: len(base) - (stmt.level - 1)]
            module = ".".join([*base, stmt.module] if stmt.module else base)
        else:
            module = stmt.module or ""
        subs = {f"{module}.{alias.name}" for alias in stmt.names} & known
        named.update(subs)
        only_siblings = name.startswith(module + ".") and len(subs) == len(stmt.names)
        if not only_siblings:
            named.add(module)
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    out: set[str] = set()
    for target in named:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in known and prefix not in ancestors and prefix != name:
                out.add(prefix)
    return out


def import_graph(package: Path = PACKAGE, *, typing: bool = False) -> Graph:
    """Module -> the modules it imports; with ``typing``, imports under ``if TYPE_CHECKING:`` too."""
    modules = _modules(package)
    known = set(modules)
    graph: Graph = {}
    for name, (path, is_package) in modules.items():
        edges: dict[str, list[int]] = {}
        for stmt in _imports(ast.parse(path.read_bytes(), filename=str(path)), typing=typing):
            for target in _targets(stmt, name, is_package, known):
                edges.setdefault(target, []).append(stmt.lineno)
        graph[name] = edges
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return sorted(found)


def _describe(graph: Graph, component: list[str]) -> str:
    members = set(component)
    lines = [" <-> ".join(component)]
    for name in component:
        for target, linenos in sorted(graph[name].items()):
            if target in members:
                where = ", ".join(str(n) for n in sorted(set(linenos)))
                lines.append(f"    {name} (line {where}) imports {target}")
    return "\n".join(lines)


def test_the_package_has_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 100  # the whole package was read
    found = [c for c in cycles(graph) if frozenset(c) not in ALLOWED]
    assert not found, "import cycles:\n" + "\n".join(_describe(graph, c) for c in found)


def test_not_even_annotations_import_in_a_circle() -> None:
    graph = import_graph(typing=True)
    found = [c for c in cycles(graph) if frozenset(c) not in ALLOWED]
    assert not found, "import cycles through TYPE_CHECKING imports:\n" + "\n".join(_describe(graph, c) for c in found)


def test_the_allow_list_only_shrinks() -> None:
    """An allowed cycle that is gone must leave the list, so that it cannot come back silently."""
    current = {frozenset(c) for typing in (False, True) for c in cycles(import_graph(typing=typing))}
    assert not [sorted(c) for c in ALLOWED if c not in current]


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"__init__.py": "", "a.py": "from pkg.b import x\n", "b.py": "def f():\n    from pkg import a\n"},
            [["pkg.a", "pkg.b"]],
            id="lazy-import-closes-a-cycle",
        ),
        pytest.param(
            {"__init__.py": "", "a.py": "from . import b\n", "b.py": "from .a import x\n"},
            [["pkg.a", "pkg.b"]],
            id="relative",
        ),
        pytest.param(
            {
                "__init__.py": "",
                "sub/__init__.py": "from pkg.sub.c import y\n",
                "sub/c.py": "",
                "a.py": "import pkg.sub.c\n",
                "sub/d.py": "from pkg.a import z\n",
            },
            [],
            id="parent-package-runs-but-closes-nothing",
        ),
        pytest.param(
            {
                "__init__.py": "",
                "sub/__init__.py": "from pkg.a import z\n",
                "sub/c.py": "",
                "a.py": "from pkg.sub.c import y\n",
            },
            [["pkg.a", "pkg.sub"]],
            id="through-a-package-init",
        ),
        pytest.param(
            {"__init__.py": "from pkg.a import x\n", "a.py": "from . import b\n", "b.py": ""},
            [],
            id="sibling-import-from-inside-the-package",
        ),
        pytest.param(
            {
                "__init__.py": "",
                "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import x\n",
                "b.py": "from pkg.a import y\n",
            },
            [],
            id="type-checking-only",
        ),
        pytest.param(
            {"__init__.py": "", "a.py": "import pkg.b\n", "b.py": "import pkg.a\n"},
            [["pkg.a", "pkg.b"]],
            id="plain-import",
        ),
    ],
)
def test_the_graph_reader(tmp_path: Path, files: dict[str, str], expected: list[list[str]]) -> None:
    assert cycles(import_graph(_write(tmp_path, files))) == expected


def test_the_typing_graph_sees_annotation_imports(tmp_path: Path) -> None:
    package = _write(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import x\n",
            "b.py": "def f():\n    from pkg import a\n",
        },
    )
    assert cycles(import_graph(package)) == []
    assert cycles(import_graph(package, typing=True)) == [["pkg.a", "pkg.b"]]
