"""The stock measures councils already quote, computed from their own census returns.

All functions take the tidy ``worker_years`` / ``episodes`` tables (docs/tables.md) and return
DataFrames; ``describe_*`` turn them into sentences (each figure's alt text is beside its
drawing function in :mod:`swanalysis.plots.tenure`).

* :func:`service_stock` -- share of social workers in post at 30 September with under 12 months and
  over 2 years of service ("50% of workers with us over 2 years, 29% under 12 months").
* :func:`leavers_by_service` -- leavers in each year by length of service (<1, 1-2, 2-5, 5-10,
  10+ years) and the share who left within 5 years ("69% had been in the role under 5 years").
* :func:`leaving_reasons` -- leavers by reason, destination or destination group.
* :func:`council_rates` -- turnover, agency, vacancy and absence rates and caseload recomputed with
  the DfE's published definitions, so a council can see its figures before the DfE publishes them:

  - turnover rate = FTE of permanent leavers in the year to 30 September / FTE of permanent
    social workers in post at 30 September x 100;
  - agency rate = agency FTE at 30 September / (agency FTE + permanent FTE in post) x 100;
  - vacancy rate = vacancy FTE / (vacancy FTE + permanent FTE in post) x 100 (vacancies come from
    the return's LALevelVacancies, ``IngestResult.returns``);
  - caseload = cases held at 30 September / FTE of the case holders (workers holding one or more
    cases; agency case holders included by default -- set ``caseload_agency=False`` otherwise);
  - absence rate = working days lost by permanent social workers in post at 30 September /
    (permanent FTE in post x 253) x 100.

  These reproduce the published national rates from the published counts (tests); FTE in post is
  the FTE at 30 September (``fte30``, falling back to ``fte`` when missing), leavers' FTE is their
  contracted FTE (``fte``).
* :func:`asye_cohorts` -- newly qualified cohorts: "of 15 who started in 2021, 14 remain".
* :func:`experience_mix_table` -- permanent FTE by experience group (:func:`experience_groups`:
  newly qualified, experienced, advanced) against a workforce plan's target mix.

Census year Y runs 1 October Y-1 to 30 September Y. Length of service is measured in years of
365.25 days. Headcounts count distinct workers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .disclosure import MIN_GROUP, safe_count
from .errors import UserError

SERVICE_BANDS = ["<1", "1-2", "2-5", "5-10", "10+"]
SERVICE_BAND_LABELS = {
    "<1": "under 1 year", "1-2": "1 to 2 years", "2-5": "2 to 5 years", "5-10": "5 to 10 years",
    "10+": "10 years or more",
}
_BAND_EDGES = [0, 1, 2, 5, 10, np.inf]
YEAR_DAYS = 365.25
ABSENCE_DAYS = 253


def _need(df: pd.DataFrame, cols, table: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise UserError(f"workforce: expected the {table} table (a DataFrame)")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise UserError(f"{table} table: missing column(s) {', '.join(missing)} (see docs/tables.md)")


def census_year_of(dates: pd.Series) -> pd.Series:
    """Census year (year ending 30 September) containing each date."""
    d = pd.to_datetime(dates)
    return (d.dt.year + (d.dt.month >= 10).astype(int)).astype("Int64")


def _bool(s: pd.Series) -> pd.Series:
    return s.fillna(False).astype(bool)


def service_band(years: pd.Series) -> pd.Series:
    """Length-of-service band of each value in years: <1, 1-2, 2-5, 5-10, 10+ (left-closed)."""
    return pd.cut(years, _BAND_EDGES, right=False, labels=SERVICE_BANDS)


# --------------------------------------------------------------------------------------------
# stock of service at 30 September
# --------------------------------------------------------------------------------------------


def service_stock(
    worker_years: pd.DataFrame, census_year: int | None = None, *, include_agency: bool = False
) -> pd.DataFrame:
    """Social workers in post at each 30 September by length of service with the council.

    Columns: census_year, reference_date, in_post (headcount), under_12m, under_12m_share,
    over_2y, over_2y_share, and one count per service band. "Under 12 months" is a start date less
    than one calendar year before the reference date; "over 2 years" is a start date more than two
    calendar years before it. Workers with no start date are counted in ``in_post`` and in
    ``no_start_date`` but in no band (their shares use the workers with a start date).
    """
    _need(worker_years, ["worker_id", "census_year", "reference_date", "in_post", "agency", "start_date"], "worker_years")
    wy = worker_years.loc[_bool(worker_years["in_post"])]
    if not include_agency:
        wy = wy.loc[~_bool(wy["agency"])]
    if census_year is not None:
        wy = wy.loc[wy["census_year"] == census_year]
    wy = wy.sort_values("start_date").drop_duplicates(["worker_id", "census_year"], keep="first")
    ref = pd.to_datetime(wy["reference_date"])
    start = pd.to_datetime(wy["start_date"])
    known = start.notna()
    under = known & (start > ref - pd.DateOffset(years=1))
    over = known & (start < ref - pd.DateOffset(years=2))
    years = (ref - start).dt.days / YEAR_DAYS
    band = service_band(years)
    frame = pd.DataFrame(
        {"census_year": wy["census_year"].to_numpy(), "reference_date": ref.to_numpy(), "known": known.to_numpy(),
         "under": under.to_numpy(), "over": over.to_numpy(), "band": band.to_numpy()}
    )
    g = frame.groupby("census_year")
    out = pd.DataFrame(
        {
            "reference_date": g["reference_date"].max(),
            "in_post": g.size(),
            "no_start_date": g["known"].apply(lambda s: int((~s).sum())),
            "under_12m": g["under"].sum().astype(int),
            "over_2y": g["over"].sum().astype(int),
        }
    )
    with_start = out["in_post"] - out["no_start_date"]
    out["under_12m_share"] = out["under_12m"] / with_start
    out["over_2y_share"] = out["over_2y"] / with_start
    bands = frame.groupby(["census_year", "band"], observed=False).size().unstack("band").reindex(columns=SERVICE_BANDS)
    out = out.join(bands.fillna(0).astype(int))
    return out.reset_index()


def describe_stock(stock: pd.DataFrame, census_year: int | None = None, *, who: str = "social workers") -> str:
    """e.g. "At 30 September 2024, 29% of the 180 social workers in post had joined in the last
    12 months and 50% had been with the council for over 2 years." """
    if stock.empty:
        return ""
    r = stock.loc[stock["census_year"] == (census_year or stock["census_year"].max())].iloc[0]
    ref = pd.Timestamp(r["reference_date"])
    date = f"{ref.day} {ref:%B %Y}"
    return (
        f"At {date}, {100 * r['under_12m_share']:.0f}% of the {safe_count(r['in_post'])} {who} in post "
        f"had joined in the last 12 months and {100 * r['over_2y_share']:.0f}% had been with the council "
        f"for over 2 years."
    )


