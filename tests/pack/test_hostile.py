"""Hostile packs: each is refused by verify and extract with its exact finding code."""

from __future__ import annotations

import json
import struct
import tarfile
from pathlib import Path
from typing import Any

import pytest
import zstandard

from glyphserpack.cli import main
from glyphserpack.errors import PackError, VerificationError
from glyphserpack.pack import Limits, extract, verify
from glyphserpack.pack.write import attach

from .conftest import build, entry, normal

OK = normal("data/ok.txt", b"fine\n")


def _codes(path: Path, **kw: Any) -> set[str]:
    return {f.code for f in verify(path, **kw).findings if f.severity == "error"}


def _cli_verify(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, set[str]]:
    rc = main(["verify", str(path), "--json"])
    out = capsys.readouterr().out
    findings = json.loads(out)["findings"] if out.strip() else []
    return rc, {f["code"] for f in findings if f["severity"] == "error"}


def _assert_extract_refused(path: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (tmp_path / "outside").mkdir(exist_ok=True)
    rc = main(["extract", str(path), str(dest)])
    assert rc == 1
    assert list(dest.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    assert list((tmp_path / "outside").iterdir()) == []


CASES = [
    ("absolute", [entry("/etc/passwd", b"x")], "GSP-E110"),
    ("dotdot", [entry("data/../../outside/x", b"x")], "GSP-E110"),
    ("symlink", [entry("data/link", kind=tarfile.SYMTYPE, linkname="/etc/passwd")], "GSP-E111"),
    ("hardlink", [entry("data/hard", kind=tarfile.LNKTYPE, linkname="data/ok.txt")], "GSP-E111"),
    ("device", [entry("data/dev", kind=tarfile.CHRTYPE)], "GSP-E111"),
    ("directory", [entry("data/dir", kind=tarfile.DIRTYPE)], "GSP-E111"),
    ("fifo", [entry("data/fifo", kind=tarfile.FIFOTYPE)], "GSP-E111"),
    ("control", [normal("data/a\x1b[2Jb.txt", b"x")], "GSP-E110"),
    ("bidi", [normal("data/a\u202eb.txt", b"x")], "GSP-E110"),
    ("duplicate", [normal("data/ok.txt", b"fine\n")], "GSP-E109"),
    ("not-in-manifest", [normal("data/extra.txt", b"sneaky")], "GSP-E107"),
]


@pytest.mark.parametrize(("label", "extra", "code"), CASES, ids=[c[0] for c in CASES])
def test_hostile_member(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], label: str, extra: list[Any], code: str
) -> None:
    p = build(tmp_path / f"{label}.glyphserpack", [OK, *extra], [("data/ok.txt", b"fine\n")])
    rc, codes = _cli_verify(p, capsys)
    assert rc == 1
    assert code in codes
    _assert_extract_refused(p, tmp_path)


def test_member_larger_than_declared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = build(tmp_path / "big.glyphserpack", [normal("data/ok.txt", b"fine\n" * 100)], [("data/ok.txt", b"fine\n")])
    rc, codes = _cli_verify(p, capsys)
    assert (rc, codes) == (1, {"GSP-E106"})
    _assert_extract_refused(p, tmp_path)


def test_manifest_lists_member_missing_from_stream(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = build(tmp_path / "missing.glyphserpack", [OK], [("data/ok.txt", b"fine\n"), ("data/gone.txt", b"?")])
    rc, codes = _cli_verify(p, capsys)
    assert rc == 1
    assert "GSP-E108" in codes
    _assert_extract_refused(p, tmp_path)


def test_unknown_major_format_version_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def bump(m: dict[str, Any]) -> None:
        m["format_version"] = [2, 0]

    p = build(tmp_path / "v2.glyphserpack", [OK], [("data/ok.txt", b"fine\n")], tamper_manifest=bump)
    with pytest.raises(PackError, match=r"format version 2\.0 is not supported"):
        verify(p)
    assert main(["verify", str(p)]) == 2
    assert "format version 2.0 is not supported" in capsys.readouterr().err
    assert main(["ls", str(p)]) == 2


def test_minor_version_is_accepted(tmp_path: Path) -> None:
    def minor(m: dict[str, Any]) -> None:
        m["format_version"] = [1, 7]

    p = build(tmp_path / "v17.glyphserpack", [OK], [("data/ok.txt", b"fine\n")], tamper_manifest=minor)
    report = verify(p)
    assert report.valid
    assert report.format_version == "1.7"


def test_truncated_stream(packed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = packed.read_bytes()
    cut = tmp_path / "cut.glyphserpack"
    cut.write_bytes(data[: len(data) // 2])
    rc, codes = _cli_verify(cut, capsys)
    assert (rc, codes) == (1, {"GSP-E119", "GSP-E112"})  # the signed manifest went with the tail
    _assert_extract_refused(cut, tmp_path)


def test_trailing_garbage(packed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "tail.glyphserpack"
    p.write_bytes(packed.read_bytes() + b"GARBAGE")
    rc, codes = _cli_verify(p, capsys)
    assert (rc, codes) == (1, {"GSP-E120"})
    _assert_extract_refused(p, tmp_path)


def test_forged_seek_table(packed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(packed.read_bytes())
    count = int.from_bytes(data[-9:-5], "little")
    table = len(data) - (8 + 8 * count + 9) + 8
    c0, d0 = struct.unpack_from("<II", data, table)
    c1, d1 = struct.unpack_from("<II", data, table + 8)
    struct.pack_into("<IIII", data, table, c0 + 10, d0, c1 - 10, d1)  # same total, shifted boundary
    p = tmp_path / "forged.glyphserpack"
    p.write_bytes(bytes(data))
    rc, codes = _cli_verify(p, capsys)
    assert (rc, codes) == (1, {"GSP-E102"})
    _assert_extract_refused(p, tmp_path)


def test_index_cannot_claim_more_compressed_bytes_than_zstd_needs(tmp_path: Path) -> None:
    """Seek table and index forged together (so they agree and add up) to give one frame most
    of the file: refused from the sizes alone, before any reader allocates that much."""
    import random

    from glyphserpack._internal.pack.frames import encode_index, read_trailer, seek_table

    blobs = [random.Random(i).randbytes(3 << 20) for i in range(2)]
    names = ["data/a.bin", "data/b.bin"]
    p = build(
        tmp_path / "ok.glyphserpack",
        [normal(n, b) for n, b in zip(names, blobs, strict=True)],
        [(n, b) for n, b in zip(names, blobs, strict=True)],
    )
    data = p.read_bytes()
    with p.open("rb") as fh:
        idx = read_trailer(fh, len(data))
    frames = [[f.c_size, f.d_size, f.sha256] for f in idx.frames]
    assert frames[1][0] > 2 << 20
    frames[0][0] += 2 << 20
    frames[1][0] -= 2 << 20
    index = encode_index([tuple(f) for f in frames], list(idx.members), idx.tail_frame, idx.eoa_offset)
    table = seek_table([(c, d) for c, d, _ in frames] + [(len(index), 0)])
    p.write_bytes(data[: idx.index_offset] + index + table)
    assert _codes(p) == {"GSP-E102"}
    report = verify(p)
    assert any("compressed bytes for" in f.detail for f in report.findings)


def test_decompression_bomb_caps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zeros = b"\0" * (48 * 1024 * 1024)
    p = build(tmp_path / "bomb.glyphserpack", [normal("data/zeros", zeros)], [("data/zeros", zeros)])
    assert p.stat().st_size < 64 * 1024
    assert _codes(p, limits=Limits(max_total_bytes=16 * 1024 * 1024)) == {"GSP-E121"}
    assert _codes(p, limits=Limits(max_ratio=100)) == {"GSP-E121"}
    with pytest.raises(VerificationError, match="GSP-E121"):
        extract(p, tmp_path / "d", limits=Limits(max_ratio=100))
    assert not (tmp_path / "d").exists()


def test_frame_declaring_more_than_it_holds_is_a_bomb(tmp_path: Path) -> None:
    """A forged index claiming a tiny frame expands hugely is refused before decompressing."""
    p = build(tmp_path / "ok.glyphserpack", [OK], [("data/ok.txt", b"fine\n")])
    data = bytearray(p.read_bytes())
    count = int.from_bytes(data[-9:-5], "little")
    table = len(data) - (8 + 8 * count + 9) + 8
    struct.pack_into("<I", data, table + 4, 1 << 31)
    p.write_bytes(bytes(data))
    codes = _codes(p)
    assert codes & {"GSP-E102", "GSP-E121"}


def test_unsupported_input_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "plain.zst"
    p.write_bytes(zstandard.ZstdCompressor().compress(b"hello"))
    assert main(["verify", str(p)]) == 1  # a zstd file without a seek table: truncated / not a pack
    q = tmp_path / "text.glyphserpack"
    q.write_text("hello")
    assert main(["verify", str(q)]) == 2
    assert main(["verify", str(tmp_path / "absent.glyphserpack")]) == 2


def test_extract_into_nonempty_dest_is_refused(packed: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    assert main(["extract", str(packed), str(dest)]) == 2
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_attachments_cannot_smuggle_signed_names(packed: Path) -> None:
    with pytest.raises(Exception, match="timestamps/ or proofs/"):
        attach(packed, {"data/x": b"x"})
