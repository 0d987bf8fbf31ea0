"""Build configuration: ``glyphserpack.toml`` in the evidence tree, overridden by flags.

A registry runs the same build every release; keeping TSA URLs, quorum, signer key and base
URL beside the evidence means the command line stays short and the choices are reviewed with
the evidence. Flags win over the file, the file wins over the defaults.

::

    # evidence/glyphserpack.toml
    profile = "regulated"            # core | enterprise | regulated
    base_url = "https://certs.example.org/"
    sign_key = "../keys/release.key" # relative to the evidence tree; never inside it
    trust = "trust"                  # trust store directory, relative to the evidence tree
    log = "../registry-log"          # the registry's long-lived transparency log (must exist)
    log_key = "../keys/log.key"      # signs the log checkpoints (default: sign_key); never inside the tree
    parity = "5%"                    # Reed-Solomon parity sidecar beside the pack, or "off"
    previous_manifest = "../previous-site/site-manifest.json"  # chain this site to the last one
    [timestamp]
    tsa = ["https://tsa.example/tsr"]
    quorum = 1
    hash = "sha256"                  # sha256 | sha512
    roots = "../tsa-roots.pem"       # TSA trust roots (PEM) used to verify the tokens obtained
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from glyphserpack._internal.fsio import read_bounded
from glyphserpack.errors import GlyphserpackError, InputError

__all__ = ["CONFIG_NAME", "DEFAULT_PARITY", "PROFILES", "BuildConfig", "load_config", "parse_parity"]

CONFIG_NAME = "glyphserpack.toml"
PROFILES = ("core", "enterprise", "regulated")
#: the parity sidecar's size as a share of the pack (``glyphserpack protect``'s default)
DEFAULT_PARITY = "5%"
PARITY_OFF = "off"
_TOP = {"profile", "base_url", "sign_key", "trust", "log", "log_key", "parity", "previous_manifest", "timestamp"}
_TS = {"tsa", "quorum", "hash", "roots"}


def parse_parity(text: str) -> float | None:
    """``"5%"`` -> 0.05, ``"off"`` -> None; anything else is a UsageError naming ``--parity``."""
    if text.strip().lower() == PARITY_OFF:
        return None
    from glyphserpack.parity import parse_ratio

    return parse_ratio(text)


@dataclass(frozen=True)
class BuildConfig:
    """Everything a build needs besides the evidence itself; immutable so steps cannot drift."""

    profile: str = "regulated"
    base_url: str | None = None
    sign_key: Path | None = None
    trust: Path | None = None
    #: the registry's long-lived log; None = a self-contained log per release under OUT/log
    log: Path | None = None
    #: the key that signs the log's checkpoints when it is not ``sign_key`` (a registry log made with its own key)
    log_key: Path | None = None
    #: parity sidecar size ("5%") or "off"; see :attr:`parity_ratio`
    parity: str = DEFAULT_PARITY
    #: the previous release's ``site-manifest.json``: the new site records its root (a hash chain)
    previous_manifest: Path | None = None
    tsa_urls: tuple[str, ...] = field(default_factory=tuple)
    quorum: int = 1
    hash_alg: str = "sha256"
    tsa_roots: Path | None = None
    #: the fields set on the command line (the rest come from glyphserpack.toml or defaults)
    from_flags: frozenset[str] = frozenset()

    def override(self, **changes: Any) -> BuildConfig:
        """Apply command-line values; ``None`` (flag not given) keeps the file's value."""
        given = {k: v for k, v in changes.items() if v is not None and v != ()}
        cfg = replace(self, **given, from_flags=self.from_flags | frozenset(given))
        cfg.check()
        return cfg

    def option(self, name: str) -> str:
        """How the user spelled setting ``name``: the flag they passed, or the glyphserpack.toml key."""
        if name in self.from_flags:
            return "--" + name.replace("_", "-")
        return f"{_TOML_KEYS.get(name, name)} in {CONFIG_NAME}"

    @property
    def parity_ratio(self) -> float | None:
        """The parity budget as a share of the pack size; None when parity is off."""
        return parse_parity(self.parity)

    @property
    def parity_label(self) -> str:
        """The parity setting normalised ("5%", "12.5%", "off"): what reports and the inputs hash record."""
        ratio = self.parity_ratio
        return PARITY_OFF if ratio is None else f"{ratio * 100:g}%"

    def check(self) -> None:
        parse_parity(self.parity)  # a malformed value is a UsageError naming --parity
        if self.profile not in PROFILES:
            raise InputError(f"profile {self.profile!r}: expected one of {', '.join(PROFILES)}")
        if self.hash_alg not in ("sha256", "sha512"):
            raise InputError(f"timestamp.hash {self.hash_alg!r}: expected sha256 or sha512")
        if self.quorum < 1:
            raise InputError(f"timestamp.quorum {self.quorum}: expected at least 1")
        if self.tsa_urls and self.quorum > len(self.tsa_urls):
            raise InputError(f"timestamp.quorum {self.quorum}: only {len(self.tsa_urls)} TSA URL(s) configured")


