"""Canonical CBOR: the byte-exact encoding every hash and signature is computed over.

The profile is the one in CONTRACTS.md §1. It is RFC 8949 deterministic encoding with two
deliberate departures that common libraries get "wrong" for us: every float is binary64
(cbor2's canonical mode shortens floats to half/single) and map keys must be text. Because a
third party must recompute our hashes byte for byte, the encoder and the strict decoder are
written out here rather than delegated; cbor2 serves the tests as an independent cross-check.

Supported value types: ``None``, ``bool``, ``int`` (64-bit range), ``float``, ``str``,
``bytes``, ``list``/``tuple`` and ``dict`` with ``str`` keys. Everything else is rejected.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from glyphserpack.errors import CanonicalError

__all__ = [
    "ValidationResult",
    "commit_hash",
    "dumps",
    "dumps_flat",
    "loads",
    "loads_flat",
    "object_digest",
    "validate",
]

_MAX_DEPTH = 256
_UINT64_MAX = 2**64 - 1
_CANONICAL_NAN = b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00"

# Major types.
_UINT, _NINT, _BYTES, _TEXT, _ARRAY, _MAP, _TAG, _SIMPLE = range(8)


class ValidationResult(TypedDict):
    """Outcome of :func:`validate`: errors are sorted so the result itself is deterministic."""

    valid: bool
    errors: list[str]


def _head(major: int, value: int) -> bytes:
    """Shortest-form head for a major type and argument (RFC 8949 §4.2.1)."""
    mt = major << 5
    if value < 24:
        return bytes((mt | value,))
    if value <= 0xFF:
        return bytes((mt | 24, value))
    if value <= 0xFFFF:
        return bytes((mt | 25,)) + value.to_bytes(2, "big")
    if value <= 0xFFFFFFFF:
        return bytes((mt | 26,)) + value.to_bytes(4, "big")
    return bytes((mt | 27,)) + value.to_bytes(8, "big")


def _encode(obj: object, out: list[bytes], path: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise CanonicalError(f"{path}: nesting deeper than {_MAX_DEPTH} levels")
    # bool before int: bool is a subclass of int in Python.
    if obj is None:
        out.append(b"\xf6")
    elif obj is True:
        out.append(b"\xf5")
    elif obj is False:
        out.append(b"\xf4")
    elif type(obj) is int:
        if obj >= 0:
            if obj > _UINT64_MAX:
                raise CanonicalError(f"{path}: integer {obj} needs a bignum, which the profile rejects")
            out.append(_head(_UINT, obj))
        else:
            n = -1 - obj
            if n > _UINT64_MAX:
                raise CanonicalError(f"{path}: integer {obj} needs a bignum, which the profile rejects")
            out.append(_head(_NINT, n))
    elif type(obj) is float:
        encoded = b"\xfb" + struct.pack(">d", obj)
        if math.isnan(obj) and encoded != _CANONICAL_NAN:
            # A NaN with a sign bit or payload would hash differently from the one NaN the
            # profile allows; silently rewriting it would change what the caller meant.
            raise CanonicalError(f"{path}: non-canonical NaN {encoded[1:].hex()} (only 7ff8000000000000 is allowed)")
        out.append(encoded)
    elif type(obj) is str:
        try:
            raw = obj.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise CanonicalError(f"{path}: text is not valid UTF-8 (lone surrogate at index {exc.start})") from None
        out.append(_head(_TEXT, len(raw)))
        out.append(raw)
    elif type(obj) is bytes or type(obj) is bytearray or type(obj) is memoryview:
        raw = bytes(obj)
        out.append(_head(_BYTES, len(raw)))
        out.append(raw)
    elif type(obj) is list or type(obj) is tuple:
        seq: Sequence[object] = obj
        out.append(_head(_ARRAY, len(seq)))
        for i, item in enumerate(seq):
            _encode(item, out, f"{path}[{i}]", depth + 1)
    elif isinstance(obj, Mapping):
        items: list[tuple[bytes, object, str]] = []
        for key, value in obj.items():
            if type(key) is not str:
                raise CanonicalError(
                    f"{path}: map key {key!r} is {type(key).__name__}; the profile allows text keys only"
                )
            key_out: list[bytes] = []
            _encode(key, key_out, f"{path}.<key>", depth + 1)
            items.append((b"".join(key_out), value, key))
        items.sort(key=lambda t: t[0])
        for a, b in itertools.pairwise(items):
            if a[0] == b[0]:
                raise CanonicalError(f"{path}: duplicate map key {a[2]!r}")
        out.append(_head(_MAP, len(items)))
        for key_bytes, value, key in items:
            out.append(key_bytes)
            _encode(value, out, f"{path}.{key}", depth + 1)
    else:
        raise CanonicalError(
            f"{path}: {type(obj).__name__} is outside the canonical CBOR profile "
            "(allowed: null, bool, int, float, str, bytes, list, map with text keys)"
        )


class _Unusual(Exception):
    """The fast encoder met something it leaves to :func:`_encode` (an error, a non-dict map)."""


#: Encoded map keys and key orders, reused across calls: manifests and indexes repeat the
#: same few keys for every member. Bounded so arbitrary documents cannot grow them.
_KEY_BYTES: dict[str, bytes] = {}
_KEY_ORDER: dict[tuple[str, ...], list[tuple[bytes, str]]] = {}
_CACHE_MAX = 4096


def _sorted_keys(keys: tuple[str, ...]) -> list[tuple[bytes, str]]:
    order = _KEY_ORDER.get(keys)
    if order is None:
        pairs = []
        for key in keys:
            if type(key) is not str:
                raise _Unusual
            kb = _KEY_BYTES.get(key)
            if kb is None:
                try:
                    raw = key.encode("utf-8")
                except UnicodeEncodeError:
                    raise _Unusual from None
                kb = _head(_TEXT, len(raw)) + raw
                if len(_KEY_BYTES) < _CACHE_MAX:
                    _KEY_BYTES[key] = kb
            pairs.append((kb, key))
        order = sorted(pairs)
        if len(_KEY_ORDER) < _CACHE_MAX:
            _KEY_ORDER[keys] = order
    return order


def _encode_fast(obj: object, out: bytearray, depth: int) -> None:
    """:func:`_encode` for well-formed input without the error paths it builds per item (a
    million-member manifest spent most of its encoding time formatting paths it never
    printed). Anything it would reject, or a map that is not a ``dict``, raises
    :class:`_Unusual`, and :func:`dumps` starts over with :func:`_encode`, which says why."""
    if depth > _MAX_DEPTH:
        raise _Unusual
    t = type(obj)
    if t is str:
        try:
            raw = obj.encode("utf-8")  # type: ignore[attr-defined]
        except UnicodeEncodeError:
            raise _Unusual from None
        n = len(raw)
        out += bytes((0x60 | n,)) if n < 24 else _head(_TEXT, n)
        out += raw
    elif t is int:
        if 0 <= obj < 24:  # type: ignore[operator]
            out += bytes((obj,))  # type: ignore[arg-type]
        elif 0 <= obj <= _UINT64_MAX:  # type: ignore[operator]
            out += _head(_UINT, obj)  # type: ignore[arg-type]
        elif -_UINT64_MAX - 1 <= obj < 0:  # type: ignore[operator]
            out += _head(_NINT, -1 - obj)  # type: ignore[operator]
        else:
            raise _Unusual
    elif t is dict:
        d: dict[str, object] = obj  # type: ignore[assignment]
        out += _head(_MAP, len(d))
        for kb, key in _sorted_keys(tuple(d)):
            out += kb
            _encode_leaf(d[key], out, depth + 1)
    elif t is list or t is tuple:
        seq: Sequence[object] = obj  # type: ignore[assignment]
        out += _head(_ARRAY, len(seq))
        for item in seq:
            _encode_leaf(item, out, depth + 1)
    elif t is bytes:
        out += _head(_BYTES, len(obj))  # type: ignore[arg-type]
        out += obj  # type: ignore[arg-type]
    elif obj is None or obj is True or obj is False or t is float:
        scalar: list[bytes] = []
        _encode(obj, scalar, "$", depth)
        out += scalar[0]
    else:
        raise _Unusual


def _encode_leaf(obj: object, out: bytearray, depth: int) -> None:
    """:func:`_encode_fast` with the two commonest leaves (text, unsigned ints) handled
    without a further call."""
    t = type(obj)
    if depth > _MAX_DEPTH:
        raise _Unusual
    if t is str:
        try:
            raw = obj.encode("utf-8")  # type: ignore[attr-defined]
        except UnicodeEncodeError:
            raise _Unusual from None
        n = len(raw)
        out += bytes((0x60 | n,)) if n < 24 else _head(_TEXT, n)
        out += raw
    elif t is int and 0 <= obj <= _UINT64_MAX:  # type: ignore[operator]
        out += bytes((obj,)) if obj < 24 else _head(_UINT, obj)  # type: ignore[arg-type, operator]
    else:
        _encode_fast(obj, out, depth)


def dumps(obj: object) -> bytes:
    """Encode ``obj`` as canonical CBOR, or raise :class:`CanonicalError` naming the offending path."""
    # One growing buffer rather than a list of pieces: a million-member manifest as a list
    # of small bytes objects held several times its encoded size.
    buf = bytearray()
    try:
        _encode_fast(obj, buf, 0)
    except (_Unusual, CanonicalError):
        out: list[bytes] = []
        _encode(obj, out, "$", 0)
        return b"".join(out)
    return bytes(buf)


#: Heads for arguments below 256, per major type (the hot path of :func:`dumps_flat`).
_SHORT_HEADS = [[_head(major, n) for n in range(256)] for major in range(8)]
#: Key order (encoded key, key) of each map shape :func:`dumps_flat` has seen (bounded).
_FLAT_ORDERS: dict[tuple[object, ...], list[tuple[bytes, str]]] = {}


def dumps_flat(obj: Mapping[str, object]) -> bytes:
    """:func:`dumps` of a flat map (text keys; text, bytes or unsigned-int values), faster.

    Log entries are such maps and a log appends millions of them: the general encoder's
    recursion and error paths cost more than the bytes. Anything else falls back to
    :func:`dumps`, so the result is always exactly what :func:`dumps` returns.
    """
    shape = tuple(obj)
    order = _FLAT_ORDERS.get(shape)
    if order is None:
        if any(type(key) is not str for key in shape):
            return dumps(obj)
        try:
            order = sorted((_head(_TEXT, len(raw)) + raw, key) for key in shape for raw in (key.encode("utf-8"),))
        except UnicodeEncodeError:
            return dumps(obj)  # raises, naming the path
        if len(_FLAT_ORDERS) < 1024:  # entry shapes: a handful, seen millions of times
            _FLAT_ORDERS[shape] = order
    text, raw_bytes, uint = _SHORT_HEADS[_TEXT], _SHORT_HEADS[_BYTES], _SHORT_HEADS[_UINT]
    parts = [_head(_MAP, len(order))]
    try:
        for encoded_key, key in order:
            value = obj[key]
            parts.append(encoded_key)
            if type(value) is str:
                raw = value.encode("utf-8")
                n = len(raw)
                parts.append(text[n] if n < 256 else _head(_TEXT, n))
                parts.append(raw)
            elif type(value) is bytes:
                n = len(value)
                parts.append(raw_bytes[n] if n < 256 else _head(_BYTES, n))
                parts.append(value)
            elif type(value) is int and 0 <= value <= _UINT64_MAX:
                parts.append(uint[value] if value < 256 else _head(_UINT, value))
            else:
                return dumps(obj)
    except UnicodeEncodeError:
        return dumps(obj)  # raises, naming the path
    return b"".join(parts)


def _flat_arg(data: bytes, pos: int) -> tuple[int, int]:
    """The argument of the head at ``pos`` and where its content starts (ValueError if none)."""
    info = data[pos] & 0x1F
    if info < 24:
        return info, pos + 1
    if info > 27:
        raise ValueError("indefinite or reserved length")
    width = 1 << (info - 24)
    if pos + 1 + width > len(data):
        raise ValueError("truncated head")
    return int.from_bytes(data[pos + 1 : pos + 1 + width], "big"), pos + 1 + width


def loads_flat(data: bytes) -> dict[str, object] | None:
    """Read a map of the shape :func:`dumps_flat` writes, or return None for anything else.

    Lenient on purpose: it does not check that ``data`` is canonical. It is only for callers
    that re-encode the result and compare it with ``data`` (log entries, millions of them,
    where the strict decoder's cost dominates an audit); on any mismatch they must fall back
    to :func:`loads`, whose errors name the problem.
    """
    try:
        if not data or data[0] >> 5 != _MAP:
            return None
        count, pos = _flat_arg(data, 0)
        out: dict[str, object] = {}
        for _ in range(count):
            if data[pos] >> 5 != _TEXT:
                return None
            n, pos = _flat_arg(data, pos)
            key = data[pos : pos + n].decode("utf-8")
            pos += n
            major = data[pos] >> 5
            arg, pos = _flat_arg(data, pos)
            if major == _UINT:
                out[key] = arg
            elif major == _TEXT:
                out[key] = data[pos : pos + arg].decode("utf-8")
                pos += arg
            elif major == _BYTES:
                out[key] = data[pos : pos + arg]
                pos += arg
            else:
                return None
    except (IndexError, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return out if pos == len(data) else None


class _Decoder:
    """Strict decoder: any byte sequence that :func:`dumps` would not produce is rejected."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def fail(self, at: int, msg: str) -> CanonicalError:
        return CanonicalError(f"offset {at}: {msg}")

    def take(self, n: int, at: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise self.fail(at, f"truncated: need {n} bytes, {len(self.data) - self.pos} left")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def head(self) -> tuple[int, int, int, int]:
        at = self.pos
        ib = self.take(1, at)[0]
        major, info = ib >> 5, ib & 0x1F
        if info < 24:
            return at, major, info, info
        if info == 31:
            raise self.fail(at, "indefinite-length item (the profile requires definite lengths)")
        if info > 27:
            raise self.fail(at, f"reserved additional information {info}")
        size = 1 << (info - 24)
        value = int.from_bytes(self.take(size, at), "big")
        if major == _SIMPLE:
            return at, major, info, value
        shortest = {24: 24, 25: 0x100, 26: 0x10000, 27: 0x100000000}[info]
        if value < shortest:
            raise self.fail(at, f"argument {value} not in shortest form")
        return at, major, info, value

    def item(self, depth: int) -> object:
        if depth > _MAX_DEPTH:
            raise self.fail(self.pos, f"nesting deeper than {_MAX_DEPTH} levels")
        at, major, info, value = self.head()
        if major == _UINT:
            return value
        if major == _NINT:
            return -1 - value
        if major == _BYTES:
            return self.take(value, at)
        if major == _TEXT:
            raw = self.take(value, at)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise self.fail(at, "text string is not valid UTF-8") from None
        if major == _ARRAY:
            # Bound the claimed length by the bytes left: every element needs at least one.
            if value > len(self.data) - self.pos:
                raise self.fail(at, f"array claims {value} items but only {len(self.data) - self.pos} bytes remain")
            return [self.item(depth + 1) for _ in range(value)]
        if major == _MAP:
            if value * 2 > len(self.data) - self.pos:
                raise self.fail(at, f"map claims {value} pairs but only {len(self.data) - self.pos} bytes remain")
            result: dict[str, object] = {}
            prev: bytes | None = None
            for _ in range(value):
                key_at = self.pos
                key = self.item(depth + 1)
                if type(key) is not str:
                    raise self.fail(key_at, "map key is not a text string")
                key_bytes = self.data[key_at : self.pos]
                if prev is not None:
                    if key_bytes == prev:
                        raise self.fail(key_at, f"duplicate map key {key!r}")
                    if key_bytes < prev:
                        raise self.fail(key_at, f"map key {key!r} out of canonical order")
                prev = key_bytes
                result[key] = self.item(depth + 1)
            return result
        if major == _TAG:
            raise self.fail(at, f"tag {value} (tags are outside the profile)")
        # Major type 7: simple values and floats.
        if info == 20:
            return False
        if info == 21:
            return True
        if info == 22:
            return None
        if info == 27:
            raw = self.data[at + 1 : at + 9]
            f: float = struct.unpack(">d", raw)[0]
            if math.isnan(f) and self.data[at : at + 9] != _CANONICAL_NAN:
                raise self.fail(at, "non-canonical NaN (only 7ff8000000000000 is allowed)")
            return f
        if info in (25, 26):
            raise self.fail(at, "half/single-precision float (the profile requires binary64)")
        raise self.fail(at, f"simple value {value} is outside the profile")


_NO_VALUE = object()


def _loads_fast(data: bytes) -> Any:
    """Decode with cbor2's C decoder and accept the result only if :func:`dumps` gives back
    exactly ``data``: then ``data`` is the canonical encoding of what was decoded, which is
    what the strict decoder would have returned. Anything else (a tag, a short float, a
    duplicate key, garbage) returns ``_NO_VALUE`` and the strict decoder says what is wrong.
    Large manifests decode several times faster this way."""
    if len(data) < 4096:
        return _NO_VALUE  # small documents: the strict decoder is as fast
    import cbor2  # late: most callers decode small documents

    try:
        obj = cbor2.loads(data)
        same = dumps(obj) == data
    except Exception:  # noqa: BLE001 - cbor2 raises many unrelated types on garbage; decided below
        same = False
    return obj if same else _NO_VALUE


def loads(data: bytes) -> Any:
    """Decode canonical CBOR; anything :func:`dumps` would not have produced is rejected."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CanonicalError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    fast = _loads_fast(data)
    if fast is not _NO_VALUE:
        return fast
    dec = _Decoder(data)
    if not dec.data:
        raise CanonicalError("offset 0: empty input")
    obj = dec.item(0)
    if dec.pos != len(dec.data):
        raise CanonicalError(f"offset {dec.pos}: {len(dec.data) - dec.pos} trailing bytes after the item")
    return obj


def validate(obj: object, data: bytes) -> ValidationResult:
    """Check that ``data`` is the canonical encoding of ``obj``.

    Every problem found is returned (sorted), not just the first, so a report can show all.
    """
    errors: list[str] = []
    expected: bytes | None = None
    try:
        expected = dumps(obj)
    except CanonicalError as exc:
        errors.append(f"object: {exc}")
    try:
        loads(data)
    except CanonicalError as exc:
        errors.append(f"bytes: {exc}")
    if expected is not None and expected != bytes(data):
        offset = next(
            (i for i, (a, b) in enumerate(zip(expected, data, strict=False)) if a != b),
            min(len(expected), len(data)),
        )
        errors.append(f"bytes: differ from the canonical encoding of the object at offset {offset}")
    errors.sort()
    return {"valid": not errors, "errors": errors}


def object_digest(obj: object) -> bytes:
    """``ObjectDigest(x) = SHA-256(CBOR_CANONICAL(x))`` (CONTRACTS.md §1)."""
    return hashlib.sha256(dumps(obj)).digest()


def commit_hash(tag: str, obj: object) -> bytes:
    """``CommitHash(tag, x) = SHA-256(CBOR_CANONICAL([tag, x]))``: the tag separates domains."""
    if type(tag) is not str or not tag:
        raise CanonicalError("commit tag must be a non-empty text string")
    return hashlib.sha256(dumps([tag, obj])).digest()
