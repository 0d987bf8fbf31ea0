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
