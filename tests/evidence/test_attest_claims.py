"""Attestation checks (issue 13): what attachments say must agree with what the evidence claims.

Each mutation re-pins every hash link (helpers.rewrite), so only the content is wrong and the
finding must come from reading it, never from a hash.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from glyphserpack.evidence.attest.chaos import (
    TRANSCRIPT_LIMIT,
    TRANSCRIPT_LINE_LIMIT,
    TranscriptError,
    parse_transcript,
)
from glyphserpack.evidence.attest.evolution import TableError, parse_table
from glyphserpack.evidence.attest.pointer import PointerError, parse_pointer, resolve_pointer
from glyphserpack.evidence.rules import recovery_verdict_hash

from .helpers import BUNDLED, edit_doc, edit_text, findings_of, rewrite, sha

SEC = "security/security_case.regulated.yaml"
TRANSCRIPT = "runs/regulated/policy_transcript.json"


def has(lines: list[str], code: str, where: str, *texts: str) -> bool:
    return any(ln.startswith(f"{code} {where}") and all(t in ln for t in texts) for ln in lines)


@pytest.mark.parametrize("profile", ["core", "enterprise", "regulated"])
def test_bundled_evidence_passes(tree_dir: Path, profile: str) -> None:
    verdict, lines = findings_of(tree_dir, profile)
    assert verdict == "PASS", lines
    assert not [ln for ln in lines if ln.startswith("GSP-E04")]


# --- (a) security case: RFC 6901 pointers ------------------------------------------------------

DOC: dict[str, Any] = {"a/b": 1, "m~n": 2, "~1": 3, "": 4, "list": [10, 20], "nested": {"x": None}}


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        ("", DOC),
        ("/a~1b", 1),
        ("/m~0n", 2),
        ("/~01", 3),  # ~0 then 1: the member "~1", not "/"
        ("/", 4),
        ("/list/0", 10),
        ("/list/1", 20),
        ("/nested/x", None),
    ],
)
def test_pointer_resolves(pointer: str, value: object) -> None:
    assert resolve_pointer(DOC, pointer) == value


@pytest.mark.parametrize(
    "pointer",
    [
        "/list/01",
        "/list/-",
        "/list/2",
        "/list/+1",
        "/list/x",
        "/missing",
        "/a/b",
        "/nested/x/y",
        "/m~2n",
        "/m~",
        "list",
    ],
)
def test_pointer_does_not_resolve(pointer: str) -> None:
    with pytest.raises(PointerError):
        resolve_pointer(DOC, pointer)


def test_pointer_tokens() -> None:
    assert parse_pointer("/a~1b/~0/0") == ["a/b", "~", "0"]
    assert parse_pointer("") == []


def test_pointer_to_missing_field_fails(tree_dir: Path) -> None:
    edit_text(tree_dir, SEC, "pointer: /decisions/0\n", "pointer: /decisions/0/approver\n")
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E040", SEC, "/decisions/0/approver", TRANSCRIPT, "no member 'approver'")


@pytest.mark.parametrize("pointer", ["/decisions/01", "/decisions/-", "/decisions/2"])
def test_pointer_bad_index_fails(tree_dir: Path, pointer: str) -> None:
    edit_text(tree_dir, SEC, "pointer: /decisions/0\n", f"pointer: {pointer}\n")
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E040", SEC, pointer, TRANSCRIPT)


def test_member_name_missing_in_signed_certificate_fails(tree_dir: Path) -> None:
    edit_text(tree_dir, SEC, "pointer: redaction_policy_hash\n", "pointer: redaction_policy_hsh\n")
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E040", SEC, "redaction_policy_hsh", "runs/regulated/certificate.cbor")


def test_escaped_pointer_that_exists_passes(tree_dir: Path) -> None:
    obj = json.loads((tree_dir / TRANSCRIPT).read_text())
    obj["decisions"][0]["scope/~tenant"] = "northwind"
    rewrite(tree_dir, TRANSCRIPT, json.dumps(obj, indent=2, sort_keys=True).encode())
    edit_text(tree_dir, SEC, "pointer: /decisions/0\n", "pointer: /decisions/0/scope~1~0tenant\n")
    edit_text(tree_dir, SEC, "  - /decisions/0\n", "  - /decisions/0/scope~1~0tenant\n")  # its crosswalk entry
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "PASS", lines


def test_pointer_into_non_json_attachment_fails(tree_dir: Path) -> None:
    edit_text(
        tree_dir,
        SEC,
        "  - path: runs/regulated/trace.jsonl\n",
        "  - pointer: /0\n    path: runs/regulated/trace.jsonl\n",
    )
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E040", SEC, "runs/regulated/trace.jsonl")


# --- (b) chaos: transcripts recomputed ----------------------------------------------------------

PACK = "chaos/chaos_proof_pack.yaml"
WAL01 = "chaos/transcripts/chaos-wal-01.jsonl"


def ev(event: str, t_ms: int, **fields: Any) -> str:
    """One transcript line (JSON object + LF) for scenario chaos-wal-01 unless told otherwise."""
    fields.setdefault("scenario_id", "chaos-wal-01")
    return json.dumps({"event": event, "t_ms": t_ms, **fields}) + "\n"


FAULT = ev("fault_injected", 0, fault="truncate last WAL segment mid-record")
RECOVERED = ev("final", 9000, outcome="recovered", data_loss=False)


def inv(name: str, t_ms: int, result: str = "PASS") -> str:
    return ev("invariant", t_ms, invariant=name, result=result)


def events(root: Path, rel: str = WAL01) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (root / rel).read_text().splitlines()]


def lines_of(evs: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e) + "\n" for e in evs)


def rewrite_transcript(root: Path, rel: str, scenario_id: str, text: str) -> None:
    """Replace a transcript and re-pin both its hash link and the verdict hash that commits to it.

    The proof pack still claims PASS, so the only thing wrong is what the transcript says.
    """
    pack = (root / PACK).read_text()
    old_sha = sha((root / rel).read_bytes())
    old_vh = recovery_verdict_hash(scenario_id, "PASS", old_sha)
    assert old_vh in pack
    rewrite(root, rel, text.encode())
    new_vh = recovery_verdict_hash(scenario_id, "PASS", sha(text.encode()))
    edit_text(root, PACK, old_vh, new_vh)


def test_transcript_fail_and_not_recovered_with_data_loss_fails(tree_dir: Path) -> None:
    rewrite_transcript(
        tree_dir,
        WAL01,
        "chaos-wal-01",
        FAULT
        + inv("corruption_detected", 40)
        + inv("recover_to_last_commit", 4600, "FAIL")
        + inv("replay_hash_equal", 4700, "FAIL")
        + ev("final", 5000, outcome="not_recovered", data_loss=True, reason="commits 88410-88417 lost"),
    )
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert not [ln for ln in lines if ln.startswith("GSP-E018")], lines  # the re-pin is complete: the finding is ours
    assert has(lines, "GSP-E042", PACK, WAL01, "recover_to_last_commit PASS", "line 3 says FAIL")
    assert has(
        lines, "GSP-E042", PACK, WAL01, "final_recovery_verdict PASS", "line 5", "not_recovered, data loss: commits"
    )


def test_transcript_recovered_with_data_loss_fails(tree_dir: Path) -> None:
    evs = events(tree_dir)
    evs[-1].update(data_loss=True, reason="last 8 commits lost")
    rewrite_transcript(tree_dir, WAL01, "chaos-wal-01", lines_of(evs))
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E042", PACK, WAL01, "gives FAIL", "recovered, data loss: last 8 commits lost")


def test_transcript_recovered_but_invariant_failed_fails(tree_dir: Path) -> None:
    evs = events(tree_dir)
    (n, e) = next((n, e) for n, e in enumerate(evs, 1) if e.get("invariant") == "replay_hash_equal")
    e["result"] = "FAIL"
    rewrite_transcript(tree_dir, WAL01, "chaos-wal-01", lines_of(evs))
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E042", PACK, WAL01, "replay_hash_equal PASS", f"line {n} says FAIL")
    assert has(lines, "GSP-E042", PACK, WAL01, "gives FAIL")


def test_transcript_of_another_scenario_fails(tree_dir: Path) -> None:
    text = (tree_dir / WAL01).read_text().replace("chaos-wal-01", "chaos-wal-09")
    rewrite_transcript(tree_dir, WAL01, "chaos-wal-01", text)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E042", PACK, WAL01, "transcript of scenario chaos-wal-09")


def test_transcript_missing_an_invariant_fails(tree_dir: Path) -> None:
    evs = [e for e in events(tree_dir) if e.get("invariant") != "corruption_detected"]
    rewrite_transcript(tree_dir, WAL01, "chaos-wal-01", lines_of(evs))
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E042", PACK, WAL01, "claims corruption_detected PASS", "has no result")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        (FAULT + RECOVERED.rstrip("\n"), "does not end in LF"),
        (FAULT.replace("\n", "\r\n") + RECOVERED, "line 1: carriage return"),
        (FAULT + "\n" + RECOVERED, "line 2: empty line"),
        (FAULT + "{not json}\n" + RECOVERED, "line 2:1:2: invalid JSON"),
        (FAULT + "[1, 2]\n" + RECOVERED, "line 2: not a JSON object"),
        (FAULT + RECOVERED.replace('"data_loss"', '"data_loss": true, "data_loss"'), "line 2: invalid JSON: duplicate"),
        (FAULT + ev("invariant", 5, invariant="a", result="pass") + RECOVERED, "line 2: invariant.result"),
        (FAULT + ev("invariant", 5, invariant="a", result="PASS", note="x") + RECOVERED, "line 2: invariant.note"),
        (FAULT + ev("rebooted", 5) + RECOVERED, "line 2: event: Input tag 'rebooted'"),
        (FAULT + ev("invariant", 5.5, invariant="a", result="PASS") + RECOVERED, "line 2: invariant.t_ms"),
        (FAULT + ev("invariant", -1, invariant="a", result="PASS") + RECOVERED, "line 2: invariant.t_ms"),
        (FAULT + ev("final", 9, outcome="not_recovered", data_loss=False), "reason is required when not recovered"),
        (RECOVERED, "line 1: the first event must be fault_injected, not final"),
        (ev("fault_injected", 5, fault="x") + RECOVERED, "line 1: fault_injected at t_ms 5"),
        (FAULT + FAULT + RECOVERED, "line 2: fault_injected again"),
        (FAULT + inv("a", 30) + inv("b", 15) + RECOVERED, "line 3: time goes backwards (t_ms 15 after 30)"),
        (FAULT + inv("a", 1) + inv("a", 2) + RECOVERED, "line 3: invariant a reported twice (first on line 2)"),
        (FAULT + inv("a", 1), "line 2: the last event must be final, and there is none"),
        (FAULT + RECOVERED + inv("a", 9500), "line 3: invariant after the final event (line 2); final must be last"),
        (FAULT + RECOVERED + RECOVERED, "line 3: final after the final event"),
    ],
)
def test_malformed_transcript(text: str, why: str) -> None:
    with pytest.raises(TranscriptError, match=re.escape(why)):
        parse_transcript(text.encode())


def test_final_not_last_in_tree_fails(tree_dir: Path) -> None:
    evs = events(tree_dir)
    evs.append({**evs[-2], "t_ms": evs[-1]["t_ms"] + 1, "invariant": "late_check"})
    rewrite_transcript(tree_dir, WAL01, "chaos-wal-01", lines_of(evs))
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E041", PACK, WAL01, f"line {len(evs)}: invariant after the final event")


def test_time_going_backwards_in_tree_fails(tree_dir: Path) -> None:
    evs = events(tree_dir)
    evs[2]["t_ms"] = evs[1]["t_ms"] - 1
    rewrite_transcript(tree_dir, WAL01, "chaos-wal-01", lines_of(evs))
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E041", PACK, WAL01, "line 3: time goes backwards")


def test_malformed_transcript_in_tree_fails(tree_dir: Path) -> None:
    rewrite_transcript(tree_dir, WAL01, "chaos-wal-01", FAULT + "all good, trust us\n" + RECOVERED)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E041", PACK, WAL01, "line 2:1:1: invalid JSON")


def test_oversized_transcript_is_a_finding_not_a_crash(tree_dir: Path) -> None:
    line = inv("corruption_detected", 1)
    rewrite_transcript(tree_dir, WAL01, "chaos-wal-01", line * (TRANSCRIPT_LIMIT // len(line) + 1))
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E041", PACK, WAL01, "limit")


def test_too_many_lines_is_refused_before_parsing() -> None:
    text = FAULT + "{}\n" * TRANSCRIPT_LINE_LIMIT + RECOVERED
    assert len(text) < TRANSCRIPT_LIMIT
    with pytest.raises(TranscriptError, match=f"more than the {TRANSCRIPT_LINE_LIMIT}-line limit"):
        parse_transcript(text.encode())


def test_bundled_transcript_parses() -> None:
    t = parse_transcript((BUNDLED / WAL01).read_bytes())
    assert t.verdict == "PASS"
    assert t.scenario_ids == {"chaos-wal-01"}
    assert set(t.invariants) == {"corruption_detected", "recover_to_last_commit", "replay_hash_equal"}
    assert t.steps >= 2  # detection and recovery steps are recorded, not just results
    assert t.final.outcome == "recovered"
    assert not t.final.data_loss


# --- (c) evolution: compatibility table and guarantees -----------------------------------------

POLICY = "evolution/evolution_policy.yaml"
CSV = "attachments/evolution/compatibility.csv"
CKPT_ROW = "checkpoint_manifest_v1,yes,yes,deprecated,migrate\n"


def test_deprecation_shorter_than_regulated_guarantee_fails(tree_dir: Path) -> None:
    edit_text(tree_dir, POLICY, "removal_not_before: '2029-04-01'", "removal_not_before: '2028-04-01'")
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E045", POLICY, "dep-checkpoint-manifest-v1", "24 months", "regulated", "promises 36")
    assert not has(lines, "GSP-E045", POLICY, "enterprise")  # 24 months meets the enterprise promise


def test_deprecation_bound_only_by_its_profiles(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["deprecations"][0]["removal_not_before"] = "2028-04-01"
        d["deprecations"][0]["profiles"] = ["core", "enterprise"]

    edit_doc(tree_dir, POLICY, fn)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "PASS", lines


@pytest.mark.parametrize(
    ("row", "text"),
    [
        # removed in 2.0 although the migration operator ships until MAJOR 3
        ("checkpoint_manifest_v1,yes,yes,deprecated,removed\n", "'removed' in 2.0, but the migration operator ships"),
        # the policy deprecated it in MAJOR 1, the table still supports it in 2.0
        (
            "checkpoint_manifest_v1,yes,yes,yes,yes\n",
            "deprecated in MAJOR 1, but checkpoint_manifest_v1 is 'yes' in 2.0",
        ),
        # removed before it was ever deprecated
        ("checkpoint_manifest_v1,yes,yes,yes,migrate\n", "from 'yes' to 'migrate' in 2.0 without being deprecated"),
        # a breaking change inside MAJOR 1
        ("checkpoint_manifest_v1,yes,deprecated,migrate,migrate\n", "becomes 'migrate' in 1.4 without a MAJOR bump"),
        # support comes back after deprecation
        ("checkpoint_manifest_v1,yes,deprecated,yes,migrate\n", "'deprecated' in 1.3 but 'yes' again in 1.4"),
    ],
)
def test_compatibility_row_contradicting_policy_fails(tree_dir: Path, row: str, text: str) -> None:
    edit_text(tree_dir, CSV, CKPT_ROW, row)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E044", POLICY, CSV, text), lines


def test_deprecated_surface_without_deprecation_fails(tree_dir: Path) -> None:
    edit_text(tree_dir, CSV, "rest_api_v1,yes,yes,yes,yes\n", "rest_api_v1,yes,yes,yes,deprecated\n")
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E044", POLICY, CSV, "rest_api_v1 is 'deprecated', but no deprecation names it")


def test_deprecation_naming_missing_row_fails(tree_dir: Path) -> None:
    edit_text(tree_dir, POLICY, "compatibility_surface: trace_field_wall_time_ms", "compatibility_surface: trace_wall")
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E044", POLICY, CSV, "has no row trace_wall")


def test_migrate_without_breaking_change_fails(tree_dir: Path) -> None:
    def fn(d: dict[str, Any]) -> None:
        d["breaking_changes"][0]["migration_operator"] = "UML_OS.Migrate.Other_v1"

    edit_doc(tree_dir, POLICY, fn)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E044", POLICY, CSV, "no breaking change to MAJOR 2 ships UML_OS.Migrate.CheckpointV1ToV2_v1")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "header must start with 'surface'"),
        ("name,1.2\n", "header must start with 'surface'"),
        ("surface\n", "no version columns"),
        ("surface,1.3,1.2\n", "strictly ascending"),
        ("surface,1.02\n", "not a MAJOR.MINOR version"),
        ("surface,1.2\na,yes,yes\n", "3 cells, the header has 2"),
        ("surface,1.2\na,maybe\n", "not one of"),
        ("surface,1.2\na,yes\na,yes\n", "listed twice"),
        ("surface,1.2\nA B,yes\n", "not a surface id"),
        ('surface,1.2\n"a,yes\n', "not CSV"),
        ("surface,1.2\n\xff\n", "not UTF-8"),
    ],
)
def test_malformed_table(text: str, why: str) -> None:
    with pytest.raises(TableError, match=re.escape(why)):
        parse_table(text.encode("latin-1"))


def test_malformed_table_in_tree_fails(tree_dir: Path) -> None:
    edit_text(tree_dir, CSV, CKPT_ROW, "checkpoint_manifest_v1,yes,yes,deprecated,gone\n")
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E043", POLICY, CSV, "'gone' is not one of")


def test_bundled_table_parses() -> None:
    table = parse_table((BUNDLED / CSV).read_bytes())
    assert table.versions == ((1, 2), (1, 3), (1, 4), (2, 0))
    assert table.rows["checkpoint_manifest_v1"] == ("yes", "yes", "deprecated", "migrate")


def test_crosswalk_field_not_among_control_evidence_fails(tree_dir: Path) -> None:
    edit_text(tree_dir, SEC, "  - redaction_policy_hash\n", "  - redaction_policy\n")
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E040", SEC, "crosswalk[7].evidence_fields[0] 'redaction_policy' (CTL-PRV-01)")


def test_check_json_lists_the_contradiction(tree_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from glyphserpack.cli import main

    edit_text(tree_dir, CSV, CKPT_ROW, "checkpoint_manifest_v1,yes,yes,deprecated,removed\n")
    capsys.readouterr()
    assert main(["check", str(tree_dir), "--profile", "regulated", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    found = [f for f in out["productization_report"]["findings"] if f["code"] == "GSP-E044"]
    assert found
    assert found[0]["where"] == POLICY
    assert CSV in found[0]["detail"]


def test_oversized_cited_document_is_a_finding_not_a_crash(tree_dir: Path) -> None:
    from glyphserpack._internal.docload import DOCUMENT_LIMIT

    rewrite(tree_dir, TRANSCRIPT, b'{"decisions": [{}]}' + b" " * DOCUMENT_LIMIT)
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "FAIL"
    assert has(lines, "GSP-E040", SEC, "/decisions/0", TRANSCRIPT, "limit")
