"""The machine-readable twin of the site: static JSON under ``api/`` with a published schema.

The documents are pydantic models, so ``api/schemas/site-api.json`` is generated from the same
classes that produce the files and cannot drift from them. Scripts and registries read these
instead of scraping HTML; every record names the hash it describes and the page that shows it.

``api/registry.json``            every certificate and certification record with its status
``api/certificates/H16.json``    one certificate: signed fields, verification results, links
``api/guarantees.json``          compatibility guarantees, deprecations, breaking changes, matrix
``api/packs.json``               archive packs: file hash, root hash, signers, time-stamps, parity sidecar
``api/log.json``                 with a transparency log: checkpoint, key, every derived state
``api/schemas/KIND.json``        JSON Schemas of the evidence kinds
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from glyphserpack._internal import jsonout
from glyphserpack.evidence.kinds import schema_for
from glyphserpack.evidence.status import Status
from glyphserpack.site.context import PREFIX, CertRecord, Link, LogEvent, LogState, ParityRecord, SiteContext

__all__ = ["API_VERSION", "api_schema", "log_state_doc", "write_api"]

API_VERSION = 1
_HEX64 = r"^[0-9a-f]{64}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiLink(_Model):
    label: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    href: str = Field(description="site-relative URL of the object's page or anchor (carries the hash prefix)")
    ok: bool = Field(description="target present with this SHA-256 in the evidence tree")


class LogEventDoc(_Model):
    index: int = Field(description="position of the entry in the transparency log")
    type: str
    time_utc: str
    leaf_hash: str = Field(pattern=_HEX64, description="RFC 9162 leaf hash SHA-256(0x00 || entry)")
    entry_digest: str = Field(pattern=_HEX64, description="ObjectDigest of the entry (`log prove --entry`)")


class LogStateDoc(_Model):
    state: Status | Literal["not_logged"] = Field(
        description="the status the log's own records give (the one rule, glyphserpack.evidence.status)"
    )
    reason: str
    established_by: LogEventDoc | None = Field(description="the entry that put the certificate in this state")
    events: list[LogEventDoc] = Field(description="every entry about this certificate, in log order")


class RegistryEntry(_Model):
    kind: Literal["execution_certificate", "certification_record"]
    id: str
    cert_class: str
    subject: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the certificate file")
    issued_utc: str
    valid_until_utc: str
    status: Status = Field(
        description="one rule for check, the site and `log state` (docs/evidence.md, 'Certificate status')"
    )
    status_reason: str
    signature: str = Field(description="'ok' or why the signature does not count (trust store check)")
    key_id: str
    page: str
    api: str
    status_source: Literal["log", "evidence (not log-backed)"] = Field(
        description="'log': the revocations, supersessions and expiries behind the status are the "
        "transparency log's (see `log`); otherwise the evidence's"
    )
    log: LogStateDoc | None = None


class Registry(_Model):
    api_version: Literal[1]
    release_id: str
    release_time_utc: str
    certificates: list[RegistryEntry]


class LogCertificate(_Model):
    certificate_hash: str = Field(pattern=_HEX64)
    certificate_id: str
    log: LogStateDoc


class LogDoc(_Model):
    api_version: Literal[1]
    origin: str
    log_key: str = Field(description="signed-note verifier key of the log")
    key_source: str
    size: int
    root_hash: str = Field(pattern=_HEX64)
    checkpoint: str = Field(description="log/checkpoint, verbatim")
    cosigners: list[str]
    witness_quorum: int
    state_time_utc: str = Field(description="time at which not_after_utc counts as expired")
    previous_size: int | None = Field(description="tree size of the previous release's checkpoint")
    consistency_proof: str | None
    certificates: list[LogCertificate]
    findings: list[str] = Field(description="lifecycle events the fold refused (GSP-E413)")


class CertificateDoc(_Model):
    api_version: Literal[1]
    entry: RegistryEntry
    fields: dict[str, str] = Field(description="signed payload, flattened to dotted names; hashes in hex")
    unsigned_metadata: dict[str, str]
    related: list[ApiLink]
    packs: list[str] = Field(description="SHA-256 of the pack files containing this certificate")
    trust_store_hash: str
    revoked_by: str | None = None
    superseded_by: ApiLink | None = None


class Guarantee(_Model):
    profile: str
    support_months_after_deprecation: int
    lts_years: int
    statement: str


class Guarantees(_Model):
    api_version: Literal[1]
    source: ApiLink | None
    guarantees: list[Guarantee]
    deprecations: list[list[str]]
    breaking_changes: list[list[str]]
    matrix: dict[str, list[str]] = Field(description="version -> one cell per profile (core, enterprise, regulated)")


class PackParity(_Model):
    name: str
    sha256: str
    size: int
    download: str = Field(description="the pack's download path plus .par, where verify and repair look for it")
    status: str = Field(description="the sidecar checked against the pack when the site was built")


class Pack(_Model):
    name: str
    sha256: str
    size: int
    download: str
    root_hash: str | None
    signers: list[str]
    timestamps: list[str]
    signature_status: str = Field(description="full verification against the site builder's pack trust store")
    signature_valid: bool | None = Field(description="null when no trust store was given and the pack is intact")
    log_entry: LogEventDoc | None = Field(
        default=None, description="the log's pack_published entry for this pack (root or file hash)"
    )
    parity: PackParity | None = Field(
        default=None, description="Reed-Solomon parity sidecar published beside the pack (archive/FORMAT.md §11)"
    )


class Packs(_Model):
    api_version: Literal[1]
    packs: list[Pack]


def _parity(par: ParityRecord) -> PackParity:
    return PackParity(name=par.name, sha256=par.sha256, size=par.size, download=par.download, status=par.status)


def _link(link: Link) -> ApiLink:
    return ApiLink(label=link.label, sha256=link.sha256, href=link.href, ok=link.ok)


def _event(e: LogEvent) -> LogEventDoc:
    return LogEventDoc(
        index=e.index, type=e.type, time_utc=e.time_utc, leaf_hash=e.leaf_hash, entry_digest=e.entry_digest
    )


def _log_state(st: LogState) -> LogStateDoc:
    return LogStateDoc(
        state=st.state,  # type: ignore[arg-type]  # LogState.state is text: a Status or "not_logged"
        reason=st.reason,
        established_by=_event(st.established_by) if st.established_by else None,
        events=[_event(e) for e in st.events],
    )


def log_state_doc(st: LogState) -> dict[str, Any]:
    """The JSON form of a derived state, as api/ shows it (``site verify`` compares against it)."""
    return _log_state(st).model_dump(mode="json")


def _entry(c: CertRecord) -> RegistryEntry:
    return RegistryEntry(
        kind=c.kind,
        id=c.ident,
        cert_class=c.cert_class,
        subject=c.subject,
        sha256=c.sha256,
        issued_utc=c.issued_utc,
        valid_until_utc=c.valid_until_utc,
        status=c.status,
        status_reason=c.status_reason,
        signature=c.signature,
        key_id=c.key_id,
        page=c.page,
        api=f"api/certificates/{c.sha256[:PREFIX]}.json",
        status_source="log" if c.log_state is not None else "evidence (not log-backed)",
        log=_log_state(c.log_state) if c.log_state is not None else None,
    )


def api_schema() -> dict[str, Any]:
    """One JSON Schema (draft 2020-12) whose ``$defs`` describe every api/ document."""
    defs: dict[str, Any] = {}
    for model in (Registry, CertificateDoc, Guarantees, Packs, LogDoc):
        schema = model.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        defs[model.__name__] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://glyphser.dev/schemas/glyphserpack/site-api-v1.json",
        "title": "glyphserpack site api/ documents",
        "description": "api/registry.json is a Registry, api/certificates/*.json a CertificateDoc, "
        "api/guarantees.json Guarantees, api/packs.json Packs, api/log.json LogDoc.",
        "$defs": defs,
    }


def _dump(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(obj, BaseModel):  # a model's field order is fixed, so its output is stable unsorted
        data = jsonout.to_bytes(obj.model_dump(mode="json"), indent=1, sort_keys=False, ensure_ascii=False)
    else:
        data = jsonout.to_bytes(obj, indent=1, ensure_ascii=False)
    path.write_bytes(data)  # inside the site's staging directory, renamed into place as a whole


def write_api(ctx: SiteContext, site: Path) -> None:
    """Write every api/ document into ``site`` (called on the temp build tree)."""
    api = site / "api"
    entries = [_entry(c) for c in ctx.certificates]
    _dump(
        api / "registry.json",
        Registry(api_version=1, release_id=ctx.release_id, release_time_utc=ctx.release_time_utc, certificates=entries),
    )
    for c, e in zip(ctx.certificates, entries, strict=True):
        doc = CertificateDoc(
            api_version=1,
            entry=e,
            fields={f.name: f.value for f in c.fields},
            unsigned_metadata={f.name: f.value for f in c.unsigned_metadata},
            related=[_link(x) for x in c.related],
            packs=[p.sha256 for p in c.packs],
            trust_store_hash=c.trust_store_hash,
            revoked_by=c.revocation.sha256 if c.revocation else None,
            superseded_by=_link(c.superseded_by) if c.superseded_by else None,
        )
        _dump(api / "certificates" / f"{c.sha256[:PREFIX]}.json", doc)
    _dump(
        api / "guarantees.json",
        Guarantees(
            api_version=1,
            source=_link(ctx.evolution_document) if ctx.evolution_document else None,
            guarantees=[
                Guarantee(
                    profile=g.profile,
                    support_months_after_deprecation=g.support_months,
                    lts_years=g.lts_years,
                    statement=g.statement,
                )
                for g in ctx.guarantees
            ],
            deprecations=[list(d) for d in ctx.deprecations],
            breaking_changes=[list(b) for b in ctx.breaking_changes],
            matrix={v: list(cells) for v, cells in ctx.compat_matrix},
        ),
    )
    _dump(
        api / "packs.json",
        Packs(
            api_version=1,
            packs=[
                Pack(
                    name=p.name,
                    sha256=p.sha256,
                    size=p.size,
                    download=p.download,
                    root_hash=p.root_hash,
                    signers=list(p.signers),
                    timestamps=list(p.timestamps),
                    signature_status=p.signature_status,
                    signature_valid=p.signature_valid,
                    log_entry=_event(p.log_entry) if p.log_entry else None,
                    parity=_parity(p.parity) if p.parity else None,
                )
                for p in ctx.packs
            ],
        ),
    )
    if ctx.log is not None:
        lg = ctx.log
        _dump(
            api / "log.json",
            LogDoc(
                api_version=1,
                origin=lg.origin,
                log_key=lg.log_key,
                key_source=lg.key_source,
                size=lg.size,
                root_hash=lg.root_hash,
                checkpoint=lg.checkpoint,
                cosigners=list(lg.cosigners),
                witness_quorum=lg.witness_quorum,
                state_time_utc=lg.state_time_utc,
                previous_size=lg.previous_size,
                consistency_proof=lg.consistency_proof,
                certificates=[
                    LogCertificate(certificate_hash=h, certificate_id=i, log=_log_state(st))
                    for h, i, st in lg.certificates
                ],
                findings=list(lg.findings),
            ),
        )
    _dump(api / "schemas" / "site-api.json", api_schema())
    for kind in ctx.schemas:
        _dump(api / "schemas" / f"{kind}.json", schema_for(kind))
