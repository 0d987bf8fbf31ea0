"""The one file-access seam: safe relative paths, bounded reads and atomic writes.

Every loader and extractor goes through here, so the rules (no absolute paths, no '..',
no links, no devices, no control characters; never a half-written output; never an output
inside the tree it is made from) are enforced in one place rather than re-implemented per
feature.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import hashlib
import os
import shutil
import stat
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from glyphserpack.errors import InputError, InputTooLargeError, UnsafePathError, UsageError

__all__ = [
    "absolute",
    "atomic_write",
    "atomic_writer",
    "check_name_text",
    "check_relative_name",
    "deferred_sync",
    "file_sha256",
    "hash_bounded",
    "read_bounded",
    "refuse_output_inside",
    "refuse_replacing_cwd",
    "replace_dir",
    "resolve_inside",
    "source_date_epoch",
    "staged_tree",
    "staging_dir",
]


def check_relative_name(name: str, *, what: str = "path") -> PurePosixPath:
    """Validate a POSIX relative name from untrusted input and return it normalised.

    Rejects empty names, absolute paths, '..' and '.' components, backslashes, NUL and other
    control characters (C0, C1, and Unicode format characters such as bidi overrides, which
    can make a listing lie about a name).
    """
    check_name_text(name, what=what)
    return PurePosixPath(name)


def check_name_text(name: str, *, what: str = "path") -> None:
    """:func:`check_relative_name` without building the path object: packs vet every member
    name with it (a million of them in a large pack), where the object was a third of the cost."""
    if not name:
        raise UnsafePathError(f"{what}: empty name")
    # Printable ASCII holds no Cc/Cf/Cs character, so only non-ASCII names need the table.
    if not (name.isascii() and name.isprintable()) or "\\" in name:
        for ch in name:
            cat = unicodedata.category(ch)
            if cat in ("Cc", "Cf", "Cs") or ch == "\\":
                raise UnsafePathError(f"{what} {name!r}: contains control or format character U+{ord(ch):04X}")
    if name.startswith("/"):
        raise UnsafePathError(f"{what} {name!r}: absolute paths are not allowed")
    if "//" in name or name.endswith("/") or "/./" in f"/{name}/" or "/../" in f"/{name}/":
        raise UnsafePathError(f"{what} {name!r}: empty, '.' or '..' component")


def resolve_inside(root: Path, name: str, *, what: str = "path") -> Path:
    """Map a relative name to a regular file under ``root``; refuse links and special files.

    Each component is checked with lstat so a symlinked directory in the middle is caught too.
    """
    rel = check_relative_name(name, what=what)
    current = root
    for i, part in enumerate(rel.parts):
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            raise InputError(f"{what} {name!r}: no such file under {root}") from None
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePathError(f"{what} {name!r}: {current} is a symbolic link")
        last = i == len(rel.parts) - 1
        if not last and not stat.S_ISDIR(st.st_mode):
            raise InputError(f"{what} {name!r}: {current} is not a directory")
        if last and not stat.S_ISREG(st.st_mode):
            raise UnsafePathError(f"{what} {name!r}: {current} is not a regular file")
    return current


def absolute(path: Path) -> Path:
    """``path`` made absolute against the working directory, once, where it enters the library.

    Third-party code resolves relative paths against other bases (mkdocs against its config
    file's directory), and a directory renamed into place needs a real name, not ``.`` or
    ``..``. So ``..`` is folded in through the links it passes (as the kernel would), while the
    last component is kept as given so that a link there is still seen, and refused, as one.
    """
    p = Path(path).absolute()
    if p.name in ("", ".."):
        return p.resolve()
    return p.parent.resolve() / p.name


def refuse_output_inside(output: Path, tree: Path, *, option: str, what: str, replaces: bool = False) -> None:
    """Refuse an output that is, or lies inside, the file or tree a command reads.

    An output inside its input is read back the next time: ``pack evidence -o
    evidence/x.glyphserpack`` nests the old pack in the next pack of that tree, and a sidecar
    written over its own pack destroys it. With ``replaces`` (the output directory is swapped
    in whole, so the old one is deleted) an input inside the output is refused as well. Both
    sides are resolved, so no spelling of the same place (relative, ``..``, a link) slips by.
    The error names the option and the input, and exits 2 before anything is written.
    """
    out, src = Path(output).resolve(), Path(tree).resolve()
    if out == src:
        raise UsageError(
            f"{option} {output}: is the {what} {tree} that this command reads",
            remedy=f"write the output somewhere other than the {what}",
        )
    if out.is_relative_to(src):
        raise UsageError(
            f"{option} {output}: lies inside the {what} {tree} that this command reads",
            remedy=f"write the output outside the {what}; it would be read back the next time",
        )
    if replaces and src.is_relative_to(out):
        raise UsageError(
            f"{option} {output}: contains the {what} {tree}, and the output directory is replaced as a whole",
            remedy=f"keep the {what} out of {option}: the old output and all it holds are deleted by the swap",
        )


def refuse_replacing_cwd(output: Path, *, option: str) -> None:
    """Refuse to swap in a directory that is, or holds, the working directory.

    Outputs built beside their target and renamed into place (an extracted tree, a site)
    replace the old directory whole; if that is ``.`` or a parent of it, the user's shell is
    left standing in a deleted directory. Asking for another name is the only safe answer.
    """
    if Path.cwd().resolve().is_relative_to(Path(output).resolve()):
        raise UsageError(
            f"{option} {output}: is the working directory or contains it, and would be replaced as a whole",
            remedy="choose a new directory for the output, or run the command from somewhere else",
        )


def _open_bounded(path: Path, limit: int, *, what: str) -> tuple[IO[bytes], int]:
    """Open a regular file without following a link; refuse it (by fstat) above ``limit`` bytes.

    The size is taken from the open descriptor, so the file judged is the file read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{what} {path}: not found") from None
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot open ({exc.strerror})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)  # checked before fdopen, which raises IsADirectoryError for a directory
        raise UnsafePathError(f"{what} {path}: not a regular file")
    if st.st_size > limit:
        os.close(fd)
        raise InputTooLargeError(
            f"{what} {path}: {st.st_size} bytes, more than the {limit}-byte limit for this kind of file"
        )
    return os.fdopen(fd, "rb"), st.st_size


