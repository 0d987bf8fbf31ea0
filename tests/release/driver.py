"""Run the CLI in a real subprocess with the tests' deterministic nonce (see helpers.py).

Usage: python tests/release/driver.py ARGS...  (exit status = the CLI's)
"""

from __future__ import annotations

import sys


class _FixedSecrets:
    @staticmethod
    def randbits(k: int) -> int:
        return 0x5EED_5EED_5EED_5EED & ((1 << k) - 1)


if __name__ == "__main__":
    import glyphserpack.timestamp.client as client
    from glyphserpack.cli import main

    client.secrets = _FixedSecrets  # type: ignore[assignment]
    sys.exit(main(sys.argv[1:]))
