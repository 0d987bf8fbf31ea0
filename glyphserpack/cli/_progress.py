"""The one look of a progress bar: rich, on stderr, gone when done (commands own when to show it)."""

from __future__ import annotations

from typing import Any

__all__ = ["stderr_bar"]


def stderr_bar(*, spinner: bool = False) -> Any:
    """A transient rich ``Progress`` on stderr with description, bar, N of M and elapsed time.

    Imported lazily: rich costs start-up time that pipes and ``--json`` runs never need.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    if spinner:
        columns.insert(0, SpinnerColumn())
    return Progress(*columns, console=Console(stderr=True), transient=True)
