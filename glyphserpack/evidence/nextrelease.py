"""Start the next release from the last one (``glyphserpack evidence new-release``).

A registry's next release reuses almost all of the last one's evidence. Doing it by hand
meant ``sed`` on ``release.yaml`` in place, which destroyed the tree of the release just
published. Here the source tree is copied to a new directory, and only what names the
release changes there:

1. ``release.yaml``: ``release_id``, ``version`` and ``release_time_utc`` (text edits of the
   three scalars, so comments and layout survive);
2. each workstream readiness document whose gate bound the previous version
   (``release_gate_binding.target_release``) is re-targeted to the new one, so the new gate
   is as strict as the last; each is named for review;
3. every hash link is re-pinned (:func:`~glyphserpack.evidence.pin.plan_pins`).

Signed records are copied as they are, never edited. Each one that no longer holds at the new
release time (its validity ended, by the status rule ``check`` uses,
:func:`glyphserpack.evidence.certview.list_tree`) or that pins something that changed is named
for re-signing. The copy is staged beside the destination and renamed into place only
when every step passed; the source is never written.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

from glyphserpack._internal.docload import DOCUMENT_LIMIT
from glyphserpack._internal.fsio import absolute, atomic_write, read_bounded, staged_tree
from glyphserpack.errors import UsageError
from glyphserpack.evidence.certview import list_tree
from glyphserpack.evidence.loader import load_tree
from glyphserpack.evidence.pin import PinPlan, Resign, apply_pins, compose_text, find_scalar, plan_pins
from glyphserpack.trust import is_utc_timestamp

__all__ = ["RESIGN_STATUSES", "NewRelease", "new_release", "set_scalars"]

#: Statuses at the new release time that only a new signature can fix (``cert renew``).
#: Revoked, superseded and failed records stay as the registry's history.
RESIGN_STATUSES = ("expired", "invalid")


@dataclass(frozen=True)
class NewRelease:
    """What ``new_release`` wrote: the new release's names, each edit, and what needs re-signing."""

    dest: Path
    release_id: str
    version: str
    release_time: str
    edits: tuple[str, ...]
    pins: PinPlan
    resign: tuple[Resign, ...]


def _version(text: str, what: str) -> Version:
    if what == "--version" and not re.fullmatch(r"\d+\.\d+\.\d+", text):
        raise UsageError(f"--version {text!r}: expected MAJOR.MINOR.PATCH, e.g. 1.1.0 (release.yaml's version format)")
    try:
        return Version(text)
    except InvalidVersion:
        raise UsageError(f"{what} {text!r}: not a version (PEP 440 / semver, e.g. 1.2.0)") from None


def _check_dest(src: Path, dest: Path) -> None:
    if dest.resolve() == src.resolve() or dest.resolve().is_relative_to(src.resolve()):
        raise UsageError(
            f"DEST_DIR {dest}: lies inside SRC_DIR {src}; the new tree would be read as part of the old one",
            remedy="give a directory beside the source tree, e.g. ev-1.1.0",
        )
    if os.path.lexists(dest) and (dest.is_symlink() or not dest.is_dir() or any(dest.iterdir())):
        raise UsageError(
            f"DEST_DIR {dest}: exists and is not an empty directory; nothing written",
            remedy="give a new directory (the next release is a new tree; the old one stays as published)",
        )


def _copy(src: Path, stage: Path) -> None:
    """Copy every regular file of ``src`` into ``stage``; a link or special file is refused, by name."""
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        dirnames.sort()
        here = Path(dirpath)
        for name in sorted([*dirnames, *filenames]):
            st = os.lstat(here / name)
            rel = (here / name).relative_to(src)
            if stat.S_ISDIR(st.st_mode):
                (stage / rel).mkdir(mode=0o755, exist_ok=True)
            elif stat.S_ISREG(st.st_mode):
                shutil.copyfile(here / name, stage / rel, follow_symlinks=False)
                os.chmod(stage / rel, stat.S_IMODE(st.st_mode))
            else:
                raise UsageError(
                    f"SRC_DIR {src}: {rel.as_posix()} is a link or special file; an evidence tree holds none"
                )


