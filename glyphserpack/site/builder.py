"""Build the static site: templates → mkdocs (Material) → stamped object pages → manifest.

1. Load the evidence tree and derive the typed context (:mod:`~glyphserpack.site.source`).
2. Render the Markdown pages into a temporary ``docs_dir`` and run ``mkdocs build`` on the
   top-level ``mkdocs.yml``. Its output is cached by the hash of everything it reads, so an
   unchanged rebuild does not run mkdocs at all.
3. Splice the large tables (registry, evidence index) into their mkdocs-rendered pages, and
   stamp one page per certificate into a shell page mkdocs rendered once. Per-object pages
   are where a site with 10,000 certificates spends its time; running each through
   Python-Markdown and the full Material template would take minutes, a string splice takes
   microseconds, and each stamped page is cached by the hash of its inputs.
4. Copy the evidence files and packs, write the ``api/`` twin and the search entries.
5. Write ``site-manifest.json`` (hash of every file, root, signature, time-stamp, chain).
6. Move the finished tree into place: it is built in a temporary directory beside the
   target and renamed, so a failed build never leaves a half-written site.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glyphserpack import __version__
from glyphserpack._internal import jsonout
from glyphserpack._internal.fsio import (
    absolute,
    atomic_write,
    refuse_output_inside,
    refuse_replacing_cwd,
    source_date_epoch,
    staging_dir,
)
from glyphserpack._internal.resources import resource
from glyphserpack.errors import SiteBuildError
from glyphserpack.evidence.loader import load_tree
from glyphserpack.log.checkpoint import open_checkpoint
from glyphserpack.log.note import Verifier
from glyphserpack.site import api, logview, manifest
from glyphserpack.site.cachekey import code_fingerprint
from glyphserpack.site.context import PREFIX, LeftOut, SiteContext
from glyphserpack.site.escape import html_text
from glyphserpack.site.render import TEMPLATES, html_env, render_certificate_body, render_pages, template_digest
from glyphserpack.site.source import build_context
from glyphserpack.trust import TrustStore

__all__ = ["MKDOCS_YML", "BuildResult", "build_site"]

MKDOCS_YML = resource("mkdocs.yml")
_BODY = "<p>GSPBODY0</p>"
_TITLE = "GSPTITLE0"
_SHELL = "certificates/_shell.html"


@dataclass(frozen=True)
class BuildResult:
    """What a build did; ``pages_rendered`` is 0 for an unchanged rebuild."""

    out: Path
    files: int
    root: str
    mkdocs_ran: bool
    pages_rendered: int
    pages_cached: int
    seconds: float
    #: listed documents the site could not show; each affected page names them (site/leftout.py)
    left_out: tuple[LeftOut, ...] = ()


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=_jsonable).encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise TypeError(type(value).__name__)


def _run_mkdocs(docs: dict[str, str], nav: list[Any], site_dir: Path, base_url: str) -> None:
    """Write the Markdown pages and Material assets into a temp docs_dir and build them.

    mkdocs resolves a relative ``docs_dir``/``site_dir`` against the directory of its config
    file (our packaged ``mkdocs.yml``), not the working directory: a relative ``site_dir``
    would build into the installed package. So both must be absolute by the time they get here.
    """
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    if not site_dir.is_absolute():
        raise SiteBuildError(f"internal: mkdocs site_dir {site_dir} is not absolute")
    with tempfile.TemporaryDirectory(prefix="gsp-docs-") as tmp:
        docs_dir = Path(tmp).absolute() / "docs"
        for name, text in docs.items():
            target = docs_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        shutil.copytree(TEMPLATES / "assets", docs_dir / "assets" / "gsp")
        overrides: dict[str, Any] = {"docs_dir": str(docs_dir), "site_dir": str(site_dir), "nav": nav}
        if base_url:
            overrides["site_url"] = base_url
        log = logging.getLogger("mkdocs")
        level = log.level
        log.setLevel(logging.ERROR)
        try:
            cfg = load_config(config_file=str(MKDOCS_YML), **overrides)
            build(cfg)
        except Exception as exc:  # noqa: BLE001 - mkdocs raises many types; all mean "cannot build"
            raise SiteBuildError(f"mkdocs build failed: {type(exc).__name__}: {exc}") from None
        finally:
            log.setLevel(level)


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, dirs_exist_ok=True)


def _mkdocs_stage(ctx: SiteContext, out: Path, cache: Path | None) -> tuple[bool, dict[str, str]]:
    """Steps 2–3: mkdocs output (cached) with splices applied; returns (ran, splice bodies)."""
    pages = render_pages(ctx)
    key = _digest(
        {
            "docs": pages.docs,
            "nav": pages.nav,
            "cfg": MKDOCS_YML.read_text(encoding="utf-8"),
            "tpl": template_digest(),
            "v": __version__,
            "code": code_fingerprint(),
            "base_url": ctx.base_url,
        }
    )
    cached = cache / "mkdocs" / key if cache is not None else None
    ran = False
    if cached is not None and (cached / "done").is_file():
        _copy_tree(cached / "site", out)
    else:
        _run_mkdocs(pages.docs, pages.nav, out, ctx.base_url)
        ran = True
        if cached is not None:
            shutil.rmtree(cached.parent, ignore_errors=True)  # keep only the latest
            _copy_tree(out, cached / "site")
            atomic_write(cached / "done", b"")
    for name, body in pages.splices.items():
        page = out / name.replace(".md", ".html")
        html = page.read_text(encoding="utf-8")
        if _BODY not in html:
            raise SiteBuildError(f"internal: {page.name} has no body marker")
        page.write_text(html.replace(_BODY, body, 1), encoding="utf-8")
    return ran, pages.splices


def _stamp_certificates(ctx: SiteContext, out: Path, cache: Path | None) -> tuple[int, int, list[dict[str, str]]]:
    """Step 3b: one page per certificate from the shell; returns (rendered, cached, search entries)."""
    shell_path = out / _SHELL
    shell = shell_path.read_text(encoding="utf-8")
    shell_path.unlink()
    if _BODY not in shell or _TITLE not in shell:
        raise SiteBuildError("internal: certificate shell page lost its markers")
    base = _digest({"shell": shell, "tpl": template_digest(), "code": code_fingerprint()})
    env = html_env()
    rendered = reused = 0
    entries = []
    page_cache = cache / "pages" if cache is not None else None
    for cert in ctx.certificates:
        target = out / cert.page
        # repr() of the frozen record covers every field the page shows (pack member sets are
        # repr=False: the pack's own hash covers them); asdict() cost ~1 ms per certificate.
        key = hashlib.sha256(f"{base}\0{cert!r}".encode()).hexdigest()
        hit = page_cache / key[:2] / f"{key}.html" if page_cache is not None else None
        if hit is not None and hit.is_file():
            shutil.copyfile(hit, target)
            reused += 1
        else:
            body = render_certificate_body(env, cert)
            title = str(html_text(cert.title))
            html = shell.replace(_BODY, body, 1).replace(_TITLE, title).replace("_shell.html", cert.page.split("/")[1])
            target.write_text(html, encoding="utf-8")
            rendered += 1
            if hit is not None:
                hit.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(target, hit)
        # Material renders search titles and texts as HTML (its own entries come from pages),
        # so ours are escaped exactly like page text.
        entries.append(
            {
                "location": cert.page,
                "title": str(html_text(cert.title)),
                "text": str(
                    html_text(f"{cert.ident} {cert.cert_class} {cert.subject} status {cert.status} {cert.sha256}")
                ),
            }
        )
    return rendered, reused, entries


def _merge_search(out: Path, entries: list[dict[str, str]]) -> None:
    """Add certificate pages to Material's search index and refresh its file:// copy."""
    index_path = out / "search" / "search_index.json"
    data = json.loads(index_path.read_text(encoding="utf-8"))
    data["docs"] = [d for d in data["docs"] if not d["location"].startswith("certificates/_shell")] + entries
    text = jsonout.dumps(data, compact=True, sort_keys=False, ensure_ascii=False)
    index_path.write_text(text, encoding="utf-8")
    (out / "search" / "search_index.js").write_text(f"var __index = {text}", encoding="utf-8")


