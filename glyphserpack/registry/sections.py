"""The registry site's sections: each turns the checked model into pages and files.

A section is a function ``RegistryModel -> Parts``: Markdown pages (rendered together by
mkdocs-material, like the release sites), files written as they are, and files copied from
the registry. :data:`glyphserpack.registry.build.SECTIONS` lists them; adding a part of the
site (support matrix, search) is one more function in that list.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from glyphserpack._internal import jsonout
from glyphserpack.errors import GlyphserpackError, SiteBuildError
from glyphserpack.registry.discover import Release
from glyphserpack.registry.events import Event
from glyphserpack.registry.feeds import feed_files
from glyphserpack.registry.rows import adapter_rows, cert_state, release_certificates, search_rows
from glyphserpack.site.context import PREFIX
from glyphserpack.site.escape import Markup
from glyphserpack.site.logview import SiteLog
from glyphserpack.site.manifest import _sha256_file
from glyphserpack.site.render import _checked_href, _env, _md_finalize

__all__ = [
    "SEARCH_DIR",
    "SEARCH_INDEX",
    "ArchiveFile",
    "Page",
    "Parts",
    "RegistryModel",
    "Section",
    "archive",
    "certificates",
    "feeds",
    "home",
    "search",
    "support",
]

#: The search page's folder. Not ``search/``: mkdocs-material's search plugin owns that one.
SEARCH_DIR = "find"
#: The sharded index beside the page (:mod:`glyphserpack.registry.search`).
SEARCH_INDEX = f"{SEARCH_DIR}/index"


@dataclass(frozen=True)
class Page:
    """One Markdown page for mkdocs: its path (``x/y.md``), nav title and text."""

    name: str
    title: str
    markdown: str


@dataclass
class Parts:
    """What a section adds: pages for mkdocs, files by site path, files copied from the registry."""

    pages: list[Page] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    copies: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class RegistryModel:
    """Everything the sections may show: checked releases, the audited log, its events."""

    releases: tuple[Release, ...]
    log: SiteLog
    events: tuple[Event, ...]
    at: str
    base_url: str


@dataclass(frozen=True)
class ArchiveFile:
    name: str
    path: str
    size: int
    sha256: str


Section = Callable[[RegistryModel], Parts]


def _helpers(page: str) -> dict[str, Any]:
    root = "../" * page.count("/")

    def rel(href: str) -> Markup:
        return Markup(root + _checked_href(href))

    def h(value: str) -> Markup:
        return Markup(f"`{value.lower()}`") if all(c in "0123456789abcdefABCDEF" for c in value) else Markup("`?`")

    def verdict(value: str) -> Markup:
        if value not in ("PASS", "FAIL", "SKIP"):
            return Markup(_md_finalize(value))
        return Markup(f'<span class="gsp-{value}">{value}</span>')

    def status(value: str) -> Markup:
        if not value.replace("_", "").isalpha():
            raise SiteBuildError(f"internal: bad status {value!r}")
        return Markup(f'<span class="gsp-status-{value}">{value}</span>')

    def aid(value: str) -> Markup:
        if not value.replace("-", "").isalnum():
            raise SiteBuildError(f"internal: bad anchor {value!r}")
        return Markup(value)

    return {"rel": rel, "h": h, "verdict": verdict, "status": status, "aid": aid}


def _render(template: str, page: str, **context: Any) -> str:
    env = _env(False, _md_finalize)
    return env.get_template(f"registry/{template}").render(**context, **_helpers(page))


def archive_href(r: Release) -> str:
    return f"archive/{r.slug}/{r.pack.name}"


def home(model: RegistryModel) -> Parts:
    products: dict[str, list[Release]] = {}
    for r in model.releases:
        products.setdefault(r.product, []).append(r)
    text = _render(
        "index.md.j2",
        "index.md",
        products=sorted(products.items()),
        events=model.events[:20],
        log_origin=model.log.store.origin,
        log_size=model.log.size,
        log_root=model.log.verified.checkpoint.root_hash.hex(),
        at=model.at,
        archive_href=archive_href,
    )
    releases = [
        {
            "product": r.product,
            "version": r.version,
            "release_id": r.release_id,
            "release_time_utc": r.release_time_utc,
            "profile_id": r.profile_id,
            "upgrade_gate_verdict": r.gate_verdict,
            "checks": "PASS" if r.ok else "FAIL",
            "problems": list(r.problems),
            "site": f"releases/{r.slug}/index.html",
            "site_manifest_root": r.site_root,
            "pack": archive_href(r),
            "pack_root_hash": r.pack_root,
        }
        for r in model.releases
    ]
    doc = {"api_version": 1, "registry_time_utc": model.at, "releases": releases}
    return Parts([Page("index.md", "Releases", text)], {"api/releases.json": jsonout.dumps(doc).encode()})


def certificates(model: RegistryModel) -> Parts:
    """One registry of every certificate across releases; statuses from the log (``state_of``)."""
    seen: dict[str, dict[str, Any]] = {}
    for r in model.releases:
        for c in release_certificates(r):
            sha = str(c["sha256"])
            if sha not in seen:
                st = cert_state(model.log, sha)
                seen[sha] = {
                    "sha256": sha,
                    "id": str(c.get("id", "")),
                    "kind": str(c.get("kind", "")),
                    "cert_class": str(c.get("cert_class", "")),
                    "subject": str(c.get("subject", "")),
                    "status": st.state,
                    "reason": st.reason,
                    "established_by": st.established_by.index if st.established_by is not None else None,
                    "log_indexes": [e.index for e in st.events],
                    "page": str(c.get("page", "")),
                    "releases": [],
                }
            seen[sha]["releases"].append(r.slug)
    certs = sorted(seen.values(), key=lambda c: (c["id"], c["sha256"]))
    parts = Parts()
    parts.pages.append(
        Page(
            "certificates/index.md",
            "Certificates",
            _render("certificates.md.j2", "certificates/index.md", certs=certs, at=model.at),
        )
    )
    parts.files["api/certificates.json"] = jsonout.dumps(
        {"api_version": 1, "registry_time_utc": model.at, "certificates": certs}
    ).encode()
    for c in certs:
        parts.files[f"api/certificates/{c['sha256'][:PREFIX]}.json"] = jsonout.dumps({"api_version": 1, **c}).encode()
    return parts


def archive(model: RegistryModel) -> Parts:
    """Every pack, its ``.par``, its time-stamp tokens and its log inclusion proof."""
    from glyphserpack.pack import open_pack

    parts = Parts()
    listing: dict[str, list[ArchiveFile]] = {}
    for r in model.releases:
        base = f"archive/{r.slug}"
        files: list[ArchiveFile] = []
        sources = [r.pack, *([r.parity] if r.parity is not None else [])]
        sources += sorted((r.path / "proofs").glob("*.tlog-proof"))
        for src in sources:
            if src.is_file():
                parts.copies[f"{base}/{src.name}"] = src
                files.append(ArchiveFile(src.name, f"{base}/{src.name}", src.stat().st_size, _sha256_file(src)))
        try:
            with open_pack(r.pack) as reader:
                tokens = {k: v for k, v in reader.attachments().items() if k.startswith("timestamps/")}
        except (GlyphserpackError, OSError):
            tokens = {}  # an unreadable pack is already a FAIL; its page says so
        for name, data in sorted(tokens.items()):
            path = f"{base}/tokens/{name.split('/', 1)[1]}"
            parts.files[path] = data
            files.append(ArchiveFile(name, path, len(data), hashlib.sha256(data).hexdigest()))
        listing[r.slug] = files
    text = _render("archive.md.j2", "archive/index.md", releases=model.releases, archive=listing)
    parts.pages.append(Page("archive/index.md", "Archive", text))
    return parts


def feeds(model: RegistryModel) -> Parts:
    return Parts(files=feed_files(model.events, origin=model.log.store.origin, base_url=model.base_url, at=model.at))


def support(model: RegistryModel) -> Parts:
    """The support matrix and adapters × versions (``support/``) and endoflife.date-shaped ``api/eol/``.

    Facts come from each release's build output (:func:`release_facts_from_build`); a release
    shown FAIL is not counted and is listed with why, as is one whose facts cannot be read.
    Adapter cells take the certificate statuses of :func:`~glyphserpack.registry.rows.cert_state`.
    """
    from glyphserpack.registry.adapters import adapter_matrix
    from glyphserpack.registry.support import release_facts_from_build, support_matrix
    from glyphserpack.registry.support_site import render_support_page, support_api_files

    facts = []
    skipped: set[tuple[str, str]] = set()
    for r in model.releases:
        if not r.ok:
            first = r.problems[0]
            more = f" (+{len(r.problems) - 1} more)" if len(r.problems) > 1 else ""
            skipped.add((r.release_id, f"shown FAIL in this registry: {first}{more}"))
            continue
        try:
            facts.append(release_facts_from_build(r.path))
        except GlyphserpackError as exc:
            skipped.add((r.release_id, f"its support facts cannot be read: {exc.message}"))
    matrix = support_matrix(facts, at=model.at)
    matrix = replace(matrix, excluded=tuple(sorted(set(matrix.excluded) | skipped)))
    text = render_support_page(matrix, adapter_matrix(adapter_rows(model.releases, model.log)))
    return Parts([Page("support/index.md", "Support", text)], support_api_files(matrix))


def search(model: RegistryModel) -> Parts:
    """The search page (``find/``) and its sharded index (``find/index/``), one row per certificate per release."""
    from glyphserpack.registry.search import write_search_index
    from glyphserpack.registry.search_page import render_search_page

    parts = Parts()
    with tempfile.TemporaryDirectory(prefix="gsp-registry-search-") as tmp:
        index = Path(tmp) / "index"
        info = write_search_index(search_rows(model.releases, model.log), index)
        for path in sorted(index.rglob("*")):
            if path.is_file():
                parts.files[f"{SEARCH_INDEX}/{path.relative_to(index).as_posix()}"] = path.read_bytes()
    text = render_search_page(info, index_url="index/", site_root="../")
    parts.pages.append(Page(f"{SEARCH_DIR}/index.md", "Search", text))
    return parts
