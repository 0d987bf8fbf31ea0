"""Escaping: any evidence string renders as exactly its own characters, in Markdown and HTML."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from glyphserpack.site.escape import MD_ESCAPED_CHARS, html_text, md_text, safe_filename

REPO = Path(__file__).resolve().parents[2]


def _extensions() -> tuple[list[Any], dict[str, Any]]:
    """The Markdown extensions mkdocs.yml enables, so the tests render what the site renders."""
    cfg = yaml.safe_load((REPO / "mkdocs.yml").read_text().replace("!!python", "#"))
    names: list[Any] = []
    configs: dict[str, Any] = {}
    for ext in cfg["markdown_extensions"]:
        if isinstance(ext, dict):
            ((name, conf),) = ext.items()
            names.append(name)
            configs[name] = conf or {}
        else:
            names.append(ext)
    return names, configs


def _md() -> markdown.Markdown:
    names, configs = _extensions()
    return markdown.Markdown(extensions=names, extension_configs=configs)


class _Shape(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _shape(fragment: str) -> _Shape:
    p = _Shape()
    p.feed(fragment)
    p.close()
    return p


def _folded(s: str) -> str:
    """What md_text does to line breaks: every kind of them becomes a space."""
    return re.sub(r"\r\n|\r|\n|\u2028|\u2029|\x0b|\x0c|\x85", " ", s)


text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80
) | st.sampled_from(
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        "![i](javascript:alert(1))",
        "<!-- hidden -->",
        "`code` | a | b |",
        "{: onclick=alert(1)}",
        "&lt;script&gt;",
        "&#x27; &amp;",
        "*a* _b_ **c** \\*",
        "# heading",
        "1. item",
        "<javascript:alert(1)>",
        "!!! note",
    ]
)


def test_escaped_set_is_what_python_markdown_escapes() -> None:
    assert set(_md().ESCAPED_CHARS) == set(MD_ESCAPED_CHARS)


@settings(max_examples=300, deadline=None)
@given(text)
def test_markdown_paragraph_renders_exactly_the_text(value: str) -> None:
    rendered = _md().convert(f"x {md_text(value)} x")
    shape = _shape(rendered)
    assert shape.tags in ([], ["p"]), rendered
    assert shape.attrs == []
    assert shape.comments == []
    expected = re.sub(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]", "\ufffd", _folded(value))
    got = "".join(shape.text)
    assert got.split() == f"x {expected} x".split()


@settings(max_examples=200, deadline=None)
@given(st.lists(text, min_size=1, max_size=4))
def test_table_cells_stay_in_their_cells(values: list[str]) -> None:
    header = "| " + " | ".join(f"h{i}" for i in range(len(values))) + " |"
    sep = "|" + "---|" * len(values)
    row = "| " + " | ".join(str(md_text(v)) for v in values) + " |"
    rendered = _md().convert("\n".join([header, sep, row]))
    shape = _shape(rendered)
    assert shape.tags.count("td") == len(values), rendered
    assert set(shape.tags) <= {"table", "thead", "tbody", "tr", "th", "td"}
    assert shape.attrs == []
    assert shape.comments == []


@settings(max_examples=200, deadline=None)
@given(text)
def test_html_text_round_trips(value: str) -> None:
    shape = _shape(f"<td>{html_text(value)}</td>")
    assert shape.tags == ["td"]
    assert (
        "".join(shape.text) == value.replace("\r\n", "\n").replace("\r", "\n")
        or html.unescape(str(html_text(value))) == value
    )


@given(st.text(max_size=60))
def test_safe_filename_is_plain(value: str) -> None:
    name = safe_filename(value)
    assert name
    assert not name.startswith(".")
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