#: glyphserpack.toml spelling of the settings whose key differs from the field name
_TOML_KEYS = {"tsa_roots": "timestamp.roots", "tsa_urls": "timestamp.tsa", "quorum": "timestamp.quorum"}


def load_config(evidence_dir: Path) -> BuildConfig:
    """Read ``glyphserpack.toml`` if present; every unknown key or wrong type is an error."""
    path = evidence_dir / CONFIG_NAME
    if not path.exists():
        return BuildConfig()
    raw = read_bounded(path, 1024 * 1024, what="config")
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    unknown = sorted(set(doc) - _TOP)
    if unknown:
        raise InputError(f"{path}: unknown key {unknown[0]!r}; expected {', '.join(sorted(_TOP))}")
    ts = doc.get("timestamp", {})
    if not isinstance(ts, dict):
        raise InputError(f"{path}: [timestamp] must be a table")
    unknown = sorted(set(ts) - _TS)
    if unknown:
        raise InputError(f"{path}: unknown key timestamp.{unknown[0]!r}; expected {', '.join(sorted(_TS))}")

    def text(value: Any, name: str) -> str:
        if not isinstance(value, str) or not value:
            raise InputError(f"{path}: {name}: expected non-empty text")
        return value

    cfg = BuildConfig(
        profile=text(doc.get("profile", "regulated"), "profile"),
        base_url=text(doc["base_url"], "base_url") if "base_url" in doc else None,
        sign_key=(evidence_dir / text(doc["sign_key"], "sign_key")) if "sign_key" in doc else None,
        trust=(evidence_dir / text(doc["trust"], "trust")) if "trust" in doc else None,
        log=(evidence_dir / text(doc["log"], "log")) if "log" in doc else None,
        log_key=(evidence_dir / text(doc["log_key"], "log_key")) if "log_key" in doc else None,
        parity=_parity(text(doc.get("parity", DEFAULT_PARITY), "parity"), path),
        previous_manifest=(
            (evidence_dir / text(doc["previous_manifest"], "previous_manifest")) if "previous_manifest" in doc else None
        ),
        tsa_urls=tuple(text(u, "timestamp.tsa[]") for u in _as_list(ts.get("tsa", []), path)),
        quorum=_as_int(ts.get("quorum", 1), path, "timestamp.quorum"),
        hash_alg=text(ts.get("hash", "sha256"), "timestamp.hash"),
        tsa_roots=(evidence_dir / text(ts["roots"], "timestamp.roots")) if "roots" in ts else None,
    )
    cfg.check()
    return cfg


def _parity(value: str, path: Path) -> str:
    """A percentage such as "5%" or "off"; the error names the file and the key."""
    try:
        parse_parity(value)
    except GlyphserpackError:
        raise InputError(f"{path}: parity {value!r}: expected a percentage such as 5% (at most 100%), or off") from None
    return value


def _as_list(value: Any, path: Path) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(f"{path}: timestamp.tsa: expected a list of URLs")
    return value


def _as_int(value: Any, path: Path, name: str) -> int:
    if type(value) is not int:
        raise InputError(f"{path}: {name}: expected a whole number")
    return value
