from __future__ import annotations

from pathlib import Path

import pytest

from glyphserpack import keys

from .attest_helpers import _demo_key
from .helpers import copy_tree


@pytest.fixture
def tree_dir(tmp_path: Path) -> Path:
    """A fresh writable copy of the bundled evidence tree."""
    return copy_tree(tmp_path)


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    """A copy of the bundled tree, with the demo CA keys written to key files beside it."""
    root = copy_tree(tmp_path)
    keys.save_private_key(tmp_path / "ca.pem", _demo_key("cert-authority-2026"))
    keys.save_private_key(tmp_path / "ca-2025.pem", _demo_key("cert-authority-2025"))
    return root
