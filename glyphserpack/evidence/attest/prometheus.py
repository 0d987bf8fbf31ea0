"""The Prometheus name an OpenTelemetry metric gets: OTel name, unit and instrument → one string.

Implements "OTLP Metric points to Prometheus" of the OpenTelemetry specification's *Prometheus
and OpenMetrics Compatibility* (specification/compatibility/prometheus_and_openmetrics.md),
numbered as that section reads:

1. Metric name: characters outside ``[a-zA-Z0-9_:]`` become ``_``; runs of ``_`` collapse to one.
2. Unit → Prometheus unit: abbreviations to full words (:data:`UNIT_WORDS`), ``{...}``
   annotations dropped ("a count of foo is unitless"), ``1`` → ``ratio`` (gauges only, as the
   collector does: counters of objects often carry ``1``), ``a/b`` → ``a_per_b``.
3. The unit is appended as a suffix "unless the metric name already contains the unit"; it
   comes before any type suffix.
4. Monotonic sums (``counter``) end in ``_total``, added unless the name already ends in it.
   Non-monotonic sums (``updown_counter``) become gauges and histograms keep their name (their
   ``_bucket``/``_count``/``_sum`` series are not part of the metric name).

Written here rather than taken from opentelemetry-exporter-prometheus: its unit table lives in
a private module (``_mapping``) of a package that pulls in the OpenTelemetry SDK and
prometheus_client, it maps ``1`` to nothing where the specification says ``ratio``, and the
name assembly is inlined in its collector, not a function one could call. The unit words are
the OpenTelemetry Collector's (pkg/translator/prometheus, which that exporter copies too).
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["PER_UNIT_WORDS", "UNIT_WORDS", "Instrument", "prometheus_name", "prometheus_unit", "sanitize_name"]

Instrument = Literal["counter", "gauge", "histogram", "updown_counter"]

#: UCUM unit → the Prometheus unit word (the OpenTelemetry Collector's table).
UNIT_WORDS = {
    # time
    "d": "days",
    "h": "hours",
    "min": "minutes",
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
    # bytes
    "By": "bytes",
    "KiBy": "kibibytes",
    "MiBy": "mebibytes",
    "GiBy": "gibibytes",
    "TiBy": "tibibytes",
    "KBy": "kilobytes",
    "MBy": "megabytes",
    "GBy": "gigabytes",
    "TBy": "terabytes",
    # SI
    "m": "meters",
    "V": "volts",
    "A": "amperes",
    "J": "joules",
    "W": "watts",
    "g": "grams",
    # misc
    "Cel": "celsius",
    "Hz": "hertz",
    "%": "percent",
}
#: UCUM unit in a denominator → the singular word after ``per`` (``By/s`` → ``bytes_per_second``).
PER_UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year"}

_INVALID = re.compile(r"[^a-zA-Z0-9_:]")
_UNDERSCORES = re.compile(r"_{2,}")
_ANNOTATION = re.compile(r"\{[^}]*\}")


def sanitize_name(name: str) -> str:
    """Step 1: invalid characters → ``_``, runs of ``_`` → one; a leading digit gets a ``_`` before it."""
    out = _UNDERSCORES.sub("_", _INVALID.sub("_", name))
    return f"_{out}" if out[:1].isdigit() else out


def _unit_part(unit: str) -> str:
    return _UNDERSCORES.sub("_", _INVALID.sub("_", unit)).strip("_")


def prometheus_unit(unit: str, instrument: Instrument) -> str:
    """Step 2: the Prometheus unit word for a UCUM ``unit`` ('' when the metric is unitless there)."""
    unit = _ANNOTATION.sub("", unit).strip()
    if unit == "1":
        return "ratio" if instrument == "gauge" else ""
    if unit in UNIT_WORDS:
        return UNIT_WORDS[unit]
    top, sep, bottom = unit.partition("/")
    if sep and _unit_part(bottom):
        num = UNIT_WORDS.get(top, _unit_part(top))
        den = PER_UNIT_WORDS.get(bottom, _unit_part(bottom))
        return f"{num}_per_{den}" if num else f"per_{den}"
    return _unit_part(unit)


def _contains(name: str, word: str) -> bool:
    return f"_{word}_" in f"_{name}_"


def prometheus_name(otel_name: str, unit: str, instrument: Instrument) -> str:
    """The Prometheus metric name the compatibility rules derive (steps 1–4 of the module docstring)."""
    name = sanitize_name(otel_name)
    word = prometheus_unit(unit, instrument)
    if word and not _contains(name, word):  # step 3
        name = f"{name}_{word}"
    if instrument == "counter" and not name.endswith("_total"):  # step 4
        name = f"{name}_total"
    return _UNDERSCORES.sub("_", name)
