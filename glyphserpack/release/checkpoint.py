"""Content-addressed step checkpoints, so an interrupted build resumes to identical bytes.

Seed ``productization-plan.md`` §5 asks that a resumed run reproduce the identical verdict
and hashes. We get that by construction: a step is skipped on resume only if the checkpoint
records it as complete *and* every file it produced still has the recorded SHA-256; the
state a later step needs (partial bundle hashes, completed workstream ids) is stored in the
record rather than recomputed from a possibly different world. The checkpoint binds the
hash of the inputs and options, so resuming after the evidence changed is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glyphserpack._internal import jsonout, jsontext
from glyphserpack._internal.fsio import file_sha256, read_bounded
from glyphserpack.errors import InputError

__all__ = ["CHECKPOINT_NAME", "Checkpoint", "StepRecord"]

CHECKPOINT_NAME = ".glyphserpack-build.json"
_VERSION = 1


@dataclass
class StepRecord:
    """A completed step: its outputs (relative path -> sha256) and the state it hands on."""

    name: str
    outputs: dict[str, str] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def to_obj(self) -> dict[str, Any]:
        return {"name": self.name, "outputs": dict(sorted(self.outputs.items())), "state": self.state}


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
        try:
            doc = jsontext.loads(read_bounded(path, 16 * 1024 * 1024, what="checkpoint"))
            if doc.get("checkpoint_version") != _VERSION:
                raise ValueError(f"checkpoint_version {doc.get('checkpoint_version')!r}")
            steps = [StepRecord(s["name"], dict(s["outputs"]), dict(s["state"])) for s in doc["steps"]]
            recorded = doc["inputs_hash"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}: unreadable build checkpoint ({exc})",
                remedy="delete the output directory and build again without --resume",
            ) from None
        if recorded != inputs_hash:
            raise InputError(
                f"{path}: the evidence or options changed since the interrupted build",
                remedy="build again without --resume (or restore the original inputs)",
            )
        return cls(out_dir, inputs_hash, steps)

    def save(self) -> None:
        doc = {
            "checkpoint_version": _VERSION,
            "inputs_hash": self.inputs_hash,
            "steps": [s.to_obj() for s in self.steps],
        }
        jsonout.write_json(self.path, doc, indent=1)

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
