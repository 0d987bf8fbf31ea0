"""Typed evidence documents: shared field types and the release-level kinds.

Every document is a mapping with ``kind`` and ``schema_version``; unknown fields and loose
types are refused (``extra='forbid'``, strict mode) because a field a checker silently ignores
is a field an auditor silently trusts. Documents point at each other and at attachments with
:class:`HashLink` (relative path + SHA-256 of the target's bytes), so the whole tree is
content-addressed from ``release.yaml`` down.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "EXECUTION_MODES",
    "PROFILES",
    "Date",
    "DocumentBase",
    "ExecutionMode",
    "GraduationGate",
    "HashLink",
    "Hex64",
    "Ident",
    "ProfileBundle",
    "ProfileDefinition",
    "ProfileId",
    "ReleaseManifest",
    "RunEvidence",
    "SemVer",
    "Strict",
    "Text",
    "UtcTime",
    "Verdict",
]

#: Product profiles, weakest first (CONTRACTS.md §5: core ⊂ enterprise ⊂ regulated).
PROFILES: tuple[str, ...] = ("core", "enterprise", "regulated")
#: Execution modes, weakest first; a profile accepts its mode or any stricter one.
EXECUTION_MODES: tuple[str, ...] = ("local", "managed", "confidential", "regulated")

Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
UtcTime = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$"),
]
Date = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
SemVer = Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
ProfileId = Literal["core", "enterprise", "regulated"]
ExecutionMode = Literal["local", "managed", "confidential", "regulated"]
Verdict = Literal["PASS", "FAIL"]


class Strict(BaseModel):
    """Base for every nested object: no unknown fields, no coercion, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class HashLink(Strict):
    """A reference to a file in the same evidence tree, pinned by the SHA-256 of its bytes."""

    path: Annotated[str, StringConstraints(min_length=1, max_length=1024)] = Field(
        description="POSIX path relative to the evidence tree root; no '..', no absolute paths, no links"
    )
    sha256: Hex64 = Field(description="lower-case hex SHA-256 of the target file's bytes")


class DocumentBase(Strict):
    """Fields every evidence document carries."""

    schema_version: Literal[1] = Field(description="version of this kind's schema")


# --- release manifest (the root of the tree) ------------------------------------------------


class ReleaseManifest(DocumentBase):
    """``release.yaml``: what the release is, what it is bound to, and every document in it."""

    kind: Literal["release_manifest"]
    release_id: Ident
    product: Literal["glyphser"]
    version: SemVer
    release_time_utc: UtcTime = Field(description="evaluation time for validity windows (never the clock)")
    env_manifest: HashLink = Field(description="environment manifest; env_manifest_hash = SHA-256 of its bytes")
    determinism_profile: HashLink = Field(description="determinism_profile_hash = SHA-256 of its bytes")
    trust_store: HashLink = Field(description="trust store file (trust.yaml / trust.json) for signatures")
    documents: list[HashLink] = Field(min_length=1, description="every evidence document of the release")
    sbom: HashLink | None = Field(default=None, description="release SBOM (mandatory for regulated)")
    conformance_coverage_report: HashLink | None = Field(default=None, description="mandatory for regulated")
    operator_registry: HashLink | None = Field(default=None, description="operator registry; mandatory for regulated")


# --- I.A product profiles --------------------------------------------------------------------


class ProfileDefinition(Strict):
    profile_id: ProfileId
    execution_mode: ExecutionMode = Field(description="minimum execution mode; enterprise maps to managed")
    topology: Literal["single_node", "multi_node"]
    description: Text
    requirements: list[Text] = Field(min_length=1)


class GraduationGate(Strict):
    gate_id: Literal[
        "conformance_pipeline_pass",
        "deployment_gate_pass",
        "full_security_case",
        "regulator_grade_evidence_bundle",
    ]
    verdict: Verdict
    evidence: HashLink


class GraduationStep(Strict):
    from_profile: ProfileId
    to_profile: ProfileId
    gates: list[GraduationGate] = Field(min_length=1)


class ProfileBundle(DocumentBase):
    """I.A: the three product profiles, their runtime-mode mapping and the graduation gates."""

    kind: Literal["profile_bundle"]
    bundle_version: SemVer
    profiles: list[ProfileDefinition] = Field(min_length=1)
    graduation: list[GraduationStep]


# --- release runs (CONTRACTS.md §5: certificate, trace, checkpoint, policy transcripts) -------


class ReplayResult(Strict):
    replay_run_id: Ident
    verdict: Verdict
    trace_final_hash_match: bool


class RunEvidence(DocumentBase):
    """One certified run: its execution certificate and the artifacts the certificate commits to."""

    kind: Literal["run_evidence"]
    run_id: Ident
    profile_id: ProfileId = Field(description="the product profile this run evidences")
    certificate: HashLink = Field(description="the run's execution_certificate (.cbor envelope)")
    trace: HashLink = Field(description="trace sidecar")
    checkpoint: HashLink = Field(description="canonical CBOR checkpoint manifest; its SHA-256 is checkpoint_hash")
    policy_transcripts: list[HashLink] = Field(min_length=1)
    wal: HashLink | None = None
    replay: ReplayResult | None = None
