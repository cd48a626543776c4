"""`swanalysis ingest` (not yet implemented)."""

from ..errors import UserError

HELP = "ingest (not yet implemented)"


def add_arguments(parser):
    pass


def run(args) -> int:
    raise UserError("'swanalysis ingest' is not implemented yet")
