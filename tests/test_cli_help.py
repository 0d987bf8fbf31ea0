"""Every command and subcommand says what it does and shows a runnable-looking example.

The example must name the command itself and use only options the command declares, so a
renamed or removed option cannot leave a stale example behind.
"""

from __future__ import annotations

import importlib
import shlex

import click
import pytest

from glyphserpack.cli import COMMANDS


def _commands() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, target in sorted(COMMANDS.items()):
        module, attr = target.split(":")
        cmd = getattr(importlib.import_module(module), attr)
        found.append((name, cmd))
        if isinstance(cmd, click.Group):
            found += [(f"{name} {sub}", c) for sub, c in sorted(cmd.commands.items())]
    return found


@pytest.mark.parametrize(("path", "cmd"), _commands(), ids=[p for p, _ in _commands()])
def test_help_has_an_example_using_declared_options(path: str, cmd: click.Command) -> None:
    text = cmd.get_help(click.Context(cmd, info_name=path))
    assert (cmd.help or "").strip(), f"{path}: no description"
    assert "Example" in text, f"{path}: no example in --help"
    examples = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(f"glyphserpack {path}")]
    assert examples, f"{path}: no example line starting with 'glyphserpack {path}'"
    if isinstance(cmd, click.Group):
        return  # its examples run subcommands, whose options their own cases check
    declared = {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}
    for line in examples:
        for token in shlex.split(line.split(" > ")[0].rstrip("\\"), comments=True):
            if token.startswith("--"):
                assert token.split("=")[0] in declared, f"{path}: example uses undeclared option {token}"


@pytest.mark.parametrize(("path", "cmd"), _commands(), ids=[p for p, _ in _commands()])
def test_every_option_says_what_it_is_for(path: str, cmd: click.Command) -> None:
    silent = [p.opts[-1] for p in cmd.params if isinstance(p, click.Option) and not (p.help or "").strip()]
    assert not silent, f"{path}: options without help text: {silent}"
