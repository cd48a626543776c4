"""`swanalysis` command line. Each sub-command lives in swanalysis/commands/<name>.py with
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; heavy imports stay inside ``run``.

A UserError (bad input, missing data) prints one line and exits with its code; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import UserError

COMMANDS = {
    "report": "swanalysis.commands.report",
    "batch": "swanalysis.commands.batch",
    "data": "swanalysis.commands.data",
    "validate": "swanalysis.commands.validate",
    "ingest": "swanalysis.commands.ingest",
    "synth": "swanalysis.commands.synth",
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: one sub-command per module of swanalysis/commands."""
    parser = argparse.ArgumentParser(
        prog="swanalysis",
        description="Children's social worker recruitment and retention analysis.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv``; return the exit code (2 for bad input, with one line on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except UserError as exc:
        print(f"swanalysis: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("swanalysis: interrupted", file=sys.stderr)
        return 130


def console() -> int:
    """The ``swanalysis`` command: :func:`main` in a process of its own."""
    from .report.runner import skip_unused_imports

    skip_unused_imports()
    return main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())
