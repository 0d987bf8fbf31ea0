"""Safe, atomic extraction (FORMAT.md §6).

Everything is written into a fresh temporary directory beside DEST and renamed into place
only when every written member has matched the manifest, so a failure leaves DEST exactly as
it was. Names are vetted by the strict tar reader and again by ``check_relative_name``;
files are created with ``O_EXCL | O_NOFOLLOW`` inside directories we created ourselves.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from glyphserpack._internal.fsio import check_relative_name, staging_dir
from glyphserpack._internal.pack.reader import Limits
from glyphserpack.errors import InputError, PackError, UsageError, VerificationError
from glyphserpack.pack.read import PackReader
from glyphserpack.pack.report import PackReport
from glyphserpack.pack.verify import run_verification

_MEMBER_CODES = {"GSP-E105", "GSP-E106", "GSP-E107", "GSP-E109"}

__all__ = ["ExtractResult", "extract"]


class ExtractResult:
    """Which members were written and which were left out as damaged (salvage mode)."""

    def __init__(self, written: list[str], damaged: list[str], report: PackReport | None) -> None:
        self.written = written
        self.damaged = damaged
        self.report = report


def _open_new(root: Path, name: str) -> BinaryIO:
    rel = check_relative_name(name, what="member")
    parent = root
    for part in rel.parts[:-1]:
        parent = parent / part
        with contextlib.suppress(FileExistsError):
            os.mkdir(parent, 0o755)
        if parent.is_symlink() or not parent.is_dir():
            raise PackError(f"member {name!r}: {part} is not a directory we created")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(parent / rel.parts[-1], flags, 0o644)
    except FileExistsError:
        raise PackError(f"member {name!r}: would overwrite another member") from None
    return os.fdopen(fd, "wb")


def _prepare(dest: Path) -> Path:
    if dest.exists() and (not dest.is_dir() or dest.is_symlink() or any(dest.iterdir())):
        raise InputError(f"destination {dest}: exists and is not an empty directory", remedy="choose a new directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    return staging_dir(dest.parent, prefix=f".{dest.name}.", suffix=".partial")


def _commit(tmp: Path, dest: Path) -> None:
    if dest.exists():
        dest.rmdir()
    os.replace(tmp, dest)


def extract(
    path: Path,
    dest: Path,
    members: Sequence[str] = (),
    *,
    salvage: bool = False,
    threads: int = 2,
    limits: Limits | None = None,
) -> ExtractResult:
    """Extract all members (or only ``members``) of a pack into the new directory ``dest``.

    Without ``salvage`` any problem aborts and DEST is untouched. With ``salvage`` every
    undamaged member is written and the damaged ones are listed (the pack still fails).
    """
    path, dest = Path(path), Path(dest)
    if members:
        return _extract_some(path, dest, members, limits)
    tmp = _prepare(dest)
    try:
        report, result = run_verification(
            path, threads=threads, limits=limits, opener=lambda name, size: _open_new(tmp, name)
        )
        errors = sorted(f for f in report.findings if f.severity == "error")
        if errors and (not salvage or report.root_hash is None or result is None):
            raise VerificationError(
                f"pack {path.name}: {errors[0].line()}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
                remedy="run `glyphserpack verify` for the full report; `extract --salvage` keeps undamaged members",
            )
        assert result is not None
        bad = set(report.damaged_members) | {s.name for s in result.members if s.sha256 is None}
        bad |= {f.where for f in errors if f.code in _MEMBER_CODES}
        for name in sorted(bad):
            with contextlib.suppress(FileNotFoundError, NotADirectoryError, IsADirectoryError):
                os.unlink(tmp / name)
        written = sorted({s.name for s in result.members} - bad)
        _commit(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExtractResult(written, sorted(bad), report)


def _extract_some(path: Path, dest: Path, names: Sequence[str], limits: Limits | None) -> ExtractResult:
    """Random access: read only the frames holding the named members, each hash-checked."""
    tmp = _prepare(dest)
    try:
        with PackReader(path, limits=limits) as reader:
            known = {m.name for m in reader.members()}
            for name in names:
                if name not in known:
                    raise UsageError(
                        f"pack {path.name}: no member {name!r}", remedy="list members with `glyphserpack ls`"
                    )
            for name in sorted(set(names)):
                data = reader.read_member(name)
                with _open_new(tmp, name) as fh:
                    fh.write(data)
        _commit(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExtractResult(sorted(set(names)), [], None)
