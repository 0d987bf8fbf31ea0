"""Shared helpers for the log tests: keys, entry documents, a naive RFC 9162 tree."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ORIGIN = "glyphser.example/log"
TIME = "2026-03-01T12:00:00Z"


def fixed_key(seed: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())


def write_pem(path: Path, key: Ed25519PrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


def h(label: str | int) -> str:
    """A deterministic hex SHA-256 standing in for a certificate or pack hash."""
    return hashlib.sha256(str(label).encode()).hexdigest()


def pack_doc(i: int) -> dict[str, Any]:
    return {"type": "pack_published", "pack_hash": h(f"pack{i}"), "pack_name": f"pack-{i}", "time_utc": TIME}


def sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def naive_mth(d: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 §2.1.1, recursion and all."""
    n = len(d)
    if n == 0:
        return sha(b"")
    if n == 1:
        return sha(b"\x00" + d[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:]))


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


def data(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(n)]
