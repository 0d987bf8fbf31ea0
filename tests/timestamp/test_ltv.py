"""Revocation data for TSA certificates: the embedded CA's CRL and OCSP, collection, judging at genTime."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import shutil
import socket
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from glyphserpack.cli import main
from glyphserpack.pack import open_pack, stamp_pack
from glyphserpack.timestamp import TsaMaterial, TsaServer, init_tsa, request_timestamp, verify_timestamp
from glyphserpack.timestamp.ltv import LtvData, check_revocation, http_fetch, ltv_for_token, ltv_member
from glyphserpack.timestamp.responder import build_crl, ocsp_response, revoke

T0 = dt.datetime(2026, 11, 20, 12, 0, 0, tzinfo=dt.UTC)
DIGEST = hashlib.sha256(b"long-term payload\n").digest()
HOUR = dt.timedelta(hours=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Ca:
    """An embedded TSA whose certificate points at its own server, with a clock the test moves."""

    material: TsaMaterial
    server: TsaServer
    now: list[dt.datetime]

    def at(self, when: dt.datetime) -> None:
        self.now[0] = when

    def stamp(self) -> bytes:
        return request_timestamp(self.server.url, DIGEST, trust=[self.material.root]).token

    def verify(self, token: bytes, ltv: LtvData | None) -> list[str]:
        report = verify_timestamp(
            token, digest=DIGEST, trust_roots=[self.material.root], revocation=ltv, check_revocation_data=True
        )
        return sorted(f.code for f in report.findings)


@pytest.fixture
def ca(tmp_path: Path) -> Iterator[Ca]:
    port = _free_port()
    material = init_tsa(
        tmp_path / "tsa", revocation_url=f"http://127.0.0.1:{port}/", now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    )
    now = [T0]
    with TsaServer(material.directory, port=port, clock=lambda: now[0]) as server:
        yield Ca(material, server, now)


def _pack_codes(pack: Path, root_pem: Path) -> tuple[list[str], dict[str, bytes]]:
    from glyphserpack.timestamp import verify_pack_timestamps

    with open_pack(pack) as reader:
        return [f.code for f in verify_pack_timestamps(reader, tsa_trust=root_pem)], reader.attachments()


# --- the embedded CA --------------------------------------------------------------------


def test_tsa_certificate_names_the_servers_crl_and_ocsp(ca: Ca) -> None:
    cert = ca.material.cert
    dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert [n.value for dp in dps for n in dp.full_name or ()] == [ca.server.url + "crl"]
    assert [ad.access_location.value for ad in aia] == [ca.server.url + "ocsp"]


def test_revocation_shows_in_the_next_crl_and_ocsp(ca: Ca) -> None:
    crl = x509.load_der_x509_crl(urllib.request.urlopen(ca.server.url + "crl", timeout=5).read())
    assert crl.is_signature_valid(ca.material.root.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(ca.material.cert.serial_number) is None
    revoke(ca.material.directory, ca.material.cert.serial_number, reason="superseded", time=T0 - HOUR)
    crl = x509.load_der_x509_crl(urllib.request.urlopen(ca.server.url + "crl", timeout=5).read())
    entry = crl.get_revoked_certificate_by_serial_number(ca.material.cert.serial_number)
    assert entry is not None
    assert entry.revocation_date_utc == T0 - HOUR
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.superseded
    # OCSP over GET (RFC 6960 Appendix A.1) agrees
    req = ocsp.OCSPRequestBuilder().add_certificate(ca.material.cert, ca.material.root, hashes.SHA1()).build()
    b64 = urllib.parse.quote(base64.b64encode(req.public_bytes(Encoding.DER)).decode(), safe="")
    resp = ocsp.load_der_ocsp_response(urllib.request.urlopen(f"{ca.server.url}ocsp/{b64}", timeout=5).read())
    assert resp.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert resp.revocation_reason == x509.ReasonFlags.superseded


def test_second_revocation_of_a_serial_is_refused(ca: Ca) -> None:
    assert main(["tsa", "revoke", str(ca.material.directory), "--tsa", "--reason", "cessationOfOperation"]) == 0
    before = (ca.material.directory / "revocations.json").read_bytes()
    assert main(["tsa", "revoke", str(ca.material.directory), "--tsa", "--reason", "keyCompromise"]) == 2
    assert (ca.material.directory / "revocations.json").read_bytes() == before


def test_old_state_directory_without_pointers_or_root_key_still_stamps(tmp_path: Path) -> None:
    material = init_tsa(tmp_path / "old")  # as an earlier `tsa init` made it: no CRL DP, no AIA
    (tmp_path / "old" / "root-key.pem").unlink()  # and the root key moved offline
    with TsaServer(material.directory) as server:
        token = request_timestamp(server.url, DIGEST, trust=[material.root]).token
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url + "crl", timeout=5)
        assert err.value.code == 503
        err.value.close()
    collected = ltv_for_token(token, certificates=[material.root])
    assert collected.data.empty
    assert any("names no CRL distribution point or OCSP responder" in w for w in collected.warnings)


# --- stamping collects, verification judges -------------------------------------------------


def test_stamp_pack_stores_ltv_data_and_it_verifies(ca: Ca, pack: Path) -> None:
    outcome = stamp_pack(pack, [ca.server.url], trust=[ca.material.root])
    assert outcome.warnings == ()
    codes, members = _pack_codes(pack, ca.material.root_pem)
    assert codes == ["GSP-E217"]  # revocation checked, nothing missing
    data = LtvData.from_cbor(members[ltv_member("timestamps/link-00/tsa-1.tst")])
    assert (len(data.crls), len(data.ocsp_responses)) == (1, 1)
    assert data.to_cbor() == members["timestamps/link-00/tsa-1-ltv.cbor"]  # canonical


def test_key_compromise_before_gentime_makes_the_pack_timestamp_invalid(ca: Ca, pack: Path) -> None:
    revoke(ca.material.directory, ca.material.cert.serial_number, reason="keyCompromise", time=T0 - HOUR)
    outcome = stamp_pack(pack, [ca.server.url], trust=[ca.material.root])
    assert any("keyCompromise" in w and "not valid at genTime" in w for w in outcome.warnings)
    codes, _ = _pack_codes(pack, ca.material.root_pem)
    assert "GSP-E240" in codes
    assert "GSP-E214" in codes  # the link's only token no longer counts
    assert "GSP-E217" not in codes


def test_superseded_after_gentime_stays_valid(ca: Ca) -> None:
    token = ca.stamp()  # genTime T0
    revoke(ca.material.directory, ca.material.cert.serial_number, reason="superseded", time=T0 + HOUR)
    ca.at(T0 + 2 * HOUR)  # data refreshed later (as a renewal would) shows the revocation
    collected = ltv_for_token(token, certificates=[ca.material.root])
    assert collected.warnings == []
    assert ca.verify(token, collected.data) == ["GSP-E246"]  # info: does not reach back


def test_key_compromise_reaches_back_to_its_invalidity_date(ca: Ca) -> None:
    token = ca.stamp()
    revoke(
        ca.material.directory,
        ca.material.cert.serial_number,
        reason="keyCompromise",
        time=T0 + HOUR,
        invalidity=T0 - HOUR,
    )
    ca.at(T0 + 2 * HOUR)
    data = ltv_for_token(token, certificates=[ca.material.root]).data
    assert ca.verify(token, data) == ["GSP-E240"]


def test_superseded_before_gentime_is_invalid(ca: Ca) -> None:
    revoke(ca.material.directory, ca.material.cert.serial_number, reason="superseded", time=T0 - HOUR)
    token = ca.stamp()
    data = ltv_for_token(token, certificates=[ca.material.root]).data
    assert ca.verify(token, data) == ["GSP-E240"]


def test_no_data_is_a_warning_naming_the_certificate_and_urls(ca: Ca) -> None:
    token = ca.stamp()
    report = verify_timestamp(token, digest=DIGEST, trust_roots=[ca.material.root], check_revocation_data=True)
    assert report.valid
    [missing] = report.findings
    assert missing.code == "GSP-E241"
    assert f"serial {ca.material.cert.serial_number:x}" in missing.detail
    assert ca.server.url + "crl" in missing.detail


def test_unreachable_revocation_service_warns_and_stamping_succeeds(tmp_path: Path, pack: Path) -> None:
    dead = f"http://127.0.0.1:{_free_port()}/"
    material = init_tsa(tmp_path / "tsa", revocation_url=dead)
    with TsaServer(material.directory) as server:
        outcome = stamp_pack(pack, [server.url], trust=[material.root], timeout=2)
    assert any(f"CRL {dead}crl" in w for w in outcome.warnings)
    assert any(f"OCSP {dead}ocsp" in w for w in outcome.warnings)
    codes, members = _pack_codes(pack, material.root_pem)
    assert codes == ["GSP-E217", "GSP-E241"]
    assert ltv_member("timestamps/link-00/tsa-1.tst") not in members


# --- hostile or wrong revocation data -----------------------------------------------------


def _other_key_crl(ca: Ca) -> bytes:
    """A CRL naming the right issuer, signed by a key that is not the issuer's."""
    key = ec.generate_private_key(ec.SECP256R1())
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.material.root.subject)
        .last_update(T0)
        .next_update(T0 + 24 * HOUR)
        .sign(key, hashes.SHA256())
    )
    return crl.public_bytes(Encoding.DER)


