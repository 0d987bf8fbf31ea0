"""RFC 4998 Evidence Records: build one per data object from a time-stamp history, and verify one.

A *history* is the list of :class:`Step` s a set of data objects went through, oldest first:
each is one RFC 3161 token and the digest algorithm it used. Step 0 stamps the hash-tree
root over every object (§4.2); a later step with the **same** algorithm is a time-stamp
renewal (§5.2: it stamps the hash of the previous token, a new ArchiveTimeStamp in the same
chain); a step with a **different** algorithm is a hash-tree renewal (§5.2: every object's
new leaf is H(H(data) + H(ArchiveTimeStampSequence so far)), plain concatenation in that
order as in the RFC's "h(i)' = H(h(i) + ha(i))" and Bouncy Castle, in a new chain).
:func:`stamp_target` says what the next step must stamp and :func:`build_records` turns a
history into DER Evidence Records, so stamping and exporting cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import algos, cms, core
from cryptography import x509

from glyphserpack.findings import Finding, Report, finding
from glyphserpack.timestamp.ers_asn1 import (
    ArchiveTimeStamp,
    ArchiveTimeStampSequence,
    CryptoInfos,
    EvidenceRecord,
    der_sequence,
    der_tlv,
    encode_archive_time_stamp,
    implicit,
)
from glyphserpack.timestamp.ers_tree import HashTree, recover_root
from glyphserpack.timestamp.verify import IMPRINT_HASHES, TimestampReport, verify_timestamp

__all__ = [
    "MAX_RECORD_BYTES",
    "ChainVerdict",
    "CryptoInfo",
    "DataObjects",
    "DigestFn",
    "ErsReport",
    "Step",
    "build_records",
    "stamp_target",
    "verify_record",
]

#: An Evidence Record larger than this is refused unread (a reduced tree is a few KiB).
MAX_RECORD_BYTES = 16 * 1024 * 1024
#: ``digest(name, hash_alg)`` = hash_alg of data object ``name``'s bytes.
DigestFn = Callable[[str, str], bytes]

#: CAdES (RFC 5126) attribute types for validation data: certificate-values, revocation-values.
OID_CERT_VALUES = "1.2.840.113549.1.9.16.2.23"
OID_REVOCATION_VALUES = "1.2.840.113549.1.9.16.2.24"


@dataclass(frozen=True)
class CryptoInfo:
    """Validation data for a token, kept in the record's cryptoInfos: kind is certificate, crl or ocsp."""

    kind: str
    der: bytes


@dataclass(frozen=True)
class Step:
    """One RFC 3161 token (TimeStampToken DER, a CMS ContentInfo), its digest algorithm, and
    the validation data collected for it (TSA certificates, CRLs, OCSP responses), which goes
    into every record's cryptoInfos."""

    hash_alg: str
    token: bytes
    crypto_infos: tuple[CryptoInfo, ...] = ()


@dataclass(frozen=True)
class DataObjects:
    """The data objects a pack's time-stamps cover (format 1.1): their names and how to hash them."""

    names: tuple[str, ...]
    digest: DigestFn


def _h(alg: str, data: bytes) -> bytes:
    return hashlib.new(alg, data).digest()


def _alg_id(alg: str) -> algos.DigestAlgorithm:
    return algos.DigestAlgorithm({"algorithm": alg})


#: Per data object name: its chains, each a list of ArchiveTimeStamp DER.
Chains = dict[str, list[list[bytes]]]


def _history(names: Sequence[str], digest: DigestFn, steps: Sequence[Step]) -> Chains:
    """Replay ``steps``: per object its chains of ArchiveTimeStamps (DER)."""
    chains: Chains = {n: [] for n in names}
    for k, step in enumerate(steps):
        alg = step.hash_alg
        token = cms.ContentInfo.load(step.token, strict=True).dump()  # refuses a token that is not DER
        alg_id = _alg_id(alg).dump()
        if k > 0 and alg == steps[k - 1].hash_alg:
            ats = encode_archive_time_stamp(alg_id, [], token)
            for n in names:
                chains[n][-1].append(ats)
            continue
        leaves = _leaves(names, digest, chains, alg)
        tree = HashTree.build(alg, list(leaves.values()))
        for n in names:
            chains[n].append([encode_archive_time_stamp(alg_id, tree.reduced(leaves[n]), token)])
    return chains


