"""docs/operator-guide.md is run command by command, so the guide cannot drift from the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "operator-guide.md"
_EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")
_HEREDOC = re.compile(r"<<-?\s*'?(\w+)'?")


@dataclass(frozen=True)
class Command:
    """One `$ ` command of a ```console block: its shell text and the exit code the guide states."""

    line: int
    text: str
    exit_code: int


def guide_commands(text: str) -> list[Command]:
    """Every command of the guide's ```console blocks, in order.

    A command starts with `$ `; a trailing backslash continues it, a here-document
    (`<<'EOF'`) takes the lines up to its terminator; other lines are the output the
    reader should expect. `# exit N` at the end of a command states its exit code.
    """
    lines = text.splitlines()
    commands: list[Command] = []
    in_block = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            in_block = line.strip() == "```console" if not in_block else False
        elif in_block and line.startswith("$ "):
            start, body = i + 1, [line[2:]]
            while body[-1].endswith("\\") and i + 1 < len(lines):
                i += 1
                body.append(lines[i])
            heredoc = _HEREDOC.search(body[-1])
            if heredoc:
                i += 1
                while i < len(lines) and lines[i].strip() != heredoc.group(1):
                    body.append(lines[i])
                    i += 1
                body.append(heredoc.group(1))
            exit_code = _EXIT.search(body[0])
            commands.append(Command(start, "\n".join(body), int(exit_code.group(1)) if exit_code else 0))
        i += 1
    return commands


def test_extraction_reads_continuations_heredocs_and_exit_codes() -> None:
    text = "```console\n$ a \\\n  b\nout\n$ cat > f <<'EOF'\nx: 1\nEOF\n$ c   # exit 2\n```\n```sh\nnot run\n```\n"
    got = [(c.text, c.exit_code) for c in guide_commands(text)]
    assert got == [("a \\\n  b", 0), ("cat > f <<'EOF'\nx: 1\nEOF", 0), ("c   # exit 2", 2)]


def test_operator_guide_runs_end_to_end(tmp_path: Path) -> None:
    assert not tmp_path.resolve().is_relative_to(ROOT), "the guide must run from a directory of its own"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.pop("SOURCE_DATE_EPOCH", None)  # the guide states every time it needs
    env.pop("GLYPHSERPACK_KEY_PASSPHRASE", None)
    commands = guide_commands(GUIDE.read_text())
    assert len(commands) >= 25, [c.text for c in commands]
    outputs: list[str] = []
    by_text: dict[str, str] = {}
    for c in commands:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", c.text], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        where = f"docs/operator-guide.md:{c.line}: {c.text}\n{result.stdout}\n{result.stderr}"
        assert result.returncode == c.exit_code, where
        assert "Traceback" not in result.stderr, where
        outputs.append(result.stdout)
        by_text[c.text] = result.stdout
    listing = outputs[-2]  # `cert list ev --log …` before the final check
    assert re.search(r"cert-store-s3-2026 +revoked \(cessationOfOperation", listing), listing
    assert re.search(r"cert-backend-cpu-ref-2026b +valid", listing), listing
    assert re.search(r"cert-backend-cpu-ref-2026 +superseded", listing), listing
    assert "upgrade_gate_verdict: PASS" in outputs[-1]
    header = by_text["head -n 1 ev-1.1.0/trust/trust.yaml"]  # keys add keeps the header evidence init wrote
    assert header.startswith("# Trust store of this evidence tree"), header
    for release in ("1.0.0", "1.1.0"):
        assert (tmp_path / "releases" / release / "site" / "site-manifest.json").is_file()
    published = [p for d in ("releases", "ev", "ev-1.1.0") for p in (tmp_path / d).rglob("*") if p.is_file()]
    secrets = [(tmp_path / "keys" / k).read_bytes() for k in ("release.key", "log.key", "ca.key", "lab-two.key")]
    assert not [p for p in published if p.is_file() and any(s in p.read_bytes() for s in secrets)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ev",
        "ev-1.1.0",
        "keys",
        "record.yaml",
        "registry-log",
        "releases",
        "trust",
    ]
