"""Chaos: recovery transcripts are read and each claim of the proof pack recomputed (GSP-E041/E042).

Transcript format (one scenario per file, UTF-8, every line ending in LF, nothing else)::

    [t+015s] chaos-wal-01: invariant recover_to_last_commit: PASS
    [final] chaos-wal-01: recovered
    [final] chaos-wal-01: NOT RECOVERED, data loss

Timed lines carry seconds since fault injection (non-decreasing), the scenario id, and one
invariant's result, ``PASS`` or ``FAIL``; each invariant appears at most once. Exactly one
``[final]`` line ends the transcript: ``recovered``, or ``NOT RECOVERED`` with an optional
reason after a comma. Anything else is malformed (GSP-E041) and nothing is recomputed from it.

Recomputed: each invariant's result (the pack's ``invariant_results`` must equal the
transcript's, no more, no fewer) and the final verdict (``PASS`` only when the transcript ends
``recovered`` and every invariant in it passed); a transcript for another scenario id is a
contradiction too (GSP-E042).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from glyphserpack.evidence.attest.reading import AttachmentError, linked_bytes
from glyphserpack.evidence.loader import Document, EvidenceTree
from glyphserpack.evidence.productization import ChaosProofPack, ChaosScenario
from glyphserpack.findings import Finding, finding

__all__ = ["TRANSCRIPT_LIMIT", "Transcript", "TranscriptError", "parse_transcript", "transcript_findings"]

#: A transcript is a few lines per invariant; 1 MiB is generous and keeps a hostile file cheap.
TRANSCRIPT_LIMIT = 1024 * 1024

_ID = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}"
_TIMED = re.compile(rf"\[t\+(?P<t>[0-9]{{3,7}})s\] (?P<sid>{_ID}): invariant (?P<inv>{_ID}): (?P<res>PASS|FAIL)")
_FINAL = re.compile(rf"\[final\] (?P<sid>{_ID}): (?P<out>recovered|NOT RECOVERED(?:, [^\x00-\x1f\x7f]{{1,200}})?)")


class TranscriptError(ValueError):
    """A transcript that does not follow the format; the message names the line."""


@dataclass(frozen=True)
class Transcript:
    """What a transcript says: invariant -> (result, line number), the final line and the ids it names."""

    scenario_ids: frozenset[str]
    invariants: dict[str, tuple[str, int]]
    final: str
    final_line: int

    @property
    def verdict(self) -> str:
        """PASS only when recovery is reported and no invariant failed."""
        ok = self.final == "recovered" and all(r == "PASS" for r, _ in self.invariants.values())
        return "PASS" if ok else "FAIL"


def parse_transcript(data: bytes) -> Transcript:
    """Parse a transcript strictly (module docstring); raises :class:`TranscriptError`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TranscriptError(f"not UTF-8 (byte {exc.start})") from None
    if not text.endswith("\n"):
        raise TranscriptError("empty, or the last line does not end in LF")
    lines = text[:-1].split("\n")
    ids: set[str] = set()
    invariants: dict[str, tuple[str, int]] = {}
    last_t = -1
    for n, line in enumerate(lines[:-1], start=1):
        m = _TIMED.fullmatch(line)
        if m is None:
            what = "a [final] line before the end" if _FINAL.fullmatch(line) else "not a transcript line"
            raise TranscriptError(f"line {n}: {what}: {line[:80]!r}")
        t = int(m["t"])
        if t < last_t:
            raise TranscriptError(f"line {n}: time goes backwards (t+{t}s after t+{last_t}s)")
        last_t = t
        if m["inv"] in invariants:
            raise TranscriptError(f"line {n}: invariant {m['inv']} reported twice")
        invariants[m["inv"]] = (m["res"], n)
        ids.add(m["sid"])
    m = _FINAL.fullmatch(lines[-1])
    if m is None:
        raise TranscriptError(f"line {len(lines)}: the last line must be [final]: {lines[-1][:80]!r}")
    ids.add(m["sid"])
    return Transcript(frozenset(ids), invariants, m["out"], len(lines))


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
            f"(line {t.final_line}: {t.final!r})",
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
