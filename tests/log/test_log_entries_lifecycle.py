"""Entry validation and the derived certificate lifecycle."""

from __future__ import annotations

from typing import Any

import pytest
from logtest_helpers import TIME, h

from glyphserpack import canonical
from glyphserpack.errors import InputError
from glyphserpack.log.entries import REASON_CODES, decode_entry, encode_entry, entry_digest, make_entry
from glyphserpack.log.lifecycle import derive_states


def issued(n: str, **extra: Any) -> dict[str, Any]:
    return {"type": "certificate_issued", "certificate_hash": h(n), "certificate_id": n, "time_utc": TIME, **extra}


def test_entry_is_canonical_cbor_with_raw_hashes() -> None:
    e = make_entry(issued("c1", not_after_utc="2027-01-01T00:00:00Z"))
    assert e["certificate_hash"] == bytes.fromhex(h("c1"))
    assert e["log_entry_version"] == 1
    blob = encode_entry(e)
    assert blob == canonical.dumps(e)
    assert decode_entry(blob, where="x") == e
    assert entry_digest(e) == canonical.object_digest(e)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"type": "nonsense"}, "is not one of"),
        ({"type": "certificate_issued", "certificate_id": "x", "time_utc": TIME}, "needs certificate_hash"),
        ({**issued("c"), "certificate_hash": "abc"}, "64 hex"),
        ({**issued("c"), "colour": "red"}, "unknown field"),
        ({**issued("c"), "time_utc": "2026-03-01 12:00"}, "UTC time"),
        ({**issued("c"), "log_entry_version": 2}, "log_entry_version"),
        ({"type": "certificate_revoked", "certificate_hash": h("c"), "reason": "bored", "time_utc": TIME}, "RFC 5280"),
        (
            {
                "type": "certificate_revoked",
                "certificate_hash": h("c"),
                "reason": "keyCompromise",
                "reason_code": 4,
                "time_utc": TIME,
            },
            "does not match",
        ),
        ([1, 2], "mapping"),
    ],
)
def test_bad_entries_rejected(doc: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        make_entry(doc)


def test_time_from_source_date_epoch_never_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = issued("c")
    del doc["time_utc"]
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        make_entry(doc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert make_entry(doc)["time_utc"] == "2026-01-01T00:00:00Z"


def test_revocation_reason_codes_are_rfc5280() -> None:
    assert REASON_CODES["keyCompromise"] == 1
    assert REASON_CODES["privilegeWithdrawn"] == 9
    assert REASON_CODES["aACompromise"] == 10
    e = make_entry(
        {"type": "certificate_revoked", "certificate_hash": h("c"), "reason": "cACompromise", "time_utc": TIME}
    )
    assert e["reason_code"] == 2


def fold(docs: list[dict[str, Any]], at: str | None = None):  # type: ignore[no-untyped-def]
    return derive_states(((i, make_entry(d)) for i, d in enumerate(docs)), at=at)


def test_lifecycle_is_derived_from_events() -> None:
    t2 = "2026-04-01T00:00:00Z"
    docs = [
        issued("a", not_after_utc="2026-06-01T00:00:00Z"),
        issued("b"),
        issued("c"),
        issued("d", not_after_utc="2026-05-01T00:00:00Z"),
        {
            "type": "certificate_renewed",
            "certificate_hash": h("a2"),
            "certificate_id": "a2",
            "renews_hash": h("a"),
            "time_utc": t2,
        },
        {"type": "certificate_revoked", "certificate_hash": h("b"), "reason": "keyCompromise", "time_utc": t2},
        {"type": "certificate_expired", "certificate_hash": h("c"), "time_utc": t2},
        {"type": "pack_published", "pack_hash": h("p"), "certificate_hash": h("a2"), "time_utc": t2},
    ]
    report = fold(docs)
    states = {c.certificate_id: c for c in report.certificates.values()}
    assert {k: v.state for k, v in states.items()} == {
        "a": "superseded",
        "a2": "valid",
        "b": "revoked",
        "c": "expired",
        "d": "valid",
    }
    assert states["a"].superseded_by == bytes.fromhex(h("a2"))
    assert (states["b"].revocation_reason, states["b"].revocation_reason_code) == ("keyCompromise", 1)
    assert states["a2"].packs == [bytes.fromhex(h("p"))]
    assert states["b"].history == [1, 5]
    assert report.findings == []
    later = fold(docs, at="2026-05-15T00:00:00Z")
    assert {c.certificate_id: c.state for c in later.certificates.values()}["d"] == "expired"


def test_impossible_events_become_findings() -> None:
    docs = [
        issued("a"),
        {"type": "certificate_revoked", "certificate_hash": h("a"), "reason": "superseded", "time_utc": TIME},
        {"type": "certificate_superseded", "certificate_hash": h("a"), "superseded_by_hash": h("a"), "time_utc": TIME},
        {"type": "certificate_expired", "certificate_hash": h("ghost"), "time_utc": TIME},
        issued("a"),
    ]
    report = fold(docs)
    assert next(iter(report.certificates.values())).state == "revoked"
    assert sorted(f.where for f in report.findings) == ["entry 2", "entry 3", "entry 4"]
    assert {f.code for f in report.findings} == {"GSP-E413"}