def _copy_published(tree_root: Path, ctx: SiteContext, packs: Sequence[Path], out: Path) -> None:
    """Step 4: evidence files and packs (with their parity sidecars) under hash-prefixed names."""
    for f in ctx.files:
        target = out / f.download
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tree_root / f.path, target)
    by_name = {p.name: p for p in packs}
    for rec in ctx.packs:
        target = out / rec.download
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(by_name[rec.name], target)
        if rec.parity is not None:  # beside the pack, as DOWNLOAD.par (see ParityRecord)
            shutil.copyfile(by_name[rec.name].with_name(rec.parity.name), out / rec.parity.download)


def _sitemap(out: Path, base_url: str) -> None:
    for name in ("sitemap.xml", "sitemap.xml.gz"):
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()
    if not base_url:
        return
    base = base_url.rstrip("/") + "/"
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html") if p.name != "404.html")
    body = "".join(f"  <url><loc>{html_text(base + p)}</loc></url>\n" for p in pages)
    (out / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{body}</urlset>\n',
        encoding="utf-8",
    )


def _prepare_target(out: Path) -> None:
    refuse_replacing_cwd(out, option="--out")
    if out.exists() and (out.is_symlink() or not out.is_dir()):
        raise SiteBuildError(f"output {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / manifest.MANIFEST_NAME).is_file():
        raise SiteBuildError(
            f"output {out}: not empty and not a glyphserpack site; refusing to replace it",
            remedy="choose a new output directory or remove this one",
        )


def _refuse_inputs_in_output(
    out: Path, *, evidence: Path, packs_dir: Path | None, log_dir: Path | None, cache_dir: Path | None
) -> None:
    """The site must not land in a tree it reads, nor swallow one: ``out`` is replaced whole."""
    refuse_output_inside(out, evidence, option="--out", what="evidence tree", replaces=True)
    for option, tree in (("--packs", packs_dir), ("--log", log_dir), ("--cache-dir", cache_dir)):
        if tree is not None:
            refuse_output_inside(out, tree, option="--out", what=f"{option} directory", replaces=True)


def _swap_into_place(tmp: Path, out: Path) -> None:
    old: Path | None = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_site(
    evidence: Path,
    out: Path,
    *,
    packs_dir: Path | None = None,
    base_url: str = "",
    sign_key: Path | None = None,
    passphrase: bytes | None = None,
    previous_manifest: Path | None = None,
    cache_dir: Path | None = None,
    timestamper: manifest.Timestamper | None = None,
    tsa_roots: Sequence[Any] | None = None,
    log_dir: Path | None = None,
    log_key: Verifier | str | None = None,
    previous_checkpoint: bytes | None = None,
    log_trust: TrustStore | None = None,
    witnesses: Sequence[Verifier | str] = (),
    witness_quorum: int = 0,
    pack_trust: TrustStore | None = None,
) -> BuildResult:
    """Build the site for ``evidence`` into ``out`` (replaced atomically); see the module docstring.

    With ``log_dir`` every certificate's status is the state derived from that transparency
    log (audited first; ``log_key`` pins its verifier key, ``log_trust`` checks it for purpose
    ``checkpoint``, ``witnesses``/``witness_quorum`` demand N of M cosignatures), the log is
    published under ``log/`` and, with ``previous_manifest``, so is the consistency proof
    from the previous release's checkpoint (or, without a previous manifest, from
    ``previous_checkpoint``: the log's checkpoint before this release, which ``build --log``
    knows). With ``pack_trust`` every published pack is
    verified in full against it (purpose ``pack``) and the archive page says how it fared.
    """
    started = time.perf_counter()
    _refuse_inputs_in_output(Path(out), evidence=evidence, packs_dir=packs_dir, log_dir=log_dir, cache_dir=cache_dir)
    _prepare_target(Path(out))
    out = absolute(out)  # mkdocs and the staging rename must not depend on the cwd
    tree = load_tree(Path(evidence))
    if packs_dir is not None and not packs_dir.is_dir():
        raise SiteBuildError(f"--packs {packs_dir}: not a directory")
    packs = sorted(packs_dir.glob("*.glyphserpack")) if packs_dir is not None else []
    ctx = build_context(
        tree, packs=packs, base_url=base_url, cache=cache_dir, tsa_roots=tsa_roots, pack_trust=pack_trust
    )
    previous = manifest.load_previous(previous_manifest) if previous_manifest is not None else None
    site_log: logview.SiteLog | None = None
    consistency: bytes | None = None
    if log_dir is not None:
        site_log = logview.open_site_log(
            Path(log_dir),
            at=ctx.release_time_utc,
            log_key=log_key,
            trust=log_trust,
            witnesses=witnesses,
            witness_quorum=witness_quorum,
        )
        section = logview.previous_log_section(previous.raw) if previous is not None else None
        if section is None and previous_checkpoint is not None:
            old = open_checkpoint(previous_checkpoint, site_log.store.log_key, where="previous checkpoint")
            section = {
                "checkpoint": previous_checkpoint.decode(),
                "log_key": site_log.store.log_key.vkey(),
                "size": old.checkpoint.size,
            }
        consistency = logview.consistency_from(site_log, section)
        ctx = logview.apply_log(
            ctx,
            site_log,
            int(section["size"]) if section is not None else None,
            has_consistency=consistency is not None,
        )
    elif log_key is not None or previous_checkpoint is not None or log_trust is not None or witnesses or witness_quorum:
        raise SiteBuildError("--log-key, --trust, --witness and --witness-quorum need --log LOG_DIR")
    signer = manifest.load_signing_key(sign_key, passphrase=passphrase) if sign_key is not None else None
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir(out.parent, prefix=f".{out.name}.tmp-")
    try:
        ran, _ = _mkdocs_stage(ctx, tmp, cache_dir)
        rendered, reused, entries = _stamp_certificates(ctx, tmp, cache_dir)
        _merge_search(tmp, entries)
        _copy_published(tree.root, ctx, packs, tmp)
        api.write_api(ctx, tmp)
        log_section = logview.publish_log(site_log, tmp, consistency) if site_log is not None else None
        _sitemap(tmp, base_url)
        if previous is not None:
            atomic_write(tmp / "history" / f"{previous.root[:PREFIX]}.json", previous.raw)
        when = _build_time(ctx)
        hashed = manifest.write_published_hashes(tmp, ctx)
        root = manifest.write_manifest(
            tmp,
            release_id=ctx.release_id,
            build_time_utc=when,
            previous=previous,
            signer=signer,
            timestamper=timestamper,
            hashed=hashed,
            log_section=log_section,
        )
        files = sum(1 for p in tmp.rglob("*") if p.is_file())
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out, files, root, ran, rendered, reused, time.perf_counter() - started, ctx.left_out)


def _build_time(ctx: SiteContext) -> str:
    """SOURCE_DATE_EPOCH when set, else the release time: never the wall clock."""
    epoch = source_date_epoch()
    if epoch is None:
        return ctx.release_time_utc
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
