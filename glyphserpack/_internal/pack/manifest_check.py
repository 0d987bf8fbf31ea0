"""The fast, pydantic-free answer to "does this decoded manifest fit the model?".

:class:`glyphserpack.pack.manifest.PackManifest` is the definition of the signed manifest.
Importing pydantic costs more than the whole ``glyphserpack extract PACK DEST MEMBER`` budget
(issue 3, ``tests/pack/test_cli_imports.py``), so readers first ask :func:`fits`, which accepts
exactly what the model accepts (``tests/pack/test_manifest_model.py`` checks the two agree on
generated hostile manifests, and that the field sets here are the model's); only a manifest
that does not fit goes to the model, whose error names the field.
"""

from __future__ import annotations

import re
from typing import Any

from glyphserpack._internal.pack import bag
from glyphserpack.errors import PackError

__all__ = [
    "HEX64_PATTERN",
    "MEMBER_KEYS",
    "SIGNER_KEYS",
    "TOP_KEYS",
    "U64_MAX",
    "UTC_TIME_PATTERN",
    "check_version",
    "fits",
]

HEX64_PATTERN = r"^[0-9a-f]{64}$"
UTC_TIME_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$"
U64_MAX = 2**64 - 1
TOP_KEYS = frozenset({"format", "format_version", "created", "root_hash_tag", "members", "signers"})
MEMBER_KEYS = frozenset({"name", "size", "sha256", "media_type"})
SIGNER_KEYS = frozenset({"key_id", "public_key", "algorithm", "key_file"})

_HEX64 = re.compile(HEX64_PATTERN)
_UTC_TIME = re.compile(UTC_TIME_PATTERN)


def check_version(obj: Any, where: str) -> None:
    """FORMAT.md §9: the version decides everything else, so an unknown major is refused as such."""
    if not isinstance(obj, dict):
        raise PackError(f"{where}: manifest is not a map", code="GSP-E112")
    version = obj.get("format_version")
    if not (isinstance(version, list) and len(version) == 2 and all(type(v) is int for v in version)):
        raise PackError(f"{where}: manifest has no [major, minor] format_version", code="GSP-E112")
    if version[0] != bag.FORMAT_MAJOR:
        raise PackError(
            f"{where}: format version {version[0]}.{version[1]} is not supported (this reader knows major "
            f"version {bag.FORMAT_MAJOR})",
            code="GSP-E113",
            remedy="use a glyphserpack release that supports this format version",
        )


def _u64(v: Any) -> bool:
    return type(v) is int and 0 <= v <= U64_MAX


def _hex64(v: Any) -> bool:
    return type(v) is str and _HEX64.fullmatch(v) is not None


def _member(m: Any) -> bool:
    return (
        type(m) is dict
        and m.keys() == MEMBER_KEYS
        and type(m["name"]) is str
        and _u64(m["size"])
        and _hex64(m["sha256"])
        and type(m["media_type"]) is str
    )


def _signer(s: Any) -> bool:
    return (
        type(s) is dict
        and s.keys() == SIGNER_KEYS
        and _hex64(s["key_id"])
        and _hex64(s["public_key"])
        and s["algorithm"] == "ed25519"
        and type(s["key_file"]) is str
    )


def fits(obj: Any) -> bool:
    """True iff ``PackManifest.model_validate(obj)`` would succeed and the major version is known."""
    if not (type(obj) is dict and obj.keys() == TOP_KEYS):
        return False
    version, members, signers, created = obj["format_version"], obj["members"], obj["signers"], obj["created"]
    return (
        obj["format"] == "glyphserpack"
        and obj["root_hash_tag"] == bag.ROOT_TAG
        and type(version) is list
        and len(version) == 2
        and all(_u64(v) for v in version)
        and version[0] == bag.FORMAT_MAJOR
        and type(created) is str
        and _UTC_TIME.fullmatch(created) is not None
        and type(members) is list
        and all(_member(m) for m in members)
        and type(signers) is list
        and all(_signer(s) for s in signers)
    )
