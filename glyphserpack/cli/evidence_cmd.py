"""``glyphserpack evidence pin`` (and ``init``): thin wrappers over :mod:`glyphserpack.evidence`."""

from __future__ import annotations

from pathlib import Path

import click

from glyphserpack._internal import jsonout
from glyphserpack.errors import EXIT_FAIL, EXIT_OK
from glyphserpack.evidence.pin import PinPlan, apply_pins, plan_pins

__all__ = ["evidence", "pin"]

_RESIGN_REMEDY = (
    "hint: a signed record is never edited; re-issue each one named above with its signer's key "
    "(its payload must pin the new hashes), then rerun `glyphserpack evidence pin`"
)


@click.group("evidence", context_settings={"help_option_names": ["-h", "--help"]})
def evidence() -> None:
    """Start and maintain an evidence tree: scaffold one, re-pin its hash links.

    \b
    Examples:
      glyphserpack evidence pin evidence/ --check
      glyphserpack evidence pin evidence/
    """


def _summary(plan: PinPlan, *, check: bool) -> str:
    lines: list[str] = []
    verb = "stale" if check else "re-pinned"
    lines += [f"{verb}: {c.line()}" for c in plan.changes]
    lines += [f"needs re-signing: {r.line()}" for r in plan.resign]
    if not plan.stale:
        lines.append("every hash link is up to date; nothing to do")
    elif check:
        lines.append(f"{len(plan.changes)} stale pin(s); run `glyphserpack evidence pin` to fix them")
    if plan.resign:
        lines.append(_RESIGN_REMEDY)
    return "\n".join(lines)


@evidence.command("pin")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 when any pin is stale (for CI).")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as one JSON object.")
def pin(directory: Path, check_only: bool, as_json: bool) -> int:
    """Re-pin every hash link bottom-up: attachments, then documents, then the release manifest.

    Only the stale sha256 values change (comments and key order are kept); all files are
    written atomically, or none. Signed records (.cbor) are never edited: each one that pins
    something that changed is named for re-signing and the exit code is 1.

    \b
    Exit codes: 0 up to date (or fixed), 1 stale (--check) or a signed record needs
    re-signing, 2 invalid input (a missing link target, an unreadable document).

    \b
    Examples:
      glyphserpack evidence pin evidence/ --check
      glyphserpack evidence pin evidence/ --json
    """
    plan = plan_pins(directory)
    if not check_only and plan.new_bytes:
        apply_pins(directory, plan)
    if as_json:
        obj = dict(plan.to_dict(), written=bool(plan.new_bytes) and not check_only)
        click.echo(jsonout.dumps(obj, indent=None))
    else:
        click.echo(_summary(plan, check=check_only))
    if plan.resign or (check_only and plan.stale):
        return EXIT_FAIL
    return EXIT_OK
