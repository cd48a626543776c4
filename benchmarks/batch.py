"""How fast is `swanalysis batch --all`? Against the naive Papermill + nbconvert loop, in one run.

In one run, on the published data of one year (default 2025):

  (a) the batch           — ``swanalysis.report.batch.run_batch`` on EVERY authority (151 reports),
                            W worker processes (default 2), each running its reports in its own
                            process, warm (what ``swanalysis batch --all --workers W`` does);
  (b) the naive loop      — per authority, one after another, the ``papermill`` CLI then the
                            ``jupyter nbconvert --to html --no-input`` CLI, as subprocesses, on a
                            SAMPLE of S authorities spread over the alphabet (default 10: the
                            whole loop would take about 25 minutes); half of the sample runs
                            before the batch and half after, so the machine's load hits both;
  (c) the fresh kernel    — the same batch code with a fresh Jupyter kernel per report
                            (``warm=False``, W workers) on the same sample: the reference output;

and then checks that every file of each sampled report (but report.log, which names cells and
may hold timings) is byte-identical between (a) and (c), and, with ``--reference DIR``, between
(a) and a batch written earlier (e.g. by older code) for all authorities. It prints seconds and CPU
seconds per report (CPU = this process and every worker, kernel and CLI process it waited for,
which the other jobs on a shared machine hardly change) and the naive loop's per report ÷
the batch's; profiles one warm report by part; with ``--write-doc`` writes the run between the
``batch`` markers of docs/performance.md.

    .venv/bin/python benchmarks/batch.py --write-doc
    .venv/bin/python benchmarks/batch.py --sample 4 --las "Barnsley,Kent,Luton"   # quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("MPLBACKEND", "Agg")

from _doc import write_section  # noqa: E402
from swanalysis.config import data_dir as resolve_data_dir  # noqa: E402
from swanalysis.report import batch  # noqa: E402
from swanalysis.report.runner import notebook_path  # noqa: E402

BIN = Path(sys.executable).parent
#: one production date for every method, so their outputs can be compared byte for byte
TODAY = dt.date.today().isoformat()


def spread(names: list[str], n: int) -> list[str]:
    """n names spread evenly over the list (deterministic)."""
    if n >= len(names):
        return list(names)
    step = len(names) / n
    return [names[int(i * step)] for i in range(n)]


def _cpu() -> float:
    """CPU seconds used so far by this process and every finished descendant."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measured(fn, *args) -> tuple[float, int, float]:
    """(wall seconds, reports written, CPU seconds) of ``fn(*args)``."""
    c0, t0 = _cpu(), time.perf_counter()
    ok = fn(*args)
    return time.perf_counter() - t0, ok, _cpu() - c0


def run_batch(names, year, data_dir, out, workers, warm) -> int:
    r = batch.run_batch(year, out, data_dir=data_dir, las=names, workers=workers, warm=warm,
                        force=True, progress=False, params={"date_produced": TODAY})
    for f in r.failures:
        print(f"  failed: {f.name}: {f.reason}", file=sys.stderr)
    return len(r.written)


