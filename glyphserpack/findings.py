"""Stable finding codes and the report they go into.

Verification never stops at the first problem: it collects :class:`Finding` objects, each
with a stable code from :data:`CATALOGUE`, so scripts can match on codes across releases
and people get one line per problem. The catalogue is the single place where codes and
their meaning live; codes are never reused or renumbered.

Every verification report (pack, time-stamp, site, log audit, log state) derives from
:class:`Report`: a ``findings`` list, ``valid`` when none of them is an error, and
``to_dict()`` for its JSON form. Errors raised instead of reported carry their code the same
way, as data (``GlyphserpackError.code``); nothing parses a code out of message text.

Ranges: ``GSP-E0xx`` evidence and checks, ``GSP-E1xx`` packs, ``GSP-E2xx`` time-stamps,
``GSP-E3xx`` the site, ``GSP-E4xx`` the transparency log, ``GSP-E5xx`` parity and audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["CATALOGUE", "Finding", "Report", "Severity", "finding"]

Severity = Literal["error", "warning", "info"]

#: code -> (severity, short title). Titles are stable; details go in Finding.detail.
CATALOGUE: dict[str, tuple[Severity, str]] = {
    # --- GSP-E0xx: evidence and checks -------------------------------------------------
    "GSP-E001": ("error", "document cannot be parsed"),
    "GSP-E002": ("error", "document does not match its schema"),
    "GSP-E003": ("error", "mandatory evidence missing for the profile"),
    "GSP-E004": ("error", "hash link does not match its target"),
    "GSP-E005": ("error", "hash link points at nothing"),
    "GSP-E006": ("error", "unsafe path in evidence tree"),
    "GSP-E007": ("error", "signature does not verify"),
    "GSP-E008": ("error", "signing key unknown, revoked or expired"),
    "GSP-E009": ("error", "document too large"),
    "GSP-E010": ("error", "duplicate document identity"),
    "GSP-E011": ("error", "workstream readiness criteria not met"),
    "GSP-E012": ("error", "component verdict is FAIL"),
    "GSP-E013": ("error", "certificate revoked"),
    "GSP-E014": ("error", "certificate expired at its verification time"),
    "GSP-E015": ("error", "policy obligation not met"),
    "GSP-E016": ("warning", "unreferenced file in evidence tree"),
    "GSP-E017": ("error", "observability name or unit breaks OpenTelemetry/Prometheus conventions"),
    "GSP-E018": ("error", "recorded value differs from its recomputation"),
    "GSP-E019": ("error", "certificate's trust_store_hash is no version of the trust store holding its signing key"),
    "GSP-E020": ("error", "certificate's revocation_bundle_hash differs from the revocation set of its time"),
    "GSP-E021": ("error", "certificate's trace_final_hash differs from its trace"),
    "GSP-E022": ("error", "trace a certificate commits to is missing, altered or not a trace sidecar"),
    # GSP-E030..E035: external interfaces read with their tools (evidence/attest/interfaces.py)
    "GSP-E030": ("error", "OpenAPI attachment is not a valid OpenAPI 3.x document"),
    "GSP-E031": ("error", "operation, service or message the evidence names is not defined by its interface files"),
    "GSP-E032": ("error", "Protobuf sources do not compile"),
    "GSP-E033": ("error", "Protobuf import leaves the evidence tree"),
    "GSP-E034": ("error", "JUnit report unreadable, too large or inconsistent with itself"),
    "GSP-E035": ("error", "JUnit report counts differ from what the evidence claims"),
    # GSP-E040..E049: what attachments say, against what the evidence claims (issue 13)
    "GSP-E040": ("error", "security-case evidence pointer does not resolve in the document it cites"),
    "GSP-E041": ("error", "chaos recovery transcript unreadable or malformed"),
    "GSP-E042": ("error", "chaos recovery transcript contradicts the proof pack"),
    "GSP-E043": ("error", "compatibility table unreadable or malformed"),
    "GSP-E044": ("error", "compatibility table contradicts the evolution policy"),
    "GSP-E045": ("error", "deprecation window shorter than a profile's published guarantee"),
    # GSP-E050..E055: observability names against the OpenTelemetry registry (evidence/attest/otel.py)
    "GSP-E050": ("error", "otel_semconv_version is no schema version the semantic-conventions package knows"),
    "GSP-E051": ("error", "name in a semantic-conventions namespace is not registered there"),
    "GSP-E052": ("error", "deprecated semantic-conventions name"),
    "GSP-E053": ("error", "name outside both the semantic-conventions registry and the product namespace"),
    "GSP-E054": ("error", "Prometheus name differs from the one derived from the OpenTelemetry metric"),
    "GSP-E055": ("error", "semantic-conventions metric declared with another instrument or unit than the registry's"),
    # GSP-E06x: what attachments say, held against what the evidence claims (issue 13)
    "GSP-E060": ("error", "certification record not bound to its evidence"),
    "GSP-E061": ("error", "conformance report contradicts the certification bundle"),
    "GSP-E062": ("error", "performance baseline or results contradict the tier document"),
    "GSP-E063": ("error", "tier's env_manifest_hash is not the release's environment manifest"),
    "GSP-E064": ("error", "SBOM invalid against its CycloneDX schema"),
    "GSP-E065": ("error", "attachment too large or malformed to attest"),
    "GSP-E066": ("error", "SBOM invalid against the SPDX specification"),
    # --- GSP-E1xx: packs ---------------------------------------------------------------
    "GSP-E101": ("error", "pack cannot be read as a pack"),
    "GSP-E102": ("error", "seek table inconsistent with the frames"),
    "GSP-E103": ("error", "pack index damaged or inconsistent with the stream"),
    "GSP-E104": ("error", "frame damaged (bytes do not match their hash)"),
    "GSP-E105": ("error", "member content does not match the manifest"),
    "GSP-E106": ("error", "member size differs from the manifest"),
    "GSP-E107": ("error", "member in the stream is not in the manifest"),
    "GSP-E108": ("error", "manifest lists a member missing from the stream"),
    "GSP-E109": ("error", "duplicate member"),
    "GSP-E110": ("error", "unsafe member name"),
    "GSP-E111": ("error", "member is not a regular file"),
    "GSP-E112": ("error", "manifest unreadable or malformed"),
    "GSP-E113": ("error", "unsupported pack format version"),
    "GSP-E114": ("error", "pack signature does not verify"),
    "GSP-E115": ("error", "pack signer not trusted (unknown, wrong purpose, not yet valid or expired)"),
    "GSP-E116": ("error", "pack signer key revoked"),
    "GSP-E117": ("error", "no trusted signature on the pack"),
    "GSP-E118": ("warning", "signatures not checked against a trust store"),
    "GSP-E119": ("error", "pack or tar stream truncated"),
    "GSP-E120": ("error", "trailing data after the end of the pack"),
    "GSP-E121": ("error", "decompression limit exceeded"),
    "GSP-E122": ("error", "BagIt tag file inconsistent with the manifest"),
    "GSP-E123": ("error", "manifest.json differs from manifest.cbor"),
    "GSP-E124": ("error", "tar header malformed or not normalized"),
    "GSP-E125": ("warning", "pack is unsigned"),
    # --- GSP-E2xx: time-stamps ---------------------------------------------------------
    "GSP-E200": ("error", "time-stamp token cannot be parsed"),
    "GSP-E201": ("error", "time-stamp response status is not granted"),
    "GSP-E202": ("error", "time-stamp message imprint does not match the data"),
    "GSP-E203": ("error", "time-stamp nonce differs from the request"),
    "GSP-E204": ("error", "time-stamp CMS signature does not verify"),
    "GSP-E205": ("error", "time-stamp signed attributes invalid"),
    "GSP-E206": ("error", "ESS signing-certificate does not bind the signer certificate"),
    "GSP-E207": ("error", "time-stamp signer certificate not found"),
    "GSP-E208": ("error", "TSA certificate does not chain to a configured trust root"),
    "GSP-E209": ("error", "TSA certificate lacks a critical timeStamping extended key usage"),
    "GSP-E210": ("error", "TSA certificate chain not valid at the token's genTime"),
    "GSP-E211": ("error", "time-stamp policy OID not in the allowed list"),
    "GSP-E212": ("error", "time-stamp uses an unsupported structure or algorithm"),
    "GSP-E213": ("error", "archive time-stamp chain broken"),
    "GSP-E214": ("error", "time-stamp quorum not met"),
    "GSP-E215": ("warning", "time-stamps present but not checked against TSA trust roots"),
    "GSP-E216": ("warning", "earlier time-stamp relies on a later archive time-stamp"),
    "GSP-E217": ("info", "time-stamp chain link vouches for the pack"),
    "GSP-E218": ("warning", "earlier time-stamp renewed after its TSA certificate expired"),
    # RFC 4998 Evidence Records (``ers verify``, ``glyphserpack.timestamp.ers``).
    "GSP-E230": ("error", "evidence record is not RFC 4998 ASN.1 in DER"),
    "GSP-E231": ("error", "data object hash not in the evidence record (data altered?)"),
    "GSP-E232": ("error", "reduced hash tree does not lead to the time-stamped root"),
    "GSP-E233": ("error", "evidence record renewal is older than what it renews"),
    "GSP-E234": ("error", "evidence record structure invalid (version, algorithm, chain)"),
    "GSP-E235": ("info", "evidence record chain proves the data existed"),
    # GSP-E240..E246: revocation of TSA certificates from stored LTV data (timestamp/ltv.py)
    "GSP-E240": ("error", "TSA certificate revoked at or before the token's genTime"),
    "GSP-E241": ("warning", "no usable revocation data for a TSA certificate"),
    "GSP-E242": ("error", "CRL or OCSP response not signed by the issuer or a responder it authorised"),
    "GSP-E243": ("warning", "CRL or OCSP response says nothing about genTime (stale)"),
    "GSP-E244": ("error", "OCSP response certID does not match the certificate"),
    "GSP-E245": ("error", "stored revocation data cannot be parsed"),
    "GSP-E246": ("info", "TSA certificate revoked after genTime; the revocation does not reach back"),
    # --- GSP-E3xx: site ----------------------------------------------------------------
    "GSP-E301": ("error", "site manifest missing or unreadable"),
    "GSP-E302": ("error", "file listed in the site manifest is missing"),
    "GSP-E303": ("error", "site file does not match its manifest digest"),
    "GSP-E304": ("error", "site file not listed in the site manifest"),
    "GSP-E305": ("error", "site manifest root does not match its body"),
    "GSP-E306": ("error", "site manifest signature invalid or key not trusted for site"),
    "GSP-E307": ("warning", "site manifest is unsigned"),
    "GSP-E308": ("error", "previous-manifest chain broken"),
    "GSP-E309": ("error", "time-stamp over the site root does not verify"),
    "GSP-E310": ("info", "no checked time-stamp over the site root"),
    "GSP-E311": ("error", "unsafe path in the site manifest"),
    "GSP-E312": ("error", "site's transparency log missing, malformed or not the one it names"),
    "GSP-E313": ("error", "certificate state in api/ differs from the state derived from the log"),
    "GSP-E314": ("info", "certificate states are not log-backed"),
    "GSP-E315": ("error", "no consistency proof from the previous release's checkpoint"),
    # --- GSP-E4xx: transparency log ---------------------------------------------------
    "GSP-E401": ("error", "checkpoint signature does not verify"),
    "GSP-E402": ("error", "checkpoint or note malformed"),
    "GSP-E403": ("error", "log tile missing"),
    "GSP-E404": ("error", "log tile truncated or of the wrong size"),
    "GSP-E405": ("error", "log tile does not match the recomputed hashes"),
    "GSP-E406": ("error", "entry bundle missing, truncated or malformed"),
    "GSP-E407": ("error", "recomputed tree root differs from the checkpoint"),
    "GSP-E408": ("error", "checkpoint smaller than the last one seen"),
    "GSP-E409": ("error", "consistency proof does not verify"),
    "GSP-E410": ("error", "inclusion proof does not verify"),
    "GSP-E411": ("error", "too few witness cosignatures"),
    "GSP-E412": ("error", "log entry invalid"),
    "GSP-E413": ("warning", "lifecycle event does not fit the certificate's history"),
    "GSP-E414": ("error", "checkpoint origin does not match the log"),
    "GSP-E415": ("error", "checkpoint key not trusted for checkpoints"),
    "GSP-E416": ("error", "history rewritten: entry edited"),
    "GSP-E417": ("error", "history rewritten: entry removed"),
    "GSP-E418": ("error", "history rewritten: entries reordered"),
    "GSP-E419": ("warning", "witness cosignature does not verify"),
    # --- GSP-E5xx: parity and audit -----------------------------------------------------
    "GSP-E501": ("warning", "parity sidecar unreadable (no usable header copy)"),
    "GSP-E502": ("warning", "one header copy of the parity sidecar is damaged"),
    "GSP-E503": ("error", "pack blocks differ from their parity-recorded SHA-256"),
    "GSP-E504": ("info", "damage is within the parity budget and can be repaired"),
    "GSP-E505": ("error", "damage exceeds the parity budget"),
    "GSP-E506": ("warning", "parity blocks damaged"),
    "GSP-E507": ("info", "pack has no parity sidecar"),
    "GSP-E508": ("error", "pack size differs from the size its parity protects"),
    "GSP-E510": ("error", "audit log line malformed or not in canonical form"),
    "GSP-E511": ("error", "audit log entry edited (hash mismatch)"),
    "GSP-E512": ("error", "audit log chain broken (entry removed, inserted or reordered)"),
    "GSP-E513": ("error", "audit log head differs from the expected head (entries cut off)"),
    "GSP-E514": ("error", "pack could not be read during the audit"),
}


@dataclass(frozen=True, order=True)
class Finding:
    """One problem (or note) found by a check; ordered so reports sort deterministically."""

    code: str
    where: str
    detail: str

    @property
    def severity(self) -> Severity:
        return CATALOGUE[self.code][0]

    @property
    def title(self) -> str:
        return CATALOGUE[self.code][1]

    def line(self) -> str:
        """The one-line form the CLI prints: code, place, what is wrong."""
        return f"{self.code} {self.where}: {self.detail}"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "where": self.where, "detail": self.detail}


def finding(code: str, where: str, detail: str) -> Finding:
    """Build a finding, refusing codes that are not in the catalogue (catches typos early)."""
    if code not in CATALOGUE:
        raise ValueError(f"unknown finding code {code}")
    return Finding(code, where, detail)


class Report:
    """The shape every verification report shares: ``findings``, ``valid``, ``to_dict()``.

    Subclasses are dataclasses with a ``findings: list[Finding]`` field and add what they
    found out (root hashes, checks, per-token details); ``to_dict()`` gives their JSON form,
    always with ``valid`` and ``findings`` (sorted, each as :meth:`Finding.to_dict`).
    """

    findings: list[Finding]

    @property
    def valid(self) -> bool:
        """No finding of severity error (a subclass may add conditions, never remove this one)."""
        return not any(f.severity == "error" for f in self.findings)

    @property
    def codes(self) -> list[str]:
        """The distinct codes of the findings, sorted: what scripts and tests match on."""
        return sorted({f.code for f in self.findings})

    def add_finding(self, code: str, where: str, detail: str) -> None:
        self.findings.append(finding(code, where, detail))

    def findings_dicts(self) -> list[dict[str, str]]:
        """The findings as ``to_dict()`` puts them: deduplicated, sorted."""
        return [f.to_dict() for f in sorted(set(self.findings))]

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "findings": self.findings_dicts()}
