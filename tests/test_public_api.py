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

    assert canonical.__all__ == [
        "ValidationResult",
        "commit_hash",
        "dumps",
        "dumps_flat",
        "loads",
        "loads_flat",
        "object_digest",
        "validate",
    ]


def test_pack_api_and_the_one_verification_pipeline() -> None:
    import inspect

    from glyphserpack import pack

    assert "verify" in pack.__all__  # the whole list is pinned in tests/pack/test_api_and_memory.py
    params = inspect.signature(pack.verify).parameters
    assert list(params)[:5] == ["path", "trust", "tsa_trust", "tsa_quorum", "parity"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in params.items() if name != "path")
    assert params["parity"].default is True


def test_findings_api() -> None:
    from glyphserpack import findings

    assert findings.__all__ == ["CATALOGUE", "Finding", "Report", "Severity", "finding"]
