"""Benchmark: command start-up. `swanalysis --help` and `swanalysis validate` on one small return.

    .venv/bin/python benchmarks/startup.py [--runs 9] [--baseline 36bb105] [--write-doc]

Each command runs ``--runs`` times in a fresh process (the installed ``swanalysis`` script
beside this interpreter, else ``python -m swanalysis``), with this repository's code and with the
``--baseline`` commit's (``git archive`` of its swanalysis/ under the work folder, put first on
PYTHONPATH), interleaved with the floor (``python -c pass``) and ``python -c "import pandas"``.
It prints the median wall and CPU seconds (process and children), the baseline-to-ours ratio
of CPU, whether both printed the same, and the modules that take longest to import (``python
-X importtime``, cumulative, top level only). The small return is a synthetic one-year return
for Rutland (about 50 workers) written under /tmp. ``--write-doc`` replaces the ``startup``
section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import resource
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
from _doc import baseline_tree, write_section  # noqa: E402 - benchmarks/_doc.py
GOAL = 0.3


def run_once(cmd, env) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), res.stdout


def import_breakdown(cmd_args, env, top=8) -> list[tuple[str, float]]:
    """Top-level imports by cumulative time (``-X importtime``), in seconds."""
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "swanalysis", *cmd_args],
                         capture_output=True, text=True, env=env)
    rows = []
    for line in res.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cum, name = line[len("import time:"):].split("|")
        if name.startswith(" ") and not name.startswith("  "):  # imported by the program itself
            try:
                rows.append((name.strip(), int(cum) / 1e6))
            except ValueError:
                continue
    return sorted(rows, key=lambda r: -r[1])[:top]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "swanalysis-bench-startup"))
    ap.add_argument("--baseline", default="36bb105", help="commit to compare with (default: main before issue 16's start-up work)")
    ap.add_argument("--write-doc", action="store_true")
    args = ap.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=str(REPO), SWANALYSIS_PSEUDO_KEY="benchmark-key-not-secret-0123456789")

    work = Path(args.workdir)
    small = sorted((work / "council").glob("**/*.xml"))
    if not small:
        from swanalysis.synth import generate

        shutil.rmtree(work, ignore_errors=True)
        generate("Rutland", "2024", seed=1, retention_draws=1000, out_dir=work / "council")
        small = sorted((work / "council").glob("**/*.xml"))
    base = baseline_tree(args.baseline, work)
    base_env = dict(env, PYTHONPATH=str(base))
    script = Path(sys.executable).with_name("swanalysis")
    swan = [str(script)] if script.exists() else [sys.executable, "-m", "swanalysis"]
    floors = [
        ("python -c pass (interpreter floor)", [sys.executable, "-c", "pass"]),
        ("python -c 'import pandas'", [sys.executable, "-c", "import pandas"]),
    ]
    commands = [
        ("swanalysis --help", ["--help"]),
        ("swanalysis validate (one small return)", ["validate", str(small[0])]),
    ]
    started = _dt.datetime.now(_dt.timezone.utc)
    load0 = os.getloadavg()[0]
    results: dict = {}
    for _ in range(args.runs):  # interleaved, so load changes touch every case alike
        for label, cmd in floors:
            results.setdefault(label, []).append(run_once(cmd, env))
        for label, cmd_args in commands:
            results.setdefault(("base", label), []).append(run_once(swan + cmd_args, base_env))
            results.setdefault(("ours", label), []).append(run_once(swan + cmd_args, env))
    load1 = os.getloadavg()[0]

    def med(key, i):
        return statistics.median(r[i] for r in results[key])

    lines = [f"Run of {started:%Y-%m-%d %H:%M} UTC, `benchmarks/startup.py --runs {args.runs} --baseline {args.baseline}` "
             f"(command: `{' '.join(Path(c).name if i == 0 else c for i, c in enumerate(swan))}`, the baseline's "
             f"code first on PYTHONPATH for its runs); load average (1 min) {load0:.1f} at the start, {load1:.1f} "
             f"at the end on {os.cpu_count()} CPUs. Medians of {args.runs} fresh processes each, all cases interleaved.",
             "", "| command | median wall s | median CPU s |", "|---|---:|---:|"]
    lines += [f"| {label} | {med(label, 0):.3f} | {med(label, 1):.3f} |" for label, _ in floors]
    lines += ["", f"| command | {args.baseline} wall s | ours wall s | {args.baseline} CPU s | ours CPU s | "
              "CPU ratio | same output | goal (wall < 0.3 s) |", "|---|---:|---:|---:|---:|---:|---|---|"]
    for label, _ in commands:
        b, o = ("base", label), ("ours", label)
        same = {r[2] for r in results[b]} == {r[2] for r in results[o]} and len({r[2] for r in results[o]}) == 1
        wall = med(o, 0)
        lines.append(f"| {label} | {med(b, 0):.3f} | {wall:.3f} | {med(b, 1):.3f} | {med(o, 1):.3f} | "
                     f"{med(b, 1) / med(o, 1):.1f}x | {'yes' if same else 'NO'} | "
                     f"{'met' if wall < GOAL else 'not met'} |")
    for label, cmd_args in commands:
        lines += ["", f"Slowest top-level imports of `{label}` (ours; `-X importtime`, cumulative, one run):", ""]
        lines += [f"- `{name}` {secs:.3f} s" for name, secs in import_breakdown(cmd_args, env)]
    text = "\n".join(lines)
    print(text)
    if args.write_doc:
        write_section("startup", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
