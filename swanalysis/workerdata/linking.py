"""Link annual CSWW return records into employment spells (``episodes``) and person-years
(``worker_years``), exactly the columns of docs/tables.md (plus ``lea``).

Linking rules (all vectorised in pandas; records are those accepted by validation):

* Records are linked per LA and pseudonymous worker, in order of census year then start date.
* A record starts a **new spell** when it is the worker's first record in that LA, or when
  - the previous record has an end date and this record starts after it (a leaver who came
    back — in the same return or a later one), or
  - the previous record has no end date and this record starts after the previous record's
    reference date (the earlier spell must have ended unrecorded: it was in post at that
    census, so a genuine continuation could not start later), or
  - the agency flag changes (agency cover and a permanent post are different engagements).
  Otherwise it continues the spell; a different start date is then a correction: the
  **earliest start date wins** and ``start_date_changed`` is set (rule ``start_date_changed``).
* The spell's end date, leaving reason and destination come from its last record (latest
  census); if an earlier record had a different end date the ``end_date_changed`` rule notes it.
* ``event`` = 1 when the spell has an end date, ``censor_date`` = end date, else the reference
  date of the last census the spell appears in. A spell with no end date that is missing from a
  later return of the same LA (it "disappeared") is flagged ``spell_disappeared`` and treated as
  **censored at the last census it appeared in** (event 0) — it is not counted as a leaver,
  because we do not know that or when it ended.
* ``observation_start`` = 1 October before the LA's first census year in the data;
  ``entry_days`` = days between the spell's start and observation_start when the spell started
  earlier (late entry), else 0. ``duration_days`` = censor_date − start_date.
* Agency workers are kept, with ``agency`` = True (their start dates are often missing, so
  their durations may be NaN); tenure analyses exclude them by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._lazy import lazy
from . import codes as C
from .validation import concat_issues, via_uniques

# imported on first use: the rules below also count spells in plain Python (workerdata/plain.py)
np = lazy("numpy", globals(), "np")
pd = lazy("pandas", globals(), "pd")

EPISODE_COLUMNS = [
    "worker_id", "spell", "lea", "start_date", "end_date", "event", "censor_date", "duration_days",
    "entry_days", "observation_start", "entry_route", "start_origin", "agency", "role", "reason_leave",
    "leaver_destination", "destination_group", "first_census", "last_census", "n_census",
    "start_date_changed", "disappeared", "age_band", "team", "start_cohort", "cfkss_asye",
]
WORKER_YEAR_COLUMNS = [
    "worker_id", "spell", "lea", "census_year", "reference_date", "in_post", "left_in_year", "fte", "fte30",
    "cases30", "working_days_lost", "salary", "role", "agency", "entry_route", "age_band", "team",
    "tenure_days", "start_date", "end_date", "gender", "ethnicity", "qual_level", "cfkss_status",
    "job_title", "grade",
]


@dataclass
class Linked:
    episodes: pd.DataFrame
    worker_years: pd.DataFrame
    issues: pd.DataFrame


def starts_spell(same_worker, start, prev_end, prev_reference, agency, prev_agency):
    """Whether a record starts a new spell, given the worker's previous record (the rules in the
    module docstring). Elementwise: numpy arrays (dates datetime64, missing NaT) or one record's
    plain values (dates as numbers, missing NaN); ``same_worker``: same LA and worker as the
    previous record in (LA, worker, census year, start date, record) order."""
    ended = prev_end == prev_end  # noqa: PLR0124 - missing (NaT, NaN) is unequal to itself
    return ((same_worker ^ True) | (ended & (start > prev_end)) | ((ended ^ True) & (start > prev_reference))
            | (agency != prev_agency))


def spell_flags(n_start, n_end, any_end_given, ended, last_census, last_year, n_census, census_span):
    """``(start_date_changed, end_date_changed, disappeared, gap_in_returns)`` of spells from their
    counts: distinct start and end dates, whether any record had an end date, whether the last
    did (``ended``), the last census the spell is in and the LA's last, the censuses it is in and
    the LA's censuses from its first to its last. Elementwise, as :func:`starts_spell`."""
    return (n_start > 1,
            (n_end > 1) | (any_end_given & (ended ^ True)),
            (ended ^ True) & (last_census < last_year),
            n_census < census_span)


def _decode(s: pd.Series, item: str) -> pd.Series:
    table = C.CODE_TYPES[C.ITEM_TYPES[item]]
    return s.map(table).astype(object).where(s.notna(), None)


