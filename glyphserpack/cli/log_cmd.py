"""``glyphserpack log``: create, append to, audit, prove and witness the transparency log."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from glyphserpack._internal import jsonout, jsontext
from glyphserpack._internal.docload import load_document
from glyphserpack._internal.fsio import atomic_write, read_bounded, refuse_output_inside, source_date_epoch
from glyphserpack.cli._progress import stderr_bar
from glyphserpack.errors import EXIT_FAIL, InputError, UsageError
from glyphserpack.findings import Finding
from glyphserpack.log._keyfile import load_private_key
from glyphserpack.log.audit import audit_log, check_consistency, diagnose_rewrite
from glyphserpack.log.entries import decode_entry, entry_to_json
from glyphserpack.log.lifecycle import derive_states
from glyphserpack.log.note import ALG_COSIGNATURE_V1, NOTE_LIMIT, Signer, Verifier, parse_verifier_key
from glyphserpack.log.proof import PROOF_LIMIT, make_proof, verify_proof
from glyphserpack.log.store import BATCH_SIZE, LogStore
from glyphserpack.trust import TrustStore, is_utc_timestamp

__all__ = ["log"]

_DIR = click.Path(file_okay=False, path_type=Path)
_FILE = click.Path(dir_okay=False, path_type=Path)
_VKEY_HELP = "Verifier key: <name>+<hash>+<base64> text, or a file holding it."


def _vkey(value: str) -> Verifier:
    path = Path(value)
    if "+" not in value or path.is_file():
        value = read_bounded(path, 4096, what="verifier key file").decode("utf-8", "replace")
    return parse_verifier_key(value)


def _store(log_dir: Path, key: str | None) -> LogStore:
    return LogStore(log_dir, log_key=_vkey(key) if key else None)


def _witnesses(values: tuple[str, ...]) -> list[Verifier]:
    out = [_vkey(v) for v in values]
    for w in out:
        if w.alg != ALG_COSIGNATURE_V1:
            raise UsageError(f"--witness {w.name}: not a cosignature key (print one with `log vkey --witness`)")
    return out


class _Progress:
    """Rich bar on a terminal, a line per tenth with ``-v``, silence with ``--json`` or in a pipe."""

    def __init__(self, title: str, *, verbose: bool, enabled: bool) -> None:
        self.title = title
        self.verbose = verbose and enabled
        self._rich: Any = None
        self._task: Any = None
        self._said = -1
        if enabled and sys.stderr.isatty():
            self._rich = stderr_bar()

    def __enter__(self) -> _Progress:
        if self._rich is not None:
            self._rich.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()

    def update(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` entries (``None``: a total not known in advance)."""
        if self._rich is not None:
            if self._task is None:
                self._task = self._rich.add_task(self.title, total=total)
            self._rich.update(self._task, completed=done, total=total)
        elif self.verbose:
            tenth = 10 * done // total if total else done
            if tenth != self._said:
                self._said = tenth
                click.echo(f"{self.title}: {done}{'' if total is None else f'/{total}'} entries", err=True)


def _print_findings(findings: list[Finding]) -> None:
    for f in sorted(findings):
        click.echo(f.line())


@click.group("log")
def log() -> None:
    """Append-only transparency log (C2SP tlog-tiles, signed checkpoints, witnesses).

    \b
    Example:
      glyphserpack log init registry-log --origin glyphser.example/log --key log.pem
      glyphserpack log append registry-log cert-issued.yaml --key log.pem
      glyphserpack log verify registry-log
    """


@log.command("init")
@click.argument("log_dir", type=_DIR)
@click.option("--origin", required=True, help="Log name (checkpoint origin line), e.g. glyphser.example/log.")
@click.option("--key", "key_file", required=True, type=_FILE, help="Ed25519 PKCS#8 PEM private key of the log.")
def init_cmd(log_dir: Path, origin: str, key_file: Path) -> int:
    """Create an empty log and print its verifier key.

    \b
    Example:
      glyphserpack log init registry-log/ --origin certs.example.org/log --key log.pem
    """
    store = LogStore.init(log_dir, Signer(origin, load_private_key(key_file)))
    click.echo(store.log_key.vkey())
    return 0


def _json_lines(name: str, stream: IO[bytes]) -> Iterator[Any]:
    """One entry document per line of a JSON Lines stream; a bad line is named and stops all."""
    for number, line in enumerate(stream, 1):
        try:
            yield jsontext.loads(line)
        except ValueError as exc:
            raise InputError(f"{name} line {number}: not a JSON document ({exc})") from None


