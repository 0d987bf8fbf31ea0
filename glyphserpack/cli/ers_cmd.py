"""``glyphserpack ers export|verify``: RFC 4998 Evidence Records per payload member; parse, call, print."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from glyphserpack._internal import jsonout
from glyphserpack._internal.fsio import read_bounded
from glyphserpack.errors import EXIT_FAIL, EXIT_OK, UsageError
from glyphserpack.pack.ers_export import export_records
from glyphserpack.timestamp.ers import MAX_RECORD_BYTES, verify_record
from glyphserpack.timestamp.verify import load_certificates

__all__ = ["ers"]

#: The data file is hashed in memory; packs hold members of this size at most in practice.
MAX_DATA_BYTES = 8 * 1024 * 1024 * 1024


@click.group("ers")
def ers() -> None:
    """RFC 4998 Evidence Records: prove one member existed, verifiable without glyphserpack.

    \b
    Examples:
      glyphserpack ers export release.glyphserpack -o records/
      glyphserpack ers verify records/data/certificate.json.ers --data certificate.json --tsa-trust roots.pem
    """


@ers.command("export")
@click.argument("pack", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "-o", "--output", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True, help="Directory."
)
def export_cmd(pack: Path, out_dir: Path) -> int:
    """Write OUTPUT/<member>.ers for every payload member (and manifest.cbor) of a time-stamped pack.

    \b
    Example:
      glyphserpack ers export release.glyphserpack -o records/
      # -> records/data/evidence/release.yaml.ers, ..., records/manifest.cbor.ers
    """
    paths = export_records(pack, out_dir)
    click.echo(f"wrote {len(paths)} Evidence Record(s) under {out_dir}")
    return EXIT_OK


def _parse_time(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--at {text!r}: expected a time like 2030-01-01T00:00:00Z") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


@ers.command("verify")
@click.argument("record", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="The member's bytes.",
)
@click.option(
    "--tsa-trust",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    required=True,
    help="PEM file of trusted TSA root certificates.",
)
@click.option("--at", "at_text", help="Judge as of this UTC time (YYYY-MM-DDTHH:MM:SSZ); later stamps are findings.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify_cmd(record: Path, data_path: Path, tsa_trust: Path, at_text: str | None, as_json: bool) -> int:
    """Check that RECORD proves --data existed unaltered: per chain, since when, which algorithm and TSA.

    \b
    Exit: 0 proven, 1 not proven (findings say why), 2 bad input or usage.
    Example:
      glyphserpack ers verify release.yaml.ers --data release.yaml --tsa-trust roots.pem --json
    """
    at = _parse_time(at_text) if at_text else None
    report = verify_record(
        read_bounded(record, MAX_RECORD_BYTES, what="evidence record"),
        read_bounded(data_path, MAX_DATA_BYTES, what="--data"),
        trust_roots=load_certificates(tsa_trust, what="--tsa-trust"),
        at=at,
        where=record.name,
    )
    click.echo(jsonout.dumps(report.to_dict()) if as_json else "\n".join(report.lines()))
    return EXIT_OK if report.valid else EXIT_FAIL
