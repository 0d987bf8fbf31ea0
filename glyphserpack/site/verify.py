"""``glyphserpack site verify``: is this directory exactly the site that was signed?

Steps (numbers appear in the code and in docs/site.md):

1. read ``site-manifest.json`` (GSP-E301);
2. recompute the root over its body (GSP-E305);
3. every listed file: safe name (GSP-E311), present (GSP-E302), same size and SHA-256 (GSP-E303);
4. no file on disk that the manifest does not list (GSP-E304);
5. signatures over the root against a trust store, purpose ``site``, at ``build_time_utc``
   (GSP-E306; unsigned: GSP-E307);
6. the chain: ``previous_manifest_root`` matches the republished ``history/ROOT16.json``, and
   the caller's copy of the previous manifest when one is given (GSP-E308);
7. RFC 3161 tokens over the root against TSA trust roots (GSP-E309; not checked: GSP-E310);
8. the transparency log under ``log/``: checkpoint signature and witnesses, the tiles, every
   state in ``api/`` re-derived from the log, the consistency proof from the previous
   release's checkpoint (GSP-E312..E315 and the log's GSP-E4xx; see :mod:`.verify_log`).

A registry site (``registry-manifest.json`` at its top, :mod:`.registry_manifest`) is checked
with steps 1–6 against that manifest, then every release site it nests is verified in full
(steps 1–8) and must have the root the registry recorded; their findings name the nested file.

Every problem becomes a finding; the report lists all of them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glyphserpack._internal.fsio import check_relative_name, read_bounded
from glyphserpack.errors import GlyphserpackError, InputError, VerificationError
from glyphserpack.findings import Finding, Report, finding
from glyphserpack.log.note import Verifier
from glyphserpack.site.context import PREFIX
from glyphserpack.site.logview import as_verifier
from glyphserpack.site.manifest import MANIFEST_LIMIT, MANIFEST_NAME, compute_root, load_previous, parse_manifest
from glyphserpack.site.registry_manifest import REGISTRY_MANIFEST, parse_registry_manifest, registry_root
from glyphserpack.site.verify_log import LogRequirements, check_site_log
from glyphserpack.trust import TrustStore, is_utc_timestamp

__all__ = ["SiteReport", "verify_site", "verify_site_or_raise"]


@dataclass
class SiteReport(Report):
    """Outcome of verifying one site directory; ``valid`` when no finding is an error."""

    root: str | None = None
    files_checked: int = 0
    signatures: list[dict[str, str]] = field(default_factory=list)
    timestamps: list[dict[str, Any]] = field(default_factory=list)
    previous_root: str | None = None
    log: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    #: a registry site: each nested release site and how it fared (None for a release site)
    releases: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        extra = {"releases": self.releases} if self.releases is not None else {}
        return {
            "valid": self.valid,
            "root": self.root,
            "files_checked": self.files_checked,
            "previous_manifest_root": self.previous_root,
            "signatures": self.signatures,
            "timestamps": self.timestamps,
            "log": self.log,
            "findings": self.findings_dicts(),
            **extra,
        }

    def lines(self) -> list[str]:
        out = [
            f"site: {'VALID' if self.valid else 'INVALID'}",
            f"  root: {self.root}",
            f"  files: {self.files_checked}",
        ]
        out += [f"  signature {s['key_id'][:PREFIX]}: {s['result']}" for s in self.signatures]
        out += [f"  time-stamp: {t['result']}" for t in self.timestamps]
        if self.previous_root:
            out.append(f"  previous manifest root: {self.previous_root}")
        if self.log is not None:
            out.append(f"  log: {self.log['origin']} size {self.log['size']} root {self.log['root_hash']}")
        out += [f"  release {r['path']}: {'VALID' if r['valid'] else 'INVALID'}" for r in self.releases or ()]
        out += [f"  {f.line()}" for f in sorted(self.findings)]
        return out


def _disk_files(site: Path, manifest_name: str = MANIFEST_NAME) -> set[str]:
    out: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(site):
        dirnames.sort()
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            out.add((Path(dirpath) / name).relative_to(site).as_posix())
    out.discard(manifest_name)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_files(site: Path, files: list[Any], report: SiteReport, manifest_name: str = MANIFEST_NAME) -> None:
    listed: set[str] = set()
    for i, f in enumerate(files):
        if not (isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str)):
            report.findings.append(finding("GSP-E301", manifest_name, f"body.files[{i}] malformed"))
            continue
        name = f["path"]
        try:
            check_relative_name(name, what="manifest entry")
        except GlyphserpackError as exc:
            report.findings.append(finding("GSP-E311", name, exc.message))
            continue
        listed.add(name)
        path = site / name
        if path.is_symlink() or not path.is_file():
            report.findings.append(
                finding("GSP-E302", name, "listed in the manifest but missing (or not a regular file)")
            )
            continue
        report.files_checked += 1
        actual = _sha256(path)
        if actual != f["sha256"] or path.stat().st_size != f.get("size"):
            report.findings.append(finding("GSP-E303", name, f"sha256 {actual}, manifest says {f['sha256']}"))
    for extra in sorted(_disk_files(site, manifest_name) - listed):
        report.findings.append(finding("GSP-E304", extra, "present in the site but not listed in the manifest"))


def _check_signatures(
    obj: dict[str, Any], root: str, trust: TrustStore | None, report: SiteReport, name: str = MANIFEST_NAME
) -> None:
    sigs = obj.get("signatures") or []
    when = obj["body"].get("build_time_utc")
    if not sigs:
        report.findings.append(finding("GSP-E307", name, "the site manifest carries no signature"))
        if trust is not None:
            report.findings.append(finding("GSP-E306", name, "no signature from a trusted site key"))
        return
    for i, s in enumerate(sigs):
        kid = str(s.get("key_id", "")) if isinstance(s, dict) else ""
        if trust is None:
            report.signatures.append({"key_id": kid, "result": "not checked (no --trust)"})
            continue
        try:
            sig = bytes.fromhex(str(s.get("signature", "")))
        except ValueError:
            sig = b""
        result = trust.check(kid, sig, bytes.fromhex(root), when=str(when), purpose="site")
        if not is_utc_timestamp(when):
            result = "build_time_utc missing or malformed"
        report.signatures.append({"key_id": kid, "result": str(result)})
        if result != "ok":
            report.findings.append(finding("GSP-E306", f"{name} signatures[{i}]", f"key {kid[:PREFIX]}: {result}"))
    if (
        trust is not None
        and not any(s["result"] == "ok" for s in report.signatures)
        and not any(f.code == "GSP-E306" for f in report.findings)
    ):
        report.findings.append(finding("GSP-E306", name, "no signature from a trusted site key"))


def _check_chain(site: Path, body: dict[str, Any], previous: Path | None, report: SiteReport) -> dict[str, Any] | None:
    """Step 6; returns the previous manifest's body when it could be read (for step 8)."""
    prev_body: dict[str, Any] | None = None
    prev_root = body.get("previous_manifest_root")
    report.previous_root = prev_root if isinstance(prev_root, str) else None
    if prev_root is None:
        if previous is not None:
            report.findings.append(finding("GSP-E308", MANIFEST_NAME, "records no previous manifest, one was expected"))
        return None
    if not isinstance(prev_root, str) or len(prev_root) != 64:
        report.findings.append(finding("GSP-E308", MANIFEST_NAME, "previous_manifest_root malformed"))
        return None
    history = f"history/{prev_root[:PREFIX]}.json"
    try:
        loaded = load_previous(site / history)
        got = loaded.root
        if got == prev_root:
            prev_body = parse_manifest(loaded.raw, name=history)["body"]
    except GlyphserpackError as exc:
        report.findings.append(finding("GSP-E308", history, f"previous manifest unusable: {exc.message}"))
        got = None
    if got is not None and got != prev_root:
        report.findings.append(finding("GSP-E308", history, f"root {got} differs from recorded {prev_root}"))
    if previous is not None:
        try:
            given = load_previous(previous)
            theirs = given.root
            if theirs == prev_root and prev_body is None:
                prev_body = parse_manifest(given.raw, name="--previous")["body"]
        except GlyphserpackError as exc:
            report.findings.append(finding("GSP-E308", "--previous", exc.message))
            return prev_body
        if theirs != prev_root:
            report.findings.append(
                finding(
                    "GSP-E308",
                    MANIFEST_NAME,
                    f"previous_manifest_root {prev_root} is not the given manifest's root {theirs}",
                )
            )
    return prev_body


