"""``glyphserpack registry build``: many release build outputs and one log, published as one site.

1. Open the registry log (fully audited, :func:`glyphserpack.site.logview.open_site_log`) and fix
   the registry time: ``at``, else ``SOURCE_DATE_EPOCH``, else the newest log entry.
2. Find and check every release (:mod:`.discover`); statuses and events come from the log
   (:mod:`.events`).
3. If nothing that goes into the site changed since the last build with the same cache, stop:
   an unchanged rebuild writes nothing.
4. Every section in :data:`SECTIONS` adds pages and files; the pages are rendered together by
   mkdocs-material with the release sites' theme and assets (cached by the hash of their text,
   so unchanged pages are not rendered again).
5. Copy each release's site verbatim under ``releases/PRODUCT/VERSION/`` (hard links from the
   previous output when its site-manifest root is unchanged), and the archive.
6. Write ``registry-manifest.json`` (:mod:`glyphserpack.site.registry_manifest`): every file's
   hash (nested release files taken from their own verified manifests), every release's
   site-manifest root, the log, the chain to the previous registry manifest; signed.
7. Build in a staging directory beside ``out`` and rename it into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from glyphserpack import __version__
from glyphserpack._internal import jsonout, jsontext
from glyphserpack._internal.fsio import (
    absolute,
    atomic_write,
    read_bounded,
    refuse_output_inside,
    refuse_replacing_cwd,
    source_date_epoch,
    staging_dir,
)
from glyphserpack.errors import GlyphserpackError, InputError, SiteBuildError
from glyphserpack.log.entries import decode_entry
from glyphserpack.log.store import LogStore
from glyphserpack.registry import sections
from glyphserpack.registry.discover import Discovery, Release, discover_releases, tree_stamp
from glyphserpack.registry.events import registry_events
from glyphserpack.registry.manifest import hash_tree, write_manifest
from glyphserpack.registry.sections import Page, Parts, RegistryModel, Section
from glyphserpack.signing import key_id
from glyphserpack.site.context import PREFIX
from glyphserpack.site.manifest import MANIFEST_LIMIT, MANIFEST_NAME, load_signing_key
from glyphserpack.site.registry_manifest import (
    REGISTRY_MANIFEST,
    parse_registry_manifest,
    registry_root,
)
from glyphserpack.trust import TrustStore, is_utc_timestamp

__all__ = ["SECTIONS", "RegistryBuildResult", "build_registry"]

#: The registry site, section by section (pages + files). Add a section here, nowhere else.
SECTIONS: list[Section] = [
    sections.home,
    sections.certificates,
    sections.support,
    sections.search,
    sections.archive,
    sections.feeds,
]
LOG_DIR = "log"


@dataclass(frozen=True)
class RegistryBuildResult:
    """What a registry build did; ``unchanged`` means it wrote nothing at all."""

    out: Path
    root: str
    releases: int
    failed: tuple[str, ...]
    events: int
    files: int
    unchanged: bool
    mkdocs_ran: bool
    releases_copied: int
    releases_linked: int
    verify_cache_hits: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["out"] = str(self.out)
        doc["failed"] = list(self.failed)
        return doc


def _registry_time(store: LogStore, size: int, at: str | None) -> str:
    if at is not None:
        if not is_utc_timestamp(at):
            raise InputError(f"--at {at!r}: expected UTC time as YYYY-MM-DDTHH:MM:SSZ")
        return at
    epoch = source_date_epoch()
    if epoch is not None:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    times = [decode_entry(d, where=f"log entry {i}")["time_utc"] for i, d in store.iter_entries(size)]
    if not times:
        raise InputError("the registry log is empty and no --at or SOURCE_DATE_EPOCH was given")
    return str(max(times))


def _digest(obj: Any) -> str:
    return hashlib.sha256(jsonout.dumps(obj).encode()).hexdigest()


def _old_manifest(out: Path) -> dict[str, Any] | None:
    """The previous output's manifest (this command wrote it), for reuse only; never trusted as input."""
    try:
        obj = jsontext.loads(read_bounded(out / REGISTRY_MANIFEST, MANIFEST_LIMIT))
    except (GlyphserpackError, OSError, ValueError):
        return None
    if not isinstance(obj, dict):
        return None
    body = obj.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("releases"), list) or not isinstance(obj.get("root"), str):
        return None
    return obj


