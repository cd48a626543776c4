"""Benchmark: one council's report with its worker data, from the command line.

    .venv/bin/python benchmarks/council.py [--la Kent] [--runs 1] [--write-doc]

1. Generates (or reuses, under /tmp) a simulated large council with ``swanalysis.synth``:
   calibrated to Kent's published figures, census years 2019-2024 (six annual CSWW returns,
   about 1,200 workers) plus a payroll extract and its column map.
2. Times ``swanalysis report --la Kent --year 2024 --csww ... --hr ... --hr-map ...`` in a fresh
   process: wall seconds, CPU seconds of the command and every process it started (the Jupyter
   kernel included), and the peak resident memory of the largest of them.
3. Profiles the same report's notebook cells run in this process (cProfile timed by process
   CPU): the share of the report's own work, by the functions that take most, after the imports
   (which a fresh kernel pays first; printed separately).

``--write-doc`` replaces the ``council`` section of docs/performance.md with what it prints.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as _dt
import io
import os
import pstats
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
from _doc import write_section  # noqa: E402 - benchmarks/_doc.py
os.environ.setdefault("MPLBACKEND", "Agg")
GOAL_S, GOAL_MB = 5.0, 300

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


def profile_cells(params: dict, top: int = 18) -> tuple[float, float, str]:
    """(import CPU s, cells CPU s, profile text) for the report notebook run in this process."""
    import nbformat

    t = time.process_time()
    import swanalysis.report.sections  # noqa: F401 - what the notebook's first cell imports
    from swanalysis.report.runner import notebook_path
    imports = time.process_time() - t
    nb = nbformat.read(notebook_path(None), as_version=4)
    ns: dict = {}
    prof = cProfile.Profile(time.process_time)
    t = time.process_time()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = cell.source
        if "parameters" in (cell.metadata.get("tags") or []):
            src += "\n" + "".join(f"{k} = {v!r}\n" for k, v in params.items())
        with contextlib.redirect_stdout(io.StringIO()):
            prof.enable()
            exec(compile(src, "<cell>", "exec"), ns)
            prof.disable()
    cells = time.process_time() - t
    out = io.StringIO()
    st = pstats.Stats(prof, stream=out)
    st.sort_stats("cumulative").print_stats(r"swanalysis", top)
    return imports, cells, out.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--la", default="Kent")
    ap.add_argument("--years", default="2019-2024")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "swanalysis-bench-council"))
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--write-doc", action="store_true")
    args = ap.parse_args(argv)
    work = Path(args.workdir)
    returns, payroll, hr_map = council(work, args.la, args.years, args.data_dir)
    year = int(args.years.split("-")[-1])
    n_workers = sum(1 for _ in open(payroll, encoding="utf-8")) - 1
    env = dict(os.environ, PYTHONPATH=str(REPO), SWANALYSIS_PSEUDO_KEY="benchmark-key-not-secret-0123456789",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    os.environ.update(SWANALYSIS_PSEUDO_KEY=env["SWANALYSIS_PSEUDO_KEY"])
    script = Path(sys.executable).with_name("swanalysis")
    swan = [str(script)] if script.exists() else [sys.executable, "-m", "swanalysis"]
    started = _dt.datetime.now(_dt.timezone.utc)
    load0 = os.getloadavg()[0]
    rows = []
    for i in range(args.runs):
        out = work / f"out-{i}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = swan + ["report", "--la", args.la, "--year", str(year), "--csww", *map(str, returns),
                      "--hr", str(payroll), "--hr-map", str(hr_map), "--out", str(out)]
        res = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, env=env)
        wall, cpu, rss, rc = res.stdout.split()
        rows.append((float(wall), float(cpu), int(rss) / 1024, int(rc), res.stderr))
    load1 = os.getloadavg()[0]
    lines = [f"Run of {started:%Y-%m-%d %H:%M} UTC, `benchmarks/council.py --la {args.la}`: a simulated "
             f"{args.la} ({len(returns)} annual returns {args.years}, payroll extract of {n_workers:,} rows), "
             f"`swanalysis report --year {year}` with `--csww`, `--hr`, `--hr-map`; load average (1 min) "
             f"{load0:.1f} at the start, {load1:.1f} at the end on {os.cpu_count()} CPUs.", "",
             "| run | wall s | CPU s (command + kernel) | peak MB (largest process) | exit | goals |",
             "|---|---:|---:|---:|---|---|"]
    for i, (wall, cpu, mb, rc, err) in enumerate(rows, 1):
        goals = (f"{'met' if wall <= GOAL_S else 'not met'} (≤ {GOAL_S:.0f} s); "
                 f"{'met' if mb <= GOAL_MB else 'not met'} (≤ {GOAL_MB} MB)")
        lines.append(f"| {i} | {wall:.1f} | {cpu:.1f} | {mb:.0f} | {rc} | {goals} |")
        if rc:
            print(err)
    if not args.no_profile:
        params = {"la": args.la, "year": year, "csww": [str(p) for p in returns], "hr": str(payroll),
                  "hr_map": str(hr_map), "output_dir": str(work / "out-profile")}
        imports, cells, text = profile_cells(params)
        lines += ["", f"Where the report's time goes (its notebook run in one process, CPU seconds): "
                      f"importing the library {imports:.2f} s, the cells {cells:.2f} s. "
                      "The swanalysis functions with the most cumulative CPU in the cells:", "", "```"]
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
