"""How fast is `swanalysis batch`? Warm kernels vs fresh kernels vs the naive CLI loop, one run.

For the same N authorities (default 12, spread across the alphabet) it times

  (a) the warm batch      — ``swanalysis.batch.run_batch(warm=True)``: worker processes each
                            holding one warm kernel, reused across authorities (what
                            ``swanalysis batch`` does), with ``--workers W`` and with 1 worker;
  (b) the fresh batch     — the same with ``warm=False``: a new kernel for every report;
  (c) the naive loop      — per authority, one after another, the ``papermill`` CLI then the
                            ``jupyter nbconvert --to html --no-input`` CLI, as subprocesses;

prints seconds per report for each and the ratios, and (with ``--write``) records the table,
the machine and the date in docs/performance.md under "## Batch" (other sections untouched).

    .venv/bin/python benchmarks/batch.py                # N=12, workers=2, writes the doc
    .venv/bin/python benchmarks/batch.py --n 4 --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("MPLBACKEND", "Agg")

from swanalysis import batch  # noqa: E402
from swanalysis.config import data_dir as resolve_data_dir  # noqa: E402
from swanalysis.report import notebook_path  # noqa: E402

DOC = REPO / "docs" / "performance.md"
BIN = Path(sys.executable).parent


def pick(year: int, n: int, data_dir) -> list[str]:
    """n authorities spread evenly over the year's list (deterministic)."""
    names = [a.name for a in batch.authorities(year, data_dir)]
    if n >= len(names):
        return names
    step = len(names) / n
    return [names[int(i * step)] for i in range(n)]


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


def write_doc(section: str) -> None:
    """Replace (or add) the '## Batch' section of docs/performance.md; leave the rest alone."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n\n"
    pattern = re.compile(r"^## Batch\b.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip() + "\n\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
    DOC.write_text(text.rstrip() + "\n", encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=12, help="number of authorities (default 12)")
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    ap.add_argument("--no-write", dest="write", action="store_false",
                    help="do not update docs/performance.md")
    args = ap.parse_args(argv)

    data_dir = resolve_data_dir(args.data_dir)
    names = pick(args.year, args.n, data_dir)
    n = len(names)
    root = Path(tempfile.mkdtemp(prefix="swanalysis-bench-"))
    print(f"{n} authorities, {args.year}: {', '.join(names)}")
    print(f"output in {root}")

    rows = []   # (label, seconds, reports written)
    W = args.workers
    print(f"(a) warm batch, {W} workers ...", flush=True)
    rows.append((f"warm batch, {W} workers (`swanalysis batch`)",
                 *time_batch(names, args.year, data_dir, root / "warm", W, True)))
    if W != 1:
        print("(a) warm batch, 1 worker ...", flush=True)
        rows.append(("warm batch, 1 worker",
                     *time_batch(names, args.year, data_dir, root / "warm1", 1, True)))
    print(f"(b) fresh-kernel batch, {W} workers ...", flush=True)
    rows.append((f"fresh kernel per report, {W} workers",
                 *time_batch(names, args.year, data_dir, root / "fresh", W, False)))
    print("(c) naive loop: papermill CLI + jupyter nbconvert CLI per authority ...", flush=True)
    rows.append(("naive loop (papermill CLI + nbconvert CLI, sequential)",
                 *time_naive(names, args.year, data_dir, root / "naive")))

    naive = rows[-1][1] / n
    lines = ["| method | reports | total s | s per report | naive ÷ this |",
             "|---|---:|---:|---:|---:|"]
    for label, secs, ok in rows:
        per = secs / n
        lines.append(f"| {label} | {ok}/{n} | {secs:.1f} | {per:.2f} | {naive / per:.1f}× |")
    table = "\n".join(lines)
    warm_per = rows[0][1] / n
    fresh_per = rows[-2][1] / n
    summary = (f"warm batch {warm_per:.2f} s/report; fresh-kernel batch {fresh_per:.2f} s/report "
               f"(warm is {fresh_per / warm_per:.1f}× faster); naive loop {naive:.2f} s/report "
               f"(warm is {naive / warm_per:.1f}× faster)")
    print()
    print(table)
    print()
    print(summary)

    if args.write:
        today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        section = f"""## Batch

`benchmarks/batch.py` (run: `.venv/bin/python benchmarks/batch.py --n {args.n} --workers {W}`)
times the same {n} authorities' {args.year} council reports (published benchmarks, no worker
data) three ways in one run: the warm batch (`swanalysis batch`: worker processes that each keep
one Jupyter kernel, reset between authorities), the same batch with a fresh kernel per report,
and the naive loop (`papermill` CLI then `jupyter nbconvert --to html --no-input` CLI per
authority, one after another). Times are wall clock, including starting the worker processes
and kernels.

- Machine: {machine()}
- Date: {today}
- Authorities (N = {n}): {', '.join(names)}

{table}

Result: {summary}.

Where the time goes: a fresh kernel costs several seconds before the first cell runs (kernel
start plus importing pandas, matplotlib, seaborn, statsmodels, lifelines and swanalysis), and
the naive loop also pays a Python start-up and imports for each CLI process (papermill and
nbconvert). A warm kernel pays this once per worker; what is left per report is running the
analysis cells, drawing the figures and exporting HTML in-process. The 1-worker row shows the
per-core speed without parallelism.
"""
        write_doc(section)
        print(f"\nwrote the Batch section of {DOC.relative_to(REPO)}")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
