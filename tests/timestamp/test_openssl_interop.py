"""Interoperability with OpenSSL both ways, plus EKU negatives built with our token builder."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from glyphserpack._internal.cms.build import TokenSpec, build_token
from glyphserpack.timestamp import TsaMaterial, TsaServer, load_certificates, request_timestamp, verify_timestamp

DATA = b"interop payload\n"


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("which", ["ec", "rsa"])
def test_embedded_tsa_tokens_verify_with_openssl(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    material: TsaMaterial = request.getfixturevalue(f"{which}_tsa")
    with TsaServer(material.directory) as server:
        res = request_timestamp(server.url, hashlib.sha256(DATA).digest())
    (tmp_path / "t.tsr").write_bytes(res.response)
    (tmp_path / "t.tst").write_bytes(res.token)
    (tmp_path / "data").write_bytes(DATA)
    root = str(material.root_pem)
    out = _openssl("ts", "-verify", "-in", "t.tsr", "-data", "data", "-CAfile", root, cwd=tmp_path)
    assert "Verification: OK" in out.stdout, out.stderr
    out = _openssl("ts", "-verify", "-in", "t.tst", "-token_in", "-digest", hashlib.sha256(DATA).hexdigest(),
                   "-CAfile", root, cwd=tmp_path)  # fmt: skip
    assert "Verification: OK" in out.stdout, out.stderr
    # and OpenSSL refuses it for other data, so the check above can fail
    (tmp_path / "other").write_bytes(b"other")
    out = _openssl("ts", "-verify", "-in", "t.tsr", "-data", "other", "-CAfile", root, cwd=tmp_path)
    assert "Verification: OK" not in out.stdout


TSA_CNF = """
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = .
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.pem
certs = ./ca.pem
signer_key = ./tsa.key
signer_digest = {digest}
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = {ess}
"""


def _openssl_tsa(tmp: Path, keygen: list[str], digest: str, ess: str) -> None:
    """A CA and a TSA certificate made by the openssl CLI alone (independent of our code)."""
    run = lambda *a: _openssl(*a, cwd=tmp)  # noqa: E731
    assert run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
               "-subj", "/O=interop/CN=OpenSSL Test Root", "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign").returncode == 0  # fmt: skip
    assert run("genpkey", *keygen, "-out", "tsa.key").returncode == 0
    assert (
        run("req", "-new", "-key", "tsa.key", "-subj", "/O=interop/CN=OpenSSL TSA", "-out", "tsa.csr").returncode == 0
    )
    (tmp / "ext.cnf").write_text("extendedKeyUsage=critical,timeStamping\nbasicConstraints=CA:FALSE\n")
    out = run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
              "-days", "30", "-extfile", "ext.cnf", "-out", "tsa.pem")  # fmt: skip
    assert out.returncode == 0, out.stderr
    (tmp / "tsa.cnf").write_text(TSA_CNF.format(digest=digest, ess=ess))
    (tmp / "serial").write_text("01\n")


@pytest.mark.parametrize(
    ("label", "keygen", "digest", "ess", "sig"),
    [
        ("rsa-pkcs1", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "sha256", "sha1", "rsassa_pkcs1v15"),
        ("ecdsa-p384", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], "sha384", "sha256", "ecdsa"),
        ("ecdsa-p256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "sha512", "sha1", "ecdsa"),
    ],
)
def test_openssl_tsa_tokens_verify_with_ours(
    tmp_path: Path, label: str, keygen: list[str], digest: str, ess: str, sig: str
) -> None:
    _openssl_tsa(tmp_path, keygen, digest, ess)
    (tmp_path / "data").write_bytes(DATA)
    assert _openssl("ts", "-query", "-data", "data", "-sha384", "-cert", "-out", "q.tsq", cwd=tmp_path).returncode == 0
    out = _openssl("ts", "-reply", "-config", "tsa.cnf", "-queryfile", "q.tsq", "-out", "r.tsr", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    token = (tmp_path / "r.tsr").read_bytes()
    roots = load_certificates(tmp_path / "ca.pem")
    report = verify_timestamp(token, data=DATA, trust_roots=roots)
    assert report.valid, report.lines()
    assert report.signature_algorithm == f"{digest}/{sig}"
    assert report.imprint_algorithm == "sha384"
    assert report.accuracy == "1.5s"
    assert report.policy == "1.2.3.4.1"
    assert not verify_timestamp(token, data=DATA + b"!", trust_roots=roots).valid


def test_rsa_pss_token_verifies_with_openssl_and_ours(rsa_tsa: TsaMaterial, tmp_path: Path) -> None:
    # OpenSSL 3.0's ts code (PKCS7 underneath) cannot sign or verify RSA-PSS, so the token comes
    # from our builder and `openssl cms -verify` is the independent judge of its PSS encoding.
    spec = TokenSpec("sha256", hashlib.sha256(DATA).digest(), 9, dt.datetime.now(dt.UTC).replace(microsecond=0),
                     "1.2.3")  # fmt: skip
    token = build_token(spec, key=rsa_tsa.key, tsa_cert=rsa_tsa.cert, pss=True)  # type: ignore[arg-type]
    (tmp_path / "t.tst").write_bytes(token)
    (tmp_path / "data").write_bytes(DATA)
    out = _openssl("cms", "-verify", "-inform", "DER", "-in", "t.tst", "-binary", "-out", "tst.der",
                   "-purpose", "timestampsign", "-CAfile", str(rsa_tsa.root_pem), cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = verify_timestamp(token, data=DATA, trust_roots=[rsa_tsa.root])
    assert report.valid, report.lines()
    assert report.signature_algorithm == "sha256/rsassa_pss"
    tampered = bytearray(token)
    tampered[-5] ^= 1  # inside the PSS signature
    assert [f.code for f in verify_timestamp(bytes(tampered), data=DATA, trust_roots=[rsa_tsa.root]).findings] == [
        "GSP-E204"
    ]


def _cert(key: ec.EllipticCurvePrivateKey, issuer_key: ec.EllipticCurvePrivateKey, name: str, issuer: str,
          *, ca: bool, eku: bool | None) -> x509.Certificate:  # fmt: skip
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    b = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if eku is not None:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=eku)
    return b.sign(issuer_key, hashes.SHA256())


@pytest.mark.parametrize(("eku", "reason"), [(None, "has no extendedKeyUsage"), (False, "not marked critical")])
def test_tsa_cert_without_critical_eku_is_rejected(eku: bool | None, reason: str) -> None:
    root_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = _cert(root_key, root_key, "root", "root", ca=True, eku=None)
    tsa = _cert(tsa_key, root_key, "no-eku tsa", "root", ca=False, eku=eku)
    spec = TokenSpec("sha256", hashlib.sha256(DATA).digest(), 7, dt.datetime(2025, 6, 1, tzinfo=dt.UTC), "1.2.3")
    report = verify_timestamp(build_token(spec, key=tsa_key, tsa_cert=tsa), data=DATA, trust_roots=[root])
    assert [f.code for f in report.findings] == ["GSP-E209"]
    assert reason in report.findings[0].detail
    # the same token shape with a proper EKU is valid, so the rejection is about the EKU alone
    good = _cert(tsa_key, root_key, "tsa", "root", ca=False, eku=True)
    assert verify_timestamp(build_token(spec, key=tsa_key, tsa_cert=good), data=DATA, trust_roots=[root]).valid


def test_token_outside_tsa_validity_is_rejected() -> None:
    root_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = _cert(root_key, root_key, "root", "root", ca=True, eku=None)
    tsa = _cert(tsa_key, root_key, "tsa", "root", ca=False, eku=True)
    late = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)  # after the TSA cert expired
    spec = TokenSpec("sha256", hashlib.sha256(DATA).digest(), 8, late, "1.2.3")
    report = verify_timestamp(build_token(spec, key=tsa_key, tsa_cert=tsa), data=DATA, trust_roots=[root])
    assert [f.code for f in report.findings] == ["GSP-E210"]
