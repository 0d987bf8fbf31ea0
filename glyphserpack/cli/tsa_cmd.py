"""``glyphserpack tsa init|serve|verify`` and ``glyphserpack timestamp PACK``: parse, call, print."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import signal
import threading
from pathlib import Path
from types import FrameType

import click

from glyphserpack._internal import jsonout
from glyphserpack._internal.cms import CmsError
from glyphserpack._internal.cms.parse import parse_token_or_response
from glyphserpack._internal.fsio import read_bounded, source_date_epoch
from glyphserpack.errors import EXIT_FAIL, EXIT_OK, InputError, UsageError
from glyphserpack.pack.stamp import stamp_pack
from glyphserpack.timestamp.ca import KEY_TYPES, TSA_KEY, init_tsa, load_tsa
from glyphserpack.timestamp.ltv import LtvData
from glyphserpack.timestamp.responder import revoke
from glyphserpack.timestamp.server import DEFAULT_POLICY, TsaServer
from glyphserpack.timestamp.verify import load_certificates, verify_timestamp
from glyphserpack.trust import REVOCATION_REASONS

__all__ = ["timestamp", "tsa"]

MAX_TOKEN_BYTES = 1024 * 1024
MAX_LTV_BYTES = 16 * 1024 * 1024
DEFAULT_URL = "http://127.0.0.1:3161/"


@click.group("tsa")
def tsa() -> None:
    """Run and check RFC 3161 Time-Stamp Authorities.

    \b
    Examples:
      glyphserpack tsa init ./tsa-state --key-type ec
      glyphserpack tsa serve --state ./tsa-state --port 3161
      glyphserpack tsa revoke ./tsa-state --tsa --reason keyCompromise --time 2026-11-01T00:00:00Z
      glyphserpack tsa verify reply.tsr --data file.bin --trust roots.pem
    """


@tsa.command("init")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--key-type", type=click.Choice(KEY_TYPES), default="ec", show_default=True, help="ECDSA P-256, P-384 or RSA."
)
@click.option("--name", default="glyphserpack embedded TSA", show_default=True, help="TSA certificate common name.")
@click.option(
    "--url",
    default=DEFAULT_URL,
    show_default=True,
    help="Where `tsa serve` will listen: the TSA certificate points its CRL and OCSP URLs here ('' for none).",
)
def init_cmd(directory: Path, key_type: str, name: str, url: str) -> int:
    """Create a root CA and a TSA certificate (critical EKU timeStamping) in DIRECTORY.

    Keys are written mode 0600; give root.pem to verifiers as their --trust file. The TSA
    certificate names URL/crl and URL/ocsp, which `tsa serve` answers.

    \b
    Example:
      glyphserpack tsa init tsa-state/ --key-type rsa --name "Example Archive TSA" --url http://127.0.0.1:3161/
    """
    material = init_tsa(directory, key_type=key_type, name=name, revocation_url=url or None)
    click.echo(f"TSA certificate: {material.cert.subject.rfc4514_string()}")
    click.echo(f"trust root for verifiers: {material.root_pem}")
    return EXIT_OK


@tsa.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (no authentication: keep it private)."
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=3161, show_default=True, help="TCP port (0: any free port)."
)
@click.option(
    "--state",
    "state",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("tsa-state"),
    show_default=True,
    help="Keys, certificates and the serial-number counter.",
)
@click.option("--key-type", type=click.Choice(KEY_TYPES), default="ec", show_default=True, help="Used by a first init.")
@click.option("--policy", default=DEFAULT_POLICY, show_default=True, help="TSA policy OID put in every token.")
@click.option("--accuracy", type=click.IntRange(0, 3600), default=1, show_default=True, help="Accuracy in seconds.")
def serve_cmd(host: str, port: int, state: Path, key_type: str, policy: str, accuracy: int) -> int:
    """Serve RFC 3161 over HTTP until interrupted (initialises --state on first use).

    The same port publishes the CA's CRL (GET /crl) and answers OCSP (POST /ocsp, or
    GET /ocsp/<base64 request>), reflecting every `tsa revoke` as soon as it is recorded.

    \b
    Example:
      glyphserpack tsa serve --state tsa-state/ --port 3161 --key-type rsa
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if not (state / TSA_KEY).exists():
        material = init_tsa(state, key_type=key_type, revocation_url=f"http://{host}:{port}/" if port else None)
        click.echo(f"initialised {state}; trust root for verifiers: {material.root_pem}", err=True)
    try:
        server = TsaServer(state, host=host, port=port, policy=policy, accuracy_seconds=accuracy)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        click.echo(f"TSA serving on {server.url} (Ctrl-C stops)", err=True)
        stop.wait()
    finally:
        server.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return EXIT_OK