def _scalar_text(value: str, style: str | None) -> str:
    if style in ("'", '"'):
        return f"{style}{value}{style}"
    return value if yaml.safe_load(value) == value else f"'{value}'"


def set_scalars(data: bytes, name: str, values: dict[str, str]) -> bytes:
    """Replace scalars (by field path, ``a.b``) of a YAML document in its text; comments, order, quoting kept."""
    text, root = compose_text(data, name)
    spans: list[tuple[int, int, str]] = []
    for where, value in values.items():
        node = find_scalar(root, where, name)
        spans.append((node.start_mark.index, node.end_mark.index, _scalar_text(value, node.style)))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text.encode("utf-8")


def new_release(src: Path, dest: Path, *, version: str, release_time: str, release_id: str | None = None) -> NewRelease:
    """Copy the tree at ``src`` to ``dest`` as the next release; see the module docstring.

    Raises UsageError (nothing written) for a DEST inside SRC or not empty, a version not
    greater than SRC's, a release time not after SRC's, or a release id that cannot be derived.
    """
    given = Path(src)
    if not is_utc_timestamp(release_time):
        raise UsageError(f"--release-time {release_time!r}: expected YYYY-MM-DDTHH:MM:SSZ")
    _check_dest(given, Path(dest))
    src, dest = absolute(given), absolute(Path(dest))
    tree = load_tree(src)
    old = tree.manifest
    if _version(version, "--version") <= _version(old.version, f"{tree.manifest_path} version"):
        raise UsageError(
            f"--version {version}: not greater than {old.version}, the version of {given / tree.manifest_path}; "
            "nothing written"
        )
    if release_time <= old.release_time_utc:
        raise UsageError(f"--release-time {release_time}: not after {old.release_time_utc}, the source release's")
    if release_id is None:
        if not old.release_id.endswith(f"-{old.version}"):
            raise UsageError(
                f"--release-id: needed, since {old.release_id!r} does not end with its version -{old.version}"
            )
        release_id = old.release_id.removesuffix(old.version) + version
    with staged_tree(dest, suffix=".new-release") as stage:
        edits, pins, resign = _build(src, stage, tree.manifest_path, version, release_time, release_id, old.version)
    return NewRelease(dest, release_id, version, release_time, edits, pins, resign)


def _build(
    src: Path, stage: Path, manifest: str, version: str, when: str, release_id: str, old_version: str
) -> tuple[tuple[str, ...], PinPlan, tuple[Resign, ...]]:
    _copy(src, stage)
    data = read_bounded(stage / manifest, DOCUMENT_LIMIT, what=f"document {manifest}")
    values = {"release_id": release_id, "version": version, "release_time_utc": when}
    atomic_write(stage / manifest, set_scalars(data, manifest, values))
    edits = [f"{manifest}: {k}: {v}" for k, v in values.items()]
    for doc in load_tree(stage).by_kind("workstream_readiness"):
        if doc.obj["release_gate_binding"]["target_release"] != old_version:
            continue
        where = "release_gate_binding.target_release"
        data = read_bounded(stage / doc.path, DOCUMENT_LIMIT, what=f"document {doc.path}")
        atomic_write(stage / doc.path, set_scalars(data, doc.path, {where: version}))
        edits.append(f"{doc.path}: release_gate_binding.target_release: {old_version} -> {version} (review it)")
    pins = plan_pins(stage)
    apply_pins(stage, pins)
    tree = load_tree(stage)
    resign = list(pins.resign)
    resign += [
        Resign(row.path, "release_time_utc", when, f"{row.status} then ({row.reason}); renew it (cert renew)")
        for row in list_tree(tree, at=when)
        if row.status in RESIGN_STATUSES
    ]
    return tuple(edits), pins, tuple(sorted(set(resign), key=lambda r: (r.path, r.field, r.target)))
