"""Property tests: build → verify round trip, and any damage to our tokens is detected."""

from __future__ import annotations

import datetime as dt
import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glyphserpack._internal.cms.build import TokenSpec, build_response, build_token
from glyphserpack.timestamp import TsaMaterial, verify_timestamp

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(
    data=st.binary(max_size=256),
    alg=st.sampled_from(["sha256", "sha384", "sha512"]),
    serial=st.integers(1, 2**159),
    nonce=st.none() | st.integers(1, 2**63),
    when=st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2034, 1, 1)),
)
def test_build_then_verify(
    ec_tsa: TsaMaterial, data: bytes, alg: str, serial: int, nonce: int | None, when: dt.datetime
) -> None:
    gen_time = when.replace(microsecond=0, tzinfo=dt.UTC)
    spec = TokenSpec(alg, hashlib.new(alg, data).digest(), serial, gen_time, "1.2.3.4", nonce=nonce)
    token = build_token(spec, key=ec_tsa.key, tsa_cert=ec_tsa.cert)
    for blob in (token, build_response(token)):
        report = verify_timestamp(blob, data=data, trust_roots=[ec_tsa.root], nonce=nonce)
        assert report.valid == (ec_tsa.cert.not_valid_before_utc <= gen_time <= ec_tsa.cert.not_valid_after_utc)
        assert report.serial == f"{serial:x}"
        assert report.imprint_algorithm == alg


@SETTINGS
@given(st.data())
def test_any_flipped_byte_is_detected(ec_tsa: TsaMaterial, data: st.DataObject) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    token = bytearray(build_token(TokenSpec("sha256", hashlib.sha256(b"x").digest(), 5, now, "1.2.3"),
                                  key=ec_tsa.key, tsa_cert=ec_tsa.cert, include_certs=False))  # fmt: skip
    # SignedData version and digestAlgorithms are unsigned hints (RFC 5652 §5.1); everything
    # from the encapsulated TSTInfo on is covered by the signature, directly or via attributes.
    start = bytes(token).index(bytes.fromhex("060b2a864886f70d0109100104"))  # id-ct-TSTInfo
    pos = start + data.draw(st.integers(0, 10_000)) % (len(token) - start)  # ECDSA signatures vary in length
    token[pos] ^= data.draw(st.integers(1, 255))
    report = verify_timestamp(bytes(token), data=b"x", trust_roots=[ec_tsa.root], untrusted=[ec_tsa.cert])
    assert not report.valid


def test_granted_reply_without_a_token_is_a_parse_failure_not_a_crash() -> None:
    # Found by test_damaged_der_never_crashes: one flipped length byte of a real reply can
    # leave PKIStatus "granted" and drop the optional token. RFC 3161 §2.4.2 requires it.
    from asn1crypto import tsp

    from glyphserpack._internal.cms.parse import TimeStampResp

    reply = TimeStampResp({"status": tsp.PKIStatusInfo({"status": "granted"})}).dump()
    report = verify_timestamp(reply, data=b"x", trust_roots=[])
    assert not report.valid
    assert [f.code for f in report.findings] == ["GSP-E200"]
    assert "no timeStampToken" in report.findings[0].detail