# --------------------------------------------------------------------------------------------
# leavers
# --------------------------------------------------------------------------------------------


def _leavers(episodes: pd.DataFrame, include_agency: bool) -> pd.DataFrame:
    _need(episodes, ["event", "start_date", "end_date", "agency"], "episodes")
    ep = episodes.loc[(episodes["event"] == 1) & episodes["end_date"].notna()]
    if not include_agency:
        ep = ep.loc[~_bool(ep["agency"])]
    ep = ep.copy()
    ep["census_year"] = census_year_of(ep["end_date"])
    ep["service_years"] = (pd.to_datetime(ep["end_date"]) - pd.to_datetime(ep["start_date"])).dt.days / YEAR_DAYS
    ep["service_band"] = service_band(ep["service_years"])
    return ep


def leavers_by_service(
    episodes: pd.DataFrame, census_year: int | None = None, *, include_agency: bool = False
) -> pd.DataFrame:
    """Leavers in each census year by length of service at leaving.

    Long table: census_year, service_band (<1, 1-2, 2-5, 5-10, 10+), leavers, share, plus per year
    ``within_5y`` (leavers with under 5 years' service) and ``within_5y_share``. Leavers with no
    start date are in band ``unknown`` and excluded from the shares.
    """
    ep = _leavers(episodes, include_agency)
    if census_year is not None:
        ep = ep.loc[ep["census_year"] == census_year]
    counts = ep.groupby(["census_year", "service_band"], observed=False).size().rename("leavers").reset_index()
    unknown = ep.loc[ep["service_band"].isna()].groupby("census_year").size()
    counts["service_band"] = counts["service_band"].astype(str)
    if len(unknown):
        extra = unknown.rename("leavers").reset_index().assign(service_band="unknown")
        counts = pd.concat([counts, extra], ignore_index=True)
    known = counts.loc[counts["service_band"] != "unknown"]
    total = known.groupby("census_year")["leavers"].transform("sum")
    counts["share"] = np.nan
    counts.loc[known.index, "share"] = known["leavers"] / total.replace(0, np.nan)
    within = known.loc[known["service_band"].isin(["<1", "1-2", "2-5"])].groupby("census_year")["leavers"].sum()
    tot = known.groupby("census_year")["leavers"].sum()
    counts["within_5y"] = counts["census_year"].map(within).fillna(0).astype(int)
    counts["within_5y_share"] = counts["census_year"].map(within / tot.replace(0, np.nan))
    order = {b: i for i, b in enumerate(SERVICE_BANDS + ["unknown"])}
    counts = counts.sort_values(["census_year", "service_band"], key=lambda s: s.map(order) if s.name == "service_band" else s)
    counts["census_year"] = counts["census_year"].astype(int)
    return counts.reset_index(drop=True)


