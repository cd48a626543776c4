"""`swanalysis batch`: every authority's report for a year, in parallel, with an index page."""

from __future__ import annotations

import sys

from ..errors import UserError

HELP = "write every local authority's report for a year (parallel, resumable) and an index"


def add_arguments(parser):
    """Options of ``swanalysis batch``."""
    parser.add_argument("--year", type=int, required=True, help="reporting year (ending 30 September)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true",
                       help="every authority row in that year's published data (joint returns once)")
    which.add_argument("--la", metavar="A,B,C",
                       help="only these authorities (names or codes, comma-separated)")
    parser.add_argument("--workers", type=int, default=2,
                        help="parallel worker processes, each with one warm kernel (default 2; "
                             "local executor — a dask cluster has its own workers)")
    parser.add_argument("--out", default="outputs", metavar="DIR",
                        help="output folder; reports go to DIR/YYYY/<la-slug>/ (default outputs)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder of published DfE files (default $SWANALYSIS_DATA_DIR, then the `swanalysis data fetch` download, then the built-in snapshot)")
    parser.add_argument("--executor", choices=["local", "dask"], default="local",
                        help="local worker processes (default) or a dask.distributed cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --executor dask)")
    parser.add_argument("--params", metavar="FILE",
                        help="YAML parameters applied to every report (la and year come from the batch)")
    parser.add_argument("--force", action="store_true",
                        help="rewrite reports that are already complete (default: skip them)")
    parser.add_argument("--fresh-kernels", action="store_true",
                        help="start a new kernel for every report (slower; for comparison)")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds allowed per notebook cell (default 600)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--pdf", action="store_true",
                        help="also print each report.pdf (A4) with headless Chromium")


def run(args) -> int:
    """Make every authority's report for a year and the index page; return the exit code."""
    from ..report.batch import run_batch

    if args.executor == "dask" and not args.scheduler:
        raise UserError("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if args.workers < 1:
        raise UserError(f"--workers must be at least 1 (got {args.workers})")
    las = [s for s in args.la.split(",") if s.strip()] if args.la else None
    params = None
    if args.params:
        from ..report import params as params_mod

        params = params_mod.load_yaml(args.params)
        for key in ("la", "year", "output_dir"):
            params.pop(key, None)
    if args.pdf:
        params = {**(params or {}), "pdf": True}
    result = run_batch(
        args.year, args.out, data_dir=args.data_dir, las=las, workers=args.workers,
        executor=args.executor, scheduler=args.scheduler, force=args.force,
        warm=not args.fresh_kernels, timeout=args.timeout, progress=not args.no_progress,
        params=params,
    )
    n = len(result.results)
    print(f"{len(result.written)} written, {len(result.skipped)} already complete, "
          f"{len(result.failures)} failed of {n} authorities in {result.seconds:.1f} s; "
          f"index: {result.index}")
    if result.failures:
        print(f"{len(result.failures)} failed:", file=sys.stderr)
        for r in result.failures:
            print(f"  {r.name}: {r.reason}", file=sys.stderr)
    return result.exit_code
