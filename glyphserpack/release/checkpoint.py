"""Content-addressed step checkpoints, so an interrupted build resumes to identical bytes.

Seed ``productization-plan.md`` §5 asks that a resumed run reproduce the identical verdict
and hashes. We get that by construction: a step is skipped on resume only if the checkpoint
records it as complete *and* every file it produced still has the recorded SHA-256; the
state a later step needs (partial bundle hashes, completed workstream ids) is stored in the
record rather than recomputed from a possibly different world. The checkpoint binds the
hash of the inputs and options, so resuming after the evidence changed is refused.

The file is a typed record (:class:`CheckpointFile` of :class:`StepRecord`, each carrying the
:class:`~glyphserpack.release.state.BuildState` its step set): a damaged or edited checkpoint is
refused on load with the field named, never half-used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from glyphserpack._internal import jsonout, jsontext
from glyphserpack._internal.fsio import file_sha256, read_bounded
from glyphserpack._internal.validation import first_error
from glyphserpack.errors import InputError
from glyphserpack.evidence.models import Hex64, Strict
from glyphserpack.release.state import BuildState

__all__ = ["CHECKPOINT_NAME", "Checkpoint", "CheckpointFile", "StepRecord"]

CHECKPOINT_NAME = ".glyphserpack-build.json"
_LIMIT = 16 * 1024 * 1024


class StepRecord(Strict):
    """A completed step: its outputs (relative path -> sha256) and the state it hands on."""

    name: str
    outputs: dict[str, Hex64] = Field(default_factory=dict, description="OUT-relative path -> SHA-256")
    state: BuildState = Field(default_factory=BuildState)

    @classmethod
    def of(cls, name: str, outputs: dict[str, str], state: dict[str, Any]) -> StepRecord:
        """Record a step that just ran; a state key or type :class:`BuildState` does not know is an error."""
        return cls(name=name, outputs=outputs, state=BuildState.model_validate(state))

    def to_obj(self) -> dict[str, Any]:
        return {"name": self.name, "outputs": dict(sorted(self.outputs.items())), "state": self.state.to_obj()}


class CheckpointFile(Strict):
    """``OUT/.glyphserpack-build.json`` as stored (one-space indent, sorted keys)."""

    checkpoint_version: Literal[1]
    inputs_hash: Hex64 = Field(description="binds the evidence, options, keys and previous site (pipeline.inputs_hash)")
    steps: list[StepRecord] = Field(description="completed steps, in declared order")

    def to_obj(self) -> dict[str, Any]:
        return {
            "checkpoint_version": self.checkpoint_version,
            "inputs_hash": self.inputs_hash,
            "steps": [s.to_obj() for s in self.steps],
        }


@dataclass
class Checkpoint:
    """The build's progress in ``OUT/.glyphserpack-build.json``; saved atomically after each step."""

    out_dir: Path
    inputs_hash: str
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.out_dir / CHECKPOINT_NAME

    @classmethod
    def load(cls, out_dir: Path, inputs_hash: str) -> Checkpoint:
        """Load a checkpoint for resuming; refuse one made from other inputs or options."""
        path = out_dir / CHECKPOINT_NAME
        if not path.exists():
            return cls(out_dir, inputs_hash)
        remedy = "delete the output directory and build again without --resume"
        try:
            doc = CheckpointFile.model_validate(jsontext.loads(read_bounded(path, _LIMIT, what="checkpoint")))
        except ValidationError as exc:
            raise InputError(f"{path}: unreadable build checkpoint ({first_error(exc)})", remedy=remedy) from None
        except ValueError as exc:
            raise InputError(f"{path}: unreadable build checkpoint ({exc})", remedy=remedy) from None
        if doc.inputs_hash != inputs_hash:
            raise InputError(
                f"{path}: the evidence or options changed since the interrupted build",
                remedy="build again without --resume (or restore the original inputs)",
            )
        return cls(out_dir, inputs_hash, list(doc.steps))

    def save(self) -> None:
        doc = CheckpointFile(checkpoint_version=1, inputs_hash=self.inputs_hash, steps=self.steps)
        jsonout.write_json(self.path, doc.to_obj(), indent=1)

    def valid_prefix(self, names: list[str]) -> list[StepRecord]:
        """The records that can be trusted: in declared order, with outputs unchanged on disk.

        Later steps may rewrite an earlier step's file (time-stamps and proofs are attached to
        the pack in place), so a file is checked against the hash recorded by the *last* step
        of the candidate prefix that wrote it. The longest prefix whose files all match wins;
        a crash half-way through a step that rewrites a file therefore rolls back to the step
        that first wrote it, which is safe because every step is deterministic.
        """
        prefix: list[StepRecord] = []
        for name, record in zip(names, self.steps, strict=False):
            if record.name != name:
                break
            prefix.append(record)
        cache: dict[str, str | None] = {}

        def on_disk(rel: str) -> str | None:
            if rel not in cache:
                path = self.out_dir / rel
                cache[rel] = file_sha256(path) if path.is_file() and not path.is_symlink() else None
            return cache[rel]

        while prefix:
            expected: dict[str, str] = {}
            for record in prefix:
                expected.update(record.outputs)
            if all(on_disk(rel) == digest for rel, digest in expected.items()):
                return prefix
            prefix.pop()
        return prefix

    def truncate(self, count: int) -> None:
        """Forget every record after the first ``count`` (they are about to be redone)."""
        del self.steps[count:]
        self.save()

    def record(self, record: StepRecord) -> None:
        self.steps.append(record)
        self.save()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