def describe_leavers(lbs: pd.DataFrame, census_year: int | None = None, *,
                     min_group: int = MIN_GROUP) -> str:
    """e.g. "Of the 35 social workers who left in the year to 30 September 2024, 69% had been in
    post for less than 5 years." A year with fewer than ``min_group`` leavers is not described
    (its share would let the small counts be worked out; the table withholds it too)."""
    if lbs.empty:
        return ""
    year = census_year or int(lbs["census_year"].max())
    y = lbs.loc[(lbs["census_year"] == year) & (lbs["service_band"] != "unknown")]
    n = int(y["leavers"].sum())
    if n < min_group:
        return (f"Fewer than {min_group} permanent social workers left in the year to "
                f"30 September {year}: too few to describe.")
    share = y["within_5y_share"].iloc[0]
    return (
        f"Of the {safe_count(n)} permanent social workers who left in the year to 30 September {year}, "
        f"{100 * share:.0f}% had been in post for less than 5 years."
    )


def leaving_reasons(
    episodes: pd.DataFrame,
    by: str = "destination_group",
    census_year: int | None = None,
    *,
    include_agency: bool = False,
) -> pd.DataFrame:
    """Leavers per census year by ``by`` (``reason_leave``, ``leaver_destination`` or
    ``destination_group``): census_year, <by>, leavers, share. Missing values are 'not recorded'."""
    ep = _leavers(episodes, include_agency)
    _need(ep, [by], "episodes")
    if census_year is not None:
        ep = ep.loc[ep["census_year"] == census_year]
    ep[by] = ep[by].astype(object).where(ep[by].notna() & (ep[by] != ""), "not recorded")
    out = ep.groupby(["census_year", by]).size().rename("leavers").reset_index()
    out["share"] = out["leavers"] / out.groupby("census_year")["leavers"].transform("sum")
    out["census_year"] = out["census_year"].astype(int)
    return out.sort_values(["census_year", "leavers"], ascending=[True, False]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# DfE rates from the council's own returns
# --------------------------------------------------------------------------------------------


def council_rates(
    worker_years: pd.DataFrame,
    returns: pd.DataFrame | None = None,
    *,
    caseload_agency: bool = True,
) -> pd.DataFrame:
    """Per census year, the DfE headline measures recomputed from the council's own returns.

    Columns (named as in the published panel, docs/tables.md): census_year, inpost_fte,
    inpost_headcount, starters_fte, starters_headcount, leavers_fte, leavers_headcount,
    turnover_rate, agency_fte, agency_headcount, agency_rate, vacancy_fte, vacancy_rate, cases,
    case_holders_fte, caseload, working_days_lost, absence_rate. ``returns`` is the per-return table
    from ingest (``IngestResult.returns``: census_year, NumberOfVacancies); without it the vacancy
    columns are NaN.
    """
    _need(worker_years, ["worker_id", "census_year", "in_post", "left_in_year", "agency", "fte"], "worker_years")
    wy = worker_years.copy()
    agency = _bool(wy["agency"])
    in_post = _bool(wy["in_post"])
    left = _bool(wy["left_in_year"])
    fte = pd.to_numeric(wy["fte"], errors="coerce")
    fte30 = pd.to_numeric(wy["fte30"], errors="coerce").fillna(fte) if "fte30" in wy else fte
    cases = pd.to_numeric(wy["cases30"], errors="coerce") if "cases30" in wy else pd.Series(np.nan, index=wy.index)
    wdl = pd.to_numeric(wy["working_days_lost"], errors="coerce") if "working_days_lost" in wy else pd.Series(np.nan, index=wy.index)
    if "start_date" in wy:
        started = census_year_of(wy["start_date"]).eq(wy["census_year"]).fillna(False).astype(bool)
    else:
        started = pd.Series(False, index=wy.index)
    perm_in = in_post & ~agency
    holder = in_post & (cases > 0) & (caseload_agency | ~agency)
    year = wy["census_year"]

    def fsum(mask, values):
        return values.where(mask).groupby(year).sum(min_count=0)

    def heads(mask):
        return wy.loc[mask].groupby("census_year")["worker_id"].nunique()

    out = pd.DataFrame(index=pd.Index(sorted(year.unique()), name="census_year"))
    out["inpost_fte"] = fsum(perm_in, fte30)
    out["inpost_headcount"] = heads(perm_in)
    out["starters_fte"] = fsum(started & ~agency, fte)
    out["starters_headcount"] = heads(started & ~agency)
    out["leavers_fte"] = fsum(left & ~agency, fte)
    out["leavers_headcount"] = heads(left & ~agency)
    out["agency_fte"] = fsum(in_post & agency, fte30)
    out["agency_headcount"] = wy.loc[in_post & agency].groupby("census_year").size()  # DfE: agency records not de-duplicated
    if returns is not None and len(returns) and "NumberOfVacancies" in returns:
        vac = pd.to_numeric(returns["NumberOfVacancies"], errors="coerce").groupby(returns["census_year"]).sum(min_count=1)
        out["vacancy_fte"] = vac
    else:
        out["vacancy_fte"] = np.nan
    out["cases"] = cases.where(holder).groupby(year).sum(min_count=1)
    out["case_holders_fte"] = fsum(holder, fte30)
    out["working_days_lost"] = wdl.where(perm_in).groupby(year).sum(min_count=1)
    counts = [c for c in out.columns if c.endswith("headcount")]
    out[counts] = out[counts].fillna(0).astype(int)
    out = dfe_rates(out)
    order = ["inpost_fte", "inpost_headcount", "starters_fte", "starters_headcount", "leavers_fte",
             "leavers_headcount", "turnover_rate", "agency_fte", "agency_headcount", "agency_rate", "vacancy_fte",
             "vacancy_rate", "cases", "case_holders_fte", "caseload", "working_days_lost", "absence_rate"]
    return out[order].reset_index()


def dfe_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """Add the DfE rates to a table of counts (columns as in the published panel).

    turnover_rate = 100 leavers_fte / inpost_fte; agency_rate = 100 agency_fte / (agency_fte +
    inpost_fte); vacancy_rate = 100 vacancy_fte / (vacancy_fte + inpost_fte); caseload = cases /
    case_holders_fte; absence_rate = 100 working_days_lost / (inpost_fte x 253). Rates whose inputs
    are missing are NaN. Returns a copy.
    """
    out = counts.copy()
    inpost = out["inpost_fte"].replace(0, np.nan)
    out["turnover_rate"] = 100 * out["leavers_fte"] / inpost
    out["agency_rate"] = 100 * out["agency_fte"] / (out["agency_fte"] + out["inpost_fte"]).replace(0, np.nan)
    out["vacancy_rate"] = 100 * out["vacancy_fte"] / (out["vacancy_fte"] + out["inpost_fte"]).replace(0, np.nan)
    out["caseload"] = out["cases"] / out["case_holders_fte"].replace(0, np.nan)
    out["absence_rate"] = 100 * out["working_days_lost"] / (inpost * ABSENCE_DAYS)
    return out


def describe_rates(rates: pd.DataFrame, census_year: int | None = None) -> str:
    """e.g. "In the year to 30 September 2024, turnover was 15.2% (27.0 FTE leavers of 178.0 FTE in
    post at 30 September), agency workers were 12.1% of the workforce and the average caseload was 16.3." """
    if rates.empty:
        return ""
    r = rates.loc[rates["census_year"] == (census_year or rates["census_year"].max())].iloc[0]
    parts = [
        f"In the year to 30 September {int(r['census_year'])}, turnover was {r['turnover_rate']:.1f}% "
        f"({r['leavers_fte']:.1f} FTE leavers of {r['inpost_fte']:.1f} FTE in post at 30 September)"
    ]
    if pd.notna(r["agency_rate"]):
        parts.append(f"agency workers were {r['agency_rate']:.1f}% of the workforce")
    if pd.notna(r["vacancy_rate"]):
        parts.append(f"the vacancy rate was {r['vacancy_rate']:.1f}%")
    if pd.notna(r["caseload"]):
        parts.append(f"the average caseload was {r['caseload']:.1f} cases per case-holding FTE")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] + "."


