"""Fixity audits: statuses, exit codes, deterministic hash-chained logs, tamper detection,
sampling, resumption and rate limiting."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.parity.audit import AuditOptions, Throttle, run_audit, sampled
from glyphserpack.parity.auditlog import check_log

from .conftest import Protected

NOW = "2026-06-01T03:00:00Z"


def _archive(protected: Protected, root: Path) -> Path:
    """Four packs: intact, repairable, beyond repair, and one without parity."""
    arc = root / "archive"
    for sub in ("a", "b", "c", "d"):
        (arc / sub).mkdir(parents=True)
        protected.copy(arc / sub)
    g = protected.geometry
    b = bytearray(protected.pack)
    b[4096] ^= 1
    (arc / "b" / "x.glyphserpack").write_bytes(bytes(b))
    burst = g.block_size * g.stripes * (g.m + 1)
    c = bytearray(protected.pack)
    c[0:burst] = bytes(burst)
    (arc / "c" / "x.glyphserpack").write_bytes(bytes(c))
    (arc / "d" / "x.glyphserpack.par").unlink()
    return arc


def test_full_audit_statuses_and_log(protected: Protected, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arc = _archive(protected, tmp_path)
    log = tmp_path / "audit.jsonl"
    assert main(["audit", str(arc), "--log", str(log), "--now", NOW]) == 1
    out = capsys.readouterr().out
    assert "a/x.glyphserpack: ok (GSP-E118)\n" in out
    assert "b/x.glyphserpack: repairable (GSP-E104, GSP-E105, GSP-E118, GSP-E503, GSP-E504)" in out
    assert "c/x.glyphserpack: damaged (" in out
    assert "GSP-E505" in out
    assert "d/x.glyphserpack: ok (GSP-E118)\n" in out
    assert "audited 4 packs (full, seed '2026-06-01T03:00:00Z'): 2 ok, 2 damaged" in out
    lines = log.read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["kind"] for e in entries] == ["run-start", "pack", "pack", "pack", "pack", "run-end"]
    assert entries[0]["prev"] == "0" * 64
    assert all(e["time"] == NOW for e in entries)
    assert entries[-1]["damaged"] == ["b/x.glyphserpack", "c/x.glyphserpack"]
    assert entries[4]["parity"] == "absent"
    assert main(["audit", "--check-log", str(log)]) == 0
    # Deterministic: the same audit into a fresh log gives the same bytes.
    again = tmp_path / "again.jsonl"
    assert main(["audit", str(arc), "--log", str(again), "--now", NOW]) == 1
    assert again.read_bytes() == log.read_bytes()
    # A second run extends the chain.
    assert main(["audit", str(arc / "a"), "--log", str(log), "--now", NOW]) == 0
    found, count, _head = check_log(log)
    assert found == []
    assert count == 9
    assert json.loads(log.read_text().splitlines()[6])["prev"] == entries[-1]["hash"]


def _tamper(log: Path, fn: object) -> list[str]:
    lines = log.read_text().splitlines()
    assert callable(fn)
    log.write_text("\n".join(fn(lines)) + "\n")
    found, _, _ = check_log(log)
    return sorted({f.code for f in found})


def test_tampering_is_detected(protected: Protected, tmp_path: Path) -> None:
    arc = _archive(protected, tmp_path)
    log = tmp_path / "audit.jsonl"
    run_audit([arc], opts=AuditOptions(now=NOW), log=log)
    pristine = log.read_text()
    head = check_log(log)[2]

    def edit(lines: list[str]) -> list[str]:
        lines[2] = lines[2].replace('"status":"repairable"', '"status":"ok"')
        return lines

    assert _tamper(log, edit) == ["GSP-E511"]

    def edit_and_rehash(lines: list[str]) -> list[str]:
        from glyphserpack.parity.auditlog import entry_hash, render

        obj = json.loads(lines[2])
        obj["status"] = "ok"
        obj["hash"] = entry_hash(obj)
        lines[2] = render(obj)
        return lines

    log.write_text(pristine)
    assert _tamper(log, edit_and_rehash) == ["GSP-E512"]
    log.write_text(pristine)
    assert _tamper(log, lambda lines: lines[:2] + lines[3:]) == ["GSP-E512"]
    log.write_text(pristine)
    assert _tamper(log, lambda lines: [lines[0], lines[2], lines[1], *lines[3:]]) == ["GSP-E512"]
    log.write_text(pristine)
    assert _tamper(log, lambda lines: [*lines[:2], lines[2].replace(":", ": ", 1), *lines[3:]]) == ["GSP-E510"]
    log.write_text("".join(line + "\n" for line in pristine.splitlines()[:-1]))
    assert check_log(log)[0] == []
    assert [f.code for f in check_log(log, expect_head=head)[0]] == ["GSP-E513"]
    assert main(["audit", "--check-log", str(log), "--expect-head", head]) == 1


def test_sampled_audit_is_deterministic_and_catches_always_checked_blocks(protected: Protected, tmp_path: Path) -> None:
    arc = _archive(protected, tmp_path)
    opts = AuditOptions(now=NOW, sample=0.1, seed="nightly-1")
    s1 = run_audit([arc], opts=opts, log=tmp_path / "1.jsonl")
    s2 = run_audit([arc], opts=opts, log=tmp_path / "2.jsonl")
    assert (tmp_path / "1.jsonl").read_bytes() == (tmp_path / "2.jsonl").read_bytes()
    entries = {e["pack"]: e for e in s1.entries if e["kind"] == "pack"}
    assert entries["a/x.glyphserpack"]["status"] == "ok"
    assert entries["a/x.glyphserpack"]["mode"] == "sample"
    assert 0 < entries["a/x.glyphserpack"]["checked_bytes"] < len(protected.pack) // 4
    # Pack c is damaged from byte 0, and block 0 is always sampled.
    assert entries["c/x.glyphserpack"]["status"] != "ok"
    assert s1.entries[0]["seed"] == "nightly-1"
    assert s1.entries[0]["sample"] == "10%"
    assert s2.damaged == s1.damaged
    assert sampled("s", "p", 1000, 0.1) == sampled("s", "p", 1000, 0.1) != sampled("t", "p", 1000, 0.1)
    assert 60 < len(sampled("s", "p", 1000, 0.1)) < 140


def test_resume_after_interruption(protected: Protected, tmp_path: Path) -> None:
    arc = _archive(protected, tmp_path)
    log, state = tmp_path / "audit.jsonl", tmp_path / "audit.state"
    opts = AuditOptions(now=NOW)

    def stop_after_two(entry: dict[str, object]) -> None:
        if entry["pack"] == "b/x.glyphserpack":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_audit([arc], opts=opts, log=log, state=state, progress=stop_after_two)
    summary = run_audit([arc], opts=opts, log=log, state=state)
    assert summary.resumed
    assert [e["pack"] for e in summary.entries if e["kind"] == "pack"] == ["c/x.glyphserpack", "d/x.glyphserpack"]
    assert summary.damaged == ["b/x.glyphserpack", "c/x.glyphserpack"]
    kinds = [json.loads(line)["kind"] for line in log.read_text().splitlines()]
    assert kinds == ["run-start", "pack", "pack", "pack", "pack", "run-end"]
    assert check_log(log)[0] == []
    assert json.loads(state.read_text())["complete"] is True
    # A finished run is not resumed: the next audit starts afresh.
    assert not run_audit([arc], opts=opts, log=log, state=state).resumed


def test_rate_limit_paces_reads(protected: Protected, tmp_path: Path) -> None:
    arc = tmp_path / "one"
    arc.mkdir()
    protected.copy(arc)
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    throttle = Throttle(1e6, clock=lambda: now[0], sleep=sleep)
    run_audit([arc], opts=AuditOptions(now=NOW), throttle=throttle)
    # verify (whole pack) + parity assess (whole pack + parity) at 1 MB/s.
    expected = (2 * len(protected.pack) + protected.geometry.parity_blocks * protected.geometry.block_size) / 1e6
    assert now[0] == pytest.approx(expected, rel=0.01)


def test_audit_needs_a_time_and_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert main(["audit", str(tmp_path)]) == 2
    assert main(["audit", "--now", NOW]) == 2
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780282800")
    assert main(["audit", str(tmp_path)]) == 0


def test_list_file_and_unreadable_pack(
    protected: Protected, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    protected.copy(tmp_path)
    (tmp_path / "junk.glyphserpack").write_bytes(b"not a pack")
    (tmp_path / "packs.txt").write_text("# packs\nx.glyphserpack\njunk.glyphserpack\n")
    assert main(["audit", str(tmp_path / "packs.txt"), "--now", NOW, "--json"]) == 1
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert {r["pack"]: r["status"] for r in rows} == {"junk.glyphserpack": "damaged", "x.glyphserpack": "ok"}
    assert rows[0]["findings"][0][0] == "GSP-E514"
    shutil.rmtree(tmp_path / "packs.txt", ignore_errors=True)
