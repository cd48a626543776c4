"""Errors a user can cause and fix. The CLI prints them as one line and exits with their code."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def one_line(text) -> str:
    """``text`` with line breaks and other control characters escaped (``\\n``, ``\\x1b``), so
    that a message quoting a file name can never be split into a second, forged-looking line."""
    def esc(m):
        c = m.group(0)
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c) or c.encode("unicode_escape").decode("ascii")

    return _CONTROL.sub(esc, str(text))


class UserError(Exception):
    """A problem with the user's input or setup: shown as one line, no traceback.

    ``exit_code`` is the process exit status the CLI uses (2 by default).
    Messages must never contain a worker identifier, name or date of birth; control characters
    (a line break in a file name) are escaped so the message stays on one line.
    """

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(one_line(message))
        if exit_code is not None:
            self.exit_code = exit_code


class NoDataError(UserError):
    """The published DfE statistics could not be found."""


class InputFileError(UserError):
    """A file could not be read at all (malformed, wrong layout, wrong encoding)."""