def _ocsp_request(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    return ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build().public_bytes(Encoding.DER)


def test_crl_signed_by_another_key(ca: Ca) -> None:
    token = ca.stamp()
    assert ca.verify(token, LtvData(crls=(_other_key_crl(ca),))) == ["GSP-E241", "GSP-E242"]
    # and collection refuses to keep it
    collected = ltv_for_token(token, certificates=[ca.material.root], fetch=lambda url, body: _other_key_crl(ca))
    assert collected.data.empty
    assert any("not signed by the issuer's key" in w for w in collected.warnings)


def test_stale_ocsp_response(ca: Ca) -> None:
    token = ca.stamp()
    stale = ocsp_response(ca.material, _ocsp_request(ca.material.cert, ca.material.root), now=T0 - 10 * 24 * HOUR)
    assert ca.verify(token, LtvData(ocsp_responses=(stale,))) == ["GSP-E241", "GSP-E243"]
    fresh = ocsp_response(ca.material, _ocsp_request(ca.material.cert, ca.material.root), now=T0 + HOUR)
    assert ca.verify(token, LtvData(ocsp_responses=(fresh,))) == []


def test_stale_crl_still_proves_a_revocation(ca: Ca) -> None:
    token = ca.stamp()
    revoke(ca.material.directory, ca.material.cert.serial_number, reason="keyCompromise", time=T0 - 3 * 24 * HOUR)
    old_crl = build_crl(ca.material, now=T0 - 2 * 24 * HOUR)  # expired before genTime, but lists the revocation
    assert ca.verify(token, LtvData(crls=(old_crl,))) == ["GSP-E240"]


def test_ocsp_cert_id_mismatch(ca: Ca, tmp_path: Path) -> None:
    token = ca.stamp()
    other = init_tsa(tmp_path / "other")
    # about another serial of the same CA: answered "unknown", matches no certificate of the path
    wrong_serial = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        ocsp.OCSPRequestBuilder()
        .add_certificate(ca.material.cert, ca.material.root, hashes.SHA1())
        .build()
        .issuer_name_hash,
        ocsp.OCSPRequestBuilder()
        .add_certificate(ca.material.cert, ca.material.root, hashes.SHA1())
        .build()
        .issuer_key_hash,
        ca.material.cert.serial_number + 1,
        hashes.SHA1(),
    )
    resp = ocsp_response(ca.material, wrong_serial.build().public_bytes(Encoding.DER), now=T0 + HOUR)
    assert ca.verify(token, LtvData(ocsp_responses=(resp,))) == ["GSP-E241", "GSP-E244"]
    # the right serial under another issuer's name and key hash
    forged = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=hashlib.sha1(other.root.subject.public_bytes()).digest(),
            issuer_key_hash=b"\x00" * 20,
            serial_number=ca.material.cert.serial_number,
            algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=T0,
            next_update=T0 + HOUR,
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, ca.material.root)
        .sign(ca.material.root_key, hashes.SHA256())  # type: ignore[arg-type]
        .public_bytes(Encoding.DER)
    )
    assert ca.verify(token, LtvData(ocsp_responses=(forged,))) == ["GSP-E241", "GSP-E244"]


