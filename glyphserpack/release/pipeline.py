"""``glyphserpack build``: evidence in, reports + signed time-stamped pack + log + site out.

Steps, in declared order (the first ten are seed ``productization-plan.md`` §3)::

     1 resolve-profile        6 security-case         11 pack
     2 observability-mapping  7 evolution-policy      12 timestamp
     3 certification-bundle   8 performance-tiers     13 log
     4 reference-stack        9 chaos-proof-pack      14 parity
     5 external-interfaces   10 aggregate-verdict     15 verify
                                                      16 site

After each step the checkpoint (``OUT/.glyphserpack-build.json``) records the SHA-256 of
every file the step produced and the state it hands on; it binds the hash of the evidence
and options. ``resume=True`` keeps the longest prefix of steps whose files are intact and
redoes the rest; all steps are deterministic (times from the evidence or
SOURCE_DATE_EPOCH, deterministic signatures, time-stamp tokens saved before use), so the
result is byte-identical to an uninterrupted build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from glyphserpack import __version__, canonical
from glyphserpack._internal.fsio import atomic_write, file_sha256, refuse_output_inside, source_date_epoch
from glyphserpack.errors import EXIT_FAIL, EXIT_OK, InputError, KeyMaterialError, UnsafePathError, UsageError
from glyphserpack.evidence import to_json_bytes
from glyphserpack.log import LogStore
from glyphserpack.release.checkpoint import CHECKPOINT_NAME, Checkpoint, StepRecord
from glyphserpack.release.config import BuildConfig
from glyphserpack.release.context import BuildContext, StepResult, crash_hook
from glyphserpack.release.evidence_steps import EVIDENCE_STEPS
from glyphserpack.release.preflight import build_time, check_signer, check_tsa_roots
from glyphserpack.release.previous import PreviousSite, check_previous_manifest
from glyphserpack.release.publish_steps import PUBLISH_STEPS
from glyphserpack.trust import TrustStore

__all__ = [
    "OWNED",
    "STEPS",
    "BuildOutcome",
    "BuildRequest",
    "Reporter",
    "Step",
    "inputs_hash",
    "prepare_output",
    "run_build",
]

SUMMARY = "reports/build.json"
#: top-level names a build owns in OUT (a fresh build replaces them; nothing else is touched)
OWNED = ("reports", "packs", "log", "proofs", "site", ".build", CHECKPOINT_NAME)
#: names a fresh build tolerates beside its own (the demo's public trust material)
TOLERATED = ("trust",)


@dataclass(frozen=True)
class Step:
    """A named step of the pipeline."""

    name: str
    title: str
    run: Callable[[BuildContext], StepResult]


STEPS: list[Step] = [Step(s.name, s.title, s.run) for s in EVIDENCE_STEPS] + [
    Step(name, title, fn) for name, title, fn in PUBLISH_STEPS
]


class Reporter(Protocol):
    """Progress sink: the CLI draws rich progress bars or logs; the library stays silent."""

    def step_started(self, index: int, total: int, name: str, title: str) -> None: ...

    def step_finished(self, index: int, total: int, name: str, *, reused: bool, seconds: float) -> None: ...

    def message(self, text: str) -> None: ...


class _Silent:
    def step_started(self, index: int, total: int, name: str, title: str) -> None:
        pass

    def step_finished(self, index: int, total: int, name: str, *, reused: bool, seconds: float) -> None:
        pass

    def message(self, text: str) -> None:
        pass


@dataclass(frozen=True)
class BuildRequest:
    """Where the evidence is, where the output goes, the configuration, and whether to resume."""

    evidence: Path
    out: Path
    config: BuildConfig
    resume: bool = False


@dataclass(frozen=True)
class BuildOutcome:
    """The finished build: its summary (also in ``reports/build.json``) and which steps were reused."""

    out: Path
    summary: dict[str, Any]
    reused_steps: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        return str(self.summary["upgrade_gate_verdict"])

    @property
    def exit_code(self) -> int:
        ok = self.verdict == "PASS" and self.summary["pack_valid"] and self.summary["site_valid"] is not False
        return EXIT_OK if ok else EXIT_FAIL


def _evidence_files(evidence: Path) -> list[tuple[str, str]]:
    """(relative path, sha256) of every regular file of the tree; links and devices are refused."""
    found: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(evidence, followlinks=False):
        base = Path(dirpath)
        for name in [*dirnames, *filenames]:
            p = base / name
            if p.is_symlink() or not (p.is_dir() or p.is_file()):
                raise UnsafePathError(f"evidence {p.relative_to(evidence)}: not a regular file or directory")
        for name in filenames:
            p = base / name
            found.append((p.relative_to(evidence).as_posix(), file_sha256(p)))
    return sorted(found)


def inputs_hash(
    evidence: Path,
    config: BuildConfig,
    signer_id: str | None,
    trust: TrustStore | None,
    log_key: str | None = None,
    previous: PreviousSite | None = None,
) -> str:
    """What a resumed build must share with the interrupted one: evidence bytes, options, version.

    With ``--log`` the log's verifier key is bound, not its path (the log may move) nor its
    size (it grows: a resume after the build's own append must still match). The previous
    site manifest is bound by the SHA-256 of its bytes (republished as they are), the
    parity setting by its normalised value ("5%" and "5.0%" make the same sidecar).
    """
    roots = file_sha256(config.tsa_roots) if config.tsa_roots is not None else None
    obj = {
        "glyphserpack": __version__,
        "evidence": [list(f) for f in _evidence_files(evidence)],
        "profile": config.profile,
        "base_url": config.base_url,
        "tsa": list(config.tsa_urls),
        "quorum": config.quorum,
        "hash": config.hash_alg,
        "signer": signer_id,
        "trust": trust.hash().hex() if trust is not None else None,
        "tsa_roots": roots,
        "source_date_epoch": source_date_epoch(),
        "parity": config.parity_label,
        "previous_manifest": previous.sha256 if previous is not None else None,
    }
    if log_key is not None:
        obj["log"] = log_key
    return hashlib.sha256(canonical.dumps(obj)).hexdigest()


def prepare_output(out: Path) -> None:
    """Start over in ``out``: remove what a previous build made; refuse a directory that is not ours."""
    if out.exists() and (out.is_symlink() or not out.is_dir()):
        raise UsageError(f"output {out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in out.iterdir()}
    ours = (out / CHECKPOINT_NAME).is_file()
    foreign = sorted(n for n in names if n not in OWNED and n not in TOLERATED and not n.startswith(".site."))
    if foreign and not ours:
        raise UsageError(
            f"output {out}: not empty and not a glyphserpack build (found {foreign[0]!r})",
            remedy="choose a new or empty output directory",
        )
    for name in sorted(names):
        if name in OWNED or name.startswith(".site."):
            p = out / name
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()


def _sweep_leftovers(out: Path) -> None:
    """Remove what a killed process can leave: atomic-write temp files and the site's temp trees."""
    for p in sorted(out.rglob(".*.tmp")):
        if p.is_file() and not p.is_symlink():
            p.unlink()
    for p in sorted(out.glob(".site.*")):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)


