"""``site-manifest.json``: the SHA-256 of every file, one root hash, signatures, time-stamps.

::

    {
      "manifest_version": 1,
      "root_hash_tag": "glyphserpack-site-manifest",
      "body": {                                  # what the root commits to
        "site_format": 1,
        "release_id": "...",
        "build_time_utc": "YYYY-MM-DDTHH:MM:SSZ",   # SOURCE_DATE_EPOCH or the release time
        "previous_manifest_root": "64 hex",          # omitted for the first site
        "log": {...},                                # with a transparency log (site/logview.py)
        "files": [{"path": "...", "sha256": "64 hex", "size": N}, ...]   # sorted by path
      },
      "root": "64 hex",                          # CommitHash(root_hash_tag, body)
      "signatures": [{"key_id": "...", "algorithm": "ed25519", "signature": "128 hex"}],
      "timestamps": [{"token": "base64 DER TimeStampToken"}]
    }

Signatures are Ed25519 over the 32 raw bytes of ``root``; RFC 3161 tokens carry ``root``
itself as their SHA-256 message imprint (it already is a SHA-256 output). Neither is part
of the body, so stamping or counter-signing later never changes the root, and the next
release records this root as ``previous_manifest_root``: the sites form a hash chain. The
previous manifest itself is republished under ``history/ROOT16.json`` so the link can be
checked offline.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack import canonical
from glyphserpack._internal import jsonout
from glyphserpack._internal.docload import parse_document
from glyphserpack._internal.fsio import atomic_write, read_bounded
from glyphserpack.errors import InputError
from glyphserpack.signing import key_id, sign
from glyphserpack.site.context import SiteContext

__all__ = [
    "MANIFEST_LIMIT",
    "MANIFEST_NAME",
    "PUBLISHED_JS",
    "ROOT_TAG",
    "Previous",
    "Timestamper",
    "compute_root",
    "hash_files",
    "load_previous",
    "load_signing_key",
    "write_manifest",
    "write_published_hashes",
]

MANIFEST_NAME = "site-manifest.json"
ROOT_TAG = "glyphserpack-site-manifest"
PUBLISHED_JS = "assets/gsp/published-hashes.js"
MANIFEST_LIMIT = 256 * 1024 * 1024
#: Given the 32-byte root, return a DER RFC 3161 TimeStampToken (or TimeStampResp) over it.
Timestamper = Callable[[bytes], bytes]


@dataclass(frozen=True)
class Previous:
    """The previous release's manifest: its root (checked) and its exact bytes."""

    root: str
    raw: bytes


def compute_root(body: dict[str, Any]) -> str:
    return canonical.commit_hash(ROOT_TAG, body).hex()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hash_files(site: Path, *, skip: frozenset[str] = frozenset({MANIFEST_NAME})) -> list[dict[str, Any]]:
    """Every regular file under ``site`` except ``skip``, sorted by POSIX path."""
    out = []
    for dirpath, dirnames, filenames in os.walk(site):
        dirnames.sort()
        for name in filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(site).as_posix()
            if rel in skip:
                continue
            out.append({"path": rel, "sha256": _sha256_file(p), "size": p.stat().st_size})
    return sorted(out, key=lambda f: f["path"])


def load_signing_key(path: Path, *, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """The site signing key: a key file of :mod:`glyphserpack.keys` (PKCS#8 PEM, mode 0600)."""
    from glyphserpack.keys import load_private_key

    return load_private_key(Path(path), passphrase=passphrase)


def parse_manifest(data: bytes, *, name: str) -> dict[str, Any]:
    """Parse and shape-check a site manifest (strict JSON: duplicate keys refused)."""
    obj = parse_document(data, name=name, fmt="json")
    if not isinstance(obj, dict) or obj.get("manifest_version") != 1 or obj.get("root_hash_tag") != ROOT_TAG:
        raise InputError(f"{name}: not a glyphserpack site manifest (manifest_version 1, root_hash_tag {ROOT_TAG})")
    body = obj.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("files"), list) or not isinstance(obj.get("root"), str):
        raise InputError(f"{name}: body.files and root are required")
    return obj


