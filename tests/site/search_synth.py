"""Synthetic search rows for the registry search tests and benchmarks/search_bench.py.

Deterministic: row ``i`` is a function of ``i`` alone. The facet values repeat with coprime
periods so every combination of filters occurs, and a few rows carry hostile titles.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from glyphserpack.registry.search import SearchRow

PRODUCTS = ("glyphser", "glyphser-edge")
VERSIONS = ("1.3.0", "1.4.0", "2.0.0")
PROFILES = ("core", "enterprise", "regulated")
STATUSES = ("valid", "revoked", "expired", "superseded", "renewed")
ADAPTERS = ("", "pytorch-cuda", "jax-tpu", "onnx-cpu", "tensorrt")
#: Titles a page must show as text, never run or parse.
HOSTILE = (
    "<script>window.GSP_PWNED = 1</script> run",
    '"><img src=x onerror="window.GSP_PWNED=1"> run',
    "[link](javascript:alert(1)) ** run ** `x` | y",
    "\u202eevil\u202c run with bidi \U0001f600 astral",
)


def row_id(i: int) -> str:
    return f"ec-{i:07d}"


def synthetic_row(i: int) -> SearchRow:
    product = PRODUCTS[i % 11 == 0]
    version = VERSIONS[i % 3]
    hostile = HOSTILE[(i // 1000) % len(HOSTILE)] if i % 1000 == 7 else ""
    return SearchRow(
        id=row_id(i),
        kind="certification_record" if i % 17 == 0 else "execution_certificate",
        product=product,
        version=version,
        profile=PROFILES[i % 7 % 3],
        status=STATUSES[i % 5] if i % 2 else "valid",
        adapter=ADAPTERS[i % 13 % 5],
        issued=date(2026, 1 + i % 12, 1 + i % 28),
        title=hostile or f"run {i} tenant t{i % 97:02d} backend b{i % 31:02d} step {i % 1009}",
        url=f"releases/{product}/{version}/certificates/{row_id(i)}.html",
    )


def synthetic_rows(n: int) -> Iterator[SearchRow]:
    """Rows 0 … n-1, in an order that is not the index's (descending), to exercise the sort."""
    for i in reversed(range(n)):
        yield synthetic_row(i)
