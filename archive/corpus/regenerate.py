#!/usr/bin/env python3
"""Build the reference pack of the current format version into archive/corpus/v<major>.<minor>/.

Released corpus entries are never rebuilt (tests pin them forever); run this only when a new
format version is released, e.g. ``.venv/bin/python archive/corpus/regenerate.py``. The
signing key is generated fresh and thrown away: no private key is ever stored in the repo.
The payload is a small, fixed, evidence-like tree created by this script.

From format 1.1 on, the reference pack is also time-stamped by a throw-away embedded TSA
(its root certificate is kept as ``tsa-root.pem``; its CRL and OCSP answers are stored with
each token): an RFC 4998 hash-tree
stamp, a time-stamp renewal and a SHA-512 hash-tree renewal, so every kind of link that
``ers export`` turns into Evidence Records is pinned by the corpus.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from glyphserpack import canonical  # noqa: E402
from glyphserpack.pack import FORMAT_MAJOR, FORMAT_MINOR, stamp_pack, verify, write  # noqa: E402
from glyphserpack.signing import key_id, public_key_raw  # noqa: E402
from glyphserpack.timestamp import TsaServer, init_tsa  # noqa: E402
from glyphserpack.trust import TrustedKey, TrustStore  # noqa: E402

CREATED = "2026-01-01T00:00:00Z"


def payload(root: Path) -> None:
    files = {
        "README.md": b"# Reference evidence\n\nSynthetic release evidence for the glyphserpack format corpus.\n",
        "certificates/run-0001.cbor": canonical.dumps(
            {"certificate_version": 1, "run_id": "run-0001", "verification_time_utc": CREATED}
        ),
        "evidence_manifest.json": json.dumps({"profile": "core", "items": ["certificates/run-0001.cbor"]}).encode(),
        "traces/trace.jsonl": b"".join(b'{"step": %d, "op": "matmul"}\n' % i for i in range(200)),
        "policy/transcript.yaml": b"policy: baseline\nverdict: PASS\n",
        "unicode/r\u00e9sum\u00e9.txt": b"accented name\n",
        "blob/random.bin": bytes((i * 7919 + 13) % 251 for i in range(70_000)),
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


#: Hash algorithm of each time-stamp link of a 1.1+ reference pack (the TSA's clock is real:
#: its certificate is only valid from the day the corpus entry is made).
STAMPS = ("sha256", "sha256", "sha512")


def timestamp(pack: Path, out: Path, tmp: Path) -> None:
    """Stamp ``pack`` as STAMPS says with a fresh TSA whose root goes to ``out/tsa-root.pem``."""
    with socket.socket() as probe:  # the CA names its CRL/OCSP URL before the server runs
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tsa = init_tsa(tmp / "tsa", key_type="ec", revocation_url=f"http://127.0.0.1:{port}/")
    with TsaServer(tsa.directory, port=port) as server:
        for n, alg in enumerate(STAMPS):
            stamp_pack(pack, [server.url], hash_alg=alg, renew=n > 0, trust=[tsa.root])
    shutil.copyfile(tsa.root_pem, out / "tsa-root.pem")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--force", action="store_true", help="overwrite an existing corpus entry (never for released ones)")
    args = ap.parse_args()
    out = HERE / f"v{FORMAT_MAJOR}.{FORMAT_MINOR}"
    if out.exists() and not args.force:
        print(f"{out} exists; released corpus entries are never rebuilt (use --force only before release)")
        return 1
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    key = Ed25519PrivateKey.generate()
    trust = TrustStore.from_keys(
        [TrustedKey(key_id(key), public_key_raw(key), "glyphserpack corpus (key discarded)", ("pack",), CREATED)]
    )
    trust.save(out / "trust")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        payload(src)
        write(src, out / "reference.glyphserpack", sign_keys=[key], trust=trust, created=CREATED, threads=1)
        if (FORMAT_MAJOR, FORMAT_MINOR) >= (1, 1):
            timestamp(out / "reference.glyphserpack", out, Path(tmp))
    report = verify(out / "reference.glyphserpack", trust=TrustStore.load(out / "trust"))
    assert report.valid, report.to_json()
    (out / "expected_report.json").write_text(report.to_json())
    print(f"wrote {out} (root hash {report.root_hash})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