@log.command("append")
@click.argument("log_dir", type=_DIR)
@click.argument("entries", nargs=-1, type=_FILE)
@click.option(
    "--batch",
    "batch_file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="JSON Lines file of entry documents (one per line; - for stdin), appended in batches.",
)
@click.option(
    "--batch-size",
    default=BATCH_SIZE,
    show_default=True,
    type=click.IntRange(min=1),
    help="Entries per commit (one flush and one checkpoint each) with --batch.",
)
@click.option("--key", "key_file", required=True, type=_FILE, help="The log's private key (signs the checkpoint).")
@click.option("-v", "--verbose", is_flag=True, help="Report progress on stderr with --batch.")
def append_cmd(
    log_dir: Path, entries: tuple[Path, ...], batch_file: Path | None, batch_size: int, key_file: Path, verbose: bool
) -> int:
    """Append entry documents (JSON/YAML; one entry or a list each) as one batch.

    With --batch, a JSON Lines file (or stdin) of any length: every line is validated
    before anything is written, then the entries are committed --batch-size at a time.

    \b
    Example:
      glyphserpack log append registry-log/ entries.yaml --key log.pem
      glyphserpack log append registry-log/ --batch entries.jsonl --key log.pem
    """
    if bool(entries) == (batch_file is not None):
        raise UsageError("give entry documents or --batch FILE.jsonl, not both and not neither")
    store = LogStore(log_dir)
    signer = Signer(store.origin, load_private_key(key_file))
    if batch_file is not None:
        name = "stdin" if str(batch_file) == "-" else str(batch_file)
        with contextlib.ExitStack() as stack:
            stream = sys.stdin.buffer if name == "stdin" else stack.enter_context(batch_file.open("rb"))
            show = stack.enter_context(_Progress("appending", verbose=verbose, enabled=True))
            result = store.append_many(
                _json_lines(name, stream),
                signer,
                where=f"{name} line",
                number_from=1,
                batch_size=batch_size,
                progress=show.update,
            )
        count = result.size - result.first_index
        if count == 0:
            raise InputError(f"{name}: no entries")
        click.echo(f"appended {count} entries at {result.first_index}..{result.size - 1}; size {result.size}")
        return 0
    docs: list[Any] = []
    for path in entries:
        doc = load_document(path)
        docs.extend(doc if isinstance(doc, list) else [doc])
    if not docs:
        raise InputError("no entries in the given documents")
    result = store.append(docs, signer)
    click.echo(f"appended {len(docs)} entries at {result.first_index}..{result.size - 1}; size {result.size}")
    return 0


