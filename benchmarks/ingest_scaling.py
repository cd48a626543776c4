"""Benchmark: is `swanalysis ingest` linear in its input? 1/8, 1/4, 1/2 and all of England.

    .venv/bin/python benchmarks/ingest_scaling.py [--workdir DIR] [--baseline REV] [--write-doc]

1. Reuses (or generates, as benchmarks/ingest.py does) the national input: every local authority
   x census years 2019-2024, scale 1.25, about 350,000 worker records, under /tmp.
2. Takes 1/8, 1/4, 1/2 and all of the authorities (every 8th, 4th, 2nd authority in code order,
   all six returns of each) as folders of symbolic links.
3. Times `swanalysis ingest --csww DIR --out OUT` on each, in a fresh process run from the work
   folder: wall seconds, CPU seconds (user + system of that process and its reading processes),
   peak resident memory (of the largest process, and of all of them together sampled every 20
   ms), and the records per second; ours as it runs and ours with one reading process
   (SWANALYSIS_READ_PROCESSES=1). With ``--baseline REV`` the same command of that git revision
   (exported with `git archive`) runs on the same folders in the same run, alternating with
   ours, and the outputs are compared with the baseline's byte for byte.
4. Profiles ours at 1/8 and 1/2 in a child process: CPU seconds by step (reading the XML,
   pseudonymising and compacting, validation, linking, writing the CSVs) and the functions with
   the most CPU (cProfile timed by process CPU, so other jobs on the machine do not count).

``--write-doc`` replaces the section between the ``ingest_scaling`` markers of
docs/performance.md with the tables printed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import filecmp
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from _doc import baseline_tree, write_section  # noqa: E402 - benchmarks/_doc.py

FRACTIONS = ((1, 8), (1, 4), (1, 2), (1, 1))

WRAPPER = (
    "import os, resource, subprocess, sys, time\n"
    "def tree_rss(pid):\n"
    "    # resident KB of pid and its descendants (pages shared after fork count in each: an upper bound)\n"
    "    total, todo = 0, [pid]\n"
    "    while todo:\n"
    "        p = todo.pop()\n"
    "        try:\n"
    "            with open(f'/proc/{p}/status') as fh:\n"
    "                total += next(int(l.split()[1]) for l in fh if l.startswith('VmRSS:'))\n"
    "            with open(f'/proc/{p}/task/{p}/children') as fh:\n"
    "                todo += [int(c) for c in fh.read().split()]\n"
    "        except (OSError, StopIteration, ValueError):\n"
    "            pass\n"
    "    return total\n"
    "t = time.perf_counter()\n"
    "r = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
    "peak = 0\n"
    "while r.poll() is None:\n"
    "    peak = max(peak, tree_rss(r.pid))\n"
    "    time.sleep(0.02)\n"
    "out, err = r.communicate()\n"
    "dt = time.perf_counter() - t\n"
    "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.write(err.decode(errors='replace')[-2000:])\n"
    "sys.stderr.write(out.decode(errors='replace')[-500:])\n"
    "print(dt, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, r.returncode, peak)\n"
)

# a child process that runs the ingest command with CPU seconds counted per step
PHASES = r"""
import cProfile, io, pstats, sys, time, argparse
import swanalysis.workerdata.ingest as I
import swanalysis.safeio as S
from swanalysis.commands import ingest as cmd
acc = {}
def wrap(mod, name, label):
    f = getattr(mod, name)
    def g(*a, **k):
        c = time.process_time()
        try:
            return f(*a, **k)
        finally:
            acc[label] = acc.get(label, 0.0) + time.process_time() - c
    setattr(mod, name, g)
import resource
def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime
read_returns = I._read_returns
def read_step(*a, **k):
    c, cc = time.process_time(), children_cpu()
    try:
        return read_returns(*a, **k)
    finally:
        acc["read_main"] = time.process_time() - c
        acc["read_children"] = children_cpu() - cc
I._read_returns = read_step
steps = [("read_main", "read, pseudonymise, one frame: this process (parse, finish; or take the reading processes' records)"),
         ("read_children", "read, pseudonymise: the reading processes (CPU, not counted in the total)"),
         ("check_records", "validate and type the records"),
         ("link", "link into spells and worker-years"),
         ("csv_to", "write the CSVs (neutralised)")]
