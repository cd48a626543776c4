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

The rules on one field's value (codes, numbers, dates, the birth date's plausibility) are
plain Python functions of that value — :func:`check_code`, :func:`number_text` with
:func:`number_rules`, :func:`parse_date`, :func:`birth_date_status` — so they run without pandas
(``swanalysis validate`` on a small return, :mod:`swanalysis.workerdata.plain`). Over a frame
they run once per distinct value of a column (:func:`per_value`: codes, dates and numbers repeat
a lot); the checks across fields and records are vectorised over all records at once.
numpy and pandas are imported on first use only.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import asdict, dataclass
from typing import Iterable

from .._lazy import lazy
from . import codes as C
from .pseudonymise import MAX_AGE, MIN_AGE, completed_years, implausible_age  # noqa: F401 - age limits, documented with the rest

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

np = lazy("numpy", globals(), "np")
pd = lazy("pandas", globals(), "pd")


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


def count_by_rule(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str, int, str]]:
    """``(rule, severity, count, description)`` for the ``(rule, severity)`` of each issue, in
    the order :func:`summary_by_rule` gives: errors, warnings, infos, each by count (most
    first), ties in order of first appearance."""
    counts: dict[tuple[str, str], int] = {}
    for pair in pairs:
        counts[pair] = counts.get(pair, 0) + 1
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    rows = sorted(counts.items(), key=lambda kv: (rank.get(kv[0][1], len(rank)), -kv[1]))
    return [(rule, sev, n, RULES.get(rule, ("", ""))[1]) for (rule, sev), n in rows]


def summary_by_rule(issues: pd.DataFrame) -> pd.DataFrame:
    """Counts of issues by rule and severity (rule order: errors first, then by count)."""
    columns = ["rule", "severity", "count", "description"]
    if issues is None or issues.empty:
        return pd.DataFrame(columns=columns)
    rows = count_by_rule(zip(issues["rule"].tolist(), issues["severity"].tolist()))
    return pd.DataFrame(rows, columns=columns)


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


# --------------------------------------------------------------------------------------------
# the rules on one field's value, in plain Python (no pandas: see the module docstring)


def _text(value) -> str | None:
    """A cell as stripped text; None when missing (None or NaN)."""
    if value is None or value != value:  # noqa: PLR0124 - NaN
        return None
    return str(value).strip()


#: the order the number rules are reported in (after ``number_invalid``)
NUMBER_RULE_ORDER = ("decimal_places", "fte_range", "cases_negative", "cases_implausible", "cases_high",
                     "days_lost_range")


def _number_message(item: str, rule: str) -> str:
    return {
        "decimal_places": f"{item} has more than {NUMBER_ITEMS[item][1]} decimal places (value kept)",
        "fte_range": f"{item} outside 0–1; set to missing",
        "cases_negative": "Cases30 below 0; set to missing",
        "cases_implausible": f"Cases30 above {CASES_IMPLAUSIBLE} (not a caseload one worker can hold); set to missing",
        "cases_high": f"Cases30 above {CASES_HIGH} (value kept)",
        "days_lost_range": f"WorkingDaysLost below 0 or above {DAYS_LOST_MAX} (the working days in a year); set to missing",
    }[rule]


_CODE_DOT_ZERO = re.compile(r"^(\d+)\.0+$")


def normalise_code_value(value) -> str | None:
    """A code as compared with the code list: blanks stripped, a spurious '.0' (a code that went
    through a spreadsheet) dropped; None when missing or blank."""
    s = _text(value)
    if not s:
        return None
    m = _CODE_DOT_ZERO.match(s)
    return m.group(1) if m else s


