"""Repair copies the pack in the kernel, falls back to a plain copy, and never writes a stale result."""

from __future__ import annotations

import errno
import fcntl
import importlib
import os
import random
from pathlib import Path

import pytest

from glyphserpack._internal.parity import kcopy
from glyphserpack.errors import InputError, PackError
from glyphserpack.parity import repair

from .conftest import Protected

DATA = random.Random(11).randbytes(5 * 65536 + 12345)  # several chunks of every kind (see below), and a tail


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunk sizes small enough that every copy loop goes round several times."""
    monkeypatch.setattr(kcopy, "_KERNEL_CHUNK", 100_000)
    monkeypatch.setattr(kcopy, "_USER_CHUNK", 65_536)
    monkeypatch.setattr(kcopy, "_DIRECT_CHUNK", 65_536)


def _copy(tmp_path: Path, size: int = len(DATA)) -> tuple[bytes, int]:
    (tmp_path / "src").write_bytes(DATA)
    src = os.open(tmp_path / "src", os.O_RDONLY)
    dst = os.open(tmp_path / "dst", os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    try:
        n = kcopy.copy_range(src, dst, size)
    finally:
        os.close(src)
        os.close(dst)
    return (tmp_path / "dst").read_bytes(), n


def test_copy_is_exact(tmp_path: Path) -> None:
    """Whichever way this file system allows (here: O_DIRECT, then the kernel for the tail)."""
    got, n = _copy(tmp_path)
    assert n == len(DATA)
    assert got == DATA


@pytest.fixture
def no_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "O_DIRECT", raising=False)


@pytest.mark.usefixtures("no_direct")
@pytest.mark.parametrize("code", [errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL])
@pytest.mark.parametrize("after", [0, 1])
def test_unsupported_kernel_copy_falls_back_to_identical_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, after: int
) -> None:
    """Refused at once, or after the kernel already copied a first part."""
    real = os.copy_file_range
    calls: list[int] = []

    def flaky(src: int, dst: int, count: int, offset_src: int, offset_dst: int) -> int:
        calls.append(count)
        if len(calls) > after:
            raise OSError(code, os.strerror(code))
        return real(src, dst, min(count, 12345), offset_src, offset_dst)

    monkeypatch.setattr(os, "copy_file_range", flaky)
    got, n = _copy(tmp_path)
    assert calls, "the kernel copy was not tried"
    assert n == len(DATA)
    assert got == DATA


@pytest.mark.usefixtures("no_direct")
def test_missing_copy_file_range_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "copy_file_range")
    got, n = _copy(tmp_path)
    assert n == len(DATA)
    assert got == DATA


def test_direct_io_refused_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """tmpfs and some network file systems refuse O_DIRECT when it is set."""
    real = fcntl.fcntl

    def refuse_direct(fd: int, cmd: int, arg: int = 0) -> int:
        if cmd == fcntl.F_SETFL and arg & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, cmd, arg)

    monkeypatch.setattr(fcntl, "fcntl", refuse_direct)
    got, n = _copy(tmp_path)
    assert n == len(DATA)
    assert got == DATA


@pytest.mark.parametrize("fail_at", [0, 1])
def test_direct_write_refused_midway_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int) -> None:
    """A device that refuses the alignment (EINVAL) on the first or a later direct write."""
    real = os.pwrite
    direct_writes: list[int] = []

    def pwrite(fd: int, data: memoryview | bytes, offset: int) -> int:
        if real_fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            direct_writes.append(offset)
            if len(direct_writes) > fail_at:
                raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, data, offset)

    real_fcntl = fcntl.fcntl
    monkeypatch.setattr(os, "pwrite", pwrite)
    got, n = _copy(tmp_path)
    assert direct_writes, "O_DIRECT was not tried"
    assert n == len(DATA)
    assert got == DATA


def test_reflink_clone_is_used_when_available(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Emulates a reflink file system: FICLONE does the whole copy and nothing else runs."""
    cloned: list[int] = []

    def ioctl(dst: int, request: int, src: int) -> int:
        assert request == kcopy._FICLONE
        cloned.append(src)
        os.pwrite(dst, os.pread(src, len(DATA) + 1, 0), 0)
        return 0

    def must_not_run(*_: int) -> int:
        raise AssertionError("copied twice")

    monkeypatch.setattr(fcntl, "ioctl", ioctl)
    monkeypatch.setattr(os, "copy_file_range", must_not_run)
    monkeypatch.setattr(os, "preadv", must_not_run)
    got, n = _copy(tmp_path)
    assert cloned
    assert n == len(DATA)
    assert got == DATA


