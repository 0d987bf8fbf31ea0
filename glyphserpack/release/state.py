"""The state build steps hand on, as a typed record (checkpointed after every step).

Each step returns the part of the state it produced (``StepResult.state``); the checkpoint
stores that part with the step (``OUT/.glyphserpack-build.json``) and a resumed build replays
it, so a later step sees exactly what the interrupted run computed. :class:`BuildState` names
every key a step may set and its type: a step that sets an unknown key or a wrong type fails
when the state is recorded, and a checkpoint edited or damaged on disk is refused on load with
the field named, instead of surfacing later as a ``KeyError`` deep inside a step.

Every field is optional because each step sets only its own; what is stored is exactly what
was set (``None`` included: "no parity sidecar" is ``parity: null``), so the checkpoint's bytes
are those of the plain map.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from glyphserpack.evidence.models import Hex64, Strict, Verdict

__all__ = ["BuildState", "ParityState"]


class ParityState(Strict):
    """Step 14's sidecar (``packs/NAME.glyphserpack.par``)."""

    ratio: str = Field(description="the --parity setting it was made with, e.g. 10%")
    sidecar: str = Field(description="file name beside the pack")
    sha256: Hex64
    size: int = Field(ge=0)


class BuildState(Strict):
    """Everything a step may hand on, by the step that sets it (docs/build.md, "Resuming")."""

    # evidence steps 1-10
    step_hash: Hex64 | None = Field(default=None, description="SHA-256 of the last evidence step object")
    completed_workstream_ids: list[str] | None = None
    step_hashes: dict[str, Hex64] | None = Field(default=None, description="evidence step name -> object SHA-256")
    partial_observability_mapping_hash: Hex64 | None = None
    partial_certification_bundle_hash: Hex64 | None = None
    partial_chaos_proof_pack_hash: Hex64 | None = None
    upgrade_gate_verdict: Verdict | None = None
    release_id: str | None = None
    # 11 pack
    pack_name: str | None = None
    pack_root: Hex64 | None = None
    pack_signed: bool | None = None
    # 12 timestamp
    timestamped: bool | None = None
    timestamp_members: int | None = Field(default=None, ge=0)
    # 13 log
    logged: bool | None = None
    log_size: int | None = Field(default=None, ge=0)
    log_root: Hex64 | None = None
    log_vkey: str | None = None
    log_previous_size: int | None = Field(default=None, ge=0)
    log_previous_checkpoint: str | None = Field(default=None, description="with --log: the registry log before")
    # 14 parity
    parity: ParityState | None = Field(default=None, description="null when --parity is off")
    # 15 verify
    pack_valid: bool | None = None
    # 16 site
    site_root: Hex64 | None = None
    site_valid: bool | None = None
    site_files: int | None = Field(default=None, ge=0)
    previous_manifest_root: str | None = Field(default=None, description="root of the site this one chains to")

    def to_obj(self) -> dict[str, Any]:
        """Exactly the keys that were set (explicit nulls kept), as the plain map that is stored."""
        return self.model_dump(exclude_unset=True)
