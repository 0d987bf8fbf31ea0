"""Canonical CBOR profile (CONTRACTS.md §1): every rule, golden vectors, and properties."""

from __future__ import annotations

import hashlib
import json
import math
import struct
from pathlib import Path
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glyphserpack import canonical
from glyphserpack.errors import CanonicalError

VECTORS = json.loads((Path(__file__).parent / "assets" / "canonical_vectors.json").read_text())["vectors"]


def untag(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$float"}:
        return struct.unpack(">d", bytes.fromhex(value["$float"]))[0]
    if isinstance(value, dict) and set(value) == {"$bytes"}:
        return bytes.fromhex(value["$bytes"])
    if isinstance(value, dict):
        return {k: untag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [untag(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to NaN and tells -0.0 from 0.0."""
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack(">d", a) == struct.pack(">d", b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("vec", VECTORS, ids=[v["name"] for v in VECTORS])
def test_golden_vector(vec: dict[str, Any]) -> None:
    value = untag(vec["value"])
    data = canonical.dumps(value)
    assert data.hex() == vec["cbor"]
    assert same(canonical.loads(data), value)
    assert canonical.object_digest(value).hex() == vec["object_digest"]
    assert canonical.commit_hash("t", value).hex() == vec["commit_hash_tag_t"]


def test_contract_integer_examples() -> None:
    examples = {0: "00", 23: "17", 24: "1818", 255: "18ff", 256: "190100", -1: "20", -24: "37", -25: "3818"}
    for value, expected in examples.items():
        assert canonical.dumps(value).hex() == expected


def test_commit_hash_keeps_array_nested() -> None:
    x = [1, 2]
    assert (
        canonical.commit_hash("tag", x) == hashlib.sha256(bytes.fromhex("82") + b"\x63tag" + b"\x82\x01\x02").digest()
    )
    assert canonical.commit_hash("tag", x) != hashlib.sha256(canonical.dumps(["tag", 1, 2])).digest()


def test_commit_hash_requires_tag() -> None:
    with pytest.raises(CanonicalError):
        canonical.commit_hash("", {})


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({1: "a"}, "text keys only"),
        ({b"k": 1}, "text keys only"),
        (2**64, "bignum"),
        (-(2**64) - 1, "bignum"),
        ("\ud800", "UTF-8"),
        ({1.5}, "set"),
        (object(), "outside the canonical CBOR profile"),
        (struct.unpack(">d", bytes.fromhex("7ff8000000000001"))[0], "non-canonical NaN"),
        (struct.unpack(">d", bytes.fromhex("fff8000000000000"))[0], "non-canonical NaN"),
    ],
)
def test_encoder_rejects(value: object, fragment: str) -> None:
    with pytest.raises(CanonicalError, match=fragment):
        canonical.dumps(value)


def test_encoder_rejects_duplicate_keys_from_custom_mapping() -> None:
    class Dup(dict[str, int]):
        def items(self) -> Any:  # a mapping that yields the same key twice
            return [("a", 1), ("a", 2)]

    with pytest.raises(CanonicalError, match="duplicate map key 'a'"):
        canonical.dumps(Dup())


def test_encoder_error_names_path() -> None:
    with pytest.raises(CanonicalError, match=r"\$\.outer\[1\]"):
        canonical.dumps({"outer": [1, object()]})


@pytest.mark.parametrize(
    ("hex_data", "fragment"),
    [
        ("", "empty input"),
        ("1817", "shortest form"),  # 23 written with a one-byte argument
        ("190017", "shortest form"),
        ("5f4101ff", "indefinite-length"),
        ("9f01ff", "indefinite-length"),
        ("bf616101ff", "indefinite-length"),
        ("a2616201616102", "out of canonical order"),
        ("a2616101616102", "duplicate map key"),
        ("a10101", "not a text string"),
        ("62c328", "not valid UTF-8"),
        ("c11a514b67b0", "tag 1"),
        ("c249010000000000000000", "tag 2"),
        ("f93c00", "half/single"),
        ("fa3fc00000", "half/single"),
        ("fb7ff8000000000001", "non-canonical NaN"),
        ("f7", "simple value 23"),
        ("f820", "simple value 32"),
        ("0000", "trailing"),
        ("6461", "truncated"),
        ("9bffffffffffffffff", "array claims"),
        ("1c", "reserved"),
    ],
)
def test_decoder_rejects(hex_data: str, fragment: str) -> None:
    with pytest.raises(CanonicalError, match=fragment):
        canonical.loads(bytes.fromhex(hex_data))


def test_decoder_depth_is_bounded() -> None:
    data = b"\x81" * 10_000 + b"\x00"
    with pytest.raises(CanonicalError, match="nesting deeper"):
        canonical.loads(data)


def test_validate_reports_all_errors_sorted() -> None:
    ok = canonical.validate({"a": 1}, canonical.dumps({"a": 1}))
    assert ok == {"valid": True, "errors": []}
    bad = canonical.validate({"a": 1}, bytes.fromhex("a1616118010000"))
    assert bad["valid"] is False
    assert bad["errors"] == sorted(bad["errors"])
    assert any("shortest form" in e for e in bad["errors"])
    assert any("differ" in e for e in bad["errors"])
    wrong_obj = canonical.validate({1: 1}, canonical.dumps({"a": 1}))
    assert wrong_obj["valid"] is False
    assert wrong_obj["errors"][0].startswith("object:")


# ---- properties -------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.just(math.nan)
    | st.text()
    | st.binary()
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_roundtrip_is_identity(value: Any) -> None:
    data = canonical.dumps(value)
    back = canonical.loads(data)
    assert same(back, value)
    assert canonical.dumps(back) == data


@settings(max_examples=300, deadline=None)
@given(values)
def test_cbor2_reads_what_we_write(value: Any) -> None:
    """cbor2 is an independent decoder: it must read our bytes as the same value."""
    assert same(cbor2.loads(canonical.dumps(value)), value)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=10), st.integers(min_value=-(2**63), max_value=2**63), max_size=8))
def test_map_order_matches_encoded_key_order(value: dict[str, int]) -> None:
    data = canonical.dumps(value)
    decoded = canonical.loads(data)
    keys = [canonical.dumps(k) for k in decoded]
    assert keys == sorted(keys)


@settings(max_examples=300, deadline=None)
@given(values, st.data())
def test_any_single_byte_change_is_rejected_or_changes_value(value: Any, data: st.DataObject) -> None:
    """Canonical means one encoding per value: a mutated encoding never decodes to the same value."""
    encoded = bytearray(canonical.dumps(value))
    i = data.draw(st.integers(min_value=0, max_value=len(encoded) - 1))
    encoded[i] ^= data.draw(st.integers(min_value=1, max_value=255))
    try:
        decoded = canonical.loads(bytes(encoded))
    except CanonicalError:
        return
    assert not same(decoded, value)


@settings(max_examples=200, deadline=None)
@given(values)
def test_cbor2_noncanonical_forms_are_rejected(value: Any) -> None:
    """What cbor2 writes in non-canonical mode is accepted only if it happens to be canonical."""
    other = cbor2.dumps(value)
    try:
        canonical.loads(other)
    except CanonicalError:
        return
    assert other == canonical.dumps(value)
