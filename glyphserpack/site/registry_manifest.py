"""``registry-manifest.json``: the signed manifest of a registry site (docs/registry.md).

::

    {
      "manifest_version": 1,
      "root_hash_tag": "glyphserpack-registry-manifest",
      "body": {
        "registry_format": 1,
        "build_time_utc": "YYYY-MM-DDTHH:MM:SSZ",       # --at / SOURCE_DATE_EPOCH / newest log entry
        "previous_manifest_root": "64 hex",              # omitted for the first registry build
        "log": {"origin": "...", "size": N, "root_hash": "64 hex"},
        "releases": [{"path": "releases/P/V", "release_id": "...", "site_manifest_root": "64 hex",
                      "ok": true}, ...],                 # sorted by path
        "files": [{"path": "...", "sha256": "64 hex", "size": N}, ...]   # every file, nested ones too
      },
      "root": "64 hex",                                  # CommitHash(root_hash_tag, body)
      "signatures": [{"key_id": "...", "algorithm": "ed25519", "signature": "128 hex"}]
    }

The same construction as ``site-manifest.json`` (:mod:`.manifest`) with its own domain tag,
so a registry root can never be passed off as a release root. Each release keeps its own
signed ``site-manifest.json``, whose root the body records; ``site verify`` checks both.
"""

from __future__ import annotations

from typing import Any

from glyphserpack import canonical
from glyphserpack._internal.docload import parse_document
from glyphserpack.errors import InputError

__all__ = ["REGISTRY_MANIFEST", "REGISTRY_ROOT_TAG", "parse_registry_manifest", "registry_root"]

REGISTRY_MANIFEST = "registry-manifest.json"
REGISTRY_ROOT_TAG = "glyphserpack-registry-manifest"


def registry_root(body: dict[str, Any]) -> str:
    return canonical.commit_hash(REGISTRY_ROOT_TAG, body).hex()


def parse_registry_manifest(data: bytes, *, name: str) -> dict[str, Any]:
    """Parse and shape-check a registry manifest (strict JSON: duplicate keys refused)."""
    obj = parse_document(data, name=name, fmt="json")
    if not isinstance(obj, dict) or obj.get("manifest_version") != 1 or obj.get("root_hash_tag") != REGISTRY_ROOT_TAG:
        raise InputError(f"{name}: not a registry manifest (manifest_version 1, root_hash_tag {REGISTRY_ROOT_TAG})")
    body = obj.get("body")
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("files"), list)
        or not isinstance(body.get("releases"), list)
        or not isinstance(obj.get("root"), str)
    ):
        raise InputError(f"{name}: body.files, body.releases and root are required")
    return obj
