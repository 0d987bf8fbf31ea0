"""Faults from the issue: damaged tiles, bad or rolled-back checkpoints, crashed appends."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from logtest_helpers import naive_mth, pack_doc

from glyphserpack.errors import InputError, SignatureInvalid, VerificationError
from glyphserpack.log import store as store_mod
from glyphserpack.log.audit import audit_log
from glyphserpack.log.entries import encode_entry, make_entry
from glyphserpack.log.note import Signer
from glyphserpack.log.proof import make_proof
from glyphserpack.log.store import LogStore


def leaves(n: int) -> list[bytes]:
    return [encode_entry(make_entry(pack_doc(i))) for i in range(n)]


def grown(store: LogStore, signer: Signer, n: int = 600) -> LogStore:
    store.append([pack_doc(i) for i in range(n)], signer)
    return store


def codes(store: LogStore, **kw: object) -> set[str]:
    return {f.code for f in audit_log(store, **kw).findings}  # type: ignore[arg-type]


def test_clean_log_audits_ok(store: LogStore, signer: Signer) -> None:
    report = audit_log(grown(store, signer))
    assert report.ok
    assert report.findings == []
    assert report.size == 600
    assert report.root_hash == naive_mth(leaves(600))


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        ("missing-full", "GSP-E403"),
        ("missing-partial", "GSP-E403"),
        ("truncated", "GSP-E404"),
        ("edited-tile", "GSP-E405"),
        ("edited-level1", "GSP-E405"),
        ("edited-bundle", "GSP-E405"),
        ("missing-bundle", "GSP-E406"),
        ("truncated-bundle", "GSP-E406"),
    ],
)
def test_damaged_tiles_are_named(store: LogStore, signer: Signer, damage: str, code: str) -> None:
    root = grown(store, signer).root
    tile = root / "tile/0/001"
    if damage == "missing-full":
        tile.unlink()
    elif damage == "missing-partial":
        (root / "tile/0/002.p/88").unlink()
    elif damage == "truncated":
        tile.write_bytes(tile.read_bytes()[:-5])
    elif damage == "edited-tile":
        data = bytearray(tile.read_bytes())
        data[100] ^= 1
        tile.write_bytes(bytes(data))
    elif damage == "edited-level1":
        (root / "tile/1/000.p/2").write_bytes(bytes(64))
    elif damage == "edited-bundle":
        bundle = root / "tile/entries/001"
        bundle.write_bytes(bundle.read_bytes().replace(b"pack-300", b"pack-301", 1))
    elif damage == "missing-bundle":
        (root / "tile/entries/001").unlink()
    else:
        bundle = root / "tile/entries/001"
        bundle.write_bytes(bundle.read_bytes()[:-3])
    report = audit_log(store)
    assert not report.ok
    assert code in {f.code for f in report.findings}, report.findings
    assert not any(f.detail.startswith("GSP-E") for f in report.findings)


def test_log_errors_carry_their_code_as_data(store: LogStore, signer: Signer) -> None:
    """The audit names a missing tile GSP-E403 from the error's ``code``, not from its message."""
    root = grown(store, signer).root
    (root / "tile/0/001").unlink()
    with pytest.raises(VerificationError) as exc:
        store.reader(600).tile(0, 1)
    assert exc.value.code == "GSP-E403"
    assert exc.value.message.startswith("tile tile/0/001 is missing")
    assert str(exc.value) == f"GSP-E403 {exc.value.message}"


def test_edited_tile_breaks_proofs_and_appends(store: LogStore, signer: Signer) -> None:
    root = grown(store, signer).root
    partial = root / "tile/0/002.p/88"
    data = bytearray(partial.read_bytes())
    data[0] ^= 1
    partial.write_bytes(bytes(data))
    with pytest.raises(VerificationError, match="GSP-E410"):
        make_proof(store, 513)  # its proof uses the damaged hash of entry 512
    with pytest.raises(VerificationError, match="GSP-E407"):
        store.append([pack_doc(9999)], signer)


def test_bad_checkpoint_signature(store: LogStore, signer: Signer) -> None:
    root = grown(store, signer).root
    cp = root / "checkpoint"
    cp.write_bytes(cp.read_bytes().replace(b"\n600\n", b"\n599\n"))
    assert codes(store) == {"GSP-E401"}
    with pytest.raises(SignatureInvalid):
        store.append([pack_doc(1)], signer)


def test_checkpoint_smaller_than_last_seen(store: LogStore, signer: Signer) -> None:
    store.append([pack_doc(i) for i in range(10)], signer)
    small = store.checkpoint_bytes()
    store.append([pack_doc(i) for i in range(10, 20)], signer)
    big = store.checkpoint_bytes()
    (store.root / "checkpoint").write_bytes(small)  # the log rolls back
    assert "GSP-E408" in codes(store, last_seen=big)
    assert codes(store, last_seen=small) == set()


