"""Find the releases under ``REGISTRY/releases/`` and check each one before it is published.

A release directory is one unmodified output of ``glyphserpack build`` (docs/registry.md).
Each is checked with the pipelines that already exist, never a second copy of them:

1. it is a build output: ``reports/build.json`` names a release, a pack and a site root;
2. its site verifies (:func:`glyphserpack.site.verify.verify_site`) and its manifest root is the
   one ``build.json`` recorded;
3. its pack verifies (:func:`glyphserpack.pack.verify.verify`, purpose ``pack`` when a trust
   store is given);
4. the registry log holds its entries: the pack's ``pack_published`` entry, and the log copy the
   release carries is a prefix of the registry log (same tree hash at its size).

Steps 2 and 3 failing do not drop the release: it is published with a visible FAIL and the
findings that caused it. Step 1 or 4 failing, or two releases claiming the same product and
version, is an error naming the directories: the registry cannot say what such a release is.
Verification results are cached by the release's site-manifest root and the size and mtime
of every file in it, so an unchanged release is not hashed again (docs/registry.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glyphserpack._internal import jsonout, jsontext
from glyphserpack._internal.docload import parse_document
from glyphserpack._internal.fsio import atomic_write, read_bounded
from glyphserpack.errors import GlyphserpackError, InputError
from glyphserpack.log import merkle
from glyphserpack.log.checkpoint import open_checkpoint
from glyphserpack.log.store import CHECKPOINT, LogStore
from glyphserpack.registry.facts import BUILD_SUMMARY
from glyphserpack.site.manifest import MANIFEST_LIMIT, MANIFEST_NAME
from glyphserpack.trust import TrustStore

__all__ = ["RELEASES_DIR", "Discovery", "Release", "VerifyCache", "discover_releases", "release_dirs", "tree_stamp"]

RELEASES_DIR = "releases"
SITE_DIR = "site"
PACK_DIR = "packs"
_DOC_LIMIT = 4 * 1024 * 1024
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class Release:
    """One checked release; ``problems`` non-empty means it is shown with FAIL."""

    path: Path
    dir_name: str
    release_id: str
    product: str
    version: str
    release_time_utc: str
    profile_id: str
    gate_verdict: str
    pack: Path
    pack_root: str
    site_root: str
    #: certificate SHA-256 (hex) -> what the release's site says about it (api/registry.json)
    certificates: tuple[dict[str, Any], ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def slug(self) -> str:
        """Where the release's site lives in the registry site: ``PRODUCT/VERSION``."""
        return f"{self.product}/{self.version}"

    @property
    def parity(self) -> Path | None:
        par = self.pack.with_name(self.pack.name + ".par")
        return par if par.is_file() else None


@dataclass(frozen=True)
class Discovery:
    """The checked releases, how many verifications the cache saved, and each release's input key."""

    releases: tuple[Release, ...]
    cache_hits: int
    input_keys: tuple[str, ...]


@dataclass
class VerifyCache:
    """Verification outcomes by (site-manifest root, file stats): a JSON file in the cache dir."""

    path: Path | None
    entries: dict[str, list[str]] = field(default_factory=dict)
    hits: int = 0

    @classmethod
    def open(cls, cache_dir: Path | None) -> VerifyCache:
        if cache_dir is None:
            return cls(None)
        path = Path(cache_dir) / "verified.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = {str(k): [str(p) for p in v] for k, v in data.items()} if isinstance(data, dict) else {}
        except (OSError, ValueError, AttributeError, TypeError):
            entries = {}
        return cls(path, entries)

    def save(self, keys: Iterable[str]) -> None:
        """Keep only this build's keys (the cache does not grow with history)."""
        if self.path is None:
            return
        wanted = set(keys)
        data = jsonout.dumps({k: v for k, v in self.entries.items() if k in wanted}).encode()
        if not (self.path.is_file() and self.path.read_bytes() == data):  # an unchanged build writes nothing
            atomic_write(self.path, data)


