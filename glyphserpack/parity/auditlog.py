"""The audit log: JSON lines, each entry committing to the one before it.

Every entry carries ``prev`` (the ``hash`` of the previous entry, 64 zeros for the first)
and ``hash = CommitHash("glyphserpack.audit.v1", entry without hash)`` over canonical CBOR,
so editing, removing, inserting or reordering entries breaks the chain. Cutting entries off
the end leaves a valid shorter chain; compare the head with one kept elsewhere
(``--expect-head``, or the ``--state`` file) to catch that too. Lines are rendered in one
canonical JSON form (sorted keys, no spaces), so the file itself is deterministic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glyphserpack import canonical
from glyphserpack._internal import jsonout, jsontext
from glyphserpack._internal.fsio import atomic_write
from glyphserpack.errors import CanonicalError, InputError
from glyphserpack.findings import Finding, finding

__all__ = ["GENESIS", "LOG_TAG", "LOG_VERSION", "AuditLog", "check_log", "entry_hash", "render"]

LOG_TAG = "glyphserpack.audit.v1"
LOG_VERSION = 1
GENESIS = "0" * 64


def entry_hash(body: dict[str, Any]) -> str:
    """Hex ``CommitHash`` of an entry without its ``hash`` field."""
    return canonical.commit_hash(LOG_TAG, {k: v for k, v in body.items() if k != "hash"}).hex()


def render(entry: dict[str, Any]) -> str:
    return jsonout.dumps(entry, compact=True, ensure_ascii=False)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def _parse(line: str) -> dict[str, Any]:
    obj = jsontext.loads(line, object_pairs_hook=_no_duplicates, parse_float=lambda t: float("nan"))
    if not isinstance(obj, dict) or not isinstance(obj.get("hash"), str) or not isinstance(obj.get("prev"), str):
        raise ValueError("not an audit entry (needs hash and prev)")
    if type(obj.get("seq")) is not int:
        raise ValueError("seq is not an integer")
    return obj


class AuditLog:
    """Appends entries to a log file (atomically: the file is rewritten via a temp file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []
        self.head = GENESIS
        self.seq = 0
        if path.exists():
            text = path.read_text(encoding="utf-8")
            self.lines = text.splitlines()
            if self.lines:
                try:
                    last = _parse(self.lines[-1])
                    ok = entry_hash(last) == last["hash"]
                except (ValueError, CanonicalError):
                    ok = False
                if not ok:
                    raise InputError(
                        f"audit log {path}: its last entry is damaged; refusing to extend it",
                        remedy="run `glyphserpack audit --check-log` and start a new log",
                    )
                self.head, self.seq = last["hash"], last["seq"] + 1

    def append(self, body: dict[str, Any]) -> dict[str, Any]:
        entry = dict(body, log_version=LOG_VERSION, seq=self.seq, prev=self.head)
        entry["hash"] = entry_hash(entry)
        self.lines.append(render(entry))
        atomic_write(self.path, ("\n".join(self.lines) + "\n").encode())
        self.head, self.seq = entry["hash"], self.seq + 1
        return entry


def check_log(path: Path, *, expect_head: str | None = None) -> tuple[list[Finding], int, str]:
    """Every finding about the log, the number of entries and the head hash."""
    findings: list[Finding] = []
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"audit log {path}: cannot read ({exc})") from None
    prev, seq, count = GENESIS, 0, 0
    for n, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), start=1):
        where = f"{path.name}:{n}"
        try:
            obj = _parse(line)
            digest = entry_hash(obj)
        except (ValueError, CanonicalError) as exc:
            findings.append(finding("GSP-E510", where, str(exc)))
            prev, seq = "", seq + 1
            continue
        if render(obj) != line:
            findings.append(finding("GSP-E510", where, "not in canonical JSON form"))
        count += 1
        if digest != obj["hash"]:
            findings.append(finding("GSP-E511", where, f"entry hashes to {digest}, records {obj['hash']}"))
        if obj["prev"] != prev or obj["seq"] != seq:
            findings.append(
                finding(
                    "GSP-E512", where, f"seq {obj['seq']} prev {obj['prev'][:16]}… expected seq {seq} prev {prev[:16]}…"
                )
            )
        prev, seq = obj["hash"], obj["seq"] + 1
    if expect_head is not None and prev != expect_head:
        findings.append(finding("GSP-E513", path.name, f"head is {prev or 'unreadable'}, expected {expect_head}"))
    return findings, count, prev
