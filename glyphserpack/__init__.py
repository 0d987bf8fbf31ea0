"""glyphserpack: check, pack, time-stamp and publish Glyphser release evidence.

The public surface is the set of modules below; everything under ``_internal`` may change
without notice. ``tests/test_public_api.py`` pins ``__all__`` so accidental drift fails CI.
"""

from __future__ import annotations

__version__ = "0.1.0"

#: Public modules, each with its own pinned ``__all__``; imported lazily so that
#: ``import glyphserpack`` stays cheap for the CLI.
__all__ = [
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