def check_code(value, allowed, multi: bool = False) -> tuple[str | None, bool]:
    """``(value kept, invalid)`` for a coded item: the normalised code, or None when it is not in
    ``allowed``. A repeated item (``multi``: values joined with ``;``) keeps the codes that are
    in the list (None when none is) and is invalid when any is not."""
    s = normalise_code_value(value)
    if s is None:
        return None, False
    if not multi:
        return (s, False) if s in allowed else (None, True)
    parts = [part.strip() for part in s.split(C.MULTI_SEP)]
    if all(part in allowed for part in parts):
        return s, False
    good = [part for part in parts if part in allowed]
    return (C.MULTI_SEP.join(good) if good else None), True


_DECIMAL_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
_WHOLE_DECIMAL_RE = re.compile(r"^[+-]?\d+\.0*$")
_FRACTION_RE = re.compile(r"\.(\d*)$")

#: numeric items: (whole number, most decimal places the schema allows)
NUMBER_ITEMS: dict[str, tuple[bool, int | None]] = {
    "FTE": (False, 6), "FTE30": (False, 6), "Cases30": (True, None), "WorkingDaysLost": (False, 2),
}


def number_text(value, integer: bool = False) -> tuple[str | None, bool]:
    """``(text, invalid)``: the stripped text of a number (None when missing or blank), or
    ``(None, True)`` when it is not a (whole) number as the schema writes one."""
    r = _text(value)
    if not r:
        return None, False
    if (_INTEGER_RE if integer else _DECIMAL_RE).match(r) or (integer and _WHOLE_DECIMAL_RE.match(r)):
        return r, False
    return None, True


def plain_number(text: str | None) -> float | None:
    """A number's text (from :func:`number_text`) as a float; None for digits other than ASCII
    (which pandas does not read either). pandas' reader may differ in the last bit for long
    fractions; only a value within a rounding error of a limit could be judged differently."""
    return float(text) if text is not None and text.isascii() else None


def number_rules(item: str, text: str | None, value) -> tuple[float | None, tuple[str, ...]]:
    """``(value kept, rules broken)`` for a numeric item's value (from its ``text``):
    ``decimal_places`` (value kept); ``fte_range``, ``cases_negative``, ``cases_implausible``,
    ``days_lost_range`` (set to missing); ``cases_high`` (kept)."""
    if value is None or value != value:  # noqa: PLR0124 - NaN
        return None, ()
    broken: list[str] = []
    max_dp = NUMBER_ITEMS[item][1]
    if max_dp is not None:
        m = _FRACTION_RE.search(text or "")
        if m and len(m.group(1).rstrip("0")) > max_dp:
            broken.append("decimal_places")
    if item in ("FTE", "FTE30"):
        if value < 0 or value > 1:
            broken.append("fte_range")
            value = None
    elif item == "Cases30":
        if value < 0:
            broken.append("cases_negative")
            value = None
        elif value > CASES_IMPLAUSIBLE:
            broken.append("cases_implausible")
            value = None
        elif value > CASES_HIGH:
            broken.append("cases_high")
    elif item == "WorkingDaysLost" and (value < 0 or value > DAYS_LOST_MAX):
        broken.append("days_lost_range")
        value = None
    return value, tuple(broken)


_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T Zz+\-])")
_UK_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
#: the dates a datetime64[ns] column holds (pandas makes anything else missing)
_FIRST_DATE, _LAST_DATE = _dt.date(1677, 9, 22), _dt.date(2262, 4, 11)


def _date(y: str, m: str, d: str) -> _dt.date | None:
    if not (y + m + d).isascii():
        return None
    try:
        out = _dt.date(int(y), int(m), int(d))
    except ValueError:
        return None
    return out if _FIRST_DATE <= out <= _LAST_DATE else None


def parse_date(value) -> _dt.date | None:
    """xs:date (YYYY-MM-DD, optional time/zone suffix) or DD/MM/YYYY; None when missing or invalid."""
    s = _text(value)
    if not s:
        return None
    m = _ISO_DATE_RE.match(s)
    out = _date(*m.groups()) if m else None
    if out is None:
        m = _UK_DATE_RE.match(s)
        out = _date(m.group(3), m.group(2), m.group(1)) if m else None
    return out


