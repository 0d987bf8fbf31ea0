"""What the archive page says about one ``.glyphserpack`` file, via the pack reader.

A pack that the reader cannot open is still listed (with its SHA-256 and size) and marked
unreadable: the archive page must show what was published, not hide a broken upload.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from glyphserpack._internal.fsio import file_sha256
from glyphserpack.errors import GlyphserpackError
from glyphserpack.site.context import PackRecord, ParityRecord, download_path
from glyphserpack.site.escape import safe_filename
from glyphserpack.trust import TrustStore

__all__ = ["describe"]


def _timestamps(reader: Any, tsa_roots: Sequence[Any] | None) -> tuple[tuple[str, ...], str]:
    """Each token as "genTime by TSA: valid/invalid", and the chain's overall result."""
    from glyphserpack.timestamp.packstamp import verify_members

    report = verify_members(reader.root_hash, reader.attachments(), trust_roots=tsa_roots)
    if not report.links:
        return (), "no time-stamp"
    lines = tuple(
        f"{r.gen_time or 'unknown time'} by {r.tsa_name or r.signer or 'unknown TSA'}: "
        f"{'valid' if r.valid else 'INVALID'}"
        for link in report.links
        for r in link.reports
    )
    errors = sorted({f.code for f in report.findings if f.severity == "error"})
    if errors:
        return lines, "time-stamp chain INVALID (" + ", ".join(errors) + ")"
    if tsa_roots is None:
        return lines, "time-stamp chain well-formed; TSA certificates not checked (no TSA roots given)"
    return lines, "time-stamp chain valid against the given TSA roots"


def _signatures(path: Path, trust: TrustStore | None) -> tuple[str, bool | None]:
    """Verify the whole pack against ``trust`` (purpose ``pack``), as ``glyphserpack verify`` does.

    Reading only the manifest would show who *claims* to have signed; a registry page must say
    whether the signatures and every member hash actually hold for the keys it trusts.
    """
    if trust is None:
        return "signatures not checked (no trust store given)", None
    from glyphserpack.pack import verify

    report = verify(path, trust=trust)
    if report.valid:
        return "verified: every frame and member hash, and the signatures against the trust store", True
    codes = sorted({f.code for f in report.findings if f.severity == "error"})
    failed = sorted(c.check_id for c in report.checks if c.result == "fail")
    return "verification FAILED (" + ", ".join(codes or failed) + ")", False


def _parity(path: Path, download: str) -> ParityRecord | None:
    """The sidecar beside ``path`` (``NAME.par``), checked against the pack; None when there is none.

    Published as ``download + ".par"``: beside the pack under the name the tools look for.
    """
    from glyphserpack._internal.packparity import parity_result
    from glyphserpack.parity import assess, sidecar_path

    par = sidecar_path(path)
    if not par.is_file() or par.is_symlink():
        return None
    try:
        _, status = parity_result(assess(path, par))
    except GlyphserpackError as exc:
        status = f"not checked ({exc.message})"
    return ParityRecord(par.name, file_sha256(par), par.stat().st_size, download + ".par", status)


def describe(path: Path, *, tsa_roots: Sequence[Any] | None = None, trust: TrustStore | None = None) -> PackRecord:
    """Root hash, signers, time-stamps and members of one pack, checked when roots or a trust store are given."""
    digest = file_sha256(path)
    size = path.stat().st_size
    download = download_path(digest, safe_filename(path.name, default="release.glyphserpack"), folder="packs")
    parity = _parity(path, download)
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
            stamps, status = _timestamps(reader, tsa_roots)
            root_hash = reader.root_hash.hex()
        signature_status, signature_valid = _signatures(path, trust)
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
        )
    except (GlyphserpackError, ImportError) as exc:
        detail = exc.message if isinstance(exc, GlyphserpackError) else "pack reader unavailable"
        return PackRecord(
            name=path.name,
            sha256=digest,
            size=size,
            download=download,
            root_hash=None,
            signers=(),
            timestamps=(),
            verify_status=f"unreadable: {detail}",
            signature_status="verification FAILED (unreadable)" if trust is not None else PackRecord.signature_status,
            signature_valid=False if trust is not None else None,
            parity=parity,
        )
