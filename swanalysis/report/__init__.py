"""Report layer: parameters, the report notebooks' sections, rendering, batch runs.

Only the command line (``swanalysis.cli`` and ``swanalysis.commands``) imports this package; the
analyses never do.
"""