def birth_date_status(value, reference_date) -> str:
    """``missing``, ``invalid`` (not a date), ``implausible`` (an age under MIN_AGE or over
    MAX_AGE at the reference date, or born after it) or ``ok``."""
    if value is None:
        return "missing"
    born = parse_date(value)
    if born is None:
        return "invalid"
    return "implausible" if implausible_age(completed_years(born, reference_date)) else "ok"


def record_rules(start, end, reference_date, year_start, agency, end_given, leaver_given, reason_given) -> list:
    """The rules across a record's dates, in the order they are reported: ``[(rule, broken)]``.

    Elementwise: pandas Series or numpy arrays of many records (dates datetime64, missing NaT),
    or one record's plain values (dates as numbers, e.g. ordinals, missing NaN). ``year_start``
    is 1 October before the census year; ``end_given`` whether RoleEndDate was given at all
    (even if not a date), ``leaver_given`` whether ReasonLeave or LeaverDestination was,
    ``reason_given`` whether ReasonLeave was. An end date after the reference date is ignored
    (treated as in post) by the rules after ``end_after_reference``.
    """
    has_start, has_end = start == start, end == end  # noqa: PLR0124 - missing (NaT, NaN) is unequal to itself
    after = end > reference_date
    return [
        ("start_missing", (has_start ^ True) & (agency ^ True)),
        ("start_in_future", start > reference_date),
        ("end_before_start", end < start),
        ("end_after_reference", after),
        ("end_before_year", (end < year_start) & (after ^ True)),
        ("leaver_no_end_date", leaver_given & (end_given ^ True)),
        ("leaver_no_reason", has_end & (after ^ True) & (reason_given ^ True) & (agency ^ True)),
    ]


# --------------------------------------------------------------------------------------------
# the same rules over pandas columns: once per distinct value


def _per_unique(values, func) -> tuple[list, np.ndarray]:
    """``(results, codes)``: ``func`` of each distinct value of ``values`` and, last, of None
    (for the missing ones); ``codes[i]`` is where value i's result is."""
    codes, uniq = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    results = [func(u) for u in uniq.tolist()]
    results.append(func(None))
    return results, np.where(codes < 0, len(results) - 1, codes)


def _array(results: list, dtype=object) -> np.ndarray:
    out = np.empty(len(results), dtype=dtype)
    for i, r in enumerate(results):  # one by one: a result may be a tuple
        out[i] = r
    return out


def per_value(s: pd.Series, func, dtype=object) -> pd.Series:
    """``func`` applied to each distinct value of ``s`` (and once to None for the missing ones),
    spread back over ``s`` as a Series of ``dtype``."""
    results, codes = _per_unique(s.to_numpy(dtype=object), func)
    if dtype != object:
        return pd.Series(np.array(results, dtype=dtype)[codes], index=s.index)
    return pd.Series(_array(results)[codes], index=s.index)


def parse_dates(s: pd.Series) -> pd.Series:
    """:func:`parse_date` over a Series -> datetime64[ns]; invalid -> NaT."""
    if len(s) == 0:
        return pd.Series([], index=s.index, dtype="datetime64[ns]")
    return per_value(s, parse_date, "datetime64[ns]")


