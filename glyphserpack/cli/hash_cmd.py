"""``glyphserpack hash``: ObjectDigest / CommitHash of a document, as a third party would.

``--file-sha256`` prints the plain SHA-256 of the file's bytes instead: that is what a hash
link (``path`` + ``sha256``) in an evidence tree pins, and it differs from the ObjectDigest.
"""

from __future__ import annotations

from pathlib import Path

import click

from glyphserpack import canonical
from glyphserpack._internal import jsonout
from glyphserpack._internal.docload import load_document
from glyphserpack._internal.fsio import file_sha256
from glyphserpack.errors import InputError, UsageError

__all__ = ["hash_cmd"]


@click.command("hash")
@click.argument("document", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--commit", "tag", metavar="TAG", help="Compute CommitHash(TAG, doc) instead of ObjectDigest(doc).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of the bare hex hash.")
@click.option("--cbor-out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the canonical bytes.")
@click.option(
    "--file-sha256",
    "file_sha",
    is_flag=True,
    help="Print SHA-256 of the file's bytes (what an evidence hash link pins), not the ObjectDigest.",
)
def hash_cmd(document: Path, tag: str | None, as_json: bool, cbor_out: Path | None, file_sha: bool) -> int:
    """Print the canonical ObjectDigest of a JSON, YAML or CBOR document (not its file SHA-256).

    \b
    ObjectDigest(x)    = SHA-256(CBOR_CANONICAL(x))         (default)
    CommitHash(tag, x) = SHA-256(CBOR_CANONICAL([tag, x]))  (--commit TAG)
    file SHA-256       = SHA-256(bytes of the file)          (--file-sha256)

    A hash link in an evidence tree (path + sha256) pins the file SHA-256; to re-pin a
    whole tree after an edit use `glyphserpack evidence pin DIR`.

    \b
    Examples:
      glyphserpack hash evidence/security/security_case.yaml --commit security_case
      glyphserpack hash evidence/trust/trust.yaml --file-sha256
    """
    if file_sha:
        if tag or cbor_out is not None:
            raise UsageError(
                "hash: --file-sha256 hashes the bytes as they are; it cannot be combined with --commit or --cbor-out"
            )
        try:
            hexdigest = file_sha256(document)
        except OSError as exc:
            raise InputError(f"hash: {document}: cannot read ({exc.strerror})") from None
        if as_json:
            click.echo(jsonout.dumps({"file": str(document), "kind": "FileSHA256", "sha256": hexdigest}, indent=None))
        else:
            click.echo(hexdigest)
        return 0
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
