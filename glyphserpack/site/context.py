"""The typed template context: everything a page shows, derived once from the evidence tree.

Templates never touch raw evidence documents; they read these frozen records, whose fields
are plain text (escaped by the template layer) or hashes and site-relative URLs we built
ourselves. Every object that a claim can rest on carries its hash and the URL of its stable
page or anchor, and that URL contains the hash prefix, so a link is also a commitment.

The one place that knows the evidence model's shape is :mod:`glyphserpack.site.source`;
this module only defines the records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from glyphserpack.evidence.status import CertificateFacts, Status
from glyphserpack.site.escape import safe_filename

__all__ = [
    "PREFIX",
    "CertRecord",
    "ChaosScenarioRow",
    "ControlRow",
    "EvidenceFile",
    "Field",
    "GuaranteeRow",
    "LeftOut",
    "Link",
    "LogEvent",
    "LogState",
    "LogSummary",
    "PackRecord",
    "ParityRecord",
    "ProfileRow",
    "RevocationRow",
    "SecurityCasePage",
    "SiteContext",
    "TierRow",
    "VerdictRow",
    "WorkstreamRow",
    "cert_page",
    "download_path",
    "file_anchor",
]

#: Hex characters of a hash that go into a URL: 64 bits, unique across any realistic site.
PREFIX = 16

#: One rule (:mod:`glyphserpack.evidence.status`) with or without a transparency log.
CertStatus = Status


def cert_page(sha256: str) -> str:
    """Site-relative page of a certificate or certification record."""
    return f"certificates/{sha256[:PREFIX]}.html"


def download_path(sha256: str, path: str, *, folder: str = "files") -> str:
    """Where a published copy of a file lives: hash prefix + a sanitised name, one flat folder.

    Flat on purpose: one directory per file made replacing a 10,000-certificate site spend
    seconds in rmdir alone.
    """
    return f"{folder}/{sha256[:PREFIX]}-{safe_filename(path)}"


def file_anchor(sha256: str) -> str:
    """Site-relative anchor of an evidence file on the evidence index page."""
    return f"evidence.html#f-{sha256[:PREFIX]}"


@dataclass(frozen=True)
class Link:
    """A hash link shown to people: label, the hash it commits to, the URL of its target."""

    label: str
    sha256: str
    href: str
    ok: bool = True


@dataclass(frozen=True)
class Field:
    """One labelled value on an object page; ``link`` when the value is itself a hash link."""

    name: str
    value: str
    link: Link | None = None


@dataclass(frozen=True)
class EvidenceFile:
    """A file of the evidence tree published on the site (documents and attachments)."""

    path: str
    sha256: str
    size: int
    download: str
    kind: str
    referenced_by: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        return f"f-{self.sha256[:PREFIX]}"

    @property
    def href(self) -> str:
        return file_anchor(self.sha256)


@dataclass(frozen=True)
class LeftOut:
    """A document the release lists that the site does not show, and why.

    A document that fails its SHA-256 pin (or is missing) is never parsed, so every page it
    would have fed is incomplete; each of those pages names it instead of showing an empty
    table as if the release had nothing to say.
    """

    path: str
    #: the kind it would have been ("" when not even that is known)
    kind: str
    reasons: tuple[str, ...]
    #: the Markdown pages it would have appeared on ("security" = every security case page)
    pages: tuple[str, ...]


@dataclass(frozen=True)
class LogEvent:
    """One log entry about a certificate: where it is in the log and what it hashes to."""

    index: int
    type: str
    time_utc: str
    leaf_hash: str
    entry_digest: str


@dataclass(frozen=True)
class ParityRecord:
    """A pack's Reed–Solomon parity sidecar, published beside it as ``DOWNLOAD.par``.

    Same folder and name plus ``.par``: where ``glyphserpack verify`` and ``repair`` look for
    the sidecar of a downloaded pack, so a mirror that copies both keeps them usable.
    """

    name: str
    sha256: str
    size: int
    download: str
    #: the sidecar checked against the pack when the site was built
    status: str


@dataclass(frozen=True)
class PackRecord:
    """A ``.glyphserpack`` archive offered for download on the archive page."""

    name: str
    sha256: str
    size: int
    download: str
    root_hash: str | None
    signers: tuple[str, ...]
    timestamps: tuple[str, ...]
    members: frozenset[str] = field(default_factory=frozenset, repr=False)
    verify_status: str = "not checked"
    #: full verification (every frame, member hash, signature) against the pack trust store
    signature_status: str = "signatures not checked (no trust store given)"
    signature_valid: bool | None = None
    #: the pack_published entry of the transparency log naming this pack (log-backed sites)
    log_entry: LogEvent | None = None
    #: the parity sidecar found beside the pack (``NAME.glyphserpack.par``), published with it
    parity: ParityRecord | None = None
    #: the codes of every finding of :func:`glyphserpack.pack.verify` on this pack, sorted
    findings: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        return f"p-{self.sha256[:PREFIX]}"

    @property
    def href(self) -> str:
        return f"archive.html#{self.anchor}"


@dataclass(frozen=True)
class RevocationRow:
    revocation_id: str
    sha256: str
    target_kind: str
    target: Link
    reason_code: str
    revoked_utc: str
    issuer: str
    signature: str
    document: Link

    @property
    def anchor(self) -> str:
        return f"r-{self.sha256[:PREFIX]}"


@dataclass(frozen=True)
class LogState:
    """A certificate's lifecycle state derived from the log, and the entry that established it."""

    state: str
    reason: str
    established_by: LogEvent | None
    events: tuple[LogEvent, ...]