def _sequence(chains: list[list[bytes]]) -> bytes:
    """ArchiveTimeStampSequence DER of one object's chains."""
    return der_sequence([der_sequence(c) for c in chains])


def _leaves(names: Sequence[str], digest: DigestFn, chains: Chains, alg: str) -> dict[str, bytes]:
    out = {}
    for n in names:
        h = digest(n, alg)
        if chains[n]:
            h = _h(alg, h + _h(alg, _sequence(chains[n])))
        out[n] = h
    return out


def stamp_target(names: Sequence[str], digest: DigestFn, steps: Sequence[Step], hash_alg: str) -> bytes:
    """The digest the next step (with ``hash_alg``) must have a TSA stamp."""
    if not names:
        raise ValueError("no data objects to stamp")
    if steps and steps[-1].hash_alg == hash_alg:
        return _h(hash_alg, cms.ContentInfo.load(steps[-1].token).dump())
    chains = _history(names, digest, steps)
    return HashTree.build(hash_alg, list(_leaves(names, digest, chains, hash_alg).values())).root


def _crypto_infos(infos: Sequence[CryptoInfo]) -> bytes | None:
    """CryptoInfos DER: CAdES certificate-values and revocation-values attributes (RFC 5126 §6.3)."""
    bad = sorted({i.kind for i in infos} - {"certificate", "crl", "ocsp"})
    if bad:
        raise ValueError(f"unknown cryptoInfo kind(s): {', '.join(bad)}")
    for i in infos:
        core.Any.load(i.der, strict=True)  # each must be one DER value
    certs, crls, ocsps = ([i.der for i in infos if i.kind == k] for k in ("certificate", "crl", "ocsp"))

    def attribute(oid: str, value: bytes) -> bytes:
        return der_sequence([core.ObjectIdentifier(oid).dump(), der_tlv(0x31, value)])

    attrs = []
    if certs:
        attrs.append(attribute(OID_CERT_VALUES, der_sequence(certs)))
    if crls or ocsps:
        # RevocationValues ::= SEQUENCE { crlVals [0] SEQUENCE OF CertificateList OPTIONAL,
        #                                 ocspVals [1] SEQUENCE OF BasicOCSPResponse OPTIONAL, ... }
        vals = [der_tlv(0xA0 | tag, der_sequence(items)) for tag, items in ((0, crls), (1, ocsps)) if items]
        attrs.append(attribute(OID_REVOCATION_VALUES, der_sequence(vals)))
    return der_sequence(attrs) if attrs else None


def build_records(
    names: Sequence[str],
    digest: DigestFn,
    steps: Sequence[Step],
    *,
    crypto_infos: Sequence[CryptoInfo] = (),
) -> dict[str, bytes]:
    """One DER EvidenceRecord per data object name, holding every step of ``steps``.

    ``crypto_infos`` and each step's own (certificates, CRLs, OCSP responses for the tokens'
    TSAs), without duplicates, go into each record's cryptoInfos, so a verifier decades later
    has the revocation data with the proof.
    """
    if not steps:
        raise ValueError("no time-stamps to build Evidence Records from")
    chains = _history(names, digest, steps)
    algs = [_alg_id(a).dump() for a in dict.fromkeys(s.hash_alg for s in steps)]
    infos = _crypto_infos(list(dict.fromkeys([*crypto_infos, *(i for s in steps for i in s.crypto_infos)])))
    head = der_tlv(0x02, b"\x01") + der_sequence(algs) + (implicit(0, infos) if infos is not None else b"")
    return {n: der_sequence([head, _sequence(chains[n])]) for n in names}


# --- verification -----------------------------------------------------------------------


@dataclass
class AtsVerdict:
    """One ArchiveTimeStamp: which step of which chain, its token report."""

    chain: int
    position: int
    hash_alg: str
    kind: str
    token: TimestampReport

    def to_dict(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "position": self.position,
            "hash_alg": self.hash_alg,
            "kind": self.kind,
            "gen_time": self.token.gen_time,
            "tsa": self.token.signer or self.token.tsa_name,
            "valid": self.token.valid,
        }


