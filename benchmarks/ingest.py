"""Benchmark: `swanalysis validate` + `swanalysis ingest` at national scale, beside liiatools.

    .venv/bin/python benchmarks/ingest.py [--workdir DIR] [--authorities N] [--years 2019-2024]
                                          [--liiatools-python PATH]

1. Generates a national-scale input with the synthetic-council generator: every local authority
   in the newest published release (about 150), census years 2019-2024, one XSD-valid CSWW return
   per authority and year, all in one folder (reused when it is already there).
2. Times `swanalysis validate DIR` and `swanalysis ingest --csww DIR --out OUT` each in a fresh
   process: wall-clock seconds and peak resident memory (ru_maxrss of that process).
3. In the same run, times ONE return through the liiatools CSWW cleaner (Social Finance's
   `liiatools csww cleanfile`; it needs its own virtual environment with older pandas, e.g.
   `python3.9 -m venv /tmp/liia-venv && /tmp/liia-venv/bin/pip install liiatools==0.2.0 "numpy<2"`)
   and the same file through `swanalysis validate` + `swanalysis ingest`, and prints the ratio.
   liiatools only knows its own authorities' three-letter codes and ships only the 2022 schema,
   so the baseline file is a 2022 return of a London authority it knows.

Nothing is timed inside the test suite; results go to docs/performance.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "dt = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.write(r.stderr.decode(errors='replace')[-2000:])\n"
    "print(dt, rss, r.returncode)\n"
)


def timed(cmd, env=None, cwd=None):
    """Run ``cmd`` in a fresh process: (seconds, peak RSS in MB, return code)."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *map(str, cmd)], capture_output=True,
                         text=True, env=env, cwd=cwd)
    if out.returncode != 0 or not out.stdout.strip():
        raise RuntimeError(f"timing wrapper failed: {out.stderr[-500:]}")
    secs, rss_kb, rc = out.stdout.split()
    return float(secs), int(rss_kb) / 1024, int(rc), out.stderr


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(),
                                                      "swanalysis-bench-ingest"))
    ap.add_argument("--authorities", type=int, default=None, help="only the first N (testing)")
    ap.add_argument("--years", default="2019-2024")
    ap.add_argument("--scale", type=float, default=1.25,
                    help="size of each synthetic council relative to the published one; 1.25 gives "
                         "about 350,000 worker records (1.0: about 277,000)")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--liiatools-python", default="/tmp/liia-venv/bin/python")
    ap.add_argument("--baseline-la", default="Camden", help="London authority known to liiatools")
    ap.add_argument("--baseline-code", default="CAM", help="its liiatools three-letter code")
    args = ap.parse_args(argv)

    work = Path(args.workdir)
    env = dict(os.environ, SWANALYSIS_PSEUDO_KEY="benchmark-key-not-secret-0123456789",
               PYTHONPATH=str(REPO))
    swan = [sys.executable, "-m", "swanalysis"]
    info = generate_national(work / "national", args.years, args.authorities, args.data_dir,
                             args.scale)
    returns = work / "national" / "returns"
    print(f"input: {info['authorities']} authorities x scale {info['scale']}, {info['files']} returns, "
          f"{info['records']:,} worker records, {sum(p.stat().st_size for p in returns.iterdir()) / 1e6:.0f} MB")

    results = {}
    out = work / "ingest-out"
    shutil.rmtree(out, ignore_errors=True)
    results["validate"] = timed(swan + ["validate", returns], env=env)
    results["ingest"] = timed(swan + ["ingest", "--csww", returns, "--out", out], env=env)
    for k in ("validate", "ingest"):
        s, mb, rc, err = results[k]
        print(f"swanalysis {k:9s} national: {s:7.1f} s  peak {mb:6.0f} MB  exit {rc}  "
              f"({info['records'] / s:,.0f} records/s)")
        if rc not in (0,):
            print(err)

    # ---- one file, both tools --------------------------------------------------------------
    from swanalysis.synth import generate

    single = work / "single"
    shutil.rmtree(single, ignore_errors=True)
    council = generate(args.baseline_la, "2022", seed=1, data_dir=args.data_dir,
                       retention_draws=1000, out_dir=single / "council")
    src = council.returns[0]
    n_single = council.truth["n_records"]
    liia_in = single / "liia" / "csww_2022.xml"     # liiatools reads the year from the file name
    liia_in.parent.mkdir(parents=True)
    shutil.copy(src, liia_in)
    ours_v = timed(swan + ["validate", src], env=env)
    ours_i = timed(swan + ["ingest", "--csww", src, "--out", single / "ours-out"], env=env)
    ours_s = ours_v[0] + ours_i[0]
    print(f"\none 2022 return of {council.la_name} ({n_single} worker records):")
    print(f"  swanalysis validate + ingest: {ours_s:6.2f} s (validate {ours_v[0]:.2f} s, "
          f"ingest {ours_i[0]:.2f} s), peak {max(ours_v[1], ours_i[1]):.0f} MB")
    liia = Path(args.liiatools_python)
    if not liia.exists():
        print(f"  liiatools: not run ({liia} not found; see this script's docstring)")
        return 0
    (single / "liia" / "log").mkdir()
    (single / "liia" / "out").mkdir()
    base = timed([liia, "-m", "liiatools", "csww", "cleanfile", "--i", liia_in,
                  "--la_code", args.baseline_code, "--la_log_dir", single / "liia" / "log",
                  "--o", single / "liia" / "out"], cwd=single / "liia")
    made = sorted(p.name for p in (single / "liia" / "out").iterdir())
    print(f"  liiatools csww cleanfile:     {base[0]:6.2f} s, peak {base[1]:.0f} MB, exit {base[2]}, "
          f"wrote {made}")
    print(f"  ratio liiatools / swanalysis: {base[0] / ours_s:.1f}x (same file, same run)")
    per_rec = base[0] / n_single
    national = results["validate"][0] + results["ingest"][0]
    print(f"  liiatools at its one-file rate for the national input (extrapolated, not run): "
          f"{per_rec * info['records'] / 60:.0f} min vs swanalysis {national / 60:.1f} min measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
