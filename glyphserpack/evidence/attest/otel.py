"""I.B observability mapping: names checked against the OpenTelemetry semantic-conventions registry.

The registry is the ``opentelemetry-semantic-conventions`` package: its attribute and metric
constants, stable (``opentelemetry.semconv.attributes``, ``.metrics``) and incubating
(``opentelemetry.semconv._incubating.attributes``, ``._incubating.metrics``), and its known
schema versions (``opentelemetry.semconv.schemas.Schemas``). A constant is deprecated when its
docstring has a ``Deprecated:`` line ("Deprecated: Replaced by `x.y`."), which is how the
package marks them; the incubating re-declarations of stable names ("Deprecated in favor of
stable ...") are aliases, not deprecated names. A name the stable modules define is stable.

Findings: ``GSP-E050`` ``otel_semconv_version`` is no schema version the package knows,
``GSP-E051`` a name in a semconv namespace that the registry does not define there,
``GSP-E052`` a deprecated name (with its replacement), ``GSP-E053`` a name outside both the
registry and the product's own namespace, ``GSP-E054`` a ``prometheus_name`` other than the
one the OpenTelemetry→Prometheus rules derive (:mod:`.prometheus`), ``GSP-E055`` a registered
metric declared with another instrument or unit than the registry's, ``GSP-E017`` a Prometheus
name mapped twice.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata, resources
from typing import Literal

from glyphserpack.evidence.attest.prometheus import prometheus_name
from glyphserpack.evidence.productization import MetricMapping, ObservabilityMapping
from glyphserpack.findings import Finding, finding

__all__ = [
    "REGISTRY_INSTRUMENT",
    "SEMCONV_MODULES",
    "SemconvName",
    "SemconvRegistry",
    "attest_observability",
    "product_namespace",
    "scan_module",
    "semconv_registry",
]

Kind = Literal["attribute", "metric"]

#: The package's sub-packages that hold registered names: (folder, kind, stable).
SEMCONV_MODULES: tuple[tuple[str, Kind, bool], ...] = (
    ("attributes", "attribute", True),
    ("metrics", "metric", True),
    ("_incubating/attributes", "attribute", False),
    ("_incubating/metrics", "metric", False),
)

# A constant as the package's generator writes it: ``NAME: Final = "dotted.name"`` (the value
# sometimes wrapped in parentheses over lines), then its docstring. The source is scanned
# instead of importing ~120 modules (the metric modules pull in the OpenTelemetry API and an
# import costs several times more); tests/evidence/test_attest_otel.py imports every module
# and asserts the scan finds exactly the constants the import does.
_CONSTANT = re.compile(
    r'^(?P<const>[A-Z][A-Z0-9_]*): Final = \(?\s*"(?P<name>[^"\n]+)"\s*\)?\n(?:"""\n?(?P<doc>.*?)""")?',
    re.MULTILINE | re.DOTALL,
)
_REPLACEMENT = re.compile(r"`([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)`")
_FIELD = re.compile(r"^(Instrument|Unit): *(\S+) *$", re.MULTILINE)
_SCHEMA = re.compile(r"/schemas/(\d+\.\d+\.\d+)$")
#: The mapping's instrument names → the registry's (its docstrings' ``Instrument:`` line).
REGISTRY_INSTRUMENT = {
    "counter": "counter",
    "gauge": "gauge",
    "histogram": "histogram",
    "updown_counter": "updowncounter",
}


@dataclass(frozen=True)
class SemconvName:
    """One registered attribute or metric name and what the package says about it."""

    name: str
    kind: Kind
    stable: bool
    deprecated: str | None = None  # the "Deprecated:" note, when there is one
    replaced_by: tuple[str, ...] = ()
    template: bool = False  # ``http.request.header`` stands for ``http.request.header.<key>``
    instrument: str | None = None  # metrics: as the docstring states
    unit: str | None = None


@dataclass(frozen=True)
class SemconvRegistry:
    """Every registered name, by kind, and the schema versions of one installed package version."""

    package_version: str
    attributes: Mapping[str, SemconvName]
    metrics: Mapping[str, SemconvName]
    schema_versions: frozenset[str]

    def of(self, kind: Kind) -> Mapping[str, SemconvName]:
        return self.attributes if kind == "attribute" else self.metrics

    @functools.cached_property
    def namespaces(self) -> frozenset[str]:
        """First segments of every registered name, attribute or metric: names OpenTelemetry owns."""
        return frozenset(n.split(".", 1)[0] for names in (self.attributes, self.metrics) for n in names)

    def lookup(self, kind: Kind, name: str) -> SemconvName | None:
        """The registered entry for ``name``, a template's instance (``<template>.<key>``) included."""
        names = self.of(kind)
        if name in names:
            return names[name]
        head = name
        while "." in head:
            head = head.rsplit(".", 1)[0]
            entry = names.get(head)
            if entry is not None and entry.template:
                return entry
        return None


def scan_module(source: str, kind: Kind, *, stable: bool) -> Iterator[SemconvName]:
    """The names one semconv module defines, read from its source (see ``_CONSTANT``)."""
    for m in _CONSTANT.finditer(source):
        doc = m["doc"] or ""
        note = next((ln[len("Deprecated:") :].strip() for ln in doc.splitlines() if ln.startswith("Deprecated:")), None)
        fields = dict(_FIELD.findall(doc)) if kind == "metric" else {}
        yield SemconvName(
            name=m["name"],
            kind=kind,
            stable=stable,
            deprecated=note,
            replaced_by=tuple(dict.fromkeys(_REPLACEMENT.findall(note))) if note else (),
            template=m["const"].endswith("_TEMPLATE"),
            instrument=fields.get("Instrument"),
            unit=fields.get("Unit"),
        )


