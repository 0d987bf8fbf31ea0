"""What the archive page says about one ``.glyphserpack`` file: its verdict from :func:`glyphserpack.pack.verify`.

The verdict, time-stamp lines and parity status all come from one run of the library's
verification pipeline, so the page says what ``glyphserpack verify`` says; the pack reader
only supplies the signers and members listed beside it.

A pack that the reader cannot open is still listed (with its SHA-256 and size) and marked
unreadable: the archive page must show what was published, not hide a broken upload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glyphserpack._internal.fsio import file_sha256
from glyphserpack.errors import GlyphserpackError
from glyphserpack.site.context import PackRecord, ParityRecord, download_path
from glyphserpack.site.escape import safe_filename
from glyphserpack.trust import TrustStore

if TYPE_CHECKING:
    from glyphserpack.pack.report import PackReport

__all__ = ["describe"]


def _timestamps(report: PackReport, tsa_roots: Sequence[Any] | None) -> tuple[tuple[str, ...], str]:
    """Each token as "genTime by TSA: valid/invalid", and the chain's overall result (from step T)."""
    chain = report.timestamp_chain
    if chain is None or not chain.links:
        return (), "no time-stamp"
    lines = tuple(
        f"{r.gen_time or 'unknown time'} by {r.tsa_name or r.signer or 'unknown TSA'}: "
        f"{'valid' if r.valid else 'INVALID'}"
        for link in chain.links
        for r in link.reports
    )
    errors = sorted({f.code for f in chain.findings if f.severity == "error"})
    if errors:
        return lines, "time-stamp chain INVALID (" + ", ".join(errors) + ")"
    if tsa_roots is None:
        return lines, "time-stamp chain well-formed; TSA certificates not checked (no TSA roots given)"
    return lines, "time-stamp chain valid against the given TSA roots"


def _verdict(report: PackReport, trust: TrustStore | None) -> tuple[str, bool | None]:
    """The pack's verdict from :func:`glyphserpack.pack.verify`, the same as ``glyphserpack verify`` gives.

    Reading only the manifest would show who *claims* to have signed; a registry page must say
    whether the signatures and every member hash actually hold for the keys it trusts. Without
    a trust store an intact pack claims nothing about its signers; a broken one is FAILED.
    """
    if report.valid:
        if trust is None:
            return "signatures not checked (no trust store given)", None
        return "verified: every frame and member hash, and the signatures against the trust store", True
    codes = sorted({f.code for f in report.findings if f.severity == "error"})
    failed = sorted(c.check_id for c in report.checks if c.result == "fail")
    return "verification FAILED (" + ", ".join(codes or failed) + ")", False


def _parity(path: Path, download: str, report: PackReport | None) -> ParityRecord | None:
    """The sidecar beside ``path`` (``NAME.par``) and what step 11 found; None when there is none.

    Published as ``download + ".par"``: beside the pack under the name the tools look for.
    """
    from glyphserpack.pack.paritycheck import parity_result
    from glyphserpack.parity import sidecar_path

    par = sidecar_path(path)
    if not par.is_file() or par.is_symlink():
        return None
    if report is None or report.parity is None:
        status = "not checked (the pack could not be verified)"
    else:
        status = parity_result(report.parity)[1]
    return ParityRecord(par.name, file_sha256(par), par.stat().st_size, download + ".par", status)


def describe(path: Path, *, tsa_roots: Sequence[Any] | None = None, trust: TrustStore | None = None) -> PackRecord:
    """Root hash, signers, time-stamps and members of one pack, and its :func:`glyphserpack.pack.verify` verdict."""
    digest = file_sha256(path)
    size = path.stat().st_size
    download = download_path(digest, safe_filename(path.name, default="release.glyphserpack"), folder="packs")
    unreadable = PackRecord(
        name=path.name,
        sha256=digest,
        size=size,
        download=download,
        root_hash=None,
        signers=(),
        timestamps=(),
        signature_status="verification FAILED (unreadable)",
        signature_valid=False,
    )
    try:
        from glyphserpack.pack import verify

        report = verify(path, trust=trust, tsa_trust=tsa_roots)
    except (GlyphserpackError, ImportError) as exc:
        detail = exc.message if isinstance(exc, GlyphserpackError) else "pack reader unavailable"
        return replace(unreadable, verify_status=f"unreadable: {detail}", parity=_parity(path, download, None))
    stamps, status = _timestamps(report, tsa_roots)
    signature_status, signature_valid = _verdict(report, trust)
    parity = _parity(path, download, report)
    codes = tuple(report.codes)
    try:
        from glyphserpack.pack.read import open_pack

        with open_pack(path) as reader:
            manifest = reader.manifest
            signers = tuple(sorted(str(s.get("key_id", "")) for s in manifest.get("signers", [])))
            members = frozenset(
                {str(m["name"]) for m in manifest.get("members", [])}
                | {str(m["name"]).removeprefix("data/") for m in manifest.get("members", [])}
                | {str(m["sha256"]) for m in manifest.get("members", [])}
            )
            root_hash = reader.root_hash.hex()
    except GlyphserpackError as exc:
        return replace(
            unreadable,
            verify_status=f"unreadable: {exc.message}",
            signature_status=signature_status,
            signature_valid=signature_valid,
            parity=parity,
            findings=codes,
        )
    return PackRecord(
        name=path.name,
        sha256=digest,
        size=size,
        download=download,
        root_hash=root_hash,
        signers=signers,
        timestamps=stamps,
        members=members,
        verify_status=status,
        signature_status=signature_status,
        signature_valid=signature_valid,
        parity=parity,
        findings=codes,
    )