def _mkdocs(pages: list[Page], base_url: str, stage: Path, cache_dir: Path | None) -> bool:
    """Step 4: render every page with the release sites' mkdocs-material setup; True if mkdocs ran."""
    from glyphserpack.site.builder import MKDOCS_YML, _run_mkdocs
    from glyphserpack.site.cachekey import code_fingerprint
    from glyphserpack.site.render import template_digest

    docs = {p.name: p.markdown for p in pages}
    nav = [{p.title: p.name} for p in pages]
    key = _digest(
        {
            "docs": docs,
            "nav": nav,
            "cfg": MKDOCS_YML.read_text(encoding="utf-8"),
            "tpl": template_digest(),
            "code": code_fingerprint(),
            "base_url": base_url,
        }
    )
    cached = cache_dir / "mkdocs" / key if cache_dir is not None else None
    if cached is not None and (cached / "done").is_file():
        shutil.copytree(cached / "site", stage, dirs_exist_ok=True)
        return False
    with tempfile.TemporaryDirectory(prefix="gsp-registry-") as tmp:
        site = Path(tmp).absolute() / "site"
        _run_mkdocs(docs, nav, site, base_url)
        if cached is not None:
            shutil.rmtree(cached.parent, ignore_errors=True)  # keep only the latest
            shutil.copytree(site, cached / "site")
            atomic_write(cached / "done", b"")
        shutil.copytree(site, stage, dirs_exist_ok=True)
    return True


def _link_tree(src: Path, dst: Path) -> None:
    top, base = str(src), str(dst)
    for dirpath, _dirnames, filenames in os.walk(top):
        target = os.path.join(base, os.path.relpath(dirpath, top))
        os.makedirs(target, exist_ok=True)
        for name in filenames:
            try:
                os.link(os.path.join(dirpath, name), os.path.join(target, name))
            except OSError:
                shutil.copyfile(os.path.join(dirpath, name), os.path.join(target, name))


