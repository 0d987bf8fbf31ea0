#!/usr/bin/env python3
# ruff: noqa: E501  (demo data: long literal strings read better unwrapped)
"""Regenerate the bundled example evidence: three releases of the example product Glyphser.

``evidence/`` is release 1.4.0 (many tests read it); ``evidence-releases/glyphser-1.3.0/``
and ``evidence-releases/glyphser-2.0.0/`` are the releases before and after it, which
``glyphserpack demo`` builds into one registry. A release is a parameter set
(:class:`ReleaseSpec`: times, which certification records and revocations it carries, its
evolution policy, ...) given to one generator, :func:`build`. The three tell one story:
1.3.0 (2026-07-15) certifies the CPU reference backend (2025 record) and Acme's GCS store;
the GCS record is revoked on 2026-09-20 (``rev-2026-0007``, shipped in 1.4.0 and 2.0.0);
1.4.0 (2026-10-15) certifies the CPU, CUDA and S3 adapters, the S3 2026 record superseding
the 2025 one; 2.0.0 (2026-11-20) renews the CUDA record and makes the breaking change
``bc-2.0-checkpoint-v2`` that 1.3.0's and 1.4.0's policies announce.

Everything is deterministic: contents are fixed, Ed25519 signatures are deterministic (RFC
8032) and the signing keys are derived from *publicly known demo seeds* below, so running this
twice gives byte-identical files. The private keys are never written anywhere; the trees hold
only public keys (``trust/trust.yaml``). Never use these demo keys for anything real.

Usage: ``.venv/bin/python scripts/make_demo_evidence.py [--all [ROOT]]`` writes every release
under ROOT (default: the repository); ``... make_demo_evidence.py OUT_DIR`` writes 1.4.0 only
into OUT_DIR. Each tree is replaced as a whole (stale files from an older layout go first).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from glyphserpack import canonical  # noqa: E402
from glyphserpack._internal.fsio import atomic_write  # noqa: E402
from glyphserpack.evidence.bindings import revocation_bundle_hash, trace_final_hash  # noqa: E402
from glyphserpack.evidence.certificates import encode_envelope  # noqa: E402
from glyphserpack.evidence.readiness import ROADMAP_WORKSTREAMS  # noqa: E402
from glyphserpack.evidence.rules import recovery_verdict_hash  # noqa: E402
from glyphserpack.evidence.scaffold import TEMPLATE_HEADER  # noqa: E402
from glyphserpack.signing import key_id, public_key_raw  # noqa: E402
from glyphserpack.trust import TrustedKey, TrustStore  # noqa: E402

VERSION = "1.4.0"
RELEASE_TIME = "2026-10-15T12:00:00Z"
#: When the execution certificates were verified; they bind the revocation set as of this time.
CERT_VERIFICATION_TIME = "2026-10-10T08:15:00Z"
HEADER = TEMPLATE_HEADER  # `evidence init` recognises (and replaces) this line


def demo_key(name: str) -> Ed25519PrivateKey:
    """PUBLICLY KNOWN demo key (seed = SHA-256 of a fixed label). Demo data only."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"glyphserpack DEMO key: {name}".encode()).digest())


def h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


class Tree:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.documents: list[dict[str, str]] = []

    def file(self, rel: str, data: bytes | str) -> dict[str, str]:
        raw = data.encode() if isinstance(data, str) else data
        atomic_write(self.root / rel, raw)
        return {"path": rel, "sha256": hashlib.sha256(raw).hexdigest()}

    def json(self, rel: str, obj: Any) -> dict[str, str]:
        return self.file(rel, json.dumps(obj, indent=2, sort_keys=True) + "\n")

    def doc(self, rel: str, obj: dict[str, Any]) -> dict[str, str]:
        text = HEADER + yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=110)
        link = self.file(rel, text)
        self.documents.append(link)
        return link

    def signed(self, rel: str, key: Ed25519PrivateKey, payload: dict[str, Any], meta: dict[str, Any]) -> dict[str, str]:
        link = self.file(rel, encode_envelope(key, payload, unsigned_metadata=meta))
        self.documents.append(link)
        return link


#: Records whose package carries an SPDX 2.3 SBOM (attest/spdx.py); the others carry CycloneDX.
SPDX_SBOM_RECORDS = ("cert-store-s3-2026",)
#: What the S3 artifact-store adapter ships: (name, version, what it depends on).
STORE_S3_DEPENDENCIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("boto3", "1.35.36", ("botocore", "jmespath", "s3transfer")),
    ("botocore", "1.35.36", ("jmespath", "python-dateutil", "urllib3")),
    ("s3transfer", "0.10.3", ("botocore",)),
    ("jmespath", "1.0.1", ()),
    ("python-dateutil", "2.9.0.post0", ("six",)),
    ("six", "1.16.0", ()),
    ("urllib3", "2.2.3", ()),
)


def spdx_sbom(rid: str, adapter: str, version: str = VERSION) -> dict[str, Any]:
    """An SPDX 2.3 JSON SBOM of an adapter and its dependencies: purls, checksums, relationships.

    Checksums are SHA-256 of a fixed label per wheel (demo data: no real wheel is hashed).
    """

    def ref(name: str) -> str:
        return f"SPDXRef-Package-{name.replace('_', '-')}"

    def pkg(name: str, version: str, supplier: str, lic: str) -> dict[str, Any]:
        return {
            "SPDXID": ref(name),
            "name": name,
            "versionInfo": version,
            "supplier": supplier,
            "downloadLocation": f"https://files.pythonhosted.org/packages/{name}-{version}-py3-none-any.whl",
            "filesAnalyzed": False,
            "licenseConcluded": lic,
            "licenseDeclared": lic,
            "copyrightText": "NOASSERTION",
            "checksums": [{"algorithm": "SHA256", "checksumValue": h(f"{name}-{version}-py3-none-any.whl").hex()}],
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": f"pkg:pypi/{name}@{version}",
                }
            ],
            "primaryPackagePurpose": "LIBRARY",
        }

    licences = {"python-dateutil": "Apache-2.0 OR BSD-3-Clause", "six": "MIT", "urllib3": "MIT", "jmespath": "MIT"}
    packages = [pkg(adapter, version, "Organization: Glyphser Project", "Apache-2.0")]
    packages += [pkg(n, v, "NOASSERTION", licences.get(n, "Apache-2.0")) for n, v, _ in STORE_S3_DEPENDENCIES]
    relationships = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": ref(adapter)}
    ]
    relationships += [
        {"spdxElementId": ref(adapter), "relationshipType": "DEPENDS_ON", "relatedSpdxElement": ref(n)}
        for n in ("boto3", "botocore")
    ]
    relationships += [
        {"spdxElementId": ref(n), "relationshipType": "DEPENDS_ON", "relatedSpdxElement": ref(d)}
        for n, _, deps in STORE_S3_DEPENDENCIES
        for d in deps
    ]
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{adapter}-{version}",
        "documentNamespace": f"https://glyphser.example/spdx/{rid}/{adapter}-{version}",
        "creationInfo": {
            "created": "2026-08-14T09:30:00Z",
            "creators": ["Organization: Glyphser Project", f"Tool: glyphser-sbom-{version}"],
        },
        "packages": packages,
        "relationships": relationships,
    }


#: Recovery steps of each chaos category: (ms after the fault, step, what the harness saw).
CHAOS_STEPS: dict[str, list[tuple[int, str, str]]] = {
    "chaos-netpart-01": [
        (1_800, "detected", "coordinator lost heartbeat quorum (2 of 4 workers unreachable)"),
        (2_100, "fenced", "coordinator stepped down; epoch 41 fenced, no commits accepted"),
        (90_400, "partition_healed", "iptables rules removed; workers rejoined"),
        (93_700, "leader_elected", "epoch 42 leader elected; WAL prefix compared across 4 workers"),
        (131_000, "replayed", "1000 micro-batches replayed from last commit"),
    ],
    "chaos-store-01": [
        (350, "detected", "PutObject returned 503 for checkpoint part 7 of 24"),
        (2_900, "retried", "exponential backoff; 212 of 706 puts retried"),
        (601_200, "fault_cleared", "503 injection stopped"),
        (604_800, "checkpoint_committed", "commit pointer swapped after all 24 parts verified"),
        (648_000, "replayed", "replay from committed checkpoint"),
    ],
    "chaos-wal-01": [
        (40, "detected", "CRC32C mismatch in segment 000118 at offset 3145712"),
        (95, "truncated", "torn tail record discarded after last commit marker"),
        (4_600, "replayed", "replayed 118 segments to commit 88417"),
    ],
    "chaos-wal-02": [
        (60, "detected", "CRC32C mismatch in committed record 51230 of segment 000077"),
        (70, "refused_repair", "segment 000077 quarantined; no in-place repair attempted"),
        (12_400, "restored", "restored checkpoint ckpt-000075 and replayed to commit 88417"),
    ],
    "chaos-wal-03": [
        (30, "detected", "segment sequence gap: 000090 follows 000088"),
        (3_900, "replayed", "segments reordered by header sequence number; replayed to commit 88417"),
    ],
}


def chaos_transcript(sid: str, fault: str, invariants: list[str]) -> str:
    """A JSON Lines recovery transcript (attest/chaos.py): fault, recovery steps, invariant checks, final."""
    events: list[dict[str, Any]] = [{"event": "fault_injected", "t_ms": 0, "scenario_id": sid, "fault": fault}]
    for ms, step, detail in CHAOS_STEPS[sid]:
        events.append({"event": "recovery_step", "t_ms": ms, "scenario_id": sid, "step": step, "detail": detail})
    end = events[-1]["t_ms"]
    for k, inv in enumerate(invariants, start=1):
        events.append(
            {"event": "invariant", "t_ms": end + 250 * k, "scenario_id": sid, "invariant": inv, "result": "PASS"}
        )
    final_ms = end + 250 * (len(invariants) + 1)
    events.append({"event": "final", "t_ms": final_ms, "scenario_id": sid, "outcome": "recovered", "data_loss": False})
    return "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events)


