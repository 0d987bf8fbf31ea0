"""``glyphserpack demo``: a registry of the bundled releases with nothing but the package.

The bundled example product has three releases (``evidence-releases/glyphser-1.3.0``,
``evidence/`` = 1.4.0, ``evidence-releases/glyphser-2.0.0``). The demo builds them in version
order into ``OUT/registry/releases/<release_id>/`` (the REGISTRY layout of issue 15), every
build appending to ONE log ``OUT/registry/log`` and chaining its site to the previous
release's (``--previous-manifest``). Between two builds it logs the revocations the next
release carries that happened since the previous one, as an operator running
``cert revoke --log`` then would (1.3.0's GCS record is revoked on 2026-09-20, before 1.4.0).
Then it publishes the registry's site into ``OUT/site``.

An embedded RFC 3161 TSA runs on a free loopback port for the duration of the builds, and an
ephemeral Ed25519 key signs the packs, the log and the sites. The TSA's keys and the private
signing key live in a temporary directory *outside* the output and are deleted when the
demo ends; only public material lands in ``OUT/trust/`` (the trust store naming the demo
key, its public PEM, and the TSA root certificate), which is what a reader needs to verify.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from glyphserpack._internal.fsio import refuse_output_inside
from glyphserpack.errors import EXIT_OK, InputError, UsageError
from glyphserpack.evidence.loader import load_tree
from glyphserpack.log import LogStore, Signer
from glyphserpack.release.config import BuildConfig
from glyphserpack.release.pipeline import OWNED, BuildOutcome, BuildRequest, Reporter, run_build

__all__ = [
    "LOG_ORIGIN",
    "REGISTRY_DIR",
    "RELEASES_DIR",
    "SITE_DIR",
    "TRUST_DIR",
    "DemoOutcome",
    "bundled_evidence",
    "bundled_releases",
    "run_demo",
]

TRUST_DIR = "trust"
REGISTRY_DIR = "registry"
#: under REGISTRY: one unmodified ``build`` output per release
RELEASES_DIR = "releases"
LOG_DIR = "log"
SITE_DIR = "site"
TSA_ROOTS = "tsa-roots.pem"
LOG_ORIGIN = "glyphserpack.invalid/demo-registry/log"  # never resolvable: the demo publishes nowhere
DEMO_NOT_BEFORE = "2000-01-01T00:00:00Z"  # the demo key must cover the evidence's release times
#: what a demo owns in OUT (a new demo replaces them), plus what a one-release demo used to write
_DEMO_OWNED = (REGISTRY_DIR, SITE_DIR, TRUST_DIR, *OWNED)


@dataclass(frozen=True)
class DemoOutcome:
    """Every release's build outcome (version order), the registry, its site and the trust material."""

    releases: tuple[BuildOutcome, ...]
    registry: Path
    site: Path
    trust_dir: Path
    tsa_roots: Path
    #: per release, the revocations logged just before it was built (one line each)
    revocations: tuple[tuple[str, ...], ...] = ()

    @property
    def build(self) -> BuildOutcome:
        """The newest release's build (the one ``OUT/site`` shows until the registry site lands)."""
        return self.releases[-1]

    @property
    def exit_code(self) -> int:
        """0 when every release passed and verified, else the first failing build's code."""
        return next((r.exit_code for r in self.releases if r.exit_code != EXIT_OK), EXIT_OK)


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


def bundled_releases() -> list[Path]:
    """Every bundled release of the example product, oldest first (1.4.0 is ``evidence/``)."""
    from glyphserpack._internal.resources import resource

    others = resource("evidence-releases")
    trees = [bundled_evidence()]
    if others.is_dir():
        trees += [p for p in others.iterdir() if (p / "release.yaml").is_file()]
    return [r.path for r in _in_version_order(trees)]


@dataclass(frozen=True)
class _Release:
    """What the demo needs of a release before building it (from its manifest)."""

    path: Path
    release_id: str
    release_time: str
    version: tuple[int, ...]


def _in_version_order(trees: Sequence[Path]) -> list[_Release]:
    """The trees' releases sorted by MAJOR.MINOR.PATCH (the registry appends them in this order)."""
    found = []
    for tree in trees:
        m = load_tree(tree).manifest
        core = str(m.version).split("-")[0].split("+")[0]
        found.append(_Release(tree, str(m.release_id), str(m.release_time_utc), tuple(int(p) for p in core.split("."))))
    return sorted(found, key=lambda r: r.version)


