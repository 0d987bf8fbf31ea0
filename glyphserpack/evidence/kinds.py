"""The registry of evidence kinds and their published JSON Schemas.

Schemas are generated from the pydantic models (never written twice), so ``glyphserpack schema
KIND`` cannot drift from what the loader accepts. Signed kinds describe the decoded
``signed_payload`` of their ``.cbor`` envelope.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from glyphserpack.errors import UsageError
from glyphserpack.evidence.certificates import CertificationRecord, ExecutionCertificate, Revocation
from glyphserpack.evidence.models import ProfileBundle, ReleaseManifest, RunEvidence
from glyphserpack.evidence.productization import (
    CertificationBundle,
    ChaosProofPack,
    EvolutionPolicy,
    ExternalInterfaces,
    ObservabilityMapping,
    PerformanceTiers,
    ReferenceStack,
    SecurityCase,
)
from glyphserpack.evidence.readiness import WorkstreamReadiness

__all__ = ["KINDS", "SIGNED", "schema_for"]

#: kind name -> model, in a stable documented order.
KINDS: dict[str, type[BaseModel]] = {
    "release_manifest": ReleaseManifest,
    "profile_bundle": ProfileBundle,
    "observability_mapping": ObservabilityMapping,
    "certification_bundle": CertificationBundle,
    "certification_record": CertificationRecord,
    "revocation": Revocation,
    "reference_stack": ReferenceStack,
    "external_interfaces": ExternalInterfaces,
    "security_case": SecurityCase,
    "evolution_policy": EvolutionPolicy,
    "performance_tiers": PerformanceTiers,
    "chaos_proof_pack": ChaosProofPack,
    "run_evidence": RunEvidence,
    "execution_certificate": ExecutionCertificate,
    "workstream_readiness": WorkstreamReadiness,
}

#: kinds stored as signed ``.cbor`` envelopes rather than YAML/JSON.
SIGNED: frozenset[str] = frozenset({"execution_certificate", "certification_record", "revocation"})


def schema_for(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind, with a stable ``$id``."""
    model = KINDS.get(kind)
    if model is None:
        raise UsageError(f"unknown evidence kind {kind!r}; known kinds: {', '.join(KINDS)}")
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://glyphser.dev/schemas/glyphserpack/{kind}-v1.json"
    if kind in SIGNED:
        schema["description"] = (
            schema.get("description", "")
            + "\n\nStored as a .cbor signed envelope; this schema describes the decoded signed_payload."
        ).strip()
    return schema