def junit(suite: str, total: int, failures: int = 0, skipped: int = 0) -> str:
    """A conformance report: a sample of its passing cases, then every failing and skipped case."""
    passing = [
        f'    <testcase classname="{suite}" name="case_{i:04d}" time="0.{i % 9}"/>'
        for i in range(min(total - failures - skipped, 12))
    ]
    failing = [
        f'    <testcase classname="{suite}" name="case_{total - failures - skipped + i:04d}" time="0.4">\n'
        f'      <failure message="expected digest differs" type="AssertionError">vector {i} mismatch</failure>\n'
        "    </testcase>"
        for i in range(failures)
    ]
    skips = [
        f'    <testcase classname="{suite}" name="case_{total - skipped + i:04d}" time="0.0">\n'
        '      <skipped message="needs a multi-region bucket; not provisioned in this run"/>\n'
        "    </testcase>"
        for i in range(skipped)
    ]
    cases = "\n".join(passing + failing + skips)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="{suite}" tests="{total}" failures="{failures}">\n'
        f'  <testsuite name="{suite}" tests="{total}" failures="{failures}" errors="0" skipped="{skipped}">\n{cases}\n'
        "  </testsuite>\n</testsuites>\n"
    )


def sdk_junit(suite: str, total: int, skipped: int = 0) -> str:
    """An SDK conformance report listing every case, so its counts can be recomputed from it."""
    cases = "\n".join(
        f'    <testcase classname="{suite}.conformance" name="vector_{i:04d}" time="0.0{i % 9}"/>'
        if i < total - skipped
        else f'    <testcase classname="{suite}.conformance" name="vector_{i:04d}" time="0.0">\n'
        '      <skipped message="vector needs a GPU backend"/>\n    </testcase>'
        for i in range(total)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="{suite}" tests="{total}" failures="0" errors="0" skipped="{skipped}">\n'
        f'  <testsuite name="{suite}" tests="{total}" failures="0" errors="0" skipped="{skipped}">\n{cases}\n'
        "  </testsuite>\n</testsuites>\n"
    )


#: Advisory suites (``enforcement: advisory``): run and reported, never gating. adapter -> (total, failures, skipped)
ADVISORY_SUITES = {
    "interop-extended": {
        "glyphser-backend-cpu-ref": (64, 0, 4),
        "glyphser-store-s3": (48, 1, 3),  # one advisory failure: the release still passes, the metric shows it
    },
}


def certification_package(
    t: Tree, rid: str, adapter: str, verdict: str = "PASS", *, version: str = VERSION
) -> dict[str, Any]:
    """The signed package of one certification record: its members written into ``t``, their links.

    ``version`` is the Glyphser release whose certification run made the package; a record
    carried by several releases keeps it, so its bytes (and its log entry) stay the same.
    """
    base = f"attachments/certification/{rid}"
    return {
        "package_manifest": t.json(
            f"{base}/package_manifest.json",
            # binary_sha256: what the bundle's adapter fingerprint must equal (attest/certification.py)
            {"record_id": rid, "adapter_id": adapter, "members": 5, "binary_sha256": h(f"{adapter}-binary").hex()},
        ),
        "contract_bundle": t.file(
            f"{base}/contract_bundle.cbor",
            canonical.dumps(
                {"adapter_id": adapter, "contracts": ["Backend-Adapter-Guide", "Artifact-Store-Adapter-Guide"]}
            ),
        ),
        "conformance_package": t.file(
            f"{base}/conformance_package.cbor",
            canonical.dumps({"adapter_id": adapter, "suites": ["conformance-core", "replay-determinism"]}),
        ),
        "security_statement": t.file(
            f"{base}/security_statement.md",
            f"# Security statement: {adapter}\n\nNo network egress during certification runs; artifacts signed at rest.\n",
        ),
        "sbom": (
            t.json(f"{base}/sbom.spdx.json", spdx_sbom(rid, adapter, version))
            if rid in SPDX_SBOM_RECORDS
            else t.json(
                f"{base}/sbom.cdx.json",
                {
                    "bomFormat": "CycloneDX",
                    "specVersion": "1.5",
                    "version": 1,
                    "components": [{"type": "library", "name": adapter, "version": version}],
                },
            )
        ),
        "certification_verdict": t.json(f"{base}/certification_verdict.json", {"record_id": rid, "verdict": verdict}),
    }


@dataclasses.dataclass(frozen=True)
class RecordSpec:
    """One certification record. A record carried by several releases is written the same way
    in each tree (same package, same signature), so the registry log holds it once."""

    rid: str
    cls: str
    adapter: str
    kind: str
    vendor: str
    issued: str
    until: str
    key: str  # demo_key name of the issuing authority
    adapter_version: str
    #: the Glyphser release whose certification run made the package (its SBOM names it)
    made_for: str = VERSION
    #: a renewal: the record it renews (same subject and package, later issue time, new validity)
    renews: str | None = None


BACKEND, STORE = "Certified Backend v1", "Certified Artifact Store v1"
RECORDS = {
    r.rid: r
    for r in (
        RecordSpec(
            "cert-backend-cpu-ref-2026",
            BACKEND,
            "glyphser-backend-cpu-ref",
            "backend",
            "Glyphser Project",
            "2026-08-15T00:00:00Z",
            "2027-08-15T00:00:00Z",
            "cert-authority-2026",
            VERSION,
        ),
        RecordSpec(
            "cert-backend-cuda12-2026",
            BACKEND,
            "glyphser-backend-cuda12",
            "backend",
            "Glyphser Project",
            "2026-08-20T00:00:00Z",
            "2027-08-20T00:00:00Z",
            "cert-authority-2026",
            VERSION,
        ),
        RecordSpec(
            "cert-store-s3-2026",
            STORE,
            "glyphser-store-s3",
            "artifact_store",
            "Glyphser Project",
            "2026-08-15T00:00:00Z",
            "2027-08-15T00:00:00Z",
            "cert-authority-2026",
            VERSION,
        ),
        RecordSpec(
            "cert-store-s3-2025",
            STORE,
            "glyphser-store-s3",
            "artifact_store",
            "Glyphser Project",
            "2025-06-01T00:00:00Z",
            "2026-06-01T00:00:00Z",
            "cert-authority-2025",
            "1.2.3",
        ),
        RecordSpec(
            "cert-store-gcs-2026",
            STORE,
            "acme-store-gcs",
            "artifact_store",
            "Acme Storage Ltd.",
            "2026-07-01T00:00:00Z",
            "2027-07-01T00:00:00Z",
            "cert-authority-2026",
            VERSION,
        ),
        # 1.3.0's backend: issued by the 2025 authority, runs out the day the 2026 record is issued
        RecordSpec(
            "cert-backend-cpu-ref-2025",
            BACKEND,
            "glyphser-backend-cpu-ref",
            "backend",
            "Glyphser Project",
            "2025-08-15T00:00:00Z",
            "2026-08-15T00:00:00Z",
            "cert-authority-2025",
            "1.3.0",
            made_for="1.3.0",
        ),
        # 2.0.0's renewal of the CUDA backend (same package, re-checked against 2.0.0's evidence)
        RecordSpec(
            "cert-backend-cuda12-2026-r20261105",
            BACKEND,
            "glyphser-backend-cuda12",
            "backend",
            "Glyphser Project",
            "2026-11-05T00:00:00Z",
            "2028-11-05T00:00:00Z",
            "cert-authority-2026",
            VERSION,
            renews="cert-backend-cuda12-2026",
        ),
    )
}


@dataclasses.dataclass(frozen=True)
class RevocationSpec:
    """A signed revocation of a certification record, written into every tree that carries it."""

    revocation_id: str
    target: str
    reason: str
    revoked: str
    key: str
    note: str


REVOCATIONS = {
    r.revocation_id: r
    for r in (
        RevocationSpec(
            "rev-2026-0007",
            "cert-store-gcs-2026",
            "privilegeWithdrawn",
            "2026-09-20T14:00:00Z",
            "cert-authority-2026",
            "re-certification failed: partial-write recovery suite regressed (GLY-4411)",
        ),
    )
}

#: Performance figures per release: tier -> metric -> {version: value}; a release's baseline is
#: the previous release's figure, so the three trees tell one story.
PERF_HISTORY: dict[str, dict[str, dict[str, float]]] = {
    "cpu_tier": {
        "step_time_p50": {"1.2.0": 0.185, "1.3.0": 0.182, "1.4.0": 0.179, "2.0.0": 0.176},
        "throughput": {"1.2.0": 1398.0, "1.3.0": 1410.0, "1.4.0": 1422.5, "2.0.0": 1440.0},
    },
    "single_gpu_tier": {
        "step_time_p50": {"1.2.0": 0.0415, "1.3.0": 0.0412, "1.4.0": 0.0419, "2.0.0": 0.0410},
        "gpu_memory_peak": {
            "1.2.0": 17179869184.0,
            "1.3.0": 17179869184.0,
            "1.4.0": 16911433728.0,
            "2.0.0": 16911433728.0,
        },
    },
    "multi_gpu_tier": {
        "step_time_p50": {"1.2.0": 0.615, "1.3.0": 0.611, "1.4.0": 0.604, "2.0.0": 0.598},
        "allreduce_time_p95": {"1.2.0": 0.0880, "1.3.0": 0.0871, "1.4.0": 0.0893, "2.0.0": 0.0885},
    },
}


