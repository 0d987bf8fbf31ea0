"""Protobuf: the linked ``.proto`` sources compile with protoc and define what is named.

protoc is grpcio-tools' (``python -m grpc_tools.protoc``), run in a child process with a time
limit so a hostile source cannot hang or crash the checker. It sees only a private temporary
copy of the *hash-linked* sources (so nothing is written into the evidence tree and an
unpinned file is never compiled), plus the well-known ``google/protobuf/*`` types that ship
with grpcio-tools. An import that names a path outside the tree is refused before protoc runs.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from google.protobuf import descriptor_pb2

from glyphserpack._internal.docload import DOCUMENT_LIMIT
from glyphserpack._internal.fsio import check_relative_name
from glyphserpack.errors import UnsafePathError
from glyphserpack.evidence.attest.reading import AttachmentError, by_content, linked_bytes
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.models import HashLink
from glyphserpack.findings import Finding, finding

__all__ = ["ProtoSymbols", "compile_protos"]

#: protoc compiles the bundled sources in well under a second; this only stops a runaway.
PROTOC_TIMEOUT = 60.0
_IMPORT = re.compile(rb'^\s*import\s+(?:public\s+|weak\s+)?"([^"]*)"\s*;', re.MULTILINE)
_PACKAGE = re.compile(rb"^\s*package\s+([A-Za-z0-9_.]+)\s*;", re.MULTILINE)
_LOCATION = re.compile(r"^([^\s:]+\.proto):")


@dataclass
class ProtoSymbols:
    """What the compiled sources define, by fully qualified name, and each file's package."""

    services: set[str] = field(default_factory=set)
    methods: set[str] = field(default_factory=set)
    messages: set[str] = field(default_factory=set)
    packages: dict[str, str] = field(default_factory=dict)


def _include_root(path: str, source: bytes) -> PurePosixPath:
    """Where imports resolve from: the directory above ``a/b`` for a file in package ``a.b``."""
    parent = PurePosixPath(path).parent
    m = _PACKAGE.search(source)
    if m:
        pkg_parts = tuple(m.group(1).decode().split("."))
        if parent.parts[-len(pkg_parts) :] == pkg_parts:
            return (
                PurePosixPath(*parent.parts[: -len(pkg_parts)])
                if len(parent.parts) > len(pkg_parts)
                else PurePosixPath()
            )
    return parent


def _messages(prefix: str, msgs: Iterable[descriptor_pb2.DescriptorProto]) -> Iterator[str]:
    for m in msgs:
        name = f"{prefix}.{m.name}" if prefix else m.name
        yield name
        yield from _messages(name, m.nested_type)


def _symbols(fds: descriptor_pb2.FileDescriptorSet) -> ProtoSymbols:
    out = ProtoSymbols()
    for f in fds.file:
        out.packages[f.name] = f.package
        out.messages.update(_messages(f.package, f.message_type))
        for s in f.service:
            svc = f"{f.package}.{s.name}" if f.package else s.name
            out.services.add(svc)
            out.methods.update(f"{svc}.{m.name}" for m in s.method)
    return out


def compile_protos(
    tree: EvidenceTree, links: list[HashLink], *, doc_path: str
) -> tuple[list[Finding], ProtoSymbols | None]:
    """Compile the linked sources to a descriptor set: GSP-E032 (protoc fails), GSP-E033 (escaping import).

    Returns the findings and, when protoc succeeded, what the sources define.
    """
    findings: list[Finding] = []
    sources: dict[str, bytes] = {}
    for link in links:
        try:
            data = linked_bytes(tree, link, limit=DOCUMENT_LIMIT)
        except AttachmentError as exc:
            findings.append(finding("GSP-E032", link.path, f"{doc_path} protobuf: {exc.reason}"))
            continue
        if data is None:
            return findings, None  # a wrong pin is already reported; do not judge other content
        sources[link.path] = data
    roots = {p: _include_root(p, src) for p, src in sources.items()}
    for p, src in sources.items():
        for m in _IMPORT.finditer(src):
            imported = m.group(1).decode("utf-8", "replace")
            if imported.startswith("google/protobuf/"):
                continue
            try:
                check_relative_name(imported, what="import")
            except UnsafePathError:
                findings.append(
                    finding(
                        "GSP-E033", p, f'import "{imported}" leaves the evidence tree; only linked .proto files compile'
                    )
                )
    if findings or not sources:
        return findings, None
    content = hashlib.sha256(repr(sorted((p, hashlib.sha256(src).hexdigest()) for p, src in sources.items())).encode())
    try:
        outcome = by_content("protoc", content.hexdigest(), lambda: _run_protoc(sources, roots))
    except subprocess.TimeoutExpired:  # not cached: a slow machine is no property of the sources
        findings.append(finding("GSP-E032", links[0].path, f"protoc did not finish within {PROTOC_TIMEOUT:.0f} s"))
        return findings, None
    if isinstance(outcome, str):
        findings.append(finding("GSP-E032", _blame(outcome, sources, roots), f"protoc: {outcome[:2000]}"))
        return findings, None
    return findings, _symbols(descriptor_pb2.FileDescriptorSet.FromString(outcome))


def _run_protoc(sources: dict[str, bytes], roots: dict[str, PurePosixPath]) -> bytes | str:
    """The serialized descriptor set, or protoc's message; pure in the sources (raises on timeout)."""
    with tempfile.TemporaryDirectory(prefix="glyphserpack-proto-") as tmp:
        mirror = Path(tmp) / "tree"
        for p, src in sources.items():
            target = mirror / p
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src)
        includes = sorted({str(mirror / r) for r in roots.values()})
        out = Path(tmp) / "descriptors.pb"
        argv = [sys.executable, "-m", "grpc_tools.protoc", *(f"-I{i}" for i in includes)]
        argv += [f"--descriptor_set_out={out}", "--include_imports", *(str(mirror / p) for p in sources)]
        proc = subprocess.run(argv, cwd=tmp, capture_output=True, timeout=PROTOC_TIMEOUT, check=False)
        if proc.returncode != 0:
            return proc.stderr.decode("utf-8", "replace").replace(f"{mirror}/", "").strip() or "failed"
        return out.read_bytes()


def _blame(message: str, sources: dict[str, bytes], roots: dict[str, PurePosixPath]) -> str:
    """The tree path of the file protoc's first message names (protoc prints include-relative names)."""
    m = _LOCATION.match(message)
    if m:
        named = m.group(1)
        for p, root in roots.items():
            if named in (p, str(PurePosixPath(p).relative_to(root))):
                return p
    return next(iter(sources))
