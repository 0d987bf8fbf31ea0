"""``glyphserpack check`` and ``glyphserpack schema``: thin wrappers over :mod:`glyphserpack.evidence`."""

from __future__ import annotations

from pathlib import Path

import click

from glyphserpack import canonical
from glyphserpack._internal import jsonout
from glyphserpack._internal.fsio import atomic_write, refuse_output_inside
from glyphserpack.errors import EXIT_FAIL, EXIT_OK, UsageError
from glyphserpack.evidence import KINDS, graduation, load_tree, report_files, schema_for, to_json_bytes
from glyphserpack.evidence.checks import CheckResult
from glyphserpack.evidence.checks import check as run_check
from glyphserpack.evidence.claims import claim_table
from glyphserpack.evidence.graduation import GraduationPlan, parse_step
from glyphserpack.evidence.models import PROFILES

__all__ = ["check", "check_cmd", "schema"]


def _summary(result: CheckResult) -> str:
    lines = [f.line() for f in result.findings]
    if lines:
        lines.append("")
    prod, exp = result.productization_report, result.expansion_report
    lines.append(f"profile {result.profile} (execution mode {prod['execution_mode']}), release {prod['release_id']}")
    for w in result.workstreams:
        if w.workstream_id.startswith("ws"):
            continue
        codes = f"  [{', '.join(w.finding_codes)}]" if w.finding_codes else ""
        lines.append(f"  {w.workstream_id:<4} {w.verdict:<4} {w.title}{codes}")
    failed_ws = [w for w in result.workstreams if w.workstream_id.startswith("ws") and w.verdict == "FAIL"]
    lines.append(
        f"  ws12-40 {exp['readiness_verdict']:<4} roadmap readiness: "
        f"{exp['workstreams_ready']}/{exp['workstreams_total']} ready, "
        f"{exp['blockers_open']} blockers open, {len(exp['release_blockers'])} release-blocking"
        + (f"; failing: {', '.join(w.workstream_id for w in failed_ws)}" if failed_ws else "")
    )
    m = prod["metrics"]
    lines.append(
        f"metrics: adoption_days_estimate={m['adoption_days_estimate']} interop_pass_rate={m['interop_pass_rate']} "
        f"third_party_verifiability_score={m['third_party_verifiability_score']}"
    )
    tail = f" (first failing workstream: {result.first_failing_workstream})" if result.first_failing_workstream else ""
    lines.append(f"upgrade_gate_verdict: {result.upgrade_gate_verdict}{tail}")
    return "\n".join(lines)


def _plan_summary(plan: GraduationPlan) -> str:
    lines = [f"graduation {plan.from_profile} -> {plan.to_profile}:"]
    for s in plan.steps:
        ws = f" ({s.workstream_id})" if s.workstream_id else ""
        lines.append(f"  [{s.status}] {s.item_id}{ws}: {s.detail}")
    lines.append(f"ready to graduate: {'yes' if plan.ready else 'no'}")
    return "\n".join(lines)


@click.command("check")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--profile", type=click.Choice(PROFILES), help="Target product profile.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the reports and the claim inventory as one JSON object instead of a summary.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write productization_report.{cbor,json} and expansion_report.{cbor,json} here (atomically).",
)
@click.option(
    "--graduate", metavar="FROM:TO", help="Show what is missing to move core:enterprise or enterprise:regulated."
)
def check_cmd(directory: Path, profile: str | None, as_json: bool, out_dir: Path | None, graduate: str | None) -> int:
    """Check an evidence tree against a product profile and print the verdict.

    \b
    Exit codes: 0 verdict PASS (or ready to graduate), 1 verdict FAIL (or not ready),
    2 invalid input (the message names the file and field; nothing is written).

    \b
    Examples:
      glyphserpack check evidence/ --profile regulated
      glyphserpack check evidence/ --profile core --json
      glyphserpack check evidence/ --graduate core:enterprise
    """
    step = parse_step(graduate) if graduate else None
    if step is None and profile is None:
        raise UsageError("check: --profile is required (core, enterprise or regulated) unless --graduate is given")
    if step is not None and profile is not None and profile != step[0]:
        raise UsageError(f"check: --profile {profile} does not match --graduate {graduate}")
    if out_dir is not None:  # reports written into the evidence would become evidence
        refuse_output_inside(out_dir, directory, option="--out", what="evidence tree")
    tree = load_tree(directory)
    if step is not None:
        plan = graduation(tree, *step)
        obj = plan.to_dict()
        if out_dir is not None:
            atomic_write(out_dir / "graduation_report.cbor", canonical.dumps(obj))
            atomic_write(out_dir / "graduation_report.json", to_json_bytes(obj))
        click.echo(to_json_bytes(obj).decode().rstrip("\n") if as_json else _plan_summary(plan))
        return EXIT_OK if plan.ready else EXIT_FAIL
    assert profile is not None
    result = run_check(tree, profile)
    if out_dir is not None:
        files = report_files(result)
        for name, data in sorted(files.items()):
            atomic_write(out_dir / name, data)
    if as_json:
        both = {
            "productization_report": result.productization_report,
            "expansion_report": result.expansion_report,
            "claims": claim_table(result.tree, result.findings),  # what third_party_verifiability_score counts
        }
        click.echo(to_json_bytes(both).decode().rstrip("\n"))
    else:
        click.echo(_summary(result))
    return result.exit_code


check = check_cmd  # registered in glyphserpack.cli.COMMANDS as check_cmd:check


@click.command("schema")
@click.argument("kind", required=False)
def schema(kind: str | None) -> int:
    """Print the JSON Schema of an evidence KIND, or list the kinds.

    \b
    Examples:
      glyphserpack schema
      glyphserpack schema security_case
    """
    if kind is None:
        for name, model in KINDS.items():
            doc = (model.__doc__ or "").strip().splitlines()[0]
            click.echo(f"{name:<24} {doc}")
        return EXIT_OK
    click.echo(jsonout.dumps(schema_for(kind)))
    return EXIT_OK
