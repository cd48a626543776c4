"""`swanalysis report` (not yet implemented)."""

from ..errors import UserError

HELP = "report (not yet implemented)"


def add_arguments(parser):
    pass


def run(args) -> int:
    raise UserError("'swanalysis report' is not implemented yet")
