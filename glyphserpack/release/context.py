"""What every build step sees: the inputs, the output directory and the state handed on.

Steps never write outside ``OUT`` and never read the clock: every time comes from the
evidence (``release_time_utc``) or ``SOURCE_DATE_EPOCH``, which is what makes an
interrupted-and-resumed build byte-identical to an uninterrupted one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack._internal.fsio import atomic_write, file_sha256, source_date_epoch
from glyphserpack.evidence import CheckResult, EvidenceTree, check, load_tree
from glyphserpack.release.config import BuildConfig
from glyphserpack.trust import TrustStore

__all__ = ["CRASH_ENV", "BuildContext", "StepResult", "crash_hook"]

#: Test-only hook: ``step:phase`` makes the build SIGKILL itself at that point (see docs/build.md).
CRASH_ENV = "GLYPHSERPACK_TEST_CRASH_AT"
log = logging.getLogger("glyphserpack.release")


def crash_hook(step: str, phase: str) -> None:
    """Kill the process at ``step:phase`` (``step:phase:int``: interrupt it) when a test asks; else no-op.

    Only the crash-equivalence tests set the variable. SIGKILL (not an exception) is the
    point: no ``finally`` block, no flush, exactly what a power cut or OOM kill leaves.
    """
    wanted = os.environ.get(CRASH_ENV)
    if wanted == f"{step}:{phase}":
        os.kill(os.getpid(), signal.SIGKILL)
    elif wanted == f"{step}:{phase}:int":  # Ctrl-C, delivered the way a terminal delivers it
        os.kill(os.getpid(), signal.SIGINT)


@dataclass
class StepResult:
    """What a step produced: files (relative to OUT) whose hashes the checkpoint records, and state."""

    outputs: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuildContext:
    """Inputs, output directory and the state completed steps handed on (from the checkpoint)."""

    evidence: Path
    out: Path
    config: BuildConfig
    signer: Ed25519PrivateKey | None
    trust: TrustStore | None
    state: dict[str, Any] = field(default_factory=dict)
    #: ``--log-key``: signs the log's checkpoints instead of ``signer`` (see :attr:`checkpoint_signer`)
    log_signer: Ed25519PrivateKey | None = None
    step_name: str = ""
    progress: Callable[[str], None] = lambda message: None
    _tree: EvidenceTree | None = None
    _result: CheckResult | None = None

    @property
    def checkpoint_signer(self) -> Ed25519PrivateKey:
        """The key that signs the log's checkpoints: ``--log-key``, else ``--sign-key``."""
        key = self.log_signer if self.log_signer is not None else self.signer
        assert key is not None, "the log step runs only for a signed build"
        return key

    @property
    def tree(self) -> EvidenceTree:
        if self._tree is None:
            self._tree = load_tree(self.evidence)
        return self._tree

    def result(self) -> CheckResult:
        """The evidence check, computed once per process (a resumed run recomputes it: deterministic)."""
        if self._result is None:
            self.progress("checking evidence")
            self._result = check(self.tree, self.config.profile)
        return self._result

    def hook(self, phase: str) -> None:
        crash_hook(self.step_name, phase)

    def path(self, rel: str) -> Path:
        return self.out / rel

    def write(self, rel: str, data: bytes, result: StepResult) -> None:
        atomic_write(self.out / rel, data)
        result.outputs.append(rel)

    def build_time_utc(self) -> str:
        """SOURCE_DATE_EPOCH if set, else the release time: never the build machine's clock."""
        epoch = source_date_epoch()
        if epoch is not None:
            return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return str(self.tree.manifest.release_time_utc)

    @property
    def build_dir(self) -> Path:
        """``OUT/.build``: resumable state (time-stamp tokens, staging); never published."""
        return self.out / ".build"

    def digest(self, rel: str) -> str:
        return file_sha256(self.out / rel)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
