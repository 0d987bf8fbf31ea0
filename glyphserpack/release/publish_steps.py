"""Steps 11–16: pack, time-stamp, transparency log, parity, verification, site.

Each is deterministic given the time-stamp tokens, and tokens are saved under
``OUT/.build/tokens/`` the moment a TSA answers (keyed by what they stamp), before they are
attached anywhere. Re-running any of these steps after a crash therefore yields the same
bytes, which is what lets the checkpoint roll back to the first step whose files changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from glyphserpack import canonical
from glyphserpack._internal.fsio import atomic_write, read_bounded
from glyphserpack.errors import UnsafePathError
from glyphserpack.evidence import to_json_bytes
from glyphserpack.keys import PASSPHRASE_ENV
from glyphserpack.release.context import BuildContext, StepResult
from glyphserpack.release.evidence_steps import STEP_DIR
from glyphserpack.release.logstep import LOG_DIR, PROOF_NAME, proof_path, run_log_step, verify_log

__all__ = ["PACK_DIR", "PUBLISH_STEPS", "SITE_DIR", "pack_name"]

PACK_DIR = "packs"
SITE_DIR = "site"
VERIFY_DIR = "reports/verification"
_TOKEN_LIMIT = 16 * 1024 * 1024


def pack_name(ctx: BuildContext) -> str:
    return f"{ctx.state.get('release_id') or ctx.tree.manifest.release_id}.glyphserpack"


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _stage(ctx: BuildContext, stage: Path) -> None:
    """``evidence/`` (every regular file of the tree) and the step-1..10 ``reports/`` side by side.

    Only what steps 1–10 wrote is packed (never ``build.json`` or verification reports a
    previous run left behind), so a pack rebuilt on resume has the same root hash.
    """
    from glyphserpack.evidence.reports import REPORT_NAMES

    shutil.rmtree(stage, ignore_errors=True)
    for dirpath, dirnames, filenames in os.walk(ctx.evidence, followlinks=False):
        dirnames.sort()
        for fname in sorted(filenames):
            src = Path(dirpath) / fname
            if src.is_symlink() or not src.is_file():
                raise UnsafePathError(f"{src}: not a regular file; packs hold regular files only")
            _link_or_copy(src, stage / "evidence" / src.relative_to(ctx.evidence))
    reports = [f"{n}.{ext}" for n in REPORT_NAMES for ext in ("cbor", "json")]
    reports += sorted(p.relative_to(ctx.out / "reports").as_posix() for p in (ctx.out / STEP_DIR).iterdir())
    for rel in reports:
        _link_or_copy(ctx.out / "reports" / rel, stage / "reports" / rel)


def pack_step(ctx: BuildContext) -> StepResult:
    """Step 11: the release pack (evidence + reports), signed when a key is configured."""
    from glyphserpack import pack

    out = StepResult()
    stage = ctx.build_dir / "stage"
    _stage(ctx, stage)
    ctx.progress("writing the release pack")
    name = pack_name(ctx)
    target = ctx.path(f"{PACK_DIR}/{name}")
    ctx.hook("mid")
    root = pack.write(
        stage,
        target,
        sign_keys=[ctx.signer] if ctx.signer is not None else [],
        trust=ctx.trust,
        created=ctx.build_time_utc(),
    )
    shutil.rmtree(stage, ignore_errors=True)
    out.outputs.append(f"{PACK_DIR}/{name}")
    out.state = {"pack_name": name, "pack_root": root.hex(), "pack_signed": ctx.signer is not None}
    return out


def _cached(ctx: BuildContext, key: str) -> bytes | None:
    path = ctx.build_dir / "tokens" / key
    return read_bounded(path, _TOKEN_LIMIT, what="saved time-stamp") if path.is_file() else None


def _save(ctx: BuildContext, key: str, data: bytes) -> None:
    atomic_write(ctx.build_dir / "tokens" / key, data)


def timestamp_step(ctx: BuildContext) -> StepResult:
    """Step 12: RFC 3161 tokens over the pack root (quorum of TSAs), reused once obtained."""
    from glyphserpack.pack import attach, open_pack
    from glyphserpack.timestamp import load_certificates, stamp_members
    from glyphserpack.timestamp.packstamp import reader_data_objects

    out = StepResult()
    cfg = ctx.config
    if not cfg.tsa_urls:
        out.state = {"timestamped": False}
        return out
    rel = f"{PACK_DIR}/{ctx.state['pack_name']}"
    key = f"pack-{ctx.state['pack_root']}.cbor"
    saved = _cached(ctx, key)
    if saved is None:
        # the roots let the stamp keep each TSA chain's revocation data (LTV) beside its token
        roots = load_certificates(cfg.tsa_roots, what=cfg.option("tsa_roots")) if cfg.tsa_roots is not None else ()
        with open_pack(ctx.path(rel)) as reader:  # open while stamping: a SHA-512 tree reads the payload
            root, existing, objects = reader.root_hash, reader.attachments(), reader_data_objects(reader)
            ctx.progress(f"asking {len(cfg.tsa_urls)} TSA(s) for a time-stamp")
            members, stamped = stamp_members(
                root, existing, cfg.tsa_urls, quorum=cfg.quorum, hash_alg=cfg.hash_alg, trust=roots, objects=objects
            )
        for warning in stamped.warnings:
            ctx.progress(warning)
        saved = canonical.dumps(dict(sorted(members.items())))
        _save(ctx, key, saved)  # durable before use: a resumed run reuses these very tokens
    ctx.hook("mid")
    tokens: dict[str, Any] = canonical.loads(saved)
    attach(ctx.path(rel), tokens, replace_prefix="timestamps/")
    out.outputs += [rel, f".build/tokens/{key}"]
    out.state = {"timestamped": True, "timestamp_members": len(tokens)}
    return out


def log_step(ctx: BuildContext) -> StepResult:
    """Step 13: append certificates, revocations and the pack to ``OUT/log``; attach the pack's proof."""
    from glyphserpack.pack import attach

    out = StepResult()
    if ctx.signer is None:
        out.state = {"logged": False}
        return out
    state = run_log_step(ctx)
    ctx.hook("mid")
    rel = f"{PACK_DIR}/{ctx.state['pack_name']}"
    proof = read_bounded(ctx.path(proof_path(ctx)), 1024 * 1024, what="inclusion proof")
    attach(ctx.path(rel), {f"proofs/{PROOF_NAME}": proof}, replace_prefix="proofs/")
    out.outputs += [f"{LOG_DIR}/checkpoint", proof_path(ctx), rel]
    out.state = {"logged": True, **state}
    return out


