"""Verification: the numbered procedure of FORMAT.md §7, collected into one report.

:func:`verify` is the one verification pipeline: ``glyphserpack verify``, the build's
verify step, the site's archive page and the fixity audit all call it, so they all report
the same findings for the same pack. It runs, in order:

* steps 1–10 (:func:`run_verification`): trailer, index, limits, frames, tar stream,
  manifest, members, mirrors, signatures, attachments;
* step T, the RFC 3161 time-stamp chain attached under ``timestamps/`` (check
  ``timestamps``; findings ``GSP-E2xx``), read from the very stream steps 4–5 checked;
* step 11, the parity sidecar beside the pack (check ``parity``; findings ``GSP-E5xx``).

Step numbers in comments match the specification. Nothing stops at the first problem except
where the rest cannot be checked at all (no readable seek table or index).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glyphserpack import canonical
from glyphserpack._internal.pack import bag
from glyphserpack._internal.pack.frames import TrailerProblem
from glyphserpack._internal.pack.reader import Limits, RawPack
from glyphserpack.errors import CanonicalError, GlyphserpackError, PackError
from glyphserpack.pack.read import MANIFEST_LIMIT, check_manifest, open_pack
from glyphserpack.pack.report import PackReport

if TYPE_CHECKING:
    from cryptography import x509

    from glyphserpack._internal.pack.scan import Opener, Scanned, ScanResult
    from glyphserpack.timestamp.ers import DataObjects
    from glyphserpack.trust import TrustStore

    #: TSA trust roots: a PEM file, or certificates already loaded.
    TsaTrust = str | Path | Sequence[x509.Certificate] | None

# The scanner (thread pool) and cryptography are imported where they are used: this module
# is loaded with ``glyphserpack.pack``, and ``extract MEMBER`` must start fast.

__all__ = ["check_signatures", "run_verification", "verify", "verify_or_raise"]

_TRUST_CODES = {"revoked": "GSP-E116"}
_TIMESTAMPS = "timestamps/"


def _capture(name: str) -> bool:
    return not name.startswith("data/")


def verify(
    path: Path,
    *,
    trust: TrustStore | None = None,
    tsa_trust: TsaTrust = None,
    tsa_quorum: int = 1,
    parity: bool = True,
    threads: int = 2,
    limits: Limits | None = None,
) -> PackReport:
    """Check a pack completely (FORMAT.md §7 steps 1–11 and its time-stamp chain) into one report.

    ``trust``: the trust store whose ``pack`` keys must have signed it (else GSP-E118).
    ``tsa_trust``: TSA roots (PEM file or certificates) the time-stamps must chain to (else
    their signatures and structure are still checked, with warning GSP-E215).
    ``tsa_quorum``: independent TSAs required; it can only raise the quorum the pack records.
    ``parity``: also check the sidecar ``<pack>.par`` when one sits beside the pack.

    Raise :class:`PackError` only when the file is not a pack at all (and no sidecar is there
    to say more about it) or has an unknown major format version (GSP-E113).
    """
    path = Path(path)
    roots = _tsa_roots(tsa_trust)  # first: a bad --tsa-trust file is a usage error, found before any work
    try:
        report, result = run_verification(path, trust=trust, threads=threads, limits=limits)
    except PackError as exc:
        from glyphserpack._internal.parity.sidecar import sidecar_path

        if exc.code == "GSP-E113" or not parity or not sidecar_path(path).exists():
            raise
        # 11. Unreadable as a pack, but its parity may still restore it: report, don't stop.
        report, result = PackReport(pack=path.name), None
        report.add_finding("GSP-E101", path.name, exc.message)
        report.add_check("1-2.trailer", "fail", exc.message)
    # T. The time-stamp chain over the root hash.
    _check_timestamps(report, result, roots, tsa_quorum, path)
    # 11. Parity.
    if parity:
        from glyphserpack.pack.paritycheck import add_parity_check

        report.parity = add_parity_check(report, path)
    return report


def _tsa_roots(tsa_trust: TsaTrust) -> Sequence[x509.Certificate] | None:
    if not isinstance(tsa_trust, str | Path):
        return tsa_trust
    from glyphserpack.timestamp import load_certificates

    return load_certificates(Path(tsa_trust), what="--tsa-trust")


def _check_timestamps(
    report: PackReport,
    result: ScanResult | None,
    roots: Sequence[x509.Certificate] | None,
    quorum: int,
    path: Path | None = None,
) -> None:
    """Step T: the ``timestamps/`` members of the stream, checked against the signed root hash.

    The tokens come from the scan of steps 4–5 (first copy of each name, as everywhere), so a
    pack whose index is damaged is still judged on what its stream holds. A ``timestamps``
    check is added when the pack carries time-stamps or TSA roots were given; a pack without
    either keeps exactly the report of steps 1–11.
    """
    from glyphserpack.timestamp import verify_members

    members: dict[str, bytes] = {}
    for s in result.members if result is not None else []:
        if s.name.startswith(_TIMESTAMPS) and s.data is not None:
            members.setdefault(s.name, s.data)
    if report.root_hash is None:
        if result is not None and any(s.name.startswith(_TIMESTAMPS) for s in result.members):
            report.add_check("timestamps", "skip", "not checked: no usable signed manifest, so no root hash")
        return
    chain = verify_members(
        bytes.fromhex(report.root_hash),
        members,
        trust_roots=roots,
        min_quorum=quorum,
        objects=_data_objects(result, path),
    )
    report.timestamp_chain = chain
    if not chain.links and not chain.findings:
        if roots is not None:
            report.add_check("timestamps", "skip", "the pack carries no time-stamp")
        return
    report.merge([], chain.findings)
    errors = [f for f in chain.findings if f.severity == "error"]
    trusted = "against the given TSA roots" if roots is not None else "TSA certificates not checked (no TSA roots)"
    report.add_check(
        "timestamps", "fail" if errors else "pass", f"RFC 3161 chain of {len(chain.links)} link(s), {trusted}"
    )


def _data_objects(result: ScanResult | None, path: Path | None) -> DataObjects | None:
    """Format 1.1: the RFC 4998 data objects the time-stamps cover (step 6 found the manifest usable).

    SHA-256 digests come from the signed manifest; only a hash-tree renewal under another
    algorithm reads payload members again, through the pack's hash-checked reader.
    """
    from glyphserpack.timestamp.packstamp import pack_data_objects

    mf = next((s for s in result.members if s.name == "manifest.cbor"), None) if result is not None else None
    if mf is None or mf.data is None:
        return None
    manifest = canonical.loads(mf.data)

    def read(name: str) -> bytes:
        if path is None:
            raise LookupError(f"{name}: payload bytes unavailable")
        try:
            with open_pack(path) as reader:
                return reader.read_member(name)
        except (GlyphserpackError, OSError) as exc:
            raise LookupError(f"{name}: unreadable ({exc})") from None

    return pack_data_objects(manifest, mf.data, read)


def run_verification(
    path: Path,
    *,
    trust: TrustStore | None = None,
    threads: int = 2,
    limits: Limits | None = None,
    opener: Opener | None = None,
) -> tuple[PackReport, ScanResult | None]:
    """Steps 1–10 of :func:`verify`, optionally streaming each member's content to ``opener`` (extraction)."""
    from glyphserpack._internal.pack.scan import scan

    report = PackReport(pack=path.name)
    # 1-2. Seek table and index.
    try:
        raw = RawPack(path, limits=limits)
    except TrailerProblem as exc:
        report.add_check("1-2.trailer", "fail", exc.detail)
        report.add_finding(exc.code, "trailer", exc.detail)
        # 2a. Recover the frame layout from the frames themselves so undamaged members are still
        # checked against the signed manifest (and can be salvaged).
        raw = RawPack.recover(path, limits=limits)
        if not raw.index.frames:
            raw.close()
            return report, None
        gaps = sum(bool(f.gap) for f in raw.index.frames)
        skipped = f", {gaps} unreadable stretch(es) skipped" if gaps else ""
        report.add_check(
            "2a.recovered", "pass", f"{len(raw.index.frames) - gaps} frames found by walking frame headers{skipped}"
        )
    else:
        report.add_check("1-2.trailer", "pass", f"{len(raw.index.frames)} frames, {len(raw.index.members)} members")
    with raw:
        # 3. Decompression limits.
        why = raw.check_limits()
        if why is not None:
            report.add_check("3.limits", "fail", why)
            report.add_finding("GSP-E121", "pack", why)
            return report, None
        report.add_check("3.limits", "pass", f"{raw.index.d_total} bytes declared")
        # 4-5. Frames and tar stream.
        result = scan(raw, threads=threads, capture=_capture, opener=opener)
    for code, where, detail in result.problems:
        report.add_finding(code, where, detail)
    report.add_check(
        "4.frames",
        "fail" if result.damaged_frames else "pass",
        f"damaged frames: {result.damaged_frames}" if result.damaged_frames else "all frame hashes match",
    )
    stream_ok = not any(p[0] != "GSP-E104" for p in result.problems)
    report.add_check("5.tar", "pass" if stream_ok else "fail", "strict tar parse of the whole stream")
    _check_contents(report, result, trust, recovered=not raw.layout_known)
    return report, result