def tree_stamp(root: Path, *, seed: bytes = b"") -> str:
    """Path, size and mtime of every file under ``root``: any write changes it (git's index idea)."""
    h = hashlib.sha256(seed)
    top = str(root)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        rel = os.path.relpath(dirpath, top)
        for name in sorted(filenames):
            st = os.lstat(os.path.join(dirpath, name))
            h.update(f"{rel}/{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _stat_key(root: Path, site_root: str, trust: TrustStore | None) -> str:
    """The cache key of a release's verification: its site root, the trust store, its files' stats."""
    trusted = trust.hash() if trust is not None else b"no trust store"
    return tree_stamp(root, seed=site_root.encode() + b"\0" + trusted)


def release_dirs(registry: Path) -> list[Path]:
    """The directories under ``REGISTRY/releases/``, sorted by name."""
    base = Path(registry) / RELEASES_DIR
    if not base.is_dir():
        raise InputError(
            f"registry {registry}: no {RELEASES_DIR}/ directory",
            remedy="a registry holds log/ and releases/<release_id>/ (one `glyphserpack build` output each)",
        )
    return sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))


def _json(path: Path, what: str) -> Any:
    return parse_document(read_bounded(path, _DOC_LIMIT, what=what), name=str(path), fmt="json")


def _text(obj: dict[str, Any], key: str, where: Path) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: field {key!r} missing or not text; expected a `glyphserpack build` output")
    return value


def _name(manifest: dict[str, Any], key: str, where: Path) -> str:
    """Product or version: one safe path segment and URL component (it names ``releases/P/V/``)."""
    value = _text(manifest, key, where)
    if not _SEGMENT.match(value):
        raise InputError(
            f"{where}: {key} {value!r} cannot name a folder of the registry site; "
            "expected letters, digits, '.', '_' and '-' (not starting with '.' or '-', at most 128)"
        )
    return value


def _release_manifest(site: Path) -> dict[str, Any]:
    """The release manifest the site publishes (``files/PREFIX-release.yaml``, covered by its manifest)."""
    found = sorted((site / "files").glob("*-release.yaml"))
    if len(found) != 1:
        raise InputError(f"{site}/files: expected exactly one *-release.yaml, found {len(found)}")
    doc = parse_document(read_bounded(found[0], _DOC_LIMIT, what="release manifest"), name=str(found[0]), fmt="yaml")
    if not isinstance(doc, dict):
        raise InputError(f"{found[0]}: not a release manifest")
    return doc


def _check_site(site: Path, build: dict[str, Any], trust: TrustStore | None) -> list[str]:
    from glyphserpack.site.verify import verify_site

    report = verify_site(site, trust=trust)
    problems = [f"site {f.line()}" for f in sorted(report.findings) if f.severity == "error"]
    if report.root is not None and report.root != build.get("site_root"):
        problems.append(f"site root {report.root} is not the root build.json records ({build.get('site_root')})")
    return problems


def _check_pack(pack: Path, trust: TrustStore | None) -> list[str]:
    from glyphserpack.pack.verify import verify

    try:
        report = verify(pack, trust=trust)
    except GlyphserpackError as exc:
        return [f"pack {pack.name}: {exc.message}"]
    return [f"pack {f.line()}" for f in sorted(report.findings) if f.severity == "error"]


def _check_logged(rel: Path, pack_root: str, store: LogStore, size: int, published: set[bytes]) -> None:
    """Step 4: the registry log holds this release (error otherwise: it was never logged here)."""
    if bytes.fromhex(pack_root) not in published:
        raise InputError(
            f"release {rel}: its pack {pack_root[:16]} has no pack_published entry in the registry log",
            remedy="build the release with `glyphserpack build --log REGISTRY/log`",
        )
    copy = rel / "log" / CHECKPOINT
    if not copy.is_file():
        raise InputError(f"release {rel}: no log/{CHECKPOINT}; it was not built with --log")
    try:
        cp = open_checkpoint(read_bounded(copy, 64 * 1024, what="checkpoint"), store.log_key, where=str(copy))
    except GlyphserpackError as exc:
        raise InputError(f"release {rel}: its log copy is not the registry log's ({exc.message})") from None
    mine = cp.checkpoint
    if mine.size > size or merkle.tree_hash(store.reader(size), mine.size) != mine.root_hash:
        raise InputError(
            f"release {rel}: its log (size {mine.size}) is not a prefix of the registry log (size {size}); "
            "its entries are not in REGISTRY/log"
        )