@dataclass
class ChainVerdict:
    """What one ArchiveTimeStampChain proves: the data existed from ``proven_from`` under ``hash_alg``."""

    index: int
    hash_alg: str
    stamps: list[AtsVerdict] = field(default_factory=list)
    proven_from: str | None = None
    tsa: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "hash_alg": self.hash_alg,
            "proven_from": self.proven_from,
            "tsa": self.tsa,
            "archive_time_stamps": [s.to_dict() for s in self.stamps],
        }


@dataclass
class ErsReport(Report):
    """The verdict on one Evidence Record for one data object."""

    where: str
    chains: list[ChainVerdict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "valid": self.valid,
            "chains": [c.to_dict() for c in self.chains],
            "findings": self.findings_dicts(),
        }

    def lines(self) -> list[str]:
        out = [f"{self.where}: evidence record {'VALID' if self.valid else 'INVALID'} ({len(self.chains)} chain(s))"]
        for c in self.chains:
            said = f"data existed unaltered at {c.proven_from} (TSA {c.tsa})" if c.proven_from else "proves nothing"
            out.append(f"  chain {c.index} ({c.hash_alg}): {said}")
            out.extend(
                f"    {s.kind} {s.position}: genTime {s.token.gen_time}, {'valid' if s.token.valid else 'INVALID'}"
                for s in c.stamps
            )
        out.extend(f"  {f.line()}" for f in sorted(self.findings))
        return out


def _parse(der: bytes) -> EvidenceRecord:
    if len(der) > MAX_RECORD_BYTES:
        raise ValueError(f"{len(der)} bytes, more than the {MAX_RECORD_BYTES}-byte cap")
    er: EvidenceRecord = EvidenceRecord.load(der, strict=True)
    # Parse every field we read now, so malformed DER shows here and not mid-check. Attribute
    # values (cryptoInfos, ATS attributes) stay opaque: only their framing is checked.
    _ = er["version"].native, er["digest_algorithms"].native
    for attr in er["crypto_infos"] if isinstance(er["crypto_infos"], CryptoInfos) else []:
        _ = attr["attr_type"].native, [v.contents for v in attr["attr_values"]]
    for chain in er["archive_time_stamp_sequence"]:
        for ats in chain:
            _ = ats["digest_algorithm"].native, ats["reduced_hashtree"].native, ats["time_stamp"]["content_type"]
            if not isinstance(ats["attributes"], core.Void):
                _ = [(a["attr_type"].native, len(a["attr_values"])) for a in ats["attributes"]]
    return er


def verify_record(
    der: bytes,
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    at: dt.datetime | None = None,
    where: str = "evidence record",
) -> ErsReport:
    """Check that ``der`` proves ``data`` existed: every chain, every renewal, every token."""
    report = ErsReport(where=where)
    try:
        er = _parse(der)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
        report.findings.append(finding("GSP-E230", where, f"not an RFC 4998 EvidenceRecord in DER: {exc}"))
        return report
    try:
        _verify(report, er, data, trust_roots, at)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError) as exc:
        report.findings.append(finding("GSP-E230", where, f"malformed content: {exc}"))
    report.findings.sort()
    return report


