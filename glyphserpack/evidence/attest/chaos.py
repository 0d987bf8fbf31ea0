"""Chaos: recovery transcripts are read and each claim of the proof pack recomputed (GSP-E041/E042).

Transcript format: JSON Lines, one scenario per file. UTF-8, one JSON object per line, every
line ending in LF (no CR, no blank lines), at most :data:`TRANSCRIPT_LIMIT` bytes and
:data:`TRANSCRIPT_LINE_LIMIT` lines. Each object is one event, told apart by ``"event"``;
every event carries ``t_ms`` (integer milliseconds since the fault was injected) and the
``scenario_id``; no other members, no duplicate keys::

    {"event":"fault_injected","t_ms":0,"scenario_id":"chaos-wal-01","fault":"truncate last WAL segment mid-record"}
    {"event":"recovery_step","t_ms":1200,"scenario_id":"chaos-wal-01","step":"detected","detail":"CRC mismatch"}
    {"event":"invariant","t_ms":1250,"scenario_id":"chaos-wal-01","invariant":"corruption_detected","result":"PASS"}
    {"event":"final","t_ms":9100,"scenario_id":"chaos-wal-01","outcome":"recovered","data_loss":false}

Rules (anything else is malformed, GSP-E041, and nothing is recomputed from it): the first
event is ``fault_injected`` at ``t_ms`` 0 and no other event is; ``t_ms`` never decreases;
each invariant is reported at most once (``result`` ``PASS`` or ``FAIL``, optional
``detail``); ``recovery_step`` events (``step``, ``detail``) are informative only; exactly one
``final`` event (``outcome`` ``recovered`` or ``not_recovered``, ``data_loss``, and a
``reason``, required unless recovered without data loss) and it is the last line.

Recomputed: each invariant's result (the pack's ``invariant_results`` must equal the
transcript's, no more, no fewer) and the final verdict (``PASS`` only when the outcome is
``recovered``, without data loss, and every invariant in the transcript passed); a transcript
naming another scenario id is a contradiction too (GSP-E042). The proof pack claims no
recovery time, so none is recomputed; the transcript's ``final.t_ms`` is where one would be.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter, ValidationError, model_validator

from glyphserpack._internal.docload import parse_document
from glyphserpack.errors import InputError
from glyphserpack.evidence.attest.reading import AttachmentError, linked_bytes
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.evidence.models import Ident, Strict, Text, Verdict
from glyphserpack.evidence.productization import ChaosProofPack, ChaosScenario
from glyphserpack.findings import Finding, finding

__all__ = [
    "TRANSCRIPT_LIMIT",
    "TRANSCRIPT_LINE_LIMIT",
    "Transcript",
    "TranscriptError",
    "parse_transcript",
    "transcript_findings",
]

#: A transcript is a few lines per invariant and step; 1 MiB is generous and keeps a hostile file cheap.
TRANSCRIPT_LIMIT = 1024 * 1024
#: Most events one transcript may hold: far above any real recovery, low enough that a file of
#: tiny lines cannot make the check validate millions of objects.
TRANSCRIPT_LINE_LIMIT = 10_000
#: Latest time an event may carry: a week after the fault, in milliseconds.
_MAX_T_MS = 7 * 24 * 3600 * 1000

Millis = Annotated[int, Field(ge=0, le=_MAX_T_MS)]


class _Event(Strict):
    t_ms: Millis
    scenario_id: Ident


class FaultInjected(_Event):
    """The origin of the transcript's clock: what was broken."""

    event: Literal["fault_injected"]
    fault: Text


class RecoveryStep(_Event):
    """What the system did on its way back (detection, rollback, replay); informative only."""

    event: Literal["recovery_step"]
    step: Ident
    detail: Text


class InvariantChecked(_Event):
    """One invariant's result as checked by the chaos harness."""

    event: Literal["invariant"]
    invariant: Ident
    result: Verdict
    detail: Text | None = None


class Final(_Event):
    """How the scenario ended; a failure or data loss must say why."""

    event: Literal["final"]
    outcome: Literal["recovered", "not_recovered"]
    data_loss: bool
    reason: Text | None = None

    @model_validator(mode="after")
    def _reason_when_bad(self) -> Final:
        if (self.outcome != "recovered" or self.data_loss) and self.reason is None:
            raise ValueError("reason is required when not recovered or data was lost")
        return self


Event = Annotated[FaultInjected | RecoveryStep | InvariantChecked | Final, Field(discriminator="event")]
_EVENT: TypeAdapter[FaultInjected | RecoveryStep | InvariantChecked | Final] = TypeAdapter(Event)


class TranscriptError(ValueError):
    """A transcript that does not follow the format; the message names the line."""


@dataclass(frozen=True)
class Transcript:
    """What a transcript says: invariant -> (result, line number), the final event and the ids it names."""

    scenario_ids: frozenset[str]
    invariants: dict[str, tuple[str, int]]
    final: Final
    final_line: int
    steps: int = 0

    @property
    def verdict(self) -> str:
        """PASS only when recovered without data loss and no invariant failed."""
        f = self.final
        ok = f.outcome == "recovered" and not f.data_loss and all(r == "PASS" for r, _ in self.invariants.values())
        return "PASS" if ok else "FAIL"

    @property
    def final_summary(self) -> str:
        """The final event in words, for findings: ``recovered`` or ``not_recovered, data loss: <reason>``."""
        f = self.final
        words = f.outcome + (", data loss" if f.data_loss else "")
        return f"{words}: {f.reason}" if f.reason else words


