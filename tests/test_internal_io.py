"""The file seam (fsio) and the strict document loader (docload)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from glyphserpack._internal import docload, fsio
from glyphserpack.errors import InputError, InputTooLargeError, UnsafePathError, UsageError


@pytest.mark.parametrize(
    "name",
    ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.", "a\\b", "a\x00b", "a\nb", "a\u202eb", "a\x85b"],
)
def test_check_relative_name_rejects(name: str) -> None:
    with pytest.raises(UnsafePathError):
        fsio.check_relative_name(name)


def test_check_relative_name_accepts_unicode() -> None:
    assert str(fsio.check_relative_name("données/été.txt")) == "données/été.txt"


def test_resolve_inside_refuses_links_and_specials(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.txt").write_text("x")
    (tmp_path / "outside.txt").write_text("secret")
    os.symlink(tmp_path / "outside.txt", tmp_path / "d" / "link.txt")
    os.symlink(tmp_path / "d", tmp_path / "dirlink")
    os.mkfifo(tmp_path / "d" / "fifo")
    assert fsio.resolve_inside(tmp_path, "d/f.txt") == tmp_path / "d" / "f.txt"
    with pytest.raises(UnsafePathError, match="symbolic link"):
        fsio.resolve_inside(tmp_path, "d/link.txt")
    with pytest.raises(UnsafePathError, match="symbolic link"):
        fsio.resolve_inside(tmp_path, "dirlink/f.txt")
    with pytest.raises(UnsafePathError, match="not a regular file"):
        fsio.resolve_inside(tmp_path, "d/fifo")
    with pytest.raises(InputError, match="no such file"):
        fsio.resolve_inside(tmp_path, "d/missing")


def test_read_bounded_names_a_directory_as_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(UnsafePathError, match=r"manifest .*d: not a regular file"):
        fsio.read_bounded(tmp_path / "d", 100, what="manifest")


def test_read_bounded_refuses_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as fh:  # sparse: 2 GiB claimed, nothing really written
        fh.truncate(2 * 1024**3)
    with pytest.raises(InputTooLargeError, match="2147483648 bytes"):
        fsio.read_bounded(big, 1024)


def test_atomic_write_leaves_old_content_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    fsio.atomic_write(target, b"old")

    class Boom(Exception):
        pass

    def write_then_fail() -> None:
        with fsio.atomic_writer(target) as fh:
            fh.write(b"half")
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert fsio.source_date_epoch(7) == 7
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert fsio.source_date_epoch() == 1700000000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        fsio.source_date_epoch()


def test_yaml_is_strict() -> None:
    doc = docload.parse_document(b"a: yes\nb: 2026-01-01\nc: true\nd: 1.5\ne: off\n", name="x.yaml")
    assert doc == {"a": "yes", "b": "2026-01-01", "c": True, "d": 1.5, "e": "off"}
    with pytest.raises(InputError, match=r"x.yaml:3:1: invalid YAML: duplicate key 'a'"):
        docload.parse_document(b"a: 1\nb: 2\na: 3\n", name="x.yaml")
    with pytest.raises(InputError, match=r"x.yaml:2:"):
        docload.parse_document(b"a: [1\nb: 2\n", name="x.yaml")
    with pytest.raises(InputError, match="non-finite"):
        docload.parse_document(b"a: .inf\n", name="x.yaml")
    with pytest.raises(InputError, match="not text"):
        docload.parse_document(b"1: a\n", name="x.yaml")


def test_json_is_strict() -> None:
    assert docload.parse_document(b'{"a": [1, 2.5]}', name="x.json") == {"a": [1, 2.5]}
    with pytest.raises(InputError, match="duplicate key 'a'"):
        docload.parse_document(b'{"a": 1, "a": 2}', name="x.json")
    with pytest.raises(InputError, match=r"x.json:1:\d+: invalid JSON"):
        docload.parse_document(b'{"a": }', name="x.json")
    with pytest.raises(InputError, match="NaN is not valid JSON"):
        docload.parse_document(b'{"a": NaN}', name="x.json")
    with pytest.raises(InputError, match="not UTF-8"):
        docload.parse_document(b'{"a": "\xff"}', name="x.json")


def _alias_bomb(levels: int) -> bytes:
    """``l0`` holds 9 strings and each level 9 aliases of the one before: 9**(levels+1) leaves."""
    lines = ['l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return ("\n".join(lines) + "\n").encode()


def test_yaml_aliases_are_counted_at_every_use() -> None:
    # Shared parts are legitimate (PyYAML's own dumper writes &id001 for a repeated object) ...
    doc = docload.parse_document(b"a: &x {k: [1, 2]}\nb: *x\n", name="x.yaml")
    assert doc == {"a": {"k": [1, 2]}, "b": {"k": [1, 2]}}
    assert docload.parse_document(_alias_bomb(5), name="ok.yaml")["l4"][0][0][0][0] == ["x"] * 9
    # ... but a billion laughs is refused by size, quickly, before anything walks its expansion
    # (9**10 values: without the check this test would not finish).
    with pytest.raises(InputError, match=r"bomb.yaml.l\d+: holds more than 4,000,000 values"):
        docload.parse_document(_alias_bomb(10), name="bomb.yaml")


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_nesting_is_bounded_with_the_file_named(fmt: str) -> None:
    ok = b"[" * 200 + b"]" * 200
    assert docload.parse_document(ok, name=f"x.{fmt}") is not None
    with pytest.raises(InputError, match=rf"deep.{fmt}.*nested deeper than 256 levels"):
        docload.parse_document(b"[" * 300 + b"]" * 300, name=f"deep.{fmt}")
    # Far deeper than Python's recursion limit: still a clear error, not a RecursionError.
    with pytest.raises(InputError, match=rf"deep.{fmt}.*(nested deeper|nesting depth)"):
        docload.parse_document(b"[" * 100_000 + b"]" * 100_000, name=f"deep.{fmt}")


def test_cbor_document_must_be_canonical() -> None:
    assert docload.parse_document(bytes.fromhex("a1616101"), name="x.cbor") == {"a": 1}
    with pytest.raises(InputError, match="not canonical CBOR"):
        docload.parse_document(bytes.fromhex("a161611801"), name="x.cbor")


def test_unknown_format() -> None:
    with pytest.raises(InputError, match="unknown document format"):
        docload.parse_document(b"x", name="x.toml")


def test_staging_dir_takes_the_umask_mode_not_mkdtemps_0700(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        made = fsio.staging_dir(tmp_path, prefix=".out.tmp-")
    finally:
        os.umask(old)
    assert made.parent == tmp_path
    assert made.name.startswith(".out.tmp-")
    assert stat.S_IMODE(made.stat().st_mode) == 0o750


def test_output_inside_its_input_is_refused_in_every_spelling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ev" / "sub").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "ev")
    for out in ("ev/x", "./ev/sub/../x", f"{tmp_path}/ev/x", "link/x", "ev"):
        with pytest.raises(UsageError, match=r"--output .*the source tree ev"):
            fsio.refuse_output_inside(Path(out), Path("ev"), option="--output", what="source tree")
    fsio.refuse_output_inside(Path("ev2/x"), Path("ev"), option="--output", what="source tree")  # a sibling
    fsio.refuse_output_inside(Path("."), Path("ev"), option="--output", what="source tree")  # holds it: fine...
    with pytest.raises(UsageError, match="contains the source tree"):  # ...unless the output is replaced whole
        fsio.refuse_output_inside(Path("."), Path("ev"), option="--output", what="source tree", replaces=True)


def test_absolute_names_a_real_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert fsio.absolute(Path("s")) == tmp_path / "a" / "s"
    assert fsio.absolute(Path(".")) == tmp_path / "a"
    assert fsio.absolute(Path("..")) == tmp_path
    assert fsio.absolute(Path("x/..")) == tmp_path / "a"
    (tmp_path / "link").symlink_to(tmp_path / "a")
    assert fsio.absolute(tmp_path / "link") == tmp_path / "link"  # the link itself stays visible


def test_replacing_the_working_directory_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    for out in (".", "..", "x/..", str(tmp_path)):
        with pytest.raises(UsageError, match="is the working directory"):
            fsio.refuse_replacing_cwd(Path(out), option="-o")
    fsio.refuse_replacing_cwd(Path("s"), option="-o")