def _utc_option(value: str, option: str) -> dt.datetime:
    try:
        when = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise UsageError(f"{option} {value!r}: expected a UTC time such as 2026-11-01T00:00:00Z") from None
    return when.replace(tzinfo=dt.UTC)


@tsa.command("revoke")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--serial", help="Hexadecimal serial number of the certificate to revoke.")
@click.option("--tsa", "the_tsa", is_flag=True, help="Revoke the TSA certificate of DIRECTORY.")
@click.option(
    "--reason",
    required=True,
    type=click.Choice([r for r in REVOCATION_REASONS if r != "certificateHold"]),
    help="RFC 5280 CRLReason.",
)
@click.option("--time", "time_text", help="revocationDate, UTC (default: SOURCE_DATE_EPOCH, else now).")
@click.option(
    "--invalidity-date",
    help="keyCompromise only: since when the key is known or suspected to be compromised (RFC 5280 invalidityDate).",
)
def revoke_cmd(
    directory: Path, serial: str | None, the_tsa: bool, reason: str, time_text: str | None, invalidity_date: str | None
) -> int:
    """Record a revocation in DIRECTORY; the next CRL and OCSP answers of `tsa serve` show it.

    A token whose genTime is at or after the revocation (for keyCompromise: the invalidity
    date when earlier) is invalid; tokens made before it stay valid.

    \b
    Example:
      glyphserpack tsa revoke tsa-state/ --tsa --reason keyCompromise --time 2026-11-01T00:00:00Z
    """
    if (serial is None) == (not the_tsa):
        raise UsageError("give exactly one of --serial HEX or --tsa")
    material = load_tsa(directory)
    if serial is not None:
        try:
            number = int(serial.removeprefix("0x"), 16)
        except ValueError:
            raise UsageError(f"--serial {serial!r}: expected hexadecimal") from None
    else:
        number = material.cert.serial_number
    sde = source_date_epoch()
    when = (
        _utc_option(time_text, "--time")
        if time_text
        else dt.datetime.fromtimestamp(sde, tz=dt.UTC)
        if sde is not None
        else dt.datetime.now(dt.UTC)
    )
    invalid = _utc_option(invalidity_date, "--invalidity-date") if invalidity_date else None
    entry = revoke(directory, number, reason=reason, time=when, invalidity=invalid)
    click.echo(f"revoked serial {entry.serial:x} at {entry.time:%Y-%m-%dT%H:%M:%SZ} ({entry.reason})")
    return EXIT_OK


def _expected_digest(token: bytes, data_path: Path | None, digest_hex: str | None) -> bytes:
    """The imprint to expect; --data is hashed streaming with the algorithm the token names."""
    if digest_hex is not None:
        try:
            return bytes.fromhex(digest_hex)
        except ValueError:
            raise UsageError(f"--digest {digest_hex!r}: not hexadecimal") from None
    assert data_path is not None
    try:
        alg = parse_token_or_response(token).imprint_alg or "sha256"
    except CmsError:
        alg = "sha256"  # the verifier reports the parse failure itself
    if alg not in hashlib.algorithms_guaranteed:
        alg = "sha256"  # the verifier reports the unsupported algorithm itself
    try:
        with data_path.open("rb") as fh:
            return hashlib.file_digest(fh, alg).digest()
    except OSError as exc:
        raise InputError(f"--data {data_path}: cannot read ({exc.strerror})") from None


