"""One exception tree for the whole library.

Every error carries a message that names the file, field or member at fault and a
``remedy`` saying what to do next; the CLI prints both and never a traceback. Library
errors never inherit from the CLI framework, so the library is usable without click.

An error that corresponds to a finding carries its stable code as data, ``exc.code``
(``GSP-Exxx`` from :data:`glyphserpack.findings.CATALOGUE`, else ``None``): callers match on
that field, never on the message. ``str(exc)`` and :meth:`~GlyphserpackError.diagnostics`
show the code in front of the message, as a report's finding lines do.

::

    GlyphserpackError                 exit code 2 unless stated
    ├── UsageError                    a bad option or argument combination
    ├── CanonicalError                outside the canonical CBOR profile (CONTRACTS.md §1)
    ├── InputError                    a file we were given cannot be used
    │   ├── UnsafePathError           absolute, '..', link, device, control characters
    │   └── InputTooLargeError        over a documented size cap
    ├── EvidenceError                 an evidence document is malformed or inconsistent
    ├── KeyMaterialError              key material missing, unreadable, wrongly protected
    ├── PackError                     a pack cannot be written or read at all
    ├── TimestampError                a TSA could not be reached or answered badly
    ├── SiteBuildError                the site cannot be built
    └── VerificationError             exit code 1: something was checked and is wrong
        ├── DigestMismatch
        ├── SignatureInvalid
        └── TimestampInvalid

``VerificationError`` is raised only by the explicit ``*_or_raise`` helpers; verification
itself returns a report listing every finding (see :mod:`glyphserpack.findings`).
"""

from __future__ import annotations

__all__ = [
    "EXIT_FAIL",
    "EXIT_INPUT",
    "EXIT_OK",
    "CanonicalError",
    "DigestMismatch",
    "EvidenceError",
    "GlyphserpackError",
    "InputError",
    "InputTooLargeError",
    "KeyMaterialError",
    "PackError",
    "SignatureInvalid",
    "SiteBuildError",
    "TimestampError",
    "TimestampInvalid",
    "UnsafePathError",
    "UsageError",
    "VerificationError",
]

#: Exit codes shared by every command (documented in the README).
EXIT_OK = 0
EXIT_FAIL = 1
EXIT_INPUT = 2


class GlyphserpackError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code: int = EXIT_INPUT
    default_remedy: str = ""

    def __init__(self, message: str, *, code: str | None = None, remedy: str | None = None) -> None:
        if code is not None:
            from glyphserpack.findings import CATALOGUE

            if code not in CATALOGUE:
                raise ValueError(f"unknown finding code {code}")
        super().__init__(f"{code} {message}" if code else message)
        #: what is wrong, without the code
        self.message = message
        #: the stable ``GSP-Exxx`` code of the finding this error stands for, if any
        self.code = code
        self.remedy = remedy if remedy is not None else self.default_remedy

    def diagnostics(self) -> str:
        """Code and message and, when there is one, what the user can do about it."""
        head = str(self)
        if self.remedy:
            return f"{head}\n  hint: {self.remedy}"
        return head


class UsageError(GlyphserpackError):
    """The command line or API call itself is inconsistent."""

    default_remedy = "run the command with --help to see its options"


class CanonicalError(GlyphserpackError):
    """A value or byte string is outside the canonical CBOR profile."""


class InputError(GlyphserpackError):
    """An input file is missing, unreadable or not of the expected kind."""


class UnsafePathError(InputError):
    """A path would escape its tree or point at something other than a regular file."""

    default_remedy = "use plain relative paths to regular files inside the tree; links and devices are refused"


class InputTooLargeError(InputError):
    """An input is larger than the documented cap for its kind."""


class EvidenceError(GlyphserpackError):
    """An evidence document cannot be loaded or fails its schema."""

    default_remedy = "fix the document; `glyphserpack schema KIND` prints the expected shape"


class KeyMaterialError(GlyphserpackError):
    """Key material is missing, unreadable, encrypted without a passphrase or too open."""


class PackError(GlyphserpackError):
    """A pack cannot be written, or is unreadable as a pack at all."""


class TimestampError(GlyphserpackError):
    """A time-stamp could not be obtained (TSA down, rejected, malformed reply)."""


class SiteBuildError(GlyphserpackError):
    """The site cannot be built from the given evidence."""


class VerificationError(GlyphserpackError):
    """Something was checked and found wrong; raised only by ``*_or_raise`` helpers."""

    exit_code = EXIT_FAIL


class DigestMismatch(VerificationError):
    """A recomputed hash differs from the recorded one."""


class SignatureInvalid(VerificationError):
    """A signature does not verify under the trusted key."""


class TimestampInvalid(VerificationError):
    """A time-stamp token does not verify."""
