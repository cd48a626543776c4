"""Drivers of retention: how caseload and pay relate to leaving, from a council's own workers.

Takes the ``worker_years`` table (docs/tables.md) and returns DataFrames, result objects and
sentences; drawing lives in :mod:`swanalysis.plots.drivers`. Methods: docs/drivers.md.

The unit of analysis is the **person-period**: one interval per worker per census year,
(census k, census k+1], on the *tenure* time scale (years since the spell's start date), with the
covariates measured at census k (Cases30 and the payroll salary on 30 September) and ``event`` = 1
when the worker left within the interval.  The part of a spell before its first census enters
nothing: the spell comes into the risk set at its tenure on that census (delayed entry), so a
caseload is never borrowed from a later census.

Models
  * ``cox_time_varying`` — Cox proportional hazards with time-varying covariates (lifelines
    ``CoxTimeVaryingFitter``; Efron ties), start/stop on tenure;
  * ``discrete_time_logit`` — logistic model for leaving within the year after each census, with
    a tenure-band baseline and standard errors clustered by worker (statsmodels GLM).  Its
    exponentiated coefficients are odds ratios of leaving within the year; for the annual leaving
    rates of social workers (10–20%) they are close to hazard ratios and are reported in the same
    ``hazard_ratio`` column.

Typical use (DataFrame in, result / DataFrame / str out)::

    res = fit_drivers(worker_years)
    hazard_ratio_table(res)            # tables/hazard_ratios.csv
    retention_scenarios(res)           # caseload 2 lower / pay £2,000 higher
    sentences(res); caveats(res)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from . import _docs
from .errors import UserError
from .results import Result, plural

__all__ = [
    "HAZARD_RATIO_COLUMNS",
    "CoxFit",
    "DiscreteFit",
    "DriversResult",
    "person_periods",
    "current_workforce",
    "fit_cox",
    "fit_discrete_time",
    "proportional_hazards_test",
    "fit_drivers",
    "MODELS",
    "Model",
    "hazard_ratio_table",
    "retention_scenarios",
    "sentences",
    "caveats",
    "term_label",
    "scenario_sentences",
]

HAZARD_RATIO_COLUMNS = [
    "model",
    "term",
    "unit",
    "hazard_ratio",
    "ci_lower",
    "ci_upper",
    "p_value",
    "n_workers",
    "n_events",
]

COX = "cox_time_varying"
DISCRETE = "discrete_time_logit"

#: Continuous covariates: column in the person-period frame -> unit as printed.
CONTINUOUS_UNITS = {"caseload": "per case", "salary": "per £1,000", "fte": "per 0.1 FTE"}
CATEGORICAL = ["role", "entry_route", "age_band", "team", "census_year"]
DEFAULT_COVARIATES = ["caseload", "salary", "fte", "role", "entry_route", "age_band", "team", "census_year"]
#: Adjusters whose coefficients are not reported (year effects: what changed for everybody).
NUISANCE = ["census_year"]
KEY_TERMS = ["caseload", "salary"]

#: The guard: fewer events than this per model parameter and the model is not trusted.
EVENTS_PER_PARAMETER = 10
#: Levels of a categorical covariate with fewer leavers than this are pooled into "other".
MIN_LEVEL_EVENTS = 5
#: Tenure bands (years) for the discrete-time baseline; sparse bands are merged downward.
TENURE_BAND_EDGES = [0, 1, 2, 3, 5, 10, np.inf]
MIN_BAND_EVENTS = 5

DAYS_PER_YEAR = 365.25

PP_COLUMNS = [
    "worker_id",
    "spell",
    "census_year",
    "start",
    "stop",
    "event",
    "caseload",
    "salary",
    "fte",
    "role",
    "entry_route",
    "age_band",
    "team",
]


#: Text shared by the docstrings here, written once (see :mod:`swanalysis._docs`).
_SHARED_DOC = {
    "worker_years": _docs.lines(
        'worker_years : pandas.DataFrame',
        '    The ``worker_years`` table (docs/tables.md): one row per spell per census year with',
        '    worker_id, spell, census_year, reference_date, in_post, start_date, end_date, cases30,',
        '    salary, fte and the categorical covariates (role, entry_route, age_band, team, agency).',
    ),
    "include_agency": _docs.lines(
        'include_agency : bool, default False',
        '    Keep agency workers (excluded from the permanent-staff analysis otherwise).',
    ),
    "example": _docs.lines(
        '>>> from swanalysis.synth import generate',
        '>>> from swanalysis import drivers',
        '>>> council = generate("Stockport", "2020-2024", seed=1, scale=0.4, retention_draws=1000)',
        '>>> wy = council.true_worker_years',
    ),
}


# --------------------------------------------------------------------------------------------
# Person-period data
# --------------------------------------------------------------------------------------------

_REQUIRED_WY = [
    "worker_id",
    "spell",
    "census_year",
    "reference_date",
    "in_post",
    "cases30",
    "start_date",
    "end_date",
]


def _check_columns(df: pd.DataFrame, needed, what: str) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise UserError(f"{what}: missing column(s) {', '.join(missing)} (see docs/tables.md)")


def _covariates_at_census(rows: pd.DataFrame) -> pd.DataFrame:
    """The census-k covariates of worker_years rows, in model units."""
    out = pd.DataFrame(index=rows.index)
    out["caseload"] = pd.to_numeric(rows["cases30"], errors="coerce")
    if "salary" in rows:
        out["salary"] = pd.to_numeric(rows["salary"], errors="coerce") / 1000.0
    else:
        out["salary"] = np.nan
    fte = pd.Series(np.nan, index=rows.index)
    for col in ("fte30", "fte"):
        if col in rows:
            fte = fte.fillna(pd.to_numeric(rows[col], errors="coerce"))
    out["fte"] = fte * 10.0  # per 0.1 FTE
    for col in CATEGORICAL:
        if col in NUISANCE:
            continue
        if col in rows:
            vals = rows[col].astype("object")
            out[col] = vals.where(vals.notna(), "unknown").astype(str)
        else:
            out[col] = "unknown"
    return out


def _census_calendar(wy: pd.DataFrame) -> pd.Series:
    """census_year -> reference date (the most common one reported for that year)."""
    ref = pd.to_datetime(wy["reference_date"])
    return ref.groupby(wy["census_year"].astype(int)).agg(lambda s: s.mode().iloc[0]).sort_index()


@_docs.fill(_SHARED_DOC)
def person_periods(
    worker_years: pd.DataFrame,
    *,
    include_agency: bool = False,
    caseload_census_offset: int = 0,
) -> pd.DataFrame:
    """One interval per worker per census year, (census k, census k+1], on the tenure scale.

    Treatment of awkward cases (counted in ``.attrs["exclusions"]``, a reason -> count dict, and
    in :attr:`DriversResult.exclusions`; nothing is dropped silently):

    * the part of a spell before its first census in the data is not an interval: the spell
      enters the risk set at its tenure on that census (delayed entry);
    * spells that end before their first 30 September in the data (starters who leave within
      their first year, or leavers in the first return's year) have no census covariates and are
      excluded -- the estimates describe workers who were in post on at least one 30 September;
    * agency workers are excluded unless ``include_agency``;
    * a worker in post at census k who is absent from census k+1 with no leaving date is
      excluded for that interval (lost to follow-up); so is census k when census k+1 is missing;
    * the last census has no following year, so it gives no interval (it is the current
      workforce for :func:`retention_scenarios`).

    Parameters
    ----------
    ${worker_years}
    ${include_agency}
    caseload_census_offset : int, default 0
        Exists only to demonstrate that alignment matters: 0 (correct) uses Cases30 from census
        k; -1 the census before; +1 the census after (the value recorded after the outcome;
        leavers, who have none, keep census k -- the naive "latest known caseload" join). Never
        use a non-zero offset for reporting.

    Returns
    -------
    pandas.DataFrame
        Columns ``worker_id, spell, census_year`` (k), ``start``/``stop`` (tenure in years at
        census k and at census k+1 or the leaving date), ``event`` (1 = left within the
        interval), the census-k covariates ``caseload`` (Cases30), ``salary`` (£1,000s per FTE
        year), ``fte`` (tenths of an FTE), ``role, entry_route, age_band, team`` (``"unknown"``
        when not recorded).

    Raises
    ------
    UserError
        When ``worker_years`` lacks a column the analysis needs (named, never a value).

    Examples
    --------
    ${example}
    >>> pp = drivers.person_periods(wy)
    >>> pp[["census_year", "start", "stop", "event", "caseload", "salary"]].describe().loc[["count", "mean"]].round(2)
           census_year   start   stop   event  caseload  salary
    count       409.00  409.00  409.0  409.00    409.00  409.00
    mean       2021.56    9.74   10.7    0.09      3.24   51.79
    >>> sorted(pp.attrs["exclusions"])[:2]
    ['agency worker-years (excluded from permanent-staff analysis)', "spells in post before observation that ended before the first return's 30 September"]
    """
    _check_columns(worker_years, _REQUIRED_WY, "worker_years")
    if worker_years.empty:
        out = pd.DataFrame(columns=PP_COLUMNS)
        out.attrs["exclusions"] = {}
        return out
    wy = worker_years.copy()
    wy["census_year"] = wy["census_year"].astype(int)
    wy["reference_date"] = pd.to_datetime(wy["reference_date"])
    wy["start_date"] = pd.to_datetime(wy["start_date"])
    wy["end_date"] = pd.to_datetime(wy["end_date"])
    wy["in_post"] = wy["in_post"].astype(bool)
    exclusions: dict[str, int] = {}

    def note(reason: str, n: int) -> None:
        if n:
            exclusions[reason] = exclusions.get(reason, 0) + int(n)

    if "agency" in wy and not include_agency:
        agency = wy["agency"].fillna(False).astype(bool)
        note("agency worker-years (excluded from permanent-staff analysis)", agency.sum())
        wy = wy[~agency]
    calendar = _census_calendar(worker_years)
    years = list(calendar.index)
    next_year = {y: y + 1 for y in years if y + 1 in calendar.index}

    key = ["worker_id", "spell"]
    # A spell's end date: the latest seen in any of its rows.
    spell_end = wy.groupby(key)["end_date"].max().rename("spell_end")
    wy = wy.drop(columns=["end_date"]).join(spell_end, on=key)

    # Spells never in post at a census: no covariates measured on a 30 September.
    ever_in_post = wy.groupby(key)["in_post"].any()
    never = ever_in_post[~ever_in_post].index
    if len(never):
        first_ref = calendar.iloc[0]
        starts = wy.drop_duplicates(key).set_index(key)["start_date"].reindex(never)
        in_year = (starts > first_ref - pd.DateOffset(years=1)).sum()
        note("spells that started and ended before their first 30 September (no census covariates)",
             in_year)
        note("spells in post before observation that ended before the first return's 30 September",
             len(never) - in_year)

    cur = wy[wy["in_post"]].copy()
    seen = set(zip(wy["worker_id"], wy["spell"], wy["census_year"]))
    last = max(years)
    at_last = cur["census_year"] == last
    cur = cur[~at_last]
    no_next = ~cur["census_year"].isin(list(next_year))
    note("census years with no following return in the data (no interval)", no_next.sum())
    cur = cur[~no_next]
    if cur.empty:
        out = pd.DataFrame(columns=PP_COLUMNS)
        out.attrs["exclusions"] = exclusions
        return out

    k1 = cur["census_year"].map(next_year)
    ref_k = cur["reference_date"]
    ref_k1 = k1.map(calendar)
    end = cur["spell_end"]
    left = end.notna() & (end > ref_k) & (end <= ref_k1)
    bad_end = end.notna() & (end <= ref_k)
    note("in post at a census but with an end date on or before it (inconsistent)", bad_end.sum())
    seen_next = pd.Series(
        [(w, s, y) in seen for w, s, y in zip(cur["worker_id"], cur["spell"], k1)], index=cur.index
    )
    stays = ~left & ~bad_end & (seen_next | (end.notna() & (end > ref_k1)))
    lost = ~left & ~bad_end & ~stays
    note("in post at census k, absent from census k+1 with no leaving date (lost to follow-up)",
         lost.sum())
    keep = left | stays
    cur, ref_k, ref_k1, end, left = cur[keep], ref_k[keep], ref_k1[keep], end[keep], left[keep]

    start_days = (ref_k - cur["start_date"]).dt.days
    stop_days = np.where(left, (end - cur["start_date"]).dt.days, (ref_k1 - cur["start_date"]).dt.days)
    negative = start_days < 0
    note("start date after the census it is in post at (inconsistent)", negative.sum())

    covs = _covariates_at_census(cur)
    if caseload_census_offset:
        lookup = wy[wy["in_post"]].set_index(["worker_id", "spell", "census_year"])["cases30"]
        lookup = lookup[~lookup.index.duplicated()]
        idx = pd.MultiIndex.from_arrays(
            [cur["worker_id"], cur["spell"], cur["census_year"] + caseload_census_offset]
        )
        other = pd.to_numeric(pd.Series(lookup.reindex(idx).to_numpy(), index=cur.index),
                              errors="coerce")
        covs["caseload"] = other.fillna(covs["caseload"]) if caseload_census_offset > 0 else other

    out = pd.DataFrame(
        {
            "worker_id": cur["worker_id"].astype(str),
            "spell": cur["spell"].astype(int),
            "census_year": cur["census_year"].astype(int),
            "start": start_days / DAYS_PER_YEAR,
            "stop": stop_days / DAYS_PER_YEAR,
            "event": left.astype(int),
        },
        index=cur.index,
    ).join(covs)
    out = out[~negative.to_numpy()]
    out = out.sort_values(["worker_id", "spell", "census_year"]).reset_index(drop=True)
    out.attrs["exclusions"] = exclusions
    return out[PP_COLUMNS]


def current_workforce(worker_years: pd.DataFrame, *, include_agency: bool = False) -> pd.DataFrame:
    """Workers in post at the latest census, with their covariates and tenure then (years).

    Same columns as :func:`person_periods` except there is no stop/event yet (``start`` is the
    tenure at the latest census).
    """
    _check_columns(worker_years, _REQUIRED_WY, "worker_years")
    wy = worker_years.copy()
    wy["census_year"] = wy["census_year"].astype(int)
    last = wy["census_year"].max()
    cur = wy[(wy["census_year"] == last) & wy["in_post"].astype(bool)]
    if "agency" in cur and not include_agency:
        cur = cur[~cur["agency"].fillna(False).astype(bool)]
    tenure = (pd.to_datetime(cur["reference_date"]) - pd.to_datetime(cur["start_date"])).dt.days
    out = pd.DataFrame(
        {
            "worker_id": cur["worker_id"].astype(str),
            "spell": cur["spell"].astype(int),
            "census_year": cur["census_year"].astype(int),
            "start": tenure / DAYS_PER_YEAR,
        },
        index=cur.index,
    ).join(_covariates_at_census(cur))
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Design matrix shared by both models
# --------------------------------------------------------------------------------------------


@dataclass
class Design:
    """How covariates become model columns (fitted on the estimation data, reused for prediction)."""

    continuous: list[str]
    categorical: dict[str, dict]  # name -> {"reference": level, "levels": [...], "pooled": [...]}
    columns: list[str] = field(default_factory=list)

    def matrix(self, data: pd.DataFrame) -> pd.DataFrame:
        """The model columns for ``data`` (continuous as they are, one 0/1 column per non-reference level)."""
        parts = [data[c].astype(float) for c in self.continuous]
        for name, spec in self.categorical.items():
            vals = data[name].astype(str)
            vals = vals.where(vals.isin(spec["levels"] + [spec["reference"]]), "other")
            for level in spec["levels"]:
                parts.append((vals == level).astype(float).rename(f"{name}: {level}"))
        X = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=data.index)
        return X[self.columns] if self.columns else X

    def unit(self, column: str) -> str:
        """The unit of a model column in words (``per case``, ``vs <reference level>``)."""
        if column in CONTINUOUS_UNITS:
            return CONTINUOUS_UNITS[column]
        name = column.split(": ", 1)[0]
        return f"vs {self.categorical[name]['reference']}"


def _build_design(data: pd.DataFrame, covariates: list[str], notes: list[str]) -> Design:
    continuous, categorical = [], {}
    events = data["event"].astype(bool)
    for cov in covariates:
        if cov in CONTINUOUS_UNITS:
            col = data[cov]
            if col.isna().all():
                notes.append(f"{_label(cov)} is not recorded, so the models do not include it.")
                continue
            if col.nunique(dropna=True) < 2:
                notes.append(f"{_label(cov)} does not vary, so the models do not include it.")
                continue
            continuous.append(cov)
        else:
            vals = data[cov].astype(str)
            counts = vals[events].value_counts()
            kept = [lv for lv in vals.value_counts().index if counts.get(lv, 0) >= MIN_LEVEL_EVENTS]
            pooled = sorted(set(vals) - set(kept))
            if pooled:
                kept_or_other = kept + (["other"] if "other" not in kept else [])
            else:
                kept_or_other = kept
            recoded = vals.where(vals.isin(kept), "other")
            if recoded.nunique() < 2 or set(vals.unique()) <= {"unknown"}:
                if set(vals.unique()) <= {"unknown"}:
                    notes.append(f"{_label(cov)} is not recorded, so the models do not adjust for it.")
                else:
                    notes.append(f"Too few leavers to adjust for {_label(cov)}.")
                continue
            reference = recoded.value_counts().index[0]
            levels = [lv for lv in kept_or_other if lv != reference and (recoded == lv).any()]
            other_events = int(events[recoded == "other"].sum())
            if "other" in levels and other_events < MIN_LEVEL_EVENTS:
                # too few leavers even pooled: counted with the reference group (no own term)
                levels.remove("other")
                notes.append(
                    f"{_label(cov).capitalize()}: groups with fewer than {MIN_LEVEL_EVENTS} leavers "
                    f"are counted with '{reference}'."
                )
            elif pooled:
                notes.append(
                    f"{_label(cov).capitalize()}: groups with fewer than {MIN_LEVEL_EVENTS} leavers "
                    "are pooled as 'other'."
                )
            categorical[cov] = {"reference": reference, "levels": levels, "pooled": pooled}
    design = Design(continuous, categorical)
    X = design.matrix(data)
    # drop columns that are constant in the estimation data (e.g. a level with no rows)
    design.columns = [c for c in X.columns if X[c].nunique() > 1]
    return design


def _label(cov: str) -> str:
    return {
        "caseload": "caseload",
        "salary": "salary",
        "fte": "FTE",
        "role": "role",
        "entry_route": "entry route",
        "age_band": "age band",
        "team": "team",
        "census_year": "census year",
    }.get(cov, cov)


# --------------------------------------------------------------------------------------------
# Model fits (generic: any start/stop/event frame)
# --------------------------------------------------------------------------------------------


def _ci_table(coef, se, p, index) -> pd.DataFrame:
    z = stats.norm.ppf(0.975)
    coef, se = np.asarray(coef, float), np.asarray(se, float)
    return pd.DataFrame(
        {
            "coef": coef,
            "se": se,
            "hazard_ratio": np.exp(coef),
            "ci_lower": np.exp(coef - z * se),
            "ci_upper": np.exp(coef + z * se),
            "p_value": np.asarray(p, float),
        },
        index=pd.Index(index, name="term"),
    )


@dataclass
class CoxFit:
    """A fitted Cox model: ``summary`` (term -> coef, se, hazard_ratio, ci_lower, ci_upper,
    p_value), its covariance, counts, and the fitted lifelines object."""

    summary: pd.DataFrame
    cov: pd.DataFrame
    n_subjects: int
    n_events: int
    n_intervals: int
    fitter: object = None

    @property
    def params(self) -> pd.Series:
        """The coefficients (log hazard ratios), term -> coef."""
        return self.summary["coef"]


def fit_cox(
    data: pd.DataFrame,
    covariates: list[str],
    *,
    start_col: str = "start",
    stop_col: str = "stop",
    event_col: str = "event",
    id_col: str | None = "worker_id",
) -> CoxFit:
    """Cox proportional hazards on counting-process data (start, stop], Efron ties.

    ``data`` is any frame with numeric ``covariates`` columns, one row per interval; intervals of
    one subject share ``id_col`` (each row is its own subject when ``id_col`` is None).  Rows
    enter the risk set after ``start`` (delayed entry), so time-varying covariates and late entry
    are both handled.  Fitted by lifelines ``CoxTimeVaryingFitter``.
    """
    from lifelines import CoxTimeVaryingFitter

    cols = list(covariates)
    df = data[cols].astype(float).copy()
    df["_start"] = data[start_col].astype(float).to_numpy()
    df["_stop"] = data[stop_col].astype(float).to_numpy()
    df["_event"] = data[event_col].astype(int).to_numpy()
    df["_id"] = data[id_col].to_numpy() if id_col else np.arange(len(df))
    if df[cols].isna().any().any():
        raise UserError("fit_cox: covariates contain missing values; drop or impute them first")
    if (df["_stop"] <= df["_start"]).any():
        raise UserError("fit_cox: every interval needs stop > start")
    ctv = CoxTimeVaryingFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctv.fit(df, id_col="_id", event_col="_event", start_col="_start", stop_col="_stop")
    s = ctv.summary
    summary = _ci_table(s["coef"], s["se(coef)"], s["p"], cols)
    cov = pd.DataFrame(ctv.variance_matrix_.to_numpy(), index=cols, columns=cols)
    return CoxFit(
        summary=summary,
        cov=cov,
        n_subjects=int(df["_id"].nunique()),
        n_events=int(df["_event"].sum()),
        n_intervals=len(df),
        fitter=ctv,
    )


def proportional_hazards_test(
    data: pd.DataFrame,
    covariates: list[str],
    *,
    start_col: str = "start",
    stop_col: str = "stop",
    event_col: str = "event",
) -> pd.DataFrame:
    """Grambsch–Therneau test of proportional hazards from scaled Schoenfeld residuals.

    The residuals come from statsmodels ``PHReg`` fitted with entry times (so late entry and
    time-varying covariates are respected); the test correlates each covariate's scaled residual
    with the rank of the event times (the approximation used by lifelines'
    ``proportional_hazard_test`` and by R's ``cox.zph`` before survival 3.0).  Returns term ->
    ``test_statistic, p_value, coef`` (the PHReg coefficient, an independent check on fit_cox).
    """
    from statsmodels.duration.hazard_regression import PHReg

    X = data[covariates].astype(float).to_numpy()
    model = PHReg(
        data[stop_col].astype(float).to_numpy(),
        X,
        status=data[event_col].astype(int).to_numpy(),
        entry=data[start_col].astype(float).to_numpy(),
        ties="efron",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit()
    V = np.asarray(res.cov_params())
    beta = np.asarray(res.params)
    resid = np.asarray(res.schoenfeld_residuals)
    is_event = data[event_col].astype(int).to_numpy() == 1
    times = data[stop_col].astype(float).to_numpy()[is_event]
    r = resid[is_event]
    ok = ~np.isnan(r).any(axis=1)
    r, times = r[ok], times[ok]
    d = len(times)
    scaled = d * r @ V + beta
    g = stats.rankdata(times)
    g = g - g.mean()
    T = (g[:, None] * scaled).sum(0) ** 2 / (d * np.diag(V) * (g**2).sum())
    p = stats.chi2.sf(T, 1)
    return pd.DataFrame(
        {"test_statistic": T, "p_value": p, "coef": beta}, index=pd.Index(covariates, name="term")
    )


def tenure_bands(tenure_years: pd.Series, edges=None) -> pd.Series:
    """Tenure in years -> band label ("0-1", "1-2", ..., "10+")."""
    edges = list(TENURE_BAND_EDGES if edges is None else edges)
    labels = [_band_label(lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]
    return pd.cut(tenure_years, edges, right=False, labels=labels).astype(str)


def _band_label(lo: float, hi: float) -> str:
    return f"{lo:g}+" if np.isinf(hi) else f"{lo:g}-{hi:g}"


def _merge_sparse_bands(bands: pd.Series, events: pd.Series) -> dict:
    """Map each tenure band to itself or a merged neighbour so every band has enough leavers."""
    edges = TENURE_BAND_EDGES
    spans = [(lo, hi) for lo, hi in zip(edges[:-1], edges[1:]) if (bands == _band_label(lo, hi)).any()]
    counts = events.groupby(bands).sum()
    groups: list[list[tuple]] = []
    for span in spans:
        if groups and sum(counts.get(_band_label(*s), 0) for s in groups[-1]) < MIN_BAND_EVENTS:
            groups[-1].append(span)
        else:
            groups.append([span])
    while len(groups) > 1 and sum(counts.get(_band_label(*s), 0) for s in groups[-1]) < MIN_BAND_EVENTS:
        tail = groups.pop()
        groups[-1].extend(tail)
    mapping = {}
    for grp in groups:
        name = _band_label(grp[0][0], grp[-1][1])
        for span in grp:
            mapping[_band_label(*span)] = name
    return mapping


@dataclass
class DiscreteFit:
    """A fitted discrete-time logistic hazard model (odds ratios per year at risk)."""

    summary: pd.DataFrame  # covariate terms only
    params: pd.Series  # all parameters, incl. baseline
    cov: pd.DataFrame  # cluster-robust covariance of all parameters
    band_map: dict
    n_subjects: int
    n_events: int
    n_intervals: int

    def linear_predictor(self, X: pd.DataFrame, tenure_years: pd.Series) -> np.ndarray:
        """The log odds of leaving for each row of ``X`` at the given tenures (years)."""
        return self.design_matrix(X, tenure_years).to_numpy() @ self.params.to_numpy()

    def design_matrix(self, X: pd.DataFrame, tenure_years: pd.Series) -> pd.DataFrame:
        """``X`` with the tenure-band columns of the baseline, in the order of ``params``."""
        bands = tenure_bands(pd.Series(np.asarray(tenure_years, float), index=X.index))
        bands = bands.map(self.band_map).fillna(list(self.band_map.values())[-1])
        base = pd.get_dummies(bands, prefix="tenure", prefix_sep=" ").astype(float)
        full = pd.concat([base, X.astype(float)], axis=1)
        return full.reindex(columns=self.params.index, fill_value=0.0)


def fit_discrete_time(
    data: pd.DataFrame,
    covariates: list[str],
    *,
    start_col: str = "start",
    event_col: str = "event",
    cluster_col: str | None = "worker_id",
) -> DiscreteFit:
    """Logistic model for ``event`` per interval with a tenure-band baseline (one intercept per
    band, bands from the tenure at ``start_col``, sparse bands merged) and standard errors
    clustered by ``cluster_col``.  statsmodels GLM, Binomial family, logit link."""
    # the model's own modules, not statsmodels.api (which imports all of statsmodels: 0.2 s)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    events = data[event_col].astype(int)
    bands = tenure_bands(data[start_col].astype(float))
    band_map = _merge_sparse_bands(bands, events)
    mapped = bands.map(band_map)
    base = pd.get_dummies(mapped, prefix="tenure", prefix_sep=" ").astype(float)
    band_cols = sorted(base.columns, key=lambda c: float(c.split(" ")[1].split("-")[0].rstrip("+")))
    X = pd.concat([base[band_cols], data[covariates].astype(float)], axis=1)
    if X.isna().any().any():
        raise UserError("fit_discrete_time: covariates contain missing values")
    glm = GLM(events.to_numpy(), X, family=families.Binomial())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if cluster_col:
            groups = pd.factorize(data[cluster_col])[0]
            res = glm.fit(cov_type="cluster", cov_kwds={"groups": groups})
        else:
            res = glm.fit()
    params = pd.Series(np.asarray(res.params), index=X.columns)
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=X.columns, columns=X.columns)
    se = np.sqrt(np.diag(cov.loc[covariates, covariates])) if covariates else []
    z = params[covariates] / se if covariates else []
    p = 2 * stats.norm.sf(np.abs(z)) if covariates else []
    return DiscreteFit(
        summary=_ci_table(params[covariates], se, p, covariates),
        params=params,
        cov=cov,
        band_map=band_map,
        n_subjects=int(data[cluster_col].nunique()) if cluster_col else len(data),
        n_events=int(events.sum()),
        n_intervals=len(data),
    )


@dataclass(frozen=True)
class Model:
    """One model of :data:`MODELS`: its fit function and its names in words.

    ``fit(data, covariates)`` takes a frame with worker_id, start, stop, event and the numeric
    covariate columns, and returns an object with ``summary`` (term -> coef, se, hazard_ratio,
    ci_lower, ci_upper, p_value), ``n_subjects`` and ``n_events``.
    """

    fit: object
    short: str  # in sentences and alt text
    legend: str  # in the forest plot's legend


#: The models :func:`fit_drivers` fits, in report order. A new model is one fit function and one
#: entry here: the hazard-ratio table, the forest plot and its alt text pick it up.
MODELS = {
    COX: Model(fit_cox, "Cox", "Cox, time-varying covariates"),
    DISCRETE: Model(fit_discrete_time, "discrete-time", "Discrete-time logistic (check)"),
}


# --------------------------------------------------------------------------------------------
# The drivers analysis
# --------------------------------------------------------------------------------------------


@dataclass(repr=False)
class DriversResult(Result):
    """Everything the drivers section reports.

    Attributes
    ----------
    status : str
        ``"ok"`` (full adjustment), ``"reduced"`` (too few leavers for the full model: caseload
        and pay only), or ``"too_few_events"`` / ``"no_caseload"`` (no model).
    message : str
        The status in words.
    data : pandas.DataFrame
        The person-period intervals the models were fitted to (see :func:`person_periods`).
    current : pandas.DataFrame
        The workforce at the latest census (see :func:`current_workforce`).
    design : Design or None
        How covariates became model columns.
    fits : dict
        Model name (a key of :data:`MODELS`) -> its fit; empty when no model was fitted.
        ``cox`` and ``discrete`` are the two standard ones.
    ph_test : pandas.DataFrame or None
        The proportional-hazards check (:func:`proportional_hazards_test`).
    covariates_requested : list of str
    notes : list of str
        What was left out or pooled, in words.
    exclusions : dict
        Reason -> number of records or intervals not used.
    """

    status: str
    message: str
    data: pd.DataFrame
    current: pd.DataFrame
    design: Design | None = None
    fits: dict = field(default_factory=dict)
    ph_test: pd.DataFrame | None = None
    covariates_requested: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exclusions: dict = field(default_factory=dict)

    @property
    def cox(self) -> CoxFit | None:
        """The Cox fit (``fits[COX]``), None when no model was fitted."""
        return self.fits.get(COX)

    @property
    def discrete(self) -> DiscreteFit | None:
        """The discrete-time fit (``fits[DISCRETE]``), None when no model was fitted."""
        return self.fits.get(DISCRETE)

    @property
    def ok(self) -> bool:
        """True when the models were fitted (status ``ok`` or ``reduced``)."""
        return self.status in ("ok", "reduced")

    @property
    def n_workers(self) -> int:
        """Workers with at least one interval in the model data."""
        return int(self.data["worker_id"].nunique()) if len(self.data) else 0

    @property
    def n_events(self) -> int:
        """Leavers (intervals ending in leaving) in the model data."""
        return int(self.data["event"].sum()) if len(self.data) else 0

    def _title(self) -> str:
        return self.status

    def _counts(self) -> list[str]:
        terms = len(self.cox.summary) if self.cox is not None else 0
        return [plural(self.n_workers, "worker"), plural(self.n_events, "leaver"),
                plural(len(self.fits), "model"), plural(terms, "term")]

    def table(self, terms: str | list[str] = "all") -> pd.DataFrame:
        """The hazard-ratio table (:func:`hazard_ratio_table`)."""
        return hazard_ratio_table(self, terms)

    def hazard_ratios(self) -> pd.DataFrame:
        """The hazard-ratio table (:func:`hazard_ratio_table`)."""
        return hazard_ratio_table(self)

    def sentences(self) -> list[str]:
        """The findings in words (:func:`sentences`)."""
        return sentences(self)

    def caveats(self) -> list[str]:
        """The caveats in words (:func:`caveats`)."""
        return caveats(self)


def _model_rows(data: pd.DataFrame, covariates: list[str]) -> tuple[pd.DataFrame, dict]:
    """Drop intervals missing a continuous covariate the model needs, counting them."""
    dropped = {}
    keep = pd.Series(True, index=data.index)
    for cov in covariates:
        if cov in CONTINUOUS_UNITS and not data[cov].isna().all():
            miss = data[cov].isna() & keep
            if miss.any():
                dropped[f"intervals with no {_label(cov)} recorded at the census"] = int(miss.sum())
            keep &= ~data[cov].isna()
    return data[keep], dropped


@_docs.fill(_SHARED_DOC)
def fit_drivers(
    worker_years: pd.DataFrame,
    *,
    covariates: list[str] | None = None,
    include_agency: bool = False,
    caseload_census_offset: int = 0,
) -> DriversResult:
    """Person-period data -> every model of :data:`MODELS`, the guard and the proportional-hazards check.

    Guard: with fewer than 10 leavers per model parameter the models fall back to caseload and
    pay with year effects, then to caseload and pay only (``status="reduced"``, said in
    ``message``); with fewer than 10 per parameter even then, no model is fitted
    (``status="too_few_events"``).

    Parameters
    ----------
    ${worker_years}
    covariates : list of str, optional
        Defaults to caseload, salary, FTE, role, entry route, age band, team and census year; any
        that is not recorded (e.g. salary without a payroll extract) is left out with a note.
        ``census_year`` adds one effect per year (what changed for everybody that year: the
        intervals are exactly census years), not reported in the hazard-ratio table.
    ${include_agency}
    caseload_census_offset : int, default 0
        See :func:`person_periods` (a demonstration only).

    Returns
    -------
    DriversResult
        ``status``, ``message``, ``fits`` (model name -> fit with ``summary``: term -> coef, se,
        hazard_ratio, ci_lower, ci_upper, p_value), ``ph_test``, ``notes``, ``exclusions``;
        ``.table()`` is :func:`hazard_ratio_table` (columns model, term, unit, hazard_ratio,
        ci_lower, ci_upper, p_value, n_workers, n_events), ``.sentences()`` the findings.

    Raises
    ------
    UserError
        For an unknown covariate, or when ``worker_years`` lacks a column the analysis needs.

    Examples
    --------
    ${example}
    >>> res = drivers.fit_drivers(wy)
    >>> res
    <DriversResult reduced: 137 workers, 36 leavers, 2 models, 2 terms>
    >>> list(res.fits)
    ['cox_time_varying', 'discrete_time_logit']
    >>> res.table()[["model", "term", "hazard_ratio", "ci_lower", "ci_upper"]].round(3)
                     model      term  hazard_ratio  ci_lower  ci_upper
    0     cox_time_varying  caseload         1.048     1.004     1.095
    1     cox_time_varying    salary         0.908     0.846     0.974
    2  discrete_time_logit  caseload         1.055     1.005     1.107
    3  discrete_time_logit    salary         0.905     0.841     0.975
    """
    covariates = list(DEFAULT_COVARIATES if covariates is None else covariates)
    unknown = [c for c in covariates if c not in CONTINUOUS_UNITS and c not in CATEGORICAL]
    if unknown:
        raise UserError(f"fit_drivers: unknown covariate(s) {', '.join(unknown)}")
    pp = person_periods(
        worker_years, include_agency=include_agency, caseload_census_offset=caseload_census_offset
    )
    exclusions = dict(pp.attrs.get("exclusions", {}))
    current = current_workforce(worker_years, include_agency=include_agency)
    notes: list[str] = []
    result = DriversResult(
        status="too_few_events",
        message="",
        data=pp,
        current=current,
        covariates_requested=covariates,
        notes=notes,
        exclusions=exclusions,
    )
    if pp.empty or pp["caseload"].isna().all():
        result.status = "no_caseload" if not pp.empty else "too_few_events"
        result.message = (
            "No caseloads are recorded at any census, so the link between caseload and leaving "
            "cannot be estimated."
            if not pp.empty
            else "There is no census year followed by another in the data, so no leaving can be "
            "related to caseload or pay."
        )
        return result

    data, dropped = _model_rows(pp, covariates)
    exclusions.update(dropped)
    result.data = data
    n_events = int(data["event"].sum())

    design = _build_design(data, covariates, notes)
    p_full = len(design.columns)
    key = [c for c in design.continuous if c in KEY_TERMS]
    if "caseload" not in key:
        result.status = "no_caseload"
        result.message = "Caseload does not vary in the data, so its link with leaving cannot be estimated."
        return result
    adjusted = [c for c in covariates if c in design.continuous or c in design.categorical]
    if n_events >= EVENTS_PER_PARAMETER * p_full:
        result.status = "ok"
        result.message = (
            f"{n_events} leavers among {data['worker_id'].nunique()} workers; the models include "
            + ", ".join(_label(c) for c in adjusted)
            + "."
        )
    else:
        # fall back: caseload and pay with year effects, then caseload and pay only
        fallbacks = []
        if "census_year" in design.categorical:
            fallbacks.append(key + ["census_year"])
        fallbacks.append(key)
        chosen = None
        for spec in fallbacks:
            spec_notes: list[str] = []
            cand = _build_design(data, spec, spec_notes)
            if n_events >= EVENTS_PER_PARAMETER * len(cand.columns):
                chosen = (spec, cand, spec_notes)
                break
        if chosen is None:
            need = EVENTS_PER_PARAMETER * len(cand.columns)
            result.status = "too_few_events"
            result.message = (
                f"Only {n_events} leavers in the data: at least {need} ({EVENTS_PER_PARAMETER} per "
                f"factor) are needed to estimate the link between "
                f"{' and '.join(_label(k) for k in key)} and leaving, so no estimate is shown."
            )
            return result
        spec, design, spec_notes = chosen
        left_out = [_label(c) for c in adjusted if c not in spec]
        result.status = "reduced"
        notes[:] = [n for n in notes if "not recorded" in n or "does not vary" in n]
        notes.extend(spec_notes)
        with_year = " (allowing for differences between years)" if "census_year" in spec else ""
        notes.append(
            f"With {n_events} leavers there are fewer than {EVENTS_PER_PARAMETER} per factor for the "
            f"full model ({p_full} terms), so the models include only "
            f"{' and '.join(_label(k) for k in key)}{with_year}, not adjusted for "
            + ", ".join(left_out)
            + "."
        )
        result.message = notes[-1]
    result.design = design
    X = design.matrix(data)
    frame = pd.concat([data[["worker_id", "start", "stop", "event"]], X], axis=1)
    cols = list(X.columns)
    result.fits = {name: model.fit(frame, cols) for name, model in MODELS.items()}
    try:
        result.ph_test = proportional_hazards_test(frame, cols)
    except Exception as exc:  # pragma: no cover - numerical failure is reported, not fatal
        notes.append(f"The proportional-hazards check could not be computed ({type(exc).__name__}).")
    return result


def hazard_ratio_table(result: DriversResult, terms: str | list[str] = "all") -> pd.DataFrame:
    """``tables/hazard_ratios.csv``: one row per model and term, exactly the columns
    ``model, term, unit, hazard_ratio, ci_lower, ci_upper, p_value, n_workers, n_events``.

    ``terms="all"`` gives every covariate (census-year effects, an adjustment for what changed
    for everybody in a year, are not listed), "key" only caseload and salary; empty when no model
    could be fitted (see ``result.message``)."""
    if not result.ok:
        return pd.DataFrame(columns=HAZARD_RATIO_COLUMNS)
    rows = []
    for model, fit in result.fits.items():
        s = fit.summary
        for term in s.index:
            if term.split(": ", 1)[0] in NUISANCE:
                continue
            if terms == "key" and term not in KEY_TERMS:
                continue
            if isinstance(terms, list) and term not in terms:
                continue
            rows.append(
                {
                    "model": model,
                    "term": term,
                    "unit": result.design.unit(term),
                    "hazard_ratio": s.at[term, "hazard_ratio"],
                    "ci_lower": s.at[term, "ci_lower"],
                    "ci_upper": s.at[term, "ci_upper"],
                    "p_value": s.at[term, "p_value"],
                    "n_workers": fit.n_subjects,
                    "n_events": fit.n_events,
                }
            )
    out = pd.DataFrame(rows, columns=HAZARD_RATIO_COLUMNS)
    out["n_workers"] = out["n_workers"].astype(int)
    out["n_events"] = out["n_events"].astype(int)
    return out


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


@_docs.fill(_SHARED_DOC)
def retention_scenarios(
    result: DriversResult,
    *,
    caseload_change: float = -2.0,
    salary_change: float = 2.0,
    current: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Predicted 12-month retention of the current workforce under each scenario.

    Standardised over the workers in post at the latest census (each keeps their own role,
    tenure, pay...; only the scenario variable changes; the year effect is that of the most
    recent year in the data): the mean over workers of the predicted probability of still being
    in post a year later, from the discrete-time model (whose outcome is exactly leaving within the
    year after a census). Caseloads are not reduced below zero. 95% intervals by the delta method
    with the worker-clustered covariance (baseline included).

    Parameters
    ----------
    result : DriversResult
        From :func:`fit_drivers`; an empty table when no model was fitted.
    caseload_change : float, default -2.0
        Cases added to every caseload (negative: fewer cases); 0 for no caseload scenario.
    salary_change : float, default 2.0
        £1,000s added to every salary; 0 for no pay scenario.
    current : pandas.DataFrame, optional
        The workforce to standardise over (default ``result.current``, from
        :func:`current_workforce`).

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario, description, retention, ci_lower, ci_upper, change_pp,
        change_ci_lower, change_ci_upper, n_workers`` (retention in %, change in percentage
        points vs the first row, ``current``).

    Examples
    --------
    ${example}
    >>> res = drivers.fit_drivers(wy)
    >>> drivers.retention_scenarios(res)[["scenario", "retention", "change_pp", "n_workers"]].round(1)
               scenario  retention  change_pp  n_workers
    0           current       94.7        0.0        119
    1  caseload_minus_2       95.0        0.2        119
    2  salary_plus_2000       95.6        0.8        119
    """
    cols = [
        "scenario",
        "description",
        "retention",
        "ci_lower",
        "ci_upper",
        "change_pp",
        "change_ci_lower",
        "change_ci_upper",
        "n_workers",
    ]
    if not result.ok:
        return pd.DataFrame(columns=cols)
    cur = result.current if current is None else current
    design, fit = result.design, result.discrete
    cur = cur.dropna(subset=design.continuous)
    if cur.empty:
        return pd.DataFrame(columns=cols)
    if "census_year" in design.categorical:
        # the year effect of the most recent year in the estimation data
        cur = cur.assign(census_year=int(result.data["census_year"].max()))
    scenarios = [("current", "Current caseloads and pay", {})]
    if "caseload" in design.continuous and caseload_change:
        scenarios.append(
            (
                "caseload_minus_2" if caseload_change == -2 else f"caseload_{caseload_change:+g}",
                f"Every caseload {abs(caseload_change):g} {'lower' if caseload_change < 0 else 'higher'}"
                + (" (none below zero)" if caseload_change < 0 else ""),
                {"caseload": caseload_change},
            )
        )
    if "salary" in design.continuous and salary_change:
        scenarios.append(
            (
                "salary_plus_2000" if salary_change == 2 else f"salary_{salary_change * 1000:+.0f}",
                f"Pay £{abs(salary_change) * 1000:,.0f} {'higher' if salary_change > 0 else 'lower'}",
                {"salary": salary_change},
            )
        )
    z = stats.norm.ppf(0.975)
    V = fit.cov.to_numpy()
    b = fit.params.to_numpy()
    base_ret, base_grad = None, None
    rows = []
    for name, desc, change in scenarios:
        data = cur.copy()
        for col, delta in change.items():
            data[col] = data[col] + delta
            if col == "caseload":
                data[col] = data[col].clip(lower=0)
        M = fit.design_matrix(design.matrix(data), data["start"]).to_numpy()
        p = 1 / (1 + np.exp(-(M @ b)))
        ret = 1 - p.mean()
        grad = -(p * (1 - p)) @ M / len(p)
        se = float(np.sqrt(grad @ V @ grad))
        row = {
            "scenario": name,
            "description": desc,
            "retention": 100 * ret,
            "ci_lower": 100 * (ret - z * se),
            "ci_upper": 100 * (ret + z * se),
            "n_workers": len(p),
        }
        if base_ret is None:
            base_ret, base_grad = ret, grad
            row.update(change_pp=0.0, change_ci_lower=0.0, change_ci_upper=0.0)
        else:
            g = grad - base_grad
            se_d = float(np.sqrt(g @ V @ g))
            diff = ret - base_ret
            row.update(
                change_pp=100 * diff,
                change_ci_lower=100 * (diff - z * se_d),
                change_ci_upper=100 * (diff + z * se_d),
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    v = round(x)
    return f"{v:.0f}%" if v >= 0 else f"−{abs(v):.0f}%"


def _effect_phrase(hr: float, lo: float, hi: float) -> tuple[str, str, str, bool]:
    """('6%', '95% CI 3% to 9%', 'higher', interval_excludes_one)."""
    if hr >= 1:
        word, pt, a, b = "higher", (hr - 1) * 100, (lo - 1) * 100, (hi - 1) * 100
    else:
        word, pt, a, b = "lower", (1 - hr) * 100, (1 - hi) * 100, (1 - lo) * 100
    return _pct(pt), f"95% CI {_pct(a)} to {_pct(b)}", word, not (lo <= 1 <= hi)


_SUBJECT = {
    "caseload": "Each additional case held on 30 September",
    "salary": "Each additional £1,000 of annual salary (per full-time equivalent)",
}


def _term_sentence(term: str, row: pd.Series, model: str) -> str:
    pct, ci, word, clear = _effect_phrase(row["hazard_ratio"], row["ci_lower"], row["ci_upper"])
    what = "chance of leaving in the following year"
    if model == DISCRETE:
        what = "odds of leaving in the following year"
    s = f"{_SUBJECT[term]} is associated with a {pct} ({ci}) {word} {what}"
    if not clear:
        s += "; the interval includes no difference, so the data cannot rule out no link"
    return s + "."


def sentences(result: DriversResult) -> list[str]:
    """Plain-English findings with their intervals, for the report and the committee paper."""
    if not result.ok:
        return [result.message]
    out = []
    cox = result.cox.summary
    for term in KEY_TERMS:
        if term in cox.index:
            out.append(_term_sentence(term, cox.loc[term], COX))
    disc = result.discrete.summary
    checks = []
    for term in KEY_TERMS:
        if term in disc.index:
            pct, ci, word, _ = _effect_phrase(*disc.loc[term, ["hazard_ratio", "ci_lower", "ci_upper"]])
            checks.append(f"{pct} ({ci}) {word} per {'case' if term == 'caseload' else '£1,000'}")
    if checks:
        out.append(
            "The discrete-time check (odds of leaving within each year) gives "
            + " and ".join(checks)
            + "."
        )
    out.append(
        f"Based on {result.n_events} leavers among {result.n_workers} social workers followed from "
        "one 30 September census to the next."
    )
    out.extend(_ph_sentences(result))
    if result.status == "reduced":
        out.append(result.message)
    return out


def _ph_sentences(result: DriversResult) -> list[str]:
    ph = result.ph_test
    if ph is None:
        return []
    fails = [t for t in KEY_TERMS if t in ph.index and ph.at[t, "p_value"] < 0.05]
    checked = [t for t in KEY_TERMS if t in ph.index]
    if not checked:
        return []
    if not fails:
        ps = ", ".join(f"{_label(t)} p = {ph.at[t, 'p_value']:.2f}" for t in checked)
        return [
            "The proportional-hazards check (Schoenfeld residuals) found no clear sign that the "
            f"link with {' or '.join(_label(t) for t in checked)} changes with length of service "
            f"({ps}), so a single hazard ratio is a fair summary."
        ]
    ps = ", ".join(f"{_label(t)} p = {ph.at[t, 'p_value']:.3f}" for t in fails)
    return [
        f"The proportional-hazards check suggests the link with {' and '.join(_label(t) for t in fails)} "
        f"changes with length of service ({ps}): the hazard ratio is an average over tenure and "
        "may be stronger early or late in a worker's time in post. The discrete-time check, "
        "which relates each census to the following year only, is the safer reading."
    ]


def caveats(result: DriversResult) -> list[str]:
    """Caveats every reader of the drivers section needs."""
    out = [
        "These are associations, not proof of cause: a worker with a heavy caseload may differ in "
        "other ways from one with a light caseload.",
        "Factors the data do not measure — quality of supervision, team culture, complexity of "
        "cases, commuting, personal circumstances — may explain part of the link.",
        "Caseload and pay are taken on 30 September each year; changes during the year are not seen.",
        "Workers who join and leave between two 30 September censuses have no recorded caseload "
        "and are not in the models; agency workers are excluded.",
    ]
    if result.ok and "salary" in result.design.continuous:
        out.append(
            "Pay is the payroll salary per full-time equivalent; allowances, overtime and market "
            "supplements outside it are not included."
        )
    if result.ok and result.n_events < 100:
        out.append(
            f"With {result.n_events} leavers the intervals are wide; small differences cannot be "
            "distinguished from chance."
        )
    if result.exclusions:
        out.append(
            "Records not used: "
            + "; ".join(f"{n} {reason}" for reason, n in result.exclusions.items())
            + "."
        )
    out.extend(result.notes if result.status != "reduced" else result.notes[:-1])
    return out


def scenario_sentences(scenarios: pd.DataFrame) -> list[str]:
    """One sentence per scenario row from :func:`retention_scenarios`."""
    if scenarios.empty:
        return []
    base = scenarios.iloc[0]
    out = [
        f"Of the {int(base['n_workers'])} social workers in post at the latest census, the model "
        f"expects {base['retention']:.1f}% (95% CI {base['ci_lower']:.1f}% to "
        f"{base['ci_upper']:.1f}%) still to be in post a year later."
    ]
    for _, r in scenarios.iloc[1:].iterrows():
        out.append(
            f"{r['description']}: {r['retention']:.1f}% expected to stay, a change of "
            f"{r['change_pp']:+.1f} percentage points (95% CI {r['change_ci_lower']:+.1f} to "
            f"{r['change_ci_upper']:+.1f})."
        )
    return out


def term_label(term: str, unit: str) -> str:
    """'caseload', 'per case' -> 'Caseload (per case)'; 'entry_route: from_agency', 'vs other'
    -> 'Entry route: from agency (vs other)'."""
    names = {"caseload": "Caseload", "salary": "Salary", "fte": "FTE"}
    if term in names:
        return f"{names[term]} ({unit})"
    name, _, level = term.partition(": ")
    return f"{name.replace('_', ' ').capitalize()}: {level.replace('_', ' ')} ({unit.replace('_', ' ')})"