def load_previous(path: Path) -> Previous:
    """Read the previous release's manifest and check that its recorded root matches its body."""
    raw = read_bounded(Path(path), MANIFEST_LIMIT, what="previous manifest")
    obj = parse_manifest(raw, name=str(path))
    root = compute_root(obj["body"])
    if root != obj["root"]:
        raise InputError(f"previous manifest {path}: recorded root {obj['root']} does not match its body ({root})")
    return Previous(root, raw)


def write_published_hashes(site: Path, ctx: SiteContext) -> list[dict[str, Any]]:
    """The in-browser verifier's table: sha256 -> what it is (site files, evidence, packs).

    Returns the file list it hashed so :func:`write_manifest` does not hash everything twice.
    """
    table: dict[str, list[str]] = {}
    hashed = hash_files(site, skip=frozenset({MANIFEST_NAME, PUBLISHED_JS}))
    for f in hashed:
        table.setdefault(f["sha256"], []).append(f"site file {f['path']}")
    for ev in ctx.files:
        table.setdefault(ev.sha256, []).append(f"evidence {ev.path}")
    for p in ctx.packs:
        table.setdefault(p.sha256, []).append(f"pack {p.name}")
        if p.parity is not None:
            table.setdefault(p.parity.sha256, []).append(f"parity of pack {p.name}")
    ordered = {k: sorted(set(v)) for k, v in sorted(table.items())}
    atomic_write(
        site / PUBLISHED_JS, ("window.GSP_PUBLISHED = " + jsonout.dumps(ordered, indent=None) + ";\n").encode()
    )
    return hashed


def write_manifest(
    site: Path,
    *,
    release_id: str,
    build_time_utc: str,
    previous: Previous | None = None,
    signer: Ed25519PrivateKey | None = None,
    timestamper: Timestamper | None = None,
    hashed: list[dict[str, Any]] | None = None,
    log_section: dict[str, Any] | None = None,
) -> str:
    """Hash every file, compute the root, sign and stamp it, write the manifest; returns the root.

    ``hashed`` is the list :func:`write_published_hashes` returned: everything but that file.
    """
    if hashed is None:
        files = hash_files(site)
    else:
        extra = site / PUBLISHED_JS
        files = [*hashed, {"path": PUBLISHED_JS, "sha256": _sha256_file(extra), "size": extra.stat().st_size}]
        files.sort(key=lambda f: f["path"])
    body: dict[str, Any] = {
        "site_format": 1,
        "release_id": release_id,
        "build_time_utc": build_time_utc,
        "files": files,
    }
    if previous is not None:
        body["previous_manifest_root"] = previous.root
    if log_section is not None:
        body["log"] = log_section
    root = compute_root(body)
    doc: dict[str, Any] = {"manifest_version": 1, "root_hash_tag": ROOT_TAG, "body": body, "root": root}
    doc["signatures"] = []
    if signer is not None:
        sig = sign(signer, bytes.fromhex(root))
        doc["signatures"].append({"key_id": key_id(signer), "algorithm": "ed25519", "signature": sig.hex()})
    doc["timestamps"] = []
    if timestamper is not None:
        token = timestamper(bytes.fromhex(root))
        doc["timestamps"].append({"token": base64.b64encode(token).decode("ascii")})
    jsonout.write_json(site / MANIFEST_NAME, doc, indent=1)
    return root


def attach_timestamp(site: Path, token: bytes) -> None:
    """Add an RFC 3161 token over the root to an existing site (the root does not change)."""
    path = site / MANIFEST_NAME
    obj = parse_manifest(read_bounded(path, MANIFEST_LIMIT, what="site manifest"), name=MANIFEST_NAME)
    obj.setdefault("timestamps", []).append({"token": base64.b64encode(token).decode("ascii")})
    jsonout.write_json(path, obj, indent=1)