for name, _ in steps:
    if not name.startswith("read_"):
        wrap(S if name == "csv_to" else I, name, name)
args = argparse.Namespace(csww=[sys.argv[1]], hr=None, hr_map=None, out=sys.argv[2], xsd=None)
t = time.process_time()
cmd.run(args)
total = time.process_time() - t
# the functions: a second run under cProfile, read in this one process (a profiler does not
# follow forked processes)
I.READ_PROCESSES = 1
saved = dict(acc)
prof = cProfile.Profile(time.process_time)
prof.enable()
cmd.run(args)
prof.disable()
acc.clear()
acc.update(saved)
for name, what in steps:
    print(f"STEP\t{name}\t{what}\t{acc.get(name, 0.0):.2f}")
print(f"STEP\tother\tconcatenating, counting, summary\t{total - sum(v for k, v in acc.items() if k != 'read_children'):.2f}")
print(f"STEP\ttotal\tthis process\t{total:.2f}")
out = io.StringIO()
pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
print("PROFILE")
print(out.getvalue())
"""


def timed(cmd, env, cwd):
    """Run ``cmd`` in a fresh process: (wall s, CPU s, peak RSS MB, exit code, output tail, peak
    MB of the process and its children together (sampled every 20 ms)).

    CPU seconds are those of the process and every process it started (user + system); the
    peak RSS is the largest one process reached (``ru_maxrss``)."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, cmd)], capture_output=True,
                         text=True, env=env, cwd=cwd)
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError(f"timing wrapper failed: {out.stderr[-500:]}")
    wall, cpu, rss_kb, rc, tree_kb = out.stdout.split()
    return float(wall), float(cpu), int(rss_kb) / 1024, int(rc), out.stderr, int(tree_kb) / 1024


def subsets(returns: Path, root: Path) -> list[tuple[str, Path, int]]:
    """Folders of links: every k-th authority (all its returns) for each fraction 1/k."""
    by_lea: dict[str, list[Path]] = {}
    for p in sorted(returns.iterdir()):
        by_lea.setdefault(p.stem.rsplit("_", 1)[-1], []).append(p)
    leas = sorted(by_lea)
    out = []
    for num, den in FRACTIONS:
        label = "all" if num == den else f"{num}/{den}"
        folder = root / f"part-{num}-{den}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        chosen = leas[::den]
        for lea in chosen:
            for p in by_lea[lea]:
                (folder / p.name).symlink_to(p)
        out.append((label, folder, len(chosen)))
    return out


