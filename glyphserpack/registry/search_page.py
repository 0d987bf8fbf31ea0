"""The registry's search page: a form with real labels, five filters, and a live results region.

The page body is HTML inside a Markdown page (mkdocs-material passes a raw HTML block through
untouched, so it must not contain blank lines). Everything dynamic is done by ``search.js``,
which :func:`~glyphserpack.registry.search.write_search_index` ships beside the index; the
filter menus are rendered here from the index's facet counts, so the form is complete before
any script runs and a plain GET of the form gives the same shareable URL the script pushes.
"""

from __future__ import annotations

from glyphserpack.registry.search import FACETS, SearchIndexInfo
from glyphserpack.site.escape import html_attr, html_text

__all__ = ["render_search_page"]

_HELP = (
    "An ID finds its row; otherwise every word must match a word of a row's ID, title, product, version, "
    "profile, status or adapter, and the last word also matches the words it begins."
)
_LABELS = {"product": "Product", "version": "Version", "profile": "Profile", "status": "Status", "adapter": "Adapter"}


def _select(facet: str, values: tuple[tuple[str, int], ...]) -> str:
    options = [f'<option value="">Any {facet}</option>']
    options += [f'<option value="{html_attr(v)}">{html_text(v)} ({n})</option>' for v, n in values]
    return (
        f'<p><label for="gsp-search-{facet}">{_LABELS[facet]}</label>'
        f'<select id="gsp-search-{facet}" name="{facet}">{"".join(options)}</select></p>'
    )


def render_search_page(info: SearchIndexInfo, *, index_url: str = "search/", site_root: str = "./") -> str:
    """The page body for the search page.

    ``index_url`` is where the index directory is, and ``site_root`` the site's root, both
    relative to the page (the defaults suit a page at the site root, e.g. ``search.html``,
    with the index in ``search/``); rows' urls are resolved against ``site_root``.
    """
    selects = "\n".join(_select(f, info.facets.get(f, ())) for f in FACETS)
    index = html_attr(index_url)
    rows = f"{info.rows:,}"
    return f"""# Search the registry

<div id="gsp-search" class="gsp-search" data-index="{index}" data-root="{html_attr(site_root)}">
<form id="gsp-search-form" role="search" method="get" action="">
<p><label for="gsp-search-q">Search {rows} certificates and records</label>
<input type="search" id="gsp-search-q" name="query" autocomplete="off" aria-describedby="gsp-search-help"></p>
<p id="gsp-search-help">{_HELP}</p>
<fieldset class="gsp-search-filters"><legend>Filters</legend>
{selects}
</fieldset>
<p><button type="submit" class="md-button md-button--primary">Search</button></p>
</form>
<section id="gsp-search-results" aria-labelledby="gsp-search-results-title">
<h2 id="gsp-search-results-title">Results</h2>
<p id="gsp-search-message" aria-live="polite">Loading the search index&hellip;</p>
<div id="gsp-search-output"></div>
</section>
<noscript><p>Search runs in your browser and needs JavaScript.</p></noscript>
<link rel="stylesheet" href="{index}search.css">
<script src="{index}search.js" defer></script>
</div>
"""
