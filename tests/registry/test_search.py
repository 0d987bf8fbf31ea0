"""The sharded search index (glyphserpack/registry/search.py): reachability, size, determinism, hostile input.

The reader below follows the manifest the way search.js does (shard map → postings shards →
rows file), so "every row is reachable" is checked through the published files alone.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.errors import InputError
from glyphserpack.registry.search import (
    FACETS,
    FIELDS,
    ROW_MAX_BYTES,
    SearchRow,
    index_keys,
    normalize,
    words,
    write_search_index,
)
from glyphserpack.registry.search_page import render_search_page

#: Values that sort badly (astral vs. high BMP code points), fold (NFKC), or look like syntax.
ODD = ("plain", "a=b", "#hash", "\uff21\ufb01", "\U0001f600 astral", "\uffee high", "<script>x</script>", 'q"uote\\')


def row(i: int, **over: Any) -> SearchRow:
    odd = ODD[i % len(ODD)]
    base = SearchRow(
        id=f"{odd} id-{i:05d}" if i % 4 == 0 else f"rec-{i:05d}",
        kind=("execution_certificate", "certification_record")[i % 2],
        product=("glyphser", odd)[i % 3 == 0],
        version=f"1.{i % 5}.0",
        profile=("core", "enterprise", "regulated")[i % 3],
        status=("valid", "revoked", odd)[i % 7 % 3],
        adapter="" if i % 6 == 0 else f"adapter {odd}",
        issued=date(2026, 1 + i % 12, 1 + i % 28),
        title=f"run {i} {odd} tenant{i % 13}",
        url=f"releases/p/{i}/c.html",
    )
    return replace(base, **over)


def rows(n: int) -> list[SearchRow]:
    return [row(i) for i in range(n)]


class Index:
    """A reader of a written index that does what search.js does."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.files: dict[str, Any] = {}
        self.m = self.load("manifest.json")

    def load(self, rel: str) -> Any:
        if rel not in self.files:
            self.files[rel] = json.loads((self.out / rel).read_bytes())
        return self.files[rel]

    def shards_for(self, lo: str, hi: str) -> list[int]:
        firsts = self.m["postings"]
        return [i for i, k in enumerate(firsts) if k <= hi and (i + 1 == len(firsts) or firsts[i + 1] >= lo)]

    def postings(self, key: str, *, prefix: bool = False) -> list[int]:
        found: set[int] = set()
        for i in self.shards_for(key, key + "\U0010ffff" if prefix else key):
            for k, gaps in self.load(f"post/{i}.json"):
                if k.startswith(key) if prefix else k == key:
                    ordinal = 0
                    for n, gap in enumerate(gaps):
                        ordinal = gap if n == 0 else ordinal + gap
                        found.add(ordinal)
        return sorted(found)

    def row(self, ordinal: int) -> dict[str, str]:
        per = self.m["rows_per_shard"]
        values = self.load(f"rows/{ordinal // per}.json")[ordinal % per]
        return dict(zip(self.m["fields"], values, strict=True))


def as_stored(r: SearchRow) -> dict[str, str]:
    return {f: r.issued.isoformat() if f == "issued" else getattr(r, f) for f in FIELDS}