@log.command("verify")
@click.argument("log_dir", type=_DIR)
@click.option("--log-key", help=_VKEY_HELP + " Default: the key recorded in LOG_DIR/log.json.")
@click.option("--witness", "witness_keys", multiple=True, help="Witness verifier key (repeatable).")
@click.option(
    "--quorum",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Cosignatures required from --witness keys.",
)
@click.option("--last-seen", type=_FILE, help="A checkpoint seen earlier: the log must extend it.")
@click.option("--trust", "trust_dir", type=_DIR, help="Trust store; the log key needs purpose 'checkpoint'.")
@click.option("--at", "trust_time", help="UTC time for the trust-store check (default SOURCE_DATE_EPOCH).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@click.option("-v", "--verbose", is_flag=True, help="Report progress on stderr (a bar on a terminal anyway).")
def verify_cmd(
    log_dir: Path,
    log_key: str | None,
    witness_keys: tuple[str, ...],
    quorum: int,
    last_seen: Path | None,
    trust_dir: Path | None,
    trust_time: str | None,
    as_json: bool,
    verbose: bool,
) -> int:
    """Full audit: checkpoint signature(s), every tile and bundle, recomputed root.

    Streams the log bundle by bundle: memory stays flat at any size.

    \b
    Example:
      glyphserpack log verify registry-log/ --last-seen old-checkpoint --witness w1.vkey --quorum 1
    """
    store = _store(log_dir, log_key)
    trust = TrustStore.load(trust_dir) if trust_dir else None
    if trust is not None and trust_time is None:
        epoch = source_date_epoch()
        trust_time = None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    if trust_time is not None and not is_utc_timestamp(trust_time):
        raise UsageError(f"--at {trust_time!r}: expected YYYY-MM-DDTHH:MM:SSZ")
    old = read_bounded(last_seen, NOTE_LIMIT, what="checkpoint") if last_seen else None
    with _Progress("verifying", verbose=verbose, enabled=not as_json) as show:
        report = audit_log(
            store,
            witnesses=_witnesses(witness_keys),
            quorum=quorum,
            last_seen=old,
            trust=trust,
            trust_time=trust_time,
            progress=show.update,
        )
    if as_json:
        click.echo(jsonout.dumps(report.to_json()))
    else:
        _print_findings(report.findings)
        verdict = "OK" if report.ok else "FAILED"
        click.echo(f"{verdict}: {store.origin} size {report.size} root {report.root_hash.hex()}")
        if store.key_from_directory and trust is None:  # with --trust the store vouched for the key
            click.echo("note: log key taken from LOG_DIR/log.json; pin it with --log-key or --trust", err=True)
    return 0 if report.ok else EXIT_FAIL


@log.command("prove")
@click.argument("log_dir", type=_DIR)
@click.option("--entry", "entry_hash", help="Entry digest, or certificate/pack hash (hex).")
@click.option("--index", type=int, help="Entry index instead of --entry.")
@click.option("-o", "--output", type=_FILE, help="Write the proof here instead of stdout.")
def prove_cmd(log_dir: Path, entry_hash: str | None, index: int | None, output: Path | None) -> int:
    """Write an offline inclusion proof (C2SP tlog-proof) under the current checkpoint.

    --entry looks the hash up in the index kept in LOG_DIR/.index (built or brought up to
    date first when it does not match the checkpoint) and checks the hit against the log.

    \b
    Example:
      glyphserpack log prove registry-log/ --entry CERTIFICATE_SHA256 -o cert.tlog-proof
    """
    store = LogStore(log_dir)
    if (entry_hash is None) == (index is None):
        raise UsageError("give exactly one of --entry HASH or --index N")
    if output is not None:  # the log directory is published as it is: keep it the log's alone
        refuse_output_inside(output, log_dir, option="--output", what="log directory")
    if entry_hash is not None:
        try:
            digest = bytes.fromhex(entry_hash)
        except ValueError:
            raise UsageError(f"--entry {entry_hash!r}: not hex") from None
        size = store.open_checkpoint().checkpoint.size
        hits = store.find(digest, size)
        if not hits:
            raise InputError(f"no entry with hash {entry_hash} in the log (size {size})")
        if len(hits) > 1:
            raise InputError(
                f"{len(hits)} entries are about {entry_hash} (indexes {', '.join(map(str, hits[:10]))})",
                remedy="pass the entry digest or --index to choose one",
            )
        index = hits[0]
    assert index is not None
    proof = make_proof(store, index)
    if output is None:
        sys.stdout.write(proof.decode())
    else:
        atomic_write(output, proof)
        click.echo(f"wrote proof of entry {index} to {output}", err=True)
    return 0


@log.command("verify-proof")
@click.argument("proof_file", type=_FILE)
@click.option("--key", "log_key", required=True, help=_VKEY_HELP)
@click.option("--witness", "witness_keys", multiple=True, help="Witness verifier key (repeatable).")
@click.option(
    "--quorum",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Cosignatures required from --witness keys.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verified entry as JSON.")
def verify_proof_cmd(proof_file: Path, log_key: str, witness_keys: tuple[str, ...], quorum: int, as_json: bool) -> int:
    """Verify a proof file with only the file and the verifier key(s).

    \b
    Example:
      glyphserpack log verify-proof cert.tlog-proof --key log.vkey
    """
    data = read_bounded(proof_file, PROOF_LIMIT, what="proof")
    vp = verify_proof(data, _vkey(log_key), witnesses=_witnesses(witness_keys), quorum=quorum, where=str(proof_file))
    if as_json:
        payload = {
            "entry": entry_to_json(vp.entry),
            "index": vp.index,
            "origin": vp.checkpoint.origin,
            "size": vp.checkpoint.size,
            "root_hash": vp.checkpoint.root_hash.hex(),
            "cosigners": sorted(vp.cosigners),
        }
        click.echo(jsonout.dumps(payload))
    else:
        click.echo(f"OK: {vp.entry['type']} is entry {vp.index} of {vp.checkpoint.origin} size {vp.checkpoint.size}")
    return 0


@log.command("consistency")
@click.argument("old_checkpoint", type=_FILE)
@click.argument("new_checkpoint", type=_FILE)
@click.option("--log", "log_dir", required=True, type=_DIR, help="The log directory at (or after) the new size.")
@click.option("--old-log", type=_DIR, help="A copy of the log at the old size: names the rewritten entry.")
@click.option("--log-key", help=_VKEY_HELP + " Default: the key recorded in LOG_DIR/log.json.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
def consistency_cmd(
    old_checkpoint: Path, new_checkpoint: Path, log_dir: Path, old_log: Path | None, log_key: str | None, as_json: bool
) -> int:
    """Check that NEW_CHECKPOINT's log extends OLD_CHECKPOINT's (append-only).

    \b
    Example:
      glyphserpack log consistency old-checkpoint registry-log/checkpoint --log registry-log/
    """
    store = _store(log_dir, log_key)
    old = read_bounded(old_checkpoint, NOTE_LIMIT, what="checkpoint")
    new = read_bounded(new_checkpoint, NOTE_LIMIT, what="checkpoint")
    findings = check_consistency(store, old, new)
    if findings and old_log is not None:
        from glyphserpack.log.checkpoint import open_checkpoint

        old_size = open_checkpoint(old, store.log_key).checkpoint.size
        new_size = open_checkpoint(new, store.log_key).checkpoint.size
        findings += diagnose_rewrite(LogStore(old_log, log_key=store.log_key), store, old_size, new_size)
    if as_json:
        click.echo(
            jsonout.dumps({"ok": not findings, "findings": [f.to_dict() for f in sorted(findings)]}, sort_keys=False)
        )
    else:
        _print_findings(findings)
        click.echo("OK: the new checkpoint extends the old one" if not findings else "FAILED")
    return EXIT_FAIL if findings else 0


@log.command("witness")
@click.argument("log_dir", type=_DIR)
@click.option("--key", "key_file", required=True, type=_FILE, help="The witness's private key (PEM).")
@click.option("--name", required=True, help="Witness name, e.g. witness.example/w1.")
@click.option("--state", "state_file", type=_FILE, help="Last checkpoint this witness cosigned; updated on success.")
@click.option("--time", "timestamp", type=int, help="Cosignature time (seconds); default SOURCE_DATE_EPOCH.")
@click.option("--clock", is_flag=True, help="Use the current clock for the cosignature time.")
def witness_cmd(
    log_dir: Path, key_file: Path, name: str, state_file: Path | None, timestamp: int | None, clock: bool
) -> int:
    """Co-sign the log's checkpoint after checking it extends the last one seen.

    \b
    Example:
      glyphserpack log witness registry-log/ --key w1.pem --name witness.example/w1 --state w1.last
    """
    if timestamp is None:
        timestamp = int(time.time()) if clock else source_date_epoch()
    if timestamp is None:
        raise UsageError("no cosignature time: pass --time, --clock or set SOURCE_DATE_EPOCH")
    store = LogStore(log_dir)
    last = read_bounded(state_file, NOTE_LIMIT, what="witness state") if state_file and state_file.exists() else None
    out = store.witness(Signer(name, load_private_key(key_file), ALG_COSIGNATURE_V1), timestamp, last_seen=last)
    if state_file is not None:
        atomic_write(state_file, out)
    click.echo(f"cosigned {store.origin} as {name}")
    return 0


@log.command("state")
@click.argument("log_dir", type=_DIR)
@click.option("--at", "at_time", help="UTC time of the status (default: every logged event counts, no time rule).")
@click.option("--json", "as_json", is_flag=True, help="Print the derived states as JSON.")
def state_cmd(log_dir: Path, at_time: str | None, as_json: bool) -> int:
    """Certificate lifecycle states derived from the log (never typed by hand).

    \b
    Example:
      glyphserpack log state registry-log/ --at 2027-01-01T00:00:00Z --json
    """
    if at_time is not None and not is_utc_timestamp(at_time):
        raise UsageError(f"--at {at_time!r}: expected YYYY-MM-DDTHH:MM:SSZ")
    store = LogStore(log_dir)
    cp = store.open_checkpoint().checkpoint
    entries = ((i, decode_entry(d, where=f"entry {i}")) for i, d in store.iter_entries(cp.size))
    report = derive_states(entries, at=at_time)
    if as_json:
        payload = {"origin": cp.origin, "size": cp.size, "root_hash": cp.root_hash.hex(), **report.to_json()}
        click.echo(jsonout.dumps(payload))
    else:
        certs = sorted(report.certificates.values(), key=lambda c: (c.certificate_id, c.certificate_hash))
        width = max((len(c.certificate_id) for c in certs), default=0)
        for cert in certs:
            click.echo(
                f"{cert.certificate_id:<{width}}  {cert.state:<13}  {cert.changed_at}  {cert.certificate_hash.hex()}"
            )
        _print_findings(report.findings)
    return 0


@log.command("vkey")
@click.argument("key_file", type=_FILE)
@click.option("--name", required=True, help="Key name: the log origin, or the witness name.")
@click.option("--witness", is_flag=True, help="Print a cosignature (type 0x04) key instead of a log key.")
def vkey_cmd(key_file: Path, name: str, witness: bool) -> int:
    """Print the verifier key text for a private key.

    \b
    Example:
      glyphserpack log vkey log.pem --name certs.example.org/log > log.vkey
    """
    alg = ALG_COSIGNATURE_V1 if witness else 0x01
    click.echo(Signer(name, load_private_key(key_file), alg).verifier().vkey())
    return 0
