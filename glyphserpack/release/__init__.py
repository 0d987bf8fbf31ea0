"""The one-command pipeline: evidence in; reports, signed time-stamped pack, log and site out.

::

    from glyphserpack.release import BuildRequest, load_config, run_build
    outcome = run_build(BuildRequest(Path("evidence"), Path("dist"), load_config(Path("evidence"))))
    outcome.verdict, outcome.exit_code

See ``docs/build.md`` for the steps, the checkpoint and ``--resume``.
"""

from __future__ import annotations

from glyphserpack.release.checkpoint import CHECKPOINT_NAME, Checkpoint, StepRecord
from glyphserpack.release.config import CONFIG_NAME, BuildConfig, load_config
from glyphserpack.release.pipeline import STEPS, BuildOutcome, BuildRequest, Reporter, Step, run_build

__all__ = [
    "CHECKPOINT_NAME",
    "CONFIG_NAME",
    "STEPS",
    "BuildConfig",
    "BuildOutcome",
    "BuildRequest",
    "Checkpoint",
    "Reporter",
    "Step",
    "StepRecord",
    "load_config",
    "run_build",
]