def _check_contents(report: PackReport, result: ScanResult, trust: TrustStore | None, *, recovered: bool) -> None:
    by_name: dict[str, Scanned] = {}
    for s in result.members:
        by_name.setdefault(s.name, s)
    for s in result.members:
        for lo, hi in s.damaged:
            if recovered:  # step 5: the member is cut at ``lo`` and the rest cannot be placed
                detail = f"content bytes {lo}-{hi} are unreadable (damaged pack bytes cut the member at byte {lo})"
            else:
                detail = f"content bytes {lo}-{hi} lie in a damaged frame"
            report.add_finding("GSP-E105", s.name, detail)
            report.damaged_members.append(s.name)
    # 6. Manifest.
    mf = by_name.get("manifest.cbor")
    manifest: dict[str, Any] | None = None
    manifest_bytes = b""
    copies = sum(s.name == "manifest.cbor" for s in result.members)
    if mf is None or mf.data is None:
        detail = "manifest.cbor missing" if mf is None else "manifest.cbor lies in a damaged frame"
        report.add_finding("GSP-E112", "manifest.cbor", detail)
    elif copies > 1:
        # Which copy is the pack's own cannot be told (after damage, one may come from inside a
        # payload file that is itself a pack): trust neither, so salvage writes nothing.
        report.add_finding("GSP-E112", "manifest.cbor", f"appears {copies} times in the stream")
    elif mf.size > MANIFEST_LIMIT:
        report.add_finding("GSP-E112", "manifest.cbor", "over the size cap")
    else:
        manifest_bytes = mf.data
        try:
            manifest = check_manifest(canonical.loads(manifest_bytes), "manifest.cbor")
        except CanonicalError as exc:
            report.add_finding("GSP-E112", "manifest.cbor", f"not canonical CBOR: {exc.message}")
        except PackError as exc:
            if exc.code == "GSP-E113":
                raise
            report.add_finding(exc.code or "GSP-E112", "manifest.cbor", exc.message)
    if manifest is None:
        report.add_check("6.manifest", "fail", "no usable signed manifest")
        return
    root = bag.root_hash_of_bytes(manifest_bytes)
    report.root_hash = root.hex()
    report.format_version = f"{manifest['format_version'][0]}.{manifest['format_version'][1]}"
    report.created = manifest["created"]
    report.add_check("6.manifest", "pass", f"root hash {root.hex()}")
    # 7. Members against the manifest.
    signed = {m["name"]: m for m in manifest["members"]}
    before = len(report.findings)
    for name, m in sorted(signed.items()):
        got = by_name.get(name)
        if got is None:
            lost = f" (lost in a damaged frame? content bytes 0-{m['size']})" if result.damaged_frames else ""
            report.add_finding("GSP-E108", name, f"listed in the manifest but not in the stream{lost}")
            if result.damaged_frames:
                report.damaged_members.append(name)
        elif got.size != m["size"]:
            report.add_finding("GSP-E106", name, f"stream has {got.size} bytes, manifest declares {m['size']}")
            report.damaged_members.append(name)
        elif got.sha256 is not None and got.sha256 != m["sha256"]:
            report.add_finding("GSP-E105", name, f"SHA-256 {got.sha256} differs from the manifest's {m['sha256']}")
            report.damaged_members.append(name)
    for name in sorted(by_name):
        if name not in signed and bag.is_covered(name):
            report.add_finding("GSP-E107", name, "not listed in the signed manifest")
    ok7 = len(report.findings) == before
    report.add_check("7.members", "pass" if ok7 else "fail", f"{len(signed)} signed members")
    # 8. Mirrors and BagIt files.
    _check_mirrors(report, manifest, by_name)
    # 9. Signatures.
    sigs = {n: s.data for n, s in by_name.items() if n.startswith("signatures/")}
    check_signatures(report, manifest, root, sigs, trust)
    # 10. Attachments are listed, not judged here.
    att = sorted(n for n in by_name if n.startswith(bag.ATTACHMENT_PREFIXES))
    report.add_check("10.attachments", "skip" if not att else "pass", f"unsigned attachments: {att}")