def _prepare(out: Path, sources: Sequence[Path]) -> None:
    """Refuse an OUT that is inside an evidence tree or holds something not ours; clear our names."""
    for src in sources:  # before anything is made: a refused demo leaves the evidence untouched
        if not src.is_dir():
            raise InputError(f"--evidence {src}: not a directory")
        refuse_output_inside(out, src, option="--out", what="evidence tree", replaces=True)
    if out.exists() and (out.is_symlink() or not out.is_dir()):
        raise UsageError(f"output {out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    names = sorted(p.name for p in out.iterdir())
    foreign = [n for n in names if n not in _DEMO_OWNED and not n.startswith(".site.")]
    if foreign:
        raise UsageError(
            f"output {out}: not empty and not a glyphserpack demo (found {foreign[0]!r})",
            remedy="choose a new or empty output directory",
        )
    for name in names:
        p = out / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def _free_loopback_port() -> int:
    """A loopback port free now: the TSA's URL must be known before its certificate is made."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_demo(out: Path, *, evidence: Path | None = None, reporter: Reporter | None = None) -> DemoOutcome:
    """Build the bundled releases (or just ``evidence``) into a registry in ``out`` with throw-away keys."""
    from glyphserpack.keys import generate, load_private_key
    from glyphserpack.timestamp import TsaServer, init_tsa

    sources = [evidence] if evidence is not None else bundled_releases()
    _prepare(out, sources)
    releases = _in_version_order(sources)
    trust_dir, registry = out / TRUST_DIR, out / REGISTRY_DIR
    with tempfile.TemporaryDirectory(prefix="glyphserpack-demo-") as tmp:
        secret = Path(tmp)
        key_file = secret / "demo-signer.pem"
        generate(
            key_file,
            trust_dir=trust_dir,
            owner="glyphserpack demo signer (ephemeral; private key deleted after the demo)",
            purposes=("checkpoint", "pack", "site"),
            not_before=DEMO_NOT_BEFORE,
        )
        shutil.copyfile(secret / "demo-signer.pub.pem", trust_dir / "demo-signer.pub.pem")
        key = load_private_key(key_file)
        signer = Signer(LOG_ORIGIN, key)
        store = LogStore.init(registry / LOG_DIR, signer)
        # the TSA certificate names where its CA publishes the CRL and answers OCSP, so the
        # packs carry revocation data for it (docs/timestamping.md, LTV)
        port = _free_loopback_port()
        material = init_tsa(secret / "tsa", revocation_url=f"http://127.0.0.1:{port}/")
        roots = trust_dir / TSA_ROOTS
        shutil.copyfile(material.root_pem, roots)
        builds: list[BuildOutcome] = []
        revoked: list[tuple[str, ...]] = []
        with TsaServer(secret / "tsa", port=port, material=material) as tsa:
            for i, rel in enumerate(releases):
                # what happened since the previous release, logged before this one is built
                since = releases[i - 1].release_time if i else None
                revoked.append(_log_revocations(store, signer, rel.path, after=since, reporter=reporter))
                previous = builds[-1].out / SITE_DIR / "site-manifest.json" if builds else None
                config = BuildConfig(
                    profile="regulated",
                    sign_key=key_file,
                    trust=trust_dir,
                    tsa_urls=(tsa.url,),
                    quorum=1,
                    tsa_roots=roots,
                    log=registry / LOG_DIR,
                    previous_manifest=previous,
                )
                config.check()
                dest = registry / RELEASES_DIR / rel.release_id
                builds.append(run_build(BuildRequest(rel.path, dest, config), reporter))
    site = out / SITE_DIR
    _publish_registry(registry, site, releases=builds)
    return DemoOutcome(tuple(builds), registry, site, trust_dir, roots, tuple(revoked))


def _log_revocations(
    store: LogStore, signer: Signer, evidence: Path, *, after: str | None, reporter: Reporter | None
) -> tuple[str, ...]:
    """Log the revocations ``evidence`` carries that were made after ``after``, before it is built.

    What ``cert revoke --log`` appends (:func:`glyphserpack.log.cert_entries.revoked_entry`),
    for each signed revocation (its signature verifies against the tree's trust store) whose
    target the log has issued and not revoked yet; the build that follows finds it logged.
    """
    from glyphserpack.evidence.status import signature_ok
    from glyphserpack.log import decode_entry, derive_states
    from glyphserpack.log.cert_entries import revoked_entry

    if after is None:  # the first release: nothing was issued before it
        return ()
    tree = load_tree(evidence)
    size = store.open_checkpoint().checkpoint.size
    states = derive_states((i, decode_entry(d, where=f"log entry {i}")) for i, d in store.iter_entries(size))
    logged = {h.hex(): c for h, c in states.certificates.items()}
    lines: list[str] = []
    for doc in sorted(tree.by_kind("revocation"), key=lambda d: d.path):
        entry = revoked_entry(doc)
        target = logged.get(entry["certificate_hash"])
        if entry["time_utc"] <= after or target is None or target.revoked_at or not signature_ok(tree, doc):
            continue
        result = store.append([entry], signer, where=f"revocation {doc.path}")
        line = (
            f"logged revocation {doc.path} of {target.certificate_id} ({entry['reason']}, {entry['time_utc']}) "
            f"at index {result.first_index}"
        )
        lines.append(line)
        if reporter is not None:
            reporter.message(line)
    return tuple(lines)


# --- the registry site ------------------------------------------------------------------------
def _publish_registry(registry_dir: Path, site_out: Path, *, releases: Sequence[BuildOutcome]) -> None:
    """PLACEHOLDER for ``glyphserpack.registry.build.build_registry`` (issue 15, built in parallel).

    For now ``site_out`` is a verbatim copy of the newest release's site (it keeps its signed
    site-manifest.json, so ``site verify`` and the in-browser verifier work on it). Replace
    this body with the registry site build over ``registry_dir`` when merging.
    """
    del registry_dir  # the registry build reads it; the placeholder needs only the newest release
    shutil.rmtree(site_out, ignore_errors=True)
    shutil.copytree(releases[-1].out / SITE_DIR, site_out)
