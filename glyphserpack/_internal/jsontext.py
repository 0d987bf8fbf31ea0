"""``json.loads`` for files we did not write ourselves.

The standard parser recurses once per nesting level, so ``[[[[...`` a few thousand deep raises
``RecursionError``, which is not a ``ValueError`` and so slipped past every ``except
ValueError`` that reports bad JSON with the file's name. Here it is one.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["loads"]


def loads(data: str | bytes, **kwargs: Any) -> Any:
    """``json.loads(data, **kwargs)``; too deep a nesting is a ``ValueError`` like any other bad JSON."""
    try:
        return json.loads(data, **kwargs)
    except RecursionError:
        raise ValueError("nested deeper than the JSON parser allows") from None
