#!/usr/bin/env python3
"""Build the reference parity sidecar (FORMAT.md §11) of the v1.0 reference pack.

The sidecar is a pure function of the pack's bytes, so it never needs rebuilding; tests
recompute it and compare byte for byte. Run only when a new ``parity_version`` is released:
``.venv/bin/python archive/corpus/regenerate_parity.py``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from glyphserpack.parity import assess, protect  # noqa: E402

OUT = HERE / "parity-v1"


def main() -> int:
    if OUT.exists():
        print(f"{OUT} exists; released corpus entries are never rebuilt")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        pack = Path(tmp) / "reference.glyphserpack"
        shutil.copyfile(HERE / "v1.0" / "reference.glyphserpack", pack)
        par = protect(pack, ratio=0.05)
        assert assess(pack, par).intact
        OUT.mkdir()
        shutil.copyfile(par, OUT / "reference.glyphserpack.par")
    print(f"wrote {OUT / 'reference.glyphserpack.par'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
