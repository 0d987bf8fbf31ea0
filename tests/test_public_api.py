"""Pin the public surface: a change to what users can import must be deliberate."""

from __future__ import annotations

import importlib

import glyphserpack

EXPECTED_TOP = [
    "__version__",
    "canonical",
    "errors",
    "evidence",
    "findings",
    "keys",
    "log",
    "pack",
    "parity",
    "release",
    "signing",
    "site",
    "timestamp",
    "trust",
]


def test_top_level_all_is_pinned() -> None:
    assert glyphserpack.__all__ == EXPECTED_TOP


def test_every_public_module_declares_and_resolves_all() -> None:
    for name in EXPECTED_TOP[1:]:
        module = importlib.import_module(f"glyphserpack.{name}")
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"glyphserpack.{name} has no __all__"
        assert len(set(exported)) == len(exported), f"glyphserpack.{name}.__all__ has duplicates"
        for attr in exported:
            assert hasattr(module, attr), f"glyphserpack.{name}.__all__ names missing {attr!r}"


def test_errors_form_one_tree() -> None:
    from glyphserpack import errors

    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, errors.GlyphserpackError), name
            assert not any(base.__module__.startswith("click") for base in obj.__mro__), name


def test_canonical_api() -> None:
    from glyphserpack import canonical

    assert canonical.__all__ == ["ValidationResult", "commit_hash", "dumps", "loads", "object_digest", "validate"]
