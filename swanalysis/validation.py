"""Record-level validation of CSWW census returns.

Every record read is either accepted or quarantined, and every problem is one
:class:`ValidationIssue` ``(file, record, field, rule, severity, message)``:

* ``file`` – the path as given; ``record`` – 1-based position of the CSWWWorker element in an
  XML file, or 1-based data row (after the header) in a CSV/XLSX file; 0 for the whole file;
* ``field`` – the XSD item name (``RoleStartDate``) or empty;
* ``rule`` – one of :data:`RULES`; ``severity`` – ``error`` (the record is quarantined: it is
  left out of ``episodes`` and ``worker_years``), ``warning`` (the record is kept; when the
  message says so the offending value is set to missing) or ``info``.

Messages never contain a worker identifier, a birth date or a name: they name the file, the
record number and the field, and quote a value only for coded or numeric items.

Checks are vectorised over all records of all returns at once (no per-row Python loop).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from . import codes as C

ISSUE_COLUMNS = ["file", "record", "field", "rule", "severity", "message"]

#: rule id -> (severity, what it checks)
RULES: dict[str, tuple[str, str]] = {
    "file_unreadable": ("error", "the file cannot be read at all (malformed, empty, wrong layout or encoding)"),
    "duplicate_return": ("error", "a second return for the same LA and census year; the later file is ignored"),
    "header_inferred": ("warning", "ReferenceDate or LEA missing from the Header; taken from the file name or year"),
    "unknown_item": ("warning", "an item not in the 2022 schema (kept, not interpreted)"),
    "missing_column": ("warning", "a CSV/XLSX return lacks a schema column other than SWENo/AgencyWorker"),
    "mandatory_missing": ("error", "SWENo or AgencyWorker missing (QualInst missing is a warning)"),
    "swe_pattern": ("error", "SWENo does not match [A-Za-z]{2}\\d{10}"),
    "code_invalid": ("warning", "value not in the schema's code list (set to missing; AgencyWorker: quarantined)"),
    "date_invalid": ("warning", "not a valid date (YYYY-MM-DD); set to missing"),
    "number_invalid": ("warning", "not a valid number; set to missing"),
    "decimal_places": ("warning", "more decimal places than the schema allows (value kept)"),
    "fte_range": ("warning", "FTE or FTE30 outside 0–1; set to missing"),
    "cases_negative": ("warning", "Cases30 below 0; set to missing"),
    "cases_high": ("warning", "Cases30 above 60 (value kept)"),
    "start_missing": ("error", "RoleStartDate missing for a non-agency worker"),
    "start_in_future": ("error", "RoleStartDate after the return's reference date"),
    "end_before_start": ("error", "RoleEndDate before RoleStartDate"),
    "end_after_reference": ("warning", "RoleEndDate after the return's reference date; treated as in post"),
    "end_before_year": ("warning", "RoleEndDate before the census year began (1 October of the previous year)"),
    "leaver_no_end_date": ("warning", "ReasonLeave or LeaverDestination given without RoleEndDate; treated as in post"),
    "leaver_no_reason": ("info", "RoleEndDate given without ReasonLeave"),
    "duplicate_worker": ("error", "the same worker with the same start date twice in one return; later copies quarantined"),
    "worker_twice_in_return": ("warning", "the same worker twice in one return with different start dates (kept; linked as one spell or two)"),
    "start_date_changed": ("warning", "a spell's RoleStartDate differs between returns; the earliest is kept"),
    "end_date_changed": ("warning", "a spell's RoleEndDate differs between returns or was withdrawn; the last return's is kept"),
    "spell_disappeared": ("warning", "a spell in post (no end date) is missing from a later return; censored at the last census it appeared in"),
    "gap_in_returns": ("info", "a spell is missing from a return between two it appears in"),
    "hr_unmatched_payroll": ("info", "a payroll row whose worker is in none of the returns"),
    "hr_unmatched_returns": ("info", "workers in the returns with no payroll row (count)"),
    "hr_id_invalid": ("warning", "payroll worker id missing or not SWENo-shaped; row ignored"),
    "hr_salary_invalid": ("warning", "payroll salary missing or not a number"),
    "hr_duplicate": ("warning", "the same worker twice in the payroll extract; the last row is kept"),
}

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class ValidationIssue:
    file: str
    record: int
    field: str
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def issue(file, record, field, rule, message, severity=None) -> ValidationIssue:
    """Build a ValidationIssue with the rule's default severity."""
    return ValidationIssue(str(file), int(record), field or "", rule, severity or RULES[rule][0], message)