def read_bounded(path: Path, limit: int, *, what: str = "file") -> bytes:
    """Read a regular file, refusing it before reading if it is larger than ``limit`` bytes."""
    fh, _ = _open_bounded(path, limit, what=what)
    with fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise InputTooLargeError(f"{what} {path}: grew past the {limit}-byte limit while being read")
    return data


_CHUNK = 1024 * 1024


def hash_bounded(path: Path, limit: int, *, what: str = "file") -> str:
    """Hex SHA-256 of a regular file, streamed in 1 MiB chunks: the bytes are never held whole.

    Attachments (logs, JUnit reports, SBOMs) are only hashed at load time, so a 200 MB file
    costs one chunk of memory, not 200 MB. Refused like :func:`read_bounded` above ``limit``.
    """
    fh, _ = _open_bounded(path, limit, what=what)
    digest = hashlib.sha256()
    seen = 0
    with fh:
        while chunk := fh.read(_CHUNK):
            seen += len(chunk)
            if seen > limit:
                raise InputTooLargeError(f"{what} {path}: grew past the {limit}-byte limit while being read")
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int = 0o644) -> Iterator[IO[bytes]]:
    """Write to a temp file beside ``path`` and rename it into place only on success.

    On any exception the temp file is removed and ``path`` is left exactly as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    deferred = _DEFERRED.get()
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if not deferred:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if deferred:
        return
    with contextlib.suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


#: True inside :func:`deferred_sync`: atomic writes rename without their own fsyncs.
_DEFERRED: contextvars.ContextVar[bool] = contextvars.ContextVar("glyphserpack_deferred_sync", default=False)


def _syncfs(directory: Path) -> None:
    """Flush the filesystem holding ``directory`` (Linux ``syncfs``; ``sync`` elsewhere).

    A failed ``syncfs`` (a write-back error) raises: the caller must not commit on top of it.
    """
    fd = os.open(directory, os.O_RDONLY)
    try:
        fn = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
        if fn is None:
            os.sync()
        elif fn(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs of {directory} failed: {os.strerror(err)}")
    finally:
        os.close(fd)


@contextlib.contextmanager
def deferred_sync(directory: Path, *, sync: bool = True) -> Iterator[None]:
    """Batch the durability of many atomic writes into one flush when the block succeeds.

    Each :func:`atomic_write` costs two fsyncs, which caps a writer of thousands of small
    files (a transparency log's tiles) at a few hundred files a second. Inside this block the
    writes stay atomic (temp file, rename) but skip their fsyncs; leaving it normally makes
    them all durable with one ``syncfs`` of ``directory``'s filesystem, so a commit written
    *after* the block (a checkpoint) can never name files that a crash could lose. On an
    exception nothing is flushed. ``sync=False`` skips the flush too, for rebuildable caches.
    """
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)
    if sync:
        _syncfs(directory)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename)."""
    with atomic_writer(path, mode=mode) as fh:
        fh.write(data)


def source_date_epoch(default: int | None = None) -> int | None:
    """The pinned build time from ``SOURCE_DATE_EPOCH``; never the wall clock.

    Returns ``default`` when the variable is unset; raises on a malformed value so a typo
    cannot silently make builds non-reproducible.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InputError(f"SOURCE_DATE_EPOCH={raw!r}: expected a whole number of seconds since 1970") from None
    if value < 0:
        raise InputError(f"SOURCE_DATE_EPOCH={raw!r}: must not be negative")
    return value


@contextlib.contextmanager
def staged_tree(dest: Path, *, suffix: str) -> Iterator[Path]:
    """A scratch directory beside ``dest`` (absent or empty) that becomes ``dest`` when the block ends.

    A tree written by a command (``evidence init``, ``evidence new-release``) appears whole
    or not at all: on any exception the scratch directory is removed and ``dest`` is untouched.
    """
    import shutil

    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = staging_dir(dest.parent, prefix=f".{dest.name}.", suffix=suffix)
    try:
        yield stage
        if dest.exists():
            dest.rmdir()
        stage.rename(dest)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def staging_dir(parent: Path, *, prefix: str, suffix: str = "") -> Path:
    """Create a private scratch directory beside an output, to be renamed into place.

    ``mkdtemp`` makes it 0700, which would survive the rename and leave a published site or
    an extracted tree unreadable to the web server or other users; so once it exists we give
    it the mode a plain ``mkdir`` would have had (0777 minus the process umask).
    """
    tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent))
    mask = os.umask(0o022)
    os.umask(mask)
    os.chmod(tmp, 0o777 & ~mask)
    return tmp


def replace_dir(staged: Path, out: Path) -> None:
    """Put a finished ``staged`` directory at ``out``, replacing whatever directory was there whole.

    Readers see the old tree or the new one, never a mix: the old tree is renamed aside, the
    new one renamed in (both on the same filesystem, as :func:`staging_dir` ensures), and only
    then is the old one deleted.
    """
    old: Path | None = None
    if out.exists() or out.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.replace(out, old)
    os.replace(staged, out)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, streamed: build outputs and published packs can be gigabytes."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