def _load_signer(config: BuildConfig, evidence: Path, name: str = "sign_key") -> Any:
    """The private key of setting ``name`` (``sign_key`` or ``log_key``), or None when it is not set."""
    path: Path | None = getattr(config, name)
    if path is None:
        return None
    from glyphserpack.keys import PASSPHRASE_ENV, load_private_key

    key_path = path.resolve()
    if key_path.is_relative_to(evidence.resolve()):
        what = "signing key" if name == "sign_key" else f"{config.option(name)} key"
        raise KeyMaterialError(
            f"{what} {path}: lies inside the evidence tree, which is packed and published",
            remedy="move the private key outside the evidence directory",
        )
    phrase = os.environ.get(PASSPHRASE_ENV)
    return load_private_key(path, passphrase=phrase.encode() if phrase else None)


def _check_registry_log(
    config: BuildConfig, evidence: Path, out: Path, signer: Any, log_signer: Any
) -> LogStore | None:
    """Fail fast on ``--log``: where it is, whose key it has, whether it verifies; return it."""
    if log_signer is not None and signer is None:
        raise UsageError(f"{config.option('log_key')} needs --sign-key: only a signed build appends to a log")
    if config.log is None:
        return None
    if signer is None:
        raise UsageError("--log needs --sign-key: the build signs the log's checkpoints with the log's key")
    log_dir = config.log.resolve()
    for what, other in (("evidence tree", evidence.resolve()), ("output directory", out.resolve())):
        if log_dir.is_relative_to(other) or other.is_relative_to(log_dir):
            raise UsageError(
                f"--log {config.log}: overlaps the {what}",
                remedy="keep the registry's log in its own directory, outside the evidence and the output",
            )
    from glyphserpack.release.registry_log import audit_or_refuse, open_registry_log

    if log_signer is not None:
        store = open_registry_log(config.log, log_signer, option=config.option("log_key"))
    else:
        store = open_registry_log(config.log, signer)
    audit_or_refuse(store)
    return store