def test_short_source_copies_what_there_is(tmp_path: Path) -> None:
    got, n = _copy(tmp_path, len(DATA) + 5000)
    assert n == len(DATA)
    assert got == DATA


def test_real_io_errors_are_not_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: int) -> int:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "copy_file_range", broken)
    with pytest.raises(OSError, match="I/O error"):
        _copy(tmp_path)


def test_repair_without_kernel_copy_is_identical(
    protected: Protected, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: int) -> int:
        raise OSError(errno.EXDEV, "cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    pack = bytearray(protected.pack)
    pack[len(pack) // 2] ^= 0x55
    src = protected.copy(tmp_path, bytes(pack))
    result = repair(src, tmp_path / "fixed.glyphserpack")
    assert result.repaired
    assert result.restored_blocks
    assert (tmp_path / "fixed.glyphserpack").read_bytes() == protected.pack
    assert (tmp_path / "fixed.glyphserpack.par").read_bytes() == protected.par


def test_pack_changing_during_repair_writes_nothing(
    protected: Protected, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``glyphserpack.parity.repair`` is also the name of the function the package re-exports.
    repair_module = importlib.import_module("glyphserpack.parity.repair")
    real = repair_module.assess
    pack = bytearray(protected.pack)
    pack[100] ^= 1
    src = protected.copy(tmp_path, bytes(pack))

    def assess_then_touch(*args: object, **kwargs: object) -> object:
        status = real(*args, **kwargs)
        st = os.stat(src)
        os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        return status

    monkeypatch.setattr(repair_module, "assess", assess_then_touch)
    with pytest.raises(PackError, match="changed while it was being repaired"):
        repair(src, tmp_path / "fixed.glyphserpack")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.glyphserpack", "x.glyphserpack.par"]


def test_repair_of_missing_files_is_an_input_error(protected: Protected, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"pack missing\.glyphserpack: cannot open"):
        repair(tmp_path / "missing.glyphserpack", tmp_path / "fixed.glyphserpack")
    src = protected.copy(tmp_path)
    (tmp_path / "x.glyphserpack.par").unlink()
    with pytest.raises(InputError, match=r"parity x\.glyphserpack\.par: cannot open"):
        repair(src, tmp_path / "fixed.glyphserpack")
    assert not (tmp_path / "fixed.glyphserpack").exists()


@pytest.mark.parametrize("cut", [0, 1, 700])
def test_threaded_full_check_agrees_with_block_by_block(protected: Protected, tmp_path: Path, cut: int) -> None:
    """``assess`` hashes a full check in runs on two threads; the verdict is the same as one by one."""
    from glyphserpack.parity import assess

    pack = bytearray(protected.pack[: len(protected.pack) - cut])
    rng = random.Random(cut)
    for _ in range(5):
        pack[rng.randrange(len(pack))] ^= 0xFF
    src = protected.copy(tmp_path, bytes(pack))
    g = protected.geometry
    fast = assess(src, tmp_path / "x.glyphserpack.par")
    slow = assess(src, tmp_path / "x.glyphserpack.par", blocks=range(g.data_blocks))
    assert fast.bad_blocks == slow.bad_blocks
    assert fast.bad_blocks  # the damage is seen
    assert (fast.checked_blocks, fast.checked_bytes) == (slow.checked_blocks, slow.checked_bytes)
    assert fast.lost_blocks == slow.lost_blocks
