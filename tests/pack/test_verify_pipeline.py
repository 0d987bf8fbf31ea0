"""One verification pipeline: the library, `glyphserpack verify`, the build's verify step and the
site's archive page give the same findings and the same verdict for the same pack.

Each case is a signed, RFC 3161 time-stamped pack with a parity sidecar, good or damaged in one
way; every caller is run on it with the same trust store, TSA roots and quorum.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from glyphserpack import pack
from glyphserpack.cli import main
from glyphserpack.errors import PackError
from glyphserpack.keys import generate, load_private_key
from glyphserpack.pack import stamp_pack
from glyphserpack.parity import protect, sidecar_path
from glyphserpack.release.config import BuildConfig
from glyphserpack.release.context import BuildContext
from glyphserpack.release.publish_steps import PACK_DIR, VERIFY_DIR, verify_step
from glyphserpack.site.packs import describe
from glyphserpack.timestamp import load_certificates
from glyphserpack.timestamp.ca import init_tsa
from glyphserpack.timestamp.server import TsaServer
from glyphserpack.trust import TrustStore

CREATED = "2026-03-01T12:00:00Z"
NAME = "release.glyphserpack"


@dataclass(frozen=True)
class Setup:
    trust: Path
    roots: Path
    other_roots: Path
    good: Path  # signed by a trusted key, time-stamped, with its sidecar
    untrusted: Path  # the same, signed by a key the trust store does not hold


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    base = tmp_path_factory.mktemp("pipeline")
    src = base / "src"
    (src / "certs").mkdir(parents=True)
    (src / "certs" / "cert.json").write_text('{"run": 1}\n')
    (src / "big.bin").write_bytes(hashlib.shake_256(b"incompressible").digest(3_000_000))
    trust = base / "trust"
    generate(base / "good.key", trust_dir=trust, not_before="2026-01-01T00:00:00Z")
    generate(base / "stranger.key", trust_dir=base / "other-trust", not_before="2026-01-01T00:00:00Z")
    tsa = init_tsa(base / "tsa", key_type="ec")
    other = init_tsa(base / "other-tsa", key_type="ec")
    made = {}
    with TsaServer(tsa.directory) as server:
        for label, key in (("good", "good.key"), ("untrusted", "stranger.key")):
            out = base / label / NAME
            out.parent.mkdir()
            pack.write(src, out, sign_keys=[load_private_key(base / key)], created=CREATED, threads=1)
            stamp_pack(out, [server.url])
            protect(out, ratio=0.05)
            made[label] = out
    return Setup(trust, tsa.directory / "root.pem", other.directory / "root.pem", made["good"], made["untrusted"])


def _copy(p: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(p, dest / p.name)
    shutil.copyfile(sidecar_path(p), sidecar_path(dest / p.name))
    return dest / p.name


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x40
    path.write_bytes(bytes(data))


@dataclass(frozen=True)
class Verdict:
    codes: list[str]
    valid: bool


def _library(path: Path, trust: Path, roots: Path) -> Verdict:
    report = pack.verify(path, trust=TrustStore.load(trust), tsa_trust=roots, tsa_quorum=1)
    return Verdict(report.codes, report.valid)


def _cli(path: Path, trust: Path, roots: Path, capsys: pytest.CaptureFixture[str]) -> Verdict:
    capsys.readouterr()
    rc = main(["verify", str(path), "--trust", str(trust), "--tsa-trust", str(roots), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert rc == (0 if doc["valid"] else 1)
    return Verdict(sorted({f["code"] for f in doc["findings"]}), doc["valid"])


def _build(path: Path, trust: Path, roots: Path, out: Path) -> Verdict:
    """Step 15 of a build whose earlier steps produced ``path`` (time-stamped, parity on, no log)."""
    _copy(path, out / PACK_DIR)
    ctx = BuildContext(
        evidence=out / "no-evidence-needed",
        out=out,
        config=BuildConfig(tsa_roots=roots, quorum=1),
        signer=None,
        trust=TrustStore.load(trust),
        state={"pack_name": NAME, "timestamped": True, "logged": False, "parity": {"sidecar": NAME + ".par"}},
    )
    result = verify_step(ctx)
    doc = json.loads((out / VERIFY_DIR / f"{NAME}.json").read_text())
    assert result.state["pack_valid"] == doc["valid"]
    return Verdict(sorted({f["code"] for f in doc["findings"]}), doc["valid"])


def _site(path: Path, trust: Path, roots: Path) -> Verdict:
    record = describe(path, tsa_roots=load_certificates(roots, what="roots"), trust=TrustStore.load(trust))
    assert record.signature_valid is not None
    return Verdict(list(record.findings), record.signature_valid)


def _damage_frame(p: Path) -> None:
    _flip(p, p.stat().st_size // 3)  # inside big.bin's frames


def _damage_index(p: Path) -> None:
    _flip(p, p.stat().st_size - 60)  # the pack index: random access fails, the stream is intact


def _damage_sidecar(p: Path) -> None:
    par = sidecar_path(p)
    _flip(par, par.stat().st_size // 2)  # a parity block, not the pack


CASES = {
    # name: (which pack, damage, use the other TSA's roots, codes the pack must show, valid)
    "good": ("good", None, False, {"GSP-E217"}, True),
    "untrusted-signer": ("untrusted", None, False, {"GSP-E115", "GSP-E117"}, False),
    "timestamp-quorum-not-met": ("good", None, True, {"GSP-E208", "GSP-E214"}, False),
    "damaged-frame": ("good", _damage_frame, False, {"GSP-E104", "GSP-E105", "GSP-E503", "GSP-E504"}, False),
    "damaged-index": ("good", _damage_index, False, {"GSP-E103", "GSP-E217", "GSP-E503", "GSP-E504"}, False),
    "corrupt-parity-sidecar": ("good", _damage_sidecar, False, {"GSP-E506"}, True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_caller_reports_the_same_findings(
    case: str, setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    which, damage, other_tsa, expected, valid = CASES[case]
    path = _copy(setup.good if which == "good" else setup.untrusted, tmp_path / "pack")
    if damage is not None:
        damage(path)
    roots = setup.other_roots if other_tsa else setup.roots

    library = _library(path, setup.trust, roots)
    assert expected <= set(library.codes), library.codes
    assert library.valid is valid
    assert _cli(path, setup.trust, roots, capsys) == library
    assert _build(path, setup.trust, roots, tmp_path / "build-out") == library
    assert _site(path, setup.trust, roots) == library


def test_the_library_alone_gives_the_cli_verdict(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    """`pack.verify(path)` with the CLI's options checks time-stamps and parity as `verify` does."""
    report = pack.verify(setup.good, trust=TrustStore.load(setup.trust), tsa_trust=setup.other_roots)
    assert not report.valid
    assert {c.check_id for c in report.checks} >= {"9.signatures", "timestamps", "parity"}
    assert _cli(setup.good, setup.trust, setup.other_roots, capsys) == Verdict(report.codes, report.valid)
    # Without parity=... the sidecar is checked; parity=False leaves step 11 out entirely.
    assert "parity" not in {c.check_id for c in pack.verify(setup.good, parity=False).checks}


def test_an_unreadable_pack_with_a_sidecar_is_reported_not_raised(setup: Setup, tmp_path: Path) -> None:
    path = _copy(setup.good, tmp_path)
    data = bytearray(path.read_bytes())
    data[:4] = b"XXXX"  # not even a zstd frame at offset 0
    path.write_bytes(bytes(data))
    report = pack.verify(path, trust=TrustStore.load(setup.trust), tsa_trust=setup.roots)
    assert "GSP-E101" in report.codes
    assert report.parity is not None
    assert report.parity.repairable
    sidecar_path(path).unlink()
    with pytest.raises(PackError) as exc:
        pack.verify(path)
    assert exc.value.code == "GSP-E101"