def run_build(request: BuildRequest, reporter: Reporter | None = None) -> BuildOutcome:
    """Run (or resume) every step; raise GlyphserpackError on unusable input (exit 2)."""
    rep = reporter or _Silent()
    evidence, out, config = request.evidence, request.out, request.config
    if not evidence.is_dir():
        raise InputError(f"evidence {evidence}: not a directory")
    refuse_output_inside(out, evidence, option="--out", what="evidence tree", replaces=True)
    signer = _load_signer(config, evidence)
    log_signer = _load_signer(config, evidence, "log_key")
    trust = TrustStore.load(config.trust) if config.trust is not None else None
    from glyphserpack.signing import key_id

    check_tsa_roots(config)
    # names a key that is not the log's first
    registry_log = _check_registry_log(config, evidence, out, signer, log_signer)
    if signer is not None and trust is not None:
        when = build_time(evidence)
        check_signer(config, key_id(signer), trust, when, log_separately=log_signer is not None)
        if log_signer is not None:
            check_signer(config, key_id(log_signer), trust, when, option="log_key")
    log_key = registry_log.log_key.vkey() if registry_log is not None else None
    if log_key is None and log_signer is not None:  # a self-contained log signed by --log-key
        log_key = key_id(log_signer)
    previous = check_previous_manifest(config, out, registry_log)
    digest = inputs_hash(evidence, config, key_id(signer) if signer is not None else None, trust, log_key, previous)
    if request.resume and (out / CHECKPOINT_NAME).is_file():
        cp = Checkpoint.load(out, digest)
        _sweep_leftovers(out)
    else:
        prepare_output(out)
        cp = Checkpoint(out, digest)
        cp.save()
    names = [s.name for s in STEPS]
    done = cp.valid_prefix(names)
    if len(done) < len(cp.steps):
        rep.message(f"resuming at step {len(done) + 1} ({names[len(done)]})")
        cp.truncate(len(done))
    ctx = BuildContext(
        evidence=evidence,
        out=out,
        config=config,
        signer=signer,
        trust=trust,
        progress=rep.message,
        log_signer=log_signer,
    )
    for record in done:
        ctx.state.update(record.state.to_obj())
    total = len(STEPS)
    for i, step in enumerate(STEPS, start=1):
        if i <= len(done):
            rep.step_finished(i, total, step.name, reused=True, seconds=0.0)
            continue
        started = time.perf_counter()
        rep.step_started(i, total, step.name, step.title)
        ctx.step_name = step.name
        crash_hook(step.name, "start")
        result = step.run(ctx)
        crash_hook(step.name, "end")
        outputs = {rel: file_sha256(out / rel) for rel in sorted(set(result.outputs))}
        cp.record(StepRecord.of(step.name, outputs, result.state))
        ctx.state.update(result.state)
        rep.step_finished(i, total, step.name, reused=False, seconds=time.perf_counter() - started)
    summary = _summary(ctx, cp)
    atomic_write(out / SUMMARY, to_json_bytes(summary))
    return BuildOutcome(out, summary, tuple(r.name for r in done))


def _log_summary(ctx: BuildContext) -> dict[str, Any]:
    s = ctx.state
    doc: dict[str, Any] = {"size": s["log_size"], "root_hash": s["log_root"], "vkey": s["log_vkey"]}
    if ctx.config.log is not None:  # the registry's long-lived log: where this release starts in it
        doc["previous_size"] = s["log_previous_size"]
    return doc


def _summary(ctx: BuildContext, cp: Checkpoint) -> dict[str, Any]:
    """Location-free, clock-free account of the build (``reports/build.json``)."""
    s = ctx.state
    return {
        "build_summary_version": 1,
        "release_id": s["release_id"],
        "profile_id": ctx.config.profile,
        "upgrade_gate_verdict": s["upgrade_gate_verdict"],
        "completed_workstream_ids": s["completed_workstream_ids"],
        "step_hashes": s["step_hashes"],
        "pack": {"name": s["pack_name"], "root_hash": s["pack_root"], "signed": s["pack_signed"]},
        "pack_valid": s["pack_valid"],
        "timestamped": s["timestamped"],
        "log": _log_summary(ctx) if s["logged"] else None,
        "parity": s["parity"],
        "previous_manifest_root": s["previous_manifest_root"],
        "site_root": s["site_root"],
        "site_valid": s["site_valid"],
        "steps": [{"name": r.name, "outputs": dict(sorted(r.outputs.items()))} for r in cp.steps],
    }
