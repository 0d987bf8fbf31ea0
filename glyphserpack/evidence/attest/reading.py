"""Hostile-input reading of attachments for the attestation checks.

Attachments are read only through a hash link the loader has already verified, only inside
the tree (no absolute paths, ``..`` or links: :func:`resolve_inside`), and only up to a size
cap, so a check can never be pointed at a file the release did not commit to.
"""

from __future__ import annotations

import hashlib
from typing import Any

from glyphserpack._internal.docload import DOCUMENT_LIMIT, parse_document
from glyphserpack._internal.fsio import read_bounded, resolve_inside
from glyphserpack.errors import GlyphserpackError, InputError, InputTooLargeError
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import HashLink

__all__ = ["AttachmentError", "linked_bytes", "linked_object"]


class AttachmentError(Exception):
    """An attachment cannot be judged: ``reason`` says why (no local path), ``str()`` names the file too."""

    def __init__(self, path: str, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason if reason.startswith(path) else f"{path}: {reason}")
        self.path = path
        self.reason = reason
        self.too_large = too_large


def linked_bytes(tree: EvidenceTree, link: HashLink, *, limit: int) -> bytes | None:
    """The bytes behind a verified link, or None when the loader already reported the link broken.

    The size is checked (fstat) before anything is read, and the bytes are re-hashed after
    reading: a file changed since loading is not what the release committed to, so nothing may
    be concluded from it. Raises :class:`AttachmentError` otherwise.
    """
    if not tree.link_ok(link):
        return None
    target = tree.root / link.path
    try:
        target = resolve_inside(tree.root, link.path, what=link.path)
        data = read_bounded(target, limit, what=link.path)
    except InputTooLargeError:
        size = target.stat().st_size
        raise AttachmentError(
            link.path,
            f"{size} bytes, more than the {limit}-byte limit for this kind of attachment; not parsed",
            too_large=True,
        ) from None
    except GlyphserpackError as exc:
        raise AttachmentError(link.path, exc.message.replace(f"{tree.root}/", "")) from None
    if hashlib.sha256(data).hexdigest() != link.sha256:
        raise AttachmentError(link.path, "changed since the tree was loaded; not parsed")
    return data


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
