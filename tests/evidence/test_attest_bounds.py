"""Hostile attachments (issue 13, "Bad input"): a finding or error naming the file, bounded memory, nothing written.

Each case mutates a copy of the bundled tree with its hash links re-pinned, so the loader's
integrity checks pass and the attachment reaches the reader that must refuse it. The check runs
in a child process that reports its own peak RSS (``resource.getrusage``): that, not a wall
clock, is what proves a 200 MB report was never held in memory. A traceback anywhere fails.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .helpers import copy_tree, edit_doc, edit_text, relink, rewrite, sha

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak memory is read from /proc")

OPENAPI = "attachments/interfaces/openapi.yaml"
RUN_PROTO = "attachments/interfaces/proto/glyphser/v1/run.proto"
PY_JUNIT = "attachments/interfaces/sdk-python.junit.xml"
RELEASE_SBOM = "attachments/sbom/glyphser-1.4.0.cdx.json"
CPU_RESULTS = "attachments/performance/cpu_tier.results.json"
POLICY_TRANSCRIPT = "runs/regulated/policy_transcript.json"
MAPPING = "observability/mapping.yaml"
MB = 1024 * 1024

# Peak RSS is VmHWM, the high-water mark of the child's own address space. ru_maxrss would do
# on a fresh process, but Linux carries it over from the forked copy of pytest across exec, so a
# test that built a large object in pytest would see pytest's peak, not the checker's.
_CHILD = """
import json, re, sys
from pathlib import Path
from glyphserpack.cli import main
rc = main(["check", sys.argv[1], "--profile", "regulated", "--json"])
sys.stdout.flush()
peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
print(json.dumps({"rc": rc, "peak_mb": peak_kb / 1024}), file=sys.stderr)
sys.exit(rc)
"""


@dataclass(frozen=True)
class Run:
    rc: int
    findings: list[dict[str, str]]
    error: str
    peak_mb: float

    def has(self, code: str, where: str, *texts: str) -> bool:
        return any(
            f["code"] == code and f["where"] == where and all(t in f["detail"] for t in texts) for f in self.findings
        )


def listing(root: Path) -> list[tuple[str, int]]:
    return sorted((p.relative_to(root).as_posix(), p.lstat().st_size) for p in root.rglob("*"))


def check_measured(root: Path) -> Run:
    """Check ``root`` for regulated in a child process; its exit code, findings or error, peak RSS."""
    before = listing(root)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root)], capture_output=True, text=True, timeout=300, check=False
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    *error_lines, last = proc.stderr.strip().splitlines()
    stats = json.loads(last)
    assert stats["rc"] == proc.returncode
    findings = json.loads(proc.stdout)["productization_report"]["findings"] if proc.stdout.strip() else []
    assert listing(root) == before, "check must write nothing into the tree"
    return Run(proc.returncode, findings, "\n".join(error_lines), stats["peak_mb"])


@pytest.fixture(scope="module")
def bundled_peak_mb(tmp_path_factory: pytest.TempPathFactory) -> float:
    """Peak RSS of checking the unchanged bundled tree: the yardstick for every hostile case."""
    run = check_measured(copy_tree(tmp_path_factory.mktemp("bundled")))
    assert run.rc == 0, run.findings
    return run.peak_mb


def repin_file(root: Path, rel: str, old_sha: str) -> None:
    with (root / rel).open("rb") as fh:
        new = hashlib.file_digest(fh, "sha256").hexdigest()
    relink(root, old_sha, new)


# --- size ----------------------------------------------------------------------------------------


def test_200_mb_junit_is_refused_naming_size_and_limit_without_loading_it(
    tree_dir: Path, bundled_peak_mb: float
) -> None:
    from glyphserpack.evidence.attest.junit import JUNIT_LIMIT

    path = tree_dir / PY_JUNIT
    old = sha(path.read_bytes())
    size = 200 * MB
    with path.open("r+b") as fh:  # the real report, then a sparse tail: 200 MB by size, no disk used
        fh.truncate(size)
    repin_file(tree_dir, PY_JUNIT, old)
    run = check_measured(tree_dir)
    assert run.rc == 1
    assert run.has("GSP-E034", PY_JUNIT, f"{size} bytes", f"{JUNIT_LIMIT}-byte limit"), run.findings
    # Hashed in chunks at load time and refused by size before reading: never 200 MB in memory.
    assert run.peak_mb < 200, run.peak_mb
    assert run.peak_mb < bundled_peak_mb + 50, (run.peak_mb, bundled_peak_mb)


def test_sbom_with_100k_components_is_refused_before_parsing(tree_dir: Path, bundled_peak_mb: float) -> None:
    obj: dict[str, Any] = json.loads((tree_dir / RELEASE_SBOM).read_text())
    obj["components"] = [
        {"type": "library", "name": f"pkg{i}", "version": "1.0.0", "purl": f"pkg:pypi/pkg{i}@1.0.0"}
        for i in range(100_000)
    ]
    rewrite(tree_dir, RELEASE_SBOM, json.dumps(obj).encode())
    run = check_measured(tree_dir)
    assert run.rc == 1
    assert run.has("GSP-E065", RELEASE_SBOM, "bytes, more than the", "limit"), run.findings
    assert run.peak_mb < bundled_peak_mb + 50, (run.peak_mb, bundled_peak_mb)


# --- OpenAPI $ref cycles -------------------------------------------------------------------------


def _point_request_at(d: dict[str, Any], ref: str) -> None:
    d["paths"]["/v1/runs"]["post"]["requestBody"]["content"]["application/cbor"]["schema"] = {"$ref": ref}


def test_openapi_ref_ref_ref_loop(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        s = d["components"]["schemas"]
        s["A"], s["B"], s["C"] = ({"$ref": f"#/components/schemas/{n}"} for n in "BCA")
        _point_request_at(d, "#/components/schemas/A")

    edit_doc(tree_dir, OPENAPI, fn)
    run = check_measured(tree_dir)
    assert run.rc == 1
    assert run.has("GSP-E030", OPENAPI, "$ref cycle", "schemas/A", "schemas/B", "schemas/C"), run.findings


def test_openapi_ref_to_itself(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["components"]["schemas"]["Loop"] = {"$ref": "#/components/schemas/Loop"}

    edit_doc(tree_dir, OPENAPI, fn)
    run = check_measured(tree_dir)
    assert run.rc == 1
    assert run.has("GSP-E030", OPENAPI, "$ref cycle: #/components/schemas/Loop -> #/components/schemas/Loop")


def test_openapi_long_ref_chain_is_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 references each pointing at the next: each followed once, not once per start."""
    from glyphserpack.evidence.attest import openapi

    n = 20_000
    schemas: dict[str, Any] = {f"S{i}": {"$ref": f"#/components/schemas/S{i + 1}"} for i in range(n)}
    schemas[f"S{n}"] = {"type": "object"}
    calls = 0
    real = openapi._resolve

    def counting(spec: object, ref: str) -> object:
        nonlocal calls
        calls += 1
        return real(spec, ref)

    monkeypatch.setattr(openapi, "_resolve", counting)
    assert openapi._reference_problem({"components": {"schemas": schemas}}) is None
    assert calls <= 3 * n, calls  # quadratic would be about n * n / 2 = 200,000,000


