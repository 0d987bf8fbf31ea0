"""``glyphserpack site``: build, preview and verify the static evidence site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from glyphserpack._internal import jsonout
from glyphserpack.errors import EXIT_FAIL, EXIT_OK

__all__ = ["site"]

_VKEY_HELP = "Log verifier key: <name>+<hash>+<base64> text, or a file holding it."


def _vkey(value: str) -> Any:
    from glyphserpack.cli.log_cmd import _vkey as parse

    return parse(value)


def _witnesses(values: tuple[str, ...]) -> list[Any]:
    from glyphserpack.cli.log_cmd import _witnesses as parse

    return parse(values)


@click.group("site")
def site() -> None:
    """Build, preview and verify the static, hash-linked evidence site.

    \b
    Example:
      glyphserpack site build evidence/ -o site/
      glyphserpack site verify site/ --trust trust/
    """


@site.command("build")
@click.argument("evidence", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o", "--out", "out", required=True, type=click.Path(path_type=Path), help="Output directory (replaced atomically)."
)
@click.option(
    "--packs",
    "packs",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of .glyphserpack files to publish.",
)
@click.option("--base-url", default="", help="Public URL of the site (canonical links and sitemap.xml).")
@click.option(
    "--sign-key", type=click.Path(dir_okay=False, path_type=Path), help="Ed25519 PEM key that signs the site root."
)
@click.option(
    "--previous-manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Previous release's site-manifest.json (hash chain).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Page cache for fast rebuilds (default: none).",
)
@click.option(
    "--tsa", "tsa_urls", multiple=True, metavar="URL", help="RFC 3161 TSA to time-stamp the site root (repeatable)."
)
@click.option(
    "--tsa-roots",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM TSA roots to check the packs' time-stamps.",
)
@click.option(
    "--log",
    "log_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Transparency log directory: statuses are derived from it and it is published under log/.",
)
@click.option("--log-key", help=_VKEY_HELP + " Default: the key in LOG_DIR/log.json.")
@click.option(
    "--trust",
    "trust_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Trust store that must hold the log key for purpose 'checkpoint'.",
)
@click.option("--witness", "witness_keys", multiple=True, help="Witness verifier key (repeatable).")
@click.option("--witness-quorum", default=0, show_default=True, type=click.IntRange(0), help="Cosignatures required.")
@click.option(
    "--pack-trust",
    "pack_trust_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Trust store to verify each pack against in full (purpose 'pack'); the archive page shows the result.",
)
def build(
    evidence: Path,
    out: Path,
    packs: Path | None,
    base_url: str,
    sign_key: Path | None,
    previous_manifest: Path | None,
    cache_dir: Path | None,
    tsa_urls: tuple[str, ...],
    tsa_roots: Path | None,
    log_dir: Path | None,
    log_key: str | None,
    trust_dir: Path | None,
    witness_keys: tuple[str, ...],
    witness_quorum: int,
    pack_trust_dir: Path | None,
) -> int:
    """Build the site for an EVIDENCE tree into OUT.

    With --log, every certificate's status is the state derived from the transparency log,
    and the site publishes the log, its checkpoint and (with --previous-manifest) the
    consistency proof from the previous release's checkpoint.

    \b
    Example:
      glyphserpack site build evidence/ -o site/ --packs dist/ --sign-key site.pem
      glyphserpack site build evidence/ -o site/ --log log/ --log-key log.vkey \\
          --witness w1.vkey --witness w2.vkey --witness-quorum 1 --previous-manifest old/site-manifest.json
    """
    from glyphserpack.site.builder import build_site
    from glyphserpack.site.manifest import Timestamper
    from glyphserpack.trust import TrustStore

    passphrase = None
    if sign_key is not None:
        from glyphserpack.cli.keys_cmd import passphrase_for

        passphrase = passphrase_for(sign_key)
    stamper: Timestamper | None = None
    if tsa_urls:
        from glyphserpack.timestamp.client import stamp_quorum

        def stamper(root: bytes) -> bytes:
            return stamp_quorum(list(tsa_urls), root)[0].token

    roots = None
    if tsa_roots is not None:
        from glyphserpack.timestamp.verify import load_certificates

        roots = load_certificates(tsa_roots, what="--tsa-roots")
    result = build_site(
        evidence,
        out,
        packs_dir=packs,
        base_url=base_url,
        passphrase=passphrase,
        sign_key=sign_key,
        previous_manifest=previous_manifest,
        cache_dir=cache_dir,
        timestamper=stamper,
        tsa_roots=roots,
        log_dir=log_dir,
        log_key=_vkey(log_key) if log_key else None,
        log_trust=TrustStore.load(trust_dir) if trust_dir is not None else None,
        witnesses=_witnesses(witness_keys),
        witness_quorum=witness_quorum,
        pack_trust=TrustStore.load(pack_trust_dir) if pack_trust_dir is not None else None,
    )
    click.echo(
        f"site: {result.files} files in {out}, root {result.root}, "
        f"{result.pages_rendered} pages rendered, {result.pages_cached} from cache, "
        f"mkdocs {'ran' if result.mkdocs_ran else 'skipped (cached)'}"
    )
    for d in result.left_out:  # published anyway: the pages say what is missing; check gives the verdict
        pages = ", ".join(p.replace(".md", ".html") if p != "security" else "security case pages" for p in d.pages)
        click.echo(
            f"warning: {d.path} ({d.kind or 'kind unknown'}) left out of the site: {'; '.join(d.reasons)} "
            f"[noted on {pages}]",
            err=True,
        )
    return EXIT_OK


@site.command("serve")
@click.argument("site_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1.")
def serve(site_dir: Path, port: int) -> int:
    """Preview a built site on http://127.0.0.1:PORT/ (loopback only; Ctrl-C stops).

    \b
    Example:
      glyphserpack site serve dist/site --port 8000
    """
    from glyphserpack.site.serve import serve_forever

    serve_forever(site_dir, port=port, announce=click.echo)
    return EXIT_OK


@site.command("verify")
@click.argument("site_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--trust",
    "trust_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Trust store with a key for purpose 'site'.",
)
@click.option("--tsa-roots", type=click.Path(dir_okay=False, path_type=Path), help="PEM file of TSA trust roots.")
@click.option(
    "--previous", type=click.Path(dir_okay=False, path_type=Path), help="The previous release's site-manifest.json."
)
@click.option("--log-key", help=_VKEY_HELP + " Default: the key the site names (checked against --trust).")
@click.option("--witness", "witness_keys", multiple=True, help="Witness verifier key (repeatable).")
@click.option(
    "--witness-quorum", type=click.IntRange(0), help="Cosignatures required (default: what the site declares)."
)
@click.option(
    "--previous-log",
    type=click.Path(file_okay=False, path_type=Path),
    help="The previous release's site (or its log/): names a rewritten entry.",
)
@click.option("--require-log", is_flag=True, help="A site without a transparency log is an error.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(
    site_dir: Path,
    trust_dir: Path | None,
    tsa_roots: Path | None,
    previous: Path | None,
    log_key: str | None,
    witness_keys: tuple[str, ...],
    witness_quorum: int | None,
    previous_log: Path | None,
    require_log: bool,
    as_json: bool,
) -> int:
    """Check every file, the root, signatures, the chain, time-stamps and the log of a built site.

    For a log-backed site it also checks the checkpoint signature (and N of M witness
    cosignatures), audits the published log, re-derives every certificate state shown in
    api/, and checks the consistency proof from the previous release's checkpoint.

    \b
    Exit codes: 0 valid, 1 a problem was found, 2 unusable input.
    Example:
      glyphserpack site verify site/ --trust trust/
      glyphserpack site verify site/ --log-key log.vkey --witness w1.vkey --witness-quorum 1 --previous-log old/
    """
    from glyphserpack.site.verify import verify_site
    from glyphserpack.trust import TrustStore

    trust = TrustStore.load(trust_dir) if trust_dir is not None else None
    roots = None
    if tsa_roots is not None:
        from glyphserpack.timestamp.verify import load_certificates

        roots = load_certificates(tsa_roots, what="--tsa-roots")
    report = verify_site(
        site_dir,
        trust=trust,
        tsa_roots=roots,
        previous=previous,
        log_key=_vkey(log_key) if log_key else None,
        witnesses=_witnesses(witness_keys),
        witness_quorum=witness_quorum,
        previous_log=previous_log,
        require_log=require_log,
    )
    if as_json:
        click.echo(jsonout.dumps(report.to_dict()))
    else:
        click.echo("\n".join(report.lines()))
    return EXIT_OK if report.valid else EXIT_FAIL
