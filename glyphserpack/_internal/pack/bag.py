"""BagIt tag files, the signed manifest and its mirrors (FORMAT.md §5).

The ``bagit`` library builds bags by rewriting a directory in place (and ``os.chdir``-ing),
which a streaming, read-only packer cannot use, so the few RFC 8493 tag files are rendered
here; the tests validate the result with ``bagit.Bag(...).validate()``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any, Final

from glyphserpack import canonical

__all__ = [
    "ATTACHMENT_PREFIXES",
    "FORMAT_MAJOR",
    "FORMAT_MINOR",
    "ROOT_TAG",
    "UNCOVERED",
    "bag_info",
    "bagit_txt",
    "is_covered",
    "manifest_json",
    "media_type",
    "payload_manifest",
    "root_hash",
    "root_hash_of_bytes",
    "tag_manifest",
]

FORMAT_MAJOR = 1
FORMAT_MINOR = 1
ROOT_TAG: Final = "glyphserpack.manifest.v1"
ATTACHMENT_PREFIXES = ("timestamps/", "proofs/")
#: Members the root hash cannot cover: itself, its mirror, signatures over it, derived bag files.
UNCOVERED = ("manifest.cbor", "manifest.json", "tagmanifest-sha256.txt")

_MEDIA_TYPES = {
    ".cbor": "application/cbor",
    ".css": "text/css",
    ".csv": "text/csv",
    ".der": "application/pkix-cert",
    ".gz": "application/gzip",
    ".html": "text/html",
    ".jpg": "image/jpeg",
    ".js": "text/javascript",
    ".json": "application/json",
    ".md": "text/markdown",
    ".pdf": "application/pdf",
    ".pem": "application/x-pem-file",
    ".png": "image/png",
    ".sig": "application/octet-stream",
    ".svg": "image/svg+xml",
    ".tar": "application/x-tar",
    ".tsq": "application/timestamp-query",
    ".tsr": "application/timestamp-reply",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".zst": "application/zstd",
}


def media_type(name: str) -> str:
    """Media type from the (lower-cased) extension via a fixed table, so it never varies by host."""
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    ext = base[dot:].lower() if dot > 0 else ""
    return _MEDIA_TYPES.get(ext, "application/octet-stream")


def is_covered(name: str) -> bool:
    """Whether a member is listed in (and so protected by) the signed manifest."""
    return not (name in UNCOVERED or name.startswith(("signatures/", *ATTACHMENT_PREFIXES)))


def _bag_name(name: str) -> str:
    # RFC 8493 §2.1.3: CR, LF and % are percent-encoded in manifest lines.
    return name.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def bagit_txt() -> bytes:
    return b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def bag_info(created: str, payload_bytes: int, payload_files: int) -> bytes:
    lines = [
        f"Bagging-Date: {created[:10]}",
        "Bag-Software-Agent: glyphserpack (format 1)",
        f"Payload-Oxum: {payload_bytes}.{payload_files}",
    ]
    return ("\n".join(lines) + "\n").encode()


def payload_manifest(entries: Iterable[tuple[str, str]]) -> bytes:
    """``manifest-sha256.txt`` / ``tagmanifest-sha256.txt`` body: ``<hex>  <name>`` sorted by name."""
    return "".join(f"{digest}  {_bag_name(name)}\n" for name, digest in sorted(entries)).encode()


def tag_manifest(tag_files: Mapping[str, bytes]) -> bytes:
    return payload_manifest((n, hashlib.sha256(b).hexdigest()) for n, b in tag_files.items())


def root_hash(manifest: Mapping[str, Any]) -> bytes:
    """``CommitHash("glyphserpack.manifest.v1", manifest)``: what every signature signs."""
    return canonical.commit_hash(ROOT_TAG, dict(manifest))


def root_hash_of_bytes(manifest_cbor: bytes) -> bytes:
    """The same root hash from canonical manifest bytes, without re-encoding the manifest."""
    return hashlib.sha256(b"\x82" + canonical.dumps(ROOT_TAG) + manifest_cbor).digest()


def manifest_json(manifest: Mapping[str, Any]) -> bytes:
    """Human-readable mirror: sorted keys, two-space indent, trailing newline."""
    from glyphserpack._internal import jsonout  # late: only writers and verifiers render the mirror

    return jsonout.to_bytes(manifest, ensure_ascii=False)
