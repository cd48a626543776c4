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
    from ..errors import UserError
    from ..workerdata.ingest import ingest

    result = ingest(args.csww, hr=args.hr, hr_map=args.hr_map, strict=False, xsd=args.xsd)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out}: cannot create the output folder ({exc.strerror})") from None
    result.validation.to_csv(out / "validation.csv", index=False)
    if result.unreadable:
        for line in result.unreadable:
            print(f"swanalysis: error: {line}", file=sys.stderr)
        return 2
    result.episodes.to_csv(out / "episodes.csv", index=False, date_format="%Y-%m-%d")
    result.worker_years.to_csv(out / "worker_years.csv", index=False, date_format="%Y-%m-%d")
    (out / "summary.json").write_text(json.dumps(result.summary, indent=2, default=str) + "\n", encoding="utf-8")
    s = result.summary
    print(f"{s['records']} records from {s['files_read']} files ({s['records_quarantined']} quarantined): "
          f"{s['workers']} workers, {s['spells']} spells, {s['leavers']} leavers -> {out}")
    return 0
