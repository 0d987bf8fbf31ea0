"""The ``.glyphserpack`` archival package: write, open, verify, list, extract, attach.

A pack is a zstd-compressed POSIX tar stream holding a BagIt bag plus a signed canonical-CBOR
manifest, written as independent frames with a seek table (specification: ``archive/FORMAT.md``)::

    root = glyphserpack.pack.write(Path("evidence"), Path("release.glyphserpack"), sign_keys=[key])
    report = glyphserpack.pack.verify(Path("release.glyphserpack"), trust=TrustStore.load(Path("trust")))
    assert report.valid
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glyphserpack._internal.pack.bag import ATTACHMENT_PREFIXES, FORMAT_MAJOR, FORMAT_MINOR, ROOT_TAG
from glyphserpack._internal.pack.reader import Limits


class _Package(types.ModuleType):
    """This package, keeping ``extract``/``verify``/``write`` bound to the functions.

    Writing and verifying are imported on first use (below), so that ``glyphserpack extract
    PACK DEST MEMBER`` does not load them. But importing a submodule makes the import system
    bind it onto its package under its own name, which would replace the function
    ``glyphserpack.pack.verify`` with the module ``glyphserpack.pack.verify`` whenever that
    module is imported first by someone else; here the function is bound instead, as the
    eager ``from .verify import verify`` used to leave it.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and name in _SAME_NAME:
            value = getattr(value, name)
        super().__setattr__(name, value)


_SAME_NAME = frozenset({"extract", "verify", "write"})
sys.modules[__name__].__class__ = _Package

from glyphserpack.pack.extract import ExtractResult, extract  # noqa: E402 - needs _Package in place
from glyphserpack.pack.read import MemberInfo, PackReader, open_pack  # noqa: E402

if TYPE_CHECKING:
    from glyphserpack.pack.report import Check, PackReport
    from glyphserpack.pack.stamp import stamp_pack
    from glyphserpack.pack.verify import verify, verify_or_raise
    from glyphserpack.pack.write import attach, write

#: Public names loaded on first use -> their submodule.
_LAZY = {
    "Check": "report",
    "PackReport": "report",
    "attach": "write",
    "stamp_pack": "stamp",
    "verify": "verify",
    "verify_or_raise": "verify",
    "write": "write",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ATTACHMENT_PREFIXES",
    "FORMAT_MAJOR",
    "FORMAT_MINOR",
    "ROOT_TAG",
    "Check",
    "ExtractResult",
    "Limits",
    "MemberInfo",
    "PackReader",
    "PackReport",
    "attach",
    "extract",
    "ls",
    "open_pack",
    "stamp_pack",
    "verify",
    "verify_or_raise",
    "write",
]


def ls(path: Path) -> list[MemberInfo]:
    """Members of a pack in stream order, reading only the index and the manifest's frame."""
    with open_pack(path) as reader:
        return reader.members()
