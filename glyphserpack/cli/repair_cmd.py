"""``glyphserpack protect | repair | audit``: parity sidecars, repair and fixity audits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from glyphserpack._internal import jsonout
from glyphserpack.errors import UsageError

__all__ = ["audit", "protect", "repair"]


@click.command("protect")
@click.argument("pack_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--parity", "parity", default="5%", show_default=True, help="Parity budget as a share of the pack.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), help="Sidecar path.")
def protect(pack_file: Path, parity: str, out: Path | None) -> int:
    """Write the Reed-Solomon parity sidecar PACK_FILE.par so the pack can be repaired.

    \b
    Example:
      glyphserpack protect release.glyphserpack --parity 5%
    """
    from glyphserpack.parity import parse_ratio
    from glyphserpack.parity import protect as do_protect

    par = do_protect(pack_file, ratio=parse_ratio(parity), out=out)
    click.echo(f"{par.name}: {par.stat().st_size} bytes of parity for {pack_file.name}")
    return 0


@click.command("repair")
@click.argument("pack_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Repaired pack."
)
@click.option("--parity-file", type=click.Path(dir_okay=False, path_type=Path), help="Sidecar (default PACK.par).")
@click.option(
    "--salvage",
    "salvage_to",
    type=click.Path(file_okay=False, path_type=Path),
    help="If the damage is beyond repair, extract every undamaged member into this new directory.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def repair(pack_file: Path, out: Path, parity_file: Path | None, salvage_to: Path | None, as_json: bool) -> int:
    """Restore the exact protected bytes of PACK_FILE into OUTPUT (and OUTPUT.par).

    \b
    Exit status: 0 repaired (or nothing to repair), 1 damage beyond the parity budget.
    Example:
      glyphserpack repair release.glyphserpack -o fixed.glyphserpack --salvage rescued/
    """
    from glyphserpack.parity import repair as do_repair

    r = do_repair(pack_file, out, sidecar=parity_file, salvage_to=salvage_to)
    obj = {
        "pack": pack_file.name,
        "repaired": r.repaired,
        "restored_blocks": len(r.restored_blocks),
        "restored_parity_blocks": len(r.restored_parity),
        "findings": [f.to_dict() for f in r.status.findings()],
        "lost_byte_ranges": [list(x) for x in r.lost_ranges],
        "lost_structures": r.lost_structures,
        "damaged_members": r.damaged_members,
    }
    if r.salvaged is not None:
        obj["salvaged"] = r.salvaged
    if r.pack_intact is not None:
        obj["pack_intact"] = r.pack_intact
    if as_json:
        click.echo(jsonout.dumps(obj, ensure_ascii=False))
        return 0 if r.repaired else 1
    for f in r.status.findings():
        click.echo(f.line())
    if r.repaired:
        click.echo(
            f"{out.name}: repaired ({len(r.restored_blocks)} data and {len(r.restored_parity)} parity blocks "
            "restored), byte-identical to the protected pack"
        )
        return 0
    if r.pack_intact:
        click.echo(
            f"{pack_file.name}: the pack verifies intact, but its parity is unusable; nothing written to {out.name}\n"
            f"  hint: make fresh parity with `glyphserpack protect {pack_file}`",
            err=True,
        )
        return 1
    click.echo(f"{pack_file.name}: NOT repairable; nothing written to {out.name}", err=True)
    for lo, hi in r.lost_ranges:
        click.echo(f"cannot restore pack bytes {lo}-{hi}", err=True)
    for what in r.lost_structures:
        click.echo(f"cannot restore: {what}", err=True)
    for name in r.damaged_members:
        click.echo(f"damaged member: {name}", err=True)
    if r.salvaged is not None:
        click.echo(f"{len(r.salvaged)} undamaged members extracted to {salvage_to}", err=True)
    else:
        click.echo("  hint: rerun with --salvage DIR to extract every undamaged member", err=True)
    return 1


def _now(now: str | None, clock: bool) -> str:
    from glyphserpack._internal.fsio import source_date_epoch
    from glyphserpack.trust import is_utc_timestamp

    if now is not None:
        if not is_utc_timestamp(now):
            raise UsageError(f"--now {now!r}: expected YYYY-MM-DDTHH:MM:SSZ")
        return now
    sde = source_date_epoch()
    if sde is not None:
        epoch = sde
    elif clock:
        epoch = int(dt.datetime.now(tz=dt.UTC).timestamp())
    else:
        raise UsageError("audit needs a time for its log", remedy="pass --now, set SOURCE_DATE_EPOCH, or allow --clock")
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@click.command("audit")
@click.argument("targets", nargs=-1, type=click.Path(path_type=Path))
@click.option("--sample", help="Check this share of each pack's blocks (e.g. 10%) instead of everything.")
@click.option("--seed", help="Sampling seed (default: the audit time); recorded in the log.")
@click.option("--log", "log", type=click.Path(dir_okay=False, path_type=Path), help="Hash-chained JSON-lines log.")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), help="Resume file for interrupted runs.")
@click.option("--rate", type=float, help="Read at most this many MB/s (1 MB = 10^6 bytes).")
@click.option("--now", help="Audit time YYYY-MM-DDTHH:MM:SSZ (default: SOURCE_DATE_EPOCH).")
@click.option("--clock", is_flag=True, help="Use the system clock when neither --now nor SOURCE_DATE_EPOCH is set.")
@click.option("--trust", "trust_dir", type=click.Path(file_okay=False, path_type=Path), help="Trust directory.")
@click.option("--check-log", "check_log", type=click.Path(dir_okay=False, path_type=Path), help="Verify a log.")
@click.option("--expect-head", help="With --check-log: the head hash recorded elsewhere.")
@click.option("--json", "as_json", is_flag=True, help="Print entries as JSON lines.")
def audit(
    targets: tuple[Path, ...],
    sample: str | None,
    seed: str | None,
    log: Path | None,
    state: Path | None,
    rate: float | None,
    now: str | None,
    clock: bool,
    trust_dir: Path | None,
    check_log: Path | None,
    expect_head: str | None,
    as_json: bool,
) -> int:
    """Fixity audit of packs in TARGETS (directories, packs, or list files of pack paths).

    \b
    Exit status: 0 everything intact, 1 something damaged (or the log is tampered with),
    2 usage. Example (nightly 10% sample, at most 50 MB/s):
      glyphserpack audit /archive --sample 10% --log audit.jsonl --state audit.state --rate 50 --clock
      glyphserpack audit --check-log audit.jsonl
    """
    from glyphserpack.parity.audit import AuditOptions, Throttle, run_audit
    from glyphserpack.parity.auditlog import check_log as do_check
    from glyphserpack.parity.encode import parse_ratio

    if check_log is not None:
        if targets:
            raise UsageError("--check-log takes no TARGETS")
        found, count, head = do_check(check_log, expect_head=expect_head)
        for f in found:
            click.echo(f.line())
        click.echo(f"{check_log.name}: {count} entries, head {head}: {'INTACT' if not found else 'TAMPERED'}")
        return 1 if found else 0
    if not targets:
        raise UsageError("audit needs at least one directory, pack or list file")
    if rate is not None and rate <= 0:
        raise UsageError(f"--rate {rate}: expected a positive number of MB/s")
    when = _now(now, clock)
    from glyphserpack.trust import TrustStore

    opts = AuditOptions(
        now=when,
        sample=parse_ratio(sample) if sample is not None else None,
        seed=seed if seed is not None else when,
        trust=TrustStore.load(trust_dir) if trust_dir is not None else None,
    )

    def show(entry: dict[str, object]) -> None:
        if as_json:
            click.echo(jsonout.dumps(entry, indent=None, ensure_ascii=False))
        else:
            codes = sorted({str(f[0]) for f in entry["findings"]}) if isinstance(entry["findings"], list) else []
            click.echo(f"{entry['pack']}: {entry['status']}" + (f" ({', '.join(codes)})" if codes else ""))

    summary = run_audit(
        list(targets),
        opts=opts,
        log=log,
        state=state,
        throttle=Throttle(rate * 1e6 if rate is not None else None),
        progress=show,
    )
    n = len(summary.statuses)
    click.echo(
        f"audited {n} packs ({opts.mode}, seed {opts.seed!r}): {n - len(summary.damaged)} ok, "
        f"{len(summary.damaged)} damaged" + (f"; log head {summary.head}" if log is not None else "")
    )
    return 1 if summary.damaged else 0
