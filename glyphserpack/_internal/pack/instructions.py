"""``verification_instructions.txt``: how to check a pack with zstd, tar, sha256sum and openssl.

Lines starting with ``    $ `` are shell commands run in the extracted directory; the tests
run exactly those lines, so the instructions cannot drift from the format.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["instructions"]

_HEAD = """\
How to verify this .glyphserpack package without glyphserpack
==============================================================

Format: glyphserpack {major}.{minor} (specification: archive/FORMAT.md in the glyphserpack
repository). You need only zstd, tar, sha256sum, openssl and a POSIX shell.

1. Unpack (zstd skips the index and seek-table frames at the end by itself):

       mkdir release && zstd -dc release.glyphserpack | tar -x -C release && cd release

2. The payload and the tag files match the BagIt manifests; no file is missing or extra:

    $ sha256sum --quiet -c manifest-sha256.txt
    $ sha256sum --quiet -c tagmanifest-sha256.txt
    $ test "$(find data -type f | wc -l)" -eq "$(wc -l < manifest-sha256.txt)"

3. Recompute the root hash, CommitHash("glyphserpack.manifest.v1", manifest): SHA-256 of
   the CBOR array [tag, manifest], i.e. the three bytes 82 78 18, the 24-byte tag, then
   manifest.cbor verbatim. Print it in hex to compare with a published value:

    $ {root_cmd}
    $ od -An -tx1 root_hash.bin | tr -d ' \\n'; echo
"""

_NOSIG = """
4. This package is unsigned: the root hash is only as trustworthy as the channel that told
   you its value.
"""

_SIG = """
4. Check each signature (Ed25519 over the 32 root-hash bytes) with the key file in keys/.
   openssl prints "Signature Verified Successfully":

{commands}
   A key id is the SHA-256 of the raw 32-byte public key (the last 32 bytes of its DER form);
   compare it with the key ids you trust (keys/ and trust/ travel with the package, so they
   prove nothing by themselves):

{key_ids}
"""

_TAIL = """
5. The signed manifest commits to the bag manifest and to every covered tag file: each of
   these SHA-256 values must occur in manifest.cbor (hashes are stored there as hex text):

    $ {loop_cmd}

6. Files under timestamps/ and proofs/ are unsigned attachments (RFC 3161 tokens,
   transparency-log proofs) added after signing; each carries its own verification.
"""


_ROOT_CMD = (
    "{ printf '\\202\\170\\030glyphserpack.manifest.v1'; cat manifest.cbor; }"
    " | openssl dgst -sha256 -binary > root_hash.bin"
)
_LOOP_CMD = (
    "for f in bagit.txt bag-info.txt manifest-sha256.txt verification_instructions.txt {extra}; do"
    ' grep -aqF "$(sha256sum "$f" | cut -c1-64)" manifest.cbor || {{ echo "NOT COMMITTED: $f"; exit 1; }}; done'
)


def instructions(major: int, minor: int, key_ids: Sequence[str], extra_files: Sequence[str]) -> bytes:
    """Render the instructions for the given signer key ids and extra covered tag files."""
    text = _HEAD.format(major=major, minor=minor, root_cmd=_ROOT_CMD)
    if key_ids:
        commands = "".join(
            f"    $ openssl pkeyutl -verify -pubin -inkey keys/{k}.pem -rawin -in root_hash.bin"
            f" -sigfile signatures/{k}.sig\n"
            for k in key_ids
        )
        ids = "".join(
            f"    $ openssl pkey -pubin -in keys/{k}.pem -outform DER | tail -c 32 | sha256sum | grep -q '^{k} '\n"
            for k in key_ids
        )
        text += _SIG.format(commands=commands, key_ids=ids)
    else:
        text += _NOSIG
    text += _TAIL.format(loop_cmd=_LOOP_CMD.format(extra=" ".join(extra_files)))
    return text.encode()