@dataclasses.dataclass(frozen=True)
class ReleaseSpec:
    """Everything that differs between the bundled releases of the example product."""

    version: str
    previous: str  # the release before (performance baselines)
    release_time: str
    #: when the execution certificates were verified; they bind the revocation set as of this time
    cert_time: str
    cert_valid_until: str
    run_day: str  # in run ids: run-<profile>-<run_day>-0001
    dataset_day: str
    gates_time: str
    tag: str  # policy bundle and test-vector catalogue tag
    trust_version: int  # the trust store version the tree carries
    signed_under: int  # the version in force when the execution certificates were signed
    records: tuple[str, ...]
    revocations: tuple[str, ...]
    suite_adapters: tuple[str, ...]  # adapters with conformance suites, fingerprints, reproducibility
    advisory_adapters: tuple[str, ...]
    gov_records: tuple[str, ...]  # security case CTL-GOV-02: the active records scheduling relies on
    record_counts: tuple[int, int, int, int]  # verified, active, revoked, expired (verification report)
    policy_version: str
    compatibility: str
    deprecations: tuple[str, ...]
    breaking_changes: tuple[str, ...]
    sbom_serial: str
    #: readiness target releases to move (a later release re-targets the work still open)
    retarget: tuple[tuple[str, str], ...] = ()
    #: cycles the evolution policy declares long-term support (docs/registry.md, Support matrix)
    lts_cycles: tuple[str, ...] = ()

    @property
    def release_id(self) -> str:
        return f"glyphser-{self.version}"


RELEASE_1_4_0 = ReleaseSpec(
    version=VERSION,
    previous="1.3.0",
    release_time=RELEASE_TIME,
    cert_time=CERT_VERIFICATION_TIME,
    cert_valid_until="2027-10-10T08:15:00Z",
    run_day="20261010",
    dataset_day="2026-10-01",
    gates_time="2026-10-12T10:00:00Z",
    tag="2026.09",
    trust_version=4,
    signed_under=3,
    records=(
        "cert-backend-cpu-ref-2026",
        "cert-backend-cuda12-2026",
        "cert-store-s3-2026",
        "cert-store-s3-2025",
        "cert-store-gcs-2026",
    ),
    revocations=("rev-2026-0007",),
    suite_adapters=("glyphser-backend-cpu-ref", "glyphser-backend-cuda12", "glyphser-store-s3"),
    advisory_adapters=("glyphser-backend-cpu-ref", "glyphser-store-s3"),
    gov_records=("cert-backend-cuda12-2026", "cert-store-s3-2026"),
    record_counts=(5, 3, 1, 1, 0),
    policy_version="1.1.0",
    lts_cycles=("1.4",),  # 1.4, the last 1.x cycle before the 2.0 breaking change, is LTS
    compatibility="surface,1.2,1.3,1.4,2.0\ncheckpoint_manifest_v1,yes,yes,deprecated,migrate\ntrace_sidecar_v3,yes,yes,yes,yes\ntrace_field_wall_time_ms,yes,yes,deprecated,deprecated\nrest_api_v1,yes,yes,yes,yes\n",
    deprecations=("dep-checkpoint-manifest-v1", "dep-trace-field-wall-time"),
    breaking_changes=("bc-2.0-checkpoint-v2",),
    sbom_serial="urn:uuid:6f1e8f2a-8d3b-4d0e-9a57-1c4f0b9e2a14",
)

#: The older release: fewer adapters (the CPU reference backend and Acme's GCS store, whose
#: record is revoked on 2026-09-20, between this release and 1.4.0), its own policy 1.0.0.
RELEASE_1_3_0 = ReleaseSpec(
    version="1.3.0",
    previous="1.2.0",
    release_time="2026-07-15T12:00:00Z",
    cert_time="2026-07-10T08:15:00Z",
    cert_valid_until="2027-07-10T08:15:00Z",
    run_day="20260710",
    dataset_day="2026-07-01",
    gates_time="2026-07-12T10:00:00Z",
    tag="2026.06",
    trust_version=3,
    signed_under=3,
    records=("cert-backend-cpu-ref-2025", "cert-store-s3-2025", "cert-store-gcs-2026"),
    revocations=(),
    suite_adapters=("glyphser-backend-cpu-ref", "acme-store-gcs"),
    advisory_adapters=("glyphser-backend-cpu-ref",),
    gov_records=("cert-backend-cpu-ref-2025", "cert-store-gcs-2026"),
    record_counts=(3, 2, 0, 1, 0),
    policy_version="1.0.0",
    compatibility="surface,1.2,1.3,1.4\ncheckpoint_manifest_v1,yes,yes,deprecated\ntrace_sidecar_v3,yes,yes,yes\nrest_api_v1,yes,yes,yes\n",
    deprecations=("dep-checkpoint-manifest-v1",),
    breaking_changes=("bc-2.0-checkpoint-v2",),
    sbom_serial="urn:uuid:3b0c6d1e-52a4-4c8f-8e61-0d9a7f4b2c13",
    retarget=(("1.4.0", "1.3.0"), ("1.5.0", "1.4.0")),
)

#: The newer release: carries the breaking change 1.4.0 announced (bc-2.0-checkpoint-v2), the
#: CUDA backend's renewal (which supersedes its 2026 record), policy 2.0.0.
RELEASE_2_0_0 = ReleaseSpec(
    version="2.0.0",
    previous="1.4.0",
    release_time="2026-11-20T12:00:00Z",
    cert_time="2026-11-15T08:15:00Z",
    cert_valid_until="2027-11-15T08:15:00Z",
    run_day="20261115",
    dataset_day="2026-11-01",
    gates_time="2026-11-17T10:00:00Z",
    tag="2026.11",
    trust_version=4,
    signed_under=4,
    records=(*RELEASE_1_4_0.records, "cert-backend-cuda12-2026-r20261105"),
    revocations=("rev-2026-0007",),
    suite_adapters=RELEASE_1_4_0.suite_adapters,
    advisory_adapters=RELEASE_1_4_0.advisory_adapters,
    gov_records=("cert-backend-cuda12-2026-r20261105", "cert-store-s3-2026"),
    record_counts=(6, 3, 1, 1, 1),
    policy_version="2.0.0",
    lts_cycles=("1.4",),  # 1.4, the last 1.x cycle before the 2.0 breaking change, is LTS
    compatibility="surface,1.3,1.4,2.0,2.1\ncheckpoint_manifest_v1,yes,deprecated,migrate,migrate\ntrace_sidecar_v3,yes,yes,yes,yes\ntrace_field_wall_time_ms,yes,deprecated,deprecated,deprecated\nrest_api_v1,yes,yes,yes,yes\n",
    deprecations=("dep-checkpoint-manifest-v1", "dep-trace-field-wall-time"),
    breaking_changes=("bc-2.0-checkpoint-v2",),
    sbom_serial="urn:uuid:9d4e2f70-1c6b-4a3e-b5d8-7e2f0a6c9b31",
    retarget=(("1.4.0", "2.0.0"), ("1.5.0", "2.1.0"), ("2.0.0", "2.1.0")),
)

#: The bundled releases in version order; 1.4.0 is ``evidence/``, the others live under
#: ``evidence-releases/<release_id>/`` (glyphserpack/release/demo.py builds all three).
RELEASES = (RELEASE_1_3_0, RELEASE_1_4_0, RELEASE_2_0_0)
RELEASES_DIR = "evidence-releases"


