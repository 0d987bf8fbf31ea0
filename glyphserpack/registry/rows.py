"""The registry's certificates as rows: one status rule, read once, shown by several sections.

The certificate registry, the adapters × versions matrix and the search index all show a
certificate's status. It comes from one place, :func:`cert_state` (the registry log folded at
the registry time, :meth:`glyphserpack.site.logview.Derived.state_of`), so the three can never
disagree. What a row says besides its status (id, kind, subject, issue time, its page, its
adapter) is what the release's own site published, which discovery verified against that
site's signed manifest: nothing here re-verifies or re-reads a pack.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, get_args

from glyphserpack._internal import jsontext
from glyphserpack._internal.fsio import read_bounded, resolve_inside
from glyphserpack.errors import GlyphserpackError
from glyphserpack.evidence.models import PROFILES
from glyphserpack.evidence.status import Status
from glyphserpack.registry.adapters import AdapterCertRow
from glyphserpack.registry.discover import Release
from glyphserpack.registry.events import cert_page
from glyphserpack.registry.search import SearchRow
from glyphserpack.registry.support import parse_day
from glyphserpack.site.context import LogState
from glyphserpack.site.logview import SiteLog

__all__ = ["RECORD_KIND", "adapter_of", "adapter_rows", "cert_state", "release_certificates", "search_rows"]

#: The kind of evidence that certifies an adapter (the others are execution certificates).
RECORD_KIND = "certification_record"
_STATUSES: frozenset[str] = frozenset(get_args(Status))
_API_LIMIT = 4 * 1024 * 1024


def cert_state(log: SiteLog, sha256: str) -> LogState:
    """The status of certificate ``sha256`` (hex): the registry log's fold at the registry time."""
    return log.derived.state_of(bytes.fromhex(sha256))


def release_certificates(r: Release) -> Iterator[dict[str, Any]]:
    """The release's certificates (its ``api/registry.json`` rows) that name a SHA-256."""
    for c in r.certificates:
        sha = str(c.get("sha256", ""))
        if len(sha) == 64 and all(ch in "0123456789abcdef" for ch in sha):
            yield c


def adapter_of(r: Release, c: dict[str, Any]) -> str:
    """The adapter a certification record certifies, from the release site's page data for it.

    The release site's ``api/certificates/<prefix>.json`` carries the record's signed fields
    (``subject.adapter_id``); "" for an execution certificate or when the site has no such file.
    """
    if c.get("kind") != RECORD_KIND or not isinstance(c.get("api"), str):
        return ""
    try:
        path = resolve_inside(r.path / "site", c["api"], what="certificate API file")
        doc = jsontext.loads(read_bounded(path, _API_LIMIT, what="certificate API file"))
    except (GlyphserpackError, OSError, ValueError):
        return ""
    fields = doc.get("fields") if isinstance(doc, dict) else None
    value = fields.get("subject.adapter_id") if isinstance(fields, dict) else None
    return value if isinstance(value, str) else ""


def _status(state: LogState) -> Status:
    """The log state as a record status; a certificate the log never issued is ``invalid``."""
    return state.state if state.state in _STATUSES else "invalid"  # type: ignore[return-value]


def adapter_rows(releases: Sequence[Release], log: SiteLog) -> list[AdapterCertRow]:
    """One row per certification record per release that names its adapter, status from the log."""
    out: list[AdapterCertRow] = []
    for r in releases:
        if r.profile_id not in PROFILES:
            continue  # not a profile: the release's checks say so; the matrix cannot place it
        for c in release_certificates(r):
            adapter = adapter_of(r, c)
            if adapter:
                status = _status(cert_state(log, str(c["sha256"])))
                out.append(AdapterCertRow(adapter, r.product, r.version, str(c.get("id", "")), status, r.profile_id))
    return out


def _issued(c: dict[str, Any], r: Release) -> date:
    for text in (c.get("issued_utc"), r.release_time_utc):
        try:
            return parse_day(str(text))
        except GlyphserpackError:
            continue
    return date(1970, 1, 1)


def search_rows(releases: Sequence[Release], log: SiteLog) -> list[SearchRow]:
    """One row per certificate or record per release; its url is its page in that release's site."""
    out: list[SearchRow] = []
    for r in releases:
        for c in release_certificates(r):
            sha = str(c["sha256"])
            page = c.get("page")
            url = f"releases/{r.slug}/{page}" if isinstance(page, str) and page else cert_page(sha)
            out.append(
                SearchRow(
                    id=str(c.get("id", "")) or sha,
                    kind=str(c.get("kind", "")),
                    product=r.product,
                    version=r.version,
                    profile=r.profile_id,
                    status=cert_state(log, sha).state,
                    adapter=adapter_of(r, c),
                    issued=_issued(c, r),
                    title=str(c.get("subject", "")) or str(c.get("id", "")),
                    url=url,
                )
            )
    return out
