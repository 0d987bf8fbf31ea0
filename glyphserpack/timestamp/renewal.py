"""Archive time-stamp chains in the spirit of RFC 4998 (Evidence Record Syntax).

A chain is a list of *links*. Each link time-stamps one canonical-CBOR *input* document:

* link 0 covers the pack root hash;
* link n > 0 covers the pack root hash **and every earlier member of the chain** (earlier
  inputs, tokens, replies and TSA certificate chains), each hashed with link n's algorithm.

So when a TSA certificate of link 0 expires, or its hash algorithm is retired, link 1 still
proves that link 0 (and the root) existed, unaltered, at link 1's genTime. Verification
recomputes every input from the members themselves; ``index.cbor`` only says where things
are, it is never trusted for times or hashes. Members live under ``timestamps/``::

    timestamps/index.cbor
    timestamps/link-00/input.cbor
    timestamps/link-00/tsa-1.tsr, tsa-1.tst, tsa-1-chain.pem   (one set per TSA)
    timestamps/link-00/tsa-1-ltv.cbor                          (revocation data, ltv.py; optional)

Packs of format 1.1 pass their *data objects* (payload members and ``manifest.cbor``) and
then each link stamps what RFC 4998 says instead (``glyphserpack.timestamp.ers``): link 0
the hash-tree root over the objects, a link with the previous link's algorithm the hash of
that link's first token (time-stamp renewal), a link with a new algorithm a new hash tree
over the objects and their earlier Evidence Records (hash-tree renewal). ``input.cbor`` then
records what was stamped; ``glyphserpack ers export`` turns the chain into Evidence Records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from glyphserpack import canonical
from glyphserpack._internal.cms.certpath import cert_label, load_pem_bundle
from glyphserpack.errors import CanonicalError
from glyphserpack.findings import Finding, Report, finding
from glyphserpack.timestamp.client import StampResult
from glyphserpack.timestamp.ers import DataObjects, Step, stamp_target
from glyphserpack.timestamp.ltv import ltv_member, stored_ltv
from glyphserpack.timestamp.verify import IMPRINT_HASHES, TimestampReport, verify_timestamp

__all__ = [
    "DOMAIN",
    "ERS_DOMAIN",
    "INDEX",
    "PREFIX",
    "ChainReport",
    "LinkReport",
    "add_link",
    "ers_input",
    "ers_steps",
    "link_input",
    "load_index",
    "verify_chain",
]

PREFIX = "timestamps/"
INDEX = "timestamps/index.cbor"
DOMAIN = "glyphserpack/archive-timestamp/v1"
ERS_DOMAIN = "glyphserpack/ers-archive-timestamp/v1"
FORMAT = "glyphserpack-timestamps/1"
TOKEN_KEYS = ("tsa", "tsr", "tst", "chain", "gen_time", "serial")


def _link_dir(n: int) -> str:
    return f"{PREFIX}link-{n:02d}/"


def link_input(root_hash: bytes, n: int, hash_alg: str, covered: Mapping[str, bytes]) -> bytes:
    """The canonical CBOR document link ``n`` stamps (its imprint is ``hash_alg`` of these bytes)."""
    return canonical.dumps(
        {
            "domain": DOMAIN,
            "link": n,
            "hash_alg": hash_alg,
            "root_hash": root_hash,
            "covers": [
                {"member": name, "digest": hashlib.new(hash_alg, covered[name]).digest()} for name in sorted(covered)
            ],
        }
    )


def ers_steps(index: Mapping[str, Any], members: Mapping[str, bytes], upto: int) -> list[Step]:
    """Links ``0..upto-1`` as RFC 4998 steps: each link's first token is its ArchiveTimeStamp."""
    return [
        Step(str(link["hash_alg"]), members.get(str(link["tokens"][0]["tst"]), b"")) for link in index["links"][:upto]
    ]


def ers_input(root_hash: bytes, n: int, hash_alg: str, objects: DataObjects, stamped: bytes) -> bytes:
    """The ``input.cbor`` of a format 1.1 link: what it stamped, over which objects (informational)."""
    return canonical.dumps(
        {
            "domain": ERS_DOMAIN,
            "link": n,
            "hash_alg": hash_alg,
            "root_hash": root_hash,
            "objects": list(objects.names),
            "stamped": stamped,
        }
    )


