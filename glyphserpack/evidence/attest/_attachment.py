"""Read one hash-linked attachment of a loaded tree, bounded and inside the tree.

Only attachments whose pin already verified are read (a wrong pin is the loader's finding;
content that is not what the release committed to must not be judged), and the bytes read
are hashed again so a file swapped after loading is not judged either.
"""

from __future__ import annotations

import hashlib

from glyphserpack._internal.fsio import read_bounded, resolve_inside
from glyphserpack.errors import GlyphserpackError, InputTooLargeError
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import HashLink

__all__ = ["AttachmentUnreadable", "read_attachment"]


class AttachmentUnreadable(Exception):
    """The attachment cannot be judged; ``reason`` says why in words that name no local path."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large


def read_attachment(tree: EvidenceTree, link: HashLink, *, limit: int) -> bytes | None:
    """The attachment's bytes, or None when its pin did not verify (already reported).

    Raises :class:`AttachmentUnreadable` when the file is larger than ``limit`` (checked
    with fstat before anything is read) or changed since it was hashed.
    """
    if not tree.link_ok(link):
        return None
    try:
        target = resolve_inside(tree.root, link.path, what=link.path)
        data = read_bounded(target, limit, what=link.path)
    except InputTooLargeError:
        size = target.stat().st_size
        raise AttachmentUnreadable(
            f"{size} bytes, more than the {limit}-byte limit for this kind of attachment; not parsed",
            too_large=True,
        ) from None
    except GlyphserpackError as exc:
        raise AttachmentUnreadable(exc.message.replace(str(tree.root), ".")) from None
    if hashlib.sha256(data).hexdigest() != link.sha256:
        raise AttachmentUnreadable("changed since the tree was loaded; not parsed")
    return data
