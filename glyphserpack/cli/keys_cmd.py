"""``glyphserpack keys generate | add | show | rotate | revoke``."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click

from glyphserpack import keys as keylib
from glyphserpack._internal import jsonout
from glyphserpack._internal.fsio import source_date_epoch

__all__ = ["keys", "now_utc", "passphrase_for"]


def passphrase_for(path: Path, *, confirm: bool = False, needed: bool | None = None) -> bytes | None:
    """Passphrase from ``GLYPHSERPACK_KEY_PASSPHRASE``, else a hidden prompt on a terminal.

    For existing keys it is only asked for when the file is encrypted. Never echoed or logged.
    """
    env = os.environ.get(keylib.PASSPHRASE_ENV)
    if env:
        return env.encode()
    if needed is None:
        try:
            with open(path, "rb") as fh:
                needed = b"ENCRYPTED" in fh.readline()
        except OSError:
            return None
    if not needed or not sys.stdin.isatty():
        return None
    text = click.prompt(
        f"Passphrase for {path.name}", hide_input=True, confirmation_prompt=confirm, default="", show_default=False
    )
    return text.encode() if text else None


def now_utc(at: str | None) -> str:
    """``at`` if given, else SOURCE_DATE_EPOCH, else the clock (only when the user gave no time)."""
    if at is not None:
        return at
    sde = source_date_epoch()
    when = dt.datetime.fromtimestamp(sde, tz=dt.UTC) if sde is not None else dt.datetime.now(tz=dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


_PURPOSE_HELP = (
    "What the key may sign: pack, certificate, checkpoint, revocation, site, or release "
    "(= pack, site and checkpoint: everything `build --sign-key` signs). Repeatable."
)


@click.group("keys")
def keys() -> None:
    """Create, inspect, rotate and revoke Ed25519 signing keys and their trust directory.

    A trust directory holds one file, trust.yaml, whose history is append-only: every
    edit adds a version (hash-chained to the one before) and never removes or rewrites
    a key, so certificates signed under an earlier version stay valid.

    \b
    Example:
      glyphserpack keys generate release.key.pem --trust trust/ --owner "Release team" --purpose release
    """


@keys.command("generate")
@click.argument("key_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--trust", "trust_dir", type=click.Path(file_okay=False, path_type=Path), help="Add the key here.")
@click.option("--owner", default="glyphserpack signer", show_default=True, help="Who holds the key (trust store).")
@click.option(
    "--purpose",
    "purposes",
    multiple=True,
    default=("pack",),
    show_default=True,
    help=_PURPOSE_HELP,
)
@click.option("--not-before", help="Start of validity (default: now / SOURCE_DATE_EPOCH).")
@click.option("--not-after", help="End of validity.")
@click.option(
    "--encrypt/--no-encrypt", default=False, help=f"Encrypt with a passphrase (${keylib.PASSPHRASE_ENV} or prompt)."
)
def generate(
    key_file: Path,
    trust_dir: Path | None,
    owner: str,
    purposes: tuple[str, ...],
    not_before: str | None,
    not_after: str | None,
    encrypt: bool,
) -> int:
    """Generate KEY_FILE (mode 0600) and KEY_FILE.pub.pem.

    \b
    Example:
      glyphserpack keys generate keys/release.key --trust trust/ --purpose release \\
          --not-before 2026-01-01T00:00:00Z
    """
    passphrase = passphrase_for(key_file, confirm=True, needed=True) if encrypt else None
    if encrypt and not passphrase:
        raise click.UsageError(f"--encrypt needs ${keylib.PASSPHRASE_ENV} or an interactive passphrase")
    info = keylib.generate(
        key_file,
        passphrase=passphrase,
        trust_dir=trust_dir,
        owner=owner,
        purposes=purposes,
        not_before=now_utc(not_before),
        not_after=not_after,
    )
    click.echo(f"{info.key_id}  {key_file}")
    return 0


@keys.command("add")
@click.argument("public_key")
@click.option(
    "--trust", "trust_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Trust directory."
)
@click.option("--owner", required=True, help="Who holds the key.")
@click.option("--purpose", "purposes", multiple=True, required=True, help=_PURPOSE_HELP)
@click.option("--not-before", help="Start of validity (default: now / SOURCE_DATE_EPOCH).")
@click.option("--not-after", help="End of validity.")
def add(
    public_key: str,
    trust_dir: Path,
    owner: str,
    purposes: tuple[str, ...],
    not_before: str | None,
    not_after: str | None,
) -> int:
    """Trust an existing key: PUBLIC_KEY is a key file (.pub.pem or private PEM) or 64 hex.

    Appends a version to the trust store; a key already in it is refused.

    \b
    Example:
      glyphserpack keys add lab-two.pub.pem --trust trust/ --owner "Lab Two" --purpose certificate
    """
    entry = keylib.add(
        public_key,
        trust_dir=trust_dir,
        owner=owner,
        purposes=purposes,
        not_before=now_utc(not_before),
        not_after=not_after,
        passphrase=passphrase_for(Path(public_key)),  # None unless an encrypted private key file
    )
    click.echo(f"{entry.key_id}  {entry.owner}  {', '.join(entry.purposes)}")
    return 0


@keys.command("show")
@click.argument("key_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print key id, public key and file as JSON.")
def show(key_file: Path, as_json: bool) -> int:
    """Print the key id and public key of a key file (never the private key).

    \b
    Example:
      glyphserpack keys show keys/release.key --json
    """
    info = keylib.show(key_file, passphrase=passphrase_for(key_file))
    if as_json:
        click.echo(jsonout.dumps(info.to_obj(), indent=None))
    else:
        click.echo(f"key_id: {info.key_id}\npublic_key: {info.public_key}\nencrypted: {str(info.encrypted).lower()}")
    return 0


@keys.command("rotate")
@click.argument("old_key_id")
@click.argument("new_key_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--trust", "trust_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Trust directory."
)
@click.option("--at", help="Rotation time (default: now / SOURCE_DATE_EPOCH).")
@click.option("--encrypt/--no-encrypt", default=False, help="Encrypt the new key with a passphrase.")
def rotate(old_key_id: str, new_key_file: Path, trust_dir: Path, at: str | None, encrypt: bool) -> int:
    """Replace OLD_KEY_ID by a new key; the old key's window ends at --at.

    \b
    Example:
      glyphserpack keys rotate OLD_KEY_ID keys/release-2027.key --trust trust/ --at 2027-01-01T00:00:00Z
    """
    passphrase = passphrase_for(new_key_file, confirm=True, needed=True) if encrypt else None
    info = keylib.rotate(old_key_id, new_key_file, trust_dir=trust_dir, at=now_utc(at), passphrase=passphrase)
    click.echo(f"{info.key_id}  {new_key_file}")
    return 0


@keys.command("revoke")
@click.argument("key_id")
@click.option(
    "--trust", "trust_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="Trust directory."
)
@click.option("--at", help="Revocation time (default: now / SOURCE_DATE_EPOCH).")
@click.option("--reason", default="keyCompromise", show_default=True, help="RFC 5280 revocation reason name.")
@click.option(
    "--invalidity-date",
    help="keyCompromise only: when the key is known or suspected to have been compromised "
    "(RFC 5280 invalidityDate); signatures from then on stop counting.",
)
def revoke(key_id: str, trust_dir: Path, at: str | None, reason: str, invalidity_date: str | None) -> int:
    """Revoke KEY_ID in the trust directory from --at on.

    keyCompromise invalidates signatures from --invalidity-date (else --at) on; other
    reasons (superseded, cessationOfOperation, ...) never reach back before --at.

    \b
    Example:
      glyphserpack keys revoke KEY_ID --trust trust/ --at 2026-11-01T00:00:00Z --reason keyCompromise
    """
    entry = keylib.revoke(key_id, trust_dir=trust_dir, at=now_utc(at), reason=reason, invalidity_date=invalidity_date)
    click.echo(f"revoked {entry.key_id} at {entry.revoked_at} ({entry.revocation_reason})")
    return 0
