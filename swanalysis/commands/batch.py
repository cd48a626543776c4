"""`swanalysis batch` (not yet implemented)."""

from ..errors import UserError

HELP = "batch (not yet implemented)"


def add_arguments(parser):
    pass


def run(args) -> int:
    raise UserError("'swanalysis batch' is not implemented yet")