def tree_digest(out: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(out.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(out).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def test_every_row_is_reachable_by_id_by_each_word_and_by_each_facet(tmp_path: Path) -> None:
    given = rows(400)
    info = write_search_index(given, tmp_path / "search", rows_per_shard=7, shard_bytes=4 * ROW_MAX_BYTES)
    ix = Index(tmp_path / "search")
    assert info.rows == ix.m["rows"] == 400
    assert info.postings_shards == len(ix.m["postings"]) >= 5  # small shards: the map is exercised
    for r in given:
        hits = [ix.row(o) for o in ix.postings("#" + normalize(r.id.strip()))]
        assert hits == [as_stored(r)], r.id
        mine = {o for o in ix.postings("#" + normalize(r.id)) for _ in [0]}
        for word in words(r.title + " " + r.id):
            assert mine <= set(ix.postings(word)), (r.id, word)
            assert mine <= set(ix.postings(word[:2], prefix=True)), (r.id, word[:2])
        for facet in FACETS:
            if getattr(r, facet):
                assert mine <= set(ix.postings(f"={facet}={getattr(r, facet)}")), (r.id, facet)


def test_a_facet_list_longer_than_a_shard_is_split_and_read_back_whole(tmp_path: Path) -> None:
    given = [row(i, status="valid") for i in range(3000)]
    write_search_index(given, tmp_path / "s", shard_bytes=4 * ROW_MAX_BYTES)
    ix = Index(tmp_path / "s")
    assert len(ix.shards_for("=status=valid", "=status=valid")) >= 2
    assert ix.postings("=status=valid") == list(range(3000))
    assert ix.postings("=status=revoked") == []


def test_facet_counts_are_the_rows_per_value(tmp_path: Path) -> None:
    given = rows(300)
    info = write_search_index(given, tmp_path / "s")
    manifest = Index(tmp_path / "s").m
    for facet in FACETS:
        expected: dict[str, int] = {}
        for r in given:
            if getattr(r, facet):
                expected[getattr(r, facet)] = expected.get(getattr(r, facet), 0) + 1
        assert dict(info.facets[facet]) == expected
        assert [tuple(v) for v in manifest["facets"][facet]] == sorted(expected.items())


def test_files_stay_small_at_ten_thousand_rows(tmp_path: Path) -> None:
    info = write_search_index((row(i) for i in range(10_000)), tmp_path / "s")
    sizes = {
        p.relative_to(tmp_path / "s").as_posix(): p.stat().st_size for p in (tmp_path / "s").rglob("*") if p.is_file()
    }
    assert max(sizes.values()) == info.largest_bytes == sizes[info.largest_file]
    assert info.largest_bytes < 256 * 1024, info.largest_file
    assert info.total_bytes == sum(sizes.values())
    assert info.files == len(sizes)
    assert info.row_shards == 100
    assert len([s for s in sizes if s.startswith("rows/")]) == 100


def test_postings_files_never_exceed_the_shard_limit(tmp_path: Path) -> None:
    limit = 4 * ROW_MAX_BYTES
    write_search_index(rows(2000), tmp_path / "s", shard_bytes=limit)
    posts = list((tmp_path / "s" / "post").glob("*.json"))
    assert len(posts) > 10
    assert max(p.stat().st_size for p in posts) <= limit
    assert max(p.stat().st_size for p in posts) > limit * 0.9  # shards are filled, not cut early


def test_bytes_depend_on_the_set_of_rows_only(tmp_path: Path) -> None:
    given = rows(500)
    shuffled = given[:]
    random.Random(7).shuffle(shuffled)
    write_search_index(given, tmp_path / "a", rows_per_shard=9, shard_bytes=10_000)
    write_search_index(shuffled + given[:50], tmp_path / "b", rows_per_shard=9, shard_bytes=10_000)
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    write_search_index(given[1:], tmp_path / "c", rows_per_shard=9, shard_bytes=10_000)
    assert tree_digest(tmp_path / "a") != tree_digest(tmp_path / "c")


def test_a_long_title_is_shortened_and_the_row_still_found(tmp_path: Path) -> None:
    r = row(1, title="word " * 400)
    write_search_index([r], tmp_path / "s")
    ix = Index(tmp_path / "s")
    stored = ix.row(ix.postings("#" + normalize(r.id))[0])
    assert len(stored["title"]) == 300
    assert stored["title"].endswith("\u2026")


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ({"url": "javascript:alert(1)"}, "not a path relative to the site root"),
        ({"url": "/etc/passwd"}, "not a path relative"),
        ({"url": "//evil.example/x"}, "not a path relative"),
        ({"url": "a\nb.html"}, "not a path relative"),
        ({"id": "  "}, "empty id"),
        ({"title": "x\ud800y"}, "title holds a lone surrogate"),
        ({"version": 1}, "version is int, expected str"),
        ({"issued": "2026-01-01"}, "issued is str, expected date"),
        ({"adapter": "a" * 3000}, "longest field: adapter"),
    ],
)
def test_a_row_the_index_cannot_hold_is_refused_and_nothing_changes(
    tmp_path: Path, bad: dict[str, Any], said: str
) -> None:
    out = tmp_path / "search"
    write_search_index(rows(20), out)
    before = tree_digest(out)
    with pytest.raises(InputError, match=said):
        write_search_index([*rows(10), row(10, **bad)], out)
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search"]  # no staging or scratch left behind


def test_the_output_directory_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "search"
    (out / "post").mkdir(parents=True)
    (out / "post" / "999.json").write_text("stale")
    write_search_index(rows(5), out)
    assert not (out / "post" / "999.json").exists()
    assert (out / "search.js").is_file()
    assert (out / "search.css").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["search"]


def test_words_and_keys_fold_case_and_compatibility_forms() -> None:
    assert words("EC-0001234 \uff21\ufb01 run_x") == ["ec", "0001234", "afi", "run", "x"]
    assert words("a" * 100) == ["a" * 64]
    keys = index_keys(row(1, id="Rec-1", product="a=b", adapter=""))
    assert {"#rec-1", "rec", "1", "=product=a=b"} <= keys
    assert not any(k.startswith("=adapter=") for k in keys)


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.controls: list[str] = []
        self.live = False
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.labels.add(a.get("for") or "")
        if tag in ("input", "select"):
            self.controls.append(a.get("id") or "")
        if a.get("aria-live") == "polite":
            self.live = True
        if tag == "script":
            self.scripts.append(a.get("src") or "")


def test_the_page_labels_every_control_escapes_values_and_has_a_live_region(tmp_path: Path) -> None:
    info = write_search_index([row(0, product='<script>alert("p")</script>')], tmp_path / "s")
    body = render_search_page(info, index_url="../search/")
    form = _Form()
    form.feed(body)
    assert form.controls == ["gsp-search-q", *(f"gsp-search-{f}" for f in FACETS)]
    assert set(form.controls) <= form.labels
    assert form.live
    assert form.scripts == ["../search/search.js"]
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;p&quot;)&lt;/script&gt;" in body
    assert "\n\n" not in body.split("\n", 2)[2]  # one raw HTML block: Markdown must not split it
