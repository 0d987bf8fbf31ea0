"""Read a hash-pinned attachment as hostile input: inside the tree, bounded, and only if it matches.

The loader hashes every attachment but keeps no bytes; the attestation checks read the few
they parse again through here. An attachment whose bytes differ from its pin, or that is
missing, is already a loader finding (GSP-E004/E005): here it simply reads as ``None``, so a
check never reasons about bytes the release did not commit to.
"""

from __future__ import annotations

import hashlib
from typing import Any

from glyphserpack._internal.docload import parse_document
from glyphserpack._internal.fsio import check_relative_name, read_bounded, resolve_inside
from glyphserpack.errors import InputError, InputTooLargeError
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import HashLink

__all__ = ["PinnedRead", "read_json", "read_pinned"]

#: Largest attachment an attestation check parses (JSON results, manifests, JUnit reports).
PARSE_LIMIT = 16 * 1024 * 1024


class PinnedRead:
    """The outcome of one read: ``data`` when the pinned bytes were read, else why not (``problem``).

    ``unusable`` marks trouble the loader did not report (too large to parse, not JSON): the
    attestation check reports it (GSP-E065). Missing or altered files are the loader's.
    """

    __slots__ = ("data", "obj", "problem", "unusable")

    def __init__(self, data: bytes | None, problem: str = "", *, unusable: bool = False, obj: Any = None) -> None:
        self.data = data
        self.problem = problem
        self.unusable = unusable
        self.obj = obj


def read_pinned(tree: EvidenceTree, link: HashLink, *, limit: int = PARSE_LIMIT) -> PinnedRead:
    """The bytes of ``link`` if the file exists inside the tree, fits ``limit`` and matches its pin."""
    try:
        check_relative_name(link.path, what="path")
        target = resolve_inside(tree.root, link.path, what="path")
        data = read_bounded(target, limit, what="attachment")
    except InputTooLargeError:
        return PinnedRead(None, f"larger than the {limit}-byte limit for parsing", unusable=True)
    except InputError:
        return PinnedRead(None, "missing or unreadable")
    if hashlib.sha256(data).hexdigest() != link.sha256:
        return PinnedRead(None, "bytes differ from their pin")
    return PinnedRead(data)


def read_json(tree: EvidenceTree, link: HashLink, *, limit: int = PARSE_LIMIT) -> PinnedRead:
    """A pinned JSON attachment: ``obj`` holds the parsed value when ``data`` is not None."""
    got = read_pinned(tree, link, limit=limit)
    if got.data is None:
        return got
    try:
        return PinnedRead(got.data, obj=parse_document(got.data, name=link.path, fmt="json"))
    except InputError as exc:
        return PinnedRead(None, f"not JSON: {exc.message}", unusable=True)
