"""Writing packs and adding unsigned attachments (FORMAT.md §3–§5, §8)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glyphserpack import canonical
from glyphserpack._internal.fsio import (
    atomic_writer,
    check_name_text,
    check_relative_name,
    refuse_output_inside,
    source_date_epoch,
)
from glyphserpack._internal.pack import bag
from glyphserpack._internal.pack.reader import RawPack
from glyphserpack.errors import InputError, PackError, UnsafePathError, UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from glyphserpack._internal.pack.writer import FrameSink
    from glyphserpack.trust import TrustStore

# cryptography, the trust store (PyYAML) and the threaded frame writer are imported inside
# the functions that need them: this module is loaded with ``glyphserpack.pack``, which
# ``extract`` and ``ls`` also import, and those must start fast (issue 3: < 0.2 s).

__all__ = ["attach", "write"]


def _utc(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(text: str) -> int:
    return int(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp())


def _collect(src: Path) -> list[tuple[str, str, int, int]]:
    """(member name, path, size, mtime) of every regular file under ``src``; links are refused.

    Plain strings and ``os.scandir`` rather than ``Path`` objects: with a million small files
    the path objects alone cost more than reading the files.
    """
    if not src.is_dir():
        raise InputError(f"source {src}: not a directory")
    found: list[tuple[str, str, int, int]] = []
    todo = [(os.fspath(src), "")]
    while todo:
        dirpath, prefix = todo.pop()
        with os.scandir(dirpath) as it:
            entries = sorted(it, key=lambda e: e.name)
        files = []
        for e in entries:
            if e.is_dir(follow_symlinks=True):
                if e.is_symlink():
                    raise UnsafePathError(f"source {e.path}: is a symbolic link; packs hold regular files only")
                todo.append((e.path, f"{prefix}{e.name}/"))
            else:
                files.append(e)
        for e in files:
            st = e.stat(follow_symlinks=False)
            rel = prefix + e.name
            if not stat.S_ISREG(st.st_mode):
                raise UnsafePathError(f"source {rel}: is not a regular file (links, devices and FIFOs are refused)")
            check_name_text(rel, what="source file")
            found.append((f"data/{rel}", e.path, st.st_size, int(st.st_mtime)))
    if not found:
        raise InputError(f"source {src}: contains no files", remedy="a pack needs at least one payload file")
    found.sort(key=lambda t: t[0].encode())
    return found


def _read_member(sink: FrameSink, name: str, path: str, size: int, mtime: int) -> str:
    """Append one payload file to the pack, read straight into the frame buffer and hashed
    region by region as it arrives; held to the size it had when collected. Returns its hex
    SHA-256. A plain descriptor and ``os.readv``: a buffered file object per member cost more
    than the read itself for small files."""
    digest = hashlib.sha256()
    got = 0
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:

        def readinto(view: memoryview) -> int:
            nonlocal got
            n = os.readv(fd, [view])
            if not n and got < size:
                raise PackError(f"source {path}: shrank while being packed ({got} of {size} bytes)")
            digest.update(view[:n])
            got += n
            return n

        sink.add_member(name, size, readinto, mtime)
        if os.read(fd, 1):
            raise PackError(f"source {path}: grew while being packed")
    finally:
        os.close(fd)
    return digest.hexdigest()


def _created(created: str | int | None, files: Sequence[tuple[str, str, int, int]]) -> int:
    from glyphserpack.trust import is_utc_timestamp

    if isinstance(created, str):
        if not is_utc_timestamp(created):
            raise UsageError(f"created {created!r}: expected YYYY-MM-DDTHH:MM:SSZ")
        return _epoch(created)
    if isinstance(created, int):
        return created
    sde = source_date_epoch()
    return sde if sde is not None else max(f[3] for f in files)


def _check_signers(sign_keys: Sequence[Ed25519PrivateKey], trust: TrustStore, created: str) -> None:
    """Refuse to write a pack that the embedded trust store would itself reject.

    Signatures are judged at the pack's signed ``created`` time, so a key generated after
    the newest file's mtime would produce a pack that never verifies; say so before writing.
    """
    from glyphserpack.signing import key_id

    for key in sign_keys:
        kid = key_id(key)
        entry = trust.get(kid)
        if entry is None:
            raise PackError(
                f"signing key {kid} is not in the trust store {trust.source}",
                remedy="add it with `glyphserpack keys generate --trust DIR` or pass the matching --trust",
            )
        status = entry.status_at(created, "pack")
        if status != "ok":
            raise PackError(
                f"signing key {kid} is {status.replace('_', ' ')} at the pack's created time {created} "
                f"(key valid from {entry.not_before}"
                + (f" to {entry.not_after}" if entry.not_after else "")
                + (f", revoked at {entry.revoked_at}" if entry.revoked_at else "")
                + ")",
                remedy="pass --created inside the key's window, set SOURCE_DATE_EPOCH, "
                "or generate the key with an earlier --not-before",
            )


def write(
    src: Path,
    out: Path,
    *,
    sign_keys: Sequence[Ed25519PrivateKey] = (),
    trust: TrustStore | None = None,
    created: str | int | None = None,
    level: int = 3,
    threads: int = 2,
) -> bytes:
    """Pack every regular file under ``src`` into ``out`` atomically; return the root hash.

    ``created`` (UTC text or epoch seconds) defaults to ``SOURCE_DATE_EPOCH``, then to the
    newest file's mtime, so the same tree packs to the same bytes on any machine.
    """
    if not 1 <= level <= 22:
        raise UsageError(f"--level {level}: expected 1..22")
    if threads < 1:
        raise UsageError(f"--threads {threads}: expected at least 1")
    refuse_output_inside(out, src, option="--output", what="source tree")
    files = _collect(src)
    mtime = _created(created, files)
    created_text = _utc(mtime)
    if trust is not None:
        _check_signers(sign_keys, trust, created_text)
    from glyphserpack._internal.pack.writer import FrameSink

    members: list[dict[str, Any]] = []
    with atomic_writer(out) as fh:
        sink = FrameSink(fh, level=level, threads=threads)
        try:
            for name, path, size, _ in files:
                sha = _read_member(sink, name, path, size, mtime)
                members.append({"name": name, "size": size, "sha256": sha, "media_type": bag.media_type(name)})
            del files  # the tail (manifest, mirror) is where memory peaks
            tail, root = _signed_tail(members, sign_keys, trust, created_text)
            sink.write_tail(tail, mtime)
        except BaseException:
            sink.abort()
            raise
    return root


def _signed_tail(
    payload: list[dict[str, Any]],
    sign_keys: Sequence[Ed25519PrivateKey],
    trust: TrustStore | None,
    created: str,
) -> tuple[dict[str, bytes], bytes]:
    """Tag files (FORMAT.md §5), the manifest over them and the payload, and its signatures."""
    from cryptography.hazmat.primitives import serialization

    from glyphserpack._internal import jsonout
    from glyphserpack._internal.pack.instructions import instructions
    from glyphserpack.pack.manifest import PackManifest
    from glyphserpack.signing import key_id, public_key_raw, sign

    tags: dict[str, bytes] = {}
    signers: list[dict[str, Any]] = []
    keys = sorted(sign_keys, key=key_id)
    ids = [key_id(k) for k in keys]
    if len(set(ids)) != len(ids):
        raise UsageError("the same signing key was given twice")
    for k, kid in zip(keys, ids, strict=True):
        pem = k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        tags[f"keys/{kid}.pem"] = pem
        signers.append(
            {
                "key_id": kid,
                "public_key": public_key_raw(k).hex(),
                "algorithm": "ed25519",
                "key_file": f"keys/{kid}.pem",
            }
        )
    if trust is not None:
        tags["trust/trust.json"] = jsonout.to_bytes(trust.to_obj())
    tags["bagit.txt"] = bag.bagit_txt()
    tags["bag-info.txt"] = bag.bag_info(created, sum(m["size"] for m in payload), len(payload))
    tags["manifest-sha256.txt"] = bag.payload_manifest((m["name"], m["sha256"]) for m in payload)
    extra = sorted(n for n in tags if n.startswith(("keys/", "trust/")))
    tags["verification_instructions.txt"] = instructions(bag.FORMAT_MAJOR, bag.FORMAT_MINOR, ids, extra)
    covered = [
        {"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest(), "media_type": bag.media_type(n)}
        for n, b in tags.items()
    ]
    manifest = PackManifest.build(created, payload + covered, signers).to_obj()
    tags["manifest.cbor"] = canonical.dumps(manifest)
    root = bag.root_hash_of_bytes(tags["manifest.cbor"])
    tags["manifest.json"] = bag.manifest_json(manifest)
    for k, kid in zip(keys, ids, strict=True):
        tags[f"signatures/{kid}.sig"] = sign(k, root)
    tags["tagmanifest-sha256.txt"] = bag.tag_manifest(tags)
    return tags, root


def _check_attachment_name(name: str) -> None:
    check_relative_name(name, what="attachment")
    if not name.startswith(bag.ATTACHMENT_PREFIXES):
        raise UsageError(f"attachment {name!r}: names must start with timestamps/ or proofs/")


def attach(path: Path, members: Mapping[str, bytes], *, replace_prefix: str | None = None) -> None:
    """Add unsigned attachments by rewriting the pack's tail atomically (FORMAT.md §8).

    Data frames are copied verbatim, so the root hash and every signature stay valid. A name
    already present is replaced; ``replace_prefix`` first drops every attachment under it.
    """
    for name in members:
        _check_attachment_name(name)
    if replace_prefix is not None and not replace_prefix.startswith(bag.ATTACHMENT_PREFIXES):
        raise UsageError(f"replace_prefix {replace_prefix!r}: must start with timestamps/ or proofs/")
    from glyphserpack._internal.pack.writer import FrameSink
    from glyphserpack.pack.read import tail_files

    with RawPack(path) as raw:
        tags, mtime = tail_files(raw)
        if replace_prefix is not None:
            tags = {n: b for n, b in tags.items() if not n.startswith(replace_prefix)}
        tags.update(members)
        tags.pop("tagmanifest-sha256.txt", None)
        tags["tagmanifest-sha256.txt"] = bag.tag_manifest(tags)
        index = raw.index
        with atomic_writer(path) as fh:
            sink = FrameSink(fh, level=3, threads=1)
            for i in range(index.tail_frame):
                f = index.frames[i]
                comp = raw.compressed(i)
                if hashlib.sha256(comp).digest() != f.sha256:
                    raise PackError(
                        f"pack {path.name}: frame {i} is damaged; refusing to rewrite it",
                        remedy="run `glyphserpack verify` to see which members are affected",
                    )
                sink.copy_frame(comp, f.d_size, f.sha256)
            tail_start = index.frames[index.tail_frame].d_offset
            sink.members = [m for m in index.members if m.header_offset < tail_start]
            sink.write_tail(tags, mtime)
