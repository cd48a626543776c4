"""`swanalysis report`: one authority's committee report (HTML, tables as CSV and Excel)."""

from __future__ import annotations

HELP = "write one authority's report: DIR/YYYY/<la>/report.html, tables/*.csv, tables.xlsx"


def add_arguments(parser) -> None:
    """Options of ``swanalysis report``."""
    parser.add_argument("--la", help="local authority name or code (e.g. Wokingham, 872, E06000041)")
    parser.add_argument("--year", type=int, help="reporting year ending 30 September (default: newest)")
    parser.add_argument("--comparators", help='comparator authorities, comma-separated: "Slough,Reading"')
    parser.add_argument("--data-dir", dest="data_dir", help="folder of DfE CSWW files (default $SWANALYSIS_DATA_DIR, then what `swanalysis data fetch` downloaded, then the built-in snapshot of the 2025 release)")
    parser.add_argument("--out", default="outputs", help="output folder (default: outputs)")
    parser.add_argument("--params", help="YAML parameters file (flags override it)")
    parser.add_argument("--csww", nargs="+", metavar="PATH", help="the council's CSWW census returns (XML)")
    parser.add_argument("--allow-other-lea", dest="allow_other_lea", action="store_true",
                        default=None, help="use returns whose LEA is not the authority's "
                        "(refused by default: another council's workers would be mixed in)")
    parser.add_argument("--hr", help="payroll / HR extract (CSV or Excel)")
    parser.add_argument("--hr-map", dest="hr_map", help="YAML column map for the HR extract")
    parser.add_argument("--synthetic", action="store_true", default=None,
                        help="add a synthetic council calibrated to the authority (illustration only)")
    parser.add_argument("--seed", dest="synthetic_seed", type=int, help="seed for --synthetic")
    parser.add_argument("--sn-model", dest="sn_model", choices=["auto", "2021", "2025"],
                        help="statistical-neighbour set: auto (default) = the one in force for "
                             "the year (DfE April 2021 groupings to 2024, 2025 model from 2025)")
    parser.add_argument("--agency-premium", dest="agency_premium", type=float,
                        help="£ per agency FTE-year over an employed social worker (default 20000)")
    parser.add_argument("--date-produced", dest="date_produced", help="date printed on the report (YYYY-MM-DD)")
    parser.add_argument("--benchmark-only", action="store_true",
                        help="the published-statistics report only (notebooks/benchmark_report.ipynb)")
    parser.add_argument("--notebook", help="a different report notebook")
    parser.add_argument("--pdf", action="store_true", default=None,
                        help="also print report.pdf (A4) with headless Chromium")


FLAG_KEYS = ("la", "year", "comparators", "data_dir", "csww", "hr", "hr_map", "synthetic",
             "synthetic_seed", "sn_model", "allow_other_lea", "agency_premium", "date_produced",
             "pdf")


def run(args) -> int:
    """Make one council's report; return the exit code."""
    import gc
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
    overrides = {k: getattr(args, k, None) for k in FLAG_KEYS}
    if args.benchmark_only:
        overrides["benchmark_only"] = True
    gc.disable()  # until the imports are settled (below)
    try:
        from ..report.params import load_params
        from ..report.runner import ReportError, render_report

        params = load_params(args.params, overrides)
        notebook = args.notebook or ("benchmark" if params["benchmark_only"] else None)
        _settle_imports()
    finally:
        gc.enable()
    try:
        out = render_report(params, args.out, warm=False, notebook=notebook)
    except ReportError as exc:
        import sys

        print(f"swanalysis: {exc}", file=sys.stderr)
        return 1
    print(out.html)
    if out.pdf is not None:
        print(out.pdf)
    return 0


def _settle_imports() -> None:
    """Import what the report's notebook imports (it runs in this process) and move everything
    alive now to the collector's permanent generation (``gc.freeze``): the modules, functions and
    classes of the analysis stack last as long as the command, and the cyclic garbage collector
    would otherwise walk those few hundred thousand objects again in every full collection (about
    a tenth of the command's CPU time). Reference counting still frees whatever is released; the
    caller keeps the collector off while the modules are imported (importing makes no garbage
    worth a collection, and the collections would walk the growing module graph again and again)."""
    import gc

    from ..report import sections  # noqa: F401 - the notebook's first cell imports it

    gc.freeze()