def _cohort(dates: pd.Series) -> pd.Series:
    y = dates.dt.year + (dates.dt.month >= 10).astype("float")
    return y.astype("Int64")


def _returns_table(records: pd.DataFrame) -> pd.DataFrame:
    return (records[["lea", "census_year", "reference_date"]].drop_duplicates(["lea", "census_year"])
            .sort_values(["lea", "census_year"]).reset_index(drop=True))


def link(records: pd.DataFrame, returns: pd.DataFrame | None = None,
         payroll: pd.DataFrame | None = None) -> Linked:
    """Link typed, accepted records (from ``validation.check_records``) into episodes and worker_years.

    ``returns``: one row per return read (lea, census_year, reference_date), so that a spell missing
    from a later return is recognised even when that return has few records. ``payroll``: from
    ``payroll.read_payroll`` (worker_id, salary, team, ...).
    """
    cols = ["file", "record", "lea", "census_year", "reference_date", "worker_id", "agency", "start_date",
            "end_date", "fte", "fte30", "cases30", "working_days_lost", "age_band", "OrgRole", "StartOrigin",
            "ReasonLeave", "LeaverDestination", "CFKSSstatus", "GenderCurrent", "Ethnicity", "QualLevel"]
    if "quarantined" in records.columns:
        keep = np.flatnonzero(~records["quarantined"].to_numpy(dtype=bool))
    else:
        keep = np.arange(len(records))
    if returns is None:
        returns = _returns_table(records[["lea", "census_year", "reference_date"]].iloc[keep])
    returns = returns[["lea", "census_year", "reference_date"]]
    returns = returns.drop_duplicates(["lea", "census_year"]).sort_values(["lea", "census_year"])

    def kept(c, dtype=object):
        return records[c].to_numpy(dtype=dtype)[keep]

    # integer keys (codes in sorted order, so sorting by them sorts by LA then worker) and one
    # numpy lexsort: census year, then start date (missing first), then record number
    lea_code, _ = pd.factorize(records["lea"].astype(str).to_numpy(dtype=object)[keep], sort=True)
    wid_code, wids = pd.factorize(kept("worker_id"), sort=True)
    w = lea_code.astype("int64") * (len(wids) + 1) + wid_code
    start_i = kept("start_date", "datetime64[ns]").view("int64")  # NaT sorts first
    order = np.lexsort((kept("record", None), start_i, kept("census_year", None), w))
    # the accepted records in that order, column by column (one copy, not a selection and a sort)
    rows = keep[order]
    r = records.iloc[rows, [records.columns.get_loc(c) for c in cols]]
    r.index = pd.RangeIndex(len(r))
    r["reference_date"] = pd.to_datetime(r["reference_date"])
    w = w[order]
    del keep, rows, order, start_i, lea_code, wid_code

    n = len(r)
    same = np.r_[False, w[1:] == w[:-1]]  # same LA and worker as the previous record
    start = r["start_date"].to_numpy(dtype="datetime64[ns]")
    end = r["end_date"].to_numpy(dtype="datetime64[ns]")
    ref = r["reference_date"].to_numpy(dtype="datetime64[ns]")
    agency = r["agency"].to_numpy(dtype=bool)
    prev_end = np.r_[np.datetime64("NaT", "ns"), end[:-1]]
    prev_ref = np.r_[np.datetime64("NaT", "ns"), ref[:-1]]
    prev_agency = np.r_[False, agency[:-1]]
    new = starts_spell(same, start, prev_end, prev_ref, agency, prev_agency)
    sid = np.cumsum(new) - 1  # global spell number, rows of a spell are contiguous
    group_first = np.maximum.accumulate(np.where(~same, np.arange(n), 0)) if n else np.zeros(0, dtype=int)
    r["spell"] = (sid - sid[group_first] + 1).astype("int64")
    r["_sid"] = sid

    gs = r.groupby("_sid", sort=False)
    last_row = np.r_[sid[1:] != sid[:-1], True] if n else np.zeros(0, dtype=bool)
    last = r.loc[last_row].set_index("_sid")
    ep = gs.agg(
        start_date=("start_date", "min"),
        n_start=("start_date", "nunique"),
        n_end=("end_date", "nunique"),
        any_end=("end_date", "max"),
        first_census=("census_year", "min"),
        last_census=("census_year", "max"),
        n_census=("census_year", "nunique"),
        start_origin_code=("StartOrigin", "first"),
        role_code=("OrgRole", "last"),
    )
    first = r.loc[new].set_index("_sid")
    for c in ("lea", "worker_id", "spell", "agency", "age_band"):
        ep[c] = first[c]
    ep["end_date"] = last["end_date"]
    ep["last_reference"] = last["reference_date"]
    ep["reason_code"] = last["ReasonLeave"].where(last["end_date"].notna())
    ep["dest_code"] = last["LeaverDestination"].where(last["end_date"].notna())
    ep["last_file"] = last["file"]
    ep["last_record"] = last["record"]
    asye = via_uniques(r["CFKSSstatus"], lambda u: u.astype("string").str.contains(
        r"(?:^|;)\s*1\s*(?:;|$)", regex=True).fillna(False).astype(object)).astype(bool)
    ep["cfkss_asye"] = asye.groupby(r["_sid"], sort=False).any()
    ep = ep.reset_index()  # _sid stays a column (row i of ep is spell i)

    # observation window per LA
    la = returns.groupby("lea").agg(first_year=("census_year", "min"), last_year=("census_year", "max"))
    la["observation_start"] = pd.to_datetime(
        {"year": la["first_year"] - 1, "month": 10, "day": 1})
    ep = ep.merge(la, left_on="lea", right_index=True, how="left")

    ep["event"] = ep["end_date"].notna().astype("int64")
    ep["censor_date"] = ep["end_date"].where(ep["event"] == 1, ep["last_reference"])
    ep["duration_days"] = (ep["censor_date"] - ep["start_date"]).dt.days.astype(float)
    ep["entry_days"] = (ep["observation_start"] - ep["start_date"]).dt.days.clip(lower=0).astype(float)
    ep["start_origin"] = _decode(ep["start_origin_code"], "StartOrigin")
    ep["entry_route"] = ep["start_origin_code"].map(C.ENTRY_ROUTE).fillna("other").astype(object)
    ep["role"] = _decode(ep["role_code"], "OrgRole")
    ep["reason_leave"] = _decode(ep["reason_code"], "ReasonLeave")
    ep["leaver_destination"] = _decode(ep["dest_code"], "LeaverDestination")
    ep["destination_group"] = ep["dest_code"].map(C.DESTINATION_GROUP).astype(object).where(ep["dest_code"].notna(), None)
    ep["start_cohort"] = _cohort(ep["start_date"])
    ep["first_census"] = ep["first_census"].astype("int64")
    ep["last_census"] = ep["last_census"].astype("int64")
    ep["n_census"] = ep["n_census"].astype("int64")

    # --- spell-level issues (file/record of the spell's last record; never the identifier)
    years = returns[["lea", "census_year"]].copy()
    years["rank"] = years.groupby("lea").cumcount()
    rank = years.set_index(["lea", "census_year"])["rank"]
    r_first = rank.reindex(pd.MultiIndex.from_arrays([ep["lea"], ep["first_census"]])).to_numpy()
    r_last = rank.reindex(pd.MultiIndex.from_arrays([ep["lea"], ep["last_census"]])).to_numpy()
    ep["start_date_changed"], end_changed, ep["disappeared"], gap = spell_flags(
        ep["n_start"], ep["n_end"], ep["any_end"].notna(), ep["end_date"].notna(), ep["last_census"], ep["last_year"],
        ep["n_census"].to_numpy(), r_last - r_first + 1)
    parts = []

    def add(mask, field, rule, severity, msg):
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            sub = ep.loc[mask]
            parts.append(pd.DataFrame({
                "file": sub["last_file"].to_numpy(), "record": sub["last_record"].to_numpy(),
                "field": field, "rule": rule, "severity": severity,
                "message": (("record " + sub["last_record"].astype(str) + ": ") + msg(sub)).to_numpy()}))

    add(ep["start_date_changed"], "RoleStartDate", "start_date_changed", "warning",
        lambda s: "RoleStartDate differs between the returns of this spell (" + s["n_start"].astype(str)
        + " values; not shown); the earliest is kept")
    add(end_changed, "RoleEndDate", "end_date_changed", "warning",
        lambda s: pd.Series("RoleEndDate differs between returns or was withdrawn; the latest return's is kept", index=s.index))
    disappeared_msg = (lambda s: "in post without an end date in census " + s["last_census"].astype(str)
                       + " but missing from the later return(s) up to " + s["last_year"].astype(str)
                       + "; censored at " + s["last_reference"].dt.strftime("%Y-%m-%d"))
    # agency cover routinely ends without a recorded end date: info for agency, warning otherwise
    add(ep["disappeared"] & ep["agency"], "RoleEndDate", "spell_disappeared", "info", disappeared_msg)
    add(ep["disappeared"] & ~ep["agency"], "RoleEndDate", "spell_disappeared", "warning", disappeared_msg)
    add(gap, "", "gap_in_returns", "info",
        lambda s: "spell missing from a return between census " + s["first_census"].astype(str)
        + " and " + s["last_census"].astype(str))
    issues = concat_issues(parts)

    # --- worker_years: one row per spell x census year (the latest-starting record of a year)
    cy = r["census_year"].to_numpy()
    last_in_year = np.r_[(sid[1:] != sid[:-1]) | (cy[1:] != cy[:-1]), True] if n else np.zeros(0, dtype=bool)
    wy = r.loc[last_in_year].rename(columns={"start_date": "record_start", "end_date": "record_end"}, copy=False)
    del r, first, last, gs  # the record-level frames are not needed any more (peak memory)
    spell_of = wy["_sid"].to_numpy()
    for c in ("start_date", "end_date", "entry_route"):
        wy[c] = ep[c].to_numpy()[spell_of]
    ref = wy["reference_date"]
    rec_end = wy["record_end"]
    wy["in_post"] = rec_end.isna() | (rec_end > ref)
    wy["left_in_year"] = rec_end.notna() & (rec_end <= ref) & (rec_end > ref - pd.DateOffset(years=1))
    until = rec_end.where(rec_end.notna() & (rec_end <= ref), ref)
    wy["tenure_days"] = (until - wy["start_date"]).dt.days.astype(float)
    wy["role"] = _decode(wy["OrgRole"], "OrgRole")
    wy["gender"] = _decode(wy["GenderCurrent"], "GenderCurrent")
    wy["ethnicity"] = wy["Ethnicity"].astype(object)
    wy["qual_level"] = _decode(wy["QualLevel"], "QualLevel")
    wy["cfkss_status"] = wy["CFKSSstatus"].astype(object)
    wy["census_year"] = wy["census_year"].astype("int64")

    # --- payroll
    if payroll is not None and len(payroll):
        pay = payroll.drop(columns=["record"], errors="ignore").rename(columns={"fte": "payroll_fte"})
        if pay["census_year"].notna().any():
            pay = pay.dropna(subset=["census_year"]).copy()
            pay["census_year"] = pay["census_year"].astype("int64")
            wy = wy.merge(pay[["worker_id", "census_year", "salary", "team", "job_title", "grade"]],
                          on=["worker_id", "census_year"], how="left")
        else:
            wy = wy.merge(pay[["worker_id", "salary", "team", "job_title", "grade"]], on="worker_id", how="left")
    else:
        for c in ("salary",):
            wy[c] = np.nan
        for c in ("team", "job_title", "grade"):
            wy[c] = None
    # rows by spell (spell ids follow LA, worker, spell order) then census year; only the
    # output columns are carried, to keep peak memory down (rows taken from the sorted records
    # are in that order already: then no second copy)
    wy = wy[WORKER_YEAR_COLUMNS + ["_sid"]]
    by_spell = np.lexsort((wy["census_year"].to_numpy(), wy["_sid"].to_numpy()))
    if not np.array_equal(by_spell, np.arange(len(wy))):
        wy = wy.iloc[by_spell]
    wy.index = pd.RangeIndex(len(wy))  # (reset_index would copy the frame)
    # a leaver has no payroll row at the 30 September after leaving: team, job title and grade
    # carry forward within the spell (salary does not: it stays the payroll's figure or missing)
    for c in ("team", "job_title", "grade"):
        if wy[c].notna().any():
            wy[c] = wy[c].astype(object).where(wy[c].notna(), None)
            wy[c] = wy[c].groupby(wy["_sid"].to_numpy(), sort=False).ffill()
    # last non-missing team of the spell (grouping the Series: grouping the frame would copy it)
    team = wy["team"].groupby(wy["_sid"].to_numpy(), sort=False).last()
    ep["team"] = team.reindex(ep["_sid"]).to_numpy() if len(team) else None
    ep["team"] = ep["team"].astype(object).where(ep["team"].notna(), None)

    return Linked(ep[EPISODE_COLUMNS], wy.drop(columns="_sid"), issues)


def permanent(episodes_df: pd.DataFrame) -> pd.DataFrame:
    """The spells of permanent (non-agency) staff: the default population for tenure analyses."""
    return episodes_df[~episodes_df["agency"].astype(bool)]
