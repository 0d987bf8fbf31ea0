"""Opening a pack for random access: manifest, root hash, members, attachments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import cbor2

from glyphserpack import canonical
from glyphserpack._internal.pack import bag, manifest_check
from glyphserpack._internal.pack.frames import TrailerProblem
from glyphserpack._internal.pack.reader import FrameDamage, Limits, RawPack
from glyphserpack._internal.pack.tarfmt import HeaderProblem, member_header
from glyphserpack.errors import CanonicalError, DigestMismatch, PackError

__all__ = ["MemberInfo", "PackReader", "check_manifest", "decode_manifest", "open_pack", "tail_files"]

MANIFEST_LIMIT = 64 * 1024 * 1024
TAIL_LIMIT = 256 * 1024 * 1024
_INT_MIN, _INT_MAX = -(2**64), 2**64 - 1


@dataclass(frozen=True)
class MemberInfo:
    """One member as ``ls`` shows it; ``sha256`` and ``media_type`` only for signed members."""

    name: str
    size: int
    covered: bool
    sha256: str | None = None
    media_type: str | None = None

    def to_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {"name": self.name, "size": self.size, "signed": self.covered}
        if self.sha256 is not None:
            obj["sha256"] = self.sha256
        if self.media_type is not None:
            obj["media_type"] = self.media_type
        return obj


def check_manifest(obj: Any, where: str) -> dict[str, Any]:
    """Schema of the signed manifest (FORMAT.md §5.3): :class:`~glyphserpack.pack.manifest.PackManifest`.

    Returns ``obj`` itself when it fits the model. The pydantic-free :func:`manifest_check.fits`
    answers that for every good manifest (importing pydantic would cost more than a whole
    single-member extract); one that does not fit goes to the model, whose error names the field.
    """
    manifest_check.check_version(obj, where)
    if not manifest_check.fits(obj):
        from glyphserpack.pack.manifest import PackManifest

        PackManifest.from_obj(obj, where)  # raises, naming the field
    assert isinstance(obj, dict)
    return obj


def decode_manifest(data: bytes, where: str) -> dict[str, Any]:
    """The signed manifest from its bytes: strictly canonical, schema-checked (FORMAT.md §5.3).

    The strict pure-Python decoder in :mod:`glyphserpack.canonical` needs ~45 ms for the
    manifest of a 1 GB pack of 6,500 files, a quarter of the `extract MEMBER` budget. So the
    C decoder of ``cbor2`` goes first, and its result is accepted only if it passes the schema,
    holds nothing but text-keyed maps, lists, text and 64-bit integers, every map's keys come
    in canonical order, and cbor2 re-encodes it to exactly ``data``. For such values cbor2
    writes what CONTRACTS.md §1 prescribes (shortest heads, definite lengths, keys in the
    order given), so ``data`` is then the canonical encoding of the object, i.e. what the
    strict decoder would return. Anything else (floats, tags, trailing bytes, duplicate or
    unsorted keys, ...) goes to the strict decoder, whose verdicts and messages are unchanged.
    """
    try:
        fast = cbor2.loads(data)
        checked = check_manifest(fast, where)
    except Exception:  # noqa: BLE001 - cbor2 raises several types on garbage; strict path decides
        checked = None
    if checked is not None and _plain(checked) and cbor2.dumps(checked) == data:
        return checked
    try:
        obj = canonical.loads(data)
    except CanonicalError as exc:
        raise PackError(f"{where}: manifest.cbor is not canonical CBOR ({exc.message})", code="GSP-E112") from None
    return check_manifest(obj, where)


def _canonical_order(keys: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(keys, key=lambda k: (len(k.encode()), k.encode())))


_TOP_ORDER = _canonical_order(manifest_check.TOP_KEYS)
_MEMBER_ORDER = _canonical_order(manifest_check.MEMBER_KEYS)
_SIGNER_ORDER = _canonical_order(manifest_check.SIGNER_KEYS)


def _plain(manifest: dict[str, Any]) -> bool:
    """What :func:`check_manifest` leaves open: media types text, integers 64-bit, key order."""
    return (
        tuple(manifest) == _TOP_ORDER
        and all(_INT_MIN <= v <= _INT_MAX for v in manifest["format_version"])
        and all(tuple(s) == _SIGNER_ORDER for s in manifest["signers"])
        and all(
            tuple(m) == _MEMBER_ORDER and type(m["media_type"]) is str and _INT_MIN <= m["size"] <= _INT_MAX
            for m in manifest["members"]
        )
    )


def tail_files(raw: RawPack) -> tuple[dict[str, bytes], int]:
    """All tag files of the tail (hash-checked frames) and the members' mtime."""
    index = raw.index
    tail_start = index.frames[index.tail_frame].d_offset
    files: dict[str, bytes] = {}
    total = 0
    mtime = 0
    for m in index.members:
        if m.header_offset < tail_start:
            continue
        total += m.size
        if total > TAIL_LIMIT:
            raise PackError(f"pack {raw.path.name}: tag files exceed {TAIL_LIMIT} bytes")
        files[m.name] = _read(raw, m.name)
        mtime = _mtime(raw, m.name)
    return files, mtime


