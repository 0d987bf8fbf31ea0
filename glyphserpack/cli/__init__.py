"""Command-line entry point: parse, call the library, print; nothing else lives here.

Each command group has its own module under ``glyphserpack/cli/``; this file only wires
them together and turns library errors into one readable message and a documented exit
code (0 ok, 1 verification or verdict failed, 2 invalid input or usage, 130 interrupted).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from glyphserpack import __version__
from glyphserpack.errors import EXIT_INPUT, GlyphserpackError

__all__ = ["main"]

#: command name -> "module:attribute"; modules load only when their command is used.
COMMANDS: dict[str, str] = {
    "cert": "glyphserpack.cli.cert_cmd:cert",
    "check": "glyphserpack.cli.check_cmd:check",
    "ers": "glyphserpack.cli.ers_cmd:ers",
    "evidence": "glyphserpack.cli.evidence_cmd:evidence",
    "hash": "glyphserpack.cli.hash_cmd:hash_cmd",
    "log": "glyphserpack.cli.log_cmd:log",
    "schema": "glyphserpack.cli.check_cmd:schema",
    "pack": "glyphserpack.cli.pack_cmd:pack",
    "verify": "glyphserpack.cli.pack_cmd:verify",
    "ls": "glyphserpack.cli.pack_cmd:ls",
    "extract": "glyphserpack.cli.pack_cmd:extract",
    "protect": "glyphserpack.cli.repair_cmd:protect",
    "repair": "glyphserpack.cli.repair_cmd:repair",
    "audit": "glyphserpack.cli.repair_cmd:audit",
    "keys": "glyphserpack.cli.keys_cmd:keys",
    "timestamp": "glyphserpack.cli.tsa_cmd:timestamp",
    "tsa": "glyphserpack.cli.tsa_cmd:tsa",
    "site": "glyphserpack.cli.site_cmd:site",
    "registry": "glyphserpack.cli.registry_cmd:registry",
    "build": "glyphserpack.cli.build_cmd:build",
    "demo": "glyphserpack.cli.build_cmd:demo",
}

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 3


class _LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, keeping start-up fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="glyphserpack")
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Check, pack, time-stamp and publish Glyphser release evidence.

    \b
    Exit codes (all commands):
      0  success / verdict PASS / verification valid
      1  verdict FAIL or verification found a problem
      2  invalid input or usage (the message names the file or option)
      130 interrupted

    \b
    Example:
      glyphserpack check evidence/ --profile regulated
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI in-process and return its exit code (testable without a subprocess)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = cli.main(args=args, prog_name="glyphserpack", standalone_mode=False)
    except GlyphserpackError as exc:
        click.echo(f"glyphserpack: error: {exc.diagnostics()}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("glyphserpack: interrupted", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("glyphserpack: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return EXIT_INPUT
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a bare traceback
        if debug:
            import traceback  # late: only needed for a bug report, and costs start-up time

            traceback.print_exc()
        click.echo(
            f"glyphserpack: internal error: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug; rerun with --debug and report the traceback",
            err=True,
        )
        return EXIT_INTERNAL
    return int(result) if isinstance(result, int) else 0


def entry_point() -> None:
    """Console-script shim."""
    sys.exit(main())
