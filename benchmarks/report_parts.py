"""What the parts of a warm report cost, each against its baseline, in one run.

The batch benchmark (benchmarks/batch.py) times whole reports; this script times the pieces
that session 2 changed, side by side and interleaved (CPU seconds, median of R rounds):

  figures    the report's nine benchmark figures for one authority: PNG (one Agg draw with
             constrained layout, then PNG-encoded: the old way) against SVG (sections.Report's
             way), and against SVG with fixed margins instead of constrained layout (not used);
  funnel     the funnel plot with matplotlib's default log axis (mathtext powers of ten) against
             the plain labels plots.benchmark.funnel now sets;
  workbook   the report's tables written with openpyxl against report.tables.write_tables
             (XlsxWriter);
  layouts    the same figures saved as SVG with matplotlib measuring every text at each layout
             pass and draw, against page.text_layouts_shared (each text measured once; the cache
             emptied before each round, so only what one report's figures share counts);
  sheets     the report's tables written to one XlsxWriter workbook by pandas' to_excel against
             safeio.frame_to_sheet (the same bytes, checked);
  gc         a full garbage collection in a process holding the panel, the library and one
             report's caches, without and with gc.freeze() (what the warm kernel's reset does);
  imports    a fresh process importing nbclient, papermill and nbconvert without and with
             report.skip_unused_imports().

    .venv/bin/python benchmarks/report_parts.py [--la Barnsley] [--year 2025] [--rounds 7]
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.image as mimage  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from swanalysis import benchmark as B  # noqa: E402
from swanalysis.report import sections  # noqa: E402
from swanalysis.report.tables import write_tables  # noqa: E402
from swanalysis.plots import benchmark as PB  # noqa: E402


def pair(base, ours, rounds: int) -> tuple[float, float]:
    """Median CPU seconds of ``base()`` and of ``ours()``, called alternately ``rounds`` times
    each after one warm-up call each (so a change in the machine's load hits both alike)."""
    base(), ours()
    tb, to = [], []
    for _ in range(rounds):
        for fn, acc in ((base, tb), (ours, to)):
            t = time.process_time()
            fn()
            acc.append(time.process_time() - t)
    return statistics.median(tb), statistics.median(to)


def the_figures(res):
    """The nine figures of a report's 'How we compare' section (as sections.how_we_compare)."""
    out = []
    for m in sections.KEY_MEASURES:
        if m in sections.FIGURE_MEASURES:
            out.append(lambda m=m: PB.ranked_bar(res, m).figure)
        out.append(lambda m=m: PB.trend(res, m).figure)
        if m in sections.FIGURE_MEASURES and m in res.funnels:
            out.append(lambda m=m: PB.funnel(res, m).figure)
    return out


def png(fig) -> bytes:
    fig.set_layout_engine("constrained")
    fig.set_facecolor("white")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    buf = io.BytesIO()
    mimage.imsave(buf, np.asarray(canvas.buffer_rgba()), format="png", dpi=100,
                  metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def svg(fig, fixed: bool = False) -> None:
    rep = sections.Report(params={})
    rep.show = lambda html: None  # draw and encode, do not display
    if fixed:
        from matplotlib.layout_engine import PlaceHolderLayoutEngine

        fig.subplots_adjust(left=0.3, right=0.75, bottom=0.15, top=0.9)
        fig.set_layout_engine(PlaceHolderLayoutEngine(True, True))  # no layout pass at all
    rep.figure(fig, alt="x", caption="x")


def mathtext_axis(fig):
    ax = fig.axes[0]
    ax.xaxis.set_major_locator(mticker.LogLocator())
    ax.xaxis.set_minor_locator(mticker.LogLocator(subs="auto"))
    ax.xaxis.set_major_formatter(mticker.LogFormatterSciNotation())
    return fig


def openpyxl_workbook(tables, path):
    import pandas as pd

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, df in tables.items():
            df.to_excel(writer, sheet_name=name[:31], index=False)


def import_seconds(skip: bool, rounds: int) -> float:
    code = ("import sys, time\n"
            + ("from swanalysis.report.runner import skip_unused_imports; skip_unused_imports()\n"
               if skip else "import swanalysis.report.runner\n")
            + "t = time.process_time()\n"
            "import nbclient, papermill.parameterize, nbconvert, jupyter_client.manager\n"
            "from nbconvert import HTMLExporter\n"
            "print(time.process_time() - t)\n")
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True, cwd=REPO).stdout) for _ in range(rounds)]
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--la", default="Barnsley")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args(argv)
    R = args.rounds
    res = B.benchmark(args.la, args.year)
    figs = the_figures(res)

    def row(what, base_label, ours_label, times):
        base, ours = times
        print(f"{what:9} {base_label:34} {base:7.3f} s   {ours_label:38} {ours:7.3f} s   "
              f"ours/base {ours / base:5.2f}", flush=True)

    from contextlib import nullcontext

    from swanalysis.report import page

    def svgs(fixed=False):
        page._LAYOUTS.clear()  # as in one report (the batch shares them across reports too)
        for f in figs:
            svg(f(), fixed=fixed)

    n = len(figs)
    row("figures", f"{n} figures, PNG", f"{n} figures, SVG (used)",
        pair(lambda: [png(f()) for f in figs], svgs, R))
    row("figures", f"{n} figures, SVG", "SVG, fixed margins (not used)",
        pair(svgs, lambda: svgs(fixed=True), R))

    def svg_unshared(fig):
        shared, page.text_layouts_shared = page.text_layouts_shared, nullcontext
        try:
            svg(fig)
        finally:
            page.text_layouts_shared = shared

    row("layouts", f"{n} figures, every text measured", "text layouts shared (used)",
        pair(lambda: [svg_unshared(f()) for f in figs], svgs, R))
    funnel = lambda: PB.funnel(res, "agency_rate").figure  # noqa: E731
    row("funnel", "mathtext log axis", "plain labels (used)",
        pair(lambda: svg(mathtext_axis(funnel())), lambda: svg(funnel()), R))

    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()):   # outside IPython, display() prints
        rep = sections.start(sections.params_from({"la": args.la, "year": args.year}))
        rep.show = lambda html: None
        for step in ("key_messages", "how_we_compare", "agency_costs"):
            getattr(sections, step)(rep)
    with tempfile.TemporaryDirectory() as tmp:
        row("workbook", f"{len(rep.tables)} tables, openpyxl", "write_tables (XlsxWriter, CSVs too)",
            pair(lambda: openpyxl_workbook(rep.tables, Path(tmp) / "a.xlsx"),
                 lambda: write_tables(rep.tables, tmp, "2026-01-01"), R))

    def book(path, fast: bool):
        import pandas as pd

        from swanalysis import safeio

        with pd.ExcelWriter(path, engine="xlsxwriter",
                            engine_kwargs={"options": safeio.XLSX_OPTIONS}) as writer:
            writer.book.set_properties({"created": __import__("datetime").datetime(2026, 1, 1)})
            for name, df in rep.tables.items():
                if fast:
                    safeio.frame_to_sheet(writer, df, name[:31])
                else:
                    df.to_excel(writer, sheet_name=name[:31], index=False)

    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "pandas.xlsx", Path(tmp) / "ours.xlsx"
        cells = sum(df.size for df in rep.tables.values())
        row("sheets", f"{cells:,} cells, pandas to_excel", "safeio.frame_to_sheet (used)",
            pair(lambda: book(a, False), lambda: book(b, True), R))
        assert a.read_bytes() == b.read_bytes(), "frame_to_sheet wrote other bytes"

    def collect_frozen():
        gc.freeze()
        try:
            gc.collect()
        finally:
            gc.unfreeze()

    gc.collect()
    row("gc", f"full collection ({len(gc.get_objects()):,} objects)", "after gc.freeze()",
        pair(gc.collect, collect_frozen, R))
    row("imports", "worker imports", "with skip_unused_imports()",
        (import_seconds(False, R), import_seconds(True, R)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
