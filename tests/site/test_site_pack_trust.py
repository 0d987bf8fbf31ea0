"""The archive page says whether each pack verifies in full against the pack trust store."""

from __future__ import annotations

from pathlib import Path

from conftest import make_key, write_trust

from glyphserpack.pack.write import write
from glyphserpack.site.packs import describe
from glyphserpack.trust import TrustStore

CREATED = "2026-10-15T12:00:00Z"


def _pack(tmp_path: Path, label: str | None) -> Path:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "a.txt").write_text("evidence\n")
    out = tmp_path / f"{label or 'unsigned'}.glyphserpack"
    keys = [make_key(label)] if label else []
    write(src, out, sign_keys=keys, created=CREATED, threads=1)
    return out


def test_signed_pack_verifies_against_its_trust_store(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "packer")
    trust = TrustStore.load(write_trust(make_key("packer"), tmp_path / "trust", purposes=("pack",)))
    record = describe(pack, trust=trust)
    assert record.signature_valid is True
    assert record.signature_status.startswith("verified")


def test_a_key_the_store_does_not_trust_is_reported_failed(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "packer")
    other = TrustStore.load(write_trust(make_key("someone else"), tmp_path / "trust", purposes=("pack",)))
    record = describe(pack, trust=other)
    assert record.signature_valid is False
    assert record.signature_status.startswith("verification FAILED (GSP-E1")


def test_a_damaged_pack_is_reported_failed_and_without_trust_nothing_is_claimed(tmp_path: Path) -> None:
    pack = _pack(tmp_path, "packer")
    trust = TrustStore.load(write_trust(make_key("packer"), tmp_path / "trust", purposes=("pack",)))
    assert describe(pack).signature_valid is None
    assert describe(pack).signature_status == "signatures not checked (no trust store given)"
    data = bytearray(pack.read_bytes())
    data[len(data) // 3] ^= 0x40
    pack.write_bytes(bytes(data))
    record = describe(pack, trust=trust)
    assert record.signature_valid is False
    assert "FAILED" in record.signature_status


def test_the_archive_page_shows_the_result(demo_site: Path) -> None:
    html = (demo_site / "archive.html").read_text(encoding="utf-8")
    assert "Integrity and signatures: signatures not checked (no trust store given)" in html
