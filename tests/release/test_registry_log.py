"""``build --log LOG_DIR``: two releases in a row append to ONE long-lived log.

Release 1 (the bundled evidence) starts an empty log made with ``log init``; release 2 (one
more certificate, one more revocation) appends only what the log lacks, and its site carries
the consistency proof from release 1's checkpoint. Re-running, resuming, and killing the
build anywhere around the append (before it, inside it, after it) end with the same log
bytes and the same outputs; a log whose history was rewritten is refused before anything is
appended. These builds use no TSA: time-stamping is covered by test_resume.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.log import LogStore, decode_entry, parse_verifier_key, verify_consistency_proof
from glyphserpack.release.checkpoint import CHECKPOINT_NAME
from glyphserpack.release.config import load_config
from glyphserpack.release.context import CRASH_ENV
from glyphserpack.release.pipeline import STEPS

from .helpers import BASE_URL, EVIDENCE, Keys, assert_same_tree, tree_bytes
from .registry import copy_log, init_log, make_release_two


@dataclass(frozen=True)
class Releases:
    base: Path
    keys: Keys
    evidence2: Path
    log1: Path  # the log as release 1 left it (never written to again: a template)
    out1: Path
    log2: Path  # the log after release 2
    out2: Path


def _args(evidence: Path, out: Path, keys: Keys, log_dir: Path | None) -> list[str]:
    args = ["build", str(evidence), "-o", str(out), "--profile", "regulated", "--sign-key", str(keys.key)]
    args += ["--trust", str(keys.trust), "--base-url", BASE_URL]
    return [*args, "--log", str(log_dir)] if log_dir is not None else args


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Releases:
    base = tmp_path_factory.mktemp("registry")
    evidence2 = make_release_two(base / "evidence2")
    log1 = init_log(base / "log1", keys)
    assert main(_args(EVIDENCE, base / "out1", keys, log1)) == 0
    log2 = copy_log(log1, base / "log2")
    assert main(_args(evidence2, base / "out2", keys, log2)) == 0
    return Releases(base, keys, evidence2, log1, base / "out1", log2, base / "out2")


def _entries(log_dir: Path) -> list[dict[str, object]]:
    store = LogStore(log_dir)
    size = store.open_checkpoint().checkpoint.size
    return [decode_entry(data, where=str(i)) for i, data in store.iter_entries(size)]


def _summary(out: Path) -> dict[str, object]:
    doc: dict[str, object] = json.loads((out / "reports" / "build.json").read_text())
    return doc


def test_first_release_starts_the_log(releases: Releases) -> None:
    log = _summary(releases.out1)["log"]
    assert isinstance(log, dict)
    assert (log["previous_size"], log["size"]) == (0, 11)
    assert (releases.out1 / "log" / "checkpoint").read_bytes() == (releases.log1 / "checkpoint").read_bytes()
    assert not (releases.out1 / "site" / "log" / "consistency.json").exists()  # nothing before it


def test_second_release_extends_the_first(releases: Releases, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = releases.log1 / "checkpoint", releases.log2 / "checkpoint"
    assert main(["log", "consistency", str(old), str(new), "--log", str(releases.log2)]) == 0
    log = _summary(releases.out2)["log"]
    assert isinstance(log, dict)
    assert (log["previous_size"], log["size"]) == (11, 14)
    # Only what release 1 did not log: the new certificate, the new revocation, the pack.
    entries = _entries(releases.log2)
    assert entries[:11] == _entries(releases.log1)
    assert [e["type"] for e in entries[11:]] == ["certificate_issued", "certificate_revoked", "pack_published"]
    issued = [e["certificate_hash"] for e in entries if e["type"] == "certificate_issued"]
    assert len(issued) == len(set(issued)) == 9, "a certificate logged by release 1 was logged again"
    # The site publishes the proof from release 1's checkpoint to release 2's, and verifies.
    site = releases.out2 / "site"
    proof = (site / "log" / "consistency.json").read_bytes()
    doc = json.loads(proof)
    assert doc["old_checkpoint"].encode() == old.read_bytes()
    assert doc["new_checkpoint"].encode() == new.read_bytes()
    key = parse_verifier_key(str(log["vkey"]))
    got_old, got_new = verify_consistency_proof(proof, key)
    assert (got_old.size, got_new.size) == (11, 14)
    body = json.loads((site / "site-manifest.json").read_text())["body"]["log"]
    assert body["previous_checkpoint"] == old.read_text()
    capsys.readouterr()
    assert main(["site", "verify", str(site), "--trust", str(releases.keys.trust), "--log-key", str(log["vkey"])]) == 0
    assert "log: certs.example.org/glyphser/log size 14" in capsys.readouterr().out
    # OUT/log is a copy of the registry's log at its checkpoint; the pack's proof is against it.
    # (only the tiles of that size: the registry's log also keeps release 1's partial tiles)
    published, registry = tree_bytes(releases.out2 / "log"), tree_bytes(releases.log2)
    assert {k: registry[k] for k in published} == published
    # (and the writer's lock and entry index, which are not part of the published log)
    unpublished = sorted(set(registry) - set(published))
    assert [n for n in unpublished if not n.startswith(".index/")] == [
        ".lock",
        "tile/0/000.p/11",
        "tile/entries/000.p/11",
    ]
    assert ".index/state.json" in unpublished
    assert ".index/state.json" not in published
    pack_proof = (releases.out2 / "proofs" / "glyphser-1.4.0.glyphserpack.tlog-proof").read_bytes()
    assert pack_proof.endswith(new.read_bytes())


def test_rerun_and_resume_append_nothing_and_reproduce(releases: Releases, tmp_path: Path) -> None:
    log = copy_log(releases.log2, tmp_path / "log")
    before = tree_bytes(log)
    out = tmp_path / "out"
    args = _args(releases.evidence2, out, releases.keys, log)
    assert main(args) == 0  # a fresh build of release 2 against a log that already holds it
    assert tree_bytes(log) == before
    assert_same_tree(out, releases.out2)  # same previous checkpoint, re-derived from the tree
    assert main([*args, "--resume"]) == 0
    assert tree_bytes(log) == before
    assert_same_tree(out, releases.out2)


def _crash(args: list[str], crash_at: str) -> int:
    """Fork a build killed at ``crash_at``; ``log:during-append`` dies at the log's commit point."""
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        code = 99
        try:
            if crash_at == "log:during-append":  # tiles and bundles written, checkpoint not yet
                import glyphserpack.log.store as store

                store._commit_checkpoint = lambda root, data: os.kill(os.getpid(), signal.SIGKILL)
            else:
                os.environ[CRASH_ENV] = crash_at
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                code = main(args)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status)


