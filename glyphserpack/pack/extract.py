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
from typing import TYPE_CHECKING, BinaryIO

from glyphserpack._internal.fsio import absolute, check_relative_name, refuse_replacing_cwd, staging_dir
from glyphserpack._internal.pack.reader import Limits
from glyphserpack.errors import InputError, PackError, SignatureInvalid, UsageError, VerificationError
from glyphserpack.pack.read import PackReader

if TYPE_CHECKING:
    from glyphserpack.pack.report import PackReport
    from glyphserpack.trust import TrustStore

# Verification (whole-pack extract, --trust) is imported where it is used: extracting one
# member needs only the reader, and must start fast (issue 3: < 0.2 s from the CLI).

_MEMBER_CODES = {"GSP-E105", "GSP-E106", "GSP-E107", "GSP-E109"}
#: Step-9 findings that ``--trust`` turns into a refusal to write anything, even in salvage mode.
_SIGNATURE_CODES = {"GSP-E114", "GSP-E115", "GSP-E116", "GSP-E117"}

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


def _check_dest(dest: Path) -> None:
    refuse_replacing_cwd(dest, option="destination")
    if dest.exists() and (not dest.is_dir() or dest.is_symlink() or any(dest.iterdir())):
        raise InputError(f"destination {dest}: exists and is not an empty directory", remedy="choose a new directory")


def _prepare(dest: Path) -> Path:
    _check_dest(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    return staging_dir(dest.parent, prefix=f".{dest.name}.", suffix=".partial")


def _commit(tmp: Path, dest: Path) -> None:
    if dest.exists():
        dest.rmdir()
    os.replace(tmp, dest)


def _signature_failure(path: Path, report: PackReport) -> SignatureInvalid | None:
    """The error ``--trust`` raises for step-9 findings in ``report``, or ``None`` if they pass."""
    bad = sorted(f for f in report.findings if f.code in _SIGNATURE_CODES and f.severity == "error")
    if not bad:
        return None
    more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
    return SignatureInvalid(
        f"pack {path.name}: signatures do not verify against the trust store: {bad[0].line()}{more}; nothing extracted",
        remedy="check that --trust names the publisher's trust directory; `glyphserpack verify --trust` shows every "
        "finding",
    )


def _require_trusted(reader: PackReader, trust: TrustStore) -> None:
    """Check the manifest's signatures (FORMAT.md §7 step 9) before anything is written."""
    from glyphserpack.pack.report import PackReport
    from glyphserpack.pack.verify import check_signatures

    report = PackReport(pack=reader.path.name)
    signatures: dict[str, bytes | None] = {}
    for signer in reader.manifest["signers"]:
        where = f"signatures/{signer['key_id']}.sig"
        try:
            signatures[where] = reader.read_member(where) if reader.has_member(where) else None
        except PackError:
            signatures[where] = None  # damaged: reported as a signature that does not verify
    check_signatures(report, reader.manifest, reader.root_hash, signatures, trust)
    failure = _signature_failure(reader.path, report)
    if failure is not None:
        raise failure


def extract(
    path: Path,
    dest: Path,
    members: Sequence[str] = (),
    *,
    salvage: bool = False,
    threads: int = 2,
    limits: Limits | None = None,
    trust: TrustStore | None = None,
) -> ExtractResult:
    """Extract all members (or only ``members``) of a pack into the new directory ``dest``.

    Without ``salvage`` any problem aborts and DEST is untouched. With ``salvage`` every
    undamaged member is written and the damaged ones are listed (the pack still fails).

    Without ``trust`` only integrity is checked: every member against the pack's own
    manifest, so a pack re-made and re-signed by anyone extracts fine. With ``trust`` the
    manifest's signatures must also verify against that trust store for purpose ``pack`` at
    the pack's ``created`` time (as ``verify --trust``), checked before anything is written;
    failing that raises :class:`SignatureInvalid` and DEST is untouched, salvage or not.
    """
    path, dest = Path(path), absolute(dest)  # 'x/..' or '.' must name a real directory to rename
    if members:
        return _extract_some(path, dest, members, limits, trust)
    if trust is not None:
        _check_dest(dest)
        try:
            reader = PackReader(path, limits=limits)
        except PackError:
            pass  # damaged beyond random access: the full pass below still judges the signatures
        else:
            with reader:
                _require_trusted(reader, trust)
    from glyphserpack.pack.verify import run_verification

    tmp = _prepare(dest)
    try:
        report, result = run_verification(
            path, trust=trust, threads=threads, limits=limits, opener=lambda name, size: _open_new(tmp, name)
        )
        failure = _signature_failure(path, report) if trust is not None else None
        if failure is not None:
            raise failure
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


def _extract_some(
    path: Path, dest: Path, names: Sequence[str], limits: Limits | None, trust: TrustStore | None
) -> ExtractResult:
    """Random access: read only the frames holding the named members, each hash-checked."""
    with PackReader(path, limits=limits) as reader:
        for name in names:
            if not reader.has_member(name):
                raise UsageError(f"pack {path.name}: no member {name!r}", remedy="list members with `glyphserpack ls`")
        _check_dest(dest)
        if trust is not None:
            _require_trusted(reader, trust)
        tmp = _prepare(dest)
        try:
            for name in sorted(set(names)):
                data = reader.read_member(name)
                with _open_new(tmp, name) as fh:
                    fh.write(data)
            _commit(tmp, dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return ExtractResult(sorted(set(names)), [], None)
