"""The normalized POSIX tar subset a pack is made of (FORMAT.md §3).

Python's :mod:`tarfile` writes valid headers, but which fields it fills (pax records, name
prefix splitting, user names) depends on the Python version, and a second implementation must
be able to reproduce our bytes from the spec alone. So the few rules are written out here:
regular files only, ustar header, a pax ``x`` header with a single ``path`` record only when
the name is not ASCII or longer than 100 bytes, and a ``size`` record only at 8 GiB and above.
The reader is equally strict: anything our writer would not produce is reported, never
interpreted (links, devices, directories, GNU extensions, name prefixes).
"""

from __future__ import annotations

from dataclasses import dataclass

from glyphserpack._internal.fsio import check_name_text
from glyphserpack.errors import UnsafePathError

__all__ = [
    "BLOCK",
    "EOA",
    "HeaderProblem",
    "ParsedHeader",
    "member_header",
    "member_name",
    "padding",
    "parse_pax",
    "parse_ustar",
]

BLOCK = 512
EOA = b"\0" * (2 * BLOCK)
MODE = 0o644
_USTAR_SIZE_MAX = 8**11 - 1
PAX_LIMIT = 64 * 1024


def padding(size: int) -> int:
    """Zero bytes that follow ``size`` data bytes to reach a block boundary."""
    return -size % BLOCK


def _octal(value: int, width: int) -> bytes:
    """Zero-padded octal, NUL-terminated, exactly ``width`` bytes (POSIX ustar numeric field)."""
    return b"%0*o\0" % (width - 1, value)


def _ustar(name: bytes, size: int, mtime: int, typeflag: bytes) -> bytes:
    hdr = bytearray(BLOCK)
    hdr[0 : len(name)] = name
    hdr[100:108] = _octal(MODE, 8)
    hdr[108:116] = _octal(0, 8)
    hdr[116:124] = _octal(0, 8)
    hdr[124:136] = _octal(size, 12)
    hdr[136:148] = _octal(mtime, 12)
    hdr[148:156] = b" " * 8
    hdr[156:157] = typeflag
    hdr[257:263] = b"ustar\0"
    hdr[263:265] = b"00"
    chksum = sum(hdr)
    hdr[148:156] = b"%06o\0 " % chksum
    return bytes(hdr)


def _pax_record(key: str, value: bytes) -> bytes:
    """One ``"%d %s=%s\\n"`` record whose length prefix counts itself."""
    body = key.encode() + b"=" + value + b"\n"
    n = len(body) + 2
    while len(str(n)) + 1 + len(body) != n:
        n += 1
    return str(n).encode() + b" " + body


#: Bytes 100..512 of a plain member's ustar header, split around size+mtime (124..148) and the
#: checksum (148..156), with the checksum contribution of the fixed parts precomputed.
_FIXED_MID = _octal(MODE, 8) + _octal(0, 8) * 2
_FIXED_END = b"0" + bytes(100) + b"ustar\0" + b"00" + bytes(BLOCK - 265)
_FIXED_SUM = sum(_FIXED_MID) + sum(_FIXED_END) + 8 * 32
_ZERO_100 = bytes(100)
_ZERO_TAIL = bytes(BLOCK - 265)


def _plain_header(raw: bytes, size: int, mtime: int) -> bytes:
    """The one ustar block of a short ASCII name: what :func:`_ustar` builds, assembled from
    precomputed parts (a pack of a million small files builds a million of these)."""
    nums = b"%011o\0%011o\0" % (size, mtime)
    chksum = _FIXED_SUM + sum(raw) + sum(nums)
    return raw + bytes(100 - len(raw)) + _FIXED_MID + nums + b"%06o\0 " % chksum + _FIXED_END


def member_header(name: str, size: int, mtime: int) -> bytes:
    """Header block(s) for one regular-file member, byte-exact per FORMAT.md §3.2."""
    raw = name.encode("utf-8")
    if len(raw) <= 100 and size <= _USTAR_SIZE_MAX and name.isascii():
        return _plain_header(raw, size, mtime)
    records = b""
    if not name.isascii() or len(raw) > 100:
        records += _pax_record("path", raw)
    if size > _USTAR_SIZE_MAX:
        records += _pax_record("size", str(size).encode())
    out = b""
    if records:
        out += _ustar(b"PaxHeader", len(records), mtime, b"x")
        out += records + b"\0" * padding(len(records))
    # With a pax path record the ustar name is a fixed placeholder every pax reader ignores.
    ustar_name = b"@PaxName" if b"path=" in records else raw
    return out + _ustar(ustar_name, size if size <= _USTAR_SIZE_MAX else 0, mtime, b"0")


