"""I.E external interfaces: what the OpenAPI, Protobuf and JUnit attachments say, against the claims.

Findings: ``GSP-E030`` the OpenAPI attachment is not a valid OpenAPI 3.x document,
``GSP-E031`` an operation, service or message the evidence (or the operator registry) names is
not defined, ``GSP-E032`` the .proto sources do not compile, ``GSP-E033`` a .proto import
leaves the evidence tree, ``GSP-E034`` an SDK's JUnit report is unreadable, too large or
inconsistent with itself, ``GSP-E035`` its counts differ from the evidence's.
"""

from __future__ import annotations

from collections.abc import Iterator

from glyphserpack._internal.docload import DOCUMENT_LIMIT, parse_document
from glyphserpack.errors import InputError
from glyphserpack.evidence.attest.junit import check_sdk_report
from glyphserpack.evidence.attest.openapi import check_openapi
from glyphserpack.evidence.attest.protobuf import ProtoSymbols, compile_protos
from glyphserpack.evidence.attest.reading import AttachmentError, linked_bytes
from glyphserpack.evidence.loader import EvidenceTree
from glyphserpack.evidence.productization import ExternalInterfaces
from glyphserpack.findings import Finding, finding

__all__ = ["attest_external_interfaces"]

#: Lists an operator registry may carry, checked against the compiled .proto files.
REGISTRY_NAMES = ("services", "rpcs", "messages")


def attest_external_interfaces(tree: EvidenceTree, doc_path: str, e: ExternalInterfaces) -> Iterator[Finding]:
    """Every content check of one ``external_interfaces`` document, in a stable order."""
    yield from check_openapi(tree, doc_path, e)
    proto_findings, symbols = compile_protos(tree, e.protobuf, doc_path=doc_path)
    yield from proto_findings
    if symbols is not None:
        yield from _named_protobuf(tree, doc_path, e, symbols)
    for i, sdk in enumerate(e.sdks):
        yield from check_sdk_report(tree, doc_path, i, sdk)


def _named_protobuf(
    tree: EvidenceTree, doc_path: str, e: ExternalInterfaces, symbols: ProtoSymbols
) -> Iterator[Finding]:
    files = ", ".join(link.path for link in e.protobuf)
    for link in e.protobuf:
        for name, package in symbols.packages.items():
            if link.path.endswith("/" + name) and package != e.protobuf_package:
                yield finding(
                    "GSP-E031",
                    link.path,
                    f"{doc_path} claims protobuf_package {e.protobuf_package}; file declares {package!r}",
                )
    wanted: list[tuple[str, str, str]] = [(doc_path, "protobuf_services", s) for s in e.protobuf_services]
    wanted += [(doc_path, "protobuf_messages", m) for m in e.protobuf_messages]
    wanted += _registry_names(tree)
    by_kind = {"services": symbols.services, "rpcs": symbols.methods, "messages": symbols.messages}
    for source, label, symbol in wanted:
        kind = label.removeprefix("protobuf_")
        defined = by_kind[kind]
        if symbol not in defined:
            yield finding(
                "GSP-E031",
                source,
                f"{label} names {symbol!r}; none of {files} defines it"
                f" (defined {kind}: {', '.join(sorted(defined)) or 'none'})",
            )


def _registry_names(tree: EvidenceTree) -> list[tuple[str, str, str]]:
    """(registry path, list name, symbol) for each service/rpc/message the operator registry names."""
    link = tree.manifest.operator_registry
    if link is None:
        return []
    try:
        data = linked_bytes(tree, link, limit=DOCUMENT_LIMIT)
        obj = parse_document(data, name=link.path, fmt="json") if data is not None else None
    except (AttachmentError, InputError):
        return []  # the registry's own readability is the release manifest's business, not this rule's
    if not isinstance(obj, dict):
        return []
    out: list[tuple[str, str, str]] = []
    for key in REGISTRY_NAMES:
        names = obj.get(key)
        if isinstance(names, list):
            out += [(link.path, key, n) for n in names if isinstance(n, str)]
    return out
