"""Time-stamping a ``.glyphserpack``: stamp its root hash, attach the evidence, verify it later.

Tokens, TSA chains and the chain index are attached under ``timestamps/`` with
``glyphserpack.pack.attach``, which rewrites the pack atomically without changing its root
hash, so the pack stays self-contained and a failed stamp leaves it byte-for-byte as it
was (nothing is written until every TSA in the quorum has answered and been checked).
This module works on plain ``(root_hash, members)`` pairs and never imports the pack
package: stamping a pack file in place is :func:`glyphserpack.pack.stamp_pack`, one layer up,
because pack verification itself uses the checks here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509

from glyphserpack import canonical
from glyphserpack._internal.cms.certpath import load_pem_bundle
from glyphserpack.errors import CanonicalError, UsageError
from glyphserpack.findings import Finding, finding
from glyphserpack.timestamp.client import StampResult, stamp_quorum
from glyphserpack.timestamp.ers import DataObjects
from glyphserpack.timestamp.ltv import ltv_for_token, ltv_member
from glyphserpack.timestamp.renewal import ERS_DOMAIN, PREFIX, ChainReport, add_link, load_index, verify_chain
from glyphserpack.timestamp.verify import load_certificates


class PackReader(Protocol):
    """The part of ``glyphserpack.pack.PackReader`` this module needs."""

    @property
    def root_hash(self) -> bytes: ...

    def attachments(self) -> dict[str, bytes]: ...

    @property
    def manifest(self) -> dict[str, Any]: ...

    def read_member(self, name: str) -> bytes: ...


__all__ = [
    "MANIFEST",
    "PackReader",
    "StampOutcome",
    "openssl_commands",
    "pack_data_objects",
    "reader_data_objects",
    "stamp_members",
    "verify_members",
    "verify_pack_timestamps",
]


MANIFEST = "manifest.cbor"
#: Format versions from which the TSAs stamp the RFC 4998 hash tree (archive/FORMAT.md §8.1).
ERS_SINCE = (1, 1)


def pack_data_objects(
    manifest: Mapping[str, Any], manifest_bytes: bytes, read: Callable[[str], bytes]
) -> DataObjects | None:
    """A pack's RFC 4998 data objects: every payload member and ``manifest.cbor`` (None before 1.1).

    SHA-256 digests come from the signed manifest (payload) and the manifest bytes; another
    algorithm (a hash-tree renewal) reads each payload member once through ``read``.
    """
    if tuple(manifest["format_version"]) < ERS_SINCE:
        return None
    sha256 = {m["name"]: bytes.fromhex(m["sha256"]) for m in manifest["members"] if m["name"].startswith("data/")}
    cache: dict[tuple[str, str], bytes] = {}

    def digest(name: str, alg: str) -> bytes:
        if name == MANIFEST:
            return hashlib.new(alg, manifest_bytes).digest()
        if alg == "sha256":
            return sha256[name]
        if (name, alg) not in cache:
            cache[name, alg] = hashlib.new(alg, read(name)).digest()
        return cache[name, alg]

    return DataObjects((*sorted(sha256), MANIFEST), digest)


def reader_data_objects(reader: PackReader) -> DataObjects | None:
    """:func:`pack_data_objects` of an open pack."""
    if tuple(reader.manifest["format_version"]) < ERS_SINCE:
        return None
    return pack_data_objects(reader.manifest, reader.read_member(MANIFEST), reader.read_member)


@dataclass(frozen=True)
class StampOutcome:
    """What a stamping run added: the link number and one line per TSA token."""

    link: int
    hash_alg: str
    tokens: tuple[StampResult, ...]
    warnings: tuple[str, ...] = ()  # revocation data that could not be collected (ltv.py)

    def lines(self) -> list[str]:
        kind = "time-stamp" if self.link == 0 else "archive time-stamp (renewal)"
        out = [f"added {kind} link {self.link} ({self.hash_alg}, {len(self.tokens)} TSA(s))"]
        out.extend(f"  {t.url}: genTime {t.gen_time}, serial {t.serial}" for t in self.tokens)
        out.extend(f"  warning: {w}" for w in self.warnings)
        return out


def stamp_members(
    root_hash: bytes,
    existing: Mapping[str, bytes],
    tsa_urls: Sequence[str],
    *,
    quorum: int = 1,
    hash_alg: str = "sha256",
    renew: bool = False,
    timeout: float = 10.0,
    retries: int = 2,
    trust: Sequence[x509.Certificate] = (),
    collect_ltv: bool = True,
    objects: DataObjects | None = None,
) -> tuple[dict[str, bytes], StampOutcome]:
    """Stamp ``root_hash`` (plus, on renewal, the existing chain); return the new ``timestamps/`` tree.

    With ``collect_ltv`` each new token gets its TSA chain's revocation data next to it
    (``tsa-K-ltv.cbor``); what could not be collected is a warning in the outcome, not a failure.
    ``objects`` are a format 1.1 pack's data objects: then the TSAs stamp the RFC 4998 target
    (hash-tree root, or the renewal of the previous link), see :mod:`.renewal`.
    """
    current = {k: v for k, v in existing.items() if k.startswith(PREFIX)}
    index = load_index(current)
    if index is not None and not renew:
        raise UsageError(
            "the pack already carries time-stamps; stamping again needs --renew",
            remedy="use --renew to add an archive time-stamp over the root and the existing tokens",
        )
    if index is None and renew:
        raise UsageError("--renew needs an existing time-stamp", remedy="stamp the pack once without --renew")
    got: list[StampResult] = []

    def stamp(digest: bytes) -> list[StampResult]:
        got.extend(
            stamp_quorum(
                tsa_urls, digest, quorum=quorum, hash_alg=hash_alg, timeout=timeout, retries=retries, trust=trust
            )
        )
        return got

    new = add_link(root_hash, current, hash_alg=hash_alg, quorum=quorum, stamp=stamp, objects=objects)
    new[OPENSSL_TXT] = _openssl_text(new)
    link = 0 if index is None else len(index["links"])
    warnings = _attach_ltv(new, link, got, trust, timeout) if collect_ltv else []
    return new, StampOutcome(link, hash_alg, tuple(got), tuple(warnings))


def _attach_ltv(
    members: dict[str, bytes], link: int, got: Sequence[StampResult], trust: Sequence[x509.Certificate], timeout: float
) -> list[str]:
    """Add ``tsa-K-ltv.cbor`` beside each token of ``link`` that has any revocation data."""
    index = load_index(members)
    assert index is not None
    warnings: list[str] = []
    for tok, res in zip(index["links"][link]["tokens"], got, strict=True):
        extra = [*load_pem_bundle(res.chain_pem), *trust]
        collected = ltv_for_token(res.token, certificates=extra, timeout=timeout)
        warnings += [f"{res.url}: {w}" for w in collected.warnings]
        if not collected.data.empty:
            members[ltv_member(str(tok["tst"]))] = collected.data.to_cbor()
    return warnings


def verify_members(
    root_hash: bytes,
    members: Mapping[str, bytes],
    *,
    trust_roots: Sequence[x509.Certificate] | None,
    allowed_policies: Sequence[str] | None = None,
    min_quorum: int = 1,
    objects: DataObjects | None = None,
) -> ChainReport:
    """Verify the chain in ``members``; without trust roots say so (E215) and check the rest."""
    current = {k: v for k, v in members.items() if k.startswith(PREFIX)}
    report = verify_chain(
        root_hash,
        current,
        trust_roots=trust_roots or [],
        allowed_policies=allowed_policies,
        min_quorum=min_quorum,
        objects=objects,
    )
    if trust_roots is None and report.links:
        # Without roots every path check fails; keep only what does not depend on trust.
        trust_codes = {"GSP-E208", "GSP-E210", "GSP-E214", "GSP-E217", "GSP-E218"}
        report.findings = [f for f in report.findings if f.code not in trust_codes]
        report.findings.append(
            finding("GSP-E215", PREFIX.rstrip("/"), "pass --tsa-trust roots.pem to check the TSA certificates")
        )
        report.findings.sort()
    return report


def verify_pack_timestamps(
    reader: PackReader,
    *,
    tsa_trust: Path | None,
    allowed_policies: Sequence[str] | None = None,
    min_quorum: int = 1,
) -> list[Finding]:
    """Findings for the time-stamp chain of an open pack (empty list when it has none).

    Only this one stage: to verify a pack, use :func:`glyphserpack.pack.verify`, which runs it
    as step T together with every other step. ``min_quorum`` lets a profile demand more
    independent TSAs than the pack's index records.
    """
    roots = load_certificates(tsa_trust, what="--tsa-trust") if tsa_trust is not None else None
    report = verify_members(
        reader.root_hash,
        reader.attachments(),
        trust_roots=roots,
        allowed_policies=allowed_policies,
        min_quorum=min_quorum,
        objects=reader_data_objects(reader),
    )
    return sorted(report.findings)


OPENSSL_TXT = "timestamps/verify-openssl.txt"


def _openssl_text(members: Mapping[str, bytes]) -> bytes:
    head = [
        "# Check every RFC 3161 token of this pack with OpenSSL, from the extracted pack's top directory.",
        "# TSA-ROOTS.pem holds the TSA trust roots you accept (never take them from the pack itself).",
        "# Format 1.0: each token stamps the hash of its link's input.cbor (-data), which names the pack",
        "# root hash and, for renewals, the hashes of every earlier time-stamp file. Format 1.1: each",
        "# token stamps an RFC 4998 hash-tree root or renewal (-digest, recorded in input.cbor); the",
        "# per-member proofs are `glyphserpack ers export` (see docs/timestamping.md).",
    ]
    return ("\n".join([*head, *openssl_commands(members)]) + "\n").encode()


def _ers_stamped(input_cbor: bytes) -> str | None:
    """The hex digest a format 1.1 link stamped (None for a 1.0 link, which stamps its input.cbor)."""
    try:
        doc = canonical.loads(input_cbor)
    except CanonicalError:
        return None
    if isinstance(doc, dict) and doc.get("domain") == ERS_DOMAIN and isinstance(doc.get("stamped"), bytes):
        return str(doc["stamped"].hex())
    return None


def _epoch(gen_time: str) -> int:
    return int(dt.datetime.fromisoformat(gen_time).timestamp())


def openssl_commands(members: Mapping[str, bytes], *, ca_file: str = "TSA-ROOTS.pem") -> list[str]:
    """One ``openssl ts -verify`` line per token, run from the extracted pack's top directory.

    ``-attime genTime`` makes OpenSSL judge the TSA chain as of the stamp, so the command
    keeps working after the TSA certificate expires (as our verifier does).
    """
    try:
        index = load_index(members)
    except ValueError:
        return []
    if index is None:
        return []
    lines: list[str] = []
    for link in index["links"]:
        stamped = _ers_stamped(members.get(str(link["input"]), b""))
        for tok in link["tokens"]:
            what = f"-data {link['input']}" if stamped is None else f"-digest {stamped}"
            cmd = ["openssl ts -verify", f"-in {tok['tst']}", "-token_in", what, f"-CAfile {ca_file}"]
            if members.get(str(tok["chain"])):
                cmd.append(f"-untrusted {tok['chain']}")
            cmd.append(f"-attime {_epoch(str(tok['gen_time']))}")
            lines.append(" ".join(cmd))
    return lines