# --------------------------------------------------------------------------------------------
# newly qualified (ASYE) cohorts
# --------------------------------------------------------------------------------------------


def asye_cohorts(episodes: pd.DataFrame, *, use_cfkss: bool = False) -> pd.DataFrame:
    """Newly qualified cohorts by census year of starting: started, remain, left, not_known.

    A cohort is the permanent spells with ``entry_route == 'newly_qualified'`` (or, with
    ``use_cfkss=True``, spells ever recorded in the ASYE, ``cfkss_asye``) starting in that census
    year. ``remain`` = still in post at the last census; ``left`` = left since; ``not_known`` =
    spells that disappeared from the returns without an end date (column ``disappeared``).
    """
    _need(episodes, ["event", "start_date", "agency"], "episodes")
    flag = "cfkss_asye" if use_cfkss else "entry_route"
    _need(episodes, [flag], "episodes")
    ep = episodes.loc[~_bool(episodes["agency"])]
    ep = ep.loc[_bool(ep["cfkss_asye"])] if use_cfkss else ep.loc[ep["entry_route"] == "newly_qualified"]
    ep = ep.loc[ep["start_date"].notna()].copy()
    ep["cohort"] = census_year_of(ep["start_date"]).astype(int)
    gone = _bool(ep["disappeared"]) if "disappeared" in ep else pd.Series(False, index=ep.index)
    ep["_remain"] = (ep["event"] == 0) & ~gone
    ep["_left"] = ep["event"] == 1
    ep["_unknown"] = (ep["event"] == 0) & gone
    g = ep.groupby("cohort")
    out = pd.DataFrame(
        {"started": g.size(), "remain": g["_remain"].sum(), "left": g["_left"].sum(), "not_known": g["_unknown"].sum()}
    ).astype(int)
    if "last_census" in ep:
        out["as_at_census"] = g["last_census"].max()
    out["remain_share"] = out["remain"] / out["started"]
    return out.reset_index()


