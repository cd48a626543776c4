"""Benchmark: the report's forecast (fit, the scenarios' projection, "what would it take"),
a baseline revision's code and ours on the same inputs in one run, bit for bit.

    .venv/bin/python benchmarks/forecast_speed.py [--baseline REV] [--seeds 1,2,3] [--repeats 2]
                                                  [--workdir DIR] [--write-doc]

1. Captures what the report gives the forecast (``report.section_forecast.forecast_result`` run
   on a real report context, with ``forecast.fit``, ``project`` and ``what_it_takes`` recorded):
   the simulated Kent with its worker data (six returns and a payroll extract, generated as
   benchmarks/council.py does and reused from its folder), and three authorities from the
   published statistics only. The drivers and national models are kept as their coefficient
   tables (all the forecast reads of them).
2. Runs, in fresh processes and alternating baseline / ours, for each input and each seed: fit,
   project the report's scenarios, solve the report's "what would it take" and summarise; with
   the first seed, also what it would take by the retention lever to bring the same rate one
   point below the baseline (timed apart). CPU seconds of those calls only (the panel, imports
   and the all-authority spreads are loaded before the clock starts).
3. Checks that every output is identical: the forecast table (bits of every float), every draw
   of every measure and scenario (bits), the sentences and scenario table, and the what-it-takes
   answer, round trip and message. Prints the CPU seconds and the ratio baseline / ours.

The baseline (default 36bb105, main before issue 16's forecast work) is exported with
`git archive` and run by the same interpreter. ``--write-doc`` replaces the section between the
``forecast_speed`` markers of docs/performance.md with the table printed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import io
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from _doc import baseline_tree, write_section  # noqa: E402 - benchmarks/_doc.py

BASELINE = "36bb105"
PUBLISHED = ("Wokingham", "Birmingham", "Cornwall")
KEY = "benchmark-key-not-secret-0123456789"

# the child: run one implementation's forecast on the captured inputs, time it, keep its outputs
CHILD = r"""
import pickle, sys, time
import numpy as np
from swanalysis import forecast as F
from swanalysis.published.panel import shared_panel
cases, seeds = pickle.load(open(sys.argv[1], "rb")), [int(s) for s in sys.argv[3].split(",")]
pan = shared_panel(None)
out, cpu = {}, {}
for name, c in cases.items():
    fit_kw = dict(c["fit"], panel=pan)
    F.fit(**fit_kw)  # the all-authority spreads (memoised on the panel) before the clock starts
    cpu[name] = 0.0
    for i, seed in enumerate(seeds):
        t = time.process_time()
        model = F.fit(**dict(fit_kw, seed=seed))
        res = F.project(model, c["scenarios"], **c["project"])
        wits = [F.what_it_takes(model, *c["wit"])]
        tab = res.table()
        cpu[name] += time.process_time() - t
        if i == 0:  # the other lever, on the same model
            t = time.process_time()
            measure, _, year, _ = c["wit"]  # a target the retention lever can reach
            wits.append(F.what_it_takes(model, measure, res.value(measure, year) - 1.0, year, "retention"))
            cpu[name + ": what it takes by the retention lever, first seed"] = time.process_time() - t
        out[(name, seed)] = {
            "table": tab, "draws": res.draws, "sentences": res.sentences(),
            "scenario_table": res.scenario_table(),
            "wit": [(w.answer, w.baseline_value, w.achieved, w.message) for w in wits]}
# memory: the first seed's calls once more, under tracemalloc (not timed): the peak of
# the memory traced during them, and what is still held at the end (results and kept draws)
import tracemalloc
mem = {}
for name, c in cases.items():
    tracemalloc.start()
    model = F.fit(**dict(c["fit"], panel=pan, seed=seeds[0]))
    res = F.project(model, c["scenarios"], **c["project"])
    F.what_it_takes(model, *c["wit"])
    res.table()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mem[name] = (peak / 2 ** 20, held / 2 ** 20)
    del model, res
