"""`glyphserpack extract PACK DEST MEMBER` must not import what it does not use.

Issue 3 asks for a single-member extract in < 0.2 s, and from the command line most of that
is interpreter start-up and imports. These tests run the CLI's extract path in a fresh
interpreter and list ``sys.modules``, so an eager import added anywhere on the path (the
CLI group, ``glyphserpack.pack``, the reader) fails here rather than silently costing time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from glyphserpack.signing import key_id, public_key_raw
from glyphserpack.trust import TrustedKey, TrustStore

MEMBER = "data/certs/cert.cbor"

_PROBE = """
import json, sys
from glyphserpack.cli import main
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "modules": sorted(sys.modules)}))
"""

#: Never needed to extract: site building, schemas, UI, test tools, time-stamping, parity.
ALWAYS_ABSENT = [
    "asn1crypto",
    "bagit",
    "glyphserpack._internal.pack.scan",
    "glyphserpack._internal.pack.writer",
    "glyphserpack.release",
    "glyphserpack.evidence",
    "glyphserpack.log",
    "glyphserpack.parity",
    "glyphserpack.site",
    "glyphserpack.timestamp",
    "hypothesis",
    "jinja2",
    "jsonschema",
    "mkdocs",
    "playwright",
    "pydantic",
    "reedsolo",
    "rfc3161ng",
    "rich",
]
#: Needed only to check signatures, i.e. with --trust.
TRUST_ONLY = ["concurrent.futures", "cryptography", "glyphserpack.signing", "glyphserpack.trust", "yaml"]


def _run_cli(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return int(out["rc"]), set(out["modules"])


def _loaded(modules: set[str], names: list[str]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_extract_member_imports_only_what_it_needs(packed: Path, tmp_path: Path) -> None:
    rc, modules = _run_cli(["extract", str(packed), str(tmp_path / "out"), MEMBER], tmp_path)
    assert rc == 0
    assert (tmp_path / "out" / MEMBER).is_file()
    assert "glyphserpack.pack.extract" in modules  # the probe really went down the extract path
    assert _loaded(modules, ALWAYS_ABSENT + TRUST_ONLY) == []


def test_extract_with_trust_adds_only_the_signature_stack(packed: Path, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # the `packed` fixture's signer
    entry = TrustedKey(key_id(key), public_key_raw(key), "Release", ("pack",), "2026-01-01T00:00:00Z", None, None, None)
    TrustStore.from_keys([entry]).save(tmp_path / "trust")
    args = ["extract", str(packed), str(tmp_path / "out"), MEMBER, "--trust", str(tmp_path / "trust")]
    rc, modules = _run_cli(args, tmp_path)
    assert rc == 0
    assert "glyphserpack.signing" in modules
    assert _loaded(modules, [*ALWAYS_ABSENT, "concurrent.futures"]) == []


@pytest.mark.parametrize("name", ["glyphserpack.pack", "glyphserpack.pack.extract"])
def test_importing_the_pack_library_stays_light(name: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", f"import json, sys, {name}; print(json.dumps(sorted(sys.modules)))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = set(json.loads(proc.stdout))
    assert _loaded(modules, ALWAYS_ABSENT + TRUST_ONLY + ["click"]) == []


def test_lazy_names_stay_functions_whoever_imports_the_submodule_first(tmp_path: Path) -> None:
    """Importing ``glyphserpack.pack.verify`` (the module) must not shadow ``pack.verify`` (the function)."""
    probe = (
        "from glyphserpack.pack.verify import run_verification\n"
        "import glyphserpack.pack.write\n"
        "import glyphserpack.pack as p\n"
        "from glyphserpack.pack import PackReport, extract, verify, write\n"
        "assert [f.__module__ for f in (p.verify, p.write, p.extract, verify, write, extract)] == [\n"
        "    'glyphserpack.pack.verify', 'glyphserpack.pack.write', 'glyphserpack.pack.extract'] * 2\n"
        "assert callable(p.verify_or_raise) and callable(p.attach) and p.Check.__name__ == 'Check'\n"
        "assert set(p.__all__) <= set(dir(p))\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