def _check_timestamps(obj: dict[str, Any], root: str, tsa_roots: Sequence[Any] | None, report: SiteReport) -> None:
    tokens = obj.get("timestamps") or []
    if not tokens:
        report.findings.append(finding("GSP-E310", MANIFEST_NAME, "no RFC 3161 time-stamp over the root"))
        return
    for i, t in enumerate(tokens):
        where = f"{MANIFEST_NAME} timestamps[{i}]"
        try:
            token = base64.b64decode(str(t.get("token", "")), validate=True) if isinstance(t, dict) else b""
        except (binascii.Error, ValueError):
            token = b""
        if tsa_roots is None:
            report.timestamps.append({"result": "not checked (no --tsa-roots)"})
            report.findings.append(
                finding("GSP-E310", where, "time-stamp present but not checked (no TSA roots given)")
            )
            continue
        from glyphserpack.timestamp.verify import verify_timestamp

        rep = verify_timestamp(token, digest=bytes.fromhex(root), trust_roots=list(tsa_roots), where=where)
        report.timestamps.append({"result": "valid" if rep.valid else "invalid", "gen_time": rep.gen_time or ""})
        if not rep.valid:
            detail = "; ".join(f.line() for f in sorted(rep.findings))
            report.findings.append(finding("GSP-E309", where, detail))


