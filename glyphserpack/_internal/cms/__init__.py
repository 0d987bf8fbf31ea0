"""ASN.1 / CMS plumbing for RFC 3161 time-stamps, kept out of the public surface.

Parsing and building use asn1crypto (it keeps the original encodings, which signature
checks need); signatures use cryptography. ``parse`` turns untrusted DER into plain
dataclasses without ever raising anything but :class:`CmsError`; ``signature`` checks a
SignerInfo; ``certpath`` builds and checks certificate paths at a given time; ``build``
makes tokens for the embedded TSA.
"""

from __future__ import annotations

__all__ = ["CmsError"]


class CmsError(ValueError):
    """Input is not the ASN.1 structure we expected (malformed, truncated, wrong type)."""
