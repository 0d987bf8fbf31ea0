"""Refuse a build before any work when its inputs could not make a valid release.

``build`` signs three things with ``--sign-key``: the pack (trust-store purpose ``pack``),
the site manifest (``site``) and the log checkpoints (``checkpoint``; signed by ``--log-key``
instead when the registry log has a key of its own), all at the build
time (``SOURCE_DATE_EPOCH`` or the release's ``release_time_utc``). A key the trust store
does not allow for one of them used to run every step and then publish a site that
``site verify`` calls INVALID; here the build stops at once, naming the option the user
gave, the key, what is missing and the command that fixes it. The TSA roots file is read
here too, so a bad one is reported under the name the user gave it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from glyphserpack._internal.docload import load_document
from glyphserpack._internal.fsio import source_date_epoch
from glyphserpack.errors import InputError, UsageError
from glyphserpack.release.config import BuildConfig
from glyphserpack.trust import PURPOSE_GROUPS, TrustStore

__all__ = ["SIGNED_PURPOSES", "build_time", "check_signer", "check_tsa_roots"]

#: What ``build`` signs, as trust-store purposes (the ``release`` shorthand of ``keys generate``).
SIGNED_PURPOSES = PURPOSE_GROUPS["release"]
_WHAT = {"pack": "the pack", "site": "the site manifest", "checkpoint": "the log checkpoints"}


def build_time(evidence: Path) -> str:
    """The time build signs at: SOURCE_DATE_EPOCH, else the manifest's ``release_time_utc`` (as BuildContext)."""
    epoch = source_date_epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    from glyphserpack.evidence.loader import MANIFEST_NAMES

    for name in MANIFEST_NAMES:
        if (evidence / name).is_file():
            doc = load_document(evidence / name)
            when = doc.get("release_time_utc") if isinstance(doc, dict) else None
            if isinstance(when, str):
                return when
    raise InputError(f"evidence {evidence}: no release manifest with release_time_utc (the time build signs at)")


def check_signer(
    config: BuildConfig,
    signer_id: str,
    trust: TrustStore,
    when: str,
    *,
    option: str = "sign_key",
    log_separately: bool = False,
) -> None:
    """UsageError (exit 2) unless ``trust`` lets ``signer_id`` sign what build signs with it at ``when``.

    ``option`` ``sign_key``: pack, site and (unless ``log_separately``, a ``--log-key`` was
    given) checkpoint; ``log_key``: checkpoint only. Errors name the option the user gave.
    """
    path = getattr(config, option)
    key_opt = f"{config.option(option)} {path}"
    trust_opt = f"{config.option('trust')} {config.trust}"
    if option == "log_key":
        purposes: tuple[str, ...] = ("checkpoint",)
        group, flag = "checkpoint", "--log-key"
    else:
        purposes = tuple(p for p in SIGNED_PURPOSES if not (log_separately and p == "checkpoint"))
        group = "release" if not log_separately else " --purpose ".join(purposes)
        flag = "--sign-key"
    fix = (
        f"glyphserpack keys generate NEW.key --trust {config.trust} --owner OWNER --purpose {group} "
        f"--not-before {when}  (then build with {flag} NEW.key)"
    )
    key = trust.get(signer_id)
    if key is None:
        raise UsageError(
            f"{key_opt}: key {signer_id} is not in the trust store {trust_opt}, so nothing build signs with it "
            "would verify",
            remedy=f"trust it: glyphserpack keys add {path} --trust {config.trust} --owner OWNER --purpose {group}",
        )
    missing = [p for p in purposes if p not in key.purposes]
    if missing:
        raise UsageError(
            f"{key_opt}: key {signer_id} ({key.owner}) may not sign {', '.join(missing)} "
            f"({' and '.join(_WHAT[p] for p in missing)}); {trust_opt} allows it only {', '.join(key.purposes)}, "
            f"and build signs {', '.join(purposes)} with it",
            remedy=f"trust entries are never rewritten; make a key for it: {fix}",
        )
    for purpose in purposes:
        status = key.status_at(when, purpose)
        if status != "ok":
            window = f"valid {key.not_before} to {key.not_after or 'open end'}"
            if key.revoked_at is not None:
                window += f", revoked at {key.revoked_at} ({key.revocation_reason})"
            raise UsageError(
                f"{key_opt}: key {signer_id} ({key.owner}) is {status.replace('_', ' ')} at the build time {when} "
                f"({window} in {trust_opt})",
                remedy=f"sign with a key valid at {when}: {fix}",
            )


def check_tsa_roots(config: BuildConfig) -> None:
    """Read the TSA roots file now, so a bad one stops the build under the name the user gave it."""
    if config.tsa_roots is None:
        return
    from glyphserpack.timestamp.verify import load_certificates

    load_certificates(config.tsa_roots, what=config.option("tsa_roots"))
