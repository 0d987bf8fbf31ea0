"""The registry's search index: sharded static JSON a browser loads piece by piece (issue 15 item 7, issue 17).

A registry of a million certificates cannot ship one search index (mkdocs-material's single
``search_index.json`` would be hundreds of megabytes), so the index is cut into files that
each stay far below 1 MB, and a query fetches only the files it needs:

``manifest.json``
    row count, the facet values with their counts (product, version, profile, status,
    adapter) and the shard map: the first key of every postings shard.
``rows/<k>.json``
    the rows with ordinals ``k * rows_per_shard`` … ``(k + 1) * rows_per_shard - 1``, each a
    list in :data:`FIELDS` order. Rows are sorted (by id, then every other field), so the
    ordinal of a row does not depend on the order the caller produced them in.
``post/<i>.json``
    postings: ``[key, [first ordinal, gap, gap, …]]`` for a contiguous range of the sorted
    keys. A key's list longer than one shard continues in the next. Keys are the words of a
    row (:func:`words`), its whole normalised id (``#`` + id) and its facet values
    (``=facet=value``); words contain neither ``#`` nor ``=``, so the three never collide.

Keys sort by code point (Python's ``str`` order, SQLite's ``BINARY`` order on UTF-8 and the
comparison ``search.js`` implements), so the browser finds a key's shards by binary search
over the manifest's shard map. Rows are bounded (:data:`ROW_MAX_BYTES`, long titles are
shortened), so a rows file cannot outgrow ``rows_per_shard * ROW_MAX_BYTES``; a postings file
is cut at ``shard_bytes``.

Building streams: rows and postings go through a scratch SQLite database beside the output,
whose sorter spills to disk, so memory stays bounded at a million rows. The files are written
into a staging directory that is renamed into place whole, and every byte is a function of the
set of rows (compact JSON from :mod:`glyphserpack._internal.jsonout`, sorted everything).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

from glyphserpack._internal import jsonout
from glyphserpack._internal.fsio import replace_dir, staging_dir
from glyphserpack._internal.resources import resource
from glyphserpack.errors import InputError

__all__ = [
    "FACETS",
    "FIELDS",
    "ROW_MAX_BYTES",
    "SearchIndexInfo",
    "SearchRow",
    "index_keys",
    "normalize",
    "words",
    "write_search_index",
]

#: The filters the page offers; each row's value of each is a facet key of the index.
FACETS = ("product", "version", "profile", "status", "adapter")
#: Words longer than this are indexed (and looked up by search.js) by their first characters.
TOKEN_MAX = 64
#: A title longer than this is shortened in the index (the row's own page shows all of it).
TITLE_MAX = 300
#: Largest encoded row; with ``rows_per_shard`` it bounds the size of a rows file.
ROW_MAX_BYTES = 2048
ROWS_PER_SHARD = 100
SHARD_BYTES = 64 * 1024
FORMAT = "glyphserpack-search/1"
_WORD = re.compile(r"[^\W_]+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Characters the JSON encoder escapes when it keeps non-ASCII text as is.
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')
_BATCH = 20_000
#: Rows whose postings are grouped in memory before they go to the scratch sorter.
_CHUNK = 10_000


@dataclass(frozen=True)
class SearchRow:
    """One certificate or certification record as the search page lists it."""

    id: str
    kind: str
    product: str
    version: str
    profile: str
    status: str
    adapter: str
    issued: date
    title: str
    #: the row's page, relative to the site root (no scheme, no leading ``/``)
    url: str


#: The order of a row's values in ``rows/<k>.json`` (and in the manifest, for search.js).
FIELDS = tuple(f.name for f in fields(SearchRow))


@dataclass(frozen=True)
class SearchIndexInfo:
    """What :func:`write_search_index` wrote, for the page and for the benchmark."""

    out_dir: Path
    rows: int
    rows_per_shard: int
    row_shards: int
    postings_shards: int
    files: int
    total_bytes: int
    #: the largest file a browser may load, relative to ``out_dir``, and its size
    largest_file: str
    largest_bytes: int
    #: per facet, its values with their row counts, sorted by value
    facets: dict[str, tuple[tuple[str, int], ...]]


def normalize(text: str) -> str:
    """Case- and compatibility-folded text (NFKC, lower case): what search.js does to a query."""
    return unicodedata.normalize("NFKC", text).lower()


def words(text: str) -> list[str]:
    """The words of ``text``: runs of letters and digits after :func:`normalize`, each cut at TOKEN_MAX."""
    return [w[:TOKEN_MAX] for w in _WORD.findall(normalize(text))]


def index_keys(row: SearchRow) -> set[str]:
    """Every postings key of ``row``: its words, ``#`` + its whole id, ``=facet=value`` per facet."""
    return _keys({name: getattr(row, name) for name in FIELDS if name != "issued"})


def _keys(row: dict[str, str]) -> set[str]:
    text = " ".join(row[n] for n in ("id", "title", "kind", "product", "version", "profile", "status", "adapter"))
    keys = set(words(text))
    keys.add("#" + normalize(row["id"].strip()))
    keys.update(f"={facet}={row[facet]}" for facet in FACETS if row[facet])
    return keys


