"""`swanalysis validate PATH...`: check CSWW returns record by record and summarise by rule.

Exit codes: 0 when every file could be read (warnings and quarantined records are reported, not
fatal); 2 when a file cannot be read at all (malformed XML, wrong root element, empty, not UTF-8,
CSV without the SWENo/AgencyWorker columns, a DTD) — one line per such file on stderr.
"""

from __future__ import annotations

import sys

HELP = "check CSWW census returns (XML/CSV/XLSX) and print a summary of problems by rule"


def add_arguments(parser):
    """Options of ``swanalysis validate``."""
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="CSWW return files or folders (a folder gives its *.xml, *.csv, *.xlsx)")
    parser.add_argument("--hr", metavar="FILE", help="payroll/HR extract to check the join with (CSV/XLSX)")
    parser.add_argument("--hr-map", metavar="YAML", help="column map for --hr (see params/hr_map_example.yaml)")
    parser.add_argument("--issues", metavar="CSV",
                        help="also write every issue (file, record, field, rule, severity, message) to this CSV")
    parser.add_argument("--xsd", metavar="FILE", help="take the code lists from this schema instead of the built-in 2022 lists")


def print_summary(result, out=None) -> None:
    """Print what was read and linked, and the issues counted by rule (counts only, no record
    values). ``result``: an IngestResult, or the PlainSummary of
    :func:`swanalysis.workerdata.plain.validate_summary`."""
    from ..errors import one_line

    out = out or sys.stdout
    if hasattr(result, "by_rule"):
        rows = result.by_rule
    else:
        from ..workerdata.validation import summary_by_rule

        rows = summary_by_rule(result.validation).itertuples(index=False)

    s = result.summary
    print(f"files read: {s['files_read']} of {s['files']}; records: {s['records']} "
          f"(accepted {s['records_accepted']}, quarantined {s['records_quarantined']})", file=out)
    if s["census_years"]:
        print(f"census years: {', '.join(map(str, s['census_years']))}; LAs: {', '.join(one_line(x) if x else 'unknown' for x in s['las'])}",
              file=out)
    print(f"workers: {s['workers']}; spells: {s['spells']}; leavers: {s['leavers']}; "
          f"agency spells: {s['agency_spells']}", file=out)
    if "hr" in s:
        h = s["hr"]
        print(f"payroll: {h['payroll_workers']} workers, {h['matched_workers']} matched; unmatched: "
              f"{h['unmatched_payroll_workers']} payroll, {h['unmatched_return_workers']} non-agency return workers",
              file=out)
    rows = list(rows)
    if not rows:
        print("no problems found", file=out)
        return
    print("", file=out)
    print(f"{'rule':<26} {'severity':<8} {'count':>7}  meaning", file=out)
    for rule, severity, count, description in rows:
        print(f"{rule:<26} {severity:<8} {count:>7}  {description}", file=out)


def run(args) -> int:
    """Validate the returns and print the summary; return the exit code (2 when a file cannot be read)."""
    from ..errors import one_line

    if args.issues:
        from pathlib import Path

        from ..errors import UserError

        if Path(args.issues).is_dir():
            raise UserError(f"--issues {one_line(args.issues)}: is a folder; give a file name such as issues.csv")
    result = None
    if not (args.hr or args.hr_map or args.issues):
        # counts only: in plain Python when every return is XML (no pandas to import)
        from ..workerdata.plain import validate_summary

        result = validate_summary(args.paths, xsd=args.xsd)
    if result is None:
        from ..workerdata.ingest import ingest

        result = ingest(args.paths, hr=args.hr, hr_map=args.hr_map, strict=False, xsd=args.xsd)
    print_summary(result)
    if args.issues:
        from ..safeio import write_csv

        write_csv(result.validation, args.issues)
    for line in result.unreadable:
        print(f"swanalysis: error: {one_line(line)}", file=sys.stderr)
    return 2 if result.unreadable else 0
