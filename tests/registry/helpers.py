"""Build a registry site from a test registry, in process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glyphserpack.log import LogStore, decode_entry
from glyphserpack.registry.build import RegistryBuildResult, build_registry
from glyphserpack.trust import TrustStore

from .conftest import AT, BASE_URL, Registry


def build(reg: Registry, root: Path, out: Path, **kwargs: Any) -> RegistryBuildResult:
    opts: dict[str, Any] = {"sign_key": reg.key, "trust": TrustStore.load(reg.trust), "base_url": BASE_URL, "at": AT}
    opts.update(kwargs)
    return build_registry(root, out, **opts)


def log_entries(root: Path) -> list[tuple[int, dict[str, Any]]]:
    store = LogStore(root / "log")
    size = store.open_checkpoint().checkpoint.size
    return [(i, decode_entry(d, where=str(i))) for i, d in store.iter_entries(size)]


def snapshot(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def flip_pack_byte(root: Path, release: str) -> Path:
    """Flip one bit in the middle of ``release``'s pack under ``root`` (a copy): it no longer verifies."""
    pack = root / "releases" / release / "packs" / f"{release}.glyphserpack"
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0x01
    pack.write_bytes(bytes(data))
    return pack
