"""Errors a user can cause and fix. The CLI prints them as one line and exits with their code."""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input or setup: shown as one line, no traceback.

    ``exit_code`` is the process exit status the CLI uses (2 by default).
    Messages must never contain a worker identifier, name or date of birth.
    """

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class NoDataError(UserError):
    """The published DfE statistics could not be found."""


class InputFileError(UserError):
    """A file could not be read at all (malformed, wrong layout, wrong encoding)."""
