"""Hostile-input reading of attachments for the attestation checks: the one reader.

Attachments are read only inside the tree (no absolute paths, ``..`` or links:
:func:`resolve_inside`), only up to a size cap checked before reading, and only when the bytes
read still match their pin, so a check can never be pointed at a file the release did not
commit to. :func:`linked_bytes` / :func:`linked_object` read links the loader verified;
:func:`read_pinned` / :func:`read_json` read links the loader does not check itself (those
inside signed records), where a missing or altered file is an answer, not an error.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from glyphserpack._internal.docload import DOCUMENT_LIMIT, parse_document
from glyphserpack._internal.fsio import read_bounded, resolve_inside
from glyphserpack.errors import GlyphserpackError, InputError, InputTooLargeError
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import HashLink

__all__ = [
    "PARSE_LIMIT",
    "AttachmentError",
    "PinnedRead",
    "by_content",
    "linked_bytes",
    "linked_object",
    "memoised",
    "read_json",
    "read_pinned",
]

T = TypeVar("T")

#: Largest attachment :func:`read_pinned` parses by default (JSON results, manifests, JUnit reports).
PARSE_LIMIT = 16 * 1024 * 1024


class AttachmentError(Exception):
    """An attachment cannot be judged: ``reason`` says why (no local path), ``str()`` names the file too."""

    def __init__(self, path: str, reason: str, *, too_large: bool = False, changed: bool = False) -> None:
        super().__init__(reason if reason.startswith(path) else f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.too_large = too_large
        self.changed = changed


def linked_bytes(tree: EvidenceTree, link: HashLink, *, limit: int) -> bytes | None:
    """The bytes behind a verified link, or None when the loader already reported the link broken.

    The size is checked (fstat) before anything is read, and the bytes are re-hashed after
    reading: a file changed since loading is not what the release committed to, so nothing may
    be concluded from it. Raises :class:`AttachmentError` otherwise.
    """
    if not tree.link_ok(link):
        return None
    return _read_checked(tree, link, limit)


def _read_checked(tree: EvidenceTree, link: HashLink, limit: int) -> bytes:
    """``link``'s bytes, read inside the tree under ``limit`` and matching the pin, or AttachmentError."""
    try:
        target = resolve_inside(tree.root, link.path, what=link.path)
        size = os.lstat(target).st_size  # judged before reading; read_bounded re-checks the open file
        if size > limit:
            raise AttachmentError(link.path, _too_large(size, limit), too_large=True)
        data = read_bounded(target, limit, what=link.path)
    except InputTooLargeError:  # grew between the stat and the read
        raise AttachmentError(link.path, _too_large(None, limit), too_large=True) from None
    except GlyphserpackError as exc:
        raise AttachmentError(link.path, exc.message.replace(f"{tree.root}/", "")) from None
    if hashlib.sha256(data).hexdigest() != link.sha256:
        raise AttachmentError(link.path, "changed since the tree was loaded; not parsed", changed=True)
    return data


def _too_large(size: int | None, limit: int) -> str:
    got = "more" if size is None else f"{size} bytes, more"
    return f"{got} than the {limit}-byte limit for this kind of attachment; not parsed"


def linked_object(tree: EvidenceTree, link: HashLink) -> Any:
    """The parsed content (JSON, YAML or CBOR by suffix) behind a verified link, or None if broken.

    A listed document is taken from the loaded tree (for a signed ``.cbor`` its payload plus the
    envelope's ``signature`` and ``unsigned_metadata``); anything else is read and parsed here
    under the document size cap.
    """
    doc = tree.documents.get(link.path)
    if doc is not None and doc.sha256 == link.sha256:
        if doc.envelope is None:
            return doc.obj
        view: dict[str, Any] = dict(doc.obj)
        view.setdefault("signature", doc.envelope.signature)
        view.setdefault("unsigned_metadata", doc.envelope.unsigned_metadata)
        return view
    data = linked_bytes(tree, link, limit=DOCUMENT_LIMIT)
    if data is None:
        return None
    try:
        return parse_document(data, name=link.path)
    except InputError as exc:
        raise AttachmentError(link.path, exc.message) from None


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
        return PinnedRead(_read_checked(tree, link, limit))
    except AttachmentError as exc:
        if exc.too_large:
            return PinnedRead(None, exc.reason, unusable=True)
        return PinnedRead(None, "bytes differ from their pin" if exc.changed else "missing or unreadable")


def read_json(tree: EvidenceTree, link: HashLink, *, limit: int = PARSE_LIMIT) -> PinnedRead:
    """A pinned JSON attachment: ``obj`` holds the parsed value when ``data`` is not None."""
    got = read_pinned(tree, link, limit=limit)
    if got.data is None:
        return got
    try:
        return PinnedRead(got.data, obj=parse_document(got.data, name=link.path, fmt="json"))
    except InputError as exc:
        return PinnedRead(None, f"not JSON: {exc.message}", unusable=True)


def memoised(tree: EvidenceTree, what: str, link: HashLink, compute: Callable[[], T]) -> T:
    """``compute()`` once per tree for the attachment ``(path, sha256)`` read as ``what``.

    The attestation checks and the metrics read the same attachments; the pin makes the
    (path, sha256) pair name the bytes, so a second reader gets the first one's result.
    """
    key = (what, link.path, link.sha256)
    memo = tree.attest_memo
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


#: Results of the costly pure readings (OpenAPI schema validation, protoc) by content hash.
_BY_CONTENT: OrderedDict[tuple[str, str], Any] = OrderedDict()
_BY_CONTENT_SIZE = 64
_BY_CONTENT_LOCK = threading.Lock()


def by_content(what: str, content_key: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per process for content named by ``content_key`` (a SHA-256 over the bytes it reads).

    ``check`` runs once per profile and a registry checks many near-identical trees: the
    OpenAPI validator and protoc cost ~0.1 s each and depend only on the bytes, so the second
    profile and the next tree reuse the answer. Only pure functions of those bytes may go
    through here; the cache is bounded (least recently used out).
    """
    key = (what, content_key)
    with _BY_CONTENT_LOCK:
        if key in _BY_CONTENT:
            _BY_CONTENT.move_to_end(key)
            return _BY_CONTENT[key]  # type: ignore[no-any-return]
    value = compute()
    with _BY_CONTENT_LOCK:
        _BY_CONTENT[key] = value
        while len(_BY_CONTENT) > _BY_CONTENT_SIZE:
            _BY_CONTENT.popitem(last=False)
    return value
