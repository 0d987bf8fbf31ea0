"""``glyphserpack build`` and ``glyphserpack demo``: the one-command job, with progress and resume."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import click

from glyphserpack._internal import jsonout
from glyphserpack.errors import GlyphserpackError
from glyphserpack.release.pipeline import BuildOutcome

if TYPE_CHECKING:
    from glyphserpack.release.demo import DemoOutcome

EXIT_INTERRUPTED = 130
log = logging.getLogger("glyphserpack.release")


class _Progress:
    """Rich progress on a terminal, log lines with ``-v``, silence otherwise (pipes, ``--json``)."""

    def __init__(self, *, verbose: bool, enabled: bool) -> None:
        self.verbose = verbose
        self.current = ""
        self._rich: Any = None
        self._task: Any = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._rich = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> _Progress:
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._rich is not None:
            self._rich.stop()

    def step_started(self, index: int, total: int, name: str, title: str) -> None:
        self.current = name
        if self._rich is not None:
            if self._task is None:
                self._task = self._rich.add_task(title, total=total, completed=index - 1)
            self._rich.update(self._task, description=f"{index:>2}. {title}", completed=index - 1)
        log.info("step %d/%d %s: %s", index, total, name, title)

    def step_finished(self, index: int, total: int, name: str, *, reused: bool, seconds: float) -> None:
        if self._rich is not None and self._task is not None:
            self._rich.update(self._task, completed=index)
        if reused:
            log.info("step %d/%d %s: reused from the checkpoint", index, total, name)
        else:
            log.info("step %d/%d %s: done in %.2fs", index, total, name, seconds)

    def message(self, text: str) -> None:
        if self._rich is not None and self._task is not None:
            self._rich.update(self._task, description=f"    {text}")
        log.info("%s", text)


def _setup_logging(verbose: bool) -> None:
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr, force=True)


def _report(outcome: BuildOutcome, as_json: bool, seconds: float, extra: dict[str, Any] | None = None) -> int:
    s = outcome.summary
    out = outcome.out
    site = (out / "site" / "index.html").resolve()
    if as_json:
        doc = {k: v for k, v in s.items() if k != "steps"}
        doc.update(out=str(out), site_index=site.as_uri(), exit_code=outcome.exit_code)
        doc["reused_steps"] = list(outcome.reused_steps)
        doc.update(extra or {})
        click.echo(jsonout.dumps(doc))
        return outcome.exit_code
    _echo_release(outcome)
    click.echo(f"  open     {site.as_uri()}")
    click.echo(f"      or   glyphserpack site serve {out / 'site'}   (then http://127.0.0.1:8000/)")
    click.echo(f"  done in {seconds:.1f}s")
    return outcome.exit_code


def _echo_release(outcome: BuildOutcome) -> None:
    """The lines that say what one build made: verdict, reports, pack, parity, log, site."""
    s = outcome.summary
    out = outcome.out
    pack = s["pack"]
    facts = ["VALID" if s["pack_valid"] else "INVALID", "signed" if pack["signed"] else "unsigned"]
    facts += ["time-stamped"] if s["timestamped"] else []
    facts += ["logged"] if s["log"] else []
    click.echo(f"{s['release_id']} ({s['profile_id']}): upgrade gate {s['upgrade_gate_verdict']}")
    if outcome.reused_steps:
        click.echo(f"  resumed: {len(outcome.reused_steps)} completed step(s) reused")
    click.echo(f"  reports  {out / 'reports'}")
    click.echo(f"  pack     {out / 'packs' / pack['name']}  root {pack['root_hash'][:16]}…  {', '.join(facts)}")
    if s["parity"]:
        par = s["parity"]
        click.echo(f"  parity   {out / 'packs' / par['sidecar']}  ({par['ratio']}, {par['size']} bytes)")
    if s["log"] and "previous_size" in s["log"]:
        grown = s["log"]["size"] - s["log"]["previous_size"]
        click.echo(f"  log      {out / 'log'}  ({s['log']['size']} entries, {grown} since the previous release)")
    elif s["log"]:
        click.echo(f"  log      {out / 'log'}  ({s['log']['size']} entries)")
    chained = f"  chained to {s['previous_manifest_root'][:16]}…" if s["previous_manifest_root"] else ""
    click.echo(f"  site     {out / 'site'}  {'VALID' if s['site_valid'] else 'INVALID'}{chained}")


def _interrupted(out: Path, progress: _Progress, resume_hint: str) -> int:
    step = f" during step {progress.current!r}" if progress.current else ""
    click.echo(f"glyphserpack: interrupted{step}; completed steps are saved in {out} — {resume_hint}", err=True)
    return EXIT_INTERRUPTED


@click.command("build")
@click.argument("evidence", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--profile", type=click.Choice(["core", "enterprise", "regulated"]), help="Profile to check against.")
@click.option("--tsa", "tsa_urls", multiple=True, metavar="URL", help="RFC 3161 TSA (repeatable).")
@click.option("--quorum", type=int, help="How many TSAs must answer (default 1).")
@click.option("--tsa-roots", type=click.Path(dir_okay=False, path_type=Path), help="TSA trust roots (PEM).")
@click.option("--sign-key", type=click.Path(dir_okay=False, path_type=Path), help="Ed25519 key (PEM) to sign with.")
@click.option("--trust", "trust_dir", type=click.Path(file_okay=False, path_type=Path), help="Trust directory.")
@click.option("--base-url", help="Where the site will be published (sitemap, log origin).")
@click.option(
    "--log",
    "log_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The registry's long-lived transparency log (made once with `log init`): append this release to it.",
)
@click.option(
    "--parity",
    metavar="RATIO|off",
    help="Reed-Solomon parity sidecar PACK.par beside the pack, e.g. 5% of its size (default), or off.",
)
@click.option(
    "--previous-manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The previous release's site-manifest.json: the new site records its root (a hash chain).",
)
@click.option("--resume", is_flag=True, help="Continue an interrupted build in OUT (same inputs and options).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
def build(
    evidence: Path,
    out: Path,
    profile: str | None,
    tsa_urls: tuple[str, ...],
    quorum: int | None,
    tsa_roots: Path | None,
    sign_key: Path | None,
    trust_dir: Path | None,
    base_url: str | None,
    log_dir: Path | None,
    parity: str | None,
    previous_manifest: Path | None,
    resume: bool,
    as_json: bool,
    verbose: bool,
) -> int:
    """Check EVIDENCE and publish it: reports, signed time-stamped pack, log, site.

    Runs the ten steps of the productization plan, then pack, time-stamp, log,
    parity, verify and site, recording each in OUT/.glyphserpack-build.json so that
    --resume continues an interrupted build to byte-identical results. Settings
    come from EVIDENCE/glyphserpack.toml (see docs/build.md); flags override it.

    Without --log each build makes a self-contained log in OUT/log. With --log
    LOG_DIR (created once with `glyphserpack log init`, same key as --sign-key)
    the build appends the entries LOG_DIR lacks, the site carries the consistency
    proof from LOG_DIR's checkpoint before this release, and OUT/log is a copy.

    The pack gets a parity sidecar (--parity, default 5%) computed after the
    time-stamps and the log proof are attached; the site publishes it beside the
    pack. --previous-manifest chains the site to the previous release's site.

    \b
    Exit status: 0 gate PASS and everything verified, 1 gate FAIL or a
    verification failed (outputs are still written; also a --log whose history
    does not verify, refused before appending), 2 invalid input or usage,
    130 interrupted (resumable).
    \b
    Example:
      glyphserpack build evidence/ -o dist/ --profile regulated \\
          --tsa https://tsa.example/tsr --sign-key ../keys/release.pem --trust ../trust
      glyphserpack build evidence/ -o dist/ --resume
      glyphserpack log init ../registry-log --origin certs.example/log --key ../keys/release.pem
      glyphserpack build evidence/ -o dist/ --sign-key ../keys/release.pem --log ../registry-log
      glyphserpack build evidence/ -o dist/ --parity 10% --previous-manifest ../1.3.0/site-manifest.json \\
          --sign-key ../keys/release.pem --log ../registry-log
    """
    from glyphserpack.release.config import load_config
    from glyphserpack.release.pipeline import BuildRequest, run_build

    _setup_logging(verbose)
    config = load_config(evidence).override(
        profile=profile,
        tsa_urls=tsa_urls,
        quorum=quorum,
        tsa_roots=tsa_roots,
        sign_key=sign_key,
        trust=trust_dir,
        base_url=base_url,
        log=log_dir,
        parity=parity,
        previous_manifest=previous_manifest,
    )
    started = time.perf_counter()
    progress = _Progress(verbose=verbose, enabled=not as_json)
    try:
        with progress:
            outcome = run_build(BuildRequest(evidence, out, config, resume=resume), progress)
    except KeyboardInterrupt:
        return _interrupted(out, progress, "rerun the same command with --resume")
    except GlyphserpackError as exc:
        if progress.current:  # failed inside a step: everything before it is saved
            more = f"steps before {progress.current!r} are saved; fix this and rerun with --resume"
            exc.remedy = f"{exc.remedy}; {more}" if exc.remedy else more
        raise
    return _report(outcome, as_json, time.perf_counter() - started)


@click.command("demo")
@click.option(
    "-o",
    "--out",
    "out",
    default=Path("dist"),
    show_default=True,
    type=click.Path(path_type=Path),
    help="Output directory.",
)
@click.option("--evidence", type=click.Path(file_okay=False, path_type=Path), help="Evidence tree (default: bundled).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@click.option("-v", "--verbose", is_flag=True, help="Log each step to stderr.")
def demo(out: Path, evidence: Path | None, as_json: bool, verbose: bool) -> int:
    """Build a registry of the bundled example releases; needs nothing else.

    Starts an embedded RFC 3161 TSA on a free loopback port, creates a throw-away
    signing key (outside OUT, deleted afterwards) and a registry log in
    OUT/registry/log, then builds the bundled releases (glyphser 1.3.0, 1.4.0,
    2.0.0) in version order into OUT/registry/releases/RELEASE_ID/, each one
    appending to that log and chaining its site to the previous release's; a
    revocation made between two releases is logged before the next build.
    OUT/site is the registry's site; OUT/trust/ holds the public keys and TSA
    root a reader needs to verify packs and sites. --evidence DIR builds that
    one tree instead. A previous demo in OUT is replaced.

    \b
    Example:
      glyphserpack demo -o dist/
      glyphserpack site serve dist/site
    """
    from glyphserpack.release.demo import run_demo

    _setup_logging(verbose)
    started = time.perf_counter()
    progress = _Progress(verbose=verbose, enabled=not as_json)
    try:
        with progress:
            result = run_demo(out, evidence=evidence, reporter=progress)
    except KeyboardInterrupt:
        return _interrupted(out, progress, "the demo starts over when run again")
    return _report_demo(out, result, as_json, time.perf_counter() - started)


def _report_demo(out: Path, result: DemoOutcome, as_json: bool, seconds: float) -> int:
    """Every release's lines, the revocations logged between them, then where the registry is."""
    newest = result.build
    site = (result.site / "index.html").resolve()
    packs = [r.out / "packs" / r.summary["pack"]["name"] for r in result.releases]
    if as_json:
        doc = {k: v for k, v in newest.summary.items() if k != "steps"}
        doc.update(out=str(out), site_index=site.as_uri(), exit_code=result.exit_code)
        doc.update(registry=str(result.registry), trust_dir=str(result.trust_dir), tsa_roots=str(result.tsa_roots))
        doc["revocations_logged"] = [line for lines in result.revocations for line in lines]
        doc["releases"] = [
            {
                "release_id": r.summary["release_id"],
                "out": str(r.out),
                "pack": str(pack),
                "upgrade_gate_verdict": r.verdict,
                "exit_code": r.exit_code,
            }
            for r, pack in zip(result.releases, packs, strict=True)
        ]
        click.echo(jsonout.dumps(doc))
        return result.exit_code
    for outcome, logged in zip(result.releases, result.revocations, strict=True):
        for line in logged:  # logged between the previous release and this one
            click.echo(line)
        _echo_release(outcome)
    log = newest.summary["log"]
    click.echo(f"registry {result.registry}  ({len(result.releases)} release(s), log of {log['size']} entries)")
    click.echo(f"  site     {result.site}  (the newest release's site until the registry site lands)")
    click.echo(f"  open     {site.as_uri()}")
    click.echo(f"      or   glyphserpack site serve {result.site}   (then http://127.0.0.1:8000/)")
    click.echo(f"  verify   glyphserpack verify {packs[-1]} --trust {result.trust_dir}")
    roots = result.tsa_roots
    click.echo(f"           glyphserpack site verify {result.site} --trust {result.trust_dir} --tsa-roots {roots}")
    click.echo(f"  done in {seconds:.1f}s")
    return result.exit_code
