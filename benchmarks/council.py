"""Benchmark: one council's report with its worker data, from the command line.

    .venv/bin/python benchmarks/council.py [--la Kent] [--runs 2] [--baseline REV] [--write-doc]

1. Generates (or reuses, under /tmp) a simulated large council with ``swanalysis.synth``:
   calibrated to Kent's published figures, census years 2019-2024 (six annual CSWW returns,
   about 1,200 workers) plus a payroll extract and its column map.
2. Times ``swanalysis report --la Kent --year 2024 --csww ... --hr ... --hr-map ...`` in a fresh
   process: wall seconds, CPU seconds of the command and every process it started (the Jupyter
   kernel included), and the peak resident memory of the largest of them. The baseline revision
   (``--baseline``, default 36bb105: the code before this round's work on it; its package and
   notebooks exported with `git archive` and run by the same interpreter through PYTHONPATH) is
   timed in the same run, alternately with ours, and every output file of ours except the log is
   compared byte for byte with the baseline's. Both are given the same pseudonymisation key,
   BLAS thread count and production date. The published-file caches on disk (the panel's, the
   characteristics file's) are filled for both before timing: a report after the first.
3. Times the same report's notebook cells run in this process, section by section (process
   CPU, no profiler), and profiles them (cProfile timed by process CPU; it inflates Python-heavy
   code): the report's own work after the imports (which a fresh kernel pays first; printed
   separately).

``--write-doc`` replaces the ``council`` section of docs/performance.md with what it prints.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as _dt
import filecmp
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from _doc import write_section  # noqa: E402 - benchmarks/_doc.py
os.environ.setdefault("MPLBACKEND", "Agg")
GOAL_S, GOAL_MB = 5.0, 300
#: main when this round's work on the council report began
BASELINE = "36bb105"

WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], capture_output=True)\n"
    "dt = time.perf_counter() - t\n"
    "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.write(r.stderr.decode(errors='replace')[-1500:])\n"
    "print(dt, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, r.returncode)\n"
)


def council(work: Path, la: str, years: str, data_dir):
    marker = work / "generated.txt"
    if marker.exists() and marker.read_text().strip() == f"{la} {years}":
        returns = sorted((work / "council").glob("**/csww*.xml"))
        return returns, work / "council" / "payroll.csv", work / "council" / "payroll_map.yaml"
    from swanalysis.synth import generate

    shutil.rmtree(work, ignore_errors=True)
    c = generate(la, years, seed=1, data_dir=data_dir, retention_draws=1000, out_dir=work / "council")
    marker.write_text(f"{la} {years}\n")
    return list(c.returns), c.payroll_path, c.hr_map_path


def baseline_tree(rev: str, where: Path) -> Path:
    """The package, its notebooks and default parameters as of ``rev`` (git archive), to run beside ours."""
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "swanalysis", "notebooks", "params"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    return where


def fill_caches(env: dict, data_dir) -> None:
    """Parse the published files once in a separate process (each tree keys its own cache)."""
    code = ("import sys\nfrom swanalysis.published.panel import shared_panel\n"
            "shared_panel(sys.argv[1] if len(sys.argv) > 1 else None)\n"
            "try:\n from swanalysis.published.characteristics import characteristics_dir, "
            "read_characteristics\nexcept ImportError:\n pass\nelse:\n"
            " read_characteristics(characteristics_dir(data_dir=sys.argv[1] if len(sys.argv) > 1 else None))\n")
    subprocess.run([sys.executable, "-c", code, *([str(data_dir)] if data_dir else [])], env=env,
                   check=True, capture_output=True)


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ between two report folders (the log excepted: it may hold timings)."""
    out = []
    cmp = filecmp.dircmp(a, b)
    out += [f"only in one: {n}" for n in cmp.left_only + cmp.right_only]
    out += [n for n in cmp.common_files if n != "report.log" and not filecmp.cmp(a / n, b / n, shallow=False)]
    for d in cmp.common_dirs:
        out += [f"{d}/{n}" for n in differences(a / d, b / d)]
    return out