@functools.cache
def semconv_registry() -> SemconvRegistry:
    """The registry of the installed package, built once per process (~0.1 s: a regex over ~600 KB)."""
    from opentelemetry.semconv.schemas import Schemas

    root = resources.files("opentelemetry.semconv")
    found: dict[Kind, dict[str, SemconvName]] = {"attribute": {}, "metric": {}}
    for folder, kind, stable in SEMCONV_MODULES:
        sub = root.joinpath(*folder.split("/"))
        for item in sorted(sub.iterdir(), key=lambda p: p.name):
            if not item.name.endswith(".py") or item.name == "__init__.py":
                continue
            for entry in scan_module(item.read_text(encoding="utf-8"), kind, stable=stable):
                # Stable modules are read first: a stable definition wins over its incubating alias.
                found[kind].setdefault(entry.name, entry)
    versions = frozenset(m[1] for s in Schemas if (m := _SCHEMA.search(str(s.value))))
    return SemconvRegistry(
        package_version=metadata.version("opentelemetry-semantic-conventions"),
        attributes=found["attribute"],
        metrics=found["metric"],
        schema_versions=versions,
    )


def product_namespace(product: str) -> str:
    """The product's own name prefix: ``glyphser`` → ``glyphser.`` (lower case, other characters ``_``)."""
    return re.sub(r"[^a-z0-9_]", "_", product.lower()) + "."


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def _registered_prefix(reg: SemconvRegistry, kind: Kind, name: str) -> str:
    """The longest dotted prefix of ``name`` under which the registry has names of ``kind``."""
    parts = name.split(".")
    names = reg.of(kind)
    for n in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:n]) + "."
        if any(k.startswith(prefix) for k in names):
            return prefix[:-1]
    return parts[0]


def _nearest(reg: SemconvRegistry, kind: Kind, name: str, prefix: str) -> list[str]:
    names = reg.of(kind)
    pool = [n for n in names if n.startswith(prefix + ".") and not names[n].deprecated] or list(names)
    return difflib.get_close_matches(name, sorted(pool), n=3, cutoff=0.6)


def check_name(reg: SemconvRegistry, where: str, field: str, kind: Kind, name: str, product: str) -> Iterator[Finding]:
    """Rules for one attribute or metric name (``field`` names it in the document)."""
    entry = reg.lookup(kind, name)
    if entry is not None:
        if entry.deprecated is not None:
            instead = ", ".join(entry.replaced_by) or "no replacement named"
            yield finding(
                "GSP-E052",
                where,
                f"{field}: {name!r} is deprecated in OpenTelemetry semantic conventions "
                f"(use {instead}; the registry says: {entry.deprecated})",
            )
        return
    if name.split(".", 1)[0] in reg.namespaces:
        prefix = _registered_prefix(reg, kind, name)
        near = _nearest(reg, kind, name, prefix)
        hint = f"; nearest registered: {', '.join(near)}" if near else ""
        yield finding(
            "GSP-E051",
            where,
            f"{field}: {name!r} is in the semantic-conventions namespace {prefix!r} but is no registered "
            f"{kind} there (opentelemetry-semantic-conventions {reg.package_version}){hint}",
        )
    elif not name.startswith(product):
        yield finding(
            "GSP-E053",
            where,
            f"{field}: {name!r} is neither a registered semantic-conventions {kind} nor in the product's "
            f"own namespace {product!r}",
        )


def _registered_shape(reg: SemconvRegistry, where: str, i: int, m: MetricMapping) -> Iterator[Finding]:
    """A registered, current metric keeps the instrument and unit the conventions define for it."""
    entry = reg.metrics.get(m.otel_name)
    if entry is None or entry.deprecated is not None or entry.instrument is None or entry.unit is None:
        return
    if REGISTRY_INSTRUMENT[m.instrument] != entry.instrument or m.unit != entry.unit:
        yield finding(
            "GSP-E055",
            where,
            f"metrics[{i}]: {m.otel_name!r} is declared as a {m.instrument} in {m.unit!r}; the semantic "
            f"conventions define a {entry.instrument} in {entry.unit!r}",
        )


def attest_observability(doc_path: str, mp: ObservabilityMapping, *, product: str) -> Iterator[Finding]:
    """Every content check of one ``observability_mapping`` document, in document order."""
    reg = semconv_registry()
    if mp.otel_semconv_version not in reg.schema_versions:
        known = sorted(reg.schema_versions, key=_version_key)
        yield finding(
            "GSP-E050",
            doc_path,
            f"otel_semconv_version: {mp.otel_semconv_version!r} is no schema version that "
            f"opentelemetry-semantic-conventions {reg.package_version} knows ({known[0]} … {known[-1]})",
        )
    ns = product_namespace(product)
    for i, tf in enumerate(mp.trace_fields):
        yield from check_name(reg, doc_path, f"trace_fields[{i}].otel_attribute", "attribute", tf.otel_attribute, ns)
    seen: set[str] = set()
    for i, m in enumerate(mp.metrics):
        yield from check_name(reg, doc_path, f"metrics[{i}].otel_name", "metric", m.otel_name, ns)
        yield from _registered_shape(reg, doc_path, i, m)
        if m.prometheus_name in seen:
            yield finding("GSP-E017", doc_path, f"metrics[{i}].prometheus_name: {m.prometheus_name!r} mapped twice")
        seen.add(m.prometheus_name)
        derived = prometheus_name(m.otel_name, m.unit, m.instrument)
        if derived != m.prometheus_name:
            yield finding(
                "GSP-E054",
                doc_path,
                f"metrics[{i}].prometheus_name: {m.prometheus_name!r} differs from {derived!r}, the name the "
                f"OpenTelemetry→Prometheus rules derive from {m.otel_name!r} ({m.instrument}, unit {m.unit!r})",
            )
