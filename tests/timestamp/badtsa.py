"""Real loopback HTTP servers that misbehave the ways public TSAs do (down, slow, HTML, huge...).

Not mocks: each is an actual HTTP server the client talks to over TCP; the "wrong imprint"
and "wrong nonce" ones forward an altered request to a real embedded TSA and relay its
genuine, correctly signed reply.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import tsp

from glyphserpack._internal.cms.build import build_rejection

CHUNK = b"\0" * (1 << 20)


def free_port_url() -> str:
    """A loopback URL where nothing listens (the port was just released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _alter(body: bytes, mode: str) -> bytes:
    req = tsp.TimeStampReq.load(body)
    if mode == "wrong-nonce":
        req["nonce"] = int(req["nonce"].native) + 1
    else:
        mi = req["message_imprint"]
        digest = bytes(mi["hashed_message"].native)
        mi["hashed_message"] = bytes(b ^ 0xFF for b in digest)
    return bytes(tsp.TimeStampReq.load(req.dump(force=True)).dump())


@contextmanager
def bad_tsa(mode: str, *, upstream: str = "", delay: float = 0.0) -> Iterator[str]:
    """Serve one misbehaviour on a free loopback port; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client hung up on purpose
                self._answer(body)

        def _reply(self, code: int, ctype: str, payload: bytes, length: int | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(payload)

        def _answer(self, body: bytes) -> None:
            if mode == "slow":
                time.sleep(delay)
                self._reply(200, "application/timestamp-reply", b"")
            elif mode == "html":
                self._reply(200, "text/html", b"<html><body>Service Unavailable</body></html>")
            elif mode == "http-500":
                self._reply(503, "text/plain", b"busy")
            elif mode == "rejection":
                self._reply(200, "application/timestamp-reply", build_rejection("bad_alg", "we only do SHA-1"))
            elif mode == "huge-declared":
                self._reply(200, "application/timestamp-reply", b"", length=50 * 1024 * 1024)
            elif mode == "huge-streamed":  # no Content-Length: the cap must stop the read itself
                self._reply(200, "application/timestamp-reply", b"")
                for _ in range(50):
                    self.wfile.write(CHUNK)
            elif mode in ("wrong-nonce", "wrong-imprint"):
                request = urllib.request.Request(
                    upstream,
                    data=_alter(body, mode),
                    headers={"Content-Type": "application/timestamp-query"},
                )
                with urllib.request.urlopen(request, timeout=10) as resp:
                    self._reply(200, "application/timestamp-reply", resp.read())
            else:
                raise AssertionError(mode)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
