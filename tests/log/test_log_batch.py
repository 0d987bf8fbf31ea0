"""Batched appends: the same tree as single appends, one flush per batch, nothing half-written."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from logtest_helpers import TIME, fixed_key, naive_mth, pack_doc, write_pem

from glyphserpack import canonical
from glyphserpack._internal import fsio
from glyphserpack.cli import main
from glyphserpack.errors import CanonicalError, InputError
from glyphserpack.log.audit import audit_log
from glyphserpack.log.entries import encode_entry, make_entry
from glyphserpack.log.note import Signer
from glyphserpack.log.store import LogStore
from glyphserpack.log.tiles import TILE_WIDTH, entries_path, tiles_for_size


def published(store: LogStore, size: int) -> dict[str, bytes]:
    """Every file a reader of the size-``size`` tree fetches, and the checkpoint."""
    root = store.root
    names = [ref.path for ref in tiles_for_size(size)]
    names += [entries_path(n, min(TILE_WIDTH, size - n * TILE_WIDTH)) for n in range((size + 255) // 256)]
    return {name: (root / name).read_bytes() for name in [*names, "checkpoint"]}


def test_batch_append_is_byte_identical_to_single_appends(tmp_path: Path, signer: Signer) -> None:
    size = 300  # a full tile, a partial one, and a level-1 partial; singles cost a flush each
    one = LogStore.init(tmp_path / "one", signer)
    for i in range(size):
        one.append([pack_doc(i)], signer)
    many = LogStore.init(tmp_path / "many", signer)
    result = many.append_many((pack_doc(i) for i in range(size)), signer, batch_size=100)
    whole = LogStore.init(tmp_path / "whole", signer)
    whole.append([pack_doc(i) for i in range(size)], signer)
    assert (result.first_index, result.size) == (0, size)
    assert result.root_hash == naive_mth([encode_entry(make_entry(pack_doc(i))) for i in range(size)])
    expected = published(one, size)
    assert published(many, size) == expected
    assert published(whole, size) == expected
    assert audit_log(many).ok


def test_one_flush_per_batch(store: LogStore, signer: Signer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"fsync": 0, "syncfs": 0}
    real_fsync, real_syncfs = fsio.os.fsync, fsio._syncfs

    def fsync(fd: int) -> None:
        calls["fsync"] += 1
        real_fsync(fd)

    def syncfs(directory: Path) -> None:
        calls["syncfs"] += 1
        real_syncfs(directory)

    monkeypatch.setattr(fsio.os, "fsync", fsync)
    monkeypatch.setattr(fsio, "_syncfs", syncfs)
    store.append([pack_doc(i) for i in range(2_000)], signer)  # 8 bundles, 7 full tiles, partials
    assert calls == {"fsync": 2, "syncfs": 1}  # the checkpoint file and its directory; the batch
    calls.update(fsync=0, syncfs=0)
    store.append_many((pack_doc(i) for i in range(2_000, 3_000)), signer, batch_size=400)
    assert calls == {"fsync": 6, "syncfs": 3}  # three commits


def test_a_bad_document_anywhere_appends_nothing(store: LogStore, signer: Signer) -> None:
    store.append([pack_doc(0)], signer)
    before = store.checkpoint_bytes()
    files = sorted(p.relative_to(store.root) for p in store.root.rglob("*"))
    docs = [pack_doc(i) for i in range(1, 1_000)]
    docs[900] = {**docs[900], "pack_hash": "not a hash"}
    with pytest.raises(InputError, match=r"batch 901\.pack_hash: expected a SHA-256"):
        store.append_many(docs, signer, where="batch", number_from=1, batch_size=256)
    assert store.checkpoint_bytes() == before
    assert sorted(p.relative_to(store.root) for p in store.root.rglob("*")) == files


def test_empty_batch_changes_nothing(store: LogStore, signer: Signer) -> None:
    before = store.checkpoint_bytes()
    result = store.append_many([], signer)
    assert (result.first_index, result.size) == (0, 0)
    assert store.checkpoint_bytes() == before


def test_flat_encoder_equals_the_general_one() -> None:
    docs: list[dict[str, object]] = [
        {},
        make_entry(pack_doc(1)),
        {"a": 1, "bb": b"\x00" * 300, "c": "é" * 200, "d": 2**40, "aa": 0, "é": "x"},
        {"nested": {"a": 1}, "n": -1, "f": 1.5, "t": True, "none": None, "list": [1, 2]},
        {"k" * 30: "v" * 30, "big": 2**64 - 1},
    ]
    for doc in docs:
        assert canonical.dumps_flat(doc) == canonical.dumps(doc)
    for doc in docs[:3]:  # flat: read back as they were
        assert canonical.loads_flat(canonical.dumps(doc)) == doc
    assert canonical.loads_flat(canonical.dumps(docs[3])) is None  # nested etc.: the strict decoder's job
    leaf = canonical.dumps(docs[1])
    for bad in (b"", leaf[:-1], leaf + b"\x00", b"\x81\x01", b"\xa1\x61a\x7f"):
        assert canonical.loads_flat(bad) is None
    with pytest.raises(CanonicalError):
        canonical.dumps_flat({1: "not a text key"})  # type: ignore[dict-item]
    with pytest.raises(CanonicalError):
        canonical.dumps_flat({"big": 2**64})


def test_cli_append_batch_from_file_and_stdin(
    tmp_path: Path, signer: Signer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = write_pem(tmp_path / "log.pem", fixed_key("log"))
    log_dir = tmp_path / "log"
    LogStore.init(log_dir, signer)
    lines = "".join(json.dumps(pack_doc(i)) + "\n" for i in range(600))
    (tmp_path / "e.jsonl").write_text(lines)
    args = ["log", "append", str(log_dir), "--key", str(key), "--batch-size", "256"]

    def run(*extra: str, stdin: str = "") -> tuple[int, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        rc = main([*args, *extra])
        out, err = capsys.readouterr()
        return rc, out + err

    rc, out = run("--batch", str(tmp_path / "e.jsonl"))
    assert rc == 0, out
    assert "appended 600 entries at 0..599; size 600" in out
    more = "".join(json.dumps(pack_doc(i)) + "\n" for i in range(600, 610))
    rc, out = run("--batch", "-", stdin=more)
    assert rc == 0, out
    store = LogStore(log_dir)
    leaves = [encode_entry(make_entry(pack_doc(i))) for i in range(610)]
    assert store.open_checkpoint().checkpoint.root_hash == naive_mth(leaves)
    before = store.checkpoint_bytes()
    rc, out = run("--batch", "-", stdin=more + "{not json\n")
    assert rc == 2, out
    assert "stdin line 11: not a JSON document" in out
    rc, out = run("--batch", "-", stdin=more.replace(TIME, "yesterday"))
    assert rc == 2, out
    assert "stdin line 1.time_utc: expected UTC time" in out
    assert "Traceback" not in out
    assert store.checkpoint_bytes() == before
    rc, out = run("--batch", "-", str(tmp_path / "e.jsonl"))
    assert rc == 2
    assert "not both" in out


def test_a_list_as_entry_type_is_named_not_a_crash(store: LogStore, signer: Signer) -> None:
    # JSON Lines input can carry any value: an unhashable type used to escape as TypeError.
    with pytest.raises(InputError, match=r"line 3: type \['x'\] is not one of"):
        store.append_many([pack_doc(1), pack_doc(2), {"type": ["x"]}], signer, where="line", number_from=1)


def test_deferred_sync_flushes_once_and_never_after_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"fsync": 0, "syncfs": 0}
    monkeypatch.setattr(fsio.os, "fsync", lambda fd: calls.__setitem__("fsync", calls["fsync"] + 1))
    monkeypatch.setattr(fsio, "_syncfs", lambda d: calls.__setitem__("syncfs", calls["syncfs"] + 1))
    with fsio.deferred_sync(tmp_path):
        for i in range(3):
            fsio.atomic_write(tmp_path / f"f{i}", b"x")
    assert calls == {"fsync": 0, "syncfs": 1}

    def crash() -> None:
        with fsio.deferred_sync(tmp_path):
            fsio.atomic_write(tmp_path / "g", b"y")
            raise RuntimeError("crash before the commit")

    with pytest.raises(RuntimeError):
        crash()
    assert calls == {"fsync": 0, "syncfs": 1}
    fsio.atomic_write(tmp_path / "h", b"z")  # outside: durable on its own again
    assert calls == {"fsync": 2, "syncfs": 1}