def _one(
    rel: Path, *, trust: TrustStore | None, store: LogStore, size: int, published: set[bytes], cache: VerifyCache
) -> tuple[Release, str]:
    build_path = rel / BUILD_SUMMARY
    if not build_path.is_file():
        raise InputError(f"release {rel}: no {BUILD_SUMMARY}; expected an unmodified `glyphserpack build` output")
    build = _json(build_path, "build summary")
    if not isinstance(build, dict) or not isinstance(build.get("pack"), dict):
        raise InputError(f"{build_path}: not a build summary (no pack)")
    release_id = _text(build, "release_id", build_path)
    pack_name = _text(build["pack"], "name", build_path)
    pack_root = _text(build["pack"], "root_hash", build_path)
    site = rel / SITE_DIR
    try:  # only its root is read here; step 2 verifies the whole manifest
        site_manifest = jsontext.loads(read_bounded(site / MANIFEST_NAME, MANIFEST_LIMIT))
    except (GlyphserpackError, ValueError) as exc:
        raise InputError(f"release {rel}: {SITE_DIR}/{MANIFEST_NAME} unusable: {exc}") from None
    if not isinstance(site_manifest, dict) or not isinstance(site_manifest.get("root"), str):
        raise InputError(f"release {rel}: {SITE_DIR}/{MANIFEST_NAME} has no root")
    manifest = _release_manifest(site)
    _check_logged(rel, pack_root, store, size, published)
    pack = rel / PACK_DIR / pack_name
    key = _stat_key(rel, str(site_manifest["root"]), trust)
    problems = cache.entries.get(key)
    if problems is None:
        problems = _check_site(site, build, trust) + (
            _check_pack(pack, trust) if pack.is_file() else [f"pack {pack_name}: missing"]
        )
        cache.entries[key] = problems
    else:
        cache.hits += 1
    certs = _certificates(site)
    return Release(
        path=rel,
        dir_name=rel.name,
        release_id=release_id,
        product=_name(manifest, "product", site / "files"),
        version=_name(manifest, "version", site / "files"),
        release_time_utc=_text(manifest, "release_time_utc", site / "files"),
        profile_id=str(build.get("profile_id", "")),
        gate_verdict=str(build.get("upgrade_gate_verdict", "")),
        pack=pack,
        pack_root=pack_root,
        site_root=str(site_manifest["root"]),
        certificates=certs,
        problems=tuple(problems),
    ), key


def _certificates(site: Path) -> tuple[dict[str, Any], ...]:
    path = site / "api" / "registry.json"
    if not path.is_file():
        return ()
    try:  # large (one record per certificate); covered by the site manifest step 2 verifies
        doc = jsontext.loads(read_bounded(path, MANIFEST_LIMIT, what="registry API"))
    except ValueError as exc:
        raise InputError(f"{path}: invalid JSON ({exc})") from None
    certs = doc.get("certificates") if isinstance(doc, dict) else None
    return tuple(c for c in certs if isinstance(c, dict)) if isinstance(certs, list) else ()


def discover_releases(
    registry: Path, *, store: LogStore, size: int, trust: TrustStore | None = None, cache_dir: Path | None = None
) -> Discovery:
    """Every release under ``REGISTRY/releases/``, checked as the module docstring says."""
    from glyphserpack.log.entries import decode_entry

    published: set[bytes] = set()
    for index, data in store.iter_entries(size):
        entry = decode_entry(data, where=f"log entry {index}")
        if entry["type"] == "pack_published":
            published.add(entry["pack_hash"])
    cache = VerifyCache.open(cache_dir)
    releases: list[Release] = []
    keys: list[str] = []
    for rel in release_dirs(registry):
        release, key = _one(rel, trust=trust, store=store, size=size, published=published, cache=cache)
        releases.append(release)
        keys.append(key)
    seen: dict[tuple[str, str], Release] = {}
    for r in releases:
        other = seen.get((r.product, r.version))
        if other is not None:
            raise InputError(
                f"releases {other.path} and {r.path} both claim {r.product} {r.version}",
                remedy="keep one build output per product version under releases/",
            )
        seen[(r.product, r.version)] = r
    cache.save(keys)
    releases.sort(key=lambda r: (r.product, r.release_time_utc, r.version))
    return Discovery(tuple(releases), cache.hits, tuple(keys))
