"""Fixity audits over many packs: full or sampled, resumable, rate-limited, logged.

Each pack gets one hash-chained log entry (``auditlog``) saying what was checked and what
was found; a ``--state`` file remembers which packs of the current run are done, so an
interrupted run resumes where it stopped. Sampling is deterministic: block ``i`` of pack
``name`` is checked iff the first 8 bytes of ``SHA-256(seed NUL name NUL i)`` as a
big-endian integer are below ``fraction * 2^64``; the seed is recorded in the log.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glyphserpack import canonical
from glyphserpack._internal import jsonout, jsontext
from glyphserpack._internal.parity.check import ParityStatus, assess
from glyphserpack.errors import GlyphserpackError, InputError
from glyphserpack.findings import Finding, finding
from glyphserpack.parity.auditlog import AuditLog
from glyphserpack.parity.encode import sidecar_path
from glyphserpack.trust import TrustStore

__all__ = ["AuditOptions", "AuditSummary", "Throttle", "discover", "run_audit", "sampled"]

SUFFIX = ".glyphserpack"
_MAX_FINDINGS = 50


class Throttle:
    """Keeps the average read rate at or below ``rate`` bytes per second."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate, self.clock, self.sleep = rate, clock, sleep
        self.start = clock()
        self.used = 0

    def __call__(self, nbytes: int) -> None:
        if self.rate is None:
            return
        self.used += nbytes
        ahead = self.used / self.rate - (self.clock() - self.start)
        if ahead > 0:
            self.sleep(ahead)


@dataclass(frozen=True)
class AuditOptions:
    now: str
    sample: float | None = None
    seed: str = ""
    trust: TrustStore | None = None

    @property
    def mode(self) -> str:
        return "full" if self.sample is None else "sample"

    def sample_text(self) -> str:
        return "100%" if self.sample is None else f"{self.sample * 100:g}%"


@dataclass
class AuditSummary:
    """Entries written by this invocation; ``statuses`` also covers packs done before a resume."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    resumed: bool = False
    head: str = ""

    @property
    def damaged(self) -> list[str]:
        return sorted(n for n, s in self.statuses.items() if s != "ok")


def discover(targets: Sequence[Path]) -> list[tuple[str, Path]]:
    """(name in the log, path) of every pack: a directory is walked, a list file is read."""
    found: dict[str, Path] = {}
    for target in targets:
        if target.is_dir():
            for p in sorted(target.rglob(f"*{SUFFIX}")):
                if p.is_file() and not p.is_symlink():
                    found[p.relative_to(target).as_posix()] = p
        elif target.name.endswith(SUFFIX):
            found[target.name] = target
        elif target.is_file():
            for line in target.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    found[line] = (target.parent / line) if not Path(line).is_absolute() else Path(line)
        else:
            raise InputError(f"audit target {target}: no such directory, pack or list file")
    return sorted(found.items(), key=lambda kv: kv[0].encode())


def sampled(seed: str, name: str, count: int, fraction: float, always: Sequence[int] = ()) -> list[int]:
    """Deterministic sample of ``range(count)`` (see the module docstring), plus ``always``."""
    bound = int(fraction * (1 << 64))
    pick = {i for i in always if 0 <= i < count}
    prefix = f"{seed}\0{name}\0".encode()
    for i in range(count):
        if int.from_bytes(hashlib.sha256(prefix + str(i).encode()).digest()[:8], "big") < bound:
            pick.add(i)
    return sorted(pick)


def _finding_list(findings: Sequence[Finding]) -> list[list[str]]:
    rows = sorted({(f.code, f.where, f.detail) for f in findings if f.severity != "info" or f.code == "GSP-E504"})
    return [list(r) for r in rows[:_MAX_FINDINGS]]


def _parity_sample(name: str, path: Path, par: Path, opts: AuditOptions, throttle: Throttle) -> ParityStatus:
    assert opts.sample is not None
    head = assess(path, par, blocks=(), parity_blocks=())
    g = head.geometry
    if g is None:
        return head
    blocks = sampled(opts.seed, name, g.data_blocks, opts.sample, always=(0, g.data_blocks - 1, g.data_blocks - 2))
    parity = sampled(opts.seed, name + "\0parity", g.parity_blocks, opts.sample)
    return assess(path, par, blocks=blocks, parity_blocks=parity, on_read=throttle)


def _frames_sample(name: str, path: Path, opts: AuditOptions, throttle: Throttle) -> tuple[list[Finding], int]:
    """Spot-check frames of a pack without parity against the index's SHA-256 list."""
    from glyphserpack._internal.pack.frames import TrailerProblem
    from glyphserpack._internal.pack.reader import FrameDamage, RawPack

    assert opts.sample is not None
    try:
        raw = RawPack(path)
    except TrailerProblem as exc:
        return [finding(exc.code, "trailer", exc.detail)], 0
    out: list[Finding] = []
    checked = 0
    with raw:
        idx = raw.index
        for i in sampled(opts.seed, name, len(idx.frames), opts.sample, always=(idx.tail_frame,)):
            try:
                raw.frame(i)
            except FrameDamage as exc:
                out.append(finding(exc.code, f"frame {i}", exc.detail))
            checked += idx.frames[i].c_size
            throttle(idx.frames[i].c_size)
    return out, checked