def _event(line: str, n: int) -> FaultInjected | RecoveryStep | InvariantChecked | Final:
    """One line as an event, or TranscriptError naming the line and what is wrong with it."""
    if not line:
        raise TranscriptError(f"line {n}: empty line")
    if "\r" in line:
        raise TranscriptError(f"line {n}: carriage return (lines end in LF only)")
    try:
        obj = parse_document(line.encode(), name=f"line {n}", fmt="json")  # duplicate keys refused there
    except InputError as exc:
        raise TranscriptError(exc.message) from None
    if not isinstance(obj, dict):
        raise TranscriptError(f"line {n}: not a JSON object")
    try:
        return _EVENT.validate_python(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "event"
        raise TranscriptError(f"line {n}: {where}: {err['msg']}") from None


def parse_transcript(data: bytes) -> Transcript:
    """Parse a JSON Lines transcript strictly (module docstring); raises :class:`TranscriptError`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TranscriptError(f"not UTF-8 (byte {exc.start})") from None
    if not text.endswith("\n"):
        raise TranscriptError("empty, or the last line does not end in LF")
    lines = text[:-1].split("\n")
    if len(lines) > TRANSCRIPT_LINE_LIMIT:
        raise TranscriptError(f"{len(lines)} lines, more than the {TRANSCRIPT_LINE_LIMIT}-line limit")
    ids: set[str] = set()
    invariants: dict[str, tuple[str, int]] = {}
    final: Final | None = None
    steps = 0
    last_t = 0
    for n, line in enumerate(lines, start=1):
        ev = _event(line, n)
        if n == 1 and not isinstance(ev, FaultInjected):
            raise TranscriptError(f"line 1: the first event must be fault_injected, not {ev.event}")
        if n > 1 and isinstance(ev, FaultInjected):
            raise TranscriptError(f"line {n}: fault_injected again (only the first event injects the fault)")
        if isinstance(ev, FaultInjected) and ev.t_ms != 0:
            raise TranscriptError(f"line {n}: fault_injected at t_ms {ev.t_ms}; the clock starts there, at 0")
        if final is not None:
            raise TranscriptError(f"line {n}: {ev.event} after the final event (line {n - 1}); final must be last")
        if ev.t_ms < last_t:
            raise TranscriptError(f"line {n}: time goes backwards (t_ms {ev.t_ms} after {last_t})")
        last_t = ev.t_ms
        ids.add(ev.scenario_id)
        if isinstance(ev, InvariantChecked):
            if ev.invariant in invariants:
                first = invariants[ev.invariant][1]
                raise TranscriptError(f"line {n}: invariant {ev.invariant} reported twice (first on line {first})")
            invariants[ev.invariant] = (ev.result, n)
        elif isinstance(ev, RecoveryStep):
            steps += 1
        elif isinstance(ev, Final):
            final = ev
    if final is None:
        raise TranscriptError(f"line {len(lines)}: the last event must be final, and there is none")
    return Transcript(frozenset(ids), invariants, final, len(lines), steps)


def _scenario(doc: Document, i: int, s: ChaosScenario, t: Transcript) -> Iterator[Finding]:
    path = s.recovery_transcript.path
    head = f"scenarios[{i}] ({s.scenario_id})"
    for other in sorted(t.scenario_ids - {s.scenario_id}):
        yield finding("GSP-E042", doc.path, f"{head}: {path} is a transcript of scenario {other}")
    for r in s.invariant_results:
        said = t.invariants.get(r.invariant)
        if said is None:
            yield finding("GSP-E042", doc.path, f"{head}: claims {r.invariant} {r.verdict}, {path} has no result")
        elif said[0] != r.verdict:
            yield finding(
                "GSP-E042", doc.path, f"{head}: claims {r.invariant} {r.verdict}, {path} line {said[1]} says {said[0]}"
            )
    claimed = {r.invariant for r in s.invariant_results}
    for inv in sorted(set(t.invariants) - claimed):
        yield finding("GSP-E042", doc.path, f"{head}: {path} reports invariant {inv}, the proof pack does not")
    if t.verdict != s.final_recovery_verdict:
        yield finding(
            "GSP-E042",
            doc.path,
            f"{head}: claims final_recovery_verdict {s.final_recovery_verdict}, {path} gives {t.verdict} "
            f"(line {t.final_line}: {t.final_summary!r})",
        )


def transcript_findings(tree: EvidenceTree, doc: Document) -> Iterator[Finding]:
    """GSP-E041 for each unreadable transcript, GSP-E042 for each claim it contradicts."""
    pack = doc.as_(ChaosProofPack)
    for i, s in enumerate(pack.scenarios):
        try:
            data = linked_bytes(tree, s.recovery_transcript, limit=TRANSCRIPT_LIMIT)
            if data is None:
                continue  # a broken link is already a GSP-E004/E005 finding
            transcript = parse_transcript(data)
        except (AttachmentError, TranscriptError) as exc:
            yield finding(
                "GSP-E041", doc.path, f"scenarios[{i}] ({s.scenario_id}): {s.recovery_transcript.path}: {exc}"
            )
            continue
        yield from _scenario(doc, i, s, transcript)
