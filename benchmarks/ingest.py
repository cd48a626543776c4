"""Benchmark: `swanalysis validate` + `swanalysis ingest` beside liiatools on one large return,
and at national scale.

    .venv/bin/python benchmarks/ingest.py [--workdir DIR] [--single-scale 8.5] [--repeat 3]
                                          [--liiatools-python PATH] [--no-national] [--write-doc]

1. One large return, both tools, same run: a synthetic 2022 return for Camden at 8.5 x its
   published size (about 2,000 worker records; liiatools only knows its member authorities'
   three-letter codes and ships only the 2022 schema). Times `swanalysis validate FILE` +
   `swanalysis ingest --csww FILE --out OUT` (each a fresh process) ``--repeat`` times, before
   and after ONE run of the liiatools CSWW cleaner (Social Finance's `liiatools csww cleanfile`,
   version 0.2.0, which needs Python 3.9 with pandas 1.5.3 and numpy < 2 in its own virtual
   environment: `python3.9 -m venv /tmp/liia-venv && /tmp/liia-venv/bin/pip install
   liiatools==0.2.0 "pandas==1.5.3" "numpy<2"`), and prints the ratios of the seconds, wall and
   CPU (user + system of the process and its children): liiatools' cleanfile against ingest (the
   like-for-like command: read, check every record, write the cleaned records) and against
   validate + ingest together.
2. National scale (skipped with ``--no-national``): generates (or reuses) every local authority
   in the newest published release x census years 2019-2024 at 1.25 x their size (about 350,000
   worker records) and times `swanalysis validate DIR` and `swanalysis ingest` on all of it.

``--write-doc`` replaces the section between the ``ingest_liiatools`` markers of
docs/performance.md with the tables printed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
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

WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "dt = time.perf_counter() - t\n"
    "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.write(r.stderr.decode(errors='replace')[-2000:])\n"
    "print(dt, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, r.returncode)\n"
)


def timed(cmd, env=None, cwd=None):
    """Run ``cmd`` in a fresh process: (wall s, CPU s, peak RSS in MB, return code, stderr)."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, cmd)], capture_output=True,
                         text=True, env=env, cwd=cwd)
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError(f"timing wrapper failed: {out.stderr[-500:]}")
    wall, cpu, rss_kb, rc = out.stdout.split()
    return float(wall), float(cpu), int(rss_kb) / 1024, int(rc), out.stderr


def generate_national(folder: Path, years: str, n_max: int | None, data_dir, scale=1.0) -> dict:
    from swanalysis.published.panel import load_panel
    from swanalysis.synth import generate

    marker = folder / "generated.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("years") == years and info.get("n_max") == n_max and info.get("scale") == scale:
            print(f"reusing {info['files']} returns ({info['records']} worker records) in {folder}")
            return info
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "returns").mkdir(parents=True)
    panel = load_panel(data_dir)
    newest = panel[(panel["area_level"] == "la") & panel["is_latest"]]
    newest = newest[newest["time_period"] == newest["time_period"].max()]
    codes = sorted(newest["old_la_code"].unique())[:n_max]
    t0 = time.perf_counter()
    records = files = 0
    skipped = []
    for i, code in enumerate(codes):
        try:
            council = generate(code, years, seed=i, data_dir=data_dir, scale=scale,
                               retention_draws=1000)
        except Exception as exc:  # an authority that cannot be calibrated (no staff): skip it
            skipped.append(f"{code}: {exc}")
            continue
        tmp = folder / "tmp"
        council.write(tmp)
        for p in council.returns:
            p.rename(folder / "returns" / p.name)
        shutil.rmtree(tmp)
        records += council.truth["n_records"]
        files += len(council.returns)
        if (i + 1) % 25 == 0:
            print(f"  generated {i + 1}/{len(codes)} authorities ({records} records, "
                  f"{time.perf_counter() - t0:.0f} s)", flush=True)
    info = {"years": years, "n_max": n_max, "scale": scale, "authorities": len(codes) - len(skipped),
            "files": files, "records": records, "skipped": skipped,
            "generate_seconds": round(time.perf_counter() - t0, 1)}
    marker.write_text(json.dumps(info, indent=2))
    return info


