"""``--previous-manifest FILE``: the previous release's ``site-manifest.json``, checked before step 1.

The site step hands the file to :func:`glyphserpack.site.build_site`, which records its root
as ``previous_manifest_root`` (the sites form a hash chain), republishes it under
``history/``, and, when both sites publish a transparency log, proves that this release's log
extends the checkpoint the previous site published. Everything that could make that step fail
is checked here, before the output directory is touched, so a wrong file costs nothing:

1. the file exists outside OUT (a fresh build replaces ``OUT/site``: copy the previous
   manifest elsewhere first) and is a regular file;
2. it is a glyphserpack site manifest whose recorded root matches its body;
3. if it publishes a log (``body.log``): the build appends to a long-lived log (``--log``)
   with the same verifier key, and that log extends the published checkpoint. A build
   without ``--log`` makes a new, self-contained log that cannot extend it.

Its SHA-256 is bound into the checkpoint's inputs hash, like every other input.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from glyphserpack._internal.fsio import read_bounded
from glyphserpack.errors import GlyphserpackError, InputError, UsageError
from glyphserpack.log import LogStore
from glyphserpack.release.config import BuildConfig

__all__ = ["PreviousSite", "check_previous_manifest"]

_WHAT = "previous manifest"


@dataclass(frozen=True)
class PreviousSite:
    """The checked previous manifest: where it is, the SHA-256 of its bytes, its root."""

    path: Path
    sha256: str
    root: str


def _refuse(path: Path, problem: str, remedy: str | None = None) -> InputError:
    return InputError(f"{_WHAT} {path}: {problem}", remedy=remedy)


def check_previous_manifest(config: BuildConfig, out: Path, registry_log: LogStore | None) -> PreviousSite | None:
    """Steps 1–3 of the module docstring; None without a previous manifest. Raises (exit 2)."""
    from glyphserpack.site.logview import previous_log_section
    from glyphserpack.site.manifest import MANIFEST_LIMIT, compute_root, parse_manifest

    path = config.previous_manifest
    if path is None:
        return None
    remedy = "give the previous release's site/site-manifest.json (--previous-manifest or previous_manifest)"
    if path.resolve().is_relative_to(out.resolve()):
        raise UsageError(
            f"{_WHAT} {path}: lies inside the output directory {out}, which this build replaces",
            remedy="copy the previous release's site-manifest.json out of OUT first",
        )
    if not path.exists():
        raise _refuse(path, "not found", remedy)
    if path.is_symlink() or not path.is_file():
        raise _refuse(path, "a symbolic link" if path.is_symlink() else "not a regular file", remedy)
    name = f"{_WHAT} {path}"
    try:
        raw = read_bounded(path, MANIFEST_LIMIT, what=_WHAT)
        obj = parse_manifest(raw, name=name)
        section = previous_log_section(raw, name=name)
    except GlyphserpackError as exc:
        exc.remedy = remedy
        raise
    root = compute_root(obj["body"])
    if root != obj["root"]:
        raise _refuse(path, f"recorded root {obj['root']} does not match its body ({root})", remedy)
    if section is not None and config.sign_key is not None:
        _check_log_section(path, section, registry_log)
    return PreviousSite(path, hashlib.sha256(raw).hexdigest(), root)


def _check_log_section(path: Path, section: dict[str, object], registry_log: LogStore | None) -> None:
    """Step 3: the previous site's log must be the log this build appends to, and extended by it."""
    from glyphserpack.log import make_consistency_proof
    from glyphserpack.site.logview import as_verifier

    if registry_log is None:
        raise _refuse(
            path,
            f"that site publishes the transparency log {section.get('origin')}; a build without --log makes a "
            "new self-contained log, which cannot extend it",
            remedy="pass --log LOG_DIR, the registry's long-lived log the previous release appended to (docs/build.md)",
        )
    theirs = as_verifier(str(section["log_key"])).vkey()
    ours = registry_log.log_key.vkey()
    if theirs != ours:
        raise _refuse(
            path,
            f"its site's log has another key ({theirs}) than --log {registry_log.root} ({ours})",
            remedy="build with the log the previous release published, or give that release's manifest",
        )
    try:
        make_consistency_proof(registry_log, str(section["checkpoint"]).encode())
    except GlyphserpackError as exc:
        raise _refuse(
            path,
            f"--log {registry_log.root} does not extend the checkpoint that site published ({exc.message})",
            remedy="give the manifest of a release built from this log",
        ) from None
