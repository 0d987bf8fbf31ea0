"""``glyphserpack demo``: the whole job on the bundled evidence with nothing but the package.

An embedded RFC 3161 TSA runs on a free loopback port for the duration of the build, and an
ephemeral Ed25519 key signs the pack, the log and the site. The TSA's keys and the private
signing key live in a temporary directory *outside* the output and are deleted when the
demo ends; only public material lands in ``OUT/trust/`` (the trust store naming the demo
key, its public PEM, and the TSA root certificate), which is what a reader needs to verify.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from glyphserpack._internal.fsio import refuse_output_inside
from glyphserpack.errors import InputError
from glyphserpack.release.config import BuildConfig
from glyphserpack.release.pipeline import BuildOutcome, BuildRequest, Reporter, run_build

__all__ = ["TRUST_DIR", "DemoOutcome", "bundled_evidence", "run_demo"]

TRUST_DIR = "trust"
TSA_ROOTS = "tsa-roots.pem"
DEMO_NOT_BEFORE = "2000-01-01T00:00:00Z"  # the demo key must cover the evidence's release time


@dataclass(frozen=True)
class DemoOutcome:
    """The build outcome plus where a reader finds the public trust material."""

    build: BuildOutcome
    trust_dir: Path
    tsa_roots: Path


def bundled_evidence() -> Path:
    """The example evidence tree shipped beside the package (the repository's ``evidence/``)."""
    from glyphserpack._internal.resources import resource

    tree = resource("evidence")
    if (tree / "release.yaml").is_file():
        return tree
    raise InputError(
        "the bundled example evidence is not installed with this copy of glyphserpack",
        remedy="reinstall glyphserpack (a wheel carries it), or pass --evidence DIR",
    )


def run_demo(out: Path, *, evidence: Path | None = None, reporter: Reporter | None = None) -> DemoOutcome:
    """Build ``evidence`` (default: bundled) into ``out`` with an embedded TSA and throw-away keys."""
    from glyphserpack.keys import generate
    from glyphserpack.release.pipeline import prepare_output
    from glyphserpack.timestamp import TsaServer, init_tsa

    src = evidence if evidence is not None else bundled_evidence()
    if not src.is_dir():
        raise InputError(f"--evidence {src}: not a directory")
    # before prepare_output makes anything: a refused demo must leave the evidence untouched
    refuse_output_inside(out, src, option="--out", what="evidence tree", replaces=True)
    prepare_output(out)  # refuses a directory that is not a previous build before anything is made
    trust_dir = out / TRUST_DIR
    shutil.rmtree(trust_dir, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="glyphserpack-demo-") as tmp:
        secret = Path(tmp)
        key = secret / "demo-signer.pem"
        generate(
            key,
            trust_dir=trust_dir,
            owner="glyphserpack demo signer (ephemeral; private key deleted after the demo)",
            purposes=("checkpoint", "pack", "site"),
            not_before=DEMO_NOT_BEFORE,
        )
        shutil.copyfile(secret / "demo-signer.pub.pem", trust_dir / "demo-signer.pub.pem")
        material = init_tsa(secret / "tsa")
        roots = trust_dir / TSA_ROOTS
        shutil.copyfile(material.root_pem, roots)
        with TsaServer(secret / "tsa", material=material) as tsa:
            config = BuildConfig(
                profile="regulated",
                sign_key=key,
                trust=trust_dir,
                tsa_urls=(tsa.url,),
                quorum=1,
                tsa_roots=roots,
            )
            config.check()
            outcome = run_build(BuildRequest(src, out, config), reporter)
    return DemoOutcome(outcome, trust_dir, roots)