def build(out: Path, rel: ReleaseSpec = RELEASE_1_4_0) -> None:
    """Write release ``rel``'s evidence tree into ``out`` (replacing an older evidence tree there)."""
    if out.exists():
        if any(out.iterdir()) and not (out / "release.yaml").is_file():
            raise SystemExit(f"{out}: exists and is not an evidence tree; refusing to replace it")
        shutil.rmtree(out)
    t = Tree(out)
    release_key, ca_key, ca_2025 = (
        demo_key("release-2026"),
        demo_key("cert-authority-2026"),
        demo_key("cert-authority-2025"),
    )
    retired = demo_key("partner-lab-2025")
    # The trust store's append-only history (glyphserpack/trust.py): each edit is a new version.
    partner_2025 = TrustedKey(
        key_id(retired),
        public_key_raw(retired),
        "Partner lab signing key (DEMO, compromised)",
        ("certificate",),
        "2025-02-01T00:00:00Z",
    )
    v1 = TrustStore.from_keys(  # 2025: the first certification authority and a partner lab
        [
            TrustedKey(
                key_id(ca_2025),
                public_key_raw(ca_2025),
                "Glyphser Certification Authority 2025 (DEMO, rotated)",
                ("certificate",),
                "2025-01-01T00:00:00Z",
                "2026-03-31T23:59:59Z",
            ),
            partner_2025,
        ]
    )
    v2 = v1.next_version(  # 2026: release engineering and the 2026 authority onboarded
        [
            *v1.keys,
            TrustedKey(
                key_id(release_key),
                public_key_raw(release_key),
                "Glyphser Release Engineering (DEMO)",
                ("certificate", "revocation"),
                "2026-01-01T00:00:00Z",
                "2028-01-01T00:00:00Z",
            ),
            TrustedKey(
                key_id(ca_key),
                public_key_raw(ca_key),
                "Glyphser Certification Authority 2026 (DEMO)",
                ("certificate", "revocation"),
                "2026-01-01T00:00:00Z",
                "2029-01-01T00:00:00Z",
            ),
        ]
    )
    compromised = dataclasses.replace(
        partner_2025, revoked_at="2026-05-02T09:30:00Z", revocation_reason="keyCompromise"
    )
    v3 = v2.next_version([compromised if k.key_id == compromised.key_id else k for k in v2.keys])
    lab_two = demo_key("lab-two-2026")
    v4 = v3.next_version(  # a lab onboarded after the 1.4.0 certificates: they stay valid (they pin version 3)
        [
            *v3.keys,
            TrustedKey(
                key_id(lab_two),
                public_key_raw(lab_two),
                "Lab Two test lab (DEMO, onboarded after the 1.4.0 runs)",
                ("certificate",),
                "2026-10-12T00:00:00Z",
                "2028-10-12T00:00:00Z",
            ),
        ]
    )
    # The version in force when the execution certificates were signed (1.4.0: version 3): they pin its hash.
    versions = (v1, v2, v3, v4)
    trust, signed_under = versions[rel.trust_version - 1], versions[rel.signed_under - 1]
    trust_link = t.file("trust/trust.yaml", HEADER + yaml.safe_dump(trust.to_obj(), sort_keys=False, width=110))
    env = t.json(
        "attachments/env/env_manifest.json",
        {
            "python": "3.11.9",
            "platform": "linux-x86_64",
            "glibc": "2.36",
            "cuda": "12.4",
            "cudnn": "9.1.0",
            "lockfile_sha256": hashlib.sha256(f"glyphser-{rel.version} requirements.lock".encode()).hexdigest(),
            "packages": {"numpy": "1.26.4", "torch": "2.3.1", "cbor2": "5.6.4", "cryptography": "43.0.1"},
        },
    )
    dprof = t.json(
        "attachments/env/determinism_profile.json",
        {
            "profile": "glyphser.determinism.strict.v1",
            "float_mode": "ieee754_binary64_strict",
            "reduction_order": "fixed_tree",
            "rng": "philox4x32-10",
            "cudnn_deterministic": True,
            "tf32": False,
        },
    )
    dp_hash = bytes.fromhex(dprof["sha256"])

    # --- I.A profiles ---
    gate = {
        g: t.json(
            f"attachments/profiles/{g}.json",
            {"gate": g, "verdict": "PASS", "release": rel.version, "evaluated_utc": rel.gates_time},
        )
        for g in (
            "conformance_pipeline_pass",
            "deployment_gate_pass",
            "full_security_case",
            "regulator_grade_evidence_bundle",
        )
    }
    t.doc(
        "profiles/profile_bundle.yaml",
        {
            "kind": "profile_bundle",
            "schema_version": 1,
            "bundle_version": rel.version,
            "profiles": [
                {
                    "profile_id": "core",
                    "execution_mode": "local",
                    "topology": "single_node",
                    "description": "Single node, one backend adapter, one artifact store adapter, default deterministic trace and redaction policy.",
                    "requirements": [
                        "execution certificate per release run",
                        "control-mapped security case (authz, integrity)",
                        "reference stack golden demo",
                    ],
                },
                {
                    "profile_id": "enterprise",
                    "execution_mode": "managed",
                    "topology": "multi_node",
                    "description": "Multi-node operational profile with deployment runbook and policy gate integration.",
                    "requirements": [
                        "certified backend and artifact store",
                        "observability mapping",
                        "performance tiers",
                        "SDK conformance",
                    ],
                },
                {
                    "profile_id": "regulated",
                    "execution_mode": "regulated",
                    "topology": "multi_node",
                    "description": "Enterprise plus attestation, revocation and control-mapped evidence.",
                    "requirements": [
                        "attested runs",
                        "chaos and recovery proof pack",
                        "SBOM",
                        "complete threat-model crosswalk",
                    ],
                },
            ],
            "graduation": [
                {
                    "from_profile": "core",
                    "to_profile": "enterprise",
                    "gates": [
                        {"gate_id": g, "verdict": "PASS", "evidence": gate[g]}
                        for g in ("conformance_pipeline_pass", "deployment_gate_pass")
                    ],
                },
                {
                    "from_profile": "enterprise",
                    "to_profile": "regulated",
                    "gates": [
                        {"gate_id": g, "verdict": "PASS", "evidence": gate[g]}
                        for g in ("full_security_case", "regulator_grade_evidence_bundle")
                    ],
                },
            ],
        },
    )

    # --- I.B observability ---
    t.doc("observability/mapping.yaml", observability_mapping(rel.version))

    # --- I.C certification: records, revocation, bundle ---
    records: dict[str, dict[str, str]] = {}
    packages: dict[str, dict[str, Any]] = {}
    for rid in sorted(rel.records, key=lambda r: RECORDS[r].renews is not None):  # a renewal reuses a package
        r = RECORDS[rid]
        key = demo_key(r.key)
        packages[rid] = (
            packages[r.renews] if r.renews is not None else certification_package(t, rid, r.adapter, version=r.made_for)
        )
        records[rid] = t.signed(
            f"certification/records/{rid}.cbor",
            key,
            {
                "kind": "certification_record",
                "schema_version": 1,
                "record_id": rid,
                "certificate_class": r.cls,
                "subject": {
                    "adapter_id": r.adapter,
                    "adapter_kind": r.kind,
                    "vendor": r.vendor,
                    "adapter_version": r.adapter_version,
                },
                "issuer": "Glyphser Certification Authority",
                "issued_utc": r.issued,
                "valid_until_utc": r.until,
                "sunset_utc": "2028-12-31T23:59:59Z",
                "verdict": "PASS",
                "package": packages[rid],
                "key_id": key_id(key),
                "signature_algorithm": "ed25519",
            },
            {"registry_url": f"https://certify.glyphser.example/records/{rid}"},
        )
    revocations = []
    for rev_id in rel.revocations:
        rv = REVOCATIONS[rev_id]
        rev_key = demo_key(rv.key)
        revocations.append(
            {
                "kind": "revocation",
                "schema_version": 1,
                "revocation_id": rev_id,
                "target_kind": "certification_record",
                "target": records[rv.target],
                "reason_code": rv.reason,
                "revoked_utc": rv.revoked,
                "issuer": "Glyphser Certification Authority",
                "key_id": key_id(rev_key),
                "signature_algorithm": "ed25519",
            }
        )
        t.signed(f"certification/revocations/{rev_id}.cbor", rev_key, revocations[-1], {"note": rv.note})
    adapters = (
        ("glyphser-backend-cpu-ref", "backend", "linux-x86_64, python 3.11"),
        ("glyphser-backend-cuda12", "backend", "linux-x86_64, CUDA 12.4"),
        ("glyphser-store-s3", "artifact_store", "aws-sdk 1.34, S3 + DynamoDB lock"),
        ("acme-store-gcs", "artifact_store", "google-cloud-storage 2.16"),
    )
    reports = []
    suited = [a for a in adapters if a[0] in rel.suite_adapters]  # 1.4.0: acme-store-gcs is revoked, not in the suites
    for adapter, _kind, _ in suited:
        for suite, total in (("conformance-core", 412), ("replay-determinism", 96)):
            passed = total
            link = t.file(
                f"attachments/certification/reports/{adapter}.{suite}.xml",
                junit(f"{adapter}.{suite}", total, total - passed),
            )
            reports.append(
                {
                    "suite_id": suite,
                    "adapter_id": adapter,
                    "report": link,
                    "cases_total": total,
                    "cases_passed": passed,
                    "verdict": "PASS" if passed == total else "FAIL",
                }
            )
    for suite, by_adapter in ADVISORY_SUITES.items():
        for adapter, (total, failures, skipped) in by_adapter.items():
            if adapter not in rel.advisory_adapters:
                continue
            passed = total - failures - skipped
            reports.append(
                {
                    "suite_id": suite,
                    "adapter_id": adapter,
                    "report": t.file(
                        f"attachments/certification/reports/{adapter}.{suite}.xml",
                        junit(f"{adapter}.{suite}", total, failures, skipped),
                    ),
                    "cases_total": total,
                    "cases_passed": passed,
                    "cases_skipped": skipped,
                    "verdict": "PASS" if passed + skipped == total else "FAIL",
                    "enforcement": "advisory",
                }
            )
    t.doc(
        "certification/certification_bundle.yaml",
        {
            "kind": "certification_bundle",
            "schema_version": 1,
            "bundle_id": f"glyphser-{rel.version}-certification",
            "test_vectors_catalog": t.json(
                "attachments/certification/test_vectors_catalog.json",
                {
                    "catalog": f"glyphser-vectors-{rel.tag}",
                    "vectors": 1284,
                    "sha256_of_vectors": h(f"vectors-{rel.tag}").hex(),
                },
            ),
            "conformance_reports": reports,
            "reproducibility_verdicts": [{"adapter_id": a, "runs": 3, "verdict": "PASS"} for a, _, _ in suited],
            "adapter_fingerprints": [
                {"adapter_id": a, "adapter_kind": k, "binary_sha256": h(f"{a}-binary").hex(), "runtime": r}
                for a, k, r in suited
            ],
            "certification_records": [records[r] for r in sorted(records)],
            "verification_report": t.json(
                "attachments/certification/verification_report.json",
                verification_counts(rel.record_counts),
            ),
        },
    )

    # --- runs and execution certificates (CONTRACTS.md §4, §5) ---
    runs = {}
    for profile, mode, tenant in (
        ("core", "local", "acme-research"),
        ("enterprise", "managed", "acme-prod"),
        ("regulated", "regulated", "northwind-health"),
    ):
        rid = f"run-{profile}-{rel.run_day}-0001"
        d = f"runs/{profile}"
        trace_records = [
            {"step": s, "op": op, "t_hash": hashlib.sha256(f"{rid}:{s}".encode()).hexdigest()}
            for s, op in enumerate(
                ["LoadManifest", "NextBatch", "ForwardBackward", "OptimizerStep", "Checkpoint", "Commit"]
            )
        ]
        trace = t.file(f"{d}/trace.jsonl", "".join(json.dumps(r, sort_keys=True) + "\n" for r in trace_records))
        ckpt = t.file(
            f"{d}/checkpoint.cbor",
            canonical.dumps({"run_id": rid, "step": 5000, "tensors": 214, "merkle_root": h(f"{rid}:merkle").hex()}),
        )
        policy = t.json(
            f"{d}/policy_transcript.json",
            {
                "run_id": rid,
                "policy_bundle": f"glyphser-policy-{rel.tag}",
                "decisions": [
                    {"gate": "authz.run.start", "decision": "allow", "principal": f"svc-{tenant}"},
                    {
                        "gate": "data.residency",
                        "decision": "allow",
                        "region": "eu-central-1" if profile == "regulated" else "us-east-1",
                    },
                ],
            },
        )
        wal = t.file(
            f"{d}/wal.log",
            "".join(f"{i:08d} COMMIT step={i * 1000} crc32c={(i * 2654435761) % 2**32:08x}\n" for i in range(6)),
        )
        payload: dict[str, Any] = {
            "kind": "execution_certificate",
            "schema_version": 1,
            "certificate_version": 1,
            "execution_mode": mode,
            "tenant_id": tenant,
            "run_id": rid,
            "replay_token": f"rpl-{hashlib.sha256(rid.encode()).hexdigest()[:32]}",
            **{
                f: h(f"{rid}:{f}")
                for f in (
                    "manifest_hash",
                    "policy_bundle_hash",
                    "policy_gate_hash",
                    "authz_decision_hash",
                    "dependencies_lock_hash",
                    "lockfile_hash",
                    "toolchain_hash",
                    "operator_contracts_root_hash",
                    "ir_hash",
                    "lineage_root_hash",
                    "sampler_config_hash",
                    "data_access_plan_hash",
                    "tmmu_plan_hash",
                    "backend_binary_hash",
                )
            },
            # What the signature binds: recomputed by `check` from the tree (glyphserpack/evidence/bindings.py).
            "trace_final_hash": trace_final_hash(trace_records),
            "revocation_bundle_hash": revocation_bundle_hash(revocations, as_of=rel.cert_time),
            "checkpoint_hash": bytes.fromhex(ckpt["sha256"]),
            "determinism_profile_hash": dp_hash,
            "trust_store_hash": signed_under.hash(),
            "dataset_snapshot_id": f"ds-{tenant}-{rel.dataset_day}",
            "key_id": key_id(release_key),
            "signature_algorithm": "ed25519",
            "verification_time_utc": rel.cert_time,
            "valid_until_utc": rel.cert_valid_until,
            "step_start": 0,
            "step_end": 5000,
        }
        if profile != "core":
            payload |= {"dp_epsilon": 3.0, "dp_delta": 1e-06}
        if profile == "regulated":
            payload |= {
                "attestation_quote_hash": h(f"{rid}:sev-snp-quote"),
                "attestation_bundle_hash": h(f"{rid}:attestation-bundle"),
                "redaction_policy_hash": h("redaction-policy-hipaa-2026"),
            }
        cert = t.signed(
            f"{d}/certificate.cbor",
            release_key,
            payload,
            {"issuer_display": "Glyphser Release Engineering", "note": "demo"},
        )
        runs[profile] = {"cert": cert, "trace": trace, "ckpt": ckpt, "policy": policy, "wal": wal}
        t.doc(
            f"{d}/run.yaml",
            {
                "kind": "run_evidence",
                "schema_version": 1,
                "run_id": rid,
                "profile_id": profile,
                "certificate": cert,
                "trace": trace,
                "checkpoint": ckpt,
                "policy_transcripts": [policy],
                "wal": wal,
                "replay": {"replay_run_id": f"{rid}-replay", "verdict": "PASS", "trace_final_hash_match": True},
            },
        )

    # --- I.D reference stack ---
    replay_log = t.file(
        "reference_stack/replay.log", f"replay run-core-{rel.run_day}-0001: 5000/5000 steps, trace_final_hash match\n"
    )
    t.doc(
        "reference_stack/reference_stack.yaml",
        {
            "kind": "reference_stack",
            "schema_version": 1,
            "stack_id": "glyphser-refstack-local",
            "mode": "local",
            "stages": [
                {"stage": s, "artifact": a, "verdict": "PASS"}
                for s, a in (
                    ("wal", runs["core"]["wal"]),
                    ("trace", runs["core"]["trace"]),
                    ("checkpoint", runs["core"]["ckpt"]),
                    ("execution_certificate", runs["core"]["cert"]),
                    ("replay", replay_log),
                )
            ],
            "fixtures": [
                t.file(
                    "reference_stack/fixtures/mnist-tiny.manifest.json",
                    json.dumps({"dataset": "mnist-tiny", "rows": 2048, "seed": 1337}) + "\n",
                )
            ],
            "environment_lock": t.file(
                "reference_stack/requirements.lock",
                "cbor2==5.6.4 \\\n    --hash=sha256:"
                + h("cbor2").hex()
                + "\nnumpy==1.26.4 \\\n    --hash=sha256:"
                + h("numpy").hex()
                + "\n",
            ),
            "golden_runs": [
                {"run_id": f"golden-{i}", "host_class": hc, "output_hash": h(f"golden-demo-output-{rel.version}").hex()}
                for i, hc in ((1, "ci-ubuntu-22.04-x86_64"), (2, "ci-debian-12-arm64"))
            ],
        },
    )

    # --- I.E external interfaces ---
    registry = t.json(
        "attachments/interfaces/operator_registry.json",
        {
            "registry": "UML_OS.Product",
            "operators": [
                "UML_OS.Product.ResolveProfile_v1",
                "UML_OS.Product.EmitObservabilityMapping_v1",
                "UML_OS.Product.BuildCertificationBundle_v1",
                "UML_OS.Product.ValidateReferenceStack_v1",
                "UML_OS.Product.GenerateExternalInterfaces_v1",
                "UML_OS.Product.EmitSecurityCase_v1",
                "UML_OS.Product.ValidateEvolutionPolicy_v1",
                "UML_OS.Product.EvaluatePerformanceTier_v1",
                "UML_OS.Product.RunChaosProofPack_v1",
            ],
        },
    )
    sdk = []
    for lang, pkg, total, skipped in (
        ("python", "glyphser-client", 318, 6),
        ("go", "github.com/glyphser/glyphser-go", 297, 3),
        ("typescript", "@glyphser/client", 305, 0),
    ):
        sdk.append(
            {
                "language": lang,
                "package": pkg,
                "version": rel.version,
                "report": t.file(
                    f"attachments/interfaces/sdk-{lang}.junit.xml", sdk_junit(f"sdk-{lang}", total, skipped)
                ),
                "canonicalization": "PASS",
                "replay_safety": "PASS",
                "tests_total": total,
                "tests_passed": total - skipped,
                "tests_failed": 0,
                "tests_errors": 0,
                "tests_skipped": skipped,
            }
        )
    t.doc(
        "interfaces/external_interfaces.yaml",
        {
            "kind": "external_interfaces",
            "schema_version": 1,
            "operator_registry_root_hash": registry["sha256"],
            "openapi": t.file("attachments/interfaces/openapi.yaml", OPENAPI.replace("@VERSION@", rel.version)),
            "openapi_version": "3.1.0",
            "protobuf": [
                t.file(
                    "attachments/interfaces/proto/glyphser/v1/run.proto", PROTO_RUN.replace("@VERSION@", rel.version)
                ),
                t.file("attachments/interfaces/proto/glyphser/v1/certificate.proto", PROTO_CERT),
            ],
            "protobuf_package": "glyphser.v1",
            "sdks": sdk,
            "openapi_operations": ["submitRun", "getExecutionCertificate"],
            "protobuf_services": ["glyphser.v1.RunService", "glyphser.v1.CertificateService"],
            "protobuf_messages": [
                "glyphser.v1.SubmitRunRequest",
                "glyphser.v1.SubmitRunResponse",
                "glyphser.v1.GetRunRequest",
                "glyphser.v1.Run",
                "glyphser.v1.ExecutionCertificate",
                "glyphser.v1.GetCertificateRequest",
            ],
        },
    )

    # --- I.F security cases ---
    for profile in ("core", "enterprise", "regulated"):
        t.doc(f"security/security_case.{profile}.yaml", security_case(profile, runs, records, rel))

    # --- I.G evolution ---
    t.doc("evolution/evolution_policy.yaml", evolution_policy(t, rel))

    # --- I.H performance ---
    tiers = []
    for tier, workloads, metrics in (
        (
            "cpu_tier",
            ["resnet18-cifar10-train", "bert-tiny-finetune"],
            [("step_time_p50", "s", "lower_is_better"), ("throughput", "{sample}/s", "higher_is_better")],
        ),
        (
            "single_gpu_tier",
            ["resnet50-imagenet-subset", "llama-160m-pretrain"],
            [("step_time_p50", "s", "lower_is_better"), ("gpu_memory_peak", "By", "lower_is_better")],
        ),
        (
            "multi_gpu_tier",
            ["llama-1b-pretrain-8xA100"],
            [("step_time_p50", "s", "lower_is_better"), ("allreduce_time_p95", "s", "lower_is_better")],
        ),
    ):
        figures = [
            (n, u, d, PERF_HISTORY[tier][n][rel.previous], PERF_HISTORY[tier][n][rel.version]) for n, u, d in metrics
        ]
        tiers.append(
            {
                "tier": tier,
                "env_manifest_hash": env["sha256"],  # bound to release.yaml env_manifest (attest/performance.py)
                "workload_ids": workloads,
                "baseline": t.json(
                    f"attachments/performance/{tier}.baseline.json",
                    {"tier": tier, "release": rel.previous, "metrics": {m[0]: m[3] for m in figures}},
                ),
                "results": t.json(
                    f"attachments/performance/{tier}.results.json",
                    {
                        "tier": tier,
                        "release": rel.version,
                        "env_manifest_sha256": env["sha256"],
                        "metrics": {m[0]: m[4] for m in figures},
                    },
                ),
                "metrics": [
                    {"name": n, "unit": u, "direction": d, "baseline": b, "observed": o, "tolerance_ratio": 0.05}
                    for n, u, d, b, o in figures
                ],
                "regression_verdict": "PASS",
            }
        )
    t.doc("performance/performance_tiers.yaml", {"kind": "performance_tiers", "schema_version": 1, "tiers": tiers})

    # --- I.I chaos ---
    scenarios = []
    for sid, cat, variant, fault, invs in (
        (
            "chaos-netpart-01",
            "network_partition",
            "coordinator_isolated_90s",
            "iptables DROP between coordinator and 2 of 4 workers for 90 s",
            ["no_split_brain_commit", "wal_prefix_consistent", "replay_hash_equal"],
        ),
        (
            "chaos-store-01",
            "partial_artifact_store_failure",
            "s3_503_on_30pct_puts",
            "inject HTTP 503 on 30% of PutObject for 10 min",
            ["no_partial_checkpoint_visible", "commit_pointer_atomic", "replay_hash_equal"],
        ),
        (
            "chaos-wal-01",
            "wal_corruption",
            "torn_tail_write",
            "truncate last WAL segment mid-record",
            ["corruption_detected", "recover_to_last_commit", "replay_hash_equal"],
        ),
        (
            "chaos-wal-02",
            "wal_corruption",
            "bit_flip_committed_record",
            "flip one bit in a committed WAL record",
            ["corruption_detected", "refuse_silent_repair", "recover_from_checkpoint"],
        ),
        (
            "chaos-wal-03",
            "wal_corruption",
            "segment_reordered",
            "swap two WAL segment files",
            ["corruption_detected", "recover_to_last_commit"],
        ),
    ):
        tr = t.file(f"chaos/transcripts/{sid}.jsonl", chaos_transcript(sid, fault, invs))
        scenarios.append(
            {
                "scenario_id": sid,
                "category": cat,
                "variant": variant,
                "fault_injection": fault,
                "expected_invariants": invs,
                "invariant_results": [{"invariant": i, "verdict": "PASS"} for i in invs],
                "recovery_transcript": tr,
                "final_recovery_verdict": "PASS",
                "final_recovery_verdict_hash": recovery_verdict_hash(sid, "PASS", tr["sha256"]),
            }
        )
    t.doc(
        "chaos/chaos_proof_pack.yaml",
        {
            "kind": "chaos_proof_pack",
            "schema_version": 1,
            "pack_id": f"glyphser-{rel.version}-chaos",
            "scenarios": scenarios,
        },
    )

    # --- roadmap readiness 12-40 ---
    for ws, (section, title) in ROADMAP_WORKSTREAMS.items():
        spec = READINESS[ws]
        arts = [
            t.file(f"attachments/readiness/{ws}/{name}", f"# {title}: {name}\n\n{spec['scope'][0]}.\n")
            for name in spec.get("artifacts", [])
        ]
        t.doc(
            f"readiness/{ws}.yaml",
            {
                "kind": "workstream_readiness",
                "schema_version": 1,
                "workstream_id": ws,
                "roadmap_section": section,
                "title": title,
                "scope_boundary": {"in_scope": spec["scope"], "out_of_scope": spec["out"]},
                "success_criteria": [
                    {
                        "criterion_id": f"{ws}-c{i + 1}",
                        "description": d,
                        "measure": m,
                        "met": spec["status"] == "ready" or i < spec.get("met", 0),
                    }
                    for i, (d, m) in enumerate(spec["criteria"])
                ],
                "evidence_artifact_format": {
                    "media_type": spec.get("media", "text/markdown"),
                    "schema_ref": f"glyphser:readiness/{ws}/v1",
                    "artifacts": arts,
                },
                "release_gate_binding": {
                    "gate_id": f"gate-{ws}",
                    "target_release": dict(rel.retarget).get(spec["release"], spec["release"]),
                    "profiles": spec["profiles"],
                    "enforcement": spec["enforcement"],
                },
                "status": spec["status"],
                "blockers": spec.get("blockers", []),
            },
        )

    # --- release manifest (root) ---
    manifest = {
        "kind": "release_manifest",
        "schema_version": 1,
        "release_id": rel.release_id,
        "product": "glyphser",
        "version": rel.version,
        "release_time_utc": rel.release_time,
        "env_manifest": env,
        "determinism_profile": dprof,
        "trust_store": trust_link,
        "documents": sorted(t.documents, key=lambda d: d["path"]),
        "sbom": t.json(
            f"attachments/sbom/glyphser-{rel.version}.cdx.json",
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "serialNumber": rel.sbom_serial,
                "version": 1,
                "metadata": {"component": {"type": "application", "name": "glyphser", "version": rel.version}},
                "components": [
                    {"type": "library", "name": n, "version": v, "purl": f"pkg:pypi/{n}@{v}"}
                    for n, v in (
                        ("cbor2", "5.6.4"),
                        ("cryptography", "43.0.1"),
                        ("numpy", "1.26.4"),
                        ("torch", "2.3.1"),
                    )
                ],
            },
        ),
        "conformance_coverage_report": t.json(
            "attachments/conformance/coverage.json",
            {"operators_total": 212, "operators_covered": 212, "vectors": 1284, "coverage_ratio": 1.0},
        ),
        "operator_registry": registry,
    }
    atomic_write(out / "release.yaml", (HEADER + yaml.safe_dump(manifest, sort_keys=False, width=110)).encode())


