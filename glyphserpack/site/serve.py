"""Local preview: a static file server bound to the loopback interface only.

The preview exists so people can click through a site before publishing it; it must never
expose the site to the network, so the address is fixed to 127.0.0.1 and there is no option
to change it. Files are served read-only from the built site; nothing is rebuilt.
"""

from __future__ import annotations

import functools
import http.server
from collections.abc import Callable
from pathlib import Path

from glyphserpack.errors import InputError

__all__ = ["make_server", "serve_forever"]

LOOPBACK = "127.0.0.1"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Quiet handler with the MIME types the site uses."""

    extensions_map = {  # noqa: RUF012 - class attribute consumed by the base class
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".json": "application/json",
        ".glyphserpack": "application/octet-stream",
    }

    def log_message(self, format: str, *args: object) -> None:
        return


def make_server(site: Path, *, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for ``site`` on 127.0.0.1:``port`` (0 picks a free port); caller runs it."""
    if not (site / "index.html").is_file():
        raise InputError(f"site {site}: no index.html; build it first with `glyphserpack site build`")
    handler = functools.partial(_Handler, directory=str(site))
    return http.server.ThreadingHTTPServer((LOOPBACK, port), handler)


def serve_forever(site: Path, *, port: int = 8000, announce: Callable[[str], None] = print) -> None:
    server = make_server(site, port=port)
    host, real_port = server.server_address[:2]
    announce(f"serving {site} on http://{host!s}:{real_port}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
