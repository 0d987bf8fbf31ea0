"""Jinja2 rendering of the context into Markdown pages (for mkdocs) and HTML page bodies.

Two environments, one per output context. The Markdown one escapes every value for
Markdown *and* HTML by default (its ``finalize`` hook), so a template that forgets a filter
is still safe; only :class:`~markupsafe.Markup` produced by the helpers below passes through
unchanged, and those helpers build links only from hashes and paths we made ourselves. The
HTML one uses Jinja's own autoescaping.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jinja2

from glyphserpack._internal.resources import resource
from glyphserpack.errors import SiteBuildError
from glyphserpack.evidence.models import PROFILES
from glyphserpack.evidence.status import STATUSES as _STATUSES
from glyphserpack.site.context import PREFIX, CertRecord, Link, PackRecord, SiteContext
from glyphserpack.site.escape import Markup, md_text

__all__ = ["TEMPLATES", "RenderedPages", "html_env", "render_certificate_body", "render_pages", "template_digest"]

#: ``site_templates/``: the checkout's top-level one, or the copy a wheel carries (docs/site.md).
TEMPLATES = resource("site_templates")
_HREF = re.compile(r"^[A-Za-z0-9._/#-]*$")
_HEX = re.compile(r"^[0-9a-f]{1,128}$")
_ANCHOR = re.compile(r"^[a-z][a-z0-9-]{0,80}$")
#: The registry's status filter and counts: one rule with or without a log (evidence.status).
STATUSES = _STATUSES


def _md_finalize(value: object) -> object:
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    return md_text(value)


def _env(autoescape: bool, finalize: Callable[[object], object] | None) -> jinja2.Environment:
    if not TEMPLATES.is_dir():
        raise SiteBuildError(
            f"site templates not found at {TEMPLATES}", remedy="reinstall glyphserpack, or run from a source checkout"
        )
    kwargs: dict[str, Any] = {}
    if finalize is not None:
        kwargs["finalize"] = finalize
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        # Markdown env: autoescape off because HTML escaping alone is not enough there;
        # finalize=_md_finalize escapes for Markdown *and* HTML instead (see module docstring).
        autoescape=autoescape,  # noqa: S701
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        **kwargs,
    )


def html_env() -> jinja2.Environment:
    return _env(True, None)


def template_digest() -> str:
    """Hash of every template and asset: part of every cache key, so editing one rebuilds."""
    import hashlib

    h = hashlib.sha256()
    for p in sorted(TEMPLATES.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(TEMPLATES).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _checked_href(href: str) -> str:
    if not _HREF.match(href):
        raise SiteBuildError(f"internal: refusing to emit unsafe link target {href!r}")
    return href


def _hex(value: str) -> str:
    if not _HEX.match(value):
        raise SiteBuildError(f"internal: expected lower-case hex, got {value!r}")
    return value


@dataclass(frozen=True)
class RenderedPages:
    """Markdown sources for mkdocs, HTML bodies spliced in afterwards, and the nav."""

    docs: dict[str, str]
    splices: dict[str, str]
    nav: list[Any]


def _helpers(ctx: SiteContext, page: str) -> dict[str, Any]:
    root = "../" * page.count("/")
    downloads = {f.sha256: f.download for f in ctx.files}

    def rel(href: str) -> Markup:
        return Markup(root + _checked_href(href))

    def hl(link: Link | None) -> Markup:
        if link is None:
            return Markup("none")
        note = "" if link.ok else " **(missing or altered)**"
        return Markup(f"[{md_text(link.label)}]({rel(link.href)}) `{_hex(link.sha256)[:PREFIX]}`{note}")

    def fl(sha256: str) -> Markup:
        return Markup(f"[`{_hex(sha256)[:PREFIX]}`]({rel('evidence.html#f-' + sha256[:PREFIX])})")

    def h(value: str) -> Markup:
        return Markup(f"`{_hex(value)}`")

    def verdict(value: str) -> Markup:
        if value not in ("PASS", "FAIL", "SKIP", "n/a"):
            return md_text(value)
        return Markup(f'<span class="gsp-{value.replace("/", "")}">{value}</span>')

    def download(sha256: str) -> str:
        return _checked_href(downloads.get(sha256, "evidence.html"))

    def count_status(status: str) -> int:
        return sum(1 for c in ctx.certificates if c.status == status)

    def verify_commands(p: PackRecord) -> str:
        name = _checked_href(p.download.rsplit("/", 1)[-1])
        lines = [f"echo '{_hex(p.sha256)}  {name}' | sha256sum -c -"]
        if p.parity is not None:  # downloaded beside the pack, verify reports on it and repair uses it
            par = _checked_href(p.parity.download.rsplit("/", 1)[-1])
            lines.append(f"echo '{_hex(p.parity.sha256)}  {par}' | sha256sum -c -")
        lines += [
            f"glyphserpack verify {name} --trust TRUST_DIR",
            f"zstd -dc {name} | tar -x -C unpacked/ && cat unpacked/*/verification_instructions.txt",
        ]
        return "\n".join(lines)

    def raw(value: str) -> Markup:
        return Markup(value)

    def aid(value: str) -> Markup:
        """An HTML id / attr_list anchor we generated (letters, digits, '-')."""
        if not _ANCHOR.match(value):
            raise SiteBuildError(f"internal: bad anchor {value!r}")
        return Markup(value)

    return {
        "ctx": ctx,
        "rel": rel,
        "hl": hl,
        "fl": fl,
        "h": h,
        "verdict": verdict,
        "download": download,
        "count_status": count_status,
        "verify_commands": verify_commands,
        "raw": raw,
        "aid": aid,
        "root": root,
        "profiles_order": PROFILES,
        "statuses": STATUSES,
    }


def _with_left_out(env: jinja2.Environment, ctx: SiteContext, name: str, key: str, text: str) -> str:
    """The page with a "Left out of this page" section under its title, when documents are missing.

    One place for every page, so no page can forget to say that its tables are incomplete.
    """
    items = [d for d in ctx.left_out if key in d.pages]
    if not items:
        return text
    block = env.get_template("pages/_left_out.md.j2").render(items=items, **_helpers(ctx, name))
    lines = text.split("\n")
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
    return "\n".join([*lines[:at], "", block.rstrip("\n"), "", *lines[at:]])


def render_pages(ctx: SiteContext) -> RenderedPages:
    """Every Markdown page of the site plus the HTML bodies of the two large tables."""
    env = _env(False, _md_finalize)
    hen = html_env()
    docs: dict[str, str] = {}
    simple = [
        ("index.md", "Overview"),
        ("registry.md", "Certificates"),
        ("compatibility.md", "Compatibility guarantees"),
        ("profiles.md", "Profiles and graduation"),
        ("observability.md", "Observability mapping"),
        ("interfaces.md", "Interfaces"),
        ("performance.md", "Performance tiers"),
        ("chaos.md", "Chaos and recovery"),
        ("roadmap.md", "Roadmap readiness"),
        ("archive.md", "Archive"),
        ("revocations.md", "Revocations"),
        ("evidence.md", "Evidence files"),
        ("schemas.md", "JSON Schemas"),
        ("verify.md", "Verify a file"),
    ]
    for name, _ in simple:
        docs[name] = env.get_template(f"pages/{name}.j2").render(_helpers(ctx, name))
        docs[name] = _with_left_out(env, ctx, name, name, docs[name])
    security_nav = []
    for sc in ctx.security_cases:
        name = f"{sc.slug}.md"
        docs[name] = env.get_template("pages/security_case.md.j2").render(sc=sc, **_helpers(ctx, name))
        docs[name] = _with_left_out(env, ctx, name, "security", docs[name])
        security_nav.append({sc.profile: name})
    docs["certificates/_shell.md"] = env.get_template("pages/cert_shell.md.j2").render(_helpers(ctx, "x"))
    nav: list[Any] = [{title: name} for name, title in simple[:2]]
    if security_nav:
        nav.append({"Security cases": security_nav})
    nav += [{title: name} for name, title in simple[2:]]
    splices = {
        "registry.md": hen.get_template("html/registry.html.j2").render(
            certs=ctx.certificates, statuses=STATUSES, root="", log=ctx.log
        ),
        "evidence.md": hen.get_template("html/evidence.html.j2").render(files=ctx.files, root=""),
    }
    return RenderedPages(docs, splices, nav)


def render_certificate_body(env: jinja2.Environment, cert: CertRecord) -> str:
    """HTML body of one certificate page (stamped into the mkdocs-rendered shell)."""
    return env.get_template("html/certificate.html.j2").render(c=cert, root="../")
