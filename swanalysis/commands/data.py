"""`swanalysis data` (not yet implemented)."""

from ..errors import UserError

HELP = "data (not yet implemented)"


def add_arguments(parser):
    pass


def run(args) -> int:
    raise UserError("'swanalysis data' is not implemented yet")
