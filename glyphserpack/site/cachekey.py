"""What every site cache key commits to besides its own inputs: the code and the toolchain.

A cached verdict, mkdocs output or page is only as good as the code that produced it. Which
modules a verdict depends on is not something to enumerate by hand (the checks call into
``canonical``, ``findings``, ``trust``, ``signing``, the CMS parser, ...), so the key covers all
of them: the bytes of every ``.py`` file of the installed ``glyphserpack`` package, the site
templates and ``mkdocs.yml``, and the installed versions of mkdocs and mkdocs-material (whose
output the site splices into). Editing any of them, or upgrading either tool, makes every
cached entry unreachable; an unchanged rebuild finds its entries as before.

The fingerprint is computed once per process (about a megabyte of source).
"""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path

from glyphserpack._internal.resources import resource

__all__ = ["PACKAGE", "TOOLS", "code_fingerprint", "fingerprint", "tool_versions"]

#: The installed package whose sources are hashed.
PACKAGE = Path(__file__).resolve().parents[1]
#: Distributions whose installed version is part of the key.
TOOLS = ("mkdocs", "mkdocs-material")


def tool_versions() -> dict[str, str]:
    """Installed version of each of :data:`TOOLS` (``"absent"`` when not installed)."""
    out = {}
    for name in TOOLS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def _files(package: Path, templates: Path, mkdocs_yml: Path) -> list[tuple[str, Path]]:
    """(stable name, path) of every file hashed, sorted by name; names do not depend on location."""
    out = [(f"glyphserpack/{p.relative_to(package).as_posix()}", p) for p in package.rglob("*.py")]
    if templates.is_dir():
        out += [
            (f"site_templates/{p.relative_to(templates).as_posix()}", p) for p in templates.rglob("*") if p.is_file()
        ]
    if mkdocs_yml.is_file():
        out.append(("mkdocs.yml", mkdocs_yml))
    return sorted(out)


def fingerprint(package: Path, templates: Path, mkdocs_yml: Path, versions: dict[str, str]) -> str:
    """SHA-256 over the named files' bytes, in name order, and the tool versions."""
    h = hashlib.sha256(b"glyphserpack site cache key v1\0")
    for name, path in _files(package, templates, mkdocs_yml):
        data = path.read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode() + data)
    for tool, version in sorted(versions.items()):
        h.update(f"tool\0{tool}\0{version}\0".encode())
    return h.hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """:func:`fingerprint` of this installation, computed on first use."""
    return fingerprint(PACKAGE, resource("site_templates"), resource("mkdocs.yml"), tool_versions())