def _delegated_response(ca: Ca, *, eku: bool) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=responder"))
        .issuer_name(ca.material.root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(T0 - 24 * HOUR)
        .not_valid_after(T0 + 24 * HOUR)
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=True)
    responder = builder.sign(ca.material.root_key, hashes.SHA256())  # type: ignore[arg-type]
    return (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=ca.material.cert,
            issuer=ca.material.root,
            algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=T0,
            next_update=T0 + HOUR,
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, responder)
        .certificates([responder])
        .sign(key, hashes.SHA256())
        .public_bytes(Encoding.DER)
    )


def test_delegated_ocsp_responder_needs_the_ocsp_signing_purpose(ca: Ca) -> None:
    token = ca.stamp()
    assert ca.verify(token, LtvData(ocsp_responses=(_delegated_response(ca, eku=True),))) == []
    assert ca.verify(token, LtvData(ocsp_responses=(_delegated_response(ca, eku=False),))) == [
        "GSP-E241",
        "GSP-E242",
    ]


@pytest.mark.parametrize("kind", ["crls", "ocsp_responses"])
@pytest.mark.parametrize("blob", [b"", b"\x30\x03\x02\x01", b"\x30\x82\xff\xff" + b"\x00" * 16, b"not der at all"])
def test_malformed_der_is_a_finding_not_a_crash(ca: Ca, kind: str, blob: bytes) -> None:
    token = ca.stamp()
    assert ca.verify(token, LtvData(**{kind: (blob,)})) == ["GSP-E241", "GSP-E245"]
    collected = ltv_for_token(token, certificates=[ca.material.root], fetch=lambda url, body: blob)
    assert collected.data.empty
    assert len(collected.warnings) == 2  # one per URL, each naming it