def describe_asye(cohorts: pd.DataFrame, cohort: int | None = None, *, min_group: int = MIN_GROUP) -> str:
    """e.g. "Of 15 newly qualified social workers who started in the year to September 2021, 14
    remain." Numbers under 5 are shown as "<5"; cohorts under ``min_group`` are not described."""
    if cohorts.empty:
        return ""
    r = cohorts.loc[cohorts["cohort"] == (cohort or cohorts["cohort"].max())]
    if r.empty:
        return ""
    r = r.iloc[0]
    if r["started"] < min_group:
        return (
            f"Fewer than {min_group} newly qualified social workers started in the year to September "
            f"{int(r['cohort'])}, too few to report."
        )
    remain = "all remain" if r["remain"] == r["started"] else f"{safe_count(r['remain'])} remain"
    return (
        f"Of {safe_count(r['started'])} newly qualified social workers who started in the year to "
        f"September {int(r['cohort'])}, {remain}."
    )


#: OrgRole (decoded) -> experience group for the target mix. Newly qualified is decided first, from
#: the ASYE (CFKSSstatus 1) or, where CFKSS is not recorded, a newly qualified start under a year ago.
ADVANCED_ROLES = {"Senior Practitioner", "First Line Manager", "Middle Manager", "Senior Manager"}


