"""``glyphserpack cert issue | revoke | renew | show | list``: sign and inspect registry evidence."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from glyphserpack._internal import jsonout
from glyphserpack._internal.docload import load_document
from glyphserpack._internal.fsio import atomic_write, read_bounded
from glyphserpack.cli.keys_cmd import now_utc, passphrase_for
from glyphserpack.errors import UsageError
from glyphserpack.evidence import issue as issuing
from glyphserpack.evidence.certview import LogFacts, describe, list_tree
from glyphserpack.evidence.loader import ATTACHMENT_LIMIT, EvidenceTree, load_tree
from glyphserpack.keys import load_private_key
from glyphserpack.trust import TrustStore

__all__ = ["cert"]

_DIR = click.Path(file_okay=False, path_type=Path)
_FILE = click.Path(dir_okay=False, path_type=Path)
_LOG_HELP = "Registry log: append this event's entry (needs --log-key)."


@dataclass(frozen=True)
class _Log:
    """The registry log to append to, opened (and its key loaded) before anything is signed."""

    store: Any
    signer: Any

    @classmethod
    def open(cls, log_dir: Path | None, key_file: Path | None) -> _Log | None:
        if log_dir is None:
            if key_file is not None:
                raise UsageError("--log-key: given without --log")
            return None
        if key_file is None:
            raise UsageError("--log: needs --log-key, the log's private key (it signs the new checkpoint)")
        from glyphserpack.log import LogStore, Signer
        from glyphserpack.log._keyfile import load_private_key as load_log_key

        store = LogStore(log_dir)
        return cls(store, Signer(store.origin, load_log_key(key_file)))

    def append(self, entry: dict[str, Any]) -> str:
        result = self.store.append([entry], self.signer)
        return f"logged {entry['type']} at index {result.first_index}; log size {result.size}"


def _tree_root(start: Path) -> Path | None:
    """The evidence tree holding ``start``: the nearest directory with a release.yaml.

    Relative to the current directory when ``start`` was given relative, so the paths printed
    from it read like the ones the user typed.
    """
    for d in [start.resolve().parent, *start.resolve().parents]:
        if (d / "release.yaml").is_file():
            return d if start.is_absolute() else Path(os.path.relpath(d))
    return None


def _in_tree(path: Path, root: Path) -> str:
    """``path`` relative to the tree root (POSIX), or its name when it lies outside."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _key(path: Path) -> Any:
    return load_private_key(path, passphrase=passphrase_for(path))


def _write(
    signed: issuing.Signed,
    out: Path,
    *,
    log: _Log | None,
    entry: Callable[[], dict[str, Any]],
    add_to: Path | None = None,
) -> None:
    """Write the signed file atomically, list it in the tree ``add_to`` (``--add``), then log it.

    The log and key were opened up front. A file the tree refuses to list (``evidence add``'s
    checks) is taken back, so a refusal leaves nothing written and nothing logged.
    """
    from glyphserpack.evidence.listing import apply_add, plan_add

    previous = out.read_bytes() if add_to is not None and out.is_file() else None
    atomic_write(out, signed.data)
    plan = None
    if add_to is not None:
        try:
            plan = plan_add(add_to, [out])
        except BaseException:
            if previous is None:
                out.unlink(missing_ok=True)
            else:
                atomic_write(out, previous)
            raise
        apply_add(add_to, plan)
    click.echo(f"{signed.sha256}  {out}  ({signed.document.kind}, key {signed.document.obj['key_id'][:16]})")
    for line in plan.lines() if plan is not None else []:
        click.echo(line)
    if log is not None:
        click.echo(log.append(entry()))