def parity_step(ctx: BuildContext) -> StepResult:
    """Step 14: the pack's Reed–Solomon parity sidecar ``packs/NAME.glyphserpack.par``.

    The sidecar is a pure function of every byte of the pack, so it comes after the last
    step that rewrites the pack (12 attaches time-stamp tokens, 13 the inclusion proof, both
    at the pack's tail), and before 15, which reports on it, and 16, which publishes it
    beside the pack. A step of its own rather than the tail of 13 or the head of 15: it gets
    its own checkpoint record, so a kill while the parity is computed redoes only the parity
    (13 appends to the registry's log; 15 only reads).
    """
    from glyphserpack.parity import protect

    out = StepResult()
    ratio = ctx.config.parity_ratio
    if ratio is None:
        out.state = {"parity": None}
        return out
    rel = f"{PACK_DIR}/{ctx.state['pack_name']}"
    ctx.progress(f"computing {ctx.config.parity_label} parity")
    ctx.hook("mid")
    par = protect(ctx.path(rel), ratio=ratio)
    par_rel = f"{PACK_DIR}/{par.name}"
    out.outputs.append(par_rel)
    out.state = {
        "parity": {
            "ratio": ctx.config.parity_label,
            "sidecar": par.name,
            "sha256": ctx.digest(par_rel),
            "size": par.stat().st_size,
        }
    }
    return out


def verify_step(ctx: BuildContext) -> StepResult:
    """Step 15: verify the pack as a stranger would, with :func:`glyphserpack.pack.verify`.

    The same pipeline as ``glyphserpack verify`` and the site (frames, manifest, signatures
    against the build's trust store, time-stamps against the configured TSA roots and quorum,
    parity), plus what only the build can check: the transparency log and the pack's
    inclusion proof, and that a configured parity sidecar is there at all.
    """
    from glyphserpack.pack import open_pack, verify
    from glyphserpack.timestamp import load_certificates

    out = StepResult()
    name = ctx.state["pack_name"]
    path = ctx.path(f"{PACK_DIR}/{name}")
    ctx.progress(f"verifying {name}")
    cfg = ctx.config
    parity = ctx.state.get("parity") is not None
    roots = load_certificates(cfg.tsa_roots, what=cfg.option("tsa_roots")) if cfg.tsa_roots is not None else None
    report = verify(path, trust=ctx.trust, tsa_trust=roots, tsa_quorum=cfg.quorum, parity=parity)
    if ctx.state.get("logged"):
        with open_pack(path) as reader:
            proof = reader.attachments().get(f"proofs/{PROOF_NAME}")
        checks, findings = verify_log(ctx, proof)
        report.merge(checks, findings)
    else:
        report.add_check("L.inclusion", "skip", "no signing key: no transparency log")
    if not parity:
        report.add_check("parity", "skip", "--parity off: no sidecar")
    elif report.parity is None:
        report.add_check("parity", "fail", f"{ctx.state['parity']['sidecar']}: missing beside the pack")
    ctx.hook("mid")
    obj = report.to_dict()
    ctx.write(f"{VERIFY_DIR}/{name}.cbor", canonical.dumps(obj), out)
    ctx.write(f"{VERIFY_DIR}/{name}.json", to_json_bytes(obj), out)
    out.state = {"pack_valid": report.valid}
    return out


