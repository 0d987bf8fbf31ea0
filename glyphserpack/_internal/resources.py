"""Where the data that ships beside the code lives: the site templates, mkdocs.yml, the example evidence.

In a source checkout (and an editable install) they are the repository's top-level
``site_templates/``, ``mkdocs.yml``, ``evidence/`` and ``evidence-releases/`` (the example
product's other releases, which ``glyphserpack demo`` builds beside 1.4.0), edited in place. A built wheel cannot
carry files outside the package, so ``setup.py`` copies them into ``glyphserpack/_data/`` at
build time; this module prefers that copy, so an installed glyphserpack needs no checkout.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["NAMES", "PACKAGED", "REPOSITORY", "resource"]

_PACKAGE = Path(__file__).resolve().parents[1]
#: The copy a wheel carries (written by setup.py's build step).
PACKAGED = _PACKAGE / "_data"
#: The checkout the package was imported from, if it was.
REPOSITORY = _PACKAGE.parent

#: Names this module serves; setup.py copies exactly these.
NAMES = ("evidence", "evidence-releases", "mkdocs.yml", "site_templates")


def resource(name: str) -> Path:
    """The packaged copy of ``name`` if there is one, else the checkout's (which may not exist)."""
    if name not in NAMES:
        raise ValueError(f"unknown resource {name!r}")
    packaged = PACKAGED / name
    return packaged if packaged.exists() else REPOSITORY / name