def run_cells(params: dict, profile: bool):
    """Run the report notebook's cells in this process: (import CPU s, [(cell, CPU s)], profiler)."""
    import nbformat

    t = time.process_time()
    import swanalysis.report.sections  # noqa: F401 - what the notebook's first cell imports
    from swanalysis.report.runner import notebook_path
    imports = time.process_time() - t
    nb = nbformat.read(notebook_path(None), as_version=4)
    ns: dict = {}
    prof = cProfile.Profile(time.process_time) if profile else None
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = cell.source
        if "parameters" in (cell.metadata.get("tags") or []):
            src += "\n" + "".join(f"{k} = {v!r}\n" for k, v in params.items())
            exec(compile(src, "<cell>", "exec"), ns)
            continue
        t = time.process_time()
        with contextlib.redirect_stdout(io.StringIO()):
            if prof:
                prof.enable()
            exec(compile(src, "<cell>", "exec"), ns)
            if prof:
                prof.disable()
        cells.append((src.strip().splitlines()[-1], time.process_time() - t))
    return imports, cells, prof


def profile_cells(params: dict, top: int = 18) -> tuple[float, list, str]:
    """(import CPU s, cells' CPU s without a profiler, cProfile text) for the report notebook run
    in this process: once plain (section by section), once under the profiler."""
    imports, cells, _ = run_cells(params, profile=False)
    _, _, prof = run_cells(params, profile=True)
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out)
    st.sort_stats("cumulative").print_stats(r"swanalysis", top)
    return imports, cells, out.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--la", default="Kent")
    ap.add_argument("--years", default="2019-2024")
    ap.add_argument("--runs", type=int, default=2, help="runs of each, alternating (default 2)")
    ap.add_argument("--baseline", default=BASELINE, metavar="REV",
                    help=f"the revision timed beside ours (default {BASELINE})")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "swanalysis-bench-council"))
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--write-doc", action="store_true")
    args = ap.parse_args(argv)
    from swanalysis.config import slugify  # the report folder's name (for the authority's own name)

    work = Path(args.workdir)
    returns, payroll, hr_map = council(work, args.la, args.years, args.data_dir)
    year = int(args.years.split("-")[-1])
    n_workers = sum(1 for _ in open(payroll, encoding="utf-8")) - 1
    env = dict(os.environ, SWANALYSIS_PSEUDO_KEY="benchmark-key-not-secret-0123456789",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    os.environ.update(SWANALYSIS_PSEUDO_KEY=env["SWANALYSIS_PSEUDO_KEY"])
    script = Path(sys.executable).with_name("swanalysis")
    swan = [str(script)] if script.exists() else [sys.executable, "-m", "swanalysis"]
    base = baseline_tree(args.baseline, work / "baseline-src")
    label = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%h %s", args.baseline],
                           capture_output=True, text=True).stdout.strip()[:70]
    impls = [(f"baseline {args.baseline}", dict(env, PYTHONPATH=str(base))),
             ("ours", dict(env, PYTHONPATH=str(REPO)))]
    for _, e in impls:
        fill_caches(e, args.data_dir)
    started = _dt.datetime.now(_dt.timezone.utc)
    load0 = os.getloadavg()[0]
    rows = []
    for i in range(args.runs):
        for name, e in impls:
            out = work / f"out-{name.split()[0]}-{i}"
            shutil.rmtree(out, ignore_errors=True)
            cmd = swan + ["report", "--la", args.la, "--year", str(year), "--csww", *map(str, returns),
                          "--hr", str(payroll), "--hr-map", str(hr_map), "--out", str(out),
                          "--date-produced", started.strftime("%Y-%m-%d")]
            res = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, env=e)
            wall, cpu, rss, rc = res.stdout.split()
            report = out / str(year) / slugify(args.la)
            same = ""
            theirs = work / f"out-baseline-{i}" / str(year) / slugify(args.la)
            if name == "ours" and int(rc) == 0 and theirs.is_dir():
                diff = differences(theirs, report)
                same = "identical" if not diff else "DIFFER: " + ", ".join(diff)
            rows.append((i + 1, name, float(wall), float(cpu), int(rss) / 1024, int(rc), same))
            print(rows[-1], flush=True)
            if int(rc):
                print(res.stderr)
    load1 = os.getloadavg()[0]
    lines = [f"Run of {started:%Y-%m-%d %H:%M} UTC, `benchmarks/council.py --la {args.la} --runs {args.runs} "
             f"--baseline {args.baseline}`: a simulated "
             f"{args.la} ({len(returns)} annual returns {args.years}, payroll extract of {n_workers:,} rows), "
             f"`swanalysis report --year {year}` with `--csww`, `--hr`, `--hr-map`; load average (1 min) "
             f"{load0:.1f} at the start, {load1:.1f} at the end on {os.cpu_count()} CPUs.",
             f"Baseline: `{label}`, exported with `git archive` and run by the same interpreter, "
             "alternately with ours.", "",
             "| run | code | wall s | CPU s (command + kernel) | peak MB (largest process) | exit | "
             "outputs (vs the baseline's, log excepted) | goals |",
             "|---|---|---:|---:|---:|---|---|---|"]
    for i, name, wall, cpu, mb, rc, same in rows:
        goals = (f"{'met' if wall <= GOAL_S else 'not met'} (≤ {GOAL_S:.0f} s); "
                 f"{'met' if mb <= GOAL_MB else 'not met'} (≤ {GOAL_MB} MB)") if name == "ours" else ""
        lines.append(f"| {i} | {name} | {wall:.1f} | {cpu:.1f} | {mb:.0f} | {rc} | {same} | {goals} |")
    ok = [r for r in rows if r[5] == 0]
    med = {name: (statistics.median(r[2] for r in ok if r[1] == name),
                  statistics.median(r[3] for r in ok if r[1] == name),
                  max(r[4] for r in ok if r[1] == name)) for name, _ in impls if any(r[1] == name for r in ok)}
    if len(med) == 2:
        (bw, bc, bm), (ow, oc, om) = med.values()
        lines += ["", f"Median of the runs: baseline {bw:.1f} s wall, {bc:.1f} CPU s, ours {ow:.1f} s wall, "
                      f"{oc:.1f} CPU s: **{bc / oc:.2f}× less CPU, {bw / ow:.2f}× less wall time** "
                      f"(same run); peak memory {bm:.0f} MB against {om:.0f} MB."]
    if not args.no_profile:
        params = {"la": args.la, "year": year, "csww": [str(p) for p in returns], "hr": str(payroll),
                  "hr_map": str(hr_map), "output_dir": str(work / "out-profile")}
        imports, cells, text = profile_cells(params)
        total = sum(c for _, c in cells)
        lines += ["", "Where ours spends its time (the report's notebook run in this process, CPU "
                      f"seconds without a profiler): importing the library {imports:.2f} s, the "
                      f"cells {total:.2f} s:", "", "| cell | CPU s |", "|---|---:|"]
        lines += [f"| `{src}` | {c:.2f} |" for src, c in sorted(cells, key=lambda x: -x[1]) if c >= 0.01]
        lines += ["", "The swanalysis functions with the most cumulative CPU in the cells (a second run "
                      "under cProfile, which inflates Python-heavy code):", "", "```"]
        keep = [ln.rstrip() for ln in text.splitlines() if ln.strip()
                and not ln.lstrip().startswith(("Ordered by", "List reduced", "function calls"))]
        lines += [ln.replace(str(REPO) + "/", "") for ln in keep if "{" not in ln or "swanalysis" in ln]
        lines.append("```")
    text = "\n".join(lines)
    print(text)
    if args.write_doc:
        write_section("council", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