def audit_pack(name: str, path: Path, opts: AuditOptions, throttle: Throttle) -> dict[str, Any]:
    """One log entry body for one pack."""
    from glyphserpack.pack import verify

    entry: dict[str, Any] = {"kind": "pack", "pack": name, "time": opts.now, "mode": opts.mode}
    par = sidecar_path(path)
    findings: list[Finding] = []
    members: list[str] = []
    status: ParityStatus | None = None
    checked = 0
    try:
        entry["size"] = path.stat().st_size
    except OSError as exc:
        findings.append(finding("GSP-E514", name, f"cannot stat: {exc.strerror}"))
    else:
        # The pack check and the parity check run independently: a pack too damaged to open
        # at all may still be fully repairable from its parity.
        try:
            if opts.sample is None:
                report = verify(path, trust=opts.trust, parity=False)  # parity: below, sampled or throttled
                throttle(entry["size"])
                checked += entry["size"]
                findings += report.findings
                members = sorted(set(report.damaged_members))
                if report.root_hash is not None:
                    entry["root_hash"] = report.root_hash
            elif not par.exists():
                found, checked = _frames_sample(name, path, opts, throttle)
                findings += found
        except (GlyphserpackError, OSError) as exc:
            msg = exc.message if isinstance(exc, GlyphserpackError) else str(exc)
            findings.append(finding("GSP-E514", name, msg))
        if par.exists():
            try:
                if opts.sample is None:
                    status = assess(path, par, on_read=throttle)
                else:
                    status = _parity_sample(name, path, par, opts, throttle)
            except (GlyphserpackError, OSError) as exc:
                msg = exc.message if isinstance(exc, GlyphserpackError) else str(exc)
                findings.append(finding("GSP-E514", par.name, msg))
    if status is not None:
        findings += status.findings()
        checked += status.checked_bytes
        entry["parity"] = "intact" if status.intact else "damaged"
    else:
        entry["parity"] = "absent"
    damaged = any(f.severity == "error" for f in findings) or (status is not None and not status.intact)
    if not damaged:
        entry["status"] = "ok"
    elif status is not None and status.repairable:
        entry["status"] = "repairable"
    else:
        entry["status"] = "damaged"
    entry["findings"] = _finding_list(findings)
    entry["damaged_members"] = members
    entry["checked_bytes"] = checked
    return entry


def _run_id(packs: Sequence[tuple[str, Path]], opts: AuditOptions) -> str:
    params = {"packs": [n for n, _ in packs], "mode": opts.mode, "sample": opts.sample_text(), "seed": opts.seed}
    return canonical.commit_hash("glyphserpack.audit.run", dict(params, time=opts.now)).hex()[:32]


def _load_state(path: Path | None, run: str) -> dict[str, str]:
    if path is None or not path.exists():
        return {}
    try:
        state = jsontext.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"audit state {path}: unreadable ({exc})", remedy="delete it to start a fresh run") from None
    if not isinstance(state, dict) or state.get("run") != run or state.get("complete"):
        return {}
    done = state.get("done")
    if not isinstance(done, dict):
        return {}
    return {k: v for k, v in done.items() if isinstance(k, str) and isinstance(v, str)}


def _save_state(path: Path | None, run: str, done: dict[str, str], head: str, complete: bool) -> None:
    if path is None:
        return
    state = {"state_version": 1, "run": run, "done": done, "head": head, "complete": complete}
    jsonout.write_json(path, state)


def run_audit(
    targets: Sequence[Path],
    *,
    opts: AuditOptions,
    log: Path | None = None,
    state: Path | None = None,
    throttle: Throttle | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> AuditSummary:
    """Audit every pack under ``targets``; resume a matching unfinished run from ``state``."""
    packs = discover(targets)
    run = _run_id(packs, opts)
    done = _load_state(state, run)
    throttle = throttle or Throttle(None)
    book = AuditLog(log) if log is not None else None
    summary = AuditSummary(statuses=dict(done), resumed=bool(done))

    def record(body: dict[str, Any]) -> dict[str, Any]:
        entry = book.append(dict(body, run=run)) if book is not None else dict(body, run=run)
        summary.entries.append(entry)
        return entry

    if not done:
        record(
            {
                "kind": "run-start",
                "time": opts.now,
                "mode": opts.mode,
                "sample": opts.sample_text(),
                "seed": opts.seed,
                "packs": len(packs),
            }
        )
    for name, path in _todo(packs, done):
        entry = record(audit_pack(name, path, opts, throttle))
        done[name] = summary.statuses[name] = entry["status"]
        _save_state(state, run, done, book.head if book else "", False)
        if progress is not None:
            progress(entry)
    record(
        {
            "kind": "run-end",
            "time": opts.now,
            "packs": len(packs),
            "audited": len(done),
            "damaged": summary.damaged,
        }
    )
    summary.head = book.head if book is not None else ""
    _save_state(state, run, done, summary.head, True)
    return summary


def _todo(packs: Sequence[tuple[str, Path]], done: dict[str, str]) -> Iterator[tuple[str, Path]]:
    return (p for p in packs if p[0] not in done)