@dataclass(frozen=True)
class LogSummary:
    """The published log as the pages describe it (checkpoint, key, witnesses, consistency)."""

    origin: str
    size: int
    root_hash: str
    log_key: str
    key_source: str
    checkpoint: str
    consistency_proof: str | None
    cosigners: tuple[str, ...]
    witness_quorum: int
    state_time_utc: str
    previous_size: int | None
    findings: tuple[str, ...]
    #: every certificate the log knows: (hash hex, certificate_id, derived state)
    certificates: tuple[tuple[str, str, LogState], ...] = ()


@dataclass(frozen=True)
class CertRecord:
    """A row of the registry and the content of one certificate page."""

    kind: Literal["execution_certificate", "certification_record"]
    ident: str
    title: str
    cert_class: str
    subject: str
    sha256: str
    path: str
    issued_utc: str
    valid_until_utc: str
    status: CertStatus
    status_reason: str
    signature: str
    key_id: str
    key_owner: str
    profile: str
    fields: tuple[Field, ...]
    unsigned_metadata: tuple[Field, ...]
    related: tuple[Link, ...]
    packs: tuple[PackRecord, ...]
    timestamps: tuple[str, ...]
    trust_store_path: str
    trust_store_hash: str
    revocation: RevocationRow | None = None
    superseded_by: Link | None = None
    log_state: LogState | None = None
    #: what the status rule was given from the evidence (the log's events are merged in later)
    facts: CertificateFacts | None = field(default=None, repr=False, compare=False)

    @property
    def page(self) -> str:
        return cert_page(self.sha256)

    @property
    def download(self) -> str:
        return download_path(self.sha256, self.path)


@dataclass(frozen=True)
class ControlRow:
    control_id: str
    digest: str
    category: str
    mitigation: str
    evidence: tuple[Link, ...]
    pointers: tuple[str, ...]
    procedure: str
    verdict: str

    @property
    def anchor(self) -> str:
        return f"control-{self.digest[:PREFIX]}"


@dataclass(frozen=True)
class SecurityCasePage:
    profile: str
    sha256: str
    security_case_hash: str
    document: Link
    assets: tuple[tuple[str, str], ...]
    trust_boundaries: tuple[tuple[str, str], ...]
    attacker_capabilities: tuple[tuple[str, str], ...]
    controls: tuple[ControlRow, ...]
    crosswalk: tuple[tuple[str, str, str, str, str], ...]
    verdict: str

    @property
    def slug(self) -> str:
        return f"security/{self.profile}-{self.security_case_hash[:PREFIX]}"


@dataclass(frozen=True)
class GuaranteeRow:
    profile: str
    support_months: int
    lts_years: int
    statement: str
    source: Link


@dataclass(frozen=True)
class ProfileRow:
    profile: str
    execution_mode: str
    topology: str
    description: str
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class VerdictRow:
    """A verdict and the evidence it rests on (overview, graduation gates, tiers)."""

    name: str
    verdict: str
    detail: str
    source: Link | None


@dataclass(frozen=True)
class TierRow:
    tier: str
    env_manifest_hash: str
    workloads: tuple[str, ...]
    metrics: tuple[tuple[str, str, str, str, str], ...]
    verdict: str
    baseline: Link
    results: Link


@dataclass(frozen=True)
class ChaosScenarioRow:
    scenario_id: str
    category: str
    variant: str
    fault_injection: str
    invariants: tuple[tuple[str, str], ...]
    transcript: Link
    verdict: str
    verdict_hash: str


@dataclass(frozen=True)
class WorkstreamRow:
    workstream_id: str
    section: str
    title: str
    status: str
    criteria_met: int
    criteria_total: int
    blockers_open: tuple[str, ...]
    gate: str
    document: Link


@dataclass(frozen=True)
class SiteContext:
    """Everything the templates render; built by :func:`glyphserpack.site.source.build_context`."""

    release_id: str
    version: str
    release_time_utc: str
    base_url: str
    manifest: Link
    trust_store: Link
    trust_keys: tuple[tuple[str, str, str, str], ...]
    verdicts: tuple[VerdictRow, ...]
    metrics: tuple[tuple[str, str, str], ...]
    blockers: tuple[tuple[str, str, str], ...]
    certificates: tuple[CertRecord, ...]
    revocations: tuple[RevocationRow, ...]
    security_cases: tuple[SecurityCasePage, ...]
    guarantees: tuple[GuaranteeRow, ...]
    deprecations: tuple[tuple[str, ...], ...]
    breaking_changes: tuple[tuple[str, ...], ...]
    compat_matrix: tuple[tuple[str, tuple[str, ...]], ...]
    evolution_document: Link | None
    profiles: tuple[ProfileRow, ...]
    graduation: tuple[tuple[str, str, tuple[VerdictRow, ...]], ...]
    observability: tuple[tuple[str, ...], ...]
    observability_traces: tuple[tuple[str, str, str], ...]
    observability_document: Link | None
    interfaces: tuple[Link, ...]
    sdks: tuple[tuple[str, ...], ...]
    interfaces_document: Link | None
    tiers: tuple[TierRow, ...]
    chaos: tuple[ChaosScenarioRow, ...]
    chaos_document: Link | None
    workstreams: tuple[WorkstreamRow, ...]
    packs: tuple[PackRecord, ...]
    files: tuple[EvidenceFile, ...]
    schemas: tuple[str, ...]
    findings: tuple[str, ...]
    log: LogSummary | None = None
    #: listed documents the site could not show (failed pin, missing), with the pages they affect
    left_out: tuple[LeftOut, ...] = ()
