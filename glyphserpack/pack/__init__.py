"""The ``.glyphserpack`` archival package: write, open, verify, list, extract, attach.

A pack is a zstd-compressed POSIX tar stream holding a BagIt bag plus a signed canonical-CBOR
manifest, written as independent frames with a seek table (specification: ``archive/FORMAT.md``)::

    root = glyphserpack.pack.write(Path("evidence"), Path("release.glyphserpack"), sign_keys=[key])
    report = glyphserpack.pack.verify(Path("release.glyphserpack"), trust=TrustStore.load(Path("trust")))
    assert report.valid
"""

from __future__ import annotations

from pathlib import Path

from glyphserpack._internal.pack.bag import ATTACHMENT_PREFIXES, FORMAT_MAJOR, FORMAT_MINOR, ROOT_TAG
from glyphserpack._internal.pack.reader import Limits
from glyphserpack.pack.extract import ExtractResult, extract
from glyphserpack.pack.read import MemberInfo, PackReader, open_pack
from glyphserpack.pack.report import Check, PackReport
from glyphserpack.pack.verify import verify, verify_or_raise
from glyphserpack.pack.write import attach, write

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
    "verify",
    "verify_or_raise",
    "write",
]


def ls(path: Path) -> list[MemberInfo]:
    """Members of a pack in stream order, reading only the index and the manifest's frame."""
    with open_pack(path) as reader:
        return reader.members()
