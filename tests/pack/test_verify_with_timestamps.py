"""`glyphserpack verify` checks signatures and RFC 3161 time-stamps together; `pack` refuses
signers that its own trust store would reject."""

from __future__ import annotations

from pathlib import Path

import pytest

from glyphserpack.cli import main
from glyphserpack.keys import generate
from glyphserpack.timestamp.ca import init_tsa
from glyphserpack.timestamp.server import TsaServer

CREATED = "2026-03-01T12:00:00Z"


@pytest.fixture
def signed(tmp_path: Path, src: Path) -> tuple[Path, Path]:
    trust = tmp_path / "trust"
    generate(tmp_path / "k.key", trust_dir=trust, not_before="2026-01-01T00:00:00Z")
    out = tmp_path / "r.glyphserpack"
    rc = main(["pack", str(src), "-o", str(out), "--sign-key", str(tmp_path / "k.key"), "--trust", str(trust)])
    assert rc == 0
    return out, trust


def test_verify_checks_timestamps_against_tsa_roots(
    tmp_path: Path, signed: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pack, trust = signed
    tsa = init_tsa(tmp_path / "tsa", key_type="ec")
    other = init_tsa(tmp_path / "other", key_type="ec")
    with TsaServer(tsa.directory) as server:
        assert main(["timestamp", str(pack), "--tsa", server.url]) == 0
    capsys.readouterr()

    assert main(["verify", str(pack), "--trust", str(trust), "--tsa-trust", str(tsa.directory / "root.pem")]) == 0
    out = capsys.readouterr().out
    assert "GSP-E217" in out
    assert "VALID" in out

    # Roots of another TSA: the token no longer counts, so the pack is invalid.
    assert main(["verify", str(pack), "--trust", str(trust), "--tsa-trust", str(other.directory / "root.pem")]) == 1
    assert "GSP-E208" in capsys.readouterr().out

    # One TSA recorded, two demanded.
    args = ["verify", str(pack), "--tsa-trust", str(tsa.directory / "root.pem"), "--tsa-quorum", "2"]
    assert main(args) == 1
    assert "GSP-E214" in capsys.readouterr().out

    # Without roots the tokens are still checked, with a warning that trust was not.
    assert main(["verify", str(pack), "--trust", str(trust)]) == 0
    assert "GSP-E215" in capsys.readouterr().out


def test_pack_refuses_signer_outside_its_window(tmp_path: Path, src: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trust = tmp_path / "trust"
    generate(tmp_path / "late.key", trust_dir=trust, not_before="2026-06-01T00:00:00Z")
    out = tmp_path / "r.glyphserpack"
    args = ["pack", str(src), "-o", str(out), "--sign-key", str(tmp_path / "late.key"), "--trust", str(trust)]
    assert main([*args, "--created", CREATED]) == 2
    err = capsys.readouterr().err
    assert "not yet valid at the pack's created time 2026-03-01T12:00:00Z" in err
    assert not out.exists()
    assert main([*args, "--created", "2026-07-01T00:00:00Z"]) == 0


def test_pack_refuses_signer_missing_from_trust(tmp_path: Path, src: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate(tmp_path / "a.key", trust_dir=tmp_path / "trust-a", not_before="2026-01-01T00:00:00Z")
    generate(tmp_path / "b.key", trust_dir=tmp_path / "trust-b", not_before="2026-01-01T00:00:00Z")
    out = tmp_path / "r.glyphserpack"
    args = [
        "pack",
        str(src),
        "-o",
        str(out),
        "--sign-key",
        str(tmp_path / "a.key"),
        "--trust",
        str(tmp_path / "trust-b"),
    ]
    assert main([*args, "--created", CREATED]) == 2
    assert "is not in the trust store" in capsys.readouterr().err
    assert not out.exists()
