"""Record-level validation of CSWW census returns.

Every record read is either accepted or quarantined, and every problem is one
:class:`ValidationIssue` ``(file, record, field, rule, severity, message)``:

* ``file`` – the path as given; ``record`` – 1-based position of the CSWWWorker element in an
  XML file, or 1-based data row (after the header) in a CSV/XLSX file; 0 for the whole file;
* ``field`` – the XSD item name (``RoleStartDate``) or empty;
* ``rule`` – one of :data:`RULES`; ``severity`` – ``error`` (the record is quarantined: it is
  left out of ``episodes`` and ``worker_years``), ``warning`` (the record is kept; when the
  message says so the offending value is set to missing) or ``info``.

Messages never quote a value from a worker's record (a shifted CSV row can put a birth date,
a name or an identifier into any field): they name the file, the record number, the field and
the rule. Return-level facts (the reference date, the LEA) may be quoted.

Checks are vectorised over all records of all returns at once (no per-row Python loop).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from . import codes as C
from .pseudonymise import MAX_AGE, MIN_AGE  # noqa: F401 - age limits, documented with the rest

ISSUE_COLUMNS = ["file", "record", "field", "rule", "severity", "message"]

#: rule id -> (severity, what it checks)
RULES: dict[str, tuple[str, str]] = {
    "file_unreadable": ("error", "the file cannot be read at all (malformed, empty, wrong layout or encoding)"),
    "duplicate_return": ("error", "a second return for the same LA and census year; the later file is ignored"),
    "header_inferred": ("warning", "ReferenceDate or LEA missing from the Header; taken from the file name or year"),
    "reference_date_moved": ("warning", "Header ReferenceDate not 30 September; the census date 30 September (of Year, else the nearest) used"),
    "lea_invalid": ("warning", "Header LEA is not a three-digit LA number (kept as given)"),
    "not_a_return": ("info", "a CSV/XLSX file in a returns folder without SWENo/AgencyWorker columns (a payroll extract): left alone"),
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
    "cases_implausible": ("warning", "Cases30 above 150; set to missing"),
    "days_lost_range": ("warning", "WorkingDaysLost below 0 or above 260 (the working days in a year); set to missing"),
    "birth_date_implausible": ("warning", "PersonBirthDate gives an age under 16 or over 90 at the reference date (or is after it); age band unknown"),
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
    "spell_disappeared": ("warning", "a spell in post (no end date) is missing from a later return; censored at the last census it appeared in (info for agency spells)"),
    "gap_in_returns": ("info", "a spell is missing from a return between two it appears in"),
    "hr_unmatched_payroll": ("info", "a payroll row whose worker is in none of the returns"),
    "hr_unmatched_returns": ("info", "workers in the returns with no payroll row (count)"),
    "hr_id_invalid": ("warning", "payroll worker id missing or not SWENo-shaped; row ignored"),
    "hr_salary_invalid": ("warning", "payroll salary missing or not a number"),
    "hr_salary_range": ("warning", "payroll salary per FTE below £10,000 or above £200,000; set to missing"),
    "hr_duplicate": ("warning", "the same worker twice in the payroll extract; the last row is kept"),
}

SEVERITIES = ("error", "warning", "info")

#: plausibility limits (docs/worker-data.md, "What is refused, warned and quarantined")
CASES_HIGH = 60            # warning, value kept
CASES_IMPLAUSIBLE = 150    # warning, set to missing
DAYS_LOST_MAX = 260        # working days in a year (52 weeks x 5 days)
SALARY_MIN, SALARY_MAX = 10_000, 200_000  # £ per FTE a year (payroll extract)



@dataclass(frozen=True)
class ValidationIssue:
    file: str
    record: int
    field: str
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict:
        """The issue as a dict of ``ISSUE_COLUMNS``."""
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
    return concat_issues([pd.DataFrame(rows, columns=ISSUE_COLUMNS)])


def concat_issues(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Issue tables as one (``ISSUE_COLUMNS``), identifiers masked in the messages."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return issues_frame(None)
    out = pd.concat(frames, ignore_index=True)[ISSUE_COLUMNS]
    out["record"] = out["record"].astype("int64")
    out["message"] = mask_identifiers(out["message"])
    return out


_IDENTIFIER_RE = C.SWENO_PATTERN


def mask_identifiers(messages: pd.Series) -> pd.Series:
    """Replace anything SWENo-shaped by '[identifier]' (a shifted CSV column can put a SWENo in a
    coded field, whose value a message would otherwise quote)."""
    return via_uniques(messages.astype(str), lambda u: u.str.replace(_IDENTIFIER_RE, "[identifier]", regex=True))


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
# vectorised checks over the records frame produced by swanalysis.workerdata.returns


class _Collector:
    """Collects issues; messages are built only for the flagged rows (``msg(sub)`` on a sub-frame)."""

    def __init__(self, df: pd.DataFrame):
        self.df = df
        self.parts: list[pd.DataFrame] = []
        self.quarantine = np.zeros(len(df), dtype=bool)

    def add(self, mask, field: str, rule: str, message, severity: str | None = None, cols=()):
        mask = np.asarray(pd.Series(mask, index=self.df.index).fillna(False), dtype=bool)
        if not mask.any():
            return
        sev = severity or RULES[rule][0]
        sub = self.df.loc[mask, ["file", "record", *cols]]
        head = "record " + sub["record"].astype(str) + ": "
        text = message(sub) if callable(message) else message
        part = pd.DataFrame({"file": sub["file"].to_numpy(), "record": sub["record"].to_numpy(),
                             "field": field, "rule": rule, "severity": sev,
                             "message": (head + text).to_numpy()})
        self.parts.append(part)
        if sev == "error":
            self.quarantine |= mask

    def frame(self) -> pd.DataFrame:
        return concat_issues(self.parts)


def via_uniques(s: pd.Series, func) -> pd.Series:
    """Apply a vectorised ``func`` to the distinct values of ``s`` only (codes and dates repeat a lot)."""
    codes, uniq = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    # missing values get their own slot at the end, so func sees them once too
    uniq = np.append(np.asarray(uniq, dtype=object), None)
    codes = np.where(codes < 0, len(uniq) - 1, codes)
    mapped = func(pd.Series(uniq, dtype=object)).to_numpy()
    return pd.Series(mapped[codes], index=s.index)


_DECIMAL_RE = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
_INTEGER_RE = r"^[+-]?\d+$"


def _fraction_digits(s: pd.Series) -> pd.Series:
    frac = s.str.extract(r"\.(\d*)$", expand=False).fillna("").str.rstrip("0")
    return frac.str.len()


def _parse_dates(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.strip()
    iso = s.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:$|[T Zz+\-])", expand=False)
    out = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    rest = out.isna() & s.notna()
    if rest.any():
        uk = s.where(rest).str.extract(r"^(\d{1,2}/\d{1,2}/\d{4})$", expand=False)
        out = out.fillna(pd.to_datetime(uk, format="%d/%m/%Y", errors="coerce"))
    return out


def parse_dates(s: pd.Series) -> pd.Series:
    """xs:date (YYYY-MM-DD, optional time/zone suffix) or DD/MM/YYYY -> datetime64; invalid -> NaT."""
    if len(s) == 0:
        return pd.Series([], index=s.index, dtype="datetime64[ns]")
    return pd.to_datetime(via_uniques(s, _parse_dates))


def _normalise_code(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.strip()
    s = s.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    return s.where(s != "", pd.NA).astype(object)


def normalise_code(s: pd.Series) -> pd.Series:
    """Strip blanks and a spurious '.0' (codes that went through a spreadsheet); missing -> None."""
    out = via_uniques(s, _normalise_code)
    return out.where(out.notna(), None)


def _number(raw: pd.Series, integer: bool, max_dp):
    """(value, bad pattern, too many decimals) for distinct strings."""
    r = raw.astype("string").str.strip()
    r = r.where(r != "", pd.NA)
    ok = r.str.match(_INTEGER_RE if integer else _DECIMAL_RE)
    if integer:
        ok = ok | r.str.match(r"^[+-]?\d+\.0*$")
    bad = r.notna() & ~ok.fillna(False)
    val = pd.to_numeric(r.where(~bad), errors="coerce").astype(float)
    many = (val.notna() & (_fraction_digits(r.fillna("")) > max_dp)) if max_dp is not None else pd.Series(False, index=r.index)
    return val, bad.astype(bool), many.astype(bool)


def check_records(df: pd.DataFrame, code_lists: dict[str, dict[str, str]] | None = None, *, inplace: bool = False):
    """Validate and type the records of one or more returns.

    ``df`` comes from :func:`swanalysis.workerdata.returns.finish` (string columns named as the XSD items,
    plus file, record, lea, census_year, reference_date, worker_id, swe_status,
    birth_date_status, age_band). Returns ``(typed, issues)``: ``typed`` is ``df`` with codes
    normalised, the typed columns ``agency, fte, fte30, cases30, working_days_lost, start_date,
    end_date``, and ``quarantined`` / ``quarantine_rule``; ``issues`` is a DataFrame of
    :data:`ISSUE_COLUMNS`. With ``inplace=True`` ``df`` itself is typed and returned (saves a copy).
    """
    code_lists = code_lists or C.codes_for_items()
    if not inplace:
        df = df.copy()
    col = _Collector(df)

    # --- identifiers (the SWENo itself was dropped at read time; only its status is here)
    col.add(df["swe_status"] == "missing", "SWENo", "mandatory_missing", "SWENo is missing; record quarantined")
    col.add(df["swe_status"] == "invalid", "SWENo", "swe_pattern",
            "SWENo does not have the pattern two letters + ten digits (value not shown); record quarantined")

    # --- codes (messages never quote the value: a shifted row can put anything in a field)
    for item, table in code_lists.items():
        if item not in df.columns:
            continue
        s = normalise_code(df[item])
        allowed = list(table)
        if item in C.MULTI_ITEMS:
            multi = s.notna()
            parts = s[multi].str.split(C.MULTI_SEP).explode().str.strip()
            bad_parts = parts[~parts.isin(allowed)]
            bad = df.index.isin(bad_parts.index.unique())
            if bad.any():
                col.add(bad, item, "code_invalid",
                        f"{item} has code(s) not in the schema's list (value not shown); those codes ignored")
                good = parts[parts.isin(allowed)].groupby(level=0).agg(C.MULTI_SEP.join)
                rebuilt = good.reindex(df.index)
                s = s.where(~bad, rebuilt.where(rebuilt.notna(), None))
        else:
            bad = (s.notna() & ~s.isin(allowed)).to_numpy()
            if bad.any():
                sev = "error" if item == "AgencyWorker" else None
                tail = "; record quarantined" if item == "AgencyWorker" else "; set to missing"
                col.add(bad, item, "code_invalid",
                        f"{item} code not in the schema's list (value not shown){tail}", severity=sev)
                s = s.where(~bad, None)
        df[item] = s

    col.add(df["AgencyWorker"].isna() & (df["swe_status"] != "missing") & ~col.quarantine,
            "AgencyWorker", "mandatory_missing", "AgencyWorker is missing; record quarantined")
    df["agency"] = (df["AgencyWorker"] == "1").to_numpy(dtype=bool)
    col.add(df["QualInst"].isna() & ~df["agency"], "QualInst", "mandatory_missing",
            "QualInst is missing", severity="warning")

    # --- numbers (parsed once per distinct string)
    def number(item, integer=False, max_dp=None):
        raw = df[item]
        uniq = pd.unique(raw.to_numpy(dtype=object))
        val, bad, many = _number(pd.Series(uniq, dtype=object), integer, max_dp)
        idx = pd.Index(uniq)
        pos = idx.get_indexer(raw.to_numpy(dtype=object))
        v = pd.Series(val.to_numpy()[pos], index=df.index)
        b = bad.to_numpy()[pos]
        m = many.to_numpy()[pos]
        col.add(b, item, "number_invalid", f"{item} is not a valid "
                + ("whole number" if integer else "number") + " (value not shown); set to missing")
        col.add(m, item, "decimal_places", f"{item} has more than {max_dp} decimal places (value kept)")
        return v

    for item, out in (("FTE", "fte"), ("FTE30", "fte30")):
        v = number(item, max_dp=6)
        bad = v.notna() & ((v < 0) | (v > 1))
        col.add(bad, item, "fte_range", f"{item} outside 0–1; set to missing")
        df[out] = v.where(~bad)
    v = number("Cases30", integer=True)
    neg = v.notna() & (v < 0)
    col.add(neg, "Cases30", "cases_negative", "Cases30 below 0; set to missing")
    v = v.where(~neg)
    huge = v > CASES_IMPLAUSIBLE
    col.add(huge, "Cases30", "cases_implausible",
            f"Cases30 above {CASES_IMPLAUSIBLE} (not a caseload one worker can hold); set to missing")
    v = v.where(~huge)
    col.add(v > CASES_HIGH, "Cases30", "cases_high", f"Cases30 above {CASES_HIGH} (value kept)")
    df["cases30"] = v
    v = number("WorkingDaysLost", max_dp=2)
    out_of_range = v.notna() & ((v < 0) | (v > DAYS_LOST_MAX))
    col.add(out_of_range, "WorkingDaysLost", "days_lost_range",
            f"WorkingDaysLost below 0 or above {DAYS_LOST_MAX} (the working days in a year); set to missing")
    df["working_days_lost"] = v.where(~out_of_range)

    # --- dates (worker dates are not quoted; the return's reference date is)
    for item, out in (("RoleStartDate", "start_date"), ("RoleEndDate", "end_date")):
        raw = df[item]
        d = parse_dates(raw)
        col.add(raw.notna() & d.isna(), item, "date_invalid",
                f"{item} is not a date (YYYY-MM-DD; value not shown); set to missing")
        df[out] = d
    col.add(df["birth_date_status"] == "invalid", "PersonBirthDate", "date_invalid",
            "PersonBirthDate is not a date (value not shown); age band unknown")
    col.add(df["birth_date_status"] == "implausible", "PersonBirthDate", "birth_date_implausible",
            f"PersonBirthDate gives an age under {MIN_AGE} or over {MAX_AGE} at the reference date, or is "
            "after it (value not shown); age band unknown")

    ref = pd.to_datetime(df["reference_date"])
    start, end = df["start_date"], df["end_date"]
    ymd = lambda c: lambda sub: sub[c].dt.strftime("%Y-%m-%d")  # noqa: E731
    col.add(start.isna() & ~df["agency"], "RoleStartDate", "start_missing",
            "RoleStartDate missing for a non-agency worker; record quarantined")
    col.add(start > ref, "RoleStartDate", "start_in_future",
            lambda sub: "RoleStartDate is after the reference date "
            + ymd("reference_date")(sub) + "; record quarantined", cols=["reference_date"])
    col.add(end < start, "RoleEndDate", "end_before_start",
            "RoleEndDate is before RoleStartDate; record quarantined")
    after = (end > ref).to_numpy()
    col.add(after, "RoleEndDate", "end_after_reference",
            lambda sub: "RoleEndDate is after the reference date "
            + ymd("reference_date")(sub) + "; treated as in post (end date ignored)", cols=["reference_date"])
    df["end_date"] = end = end.where(~after)
    df["_year_start"] = ref - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    col.add(end < df["_year_start"], "RoleEndDate", "end_before_year",
            lambda sub: "RoleEndDate is before the census year began ("
            + ymd("_year_start")(sub) + ")", cols=["_year_start"])
    df.drop(columns="_year_start", inplace=True)
    leaver_items = df["ReasonLeave"].notna() | df["LeaverDestination"].notna()
    col.add(leaver_items & df["RoleEndDate"].isna(), "RoleEndDate", "leaver_no_end_date",
            "ReasonLeave/LeaverDestination given but RoleEndDate missing; treated as in post")
    col.add(end.notna() & df["ReasonLeave"].isna() & ~df["agency"], "ReasonLeave", "leaver_no_reason",
            "RoleEndDate given without ReasonLeave")

    # --- duplicates within one return (among records not already quarantined)
    live = ~col.quarantine & df["worker_id"].notna().to_numpy()
    keyed = df.loc[live, ["file", "worker_id", "start_date"]]
    dup_exact = keyed.duplicated(["file", "worker_id", "start_date"], keep="first").reindex(df.index, fill_value=False)
    col.add(dup_exact, "SWENo", "duplicate_worker",
            "the same worker with the same RoleStartDate appears earlier in this return; record quarantined")
    live2 = live & ~dup_exact.to_numpy()
    twice = df.loc[live2].duplicated(["file", "worker_id"], keep=False).reindex(df.index, fill_value=False)
    col.add(twice, "SWENo", "worker_twice_in_return",
            "the same worker appears more than once in this return with different RoleStartDates")

    issues = col.frame()
    df["quarantined"] = col.quarantine
    errors = issues[issues["severity"] == "error"].drop_duplicates(["file", "record"])
    first_rule = pd.Series(errors["rule"].to_numpy(), index=pd.MultiIndex.from_arrays([errors["file"], errors["record"]]))
    looked = first_rule.reindex(pd.MultiIndex.from_arrays([df["file"], df["record"]])).to_numpy()
    df["quarantine_rule"] = np.where(df["quarantined"], looked, None)
    return df, issues