def verification_counts(counts: tuple[int, int, int, int, int]) -> dict[str, int]:
    """The certification verification report's tallies (``superseded`` only where there is one)."""
    verified, active, revoked, expired, superseded = counts
    out = {"verified_records": verified, "active": active, "revoked": revoked, "expired": expired}
    return out | ({"superseded": superseded} if superseded else {})


def evolution_policy(t: Tree, rel: ReleaseSpec) -> dict[str, Any]:
    """The release's evolution policy: its deprecations and the breaking change 1.4.0 announces.

    1.3.0 (policy 1.0.0) and 1.4.0 (1.1.0) announce bc-2.0-checkpoint-v2; 2.0.0 (2.0.0) makes it.
    From policy 1.1.0 on, cycle 1.4 is declared LTS (``lts_cycles``); 1.3.0's policy predates that.
    """
    guide = t.file(
        "attachments/evolution/migration-guide-checkpoint-v2.md",
        "# Migrating checkpoint manifests v1 -> v2\n\nRun `glyphser migrate checkpoint --to v2`; the operator `UML_OS.Migrate.CheckpointV1ToV2_v1` ships in 2.x and 3.x.\n",
    )
    deprecations = {
        "dep-checkpoint-manifest-v1": {
            "deprecation_id": "dep-checkpoint-manifest-v1",
            "surface": "checkpoint manifest v1 (CBOR map without merkle_root)",
            "announced_on": "2026-04-01",
            "removal_not_before": "2029-04-01",
            "deprecated_in_major": 1,
            "migration_operator": "UML_OS.Migrate.CheckpointV1ToV2_v1",
            "migration_operator_until_major": 3,
            "migration_guide": guide,
            "compatibility_surface": "checkpoint_manifest_v1",
        },
        "dep-trace-field-wall-time": {
            "deprecation_id": "dep-trace-field-wall-time",
            "surface": "trace sidecar field wall_time_ms (non-deterministic)",
            "announced_on": "2026-10-15",
            "removal_not_before": "2029-10-15",
            "deprecated_in_major": 1,
            "migration_operator": "UML_OS.Migrate.TraceDropWallTime_v1",
            "migration_operator_until_major": 3,
            "migration_guide": guide,
            "compatibility_surface": "trace_field_wall_time_ms",
        },
    }
    changes = {
        "bc-2.0-checkpoint-v2": {
            "change_id": "bc-2.0-checkpoint-v2",
            "from_version": "1.4.0",
            "to_version": "2.0.0",
            "migration_operator": "UML_OS.Migrate.CheckpointV1ToV2_v1",
            "migration_evidence": t.json(
                "attachments/evolution/migration-vectors-checkpoint-v2.json",
                {"vectors": 64, "all_round_trip": True},
            ),
            "migration_guide": guide,
            "compatibility_table_updated": True,
        }
    }
    return {
        "kind": "evolution_policy",
        "schema_version": 1,
        "policy_version": rel.policy_version,
        "compatibility_table": t.file("attachments/evolution/compatibility.csv", rel.compatibility),
        "deprecations": [deprecations[d] for d in rel.deprecations],
        "breaking_changes": [changes[c] for c in rel.breaking_changes],
        "guarantees": [
            {"profile_id": p, "support_months_after_deprecation": m, "lts_years": y, "statement": s}
            for p, m, y, s in (
                (
                    "core",
                    18,
                    3,
                    "Deprecated surfaces keep working for 18 months; migration operators ship for two MAJOR releases.",
                ),
                ("enterprise", 24, 4, "24-month support window and LTS branches maintained for 4 years."),
                (
                    "regulated",
                    36,
                    5,
                    "36-month support window, 5-year LTS with evidence re-verification on every LTS patch.",
                ),
            )
        ],
    } | ({"lts_cycles": list(rel.lts_cycles)} if rel.lts_cycles else {})


