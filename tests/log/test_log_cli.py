"""The ``glyphserpack log`` commands, run in-process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from logtest_helpers import ORIGIN, TIME, fixed_key, h, pack_doc, write_pem

from glyphserpack.cli import main


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    return {name: write_pem(tmp_path / f"{name}.pem", fixed_key(name)) for name in ("log", "w0", "w1", "w2")}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def write_docs(tmp_path: Path) -> list[Path]:
    issued = {"type": "certificate_issued", "certificate_hash": h("c1"), "certificate_id": "cert-1", "time_utc": TIME}
    revoked = {"type": "certificate_revoked", "certificate_hash": h("c1"), "reason": "keyCompromise", "time_utc": TIME}
    a = tmp_path / "issued.json"
    a.write_text(json.dumps(issued))
    b = tmp_path / "more.yaml"
    b.write_text(
        "- type: pack_published\n"
        f"  pack_hash: {h('pack')}\n"
        f"  certificate_hash: {h('c1')}\n"
        f"  time_utc: '{TIME}'\n"
        "- type: certificate_revoked\n"
        f"  certificate_hash: {revoked['certificate_hash']}\n"
        "  reason: keyCompromise\n"
        f"  time_utc: '{TIME}'\n"
    )
    return [a, b]


def test_full_cli_flow(tmp_path: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    log_dir = tmp_path / "log"
    rc, out, _ = run(capsys, "log", "init", str(log_dir), "--origin", ORIGIN, "--key", str(keys["log"]))
    assert rc == 0
    vkey = out.strip()
    assert vkey.startswith(ORIGIN + "+")
    rc, _, err = run(capsys, "log", "init", str(log_dir), "--origin", ORIGIN, "--key", str(keys["log"]))
    assert rc == 2
    assert "already holds a log" in err
    old_cp = tmp_path / "old.checkpoint"
    shutil.copy(log_dir / "checkpoint", old_cp)

    rc, out, _ = run(capsys, "log", "append", str(log_dir), *map(str, write_docs(tmp_path)), "--key", str(keys["log"]))
    assert rc == 0
    assert "size 3" in out
    rc, out, _ = run(capsys, "log", "verify", str(log_dir), "--log-key", vkey)
    assert rc == 0
    assert out.startswith("OK:")

    proof = tmp_path / "entry.tlog-proof"
    rc, _, err = run(capsys, "log", "prove", str(log_dir), "--entry", h("c1"), "-o", str(proof))
    assert rc == 2  # three entries name certificate c1
    assert "3 entries" in err
    rc, _, _ = run(capsys, "log", "prove", str(log_dir), "--entry", h("pack"), "-o", str(proof))
    assert rc == 0
    rc, out, _ = run(capsys, "log", "verify-proof", str(proof), "--key", vkey, "--json")
    assert rc == 0
    assert json.loads(out)["entry"]["pack_hash"] == h("pack")

    # Witnessing: two of three witnesses co-sign; a quorum of 2 passes, 3 fails.
    wkeys = []
    for name in ("w0", "w1", "w2"):
        rc, out, _ = run(capsys, "log", "vkey", str(keys[name]), "--name", f"{name}.example", "--witness")
        wkeys.append(out.strip())
    state = tmp_path / "w0.state"
    for name in ("w0", "w1"):
        args = ["log", "witness", str(log_dir), "--key", str(keys[name]), "--name", f"{name}.example", "--time", "7"]
        rc, _, _ = run(capsys, *args, *(["--state", str(state)] if name == "w0" else []))
        assert rc == 0
    witness_args = [a for k in wkeys for a in ("--witness", k)]
    rc, _, _ = run(capsys, "log", "verify", str(log_dir), *witness_args, "--quorum", "2")
    assert rc == 0
    rc, out, _ = run(capsys, "log", "verify", str(log_dir), *witness_args, "--quorum", "3")
    assert rc == 1
    assert "GSP-E411" in out

    rc, out, _ = run(capsys, "log", "consistency", str(old_cp), str(log_dir / "checkpoint"), "--log", str(log_dir))
    assert rc == 0
    rc, out, _ = run(capsys, "log", "state", str(log_dir), "--json")
    assert rc == 0
    cert = json.loads(out)["certificates"][0]
    assert (cert["state"], cert["revocation_reason_code"], cert["packs"]) == ("revoked", 1, [h("pack")])


def test_cli_reports_damage_and_rewrites(
    tmp_path: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    def make(name: str, docs: list[dict[str, object]]) -> Path:
        d = tmp_path / name
        assert main(["log", "init", str(d), "--origin", ORIGIN, "--key", str(keys["log"])]) == 0
        f = tmp_path / f"{name}.json"
        f.write_text(json.dumps(docs))
        assert main(["log", "append", str(d), str(f), "--key", str(keys["log"])]) == 0
        return d

    docs = [pack_doc(i) for i in range(8)]
    old = make("old", docs)
    new = make("new", [docs[0], docs[2], docs[1], *docs[3:], pack_doc(99)])
    capsys.readouterr()
    rc, out, _ = run(
        capsys,
        "log",
        "consistency",
        str(old / "checkpoint"),
        str(new / "checkpoint"),
        "--log",
        str(new),
        "--old-log",
        str(old),
    )
    assert rc == 1
    assert "GSP-E409" in out
    assert "GSP-E418 entry 1" in out
    (new / "tile/0/000.p/9").write_bytes(b"\0" * 31)
    rc, out, _ = run(capsys, "log", "verify", str(new), "--json")
    assert rc == 1
    assert "GSP-E404" in {f["code"] for f in json.loads(out)["findings"]}
    rc, _, err = run(capsys, "log", "append", str(new), str(tmp_path / "old.json"), "--key", str(keys["w0"]))
    assert rc == 2
    assert "not this log's key" in err


def test_cli_witness_needs_a_time(
    tmp_path: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    log_dir = tmp_path / "log"
    assert main(["log", "init", str(log_dir), "--origin", ORIGIN, "--key", str(keys["log"])]) == 0
    rc, _, err = run(capsys, "log", "witness", str(log_dir), "--key", str(keys["w0"]), "--name", "w0.example")
    assert rc == 2
    assert "SOURCE_DATE_EPOCH" in err
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    rc, _, _ = run(capsys, "log", "witness", str(log_dir), "--key", str(keys["w0"]), "--name", "w0.example")
    assert rc == 0
    assert b"w0.example" in (log_dir / "checkpoint").read_bytes()


def test_verify_notes_an_unpinned_log_key_only_when_nothing_vouched_for_it(
    tmp_path: Path, keys: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    log_dir, trust = tmp_path / "log", tmp_path / "trust"
    assert run(capsys, "log", "init", str(log_dir), "--origin", ORIGIN, "--key", str(keys["log"]))[0] == 0
    rc, _, err = run(capsys, "log", "verify", str(log_dir))
    assert (rc, "log key taken from LOG_DIR/log.json" in err) == (0, True), err
    keys["log"].chmod(0o600)
    args = ["--trust", str(trust), "--owner", "log", "--purpose", "checkpoint", "--not-before", "2026-01-01T00:00:00Z"]
    rc, _, err = run(capsys, "keys", "add", str(keys["log"]), *args)
    assert rc == 0, err
    rc, _, err = run(capsys, "log", "verify", str(log_dir), "--trust", str(trust), "--at", TIME)
    assert (rc, "log key taken" in err) == (0, False), err
