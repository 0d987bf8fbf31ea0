"""External interfaces are read with their tools: OpenAPI, protoc, JUnit (issue 13, I.E slice).

Every mutation re-pins its hash links (helpers.rewrite), so only the content is wrong: the
loader's integrity checks pass and only reading the attachment can catch it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.cli import main
from glyphserpack.evidence import check, load_tree

from .helpers import copy_tree, edit_doc, edit_text, findings_of, rewrite

IFACE = "interfaces/external_interfaces.yaml"
OPENAPI = "attachments/interfaces/openapi.yaml"
RUN_PROTO = "attachments/interfaces/proto/glyphser/v1/run.proto"
PY_JUNIT = "attachments/interfaces/sdk-python.junit.xml"
REGISTRY = "attachments/interfaces/operator_registry.json"
NEW_CODES = ("GSP-E030", "GSP-E031", "GSP-E032", "GSP-E033", "GSP-E034", "GSP-E035")


def has(lines: list[str], code: str, where: str, text: str = "") -> bool:
    return any(ln.startswith(f"{code} {where}:") and text in ln for ln in lines)


def fails(root: Path, code: str, where: str, text: str = "") -> list[str]:
    """Check ``root`` for regulated: FAIL, with ``code`` at ``where`` mentioning ``text``."""
    verdict, lines = findings_of(root, "regulated")
    assert verdict == "FAIL", lines
    assert has(lines, code, where, text), lines
    return lines


@pytest.fixture(scope="module")
def bundled_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_tree(tmp_path_factory.mktemp("bundled"))


def test_bundled_interfaces_pass_regulated(bundled_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert main(["check", str(bundled_copy), "--profile", "regulated", "--out", str(out)]) == 0
    result = check(load_tree(bundled_copy), "regulated")
    assert not [f for f in result.findings if f.code in NEW_CODES]


def test_check_writes_nothing_into_the_tree(bundled_copy: Path) -> None:
    before = sorted(p.relative_to(bundled_copy).as_posix() for p in bundled_copy.rglob("*"))
    findings_of(bundled_copy, "regulated")
    assert sorted(p.relative_to(bundled_copy).as_posix() for p in bundled_copy.rglob("*")) == before


# --- OpenAPI -----------------------------------------------------------------------------------


def test_prose_instead_of_openapi(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rewrite(tree_dir, OPENAPI, b"this is not an OpenAPI document\n")
    fails(tree_dir, "GSP-E030", OPENAPI, "no 'openapi' version field")
    capsys.readouterr()
    assert main(["check", str(tree_dir), "--profile", "regulated", "--json"]) == 1
    out = capsys.readouterr().out
    json.loads(out)
    assert '"GSP-E030"' in out
    assert OPENAPI in out


def test_schema_invalid_openapi(tree_dir: Path) -> None:
    edit_doc(tree_dir, OPENAPI, lambda d: d.pop("info"))
    fails(tree_dir, "GSP-E030", OPENAPI, "'info' is a required property")


def test_openapi_version_differs_from_claim(tree_dir: Path) -> None:
    edit_text(tree_dir, OPENAPI, "openapi: 3.1.0", "openapi: 3.0.3")
    fails(tree_dir, "GSP-E030", OPENAPI, "claims openapi_version 3.1.0; document says 3.0.3")


def test_named_operation_removed(tree_dir: Path) -> None:
    edit_text(tree_dir, OPENAPI, "operationId: getExecutionCertificate", "operationId: fetchCertificate")
    fails(tree_dir, "GSP-E031", OPENAPI, "'getExecutionCertificate'")


def test_ref_cycle_is_a_finding_in_bounded_time(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        schemas = d["components"]["schemas"]
        schemas["A"] = {"$ref": "#/components/schemas/B"}
        schemas["B"] = {"$ref": "#/components/schemas/A"}
        d["paths"]["/v1/runs"]["post"]["requestBody"]["content"]["application/cbor"]["schema"] = {
            "$ref": "#/components/schemas/A"
        }

    edit_doc(tree_dir, OPENAPI, fn)
    start = time.monotonic()
    fails(tree_dir, "GSP-E030", OPENAPI, "$ref cycle")
    assert time.monotonic() - start < 30


def test_recursive_schema_is_not_a_cycle(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        node = {
            "type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}},
        }
        d["components"]["schemas"]["Node"] = node
        d["paths"]["/v1/runs"]["post"]["requestBody"]["content"]["application/cbor"]["schema"] = {
            "$ref": "#/components/schemas/Node"
        }

    edit_doc(tree_dir, OPENAPI, fn)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "PASS", lines


def test_remote_ref_is_refused_not_fetched(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["components"]["schemas"]["RunRef"] = {"$ref": "https://example.invalid/schemas.yaml#/RunRef"}

    edit_doc(tree_dir, OPENAPI, fn)
    fails(tree_dir, "GSP-E030", OPENAPI, "not local to the document")


# --- Protobuf ------------------------------------------------------------------------------------


def test_proto_that_does_not_compile(tree_dir: Path) -> None:
    edit_text(
        tree_dir,
        RUN_PROTO,
        "message GetRunRequest { string run_id = 1; }",
        "message GetRunRequest { strin run_id = 1; }",
    )
    lines = fails(tree_dir, "GSP-E032", RUN_PROTO, "protoc:")
    assert any('"strin" is not defined' in ln for ln in lines), lines


def test_proto_import_leaving_the_tree(tree_dir: Path) -> None:
    (tree_dir.parent / "outside.proto").write_text('syntax = "proto3";\npackage outside;\nmessage Secret {}\n')
    edit_text(tree_dir, RUN_PROTO, "package glyphser.v1;", 'package glyphser.v1;\n\nimport "../../outside.proto";')
    fails(tree_dir, "GSP-E033", RUN_PROTO, "../../outside.proto")


def test_proto_import_of_an_unlinked_file_does_not_compile(tree_dir: Path) -> None:
    (tree_dir / "attachments/interfaces/proto/glyphser/v1/extra.proto").write_text('syntax = "proto3";\n')
    edit_text(tree_dir, RUN_PROTO, "package glyphser.v1;", 'package glyphser.v1;\n\nimport "glyphser/v1/extra.proto";')
    fails(tree_dir, "GSP-E032", RUN_PROTO, "extra.proto")


def test_service_renamed(tree_dir: Path) -> None:
    edit_text(tree_dir, RUN_PROTO, "service RunService {", "service RunnerService {")
    fails(tree_dir, "GSP-E031", IFACE, f"'glyphser.v1.RunService'; none of {RUN_PROTO}")


def test_message_removed(tree_dir: Path) -> None:
    edit_text(tree_dir, RUN_PROTO, "message SubmitRunResponse { string run_id = 1; }", "")
    fails(tree_dir, "GSP-E032", RUN_PROTO, "SubmitRunResponse")  # the rpc still uses it


def test_evidence_names_a_message_the_protos_lack(tree_dir: Path) -> None:
    edit_doc(tree_dir, IFACE, lambda d: d["protobuf_messages"].append("glyphser.v1.AuditEvent"))
    fails(tree_dir, "GSP-E031", IFACE, "protobuf_messages names 'glyphser.v1.AuditEvent'")


def test_proto_package_differs_from_claim(tree_dir: Path) -> None:
    edit_text(tree_dir, RUN_PROTO, "package glyphser.v1;", "package glyphser.v2;")
    fails(tree_dir, "GSP-E031", RUN_PROTO, "declares 'glyphser.v2'")


@pytest.mark.parametrize(
    ("key", "names", "missing"),
    [
        ("services", ["glyphser.v1.RunService", "glyphser.v1.AuditService"], "glyphser.v1.AuditService"),
        ("rpcs", ["glyphser.v1.RunService.SubmitRun", "glyphser.v1.RunService.CancelRun"], "CancelRun"),
        ("messages", ["glyphser.v1.Run", "glyphser.v1.RunList"], "glyphser.v1.RunList"),
    ],
)
def test_registry_names_what_the_protos_lack(tree_dir: Path, key: str, names: list[str], missing: str) -> None:
    data = json.loads((tree_dir / REGISTRY).read_text())
    data[key] = names
    rewrite(tree_dir, REGISTRY, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())
    fails(tree_dir, "GSP-E031", REGISTRY, missing)


# --- JUnit ---------------------------------------------------------------------------------------


def test_junit_failing_case_while_all_claimed_passed(tree_dir: Path) -> None:
    edit_text(
        tree_dir,
        PY_JUNIT,
        'name="vector_0007" time="0.07"/>',
        'name="vector_0007" time="0.07"><failure message="digest mismatch"/></testcase>',
    )
    lines = fails(tree_dir, "GSP-E035", PY_JUNIT, "claims tests_failed 0; the report has 1")
    assert has(lines, "GSP-E034", PY_JUNIT, "states failures=0 but lists 1")


def test_junit_skip_counted(tree_dir: Path) -> None:
    edit_text(
        tree_dir, PY_JUNIT, 'name="vector_0003" time="0.03"/>', 'name="vector_0003" time="0.03"><skipped/></testcase>'
    )
    fails(tree_dir, "GSP-E035", PY_JUNIT, "claims tests_skipped 6; the report has 7")


def test_junit_counts_mismatched(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["sdks"][0]["tests_total"] = 412
        d["sdks"][0]["tests_passed"] = 412

    edit_doc(tree_dir, IFACE, fn)
    fails(tree_dir, "GSP-E035", PY_JUNIT, "claims tests_total 412; the report has 318")


def test_junit_suite_attributes_disagree_with_cases(tree_dir: Path) -> None:
    edit_text(
        tree_dir, PY_JUNIT, '    <testcase classname="sdk-python.conformance" name="vector_0311" time="0.05"/>\n', ""
    )
    lines = fails(tree_dir, "GSP-E034", PY_JUNIT, "states tests=318 but lists 317")
    assert has(lines, "GSP-E035", PY_JUNIT, "claims tests_total 318; the report has 317")


def test_junit_entity_declaration_refused(tree_dir: Path) -> None:
    text = (tree_dir / PY_JUNIT).read_text()
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    bomb = '<!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
    rewrite(tree_dir, PY_JUNIT, text.replace(head, head + bomb, 1).encode())
    fails(tree_dir, "GSP-E034", PY_JUNIT, "document type declaration")


def test_not_xml(tree_dir: Path) -> None:
    rewrite(tree_dir, PY_JUNIT, b"318 of 318 passed\n")
    fails(tree_dir, "GSP-E034", PY_JUNIT, "not JUnit XML")


def test_huge_junit_is_refused_before_parsing(tree_dir: Path) -> None:
    from glyphserpack.evidence.attest import junit

    size = junit.JUNIT_LIMIT + 1024
    data = (tree_dir / PY_JUNIT).read_bytes()
    rewrite(tree_dir, PY_JUNIT, data + b" " * (size - len(data)))
    lines = fails(tree_dir, "GSP-E034", PY_JUNIT, f"{size} bytes, more than the {junit.JUNIT_LIMIT}-byte limit")
    assert not has(lines, "GSP-E035", PY_JUNIT)
