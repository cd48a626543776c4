"""`swanalysis` command line. Each sub-command lives in swanalysis/commands/<name>.py with
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; heavy imports stay inside ``run``.

A UserError (bad input, missing data) prints one line and exits with its code; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import warnings

from .errors import UserError, one_line

COMMANDS = {
    "report": "swanalysis.commands.report",
    "batch": "swanalysis.commands.batch",
    "data": "swanalysis.commands.data",
    "validate": "swanalysis.commands.validate",
    "ingest": "swanalysis.commands.ingest",
    "synth": "swanalysis.commands.synth",
}


def _command_of(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names: its first word not starting with '-' (the top-level
    parser has no option taking a value), or None."""
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in COMMANDS else None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser: one sub-command per module of swanalysis/commands.

    Given the ``argv`` it will parse, only the sub-command named there gets its options (a
    command's ``add_arguments`` may import what its defaults come from; ``swanalysis --help``
    needs only each command's HELP). Without ``argv`` every sub-command is complete.
    """
    parser = argparse.ArgumentParser(
        prog="swanalysis",
        description="Children's social worker recruitment and retention analysis.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = _command_of(argv) if argv is not None else None
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        if argv is None or name == wanted:
            module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


_interrupted = threading.Event()


def _on_sigint(signum, frame):
    # remember it: Ctrl-C also reaches the report's kernel, so what surfaces here may be the
    # kernel's death (DeadKernelError, ZMQError) rather than a KeyboardInterrupt
    _interrupted.set()
    raise KeyboardInterrupt


def _catch_interrupts() -> None:
    if threading.current_thread() is threading.main_thread():
        _interrupted.clear()
        signal.signal(signal.SIGINT, _on_sigint)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """swanalysis's own warnings (a damaged published file, ...) as one line each."""
    if category.__module__.startswith("swanalysis"):
        print(f"swanalysis: warning: {one_line(message)}", file=file or sys.stderr)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv``; return the exit code (2 for bad input, with one line on stderr)."""
    warnings.showwarning = _show_warning
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    previous = signal.getsignal(signal.SIGINT)
    _catch_interrupts()
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("swanalysis: interrupted", file=sys.stderr)
        return 130
    except BaseException as exc:
        if _interrupted.is_set():  # whatever broke, it broke because the user pressed Ctrl-C
            print("swanalysis: interrupted", file=sys.stderr)
            return 130
        if isinstance(exc, UserError):
            print(f"swanalysis: error: {one_line(exc)}", file=sys.stderr)
            return exc.exit_code
        if isinstance(exc, OSError):
            # an OS error nobody turned into a UserError (disk full, permission, not a folder):
            # still one line naming the path, never a traceback
            from .safeio import output_error

            print(f"swanalysis: error: {output_error(exc, what='failed')}", file=sys.stderr)
            return 2
        raise
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, previous)


#: BLAS thread pools the command runs with one thread each, unless the environment says otherwise
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Run numpy's linear algebra on one thread (set before numpy loads; an explicit setting wins).

    With a pool of threads per core, the regressions' sums are split differently on machines with
    different numbers of cores, so the last digits of the hazard ratios, the national panel and
    the forecast built on it would depend on the machine a report was made on. One thread makes
    them the same everywhere, and is also faster for these small matrices (the benchmarks ran so
    from the Makefile already). The batch's worker processes and a fresh kernel inherit it.
    """
    for name in BLAS_THREADS:
        os.environ.setdefault(name, "1")


def console() -> int:
    """The ``swanalysis`` command: :func:`main` in a process of its own."""
    from .report import skip_unused_imports  # the package only: no pandas for --help

    one_blas_thread()
    skip_unused_imports()
    return main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console())
