"""Pack → stock tools, pack → extract, pack → verify, determinism, the manual instructions."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import bagit
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glyphserpack import canonical
from glyphserpack.pack import ROOT_TAG, extract, ls, open_pack, verify, write

from .conftest import CREATED


def _stock_extract(pack: Path, dest: Path) -> None:
    dest.mkdir()
    subprocess.run(f"zstd -qdc '{pack}' | tar -x -C '{dest}'", shell=True, check=True)


def test_stock_zstd_and_tar_give_a_valid_bagit_bag(packed: Path, src: Path, tmp_path: Path) -> None:
    dest = tmp_path / "stock"
    _stock_extract(packed, dest)
    bagit.Bag(str(dest)).validate()
    assert (dest / "data" / "big.bin").read_bytes() == (src / "big.bin").read_bytes()
    manifest = canonical.loads((dest / "manifest.cbor").read_bytes())
    names = {m["name"]: m for m in manifest["members"]}
    assert names["data/certs/cert.cbor"]["media_type"] == "application/cbor"
    assert names["data/README.txt"]["size"] == 9
    assert manifest["created"] == CREATED
    assert (dest / "manifest.json").is_file()
    assert not any(p.name.endswith(".key") or b"PRIVATE" in p.read_bytes() for p in dest.rglob("*") if p.is_file())


def test_seek_table_is_zstd_seekable_format(packed: Path) -> None:
    data = packed.read_bytes()
    assert data[-4:] == (0x8F92EAB1).to_bytes(4, "little")
    count = int.from_bytes(data[-9:-5], "little")
    table_len = 8 + 8 * count + 9
    assert data[-table_len : -table_len + 4] == (0x184D2A5E).to_bytes(4, "little")
    sizes = [int.from_bytes(data[-table_len + 8 + 8 * i : -table_len + 12 + 8 * i], "little") for i in range(count)]
    assert sum(sizes) == len(data) - table_len


def test_verification_instructions_work_with_stock_tools(packed: Path, tmp_path: Path) -> None:
    dest = tmp_path / "manual"
    _stock_extract(packed, dest)
    text = (dest / "verification_instructions.txt").read_text()
    commands = [line[len("    $ ") :] for line in text.splitlines() if line.startswith("    $ ")]
    assert any("openssl pkeyutl -verify" in c for c in commands)
    script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
    out = subprocess.run(["bash", "-c", script], cwd=dest, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Signature Verified Successfully" in out.stdout
    with open_pack(packed) as reader:
        assert reader.root_hash.hex() in out.stdout
    # The same commands catch a tampered payload file.
    (dest / "data" / "README.txt").write_text("tampered\n")
    bad = subprocess.run(["bash", "-c", script], cwd=dest, capture_output=True, text=True, check=False)
    assert bad.returncode != 0


def test_root_hash_is_commit_hash_of_manifest(packed: Path) -> None:
    with open_pack(packed) as reader:
        manifest_bytes = reader.read_member("manifest.cbor")
        expected = hashlib.sha256(b"\x82\x78\x18" + ROOT_TAG.encode() + manifest_bytes).digest()
        assert reader.root_hash == expected == canonical.commit_hash(ROOT_TAG, reader.manifest)


def test_same_inputs_give_identical_bytes(src: Path, tmp_path: Path, key: Ed25519PrivateKey) -> None:
    a, b = tmp_path / "a.glyphserpack", tmp_path / "b.glyphserpack"
    write(src, a, sign_keys=[key], created=CREATED, threads=1)
    os.utime(src / "README.txt", (0, 0))
    write(src, b, sign_keys=[key], created=CREATED, threads=3)
    assert a.read_bytes() == b.read_bytes()


def test_created_from_source_date_epoch(src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    out = tmp_path / "p.glyphserpack"
    write(src, out)
    with open_pack(out) as reader:
        assert reader.manifest["created"] == "2026-01-01T00:00:00Z"


def test_large_member_spans_frames_and_ls_reads_little(src: Path, tmp_path: Path) -> None:
    (src / "huge.bin").write_bytes(os.urandom(9 * 1024 * 1024))
    out = tmp_path / "p.glyphserpack"
    write(src, out, created=CREATED)
    listing = {m.name: m for m in ls(out)}
    assert listing["data/huge.bin"].size == 9 * 1024 * 1024
    assert listing["data/huge.bin"].covered
    with open_pack(out) as reader:
        assert reader.read_member("data/huge.bin") == (src / "huge.bin").read_bytes()
    assert verify(out).valid


def test_extract_selected_member(packed: Path, tmp_path: Path) -> None:
    dest = tmp_path / "one"
    result = extract(packed, dest, ["data/certs/cert.cbor"])
    assert result.written == ["data/certs/cert.cbor"]
    assert [p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()] == ["data/certs/cert.cbor"]


_names = st.lists(
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "N"], include_characters="-_."), min_size=1, max_size=12
    ).filter(lambda s: s not in (".", "..")),
    min_size=1,
    max_size=6,
    unique_by=lambda s: s.casefold(),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=_names, blobs=st.lists(st.binary(max_size=3000), min_size=6, max_size=6), nested=st.booleans())
def test_roundtrip_property(tmp_path: Path, names: list[str], blobs: list[bytes], nested: bool) -> None:
    case = tmp_path / hashlib.sha256(repr((names, blobs, nested)).encode()).hexdigest()[:16]
    src = case / "src"
    files: dict[str, bytes] = {}
    for i, name in enumerate(names):
        rel = f"d{i}/{name}" if nested else name
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(blobs[i])
        files[f"data/{rel}"] = blobs[i]
    out = case / "p.glyphserpack"
    write(src, out, created=CREATED, threads=1)
    report = verify(out, threads=1)
    assert report.valid, report.to_json()
    dest = case / "out"
    extract(out, dest, threads=1)
    got = {p.relative_to(dest).as_posix(): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert {k: v for k, v in got.items() if k.startswith("data/")} == files
    assert re.fullmatch("[0-9a-f]{64}", report.root_hash or "")
