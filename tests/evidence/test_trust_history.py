"""A certificate binds to the trust-store version it was signed under (issue 14, item 4).

Adding keys appends a version, so the certificates signed before stay valid; a hash that is
no version of the chain, or a version without the certificate's signing key, is GSP-E019.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack import keys as keylib
from glyphserpack.evidence import decode_envelope
from glyphserpack.signing import public_key_raw
from glyphserpack.trust import TrustStore

from .helpers import findings_of, relink, sha
from .test_bindings import CERTS, CORE_CERT, resign

TRUST = "trust/trust.yaml"


def signed_hash(root: Path, rel: str) -> bytes:
    return bytes(decode_envelope((root / rel).read_bytes(), name=rel).payload["trust_store_hash"])


def test_bundled_certificates_pin_the_version_in_force_when_signed(tree_dir: Path) -> None:
    store = TrustStore.load(tree_dir / "trust")
    assert store.version == 4  # a lab was onboarded after the 1.4.0 runs
    v3 = store.versions()[2]
    for rel in CERTS:
        assert signed_hash(tree_dir, rel) == v3.hash() != store.hash()


def test_a_key_added_later_leaves_certificates_valid(tree_dir: Path) -> None:
    before = sha((tree_dir / TRUST).read_bytes())
    keylib.add(
        public_key_raw(Ed25519PrivateKey.generate()).hex(),
        trust_dir=tree_dir / "trust",
        owner="Lab Three",
        purposes=("certificate",),
        not_before="2026-12-01T00:00:00Z",
    )
    relink(tree_dir, before, sha((tree_dir / TRUST).read_bytes()))  # the operator re-pins release.yaml
    assert TrustStore.load(tree_dir / "trust").version == 5
    verdict, lines = findings_of(tree_dir, "regulated")
    assert verdict == "PASS", lines
    assert not [ln for ln in lines if ln.startswith(("GSP-E019", "GSP-E016"))]  # the edit leaves no stray file


def test_a_hash_of_no_version_names_every_version_tried(tree_dir: Path) -> None:
    bogus = hashlib.sha256(b"a trust store nobody has").digest()
    resign(tree_dir, CORE_CERT, {"trust_store_hash": bogus})
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    (line,) = [ln for ln in lines if ln.startswith("GSP-E019")]
    assert bogus.hex() in line
    for v in TrustStore.load(tree_dir / "trust").versions():
        assert f"v{v.version} {v.hash().hex()}" in line


def test_a_version_without_the_signing_key_does_not_count(tree_dir: Path) -> None:
    """Version 1 predates the release key: a certificate by that key cannot have been signed under it."""
    v1 = TrustStore.load(tree_dir / "trust").versions()[0]
    resign(tree_dir, CORE_CERT, {"trust_store_hash": v1.hash()})
    verdict, lines = findings_of(tree_dir, "core")
    assert verdict == "FAIL"
    (line,) = [ln for ln in lines if ln.startswith("GSP-E019")]
    assert f"v1 {v1.hash().hex()} (lacks key" in line
