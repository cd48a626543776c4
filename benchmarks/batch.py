"""How fast is `swanalysis batch`? Warm kernels vs fresh kernels vs the naive CLI loop, one run.

For the same N authorities (default 12, spread across the alphabet) it times

  (a) the warm batch      — ``swanalysis.report.batch.run_batch(warm=True)``: worker processes each
                            holding one warm kernel, reused across authorities (what
                            ``swanalysis batch`` does), with ``--workers W`` and with 1 worker;
  (b) the fresh batch     — the same with ``warm=False``: a new kernel for every report;
  (c) the naive loop      — per authority, one after another, the ``papermill`` CLI then the
                            ``jupyter nbconvert --to html --no-input`` CLI, as subprocesses;

prints seconds per report for each and the ratios, and records the table, the machine and the
date in docs/performance.md as the subsection "### N = <n> ..." of "## Batch" (replacing only an
earlier run with the same N; ``--no-write`` leaves the file alone).

    .venv/bin/python benchmarks/batch.py                # N=12, workers=2
    .venv/bin/python benchmarks/batch.py --n all        # every authority: the --all batch (~40 min)
    .venv/bin/python benchmarks/batch.py --n 4 --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MPLBACKEND", "Agg")

from swanalysis.report import batch  # noqa: E402
from swanalysis.config import data_dir as resolve_data_dir  # noqa: E402
from swanalysis.report.runner import notebook_path  # noqa: E402

DOC = REPO / "docs" / "performance.md"
BIN = Path(sys.executable).parent


def pick(year: int, n: int | None, data_dir) -> list[str]:
    """n authorities spread evenly over the year's list (deterministic); None: all of them."""
    names = [a.name for a in batch.authorities(year, data_dir)]
    if n is None or n >= len(names):
        return names
    step = len(names) / n
    return [names[int(i * step)] for i in range(n)]


def _cpu() -> float:
    """CPU seconds used so far by this process and every finished descendant (workers, kernels,
    CLI processes): unlike wall time, hardly affected by other jobs on a shared machine."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measured(fn, *args):
    c0 = _cpu()
    secs, ok = fn(*args)
    return secs, ok, _cpu() - c0


def time_batch(names, year, data_dir, out, workers, warm) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = batch.run_batch(year, out, data_dir=data_dir, las=names, workers=workers, warm=warm,
                        force=True, progress=False)
    secs = time.perf_counter() - t0
    if r.failures:
        print(f"  failures: {[(f.name, f.reason) for f in r.failures]}", file=sys.stderr)
    return secs, len(r.written)


def time_naive(names, year, data_dir, out) -> tuple[float, int]:
    """papermill CLI + jupyter nbconvert CLI per authority, in sequence."""
    nb = notebook_path(None)
    out.mkdir(parents=True, exist_ok=True)
    ok = 0
    env = dict(os.environ, MPLBACKEND="Agg")
    t0 = time.perf_counter()
    for name in names:
        slug = batch.slugify(name)
        executed = out / f"{slug}.ipynb"
        tables = out / f"{slug}-tables"
        a = subprocess.run(
            [str(BIN / "papermill"), str(nb), str(executed), "--no-progress-bar",
             "-p", "la", name, "-p", "year", str(year), "-p", "data_dir", str(data_dir),
             "-p", "output_dir", str(tables), "-p", "date_produced", dt.date.today().isoformat()],
            capture_output=True, text=True, env=env, cwd=REPO)
        if a.returncode != 0:
            print(f"  naive papermill failed for {name}: {a.stderr.strip().splitlines()[-1:]}",
                  file=sys.stderr)
            continue
        b = subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            capture_output=True, text=True, env=env, cwd=REPO)
        if b.returncode == 0 and executed.with_suffix(".html").is_file():
            ok += 1
        else:
            print(f"  naive nbconvert failed for {name}: {b.stderr.strip().splitlines()[-1:]}",
                  file=sys.stderr)
    return time.perf_counter() - t0, ok


def kernel_floor() -> float:
    """Seconds to start a fresh kernel and import the library in it (paid per report unless warm)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("import swanalysis.report.sections"))
    t0 = time.perf_counter()
    NotebookClient(nb, kernel_name="python3", timeout=600).execute()
    return time.perf_counter() - t0


