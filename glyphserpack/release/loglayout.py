"""Where the build's transparency log and the pack's inclusion proof live under ``OUT/``.

Shared by the log step (:mod:`~glyphserpack.release.logstep`, which builds ``OUT/log``) and the
registry append (:mod:`~glyphserpack.release.registry_log`, which copies the long-lived log
there); it imports neither, so neither imports the other to learn a path.
"""

from __future__ import annotations

from glyphserpack.release.context import BuildContext

__all__ = ["LOG_DIR", "PROOF_DIR", "PROOF_NAME", "proof_path"]

LOG_DIR = "log"
PROOF_DIR = "proofs"
PROOF_NAME = "log-inclusion.tlog-proof"


def proof_path(ctx: BuildContext) -> str:
    """Where the pack's inclusion proof is published beside the log (``proofs/PACK.tlog-proof``)."""
    return f"{PROOF_DIR}/{ctx.state['pack_name']}.tlog-proof"
