"""`tsa init`, `tsa serve` as a real process, and the pinned public API."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import glyphserpack.timestamp as ts
from glyphserpack.cli import main
from glyphserpack.errors import KeyMaterialError
from glyphserpack.timestamp import load_certificates, load_tsa, request_timestamp, verify_timestamp

EXPECTED_API = [
    "DEFAULT_POLICY",
    "KEY_TYPES",
    "MAX_REPLY_BYTES",
    "ChainReport",
    "Check",
    "Collected",
    "LinkReport",
    "LtvData",
    "Revocation",
    "SerialCounter",
    "StampOutcome",
    "StampResult",
    "TimestampReport",
    "TsaMaterial",
    "TsaServer",
    "build_crl",
    "check_revocation",
    "init_tsa",
    "load_certificates",
    "load_tsa",
    "ltv_for_token",
    "ltv_member",
    "ocsp_response",
    "openssl_commands",
    "request_timestamp",
    "revoke",
    "stamp_members",
    "stamp_quorum",
    "verify_chain",
    "verify_members",
    "verify_or_raise",
    "verify_pack_timestamps",
    "verify_timestamp",
]


def test_public_api_is_pinned() -> None:
    assert ts.__all__ == EXPECTED_API
    assert all(hasattr(ts, name) for name in ts.__all__)


def test_tsa_init_writes_private_keys_0600(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "tsa"
    assert main(["tsa", "init", str(target), "--key-type", "ec-p384"]) == 0
    assert "trust root for verifiers" in capsys.readouterr().out
    for key in ("root-key.pem", "tsa-key.pem"):
        assert stat.S_IMODE((target / key).stat().st_mode) == 0o600
    material = load_tsa(target)
    assert material.cert.issuer == material.root.subject
    assert main(["tsa", "init", str(target)]) == 2  # refuses to overwrite keys
    assert "already holds TSA keys" in capsys.readouterr().err
    (target / "tsa-key.pem").chmod(0o644)
    with pytest.raises(KeyMaterialError, match="readable by group or others"):
        load_tsa(target)


def test_tsa_serve_process_starts_serves_and_stops_cleanly(tmp_path: Path) -> None:
    state = tmp_path / "state"
    code = "import sys; from glyphserpack.cli import main; sys.exit(main())"
    args = ["tsa", "serve", "--port", "0", "--state", str(state), "--key-type", "rsa"]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert proc.stderr is not None
        url = ""
        lines = []
        while not url:
            line = proc.stderr.readline()
            assert line, f"server exited early: {lines}"
            lines.append(line)
            if "TSA serving on " in line:
                url = line.split("TSA serving on ")[1].split()[0]
        digest = hashlib.sha256(b"served").digest()
        res = request_timestamp(url, digest)
        report = verify_timestamp(res.token, digest=digest, trust_roots=load_certificates(state / "root.pem"))
        assert report.valid, report.lines()
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=20)[1]
    assert proc.returncode == 0, rest
    assert "TSA stopped" in rest
    assert "granted serial 1 sha256" in "".join(lines) + rest
