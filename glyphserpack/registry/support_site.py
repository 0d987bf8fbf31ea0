"""Publishing the support matrix: the ``support/`` page and the endoflife.date-shaped ``api/eol/``.

The page is Markdown for mkdocs-material whose tables are raw HTML, because WCAG needs what
Markdown tables cannot say: a ``<caption>`` naming each table, ``<th scope>`` on both axes,
and each table in a keyboard-reachable scroll region (as every table of the release site).
A state is always written as a word; the colour class only repeats it. Every value passes
through :func:`~glyphserpack.site.escape.html_text`.

The API (``docs/registry.md``, *Support matrix*): ``api/eol/all.json`` lists the products;
``api/eol/<product>/<profile>.json`` holds the product's cycles under each profile, and
``api/eol/<product>.json`` the same under :data:`~glyphserpack.registry.support.DEFAULT_PROFILE`.
Files are written atomically with the house JSON writer, so a rebuild from the same matrix
gives the same bytes.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from glyphserpack._internal.fsio import atomic_write
from glyphserpack._internal.jsonout import to_bytes
from glyphserpack.errors import InputError
from glyphserpack.evidence.models import PROFILES
from glyphserpack.registry.adapters import AdapterCell, AdapterMatrix
from glyphserpack.registry.support import DEFAULT_PROFILE, CycleSupport, SupportMatrix, endoflife_cycles
from glyphserpack.site.escape import html_text, md_text

__all__ = ["API_DIR", "render_support_page", "support_api_files", "write_support_api"]

#: Where the endoflife.date-shaped files go, relative to the site root.
API_DIR = "api/eol"
_PRODUCT = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
#: Colour classes of the site stylesheet that repeat (never replace) a state's word.
_STATE_CLASS = {
    "supported": "valid",
    "security-only": "expired",
    "eol": "revoked",
    "upcoming": "superseded",
}
_CELL_CLASS = {
    "certified": "valid",
    "revoked": "revoked",
    "expired": "expired",
    "superseded": "superseded",
    "not certified": "failed",
}


def _day(value: date | None, open_text: str) -> str:
    return value.isoformat() if value is not None else open_text


def _status(word: str, css: str | None) -> str:
    if css is None:
        return str(html_text(word))
    return f'<span class="gsp-status gsp-status-{css}">{html_text(word)}</span>'


def _table(label: str, caption: str, head: list[str], body: list[str]) -> str:
    cols = "".join(f'<th scope="col">{html_text(h)}</th>' for h in head)
    return (
        f'<div class="gsp-table-wrap" tabindex="0" role="region" aria-label="{html_text(label)}"><table>\n'
        f"<caption>{html_text(caption)}</caption>\n"
        f"<thead><tr>{cols}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody></table></div>\n"
    )


def _cycle_row(c: CycleSupport) -> str:
    lts = f"yes, window ends {c.lts_end.isoformat()}" if c.lts and c.lts_end is not None else "no"
    cells = [
        c.release_date.isoformat(),
        f"{c.latest} ({c.latest_date.isoformat()})",
        _day(c.support_end, "not scheduled (newest cycle)"),
        _day(c.eol, "not scheduled (newest cycle)"),
        lts,
    ]
    tds = "".join(f"<td>{html_text(x)}</td>" for x in cells)
    return f'<tr><th scope="row">{html_text(c.cycle)}</th>{tds}<td>{_status(c.state, _STATE_CLASS[c.state])}</td></tr>'


def _support_section(matrix: SupportMatrix, product: str) -> list[str]:
    out = [f"## {md_text(product)}\n"]
    at = matrix.at.isoformat()
    for profile in PROFILES:
        cycles = matrix.cycles(product, profile)
        out.append(f"### {md_text(product)}, {md_text(profile)} profile\n")
        if not cycles:
            out.append(f"No release of {md_text(product)} passed its upgrade gate for the {profile} profile.\n")
            continue
        g = cycles[0].guarantee
        out.append(
            f"Security support lasts {g.support_months_after_deprecation} months after a newer cycle is released; "
            f"an LTS cycle is supported {g.lts_years} years from its release.\n"
        )
        head = ["Cycle", "Released", "Latest", "Active support ends", "Security support ends", "LTS", f"State on {at}"]
        caption = f"{product} release cycles under the {profile} profile, state on {at}"
        out.append(_table(f"{product} support, {profile}", caption, head, [_cycle_row(c) for c in cycles]))
    return out


def _adapter_cell(cell: AdapterCell) -> str:
    if cell.record_id is None:
        return f"<td>{_status(cell.status, None)}</td>"
    more = f" (+{len(cell.records) - 1} more)" if len(cell.records) > 1 else ""
    return f"<td>{_status(cell.status, _CELL_CLASS[cell.status])} {html_text(cell.record_id)}{html_text(more)}</td>"


def _adapter_section(adapters: AdapterMatrix, product: str) -> list[str]:
    versions = adapters.versions[product]
    rows = [
        f'<tr><th scope="row">{html_text(a)}</th>'
        + "".join(_adapter_cell(adapters.cell(a, product, v)) for v in versions)
        + "</tr>"
        for a in adapters.adapters[product]
    ]
    caption = f"{product}: certification of each adapter by product version (status, deciding record)"
    return [
        f"### {md_text(product)} adapters\n",
        _table(f"{product} adapters by version", caption, ["Adapter", *versions], rows),
    ]


def render_support_page(matrix: SupportMatrix, adapters: AdapterMatrix) -> str:
    """The ``support/`` page: support matrix per product and profile, then adapters × versions."""
    at = matrix.at.isoformat()
    out = [
        "# Support matrix\n",
        f"State on {at}, computed from each release's evolution policy. "
        "**supported**: active support; **security-only**: security fixes only; **eol**: no support; "
        "**upcoming**: not yet released on that day. An end date is the first day without that support.\n",
    ]
    if not matrix.products:
        out.append("No releases.\n")
    for product in matrix.products:
        out += _support_section(matrix, product)
    if matrix.excluded:
        out.append("## Releases not counted\n")
        out += [f"- {md_text(rid)}: {md_text(reason)}" for rid, reason in matrix.excluded]
        out.append("")
    out.append("## Adapters × versions\n")
    out.append(
        "Each cell names the certification status and the record that decided it: **certified**, **revoked**, "
        "**expired**, **superseded** (a newer record exists), **not certified** (failed or unverifiable) or "
        "**absent** (no record).\n"
    )
    if not adapters.products:
        out.append("No adapter certification records.\n")
    for product in adapters.products:
        out += _adapter_section(adapters, product)
    return "\n".join(out)


def _product_name(product: str) -> str:
    if not _PRODUCT.match(product) or product == "all":
        raise InputError(
            f"product {product!r} cannot name a file under {API_DIR}/: use [a-z0-9][a-z0-9._-]* (and not 'all')"
        )
    return product


def support_api_files(matrix: SupportMatrix) -> dict[str, bytes]:
    """The ``api/eol/`` files (module docstring) by site path, as bytes: what a registry section adds."""
    products = [_product_name(p) for p in matrix.products]
    docs: dict[str, object] = {f"{API_DIR}/all.json": products}
    for product in products:
        docs[f"{API_DIR}/{product}.json"] = endoflife_cycles(matrix, product, DEFAULT_PROFILE)
        for profile in PROFILES:
            docs[f"{API_DIR}/{product}/{profile}.json"] = endoflife_cycles(matrix, product, profile)
    return {name: to_bytes(obj, indent=1) for name, obj in sorted(docs.items())}


def write_support_api(matrix: SupportMatrix, out_dir: Path) -> list[Path]:
    """Write ``api/eol/`` under ``out_dir`` (module docstring); the written paths, sorted."""
    files = support_api_files(matrix)  # every file encoded before the first is written
    for name, data in files.items():
        atomic_write(Path(out_dir) / name, data)
    return sorted(Path(out_dir) / name for name in files)