def _copy_release(r: Release, stage: Path, old_out: Path, old: dict[str, str]) -> tuple[bool, list[dict[str, Any]]]:
    """Step 5: the release's site under ``releases/P/V``; returns (linked, its file entries)."""
    path = f"releases/{r.slug}"
    dest = stage / path
    # The previous output is this command's own: a release whose root and manifest bytes are
    # unchanged there is hard-linked from it instead of copied again.
    mine = old_out / path / MANIFEST_NAME
    linked = (
        old.get(path) == r.site_root
        and mine.is_file()
        and mine.read_bytes() == (r.path / "site" / MANIFEST_NAME).read_bytes()
    )
    if linked:
        _link_tree(old_out / path, dest)
    else:
        shutil.copytree(r.path / "site", dest)
    raw = (dest / MANIFEST_NAME).read_bytes()
    entries = [{"path": f"{path}/{MANIFEST_NAME}", "sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw)}]
    if any(p.startswith("site ") for p in r.problems):
        entries += hash_tree(dest, path)  # its own manifest is not to be believed: hash what is there
    else:  # verified against its manifest just now (or by the cache): its hashes are the files'
        body = json.loads(raw)["body"]  # parsed strictly and verified by discovery already
        entries += [{"path": f"{path}/{f['path']}", "sha256": f["sha256"], "size": f["size"]} for f in body["files"]]
    return linked, entries


def _prepare_target(out: Path) -> None:
    refuse_replacing_cwd(out, option="--out")
    if out.exists() and (out.is_symlink() or not out.is_dir()):
        raise SiteBuildError(f"output {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / REGISTRY_MANIFEST).is_file():
        raise SiteBuildError(
            f"output {out}: not empty and not a glyphserpack registry site; refusing to replace it",
            remedy="choose a new output directory or remove this one",
        )


def build_registry(
    registry: Path,
    out: Path,
    *,
    sign_key: Path | None = None,
    passphrase: bytes | None = None,
    trust: TrustStore | None = None,
    base_url: str = "",
    previous_manifest: Path | None = None,
    at: str | None = None,
    cache_dir: Path | None = None,
) -> RegistryBuildResult:
    """Build the registry site for ``registry`` into ``out`` (replaced atomically; module docstring)."""
    from glyphserpack.site.builder import _swap_into_place
    from glyphserpack.site.logview import open_site_log

    started = time.perf_counter()
    registry, out = absolute(Path(registry)), absolute(Path(out))
    refuse_output_inside(out, registry, option="--out", what="registry", replaces=True)
    if cache_dir is not None:
        refuse_output_inside(out, Path(cache_dir), option="--out", what="--cache-dir directory", replaces=True)
    _prepare_target(out)
    # 1. the log and the registry time
    log_dir = registry / LOG_DIR
    store = LogStore(log_dir)
    size = store.open_checkpoint().checkpoint.size
    when = _registry_time(store, size, at)
    site_log = open_site_log(log_dir, at=when, trust=trust)
    # 2. the releases and the events
    found: Discovery = discover_releases(
        registry, store=site_log.store, size=site_log.size, trust=trust, cache_dir=cache_dir
    )
    signer = load_signing_key(sign_key, passphrase=passphrase) if sign_key is not None else None
    previous_raw = (
        read_bounded(previous_manifest, MANIFEST_LIMIT, what="previous manifest") if previous_manifest else None
    )
    previous_root: str | None = None
    if previous_raw is not None:
        prev = parse_registry_manifest(previous_raw, name=str(previous_manifest))
        previous_root = registry_root(prev["body"])
        if previous_root != prev["root"]:
            raise InputError(f"previous manifest {previous_manifest}: recorded root does not match its body")
    # 3. nothing changed: write nothing
    from glyphserpack.site.cachekey import code_fingerprint

    inputs = _digest(
        {
            "releases": found.input_keys,
            "checkpoint": site_log.checkpoint.decode(),
            "at": when,
            "base_url": base_url,
            "signer": key_id(signer) if signer is not None else None,
            "trust": trust.hash().hex() if trust is not None else None,
            "previous": previous_root,
            "code": code_fingerprint(),
            "v": __version__,
        }
    )
    old = _old_manifest(out)
    state = cache_dir / "inputs.json" if cache_dir is not None else None
    saved: Any = None
    if state is not None and state.is_file():
        try:
            saved = jsontext.loads(state.read_bytes())
        except ValueError:
            saved = None
    # Release sites are hard-linked from the previous output only if nobody touched it since.
    untouched = old is not None and isinstance(saved, dict) and saved.get("out") == tree_stamp(out)
    if untouched and old is not None and saved == {"inputs": inputs, "root": old["root"], "out": saved["out"]}:
        failed = tuple(r.slug for r in found.releases if not r.ok)
        n = len(old["body"]["files"]) + 1
        return RegistryBuildResult(
            out,
            old["root"],
            len(found.releases),
            failed,
            0,
            n,
            True,
            False,
            0,
            0,
            found.cache_hits,
            time.perf_counter() - started,
        )
    events = registry_events(site_log.store, site_log.size, site_log.derived.lifecycle, found.releases, at=when)
    model = RegistryModel(found.releases, site_log, tuple(events), when, base_url)
    # 4. the sections
    parts = [section(model) for section in SECTIONS]
    pages = [p for part in parts for p in part.pages]
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir(out.parent, prefix=f".{out.name}.tmp-")
    try:
        ran = _mkdocs(pages, base_url, tmp, cache_dir)
        _write_parts(parts, tmp)
        # 5. the release sites
        old_roots = (
            {str(r["path"]): str(r["site_manifest_root"]) for r in old["body"]["releases"]}
            if old is not None and untouched
            else {}
        )
        nested: list[dict[str, Any]] = []
        linked = 0
        for r in found.releases:
            was_linked, entries = _copy_release(r, tmp, out, old_roots)
            linked += was_linked
            nested += entries
        if previous_raw is not None and previous_root is not None:
            atomic_write(tmp / "history" / f"{previous_root[:PREFIX]}.json", previous_raw)
        # 6. the manifest
        files = sorted(hash_tree(tmp, "", skip_dirs=frozenset({"releases"})) + nested, key=lambda f: f["path"])
        root = write_manifest(tmp, files, model, previous_root, signer)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if state is not None:
        atomic_write(state, jsonout.dumps({"inputs": inputs, "root": root, "out": tree_stamp(out)}).encode())
    return RegistryBuildResult(
        out,
        root,
        len(found.releases),
        tuple(r.slug for r in found.releases if not r.ok),
        len(events),
        len(files) + 1,
        False,
        ran,
        len(found.releases) - linked,
        linked,
        found.cache_hits,
        time.perf_counter() - started,
    )


def _write_parts(parts: list[Parts], stage: Path) -> None:
    seen: set[str] = set()
    for part in parts:
        for name in [*part.files, *part.copies]:
            if name in seen:
                raise SiteBuildError(f"internal: two registry sections write {name}")
            seen.add(name)
        for name, data in part.files.items():
            target = stage / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for name, src in part.copies.items():
            target = stage / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