def test_unreadable_ltv_member_in_a_pack_is_a_finding(ca: Ca, pack: Path) -> None:
    from glyphserpack.pack import attach

    stamp_pack(pack, [ca.server.url], trust=[ca.material.root])
    attach(pack, {"timestamps/link-00/tsa-1-ltv.cbor": b"\xa1\x61x\x01"})
    codes, _ = _pack_codes(pack, ca.material.root_pem)
    assert codes == ["GSP-E217", "GSP-E241", "GSP-E245"]


def test_ltv_cbor_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="not a glyphserpack-ltv/1"):
        LtvData.from_cbor(LtvData().to_cbor().replace(b"ltv/1", b"ltv/9"))
    assert LtvData.from_cbor(LtvData((b"a",), (b"b",), (b"c",)).to_cbor()) == LtvData((b"a",), (b"b",), (b"c",))


def test_check_revocation_of_a_bare_anchor_is_empty(ca: Ca) -> None:
    assert check_revocation([ca.material.root], None, T0) == []


@contextlib.contextmanager
def _serve(handler: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    class H(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                handler(self)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_fetch_is_bounded_and_follows_no_redirect() -> None:
    def huge(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.end_headers()
        for _ in range(64):
            h.wfile.write(b"\x00" * 65536)

    def declared(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(1 << 30))
        h.end_headers()

    def redirect(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", "http://127.0.0.1:9/elsewhere")
        h.end_headers()

    for behaviour, expected in ((huge, "limit"), (declared, "limit"), (redirect, "HTTP 302")):
        with _serve(behaviour) as url, pytest.raises(ValueError, match=expected):
            http_fetch(url + "crl", None, timeout=5, max_bytes=1024 * 1024)
    with pytest.raises(ValueError, match="only http"):
        http_fetch("file:///etc/passwd", None)


# --- OpenSSL agrees ---------------------------------------------------------------------------


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert shutil.which("openssl"), "openssl is part of the test toolchain"
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_openssl_verifies_our_crl_and_ocsp(ca: Ca, tmp_path: Path) -> None:
    ca.at(dt.datetime.now(dt.UTC).replace(microsecond=0))  # OpenSSL judges freshness by the wall clock
    root = str(ca.material.root_pem)
    tsa = str(ca.material.directory / "tsa.pem")
    (tmp_path / "crl.der").write_bytes(urllib.request.urlopen(ca.server.url + "crl", timeout=5).read())
    crl = _openssl("crl", "-inform", "DER", "-in", "crl.der", "-CAfile", root, "-noout", "-verify", cwd=tmp_path)
    assert "verify OK" in crl.stdout + crl.stderr, crl.stderr
    url = ca.server.url + "ocsp"
    good = _openssl("ocsp", "-issuer", root, "-cert", tsa, "-url", url, "-CAfile", root, cwd=tmp_path)
    assert "Response verify OK" in good.stderr + good.stdout, good.stderr
    assert f"{tsa}: good" in good.stdout
    revoke(ca.material.directory, ca.material.cert.serial_number, reason="keyCompromise", time=T0)
    bad = _openssl("ocsp", "-issuer", root, "-cert", tsa, "-url", url, "-CAfile", root, cwd=tmp_path)
    assert "Response verify OK" in bad.stderr + bad.stdout, bad.stderr
    assert f"{tsa}: revoked" in bad.stdout
    assert "Reason: keyCompromise" in bad.stdout
    (tmp_path / "crl2.der").write_bytes(urllib.request.urlopen(ca.server.url + "crl", timeout=5).read())
    text = _openssl(
        "crl", "-inform", "DER", "-in", "crl2.der", "-CAfile", root, "-noout", "-text", "-verify", cwd=tmp_path
    )
    assert "verify OK" in text.stdout + text.stderr
    assert f"{ca.material.cert.serial_number:X}" in text.stdout
    assert "Key Compromise" in text.stdout


def test_cli_verify_with_ltv_file(ca: Ca, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = ca.stamp()
    (tmp_path / "t.tst").write_bytes(token)
    (tmp_path / "ltv.cbor").write_bytes(ltv_for_token(token, certificates=[ca.material.root]).data.to_cbor())
    args = ["tsa", "verify", str(tmp_path / "t.tst"), "--digest", DIGEST.hex(), "--trust", str(ca.material.root_pem)]
    assert main([*args, "--ltv", str(tmp_path / "ltv.cbor")]) == 0
    assert "revocation at genTime" in capsys.readouterr().out
    revoke(ca.material.directory, ca.material.cert.serial_number, reason="keyCompromise", time=T0 - HOUR)
    ca.at(T0 + HOUR)
    (tmp_path / "ltv.cbor").write_bytes(ltv_for_token(token, certificates=[ca.material.root]).data.to_cbor())
    assert main([*args, "--ltv", str(tmp_path / "ltv.cbor")]) == 1
    assert "GSP-E240" in capsys.readouterr().out
    (tmp_path / "ltv.cbor").write_bytes(b"garbage")
    assert main([*args, "--ltv", str(tmp_path / "ltv.cbor")]) == 2
    assert "--ltv" in capsys.readouterr().err


@pytest.mark.parametrize("key_type", ["ec-p384", "rsa"])
def test_rsa_and_p384_cas_sign_crls_and_ocsp_that_verify(tmp_path: Path, pack: Path, key_type: str) -> None:
    port = _free_port()
    material = init_tsa(tmp_path / "tsa", key_type=key_type, revocation_url=f"http://127.0.0.1:{port}/")
    with TsaServer(material.directory, port=port) as server:
        outcome = stamp_pack(pack, [server.url], trust=[material.root])
    assert outcome.warnings == ()
    codes, members = _pack_codes(pack, material.root_pem)
    assert codes == ["GSP-E217"]
    data = LtvData.from_cbor(members["timestamps/link-00/tsa-1-ltv.cbor"])
    assert (len(data.crls), len(data.ocsp_responses)) == (1, 1)


def test_root_key_of_another_ca_is_refused(tmp_path: Path) -> None:
    from glyphserpack.errors import KeyMaterialError
    from glyphserpack.timestamp import load_tsa

    a, b = init_tsa(tmp_path / "a"), init_tsa(tmp_path / "b")
    (a.directory / "root-key.pem").write_bytes((b.directory / "root-key.pem").read_bytes())
    with pytest.raises(KeyMaterialError, match=r"root-key\.pem does not belong to root\.pem"):
        load_tsa(a.directory)


def test_cli_init_url_controls_the_pointers(tmp_path: Path) -> None:
    assert main(["tsa", "init", str(tmp_path / "with"), "--url", "http://127.0.0.1:3999/"]) == 0
    assert main(["tsa", "init", str(tmp_path / "without"), "--url", ""]) == 0
    with_ = x509.load_pem_x509_certificate((tmp_path / "with" / "tsa.pem").read_bytes())
    without = x509.load_pem_x509_certificate((tmp_path / "without" / "tsa.pem").read_bytes())
    assert with_.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    with pytest.raises(x509.ExtensionNotFound):
        without.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    assert main(["tsa", "init", str(tmp_path / "bad"), "--url", "ftp://x/"]) == 2


def test_cli_timestamp_without_tsa_trust_warns_that_the_issuer_is_missing(
    ca: Ca, pack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["timestamp", str(pack), "--tsa", ca.server.url]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out
    assert "issuer certificate not at hand" in out
    assert (
        main(["timestamp", str(pack), "--tsa", ca.server.url, "--renew", "--tsa-trust", str(ca.material.root_pem)]) == 0
    )
    assert "warning:" not in capsys.readouterr().out
    codes, members = _pack_codes(pack, ca.material.root_pem)
    assert ltv_member("timestamps/link-00/tsa-1.tst") not in members
    assert ltv_member("timestamps/link-01/tsa-1.tst") in members
    assert codes == ["GSP-E217", "GSP-E217", "GSP-E241"]  # link 0 has no data, link 1 has
