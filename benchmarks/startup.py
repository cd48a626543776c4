"""Benchmark: command start-up. `swanalysis --help` and `swanalysis validate` on one small return.

    .venv/bin/python benchmarks/startup.py [--runs 9] [--write-doc]

Each command runs ``--runs`` times in a fresh process (the installed ``swanalysis`` script
beside this interpreter, else ``python -m swanalysis``); the median wall and CPU seconds are
printed beside the floor (``python -c pass``) and ``python -c "import pandas"``, followed by the
modules that take longest to import (``python -X importtime``, cumulative microseconds, top
level only). The small return is a synthetic one-year return for Rutland (about 50 workers)
written under /tmp. ``--write-doc`` replaces the ``startup`` section of docs/performance.md.
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
from _doc import write_section  # noqa: E402 - benchmarks/_doc.py
GOAL = 0.3


def run_once(cmd, env) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
    script = Path(sys.executable).with_name("swanalysis")
    swan = [str(script)] if script.exists() else [sys.executable, "-m", "swanalysis"]
    cases = [
        ("python -c pass (interpreter floor)", [sys.executable, "-c", "pass"], None),
        ("python -c 'import pandas'", [sys.executable, "-c", "import pandas"], None),
        ("swanalysis --help", swan + ["--help"], ["--help"]),
        ("swanalysis validate (one small return)", swan + ["validate", str(small[0])], ["validate", str(small[0])]),
    ]
    started = _dt.datetime.now(_dt.timezone.utc)
    load0 = os.getloadavg()[0]
    results = {}
    for _ in range(args.runs):  # interleaved, so load changes touch every case alike
        for label, cmd, _ in cases:
            results.setdefault(label, []).append(run_once(cmd, env))
    load1 = os.getloadavg()[0]
    lines = [f"Run of {started:%Y-%m-%d %H:%M} UTC, `benchmarks/startup.py --runs {args.runs}` "
             f"(command: `{' '.join(Path(c).name if i == 0 else c for i, c in enumerate(swan))}`); "
             f"load average (1 min) {load0:.1f} at the start, {load1:.1f} at the end on {os.cpu_count()} CPUs.",
             "", "| command | median wall s | median CPU s | goal |", "|---|---:|---:|---|"]
    for label, cmd, _ in cases:
        wall = statistics.median(r[0] for r in results[label])
        cpu = statistics.median(r[1] for r in results[label])
        goal = "" if label.startswith("python") else ("met" if wall < GOAL else f"not met (< {GOAL} s)")
        lines.append(f"| {label} | {wall:.3f} | {cpu:.3f} | {goal} |")
    for label, _, imp in cases:
        if imp is None:
            continue
        lines += ["", f"Slowest top-level imports of `{label}` (`-X importtime`, cumulative, one run):", ""]
        lines += [f"- `{name}` {secs:.3f} s" for name, secs in import_breakdown(imp, env)]
    text = "\n".join(lines)
    print(text)
    if args.write_doc:
        write_section("startup", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
