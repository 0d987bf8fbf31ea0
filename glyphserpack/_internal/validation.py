"""One line from a pydantic ``ValidationError``: the first problem, with the field named.

Library errors name the file and field at fault and never show a pydantic traceback; callers
wrap this text in their own error (``PackError``, ``InputError``, ...).
"""

from __future__ import annotations

from pydantic import ValidationError

__all__ = ["first_error"]


def first_error(exc: ValidationError) -> str:
    """``members[3].sha256: String should match pattern ...`` (``extra_forbidden`` reads "unknown field")."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path or 'document'}: {msg}{more}"