@tsa.command("verify")
@click.argument("token_path", metavar="TOKEN", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--data", "data_path", type=click.Path(path_type=Path, dir_okay=False), help="The stamped file.")
@click.option("--digest", "digest_hex", help="Hex imprint instead of --data.")
@click.option(
    "--trust",
    "trust_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="PEM file of trusted root certificates.",
)
@click.option(
    "--untrusted",
    "untrusted_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="PEM file of intermediate certificates, for tokens that do not embed them.",
)
@click.option("--policy", "policies", multiple=True, help="Allowed TSA policy OID (repeatable).")
@click.option(
    "--ltv",
    "ltv_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Stored revocation data (a pack's tsa-K-ltv.cbor): also check the TSA path was not revoked at genTime.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify_cmd(
    token_path: Path,
    data_path: Path | None,
    digest_hex: str | None,
    trust_path: Path,
    untrusted_path: Path | None,
    policies: tuple[str, ...],
    ltv_path: Path | None,
    as_json: bool,
) -> int:
    """Verify an RFC 3161 TimeStampResp or bare token from any TSA; exit 0 only when valid.

    \b
    Example:
      glyphserpack tsa verify reply.tsr --digest 5891b5…6be03 --trust root.pem --untrusted chain.pem
      glyphserpack tsa verify tsa-1.tst --data input.cbor --trust root.pem --ltv tsa-1-ltv.cbor
    """
    if (data_path is None) == (digest_hex is None):
        raise UsageError("give exactly one of --data FILE or --digest HEX")
    token = read_bounded(token_path, MAX_TOKEN_BYTES, what="token")
    ltv = None
    if ltv_path is not None:
        try:
            ltv = LtvData.from_cbor(read_bounded(ltv_path, MAX_LTV_BYTES, what="--ltv"))
        except ValueError as exc:
            raise InputError(f"--ltv {ltv_path}: {exc}") from None
    report = verify_timestamp(
        token,
        digest=_expected_digest(token, data_path, digest_hex),
        trust_roots=load_certificates(trust_path, what="--trust"),
        untrusted=load_certificates(untrusted_path, what="--untrusted") if untrusted_path else (),
        allowed_policies=set(policies) if policies else None,
        where=token_path.name,
        revocation=ltv,
        check_revocation_data=ltv_path is not None,
    )
    if as_json:
        click.echo(jsonout.dumps(report.to_dict()))
    else:
        click.echo("\n".join(report.lines()))
    return EXIT_OK if report.valid else EXIT_FAIL


@click.command("timestamp")
@click.argument("pack", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--tsa", "tsa_urls", multiple=True, required=True, help="TSA URL (repeatable).")
@click.option("--quorum", type=click.IntRange(1), default=1, show_default=True, help="Good tokens needed.")
@click.option(
    "--renew",
    is_flag=True,
    help="Add an archive time-stamp: same --hash renews the last token, a new --hash the hash tree (RFC 4998).",
)
@click.option(
    "--hash",
    "hash_alg",
    type=click.Choice(["sha256", "sha512"]),
    default="sha256",
    show_default=True,
    help="Imprint algorithm over the pack root.",
)
@click.option("--timeout", type=click.FloatRange(0.1, 300), default=10.0, show_default=True, help="Seconds per try.")
@click.option(
    "--retries", type=click.IntRange(0, 10), default=2, show_default=True, help="Extra tries per TSA, with backoff."
)
@click.option("--tsa-trust", type=click.Path(path_type=Path, dir_okay=False), help="Require tokens to chain here.")
def timestamp(
    pack: Path,
    tsa_urls: tuple[str, ...],
    quorum: int,
    renew: bool,
    hash_alg: str,
    timeout: float,
    retries: int,
    tsa_trust: Path | None,
) -> int:
    """Time-stamp PACK's root hash with one or more RFC 3161 TSAs (pack left unchanged on failure).

    \b
    Examples:
      glyphserpack timestamp release.glyphserpack --tsa http://127.0.0.1:3161/
      glyphserpack timestamp release.glyphserpack --renew --hash sha512 --tsa URL
    """
    trust = load_certificates(tsa_trust, what="--tsa-trust") if tsa_trust else ()
    outcome = stamp_pack(
        pack,
        list(tsa_urls),
        quorum=quorum,
        hash_alg=hash_alg,
        renew=renew,
        timeout=timeout,
        retries=retries,
        trust=trust,
    )
    click.echo("\n".join(outcome.lines()))
    return EXIT_OK
