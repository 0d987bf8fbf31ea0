"""The ASN.1 of RFC 4998 §3-§5 (module ERS, IMPLICIT TAGS) as asn1crypto types.

Only structure lives here; building and checking Evidence Records is ``ers.py``.
"""

from __future__ import annotations

from asn1crypto import algos, cms, core

__all__ = [
    "ArchiveTimeStamp",
    "ArchiveTimeStampChain",
    "ArchiveTimeStampSequence",
    "Attribute",
    "Attributes",
    "CryptoInfos",
    "EncryptionInfo",
    "EvidenceRecord",
    "PartialHashtree",
    "der_sequence",
    "der_tlv",
    "encode_archive_time_stamp",
    "implicit",
]


class _AttributeValues(core.SetOf):  # type: ignore[misc]  # asn1crypto ships no type hints
    _child_spec = core.Any


class Attribute(core.Sequence):  # type: ignore[misc]  # asn1crypto ships no type hints
    """X.501 Attribute (the RFC imports it from PKIX1Explicit88): type OID and a SET OF values."""

    _fields = [("attr_type", core.ObjectIdentifier), ("attr_values", _AttributeValues)]  # noqa: RUF012 - asn1crypto declaration style


class Attributes(core.SetOf):  # type: ignore[misc]  # asn1crypto ships no type hints
    _child_spec = Attribute


class CryptoInfos(core.SequenceOf):  # type: ignore[misc]  # asn1crypto ships no type hints
    _child_spec = Attribute


class EncryptionInfo(core.Sequence):  # type: ignore[misc]  # asn1crypto ships no type hints
    _fields = [("encryption_info_type", core.ObjectIdentifier), ("encryption_info_value", core.Any)]  # noqa: RUF012 - asn1crypto declaration style


class PartialHashtree(core.SequenceOf):  # type: ignore[misc]  # asn1crypto ships no type hints
    _child_spec = core.OctetString


class _ReducedHashtree(core.SequenceOf):  # type: ignore[misc]  # asn1crypto ships no type hints
    _child_spec = PartialHashtree


class ArchiveTimeStamp(core.Sequence):  # type: ignore[misc]  # asn1crypto ships no type hints
    _fields = [  # noqa: RUF012 - asn1crypto declaration style
        ("digest_algorithm", algos.DigestAlgorithm, {"implicit": 0, "optional": True}),
        ("attributes", Attributes, {"implicit": 1, "optional": True}),
        ("reduced_hashtree", _ReducedHashtree, {"implicit": 2, "optional": True}),
        ("time_stamp", cms.ContentInfo),
    ]


class ArchiveTimeStampChain(core.SequenceOf):  # type: ignore[misc]  # asn1crypto ships no type hints
    _child_spec = ArchiveTimeStamp


class ArchiveTimeStampSequence(core.SequenceOf):  # type: ignore[misc]  # asn1crypto ships no type hints
    _child_spec = ArchiveTimeStampChain


class _DigestAlgorithms(core.SequenceOf):  # type: ignore[misc]  # asn1crypto ships no type hints
    _child_spec = algos.DigestAlgorithm


class EvidenceRecord(core.Sequence):  # type: ignore[misc]  # asn1crypto ships no type hints
    _fields = [  # noqa: RUF012 - asn1crypto declaration style
        ("version", core.Integer),
        ("digest_algorithms", _DigestAlgorithms),
        ("crypto_infos", CryptoInfos, {"implicit": 0, "optional": True}),
        ("encryption_info", EncryptionInfo, {"implicit": 1, "optional": True}),
        ("archive_time_stamp_sequence", ArchiveTimeStampSequence),
    ]


# --- DER encoders for the writer --------------------------------------------------------
# asn1crypto re-serialises every nested value (the whole token, each time) when a structure
# holding parsed parts is dumped; a pack with thousands of members made that the cost of
# export. The writer composes DER from already-DER parts instead; readers still parse with
# the classes above, and the tests check the two agree.


def der_tlv(tag: int, content: bytes) -> bytes:
    """One DER TLV with a single-byte ``tag``."""
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + content


def der_sequence(items: list[bytes]) -> bytes:
    return der_tlv(0x30, b"".join(items))


def implicit(tag_number: int, sequence_der: bytes) -> bytes:
    """IMPLICIT [n] of a constructed value: the SEQUENCE's own tag becomes context tag n."""
    return bytes([0xA0 | tag_number]) + sequence_der[1:]


def encode_archive_time_stamp(alg_id_der: bytes, reduced: list[list[bytes]], token_der: bytes) -> bytes:
    """ArchiveTimeStamp DER: [0] digestAlgorithm, [2] reducedHashtree (if any), timeStamp."""
    parts = [implicit(0, alg_id_der)]
    if reduced:
        trees = [der_sequence([der_tlv(0x04, v) for v in level]) for level in reduced]
        parts.append(implicit(2, der_sequence(trees)))
    parts.append(token_der)
    return der_sequence(parts)