class HeaderProblem(Exception):
    """A header the strict reader refuses; ``code`` is the finding code to report."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class ParsedHeader:
    """One ustar block, decoded but not yet combined with a preceding pax header."""

    name: bytes
    size: int
    mtime: int
    typeflag: bytes
    normalized: bool


_TYPE_NAMES = {
    b"1": "hard link",
    b"2": "symbolic link",
    b"3": "character device",
    b"4": "block device",
    b"5": "directory",
    b"6": "FIFO",
    b"7": "contiguous file",
    b"g": "pax global header",
    b"L": "GNU long name",
    b"K": "GNU long link name",
}


def _num(field: bytes, what: str) -> int:
    text = field.rstrip(b"\0 ").lstrip(b" ")
    if not text or text.translate(None, b"01234567"):
        raise HeaderProblem("GSP-E124", f"{what} field {field!r} is not octal")
    return int(text, 8)


def parse_ustar(block: bytes) -> ParsedHeader:
    """Decode one 512-byte ustar header, checking magic, checksum and member type."""
    if block[257:263] != b"ustar\0" or block[263:265] != b"00":
        raise HeaderProblem("GSP-E124", "not a POSIX ustar header (bad magic)")
    expected = _num(block[148:156], "checksum")
    actual = sum(block[:148]) + 8 * 32 + sum(block[156:])
    if expected != actual:
        raise HeaderProblem("GSP-E124", f"header checksum {expected:o} does not match computed {actual:o}")
    typeflag = block[156:157]
    name = block[0:100].split(b"\0", 1)[0]
    if typeflag not in (b"0", b"x"):
        kind = _TYPE_NAMES.get(typeflag, f"type {typeflag!r}")
        raise HeaderProblem("GSP-E111", f"member {name!r} is a {kind}; only regular files are allowed")
    size = _num(block[124:136], "size")
    mtime = _num(block[136:148], "mtime")
    normalized = (
        block[100:124] == _FIXED_MID
        and block[157:257] == _ZERO_100
        and block[265:] == _ZERO_TAIL
        and block[0:100] == name.ljust(100, b"\0")
    )
    return ParsedHeader(name, size, mtime, typeflag, normalized)


def parse_pax(data: bytes) -> dict[str, bytes]:
    """Decode pax records; only ``path`` and ``size`` are meaningful to us, others are refused."""
    out: dict[str, bytes] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            raise HeaderProblem("GSP-E124", "malformed pax record (no length)")
        try:
            length = int(data[pos:space])
        except ValueError:
            raise HeaderProblem("GSP-E124", "malformed pax record length") from None
        if length <= 0 or pos + length > len(data) or data[pos + length - 1 : pos + length] != b"\n":
            raise HeaderProblem("GSP-E124", "malformed pax record")
        key, sep, value = data[space + 1 : pos + length - 1].partition(b"=")
        if not sep:
            raise HeaderProblem("GSP-E124", "pax record without '='")
        skey = key.decode("ascii", "replace")
        if skey in ("linkpath",):
            raise HeaderProblem("GSP-E111", "pax linkpath record: links are not allowed")
        if skey not in ("path", "size"):
            raise HeaderProblem("GSP-E124", f"pax record {skey!r} is outside the normalized subset")
        if skey in out:
            raise HeaderProblem("GSP-E124", f"pax record {skey!r} repeated")
        out[skey] = value
        pos += length
    return out


def member_name(raw: bytes) -> str:
    """Decode and vet a member name; raise :class:`HeaderProblem` E110 if it is unsafe."""
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise HeaderProblem("GSP-E110", f"member name {raw!r} is not UTF-8") from None
    try:
        check_name_text(name, what="member")
    except UnsafePathError as exc:
        raise HeaderProblem("GSP-E110", exc.message) from None
    return name
