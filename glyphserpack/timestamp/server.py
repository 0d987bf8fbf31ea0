"""The embedded Time-Stamp Authority: RFC 3161 over HTTP (RFC 3161 §3.4), one thread per request.

Meant to run for an internal archive, not only for tests: serial numbers are persisted
before a token leaves the process (so a crash can skip a number but never reuse one),
the counter file is locked so two server processes on one state directory stay
monotonic, requests are size-capped, every grant and refusal is logged, and shutdown
finishes in-flight requests. The same server publishes the CA's revocation status
(``responder.py``): ``GET /crl`` returns a fresh DER CRL, ``POST /ocsp`` (or RFC 6960
Appendix A ``GET /ocsp/<base64 request>``) answers OCSP. ``TsaServer`` is a context manager that binds a free
loopback port when ``port=0``::

    with TsaServer(state_dir) as tsa:
        token = request_timestamp(tsa.url, digest)
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import fcntl
import logging
import os
import re
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from glyphserpack._internal.cms import CmsError
from glyphserpack._internal.cms.build import TokenSpec, build_rejection, build_response, build_token
from glyphserpack._internal.cms.parse import parse_request
from glyphserpack._internal.fsio import atomic_write
from glyphserpack.errors import InputError, UsageError
from glyphserpack.timestamp.ca import TsaMaterial, load_tsa
from glyphserpack.timestamp.responder import build_crl, ocsp_response

__all__ = ["DEFAULT_POLICY", "SerialCounter", "TsaServer"]

#: Policy OID of the embedded TSA: a UUID-derived arc (ITU-T X.667), no registration needed.
DEFAULT_POLICY = "2.25.178310624302178233370845617013722937713"
MAX_REQUEST = 64 * 1024
IMPRINT_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}
log = logging.getLogger("glyphserpack.tsa")


class SerialCounter:
    """Monotonic serial numbers kept in ``DIR/serial``, safe across threads, processes and crashes."""

    def __init__(self, directory: Path) -> None:
        self._path = directory / "serial"
        self._lock_path = directory / "serial.lock"
        self._thread_lock = threading.Lock()

    def next(self) -> int:
        with self._thread_lock:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    current = int(self._path.read_text(encoding="ascii").strip() or "0")
                except FileNotFoundError:
                    current = 0
                except ValueError:
                    raise InputError(f"{self._path}: serial counter is not a number; refusing to guess") from None
                value = current + 1
                atomic_write(self._path, f"{value}\n".encode("ascii"))  # durable before any token uses it
                return value
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)


class TsaServer:
    """A running RFC 3161 TSA bound to ``host:port``; ``port=0`` picks a free one."""

    def __init__(
        self,
        state_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        policy: str = DEFAULT_POLICY,
        accuracy_seconds: int = 1,
        accuracy_millis: int = 0,
        clock: Callable[[], dt.datetime] | None = None,
        material: TsaMaterial | None = None,
    ) -> None:
        if not re.fullmatch(r"[0-2](\.(0|[1-9][0-9]*))+", policy):
            raise UsageError(f"policy {policy!r}: not a dotted object identifier such as 1.2.3.4")
        if accuracy_seconds < 0 or not 0 <= accuracy_millis <= 999:
            raise UsageError("accuracy: seconds must be >= 0 and milliseconds 0..999")
        self.material = material or load_tsa(state_dir)
        self.counter = SerialCounter(state_dir)
        self.policy = policy
        self.accuracy = (accuracy_seconds, accuracy_millis)
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = False
        self._httpd.block_on_close = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def respond(self, body: bytes) -> bytes:
        """Turn one DER TimeStampReq into a DER TimeStampResp (grant or reasoned refusal)."""
        try:
            req = parse_request(body)
        except CmsError as exc:
            log.warning("refused: bad request (%s)", exc)
            return build_rejection("bad_data_format", f"malformed TimeStampReq: {exc}")
        if req.hash_alg not in IMPRINT_LENGTHS:
            log.warning("refused: hash %s not accepted", req.hash_alg)
            return build_rejection("bad_alg", f"hash {req.hash_alg} not accepted; use sha256, sha384 or sha512")
        if len(req.imprint) != IMPRINT_LENGTHS[req.hash_alg]:
            return build_rejection("bad_data_format", f"{req.hash_alg} imprint has {len(req.imprint)} bytes")
        if req.policy is not None and req.policy != self.policy:
            return build_rejection("unaccepted_policy", f"policy {req.policy} not offered; this TSA uses {self.policy}")
        if req.has_extensions:
            return build_rejection("unaccepted_extension", "request extensions are not supported")
        serial = self.counter.next()
        spec = TokenSpec(
            imprint_alg=req.hash_alg,
            imprint=req.imprint,
            serial=serial,
            gen_time=self.clock(),
            policy=self.policy,
            nonce=req.nonce,
            accuracy_seconds=self.accuracy[0],
            accuracy_millis=self.accuracy[1],
        )
        token = build_token(
            spec,
            key=self.material.key,
            tsa_cert=self.material.cert,
            include_certs=req.cert_req,
        )
        log.info("granted serial %d %s %s", serial, req.hash_alg, req.imprint.hex())
        return build_response(token)

    def revocation(self, path: str, body: bytes | None) -> tuple[int, bytes, str]:
        """Answer ``/crl`` or ``/ocsp`` (HTTP status, body, content type); other paths are the TSA's."""
        now = self.clock()
        if path == "/crl" and body is None:
            if self.material.root_key is None:
                return 503, b"no CA key in the state directory: CRLs cannot be signed\n", "text/plain"
            log.info("CRL issued")
            return 200, build_crl(self.material, now=now), "application/pkix-crl"
        if body is None:  # RFC 6960 Appendix A.1: GET {url}/{url-encoding of base-64 encoding of the DER request}
            try:
                body = base64.b64decode(urllib.parse.unquote(path.removeprefix("/ocsp/")), validate=True)
            except (binascii.Error, ValueError):
                return 400, b"expected /ocsp/<base64 OCSPRequest>\n", "text/plain"
        if self.material.root_key is None:
            return 503, b"no CA key in the state directory: OCSP answers cannot be signed\n", "text/plain"
        log.info("OCSP answered")
        return 200, ocsp_response(self.material, body, now=now), "application/ocsp-response"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "glyphserpack-tsa"
            timeout = 15  # seconds a client may take to send its request (slow-loris guard)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("%s " + format, self.client_address[0], *args)

            def _send(self, code: int, body: bytes, ctype: str) -> None:
                # One request per connection: no idle keep-alive thread can delay shutdown.
                self.close_connection = True
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/crl" or path.startswith("/ocsp/"):
                    if len(path) > 2 * MAX_REQUEST:
                        self._send(414, b"request too long\n", "text/plain")
                        return
                    try:
                        self._send(*server.revocation(path, None))
                    except Exception:
                        log.exception("internal error while answering %s", path)
                        self._send(500, b"internal error; see the TSA log\n", "text/plain")
                    return
                self._send(405, b"POST an application/timestamp-query\n", "text/plain")

            def _body(self, ctype_wanted: str) -> bytes | None:
                """The request body, or None after answering 411/413/415 (size-capped, declared length only)."""
                ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if ctype != ctype_wanted:
                    self._send(415, f"expected Content-Type {ctype_wanted}\n".encode(), "text/plain")
                    return None
                try:
                    length = int(self.headers.get("Content-Length", ""))
                except ValueError:
                    self._send(411, b"Content-Length required\n", "text/plain")
                    return None
                if not 0 < length <= MAX_REQUEST:
                    self._send(413, b"request too large\n", "text/plain")
                    return None
                return self.rfile.read(length)

            def do_POST(self) -> None:
                if self.path.split("?")[0] in ("/ocsp", "/ocsp/"):
                    body = self._body("application/ocsp-request")
                    if body is not None:
                        try:
                            self._send(*server.revocation("/ocsp", body))
                        except Exception:
                            log.exception("internal error while answering OCSP")
                            self._send(500, b"internal error; see the TSA log\n", "text/plain")
                    return
                body = self._body("application/timestamp-query")
                if body is None:
                    return
                try:
                    reply = server.respond(body)
                except Exception:
                    log.exception("internal error while time-stamping")
                    reply = build_rejection("system_failure", "internal error; see the TSA log")
                self._send(200, reply, "application/timestamp-reply")

        return Handler

    def start(self) -> TsaServer:
        """Serve in a background thread (for tests, the demo and embedding)."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="glyphserpack-tsa", daemon=True)
        self._thread.start()
        log.info("TSA listening on %s (policy %s)", self.url, self.policy)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called from elsewhere (or Ctrl-C)."""
        log.info("TSA listening on %s (policy %s)", self.url, self.policy)
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()
            log.info("TSA stopped")

    def stop(self) -> None:
        """Stop accepting, wait for in-flight requests, release the port."""
        self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self._httpd.server_close()
            log.info("TSA stopped")

    def __enter__(self) -> TsaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
