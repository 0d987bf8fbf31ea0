"""RFC 3161 client: ask one or several TSAs to stamp a digest, check what comes back.

rfc3161ng builds the ``TimeStampReq`` (its ``RemoteTimestamper`` is not used: it goes
through ``requests`` without a reply-size cap and verifies RSA only). HTTP is plain
urllib with a timeout, a retry loop with exponential backoff for transient failures
(connection refused, timeout, HTTP 5xx) and a hard cap on the reply size. Every reply is
parsed and checked (status, imprint, nonce, signature by the embedded signer) before it
is accepted; every failure names the TSA and the reason.
"""

from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import rfc3161ng
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from glyphserpack._internal.cms import CmsError
from glyphserpack._internal.cms.parse import format_time, parse_token_or_response
from glyphserpack.errors import TimestampError
from glyphserpack.timestamp.verify import IMPRINT_HASHES, verify_timestamp

__all__ = ["MAX_REPLY_BYTES", "StampResult", "request_timestamp", "stamp_quorum"]

MAX_REPLY_BYTES = 1024 * 1024
DIGEST_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}


class _Transient(Exception):
    """A failure worth retrying (the TSA may answer next time)."""


@dataclass(frozen=True)
class StampResult:
    """One accepted time-stamp: the reply as received, the token inside it, its certificates."""

    url: str
    response: bytes
    token: bytes
    chain_pem: bytes
    gen_time: str
    serial: str
    nonce: int


def _build_request(digest: bytes, hash_alg: str, nonce: int) -> bytes:
    # Always pass the digest: rfc3161ng 2.1 hashes ``data=`` with SHA-1 whatever ``hashname`` says.
    req = rfc3161ng.make_timestamp_request(digest=digest, hashname=hash_alg, include_tsa_certificate=True, nonce=nonce)
    return bytes(rfc3161ng.encode_timestamp_request(req))


