"""Escaping evidence text for the two contexts the site renders into: Markdown and HTML.

Evidence is untrusted: a vendor name, a mitigation or an unsigned metadata value may carry
``<script>``, ``onerror=``, ``javascript:`` links, Markdown link or image syntax, HTML
comments, backticks or table pipes. Every evidence string therefore passes through one of
these functions before it reaches a page, and anything trusted (markup our own templates
build) is wrapped in :class:`markupsafe.Markup` so the template layer can tell them apart.

Markdown escaping is done in two layers, outermost first: HTML-escape (so raw HTML, comments
and autolinks become inert text), then backslash-escape every character Python-Markdown or
its enabled extensions give meaning to (links, images, emphasis, code spans, attribute lists,
table cells, headings, lists), and fold newlines so a value can never start a new block.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from markupsafe import Markup

__all__ = ["MD_ESCAPED_CHARS", "Markup", "html_attr", "html_text", "md_text", "safe_filename", "url_component"]

#: Exactly Python-Markdown's ESCAPED_CHARS with the extensions mkdocs.yml enables (core set
#: plus the tables extension's ``|``); a backslash before any other character would show up
#: literally. ``<``/``>``/``&`` never reach this step: they are entities by then. A test pins
#: this set against a live Markdown instance so an added extension cannot widen the gap.
MD_ESCAPED_CHARS = frozenset("\\`*_{}[]()>#+-.!|")
_NEWLINES = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x0b|\x0c|\x85")
#: Other control characters; Python-Markdown silently deletes STX/ETX (its placeholders), so
#: they are shown as U+FFFD instead of vanishing from what a reader sees.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def html_text(value: object) -> Markup:
    """Text for an HTML element body or a quoted attribute: ``& < > " '`` become entities."""
    return Markup(html.escape(str(value), quote=True))  # noqa: S704 - escaped on this line


def html_attr(value: object) -> Markup:
    """Same escaping as :func:`html_text`; a separate name so templates say which context they mean."""
    return html_text(value)


def md_text(value: object) -> Markup:
    """Inline Markdown text that renders as exactly the given characters and nothing else.

    Newlines (and the other Unicode line separators) fold into spaces: a value may sit in a
    table cell or a list item, where a line break would end the construct and let the rest
    of the value start a heading, an HTML block or a new table row.
    """
    text = _CONTROLS.sub("\ufffd", _NEWLINES.sub(" ", str(value)))
    text = html.escape(text, quote=True)
    out: list[str] = []
    for ch in text:
        if ch in MD_ESCAPED_CHARS:
            out.append("\\" + ch)
        else:
            out.append(ch)
    # html.escape produced entities like "&lt;"; their "&" and ";" are not Markdown-special,
    # and "#" inside numeric entities ("&#x27;") was escaped above, so undo that one case.
    return Markup("".join(out).replace("&\\#x27;", "&#x27;"))  # noqa: S704 - escaped above


def url_component(value: object) -> str:
    """Percent-encode a value for use inside one path segment of a URL we build."""
    return quote(str(value), safe="")


def safe_filename(value: str, *, default: str = "file") -> str:
    """A download file name made only of ``[A-Za-z0-9._-]``; never empty, never a dot name."""
    name = _SAFE_NAME.sub("_", value.rsplit("/", 1)[-1]).strip("._") or default
    return name[:100]
