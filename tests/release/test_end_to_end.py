"""The uninterrupted build on the bundled evidence, checked the way a stranger would check it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from glyphserpack import canonical
from glyphserpack.release.checkpoint import CHECKPOINT_NAME
from glyphserpack.release.evidence_steps import EVIDENCE_STEPS, PARTIAL_HASHES
from glyphserpack.release.pipeline import STEPS

from .helpers import EVIDENCE, Keys, Tsa, assert_same_tree, build_args, run_build

PACK = "packs/glyphser-1.4.0.glyphserpack"


def test_layout_and_verdict(reference: Path) -> None:
    summary = json.loads((reference / "reports" / "build.json").read_text())
    assert summary["upgrade_gate_verdict"] == "PASS"
    assert summary["pack_valid"] is True
    assert summary["site_valid"] is True
    assert summary["timestamped"] is True
    # 5 certification records + 3 run certificates + 1 supersession + 1 revocation + the pack
    assert summary["log"]["size"] == 11
    for rel in (
        "reports/productization_report.cbor",
        "reports/expansion_report.json",
        "reports/verification/glyphser-1.4.0.glyphserpack.json",
        "reports/verification/site.json",
        PACK,
        f"{PACK}.par",
        "log/checkpoint",
        "proofs/glyphser-1.4.0.glyphserpack.tlog-proof",
        "site/index.html",
        "site/site-manifest.json",
    ):
        assert (reference / rel).is_file(), rel
    assert str(reference) not in (reference / "reports" / "build.json").read_text()


def test_ten_steps_form_a_hash_chain_recorded_in_the_checkpoint(reference: Path) -> None:
    steps = reference / "reports" / "steps"
    previous = None
    for step in EVIDENCE_STEPS:
        data = (steps / f"{step.number:02d}-{step.name}.cbor").read_bytes()
        obj = canonical.loads(data)
        assert obj["step"] == step.number
        assert obj["previous_step_hash"] == previous
        assert json.loads((steps / f"{step.number:02d}-{step.name}.json").read_text()) == obj
        previous = hashlib.sha256(data).hexdigest()
    cp = json.loads((reference / CHECKPOINT_NAME).read_text())
    assert [s["name"] for s in cp["steps"]] == [s.name for s in STEPS]
    state: dict[str, object] = {}
    for record in cp["steps"]:
        state.update(record["state"])
        for rel, digest in record["outputs"].items():
            assert not rel.startswith("/")
            assert len(digest) == 64
    assert state["step_hash"] == previous
    prod = json.loads((reference / "reports" / "productization_report.json").read_text())
    for key, name in PARTIAL_HASHES.items():
        assert state[key] == prod[name]
    assert state["completed_workstream_ids"][:10] == [
        "I.A",
        "I.B",
        "I.C",
        "I.D",
        "I.E",
        "I.F",
        "I.G",
        "I.H",
        "I.I",
        "R.1",
    ]
    # seed §5: the checkpoint after step 3 already holds the partial certification bundle hash
    after_three = {}
    for record in cp["steps"][:3]:
        after_three.update(record["state"])
    assert after_three["completed_workstream_ids"] == ["I.A", "I.B", "I.C"]
    assert after_three["partial_certification_bundle_hash"] == prod["certification_evidence_bundle_hash"]
    assert "partial_chaos_proof_pack_hash" not in after_three


def test_pack_verifies_with_our_tool_zstd_tar_and_openssl(
    reference: Path, tmp_path: Path, keys: Keys, tsa: Tsa
) -> None:
    from glyphserpack.pack import open_pack, verify
    from glyphserpack.trust import TrustStore

    pack = reference / PACK
    report = verify(pack, trust=TrustStore.load(keys.trust))
    assert report.valid, report.to_json()
    with open_pack(pack) as reader:
        names = {m.name for m in reader.members()}
        assert "data/reports/productization_report.cbor" in names
        assert "data/evidence/release.yaml" in names
        assert "proofs/log-inclusion.tlog-proof" in names
        assert "timestamps/index.cbor" in names
        assert not any("PRIVATE KEY" in reader.read_member(n).decode("latin-1") for n in names if n.endswith(".pem"))
    dest = tmp_path / "x"
    dest.mkdir()
    zstd = subprocess.run(["zstd", "-dc", str(pack)], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=zstd.stdout, check=True)
    shutil.copyfile(tsa.roots, dest / "TSA-ROOTS.pem")
    lines = [
        line
        for line in (dest / "timestamps" / "verify-openssl.txt").read_text().splitlines()
        if line.startswith("openssl ts -verify")
    ]
    assert lines
    for line in lines:
        proc = subprocess.run(line.split(), cwd=dest, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        assert "Verification: OK" in proc.stdout


def test_log_proof_and_cli_verifiers_accept(
    reference: Path, keys: Keys, tsa: Tsa, capsys: pytest.CaptureFixture[str]
) -> None:
    from glyphserpack.cli import main

    summary = json.loads((reference / "reports" / "build.json").read_text())
    assert summary["log"]["vkey"].startswith("certs.example.org/glyphser/log+")
    assert main(["verify", str(reference / PACK), "--trust", str(keys.trust)]) == 0
    assert main(["log", "verify", str(reference / "log")]) == 0
    proof = reference / "proofs" / "glyphser-1.4.0.glyphserpack.tlog-proof"
    assert main(["log", "verify-proof", str(proof), "--key", summary["log"]["vkey"]]) == 0
    assert (
        main(["site", "verify", str(reference / "site"), "--trust", str(keys.trust), "--tsa-roots", str(tsa.roots)])
        == 0
    )
    capsys.readouterr()


def test_rebuild_from_scratch_is_byte_identical(tmp_path: Path, tsa: Tsa, keys: Keys, reference: Path) -> None:
    out = tmp_path / "dist"
    tsa.reset()
    assert run_build(build_args(out, tsa, keys)) == 0
    assert_same_tree(out, reference)
    # A fresh build (no --resume) over a previous build's directory starts over and ends equal.
    tsa.reset()
    assert run_build(build_args(out, tsa, keys)) == 0
    assert_same_tree(out, reference)


def test_failing_evidence_still_publishes_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from glyphserpack.cli import main

    evidence = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    chaos = evidence / "chaos" / "chaos_proof_pack.yaml"
    chaos.write_bytes(chaos.read_bytes() + b"# altered after release\n")
    out = tmp_path / "dist"
    assert main(["build", str(evidence), "-o", str(out), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["upgrade_gate_verdict"] == "FAIL"
    assert doc["exit_code"] == 1
    prod = json.loads((out / "reports" / "productization_report.json").read_text())
    assert prod["first_failing_workstream"] == "I.I"
    assert (out / PACK).is_file()
    assert (out / "site" / "index.html").is_file()
    assert doc["log"] is None
    assert doc["timestamped"] is False
    assert doc["pack"]["signed"] is False


def test_refuses_a_directory_that_is_not_a_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from glyphserpack.cli import main

    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("do not delete")
    assert main(["build", str(EVIDENCE), "-o", str(out)]) == 2
    assert "not a glyphserpack build" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]


def test_log_lifecycle_matches_the_registry(reference: Path) -> None:
    from glyphserpack.log import LogStore, decode_entry, derive_states

    store = LogStore(reference / "log")
    size = store.open_checkpoint().checkpoint.size
    entries = [(i, decode_entry(data, where=f"entry {i}")) for i, data in store.iter_entries(size)]
    report = derive_states(entries)
    assert report.findings == []
    states = {c.certificate_id: c.state for c in report.certificates.values()}
    assert states["cert-store-gcs-2026"] == "revoked"
    assert states["cert-store-s3-2025"] == "superseded"
    assert states["cert-store-s3-2026"] == "valid"
    assert states["run-regulated-20261010-0001"] == "valid"
    assert entries[-1][1]["type"] == "pack_published"


def test_site_republishes_the_log_and_shows_its_states(reference: Path) -> None:
    assert (reference / "site" / "log" / "checkpoint").read_bytes() == (reference / "log" / "checkpoint").read_bytes()
    registry = (reference / "site" / "api" / "registry.json").read_text()
    assert '"superseded"' in registry
    assert '"revoked"' in registry


def test_site_archive_page_reports_the_pack_verified_against_the_build_trust_store(reference: Path) -> None:
    packs = json.loads((reference / "site" / "api" / "packs.json").read_text())["packs"]
    assert [p["signature_valid"] for p in packs] == [True]
    html = (reference / "site" / "archive.html").read_text(encoding="utf-8")
    assert "Integrity and signatures: verified" in html
