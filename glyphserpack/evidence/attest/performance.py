"""Performance tiers recomputed from their baseline and results files (issue 13, item 1).

The tier document claims, per metric, a ``baseline`` and an ``observed`` value and a
``regression_verdict``. Here the pinned files those claims cite are parsed
(``{"tier": ..., "release": ..., "metrics": {name: number}}``) and:

1. each file must be for this tier and carry every claimed metric as a number;
2. the numbers in the files must be the numbers the document claims (``GSP-E062`` naming the
   file, the claim and what the file says: results five times worse than "observed" are
   caught here);
3. the regression verdict is recomputed from the files' numbers with the document's
   tolerances and must be the recorded one (``GSP-E062``);
4. ``env_manifest_hash`` must be the SHA-256 of the release's environment manifest
   (``release.yaml`` ``env_manifest``), and a results file that names an
   ``env_manifest_sha256`` must name that one too (``GSP-E063``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from glyphserpack.evidence.attest.reading import read_json
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.evidence.productization import PerfMetric, PerformanceTiers, PerfTier
from glyphserpack.findings import Finding, finding

__all__ = ["attest_performance", "passes"]

#: Relative difference under which a file's number and the document's claim are the same number.
SAME = 1e-9


def passes(direction: str, baseline: float, observed: float, tolerance: float) -> bool:
    """The regression rule, on numbers read from files (same rule as the document's metrics)."""
    if direction == "lower_is_better":
        return observed <= baseline * (1.0 + tolerance)
    return observed >= baseline * (1.0 - tolerance)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=SAME, abs_tol=0.0)


def _numbers(obj: Any, tier: str, path: str, doc_path: str, where: str) -> tuple[dict[str, float], list[Finding]]:
    """Step 1: the metric numbers of one file, or findings saying why the file cannot be used."""
    if not isinstance(obj, dict) or not isinstance(obj.get("metrics"), dict):
        return {}, [finding("GSP-E062", path, f"{doc_path} {where} cites it, but it has no metrics object")]
    out: list[Finding] = []
    if obj.get("tier") != tier:
        out.append(
            finding("GSP-E062", path, f"{doc_path} {where} is for {tier}; the file says tier {obj.get('tier')!r}")
        )
    nums: dict[str, float] = {}
    for name, value in obj["metrics"].items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            out.append(finding("GSP-E062", path, f"metrics.{name}: {value!r} is not a finite number"))
        else:
            nums[str(name)] = float(value)
    return nums, out


def _metric(
    doc_path: str, where: str, m: PerfMetric, base: dict[str, float], res: dict[str, float], t: PerfTier
) -> Iterator[Finding]:
    """Step 2 for one metric: the files' numbers are the claimed ones."""
    for field, claimed, nums, link in (
        ("baseline", m.baseline, base, t.baseline),
        ("observed", m.observed, res, t.results),
    ):
        got = nums.get(m.name)
        if got is None:
            yield finding(
                "GSP-E062", link.path, f"{doc_path} {where}.{field} claims {m.name} = {claimed}; no such metric"
            )
        elif not _same(got, claimed):
            ratio = f" ({got / claimed:.2f}x the claim)" if claimed else ""
            yield finding(
                "GSP-E062",
                link.path,
                f"{doc_path} {where}.{field} claims {m.name} = {claimed} {m.unit}; the file says {got}{ratio}",
            )


def _tier(tree: EvidenceTree, doc_path: str, i: int, t: PerfTier) -> Iterator[Finding]:
    where = f"tiers[{i}]"
    # 4. the environment the numbers were measured in
    env = tree.manifest.env_manifest
    if t.env_manifest_hash != env.sha256:
        yield finding(
            "GSP-E063",
            doc_path,
            f"{where}.env_manifest_hash ({t.tier}) is {t.env_manifest_hash}; "
            f"the environment manifest {env.path} has sha256 {env.sha256}",
        )
    base_read, res_read = read_json(tree, t.baseline), read_json(tree, t.results)
    for link, got in ((t.baseline, base_read), (t.results, res_read)):
        if got.unusable:
            yield finding("GSP-E065", link.path, f"cited by {doc_path} {where}: {got.problem}")
    if base_read.data is None or res_read.data is None:
        return  # missing or altered files are loader findings already
    base_obj, res_obj = base_read.obj, res_read.obj
    # 1. both files usable
    base, f1 = _numbers(base_obj, t.tier, t.baseline.path, doc_path, f"{where}.baseline")
    res, f2 = _numbers(res_obj, t.tier, t.results.path, doc_path, f"{where}.results")
    yield from f1
    yield from f2
    recorded_env = res_obj.get("env_manifest_sha256") if isinstance(res_obj, dict) else None
    if recorded_env is not None and recorded_env != env.sha256:
        yield finding(
            "GSP-E063",
            t.results.path,
            f"env_manifest_sha256 {recorded_env!r}; the release's environment manifest {env.path} has {env.sha256}",
        )
    # 2. the files' numbers are the claimed ones; 3. the verdict recomputed from the files
    failed: list[str] = []
    for j, m in enumerate(t.metrics):
        yield from _metric(doc_path, f"{where}.metrics[{j}]", m, base, res, t)
        if m.name in base and m.name in res and not passes(m.direction, base[m.name], res[m.name], m.tolerance_ratio):
            failed.append(f"{m.name} {res[m.name]} vs baseline {base[m.name]}")
    recomputed = "FAIL" if failed else "PASS"
    if recomputed != t.regression_verdict:
        detail = "; ".join(failed) if failed else "every metric within tolerance"
        yield finding(
            "GSP-E062",
            t.results.path,
            f"{doc_path} {where}.regression_verdict is {t.regression_verdict}; "
            f"recomputed from {t.baseline.path} and this file: {recomputed} ({detail})",
        )


def attest_performance(tree: EvidenceTree, doc: Document) -> Iterator[Finding]:
    """Steps 1-4 for every tier of a ``performance_tiers`` document."""
    p = doc.as_(PerformanceTiers)
    for i, t in enumerate(p.tiers):
        yield from _tier(tree, doc.path, i, t)
