"""Build hook only; all metadata is in pyproject.toml.

A wheel cannot carry files outside the package, yet the site templates, mkdocs.yml and the
example evidence live at the top of the repository where people edit them. This copies them
into ``glyphserpack/_data/`` of the build, where ``glyphserpack._internal.resources`` looks
first. Editable installs skip it and read the checkout directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("evidence", "evidence-releases", "mkdocs.yml", "site_templates")  # keep equal to resources.NAMES


class BuildWithData(build_py):  # type: ignore[misc]  # setuptools ships no type hints for this base
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "glyphserpack" / "_data"
        for name in SHIPPED:
            src, dst = HERE / name, target / name
            if dst.exists():
                shutil.rmtree(dst) if dst.is_dir() else dst.unlink()
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildWithData})
