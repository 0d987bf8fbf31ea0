"""Removing or corrupting ANY single mandatory file flips the verdict, with a message naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from glyphserpack.errors import GlyphserpackError
from glyphserpack.evidence import check, load_tree

from .helpers import BUNDLED

PROFILES = ("core", "enterprise", "regulated")
MANDATORY = {p: check(load_tree(BUNDLED), p).mandatory_files() for p in PROFILES}


def _outcome(root: Path, profiles: list[str]) -> dict[str, tuple[str, str]]:
    """profile -> (verdict or 'INVALID', all messages)."""
    try:
        tree = load_tree(root)
    except GlyphserpackError as exc:
        return dict.fromkeys(profiles, ("INVALID", exc.message))
    out = {}
    for p in profiles:
        r = check(tree, p)
        out[p] = (r.upgrade_gate_verdict, "\n".join(f.line() for f in r.findings if f.severity == "error"))
    return out


def test_mandatory_sets_nest_and_are_substantial() -> None:
    assert set(MANDATORY["core"]) < set(MANDATORY["enterprise"]) < set(MANDATORY["regulated"])
    assert "release.yaml" in MANDATORY["core"]
    assert "trust/trust.yaml" in MANDATORY["core"]
    assert "chaos/chaos_proof_pack.yaml" in MANDATORY["regulated"]
    assert "chaos/chaos_proof_pack.yaml" not in MANDATORY["enterprise"]
    assert len(MANDATORY["core"]) > 40


@pytest.mark.slow
@pytest.mark.parametrize("action", ["remove", "corrupt"])
def test_every_mandatory_file(tree_dir: Path, action: str) -> None:
    union = sorted(set().union(*MANDATORY.values()))
    problems = []
    for rel in union:
        profiles = [p for p in PROFILES if rel in MANDATORY[p]]
        path = tree_dir / rel
        original = path.read_bytes()
        if action == "remove":
            path.unlink()
        else:
            damaged = bytearray(original)
            damaged[len(damaged) // 2] ^= 0x01
            path.write_bytes(bytes(damaged))
        try:
            for profile, (verdict, messages) in _outcome(tree_dir, profiles).items():
                allowed = {"FAIL", "INVALID"} if action == "corrupt" or rel == "release.yaml" else {"FAIL"}
                if verdict not in allowed or rel not in messages:
                    problems.append(f"{action} {rel} [{profile}]: {verdict}: {messages[:300]}")
        finally:
            path.write_bytes(original)
    assert problems == []