def single_file(args, work: Path, env: dict, swan: list) -> list[str]:
    """Section 1: one large return through both tools; the lines of its table and notes."""
    from swanalysis.synth import generate

    single = work / "single"
    shutil.rmtree(single, ignore_errors=True)
    council = generate(args.baseline_la, "2022", seed=1, data_dir=args.data_dir, scale=args.single_scale,
                       retention_draws=1000, out_dir=single / "council")
    src = council.returns[0]
    n = council.truth["n_records"]
    liia_in = single / "liia" / "csww_2022.xml"  # liiatools reads the year from the file name
    liia_in.parent.mkdir(parents=True)
    shutil.copy(src, liia_in)
    print(f"one 2022 return of {council.la_name} at scale {args.single_scale}: {n:,} worker records, "
          f"{src.stat().st_size / 1e6:.1f} MB", flush=True)

    def ours():
        v = timed(swan + ["validate", src], env=env)
        out = single / "ours-out"
        shutil.rmtree(out, ignore_errors=True)
        i = timed(swan + ["ingest", "--csww", src, "--out", out], env=env)
        for name, r in (("validate", v), ("ingest", i)):
            if r[3] != 0:
                raise RuntimeError(f"swanalysis {name} exit {r[3]}: {r[4][-500:]}")
        print(f"  swanalysis validate + ingest: {v[0] + i[0]:6.2f} s wall, {v[1] + i[1]:5.2f} s CPU "
              f"(validate {v[0]:.2f} / {v[1]:.2f}, ingest {i[0]:.2f} / {i[1]:.2f}), "
              f"peak {max(v[2], i[2]):.0f} MB", flush=True)
        return v, i

    runs = [ours() for _ in range(args.repeat)]
    liia = Path(args.liiatools_python)
    base = None
    if liia.exists():
        (single / "liia" / "log").mkdir()
        (single / "liia" / "out").mkdir()
        base = timed([liia, "-m", "liiatools", "csww", "cleanfile", "--i", liia_in, "--la_code", args.baseline_code,
                      "--la_log_dir", single / "liia" / "log", "--o", single / "liia" / "out"], cwd=single / "liia")
        made = sorted(p.name for p in (single / "liia" / "out").iterdir())
        print(f"  liiatools csww cleanfile:     {base[0]:6.2f} s wall, {base[1]:5.2f} s CPU, peak {base[2]:.0f} MB, "
              f"exit {base[3]}, wrote {made}", flush=True)
        runs += [ours() for _ in range(args.repeat)]
    else:
        print(f"  liiatools: not run ({liia} not found; see this script's docstring)")
    wall = statistics.median(v[0] + i[0] for v, i in runs)
    cpu = statistics.median(v[1] + i[1] for v, i in runs)
    lines = ["", f"One return, both tools: a synthetic 2022 return for {council.la_name} at {args.single_scale} x its "
             f"published size, {n:,} worker records ({src.stat().st_size / 1e6:.1f} MB of XML). swanalysis "
             f"validate + ingest run {len(runs)} times ({args.repeat} before and {args.repeat} after liiatools); "
             "the median is shown.", "",
             "| tool | wall s | CPU s | peak MB |", "|---|---:|---:|---:|"]
    for label, k in (("swanalysis validate", 0), ("swanalysis ingest", 1)):
        lines.append(f"| {label} | {statistics.median(r[k][0] for r in runs):.2f} | "
                     f"{statistics.median(r[k][1] for r in runs):.2f} | {max(r[k][2] for r in runs):.0f} |")
    lines.append(f"| swanalysis validate + ingest | {wall:.2f} | {cpu:.2f} | |")
    if base is not None:
        lines.append(f"| liiatools 0.2.0 `csww cleanfile` (Python 3.9, pandas 1.5.3) | {base[0]:.2f} | {base[1]:.2f} | "
                     f"{base[2]:.0f} |")
        i_wall = statistics.median(i[0] for _, i in runs)
        i_cpu = statistics.median(i[1] for _, i in runs)
        lines += ["", f"- **Like for like, same file, same run: liiatools `cleanfile` takes {base[0] / i_wall:.0f} x the "
                  f"wall time and {base[1] / i_cpu:.0f} x the CPU time of `swanalysis ingest`** (goal: 100 x). "
                  "Both read the return, check every record against the schema's rules and write the cleaned "
                  "records with what was wrong; ingest also pseudonymises and links the records into spells.",
                  f"- With `swanalysis validate` run as well (a second pass over the same checks, printing the "
                  f"summary): liiatools takes {base[0] / wall:.0f} x the wall time and {base[1] / cpu:.0f} x the "
                  "CPU time of the two commands together."]
        print(f"  ratio liiatools / swanalysis ingest: {base[0] / i_wall:.1f}x wall, {base[1] / i_cpu:.1f}x CPU; "
              f"/ validate + ingest: {base[0] / wall:.1f}x wall, {base[1] / cpu:.1f}x CPU (same file, same run)")
    else:
        lines += ["", f"- liiatools not run ({liia} not found)."]
    return lines


