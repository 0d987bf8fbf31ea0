#!/usr/bin/env python3
"""Registry build benchmark: N releases x M certificates, cold / add-one / unchanged vs ``cp -r``.

Prepares (once, under ``benchmarks/.work/registry/NxM/``) a registry of N+1 release build
outputs in one log: a synthetic evidence tree (the bundled demo plus M signed execution
certificates, tests/site/site_synth.py) copied with a new version per release and built with
``build --log``. Then times, with one cache directory:

1. cold: the first N releases, empty cache and no previous output;
2. add-one: release N+1 added, rebuilt over the previous output (N release sites hard-linked);
3. unchanged: the same inputs again (nothing written);

and a plain ``cp -r`` of the inputs (releases + log) for scale. Prints one JSON line per size.

Usage: .venv/bin/python benchmarks/registry_bench.py [NxM ...]    (default 10x200)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / ".work" / "registry"
sys.path.insert(0, str(REPO / "tests" / "site"))
sys.path.insert(0, str(REPO))
AT = "2027-01-01T00:00:00Z"
BASE_URL = "https://certs.example.org/glyphser/"


def _prepare(n: int, m: int) -> tuple[Path, Path, Path]:
    """REGISTRY with releases 1..n+1 in ``stash/`` (release n+1 kept aside), key and trust."""
    from site_synth import make_tree

    from glyphserpack.cli import main
    from glyphserpack.keys import generate
    from tests.evidence.helpers import edit_doc

    base = WORK / f"{n}x{m}"
    done = base / "done"
    key, trust, reg = base / "key.pem", base / "trust", base / "REGISTRY"
    if done.is_file():
        return reg, key, trust
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    generate(
        key, trust_dir=trust, owner="bench", purposes=("checkpoint", "pack", "site"), not_before="2020-01-01T00:00:00Z"
    )
    (reg / "releases").mkdir(parents=True)
    (base / "stash").mkdir()
    assert main(["log", "init", str(reg / "log"), "--origin", "certs.example.org/glyphser/log", "--key", str(key)]) == 0
    template = make_tree(base / "template", n_certs=m)
    for i in range(n + 1):
        tree = base / f"ev{i}"
        shutil.copytree(template, tree)
        version = f"1.{i + 10}.0"

        def bump(doc: dict[str, Any], version: str = version, i: int = i) -> None:
            doc["version"], doc["release_id"] = version, f"glyphser-{version}"
            doc["release_time_utc"] = f"2026-11-{i % 28 + 1:02d}T12:00:00Z"

        edit_doc(tree, "release.yaml", bump)
        out = (reg / "releases" if i < n else base / "stash") / f"glyphser-{version}"
        args = ["build", str(tree), "-o", str(out), "--profile", "regulated", "--sign-key", str(key)]
        args += ["--trust", str(trust), "--base-url", BASE_URL, "--log", str(reg / "log")]
        assert main(args) in (0, 1), f"build {i} failed"
        shutil.rmtree(tree)
        print(f"  prepared release {i + 1}/{n + 1}", file=sys.stderr)
    done.write_text("ok\n")
    return reg, key, trust


def _time(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    r = fn()
    return round(time.perf_counter() - t, 2), r


def run(n: int, m: int) -> dict[str, Any]:
    from glyphserpack.registry.build import build_registry
    from glyphserpack.trust import TrustStore

    reg, key, trust_dir = _prepare(n, m)
    base = reg.parent
    trust = TrustStore.load(trust_dir)
    out, cache, cp_out = base / "SITE", base / "cache", base / "cp"
    for p in (out, cache, cp_out):
        shutil.rmtree(p, ignore_errors=True)
    for extra in (base / "stash").iterdir():  # a previous run's add-one: back to the stash
        shutil.rmtree(reg / "releases" / extra.name, ignore_errors=True)
    cp_s, _ = _time(lambda: subprocess.run(["cp", "-r", str(reg), str(cp_out)], check=True))
    shutil.rmtree(cp_out)

    def go() -> Any:
        return build_registry(reg, out, sign_key=key, trust=trust, base_url=BASE_URL, at=AT, cache_dir=cache)

    cold_s, cold = _time(go)
    for extra in (base / "stash").iterdir():
        shutil.copytree(extra, reg / "releases" / extra.name)
    add_s, added = _time(go)
    same_s, same = _time(go)
    for extra in (base / "stash").iterdir():
        shutil.rmtree(reg / "releases" / extra.name)
    assert same.unchanged
    assert not added.unchanged
    return {
        "releases": n,
        "certificates_per_release": m,
        "files": cold.files,
        "cp_r_seconds": cp_s,
        "cold_seconds": cold_s,
        "add_one_seconds": add_s,
        "add_one_linked_copied": [added.releases_linked, added.releases_copied],
        "unchanged_seconds": same_s,
        "cold_vs_cp": round(cold_s / cp_s, 1),
        "add_one_vs_cp": round(add_s / cp_s, 1),
        "unchanged_vs_cp": round(same_s / cp_s, 2),
    }


def _size(text: str) -> tuple[int, int]:
    try:
        n, m = (int(x) for x in text.split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NxM, e.g. 10x200") from None
    return n, m


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Registry build: cold / add-one / unchanged vs cp -r.")
    parser.add_argument("sizes", nargs="*", type=_size, help="releases x certificates (default 10x200)")
    sizes = parser.parse_args(argv).sizes or [(10, 200)]
    for n, m in sizes:
        print(json.dumps(run(n, m)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