def _check_mirrors(report: PackReport, manifest: dict[str, Any], by_name: dict[str, Scanned]) -> None:
    before = len(report.findings)
    js = by_name.get("manifest.json")
    if js is None or js.data != bag.manifest_json(manifest):
        report.add_finding("GSP-E123", "manifest.json", "missing or not the mirror of manifest.cbor")
    payload = [(m["name"], m["sha256"]) for m in manifest["members"] if m["name"].startswith("data/")]
    pm = by_name.get("manifest-sha256.txt")
    if pm is not None and pm.data is not None and pm.data != bag.payload_manifest(payload):
        report.add_finding("GSP-E122", "manifest-sha256.txt", "does not list exactly the manifest's data/ members")
    tman = by_name.get("tagmanifest-sha256.txt")
    tags = {n: s.data for n, s in by_name.items() if not n.startswith("data/") and n != "tagmanifest-sha256.txt"}
    if tman is None or any(v is None for v in tags.values()):
        report.add_finding("GSP-E122", "tagmanifest-sha256.txt", "missing, or tag files unreadable")
    elif tman.data != bag.tag_manifest({n: v for n, v in tags.items() if v is not None}):
        report.add_finding("GSP-E122", "tagmanifest-sha256.txt", "does not match the tag files")
    ok = len(report.findings) == before
    report.add_check("8.mirrors", "pass" if ok else "fail", "manifest.json, manifest-sha256.txt, tagmanifest")