def national(args, work: Path, env: dict, swan: list) -> list[str]:
    """Section 2: validate and ingest on the whole national input."""
    info = generate_national(work / "national", args.years, args.authorities, args.data_dir, args.scale)
    returns = work / "national" / "returns"
    size = sum(p.stat().st_size for p in returns.iterdir()) / 1e6
    print(f"input: {info['authorities']} authorities x scale {info['scale']}, {info['files']} returns, "
          f"{info['records']:,} worker records, {size:.0f} MB", flush=True)
    out = work / "ingest-out"
    shutil.rmtree(out, ignore_errors=True)
    lines = ["", f"National scale: {info['authorities']} authorities x 6 census years at {info['scale']} x their size, "
             f"{info['files']} returns, {info['records']:,} worker records, {size:.0f} MB of XML.", "",
             "| command | wall s | CPU s | records/s (wall) | peak MB (largest process) |", "|---|---:|---:|---:|---:|"]
    for name, cmd in (("validate", ["validate", returns]), ("ingest", ["ingest", "--csww", returns, "--out", out])):
        wall, cpu, mb, rc, err = timed(swan + cmd, env=env)
        print(f"swanalysis {name:9s} national: {wall:7.1f} s wall, {cpu:6.1f} s CPU, peak {mb:6.0f} MB, exit {rc}", flush=True)
        if rc:
            print(err)
        lines.append(f"| `swanalysis {name}` | {wall:.1f} | {cpu:.1f} | {info['records'] / wall:,.0f} | {mb:.0f} |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "swanalysis-bench-ingest"))
    ap.add_argument("--authorities", type=int, default=None, help="only the first N (testing)")
    ap.add_argument("--years", default="2019-2024")
    ap.add_argument("--scale", type=float, default=1.25,
                    help="size of each synthetic council relative to the published one; 1.25 gives "
                         "about 350,000 worker records (1.0: about 277,000)")
    ap.add_argument("--single-scale", type=float, default=8.5,
                    help="size of the one-file comparison's council (8.5: about 2,000 workers)")
    ap.add_argument("--repeat", type=int, default=3, help="swanalysis runs before and after liiatools")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--liiatools-python", default="/tmp/liia-venv/bin/python")
    ap.add_argument("--baseline-la", default="Camden", help="London authority known to liiatools")
    ap.add_argument("--baseline-code", default="CAM", help="its liiatools three-letter code")
    ap.add_argument("--no-national", action="store_true", help="only the one-file comparison")
    ap.add_argument("--write-doc", action="store_true", help="write the tables into docs/performance.md")
    args = ap.parse_args(argv)

    work = Path(args.workdir)
    env = dict(os.environ, SWANALYSIS_PSEUDO_KEY="benchmark-key-not-secret-0123456789", PYTHONPATH=str(REPO))
    swan = [sys.executable, "-m", "swanalysis"]
    started = _dt.datetime.now(_dt.timezone.utc)
    load0 = os.getloadavg()[0]
    lines = [f"Run of {started:%Y-%m-%d %H:%M} UTC, `benchmarks/ingest.py`; {platform.machine()}, "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}."]
    lines += single_file(args, work, env, swan)
    if not args.no_national:
        lines += national(args, work, env, swan)
    lines += ["", f"- Load average (1 min) {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on "
                 f"{os.cpu_count()} CPUs: wall seconds stretch with it, CPU seconds much less."]
    text = "\n".join(lines)
    print(text)
    if args.write_doc:
        write_section("ingest_liiatools", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
