"""`swanalysis synth` (not yet implemented)."""

from ..errors import UserError

HELP = "synth (not yet implemented)"


def add_arguments(parser):
    pass


def run(args) -> int:
    raise UserError("'swanalysis synth' is not implemented yet")
