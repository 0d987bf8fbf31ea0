"""``ers export``: one RFC 4998 Evidence Record per payload member of a time-stamped 1.1 pack.

The records are rebuilt from the pack itself (signed manifest, payload, ``timestamps/``) with
the same code that decided what the TSAs stamped (``glyphserpack.timestamp.ers``), so an
exported record verifies exactly when the pack's time-stamp chain does. It lives in the pack
package because it opens packs; the time-stamp package never imports this one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from asn1crypto import core
from asn1crypto import ocsp as asn1_ocsp
from cryptography.hazmat.primitives.serialization import Encoding

from glyphserpack._internal.cms.certpath import load_pem_bundle
from glyphserpack._internal.fsio import atomic_write, check_relative_name
from glyphserpack.errors import InputError, UnsafePathError, UsageError
from glyphserpack.pack.read import open_pack
from glyphserpack.timestamp.ers import CryptoInfo, Step, build_records
from glyphserpack.timestamp.ltv import stored_ltv
from glyphserpack.timestamp.packstamp import reader_data_objects
from glyphserpack.timestamp.renewal import ers_steps, load_index

__all__ = ["SUFFIX", "export_records"]

SUFFIX = ".ers"


def _target(out_dir: Path, name: str) -> Path:
    rel = check_relative_name(name + SUFFIX, what="member")
    path = out_dir / rel
    if not path.resolve().is_relative_to(out_dir.resolve()):
        raise UnsafePathError(f"member {name!r}: {path} would lie outside {out_dir}")
    return path


def _basic_ocsp(response: bytes) -> bytes | None:
    """The BasicOCSPResponse inside an OCSPResponse (what RevocationValues holds), if any."""
    try:
        parsed = asn1_ocsp.OCSPResponse.load(response)
        basic = parsed["response_bytes"]["response"].parsed
        return bytes(basic.dump()) if basic is not None else None
    except (ValueError, TypeError, KeyError):
        return None


def _validation_data(members: Mapping[str, bytes], link: Mapping[str, Any]) -> tuple[CryptoInfo, ...]:
    """What the pack keeps to validate a link's first token later: TSA chain, CRLs, OCSP answers."""
    token = link["tokens"][0]
    try:
        certs = [c.public_bytes(Encoding.DER) for c in load_pem_bundle(members.get(str(token["chain"]), b""))]
    except ValueError:
        certs = []
    ltv, _ = stored_ltv(members, str(token["tst"]))  # unreadable LTV data is a finding of `verify`
    infos = [CryptoInfo("certificate", der) for der in certs]
    if ltv is not None:
        infos += [CryptoInfo("certificate", der) for der in ltv.certificates]
        infos += [CryptoInfo("crl", der) for der in ltv.crls]
        infos += [CryptoInfo("ocsp", b) for b in map(_basic_ocsp, ltv.ocsp_responses) if b is not None]
    return tuple(dict.fromkeys(i for i in infos if _one_der_value(i.der)))


def _one_der_value(der: bytes) -> bool:
    try:
        core.Any.load(der, strict=True)
    except ValueError:
        return False
    return True


def export_records(pack: Path, out_dir: Path, *, crypto_infos: Sequence[CryptoInfo] = ()) -> list[Path]:
    """Write ``out_dir/<member>.ers`` for every payload member and ``manifest.cbor``; return the paths.

    Every record is built before the first is written, and each write is atomic. What the pack
    keeps to validate each link's token later (TSA chain, and the CRLs and OCSP responses
    collected when stamping, ``tsa-K-ltv.cbor``) goes into each record's cryptoInfos, plus
    ``crypto_infos``.
    """
    with open_pack(pack) as reader:
        objects = reader_data_objects(reader)
        version = ".".join(str(v) for v in reader.manifest["format_version"])
        if objects is None:
            raise UsageError(
                f"{pack.name}: format {version} pack; its time-stamps stamp the pack root, not an RFC 4998 hash tree",
                remedy="re-pack with this version (format 1.1) and time-stamp it, then export",
            )
        members = reader.attachments()
        try:
            index = load_index(members)
        except ValueError as exc:
            raise InputError(f"{pack.name}: {exc}") from None
        if index is None:
            raise UsageError(f"{pack.name}: the pack carries no time-stamps", remedy="run glyphserpack timestamp first")
        steps = [
            Step(step.hash_alg, step.token, _validation_data(members, link))
            for step, link in zip(ers_steps(index, members, len(index["links"])), index["links"], strict=True)
        ]
        try:
            records = build_records(objects.names, objects.digest, steps, crypto_infos=crypto_infos)
        except ValueError as exc:
            raise InputError(f"{pack.name}: cannot build Evidence Records from its time-stamps: {exc}") from None
    targets = {name: _target(out_dir, name) for name in records}
    for name, path in sorted(targets.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, records[name])
    return [targets[n] for n in sorted(targets)]