def test_openapi_self_referencing_schema_is_legal(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["components"]["schemas"]["Node"] = {
            "type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}},
        }
        _point_request_at(d, "#/components/schemas/Node")

    edit_doc(tree_dir, OPENAPI, fn)
    run = check_measured(tree_dir)
    assert run.rc == 0, run.findings


# --- Protobuf imports leaving the tree -----------------------------------------------------------


@pytest.mark.parametrize("imported", ["../../../etc/passwd.proto", "/etc/passwd.proto", "glyphser/../../x.proto"])
def test_proto_import_leaving_the_tree(tree_dir: Path, imported: str) -> None:
    edit_text(tree_dir, RUN_PROTO, "package glyphser.v1;", f'package glyphser.v1;\n\nimport "{imported}";')
    run = check_measured(tree_dir)
    assert run.rc == 1
    assert run.has("GSP-E033", RUN_PROTO, imported, "leaves the evidence tree"), run.findings


def test_proto_import_of_a_symlink_pointing_out(tree_dir: Path) -> None:
    """A link inside the tree is never compiled: protoc sees only the pinned sources, copied."""
    outside = tree_dir.parent / "secret.proto"
    outside.write_text('syntax = "proto3";\npackage glyphser.v1;\nmessage Secret {}\n')
    os.symlink(outside, tree_dir / "attachments/interfaces/proto/glyphser/v1/secret.proto")
    edit_text(tree_dir, RUN_PROTO, "package glyphser.v1;", 'package glyphser.v1;\n\nimport "glyphser/v1/secret.proto";')
    run = check_measured(tree_dir)
    assert run.rc == 1
    assert run.has("GSP-E032", RUN_PROTO, "secret.proto"), run.findings


def test_symlinked_attachment_pointing_outside_is_refused(tree_dir: Path) -> None:
    target = tree_dir / PY_JUNIT
    outside = tree_dir.parent / "outside.junit.xml"
    outside.write_bytes(target.read_bytes())  # same bytes, same pin: only the link is wrong
    target.unlink()
    os.symlink(outside, target)
    run = check_measured(tree_dir)
    assert run.rc == 2
    assert run.error.startswith("glyphserpack: error: GSP-E006"), run.error
    assert PY_JUNIT in run.error
    assert "symbolic link" in run.error
    assert str(tree_dir) not in run.error


# --- expansion and nesting bombs ----------------------------------------------------------------

LAUGHS_YAML = "".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)]
)


