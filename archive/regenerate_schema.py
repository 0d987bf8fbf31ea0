#!/usr/bin/env python3
"""Rewrite ``archive/manifest.schema.json`` from the model (``glyphserpack.pack.manifest``).

The schema is generated, never edited by hand; ``tests/pack/test_manifest_model.py`` fails
when the published file and the model disagree. Run ``.venv/bin/python archive/regenerate_schema.py``
after changing the model (which, for anything a version-1 reader checks, means a new format
major version: FORMAT.md §9).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from glyphserpack._internal.jsonout import write_json  # noqa: E402
from glyphserpack.pack.manifest import manifest_schema  # noqa: E402

SCHEMA_FILE = HERE / "manifest.schema.json"


def main() -> int:
    write_json(SCHEMA_FILE, manifest_schema(), ensure_ascii=False)
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