def profile_warm_report(year, data_dir, names, out) -> str:
    """CPU seconds of the notebook's cells for one authority once the process is warm, and the
    share spent drawing figures (sections.Report.figure) and in benchmark()."""
    import contextlib
    import io

    import nbformat

    from swanalysis import benchmark as bench_mod
    from swanalysis.report import sections

    spent = {"figure": 0.0, "benchmark": 0.0}

    def timed(obj, name, key):
        orig = getattr(obj, name)

        def wrapper(*a, **k):
            t = time.process_time()
            try:
                return orig(*a, **k)
            finally:
                spent[key] += time.process_time() - t
        setattr(obj, name, wrapper)
        return orig

    nb = nbformat.read(notebook_path(None), as_version=4)

    def run(la):
        ns = {}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            src = cell.source
            if "parameters" in (cell.metadata.get("tags") or []):
                src += f"\nla = {la!r}\nyear = {year}\ndata_dir = {str(data_dir)!r}\n" \
                       f"output_dir = {str(out / batch.slugify(la))!r}\n"
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(src, "<cell>", "exec"), ns)

    for la in names[:2]:
        run(la)
    saved = [timed(sections.Report, "figure", "figure"), timed(bench_mod, "benchmark", "benchmark")]
    t = time.process_time()
    run(names[2])
    total = time.process_time() - t
    sections.Report.figure, bench_mod.benchmark = saved
    return (f"{names[2]}: {total:.2f} s CPU for the notebook's cells, of which drawing "
            f"figures (Report.figure) {spent['figure']:.2f} s "
            f"({spent['figure'] / total:.0%}) and "
            f"benchmark() {spent['benchmark']:.2f} s ({spent['benchmark'] / total:.0%})")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, AttributeError):
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs visible{mem}; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}")


BATCH_INTRO = """## Batch

`benchmarks/batch.py` times the same N authorities' council reports (published benchmarks, no
worker data) three ways in one run: the warm batch (`swanalysis batch`: worker processes that
each keep one Jupyter kernel, reset between authorities), the same batch with a fresh kernel per
report, and the naive loop (`papermill` CLI then `jupyter nbconvert --to html --no-input` CLI per
authority, one after another). Times are wall clock, including starting the worker processes
and kernels; CPU seconds count this process and every worker, kernel and CLI process.
Each run below is written by the script; the notes after them are not.
"""


