"""``glyphserpack evidence init | pin | add | new-release``: thin wrappers over :mod:`glyphserpack.evidence`."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import click

from glyphserpack import keys as keylib
from glyphserpack._internal import jsonout
from glyphserpack._internal.fsio import source_date_epoch
from glyphserpack.cli.keys_cmd import passphrase_for
from glyphserpack.errors import EXIT_FAIL, EXIT_OK
from glyphserpack.evidence.models import PROFILES
from glyphserpack.evidence.pin import PinPlan, apply_pins, plan_pins
from glyphserpack.evidence.scaffold import init_tree

__all__ = ["add", "evidence", "init", "new_release_cmd", "pin"]

_RESIGN_REMEDY = (
    "hint: a signed record is never edited; re-issue each one named above with its signer's key "
    "(its payload must pin the new hashes), then rerun `glyphserpack evidence pin`"
)


@click.group("evidence", context_settings={"help_option_names": ["-h", "--help"]})
def evidence() -> None:
    """Start and maintain an evidence tree: scaffold one, list new documents, re-pin, start the next release.

    \b
    Examples:
      glyphserpack evidence init ev/ --product acme --version 1.0.0 --profile core --key release.key
      glyphserpack evidence pin ev/ --check
      glyphserpack evidence add ev/ ev/certification/records/cert-acme-2027.cbor
      glyphserpack evidence new-release ev/ ev-1.1.0/ --version 1.1.0 --release-time 2027-01-15T12:00:00Z
    """


@evidence.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--product", required=True, help="Product name; the release id becomes PRODUCT-VERSION.")
@click.option("--version", "version", required=True, help="Release version, MAJOR.MINOR.PATCH.")
@click.option("--profile", type=click.Choice(PROFILES), required=True, help="Profile the tree must pass.")
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Signing key (from `glyphserpack keys generate`); its public half goes into the tree's trust store.",
)
@click.option("--owner", default="release signer", show_default=True, help="Owner name of the key in the trust store.")
@click.option(
    "--release-time",
    metavar="YYYY-MM-DDTHH:MM:SSZ",
    help="Release time (default: $SOURCE_DATE_EPOCH, else the template's; never the clock).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as one JSON object.")
def init(
    directory: Path,
    product: str,
    version: str,
    profile: str,
    key_file: Path | None,
    owner: str,
    release_time: str | None,
    as_json: bool,
) -> int:
    """Scaffold a minimal evidence tree that passes `check` for a profile.

    The placeholder documents come from the bundled demo release, cut down to what the
    profile requires; every YAML document starts with a comment saying what to replace.
    Every profile needs a signed execution certificate, so --key is required; the private
    key never enters the tree. DIR must not exist or be empty.

    \b
    Exit codes: 0 written, 2 invalid input (non-empty DIR, no --key, bad version or time).

    \b
    Examples:
      glyphserpack keys generate release.key
      glyphserpack evidence init ev/ --product acme --version 1.0.0 --profile core --key release.key
      glyphserpack evidence init ev2/ --product acme --version 2.0.0 --profile regulated --key k.pem \\
          --release-time 2027-01-15T12:00:00Z
    """
    if release_time is None:
        sde = source_date_epoch()
        if sde is not None:
            release_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sde))
    key = None
    if key_file is not None:
        key = keylib.load_private_key(key_file, passphrase=passphrase_for(key_file))
    result = init_tree(
        directory, product=product, version=version, profile=profile, key=key, owner=owner, release_time=release_time
    )
    if as_json:
        obj = {
            "release_id": result.release_id,
            "key_id": result.key_id,
            "files": list(result.files),
            "signed": list(result.signed),
        }
        click.echo(jsonout.dumps(obj, indent=None))
    else:
        click.echo(
            f"wrote {len(result.files)} files for release {result.release_id} (profile {profile}) to {directory}; "
            f"{len(result.signed)} signed record(s) by key {result.key_id[:16]}…\n"
            f"next: replace the placeholder content (see the comment atop each YAML document), then run\n"
            f"  glyphserpack evidence pin {directory}\n  glyphserpack check {directory} --profile {profile}"
        )
    return EXIT_OK


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


@evidence.command("add")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    metavar="KIND",
    help="Refuse any FILE that is not of this kind (`glyphserpack schema` lists them); conformance_report for a "
    "JUnit report.",
)
@click.option("--suite", help="With --kind conformance_report: the suite_id the report is for.")
@click.option("--adapter", help="With --kind conformance_report: the adapter_id the report is for.")
@click.option("--json", "as_json", is_flag=True, help="Print what was listed and re-pinned as one JSON object.")
def add(
    directory: Path, files: tuple[Path, ...], kind: str | None, suite: str | None, adapter: str | None, as_json: bool
) -> int:
    """List new documents in the tree, then re-pin it: no hand-edited lists or hashes.

    Each FILE (already inside DIRECTORY) goes into release.yaml `documents`; a certification
    record also into the certification bundle's `certification_records`; a JUnit report
    (--kind conformance_report --suite S --adapter A) into its `conformance_reports`, with
    the counts read from the report. Then every hash
    link is re-pinned bottom-up as `evidence pin` does, and what changed is printed.
    Refused, with nothing written: a FILE outside DIRECTORY, an unknown kind (or not
    --kind), a path, content or id the tree lists already, a signed record whose signature
    the tree's trust store does not accept.

    \b
    Exit codes: 0 listed, 1 listed but a signed record needs re-signing, 2 refused.

    \b
    Examples:
      glyphserpack evidence add ev/ ev/certification/records/cert-acme-2027.cbor
      glyphserpack evidence add ev/ ev/certification/revocations/rev-1.cbor --kind revocation
      glyphserpack evidence add ev/ ev/attachments/certification/reports/acme.core.xml \\
          --kind conformance_report --suite conformance-core --adapter acme-backend
    """
    from glyphserpack.evidence.listing import apply_add, plan_add

    plan = plan_add(directory, files, kind=kind, suite=suite, adapter=adapter)
    apply_add(directory, plan)
    if as_json:
        obj = dict(
            plan.pins.to_dict(),
            listed=[{"path": x.path, "kind": x.kind, "sha256": x.sha256, "lists": list(x.lists)} for x in plan.listed],
            notes=list(plan.notes),
        )
        click.echo(jsonout.dumps(obj, indent=None))
    else:
        lines = plan.lines()
        if plan.pins.resign:
            lines.append(_RESIGN_REMEDY)
        click.echo("\n".join(lines))
    return EXIT_FAIL if plan.pins.resign else EXIT_OK


@evidence.command("new-release")
@click.argument("src_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("dest_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--version", "version", required=True, help="The new release's version; must be greater than SRC's.")
@click.option("--release-time", required=True, metavar="YYYY-MM-DDTHH:MM:SSZ", help="The new release_time_utc.")
@click.option("--release-id", help="The new release_id (default: SRC's with its version suffix replaced).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as one JSON object.")
def new_release_cmd(
    src_dir: Path, dest_dir: Path, version: str, release_time: str, release_id: str | None, as_json: bool
) -> int:
    """Start the next release: copy SRC_DIR to DEST_DIR with a new version and time, re-pinned.

    SRC_DIR is never written. In DEST_DIR, release.yaml gets the new release_id, version
    and release_time_utc; readiness documents whose gate bound SRC's version are
    re-targeted to the new one (review them); every hash link is re-pinned. Signed records
    are copied, never edited: each one expired at the new release time, or pinning
    something that changed, is named for re-signing (`glyphserpack cert renew`).
    Refused, with nothing written: DEST_DIR inside SRC_DIR, a non-empty DEST_DIR, a
    version not greater than SRC's (PEP 440 order), a release time not after SRC's.

    \b
    Exit codes: 0 written, 1 written but a signed record needs re-signing, 2 refused.

    \b
    Example:
      glyphserpack evidence new-release ev-1.0.0/ ev-1.1.0/ --version 1.1.0 --release-time 2026-04-01T00:00:00Z
    """
    from glyphserpack.evidence.nextrelease import new_release

    result = new_release(src_dir, dest_dir, version=version, release_time=release_time, release_id=release_id)
    if as_json:
        obj = dict(
            result.pins.to_dict(),
            release_id=result.release_id,
            version=result.version,
            release_time_utc=result.release_time,
            edits=list(result.edits),
            resign=[asdict(r) for r in result.resign],
        )
        click.echo(jsonout.dumps(obj, indent=None))
    else:
        lines = [f"wrote {dest_dir}: release {result.release_id} from {src_dir}"]
        lines += [f"set: {e}" for e in result.edits]
        lines += [f"re-pinned: {c.line()}" for c in result.pins.changes]
        lines += [f"needs re-signing: {r.line()}" for r in result.resign]
        if result.resign:
            lines.append(
                "hint: a signed record is never edited; renew each one named above in the new tree "
                f"(glyphserpack cert renew FILE --key KEY --valid-until T -o NEW.cbor --evidence {dest_dir}), "
                f"then list the renewal: glyphserpack evidence add {dest_dir} NEW.cbor"
            )
        click.echo("\n".join(lines))
    return EXIT_FAIL if result.resign else EXIT_OK