def _post(url: str, body: bytes, *, timeout: float, max_reply: int) -> bytes:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked by the caller
        url, data=body, method="POST", headers={"Content-Type": "application/timestamp-query"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            declared = resp.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_reply:
                raise TimestampError(f"TSA {url}: reply of {declared} bytes exceeds the {max_reply}-byte limit")
            data: bytes = resp.read(max_reply + 1)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the open response; leaking it leaks the socket
        if exc.code >= 500:
            raise _Transient(f"HTTP {exc.code} {exc.reason}") from None
        raise TimestampError(f"TSA {url}: HTTP {exc.code} {exc.reason}") from None
    except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Transient(f"unreachable or too slow ({reason})") from None
    if len(data) > max_reply:
        raise TimestampError(f"TSA {url}: reply exceeds the {max_reply}-byte limit")
    if ctype != "application/timestamp-reply":
        raise TimestampError(
            f"TSA {url}: answered with Content-Type {ctype or 'none'!r}, not application/timestamp-reply "
            f"(first bytes {data[:40]!r})"
        )
    return data


def _accept(
    url: str, reply: bytes, *, digest: bytes, hash_alg: str, nonce: int, trust: Sequence[x509.Certificate]
) -> StampResult:
    try:
        parsed = parse_token_or_response(reply)
    except CmsError as exc:
        raise TimestampError(f"TSA {url}: reply is not a TimeStampResp ({exc})") from None
    if not parsed.granted or parsed.token_der is None:
        fail = ",".join(parsed.fail_info) or "none"
        raise TimestampError(
            f"TSA {url}: PKIStatus {parsed.status}, failInfo {fail}: {parsed.status_text or 'no reason given'}"
        )
    if parsed.imprint_alg != hash_alg or parsed.imprint != digest:
        raise TimestampError(
            f"TSA {url}: token stamps {parsed.imprint_alg} {parsed.imprint.hex()}, not the requested "
            f"{hash_alg} {digest.hex()}"
        )
    if parsed.nonce != nonce:
        got = "none" if parsed.nonce is None else f"{parsed.nonce:x}"
        raise TimestampError(f"TSA {url}: token nonce {got} differs from the request's {nonce:x} (replayed reply?)")
    # Signature, signed attributes and ESS binding are checked now; the path only when roots are given.
    report = verify_timestamp(parsed.token_der, digest=digest, nonce=nonce, trust_roots=trust, where=url)
    wanted = {"GSP-E204", "GSP-E205", "GSP-E206", "GSP-E200", "GSP-E212"}
    if trust:
        wanted |= {"GSP-E207", "GSP-E208", "GSP-E209", "GSP-E210"}
    bad = [f for f in report.findings if f.code in wanted]
    if bad:
        raise TimestampError(f"TSA {url}: token does not verify: " + "; ".join(f.detail for f in sorted(bad)))
    assert parsed.serial is not None
    assert parsed.gen_time is not None
    chain = b"".join(c.public_bytes(Encoding.PEM) for c in parsed.embedded_certs)
    return StampResult(
        url=url,
        response=reply,
        token=parsed.token_der,
        chain_pem=chain,
        gen_time=format_time(parsed.gen_time),
        serial=f"{parsed.serial:x}",
        nonce=nonce,
    )


def request_timestamp(
    url: str,
    digest: bytes,
    *,
    hash_alg: str = "sha256",
    timeout: float = 10.0,
    retries: int = 2,
    backoff: float = 0.5,
    max_reply: int = MAX_REPLY_BYTES,
    trust: Sequence[x509.Certificate] = (),
    nonce_source: Callable[[], int] = lambda: secrets.randbits(63) | (1 << 62),
    sleep: Callable[[float], None] = time.sleep,
) -> StampResult:
    """Get one checked time-stamp for ``digest`` from ``url``; raise :class:`TimestampError` otherwise."""
    if not url.startswith(("http://", "https://")):
        raise TimestampError(f"TSA {url}: only http:// and https:// URLs are supported")
    if hash_alg not in IMPRINT_HASHES or len(digest) != DIGEST_LENGTHS[hash_alg]:
        raise TimestampError(f"TSA {url}: {hash_alg} digest of {len(digest)} bytes cannot be stamped")
    nonce = nonce_source()
    body = _build_request(digest, hash_alg, nonce)
    attempt = 0
    while True:
        try:
            reply = _post(url, body, timeout=timeout, max_reply=max_reply)
            break
        except _Transient as exc:
            if attempt >= retries:
                raise TimestampError(
                    f"TSA {url}: {exc}; gave up after {attempt + 1} attempts",
                    remedy="check the URL and network, raise the timeout, or use another TSA",
                ) from None
            sleep(backoff * (2**attempt))
            attempt += 1
    return _accept(url, reply, digest=digest, hash_alg=hash_alg, nonce=nonce, trust=trust)


def stamp_quorum(
    urls: Sequence[str],
    digest: bytes,
    *,
    quorum: int = 1,
    hash_alg: str = "sha256",
    timeout: float = 10.0,
    retries: int = 2,
    backoff: float = 0.5,
    max_reply: int = MAX_REPLY_BYTES,
    trust: Sequence[x509.Certificate] = (),
) -> list[StampResult]:
    """Ask every TSA in parallel; succeed when at least ``quorum`` of them gave a good token.

    Results keep the order of ``urls``. When the quorum is missed the error lists every
    TSA that failed and why.
    """
    if not urls:
        raise TimestampError("no TSA given", remedy="pass --tsa URL (repeatable)")
    if not 1 <= quorum <= len(urls):
        raise TimestampError(f"quorum {quorum} cannot be met by {len(urls)} TSA(s)")
    if len(set(urls)) != len(urls):
        raise TimestampError("the same TSA URL is listed twice; a quorum needs independent TSAs")

    def one(url: str) -> StampResult | TimestampError:
        try:
            return request_timestamp(
                url,
                digest,
                hash_alg=hash_alg,
                timeout=timeout,
                retries=retries,
                backoff=backoff,
                max_reply=max_reply,
                trust=trust,
            )
        except TimestampError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=min(8, len(urls))) as pool:
        outcomes = list(pool.map(one, urls))
    good = [o for o in outcomes if isinstance(o, StampResult)]
    errors = [o for o in outcomes if isinstance(o, TimestampError)]
    if len(good) < quorum:
        raise TimestampError(
            f"{len(good)} of {len(urls)} TSAs answered with a good token, quorum is {quorum}: "
            + "; ".join(e.message for e in errors),
            remedy="retry later or add more TSAs with --tsa",
        )
    return good
