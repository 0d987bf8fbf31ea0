"""Step 14 (parity): a Reed–Solomon sidecar of the *finished* pack, verified, published, optional.

The sidecar must be computed after the time-stamp and log steps rewrite the pack's tail;
the tests prove that by repairing damage to that tail with it, and by checking it against
the final pack byte for byte (``assess``). ``--parity off`` makes none; a bad ratio is
refused before anything is written; a resume with another ratio is refused.
"""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pytest

from glyphserpack._internal.fsio import file_sha256
from glyphserpack.cli import main
from glyphserpack.parity import assess, protect, repair, sidecar_path
from glyphserpack.release.checkpoint import CHECKPOINT_NAME
from glyphserpack.release.pipeline import STEPS

from .helpers import EVIDENCE, Keys, Tsa, build_args, crash_child, run_build

PACK = "packs/glyphser-1.4.0.glyphserpack"
PAR = PACK + ".par"


def _summary(out: Path) -> dict[str, object]:
    doc: dict[str, object] = json.loads((out / "reports" / "build.json").read_text())
    return doc


def _parity_check(out: Path) -> dict[str, str]:
    report = json.loads((out / "reports" / "verification" / "glyphser-1.4.0.glyphserpack.json").read_text())
    (check,) = [c for c in report["checks"] if c["id"] == "parity"]
    return dict(check)


def test_sidecar_protects_the_finished_pack(reference: Path, tmp_path: Path) -> None:
    pack, par = reference / PACK, reference / PAR
    assert sidecar_path(pack) == par
    status = assess(pack, par)
    assert status.intact, [f.line() for f in status.findings()]
    assert par.read_bytes() == protect(pack, ratio=0.05, out=tmp_path / "again.par").read_bytes()
    assert _summary(reference)["parity"] == {
        "ratio": "5%",
        "sidecar": par.name,
        "sha256": file_sha256(par),
        "size": par.stat().st_size,
    }
    # after the steps that rewrite the pack's tail, before the one that reports on it
    names = [s.name for s in STEPS]
    assert names.index("log") < names.index("parity") < names.index("verify") < names.index("site")
    cp = json.loads((reference / CHECKPOINT_NAME).read_text())
    (record,) = [s for s in cp["steps"] if s["name"] == "parity"]
    assert record["outputs"] == {PAR: file_sha256(par)}
    assert _parity_check(reference) == {
        "id": "parity",
        "result": "pass",
        "detail": f"{par.name}: pack and parity intact",
    }
    # Damage the last bytes (where the inclusion proof and the index were attached last):
    # the sidecar restores them exactly, so it was computed from the pack's final bytes.
    broken = tmp_path / "broken.glyphserpack"
    data = bytearray(pack.read_bytes())
    for i in range(len(data) - 600, len(data) - 500):
        data[i] ^= 0xFF
    broken.write_bytes(bytes(data))
    shutil.copyfile(par, sidecar_path(broken))
    assert not assess(broken, sidecar_path(broken)).pack_intact
    result = repair(broken, tmp_path / "fixed.glyphserpack")
    assert result.repaired
    assert (tmp_path / "fixed.glyphserpack").read_bytes() == pack.read_bytes()


def test_site_publishes_the_sidecar_beside_the_pack(
    reference: Path, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    site = reference / "site"
    (pack,) = json.loads((site / "api" / "packs.json").read_text())["packs"]
    parity = pack["parity"]
    assert parity["download"] == pack["download"] + ".par"
    assert parity["name"] == "glyphser-1.4.0.glyphserpack.par"
    published = site / parity["download"]
    assert published.read_bytes() == (reference / PAR).read_bytes()
    assert (parity["sha256"], parity["size"]) == (file_sha256(published), published.stat().st_size)
    assert parity["status"] == "pack and parity intact"
    files = {f["path"] for f in json.loads((site / "site-manifest.json").read_text())["body"]["files"]}
    assert parity["download"] in files  # signed and time-stamped with the rest of the site
    archive = (site / "archive.html").read_text(encoding="utf-8")
    assert f'href="{parity["download"]}"' in archive
    assert f"{parity['sha256']}  {Path(parity['download']).name}" in archive  # the sha256sum line
    # A registry mirror that downloads both under their published names verifies the parity too.
    capsys.readouterr()
    assert main(["verify", str(site / pack["download"]), "--trust", str(keys.trust), "--json"]) == 0
    checks = {c["id"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["parity"]["result"] == "pass"


def test_parity_off_in_the_config_and_a_ratio_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    (evidence / "glyphserpack.toml").write_text('parity = "off"\n')
    out = tmp_path / "dist"
    assert main(["build", str(evidence), "-o", str(out)]) == 0
    assert not (out / PAR).exists()
    assert not list((out / "site").rglob("*.par"))
    assert _summary(out)["parity"] is None
    assert _parity_check(out) == {"id": "parity", "result": "skip", "detail": "--parity off: no sidecar"}
    (pack,) = json.loads((out / "site" / "api" / "packs.json").read_text())["packs"]
    assert pack["parity"] is None
    assert "Parity:" not in (out / "site" / "archive.html").read_text(encoding="utf-8")
    # the flag wins over the file
    assert main(["build", str(evidence), "-o", str(out), "--parity", "10%"]) == 0
    summary = _summary(out)["parity"]
    assert isinstance(summary, dict)
    assert summary["ratio"] == "10%"
    assert (out / PAR).read_bytes() == protect(out / PACK, ratio=0.10, out=tmp_path / "ten.par").read_bytes()
    capsys.readouterr()


@pytest.mark.parametrize("value", ["0%", "150%", "lots", "5"])
def test_a_bad_ratio_is_refused_before_anything_is_written(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    assert main(["build", str(EVIDENCE), "-o", str(out), "--parity", value]) == 2
    err = capsys.readouterr().err
    assert f"--parity {value!r}" in err
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('parity = "lots"\n', "parity 'lots': expected a percentage"),
        ("parity = 5\n", "parity: expected non-empty text"),
    ],
)
def test_a_bad_ratio_in_the_config_names_the_file(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    (evidence / "glyphserpack.toml").write_text(text)
    out = tmp_path / "dist"
    assert main(["build", str(evidence), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{evidence / 'glyphserpack.toml'}: {message}" in err
    assert not out.exists()


def test_resume_with_another_ratio_is_refused(
    tmp_path: Path, tsa: Tsa, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    args = build_args(out, tsa, keys)
    tsa.reset()
    assert crash_child(args, "parity:start") == signal.SIGKILL
    checkpoint = (out / CHECKPOINT_NAME).read_bytes()
    capsys.readouterr()
    assert run_build([*args, "--parity", "10%", "--resume"]) == 2
    assert "changed since the interrupted build" in capsys.readouterr().err
    assert (out / CHECKPOINT_NAME).read_bytes() == checkpoint
    assert run_build([*args, "--parity", "5.0%", "--resume"]) == 0  # the same ratio, spelled differently
    assert assess(out / PACK, out / PAR).intact
