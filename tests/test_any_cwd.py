"""Every command from a directory of the user's own, with relative paths (issue 12, must-have 3).

The tests chdir into a temporary directory outside the checkout and name every input and
output relatively, as someone who installed glyphserpack with pip would; the demo and the
site build also run as a separate ``python -m glyphserpack`` process there. Absolute paths
are what the rest of the suite uses, so a command that only works from the checkout or only
with absolute paths would go unnoticed without this module.

The second half pins the rule that an output inside the tree (or file) a command reads is
refused with exit 2, naming the option and the input, before anything is written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from glyphserpack import canonical
from glyphserpack.cli import main

ROOT = Path(__file__).resolve().parents[1]
EPOCH = "1790000000"  # 2026-09-20: inside the bundled evidence's validity windows
TIME = "2026-09-20T00:00:00Z"


@dataclass(frozen=True)
class Demo:
    """One demo run outside the checkout, shared by the tests that only read its outputs."""

    cwd: Path
    out: str  # as the user typed it: relative to cwd
    pack: str
    summary: dict[str, object]


def _python_m(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m glyphserpack ARGS`` in ``cwd``; nothing on PYTHONPATH points at the checkout."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return subprocess.run(
        [sys.executable, "-m", "glyphserpack", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _outside(base: Path) -> Path:
    assert not base.resolve().is_relative_to(ROOT), f"{base} is inside the checkout"
    return base


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    cwd = _outside(tmp_path_factory.mktemp("user"))
    done = _python_m(cwd, "demo", "-o", "d", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (cwd / "d" / "site" / "index.html").is_file()
    assert not list(cwd.glob(".*")), "the demo left temporary files beside its output"
    pack = summary["releases"][-1]["pack"]  # type: ignore[index]
    assert pack == f"d/registry/releases/{summary['release_id']}/packs/{summary['pack']['name']}"  # type: ignore[index]
    assert (cwd / pack).is_file()
    return Demo(cwd, "d", pack, summary)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory outside the checkout holding a copy of the evidence as ``ev``."""
    _outside(tmp_path)
    shutil.copytree(ROOT / "evidence", tmp_path / "ev")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    rc, out, err = run(capsys, *args)
    assert rc == 0, f"{' '.join(args)} -> {rc}\n{out}\n{err}"
    return out


def keygen(capsys: pytest.CaptureFixture[str], key: str, *purposes: str, trust: str = "trust") -> None:
    flags = [a for p in purposes for a in ("--purpose", p)]
    ok(capsys, "keys", "generate", key, "--trust", trust, *flags, "--not-before", "2020-01-01T00:00:00Z")


# --- the demo and the site build, also as separate processes ----------------------------------