def experience_groups(worker_years: pd.DataFrame, census_year: int | None = None) -> pd.DataFrame:
    """Permanent social workers in post at a census (default: the latest), with their experience
    group: ``newly_qualified`` (in the ASYE at that census: CFKSSstatus 1; or, when no CFKSS status
    is recorded in the return, a newly qualified start less than a year before), ``advanced``
    (senior practitioners and managers, or CFKSS practice supervisor/leader) or ``experienced``."""
    wy = worker_years[worker_years["in_post"].astype(bool) & ~worker_years["agency"].astype(bool)]
    if wy.empty:
        return wy.assign(experience=pd.Series(dtype=str))
    year = int(census_year or wy["census_year"].max())
    wy = wy[wy["census_year"] == year].copy()
    cfkss = wy["cfkss_status"].astype("string").fillna("") if "cfkss_status" in wy else pd.Series("", index=wy.index)
    has_cfkss = cfkss.str.len().gt(0).any()
    codes = cfkss.str.split(";")
    asye = codes.map(lambda c: "1" in c)
    senior_cfkss = codes.map(lambda c: "3" in c or "4" in c)
    if not has_cfkss:
        asye = (wy["entry_route"] == "newly_qualified") & (wy["tenure_days"] < YEAR_DAYS)
    advanced = wy["role"].isin(ADVANCED_ROLES) | senior_cfkss
    wy["experience"] = "experienced"
    wy.loc[advanced, "experience"] = "advanced"
    wy.loc[asye, "experience"] = "newly_qualified"
    return wy


def experience_mix_table(worker_years: pd.DataFrame, target: dict[str, float],
                         census_year: int | None = None) -> pd.DataFrame:
    """FTE and headcount by experience group against the target mix (percentages of FTE).

    Columns: census_year, experience, headcount, fte, share (% of FTE), target (%), gap_pp
    (share − target), fte_change_to_target (FTE to add (+) or move (−) at today's total FTE).
    """
    wy = experience_groups(worker_years, census_year)
    fte = wy["fte30"].fillna(wy["fte"]) if "fte30" in wy else wy["fte"]
    g = pd.DataFrame({"experience": wy["experience"], "fte": fte, "worker_id": wy["worker_id"]})
    agg = g.groupby("experience").agg(headcount=("worker_id", "nunique"), fte=("fte", "sum"))
    agg = agg.reindex(list(target)).fillna(0)
    total = agg["fte"].sum()
    out = agg.reset_index()
    out.insert(0, "census_year", int(wy["census_year"].max()) if len(wy) else pd.NA)
    out["share"] = 100 * out["fte"] / total if total > 0 else float("nan")
    out["target"] = [float(target[k]) for k in out["experience"]]
    out["gap_pp"] = out["share"] - out["target"]
    out["fte_change_to_target"] = total * out["target"] / 100 - out["fte"]
    out["headcount"] = out["headcount"].astype(int)
    return out