@pytest.mark.parametrize(
    "crash_at",
    ["log:start", "log:previous-saved", "log:during-append", "log:appended", "log:mid", "log:end", "site:mid"],
)
def test_killed_around_the_append_then_resumed(releases: Releases, tmp_path: Path, crash_at: str) -> None:
    log = copy_log(releases.log1, tmp_path / "log")
    out = tmp_path / "out"
    args = _args(releases.evidence2, out, releases.keys, log)
    assert _crash(args, crash_at) == signal.SIGKILL, f"the hook at {crash_at} did not fire"
    appended = (log / "checkpoint").read_bytes() != (releases.log1 / "checkpoint").read_bytes()
    assert appended == (crash_at not in ("log:start", "log:previous-saved", "log:during-append"))
    assert main([*args, "--resume"]) == 0
    assert tree_bytes(log) == tree_bytes(releases.log2), "the log differs from an uninterrupted build's"
    assert_same_tree(out, releases.out2)


def test_rewritten_history_is_refused_before_appending(
    releases: Releases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = copy_log(releases.log1, tmp_path / "log")
    tile = sorted(p for p in (log / "tile" / "0").rglob("*") if p.is_file())[0]
    data = bytearray(tile.read_bytes())
    data[40] ^= 1  # the second leaf hash: entry 1 no longer is what was logged
    tile.write_bytes(bytes(data))
    before = tree_bytes(log)
    capsys.readouterr()
    assert main(_args(releases.evidence2, tmp_path / "out", releases.keys, log)) == 1
    err = capsys.readouterr().err
    assert "the log does not verify; nothing was appended" in err
    assert "GSP-E40" in err
    assert "glyphserpack log verify" in err
    assert tree_bytes(log) == before
    assert not (tmp_path / "out" / "packs").exists()  # refused before the first step


def test_damage_after_an_interruption_is_refused_on_resume(
    releases: Releases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = copy_log(releases.log1, tmp_path / "log")
    out = tmp_path / "out"
    args = _args(releases.evidence2, out, releases.keys, log)
    assert _crash(args, "verify:start") == signal.SIGKILL
    bundle = sorted(p for p in (log / "tile" / "entries").rglob("*") if p.is_file())[-1]
    bundle.write_bytes(bundle.read_bytes()[:-1] + b"\x00")
    capsys.readouterr()
    assert main([*args, "--resume"]) == 1
    assert "the log does not verify" in capsys.readouterr().err


def test_wrong_key_missing_log_and_no_key_are_refused(
    releases: Releases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from glyphserpack.keys import generate

    other = tmp_path / "other.pem"
    generate(other, not_before="2020-01-01T00:00:00Z")
    log = copy_log(releases.log1, tmp_path / "log")
    args = _args(releases.evidence2, tmp_path / "out", releases.keys, log)
    capsys.readouterr()
    assert main([*(a if a != str(releases.keys.key) else str(other) for a in args)]) == 2
    assert "the key given as --sign-key is not this log's key" in capsys.readouterr().err
    assert main(_args(releases.evidence2, tmp_path / "out", releases.keys, tmp_path / "nolog")) == 2
    err = capsys.readouterr().err
    assert "not a transparency log" in err
    assert "glyphserpack log init" in err
    assert not (tmp_path / "nolog").exists()  # never created implicitly
    no_key = [a for a in args if a not in ("--sign-key", str(releases.keys.key))]
    assert main(no_key) == 2
    assert "--log needs --sign-key" in capsys.readouterr().err
    assert main(_args(releases.evidence2, tmp_path / "out", releases.keys, tmp_path / "out" / "registry")) == 2
    assert "overlaps the output directory" in capsys.readouterr().err
    assert tree_bytes(log) == tree_bytes(releases.log1)


def test_log_in_the_config_file_is_relative_to_the_evidence(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "glyphserpack.toml").write_text('log = "../registry-log"\n')
    assert load_config(evidence).log == evidence / "../registry-log"
    assert load_config(evidence).override(log=tmp_path / "x").log == tmp_path / "x"


def test_without_log_the_checkpoint_records_no_log_step_state(reference: Path) -> None:
    """The self-contained mode is unchanged: no previous checkpoint, no long-lived fields."""
    cp = json.loads((reference / CHECKPOINT_NAME).read_text())
    log_state = cp["steps"][[s.name for s in STEPS].index("log")]["state"]
    assert "log_previous_checkpoint" not in log_state
    assert "previous_size" not in _summary(reference)["log"]  # type: ignore[operator]


def test_site_verify_checks_the_consistency_proof_not_only_its_hash(releases: Releases, tmp_path: Path) -> None:
    # The registry signs its own site, so a proof it never checked must fail on its merits.
    import base64
    import shutil

    from glyphserpack.keys import load_private_key
    from glyphserpack.signing import key_id, sign
    from glyphserpack.site import verify_site
    from glyphserpack.site.manifest import MANIFEST_NAME, compute_root, hash_files
    from glyphserpack.trust import TrustStore

    site = Path(shutil.copytree(releases.out2 / "site", tmp_path / "site"))
    trust = TrustStore.load(releases.keys.trust)
    assert verify_site(site, trust=trust).valid
    proof = site / "log" / "consistency.json"
    doc = json.loads(proof.read_text())
    assert doc["proof"], "an 11 -> 14 consistency proof has hashes"
    doc["proof"] = [base64.b64encode(bytes(32)).decode() for _ in doc["proof"]]
    proof.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    manifest = json.loads((site / MANIFEST_NAME).read_text())
    manifest["body"]["files"] = hash_files(site)
    manifest["root"] = compute_root(manifest["body"])
    key = load_private_key(releases.keys.key)
    sig = sign(key, bytes.fromhex(manifest["root"])).hex()
    manifest["signatures"] = [{"key_id": key_id(key), "algorithm": "ed25519", "signature": sig}]
    manifest["timestamps"] = []
    (site / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    report = verify_site(site, trust=trust)
    errors = {f.code for f in report.findings if f.severity == "error"}
    assert "GSP-E409" in errors, report.findings
    assert "GSP-E303" not in errors  # the files and the signature check out: only the proof is wrong


def _manifest_copy(site: Path, dest: Path) -> Path:
    """A release's site-manifest.json kept outside its build directory, as a registry would."""
    import shutil

    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(site / "site-manifest.json", dest)
    return dest


def test_previous_manifest_chains_successive_sites(
    releases: Releases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from glyphserpack.site import verify_site
    from glyphserpack.trust import TrustStore

    first = _manifest_copy(releases.out1 / "site", tmp_path / "release-1" / "site-manifest.json")
    old = json.loads(first.read_text())
    log = copy_log(releases.log1, tmp_path / "log")
    out = tmp_path / "out"
    args = [*_args(releases.evidence2, out, releases.keys, log), "--previous-manifest", str(first)]
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["previous_manifest_root"] == old["root"]
    assert _summary(out)["previous_manifest_root"] == old["root"]
    site = out / "site"
    body = json.loads((site / "site-manifest.json").read_text())["body"]
    assert body["previous_manifest_root"] == old["root"]
    assert (site / "history" / f"{old['root'][:16]}.json").read_bytes() == first.read_bytes()
    # The log section chains too: the consistency proof runs from the checkpoint site 1 published.
    assert body["log"]["previous_checkpoint"] == old["body"]["log"]["checkpoint"]
    proof = (site / "log" / "consistency.json").read_bytes()
    assert proof == (releases.out2 / "site" / "log" / "consistency.json").read_bytes()
    vkey = str(body["log"]["log_key"])
    verify = ["site", "verify", str(site), "--trust", str(releases.keys.trust), "--log-key", vkey]
    assert main([*verify, "--previous", str(first)]) == 0
    capsys.readouterr()
    report = verify_site(site, trust=TrustStore.load(releases.keys.trust), previous=first, log_key=vkey)
    assert report.valid, report.findings
    assert report.previous_root == old["root"]
    assert report.log is not None
    # ... and the chain is what is checked: another release's manifest is not this one's predecessor.
    assert main([*verify, "--previous", str(releases.out2 / "site" / "site-manifest.json")]) == 1
    assert "GSP-E308" in capsys.readouterr().out
    # Without --previous-manifest the same release's site records no predecessor.
    unchained = json.loads((releases.out2 / "site" / "site-manifest.json").read_text())["body"]
    assert "previous_manifest_root" not in unchained


def test_previous_manifest_is_bound_by_the_checkpoint(
    releases: Releases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _manifest_copy(releases.out1 / "site", tmp_path / "release-1" / "site-manifest.json")
    other = _manifest_copy(releases.out2 / "site", tmp_path / "release-2" / "site-manifest.json")
    reference, out = tmp_path / "reference", tmp_path / "out"
    base = ["--previous-manifest", str(first)]
    uninterrupted = _args(releases.evidence2, reference, releases.keys, copy_log(releases.log1, tmp_path / "a"))
    assert main([*uninterrupted, *base]) == 0
    args = _args(releases.evidence2, out, releases.keys, copy_log(releases.log1, tmp_path / "b"))
    assert _crash([*args, *base], "site:start") == signal.SIGKILL
    checkpoint = (out / CHECKPOINT_NAME).read_bytes()
    capsys.readouterr()
    for changed in (["--previous-manifest", str(other)], []):  # another manifest, or none at all
        assert main([*args, *changed, "--resume"]) == 2
        assert "changed since the interrupted build" in capsys.readouterr().err
        assert (out / CHECKPOINT_NAME).read_bytes() == checkpoint
    assert main([*args, *base, "--resume"]) == 0
    assert_same_tree(out, reference)


def test_previous_manifest_the_log_does_not_extend_is_refused_before_appending(
    releases: Releases, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = _manifest_copy(releases.out2 / "site", tmp_path / "release-2" / "site-manifest.json")
    log = copy_log(releases.log1, tmp_path / "log")  # holds release 1 only: behind that site's checkpoint
    before = tree_bytes(log)
    out = tmp_path / "out"
    capsys.readouterr()
    assert main([*_args(releases.evidence2, out, releases.keys, log), "--previous-manifest", str(later)]) == 2
    err = capsys.readouterr().err
    assert f"previous manifest {later}: --log {log} does not extend the checkpoint that site published" in err
    assert "Traceback" not in err
    assert tree_bytes(log) == before
    assert not out.exists()
