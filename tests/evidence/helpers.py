"""Shared helpers for the evidence tests: copy the bundled tree, edit it, re-pin hash links."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "evidence"
TEXT_SUFFIXES = (".yaml", ".yml", ".json")


def copy_tree(dest: Path) -> Path:
    """A private copy of the bundled evidence tree (tests never touch the real one)."""
    assert (BUNDLED / "release.yaml").is_file(), "bundled evidence/ missing: run scripts/make_demo_evidence.py"
    root = dest / "evidence"
    shutil.copytree(BUNDLED, root, symlinks=True)
    return root


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def relink(root: Path, old: str, new: str) -> None:
    """Replace a pinned SHA-256 everywhere in YAML/JSON documents, then re-pin whatever that changed.

    Digests are unique 64-hex strings, so textual replacement is exact. Signed ``.cbor`` files
    are left alone: tests that need a changed signed payload sign it themselves.
    """
    queue = [(old, new)]
    while queue:
        o, n = queue.pop()
        for path in sorted(root.rglob("*")):
            if path.suffix not in TEXT_SUFFIXES or path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            if o.encode() in data:
                changed = data.replace(o.encode(), n.encode())
                path.write_bytes(changed)
                queue.append((sha(data), sha(changed)))


def rewrite(root: Path, rel: str, data: bytes) -> None:
    """Replace a file's bytes and re-pin every link to it (so only the content change is tested)."""
    path = root / rel
    old = sha(path.read_bytes())
    path.write_bytes(data)
    relink(root, old, sha(data))


def edit_text(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text()
    assert old in text, f"{old!r} not in {rel}"
    rewrite(root, rel, text.replace(old, new, 1).encode())


def edit_doc(root: Path, rel: str, fn: Callable[[dict[str, Any]], None]) -> None:
    """Load a YAML/JSON document, let ``fn`` change it, write it back as YAML and re-pin links."""
    from glyphserpack._internal.docload import load_document

    obj = load_document(root / rel)
    fn(obj)
    rewrite(root, rel, yaml.safe_dump(obj, sort_keys=False).encode())


def findings_of(root: Path, profile: str) -> tuple[str, list[str]]:
    """(verdict, finding lines) of checking ``root`` against ``profile``."""
    from glyphserpack.evidence import check, load_tree

    result = check(load_tree(root), profile)
    return result.upgrade_gate_verdict, [f.line() for f in result.findings]