def _clean_site_leftovers(ctx: BuildContext) -> None:
    """A build killed inside the site builder leaves its temporary directories beside ``site/``."""
    for p in ctx.out.glob(f".{SITE_DIR}.*"):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


def _previous_checkpoint(ctx: BuildContext) -> bytes | None:
    """With ``--log``: the registry log's checkpoint before this release (None for the first)."""
    text = ctx.state.get("log_previous_checkpoint")
    return text.encode() if isinstance(text, str) else None


def site_step(ctx: BuildContext) -> StepResult:
    """Step 16: the static site (signed and time-stamped like the pack, chained to the previous one), verified.

    ``packs/`` holds the pack and its parity sidecar; the site publishes both, the sidecar
    beside the pack under the name ``glyphserpack verify`` and ``repair`` look for.
    """
    from glyphserpack.site import build_site, verify_site
    from glyphserpack.timestamp import load_certificates, stamp_quorum

    out = StepResult()
    cfg = ctx.config
    _clean_site_leftovers(ctx)

    def stamper(root: bytes) -> bytes:
        key = f"site-{root.hex()}.tst"
        token = _cached(ctx, key)
        if token is None:
            ctx.progress("time-stamping the site root")
            token = stamp_quorum(list(cfg.tsa_urls), root, quorum=1, hash_alg="sha256")[0].token
            _save(ctx, key, token)
        return token

    ctx.progress("building the site")
    roots = load_certificates(cfg.tsa_roots, what=cfg.option("tsa_roots")) if cfg.tsa_roots is not None else None
    phrase = os.environ.get(PASSPHRASE_ENV)
    built = build_site(
        ctx.evidence,
        ctx.path(SITE_DIR),
        packs_dir=ctx.path(PACK_DIR),
        base_url=cfg.base_url or "",
        sign_key=cfg.sign_key if ctx.signer is not None else None,
        passphrase=phrase.encode() if phrase else None,
        timestamper=stamper if cfg.tsa_urls else None,
        tsa_roots=roots,
        log_dir=ctx.path(LOG_DIR) if ctx.state.get("logged") else None,
        log_key=ctx.state.get("log_vkey"),
        previous_checkpoint=_previous_checkpoint(ctx),
        previous_manifest=cfg.previous_manifest,
        pack_trust=ctx.trust,
    )
    ctx.hook("mid")
    logged = bool(ctx.state.get("logged"))
    report = verify_site(
        ctx.path(SITE_DIR),
        trust=ctx.trust,
        tsa_roots=roots,
        previous=cfg.previous_manifest,
        log_key=ctx.state.get("log_vkey"),
        require_log=logged,
    )
    obj = report.to_dict()
    ctx.write(f"{VERIFY_DIR}/site.json", to_json_bytes(obj), out)
    out.outputs.append(f"{SITE_DIR}/site-manifest.json")
    if cfg.tsa_urls:
        out.outputs.append(f".build/tokens/site-{built.root}.tst")
    out.state = {
        "site_root": built.root,
        "site_valid": report.valid,
        "site_files": built.files,
        "previous_manifest_root": report.previous_root,
    }
    return out


PUBLISH_STEPS = [
    ("pack", "Release pack (evidence and reports), signed", pack_step),
    ("timestamp", "RFC 3161 time-stamps over the pack root", timestamp_step),
    ("log", "Transparency log and the pack's inclusion proof", log_step),
    ("parity", "Reed-Solomon parity sidecar beside the pack", parity_step),
    ("verify", "Verify the pack", verify_step),
    ("site", "Static site, signed, then verified", site_step),
]
