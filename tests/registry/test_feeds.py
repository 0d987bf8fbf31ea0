"""Every registry feed is valid Atom 1.0: RFC 4287's RELAX NG grammar (Appendix B) and feedparser.

The grammar is tests/assets/atom/rfc4287.rnc (provenance in tests/assets/PROVENANCE.md),
converted to RELAX NG XML with ``rnc2rng`` and checked with lxml. Appendix B declares
``namespace local = ""``, which rnc2rng writes as ``xmlns:local=""``: not allowed by XML
Namespaces 1.0, and unused by the output (it names the empty namespace as ``ns=""``), so it
is dropped before lxml parses the schema.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from glyphserpack.registry.events import Event
from glyphserpack.registry.feeds import feed_id, render_feed

from .conftest import Registry
from .helpers import build

RNC = Path(__file__).resolve().parents[1] / "assets" / "atom" / "rfc4287.rnc"


@pytest.fixture(scope="module")
def schema() -> object:
    import rnc2rng
    from lxml import etree

    rng = rnc2rng.dumps(rnc2rng.loads(RNC.read_text(encoding="utf-8"))).replace('xmlns:local=""', "")
    return etree.RelaxNG(etree.fromstring(rng.encode()))


def _validate(schema: object, data: bytes) -> list[str]:
    from lxml import etree

    assert isinstance(schema, etree.RelaxNG)
    ok = schema.validate(etree.fromstring(data))
    return [] if ok else [str(e) for e in schema.error_log]


def test_every_feed_of_a_registry_validates(registry: Registry, tmp_path: Path, schema: object) -> None:
    import feedparser

    out = tmp_path / "SITE"
    build(registry, registry.root, out)
    feeds = sorted((out / "feeds").glob("*.atom"))
    assert [f.name for f in feeds] == ["all.atom", "glyphser.atom"]
    for f in feeds:
        data = f.read_bytes()
        assert _validate(schema, data) == [], f.name
        parsed = feedparser.parse(data)
        assert not parsed.bozo, (f.name, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"
        assert parsed.entries
        for e in parsed.entries:
            assert e.id.startswith("urn:uuid:")
            assert e.link.startswith("https://certs.example.org/glyphser/")
        assert parsed.feed.links[0].href == f"https://certs.example.org/glyphser/feeds/{f.name}"


def test_the_schema_rejects_a_broken_feed(schema: object) -> None:
    """The check can fail: a feed without its required atom:updated does not validate."""
    good = render_feed([], name="feeds/all.atom", title="t", origin="o", base_url="", at="2026-01-01T00:00:00Z")
    assert _validate(schema, good) == []
    assert _validate(schema, good.replace(b"<updated>2026-01-01T00:00:00Z</updated>", b""))


def test_text_is_escaped_and_ids_are_stable(schema: object) -> None:
    import feedparser

    nasty = 'Release <script>alert("x")</script> & co'
    ev = Event(
        "log/7/pack_published", "pack_published", "2026-10-15T12:00:00Z", nasty, "a < b & c", "index.html", (), 7
    )
    data = render_feed([ev], name="feeds/all.atom", title=nasty, origin="o", base_url="", at="2026-10-16T00:00:00Z")
    assert b"<script>" not in data
    assert _validate(schema, data) == []
    parsed = feedparser.parse(data)
    assert parsed.entries[0].id == feed_id("o", "log/7/pack_published")
    assert feed_id("o", "log/7/pack_published") == feed_id("o", "log/7/pack_published")
    assert feed_id("o", "log/7/pack_published") != feed_id("other", "log/7/pack_published")
    assert parsed.feed.updated == "2026-10-15T12:00:00Z"
