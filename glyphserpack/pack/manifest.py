"""The signed pack manifest (FORMAT.md §5.3) as a typed record, and its published JSON Schema.

``manifest.cbor`` is the canonical CBOR of :meth:`PackManifest.to_obj`; ``manifest.json`` is
its JSON mirror. The packer builds the manifest through :meth:`PackManifest.build` and every
reader checks what it decoded with :meth:`PackManifest.from_obj`, so the shape is written down
once. ``archive/manifest.schema.json`` is :func:`manifest_schema` (a test keeps the two equal;
``python archive/regenerate_schema.py`` rewrites it).

The model is exactly what format 1 encodes: no optional fields, no defaults, no coercion
(strict mode), unknown fields refused, so ``to_obj`` of a parsed manifest re-encodes to the
very bytes it came from. A manifest that does not fit is a :class:`PackError` naming the field
(``members[3].sha256``), never a pydantic traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from glyphserpack._internal.pack import bag
from glyphserpack._internal.pack.manifest_check import HEX64_PATTERN, U64_MAX, UTC_TIME_PATTERN, check_version
from glyphserpack._internal.validation import first_error
from glyphserpack.errors import PackError

__all__ = ["SCHEMA_ID", "ManifestMember", "ManifestSigner", "PackManifest", "manifest_schema"]

SCHEMA_ID = "https://glyphser.dev/schemas/glyphserpack/pack-manifest-v1.json"

Hex64 = Annotated[str, StringConstraints(pattern=HEX64_PATTERN)]
UtcTime = Annotated[str, StringConstraints(pattern=UTC_TIME_PATTERN)]
U64 = Annotated[int, Field(ge=0, le=U64_MAX)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ManifestMember(_Record):
    """One member the root hash covers (FORMAT.md §5.3: every member but the uncovered ones)."""

    name: str = Field(description="member name in the tar stream (FORMAT.md §2), e.g. data/report.json")
    size: U64 = Field(description="content size in bytes")
    sha256: Hex64 = Field(description="lower-case hex SHA-256 of the member's content")
    media_type: str = Field(description="from the fixed extension table of FORMAT.md §5.3")


class ManifestSigner(_Record):
    """A key that signed the root hash; its signature is ``signatures/<key_id>.sig``."""

    key_id: Hex64 = Field(description="lower-case hex SHA-256 of the raw 32-byte Ed25519 public key")
    public_key: Hex64 = Field(description="lower-case hex of the raw 32-byte Ed25519 public key")
    algorithm: Literal["ed25519"]
    key_file: str = Field(description="keys/<key_id>.pem: the same key as PEM SubjectPublicKeyInfo")


class PackManifest(_Record):
    """``manifest.cbor``: what the root hash ``CommitHash("glyphserpack.manifest.v1", manifest)`` commits to."""

    format: Literal["glyphserpack"]
    format_version: Annotated[list[U64], Field(min_length=2, max_length=2)] = Field(
        description="[major, minor]; readers refuse an unknown major and accept any minor of a known one"
    )
    created: UtcTime = Field(description="pack creation time, YYYY-MM-DDTHH:MM:SSZ; signatures are judged at it")
    root_hash_tag: Literal["glyphserpack.manifest.v1"]
    members: list[ManifestMember] = Field(description="sorted by name")
    signers: list[ManifestSigner] = Field(description="sorted by key_id; empty for an unsigned pack")

    @classmethod
    def build(
        cls, created: str, members: Iterable[Mapping[str, Any]], signers: Iterable[Mapping[str, Any]]
    ) -> PackManifest:
        """The manifest a packer writes: this format version, members and signers sorted."""
        obj = {
            "format": "glyphserpack",
            "format_version": [bag.FORMAT_MAJOR, bag.FORMAT_MINOR],
            "created": created,
            "root_hash_tag": bag.ROOT_TAG,
            "members": [dict(m) for m in members],
            "signers": [dict(s) for s in signers],
        }
        try:
            given = cls.model_validate(obj)
        except ValidationError as exc:
            raise PackError(f"cannot write the manifest: {first_error(exc)}") from None
        return given.model_copy(
            update={
                "members": sorted(given.members, key=lambda m: m.name),
                "signers": sorted(given.signers, key=lambda s: s.key_id),
            }
        )

    @classmethod
    def from_obj(cls, obj: Any, where: str) -> PackManifest:
        """Check a decoded ``manifest.cbor`` (FORMAT.md §7 step 6); :class:`PackError` names what is wrong.

        The version comes first: an unknown major is refused as such (whatever else it holds),
        because a later format may have other fields.
        """
        check_version(obj, where)
        try:
            return cls.model_validate(obj)
        except ValidationError as exc:
            err = exc.errors()[0]
            top_level = len(err["loc"]) == 1
            if (top_level and err["type"] in ("extra_forbidden", "missing")) or err["loc"][:1] in _IDENTITY:
                raise PackError(
                    f"{where}: manifest fields are not those of format {bag.FORMAT_MAJOR} ({first_error(exc)})",
                    code="GSP-E112",
                ) from None
            raise PackError(f"{where}: manifest {first_error(exc)}", code="GSP-E112") from None

    def to_obj(self) -> dict[str, Any]:
        """The plain map that is encoded as ``manifest.cbor`` (and mirrored as ``manifest.json``)."""
        return self.model_dump()


#: top-level fields whose value names the format itself
_IDENTITY = frozenset({("format",), ("root_hash_tag",)})


def manifest_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of ``manifest.json`` (and of ``manifest.cbor`` decoded), from the model."""
    schema = PackManifest.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }
