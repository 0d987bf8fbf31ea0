"""Time-stamp a pack file in place: stamp its root hash and attach the tokens (docs/timestamping.md).

It sits in the pack package, above :mod:`glyphserpack.timestamp`, because the time-stamp
checks are one step of pack verification: the time-stamp package works on root hashes and
member maps only and never imports the pack package back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography import x509

from glyphserpack.pack.read import open_pack
from glyphserpack.pack.write import attach
from glyphserpack.timestamp.packstamp import StampOutcome, reader_data_objects, stamp_members
from glyphserpack.timestamp.renewal import PREFIX

__all__ = ["stamp_pack"]


def stamp_pack(
    path: Path,
    tsa_urls: Sequence[str],
    *,
    quorum: int = 1,
    hash_alg: str = "sha256",
    renew: bool = False,
    timeout: float = 10.0,
    retries: int = 2,
    trust: Sequence[x509.Certificate] = (),
) -> StampOutcome:
    """Time-stamp the pack at ``path`` in place (atomic; unchanged on any failure)."""
    with open_pack(path) as reader:
        # Format 1.1 stamps the RFC 4998 target; a hash-tree renewal reads the payload, so the
        # pack stays open while stamping (it is replaced atomically only afterwards).
        members, outcome = stamp_members(
            reader.root_hash,
            reader.attachments(),
            tsa_urls,
            quorum=quorum,
            hash_alg=hash_alg,
            renew=renew,
            timeout=timeout,
            retries=retries,
            trust=trust,
            objects=reader_data_objects(reader),
        )
    attach(path, members, replace_prefix=PREFIX)
    return outcome