pickle.dump({"out": out, "cpu": cpu, "mem": mem}, open(sys.argv[2], "wb"))
"""


def council_inputs(work: Path):
    """The simulated Kent of benchmarks/council.py (generated there once, reused)."""
    from council import council

    return council(work, "Kent", "2019-2024", None)


def capture(params: dict) -> dict:
    """What the report gives forecast.fit / project / what_it_takes for these parameters."""
    from swanalysis import forecast as F
    from swanalysis.report import context, section_forecast

    got: dict = {}
    real = F.fit, F.project, F.what_it_takes

    def fit(la=None, **kw):
        got["fit"] = dict(kw, la=la)
        return real[0](la, **kw)

    def project(model, scenarios=(), **kw):
        got["scenarios"], got["project"] = list(scenarios), kw
        return real[1](model, scenarios, **kw)

    def what_it_takes(model, measure, target, year, lever="starters"):
        got["wit"] = (measure, target, year, lever)
        return real[2](model, measure, target, year, lever)

    F.fit, F.project, F.what_it_takes = fit, project, what_it_takes
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            rep = context.start(params)
            section_forecast.forecast_result(rep)
    finally:
        F.fit, F.project, F.what_it_takes = real
    kw = got["fit"]
    kw.pop("panel", None)
    d = kw.get("drivers")
    if d is not None:
        cox = getattr(d, "cox", None)
        kw["drivers"] = SimpleNamespace(ok=getattr(d, "ok", False), cox=None if cox is None else
                                        SimpleNamespace(summary=cox.summary[["coef", "se"]].copy()))
    n = kw.get("national")
    if n is not None:
        kw["national"] = SimpleNamespace(coefficients=n.coefficients[["coef", "se"]].copy())
    return got


def inputs(work: Path, refresh: bool) -> Path:
    path = work / "inputs.pkl"
    if path.exists() and not refresh:
        return path
    os.environ.setdefault("SWANALYSIS_PSEUDO_KEY", KEY)
    returns, payroll, hr_map = council_inputs(Path(tempfile.gettempdir()) / "swanalysis-bench-council")
    cases = {"Kent (worker data)": capture({
        "la": "Kent", "year": 2024, "csww": [str(p) for p in returns], "hr": str(payroll),
        "hr_map": str(hr_map), "output_dir": str(work / "scratch")})}
    for la in PUBLISHED:
        cases[f"{la} (published)"] = capture({"la": la, "output_dir": str(work / "scratch")})
    work.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(cases))
    return path


def run(tree: Path, cases: Path, seeds: str, out: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    subprocess.run([sys.executable, "-c", CHILD, str(cases), str(out), seeds], check=True, env=env,
                   cwd=str(out.parent))
    return pickle.loads(out.read_bytes())


def _bits(x) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(x, dtype=float)).view(np.int64)


def differences(a: dict, b: dict) -> list[str]:
    """Where two runs' outputs differ (empty: identical, floats compared bit for bit)."""
    bad = []
    for key in a:
        x, y = a[key], b.get(key)
        if y is None:
            bad.append(f"{key}: missing")
            continue
        tx, ty = x["table"], y["table"]
        if not (tx.equals(ty) and all(np.array_equal(_bits(tx[c]), _bits(ty[c]))
                                      for c in ("value", "lower", "upper"))):
            bad.append(f"{key}: forecast table")
        if x["draws"].keys() != y["draws"].keys() or any(
                x["draws"][s].keys() != y["draws"][s].keys()
                or not np.array_equal(_bits(x["draws"][s][m]), _bits(y["draws"][s][m]))
                for s in x["draws"] for m in x["draws"][s]):
            bad.append(f"{key}: draws")
        if x["sentences"] != y["sentences"] or not x["scenario_table"].equals(y["scenario_table"]):
            bad.append(f"{key}: sentences or scenario table")
        for wx, wy in zip(x["wit"], y["wit"]):
            if wx[3] != wy[3] or not np.array_equal(_bits(wx[:3]), _bits(wy[:3])):
                bad.append(f"{key}: what it takes")
        if len(x["wit"]) != len(y["wit"]):
            bad.append(f"{key}: what it takes (count)")
    return bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=BASELINE, metavar="REV")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "swanalysis-bench-forecast"))
    ap.add_argument("--refresh", action="store_true", help="capture the report's inputs afresh")
    ap.add_argument("--write-doc", action="store_true")
    args = ap.parse_args(argv)
    work = Path(args.workdir)
    started = _dt.datetime.now(_dt.timezone.utc)
    load0 = os.getloadavg()[0]
    cases = inputs(work, args.refresh)
    base = baseline_tree(args.baseline, work)
    label = subprocess.run(["git", "-C", str(REPO), "log", "-1", "--format=%h %s", args.baseline],
                           capture_output=True, text=True).stdout.strip()
    label = label if len(label) <= 80 else label[:79] + "…"
    impls = [("baseline", base), ("ours", REPO)]
    cpu: dict = {name: {} for name, _ in impls}
    mem: dict = {}
    outs: dict = {}
    for r in range(args.repeats):
        for name, tree in (impls if r % 2 == 0 else impls[::-1]):
            got = run(tree, cases, args.seeds, work / f"out-{name}.pkl")
            print(f"repeat {r + 1}, {name}: " + ", ".join(f"{k} {v:.2f} s" for k, v in got["cpu"].items()),
                  flush=True)
            for k, v in got["cpu"].items():
                cpu[name].setdefault(k, []).append(v)
            mem[name] = got["mem"]
            if name in outs and differences(outs[name], got["out"]):
                print(f"{name}: not the same outputs from one run to the next")
            outs[name] = got["out"]
    diff = differences(outs["baseline"], outs["ours"])
    load1 = os.getloadavg()[0]
    n_seeds = len(args.seeds.split(","))
    lines = [f"Run of {started:%Y-%m-%d %H:%M} UTC, `benchmarks/forecast_speed.py --seeds {args.seeds} "
             f"--repeats {args.repeats}`; baseline `{label}` (git archive, same interpreter); load "
             f"average (1 min) {load0:.1f} at the start, {load1:.1f} at the end on {os.cpu_count()} CPUs.",
             "",
             f"Each input's forecast as the report makes it, for {n_seeds} seeds: fit, project the "
             "report's six scenarios (1,000 simulations, 3 years), solve its what-it-takes (agency "
             "rate, starters lever), summarise (the forecast table); then, with the first seed, "
             "what it would take by the retention lever to bring that rate one point below the "
             "baseline (its own row). CPU seconds of those calls (smallest of the repeats), each "
             "implementation in its own process, alternating.", "",
             "| input | baseline CPU s | ours CPU s | baseline ÷ ours |", "|---|---:|---:|---:|"]
    for k in cpu["ours"]:
        b, o = min(cpu["baseline"][k]), min(cpu["ours"][k])
        if max(b, o) >= 0.01:  # (the published inputs' retention lever: a few ms each way)
            lines.append(f"| {k} | {b:.2f} | {o:.2f} | {b / o:.1f}× |")
    tb = sum(min(v) for v in cpu["baseline"].values())
    to = sum(min(v) for v in cpu["ours"].values())
    lines.append(f"| all of the above | {tb:.2f} | {to:.2f} | {tb / to:.1f}× |")
    lines += ["", "Memory of the same calls (first seed, run once more under tracemalloc): the peak of "
              "the memory traced while they ran, and what is still held at the end (the result, "
              "and the draws the model keeps for further projections, which the report releases).",
              "", "| input | baseline peak MB | ours peak MB | baseline held MB | ours held MB |",
              "|---|---:|---:|---:|---:|"]
    for k, (pb, hb) in mem["baseline"].items():
        po, ho = mem["ours"][k]
        lines.append(f"| {k} | {pb:.0f} | {po:.0f} | {hb:.0f} | {ho:.0f} |")
    lines += ["", ("Outputs: identical, bit for bit (forecast tables, every draw of every measure and "
                   "scenario, sentences, scenario tables, what-it-takes answers and messages), for "
                   f"every input and seed ({len(outs['ours'])} projections)." if not diff else
                   "Outputs: **not identical**: " + "; ".join(diff[:10]))]
    text = "\n".join(lines)
    print(text)
    if args.write_doc:
        write_section("forecast_speed", text)
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main())
