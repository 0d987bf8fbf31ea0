"""Resume equivalence: kill the build at every step boundary and inside every step, resume, compare.

Each case forks a child running the real CLI, which the pipeline's test hook SIGKILLs at
``step:phase``; the parent then runs ``build --resume`` and requires every byte under OUT
(reports, pack, log, site, checkpoint, saved tokens) to equal the uninterrupted reference.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from glyphserpack.release.checkpoint import CHECKPOINT_NAME
from glyphserpack.release.pipeline import STEPS

from .helpers import EVIDENCE, Keys, Tsa, assert_same_tree, build_args, crash_child, run_build

#: every step boundary (start of each step) and the inside of every step; 'end' (outputs
#: written, not yet recorded) for the steps that rewrite the pack or the site in place, or
#: write beside the pack (parity)
CASES = (
    [f"{s.name}:start" for s in STEPS]
    + [f"{s.name}:mid" for s in STEPS]
    + [f"{name}:end" for name in ("aggregate-verdict", "pack", "timestamp", "log", "parity", "verify", "site")]
)
_NAMES = [s.name for s in STEPS]


@pytest.mark.parametrize("crash_at", CASES)
def test_killed_then_resumed_is_byte_identical(
    crash_at: str, tmp_path: Path, tsa: Tsa, keys: Keys, reference: Path
) -> None:
    out = tmp_path / "dist"
    args = build_args(out, tsa, keys)
    tsa.reset()
    assert crash_child(args, crash_at) == signal.SIGKILL, f"the hook at {crash_at} did not fire"
    before = tsa.served()
    assert run_build([*args, "--resume"]) == 0
    assert_same_tree(out, reference)
    step, phase = crash_at.split(":")
    at, ts = _NAMES.index(step), _NAMES.index("timestamp")
    if at > ts or (at == ts and phase != "start"):
        assert before >= 1, "the pack's token should exist before this crash point"
    # One token over the pack root, one over the site root: a token obtained before the
    # crash was reused, never requested again (a second request would also change the bytes).
    assert tsa.served() == 2


def test_two_crashes_in_a_row(tmp_path: Path, tsa: Tsa, keys: Keys, reference: Path) -> None:
    out = tmp_path / "dist"
    args = build_args(out, tsa, keys)
    tsa.reset()
    assert crash_child(args, "timestamp:end") == signal.SIGKILL
    assert crash_child([*args, "--resume"], "site:mid") == signal.SIGKILL
    assert run_build([*args, "--resume"]) == 0
    assert_same_tree(out, reference)


def test_resume_of_a_finished_build_reuses_everything(
    tmp_path: Path, tsa: Tsa, keys: Keys, reference: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    args = build_args(out, tsa, keys)
    tsa.reset()
    assert run_build(args) == 0
    capsys.readouterr()
    assert run_build([*args, "--resume", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["reused_steps"] == [s.name for s in STEPS]
    assert tsa.served() == 2
    assert_same_tree(out, reference)


def test_damaged_output_is_redone_on_resume(tmp_path: Path, tsa: Tsa, keys: Keys, reference: Path) -> None:
    out = tmp_path / "dist"
    args = build_args(out, tsa, keys)
    tsa.reset()
    assert run_build(args) == 0
    step = out / "reports" / "steps" / "04-reference-stack.json"
    step.write_bytes(step.read_bytes() + b" ")
    assert run_build([*args, "--resume"]) == 0
    assert_same_tree(out, reference)


def _driver(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    driver = Path(__file__).with_name("driver.py")
    return subprocess.run(
        [sys.executable, str(driver), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_real_subprocess_sigkill_then_resume(tmp_path: Path, tsa: Tsa, keys: Keys, reference: Path) -> None:
    out = tmp_path / "dist"
    args = build_args(out, tsa, keys)
    tsa.reset()
    proc = _driver(args, {"GLYPHSERPACK_TEST_CRASH_AT": "log:mid"})
    assert proc.returncode == -signal.SIGKILL
    assert (out / CHECKPOINT_NAME).is_file()
    proc = _driver([*args, "--resume"], {})
    assert proc.returncode == 0, proc.stderr
    assert_same_tree(out, reference)


def test_ctrl_c_leaves_resumable_state_and_one_line(tmp_path: Path, tsa: Tsa, keys: Keys, reference: Path) -> None:
    out = tmp_path / "dist"
    args = build_args(out, tsa, keys)
    tsa.reset()
    proc = _driver(args, {"GLYPHSERPACK_TEST_CRASH_AT": "site:mid:int"})
    assert proc.returncode == 130
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "interrupted during step 'site'" in lines[0]
    assert "--resume" in lines[0]
    assert not (out / "site").exists() or (out / "site" / "site-manifest.json").is_file()
    proc = _driver([*args, "--resume"], {})
    assert proc.returncode == 0, proc.stderr
    assert_same_tree(out, reference)


def test_resume_refused_after_evidence_change(
    tmp_path: Path, tsa: Tsa, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    evidence = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    out = tmp_path / "dist"
    args = build_args(out, tsa, keys, evidence)
    assert crash_child(args, "pack:start") == signal.SIGKILL
    checkpoint = (out / CHECKPOINT_NAME).read_bytes()
    target = evidence / "attachments" / "env" / "env_manifest.json"
    target.write_bytes(target.read_bytes() + b"\n")
    capsys.readouterr()
    assert run_build([*args, "--resume"]) == 2
    err = capsys.readouterr().err
    assert "changed since the interrupted build" in err
    assert "without --resume" in err
    assert (out / CHECKPOINT_NAME).read_bytes() == checkpoint  # nothing was touched


def test_resume_refused_after_option_change(
    tmp_path: Path, tsa: Tsa, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    args = build_args(out, tsa, keys)
    assert crash_child(args, "aggregate-verdict:start") == signal.SIGKILL
    capsys.readouterr()
    changed = [a if a != "regulated" else "enterprise" for a in args]
    assert run_build([*changed, "--resume"]) == 2
    assert "changed since the interrupted build" in capsys.readouterr().err


def test_step_10_refuses_a_partial_hash_that_differs_from_the_recomputation(
    tmp_path: Path, tsa: Tsa, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    args = build_args(out, tsa, keys)
    assert crash_child(args, "aggregate-verdict:start") == signal.SIGKILL
    path = out / CHECKPOINT_NAME
    doc = json.loads(path.read_text())
    doc["steps"][2]["state"]["partial_certification_bundle_hash"] = "00" * 32
    path.write_text(json.dumps(doc))
    capsys.readouterr()
    assert run_build([*args, "--resume"]) == 2
    err = capsys.readouterr().err
    assert "certification_evidence_bundle_hash" in err
    assert "recorded before the interruption" in err


def test_unreachable_tsa_fails_with_a_resume_hint_then_resumes(
    tmp_path: Path, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from glyphserpack.timestamp import TsaServer, init_tsa

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    material = init_tsa(tmp_path / "tsa")
    out = tmp_path / "dist"
    args = ["build", str(EVIDENCE), "-o", str(out), "--tsa", f"http://127.0.0.1:{port}/"]
    args += ["--tsa-roots", str(material.root_pem), "--sign-key", str(keys.key), "--trust", str(keys.trust)]
    assert run_build(args) == 2
    err = capsys.readouterr().err
    assert "TSA http://127.0.0.1:" in err
    assert "steps before 'timestamp' are saved" in err
    with TsaServer(tmp_path / "tsa", material=material, port=port):
        assert run_build([*args, "--resume", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["reused_steps"] == [s.name for s in STEPS[:11]]
    assert doc["timestamped"] is True
