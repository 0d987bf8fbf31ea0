"""``log verify`` streams: its peak RSS does not grow with the number of entries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from logtest_helpers import pack_doc

from glyphserpack.log.note import Signer
from glyphserpack.log.store import LogStore

_CHILD = """
import sys
from pathlib import Path
from glyphserpack.log.audit import audit_log
from glyphserpack.log.store import LogStore
seen = []
report = audit_log(LogStore(Path(sys.argv[1])), progress=lambda done, total: seen.append(done))
assert report.ok, report.findings
assert seen[-1] == report.size, seen
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        print(int(line.split()[1]))
"""


def peak_kib(log: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(log)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    return int(out.stdout.split()[-1])


def test_verify_peak_rss_is_independent_of_size(tmp_path: Path, signer: Signer) -> None:
    small = LogStore.init(tmp_path / "small", signer)
    small.append([pack_doc(i) for i in range(2_000)], signer)
    big = LogStore.init(tmp_path / "big", signer)
    big.append_many((pack_doc(i) for i in range(40_000)), signer)
    small_kib, big_kib = peak_kib(small.root), peak_kib(big.root)
    # Holding only the 40,000 leaf hashes would add about 3 MiB; the entries, about 8 MiB.
    assert big_kib - small_kib < 2 * 1024, (small_kib, big_kib)
