"""The client against the embedded TSA and against misbehaving TSAs, all on loopback."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import rfc3161ng

from glyphserpack.errors import InputError, TimestampError, UsageError
from glyphserpack.timestamp import (
    SerialCounter,
    TsaMaterial,
    TsaServer,
    request_timestamp,
    stamp_quorum,
    verify_timestamp,
)

from .badtsa import bad_tsa, free_port_url

DIGEST = hashlib.sha256(b"pack root").digest()
FAST = {"timeout": 1.0, "retries": 1, "backoff": 0.01}


def test_token_from_embedded_tsa_verifies(ec_tsa: TsaMaterial, ec_server: TsaServer) -> None:
    res = request_timestamp(ec_server.url, DIGEST, trust=[ec_tsa.root])
    report = verify_timestamp(res.response, digest=DIGEST, trust_roots=[ec_tsa.root], nonce=res.nonce)
    assert report.valid, report.lines()
    assert report.accuracy == "1s"
    assert report.policy == ec_server.policy
    assert report.tsa_name == "CN=glyphserpack embedded TSA,O=glyphserpack"
    assert res.chain_pem.startswith(b"-----BEGIN CERTIFICATE-----")


def test_sha512_and_sha384_imprints(ec_tsa: TsaMaterial, ec_server: TsaServer) -> None:
    for alg in ("sha384", "sha512"):
        digest = hashlib.new(alg, b"x").digest()
        res = request_timestamp(ec_server.url, digest, hash_alg=alg)
        assert verify_timestamp(res.token, data=b"x", trust_roots=[ec_tsa.root]).valid


def test_quorum_of_two_servers(ec_tsa: TsaMaterial, rsa_tsa: TsaMaterial, ec_server: TsaServer) -> None:
    with TsaServer(rsa_tsa.directory) as rsa_server:
        results = stamp_quorum([ec_server.url, rsa_server.url], DIGEST, quorum=2, **FAST)  # type: ignore[arg-type]
    assert [r.url for r in results] == [ec_server.url, rsa_server.url]
    roots = [ec_tsa.root, rsa_tsa.root]
    assert all(verify_timestamp(r.token, digest=DIGEST, trust_roots=roots).valid for r in results)


def test_quorum_missed_names_the_down_tsa(ec_server: TsaServer) -> None:
    down = free_port_url()
    with pytest.raises(TimestampError) as err:
        stamp_quorum([ec_server.url, down], DIGEST, quorum=2, **FAST)  # type: ignore[arg-type]
    assert "1 of 2 TSAs" in err.value.message
    assert down in err.value.message
    assert "gave up after 2 attempts" in err.value.message
    # quorum 1 tolerates the dead TSA
    assert len(stamp_quorum([ec_server.url, down], DIGEST, quorum=1, **FAST)) == 1  # type: ignore[arg-type]


def test_slow_tsa_times_out() -> None:
    with bad_tsa("slow", delay=3.0) as url:
        start = time.monotonic()
        with pytest.raises(TimestampError, match=r"too slow|timed out") as err:
            request_timestamp(url, DIGEST, timeout=0.5, retries=0)
        assert time.monotonic() - start < 2.5
    assert url in err.value.message


@pytest.mark.parametrize(
    ("mode", "pattern"),
    [
        ("html", r"Content-Type 'text/html'"),
        ("rejection", r"PKIStatus rejection, failInfo bad_alg: we only do SHA-1"),
        ("huge-declared", r"52428800 bytes exceeds the 1048576-byte limit"),
        ("huge-streamed", r"exceeds the 1048576-byte limit"),
        ("http-500", r"HTTP 503"),
    ],
)
def test_bad_tsa_gives_clear_error(mode: str, pattern: str) -> None:
    with bad_tsa(mode) as url, pytest.raises(TimestampError, match=pattern) as err:
        request_timestamp(url, DIGEST, **FAST)  # type: ignore[arg-type]
    assert err.value.message.startswith(f"TSA {url}")


@pytest.mark.parametrize(("mode", "pattern"), [("wrong-nonce", "nonce"), ("wrong-imprint", "not the requested")])
def test_genuine_token_for_the_wrong_request_is_refused(ec_server: TsaServer, mode: str, pattern: str) -> None:
    with bad_tsa(mode, upstream=ec_server.url) as url, pytest.raises(TimestampError, match=pattern) as err:
        request_timestamp(url, DIGEST, **FAST)  # type: ignore[arg-type]
    assert url in err.value.message


def test_serials_monotonic_across_restarts(ec_tsa: TsaMaterial) -> None:
    serials = []
    for _ in range(3):
        with TsaServer(ec_tsa.directory) as server:
            serials += [int(request_timestamp(server.url, DIGEST).serial, 16) for _ in range(2)]
    assert serials == sorted(set(serials))
    assert (ec_tsa.directory / "serial").read_text().strip() == str(serials[-1])


def test_concurrent_requests_get_distinct_serials(ec_server: TsaServer) -> None:
    results = stamp_quorum([f"{ec_server.url}?{i}" for i in range(6)], DIGEST, quorum=6)
    assert len({r.serial for r in results}) == 6


def test_server_refuses_bad_requests(ec_server: TsaServer) -> None:
    def post(body: bytes, ctype: str = "application/timestamp-query") -> tuple[int, bytes]:
        req = urllib.request.Request(ec_server.url, data=body, headers={"Content-Type": ctype})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code, b""

    assert post(b"x", "text/plain")[0] == 415
    assert post(b"\0" * (65 * 1024))[0] == 413
    status, body = post(b"\x30\x03\x02\x01\x01")
    assert status == 200
    report = verify_timestamp(body, digest=DIGEST, trust_roots=[])
    assert [f.code for f in report.findings] == ["GSP-E201"]
    assert "bad_data_format" in report.checks[-1].detail
    sha1_request = rfc3161ng.encode_timestamp_request(
        rfc3161ng.make_timestamp_request(data=b"x", hashname="sha1", nonce=5)
    )
    sha1_reply = verify_timestamp(post(bytes(sha1_request))[1], data=b"x", trust_roots=[])
    assert "bad_alg" in sha1_reply.findings[0].detail
    policy_request = rfc3161ng.encode_timestamp_request(
        rfc3161ng.make_timestamp_request(
            digest=hashlib.sha256(b"x").digest(), hashname="sha256", tsa_policy_id="1.2.3.4"
        )
    )
    policy_reply = verify_timestamp(post(bytes(policy_request))[1], data=b"x", trust_roots=[])
    assert "unaccepted_policy" in policy_reply.findings[0].detail


def test_corrupt_serial_file_is_refused_not_guessed(ec_tsa: TsaMaterial, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "serial").write_text("twelve\n")
    with pytest.raises(InputError, match="refusing to guess"):
        SerialCounter(state).next()


def test_server_clock_and_accuracy_are_configurable(ec_tsa: TsaMaterial) -> None:
    fixed = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with TsaServer(ec_tsa.directory, clock=lambda: fixed, accuracy_seconds=0, accuracy_millis=500) as server:
        res = request_timestamp(server.url, DIGEST)
    report = verify_timestamp(res.token, digest=DIGEST, trust_roots=[ec_tsa.root])
    assert report.gen_time == "2030-01-02T03:04:05Z"
    assert report.accuracy == "0.5s"


@pytest.mark.parametrize("options", [{"policy": "not-an-oid"}, {"accuracy_millis": 1000}])
def test_server_refuses_bad_configuration(ec_tsa: TsaMaterial, options: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        TsaServer(ec_tsa.directory, **options)  # type: ignore[arg-type]
