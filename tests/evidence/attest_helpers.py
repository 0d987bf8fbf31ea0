"""Helpers for the attestation tests: re-sign a certification record after changing its package."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack.evidence import decode_envelope, encode_envelope
from glyphserpack.signing import key_id

from .helpers import rewrite, sha

CPU_RECORD = "certification/records/cert-backend-cpu-ref-2026.cbor"
CPU_PACKAGE = "attachments/certification/cert-backend-cpu-ref-2026"
BUNDLE = "certification/certification_bundle.yaml"


def has(lines: list[str], code: str, where: str, *texts: str) -> bool:
    """A finding line with this code and place that contains every one of ``texts``."""
    return any(ln.startswith(f"{code} {where}:") and all(t in ln for t in texts) for ln in lines)


def _demo_key(name: str) -> Ed25519PrivateKey:
    # The bundled tree's publicly known demo seeds (scripts/make_demo_evidence.py).
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"glyphserpack DEMO key: {name}".encode()).digest())


def replace_package_member(root: Path, record: str, member: str, data: bytes) -> None:
    """Replace one member of a record's signed package and re-sign the record with its CA key.

    Only the member's content changes: the record pins the new bytes and its signature holds,
    so whatever the check reports comes from reading the member.
    """
    payload: dict[str, Any] = dict(decode_envelope((root / record).read_bytes(), name=record).payload)
    link = payload["package"][member]
    (root / link["path"]).write_bytes(data)
    payload["package"] = dict(payload["package"], **{member: {"path": link["path"], "sha256": sha(data)}})
    ca = _demo_key("cert-authority-2026")
    assert payload["key_id"] == key_id(ca)
    rewrite(root, record, encode_envelope(ca, payload))
