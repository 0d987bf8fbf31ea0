"""Regenerate tests/assets/canonical_vectors.json.

Each vector's expected bytes are written out by hand below (from RFC 8949 appendix A and
CONTRACTS.md §1), not computed by our encoder; this script only derives the hashes and
refuses to write the file if our encoder disagrees with any hand-written encoding.

Run: .venv/bin/python tests/assets/make_canonical_vectors.py
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from glyphserpack import canonical  # noqa: E402

# (name, value in tagged JSON form, hand-written canonical hex)
VECTORS: list[tuple[str, Any, str]] = [
    ("int 0", 0, "00"),
    ("int 23", 23, "17"),
    ("int 24", 24, "1818"),
    ("int 255", 255, "18ff"),
    ("int 256", 256, "190100"),
    ("int 65535", 65535, "19ffff"),
    ("int 65536", 65536, "1a00010000"),
    ("int 2^32", 4294967296, "1b0000000100000000"),
    ("int 2^64-1", 18446744073709551615, "1bffffffffffffffff"),
    ("int -1", -1, "20"),
    ("int -24", -24, "37"),
    ("int -25", -25, "3818"),
    ("int -2^64", -18446744073709551616, "3bffffffffffffffff"),
    ("false", False, "f4"),
    ("true", True, "f5"),
    ("null", None, "f6"),
    ("float 0.0", {"$float": "0000000000000000"}, "fb0000000000000000"),
    ("float -0.0", {"$float": "8000000000000000"}, "fb8000000000000000"),
    ("float 1.0 stays binary64", {"$float": "3ff0000000000000"}, "fb3ff0000000000000"),
    ("float 1.5", {"$float": "3ff8000000000000"}, "fb3ff8000000000000"),
    ("float 1.1", {"$float": "3ff199999999999a"}, "fb3ff199999999999a"),
    ("float +inf", {"$float": "7ff0000000000000"}, "fb7ff0000000000000"),
    ("float -inf", {"$float": "fff0000000000000"}, "fbfff0000000000000"),
    ("float NaN", {"$float": "7ff8000000000000"}, "fb7ff8000000000000"),
    ("empty text", "", "60"),
    ("text a", "a", "6161"),
    ("text IETF", "IETF", "6449455446"),
    ("text not normalised (e + combining acute)", "e\u0301", "6365cc81"),
    ("text precomposed é", "\u00e9", "62c3a9"),
    ("text 24 chars", "abcdefghijklmnopqrstuvwx", "7818" + b"abcdefghijklmnopqrstuvwx".hex()),
    ("empty bytes", {"$bytes": ""}, "40"),
    ("bytes 01020304", {"$bytes": "01020304"}, "4401020304"),
    ("empty array", [], "80"),
    ("array [1,2,3]", [1, 2, 3], "83010203"),
    ("nested array", [1, [2, 3], [4, 5]], "8301820203820405"),
    ("empty map", {}, "a0"),
    ("map sorted by encoded key", {"b": 1, "a": 2}, "a2616102616201"),
    ("shorter key first", {"aa": 1, "b": 2}, "a261620262616101"),
    ("map of mixed", {"a": [1.5], "b": None}, "a2616181fb3ff80000000000006162f6"),
]


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


def main() -> int:
    out = []
    for name, tagged, hex_bytes in VECTORS:
        value = untag(tagged)
        got = canonical.dumps(value).hex()
        if got != hex_bytes:
            print(f"encoder disagrees with hand-written vector {name!r}: {got} != {hex_bytes}", file=sys.stderr)
            return 1
        data = bytes.fromhex(hex_bytes)
        out.append(
            {
                "name": name,
                "value": tagged,
                "cbor": hex_bytes,
                "object_digest": hashlib.sha256(data).hexdigest(),
                "commit_hash_tag_t": hashlib.sha256(bytes.fromhex("82") + bytes.fromhex("6174") + data).hexdigest(),
            }
        )
        assert not (isinstance(value, float) and math.isnan(value) and hex_bytes != "fb7ff8000000000000")
    path = Path(__file__).with_name("canonical_vectors.json")
    path.write_text(json.dumps({"profile": "CONTRACTS.md §1", "vectors": out}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} vectors to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