def _values(row: SearchRow) -> tuple[str, ...]:
    """The row as stored: strings in FIELDS order; the title shortened, the rest checked."""
    if not isinstance(row, SearchRow):
        raise InputError(f"search row {row!r}: expected a SearchRow")
    for name in FIELDS:
        value = getattr(row, name)
        expected = date if name == "issued" else str
        if not isinstance(value, expected):
            raise InputError(f"search row {row.id!r}: {name} is {type(value).__name__}, expected {expected.__name__}")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(f"search row {row.id!r}: {name} holds a lone surrogate, not text") from None
    if not row.id.strip():
        raise InputError(f"search row titled {row.title!r}: empty id")
    url = row.url
    if _SCHEME.match(url) or url.startswith("/") or "\\" in url or _CONTROL.search(url):
        raise InputError(
            f"search row {row.id!r}: url {url!r} is not a path relative to the site root",
            remedy="give the page's path inside the site, e.g. certificates/<id>.html",
        )
    title = row.title if len(row.title) <= TITLE_MAX else row.title[: TITLE_MAX - 1] + "\u2026"
    values = tuple(
        title if n == "title" else row.issued.isoformat() if n == "issued" else getattr(row, n) for n in FIELDS
    )
    # Fast bound first (no character encodes to more than 6 bytes of JSON); encode only near the limit.
    if 6 * sum(map(len, values)) + 4 * len(values) + 4 <= ROW_MAX_BYTES:
        return values
    size = len(jsonout.to_bytes(list(values), compact=True, ensure_ascii=False))
    if size > ROW_MAX_BYTES:
        longest = max(FIELDS, key=lambda n: len(values[FIELDS.index(n)]))
        raise InputError(
            f"search row {row.id!r}: {size} bytes encoded, more than the {ROW_MAX_BYTES}-byte limit "
            f"(longest field: {longest}, {len(values[FIELDS.index(longest)])} characters)",
            remedy="shorten that field; the index keeps every file small enough for a browser",
        )
    return values


def _scratch(parent: Path) -> sqlite3.Connection:
    """A throw-away database whose sorter spills to disk, so sorting a million rows stays in bounded memory."""
    db = sqlite3.connect(parent / "scratch.sqlite3", isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "temp_store=FILE", "cache_size=-32768"):
        db.execute(f"PRAGMA {pragma}")
    cols = ", ".join(f"{n} TEXT NOT NULL" for n in FIELDS)
    db.execute(f"CREATE TABLE row ({cols})")
    db.execute("CREATE TABLE post (key TEXT NOT NULL, chunk INTEGER NOT NULL, ords BLOB NOT NULL)")
    db.execute("BEGIN")  # one transaction for the whole build: autocommit would commit every insert
    return db