# --------------------------------------------------------------------------------------------
# Demo content (kept here so the whole example lives in one reviewable script).
# --------------------------------------------------------------------------------------------

OPENAPI = """openapi: 3.1.0
info:
  title: Glyphser Run API
  version: @VERSION@
  description: Generated from the UML_OS.Product operator registry by GenerateExternalInterfaces_v1.
servers:
  - url: https://glyphser.example/api
paths:
  /v1/runs:
    post:
      operationId: submitRun
      requestBody:
        required: true
        content:
          application/cbor:
            schema: {$ref: '#/components/schemas/RunManifest'}
      responses:
        '202': {description: accepted, content: {application/json: {schema: {$ref: '#/components/schemas/RunRef'}}}}
  /v1/runs/{run_id}/certificate:
    get:
      operationId: getExecutionCertificate
      parameters:
        - {name: run_id, in: path, required: true, schema: {type: string}}
      responses:
        '200': {description: signed execution certificate, content: {application/cbor: {schema: {type: string, contentEncoding: base64}}}}
        '404': {description: no certificate for this run}
components:
  schemas:
    RunManifest:
      type: object
      required: [tenant_id, manifest_hash, replay_token]
      properties:
        tenant_id: {type: string}
        manifest_hash: {type: string, pattern: '^[0-9a-f]{64}$'}
        replay_token: {type: string}
    RunRef:
      type: object
      required: [run_id]
      properties:
        run_id: {type: string}
"""

