"""Pinned public API of glyphserpack.pack and glyphserpack.keys; constant-memory streaming."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import glyphserpack.keys
import glyphserpack.pack
from glyphserpack.cli import main


def test_pack_public_api_is_pinned() -> None:
    assert glyphserpack.pack.__all__ == [
        "ATTACHMENT_PREFIXES",
        "FORMAT_MAJOR",
        "FORMAT_MINOR",
        "ROOT_TAG",
        "Check",
        "ExtractResult",
        "Limits",
        "MemberInfo",
        "PackReader",
        "PackReport",
        "attach",
        "extract",
        "ls",
        "open_pack",
        "stamp_pack",
        "verify",
        "verify_or_raise",
        "write",
    ]
    assert glyphserpack.keys.__all__ == [
        "PASSPHRASE_ENV",
        "KeyInfo",
        "add",
        "edit_trust_dir",
        "generate",
        "load_private_key",
        "load_trust_dir",
        "revoke",
        "rotate",
        "save_private_key",
        "show",
    ]


@pytest.mark.parametrize("command", ["pack", "verify", "ls", "extract", "keys"])
def test_help_shows_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    assert "Example" in capsys.readouterr().out


# Peak RSS from /proc's VmHWM, not getrusage: Linux carries ru_maxrss across fork and exec,
# so the probe would report pytest's own footprint when the suite has grown large.
_PROBE = """
import json, sys
from pathlib import Path
from glyphserpack.pack import verify, write

def peak_kib():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM in /proc/self/status")

src, out = Path(sys.argv[1]), Path(sys.argv[2])
write(src, out, created="2026-01-01T00:00:00Z", threads=2)
after_pack = peak_kib()
report = verify(out, threads=2)
print(json.dumps({"valid": report.valid, "pack_kib": after_pack, "verify_kib": peak_kib()}))
"""


@pytest.mark.slow
def test_pack_and_verify_stream_in_bounded_memory(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    size = 400 * 1024 * 1024
    with open(src / "sparse.bin", "wb") as fh:  # sparse: cheap to create, 400 MiB to read
        fh.truncate(size)
    (src / "small.txt").write_text("x")
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(src), str(tmp_path / "p.glyphserpack")],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["valid"]
    assert result["pack_kib"] < 150 * 1024, result
    assert result["verify_kib"] < 150 * 1024, result