def test_billion_laughs_yaml_document(tree_dir: Path) -> None:
    rewrite(tree_dir, MAPPING, b"kind: observability_mapping\nschema_version: 1\n" + LAUGHS_YAML.encode())
    run = check_measured(tree_dir)
    assert run.rc == 2
    assert run.error.startswith(f"glyphserpack: error: GSP-E001 {MAPPING}"), run.error
    assert "once YAML aliases are expanded" in run.error


def test_billion_laughs_yaml_attachment(tree_dir: Path) -> None:
    rewrite(tree_dir, OPENAPI, b"openapi: 3.1.0\n" + LAUGHS_YAML.encode())
    run = check_measured(tree_dir)
    assert run.rc == 1
    assert run.has("GSP-E030", OPENAPI, "once YAML aliases are expanded"), run.findings


def test_billion_laughs_xml(tree_dir: Path) -> None:
    ents = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    rewrite(
        tree_dir, PY_JUNIT, f'<?xml version="1.0"?>\n<!DOCTYPE t [{ents}]>\n<testsuites>&l9;</testsuites>\n'.encode()
    )
    run = check_measured(tree_dir)
    assert run.rc == 1
    assert run.has("GSP-E034", PY_JUNIT, "document type declaration"), run.findings


DEEP = 100_000


@pytest.mark.parametrize("rel", [CPU_RESULTS, POLICY_TRANSCRIPT, RELEASE_SBOM])
def test_100k_levels_of_json(tree_dir: Path, rel: str) -> None:
    rewrite(tree_dir, rel, b"[" * DEEP + b"]" * DEEP)
    run = check_measured(tree_dir)
    assert run.rc == 1
    assert any(
        f["where"] in (rel, "security/security_case.regulated.yaml")
        and rel in f"{f['where']} {f['detail']}"
        and "deep" in f["detail"]
        for f in run.findings
    ), run.findings


def test_100k_levels_of_yaml_attachment(tree_dir: Path) -> None:
    rewrite(tree_dir, OPENAPI, b"openapi: 3.1.0\ninfo: " + b"[" * DEEP + b"]" * DEEP + b"\n")
    run = check_measured(tree_dir)
    assert run.rc == 1
    assert run.has("GSP-E030", OPENAPI, "nesting depth"), run.findings
