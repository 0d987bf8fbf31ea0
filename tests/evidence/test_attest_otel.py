"""Observability mapping (issue 13): names against the semantic-conventions registry, Prometheus names derived.

Each mutation edits a copy of the bundled tree and re-pins every hash link (helpers.edit_doc),
so the finding must come from reading the names, never from a hash.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.cli import main
from glyphserpack.evidence.attest.otel import SEMCONV_MODULES, product_namespace, scan_module, semconv_registry
from glyphserpack.evidence.attest.prometheus import Instrument, prometheus_name, prometheus_unit, sanitize_name

from .attest_helpers import has
from .helpers import edit_doc, findings_of

MAPPING = "observability/mapping.yaml"


def _mutate(tree_dir: Path, fn: Any) -> list[str]:
    edit_doc(tree_dir, MAPPING, fn)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL", lines
    return lines


def _cli_exit(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", str(tree_dir), "--profile", "regulated"])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("profile", ["core", "enterprise", "regulated"])
def test_bundled_mapping_has_no_observability_findings(tree_dir: Path, profile: str) -> None:
    verdict, lines = findings_of(tree_dir, profile)
    assert verdict == "PASS", lines
    assert not [ln for ln in lines if ln.startswith(("GSP-E05", "GSP-E017"))]


# --- mutations: each makes `check --profile regulated` exit 1 naming the mapping -----------------


def test_misspelt_semconv_attribute(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def fn(d: dict[str, Any]) -> None:
        assert d["trace_fields"][2]["otel_attribute"] == "service.name"
        d["trace_fields"][2]["otel_attribute"] = "service.nmae"

    lines = _mutate(tree_dir, fn)
    assert has(lines, "GSP-E051", MAPPING, "trace_fields[2].otel_attribute", "'service.nmae'", "service.name")
    code, out = _cli_exit(tree_dir, capsys)
    assert code == 1
    assert "GSP-E051" in out
    assert MAPPING in out


def test_deprecated_attribute_names_its_replacement(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["trace_fields"].append(
            {"source_field": "environment", "otel_attribute": "deployment.environment", "scope": "resource"}
        )

    lines = _mutate(tree_dir, fn)
    assert has(lines, "GSP-E052", MAPPING, "'deployment.environment'", "deployment.environment.name")


def test_foreign_unprefixed_name(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["trace_fields"][0]["otel_attribute"] = "foo.bar"

    lines = _mutate(tree_dir, fn)
    assert has(lines, "GSP-E053", MAPPING, "trace_fields[0].otel_attribute", "'foo.bar'", "'glyphser.'")


def test_unknown_semconv_version(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["otel_semconv_version"] = "1.99.0"

    lines = _mutate(tree_dir, fn)
    assert has(lines, "GSP-E050", MAPPING, "'1.99.0'")


def test_prometheus_name_unrelated_to_metric(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["metrics"][0]["prometheus_name"] = "node_cpu_seconds_total"

    lines = _mutate(tree_dir, fn)
    assert has(lines, "GSP-E054", MAPPING, "metrics[0]", "'node_cpu_seconds_total'", "'glyphser_step_duration_seconds'")


def test_counter_without_total(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        assert d["metrics"][1]["instrument"] == "counter"
        d["metrics"][1]["prometheus_name"] = "glyphser_steps_completed"

    lines = _mutate(tree_dir, fn)
    assert has(lines, "GSP-E054", MAPPING, "metrics[1]", "'glyphser_steps_completed_total'")


def test_wrong_unit_suffix(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        assert d["metrics"][0]["unit"] == "s"
        d["metrics"][0]["prometheus_name"] = "glyphser_step_duration_milliseconds"

    lines = _mutate(tree_dir, fn)
    assert has(lines, "GSP-E054", MAPPING, "metrics[0]", "'glyphser_step_duration_seconds'")


def test_misspelt_semconv_metric(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        m = d["metrics"][7]
        assert m["otel_name"] == "http.client.request.duration"
        m["otel_name"], m["prometheus_name"] = "http.client.request.duraton", "http_client_request_duraton_seconds"

    lines = _mutate(tree_dir, fn)
    assert has(
        lines, "GSP-E051", MAPPING, "metrics[7].otel_name", "'http.client.request'", "http.client.request.duration"
    )


def test_prometheus_name_mapped_twice(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["metrics"].append(dict(d["metrics"][0], source_metric="step_duration_again"))

    assert has(_mutate(tree_dir, fn), "GSP-E017", MAPPING, "mapped twice")


# --- the derivation, against the specification's and the Collector's examples -------------------


@pytest.mark.parametrize(
    ("otel", "unit", "instrument", "expected"),
    [
        # specification: unit words, annotations dropped, "1" → ratio, "foo/bar" → foo_per_bar, _total
        ("http.server.request.duration", "s", "histogram", "http_server_request_duration_seconds"),
        ("http.client.request.duration", "ms", "histogram", "http_client_request_duration_milliseconds"),
        ("system.network.dropped", "{packet}", "counter", "system_network_dropped_total"),
        ("system.memory.utilization", "1", "gauge", "system_memory_utilization_ratio"),
        ("system.network.io", "By", "counter", "system_network_io_bytes_total"),
        ("system.filesystem.usage", "By", "updown_counter", "system_filesystem_usage_bytes"),
        ("glyphser.store.throughput", "By/s", "gauge", "glyphser_store_throughput_bytes_per_second"),
        ("glyphser.requests.rate", "{request}/s", "gauge", "glyphser_requests_rate_per_second"),
        ("glyphser.cache.size", "KiBy", "gauge", "glyphser_cache_size_kibibytes"),
        # the Collector's example: a non-annotation unit is appended as written
        ("system.network.dropped", "packets", "gauge", "system_network_dropped_packets"),
        # no duplicate unit or type suffix
        ("process.cpu.time.seconds", "s", "counter", "process_cpu_time_seconds_total"),
        ("glyphser.requests_total", "{request}", "counter", "glyphser_requests_total"),
        # "1" outside gauges is unitless (Collector: counters of objects often carry "1")
        ("glyphser.events", "1", "counter", "glyphser_events_total"),
        # sanitising: invalid characters → "_", runs collapsed
        ("a.b-c..d", "s", "histogram", "a_b_c_d_seconds"),
    ],
)
def test_prometheus_name_derivation(otel: str, unit: str, instrument: Instrument, expected: str) -> None:
    assert prometheus_name(otel, unit, instrument) == expected


def test_unit_words() -> None:
    assert prometheus_unit("ms", "gauge") == "milliseconds"
    assert prometheus_unit("{packet}", "counter") == ""
    assert prometheus_unit("1", "gauge") == "ratio"
    assert prometheus_unit("foo/bar", "gauge") == "foo_per_bar"
    assert sanitize_name("9lives.x") == "_9lives_x"
    assert sanitize_name("ns:name.with..dots") == "ns:name_with_dots"


def test_product_namespace() -> None:
    assert product_namespace("glyphser") == "glyphser."
    assert product_namespace("Glyph-Ser") == "glyph_ser."


# --- the registry: truth from the package --------------------------------------------------------


def test_registry_knows_stable_incubating_and_deprecated_names() -> None:
    """Fails loudly when a package upgrade changes how names are declared or marked."""
    reg = semconv_registry()
    for name in ("service.name", "service.version", "host.name", "http.request.method", "url.full"):
        entry = reg.attributes[name]
        assert entry.deprecated is None, name
    assert reg.attributes["service.name"].stable
    assert not reg.attributes["host.name"].stable  # incubating
    assert reg.metrics["http.server.request.duration"].stable
    assert reg.metrics["http.server.request.duration"].instrument == "histogram"
    assert reg.metrics["http.server.request.duration"].unit == "s"
    assert not reg.metrics["process.memory.usage"].stable
    dep = reg.attributes["deployment.environment"]
    assert dep.deprecated
    assert dep.replaced_by == ("deployment.environment.name",)
    assert reg.lookup("attribute", "http.request.header.content_type") is reg.attributes["http.request.header"]
    assert {"1.21.0", "1.26.0"} <= reg.schema_versions
    assert len(reg.attributes) > 500
    assert len(reg.metrics) > 200


def test_scan_equals_import() -> None:
    """The source scan finds exactly the string constants an import of every module defines."""
    import opentelemetry.semconv as semconv

    reg = semconv_registry()
    imported: dict[str, set[str]] = {"attribute": set(), "metric": set()}
    for folder, kind, _stable in SEMCONV_MODULES:
        pkg = importlib.import_module("opentelemetry.semconv." + folder.replace("/", "."))
        for info in pkgutil.iter_modules(pkg.__path__):
            mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
            imported[kind] |= {
                v for k, v in vars(mod).items() if k.isupper() and isinstance(v, str) and k in mod.__annotations__
            }
    assert imported["attribute"] == set(reg.attributes)
    assert imported["metric"] == set(reg.metrics)
    assert semconv.__name__ == "opentelemetry.semconv"


def test_scan_reads_deprecation_and_metric_fields() -> None:
    source = (
        'from typing import Final\n\nOLD_NAME: Final = "a.old"\n"""\nDeprecated: Replaced by `a.new`.\n"""\n\n'
        'A_NEW: Final = (\n    "a.new"\n)\n"""\nThe new one.\nInstrument: counter\nUnit: {thing}\n"""\n'
    )
    old, new = scan_module(source, "metric", stable=False)
    assert (old.name, old.deprecated, old.replaced_by) == ("a.old", "Replaced by `a.new`.", ("a.new",))
    assert (new.name, new.deprecated, new.instrument, new.unit) == ("a.new", None, "counter", "{thing}")


def test_registry_cost_is_small() -> None:
    semconv_registry.cache_clear()
    start = time.perf_counter()
    semconv_registry()
    assert time.perf_counter() - start < 1.5  # ~0.1 s unloaded; generous for a shared CI machine


def test_registered_metric_with_another_unit(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        m = d["metrics"][7]
        assert m["otel_name"] == "http.client.request.duration"
        # a consistent Prometheus name, so only the registry's unit (s) can object
        m["unit"], m["prometheus_name"] = "ms", "http_client_request_duration_milliseconds"

    lines = _mutate(tree_dir, fn)
    assert has(lines, "GSP-E055", MAPPING, "metrics[7]", "'ms'", "histogram in 's'")
    assert not [ln for ln in lines if ln.startswith("GSP-E054")]
