"""`swanalysis validate` (not yet implemented)."""

from ..errors import UserError

HELP = "validate (not yet implemented)"


def add_arguments(parser):
    pass


def run(args) -> int:
    raise UserError("'swanalysis validate' is not implemented yet")
