"""Interop with Bouncy Castle's RFC 4998 implementation (org.bouncycastle.tsp.ers, Debian 1.72).

(a) BC validates every record ``ers export`` writes against the member's bytes as extracted
with stock ``zstd -dc | tar -x``, and rejects it for altered bytes; (b) records BC generates
with ERSArchiveTimeStampGenerator (time-stamped by our embedded TSA on loopback) pass ``ers
verify``. The Java driver is tests/interop_java/ErsInterop.java, compiled here with javac.
scripts/setup.sh all installs the JDK and the BC jars: their absence is a failure, not a skip.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.pack import stamp_pack, write
from glyphserpack.timestamp import TsaMaterial, TsaServer

JAVA_SRC = Path(__file__).resolve().parents[1] / "interop_java" / "ErsInterop.java"
JARS = [Path("/usr/share/java") / f"{name}.jar" for name in ("bcprov", "bcpkix", "bcutil")]


@pytest.fixture(scope="module")
def classpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    missing = [str(j) for j in JARS if not j.is_file()] + [t for t in ("javac", "java") if not shutil.which(t)]
    if missing:
        pytest.fail(f"Bouncy Castle interop needs {', '.join(missing)}: run scripts/setup.sh all")
    out = tmp_path_factory.mktemp("ers-java")
    cp = ":".join(str(j) for j in JARS)
    done = subprocess.run(
        ["javac", "-d", str(out), "-cp", cp, str(JAVA_SRC)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return f"{out}:{cp}"


def _java(classpath: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["java", "-cp", classpath, "ErsInterop", *args], capture_output=True, text=True, timeout=300, check=False
    )


PAYLOAD = {
    "evidence/release.yaml": b"release: 1.0\nverdict: PASS\n",
    "evidence/certificates/run-0001.json": b'{"run_id": "run-0001"}\n',
    "traces/trace.jsonl": b"".join(b'{"step": %d}\n' % i for i in range(300)),
    "README.md": b"# evidence\n",
    "unicode/r\u00e9sum\u00e9.txt": b"accented\n",
}


def _stamped_export(tmp_path: Path, url: str, links: list[str]) -> Path:
    """Pack PAYLOAD, stamp one link per hash in ``links``, export to tmp/ers, unpack with zstd|tar."""
    src = tmp_path / "src"
    for name, data in PAYLOAD.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    pack = tmp_path / "release.glyphserpack"
    write(src, pack, created=0)
    for n, alg in enumerate(links):  # same hash: time-stamp renewal; new hash: hash-tree renewal
        stamp_pack(pack, [url], renew=n > 0, hash_alg=alg)
    assert main(["ers", "export", str(pack), "-o", str(tmp_path / "ers")]) == 0
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(f"zstd -dc '{pack}' | tar -x -C '{unpacked}'", shell=True, check=True, timeout=120)
    return unpacked


def test_bouncy_castle_validates_every_exported_record_and_rejects_altered_bytes(
    classpath: str, tmp_path: Path, ec_tsa: TsaMaterial, ec_server: TsaServer
) -> None:
    unpacked = _stamped_export(tmp_path, ec_server.url, ["sha256", "sha256", "sha512"])
    args = [str(ec_tsa.root_pem)]
    for name in PAYLOAD:
        args += [str(tmp_path / "ers" / "data" / f"{name}.ers"), str(unpacked / "data" / name)]
    good = _java(classpath, "validate", *args)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.count("VALID ") == len(PAYLOAD)
    for name in PAYLOAD:  # ... and ers verify agrees
        data = unpacked / "data" / name
        record = tmp_path / "ers" / "data" / f"{name}.ers"
        assert main(["ers", "verify", str(record), "--data", str(data), "--tsa-trust", str(ec_tsa.root_pem)]) == 0
    for name in PAYLOAD:
        data = unpacked / "data" / name
        data.write_bytes(data.read_bytes() + b"altered")
    bad = _java(classpath, "validate", *args)
    assert bad.returncode == 1
    assert bad.stdout.count("INVALID ") == len(PAYLOAD), bad.stdout


def test_ers_verify_accepts_records_bouncy_castle_generates(
    classpath: str, tmp_path: Path, ec_tsa: TsaMaterial, ec_server: TsaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    files = []
    for i in range(11):  # 11 objects: reduced trees of four levels
        f = tmp_path / f"object-{i}.bin"
        f.write_bytes(b"object %d\n" % i)
        files.append(str(f))
    made = _java(classpath, "generate", ec_server.url, str(tmp_path), *files)
    assert made.returncode == 0, made.stderr
    for f in (files[0], files[7], files[10]):
        capsys.readouterr()
        code = main(["ers", "verify", f + ".ers", "--data", f, "--tsa-trust", str(ec_tsa.root_pem), "--json"])
        out = json.loads(capsys.readouterr().out)
        assert code == 0, out
        assert out["chains"][0]["hash_alg"] == "sha256"
        assert out["chains"][0]["proven_from"]
    other = tmp_path / "object-1.bin"
    assert main(["ers", "verify", files[0] + ".ers", "--data", str(other), "--tsa-trust", str(ec_tsa.root_pem)]) == 1


def test_openssl_verifies_the_root_a_member_record_leads_to(
    tmp_path: Path, ec_tsa: TsaMaterial, ec_server: TsaServer
) -> None:
    """docs/timestamping.md "One member with OpenSSL alone": walk the reduced tree by hand."""
    from glyphserpack.timestamp.ers_asn1 import EvidenceRecord

    unpacked = _stamped_export(tmp_path, ec_server.url, ["sha256"])
    name = "evidence/release.yaml"
    record = EvidenceRecord.load((tmp_path / "ers" / "data" / f"{name}.ers").read_bytes())
    lists = record["archive_time_stamp_sequence"][0][0]["reduced_hashtree"].native
    value = hashlib.sha256((unpacked / "data" / name).read_bytes()).digest()
    assert value in lists[0]
    value = hashlib.sha256(b"".join(sorted(lists[0]))).digest()
    for level in lists[1:]:
        value = hashlib.sha256(b"".join(sorted([value, *level]))).digest()
    link = unpacked / "timestamps" / "link-00"
    args = ["-in", str(link / "tsa-1.tst"), "-token_in", "-digest", value.hex(), "-CAfile", str(ec_tsa.root_pem)]
    done = subprocess.run(
        ["openssl", "ts", "-verify", *args, "-untrusted", str(link / "tsa-1-chain.pem")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verification: OK" in done.stdout
    assert f"-digest {value.hex()}" in (unpacked / "timestamps" / "verify-openssl.txt").read_text()


def test_bouncy_castle_validates_the_v1_1_corpus_records_with_revocation_data(classpath: str, tmp_path: Path) -> None:
    """The corpus pack keeps CRL and OCSP data per token; its records carry them in cryptoInfos."""
    entry = Path(__file__).resolve().parents[2] / "archive" / "corpus" / "v1.1"
    pack = entry / "reference.glyphserpack"
    assert main(["ers", "export", str(pack), "-o", str(tmp_path / "ers")]) == 0
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(f"zstd -dc '{pack}' | tar -x -C '{unpacked}'", shell=True, check=True, timeout=120)
    args = [str(entry / "tsa-root.pem")]
    for record in sorted((tmp_path / "ers").rglob("*.ers")):
        args += [str(record), str(unpacked / record.relative_to(tmp_path / "ers").with_suffix(""))]
    done = _java(classpath, "validate", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("VALID ") == len(args) // 2
