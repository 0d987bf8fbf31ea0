"""The build checkpoint and the state it carries are typed records (release/checkpoint.py, state.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from glyphserpack.errors import InputError
from glyphserpack.release.checkpoint import CHECKPOINT_NAME, Checkpoint, StepRecord

H = "ab" * 32


def _damaged(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> str:
    cp = Checkpoint(tmp_path, H)
    cp.record(StepRecord.of("pack", {}, {"pack_name": "x.glyphserpack", "pack_root": "cd" * 32, "pack_signed": True}))
    path = tmp_path / CHECKPOINT_NAME
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="unreadable build checkpoint") as info:
        Checkpoint.load(tmp_path, H)
    return info.value.message


@pytest.mark.parametrize(
    ("label", "key", "value", "message"),
    [
        ("root not a hash", "pack_root", 5, "steps[0].state.pack_root: Input should be a valid string"),
        ("flag as text", "pack_signed", "yes", "steps[0].state.pack_signed: Input should be a valid boolean"),
        ("unknown key", "pack_rooot", "cd" * 32, "steps[0].state.pack_rooot: unknown field"),
    ],
)
def test_checkpoint_state_is_typed_on_load(tmp_path: Path, label: str, key: str, value: Any, message: str) -> None:
    """Before the typed record these loaded, and the resumed build failed later (or used them)."""

    def edit(d: dict[str, Any]) -> None:
        d["steps"][0]["state"][key] = value

    assert message in _damaged(tmp_path, edit), label


def test_a_step_cannot_hand_on_an_undeclared_state_key() -> None:
    with pytest.raises(ValidationError, match="pack_rooot"):
        StepRecord.of("pack", {}, {"pack_rooot": "cd" * 32})


def test_checkpoint_file_is_the_plain_map_of_its_record(tmp_path: Path) -> None:
    """Explicit nulls survive (no parity sidecar is ``parity: null``), unset keys are absent."""
    cp = Checkpoint(tmp_path, H)
    cp.record(StepRecord.of("parity", {}, {"parity": None}))
    doc = json.loads((tmp_path / CHECKPOINT_NAME).read_text())
    assert doc == {
        "checkpoint_version": 1,
        "inputs_hash": H,
        "steps": [{"name": "parity", "outputs": {}, "state": {"parity": None}}],
    }
    assert (tmp_path / CHECKPOINT_NAME).read_text().startswith('{\n "checkpoint_version": 1,\n')
    assert Checkpoint.load(tmp_path, H).steps[0].state.to_obj() == {"parity": None}