def _read(raw: RawPack, name: str) -> bytes:
    m = raw.index.member(name)
    if m is None:
        raise PackError(f"pack {raw.path.name}: no member {name!r}")
    try:
        header = raw.read_range(m.header_offset, m.data_offset - m.header_offset)
        data = raw.read_range(m.data_offset, m.size)
    except FrameDamage as exc:
        where = f"pack {raw.path.name}: member {name!r}"
        raise PackError(f"{where} lies in damaged frame {exc.index} ({exc.detail})") from None
    try:
        mtime = int(header[-512 + 136 : -512 + 147], 8)
    except ValueError:
        mtime = -1
    if mtime < 0 or header != member_header(name, m.size, mtime):
        raise PackError(f"pack {raw.path.name}: header of member {name!r} does not match the index")
    return data


def _mtime(raw: RawPack, name: str) -> int:
    m = raw.index.member(name)
    assert m is not None
    header = raw.read_range(m.data_offset - 512, 512)
    try:
        return int(header[136:147], 8)
    except ValueError:
        raise PackError(f"pack {raw.path.name}: header of member {name!r} has no valid mtime") from None


class PackReader:
    """An open pack: signed manifest, root hash, members and attachments, read on demand."""

    def __init__(self, path: Path, *, limits: Limits | None = None) -> None:
        try:
            # Random access trusts the index only as far as every frame read is hash-checked;
            # full canonical re-encoding of the index is left to verify().
            self._raw = RawPack(path, limits=limits, strict=False)
        except TrailerProblem as exc:
            raise PackError(f"pack {path.name}: {exc.detail}", code=exc.code) from None
        try:
            data = _read(self._raw, "manifest.cbor")
            if len(data) > MANIFEST_LIMIT:
                raise PackError(f"pack {path.name}: manifest.cbor is over {MANIFEST_LIMIT} bytes")
            self.manifest: dict[str, Any] = decode_manifest(data, f"pack {path.name}")
        except (PackError, HeaderProblem):
            self._raw.close()
            raise
        self.root_hash: bytes = bag.root_hash_of_bytes(data)
        self._signed = {m["name"]: m for m in self.manifest["members"]}
        self._names = frozenset(m.name for m in self._raw.index.members)

    @property
    def path(self) -> Path:
        return self._raw.path

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> PackReader:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def members(self) -> list[MemberInfo]:
        """Every member in stream order, with its signed hash where the manifest covers it."""
        out = []
        for m in self._raw.index.members:
            s = self._signed.get(m.name)
            out.append(
                MemberInfo(m.name, m.size, s is not None, s["sha256"] if s else None, s["media_type"] if s else None)
            )
        return out

    def has_member(self, name: str) -> bool:
        """Whether the stream holds a member called ``name`` (signed or not)."""
        return name in self._names

    def read_member(self, name: str) -> bytes:
        """Member content; for signed members the SHA-256 and size are checked against the manifest."""
        data = _read(self._raw, name)
        signed = self._signed.get(name)
        if signed is not None and (len(data) != signed["size"] or hashlib.sha256(data).hexdigest() != signed["sha256"]):
            raise DigestMismatch(f"pack {self.path.name}: member {name!r} does not match its manifest entry")
        return data

    def attachments(self) -> dict[str, bytes]:
        """Unsigned members under ``timestamps/`` and ``proofs/`` (not covered by the root hash)."""
        return {
            m.name: _read(self._raw, m.name)
            for m in self._raw.index.members
            if m.name.startswith(bag.ATTACHMENT_PREFIXES)
        }


def open_pack(path: Path, *, limits: Limits | None = None) -> PackReader:
    """Open ``path`` for random access; raises :class:`PackError` if it is not a readable pack."""
    return PackReader(Path(path), limits=limits)