def _batched(items: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class _Writer:
    """Writes the index files into the staging directory and keeps the size tally."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self.total = 0
        self.largest = ("", -1)

    def write(self, rel: str, obj: Any) -> None:
        data = jsonout.to_bytes(obj, compact=True, ensure_ascii=False)
        self.put(rel, data)

    def put(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files += 1
        self.total += len(data)
        if len(data) > self.largest[1] or (len(data) == self.largest[1] and rel < self.largest[0]):
            self.largest = (rel, len(data))


def _write_rows(db: sqlite3.Connection, out: _Writer, per_shard: int) -> tuple[int, dict[str, Counter[str]]]:
    """Rows in sorted order into ``rows/<k>.json``; their keys into the scratch postings table.

    Postings are grouped per key over a chunk of :data:`_CHUNK` rows before they go to the
    sorter, one (key, chunk, ordinals) record each: a key common to most rows then costs the
    sorter one record per chunk instead of one per row.
    """
    counts: dict[str, Counter[str]] = {f: Counter() for f in FACETS}
    order = ", ".join(FIELDS)
    cursor = db.execute(f"SELECT DISTINCT {order} FROM row ORDER BY {order}")  # noqa: S608 - fixed names
    shard: list[list[str]] = []
    group: dict[str, list[int]] = {}
    n = 0
    for values in cursor:
        row = dict(zip(FIELDS, values, strict=True))
        for facet in FACETS:
            if row[facet]:
                counts[facet][row[facet]] += 1
        shard.append(list(values))
        for key in _keys(row):
            group.setdefault(key, []).append(n)
        n += 1
        if len(shard) == per_shard:
            out.write(f"rows/{n // per_shard - 1}.json", shard)
            shard = []
        if n % _CHUNK == 0:
            _spill(db, group, n // _CHUNK - 1)
            group = {}
    if shard:
        out.write(f"rows/{n // per_shard}.json", shard)
    _spill(db, group, n // _CHUNK)
    return n, counts


def _spill(db: sqlite3.Connection, group: dict[str, list[int]], chunk: int) -> None:
    records = ((key, chunk, array("I", ords).tobytes()) for key, ords in group.items())
    db.executemany("INSERT INTO post VALUES (?, ?, ?)", records)


def _write_postings(db: sqlite3.Connection, out: _Writer, shard_bytes: int) -> list[str]:
    """Postings sorted by (key, ordinal), cut into ``post/<i>.json`` of at most ``shard_bytes``; the shard map.

    Sizes are counted exactly as the compact encoder writes them (``[`` ``]`` and the final
    newline, ``[key,[first,gap,…]]`` per entry, a comma between), so a file never exceeds the limit.
    """
    firsts: list[str] = []
    entries: list[list[Any]] = []
    size = 3
    key: str | None = None
    key_len = 0
    gaps: list[int] = []
    last = 0

    def start(k: str, ordinal: int) -> None:
        nonlocal entries, size, gaps
        cost = key_len + 5 + len(str(ordinal)) + (1 if entries else 0)
        if entries and size + cost > shard_bytes:
            out.write(f"post/{len(firsts) - 1}.json", entries)
            entries, size, cost = [], 3, cost - 1
        if not entries:
            firsts.append(k)
        gaps = [ordinal]
        entries.append([k, gaps])
        size += cost

    for k, ords in _postings(db):
        rest = ords
        if k != key:
            key = k
            quoted = jsonout.dumps(k, ensure_ascii=False) if _JSON_ESCAPED.search(k) else f'"{k}"'
            key_len = len(quoted.encode("utf-8"))
            start(k, ords[0])
            last, rest = ords[0], ords[1:]
        if not rest:
            continue
        more = [rest[0] - last, *(b - a for a, b in pairwise(rest))]
        cost = sum(map(len, map(str, more))) + len(more)
        if size + cost <= shard_bytes:  # the usual case: the whole chunk fits in this file
            gaps.extend(more)
            size += cost
            last = rest[-1]
            continue
        for ordinal in rest:
            if size + len(str(ordinal - last)) + 1 > shard_bytes:
                size = shard_bytes  # force a new file that continues this key's list
                start(k, ordinal)
            else:
                gaps.append(ordinal - last)
                size += len(str(ordinal - last)) + 1
            last = ordinal
    if entries:
        out.write(f"post/{len(firsts) - 1}.json", entries)
    return firsts


def _postings(db: sqlite3.Connection) -> Iterator[tuple[str, array[int]]]:
    """(key, ordinals) in key order, then ordinal order: chunks are numbered in ordinal order."""
    for key, _, blob in db.execute("SELECT key, chunk, ords FROM post ORDER BY key, chunk"):
        ords = array("I")
        ords.frombytes(blob)
        yield key, ords


def write_search_index(
    rows: Iterable[SearchRow],
    out_dir: Path,
    *,
    rows_per_shard: int = ROWS_PER_SHARD,
    shard_bytes: int = SHARD_BYTES,
) -> SearchIndexInfo:
    """Write the sharded index (and search.js / search.css) to ``out_dir``, replacing it whole.

    Identical rows are listed once. Raises :class:`InputError` naming the row and field for a
    row the index cannot hold (an empty id, a url that is not site-relative, a row too large),
    before anything at ``out_dir`` changes.
    """
    if rows_per_shard < 1 or shard_bytes < 4 * ROW_MAX_BYTES:
        raise InputError(
            f"search index: rows_per_shard {rows_per_shard} must be >= 1, shard_bytes >= {4 * ROW_MAX_BYTES}"
        )
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = staging_dir(out_dir.parent, prefix=f".{out_dir.name}.", suffix=".partial")
    try:
        with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.scratch-", dir=out_dir.parent) as scratch:
            db = _scratch(Path(scratch))
            try:
                placeholders = ", ".join("?" * len(FIELDS))
                for batch in _batched(_values(r) for r in rows):
                    db.executemany(f"INSERT INTO row VALUES ({placeholders})", batch)  # noqa: S608 - fixed
                out = _Writer(stage)
                n, counts = _write_rows(db, out, rows_per_shard)
                firsts = _write_postings(db, out, shard_bytes)
            finally:
                db.close()
        facets = {f: tuple(sorted(counts[f].items())) for f in FACETS}
        manifest = {
            "format": FORMAT,
            "rows": n,
            "rows_per_shard": rows_per_shard,
            "fields": list(FIELDS),
            "token_max": TOKEN_MAX,
            "facets": {f: [list(v) for v in facets[f]] for f in FACETS},
            "postings": firsts,
        }
        out.write("manifest.json", manifest)
        assets = resource("site_templates") / "search"
        for name in ("search.js", "search.css"):
            out.put(name, (assets / name).read_bytes())
        replace_dir(stage, out_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return SearchIndexInfo(
        out_dir=out_dir,
        rows=n,
        rows_per_shard=rows_per_shard,
        row_shards=-(-n // rows_per_shard),
        postings_shards=len(firsts),
        files=out.files,
        total_bytes=out.total,
        largest_file=out.largest[0],
        largest_bytes=out.largest[1],
        facets=facets,
    )
