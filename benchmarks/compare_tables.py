"""Benchmark tables before and after a change, compared byte for byte.

Runs the same script twice in child processes, once importing swanalysis from a baseline
checkout (``--baseline``, e.g. a clone of the code before the reorganisation) and once from this
repository, and writes, for each authority and year, ``benchmark(...).table`` and ``.summary``
(and each rate's funnel points) as CSV. Then compares the two folders file by file.

    git clone -q /work/main /tmp/baseline && git -C /tmp/baseline checkout -q <commit>
    SWANALYSIS_DATA_DIR=../shared/data/csww .venv/bin/python benchmarks/compare_tables.py \\
        --baseline /tmp/baseline

The authorities cover a joint return (Kingston upon Thames / Richmond upon Thames, North / West
Northamptonshire) and boundary changes (Cumbria to Cumberland in 2023, Bournemouth and Poole to
BCP in 2019); an authority without figures for a year is recorded by its one-line error, which
must match too. Exit status 0 when every file is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

AUTHORITIES = [
    "Wokingham",
    "Kingston upon Thames",                       # joint return 314 / 318
    "North Northamptonshire",                     # joint return 940 / 941, created 2021
    "Cumberland",                                 # boundary change: from 2023
    "Cumbria",                                    # boundary change: to 2022
    "Bournemouth, Christchurch and Poole",        # boundary change: from 2019
    "Hackney",                                    # Inner London sub-region
]
YEARS = [2022, 2025]


def write_tables(out: Path) -> None:
    """(Child process) every authority × year's benchmark tables as CSV in ``out``."""
    import swanalysis
    from swanalysis.benchmark import benchmark
    from swanalysis.errors import UserError

    print(Path(swanalysis.__file__).resolve().parent)
    out.mkdir(parents=True, exist_ok=True)
    for year in YEARS:
        for la in AUTHORITIES:
            stem = f"{year}-{la.lower().replace(' ', '_').replace(',', '')}"
            try:
                res = benchmark(la, year)
            except UserError as exc:
                (out / f"{stem}-error.txt").write_text(str(exc) + "\n")
                continue
            res.table.to_csv(out / f"{stem}-table.csv", index=False, lineterminator="\n")
            res.summary.to_csv(out / f"{stem}-summary.csv", index=False, lineterminator="\n")
            for measure, points in sorted(res.funnels.items()):
                points.to_csv(out / f"{stem}-funnel-{measure}.csv", index=False,
                              lineterminator="\n")


def _run(source: Path, out: Path) -> Path:
    env = dict(os.environ, PYTHONPATH=str(source), SWANALYSIS_PANEL_CACHE="0")
    done = subprocess.run([sys.executable, __file__, "--write", str(out)], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{source}: {done.stderr.strip().splitlines()[-1]}")
    imported = Path(done.stdout.splitlines()[0])
    if imported != (source / "swanalysis").resolve():
        sys.exit(f"expected swanalysis from {source}, the child imported {imported}")
    return imported


def compare(old: Path, new: Path) -> tuple[list[str], list[str]]:
    """(identical files, differing or missing files with the first difference)."""
    names = sorted({p.name for p in old.iterdir()} | {p.name for p in new.iterdir()})
    same, diff = [], []
    for name in names:
        a, b = old / name, new / name
        if not a.exists() or not b.exists():
            diff.append(f"{name}: only in {'new' if b.exists() else 'baseline'}")
        elif filecmp.cmp(a, b, shallow=False):
            same.append(name)
        else:
            la, lb = a.read_text().splitlines(), b.read_text().splitlines()
            i = next((i for i, (x, y) in enumerate(zip(la, lb)) if x != y), min(len(la), len(lb)))
            diff.append(f"{name}: first difference at line {i + 1}")
    return same, diff


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", type=Path, help="checkout of the code before the change")
    ap.add_argument("--new", type=Path, default=REPO,
                    help="checkout of the code after the change (default: this repository)")
    ap.add_argument("--common-columns", action="store_true",
                    help="also compare each table on the columns both versions have (when a "
                         "later change added or renamed columns)")
    ap.add_argument("--out", type=Path, help="keep the CSVs here (default: a temporary folder)")
    ap.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.write:
        write_tables(args.write)
        return 0
    if args.baseline is None:
        ap.error("--baseline is required")
    with tempfile.TemporaryDirectory(prefix="compare-tables-") as tmp:
        root = args.out or Path(tmp)
        old, new = root / "baseline", root / "new"
        print(f"baseline: {_run(args.baseline.resolve(), old)}")
        print(f"new:      {_run(args.new.resolve(), new)}")
        same, diff = compare(old, new)
        kinds = {}
        for name in same:
            kind = name.rsplit("-", 1)[-1] if "-funnel-" not in name else "funnel"
            kinds[kind] = kinds.get(kind, 0) + 1
        print(f"{len(same)} of {len(same) + len(diff)} files byte-identical "
              f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}), "
              f"{len(AUTHORITIES)} authorities x {len(YEARS)} years")
        for line in diff:
            print(f"DIFFERENT {line}")
        if args.common_columns and diff:
            diff = common_columns(old, new, [line.split(":")[0] for line in diff])
    return 1 if diff else 0


def common_columns(old: Path, new: Path, names: list[str]) -> list[str]:
    """Re-compare differing CSVs on the columns both have, in the baseline's order."""
    import pandas as pd

    still = []
    for name in names:
        a, b = old / name, new / name
        if not (a.exists() and b.exists()) or not name.endswith(".csv"):
            still.append(name)
            continue
        x = pd.read_csv(a, dtype=str, keep_default_na=False)
        y = pd.read_csv(b, dtype=str, keep_default_na=False)
        cols = [c for c in x.columns if c in y.columns]
        gone = [c for c in x.columns if c not in y.columns]
        added = [c for c in y.columns if c not in x.columns]
        same = x[cols].to_csv(index=False) == y[cols].to_csv(index=False)
        print(f"{name}: {len(cols)} common columns {'identical' if same else 'DIFFER'}"
              f"; only in baseline {gone}; only in new {added}")
        if not same:
            bad = [c for c in cols if not x[c].equals(y[c])]
            print(f"    differing columns: {bad}")
            still.append(name)
    print(f"{len(names) - len(still)} of {len(names)} differing files identical on their common "
          "columns")
    return still


if __name__ == "__main__":
    sys.exit(main())
