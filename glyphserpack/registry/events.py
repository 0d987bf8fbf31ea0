"""Registry events: what happened, in log order, read from the registry log and nothing else.

Each log entry is one event (release published, certificate issued, renewed, superseded,
expired, revoked); a certificate whose ``not_after_utc`` has passed at the registry time
without an ``certificate_expired`` entry gets a derived "expired" event at that instant.
Statuses come from :func:`glyphserpack.log.lifecycle.derive_states` (the fold ``site`` and
``check`` use), so a feed and the certificate registry never disagree. Every event has a
stable key (log index and type, or certificate and "expired"), from which the feed derives
its ``atom:id``: rebuilding the registry, or moving it to another URL, keeps every id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from glyphserpack.log.entries import decode_entry
from glyphserpack.log.lifecycle import LifecycleReport
from glyphserpack.log.store import LogStore
from glyphserpack.registry.discover import Release
from glyphserpack.site.context import PREFIX

__all__ = ["Event", "cert_page", "registry_events"]

_TITLES = {
    "pack_published": "released",
    "certificate_issued": "issued",
    "certificate_renewed": "renewed",
    "certificate_superseded": "superseded",
    "certificate_expired": "expired",
    "certificate_revoked": "revoked",
}


@dataclass(frozen=True)
class Event:
    """One registry event; ``products`` names the per-product feeds it belongs to."""

    key: str
    kind: str
    time_utc: str
    title: str
    summary: str
    href: str
    products: tuple[str, ...]
    log_index: int | None


def cert_page(sha256: str) -> str:
    """The certificate's page in the registry site."""
    return f"certificates/index.html#c-{sha256[:PREFIX]}"


def _cert_names(releases: Sequence[Release]) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Certificate hash -> a readable name, and -> the products whose releases carry it."""
    names: dict[str, str] = {}
    products: dict[str, set[str]] = {}
    for r in releases:
        for c in r.certificates:
            h = str(c.get("sha256", ""))
            names.setdefault(h, f"{c.get('id', h[:PREFIX])} ({c.get('cert_class', c.get('kind', ''))})")
            products.setdefault(h, set()).add(r.product)
    return names, products


def registry_events(
    store: LogStore, size: int, lifecycle: LifecycleReport, releases: Sequence[Release], *, at: str
) -> list[Event]:
    """Every event of the first ``size`` log entries plus derived expiries at ``at``, newest first."""
    names, cert_products = _cert_names(releases)
    by_pack = {r.pack_root: r for r in releases}
    out: list[Event] = []
    explicit_expiry: set[str] = set()

    def cert_event(index: int, kind: str, h: str, when: str, detail: str, suffix: str = "") -> Event:
        name = names.get(h, f"certificate {h[:PREFIX]}")
        return Event(
            key=f"log/{index}/{kind}{suffix}",
            kind=kind,
            time_utc=when,
            title=f"Certificate {_TITLES[kind]}: {name}",
            summary=f"{detail} Certificate SHA-256 {h}; log entry #{index}.",
            href=cert_page(h),
            products=tuple(sorted(cert_products.get(h, ()))),
            log_index=index,
        )

    for index, data in store.iter_entries(size):
        e: dict[str, Any] = decode_entry(data, where=f"log entry {index}")
        kind, when = e["type"], e["time_utc"]
        if kind == "pack_published":
            root = e["pack_hash"].hex()
            rel = by_pack.get(root)
            products: tuple[str, ...]
            if rel is None:
                title, href, products = f"Pack published: {e.get('pack_name', root[:PREFIX])}", "index.html", ()
            else:
                title = f"Release {rel.product} {rel.version} published"
                href, products = f"releases/{rel.slug}/index.html", (rel.product,)
            out.append(
                Event(
                    f"log/{index}/{kind}",
                    kind,
                    when,
                    title,
                    f"Pack {e.get('pack_name', '')} root {root}; log entry #{index}.",
                    href,
                    products,
                    index,
                )
            )
            continue
        h = e["certificate_hash"].hex()
        if kind == "certificate_revoked":
            detail = f"Revoked, reason {e['reason']}."
        elif kind == "certificate_superseded":
            detail = f"Superseded by {e['superseded_by_hash'].hex()}."
        elif kind == "certificate_renewed":
            detail = f"Renews {e['renews_hash'].hex()}."
            old = e["renews_hash"].hex()
            out.append(
                cert_event(index, "certificate_superseded", old, when, f"Superseded by its renewal {h}.", "/renewed")
            )
        elif kind == "certificate_expired":
            explicit_expiry.add(h)
            detail = "Expired."
        else:
            detail = f"Valid until {e.get('not_after_utc') or 'no end'}."
        out.append(cert_event(index, kind, h, when, detail))
    for state in lifecycle.certificates.values():
        h = state.certificate_hash.hex()
        if state.state == "expired" and h not in explicit_expiry and state.not_after_utc:
            name = names.get(h, f"certificate {h[:PREFIX]}")
            out.append(
                Event(
                    f"cert/{h}/expired",
                    "certificate_expired",
                    state.not_after_utc,
                    f"Certificate expired: {name}",
                    f"Its not_after_utc {state.not_after_utc} passed by the registry time {at}. "
                    f"Certificate SHA-256 {h}.",
                    cert_page(h),
                    tuple(sorted(cert_products.get(h, ()))),
                    None,
                )
            )
    out.sort(key=lambda ev: (ev.time_utc, ev.log_index if ev.log_index is not None else -1, ev.key), reverse=True)
    return out