def normalise_code(s: pd.Series) -> pd.Series:
    """:func:`normalise_code_value` over a Series (missing -> None)."""
    return per_value(s, normalise_code_value)


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
        allowed, multi = frozenset(table), item in C.MULTI_ITEMS
        results, codes = _per_unique(df[item].to_numpy(dtype=object), lambda v: check_code(v, allowed, multi))
        bad = np.array([r[1] for r in results], dtype=bool)[codes]
        if bad.any():
            if multi:
                col.add(bad, item, "code_invalid",
                        f"{item} has code(s) not in the schema's list (value not shown); those codes ignored")
            else:
                sev = "error" if item == "AgencyWorker" else None
                tail = "; record quarantined" if item == "AgencyWorker" else "; set to missing"
                col.add(bad, item, "code_invalid",
                        f"{item} code not in the schema's list (value not shown){tail}", severity=sev)
        df[item] = _array([r[0] for r in results])[codes]

    col.add(df["AgencyWorker"].isna() & (df["swe_status"] != "missing") & ~col.quarantine,
            "AgencyWorker", "mandatory_missing", "AgencyWorker is missing; record quarantined")
    df["agency"] = (df["AgencyWorker"] == "1").to_numpy(dtype=bool)
    col.add(df["QualInst"].isna() & ~df["agency"], "QualInst", "mandatory_missing",
            "QualInst is missing", severity="warning")

    # --- numbers (the rules run once per distinct string; pandas reads the numbers)
    for item, out in (("FTE", "fte"), ("FTE30", "fte30"), ("Cases30", "cases30"), ("WorkingDaysLost", "working_days_lost")):
        integer, max_dp = NUMBER_ITEMS[item]
        texts, codes = _per_unique(df[item].to_numpy(dtype=object), lambda v: number_text(v, integer))
        values = pd.to_numeric(pd.Series([t for t, _ in texts], dtype="string"), errors="coerce").astype(float)
        kept = [number_rules(item, t, v) for (t, _), v in zip(texts, values.tolist())]
        col.add(np.array([b for _, b in texts], dtype=bool)[codes], item, "number_invalid",
                f"{item} is not a valid " + ("whole number" if integer else "number") + " (value not shown); set to missing")
        broken = [rules for _, rules in kept]
        for rule in NUMBER_RULE_ORDER:
            if any(rule in b for b in broken):
                col.add(np.array([rule in b for b in broken], dtype=bool)[codes], item, rule, _number_message(item, rule))
        df[out] = np.array([np.nan if v is None else v for v, _ in kept], dtype=float)[codes]

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
    df["_year_start"] = ref - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    broken = dict(record_rules(df["start_date"], df["end_date"], ref, df["_year_start"], df["agency"],
                               df["RoleEndDate"].notna(), df["ReasonLeave"].notna() | df["LeaverDestination"].notna(),
                               df["ReasonLeave"].notna()))
    ymd = lambda c: lambda sub: sub[c].dt.strftime("%Y-%m-%d")  # noqa: E731
    col.add(broken["start_missing"], "RoleStartDate", "start_missing",
            "RoleStartDate missing for a non-agency worker; record quarantined")
    col.add(broken["start_in_future"], "RoleStartDate", "start_in_future",
            lambda sub: "RoleStartDate is after the reference date "
            + ymd("reference_date")(sub) + "; record quarantined", cols=["reference_date"])
    col.add(broken["end_before_start"], "RoleEndDate", "end_before_start",
            "RoleEndDate is before RoleStartDate; record quarantined")
    col.add(broken["end_after_reference"], "RoleEndDate", "end_after_reference",
            lambda sub: "RoleEndDate is after the reference date "
            + ymd("reference_date")(sub) + "; treated as in post (end date ignored)", cols=["reference_date"])
    col.add(broken["end_before_year"], "RoleEndDate", "end_before_year",
            lambda sub: "RoleEndDate is before the census year began ("
            + ymd("_year_start")(sub) + ")", cols=["_year_start"])
    col.add(broken["leaver_no_end_date"], "RoleEndDate", "leaver_no_end_date",
            "ReasonLeave/LeaverDestination given but RoleEndDate missing; treated as in post")
    col.add(broken["leaver_no_reason"], "ReasonLeave", "leaver_no_reason",
            "RoleEndDate given without ReasonLeave")
    df["end_date"] = df["end_date"].where(~broken["end_after_reference"])
    df.drop(columns="_year_start", inplace=True)

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
