"""CLI surface and the preview server; the public API is pinned."""

from __future__ import annotations

import re
import threading
import urllib.request
from pathlib import Path

import pytest

import glyphserpack.site
from glyphserpack.cli import main
from glyphserpack.site.serve import make_server


def test_public_api_is_pinned() -> None:
    assert sorted(glyphserpack.site.__all__) == [
        "BuildResult",
        "SiteReport",
        "build_site",
        "verify_site",
        "verify_site_or_raise",
    ]


def test_help_lists_the_three_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["site", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ("build", "serve", "verify"))


def test_build_and_verify_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "site"
    assert main(["site", "build", str(repo / "evidence"), "-o", str(out), "--cache-dir", str(tmp_path / "c")]) == 0
    assert "mkdocs ran" in capsys.readouterr().out
    assert main(["site", "build", str(repo / "evidence"), "-o", str(out), "--cache-dir", str(tmp_path / "c")]) == 0
    assert "0 pages rendered" in capsys.readouterr().out
    assert main(["site", "verify", str(out)]) == 0
    assert main(["site", "verify", str(tmp_path / "nowhere")]) == 2
    assert main(["site", "build", str(tmp_path / "no-evidence"), "-o", str(tmp_path / "x")]) == 2


def test_preview_server_is_loopback_only(demo_site: Path) -> None:
    server = make_server(demo_site, port=0)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/registry.html", timeout=5) as resp:
            assert resp.status == 200
            assert b"Certificates registry" in resp.read()
    finally:
        server.shutdown()
        server.server_close()


def test_signed_and_timestamped_build_through_the_cli(
    tmp_path: Path, site_key_file: Path, site_trust: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from glyphserpack.timestamp.ca import init_tsa
    from glyphserpack.timestamp.server import TsaServer

    repo = Path(__file__).resolve().parents[2]
    tsa = init_tsa(tmp_path / "tsa")
    out = tmp_path / "site"
    with TsaServer(tsa.directory) as server:
        rc = main(
            [
                "site",
                "build",
                str(repo / "evidence"),
                "-o",
                str(out),
                "--sign-key",
                str(site_key_file),
                "--tsa",
                server.url,
            ]
        )
    assert rc == 0
    capsys.readouterr()
    args = ["site", "verify", str(out), "--trust", str(site_trust), "--tsa-roots", str(tsa.root_pem)]
    assert main(args) == 0
    out_text = capsys.readouterr().out
    assert "time-stamp: valid" in out_text
    assert re.search(r"signature [0-9a-f]{16}: ok", out_text)
