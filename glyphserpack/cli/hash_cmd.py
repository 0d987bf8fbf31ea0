"""``glyphserpack hash``: ObjectDigest / CommitHash of a document, as a third party would."""

from __future__ import annotations

from pathlib import Path

import click

from glyphserpack import canonical
from glyphserpack._internal import jsonout
from glyphserpack._internal.docload import load_document

__all__ = ["hash_cmd"]


@click.command("hash")
@click.argument("document", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--commit", "tag", metavar="TAG", help="Compute CommitHash(TAG, doc) instead of ObjectDigest(doc).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of the bare hex hash.")
@click.option("--cbor-out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the canonical bytes.")
def hash_cmd(document: Path, tag: str | None, as_json: bool, cbor_out: Path | None) -> int:
    """Print the canonical hash of a JSON, YAML or CBOR document.

    \b
    ObjectDigest(x)    = SHA-256(CBOR_CANONICAL(x))
    CommitHash(tag, x) = SHA-256(CBOR_CANONICAL([tag, x]))

    \b
    Example:
      glyphserpack hash evidence/security/security_case.yaml --commit security_case
    """
    obj = load_document(document)
    digest = canonical.commit_hash(tag, obj) if tag else canonical.object_digest(obj)
    if cbor_out is not None:
        from glyphserpack._internal.fsio import atomic_write

        atomic_write(cbor_out, canonical.dumps([tag, obj] if tag else obj))
    if as_json:
        kind = "CommitHash" if tag else "ObjectDigest"
        payload = {"file": str(document), "kind": kind, "sha256": digest.hex()}
        if tag:
            payload["tag"] = tag
        click.echo(jsonout.dumps(payload, indent=None))
    else:
        click.echo(digest.hex())
    return 0
