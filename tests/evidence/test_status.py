"""The one certificate status rule: every status, its boundaries, and the precedence between them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from glyphserpack.evidence.status import (
    STATUSES,
    CertificateFacts,
    certificate_status,
    with_log,
)

ISSUED = "2026-01-01T00:00:00Z"
UNTIL = "2027-01-01T00:00:00Z"
SUNSET = "2028-01-01T00:00:00Z"
REVOKED = "2026-06-01T00:00:00Z"
SUPERSEDED = "2026-04-01T00:00:00Z"
BASE = CertificateFacts(issued_utc=ISSUED, valid_until_utc=UNTIL, sunset_utc=SUNSET, verdict="PASS")


def status(facts: CertificateFacts, at: str | None) -> str:
    return certificate_status(facts, at).status


@pytest.mark.parametrize(
    ("at", "want"),
    [
        ("2025-12-31T23:59:59Z", "not_yet_valid"),
        (ISSUED, "valid"),  # valid from its issuance, inclusive
        ("2026-07-01T00:00:00Z", "valid"),
        (UNTIL, "valid"),  # ... to valid_until_utc, inclusive
        ("2027-01-01T00:00:01Z", "expired"),
        ("2028-01-01T00:00:01Z", "sunset"),  # past both: the retired class dominates
    ],
)
def test_plain_certificate_over_time(at: str, want: str) -> None:
    assert status(BASE, at) == want


def test_sunset_before_expiry_is_sunset() -> None:
    facts = replace(BASE, sunset_utc="2026-09-01T00:00:00Z")
    assert status(facts, "2026-08-31T00:00:00Z") == "valid"
    assert status(facts, "2026-09-02T00:00:00Z") == "sunset"


def test_revocation_takes_effect_at_its_time_not_before() -> None:
    facts = replace(BASE, revoked_utc=REVOKED, revocation_reason="keyCompromise")
    assert status(facts, "2026-05-31T23:59:59Z") == "valid"
    st = certificate_status(facts, REVOKED)
    assert (st.status, st.since) == ("revoked", REVOKED)
    assert "keyCompromise" in st.reason
    assert status(facts, "2029-01-01T00:00:00Z") == "revoked"  # outranks expiry and sunset


def test_supersession_takes_effect_at_the_successors_issue_time() -> None:
    facts = replace(BASE, superseded_utc=SUPERSEDED, superseded_by="ab" * 32)
    assert status(facts, "2026-03-31T00:00:00Z") == "valid"
    assert status(facts, SUPERSEDED) == "superseded"
    assert status(facts, "2029-01-01T00:00:00Z") == "superseded"  # a replaced certificate running out is history
    assert status(replace(facts, revoked_utc=REVOKED), "2026-05-01T00:00:00Z") == "superseded"
    assert status(replace(facts, revoked_utc=REVOKED), REVOKED) == "revoked"


def test_recorded_expiry_counts_from_its_time() -> None:
    facts = replace(BASE, expired_utc="2026-03-01T00:00:00Z")
    assert status(facts, "2026-02-01T00:00:00Z") == "valid"
    assert status(facts, "2026-03-01T00:00:00Z") == "expired"


def test_failed_verdict_dominates_every_time() -> None:
    facts = replace(BASE, verdict="FAIL", revoked_utc=REVOKED)
    for at in ("2025-01-01T00:00:00Z", "2026-07-01T00:00:00Z", "2029-01-01T00:00:00Z", None):
        assert status(facts, at) == "failed"


def test_unverified_signature_dominates_everything() -> None:
    facts = replace(BASE, verdict="FAIL", signature_ok=False, revoked_utc=REVOKED)
    st = certificate_status(facts, "2026-07-01T00:00:00Z")
    assert st.status == "invalid"
    assert "signature" in st.reason


def test_a_log_backed_registry_does_not_vouch_for_what_its_log_never_issued() -> None:
    unlogged = with_log(replace(BASE, revoked_utc=REVOKED), None)
    st = certificate_status(unlogged, "2026-07-01T00:00:00Z")
    assert (st.status, "transparency log" in st.reason) == ("invalid", True)
    # ... but a failed certification is still "failed" (it is never logged)
    assert status(replace(unlogged, verdict="FAIL"), "2026-07-01T00:00:00Z") == "failed"


def test_with_log_takes_lifecycle_events_from_the_log_and_the_rest_from_the_evidence() -> None:
    evidence = replace(BASE, revoked_utc="2026-02-01T00:00:00Z")  # the log has not recorded it
    logged = CertificateFacts(issued_utc=ISSUED, valid_until_utc=UNTIL, superseded_utc=SUPERSEDED)
    merged = with_log(evidence, logged)
    assert (merged.logged, merged.revoked_utc, merged.superseded_utc) == (True, None, SUPERSEDED)
    assert (merged.sunset_utc, merged.verdict) == (SUNSET, "PASS")
    assert status(merged, "2026-03-01T00:00:00Z") == "valid"
    assert status(merged, "2026-05-01T00:00:00Z") == "superseded"


def test_without_a_time_only_recorded_events_count() -> None:
    assert status(BASE, None) == "valid"  # no clock: neither not_yet_valid, expired nor sunset
    assert status(replace(BASE, expired_utc=UNTIL), None) == "expired"
    assert status(replace(BASE, revoked_utc=REVOKED, superseded_utc=SUPERSEDED), None) == "revoked"


def test_precedence_is_the_documented_order() -> None:
    """Each status, made to hold together with every status after it, wins over them all."""
    at = "2029-01-01T00:00:00Z"
    every = replace(
        BASE,
        issued_utc="2030-01-01T00:00:00Z",  # not yet valid at ``at``
        superseded_utc="2020-01-01T00:00:00Z",
        sunset_utc="2020-01-01T00:00:00Z",
        valid_until_utc="2020-01-01T00:00:00Z",
        revoked_utc="2020-01-01T00:00:00Z",
        verdict="FAIL",
        signature_ok=False,
    )
    peel = [
        ("invalid", {"signature_ok": True}),
        ("failed", {"verdict": "PASS"}),
        ("revoked", {"revoked_utc": None}),
        ("not_yet_valid", {"issued_utc": ISSUED}),
        ("superseded", {"superseded_utc": None}),
        ("sunset", {"sunset_utc": SUNSET.replace("2028", "2099")}),
        ("expired", {"valid_until_utc": "2099-01-01T00:00:00Z"}),
        ("valid", {}),
    ]
    seen = []
    for want, remove in peel:
        assert status(every, at) == want
        seen.append(want)
        every = replace(every, **remove)  # type: ignore[arg-type]
    assert tuple(seen) == STATUSES