def verify_site(
    site: Path,
    *,
    trust: TrustStore | None = None,
    tsa_roots: Sequence[Any] | None = None,
    previous: Path | None = None,
    log_key: Verifier | str | None = None,
    witnesses: Sequence[Verifier | str] = (),
    witness_quorum: int | None = None,
    previous_log: Path | None = None,
    require_log: bool = False,
) -> SiteReport:
    """Verify a built site directory; never raises for problems in the site itself.

    Log options (step 8): ``log_key`` pins the log's verifier key (default: the key the site
    names, checked against ``trust`` for purpose ``checkpoint`` when given); ``witnesses`` and
    ``witness_quorum`` demand N of M cosignatures (default: what the site declares);
    ``previous_log`` (the previous release's site or its ``log/``) names a rewritten entry;
    ``require_log`` makes a site without a log an error.
    """
    req = LogRequirements(
        log_key=as_verifier(log_key) if log_key is not None else None,
        witnesses=tuple(as_verifier(w, witness=True) for w in witnesses),
        witness_quorum=witness_quorum,
        previous_log=Path(previous_log) if previous_log is not None else None,
        required=require_log or log_key is not None or bool(witnesses) or previous_log is not None,
    )
    site = Path(site)
    report = SiteReport()
    if not site.is_dir():
        raise InputError(f"site {site}: not a directory")
    if not (site / MANIFEST_NAME).exists() and (site / REGISTRY_MANIFEST).is_file():
        return verify_registry(site, trust=trust, previous=previous, tsa_roots=tsa_roots)
    # 1. the manifest
    try:
        raw = read_bounded(site / MANIFEST_NAME, MANIFEST_LIMIT, what="site manifest")
        obj = parse_manifest(raw, name=MANIFEST_NAME)
    except GlyphserpackError as exc:
        report.findings.append(finding("GSP-E301", MANIFEST_NAME, exc.message))
        return report
    body = obj["body"]
    # 2. the root
    root = compute_root(body)
    report.root = root
    if root != obj["root"]:
        report.findings.append(
            finding("GSP-E305", MANIFEST_NAME, f"recorded root {obj['root']}, body hashes to {root}")
        )
    # 3.-4. the files
    _check_files(site, body["files"], report)
    # 5. signatures
    _check_signatures(obj, root, trust, report)
    # 6. chain
    previous_body = _check_chain(site, body, previous, report)
    # 7. time-stamps
    _check_timestamps(obj, root, tsa_roots, report)
    # 8. transparency log
    report.findings += check_site_log(site, body, previous_body, req=req, trust=trust)
    section = body.get("log")
    if isinstance(section, dict):
        report.log = {k: section.get(k) for k in ("origin", "size", "root_hash", "log_key", "cosigners")}
    report.findings.sort()
    return report


