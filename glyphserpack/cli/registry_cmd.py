"""``glyphserpack registry build``: publish a registry of releases as one site (thin; see registry/build.py)."""

from __future__ import annotations

from pathlib import Path

import click

from glyphserpack._internal import jsonout
from glyphserpack.errors import EXIT_FAIL, EXIT_OK

__all__ = ["registry"]


@click.group("registry")
def registry() -> None:
    """Publish many releases and one transparency log as one registry site.

    \b
    Example:
      glyphserpack registry build registry/ -o public/ --sign-key site.pem --trust trust/
    """


@registry.command("build")
@click.argument("registry_dir", metavar="REGISTRY", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Site directory.")
@click.option(
    "--sign-key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Site key (signs registry-manifest.json).",
)
@click.option(
    "--trust",
    "trust_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Trust store every pack, site and log checkpoint must verify against.",
)
@click.option("--base-url", default="", help="Public URL of the site (absolute feed links, sitemap).")
@click.option(
    "--previous-manifest",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The previous registry-manifest.json: this build chains to it.",
)
@click.option(
    "--at",
    "at",
    metavar="TIME",
    help="Registry time YYYY-MM-DDTHH:MM:SSZ (default: SOURCE_DATE_EPOCH, else the newest log entry).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep verification results and rendered pages here; an unchanged rebuild then writes nothing.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def build(
    registry_dir: Path,
    out: Path,
    sign_key: Path | None,
    trust_dir: Path | None,
    base_url: str,
    previous_manifest: Path | None,
    at: str | None,
    cache_dir: Path | None,
    as_json: bool,
) -> int:
    """Build the registry site for REGISTRY (log/ + releases/*/ build outputs) into OUT.

    Exit 1 when a release is published with FAIL (its pack or site does not verify).

    \b
    Example:
      glyphserpack registry build registry/ -o public/ --sign-key site.pem --trust trust/ \\
          --base-url https://certs.example.org/glyphser/ --previous-manifest old/registry-manifest.json
    """
    from glyphserpack.registry.build import build_registry
    from glyphserpack.trust import TrustStore

    passphrase = None
    if sign_key is not None:
        from glyphserpack.cli.keys_cmd import passphrase_for

        passphrase = passphrase_for(sign_key)
    result = build_registry(
        registry_dir,
        out,
        sign_key=sign_key,
        passphrase=passphrase,
        trust=TrustStore.load(trust_dir) if trust_dir is not None else None,
        base_url=base_url,
        previous_manifest=previous_manifest,
        at=at,
        cache_dir=cache_dir,
    )
    if as_json:
        click.echo(jsonout.dumps(result.to_dict()))
    else:
        what = "unchanged, nothing written" if result.unchanged else f"{result.files} files"
        click.echo(
            f"registry: {result.releases} releases in {out}, {what}, root {result.root}; "
            f"{result.releases_copied} release sites copied, {result.releases_linked} linked, "
            f"mkdocs {'ran' if result.mkdocs_ran else 'skipped'}"
        )
        for slug in result.failed:
            click.echo(f"FAIL {slug}: published with its failures listed on the home page", err=True)
    return EXIT_FAIL if result.failed else EXIT_OK
