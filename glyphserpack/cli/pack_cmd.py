"""``glyphserpack pack | verify | ls | extract``: thin wrappers over :mod:`glyphserpack.pack`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from glyphserpack import pack as packlib

__all__ = ["extract", "ls", "pack", "verify"]

_THREADS = max(1, min(8, os.cpu_count() or 1))


@click.command("pack")
@click.argument("src_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Pack file."
)
@click.option(
    "--sign-key",
    "sign_keys",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ed25519 private key file (repeat for several signers).",
)
@click.option(
    "--trust",
    "trust_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Trust directory to embed as trust/trust.json (informational for readers).",
)
@click.option("--created", help="Creation time YYYY-MM-DDTHH:MM:SSZ (default: SOURCE_DATE_EPOCH, else newest mtime).")
@click.option("--level", default=3, show_default=True, type=int, help="zstd level 1..22.")
@click.option("--threads", default=_THREADS, show_default=True, type=int, help="Compression threads.")
@click.option("--parity", help="Also write Reed-Solomon parity OUTPUT.par of this size, e.g. 5% (see `protect`).")
def pack(
    src_dir: Path,
    out: Path,
    sign_keys: tuple[Path, ...],
    trust_dir: Path | None,
    created: str | None,
    level: int,
    threads: int,
    parity: str | None,
) -> int:
    """Pack SRC_DIR into a signed, self-verifying .glyphserpack archive.

    \b
    Example:
      glyphserpack pack evidence/ -o release.glyphserpack --sign-key release.key.pem
    """
    from glyphserpack.cli.keys_cmd import passphrase_for
    from glyphserpack.keys import load_private_key
    from glyphserpack.trust import TrustStore

    ratio = None
    if parity is not None:
        from glyphserpack.parity import parse_ratio

        ratio = parse_ratio(parity)  # refuse a bad --parity before packing anything
    keys = [load_private_key(p, passphrase=passphrase_for(p)) for p in sign_keys]
    trust = TrustStore.load(trust_dir) if trust_dir is not None else None
    root = packlib.write(src_dir, out, sign_keys=keys, trust=trust, created=created, level=level, threads=threads)
    click.echo(f"{out.name}: root hash {root.hex()}")
    if ratio is not None:
        from glyphserpack.parity import protect

        # Computed from the finished file (still in the page cache), so `pack --parity` and
        # `protect` give the same sidecar. A pipelined design can only stream the block
        # hashes: the stripe interleave depends on the final pack size, and the packer
        # offers no hook on its output (re-checked for issue 6; see the parity benchmark).
        par = protect(out, ratio=ratio)
        click.echo(f"{par.name}: {par.stat().st_size} bytes of parity")
    return 0


@click.command("verify")
@click.argument("pack_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--trust",
    "trust_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Trust directory whose 'pack' keys must have signed the pack.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--cbor-out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the canonical CBOR report."
)
@click.option("--threads", default=_THREADS, show_default=True, type=int, help="Decompression threads.")
@click.option(
    "--tsa-trust",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM file of TSA root certificates that the pack's RFC 3161 time-stamps must chain to.",
)
@click.option(
    "--tsa-quorum",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Require at least this many independent TSAs (can only raise the quorum the pack records).",
)
def verify(
    pack_file: Path,
    trust_dir: Path | None,
    as_json: bool,
    cbor_out: Path | None,
    threads: int,
    tsa_trust: Path | None,
    tsa_quorum: int,
) -> int:
    """Check every frame, member, manifest, signature and time-stamp of a pack.

    Time-stamp tokens are always checked (imprint, CMS signature, ESS binding, renewal
    chain); with --tsa-trust their TSA certificates must also chain to the given roots
    and not be revoked at genTime, judged only from the revocation data stored beside each
    token (none stored: a warning). A parity sidecar PACK_FILE.par beside the pack is checked too. The same checks as
    `glyphserpack.pack.verify()`, the build's verify step and the site's archive page.

    \b
    Exit status: 0 valid, 1 invalid (findings listed), 2 unreadable or usage error.
    Example:
      glyphserpack verify release.glyphserpack --trust trust/ --tsa-trust tsa-roots.pem
    """
    from glyphserpack._internal.fsio import refuse_output_inside
    from glyphserpack._internal.parity.sidecar import sidecar_path
    from glyphserpack.trust import TrustStore

    if cbor_out is not None:  # the report must not overwrite what it reports on
        refuse_output_inside(cbor_out, pack_file, option="--cbor-out", what="pack")
        refuse_output_inside(cbor_out, sidecar_path(pack_file), option="--cbor-out", what="parity sidecar")
    trust = TrustStore.load(trust_dir) if trust_dir is not None else None
    report = packlib.verify(pack_file, trust=trust, tsa_trust=tsa_trust, tsa_quorum=tsa_quorum, threads=threads)
    if cbor_out is not None:
        from glyphserpack._internal.fsio import atomic_write

        atomic_write(cbor_out, report.to_cbor())
    if as_json:
        click.echo(report.to_json(), nl=False)
    else:
        for f in sorted(report.findings):
            click.echo(f.line())
        verdict = "VALID" if report.valid else "INVALID"
        click.echo(f"{pack_file.name}: {verdict} (root hash {report.root_hash or 'unknown'})")
    return report.exit_code


@click.command("ls")
@click.argument("pack_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def ls(pack_file: Path, as_json: bool) -> int:
    """List the members of a pack (reads only the index and the manifest).

    \b
    Example:
      glyphserpack ls release.glyphserpack --json
    """
    members = packlib.ls(pack_file)
    if as_json:
        from glyphserpack._internal import jsonout

        click.echo(jsonout.dumps([m.to_obj() for m in members], ensure_ascii=False))
    else:
        # One write, not one echo per member: a pack of a million members listed in seconds.
        kinds = {True: "signed  ", False: "unsigned"}
        lines = [
            f"{m.size:>12}  {'root    ' if m.name == 'manifest.cbor' else kinds[m.covered]}  {m.name}" for m in members
        ]
        click.echo("\n".join(lines))
    return 0


@click.command("extract")
@click.argument("pack_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("dest", type=click.Path(path_type=Path))
@click.argument("members", nargs=-1)
@click.option(
    "--trust",
    "trust_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Trust directory whose 'pack' keys must have signed the pack (checked before anything is written).",
)
@click.option("--salvage", is_flag=True, help="Write every undamaged member even if others are damaged (exit 1).")
@click.option("--threads", default=_THREADS, show_default=True, type=int, help="Decompression threads.")
def extract(
    pack_file: Path, dest: Path, members: tuple[str, ...], trust_dir: Path | None, salvage: bool, threads: int
) -> int:
    """Extract a pack (or only MEMBER ...) into the new directory DEST, atomically.

    Without --trust only integrity is checked: every member must match the pack's own
    manifest, which proves the pack is intact, not who made it. With --trust the manifest's
    signatures must also verify against that trust directory for purpose 'pack' at the
    pack's created time (as `verify --trust`); otherwise nothing is written and the exit
    status is 1.

    \b
    Example:
      glyphserpack extract release.glyphserpack out/ data/certificate.cbor --trust trust/
    """
    trust = None
    if trust_dir is not None:
        from glyphserpack.trust import TrustStore  # late: PyYAML and cryptography cost start-up time

        trust = TrustStore.load(trust_dir)
    result = packlib.extract(pack_file, dest, members, salvage=salvage, threads=threads, trust=trust)
    for name in result.damaged:
        click.echo(f"damaged, not extracted: {name}", err=True)
    checked = f"signatures trusted by {trust_dir.name}" if trust_dir is not None else "integrity only, no --trust"
    click.echo(f"{len(result.written)} members extracted to {dest} ({checked})")
    return 1 if result.damaged or (result.report is not None and not result.report.valid) else 0
