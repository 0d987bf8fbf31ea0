"""Fixtures and a low-level pack builder for hostile-input tests."""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack import canonical
from glyphserpack._internal.pack import bag
from glyphserpack._internal.pack.frames import IndexMember
from glyphserpack._internal.pack.tarfmt import member_header, padding
from glyphserpack._internal.pack.writer import FrameSink
from glyphserpack.pack import write
from glyphserpack.pack.write import _signed_tail

CREATED = "2026-03-01T12:00:00Z"
MTIME = 1772366400


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "certs").mkdir(parents=True)
    (root / "certs" / "cert.cbor").write_bytes(canonical.dumps({"run": 1}))
    (root / "README.txt").write_text("evidence\n")
    (root / "big.bin").write_bytes(bytes(range(256)) * 40_000)
    return root


@pytest.fixture
def packed(tmp_path: Path, src: Path, key: Ed25519PrivateKey) -> Path:
    out = tmp_path / "release.glyphserpack"
    write(src, out, sign_keys=[key], created=CREATED, threads=1)
    return out


def entry(name: str, data: bytes = b"", *, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tuple[bytes, int, str]:
    """Raw tar bytes for one member written by Python's tarfile (any type), plus header length."""
    info = tarfile.TarInfo(name)
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.type = kind
    info.linkname = linkname
    info.mtime = MTIME
    info.mode = 0o644
    buf = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    body = data if kind == tarfile.REGTYPE else b""
    return buf + body + b"\0" * padding(len(body)), len(buf), name


def normal(name: str, data: bytes) -> tuple[bytes, int, str]:
    hdr = member_header(name, len(data), MTIME)
    return hdr + data + b"\0" * padding(len(data)), len(hdr), name


def build(
    path: Path,
    entries: list[tuple[bytes, int, str]],
    manifest_payload: list[tuple[str, bytes]],
    *,
    tamper_manifest: Callable[[dict[str, Any]], None] | None = None,
    sign_keys: Sequence[Ed25519PrivateKey] = (),
) -> Path:
    """Write a structurally valid pack whose data stream is exactly ``entries``.

    With ``sign_keys`` the manifest is signed *before* ``tamper_manifest`` edits it, which is
    what an attacker rewriting a signed pack produces.
    """
    import hashlib

    payload = [
        {"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest(), "media_type": bag.media_type(n)}
        for n, d in manifest_payload
    ]
    tags, _ = _signed_tail(payload, sign_keys, None, CREATED)
    if tamper_manifest is not None:
        obj = canonical.loads(tags["manifest.cbor"])
        tamper_manifest(obj)
        tags["manifest.cbor"] = canonical.dumps(obj)
        tags["manifest.json"] = bag.manifest_json(obj)
        del tags["tagmanifest-sha256.txt"]
        tags["tagmanifest-sha256.txt"] = bag.tag_manifest(tags)
    with open(path, "wb") as fh:
        sink = FrameSink(fh, level=3, threads=1)
        for blob, hlen, name in entries:
            sink.cut()
            start = sink.d_pos
            sink._put(blob)
            size = len(blob) - hlen - padding(len(blob) - hlen)
            size = int(blob[hlen - 512 + 124 : hlen - 512 + 135] or b"0", 8) if hlen else size
            sink.members.append(IndexMember(name, start, start + hlen, size))
        sink.write_tail(tags, MTIME)
    return path