PROTO_RUN = """syntax = "proto3";

package glyphser.v1;

option go_package = "github.com/glyphser/glyphser-go/gen/glyphser/v1;glyphserv1";

// Generated from the UML_OS.Product operator registry (@VERSION@).
service RunService {
  rpc SubmitRun(SubmitRunRequest) returns (SubmitRunResponse);
  rpc GetRun(GetRunRequest) returns (Run);
}

message SubmitRunRequest {
  string tenant_id = 1;
  bytes manifest_cbor = 2;   // canonical CBOR, hashed as manifest_hash
  string replay_token = 3;
}

message SubmitRunResponse { string run_id = 1; }
message GetRunRequest { string run_id = 1; }

message Run {
  string run_id = 1;
  string tenant_id = 2;
  bytes manifest_hash = 3;   // 32 bytes
  uint64 step_start = 4;
  uint64 step_end = 5;
}
"""

PROTO_CERT = """syntax = "proto3";

package glyphser.v1;

// The signed_payload stays opaque canonical CBOR: re-encoding it would break the signature.
message ExecutionCertificate {
  bytes signed_payload = 1;
  map<string, string> unsigned_metadata = 2;
  bytes signature = 3;        // 64 bytes, Ed25519
}

service CertificateService {
  rpc GetCertificate(GetCertificateRequest) returns (ExecutionCertificate);
}

message GetCertificateRequest { string run_id = 1; }
"""


def observability_mapping(version: str) -> dict[str, Any]:
    # Registered OpenTelemetry semantic-conventions names where one fits (stable: service.*,
    # host.name, http.client.request.duration; incubating: process.memory.usage), the product's
    # own glyphser.* namespace for the rest. Each prometheus_name is what the
    # OpenTelemetry→Prometheus rules derive (glyphserpack/evidence/attest/prometheus.py).
    trace = [
        ("run_id", "glyphser.run.id", "resource"),
        ("tenant_id", "glyphser.tenant.id", "resource"),
        ("service", "service.name", "resource"),
        ("service_version", "service.version", "resource"),
        ("host", "host.name", "resource"),
        ("backend_id", "glyphser.backend.id", "resource"),
        ("operator", "glyphser.operator.name", "span"),
        ("step", "glyphser.step", "span"),
        ("replay_token", "glyphser.replay_token", "span"),
        ("policy_gate", "glyphser.policy.gate", "span"),
        ("trace_hash", "glyphser.trace.hash", "span"),
    ]
    metrics = [
        ("step_duration", "glyphser.step.duration", "glyphser_step_duration_seconds", "s", "histogram"),
        ("steps_completed", "glyphser.steps.completed", "glyphser_steps_completed_total", "{step}", "counter"),
        (
            "checkpoint_bytes_written",
            "glyphser.checkpoint.written",
            "glyphser_checkpoint_written_bytes_total",
            "By",
            "counter",
        ),
        (
            "wal_fsync_duration",
            "glyphser.wal.fsync.duration",
            "glyphser_wal_fsync_duration_milliseconds",
            "ms",
            "histogram",
        ),
        ("gpu_utilization", "glyphser.gpu.utilization", "glyphser_gpu_utilization_ratio", "1", "gauge"),
        ("process_memory", "process.memory.usage", "process_memory_usage_bytes", "By", "updown_counter"),
        ("policy_decisions", "glyphser.policy.decisions", "glyphser_policy_decisions_total", "{decision}", "counter"),
        (
            "store_request_duration",
            "http.client.request.duration",
            "http_client_request_duration_seconds",
            "s",
            "histogram",
        ),
        (
            "store_throughput",
            "glyphser.artifact_store.throughput",
            "glyphser_artifact_store_throughput_bytes_per_second",
            "By/s",
            "gauge",
        ),
        ("run_energy", "glyphser.run.energy", "glyphser_run_energy_joules_total", "J", "counter"),
        (
            "certificates_issued",
            "glyphser.certificates.issued",
            "glyphser_certificates_issued_total",
            "{certificate}",
            "counter",
        ),
        ("checkpoint_size", "glyphser.checkpoint.size", "glyphser_checkpoint_size_kibibytes", "KiBy", "histogram"),
    ]
    return {
        "kind": "observability_mapping",
        "schema_version": 1,
        "mapping_version": version,
        "otel_semconv_version": "1.26.0",
        "trace_fields": [{"source_field": a, "otel_attribute": b, "scope": c} for a, b, c in trace],
        "metrics": [
            {"source_metric": a, "otel_name": b, "prometheus_name": c, "unit": u, "instrument": i}
            for a, b, c, u, i in metrics
        ],
        "exporters": [
            {
                "exporter_id": "otlp-collector",
                "protocol": "otlp_grpc",
                "endpoint_template": "http://otel-collector:4317",
            },
            {
                "exporter_id": "prometheus",
                "protocol": "prometheus_scrape",
                "endpoint_template": "http://{host}:9464/metrics",
            },
        ],
    }


def security_case(profile: str, runs: dict[str, Any], records: dict[str, Any], rel: ReleaseSpec) -> dict[str, Any]:
    run = runs[profile]

    def loc(link: dict[str, str], pointer: str | None = None) -> dict[str, str]:
        return dict(link, pointer=pointer) if pointer else dict(link)

    controls = [
        (
            "CTL-AUTHZ-01",
            "authz",
            "Every run start is authorized by the policy gate; the decision hash is signed into the certificate.",
            [loc(run["policy"], "/decisions/0"), loc(run["cert"], "authz_decision_hash")],
            "docs/procedures/verify-authz.md#run-start",
        ),
        (
            "CTL-INT-01",
            "integrity",
            "Execution certificates are Ed25519-signed over canonical CBOR; keys pinned in the trust store.",
            [loc(run["cert"], "signature")],
            "docs/procedures/verify-certificate.md",
        ),
        (
            "CTL-INT-02",
            "integrity",
            "Trace, checkpoint and WAL are hash-linked from the run evidence and the certificate.",
            [loc(run["trace"]), loc(run["ckpt"]), loc(run["cert"], "checkpoint_hash")],
            "docs/procedures/verify-hash-links.md",
        ),
    ]
    if profile != "core":
        controls += [
            (
                "CTL-GOV-01",
                "governance",
                "Deployments pass the deployment gate and follow the signed runbook.",
                [loc(run["policy"], "/decisions")],
                "docs/procedures/deployment-gate.md",
            ),
            (
                "CTL-GOV-02",
                "governance",
                "Only adapters with an active certification record may be scheduled.",
                [loc(records[r]) for r in rel.gov_records],
                "docs/procedures/certified-adapters.md",
            ),
        ]
    if profile == "regulated":
        controls += [
            (
                "CTL-ATT-01",
                "attestation",
                "Runs execute in SEV-SNP confidential VMs; the attestation quote hash is signed into the certificate.",
                [loc(run["cert"], "attestation_quote_hash")],
                "docs/procedures/verify-attestation.md",
            ),
            (
                "CTL-REV-01",
                "revocation",
                "Certification records are checked against signed revocations at evidence time.",
                [loc(records["cert-store-gcs-2026"])],
                "docs/procedures/revocation-check.md",
            ),
            (
                "CTL-PRV-01",
                "privacy",
                "Traces are redacted under the HIPAA redaction policy bound to the certificate.",
                [loc(run["cert"], "redaction_policy_hash")],
                "docs/procedures/verify-redaction.md",
            ),
        ]
    doc: dict[str, Any] = {
        "kind": "security_case",
        "schema_version": 1,
        "profile_id": profile,
        "assets": [
            {"id": "A-CERT", "description": "execution certificates and their signing keys"},
            {"id": "A-CKPT", "description": "model checkpoints and the commit WAL"},
            {"id": "A-DATA", "description": "tenant training data snapshots"},
        ],
        "trust_boundaries": [
            {"id": "TB-TENANT", "description": "tenant workload vs. Glyphser control plane"},
            {"id": "TB-STORE", "description": "runtime vs. external artifact store"},
        ],
        "attacker_capabilities": [
            {"id": "AC-NET", "description": "on-path network attacker between workers and artifact store"},
            {"id": "AC-INSIDER", "description": "operator with write access to the artifact store"},
        ],
        "controls": [
            {
                "control_id": c,
                "category": cat,
                "mitigation": m,
                "evidence_locations": ev,
                "verification_procedure_ref": v,
                "verdict": "PASS",
            }
            for c, cat, m, ev, v in controls
        ],
    }
    if profile == "regulated":
        doc["crosswalk"] = [
            {
                "control_id": c,
                "threat_ids": [f"T-{c.split('-')[1]}-{i:02d}" for i in (1, 2)],
                "required_mitigations": [m],
                "evidence_fields": [e.get("pointer", e["path"]) for e in ev],
                "verification_procedure": v,
            }
            for c, _, m, ev, v in controls
        ]
    return doc


def _r(
    scope: list[str],
    out: list[str],
    criteria: list[tuple[str, str]],
    *,
    status: str = "in_progress",
    release: str = "1.5.0",
    profiles: list[str] | None = None,
    enforcement: str = "advisory",
    artifacts: list[str] | None = None,
    blockers: list[dict[str, str]] | None = None,
    met: int = 0,
    media: str = "text/markdown",
) -> dict[str, Any]:
    return {
        "scope": scope,
        "out": out,
        "criteria": criteria,
        "status": status,
        "release": release,
        "profiles": profiles if profiles is not None else ["enterprise", "regulated"],
        "enforcement": enforcement,
        "artifacts": artifacts if artifacts is not None else ["design.md"],
        "blockers": blockers or [],
        "met": met,
        "media": media,
    }