def issues_frame(issues: Iterable[ValidationIssue] | pd.DataFrame | None = None) -> pd.DataFrame:
    """Issues as a DataFrame with columns file, record, field, rule, severity, message."""
    if issues is None:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "record" else object) for c in ISSUE_COLUMNS})
    if isinstance(issues, pd.DataFrame):
        return issues[ISSUE_COLUMNS].reset_index(drop=True)
    rows = [i.as_dict() for i in issues]
    if not rows:
        return issues_frame(None)
    return pd.DataFrame(rows, columns=ISSUE_COLUMNS)


def concat_issues(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return issues_frame(None)
    out = pd.concat(frames, ignore_index=True)[ISSUE_COLUMNS]
    out["record"] = out["record"].astype("int64")
    return out


def summary_by_rule(issues: pd.DataFrame) -> pd.DataFrame:
    """Counts of issues by rule and severity (rule order: errors first, then by count)."""
    if issues is None or issues.empty:
        return pd.DataFrame(columns=["rule", "severity", "count", "description"])
    out = issues.groupby(["rule", "severity"], sort=False).size().rename("count").reset_index()
    out["description"] = out["rule"].map(lambda r: RULES.get(r, ("", ""))[1])
    order = out["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    out = out.assign(_o=order).sort_values(["_o", "count"], ascending=[True, False]).drop(columns="_o")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# vectorised checks over the records frame produced by swanalysis.returns


class _Collector:
    def __init__(self, df: pd.DataFrame):
        self.df = df
        self.parts: list[pd.DataFrame] = []
        self.quarantine = pd.Series(False, index=df.index)

    def add(self, mask: pd.Series, field: str, rule: str, message, severity: str | None = None):
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        sev = severity or RULES[rule][0]
        part = self.df.loc[mask, ["file", "record"]].copy()
        part["field"] = field
        part["rule"] = rule
        part["severity"] = sev
        part["message"] = message[mask] if isinstance(message, pd.Series) else message
        self.parts.append(part)
        if sev == "error":
            self.quarantine |= mask

    def frame(self) -> pd.DataFrame:
        return concat_issues(self.parts)


def _where(prefix_mask: pd.Series, text: pd.Series) -> pd.Series:
    return text


def _loc(df: pd.DataFrame) -> pd.Series:
    """'record N' prefix used in every message (file is its own column)."""
    return "record " + df["record"].astype(str)


_DECIMAL_RE = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
_INTEGER_RE = r"^[+-]?\d+$"


def _fraction_digits(s: pd.Series) -> pd.Series:
    frac = s.str.extract(r"\.(\d*)$", expand=False).fillna("").str.rstrip("0")
    return frac.str.len()


def parse_dates(s: pd.Series) -> pd.Series:
    """xs:date (YYYY-MM-DD, optional time/zone suffix) or DD/MM/YYYY -> datetime64; invalid -> NaT."""
    s = s.astype("string").str.strip()
    iso = s.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:$|[T Zz+\-])", expand=False)
    out = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    rest = out.isna() & s.notna()
    if rest.any():
        uk = s.where(rest).str.extract(r"^(\d{1,2}/\d{1,2}/\d{4})$", expand=False)
        out = out.fillna(pd.to_datetime(uk, format="%d/%m/%Y", errors="coerce"))
    return out


def normalise_code(s: pd.Series) -> pd.Series:
    """Strip blanks and a spurious '.0' (codes that went through a spreadsheet)."""
    s = s.astype("string").str.strip()
    s = s.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return s.where(s != "", pd.NA)


def check_records(df: pd.DataFrame, code_lists: dict[str, dict[str, str]] | None = None):
    """Validate and type the records of one or more returns.

    ``df`` comes from :func:`swanalysis.returns.read_return` (string columns named as the XSD
    items, plus file, record, lea, census_year, reference_date, worker_id, swe_status,
    birth_date_status, age_band). Returns ``(typed, issues)``: ``typed`` is ``df`` with codes
    normalised, the typed columns ``agency, fte, fte30, cases30, working_days_lost, start_date,
    end_date``, and ``quarantined`` / ``quarantine_rule``; ``issues`` is a DataFrame of
    :data:`ISSUE_COLUMNS`.
    """
    code_lists = code_lists or C.codes_for_items()
    df = df.copy()
    col = _Collector(df)
    rec = _loc(df)
    ref = pd.to_datetime(df["reference_date"])

    # --- identifiers (the SWENo itself was dropped at read time; only its status is here)
    col.add(df["swe_status"] == "missing", "SWENo", "mandatory_missing", rec + ": SWENo is missing")
    col.add(df["swe_status"] == "invalid", "SWENo", "swe_pattern",
            rec + ": SWENo does not have the pattern two letters + ten digits (value not shown)")

    # --- codes
    for item, table in code_lists.items():
        if item not in df.columns:
            continue
        s = normalise_code(df[item])
        if item in C.MULTI_ITEMS:
            parts = s.dropna().str.split(C.MULTI_SEP).explode().str.strip()
            bad_parts = parts[~parts.isin(list(table))]
            bad = pd.Series(False, index=df.index)
            bad.loc[bad_parts.index.unique()] = True
            if bad.any():
                shown = bad_parts.groupby(level=0).agg(lambda v: ",".join(map(str, v)))
                msg = rec + f": {item} code(s) '" + shown.reindex(df.index).fillna("") + "' not in the schema's list; ignored"
                col.add(bad, item, "code_invalid", msg)
                s = s.where(~bad, pd.NA)
        else:
            bad = s.notna() & ~s.isin(list(table))
            if bad.any():
                sev = "error" if item == "AgencyWorker" else None
                tail = "; record quarantined" if item == "AgencyWorker" else "; set to missing"
                msg = rec + f": {item} code '" + s.fillna("").str.slice(0, 12) + "' not in the schema's list" + tail
                col.add(bad, item, "code_invalid", msg, severity=sev)
                s = s.where(~bad, pd.NA)
        df[item] = s

    col.add(df["AgencyWorker"].isna() & (df["swe_status"] != "missing") & ~col.quarantine,
            "AgencyWorker", "mandatory_missing", rec + ": AgencyWorker is missing; record quarantined")
    df["agency"] = df["AgencyWorker"].eq("1").fillna(False).astype(bool)
    col.add(df["QualInst"].isna() & ~df["agency"], "QualInst", "mandatory_missing",
            rec + ": QualInst is missing", severity="warning")

    # --- numbers
    def number(item, integer=False, max_dp=None):
        raw = df[item].astype("string").str.strip()
        raw = raw.where(raw != "", pd.NA)
        ok_pattern = raw.str.match(_INTEGER_RE if integer else _DECIMAL_RE)
        if integer:  # accept "12.0" from spreadsheets
            ok_pattern = ok_pattern | raw.str.match(r"^[+-]?\d+\.0*$")
        bad = raw.notna() & ~ok_pattern.fillna(False)
        col.add(bad, item, "number_invalid",
                rec + f": {item} '" + raw.fillna("").str.slice(0, 12) + "' is not a valid " + ("whole number" if integer else "number") + "; set to missing")
        val = pd.to_numeric(raw.where(~bad), errors="coerce").astype(float)
        if max_dp is not None:
            too_many = val.notna() & (_fraction_digits(raw.fillna("")) > max_dp)
            col.add(too_many, item, "decimal_places",
                    rec + f": {item} '" + raw.fillna("").str.slice(0, 16) + f"' has more than {max_dp} decimal places")
        return val

    for item, out in (("FTE", "fte"), ("FTE30", "fte30")):
        v = number(item, max_dp=6)
        bad = v.notna() & ((v < 0) | (v > 1))
        col.add(bad, item, "fte_range", rec + f": {item} " + v.astype(str) + " outside 0–1; set to missing")
        df[out] = v.where(~bad)
    v = number("Cases30", integer=True)
    neg = v.notna() & (v < 0)
    col.add(neg, "Cases30", "cases_negative", rec + ": Cases30 " + v.astype(str) + " below 0; set to missing")
    v = v.where(~neg)
    col.add(v > 60, "Cases30", "cases_high", rec + ": Cases30 " + v.fillna(0).astype(int).astype(str) + " above 60")
    df["cases30"] = v
    df["working_days_lost"] = number("WorkingDaysLost", max_dp=2)

    # --- dates
    for item, out in (("RoleStartDate", "start_date"), ("RoleEndDate", "end_date")):
        raw = df[item].astype("string").str.strip()
        raw = raw.where(raw != "", pd.NA)
        d = parse_dates(raw)
        col.add(raw.notna() & d.isna(), item, "date_invalid",
                rec + f": {item} '" + raw.fillna("").str.slice(0, 20) + "' is not a date (YYYY-MM-DD); set to missing")
        df[out] = d
    col.add(df["birth_date_status"] == "invalid", "PersonBirthDate", "date_invalid",
            rec + ": PersonBirthDate is not a date (value not shown); age band unknown")

    start, end = df["start_date"], df["end_date"]
    col.add(start.isna() & ~df["agency"], "RoleStartDate", "start_missing",
            rec + ": RoleStartDate missing for a non-agency worker; record quarantined")
    col.add(start > ref, "RoleStartDate", "start_in_future",
            rec + ": RoleStartDate " + start.dt.strftime("%Y-%m-%d").fillna("") + " is after the reference date "
            + ref.dt.strftime("%Y-%m-%d") + "; record quarantined")
    col.add(end < start, "RoleEndDate", "end_before_start",
            rec + ": RoleEndDate " + end.dt.strftime("%Y-%m-%d").fillna("") + " is before RoleStartDate "
            + start.dt.strftime("%Y-%m-%d").fillna("") + "; record quarantined")
    after = end > ref
    col.add(after, "RoleEndDate", "end_after_reference",
            rec + ": RoleEndDate " + end.dt.strftime("%Y-%m-%d").fillna("") + " is after the reference date "
            + ref.dt.strftime("%Y-%m-%d") + "; treated as in post (end date ignored)")
    df["end_date"] = end = end.where(~after)
    year_start = ref - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    col.add(end < year_start, "RoleEndDate", "end_before_year",
            rec + ": RoleEndDate " + end.dt.strftime("%Y-%m-%d").fillna("") + " is before the census year began ("
            + year_start.dt.strftime("%Y-%m-%d") + ")")
    leaver_items = df["ReasonLeave"].notna() | df["LeaverDestination"].notna()
    col.add(leaver_items & end.isna(), "RoleEndDate", "leaver_no_end_date",
            rec + ": ReasonLeave/LeaverDestination given but RoleEndDate missing; treated as in post")
    col.add(end.notna() & df["ReasonLeave"].isna() & ~df["agency"], "ReasonLeave", "leaver_no_reason",
            rec + ": RoleEndDate given without ReasonLeave")

    # --- duplicates within one return (among records not already quarantined)
    live = ~col.quarantine & df["worker_id"].notna()
    keyed = df.loc[live, ["file", "worker_id", "start_date"]]
    dup_exact = keyed.duplicated(["file", "worker_id", "start_date"], keep="first")
    dup_exact = dup_exact.reindex(df.index, fill_value=False)
    col.add(dup_exact, "SWENo", "duplicate_worker",
            rec + ": the same worker with the same RoleStartDate appears earlier in this return; record quarantined")
    live2 = live & ~dup_exact
    twice = df.loc[live2].duplicated(["file", "worker_id"], keep=False).reindex(df.index, fill_value=False)
    col.add(twice, "SWENo", "worker_twice_in_return",
            rec + ": the same worker appears more than once in this return with different RoleStartDates")

    issues = col.frame()
    df["quarantined"] = col.quarantine.values
    first_error = issues[issues["severity"] == "error"].drop_duplicates(["file", "record"])
    key = df["file"].astype(str) + "\x00" + df["record"].astype(str)
    rule_map = dict(zip(first_error["file"].astype(str) + "\x00" + first_error["record"].astype(str), first_error["rule"]))
    df["quarantine_rule"] = key.map(rule_map).where(df["quarantined"], None)
    return df, issues
