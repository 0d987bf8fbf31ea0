"""Sidecar damage (header copies, parity blocks), determinism, and verify's parity report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.parity import assess, protect, repair

from .conftest import Protected


def test_protect_is_deterministic(protected: Protected, tmp_path: Path) -> None:
    p = protected.copy(tmp_path)
    (tmp_path / "x.glyphserpack.par").unlink()
    assert protect(p).read_bytes() == protected.par


def test_either_header_copy_alone_suffices(protected: Protected, tmp_path: Path) -> None:
    h = 16 + protected.header_len + 32
    for lo, _hi in ((0, h), (len(protected.par) - h, len(protected.par))):
        par = bytearray(protected.par)
        par[lo + 20 : lo + 30] = b"\xff" * 10
        p = protected.copy(tmp_path, par=bytes(par))
        status = assess(p, tmp_path / "x.glyphserpack.par")
        assert [f.code for f in status.findings()] == ["GSP-E502", "GSP-E504"]
        assert status.pack_intact
        assert status.repairable
        result = repair(p, tmp_path / "fixed.glyphserpack")
        assert result.repaired
        assert (tmp_path / "fixed.glyphserpack.par").read_bytes() == protected.par


def test_sidecar_truncated_loses_only_its_tail(protected: Protected, tmp_path: Path) -> None:
    p = protected.copy(tmp_path, par=protected.par[:-100])
    result = repair(p, tmp_path / "fixed.glyphserpack")
    assert result.repaired
    assert (tmp_path / "fixed.glyphserpack.par").read_bytes() == protected.par


def test_both_header_copies_lost(protected: Protected, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    h = 16 + protected.header_len + 32
    par = bytearray(protected.par)
    par[30] ^= 1
    par[-h + 30] ^= 1
    pack = bytearray(protected.pack)
    pack[100] ^= 1
    p = protected.copy(tmp_path, bytes(pack), bytes(par))
    status = assess(p, tmp_path / "x.glyphserpack.par")
    assert [f.code for f in status.findings()] == ["GSP-E501"]
    rc = main(["repair", str(p), "-o", str(tmp_path / "fixed.glyphserpack"), "--salvage", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "cannot restore: parity sidecar (no usable header copy)" in err
    assert "damaged member: data/blob/part-0.bin" in err
    assert (tmp_path / "s" / "data" / "blob" / "part-4.bin").read_bytes() == protected.files["data/blob/part-4.bin"]
    assert not (tmp_path / "fixed.glyphserpack").exists()


def test_lost_sidecar_of_an_intact_pack_says_protect_again(
    protected: Protected, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = protected.copy(tmp_path, par=b"\0" * len(protected.par))
    rc = main(["repair", str(p), "-o", str(tmp_path / "fixed.glyphserpack")])
    err = capsys.readouterr().err
    assert rc == 1
    assert "the pack verifies intact, but its parity is unusable" in err
    assert f"glyphserpack protect {p}" in err
    assert "NOT repairable" not in err
    assert not (tmp_path / "fixed.glyphserpack").exists()
    assert main(["repair", str(p), "-o", str(tmp_path / "fixed.glyphserpack"), "--json"]) == 1
    assert '"pack_intact": true' in capsys.readouterr().out


def test_verify_reports_repairability(protected: Protected, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = protected.copy(tmp_path)
    assert main(["verify", str(p)]) == 0
    capsys.readouterr()
    pack = bytearray(protected.pack)
    pack[5000] ^= 1
    p.write_bytes(bytes(pack))
    assert main(["verify", str(p), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    codes = {f["code"] for f in report["findings"]}
    assert {"GSP-E104", "GSP-E503", "GSP-E504"} <= codes
    assert report["checks"][-1] == {
        "id": "parity",
        "result": "fail",
        "detail": "x.glyphserpack.par: damage is repairable with `glyphserpack repair`",
    }
    g = protected.geometry
    burst = g.block_size * g.stripes * (g.m + 1)
    pack[1000 : 1000 + burst] = bytes(burst)
    p.write_bytes(bytes(pack))
    assert main(["verify", str(p)]) == 1
    out = capsys.readouterr().out
    assert "GSP-E505 x.glyphserpack: more than 2 erasures in a stripe; cannot restore pack bytes" in out


def test_repair_cli_and_in_place(protected: Protected, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = bytearray(protected.pack)
    pack[-30] ^= 0x80
    p = protected.copy(tmp_path, bytes(pack))
    assert main(["repair", str(p), "-o", str(p)]) == 0
    assert "byte-identical" in capsys.readouterr().out
    assert p.read_bytes() == protected.pack
    assert main(["repair", str(p), "-o", str(tmp_path / "again.glyphserpack"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["repaired"] is True
    assert out["restored_blocks"] == 0


def test_unrepairable_names_members_and_salvages(
    protected: Protected, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    g = protected.geometry
    lo, _hi = protected.member_frames["data/blob/part-0.bin"][0]
    burst = g.block_size * g.stripes * (g.m + 1)
    pack = bytearray(protected.pack)
    pack[lo + 100 : lo + 100 + burst] = bytes(burst)
    p = protected.copy(tmp_path, bytes(pack))
    rc = main(["repair", str(p), "-o", str(tmp_path / "fixed.glyphserpack"), "--salvage", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert rc == 1
    lost = sorted(n for n, spans in protected.member_frames.items() if any(a == lo for a, _ in spans))
    for name in lost:
        assert f"damaged member: {name}" in err
    for name, data in protected.files.items():
        if name not in lost:
            assert (tmp_path / "s" / name).read_bytes() == data
        else:
            assert not (tmp_path / "s" / name).exists()


def test_verify_of_an_unopenable_pack_still_reports_parity(
    protected: Protected, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = bytearray(protected.pack)
    pack[0:4] = b"\0\0\0\0"  # not even a zstd frame any more
    p = protected.copy(tmp_path, bytes(pack))
    assert main(["verify", str(p)]) == 1
    out = capsys.readouterr().out
    assert "GSP-E101 x.glyphserpack: pack x.glyphserpack: not a glyphserpack file" in out
    assert "GSP-E504 x.glyphserpack: damage within the parity budget" in out
    (tmp_path / "x.glyphserpack.par").unlink()
    assert main(["verify", str(p)]) == 2


def test_damaged_sidecar_alone_leaves_the_pack_valid(
    protected: Protected, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    par = bytearray(protected.par)
    par[16 + protected.header_len + 32 + 10] ^= 1  # first parity block
    p = protected.copy(tmp_path, par=bytes(par))
    assert main(["verify", str(p)]) == 0
    out = capsys.readouterr().out
    assert "GSP-E506 x.glyphserpack.par: 1 of 160 parity blocks damaged" in out
    assert "x.glyphserpack: VALID" in out
    h = 16 + protected.header_len + 32
    par[30] ^= 1
    par[-h + 30] ^= 1
    p = protected.copy(tmp_path, par=bytes(par))
    assert main(["verify", str(p)]) == 0
    assert "GSP-E501 x.glyphserpack.par:" in capsys.readouterr().out