def _b(
    bid: str, desc: str, sev: str = "non_blocking", state: str = "open", owner: str = "platform-team"
) -> dict[str, str]:
    return {"blocker_id": bid, "description": desc, "severity": sev, "state": state, "owner": owner}


READY = {"status": "ready", "release": "1.4.0", "enforcement": "blocking"}
READINESS: dict[str, dict[str, Any]] = {
    "ws12": _r(
        ["Snowflake, BigQuery, S3, ADLS and Delta Lake connectors with deterministic ingestion envelopes"],
        ["feature computation inside connectors"],
        [
            ("ingestion envelopes hash-identical across two pulls", "envelope ObjectDigest equality on 5 fixtures"),
            ("lineage bound to data contracts", "lineage_root_hash present"),
        ],
        met=1,
        blockers=[_b("GLY-3902", "Delta Lake time-travel snapshots lack a stable version id")],
    ),
    "ws13": _r(
        ["Kafka/Kinesis/Pulsar NextBatch with exactly-once micro-batches"],
        ["sub-second streaming latency guarantees"],
        [("offsets checkpointed atomically with WAL", "chaos replay of 1000 micro-batches")],
        blockers=[
            _b("GLY-4120", "Kafka offsets not committed atomically with the WAL commit record", "release_blocking")
        ],
    ),
    "ws14": _r(
        ["drift/time retraining triggers, canary and blue-green rollout"],
        ["model quality evaluation"],
        [("rollout decisions reproducible from manifest", "replay of rollout transcript")],
        blockers=[_b("GLY-3655", "canary metrics source undecided", state="closed")],
    ),
    "ws15": _r(
        ["GDPR/HIPAA/SOC2 crosswalk reports", "data residency enforcement"],
        ["legal advice", "certification audits themselves"],
        [
            ("cross-framework report generated from evidence", "report reproduces from evidence tree"),
            ("residency violations blocked", "policy transcript shows deny"),
        ],
        artifacts=["compliance-crosswalk.md", "residency-policy.md"],
        **READY,
    ),
    "ws16": _r(
        ["IR debugger with redaction-aware inspection", "notebook-to-manifest conversion"],
        ["hosted notebooks"],
        [("notebook export round-trips to identical manifest", "manifest ObjectDigest equality")],
        profiles=[],
    ),
    "ws17": _r(
        ["purpose-restricted data usage policy language", "regulation-as-code bundles"],
        ["policy authoring UI"],
        [("policy evaluation history reproducible", "re-evaluation yields identical transcript hashes")],
        artifacts=["policy-language.md"],
        profiles=["regulated"],
        **READY,
    ),
    "ws18": _r(
        ["chargeback records bound to certificates"],
        ["payments processing"],
        [("billing records reconcile with certificates", "sum check per tenant")],
        profiles=[],
        blockers=[_b("GLY-4033", "token accounting design under review")],
    ),
    "ws19": _r(
        ["run-level energy accounting in evidence"],
        ["carbon offsets"],
        [("energy metric exported", "glyphser_run_energy_joules_total present")],
        met=1,
        profiles=[],
    ),
    "ws20": _r(
        ["self-contained .glyphserpack preservation packages", "RFC 3161 time-stamp anchoring", "bit-rot rechecks"],
        ["long-term storage hosting"],
        [
            ("pack verifies offline with only trust roots", "glyphserpack verify on an air-gapped host"),
            ("bit-rot detected", "damage corpus detection rate 100%"),
        ],
        artifacts=["archival-format.md", "timestamp-anchoring.md"],
        profiles=["core", "enterprise", "regulated"],
        **READY,
    ),
    "ws21": _r(
        ["org/project/run tenancy with inherited policy", "immutable per-tenant audit streams"],
        ["billing"],
        [("quota scheduling deterministic", "identical schedule for identical queue snapshot")],
        artifacts=["tenancy-model.md"],
        **READY,
    ),
    "ws22": _r(
        ["per-operator distributed tracing spans", "structured logs with trace correlation"],
        ["dashboard hosting"],
        [("every operator invocation has a span", "span count equals IR node executions")],
        artifacts=["tracing-spans.md"],
        **READY,
    ),
    "ws23": _r(
        ["optimizer/operator plugin architecture with conformance checks"],
        ["plugin marketplace"],
        [("plugins pass conformance", "harness report")],
        profiles=[],
    ),
    "ws24": _r(
        ["LTS windows 3-5 years", "old-artifact corpus compatibility tests"],
        ["support contracts"],
        [("1.0-1.3 artifact corpus verifies on 1.4.0", "corpus run: 0 failures")],
        artifacts=["lts-policy.md", "corpus-report.md"],
        profiles=["core", "enterprise", "regulated"],
        **READY,
    ),
    "ws25": _r(
        ["bug bounty for determinism/security classes"],
        ["payouts"],
        [("bounty scope published", "public page")],
        profiles=[],
    ),
    "ws26": _r(
        ["orchestrator model checking", "IR executor fuzzing"],
        ["full formal verification"],
        [("TLA+ safety properties checked", "TLC run with 0 violations")],
        met=1,
        release="2.0.0",
        blockers=[_b("GLY-3377", "liveness property for preemption not yet modelled")],
    ),
    "ws27": _r(
        ["Kubeflow, Airflow and MLflow integrations"],
        ["hosting those systems"],
        [("GlyphserRunOperator emits certificate", "integration test")],
        profiles=[],
    ),
    "ws28": _r(
        ["quantum-hybrid and neuromorphic adapter roadmaps"],
        ["hardware procurement"],
        [("roadmap published", "document exists")],
        status="planned",
        release="2.0.0",
        profiles=[],
    ),
    "ws29": _r(
        ["GUI pipeline builder with deterministic export"],
        ["no-code training"],
        [("GUI export equals hand-written manifest", "ObjectDigest equality")],
        profiles=[],
    ),
    "ws30": _r(
        ["quarterly roadmap reviews", "public deprecation dashboard"],
        ["feature voting"],
        [("retrospective published per release", "link in release notes")],
        met=1,
        profiles=[],
    ),
    "ws31": _r(
        ["fairness metric hooks", "model-card-as-code"],
        ["ethics review boards"],
        [("model card populated from evidence", "fields traced to evidence")],
        profiles=[],
    ),
    "ws32": _r(
        ["region failover continuity proofs", "backup/restore drills"],
        ["multi-region active-active writes"],
        [("restore drill reproduces checkpoint hash", "quarterly drill transcript")],
        artifacts=["dr-drill-2026q3.md"],
        profiles=["regulated"],
        **READY,
    ),
    "ws33": _r(
        ["SAML/OIDC/LDAP identity mapping", "break-glass JIT access with audit"],
        ["identity provider hosting"],
        [("break-glass access revoked deterministically", "audit stream shows revoke within policy window")],
        artifacts=["iam-federation.md"],
        **READY,
    ),
    "ws34": _r(
        ["cloud-agnostic commit pointers", "portable manifest profile"],
        ["cost optimisation SaaS"],
        [("same manifest runs on two clouds", "certificate comparison")],
        met=0,
        blockers=[_b("GLY-4301", "ADLS conditional-write semantics differ from S3")],
    ),
    "ws35": _r(
        ["model branch/merge with deterministic conflict policy"],
        ["code review tooling"],
        [("merge result order-independent", "property test")],
        release="2.0.0",
        profiles=[],
    ),
    "ws36": _r(
        ["tokenization operators with key policy binding", "consent-withdrawal impact tracing"],
        ["DPO services"],
        [("consent withdrawal traced to model versions", "lineage query result")],
        profiles=["regulated"],
        blockers=[_b("GLY-4250", "unseal authorization flow pending legal review")],
    ),
    "ws37": _r(
        ["incremental update operators", "continuous deploy with deterministic rollback"],
        ["online A/B analytics"],
        [("rollback restores identical weights", "checkpoint hash equality")],
        blockers=[_b("GLY-4188", "freshness attestation field not in certificate v1")],
    ),
    "ws38": _r(
        ["HSM-backed certificate signing", "key-usage attestation", "rotation policy"],
        ["HSM procurement"],
        [
            ("release keys never leave HSM", "PKCS#11 audit log"),
            ("rotation drill completed", "trust store shows rotated key with not_after"),
        ],
        artifacts=["hsm-key-ceremony.md", "rotation-drill.md"],
        profiles=["regulated"],
        **READY,
    ),
    "ws39": _r(
        ["sandbox profile with full audit tagging", "regulator export formats"],
        ["regulator relationship management"],
        [("sandbox export accepted by pilot regulator", "signed acknowledgement")],
        status="blocked",
        profiles=["regulated"],
        blockers=[
            _b(
                "GLY-4402",
                "pilot regulator export schema not yet published",
                "release_blocking",
                owner="compliance-team",
            )
        ],
    ),
    "ws40": _r(
        ["annual state-of-platform report", "future-direction whitepapers"],
        ["marketing"],
        [("report published", "document exists")],
        status="planned",
        release="2.0.0",
        profiles=[],
    ),
}


def build_all(root: Path) -> list[Path]:
    """Write every bundled release under ``root``: 1.4.0 as ``evidence/``, the others under ``evidence-releases/``."""
    written = []
    for rel in RELEASES:
        out = root / "evidence" if rel is RELEASE_1_4_0 else root / RELEASES_DIR / rel.release_id
        build(out, rel)
        written.append(out)
    return written


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] == "--all":  # every release under ROOT (default: the repository)
        trees = build_all(Path(args[1]) if len(args) > 1 else ROOT)
    else:  # 1.4.0 only, into OUT_DIR
        trees = [Path(args[0])]
        build(trees[0])
    print("evidence tree(s) written: " + ", ".join(str(p) for p in trees))
