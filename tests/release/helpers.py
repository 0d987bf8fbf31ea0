"""Helpers for the build tests: deterministic tokens, crash children, byte-for-byte comparison.

Resume equivalence is tested byte for byte, time-stamp tokens included. Real tokens differ
between runs only by the TSA's clock, serial number and the client's random nonce, so the
tests pin all three: the session TSA has a fixed clock and an RSA key (PKCS#1 v1.5
signatures are deterministic), its serial counter is reset before every fresh build, and
:func:`deterministic_nonce` replaces the client's nonce source while a build runs. The
production code is unchanged; what the tests then prove is that a resumed build reuses the
tokens it already obtained and reproduces every other byte.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.release.context import CRASH_ENV

REPO = Path(__file__).resolve().parents[2]
EVIDENCE = REPO / "evidence"
TSA_CLOCK = dt.datetime(2026, 10, 16, 9, 30, tzinfo=dt.UTC)
BASE_URL = "https://certs.example.org/glyphser/"


class FixedSecrets:
    """Stands in for the ``secrets`` module inside the TSA client: a constant nonce."""

    @staticmethod
    def randbits(k: int) -> int:
        return 0x5EED_5EED_5EED_5EED & ((1 << k) - 1)


@contextlib.contextmanager
def deterministic_nonce() -> Iterator[None]:
    import glyphserpack.timestamp.client as client

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(client, "secrets", FixedSecrets)
        yield


@dataclass(frozen=True)
class Tsa:
    url: str
    state: Path
    roots: Path

    def reset(self) -> None:
        """Serial numbers start again at 1, as for the reference build."""
        (self.state / "serial").write_text("0\n", encoding="ascii")

    def served(self) -> int:
        path = self.state / "serial"
        return int(path.read_text(encoding="ascii")) if path.exists() else 0


@dataclass(frozen=True)
class Keys:
    key: Path
    trust: Path


def build_args(out: Path, tsa: Tsa, keys: Keys, evidence: Path = EVIDENCE) -> list[str]:
    return [
        "build",
        str(evidence),
        "-o",
        str(out),
        "--profile",
        "regulated",
        "--tsa",
        tsa.url,
        "--tsa-roots",
        str(tsa.roots),
        "--sign-key",
        str(keys.key),
        "--trust",
        str(keys.trust),
        "--base-url",
        BASE_URL,
    ]


def run_build(args: list[str]) -> int:
    with deterministic_nonce():
        return main(args)


def crash_child(args: list[str], crash_at: str) -> int:
    """Run a build in a forked child that the pipeline's test hook kills; return the signal number.

    A normal exit is returned as the negative exit status, so a hook that never fired fails
    the caller's ``== SIGKILL`` assertion.
    """
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        code = 99
        try:
            os.environ[CRASH_ENV] = crash_at
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                code = run_build(args)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return os.WTERMSIG(status)
    return -os.WEXITSTATUS(status)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too) by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_same_tree(got: Path, want: Path) -> None:
    a, b = tree_bytes(got), tree_bytes(want)
    extra, missing = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    assert (extra, missing) == ([], []), "file sets differ from the uninterrupted build (extra, missing)"
    differing = sorted(k for k in a if a[k] != b[k])
    assert not differing, f"files differ from the uninterrupted build: {differing}"