def test_demo_runs_from_a_directory_of_its_own(
    demo: Demo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(demo.cwd)
    assert demo.summary["exit_code"] == 0
    assert demo.summary["out"] == "d"
    ok(capsys, "verify", demo.pack, "--trust", "d/trust", "--tsa-trust", "d/trust/tsa-roots.pem")
    ok(capsys, "site", "verify", "d/site", "--trust", "d/trust", "--tsa-roots", "d/trust/tsa-roots.pem")


def test_site_build_with_every_relative_form(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    done = _python_m(here, "site", "build", "ev", "-o", "s", "--cache-dir", "cache")
    assert done.returncode == 0, done.stderr
    (here / "sub").mkdir()
    monkeypatch.chdir(here / "sub")
    ok(capsys, "site", "build", "../ev", "-o", "../s2", "--cache-dir", "../cache")  # mkdocs output from the cache
    monkeypatch.chdir(here / "ev")
    ok(capsys, "site", "build", ".", "-o", "../s3")  # mkdocs runs again, from inside the evidence
    for name in ("s", "s2", "s3"):
        assert (here / name / "registry.html").is_file()
        assert (here / name / "site-manifest.json").is_file()
    assert sorted(p.name for p in here.iterdir()) == ["cache", "ev", "s", "s2", "s3", "sub"]
    assert not [p for p in (here / "ev").rglob("*") if p.name.startswith(".")], "output leaked into the evidence"


# --- every other command, in-process with cwd outside the checkout ----------------------------


def test_check_schema_hash(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "check", "ev", "--profile", "regulated", "--out", "reports")
    assert (here / "reports" / "productization_report.json").is_file()
    ok(capsys, "check", "ev/", "--graduate", "enterprise:regulated", "--out", "./grad")
    assert (here / "grad" / "graduation_report.json").is_file()
    assert "security_case" in ok(capsys, "schema")
    ok(capsys, "schema", "security_case")
    ok(capsys, "hash", "ev/security/security_case.core.yaml", "--commit", "security_case", "--cbor-out", "h/c.cbor")
    assert (here / "h" / "c.cbor").stat().st_size > 0


def test_keys(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keygen(capsys, "keys/a.key", "pack")
    assert (here / "keys" / "a.key").is_file()
    assert (here / "keys" / "a.key.pub.pem").is_file()
    shown = json.loads(ok(capsys, "keys", "show", "keys/a.key", "--json"))
    ok(capsys, "keys", "rotate", shown["key_id"], "keys/b.key", "--trust", "trust", "--at", "2027-01-01T00:00:00Z")
    assert (here / "keys" / "b.key").is_file()
    b = json.loads(ok(capsys, "keys", "show", "keys/b.key", "--json"))["key_id"]
    ok(capsys, "keys", "revoke", b, "--trust", "./trust/", "--at", "2027-06-01T00:00:00Z")
    assert b in (here / "trust" / "trust.yaml").read_text()


def test_pack_verify_ls_extract(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keygen(capsys, "keys/p.key", "pack")
    ok(capsys, "pack", "ev", "-o", "packs/r.glyphserpack", "--sign-key", "keys/p.key", "--trust", "trust")
    assert (here / "packs" / "r.glyphserpack").is_file()
    ok(capsys, "verify", "packs/r.glyphserpack", "--trust", "trust", "--cbor-out", "reports/verify.cbor", "--json")
    assert (here / "reports" / "verify.cbor").is_file()
    assert "data/release.yaml" in ok(capsys, "ls", "packs/r.glyphserpack")
    ok(capsys, "extract", "packs/r.glyphserpack", "x", "--trust", "trust")
    assert (here / "x" / "bagit.txt").is_file()
    ok(capsys, "extract", "./packs/../packs/r.glyphserpack", "x2/", "data/release.yaml")
    assert (here / "x2" / "data" / "release.yaml").is_file()
    (here / "empty").mkdir()
    ok(capsys, "extract", "packs/r.glyphserpack", "empty/sub/..")  # an existing empty directory
    assert (here / "empty" / "bagit.txt").is_file()


def test_tsa_and_timestamp(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "tsa", "init", "tsa-a")
    assert (here / "tsa-a" / "root.pem").is_file()
    ok(capsys, "pack", "ev", "-o", "r.glyphserpack")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    serve = [sys.executable, "-m", "glyphserpack", "tsa", "serve", "--state", "tsa-b", "--port", "0"]
    with subprocess.Popen(serve, cwd=here, env=env, stderr=subprocess.PIPE, text=True) as proc:
        try:
            url = _announced(proc, "TSA serving on ")
            ok(capsys, "timestamp", "r.glyphserpack", "--tsa", url, "--tsa-trust", "tsa-b/root.pem")
        finally:
            proc.terminate()
    assert (here / "tsa-b" / "root.pem").is_file()
    ok(capsys, "verify", "r.glyphserpack", "--tsa-trust", "tsa-b/root.pem")
    members = ["timestamps/link-00/tsa-1.tsr", "timestamps/link-00/input.cbor", "timestamps/link-00/tsa-1-chain.pem"]
    ok(capsys, "extract", "r.glyphserpack", "t", *members)
    # A format 1.1 link stamps the RFC 4998 hash-tree root, which its input.cbor records.
    stamped = canonical.loads((here / "t" / "timestamps" / "link-00" / "input.cbor").read_bytes())["stamped"]
    ok(
        capsys,
        *("tsa", "verify", "t/timestamps/link-00/tsa-1.tsr", "--digest", stamped.hex()),
        *("--trust", "tsa-b/root.pem", "--untrusted", "t/timestamps/link-00/tsa-1-chain.pem"),
    )
    ok(capsys, "ers", "export", "r.glyphserpack", "-o", "records")
    assert (here / "records" / "manifest.cbor.ers").is_file()


def _announced(proc: subprocess.Popen[str], prefix: str) -> str:
    """The URL a server subprocess prints on its first line starting with ``prefix``."""
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith(prefix):
            return line[len(prefix) :].split()[0]
    raise AssertionError(f"no {prefix!r} line; exit code {proc.poll()}")


def test_protect_repair_audit(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "pack", "ev", "-o", "packs/r.glyphserpack", "--parity", "5%")
    ok(capsys, "protect", "packs/r.glyphserpack", "-o", "side/r.par")
    assert (here / "side" / "r.par").is_file()
    ok(capsys, "repair", "packs/r.glyphserpack", "-o", "fixed/r.glyphserpack", "--parity-file", "side/r.par")
    assert (here / "fixed" / "r.glyphserpack").read_bytes() == (here / "packs" / "r.glyphserpack").read_bytes()
    assert (here / "fixed" / "r.glyphserpack.par").is_file()
    ok(capsys, "audit", "packs", "--log", "aud/audit.jsonl", "--state", "aud/state", "--now", TIME)
    (here / "list.txt").write_text("packs/r.glyphserpack\n")
    ok(capsys, "audit", "list.txt", "fixed/r.glyphserpack", "--log", "aud/audit.jsonl", "--now", TIME)
    ok(capsys, "audit", "--check-log", "aud/audit.jsonl")


def test_log(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keygen(capsys, "keys/log.key", "checkpoint")
    keygen(capsys, "keys/w.key", "checkpoint", trust="wtrust")
    ok(capsys, "log", "init", "rlog", "--origin", "example.org/log", "--key", "keys/log.key")
    (here / "log.vkey").write_text(ok(capsys, "log", "vkey", "keys/log.key", "--name", "example.org/log"))
    wkey = ok(capsys, "log", "vkey", "keys/w.key", "--name", "w.example/w", "--witness").strip()
    shutil.copy(here / "rlog" / "checkpoint", here / "old-checkpoint")
    entry = {"type": "certificate_issued", "certificate_hash": "ab" * 32, "certificate_id": "c1", "time_utc": TIME}
    (here / "entries.json").write_text(json.dumps(entry))
    ok(capsys, "log", "append", "rlog/", "entries.json", "--key", "keys/log.key")
    ok(capsys, "log", "verify", "rlog", "--log-key", "log.vkey", "--trust", "trust", "--at", TIME)
    ok(capsys, "log", "prove", "rlog", "--entry", "ab" * 32, "-o", "proofs/c1.tlog-proof")
    ok(capsys, "log", "verify-proof", "proofs/c1.tlog-proof", "--key", "log.vkey")
    ok(capsys, "log", "consistency", "old-checkpoint", "rlog/checkpoint", "--log", "rlog", "--log-key", "log.vkey")
    witness = ["--key", "keys/w.key", "--name", "w.example/w", "--state", "w/last", "--time", "7"]
    ok(capsys, "log", "witness", "rlog", *witness)
    assert (here / "w" / "last").is_file()
    ok(capsys, "log", "verify", "rlog", "--witness", wkey, "--quorum", "1", "--last-seen", "old-checkpoint")
    assert "c1" in ok(capsys, "log", "state", "rlog", "--json", "--at", TIME)


def test_site_build_verify_serve(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keygen(capsys, "keys/s.key", "pack", "site", "checkpoint")
    ok(capsys, "pack", "ev", "-o", "packs/r.glyphserpack", "--sign-key", "keys/s.key")
    ok(capsys, "log", "init", "rlog", "--origin", "example.org/log", "--key", "keys/s.key")
    args = ["site", "build", "ev", "-o", "s", "--packs", "packs", "--sign-key", "keys/s.key", "--log", "rlog"]
    ok(capsys, *args, "--pack-trust", "trust", "--trust", "trust")
    assert (here / "s" / "registry.html").is_file()
    ok(capsys, "site", "verify", "s", "--trust", "trust")
    ok(capsys, "site", "build", "ev", "-o", "s2", "--previous-manifest", "s/site-manifest.json", "--cache-dir", "c")
    ok(capsys, "site", "verify", "s2", "--previous", "s/site-manifest.json")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    serve = [sys.executable, "-u", "-m", "glyphserpack", "site", "serve", "s", "--port", "0"]
    with subprocess.Popen(serve, cwd=here, env=env, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            url = line.split(" on ", 1)[1].split()[0]
            with urllib.request.urlopen(f"{url}registry.html", timeout=10) as resp:
                assert resp.status == 200
        finally:
            proc.terminate()


def test_build_and_resume(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keygen(capsys, "keys/b.key", "pack", "site", "checkpoint")
    ok(capsys, "log", "init", "rlog", "--origin", "example.org/log", "--key", "keys/b.key")
    args = ["build", "ev", "-o", "out", "--sign-key", "keys/b.key", "--trust", "trust", "--log", "rlog", "--json"]
    summary = json.loads(ok(capsys, *args))
    assert summary["site_valid"]
    assert summary["pack_valid"]
    assert (here / "out" / "site" / "index.html").is_file()
    assert (here / "out" / "packs" / summary["pack"]["name"]).is_file()
    again = json.loads(ok(capsys, *args, "--resume"))
    assert again["reused_steps"]


# --- an output inside the tree it is made from is refused ------------------------------------


def _snapshot(tree: Path) -> list[str]:
    return sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*"))


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["pack", "ev", "-o", "ev/x.glyphserpack"], "--output ev/x.glyphserpack"),
        (["pack", "ev/", "-o", "./ev/../ev/runs/x.glyphserpack"], "--output"),
        (["check", "ev", "--profile", "core", "--out", "ev/reports"], "--out ev/reports"),
        (["build", "ev", "-o", "ev/dist"], "--out ev/dist"),
        (["demo", "--evidence", "ev", "-o", "ev/d"], "--out ev/d"),
        (["site", "build", "ev", "-o", "ev/site"], "--out ev/site"),
        (["site", "build", "ev", "-o", "."], "--out ."),
    ],
)
def test_output_inside_the_tree_read_is_refused(
    here: Path, capsys: pytest.CaptureFixture[str], args: list[str], option: str
) -> None:
    before = _snapshot(here / "ev")
    rc, _, err = run(capsys, *args)
    assert rc == 2, err
    assert option in err
    assert "evidence tree ev" in err or "source tree ev" in err
    assert "internal error" not in err
    assert _snapshot(here / "ev") == before, "a refused command wrote into the tree it reads"


def test_a_refused_pack_does_not_nest_in_the_next_one(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "pack", "ev", "-o", "ev/x.glyphserpack")[0] == 2
    ok(capsys, "pack", "ev", "-o", "x.glyphserpack")
    assert ".glyphserpack" not in ok(capsys, "ls", "x.glyphserpack")


def test_verify_report_never_overwrites_the_pack_or_its_sidecar(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "pack", "ev", "-o", "p/r.glyphserpack", "--parity", "5%")
    before = {p.name: p.read_bytes() for p in (here / "p").iterdir()}
    assert set(before) == {"r.glyphserpack", "r.glyphserpack.par"}
    for target in ("p/r.glyphserpack", "p/../p/r.glyphserpack.par"):
        rc, _, err = run(capsys, "verify", "p/r.glyphserpack", "--cbor-out", target)
        assert rc == 2, err
        assert f"--cbor-out {target}" in err
    assert {p.name: p.read_bytes() for p in (here / "p").iterdir()} == before


def test_site_inputs_inside_the_replaced_output_are_refused(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "pack", "ev", "-o", "s/mine/r.glyphserpack")  # the user's only copy, inside the output
    rc, _, err = run(capsys, "site", "build", "ev", "-o", "s", "--packs", "s/mine")
    assert rc == 2
    assert "--out s: contains the --packs directory s/mine" in err
    assert (here / "s" / "mine" / "r.glyphserpack").is_file()
    rc, _, err = run(capsys, "site", "build", "ev", "-o", "s", "--cache-dir", "s/cache")
    assert rc == 2
    assert "--cache-dir directory s/cache" in err


def test_sidecars_and_proofs_never_overwrite_what_they_read(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(capsys, "pack", "ev", "-o", "r.glyphserpack", "--parity", "5%")
    pack, par = (here / "r.glyphserpack").read_bytes(), (here / "r.glyphserpack.par").read_bytes()
    rc, _, err = run(capsys, "protect", "r.glyphserpack", "-o", "r.glyphserpack")
    assert rc == 2
    assert "--output r.glyphserpack: is the pack r.glyphserpack" in err
    rc, _, err = run(capsys, "repair", "r.glyphserpack", "-o", "r.glyphserpack.par")
    assert rc == 2
    assert "--output r.glyphserpack.par: is the parity file r.glyphserpack.par" in err
    assert (here / "r.glyphserpack").read_bytes() == pack
    assert (here / "r.glyphserpack.par").read_bytes() == par
    ok(capsys, "repair", "r.glyphserpack", "-o", "r.glyphserpack")  # in place is fine: read first, swapped atomically
    assert (here / "r.glyphserpack").read_bytes() == pack

    keygen(capsys, "keys/log.key", "checkpoint")
    ok(capsys, "log", "init", "rlog", "--origin", "example.org/log", "--key", "keys/log.key")
    entry = {"type": "certificate_issued", "certificate_hash": "cd" * 32, "certificate_id": "c", "time_utc": TIME}
    (here / "e.json").write_text(json.dumps(entry))
    ok(capsys, "log", "append", "rlog", "e.json", "--key", "keys/log.key")
    rc, _, err = run(capsys, "log", "prove", "rlog", "--index", "0", "-o", "rlog/p.tlog-proof")
    assert rc == 2
    assert "--output rlog/p.tlog-proof: lies inside the log directory rlog" in err
    assert not (here / "rlog" / "p.tlog-proof").exists()


@pytest.mark.parametrize("dest", [".", "x/.."])
def test_extract_into_the_working_directory_is_refused(
    here: Path, capsys: pytest.CaptureFixture[str], dest: str
) -> None:
    ok(capsys, "pack", "ev", "-o", "r.glyphserpack")
    rc, _, err = run(capsys, "extract", "r.glyphserpack", dest)
    assert rc == 2, err
    assert "is the working directory" in err
    assert sorted(p.name for p in here.iterdir()) == ["ev", "r.glyphserpack"]