def test_hostile_log_json_is_named_not_a_crash(store: LogStore) -> None:
    # A few thousand nested brackets used to escape as RecursionError ("internal error").
    (store.root / "log.json").write_bytes(b"[" * 20_000 + b"]" * 20_000)
    with pytest.raises(InputError, match=r"log\.json: invalid JSON \(nested deeper"):
        LogStore(store.root)


def test_append_refuses_a_foreign_key(store: LogStore) -> None:
    from logtest_helpers import fixed_key

    with pytest.raises(InputError, match="not this log's key"):
        store.append([pack_doc(1)], Signer(store.origin, fixed_key("mallory")))


def test_concurrent_appender_is_locked_out(store: LogStore, signer: Signer) -> None:
    with store.locked(), pytest.raises(InputError, match="another process"):
        store.append([pack_doc(1)], signer)
    store.append([pack_doc(1)], signer)  # released again


@pytest.mark.parametrize("fail_at", [1, 2, 3, 5, 8, -1])
def test_append_crashing_between_writes_leaves_log_consistent(
    store: LogStore, signer: Signer, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    store.append([pack_doc(i) for i in range(300)], signer)
    before = store.checkpoint_bytes()
    calls = {"n": 0}
    real_write = store_mod.atomic_write

    def flaky(path: Path, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError("disk on fire")
        real_write(path, data)

    def no_commit(root: Path, data: bytes) -> None:
        raise OSError("power cut before the checkpoint")

    monkeypatch.setattr(store_mod, "atomic_write", flaky)
    if fail_at == -1:
        monkeypatch.setattr(store_mod, "_commit_checkpoint", no_commit)
    with pytest.raises(OSError, match=r"disk on fire|power cut"):
        store.append([pack_doc(i) for i in range(300, 900)], signer)
    monkeypatch.undo()
    assert store.checkpoint_bytes() == before
    assert audit_log(store).ok
    # The next append succeeds and the tree is exactly what it should be.
    result = store.append([pack_doc(i) for i in range(300, 700)], signer)
    assert result.root_hash == naive_mth(leaves(700))
    assert audit_log(store).ok


_CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from logtest_helpers import fixed_key, pack_doc
from glyphserpack.log import store as store_mod
from glyphserpack.log.note import Signer
real = store_mod.atomic_write
count = 0
def slow(path, data):
    global count
    real(path, data)
    count += 1
    if count == 3:
        Path({marker!r}).write_text("x")
        time.sleep(60)
store_mod.atomic_write = slow
s = store_mod.LogStore(Path({log!r}))
s.append([pack_doc(i) for i in range(100, 1100)], Signer(s.origin, fixed_key("log")))
"""


def test_killed_append_leaves_log_consistent(store: LogStore, signer: Signer, tmp_path: Path) -> None:
    store.append([pack_doc(i) for i in range(100)], signer)
    before = store.checkpoint_bytes()
    marker = tmp_path / "mid-append"
    script = _CHILD.format(tests=str(Path(__file__).parent), marker=str(marker), log=str(store.root))
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, "child exited before reaching the middle of the append"
            assert time.monotonic() < deadline, "child never reached the middle of the append"
            time.sleep(0.05)
        with pytest.raises(InputError, match="another process"):
            store.append([pack_doc(1)], signer)  # the dying appender still holds the lock
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert store.checkpoint_bytes() == before
    assert audit_log(store).ok
    result = store.append([pack_doc(i) for i in range(100, 400)], signer)
    assert result.root_hash == naive_mth(leaves(400))
    assert audit_log(store).ok


def test_log_copied_elsewhere_still_verifies(store: LogStore, signer: Signer, tmp_path: Path) -> None:
    grown(store, signer, 300)
    copy = tmp_path / "mirror"
    shutil.copytree(store.root, copy)
    assert audit_log(LogStore(copy)).ok


@pytest.mark.parametrize(
    ("purposes", "when", "expected"),
    [
        (("checkpoint",), "2026-06-01T00:00:00Z", set()),
        (("pack",), "2026-06-01T00:00:00Z", {"GSP-E415"}),
        (("checkpoint",), "2025-06-01T00:00:00Z", {"GSP-E415"}),
        (("checkpoint",), None, {"GSP-E415"}),
    ],
)
def test_trust_store_decides_on_the_log_key(
    store: LogStore, signer: Signer, purposes: tuple[str, ...], when: str | None, expected: set[str]
) -> None:
    from glyphserpack.signing import key_id, public_key_raw
    from glyphserpack.trust import TrustedKey, TrustStore

    raw = public_key_raw(signer.private_key)
    trust = TrustStore.from_keys([TrustedKey(key_id(raw), raw, "log", purposes, "2026-01-01T00:00:00Z")])
    store.append([pack_doc(1)], signer)
    assert codes(store, trust=trust, trust_time=when) == expected