def _ers_target(
    index: Mapping[str, Any] | None, members: Mapping[str, bytes], n: int, hash_alg: str, objects: DataObjects
) -> bytes:
    return stamp_target(objects.names, objects.digest, [] if index is None else ers_steps(index, members, n), hash_alg)


def load_index(members: Mapping[str, bytes]) -> dict[str, Any] | None:
    """The chain index, or None when the pack has no time-stamps; ValueError when unreadable."""
    raw = members.get(INDEX)
    if raw is None:
        return None
    try:
        doc = canonical.loads(raw)
    except CanonicalError as exc:
        raise ValueError(f"{INDEX}: not canonical CBOR ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("links"), list):
        raise ValueError(f"{INDEX}: not a {FORMAT} document")
    for n, link in enumerate(doc["links"]):
        _check_link(n, link)
    return doc


def _check_link(n: int, link: object) -> None:
    """The index is unsigned: check its shape fully before anything relies on it."""
    where = f"{INDEX}: link {n}"
    if not isinstance(link, dict) or link.get("index") != n:
        raise ValueError(f"{where}: not a link entry numbered {n}")
    if link.get("hash_alg") not in IMPRINT_HASHES:
        raise ValueError(f"{where}: hash_alg must be one of {', '.join(IMPRINT_HASHES)}")
    quorum, tokens = link.get("quorum"), link.get("tokens")
    if not isinstance(quorum, int) or not isinstance(tokens, list) or not 1 <= quorum <= len(tokens):
        raise ValueError(f"{where}: needs 1 <= quorum <= number of tokens")
    names = [link.get("input")]
    for tok in tokens:
        if not isinstance(tok, dict) or not all(isinstance(tok.get(k), str) for k in TOKEN_KEYS):
            raise ValueError(f"{where}: token entry needs text fields {', '.join(TOKEN_KEYS)}")
        names += [tok["tsr"], tok["tst"], tok["chain"]]
    if not all(isinstance(name, str) and name.startswith(PREFIX) for name in names):
        raise ValueError(f"{where}: member names must lie under {PREFIX}")


def _covered(index: dict[str, Any] | None, members: Mapping[str, bytes], upto: int) -> dict[str, bytes]:
    """Every member of links 0..upto-1 (what a renewal at link ``upto`` must cover)."""
    if index is None or upto == 0:
        return {}
    names: list[str] = []
    for link in index["links"][:upto]:
        names.append(str(link["input"]))
        for tok in link["tokens"]:
            names.extend(str(tok[k]) for k in ("tsr", "tst", "chain"))
    return {name: members.get(name, b"") for name in names}


def add_link(
    root_hash: bytes,
    members: Mapping[str, bytes],
    *,
    hash_alg: str,
    quorum: int,
    stamp: Any,
    objects: DataObjects | None = None,
) -> dict[str, bytes]:
    """Make the next link: build its input, call ``stamp(digest) -> list[StampResult]``, return all members.

    ``members`` holds the existing ``timestamps/`` members (empty for a first stamp). The
    return value is the complete new ``timestamps/`` tree, index included. With ``objects``
    (format 1.1) the link stamps the RFC 4998 target instead of the hash of ``input.cbor``.
    """
    index = load_index(members)
    n = 0 if index is None else len(index["links"])
    if objects is None:
        data = link_input(root_hash, n, hash_alg, _covered(index, members, n))
        digest = hashlib.new(hash_alg, data).digest()
    else:
        digest = _ers_target(index, members, n, hash_alg, objects)
        data = ers_input(root_hash, n, hash_alg, objects, digest)
    results: Sequence[StampResult] = stamp(digest)
    base = _link_dir(n)
    out = dict(members)
    out[base + "input.cbor"] = data
    tokens = []
    for i, res in enumerate(results, start=1):
        names = {
            k: f"{base}tsa-{i}{suffix}" for k, suffix in (("tsr", ".tsr"), ("tst", ".tst"), ("chain", "-chain.pem"))
        }
        out[names["tsr"]], out[names["tst"]], out[names["chain"]] = res.response, res.token, res.chain_pem
        tokens.append({"tsa": res.url, **names, "gen_time": res.gen_time, "serial": res.serial})
    links = [] if index is None else list(index["links"])
    links.append({"index": n, "hash_alg": hash_alg, "quorum": quorum, "input": base + "input.cbor", "tokens": tokens})
    out[INDEX] = canonical.dumps({"format": FORMAT, "root_hash": root_hash, "links": links})
    return out


@dataclass
class LinkReport:
    """One link: its tokens' reports and the sentence saying what it vouches for (a part of :class:`ChainReport`)."""

    index: int
    hash_alg: str
    quorum: int
    reports: list[TimestampReport] = field(default_factory=list)
    vouches: str = ""

    @property
    def valid_count(self) -> int:
        return sum(r.valid for r in self.reports)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "hash_alg": self.hash_alg,
            "quorum": self.quorum,
            "vouches": self.vouches,
            "tokens": [r.to_dict() for r in self.reports],
        }