def _refuse_existing(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise UsageError(f"-o {out}: already exists; refusing to overwrite it (add --force to replace it)")


def _log_facts(log_dir: Path | None) -> LogFacts | None:
    """What the registry log records about each certificate (SHA-256 hex -> facts), or None."""
    if log_dir is None:
        return None
    from glyphserpack.log import LogStore, decode_entry, derive_states

    store = LogStore(log_dir)
    size = store.open_checkpoint().checkpoint.size
    report = derive_states((i, decode_entry(d, where=f"log entry {i}")) for i, d in store.iter_entries(size))
    return {h.hex(): c.facts() for h, c in report.certificates.items()}


def _refuse_against_log(file: Path, data: bytes, log_dir: Path | None, *, event: str) -> None:
    """Refuse a lifecycle event the registry log could not accept, before anything is signed.

    The log derives each certificate's state from its entries (``log state``): revoking or
    renewing a certificate it never issued is a ``GSP-E413`` finding there, and a second
    revocation is one the tree cannot see until the first is listed in it.
    """
    facts = _log_facts(log_dir)
    if facts is None:
        return
    known = facts.get(hashlib.sha256(data).hexdigest())
    if known is None:
        raise UsageError(
            f"{file}: the registry log {log_dir} never issued it (no certificate_issued entry); "
            f"a {event} entry there would be GSP-E413; nothing written",
            remedy="log its issuance first: build the release that carries it with --log, "
            "or issue it with `cert issue --log`",
        )
    if event == "certificate_revoked" and known.revoked_utc:
        raise UsageError(
            f"{file}: already revoked ({known.revocation_reason} at {known.revoked_utc}, "
            f"recorded in the registry log {log_dir}); nothing written"
        )


def _trust(trust_dir: Path | None, tree: EvidenceTree | None, option: str) -> TrustStore:
    if trust_dir is not None:
        return TrustStore.load(trust_dir)
    if tree is None:
        raise UsageError(f"{option}: no evidence tree found; give --trust DIR (who may sign)")
    return issuing.tree_trust(tree)


@click.group("cert")
def cert() -> None:
    """Issue, revoke, renew and inspect certification records and execution certificates.

    \b
    Example:
      glyphserpack cert issue record.yaml --key ca.key --evidence evidence/ -o evidence/certification/records/r.cbor
      glyphserpack cert list evidence/
    """


_log_options = [
    click.option("--trust", "trust_dir", type=_DIR, help="Trust store (default: the evidence tree's)."),
    click.option("--force", is_flag=True, help="Replace an existing -o file."),
    click.option("--log", "log_dir", type=_DIR, help=_LOG_HELP),
    click.option("--log-key", type=_FILE, help="The registry log's private key (with --log)."),
    click.option(
        "--add",
        "add",
        is_flag=True,
        help="Also list the written file in its evidence tree and re-pin it (evidence add).",
    ),
]
_TREE_HELP = "Evidence tree holding FILE (default: found above FILE)."


def _with_log(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--trust, --force, --log, --log-key and --add: the options every signing command shares."""
    for option in reversed(_log_options):
        fn = option(fn)
    return fn


@dataclass(frozen=True)
class _Target:
    """The signed file a revocation or renewal is about, and the tree that holds it."""

    data: bytes
    root: Path | None
    tree: EvidenceTree | None
    path: str

    @classmethod
    def open(cls, file: Path, evidence_dir: Path | None) -> _Target:
        root = evidence_dir or _tree_root(file)
        tree = load_tree(root) if root is not None else None
        data = read_bounded(file, ATTACHMENT_LIMIT, what="certificate file")
        return cls(data, root, tree, _in_tree(file, root) if root is not None else file.name)


@cert.command("issue")
@click.argument("spec", type=_FILE)
@click.option("--key", "key_file", required=True, type=_FILE, help="Signing key (PKCS#8 PEM).")
@click.option("-o", "--output", "out", required=True, type=_FILE, help="Signed file to write (.cbor).")
@click.option("--evidence", "evidence_dir", required=True, type=_DIR, help="Evidence tree the document binds to.")
@_with_log
def issue_cmd(
    spec: Path,
    key_file: Path,
    out: Path,
    evidence_dir: Path,
    trust_dir: Path | None,
    force: bool,
    log_dir: Path | None,
    log_key: Path | None,
    add: bool,
) -> int:
    """Sign a certification record or execution certificate from SPEC (YAML; see docs/cert.md).

    \b
    Example:
      glyphserpack cert issue record.yaml --key ca.key --evidence evidence/ -o evidence/certification/records/r.cbor
    """
    _refuse_existing(out, force)
    log = _Log.open(log_dir, log_key)
    tree = load_tree(evidence_dir)
    trust = TrustStore.load(trust_dir) if trust_dir is not None else None
    signed = issuing.issue(
        load_document(spec), _key(key_file), tree=tree, trust=trust, name=str(spec), path=_in_tree(out, tree.root)
    )
    from glyphserpack.log.cert_entries import issued_entry

    _write(signed, out, log=log, entry=lambda: issued_entry(signed.document), add_to=evidence_dir if add else None)
    return 0


@cert.command("revoke")
@click.argument("file", type=_FILE)
@click.option("--reason", required=True, help="RFC 5280 reason name, e.g. keyCompromise, superseded.")
@click.option("--key", "key_file", required=True, type=_FILE, help="Signing key with purpose 'revocation'.")
@click.option("-o", "--output", "out", type=_FILE, help="Default: TREE/certification/revocations/ID.cbor.")
@click.option("--at", help="Revocation time (default: SOURCE_DATE_EPOCH, else now).")
@click.option("--id", "revocation_id", help="revocation_id (default: rev-<first 16 hex of FILE's SHA-256>).")
@click.option("--issuer", help="Issuer text (default: the signing key's owner in the trust store).")
@click.option("--evidence", "evidence_dir", type=_DIR, help=_TREE_HELP)
@_with_log
def revoke_cmd(
    file: Path,
    reason: str,
    key_file: Path,
    out: Path | None,
    at: str | None,
    revocation_id: str | None,
    issuer: str | None,
    evidence_dir: Path | None,
    trust_dir: Path | None,
    force: bool,
    log_dir: Path | None,
    log_key: Path | None,
    add: bool,
) -> int:
    """Write a signed revocation of FILE (FILE itself is never changed).

    \b
    Example:
      glyphserpack cert revoke evidence/certification/records/r.cbor --reason privilegeWithdrawn --key ca.key
    """
    t = _Target.open(file, evidence_dir)
    log = _Log.open(log_dir, log_key)
    _refuse_against_log(file, t.data, log_dir, event="certificate_revoked")
    signed = issuing.revoke(
        t.data, _key(key_file), path=t.path, reason=reason, at=now_utc(at), tree=t.tree,
        trust=_trust(trust_dir, t.tree, "cert revoke"), revocation_id=revocation_id, issuer=issuer,
        out_path="revocation",
    )  # fmt: skip
    root = t.root
    if out is None:
        if root is None:
            raise UsageError("-o: FILE is in no evidence tree; say where the revocation goes")
        out = root / "certification" / "revocations" / f"{signed.document.obj['revocation_id']}.cbor"
    _refuse_existing(out, force)
    if add and root is None:
        raise UsageError("--add: FILE is in no evidence tree to list the revocation in; give --evidence DIR")
    from glyphserpack.log.cert_entries import revoked_entry

    _write(signed, out, log=log, entry=lambda: revoked_entry(signed.document), add_to=root if add else None)
    return 0


@cert.command("renew")
@click.argument("file", type=_FILE)
@click.option("--key", "key_file", required=True, type=_FILE, help="Signing key (PKCS#8 PEM).")
@click.option("--valid-until", required=True, help="valid_until_utc of the renewal (YYYY-MM-DDTHH:MM:SSZ).")
@click.option("-o", "--output", "out", required=True, type=_FILE, help="Signed file to write (.cbor).")
@click.option("--at", help="Issue time of the renewal (default: SOURCE_DATE_EPOCH, else now).")
@click.option("--id", "new_id", help="record_id of a renewed record (default: OLD-rYYYYMMDD).")
@click.option("--evidence", "evidence_dir", type=_DIR, help=_TREE_HELP)
@_with_log
def renew_cmd(
    file: Path,
    key_file: Path,
    valid_until: str,
    out: Path,
    at: str | None,
    new_id: str | None,
    evidence_dir: Path | None,
    trust_dir: Path | None,
    force: bool,
    log_dir: Path | None,
    log_key: Path | None,
    add: bool,
) -> int:
    """Issue a renewal of FILE that supersedes it, re-checked against today's evidence.

    \b
    Example:
      glyphserpack cert renew evidence/certification/records/r.cbor --key ca.key \\
        --valid-until 2028-08-15T00:00:00Z -o evidence/certification/records/r2.cbor
    """
    _refuse_existing(out, force)
    t = _Target.open(file, evidence_dir)
    if t.root is None or t.tree is None:
        raise UsageError("--evidence: FILE is in no evidence tree; a renewal is checked against its evidence")
    log = _Log.open(log_dir, log_key)
    _refuse_against_log(file, t.data, log_dir, event="certificate_renewed")
    signed = issuing.renew(
        t.data, _key(key_file), path=t.path, at=now_utc(at), valid_until=valid_until, tree=t.tree,
        trust=TrustStore.load(trust_dir) if trust_dir is not None else None, new_id=new_id,
        out_path=_in_tree(out, t.root),
    )  # fmt: skip
    from glyphserpack.evidence.loader import Document
    from glyphserpack.log.cert_entries import renewed_entry

    old_sha = t.tree.documents[t.path].sha256
    doc: Document = signed.document
    _write(
        signed, out, log=log, entry=lambda: renewed_entry(doc, renews_sha256=old_sha), add_to=t.root if add else None
    )
    return 0


@cert.command("show")
@click.argument("file", type=_FILE)
@click.option("--trust", "trust_dir", type=_DIR, help="Check the signature against this trust store.")
@click.option("--evidence", "evidence_dir", type=_DIR, help="Evidence tree: show FILE's status there.")
@click.option("--at", help="Status at this time (default: the tree's release_time_utc).")
@click.option("--log", "log_dir", type=_DIR, help="Registry log: merge its lifecycle events into the status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_cmd(
    file: Path, trust_dir: Path | None, evidence_dir: Path | None, at: str | None, log_dir: Path | None, as_json: bool
) -> int:
    """Print a signed file's fields, signer, signature check and status.

    \b
    Example:
      glyphserpack cert show evidence/certification/records/r.cbor --evidence evidence/ --json
    """
    tree = load_tree(evidence_dir) if evidence_dir is not None else None
    when = at or (tree.manifest.release_time_utc if tree is not None else None)
    info = describe(
        read_bounded(file, ATTACHMENT_LIMIT, what="signed file"),
        name=str(file),
        trust=TrustStore.load(trust_dir) if trust_dir is not None else None,
        tree=tree,
        at=when,
        log_facts=_log_facts(log_dir),
    )
    if as_json:
        click.echo(jsonout.dumps(info))
        return 0
    for name in ("file", "kind", "sha256", "key_id", "signature", "path", "status", "reason", "since"):
        if info.get(name) not in (None, ""):
            click.echo(f"{name}: {info[name]}")
    for name, value in info["payload"].items():
        click.echo(f"  {name}: {value}")
    return 0


@cert.command("list")
@click.argument("evidence_dir", type=_DIR)
@click.option("--at", help="Status at this time (default: the tree's release_time_utc).")
@click.option("--log", "log_dir", type=_DIR, help="Registry log: merge its lifecycle events into the status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_cmd(evidence_dir: Path, at: str | None, log_dir: Path | None, as_json: bool) -> int:
    """List every certificate, certification record and revocation in a tree, with its status.

    \b
    Example:
      glyphserpack cert list evidence/ --at 2026-12-01T00:00:00Z
    """
    tree = load_tree(evidence_dir)
    rows = list_tree(tree, at=at or tree.manifest.release_time_utc, log_facts=_log_facts(log_dir))
    if as_json:
        click.echo(jsonout.dumps([r.to_obj() for r in rows]))
    else:
        for r in rows:
            click.echo(r.line())
    for path in (p for p in tree.unreferenced if p.endswith(".cbor")):
        # `cert issue`/`revoke` write the file; it counts only once listed (docs/cert.md).
        click.echo(f"note: {path} is not listed in {tree.manifest_path}; list it, then `evidence pin`", err=True)
    return 0