def check_signatures(
    report: PackReport,
    manifest: dict[str, Any],
    root: bytes,
    signatures: Mapping[str, bytes | None],
    trust: TrustStore | None,
) -> None:
    """Step 9: every signer's signature over ``root``, and with ``trust`` each signer's standing.

    ``signatures`` maps member names (``signatures/<key_id>.sig``) to their bytes, ``None``
    where the member is unreadable. Shared by :func:`verify` and by ``extract --trust``, so
    both apply exactly the same rules (every signer must be trusted for purpose ``pack`` at
    the manifest's ``created`` time).
    """
    from glyphserpack.signing import key_id as compute_key_id
    from glyphserpack.signing import load_public_key, verify_signature

    before = len(report.findings)
    signers = manifest["signers"]
    trusted_ok = 0
    for s in signers:
        kid = s["key_id"]
        where = f"signatures/{kid}.sig"
        sig = signatures.get(where)
        try:
            pub_raw = bytes.fromhex(s["public_key"])
            pub = load_public_key(pub_raw, where=f"signer {kid}")
            if compute_key_id(pub_raw) != kid:
                raise ValueError("key_id is not the SHA-256 of public_key")
        except Exception as exc:  # noqa: BLE001 - any malformed key is one finding
            report.add_finding("GSP-E114", where, f"signer entry unusable: {exc}")
            continue
        if sig is None or not verify_signature(pub, sig, root):
            report.add_finding("GSP-E114", where, "missing, or not a valid Ed25519 signature of the root hash")
            continue
        if trust is None:
            continue
        status = trust.check(kid, sig, root, when=manifest["created"], purpose="pack")
        if status == "ok":
            trusted_ok += 1
        else:
            code = _TRUST_CODES.get(str(status), "GSP-E115")
            report.add_finding(code, where, f"key {kid}: {status} at {manifest['created']} for purpose pack")
    if not signers:
        report.add_finding("GSP-E125", "signatures", "the pack carries no signature")
        if trust is not None:
            report.add_finding("GSP-E117", "signatures", "a trust store was given but the pack is unsigned")
    elif trust is None:
        report.add_finding("GSP-E118", "signatures", "verified against the keys inside the pack only; pass --trust")
    elif trusted_ok == 0:
        report.add_finding("GSP-E117", "signatures", f"none of {len(signers)} signatures is by a trusted key")
    errors = [f for f in report.findings[before:] if f.severity == "error"]
    detail = f"{len(signers)} signer(s); trusted: {trusted_ok if trust is not None else 'not checked'}"
    report.add_check("9.signatures", "fail" if errors else "pass", detail)


def verify_or_raise(
    path: Path,
    *,
    trust: TrustStore | None = None,
    tsa_trust: TsaTrust = None,
    tsa_quorum: int = 1,
    parity: bool = True,
) -> PackReport:
    """Like :func:`verify` but raise :class:`VerificationError` (with the first error's code) when not valid."""
    from glyphserpack.errors import VerificationError

    report = verify(path, trust=trust, tsa_trust=tsa_trust, tsa_quorum=tsa_quorum, parity=parity)
    if not report.valid:
        first = sorted(f for f in report.findings if f.severity == "error")
        if first:
            raise VerificationError(f"pack {path.name}: {first[0].where}: {first[0].detail}", code=first[0].code)
        raise VerificationError(f"pack {path.name}: invalid")
    return report
