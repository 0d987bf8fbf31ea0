from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import copy_tree


@pytest.fixture
def tree_dir(tmp_path: Path) -> Path:
    """A fresh writable copy of the bundled evidence tree."""
    return copy_tree(tmp_path)