@dataclass
class ChainReport(Report):
    """The whole chain: per-link reports plus chain-level findings, sorted for determinism.

    ``findings`` already holds every token finding that counts (see :func:`verify_chain`), so
    ``valid`` is the chain's verdict.
    """

    links: list[LinkReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "links": [lr.to_dict() for lr in self.links], "findings": self.findings_dicts()}

    def lines(self) -> list[str]:
        out = [f"time-stamp chain: {'VALID' if self.valid else 'INVALID'} ({len(self.links)} link(s))"]
        for link in self.links:
            out.append(f"  link {link.index} ({link.hash_alg}, quorum {link.quorum}): {link.vouches}")
            out.extend(f"    {line}" for r in link.reports for line in r.lines())
        out.extend(f"  {f.line()}" for f in sorted(self.findings))
        return out


def _tsa_expiry(report: TimestampReport, chain_pem: bytes) -> dt.datetime | None:
    try:
        certs = load_pem_bundle(chain_pem)
    except ValueError:
        return None
    for cert in certs:
        if report.signer == cert_label(cert):
            return cert.not_valid_after_utc
    return None


def verify_chain(
    root_hash: bytes,
    members: Mapping[str, bytes],
    *,
    trust_roots: Sequence[x509.Certificate],
    allowed_policies: Sequence[str] | None = None,
    min_quorum: int = 1,
    objects: DataObjects | None = None,
) -> ChainReport:
    """Walk the chain link by link; each link must verify and cover exactly what came before.

    The quorum recorded in the (unsigned) index can only raise ``min_quorum``, never lower it.
    ``objects`` (format 1.1 packs) makes each link's expected imprint the RFC 4998 target.
    """
    report = ChainReport()
    try:
        index = load_index(members)
    except ValueError as exc:
        report.findings.append(finding("GSP-E213", INDEX, str(exc)))
        return report
    if index is None:
        return report
    if index.get("root_hash") != root_hash:
        report.findings.append(finding("GSP-E213", INDEX, "index names a different pack root hash"))
    earliest_later: dt.datetime | None = None
    per_link_times: list[list[dt.datetime]] = []
    for n, link in enumerate(index["links"]):
        where = _link_dir(n).rstrip("/")
        hash_alg, input_name, tokens = str(link["hash_alg"]), str(link["input"]), list(link["tokens"])
        quorum = max(int(link["quorum"]), min_quorum)
        lr = LinkReport(n, hash_alg, quorum)
        report.links.append(lr)
        imprint: bytes | None = None
        if objects is None:
            expected = link_input(root_hash, n, hash_alg, _covered(index, members, n))
        else:
            try:
                imprint = _ers_target(index, members, n, hash_alg, objects)
            except (ValueError, TypeError, KeyError, LookupError, OSError) as exc:
                report.findings.append(finding("GSP-E213", where, f"cannot recompute the RFC 4998 target: {exc}"))
                imprint = b""
            expected = ers_input(root_hash, n, hash_alg, objects, imprint)
        if members.get(input_name) != expected:
            report.findings.append(
                finding("GSP-E213", where, "input.cbor is not the recomputed cover of the root and earlier links")
            )
        times: list[dt.datetime] = []
        for tok in tokens:
            name = str(tok["tst"])
            untrusted: list[x509.Certificate] = []
            try:
                untrusted = load_pem_bundle(members.get(str(tok["chain"]), b""))
            except ValueError:
                report.findings.append(finding("GSP-E200", str(tok["chain"]), "TSA chain PEM unreadable"))
            ltv, ltv_problem = stored_ltv(members, name)
            if ltv_problem:
                report.findings.append(finding("GSP-E245", ltv_member(name), ltv_problem))
            rep = verify_timestamp(
                members.get(name, b""),
                data=expected if imprint is None else None,
                digest=imprint,
                trust_roots=trust_roots,
                untrusted=untrusted,
                allowed_policies=allowed_policies,
                where=name,
                revocation=ltv,
                check_revocation_data=True,
            )
            lr.reports.append(rep)
            if rep.gen_time:
                times.append(dt.datetime.fromisoformat(rep.gen_time))
        per_link_times.append(times)
        if lr.valid_count < quorum:
            report.findings.append(
                finding("GSP-E214", where, f"{lr.valid_count} of {len(tokens)} tokens valid, quorum is {quorum}")
            )
        when = min(times).strftime("%Y-%m-%dT%H:%M:%SZ") if times else "unknown time"
        if objects is not None:
            kinds = {0: "the pack root and its payload (RFC 4998 hash tree)"}
            same = n > 0 and index["links"][n - 1]["hash_alg"] == hash_alg
            what = kinds.get(n, "the previous time-stamp (RFC 4998 time-stamp renewal)" if same else "")
            what = what or f"the payload and its earlier evidence under {hash_alg} (RFC 4998 hash-tree renewal)"
        else:
            what = (
                "the pack root" if n == 0 else f"the pack root and {len(_covered(index, members, n))} earlier members"
            )
        lr.vouches = f"{what} existed at {when} ({lr.valid_count} of {len(tokens)} TSAs valid)"
        if lr.valid_count >= quorum:
            report.findings.append(finding("GSP-E217", where, lr.vouches))
    # Order: a renewal must not predate what it renews. Renewals after an expiry get a warning.
    for n in range(1, len(per_link_times)):
        if per_link_times[n] and per_link_times[n - 1] and min(per_link_times[n]) < max(per_link_times[n - 1]):
            report.findings.append(
                finding("GSP-E213", _link_dir(n).rstrip("/"), "renewal genTime precedes the link it renews")
            )
        earliest_later = min(per_link_times[n]) if per_link_times[n] else None
        for rep, tok in zip(report.links[n - 1].reports, index["links"][n - 1]["tokens"], strict=False):
            expiry = _tsa_expiry(rep, members.get(str(tok["chain"]), b""))
            if expiry and earliest_later and expiry < earliest_later:
                report.findings.append(
                    finding(
                        "GSP-E218",
                        rep.where,
                        f"TSA certificate expired {expiry:%Y-%m-%d}, renewed only at {earliest_later:%Y-%m-%d}",
                    )
                )
    # Tokens of covered links inherit their evidence from later links: a retired algorithm
    # (E212) there is a warning, not a failure, as long as a later link is itself valid.
    _downgrade_covered(report)
    return report


def _downgrade_covered(report: ChainReport) -> None:
    good_later = [any(lr.valid_count >= lr.quorum for lr in report.links[i + 1 :]) for i in range(len(report.links))]
    for lr, covered in zip(report.links, good_later, strict=True):
        if not covered:
            for rep in lr.reports:
                report.findings.extend(rep.findings)
            continue
        for rep in lr.reports:
            for f in rep.findings:
                if f.code == "GSP-E212":
                    report.findings.append(
                        finding("GSP-E216", f.where, f"{f.detail}; covered by a later archive time-stamp")
                    )
                else:
                    report.findings.append(f)
    report.findings.sort()
