"""The fast manifest decoder accepts exactly what the strict canonical decoder accepts."""

from __future__ import annotations

import hashlib
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glyphserpack import canonical
from glyphserpack._internal.pack import bag
from glyphserpack.errors import CanonicalError, GlyphserpackError, PackError
from glyphserpack.pack.read import check_manifest, decode_manifest


def _manifest(members: list[dict[str, Any]], signers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "format": "glyphserpack",
        "format_version": [bag.FORMAT_MAJOR, bag.FORMAT_MINOR],
        "created": "2026-03-01T12:00:00Z",
        "root_hash_tag": bag.ROOT_TAG,
        "members": members,
        "signers": signers or [],
    }


def _member(name: str = "data/a.txt", size: Any = 3, media_type: Any = "text/plain") -> dict[str, Any]:
    return {"name": name, "size": size, "sha256": hashlib.sha256(name.encode()).hexdigest(), "media_type": media_type}


def _strict(data: bytes) -> dict[str, Any] | str:
    """What PackReader did before the fast path: strict decode, then the schema."""
    try:
        obj = canonical.loads(data)
    except CanonicalError as exc:
        return f"PackError: m: manifest.cbor is not canonical CBOR ({exc.message})"
    try:
        return check_manifest(obj, "m")
    except GlyphserpackError as exc:
        return f"{type(exc).__name__}: {exc.message}"


def _fast(data: bytes) -> dict[str, Any] | str:
    try:
        return decode_manifest(data, "m")
    except GlyphserpackError as exc:
        return f"{type(exc).__name__}: {exc.message}"


def test_canonical_manifest_decodes_to_the_same_object() -> None:
    obj = _manifest([_member("data/a.txt"), _member("data/b.bin", 2**64 - 1, "application/octet-stream")])
    data = canonical.dumps(obj)
    assert decode_manifest(data, "m") == obj == canonical.loads(data)


def test_canonical_but_mistyped_manifest_is_refused_on_both_paths() -> None:
    """Canonical CBOR, but not a §5.3 manifest: the model (not the decoder) names the field."""
    data = canonical.dumps(_manifest([_member(media_type=b"x")]))
    with pytest.raises(PackError, match=r"m: manifest members\[0\]\.media_type: Input should be a valid string"):
        decode_manifest(data, "m")
    assert _fast(data) == _strict(data)


def _reordered(obj: dict[str, Any]) -> dict[str, Any]:
    return dict(reversed(list(obj.items())))


# Each is accepted by cbor2 but is not canonical CBOR under CONTRACTS.md §1 (or not a manifest).
NON_CANONICAL: dict[str, bytes] = {
    "half-float media type": cbor2.dumps(_manifest([_member(media_type=1.5)]), canonical=True),
    "bignum size": cbor2.dumps(_manifest([_member(size=2**64)]), canonical=True),
    "unsorted keys": cbor2.dumps(_reordered(_manifest([_member()]))),
    "unsorted member keys": cbor2.dumps(_manifest([_reordered(_member())])),
    "trailing byte": canonical.dumps(_manifest([_member()])) + b"\x00",
    "tagged text": canonical.dumps(_manifest([_member()])).replace(b"\x66format", b"\xd8\x20\x66format", 1),
    "non-shortest int": canonical.dumps(_manifest([_member(size=3)])).replace(b"\x64size\x03", b"\x64size\x18\x03"),
    "indefinite array": canonical.dumps(_manifest([])).replace(b"\x67members\x80", b"\x67members\x9f\xff"),
}


@pytest.mark.parametrize("label", sorted(NON_CANONICAL))
def test_non_canonical_manifests_are_refused_like_the_strict_decoder(label: str) -> None:
    data = NON_CANONICAL[label]
    assert cbor2.loads(data) is not None  # cbor2 alone would have taken it
    with pytest.raises(PackError, match="not canonical CBOR"):
        decode_manifest(data, "m")
    assert _fast(data) == _strict(data)


def test_duplicate_key_is_refused() -> None:
    good = canonical.dumps(_manifest([_member()]))
    # Rename "created" to "members" (same length) so the map holds "members" twice.
    data = good.replace(b"\x67created", b"\x67members", 1)
    assert _fast(data) == _strict(data)
    assert isinstance(_fast(data), str)
    assert "not canonical CBOR" in str(_fast(data))


_text = st.text(st.characters(codec="utf-8"), max_size=12)
_ints = st.one_of(st.integers(min_value=-(2**64), max_value=2**64 - 1), st.integers(), st.booleans())
_leaf = st.one_of(_text, _ints, st.floats(width=16), st.floats(), st.binary(max_size=4), st.none())


@st.composite
def _manifests(draw: st.DrawFn) -> bytes:
    members = [
        {
            "name": draw(_text),
            "size": draw(_ints),
            "sha256": draw(st.one_of(st.just("ab" * 32), _text)),
            "media_type": draw(st.one_of(_text, _leaf)),
        }
        for _ in range(draw(st.integers(0, 3)))
    ]
    signer = {"key_id": "k", "public_key": "00", "algorithm": "ed25519", "key_file": "keys/k.pem"}
    obj = _manifest(members, [signer] * draw(st.integers(0, 2)))
    if draw(st.booleans()):
        obj = _reordered(obj)
    data = cbor2.dumps(obj, canonical=draw(st.booleans()))
    if draw(st.booleans()) and data:
        # One corrupted byte: flipped, dropped or appended.
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "drop", "append"]))
        b = draw(st.integers(0, 255))
        data = {"flip": data[:i] + bytes([b]) + data[i + 1 :], "drop": data[:i] + data[i + 1 :]}.get(
            op, data + bytes([b])
        )
    return data


@settings(max_examples=300, deadline=None)
@given(_manifests())
def test_fast_decoder_agrees_with_strict_decoder(data: bytes) -> None:
    assert _fast(data) == _strict(data)
