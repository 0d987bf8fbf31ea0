"""RFC 3161 time-stamping: client, embedded TSA, independent verifier, archive renewal.

The public surface; the ASN.1/CMS machinery lives in ``glyphserpack._internal.cms``.
See docs/timestamping.md for the procedures these functions implement.
"""

from __future__ import annotations

from glyphserpack.timestamp.ca import KEY_TYPES, TsaMaterial, init_tsa, load_tsa
from glyphserpack.timestamp.client import MAX_REPLY_BYTES, StampResult, request_timestamp, stamp_quorum
from glyphserpack.timestamp.ltv import Collected, LtvData, check_revocation, ltv_for_token, ltv_member
from glyphserpack.timestamp.packstamp import (
    StampOutcome,
    openssl_commands,
    stamp_members,
    verify_members,
    verify_pack_timestamps,
)
from glyphserpack.timestamp.renewal import ChainReport, LinkReport, verify_chain
from glyphserpack.timestamp.responder import Revocation, build_crl, ocsp_response, revoke
from glyphserpack.timestamp.server import DEFAULT_POLICY, SerialCounter, TsaServer
from glyphserpack.timestamp.verify import (
    Check,
    TimestampReport,
    load_certificates,
    verify_or_raise,
    verify_timestamp,
)

__all__ = [
    "DEFAULT_POLICY",
    "KEY_TYPES",
    "MAX_REPLY_BYTES",
    "ChainReport",
    "Check",
    "Collected",
    "LinkReport",
    "LtvData",
    "Revocation",
    "SerialCounter",
    "StampOutcome",
    "StampResult",
    "TimestampReport",
    "TsaMaterial",
    "TsaServer",
    "build_crl",
    "check_revocation",
    "init_tsa",
    "load_certificates",
    "load_tsa",
    "ltv_for_token",
    "ltv_member",
    "ocsp_response",
    "openssl_commands",
    "request_timestamp",
    "revoke",
    "stamp_members",
    "stamp_quorum",
    "verify_chain",
    "verify_members",
    "verify_or_raise",
    "verify_pack_timestamps",
    "verify_timestamp",
]
