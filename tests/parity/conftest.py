"""A multi-frame pack with a parity sidecar, built once, and an oracle for damage."""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack._internal.pack.reader import RawPack
from glyphserpack._internal.parity.sidecar import Geometry, read_header
from glyphserpack.pack import write
from glyphserpack.parity import protect

CREATED = "2026-03-01T12:00:00Z"


@dataclass(frozen=True, repr=False)
class Protected:
    """Original bytes of a pack and its sidecar, plus where each member's frames lie."""

    dir: Path
    pack: bytes
    par: bytes
    files: dict[str, bytes]
    geometry: Geometry
    #: member name -> list of (c_lo, c_hi) pack byte ranges of the frames holding it
    member_frames: dict[str, list[tuple[int, int]]]
    index_offset: int
    header_len: int

    def __repr__(self) -> str:
        return f"Protected({len(self.pack)} bytes, {self.geometry})"

    def copy(self, tmp: Path, pack: bytes | None = None, par: bytes | None = None) -> Path:
        p = tmp / "x.glyphserpack"
        p.write_bytes(self.pack if pack is None else pack)
        (tmp / "x.glyphserpack.par").write_bytes(self.par if par is None else par)
        return p


def build(root: Path, files: dict[str, bytes], ratio: float = 0.05) -> Protected:
    src = root / "src"
    for name, data in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    pack = root / "x.glyphserpack"
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    write(src, pack, sign_keys=[key], created=CREATED, threads=1)
    par = protect(pack, ratio=ratio)
    import os

    fd = os.open(par, os.O_RDONLY)
    try:
        header, _ = read_header(fd)
    finally:
        os.close(fd)
    frames: dict[str, list[tuple[int, int]]] = {}
    with RawPack(pack) as raw:
        idx = raw.index
        for m in idx.members:
            for f in idx.frames:
                if m.header_offset < f.d_offset + f.d_size and m.end > f.d_offset:
                    frames.setdefault(m.name, []).append((f.c_offset, f.c_offset + f.c_size))
        index_offset = idx.index_offset
    shutil.rmtree(src)
    return Protected(
        root,
        pack.read_bytes(),
        par.read_bytes(),
        {f"data/{k}": v for k, v in files.items()},
        header.geometry,
        frames,
        index_offset,
        len(header.raw),
    )


@pytest.fixture(scope="session")
def protected(tmp_path_factory: pytest.TempPathFactory) -> Protected:
    """~6.5 MB pack: five 1.3 MB random files spread over three data frames, plus small ones."""
    rng = random.Random(20260301)
    files = {f"blob/part-{i}.bin": rng.randbytes(1_300_000) for i in range(5)}
    files["README.txt"] = b"evidence\n" * 100
    files["certs/cert.json"] = b'{"run": 1}\n'
    return build(tmp_path_factory.mktemp("protected"), files)


def bad_blocks(g: Geometry, original: bytes, damaged: bytes) -> list[int]:
    """Oracle: data blocks whose bytes differ from the original (or are missing)."""
    out = []
    for i in range(g.data_blocks):
        lo, hi = g.block_range(i)
        if damaged[lo:hi] != original[lo:hi]:
            out.append(i)
    return out


def bad_parity(g: Geometry, header_len: int, original: bytes, damaged: bytes) -> list[int]:
    base = 16 + header_len + 32
    return [
        q
        for q in range(g.parity_blocks)
        if damaged[base + q * g.block_size : base + (q + 1) * g.block_size]
        != original[base + q * g.block_size : base + (q + 1) * g.block_size]
    ]


def over_budget(g: Geometry, bad: list[int], badp: list[int]) -> list[int]:
    count: dict[int, int] = {}
    for i in bad:
        count[i % g.stripes] = count.get(i % g.stripes, 0) + 1
    for q in badp:
        count[q // g.m] = count.get(q // g.m, 0) + 1
    return sorted(i for i in bad if count[i % g.stripes] > g.m)