def verify_registry(
    site: Path,
    *,
    trust: TrustStore | None = None,
    previous: Path | None = None,
    tsa_roots: Sequence[Any] | None = None,
) -> SiteReport:
    """A registry site: its manifest (steps 1–6) and every release site it nests, in full."""
    releases: list[dict[str, Any]] = []
    report = SiteReport(releases=releases)
    # 1. the manifest
    try:
        raw = read_bounded(site / REGISTRY_MANIFEST, MANIFEST_LIMIT, what="registry manifest")
        obj = parse_registry_manifest(raw, name=REGISTRY_MANIFEST)
    except GlyphserpackError as exc:
        report.findings.append(finding("GSP-E301", REGISTRY_MANIFEST, exc.message))
        return report
    body = obj["body"]
    # 2. the root
    root = registry_root(body)
    report.root = root
    if root != obj["root"]:
        report.findings.append(
            finding("GSP-E305", REGISTRY_MANIFEST, f"recorded root {obj['root']}, body hashes to {root}")
        )
    # 3.-4. every file, nested release files included
    _check_files(site, body["files"], report, REGISTRY_MANIFEST)
    # 5. signatures
    _check_signatures(obj, root, trust, report, REGISTRY_MANIFEST)
    # 6. chain
    _check_registry_chain(site, body, previous, report)
    # the nested release sites, each in full, with the root the registry recorded
    for i, rel in enumerate(body["releases"]):
        path, want = (rel.get("path"), rel.get("site_manifest_root")) if isinstance(rel, dict) else (None, None)
        if not isinstance(path, str) or not isinstance(want, str):
            report.findings.append(finding("GSP-E301", REGISTRY_MANIFEST, f"body.releases[{i}] malformed"))
            continue
        try:
            check_relative_name(path, what="release path")
        except GlyphserpackError as exc:
            report.findings.append(finding("GSP-E311", path, exc.message))
            continue
        nested = verify_site(site / path, trust=trust, tsa_roots=tsa_roots) if (site / path).is_dir() else None
        if nested is None:
            report.findings.append(finding("GSP-E302", path, "release site listed in the registry but missing"))
            continue
        report.findings += [Finding(f.code, f"{path}/{f.where}", f.detail) for f in nested.findings]
        if nested.root != want:
            report.findings.append(
                finding("GSP-E303", f"{path}/{MANIFEST_NAME}", f"root {nested.root}, the registry recorded {want}")
            )
        releases.append({"path": path, "root": nested.root, "valid": nested.valid and nested.root == want})
    report.findings.sort()
    return report


def _check_registry_chain(site: Path, body: dict[str, Any], previous: Path | None, report: SiteReport) -> None:
    """Step 6 for a registry: the previous registry manifest, republished under ``history/``."""
    prev_root = body.get("previous_manifest_root")
    report.previous_root = prev_root if isinstance(prev_root, str) else None
    given: str | None = None
    if previous is not None:
        try:
            given_obj = parse_registry_manifest(read_bounded(previous, MANIFEST_LIMIT), name="--previous")
            given = registry_root(given_obj["body"])
        except GlyphserpackError as exc:
            report.findings.append(finding("GSP-E308", "--previous", exc.message))
    if prev_root is None:
        if previous is not None:
            report.findings.append(
                finding("GSP-E308", REGISTRY_MANIFEST, "records no previous manifest, one was expected")
            )
        return
    if not isinstance(prev_root, str) or len(prev_root) != 64:
        report.findings.append(finding("GSP-E308", REGISTRY_MANIFEST, "previous_manifest_root malformed"))
        return
    history = f"history/{prev_root[:PREFIX]}.json"
    try:
        old = parse_registry_manifest(read_bounded(site / history, MANIFEST_LIMIT), name=history)
        got = registry_root(old["body"])
        if got != prev_root:
            report.findings.append(finding("GSP-E308", history, f"root {got} differs from recorded {prev_root}"))
    except GlyphserpackError as exc:
        report.findings.append(finding("GSP-E308", history, f"previous manifest unusable: {exc.message}"))
    if given is not None and given != prev_root:
        report.findings.append(
            finding("GSP-E308", REGISTRY_MANIFEST, f"previous_manifest_root {prev_root} is not the given one {given}")
        )


def verify_site_or_raise(site: Path, **kwargs: Any) -> SiteReport:
    report = verify_site(site, **kwargs)
    if not report.valid:
        raise VerificationError("; ".join(f.line() for f in report.findings if f.severity == "error"))
    return report
