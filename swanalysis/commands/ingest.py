"""`swanalysis ingest --csww PATH... [--hr FILE --hr-map YAML] --out DIR`.

Writes DIR/episodes.csv, DIR/worker_years.csv, DIR/validation.csv (file, record, field, rule,
severity, message) and DIR/summary.json. Worker ids are keyed pseudonyms (see
swanalysis.workerdata.pseudonymise); no SWENo, name or birth date is written.

Exit codes: 0 when every file could be read (even with quarantined records); 2 when any file
could not be read — then only validation.csv is written, naming the unreadable files, and one
line per such file goes to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HELP = "read CSWW returns (+ payroll extract) into pseudonymised episodes and worker_years tables"


def add_arguments(parser):
    """Options of ``swanalysis ingest``."""
    parser.add_argument("--csww", nargs="+", required=True, metavar="PATH",
                        help="CSWW return files or folders (a folder gives its *.xml, *.csv, *.xlsx)")
    parser.add_argument("--hr", metavar="FILE", help="payroll/HR extract (CSV or XLSX)")
    parser.add_argument("--hr-map", metavar="YAML", help="column map for --hr (see params/hr_map_example.yaml)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    parser.add_argument("--xsd", metavar="FILE", help="take the code lists from this schema instead of the built-in 2022 lists")


def run(args) -> int:
    """Read, validate, pseudonymise and link the returns and write the tables; return the exit code."""
    from ..errors import one_line
    from ..safeio import atomic_files, csv_to, ensure_dir
    from ..workerdata.ingest import ingest

    result = ingest(args.csww, hr=args.hr, hr_map=args.hr_map, strict=False, xsd=args.xsd)
    out = ensure_dir(args.out)
    # every output is written to a temporary file and renamed into place only when all are
    # complete: a full disk leaves the previous outputs (or none), never a truncated file
    with atomic_files() as tmp:
        csv_to(result.validation, tmp(out / "validation.csv"))
        if not result.unreadable:
            csv_to(result.episodes, tmp(out / "episodes.csv"), date_format="%Y-%m-%d")
            csv_to(result.worker_years, tmp(out / "worker_years.csv"), date_format="%Y-%m-%d")
            tmp(out / "summary.json").write_text(
                json.dumps(result.summary, indent=2, default=str) + "\n", encoding="utf-8")
    if result.unreadable:
        for line in result.unreadable:
            print(f"swanalysis: error: {one_line(line)}", file=sys.stderr)
        return 2
    s = result.summary
    print(f"{s['records']} records from {s['files_read']} files ({s['records_quarantined']} quarantined): "
          f"{s['workers']} workers, {s['spells']} spells, {s['leavers']} leavers -> {one_line(out)}")
    return 0