def same_outputs(a: Path, b: Path) -> str:
    names = ("episodes.csv", "worker_years.csv", "validation.csv", "summary.json")
    diff = [n for n in names if not filecmp.cmp(a / n, b / n, shallow=False)]
    return "identical" if not diff else "DIFFER: " + ", ".join(diff)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "swanalysis-bench-ingest"))
    ap.add_argument("--years", default="2019-2024")
    ap.add_argument("--scale", type=float, default=1.25)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--baseline", metavar="REV", help="also time this git revision's ingest, same folders")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--write-doc", action="store_true", help="write the tables into docs/performance.md")
    args = ap.parse_args(argv)

    from ingest import generate_national  # benchmarks/ingest.py

    work = Path(args.workdir)
    info = generate_national(work / "national", args.years, None, args.data_dir, args.scale)
    parts = subsets(work / "national" / "returns", work / "scaling")
    env = dict(os.environ, SWANALYSIS_PSEUDO_KEY="benchmark-key-not-secret-0123456789",
               PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    # (label, package tree, extra environment): ours as it runs, and ours reading in one process
    # (the effect of the two reading processes, in the same run)
    impls = [("ours", REPO, {}), ("ours, 1 reading process", REPO, {"SWANALYSIS_READ_PROCESSES": "1"})]
    if args.baseline:
        base = baseline_tree(args.baseline, work)
        label = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%h %s", args.baseline],
                               capture_output=True, text=True).stdout.strip()[:70]
        impls.insert(0, (f"baseline {args.baseline}", base, {}))
    # each command runs in the work folder: `python -m` puts the current folder first on the
    # path, so run from the repository it would import our package whatever PYTHONPATH says
    for name, tree, _ in impls:
        where = subprocess.run([sys.executable, "-c", "import swanalysis; print(swanalysis.__file__)"],
                               capture_output=True, text=True, env=dict(env, PYTHONPATH=str(tree)), cwd=work,
                               check=True).stdout.strip()
        if not Path(where).resolve().is_relative_to(Path(tree).resolve()):
            raise SystemExit(f"{name} would import {where}, not the package in {tree}")
    started = _dt.datetime.now(_dt.timezone.utc)
    load0 = os.getloadavg()[0]
    lines = [f"Run of {started:%Y-%m-%d %H:%M} UTC, `benchmarks/ingest_scaling.py"
             + (f" --baseline {args.baseline}" if args.baseline else "") + "`; "
             f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
             f"input: {info['authorities']} authorities x scale {info['scale']}, {info['files']} returns, "
             f"{info['records']:,} worker records."]
    if args.baseline:
        lines.append(f"Baseline: `{label}`, exported with `git archive` and run by the same interpreter.")
    lines += ["", "| part | authorities | records | code | wall s | CPU s | records/s (wall) | "
              "records/s (CPU) | peak MB | peak MB, all processes | outputs |",
              "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    rates: dict[str, list[float]] = {}
    for label_p, folder, n_la in parts:
        outs = {}
        for k, (name, tree, extra) in enumerate(impls):
            e = dict(env, PYTHONPATH=str(tree), **extra)
            out = work / "scaling-out" / f"{k}-{folder.name}"
            shutil.rmtree(out, ignore_errors=True)
            wall, cpu, mb, rc, tail, tree_mb = timed([sys.executable, "-m", "swanalysis", "ingest", "--csww", folder,
                                                      "--out", out], e, work)
            records = int(tail.strip().splitlines()[-1].split()[0]) if rc == 0 else 0
            outs[name] = out
            cmp = same_outputs(outs[impls[0][0]], out) if len(outs) > 1 and rc == 0 else ""
            rates.setdefault(name, []).append(records / cpu if cpu else 0)
            row = (f"| {label_p} | {n_la} | {records:,} | {name} | {wall:.1f} | {cpu:.1f} | "
                   f"{records / wall:,.0f} | {records / cpu:,.0f} | {mb:.0f} | {tree_mb:.0f} | {cmp} |")
            print(row if rc == 0 else row + f" exit {rc}: {tail[-300:]}", flush=True)
            lines.append(row)
    load1 = os.getloadavg()[0]
    lines.append("")
    for name, r in rates.items():
        lines.append(f"- {name}: CPU rate on all of it ÷ rate on 1/8 = {r[-1] / r[0]:.2f} "
                     "(1.00 = linear; below 1 = cost grows faster than the input)")
    lines.append(f"- Load average (1 min) {load0:.1f} at the start, {load1:.1f} at the end, on "
                 f"{os.cpu_count()} CPUs: wall seconds stretch with it, CPU seconds much less.")

    if not args.no_profile:
        for label_p, folder, _ in parts:
            if label_p not in ("1/8", "1/2"):
                continue
            out = work / "scaling-out" / f"profile-{folder.name}"
            shutil.rmtree(out, ignore_errors=True)
            res = subprocess.run([sys.executable, "-c", PHASES, str(folder), str(out)], capture_output=True,
                                 text=True, env=env, cwd=work)
            if res.returncode:
                print(res.stderr[-1000:])
                continue
            steps = [ln.split("\t") for ln in res.stdout.splitlines() if ln.startswith("STEP\t")]
            lines += ["", f"CPU seconds by step, ours, {label_p} (imports excluded):", "",
                      "| step | what | CPU s |", "|---|---|---:|"]
            lines += [f"| {s[1]} | {s[2]} | {s[3]} |" for s in steps]
            prof = res.stdout.split("PROFILE", 1)[1]
            keep = [ln.rstrip() for ln in prof.splitlines() if ln.strip()
                    and not ln.lstrip().startswith(("Ordered by", "List reduced"))]
            lines += ["", f"Functions with the most CPU of their own (cProfile, process CPU; a second run, "
                      f"reading in one process), {label_p}:",
                      "", "```", *keep[1:], "```"]
    text = "\n".join(lines)
    print(text)
    if args.write_doc:
        write_section("ingest_scaling", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
