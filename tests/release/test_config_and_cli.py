"""glyphserpack.toml with flag overrides, the checkpoint's rules, help texts, and the demo."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from glyphserpack import canonical
from glyphserpack.cli import main
from glyphserpack.errors import InputError
from glyphserpack.release.checkpoint import Checkpoint, StepRecord, file_sha256
from glyphserpack.release.config import BuildConfig, load_config

from .helpers import EVIDENCE, REPO


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    dest = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, dest)
    return dest


def test_config_file_values_and_flag_override(evidence: Path) -> None:
    (evidence / "glyphserpack.toml").write_text(
        'profile = "core"\nbase_url = "https://example.org/r/"\nsign_key = "../k.pem"\n'
        '[timestamp]\ntsa = ["http://127.0.0.1:1/a", "http://127.0.0.1:1/b"]\nquorum = 2\nhash = "sha512"\n'
    )
    cfg = load_config(evidence)
    assert cfg.profile == "core"
    assert cfg.tsa_urls == ("http://127.0.0.1:1/a", "http://127.0.0.1:1/b")
    assert cfg.quorum == 2
    assert cfg.hash_alg == "sha512"
    assert cfg.sign_key == evidence / "../k.pem"
    kept = cfg.override(profile=None, tsa_urls=(), quorum=None)
    assert kept == cfg
    changed = cfg.override(profile="enterprise", tsa_urls=("http://127.0.0.1:1/c",), quorum=1)
    assert (changed.profile, changed.tsa_urls, changed.quorum) == ("enterprise", ("http://127.0.0.1:1/c",), 1)
    with pytest.raises(InputError, match="quorum 2: only 1 TSA"):
        cfg.override(tsa_urls=("http://127.0.0.1:1/c",))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('profil = "core"\n', "unknown key 'profil'"),
        ('profile = "gold"\n', "profile 'gold'"),
        ("[timestamp]\nquorum = true\n", "timestamp.quorum: expected a whole number"),
        ('[timestamp]\ntsa = "http://x"\n', "expected a list of URLs"),
        ("profile = \n", "invalid TOML"),
    ],
)
def test_config_errors_name_the_problem(evidence: Path, text: str, message: str) -> None:
    (evidence / "glyphserpack.toml").write_text(text)
    with pytest.raises(InputError, match=message):
        load_config(evidence)


def test_build_uses_config_profile_unless_flag_given(
    evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (evidence / "glyphserpack.toml").write_text('profile = "core"\n')
    out = tmp_path / "dist"
    assert main(["build", str(evidence), "-o", str(out)]) == 0
    assert json.loads((out / "reports/productization_report.json").read_text())["profile_id"] == "core"
    assert main(["build", str(evidence), "-o", str(out), "--profile", "enterprise"]) == 0
    assert json.loads((out / "reports/productization_report.json").read_text())["profile_id"] == "enterprise"
    capsys.readouterr()


def test_signing_key_inside_the_evidence_is_refused(
    evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from glyphserpack.keys import generate

    generate(evidence / "oops.pem", not_before="2020-01-01T00:00:00Z")
    out = tmp_path / "dist"
    assert main(["build", str(evidence), "-o", str(out), "--sign-key", str(evidence / "oops.pem")]) == 2
    assert "inside the evidence tree" in capsys.readouterr().err
    assert not out.exists()


def test_unknown_profile_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(EVIDENCE), "-o", str(tmp_path / "d"), "--profile", "gold"]) == 2
    assert "gold" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["build", "demo"])
def test_help_describes_and_gives_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert "Example:" in text
    assert f"glyphserpack {command}" in text


def test_top_level_help_lists_build_and_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "build" in text
    assert "demo" in text


H = "ab" * 32  # an inputs hash


def test_checkpoint_keeps_the_longest_intact_prefix(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a1")
    (tmp_path / "p").write_bytes(b"pack")
    cp = Checkpoint(tmp_path, H)
    cp.record(StepRecord.of("one", {"a": file_sha256(tmp_path / "a")}, {"release_id": "r"}))
    cp.record(StepRecord.of("two", {"p": file_sha256(tmp_path / "p")}, {}))
    (tmp_path / "p").write_bytes(b"pack+stamp")  # step three rewrites step two's file in place
    cp.record(StepRecord.of("three", {"p": file_sha256(tmp_path / "p")}, {}))
    names = ["one", "two", "three", "four"]
    assert [r.name for r in Checkpoint.load(tmp_path, H).valid_prefix(names)] == ["one", "two", "three"]
    assert Checkpoint.load(tmp_path, H).steps[0].state.release_id == "r"
    (tmp_path / "p").write_bytes(b"pack+stamp+proof")  # killed inside step four after it rewrote p
    assert [r.name for r in Checkpoint.load(tmp_path, H).valid_prefix(names)] == ["one"]
    (tmp_path / "a").unlink()
    assert Checkpoint.load(tmp_path, H).valid_prefix(names) == []
    assert Checkpoint.load(tmp_path, H).valid_prefix(["other", "two"]) == []
    with pytest.raises(InputError, match="changed since the interrupted build"):
        Checkpoint.load(tmp_path, "0" * 64)


def test_damaged_checkpoint_is_refused(tmp_path: Path) -> None:
    Checkpoint(tmp_path, H).save()
    path = tmp_path / ".glyphserpack-build.json"
    path.write_text(path.read_text().replace('"checkpoint_version": 1', '"checkpoint_version": 9'))
    with pytest.raises(InputError, match="unreadable build checkpoint"):
        Checkpoint.load(tmp_path, H)


def test_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from glyphserpack.pack import open_pack, verify
    from glyphserpack.site import verify_site
    from glyphserpack.timestamp import load_certificates
    from glyphserpack.trust import TrustStore

    temp_before = set(Path(tempfile.gettempdir()).glob("glyphserpack-demo-*"))
    out = tmp_path / "dist"
    assert main(["demo", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"file://{out.resolve()}/site/index.html" in text
    assert f"glyphserpack site serve {out / 'site'}" in text
    for release in ("glyphser-1.3.0", "glyphser-1.4.0", "glyphser-2.0.0"):
        assert f"{release} (regulated): upgrade gate PASS" in text
    assert "logged revocation certification/revocations/rev-2026-0007.cbor of cert-store-gcs-2026" in text
    assert text.index("glyphser-1.3.0 (regulated)") < text.index("logged revocation") < text.index("glyphser-1.4.0 (")
    readme = (REPO / "README.md").read_text().split("It prints, per release:", 1)[1]
    shown = readme.split("```\n", 2)[1]
    lines = [line for line in shown.splitlines() if "…" not in line]
    assert len(lines) >= 4
    for line in lines:  # the README's Quickstart shows the demo's lines as they are
        assert line.replace("dist/", f"{out}/") in text, line
    assert set(Path(tempfile.gettempdir()).glob("glyphserpack-demo-*")) == temp_before  # keys deleted
    for p in out.rglob("*"):
        if p.is_file():
            assert b"PRIVATE KEY" not in p.read_bytes(), p
    trust = TrustStore.load(out / "trust")
    pack = out / "registry" / "releases" / "glyphser-2.0.0" / "packs" / "glyphser-2.0.0.glyphserpack"
    assert f"glyphserpack verify {pack} --trust {out / 'trust'}" in text
    assert verify(pack, trust=trust).valid
    roots = load_certificates(out / "trust" / "tsa-roots.pem", what="roots")
    assert verify_site(out / "site", trust=trust, tsa_roots=roots).valid
    with open_pack(pack) as reader:
        index = canonical.loads(reader.attachments()["timestamps/index.cbor"])
    url = urlsplit(index["links"][0]["tokens"][0]["tsa"])
    assert url.hostname == "127.0.0.1"
    with pytest.raises(OSError), socket.create_connection((url.hostname, url.port), timeout=2):
        pass  # the embedded TSA was stopped
    # Running the demo again replaces the previous one.
    assert main(["demo", "-o", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["upgrade_gate_verdict"] == "PASS"
    assert doc["pack_valid"]
    assert doc["site_valid"]
    assert [r["release_id"] for r in doc["releases"]] == ["glyphser-1.3.0", "glyphser-1.4.0", "glyphser-2.0.0"]
    assert len(doc["revocations_logged"]) == 1


def test_build_config_defaults_are_checked() -> None:
    with pytest.raises(InputError):
        BuildConfig(quorum=0).check()


def test_output_inside_the_evidence_is_refused(evidence: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(evidence), "-o", str(evidence / "dist")]) == 2
    assert "inside the evidence tree" in capsys.readouterr().err
    assert not (evidence / "dist").exists()