def write_doc(n: int, section: str) -> None:
    """Put ``section`` into docs/performance.md as the "### N = n" subsection of "## Batch",
    replacing an earlier run with the same N; other runs, notes and sections stay."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    batch_re = re.compile(r"^## Batch\b.*?(?=^## |\Z)", re.S | re.M)
    m = batch_re.search(text)
    body = m.group(0) if m else BATCH_INTRO
    run_re = re.compile(rf"^### N = {n} .*?(?=^### |\Z)", re.S | re.M)
    if run_re.search(body):
        body = run_re.sub(lambda _: section.rstrip() + "\n\n", body, count=1)
    else:
        first = re.search(r"^### ", body, re.M)
        at = first.start() if first else len(body)
        body = body[:at].rstrip() + "\n\n" + section.rstrip() + "\n\n" + body[at:]
    if m:
        text = text[:m.start()] + body.rstrip() + "\n\n" + text[m.end():]
    else:
        text = text.rstrip() + "\n\n" + body
    DOC.write_text(text.rstrip() + "\n", encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", default="12",
                    help="number of authorities, or 'all' for every one (default 12)")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    ap.add_argument("--no-write", dest="write", action="store_false",
                    help="do not update docs/performance.md")
    args = ap.parse_args(argv)

    data_dir = resolve_data_dir(args.data_dir)
    names = pick(args.year, None if args.n == "all" else int(args.n), data_dir)
    n = len(names)
    root = Path(tempfile.mkdtemp(prefix="swanalysis-bench-"))
    print(f"{n} authorities, {args.year}: {', '.join(names)}")
    print(f"output in {root}")

    rows = []   # (label, wall seconds, reports written, CPU seconds)
    W = args.workers
    load0 = os.getloadavg()
    print(f"(a) warm batch, {W} workers ...", flush=True)
    rows.append((f"warm batch, {W} workers (`swanalysis batch`)",
                 *measured(time_batch, names, args.year, data_dir, root / "warm", W, True)))
    if W != 1:
        print("(a) warm batch, 1 worker ...", flush=True)
        rows.append(("warm batch, 1 worker",
                     *measured(time_batch, names, args.year, data_dir, root / "warm1", 1, True)))
    print(f"(b) fresh-kernel batch, {W} workers ...", flush=True)
    rows.append((f"fresh kernel per report, {W} workers",
                 *measured(time_batch, names, args.year, data_dir, root / "fresh", W, False)))
    print("(c) naive loop: papermill CLI + jupyter nbconvert CLI per authority ...", flush=True)
    rows.append(("naive loop (papermill CLI + nbconvert CLI, sequential)",
                 *measured(time_naive, names, args.year, data_dir, root / "naive")))
    load1 = os.getloadavg()

    floor = kernel_floor()
    prof = profile_warm_report(args.year, data_dir, names[:3], root / "profile")
    naive = rows[-1][1] / n
    naive_cpu = rows[-1][3] / n
    lines = ["| method | reports | wall s | wall s per report | naive ÷ this (wall) "
             "| CPU s per report | naive ÷ this (CPU) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, secs, ok, cpu in rows:
        per, cper = secs / n, cpu / n
        lines.append(f"| {label} | {ok}/{n} | {secs:.1f} | {per:.2f} | {naive / per:.1f}× "
                     f"| {cper:.2f} | {naive_cpu / cper:.1f}× |")
    table = "\n".join(lines)
    warm_per = rows[0][1] / n
    fresh_per = rows[-2][1] / n
    warm_cpu = rows[0][3] / n
    summary = (f"warm batch {warm_per:.2f} s/report; fresh-kernel batch {fresh_per:.2f} s/report "
               f"(warm is {fresh_per / warm_per:.1f}× faster); naive loop {naive:.2f} s/report "
               f"(warm is {naive / warm_per:.1f}× faster in wall time, "
               f"{naive_cpu / warm_cpu:.1f}× less CPU)")
    load = (f"load average (1 min) {load0[0]:.1f} at the start, {load1[0]:.1f} at the end "
            f"on {os.cpu_count()} CPUs")
    print()
    print(table)
    print()
    print(summary)
    print(f"fresh-kernel floor (start a kernel, import swanalysis.report.sections): {floor:.2f} s")
    print(load)
    print(prof)

    if args.write:
        today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        who = ("every authority" if args.n == "all"
               else f"{n} authorities spread over the alphabet")
        section = f"""### N = {n} ({who}), {today}

Run: `.venv/bin/python benchmarks/batch.py --n {args.n} --workers {W}`, {args.year} reports.

- Machine: {machine()}
- Authorities: {', '.join(names) if n <= 20 else f"all {n} local-authority rows of {args.year} (joint returns once)"}
- Other load on the machine: {load} (wall-clock times stretch with it; CPU seconds do not)

{table}

Result: {summary}. Starting a fresh kernel and importing the library in it takes {floor:.2f} s
on its own (the floor every fresh-kernel report pays before any work). Profile of one warm
report (in-process, CPU seconds, after two warm-up authorities): {prof}.
"""
        write_doc(n, section)
        print(f"\nwrote the Batch section of {DOC.relative_to(REPO)}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
