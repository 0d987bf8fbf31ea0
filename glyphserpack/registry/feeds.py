"""Atom 1.0 feeds (RFC 4287) of registry events: ``feeds/all.atom`` and one per product.

Deterministic: the same events, base URL and registry time give the same bytes. Every
``atom:id`` is a ``urn:uuid:`` (RFC 4122 name-based, SHA-1) of the log's origin and the
event's stable key, so ids survive rebuilds and a move to another URL, and two registries
never share one. Text is XML-escaped by :func:`xml.sax.saxutils.escape`; the feed's
``updated`` is its newest event, else the registry time. Links: ``self`` is the feed,
``alternate`` the registry's home page (entries: the page of what changed), both absolute
when ``--base-url`` is given, else relative to the feed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from glyphserpack import __version__
from glyphserpack.registry.events import Event

__all__ = ["ALL_FEED", "feed_files", "feed_id", "render_feed"]

ATOM_NS = "http://www.w3.org/2005/Atom"
ALL_FEED = "feeds/all.atom"
_NAMESPACE = uuid.UUID("6f1d4c1e-9d3a-5c7e-8a51-2f0b9e1c7a40")  # glyphserpack registry feeds


def feed_id(origin: str, key: str) -> str:
    """A stable ``urn:uuid:`` for ``key`` in the registry whose log has ``origin``."""
    return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, origin + "\n" + key))


def _href(base_url: str, path: str) -> str:
    if base_url:
        return base_url.rstrip("/") + "/" + path
    return "../" + path  # feeds live one folder down


def render_feed(events: Sequence[Event], *, name: str, title: str, origin: str, base_url: str, at: str) -> bytes:
    """One Atom feed document (``name`` is its path in the site, e.g. ``feeds/all.atom``)."""
    updated = max((e.time_utc for e in events), default=at)
    self_href = base_url.rstrip("/") + "/" + name if base_url else name.rsplit("/", 1)[-1]
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM_NS}">',
        f"  <id>{escape(feed_id(origin, 'feed/' + name))}</id>",
        f"  <title>{escape(title)}</title>",
        f"  <updated>{escape(updated)}</updated>",
        f"  <author><name>{escape('Glyphser registry (' + origin + ')')}</name></author>",
        f"  <generator version={quoteattr(__version__)}>glyphserpack</generator>",
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(self_href)}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(_href(base_url, "index.html"))}/>',
    ]
    for e in events:
        lines += [
            "  <entry>",
            f"    <id>{escape(feed_id(origin, e.key))}</id>",
            f"    <title>{escape(e.title)}</title>",
            f"    <updated>{escape(e.time_utc)}</updated>",
            f"    <category term={quoteattr(e.kind)}/>",
            f'    <link rel="alternate" type="text/html" href={quoteattr(_href(base_url, e.href))}/>',
            f"    <summary>{escape(e.summary)}</summary>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def feed_files(events: Sequence[Event], *, origin: str, base_url: str, at: str) -> dict[str, bytes]:
    """``feeds/all.atom`` and ``feeds/<product>.atom`` for every product with a release or event."""
    files = {
        ALL_FEED: render_feed(
            events, name=ALL_FEED, title="Glyphser registry: all events", origin=origin, base_url=base_url, at=at
        )
    }
    products = sorted({p for e in events for p in e.products})
    for product in products:
        name = f"feeds/{product}.atom"
        mine = [e for e in events if product in e.products]
        files[name] = render_feed(
            mine, name=name, title=f"Glyphser registry: {product}", origin=origin, base_url=base_url, at=at
        )
    return files