def naive(names, year, data_dir, out) -> int:
    """papermill CLI + jupyter nbconvert CLI per authority, in sequence."""
    nb = notebook_path(None)
    out.mkdir(parents=True, exist_ok=True)
    ok = 0
    env = dict(os.environ, MPLBACKEND="Agg")
    for name in names:
        slug = batch.slugify(name)
        executed = out / f"{slug}.ipynb"
        a = subprocess.run(
            [str(BIN / "papermill"), str(nb), str(executed), "--no-progress-bar",
             "-p", "la", name, "-p", "year", str(year), "-p", "data_dir", str(data_dir),
             "-p", "output_dir", str(out / f"{slug}-tables"), "-p", "date_produced", TODAY],
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
    return ok


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ or exist on one side only, between two report folders (report.log
    excepted: it may hold timings)."""
    out = []
    cmp = filecmp.dircmp(a, b, ignore=["report.log"])

    def walk(c, prefix=""):
        out.extend(prefix + n for n in c.left_only + c.right_only + c.funny_files)
        _, mismatch, errors = filecmp.cmpfiles(c.left, c.right, c.common_files, shallow=False)
        out.extend(prefix + n for n in mismatch + errors)
        for name, sub in c.subdirs.items():
            walk(sub, f"{prefix}{name}/")
    walk(cmp)
    return out


def compare(slugs, ours: Path, theirs: Path) -> tuple[int, list[str]]:
    """How many report folders are identical, and what differs in the others."""
    same, notes = 0, []
    for slug in slugs:
        if not (theirs / slug).is_dir() or not (ours / slug).is_dir():
            notes.append(f"{slug}: missing")
            continue
        diff = differences(ours / slug, theirs / slug)
        if diff:
            notes.append(f"{slug}: {', '.join(diff[:5])}")
        else:
            same += 1
    return same, notes


def profile_warm_report(year, data_dir, names, out) -> list[tuple[str, float]]:
    """CPU seconds of one warm report (after two warm-up reports in this process, as a batch
    worker runs them), split into its parts by timing the functions that do them."""
    from swanalysis.report import context, page, runner, section_forecast

    parts = {}

    def timed(obj, name, key):
        orig = getattr(obj, name)

        def wrapper(*a, **k):
            t = time.process_time()
            try:
                return orig(*a, **k)
            finally:
                parts[key] = parts.get(key, 0.0) + time.process_time() - t
        setattr(obj, name, wrapper)
        return obj, name, orig

    with runner.ReportRunner(warm=True) as rn:
        for la in names[:2]:
            rn.run({"la": la, "year": year, "data_dir": str(data_dir), "date_produced": TODAY}, out)
        saved = [timed(page.Page, "figure", "drawing the figures (Page.figure)"),
                 timed(context, "write_tables", "writing the tables (CSV and workbook)"),
                 timed(context, "benchmark", "benchmark()"),
                 timed(section_forecast, "looking_ahead", "the forecast section"),
                 timed(section_forecast, "looking_ahead_detail", "the forecast section"),
                 timed(runner, "build_documents", "rendering the HTML (nbconvert, twice)")]
        t = time.process_time()
        rn.run({"la": names[2], "year": year, "data_dir": str(data_dir), "date_produced": TODAY}, out)
        total = time.process_time() - t
        for obj, name, orig in saved:
            setattr(obj, name, orig)
    rows = [("whole report", total)]
    rows += sorted(parts.items(), key=lambda kv: -kv[1])
    rows.append(("the rest (other sections' computing, the runner)", total - sum(parts.values())))
    return rows


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs visible; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sample", type=int, default=10,
                    help="authorities for the naive loop and the fresh-kernel run (default 10)")
    ap.add_argument("--las", default=None,
                    help="comma-separated authorities for the batch instead of all of them")
    ap.add_argument("--reference", default=None,
                    help="an earlier batch's output folder (holding YYYY/<slug>/) to compare with")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    ap.add_argument("--write-doc", action="store_true",
                    help="write the run into docs/performance.md (between the batch markers)")
    args = ap.parse_args(argv)

    data_dir = resolve_data_dir(args.data_dir)
    everyone = [a.name for a in batch.authorities(args.year, data_dir)]
    names = [n.strip() for n in args.las.split(",")] if args.las else everyone
    sample = spread(names, args.sample)
    n, s, W = len(names), len(sample), args.workers
    root = Path(tempfile.mkdtemp(prefix="swanalysis-bench-batch-"))
    print(f"batch: {n} authorities, {args.year}; sample ({s}): {', '.join(sample)}")
    print(f"output in {root}", flush=True)
    load0 = os.getloadavg()

    half = s // 2
    print(f"(b) naive loop, first {half} of the sample ...", flush=True)
    nv1 = measured(naive, sample[:half], args.year, data_dir, root / "naive")
    print(f"(a) batch, {n} reports, {W} workers ...", flush=True)
    ours = measured(run_batch, names, args.year, data_dir, root / "batch", W, True)
    print(f"(c) fresh kernel per report, {s} reports, {W} workers ...", flush=True)
    fresh = measured(run_batch, sample, args.year, data_dir, root / "fresh", W, False)
    print(f"(b) naive loop, last {s - half} of the sample ...", flush=True)
    nv2 = measured(naive, sample[half:], args.year, data_dir, root / "naive")
    load1 = os.getloadavg()
    nv = (nv1[0] + nv2[0], nv1[1] + nv2[1], nv1[2] + nv2[2])

    slugs = [batch.slugify(x) for x in sample]
    same, notes = compare(slugs, root / "batch" / str(args.year), root / "fresh" / str(args.year))
    identity = [f"sample: {same} of {s} report folders byte-identical to the fresh kernel's "
                "(every file but report.log)" + (f"; differ: {'; '.join(notes)}" if notes else "")]
    if args.reference:
        ref = Path(args.reference) / str(args.year)
        rs, rnotes = compare([batch.slugify(x) for x in names], root / "batch" / str(args.year), ref)
        identity.append(f"all: {rs} of {n} report folders byte-identical to {args.reference}"
                        + (f"; differ: {'; '.join(rnotes[:10])}" if rnotes else ""))

    prof = profile_warm_report(args.year, data_dir, spread(names, 3), root / "profile")

    def row(label, m, count):
        wall, ok, cpu = m
        return label, count, ok, wall, wall / count, cpu, cpu / count

    rows = [row(f"batch, {W} workers (`swanalysis batch`)", ours, n),
            row(f"fresh kernel per report, {W} workers", fresh, s),
            row("naive loop (papermill CLI + nbconvert CLI, sequential)", nv, s)]
    naive_wall, naive_cpu = rows[-1][4], rows[-1][6]
    lines = ["| method | reports | written | wall s | wall s per report | naive ÷ this (wall) "
             "| CPU s | CPU s per report | naive ÷ this (CPU) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for label, count, ok, wall, per, cpu, cper in rows:
        lines.append(f"| {label} | {count} | {ok} | {wall:.1f} | {per:.3f} | "
                     f"{naive_wall / per:.1f}× | {cpu:.1f} | {cper:.3f} | {naive_cpu / cper:.1f}× |")
    table = "\n".join(lines)
    goal_wall = "met" if ours[0] <= 45 and n >= 151 else "not met"
    ratio = naive_wall / rows[0][4]
    summary = [
        f"Batch of {n}: {ours[0]:.1f} s wall, {ours[2]:.1f} s CPU ({rows[0][6]:.2f} CPU s per "
        f"report); goal ≤ 45 s for all 151 on 2 cores: {goal_wall}.",
        f"Naive loop ÷ batch, per report: {ratio:.1f}× in wall time (goal ≥ 30×: "
        f"{'met' if ratio >= 30 else 'not met'}), {naive_cpu / rows[0][6]:.1f}× in CPU seconds.",
        f"Fresh kernel ÷ batch, per report: {rows[1][4] / rows[0][4]:.1f}× in wall time, "
        f"{rows[1][6] / rows[0][6]:.1f}× in CPU seconds.",
        *identity,
        f"Load average (1 min) {load0[0]:.1f} at the start, {load1[0]:.1f} at the end, on "
        f"{os.cpu_count()} CPUs: wall seconds stretch with the other jobs' load, CPU seconds "
        "much less.",
    ]
    prof_lines = ["| part of one warm report | CPU s |", "|---|---:|"]
    prof_lines += [f"| {k} | {v:.3f} |" for k, v in prof]
    text = "\n".join([
        f"Run of {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"`benchmarks/batch.py --workers {W} --sample {s}"
        f"{' --las …' if args.las else ''}{' --reference ' + args.reference if args.reference else ''}`"
        f", {args.year} reports from the published data; {machine()}.",
        f"Sample: {', '.join(sample)}.", "", table, "",
        *[f"- {x}" for x in summary], "",
        f"Where one warm report's CPU goes ({spread(names, 3)[2]}, after two warm-up reports, "
        "in one process):", "", *prof_lines])
    print()
    print(text)
    if args.write_doc:
        write_section("batch", text)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
