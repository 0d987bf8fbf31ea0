"""Synthetic evidence trees for the site tests and benchmark.

Starts from the bundled demo tree (``scripts/make_demo_evidence.py``), then optionally
(a) plants hostile HTML/JS/Markdown payloads in every text field a page shows, re-signing
what needs re-signing with the demo's publicly known keys, and (b) adds N extra execution
certificates. Hash links are then brought up to date bottom-up, so the result loads cleanly.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from glyphserpack.evidence.certificates import decode_envelope, encode_envelope
from glyphserpack.signing import key_id

REPO = Path(__file__).resolve().parents[2]

#: Every kind of injection the issue names. Executing any part sets window.__pwned.
PAYLOAD = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    " [click me](javascript:window.__pwned=3) ![img](javascript:window.__pwned=4)"
    ' <a href="javascript:window.__pwned=6">anchor</a> <!-- comment --> `tick` | pipe |'
    ' {: onclick="window.__pwned=5"} **bold** <svg onload="window.__pwned=7"></svg>'
    "\n# heading injection\n<script>window.__pwned=8</script>"
)
DEMO_KEYS = ("release-2026", "cert-authority-2026", "cert-authority-2025", "partner-lab-2025")


def _demo_module() -> Any:
    spec = importlib.util.spec_from_file_location("make_demo_evidence", REPO / "scripts" / "make_demo_evidence.py")
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    # registered before it runs: its dataclasses look their module up in sys.modules
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _keys(mod: Any) -> dict[str, Any]:
    keys = [mod.demo_key(n) for n in DEMO_KEYS]
    return {key_id(k): k for k in keys}


def _relink(obj: Any, root: Path) -> Any:
    if isinstance(obj, dict):
        if "path" in obj and "sha256" in obj and isinstance(obj["path"], str) and (root / obj["path"]).is_file():
            obj = dict(obj)
            obj["sha256"] = _sha(root / obj["path"])
            return obj
        return {k: _relink(v, root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_relink(v, root) for v in obj]
    return obj


def _rehash(root: Path) -> None:
    """Update every YAML/JSON document's hash links, then the release manifest's."""
    release = yaml.safe_load((root / "release.yaml").read_text())
    docs = [d["path"] for d in release["documents"] if d["path"].endswith((".yaml", ".yml"))]
    for _ in range(4):
        for rel in docs:
            p = root / rel
            obj = yaml.safe_load(p.read_text())
            p.write_text(yaml.safe_dump(_relink(obj, root), sort_keys=False, allow_unicode=True))
    release = _relink(release, root)
    (root / "release.yaml").write_text(yaml.safe_dump(release, sort_keys=False, allow_unicode=True))


def _resign(path: Path, keys: dict[str, Any], edit: Any, meta: dict[str, Any] | None = None) -> None:
    env = decode_envelope(path.read_bytes(), name=path.name)
    payload = edit(dict(env.payload))
    path.write_bytes(encode_envelope(keys[payload["key_id"]], payload, unsigned_metadata=meta or env.unsigned_metadata))


def _plant(root: Path, keys: dict[str, Any]) -> None:
    sc = root / "security" / "security_case.core.yaml"
    obj = yaml.safe_load(sc.read_text())
    obj["controls"][0]["mitigation"] = PAYLOAD[:3900]
    obj["assets"][0]["description"] = PAYLOAD[:3900]
    obj["controls"][0]["evidence_locations"][0]["pointer"] = '"><script>window.__pwned=9</script>'
    sc.write_text(yaml.safe_dump(obj, sort_keys=False, allow_unicode=True))
    # Unsigned metadata needs no re-signing; a vendor name does.
    _resign(root / "runs" / "core" / "certificate.cbor", keys, lambda p: p, {"note": PAYLOAD, "html": "<b>x</b>"})

    def vendor(p: dict[str, Any]) -> dict[str, Any]:
        p["subject"] = {**p["subject"], "vendor": PAYLOAD[:3900]}
        return p

    _resign(root / "certification" / "records" / "cert-backend-cpu-ref-2026.cbor", keys, vendor)


def _bulk(root: Path, keys: dict[str, Any], n: int) -> None:
    template = decode_envelope((root / "runs" / "core" / "certificate.cbor").read_bytes(), name="t").payload
    release = yaml.safe_load((root / "release.yaml").read_text())
    out = root / "runs" / "bulk"
    out.mkdir(parents=True, exist_ok=True)
    signer = keys[template["key_id"]]
    core_run = yaml.safe_load((root / "runs" / "core" / "run.yaml").read_text())
    for i in range(n):
        payload = dict(template)
        payload["run_id"] = f"bulk-{i:06d}"
        payload["replay_token"] = f"replay-bulk-{i:06d}"
        payload["tenant_id"] = f"tenant-{i % 97:03d}"
        rel = f"runs/bulk/cert-{i:06d}.cbor"
        (root / rel).write_bytes(encode_envelope(signer, payload))
        release["documents"].append({"path": rel, "sha256": _sha(root / rel)})
        # Every certificate needs the run evidence that carries its trace (GSP-E022); the
        # bulk ones replay the core run's trace, whose trace_final_hash they inherit.
        run = dict(core_run, run_id=payload["run_id"], certificate={"path": rel, "sha256": _sha(root / rel)})
        run["replay"] = dict(core_run["replay"], replay_run_id=f"{payload['run_id']}-replay")
        run_rel = f"runs/bulk/run-{i:06d}.yaml"
        (root / run_rel).write_text(yaml.safe_dump(run, sort_keys=False))
        release["documents"].append({"path": run_rel, "sha256": _sha(root / run_rel)})
    release["documents"].sort(key=lambda d: d["path"])
    (root / "release.yaml").write_text(yaml.safe_dump(release, sort_keys=False, allow_unicode=True))


def make_tree(out: Path, *, n_certs: int = 0, hostile: bool = False) -> Path:
    """Write a loadable evidence tree into ``out`` (a new directory) and return it."""
    mod = _demo_module()
    mod.build(out)
    keys = _keys(mod)
    if hostile:
        _plant(out, keys)
    if n_certs:
        _bulk(out, keys, n_certs)
    _rehash(out)
    return out


def dump_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=1, sort_keys=True))
