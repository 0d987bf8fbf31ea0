"""Write ``registry-manifest.json`` (format: :mod:`glyphserpack.site.registry_manifest`).

Every file of the registry site is listed with its SHA-256 and size: the registry's own files
hashed here, each release site's files taken from that release's own manifest (verified by
discovery, so they are the files' hashes) plus the hash of that manifest itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from glyphserpack._internal import jsonout
from glyphserpack.registry.sections import RegistryModel
from glyphserpack.signing import key_id, sign
from glyphserpack.site.manifest import MANIFEST_NAME
from glyphserpack.site.registry_manifest import REGISTRY_MANIFEST, REGISTRY_ROOT_TAG, registry_root

__all__ = ["hash_tree", "write_manifest"]


def hash_tree(root: Path, prefix: str, *, skip_dirs: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Hash every file under ``root`` (top-level folders in ``skip_dirs`` left out), paths under ``prefix``."""
    from glyphserpack.site.manifest import _sha256_file

    skip = MANIFEST_NAME if prefix else REGISTRY_MANIFEST
    out: list[dict[str, Any]] = []
    top = str(root)
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        if rel == ".":
            dirnames[:] = [d for d in dirnames if d not in skip_dirs]
            rel = ""
        for name in filenames:
            path = f"{rel}/{name}" if rel else name
            if path == skip:
                continue
            full = Path(dirpath) / name
            out.append(
                {
                    "path": f"{prefix}/{path}" if prefix else path,
                    "sha256": _sha256_file(full),
                    "size": full.stat().st_size,
                }
            )
    return out


def write_manifest(
    stage: Path, files: list[dict[str, Any]], model: RegistryModel, previous_root: str | None, signer: Any
) -> str:
    """Write the manifest over ``files`` (every file but itself) into ``stage``; return the root."""
    cp = model.log.verified.checkpoint
    body: dict[str, Any] = {
        "registry_format": 1,
        "build_time_utc": model.at,
        "log": {"origin": model.log.store.origin, "size": cp.size, "root_hash": cp.root_hash.hex()},
        "releases": sorted(
            (
                {
                    "path": f"releases/{r.slug}",
                    "release_id": r.release_id,
                    "site_manifest_root": r.site_root,
                    "ok": r.ok,
                }
                for r in model.releases
            ),
            key=lambda d: str(d["path"]),
        ),
        "files": files,
    }
    if previous_root is not None:
        body["previous_manifest_root"] = previous_root
    root = registry_root(body)
    doc: dict[str, Any] = {"manifest_version": 1, "root_hash_tag": REGISTRY_ROOT_TAG, "body": body, "root": root}
    doc["signatures"] = []
    if signer is not None:
        sig = sign(signer, bytes.fromhex(root))
        doc["signatures"].append({"key_id": key_id(signer), "algorithm": "ed25519", "signature": sig.hex()})
    jsonout.write_json(stage / REGISTRY_MANIFEST, doc, indent=1)
    return root
