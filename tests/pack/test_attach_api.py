"""The attachment API the time-stamp and transparency-log stages build on."""

from __future__ import annotations

import subprocess
from pathlib import Path

import bagit
import pytest

from glyphserpack.errors import PackError, UnsafePathError, UsageError
from glyphserpack.pack import attach, open_pack, verify


def test_open_pack_exposes_manifest_root_hash_and_members(packed: Path) -> None:
    with open_pack(packed) as reader:
        assert len(reader.root_hash) == 32
        assert reader.manifest["format_version"] == [1, 1]
        names = [m.name for m in reader.members()]
        assert "data/certs/cert.cbor" in names
        assert "manifest.cbor" in names
        assert reader.read_member("data/README.txt") == b"evidence\n"
        assert reader.attachments() == {}


def test_attach_keeps_root_hash_signatures_and_bag(packed: Path, tmp_path: Path) -> None:
    with open_pack(packed) as reader:
        root = reader.root_hash
    attach(packed, {"timestamps/root.tsr": b"\x30\x03token", "proofs/log/inclusion.json": b"{}"})
    with open_pack(packed) as reader:
        assert reader.root_hash == root
        assert reader.attachments() == {"proofs/log/inclusion.json": b"{}", "timestamps/root.tsr": b"\x30\x03token"}
        assert reader.read_member("timestamps/root.tsr") == b"\x30\x03token"
        assert [m.covered for m in reader.members() if m.name.startswith("timestamps/")] == [False]
    report = verify(packed)
    assert report.valid, report.to_json()
    assert report.root_hash == root.hex()
    dest = tmp_path / "x"
    dest.mkdir()
    subprocess.run(f"zstd -qdc '{packed}' | tar -x -C '{dest}'", shell=True, check=True)
    bagit.Bag(str(dest)).validate()
    assert (dest / "timestamps" / "root.tsr").read_bytes() == b"\x30\x03token"


def test_attach_replace_prefix_and_same_name(packed: Path) -> None:
    attach(packed, {"timestamps/a.tsr": b"1", "timestamps/b.tsr": b"2", "proofs/p": b"p"})
    attach(packed, {"timestamps/c.tsr": b"3"}, replace_prefix="timestamps/")
    with open_pack(packed) as reader:
        assert reader.attachments() == {"proofs/p": b"p", "timestamps/c.tsr": b"3"}
    attach(packed, {"proofs/p": b"q"})
    with open_pack(packed) as reader:
        assert reader.attachments() == {"proofs/p": b"q", "timestamps/c.tsr": b"3"}
    assert verify(packed).valid


def test_attach_is_deterministic_and_reversible(packed: Path, tmp_path: Path) -> None:
    original = packed.read_bytes()
    attach(packed, {"timestamps/t.tsr": b"x"})
    assert packed.read_bytes() != original
    attach(packed, {}, replace_prefix="timestamps/")
    assert packed.read_bytes() == original


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("data/evil", UsageError),
        ("manifest.cbor", UsageError),
        ("timestamps/../data/x", UnsafePathError),
        ("/timestamps/x", UnsafePathError),
        ("timestamps/a\nb", UnsafePathError),
    ],
)
def test_attach_refuses_names_outside_attachment_prefixes(packed: Path, name: str, error: type[Exception]) -> None:
    before = packed.read_bytes()
    with pytest.raises(error):
        attach(packed, {name: b"x"})
    assert packed.read_bytes() == before


def test_attach_refuses_damaged_pack_and_leaves_it(packed: Path) -> None:
    data = bytearray(packed.read_bytes())
    data[100] ^= 0xFF
    packed.write_bytes(bytes(data))
    with pytest.raises(PackError, match="damaged"):
        attach(packed, {"timestamps/t": b"x"})
    assert packed.read_bytes() == bytes(data)


def test_open_pack_rejects_non_pack(tmp_path: Path) -> None:
    p = tmp_path / "x.glyphserpack"
    p.write_bytes(b"not a pack at all")
    with pytest.raises(PackError, match="not a glyphserpack"):
        open_pack(p)