def _verify(
    report: ErsReport,
    er: EvidenceRecord,
    data: bytes,
    roots: Sequence[x509.Certificate],
    at: dt.datetime | None,
) -> None:
    where = report.where
    if er["version"].native != 1:
        report.findings.append(finding("GSP-E234", where, f"version {er['version'].native}, RFC 4998 defines v1"))
    seq = er["archive_time_stamp_sequence"]
    if len(seq) == 0:
        report.findings.append(finding("GSP-E234", where, "no ArchiveTimeStampChain"))
        return
    previous_time: dt.datetime | None = None
    for c, chain in enumerate(seq):
        if len(chain) == 0:
            report.findings.append(finding("GSP-E234", f"{where}: chain {c}", "empty ArchiveTimeStampChain"))
            return
        verdict: ChainVerdict | None = None
        for j, ats in enumerate(chain):
            token = ats["time_stamp"].dump()
            alg = _ats_alg(ats)
            place = f"{where}: chain {c} stamp {j}"
            if alg not in IMPRINT_HASHES:
                report.findings.append(finding("GSP-E234", place, f"digest algorithm {alg} not accepted"))
                return
            if verdict is None:
                verdict = ChainVerdict(c, alg)
                report.chains.append(verdict)
            elif alg != verdict.hash_alg:
                report.findings.append(finding("GSP-E234", place, f"{alg} in a {verdict.hash_alg} chain"))
                return
            if j == 0:
                h = _h(alg, data)
                if c > 0:
                    prior = ArchiveTimeStampSequence([seq[i] for i in range(c)])
                    h = _h(alg, h + _h(alg, prior.dump()))
                kind = "time-stamp" if c == 0 else "hash-tree renewal"
            else:
                h = _h(alg, chain[j - 1]["time_stamp"].dump())
                kind = "time-stamp renewal"
            root = _root(report, ats, h, alg, place, kind)
            if root is None:
                return
            rep = verify_timestamp(token, digest=root, trust_roots=roots, where=place)
            if rep.imprint is not None and rep.imprint != root.hex():
                # Say it in RFC 4998 terms: the tree (or the renewal input) misses the stamped root.
                rep.findings = [f for f in rep.findings if f.code != "GSP-E202"]
                rep.findings.append(
                    finding(
                        "GSP-E232",
                        place,
                        f"{kind} leads to {alg} {root.hex()}, but the token stamps {rep.imprint}",
                    )
                )
            report.findings.extend(rep.findings)
            verdict.stamps.append(AtsVerdict(c, j, alg, kind, rep))
            if rep.gen_time:
                gen = dt.datetime.fromisoformat(rep.gen_time)
                if previous_time is not None and gen < previous_time:
                    report.findings.append(
                        finding(
                            "GSP-E233",
                            place,
                            f"{kind} genTime {rep.gen_time} precedes the time-stamp it renews "
                            f"({previous_time:%Y-%m-%dT%H:%M:%SZ})",
                        )
                    )
                if at is not None and gen > at:
                    report.findings.append(
                        finding("GSP-E234", place, f"genTime {rep.gen_time} is after --at {at:%Y-%m-%dT%H:%M:%SZ}")
                    )
                previous_time = gen
        assert verdict is not None
        first = verdict.stamps[0].token if verdict.stamps else None
        if first is not None and all(s.token.valid for s in verdict.stamps):
            verdict.proven_from, verdict.tsa = first.gen_time, first.signer or first.tsa_name
            report.findings.append(
                finding(
                    "GSP-E235",
                    f"{where}: chain {c}",
                    f"the data existed unaltered at {first.gen_time} ({verdict.hash_alg}, TSA {verdict.tsa})",
                )
            )


def _ats_alg(ats: ArchiveTimeStamp) -> str:
    if ats["digest_algorithm"].native is not None:
        return str(ats["digest_algorithm"]["algorithm"].native)
    # Absent: the token's own imprint algorithm (RFC 4998 §4.1).
    signed = ats["time_stamp"]["content"]
    tst = signed["encap_content_info"]["content"].parsed
    return str(tst["message_imprint"]["hash_algorithm"]["algorithm"].native)


def _root(report: ErsReport, ats: ArchiveTimeStamp, h: bytes, alg: str, place: str, kind: str) -> bytes | None:
    reduced = ats["reduced_hashtree"].native
    if not reduced:
        return h
    levels = [[bytes(v) for v in level] for level in reduced]
    if not levels[0] or any(len(v) != len(h) for level in levels for v in level):
        report.findings.append(finding("GSP-E232", place, f"reduced hash tree holds values that are not {alg} hashes"))
        return None
    if h not in levels[0]:
        what = "the data's hash" if kind != "time-stamp renewal" else "the hash of the previous time-stamp"
        report.findings.append(
            finding("GSP-E231", place, f"{what} ({alg} {h.hex()}) is not in the first list of the reduced hash tree")
        )
        return None
    return recover_root(alg, levels)
