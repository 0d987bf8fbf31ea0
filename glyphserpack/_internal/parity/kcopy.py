"""Copying a file's bytes without a trip through Python, for ``repair``.

A repair of one block must not cost as much as writing the pack anew. In order of preference:

1. ``FICLONE``: on file systems with reflinks (Btrfs, XFS) the copy shares the pack's
   extents and costs nothing; the patched blocks are then copied on write.
2. ``O_DIRECT`` writes from one reused page-aligned buffer: the copy goes to the disk
   without filling the page cache with a second 1 GB of dirty pages, which on a virtual
   machine costs more system time than the disk write itself (measured: 0.13 s of CPU
   instead of 0.35-2.5 s for 740 MB, the same or less wall time).
3. ``os.copy_file_range``: page cache to page cache inside the kernel.
4. A plain ``pread``/``pwrite`` loop.

Each step hands over where the previous one stopped, when the call is missing or refused
for this pair of files (another file system, tmpfs, FUSE or network mounts, old kernels),
so the bytes written are the same whichever does the work. Real I/O errors propagate.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
import sys

__all__ = ["UNSUPPORTED", "copy_range"]

#: errno values meaning "this copy cannot be done in the kernel", not "the copy failed".
UNSUPPORTED = frozenset(
    {errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.EBADF, errno.ETXTBSY, errno.EPERM}
)
_KERNEL_CHUNK = 1 << 30
_USER_CHUNK = 1 << 22
_DIRECT_CHUNK = 1 << 23
#: O_DIRECT offsets and lengths must be multiples of the device's logical block size.
_ALIGN = 4096
#: ``FICLONE`` ioctl (linux/fs.h); ``fcntl.FICLONE`` only exists from Python 3.12.
_FICLONE = getattr(fcntl, "FICLONE", 0x40049409)
_UNSUPPORTED_CLONE = UNSUPPORTED | {errno.ENOTTY}


def _clone(src: int, dst: int, size: int) -> int:
    """``size`` if the whole of ``src`` was reflinked into ``dst``, else 0."""
    if not sys.platform.startswith("linux") or os.fstat(src).st_size != size or size == 0:
        return 0
    try:
        fcntl.ioctl(dst, _FICLONE, src)
    except OSError as exc:
        if exc.errno in _UNSUPPORTED_CLONE:
            return 0
        raise
    return size


def _direct_copy(src: int, dst: int, size: int) -> int:
    """Bytes copied with ``O_DIRECT`` writes (a multiple of ``_ALIGN``; 0 if unsupported)."""
    direct = getattr(os, "O_DIRECT", 0)
    if not direct or size < _ALIGN:
        return 0
    flags = fcntl.fcntl(dst, fcntl.F_GETFL)
    try:
        fcntl.fcntl(dst, fcntl.F_SETFL, flags | direct)
    except OSError as exc:
        if exc.errno in UNSUPPORTED:
            return 0
        raise
    done = 0
    aligned = size - size % _ALIGN
    # Not closed explicitly: slices of it may still be referenced from a traceback, and
    # closing would then mask the real error with a BufferError. It is freed with ``view``.
    chunk = min(_DIRECT_CHUNK, aligned)
    view = memoryview(mmap.mmap(-1, chunk))
    try:
        while done < aligned:
            n = os.preadv(src, [view[: min(chunk, aligned - done)]], done)
            n -= n % _ALIGN
            if n <= 0:
                break
            written = os.pwrite(dst, view[:n], done)
            done += written
            if written != n:
                break  # unaligned from here on: the next step continues buffered
    except OSError as exc:
        if exc.errno not in UNSUPPORTED:
            raise
    finally:
        fcntl.fcntl(dst, fcntl.F_SETFL, flags)
    return done


def _kernel_copy(src: int, dst: int, size: int, done: int) -> int:
    """Bytes copied once ``copy_file_range`` stops (end of file, or unsupported)."""
    copy = getattr(os, "copy_file_range", None)
    if copy is None:
        return done
    while done < size:
        try:
            n = copy(src, dst, min(size - done, _KERNEL_CHUNK), done, done)
        except OSError as exc:
            if exc.errno in UNSUPPORTED:
                return done
            raise
        if n == 0:
            break
        done += n
    return done


def copy_range(src: int, dst: int, size: int) -> int:
    """Copy bytes ``0..size`` of ``src`` to the same offsets of ``dst``; return how many there were.

    Fewer than ``size`` only if ``src`` is shorter. Real I/O errors (EIO, ENOSPC) propagate
    as ``OSError``; only "not supported here" falls back to the next way of copying.
    """
    done = _clone(src, dst, size) or _direct_copy(src, dst, size)
    done = _kernel_copy(src, dst, size, done)
    while done < size:
        chunk = os.pread(src, min(size - done, _USER_CHUNK), done)
        if not chunk:
            break
        view = memoryview(chunk)
        while view:
            n = os.pwrite(dst, view, done)
            done += n
            view = view[n:]
    return done
