"""Looking ahead: a stock-flow projection of a council's social work workforce, with scenarios.

One census year at a time (year ending 30 September), starting from the last census given:

1. **leavers** — permanent FTE leaving during the year. *From published statistics*: a leaving
   rate per FTE in post at the start of the year (``leavers_fte / previous inpost_fte``), the
   council's recent mean with a year-to-year spread. *With worker data*: each worker in post at
   the last census leaves with the probability implied by a piecewise-constant hazard by tenure
   band (0-1, 1-2, 2-5, 5-10, 10+ years), estimated from the council's own ``episodes`` with
   delayed entry, times an entry-route ratio where numbers allow, times a year effect;
2. **starters** — a share (the *fill rate*) of the posts to fill: vacancies at the start of the year
   + the year's leavers + any new posts. The fill rate is the council's own
   ``starters / (starters + vacancies at 30 September)``, its recent mean on the logit scale with a
   year-to-year spread. With worker data, starters arrive through the year and can leave before
   30 September;
3. **in post** = in post − leavers + starters (+ a year-to-year "other change" with the spread
   seen in the published statistics, where FTE changes and transfers make the counts not add up);
4. **vacancies** = establishment (posts: in post + vacancies at the last census, plus any
   change in the scenario) − in post, not below zero;
5. **agency FTE** keeps its own level with a year-to-year disturbance in the baseline (letting it
   follow the projected vacancies made it less accurate in the back-test); a scenario that adds or
   removes vacancies against the baseline moves it by ``kappa`` agency FTE per vacant FTE,
   estimated across all authorities from the published first differences. Agency rate = A / (A + in post); vacancy rate = V / (V + in post); the
   agency premium cost = A x premium per FTE-year.

Uncertainty: each of ``simulations`` draws takes its own parameter values (the mean leaving rate and
fill rate with their standard errors; with worker data, hazards drawn from their Gamma posterior
and the drivers models' hazard ratios from their sampling distribution) and its own year-to-year
disturbances (spreads pooled with all authorities' spreads, so four years of history do not give
falsely narrow bands). The table gives the mean and the 10th and 90th percentiles (an 80%
interval by default). Everything is drawn from one ``numpy.random.Generator`` seeded with
``seed``, with the same random numbers for every scenario (scenario differences are not noise).

Nothing here reads files: it takes the tidy published panel (docs/tables.md), or the council's
``episodes`` / ``worker_years`` tables and a per-year history such as
:func:`swanalysis.workforce.council_rates`, and the results of :mod:`swanalysis.drivers` and
:mod:`swanalysis.national`. See docs/forecast.md for the method, the back-test and the
calibration.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special

from .costs import DEFAULT_PREMIUM, money
from .errors import UserError
from .results import Result, plural

#: Measures in ``ForecastResult.table()`` (in this order).
MEASURES = [
    "inpost_fte",
    "inpost_headcount",
    "leavers_fte",
    "starters_fte",
    "agency_fte",
    "agency_rate",
    "vacancy_fte",
    "vacancy_rate",
    "agency_premium_cost",
]
TABLE_COLUMNS = ["scenario", "year", "measure", "value", "lower", "upper"]
HISTORY_MEASURES = ["inpost_fte", "inpost_headcount", "starters_fte", "leavers_fte", "agency_fte",
                    "vacancy_fte", "agency_rate", "vacancy_rate", "turnover_rate"]
BASELINE = "baseline"
#: Tenure bands (years) of the worker-data leaving hazard.
TENURE_EDGES = (0.0, 1.0, 2.0, 5.0, 10.0, np.inf)
DAYS_PER_YEAR = 365.25
#: Minimum leavers in an entry route for its own hazard ratio (else it shares the overall one).
MIN_ROUTE_EVENTS = 10
#: Years of history used for the means (the most recent ones).
WINDOW = 5
#: Weight (in years) of the all-authority spread when pooling it with a council's own.
PRIOR_YEARS = 4.0
MAX_HORIZON = 5

# All-authority spreads (pooled within-authority standard deviations) used when no panel is given;
# equal to national_priors(load_panel()) on the 2025 release to 2 significant figures (test).
DEFAULT_PRIORS = {
    "sd_leave": 0.048,       # leaving rate per FTE in post at the start of the year
    "sd_log_leave": 0.29,    # the same on the log scale (year effect of the worker-data model)
    "sd_fill": 0.73,         # fill rate, logit scale
    "mean_fill": 0.062,      # all-authority mean of the logit fill rate
    "sd_other": 0.059,       # net other change / FTE in post at the start of the year
    "kappa": 0.44,           # agency FTE per vacancy FTE, first differences
    "sd_agency": 0.49,       # agency FTE year-to-year disturbance, log scale
    "sd_growth": 0.094,      # establishment (in post + vacancies) growth per year
}


# ------------------------------------------------------------------------------------------
# Scenarios
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A change to the baseline projection (all fields default to "no change").

    Parameters
    ----------
    name : str
        Short identifier, used in ``tables/forecast.csv`` (``baseline`` is the central one).
    description : str
        Plain words for the report's scenario table.
    establishment_change : float
        Permanent posts (FTE) added (+) or removed (-) from ``establishment_year``.
    establishment_year : int or None
        Census year in which the change happens; None = the first projected year.
    campaign_starters : float
        A recruitment campaign: this many extra starters (headcount) in one quarter.
    campaign_year, campaign_quarter : int or None, int
        Census year (None = first projected) and quarter (1 = October-December ... 4 = July-September).
    campaign_retention : float or None
        The campaign cohort's own 12-month retention in % (e.g. 70 for an international cohort);
        None = that of ordinary starters.
    campaign_fte : float
        FTE per campaign starter.
    agency_conversions : float
        Agency FTE converted to permanent posts at the start of the first projected year.
    caseload_change : float
        Cases per case holder (e.g. -2), acting through the drivers model's hazard ratio (worker
        data) or the national model's turnover coefficient (published statistics only).
    pay_change : float
        £ per FTE per year (e.g. 2000), through the drivers model's salary hazard ratio (worker data).
    retention_change : float
        Percentage points: the share of in-post staff leaving in a year falls by this much.
    extra_starters : float
        Starter FTE per year above the baseline, every year from the first projected year (what
        :func:`what_it_takes` solves for).
    """

    name: str
    description: str = ""
    establishment_change: float = 0.0
    establishment_year: int | None = None
    campaign_starters: float = 0.0
    campaign_year: int | None = None
    campaign_quarter: int = 1
    campaign_retention: float | None = None
    campaign_fte: float = 1.0
    agency_conversions: float = 0.0
    caseload_change: float = 0.0
    pay_change: float = 0.0
    retention_change: float = 0.0
    extra_starters: float = 0.0

    @property
    def needs_drivers(self) -> bool:
        """True when the scenario changes caseload or pay (it needs the drivers model)."""
        return bool(self.caseload_change or self.pay_change)


SCENARIO_KEYS = {
    "name", "description", "establishment_change", "establishment_year", "recruitment_campaign",
    "agency_conversions", "caseload_change", "pay_change", "retention_change", "extra_starters",
}
CAMPAIGN_KEYS = {"starters", "year", "quarter", "retention", "fte"}


def describe_scenario(s: Scenario) -> str:
    """Plain words for a scenario (its ``description`` when given)."""
    if s.description:
        return s.description
    parts = []
    if s.establishment_change:
        parts.append(f"{abs(s.establishment_change):g} FTE posts "
                     f"{'added to' if s.establishment_change > 0 else 'removed from'} the establishment")
    if s.campaign_starters:
        ret = (f" keeping {s.campaign_retention:g}% after 12 months" if s.campaign_retention is not None
               else "")
        parts.append(f"a recruitment campaign bringing {s.campaign_starters:g} extra starters in "
                     f"quarter {s.campaign_quarter}{ret}")
    if s.agency_conversions:
        parts.append(f"{s.agency_conversions:g} agency FTE converted to permanent posts")
    if s.caseload_change:
        parts.append(f"every caseload {abs(s.caseload_change):g} "
                     f"{'lower' if s.caseload_change < 0 else 'higher'}")
    if s.pay_change:
        parts.append(f"pay {money(abs(s.pay_change))} {'higher' if s.pay_change > 0 else 'lower'}")
    if s.retention_change:
        parts.append(f"{abs(s.retention_change):g} percentage points "
                     f"{'fewer' if s.retention_change > 0 else 'more'} leaving each year")
    if s.extra_starters:
        parts.append(f"{s.extra_starters:.1f} more starters (FTE) a year")
    if not parts:
        return "No change: recent patterns continue"
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def scenario_from_dict(spec: Mapping[str, Any], where: str = "forecast scenario") -> Scenario:
    """A :class:`Scenario` from a params mapping (the ``forecast.scenarios`` items of
    ``params/default.yaml``); a one-line :class:`UserError` naming the bad key otherwise.

    Examples
    --------
    >>> scenario_from_dict({"name": "campaign",
    ...                     "recruitment_campaign": {"starters": 10, "quarter": 2, "retention": 70}})
    ... # doctest: +ELLIPSIS
    Scenario(name='campaign', ..., campaign_starters=10.0, ...)
    """
    if not isinstance(spec, Mapping):
        raise UserError(f"{where}: each scenario must be a mapping with a 'name'")
    unknown = [k for k in spec if k not in SCENARIO_KEYS]
    if unknown:
        raise UserError(f"{where}: unknown key '{unknown[0]}' (use {', '.join(sorted(SCENARIO_KEYS))})")
    name = str(spec.get("name") or "").strip()
    if not name:
        raise UserError(f"{where}: a scenario needs a 'name'")
    where = f"{where} '{name}'"

    def num(value, key, lo=None, hi=None):
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise UserError(f"{where}: '{key}' must be a number, got {value!r}") from None
        if math.isnan(out) or (lo is not None and out < lo) or (hi is not None and out > hi):
            rng = f"between {lo:g} and {hi:g}" if hi is not None else f"at least {lo:g}"
            raise UserError(f"{where}: '{key}' must be {rng}, got {value!r}")
        return out

    def year(value, key):
        if value is None:
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise UserError(f"{where}: '{key}' must be a census year such as 2026, got {value!r}") from None

    kw: dict[str, Any] = {"name": name, "description": str(spec.get("description") or "")}
    for key in ("establishment_change", "caseload_change", "pay_change", "retention_change"):
        if spec.get(key) is not None:
            kw[key] = num(spec[key], key)
    for key in ("agency_conversions", "extra_starters"):
        if spec.get(key) is not None:
            kw[key] = num(spec[key], key, 0)
    if kw.get("retention_change") is not None and abs(kw["retention_change"]) >= 100:
        raise UserError(f"{where}: 'retention_change' is in percentage points (under 100)")
    kw["establishment_year"] = year(spec.get("establishment_year"), "establishment_year")
    camp = spec.get("recruitment_campaign")
    if camp is not None:
        if not isinstance(camp, Mapping):
            raise UserError(f"{where}: 'recruitment_campaign' must map {', '.join(sorted(CAMPAIGN_KEYS))}")
        bad = [k for k in camp if k not in CAMPAIGN_KEYS]
        if bad:
            raise UserError(f"{where}: recruitment_campaign has unknown key '{bad[0]}' "
                            f"(use {', '.join(sorted(CAMPAIGN_KEYS))})")
        kw["campaign_starters"] = num(camp.get("starters", 0), "recruitment_campaign.starters", 0)
        kw["campaign_year"] = year(camp.get("year"), "recruitment_campaign.year")
        kw["campaign_quarter"] = int(num(camp.get("quarter", 1), "recruitment_campaign.quarter", 1, 4))
        if camp.get("retention") is not None:
            kw["campaign_retention"] = num(camp["retention"], "recruitment_campaign.retention", 1, 100)
        kw["campaign_fte"] = num(camp.get("fte", 1.0), "recruitment_campaign.fte", 0.01, 1.0)
    return Scenario(**kw)


# ------------------------------------------------------------------------------------------
# Inputs: published history and all-authority spreads
# ------------------------------------------------------------------------------------------

_PANEL_MEASURES = ["inpost_fte", "inpost_headcount", "starters_fte", "leavers_fte", "agency_fte",
                   "vacancy_fte"]


def _la_frame(panel: pd.DataFrame) -> pd.DataFrame:
    from .published.memo import memoised
    from .published.panel import wide

    def compute():
        w = wide(panel, _PANEL_MEASURES, level="la")
        w = w[~w["is_subregion"].astype(bool)]
        w = w.assign(time_period=w["time_period"].astype(int))
        for m in _PANEL_MEASURES:
            if m not in w:
                w[m] = np.nan
        return w.sort_values(["old_la_code", "time_period"]).reset_index(drop=True)

    return memoised(panel, "forecast_la_frame", None, compute)


def _with_rates(h: pd.DataFrame) -> pd.DataFrame:
    h = h.copy()
    for m in _PANEL_MEASURES:
        if m not in h:
            h[m] = np.nan
    h["agency_rate"] = 100 * h["agency_fte"] / (h["agency_fte"] + h["inpost_fte"])
    h["vacancy_rate"] = 100 * h["vacancy_fte"] / (h["vacancy_fte"] + h["inpost_fte"])
    h["turnover_rate"] = 100 * h["leavers_fte"] / h["inpost_fte"]
    return h


def published_history(panel: pd.DataFrame, la: str, *, until: int | None = None) -> pd.DataFrame:
    """One authority's published history (newest figures), one row per census year.

    Parameters
    ----------
    panel : DataFrame
        The tidy published panel (:func:`swanalysis.published.panel.load_panel`).
    la : str
        Name, 3-digit DfE number or 9-character ONS code.
    until : int, optional
        Keep only census years up to this one (a forecast "from" this year).

    Returns
    -------
    DataFrame
        Indexed by ``year``; columns ``HISTORY_MEASURES`` (rates in %); ``attrs['la']`` the name.

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> h = published_history(load_panel(), "Wokingham", until=2022)
    >>> int(h.index.max()), list(h.columns[:2])
    (2022, ['inpost_fte', 'inpost_headcount'])
    """
    from .published.areas import resolve_area

    area = resolve_area(la, panel=panel)
    frame = _la_frame(panel)
    h = frame[frame["old_la_code"] == area.old_la_code]
    if h.empty:
        h = frame[frame["area_code"] == area.area_code]
    h = h.set_index("time_period")[_PANEL_MEASURES].rename_axis("year")
    if until is not None:
        h = h[h.index <= int(until)]
    h = _with_rates(h)[HISTORY_MEASURES]
    h.attrs["la"] = area.query_name or area.name
    return h


def _pooled_sd(values: pd.Series, groups: pd.Series, trim: float = 0.01) -> float:
    df = pd.DataFrame({"v": values, "g": groups}).replace([np.inf, -np.inf], np.nan).dropna()
    n = df.groupby("g")["v"].transform("size")
    df = df[n >= 3]
    if df.empty:
        return math.nan
    dev = df["v"] - df.groupby("g")["v"].transform("mean")
    lo, hi = dev.quantile([trim, 1 - trim])
    dev = dev.clip(lo, hi)
    dof = (df.groupby("g").size() - 1).sum()
    return float(np.sqrt((dev ** 2).sum() / dof))


def _flows(h: pd.DataFrame, by: pd.Series | None = None) -> pd.DataFrame:
    """Per-year derived rates (index = year); ``by`` groups several authorities' rows."""
    year = pd.Series(h.index.to_numpy(), index=h.index)
    if by is None:
        prev, consecutive = h.shift(1), year.diff().eq(1)
    else:
        g = h.groupby(by.to_numpy())
        prev = g.shift(1)
        consecutive = year.groupby(by.to_numpy()).diff().eq(1)
    out = pd.DataFrame(index=h.index)
    out["leave"] = (h["leavers_fte"] / prev["inpost_fte"]).where(consecutive)
    fill = h["starters_fte"] / (h["starters_fte"] + h["vacancy_fte"])
    out["fill"] = special.logit(fill.clip(0.02, 0.98))
    out["other"] = ((h["inpost_fte"] - prev["inpost_fte"] - h["starters_fte"] + h["leavers_fte"])
                    / prev["inpost_fte"]).where(consecutive)
    out["d_agency"] = (h["agency_fte"] - prev["agency_fte"]).where(consecutive)
    out["d_vacancy"] = (h["vacancy_fte"] - prev["vacancy_fte"]).where(consecutive)
    out["size"] = (prev["inpost_fte"] + prev["agency_fte"]).where(consecutive)
    posts = h["inpost_fte"] + h["vacancy_fte"]
    out["growth"] = (posts / (prev["inpost_fte"] + prev["vacancy_fte"]) - 1).where(consecutive)
    return out.replace([np.inf, -np.inf], np.nan)


def national_priors(panel: pd.DataFrame, *, until: int | None = None) -> dict:
    """All-authority spreads the projection pools with a council's own (see ``DEFAULT_PRIORS``).

    Parameters
    ----------
    panel : DataFrame
        The tidy published panel.
    until : int, optional
        Use only census years up to this one (the back-test does, so nothing later leaks in).

    Returns
    -------
    dict
        ``sd_leave``, ``sd_log_leave``, ``sd_fill``, ``mean_fill``, ``sd_other``, ``kappa``,
        ``sd_agency`` (see the module docstring).

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> pri = national_priors(load_panel())
    >>> round(pri["kappa"], 2)
    0.44
    """
    from .published.memo import memoised

    def compute():
        frame = _la_frame(panel)
        if until is not None:
            frame_u = frame[frame["time_period"] <= int(until)]
        else:
            frame_u = frame
        h = frame_u.set_index("time_period")
        f = _flows(h[_PANEL_MEASURES], by=h["old_la_code"])
        f["la"] = h["old_la_code"].to_numpy()
        # the model's own module, not statsmodels.api (which imports all of statsmodels: 0.2 s)
        from statsmodels.regression.linear_model import WLS

        ok = f[["d_agency", "d_vacancy", "size"]].notna().all(axis=1) & (f["size"] > 0)
        fd = f[ok]
        # agency FTE per vacancy FTE: through the origin, weighted by 1/size (disturbance ~ size)
        wls = WLS(fd["d_agency"], fd[["d_vacancy"]], weights=1 / fd["size"]).fit()
        kappa = float(np.clip(wls.params.iloc[0], 0.0, 1.0))
        prev_a = h["agency_fte"].to_numpy()[ok.to_numpy()] - fd["d_agency"].to_numpy()
        pred = prev_a + kappa * fd["d_vacancy"].to_numpy()
        now = prev_a + fd["d_agency"].to_numpy()
        good = (pred > 0.5) & (now > 0.5)
        log_resid = pd.Series(np.log(now[good] / pred[good]))
        lo, hi = log_resid.quantile([0.01, 0.99])
        return {
            "sd_leave": _pooled_sd(f["leave"], f["la"]),
            "sd_log_leave": _pooled_sd(np.log(f["leave"].where(f["leave"] > 0)), f["la"]),
            "sd_fill": _pooled_sd(f["fill"], f["la"]),
            "mean_fill": float(f["fill"].mean()),
            "sd_other": _pooled_sd(f["other"], f["la"]),
            "kappa": kappa,
            "sd_agency": float(log_resid.clip(lo, hi).std()),
            "sd_growth": _pooled_sd(f["growth"], f["la"]),
        }

    return memoised(panel, "forecast_priors", until, compute)


def _shrunk_sd(own: pd.Series, prior_sd: float) -> tuple[float, int]:
    own = own.dropna()
    n = len(own)
    s2 = float(own.var(ddof=1)) if n >= 2 else 0.0
    dof = max(n - 1, 0)
    return math.sqrt((PRIOR_YEARS * prior_sd ** 2 + dof * s2) / (PRIOR_YEARS + dof)), n


# ------------------------------------------------------------------------------------------
# Worker data: leaving hazards by tenure band
# ------------------------------------------------------------------------------------------


def hold_back(episodes: pd.DataFrame, worker_years: pd.DataFrame, last_census: int
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``episodes`` and ``worker_years`` as if only the returns up to ``last_census`` were given.

    Spells first seen later are dropped; spells that ended after 30 September ``last_census`` are
    censored there (still in post). Use it to test a forecast against years you hold back.

    Parameters
    ----------
    episodes, worker_years : DataFrame
        Tables as in docs/tables.md.
    last_census : int
        The last census year to keep.

    Returns
    -------
    (DataFrame, DataFrame)
        The held-back ``episodes`` and ``worker_years``.

    Examples
    --------
    >>> import tempfile
    >>> from swanalysis.synth import generate
    >>> from swanalysis.workerdata.ingest import ingest
    >>> tmp = tempfile.TemporaryDirectory()
    >>> council = generate("Stockport", "2021-2024", seed=1, scale=0.3, out_dir=tmp.name)
    >>> linked = ingest(council.returns, key="doctest")
    >>> ep4, wy4 = hold_back(linked.episodes, linked.worker_years, 2022)
    >>> int(wy4["census_year"].max()), bool(ep4["censor_date"].max() <= wy4["reference_date"].max())
    (2022, True)
    """
    y = int(last_census)
    wy = worker_years[worker_years["census_year"].astype(int) <= y].copy()
    if wy.empty:
        raise UserError(f"forecast: no census return up to {y}")
    ref = pd.to_datetime(wy.loc[wy["census_year"] == wy["census_year"].max(), "reference_date"]).max()
    ep = episodes[episodes["first_census"].astype(int) <= y].copy()
    ended_after = pd.to_datetime(ep["end_date"]).gt(ref).fillna(False) | (
        ep["last_census"].astype(int).gt(y) & ep["event"].astype(int).eq(0))
    ep.loc[ended_after, "event"] = 0
    ep.loc[ended_after, "end_date"] = pd.NaT
    ep.loc[ended_after, "censor_date"] = ref
    ep["last_census"] = ep["last_census"].astype(int).clip(upper=y)
    ep["duration_days"] = (pd.to_datetime(ep["censor_date"]) - pd.to_datetime(ep["start_date"])).dt.days.astype(float)
    # a later end date seen only in later returns must not leak into worker_years either
    late_end = pd.to_datetime(wy["end_date"]).gt(ref).fillna(False)
    wy.loc[late_end, "end_date"] = pd.NaT
    return ep, wy


def _permanent(ep: pd.DataFrame) -> pd.DataFrame:
    if "agency" in ep:
        ep = ep[~ep["agency"].fillna(False).astype(bool)]
    return ep


def tenure_hazards(episodes: pd.DataFrame, edges: Sequence[float] = TENURE_EDGES) -> pd.DataFrame:
    """Leaving hazard (per year) of permanent workers in each tenure band, with delayed entry.

    The maximum-likelihood estimate of a piecewise-constant hazard: leavers in the band / years
    at risk in the band, where a spell is at risk from its ``entry_days`` (tenure when observation
    began) to its ``duration_days``. Equal to lifelines' ``PiecewiseExponentialFitter`` with
    ``entry`` (test).

    Parameters
    ----------
    episodes : DataFrame
        docs/tables.md ``episodes`` (agency spells are left out).
    edges : sequence of float
        Band edges in years of tenure, starting at 0 and ending at ``inf``.

    Returns
    -------
    DataFrame
        One row per band: ``band``, ``lower``, ``upper``, ``events``, ``exposure`` (years),
        ``hazard`` (per year), ``retention_in_band`` (probability of staying through one year
        at that hazard).

    Examples
    --------
    >>> import tempfile
    >>> from swanalysis.synth import generate
    >>> from swanalysis.workerdata.ingest import episodes
    >>> tmp = tempfile.TemporaryDirectory()
    >>> council = generate("Stockport", "2021-2024", seed=1, scale=0.3, out_dir=tmp.name)
    >>> hz = tenure_hazards(episodes(council.returns, key="doctest"))
    >>> list(hz.columns[:4]), bool((hz["hazard"] > 0).all())
    (['band', 'lower', 'upper', 'events'], True)
    """
    ep = _permanent(episodes)
    t0 = pd.to_numeric(ep["entry_days"], errors="coerce").fillna(0).to_numpy() / DAYS_PER_YEAR
    t1 = pd.to_numeric(ep["duration_days"], errors="coerce").to_numpy() / DAYS_PER_YEAR
    ev = pd.to_numeric(ep["event"], errors="coerce").fillna(0).to_numpy().astype(bool)
    keep = np.isfinite(t1) & (t1 >= t0)
    t0, t1, ev = t0[keep], np.maximum(t1[keep], 0.5 / DAYS_PER_YEAR), ev[keep]
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        expo = np.clip(np.minimum(t1, hi) - np.maximum(t0, lo), 0, None).sum()
        events = int((ev & (t1 > lo) & (t1 <= hi)).sum())
        label = f"{lo:g}+ years" if not np.isfinite(hi) else f"{lo:g}-{hi:g} years"
        haz = events / expo if expo > 0 else math.nan
        rows.append({"band": label, "lower": lo, "upper": hi, "events": events,
                     "exposure": float(expo), "hazard": haz, "retention_in_band": math.exp(-haz)
                     if np.isfinite(haz) else math.nan})
    return pd.DataFrame(rows)


def _cum_hazard(rates: np.ndarray, edges: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integral of a piecewise-constant hazard from tenure a to b (broadcast over rows of rates).

    rates: (..., K); a, b: broadcastable to (...,); returns (...,).

    With fewer than 8 bands (the usual 5) the bands are added one at a time, in band order: the
    same additions, in the same order, as numpy's sum over a last axis that short (identical
    bits; checked by tests/test_forecast.py), without the (simulations x workers x bands)
    temporaries, which made this the report's largest cost in CPU and memory."""
    lo = edges[:-1]
    hi = edges[1:]
    if len(lo) < 8:
        out = None
        for k in range(len(lo)):
            term = np.clip(np.minimum(b, hi[k]) - np.maximum(a, lo[k]), 0, None) * rates[..., k]
            out = term if out is None else out + term
        if out is not None:
            return out
    span = np.clip(np.minimum(b[..., None], hi) - np.maximum(a[..., None], lo), 0, None)
    return (span * rates).sum(axis=-1)


def route_ratios(episodes: pd.DataFrame, hazards: pd.DataFrame, min_events: int = MIN_ROUTE_EVENTS) -> dict:
    """Observed / expected leavers by entry route (a proportional-hazards route effect).

    Routes with fewer than ``min_events`` leavers share the overall ratio (1).
    """
    ep = _permanent(episodes)
    if "entry_route" not in ep:
        return {}
    edges = np.array([*hazards["lower"], np.inf])
    rates = hazards["hazard"].fillna(0).to_numpy()
    t0 = pd.to_numeric(ep["entry_days"], errors="coerce").fillna(0).to_numpy() / DAYS_PER_YEAR
    t1 = pd.to_numeric(ep["duration_days"], errors="coerce").to_numpy() / DAYS_PER_YEAR
    ok = np.isfinite(t1) & (t1 >= t0)
    expected = np.where(ok, _cum_hazard(rates, edges, t0, np.where(ok, t1, t0)), 0.0)
    frame = pd.DataFrame({"route": ep["entry_route"].fillna("other").astype(str).to_numpy(),
                          "o": pd.to_numeric(ep["event"], errors="coerce").fillna(0).to_numpy() * ok,
                          "e": expected})
    g = frame.groupby("route")[["o", "e"]].sum()
    return {r: float(row.o / row.e) if row.o >= min_events and row.e > 0 else 1.0
            for r, row in g.iterrows()}


# ------------------------------------------------------------------------------------------
# The fitted model
# ------------------------------------------------------------------------------------------


@dataclass
class ForecastModel:
    """Everything a projection needs, estimated from the data up to ``origin``.

    Build it with :func:`fit`; project with :func:`project`, solve with :func:`what_it_takes`.
    """

    la: str
    origin: int
    mode: str  # "worker" or "published"
    history: pd.DataFrame
    start: dict
    estimates: dict
    priors: dict
    simulations: int = 1000
    seed: int = 1
    premium: float = DEFAULT_PREMIUM
    hazards: pd.DataFrame | None = None
    stock: pd.DataFrame | None = None
    starter_routes: dict = field(default_factory=dict)
    effects: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"ForecastModel(la={self.la!r}, origin={self.origin}, mode={self.mode!r}, "
                f"simulations={self.simulations})")

    def project(self, scenarios: Iterable[Scenario] = (), horizon: int = 3, interval: float = 0.8
                ) -> "ForecastResult":
        """Project this model under ``scenarios`` (see :func:`project`)."""
        return project(self, scenarios, horizon=horizon, interval=interval)

    def release(self) -> None:
        """Drop what the projections keep for the next one (random numbers, the baseline's draws,
        who would leave: tens of MB for a large council); a later projection works them out
        again, with the same results."""
        self.__dict__.pop("_cache", None)


def fit(
    la: str | None = None,
    *,
    panel: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    episodes: pd.DataFrame | None = None,
    worker_years: pd.DataFrame | None = None,
    drivers: Any = None,
    national: Any = None,
    origin: int | None = None,
    premium: float = DEFAULT_PREMIUM,
    simulations: int = 1000,
    seed: int = 1,
    priors: Mapping[str, float] | None = None,
    trend: float = 0.0,
) -> ForecastModel:
    """Estimate the projection's parameters for one council.

    Parameters
    ----------
    la : str, optional
        Authority (name or code); needed with ``panel`` and no ``history``.
    panel : DataFrame, optional
        The tidy published panel: the history (when ``history`` is not given) and the all-authority
        spreads (``national_priors``).
    history : DataFrame, optional
        Per-year figures indexed by census year (or with a ``census_year`` column), columns
        ``inpost_fte``, ``inpost_headcount``, ``starters_fte``, ``leavers_fte``, ``agency_fte``,
        ``vacancy_fte`` — e.g. :func:`swanalysis.workforce.council_rates` of the council's returns.
    episodes, worker_years : DataFrame, optional
        The council's own tables (docs/tables.md). Given both, the projection starts from the
        permanent workers in post at the last census and uses their tenure-band hazards.
    drivers : swanalysis.drivers.DriversResult, optional
        Caseload and pay hazard ratios for those scenarios (worker data).
    national : swanalysis.national.NationalResult, optional
        The national caseload coefficient for a caseload scenario without worker data.
    origin : int, optional
        The last census year used (default: the last in the data). Later years are ignored.
    premium : float
        Agency premium per FTE-year in £.
    simulations, seed : int
        Number of simulation draws and the seed of the random generator.
    priors : mapping, optional
        All-authority spreads (default: from ``panel``, else ``DEFAULT_PRIORS``).
    trend : float
        Weight of the recent growth in the establishment (posts = in post + vacancies): 0 (the
        default) keeps posts as at the last census, 1 carries the recent average growth forward
        (worse in the back-test, docs/forecast.md).

    Returns
    -------
    ForecastModel

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> m = fit("Wokingham", panel=load_panel(), origin=2023)
    >>> project(m, horizon=2)
    <ForecastResult Wokingham 2023-2025: 1 scenario, 2 years, 1,000 simulations>
    """
    worker = episodes is not None and worker_years is not None
    if worker and origin is not None:
        episodes, worker_years = hold_back(episodes, worker_years, origin)
    if history is None:
        if worker:
            from .workforce import council_rates

            history = council_rates(worker_years)
            if panel is not None and la is not None:
                pub = published_history(panel, la)
                vac = history["census_year"].map(pub["vacancy_fte"])
                history["vacancy_fte"] = history["vacancy_fte"].fillna(vac)
        elif panel is not None and la is not None:
            history = published_history(panel, la)
        else:
            raise UserError("forecast: give the published panel and an authority, or a history table")
    h = history.copy()
    if "census_year" in h.columns:
        h = h.set_index("census_year")
    h.index = h.index.astype(int)
    h.index.name = "year"
    h = _with_rates(h)
    if origin is None:
        have = h["inpost_fte"].dropna()
        if have.empty:
            raise UserError(f"forecast: no in-post FTE for {la or 'the council'} in any year")
        origin = int(have.index.max())
    h = h[h.index <= int(origin)]
    if int(origin) not in h.index or not np.isfinite(h.at[int(origin), "inpost_fte"]):
        raise UserError(f"forecast: no in-post FTE for {la or 'the council'} in {origin}, "
                        "the year the projection starts from")
    if priors is None:
        priors = national_priors(panel, until=origin) if panel is not None else dict(DEFAULT_PRIORS)
    priors = {**DEFAULT_PRIORS, **{k: v for k, v in dict(priors).items() if np.isfinite(v)}}
    name = la or h.attrs.get("la") or "the council"
    notes: list[str] = []

    row = h.loc[int(origin)]
    recent = _flows(h[_PANEL_MEASURES].sort_index()).tail(WINDOW)
    est: dict[str, Any] = {}
    # leaving rate per start-of-year FTE
    leave = recent["leave"].dropna()
    if leave.empty:
        turnover = h["turnover_rate"].dropna().tail(WINDOW) / 100
        leave = turnover
        notes.append("No two consecutive years of in-post FTE and leavers: the leaving rate is the "
                     "published turnover rate.")
    if leave.empty:
        raise UserError(f"forecast: {name} has no published leavers to estimate a leaving rate from")
    sd_leave, n_leave = _shrunk_sd(leave, priors["sd_leave"])
    est["leave_mean"], est["leave_sd"], est["leave_n"] = float(leave.mean()), sd_leave, n_leave
    sd_log, _ = _shrunk_sd(np.log(leave[leave > 0]), priors["sd_log_leave"])
    est["log_leave_sd"] = sd_log
    # fill rate
    fill = recent["fill"].dropna()
    sd_fill, n_fill = _shrunk_sd(fill, priors["sd_fill"])
    if fill.empty:
        est["fill_mean"] = priors["mean_fill"]
        est["fill_se"] = priors["sd_fill"]
        notes.append("No vacancy figures: the fill rate is the all-authority average.")
    else:
        est["fill_mean"] = float(fill.mean())
        est["fill_se"] = sd_fill / math.sqrt(n_fill)
    est["fill_sd"], est["fill_n"] = sd_fill, n_fill
    # net other change (published counts do not add up exactly; own returns do)
    other = recent["other"].dropna()
    if worker or other.empty:
        # own returns add up (no "other change" on average), but the modelled flows do not
        # explain every change in the stock: keep the all-authority spread as model error
        est["other_mean"], est["other_sd"], est["other_se"] = 0.0, priors["sd_other"], 0.0
    else:
        # its spread is kept; its mean is not carried forward (a council's past net other change
        # does not persist: carrying it forward made every measure worse in the back-test)
        sd_other, n_other = _shrunk_sd(other, priors["sd_other"])
        est["other_mean"], est["other_sd"], est["other_se"] = 0.0, sd_other, 0.0
    growth = recent["growth"].dropna()
    sd_growth, n_growth = _shrunk_sd(growth, priors["sd_growth"])
    est["growth_mean"] = float(growth.mean()) * trend if len(growth) else 0.0
    est["growth_se"] = sd_growth / math.sqrt(max(n_growth, 1)) * trend
    est["kappa"] = priors["kappa"]
    est["agency_sd"] = priors["sd_agency"]

    s0 = float(row["inpost_fte"])
    a0 = float(row["agency_fte"]) if np.isfinite(row["agency_fte"]) else math.nan
    v0 = float(row["vacancy_fte"]) if np.isfinite(row["vacancy_fte"]) else math.nan
    if not np.isfinite(a0):
        notes.append(f"No agency FTE for {origin}: agency measures are not projected.")
    if not np.isfinite(v0):
        notes.append(f"No vacancy FTE for {origin}: the establishment is taken as the FTE in post.")
    hc = float(row["inpost_headcount"]) if np.isfinite(row.get("inpost_headcount", np.nan)) else math.nan
    start = {"inpost_fte": s0, "agency_fte": a0, "vacancy_fte": v0,
             "establishment": s0 + (v0 if np.isfinite(v0) else 0.0),
             "headcount_per_fte": hc / s0 if np.isfinite(hc) and s0 > 0 else math.nan,
             "inpost_headcount": hc}

    model = ForecastModel(la=str(name), origin=int(origin), mode="worker" if worker else "published",
                          history=h, start=start, estimates=est, priors=priors,
                          simulations=int(simulations), seed=int(seed), premium=float(premium),
                          notes=notes)
    if worker:
        _fit_worker(model, episodes, worker_years)
    model.effects = _effects(drivers, national, worker)
    return model


def _fit_worker(model: ForecastModel, episodes: pd.DataFrame, worker_years: pd.DataFrame) -> None:
    haz = tenure_hazards(episodes)
    if haz["events"].sum() < 5:
        raise UserError("forecast: fewer than 5 permanent leavers in the returns; use published "
                        "statistics only")
    # bands with no exposure borrow the neighbouring band's hazard
    haz["hazard"] = haz["hazard"].ffill().bfill()
    model.hazards = haz
    ratios = route_ratios(episodes, haz)
    wy = worker_years
    last = int(wy["census_year"].max())
    cur = wy[(wy["census_year"].astype(int) == last) & wy["in_post"].astype(bool)]
    if "agency" in cur:
        cur = cur[~cur["agency"].fillna(False).astype(bool)]
    cur = cur.drop_duplicates(["worker_id", "spell"])
    fte = pd.to_numeric(cur["fte30"] if "fte30" in cur else cur["fte"], errors="coerce")
    fte = fte.fillna(pd.to_numeric(cur["fte"], errors="coerce")).fillna(1.0)
    tenure = (pd.to_datetime(cur["reference_date"]) - pd.to_datetime(cur["start_date"])).dt.days / DAYS_PER_YEAR
    route = cur["entry_route"].fillna("other").astype(str) if "entry_route" in cur else pd.Series("other", index=cur.index)
    model.stock = pd.DataFrame({"tenure": tenure.clip(lower=0).fillna(tenure.median()).to_numpy(),
                                "fte": fte.to_numpy(),
                                "ratio": route.map(ratios).fillna(1.0).to_numpy()})
    # a fixed order (not the pseudonyms'): the same council gives the same draws whatever the key
    model.stock = model.stock.sort_values(["tenure", "fte", "ratio"], kind="stable").reset_index(drop=True)
    # the returns' own stock at the last census
    model.start["inpost_fte"] = float(model.stock["fte"].sum())
    model.start["inpost_headcount"] = float(cur["worker_id"].nunique())
    v0 = model.start["vacancy_fte"]
    model.start["establishment"] = model.start["inpost_fte"] + (v0 if np.isfinite(v0) else 0.0)
    # who starts: entry-route mix and FTE of starters seen in the returns
    ep = _permanent(episodes)
    seen = ep[pd.to_numeric(ep["entry_days"], errors="coerce").fillna(0) <= 0]
    mix = seen["entry_route"].fillna("other").astype(str).value_counts(normalize=True) if "entry_route" in seen else pd.Series({"other": 1.0})
    model.starter_routes = {r: (float(mix[r]), float(ratios.get(r, 1.0))) for r in sorted(mix.index)}
    st = wy[wy["census_year"].astype(int).eq(pd.to_datetime(wy["start_date"]).dt.year
                                              + (pd.to_datetime(wy["start_date"]).dt.month >= 10))]
    if "agency" in st:
        st = st[~st["agency"].fillna(False).astype(bool)]
    sfte = pd.to_numeric(st["fte"], errors="coerce").dropna()
    model.estimates["starter_fte_per_head"] = float(sfte.mean()) if len(sfte) else float(model.stock["fte"].mean())
    model.estimates["route_ratios"] = ratios
    # year-to-year leaving variation (the hazards are an average over the years observed)
    model.estimates["years_observed"] = int(wy["census_year"].nunique())


def _effects(drivers, national, worker: bool) -> dict:
    """Scenario effects: log hazard ratios (worker data) or turnover points (published)."""
    out: dict[str, tuple] = {}
    if worker and drivers is not None and getattr(drivers, "ok", False) and drivers.cox is not None:
        s = drivers.cox.summary
        if "caseload" in s.index:
            out["caseload"] = ("log_hr", float(s.at["caseload", "coef"]), float(s.at["caseload", "se"]))
        if "salary" in s.index:  # the model's unit is £1,000; scenarios are in £
            out["pay"] = ("log_hr", float(s.at["salary", "coef"]) / 1000.0,
                          float(s.at["salary", "se"]) / 1000.0)
    elif not worker and national is not None and hasattr(national, "coefficients"):
        c = national.coefficients
        if "caseload" in c.index:  # turnover percentage points per case
            out["caseload"] = ("turnover_pp", float(c.at["caseload", "coef"]), float(c.at["caseload", "se"]))
    return out


# ------------------------------------------------------------------------------------------
# Simulation
# ------------------------------------------------------------------------------------------


def _capacity(model: ForecastModel) -> int:
    """Starter columns reserved per projected year (worker data)."""
    return int(1.5 * model.start["establishment"] / max(model.estimates["starter_fte_per_head"], 0.1)) + 20


def _noise(model: ForecastModel, horizon: int) -> dict:
    """The random numbers the projection uses, drawn once per model and horizon (common random
    numbers across scenarios and the what-it-takes solver)."""
    key = ("noise", horizon)
    cache = model.__dict__.setdefault("_cache", {})
    if key in cache:
        return cache[key]
    rng = np.random.default_rng(model.seed)
    n = model.simulations
    z = {
        "leave_par": rng.standard_normal(n),
        "fill_par": rng.standard_normal(n),
        "other_par": rng.standard_normal(n),
        "growth_par": rng.standard_normal(n),
        "leave": rng.standard_normal((n, horizon)),
        "fill": rng.standard_normal((n, horizon)),
        "other": rng.standard_normal((n, horizon)),
        "agency": rng.standard_normal((n, horizon)),
        "effect": rng.standard_normal((n, 2)),
        "cohort": rng.random((n, horizon, 2)),
    }
    if model.mode == "worker":
        ev = model.hazards["events"].to_numpy(float)
        ex = model.hazards["exposure"].to_numpy(float)
        # Gamma posterior of a Poisson rate (shape = leavers, rate = years at risk)
        z["hazard"] = rng.gamma(np.where(ev > 0, ev, 0.5), 1.0 / np.where(ex > 0, ex, 1.0),
                                size=(n, len(ev)))
        cap = _capacity(model)
        z["start_u"] = rng.random((horizon, n, cap), dtype=np.float32)
        z["start_when"] = rng.random((horizon, cap))
        z["start_route"] = rng.random((horizon, cap))
    cache[key] = z
    return z


def _stock_uniforms(model: ForecastModel, t: int, ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Uniforms (simulations x columns) for the leaving of everyone in post at the start of year
    t, in the columns of ``ranges`` ((first, last + 1) pairs, ascending), side by side; column i
    gets the same numbers whatever the width (common random numbers): the generator gives
    column 0's numbers, then column 1's, and so on. With an even number of simulations the
    columns before each range are skipped (``PCG64.advance``: one 64-bit step per two float32
    numbers) rather than drawn; tests/test_forecast.py checks both ways against the whole width."""
    n = model.simulations
    rng = np.random.default_rng([model.seed, 7, t])
    if n % 2 == 0 and isinstance(rng.bit_generator, np.random.PCG64):
        out = np.empty((sum(hi - lo for lo, hi in ranges), n), np.float32)
        pos = j = 0
        for lo, hi in ranges:
            rng.bit_generator.advance((lo - pos) * n // 2)
            rng.random(dtype=np.float32, out=out[j:j + hi - lo])
            pos, j = hi, j + hi - lo
        return out.T
    u = rng.random((max((hi for _, hi in ranges), default=0), n), dtype=np.float32)
    return (np.concatenate([u[lo:hi] for lo, hi in ranges]) if ranges else np.zeros((0, n), np.float32)).T


def _effect_draws(model: ForecastModel, z: dict, s: Scenario) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per-simulation hazard multiplier and added leaving rate for a scenario's caseload/pay change."""
    n = model.simulations
    mult = np.ones(n)
    add = np.zeros(n)
    missing = []
    for j, (what, delta) in enumerate((("caseload", s.caseload_change), ("pay", s.pay_change))):
        if not delta:
            continue
        eff = model.effects.get(what)
        if eff is None:
            missing.append(what)
            continue
        kind, coef, se = eff
        draw = coef + se * z["effect"][:, j]
        if kind == "log_hr":
            mult = mult * np.exp(draw * delta)
        else:  # turnover percentage points per case
            add = add + draw * delta / 100.0
    return mult, add, missing


class _Leaving:
    """Leaving probabilities over a (part-)year for one simulation step."""

    def __init__(self, model, z, t, level, mult, add, retention_change, q_mean):
        self.model = model
        self.worker = model.mode == "worker"
        est = model.estimates
        sd = est["log_leave_sd"]
        self.year_mult = np.exp(sd * z["leave"][:, t] - sd ** 2 / 2) * level * mult
        self.k = np.ones(model.simulations)
        self.retention_change = retention_change
        if self.worker:
            self.edges = np.array([*model.hazards["lower"], np.inf])
            self.rates = z["hazard"]
        else:
            q = q_mean + est["leave_sd"] * z["leave"][:, t] + add
            if retention_change:
                q = q - retention_change / 100
            self.q = np.clip(q, 0, 0.95)

    def prob(self, a: np.ndarray, b: np.ndarray, ratio, *, u: np.ndarray | None = None,
             rescale: bool = False) -> np.ndarray:
        """Worker data: probability of leaving between tenure a and b (arrays n x m, or one row
        of m columns, the same in every simulation).

        With ``u`` (uniforms, n x m), who leaves instead: ``u < p``, and with ``rescale``
        ``u < clip(p * k, 0, 1)`` (p scaled once more, as for the stock after set_scale)."""
        if np.ndim(a) == 1 and np.ndim(b) == 1 and np.ndim(ratio) <= 1 and len(self.edges) < 9:
            return self._prob_columns(a, b, ratio, u, rescale)
        H = _cum_hazard(self.rates[:, None, :], self.edges, a, b) * ratio * self.year_mult[:, None]
        p = np.clip((1 - np.exp(-H)) * self.k[:, None], 0, 1)
        if rescale:
            p = np.clip(p * self.k[:, None], 0, 1)
        return p if u is None else u < p

    def _prob_columns(self, a: np.ndarray, b: np.ndarray, ratio, u: np.ndarray | None,
                      rescale: bool) -> np.ndarray:
        """:meth:`prob` for columns whose tenures are the same in every simulation: the same
        operations on each element, in the same order (so the same bits; tested), done a few
        rows at a time in place instead of on whole (simulations x columns) temporaries. A band
        no column overlaps adds +0.0 to every element and is skipped."""
        lo, hi = self.edges[:-1], self.edges[1:]
        bands = []
        for k in range(len(lo)):
            span = np.clip(np.minimum(b, hi[k]) - np.maximum(a, lo[k]), 0, None)
            if span.any() or not np.isfinite(self.rates[:, k]).all():
                bands.append((k, span))
        n, m = len(self.rates), len(a)
        out = np.zeros((n, m)) if u is None else np.zeros((n, m), bool)
        rows = max(1, min(n, _SUM_BUFFER // max(m, 1)))
        tmp = np.empty((rows, m))
        work = np.empty((rows, m)) if u is not None else None
        for r0 in range(0, n, rows):
            r1 = min(r0 + rows, n)
            o = out[r0:r1] if u is None else work[:r1 - r0]
            t = tmp[:r1 - r0]
            rates = self.rates[r0:r1]
            for j, (k, span) in enumerate(bands):
                if j == 0:
                    np.multiply(span, rates[:, k:k + 1], out=o)
                else:
                    np.multiply(span, rates[:, k:k + 1], out=t)
                    np.add(o, t, out=o)
            np.multiply(o, ratio, out=o)
            np.multiply(o, self.year_mult[r0:r1, None], out=o)
            np.negative(o, out=o)
            np.exp(o, out=o)
            np.subtract(1, o, out=o)
            np.multiply(o, self.k[r0:r1, None], out=o)
            np.clip(o, 0, 1, out=o)
            if rescale:
                np.multiply(o, self.k[r0:r1, None], out=o)
                np.clip(o, 0, 1, out=o)
            if u is not None:
                np.less(u[r0:r1], o, out=out[r0:r1])
        return out

    def set_scale(self, p: np.ndarray, alive: np.ndarray, segs: list | None = None) -> None:
        """Retention improvement: scale every leaving probability so the stock's mean falls by
        the scenario's points. With ``segs``, ``p`` holds only the columns of ``segs`` side by
        side, and ``alive`` is False elsewhere (see :func:`_masked_sum`)."""
        if self.retention_change:
            if segs is None:
                pbar = (p * alive).sum(1) / np.maximum(alive.sum(1), 1)
            else:
                pbar = _masked_sum(p, alive, segs) / np.maximum(_count(alive, segs), 1)
            self.k = np.clip(1 - self.retention_change / 100 / np.maximum(pbar, 1e-9), 0, None)

    def cohort(self, c: dict, served: float) -> np.ndarray:
        """Probability that a member of a cohort (campaign, conversions) leaves in the part-year."""
        if self.worker:
            n = self.model.simulations
            a = np.full((n, 1), c["age"])
            general = self.prob(a, a + served, c["ratio"])[:, 0]
        else:
            general = np.clip(self.q * served, 0, 1)
        own = c["retention"]
        if own is None or c["age"] >= 1.0:
            return general
        frac = min(served, 1.0 - c["age"])  # part of the cohort's first 12 months
        rest = (served - frac) / served if served > 0 else 0.0
        surv = (own / 100.0) ** frac * (1 - general) ** rest
        return np.clip(1 - surv, 0, 1)


#: Bytes of the buffer :func:`_masked_sum` fills a few rows at a time (kept in the CPU's cache).
_SUM_BUFFER = 2 ** 18


def _masked_sum(values: np.ndarray, mask: np.ndarray, segs: list, fpp: float | None = None
                ) -> np.ndarray:
    """``(values * mask).sum(1)`` with the same bits, for a worker-data simulation's columns
    (simulations x columns) where ``mask`` can be True only in ``segs`` ((first column, width)
    pairs: the stock and the starter slots used).

    ``values`` is either one value per column (the FTE; elsewhere than ``segs`` it is ``fpp``,
    the starters' FTE per head), or simulations x the columns of ``segs`` side by side (leaving
    probabilities; zero elsewhere). The products are worked out only in ``segs``, into a zeroed
    buffer (elsewhere each product is +0.0: fpp x 0 with fpp positive, or 0 x mask), a few rows
    at a time so that the buffer stays in the CPU's cache; each row is still summed over every
    column (numpy's pairwise summation depends on the width, not on the number of rows)."""
    per_column = values.ndim == 1
    if per_column and not (fpp is not None and math.isfinite(fpp) and fpp > 0):
        return (values * mask).sum(1)
    n, m = mask.shape
    k = max(1, min(n, _SUM_BUFFER // max(m, 1)))
    buf = np.zeros((k, m))
    out = np.empty(n)
    for r0 in range(0, n, k):
        r1 = min(r0 + k, n)
        b = buf[:r1 - r0]
        j = 0
        for a, w in segs:
            v = values[a:a + w] if per_column else values[r0:r1, j:j + w]
            # the mask as bytes: the same 0.0 / 1.0 factors as a bool, cast a little faster
            np.multiply(v, mask[r0:r1, a:a + w].view(np.uint8), out=b[:, a:a + w])
            j += w
        out[r0:r1] = b.sum(1)
    return out


def _count(mask: np.ndarray, segs: list) -> np.ndarray:
    """``mask.sum(1)`` (whole numbers, the same in any order), counted only in ``segs``: each
    part as bytes added up in 16 bits when it is narrower than 65,536 columns (no count can
    overflow; numpy's bool sum widens every element to 64 bits first, three times slower)."""
    out = np.zeros(mask.shape[0], dtype=np.int64)
    for a, w in segs:
        out += mask[:, a:a + w].view(np.uint8).sum(1, dtype=np.uint16 if w < 2 ** 16 else np.int64)
    return out


def _is_baseline(s: Scenario) -> bool:
    return replace(s, name=BASELINE, description="") == Scenario(BASELINE)


def _baseline_vacancies(model: ForecastModel, horizon: int) -> np.ndarray:
    """The baseline's vacancy draws (simulations x horizon), computed once per model and horizon."""
    return _baseline_draws(model, horizon)["vacancy_fte"]


def _baseline_draws(model: ForecastModel, horizon: int) -> dict[str, np.ndarray]:
    """The baseline's draws, computed once per model and horizon (the projection's baseline, the
    other scenarios' agency link and the what-it-takes solver's starting point share them)."""
    cache = model.__dict__.setdefault("_cache", {})
    key = ("baseline", horizon)
    if key not in cache:
        cache[key] = _simulate_draws(model, Scenario(BASELINE), horizon)
    return cache[key]


def _simulate(model: ForecastModel, s: Scenario, horizon: int) -> dict[str, np.ndarray]:
    """Draws (simulations x horizon) of every measure under one scenario (a scenario that changes
    nothing gets a copy of the baseline's: the same numbers, computed once)."""
    if _is_baseline(s):
        return {m: x.copy() for m, x in _baseline_draws(model, horizon).items()}
    return _simulate_draws(model, s, horizon)


def _simulate_draws(model: ForecastModel, s: Scenario, horizon: int) -> dict[str, np.ndarray]:
    """Draws (simulations x horizon) of every measure under one scenario."""
    from scipy import stats

    z = _noise(model, horizon)
    # agency follows its own level in the baseline; a scenario moves it by kappa per vacant FTE
    # it adds or removes against the baseline (same draws)
    base_v = None if _is_baseline(s) or not np.isfinite(model.start["vacancy_fte"]) \
        else _baseline_vacancies(model, horizon)
    n = model.simulations
    est, st = model.estimates, model.start
    first = model.origin + 1
    mult, add, _ = _effect_draws(model, z, s)
    has_vac = bool(np.isfinite(st["vacancy_fte"]))
    has_agency = bool(np.isfinite(st["agency_fte"]))
    worker = model.mode == "worker"

    q_mean = est["leave_mean"] + est["leave_sd"] / math.sqrt(est["leave_n"]) * z["leave_par"]
    fill_mean = est["fill_mean"] + est["fill_se"] * z["fill_par"]
    other_mean = est["other_mean"] + est["other_se"] * z["other_par"]
    growth = est.get("growth_mean", 0.0) + est.get("growth_se", 0.0) * z["growth_par"]
    # level uncertainty of the worker-data hazards (an average over the years observed)
    level = (np.exp(est["log_leave_sd"] / math.sqrt(max(est.get("years_observed", 1), 1)) * z["leave_par"])
             if worker else np.ones(n))

    main = np.full(n, st["inpost_fte"])  # in post, excluding scenario cohorts
    V = np.full(n, st["vacancy_fte"] if has_vac else 0.0)
    A = np.full(n, st["agency_fte"] if has_agency else 0.0)
    P = np.full(n, st["establishment"])
    S = main.copy()
    out = {m: np.full((n, horizon), np.nan) for m in MEASURES}
    if worker:
        # tenure, FTE and route ratio of each column (a worker, or a starter's slot) are the same
        # in every simulation: one row each, broadcast against the simulations where used
        stock = model.stock
        ten = stock["tenure"].to_numpy(float)
        fte = stock["fte"].to_numpy(float)
        rat = stock["ratio"].to_numpy(float)
        alive = np.ones((n, len(stock)), bool)
        # Who would leave (before "alive" is applied) is worked out column by column, only in the
        # columns someone can be in post in: ``segs`` holds (first column, width) of the stock
        # and of the starter slots each year actually used (the rest of the slots reserved by
        # _capacity stay empty in every simulation). When the scenario leaves the leaving
        # probabilities alone it depends only on the year and the column, so it is kept on the
        # model (per horizon) and shared by the baseline, most scenarios and every step of the
        # what-it-takes solver, extended when a scenario uses more starter slots.
        segs = [(0, len(stock))]
        shared = not (s.retention_change or s.caseload_change or s.pay_change)
        cache = model.__dict__.setdefault("_cache", {})
        routes = list(model.starter_routes.values())
        cum = np.cumsum([p for p, _ in routes])
        route_ratio = np.array([r for _, r in routes])
        fpp = est["starter_fte_per_head"]
        cap = _capacity(model)
        drift = np.zeros(n)  # model error, FTE
    cohorts: list[dict] = []
    for t in range(horizon):
        year = first + t
        est_change = s.establishment_change if (s.establishment_year or first) == year else 0.0
        est_change = est_change + growth * P if has_vac else est_change
        lv = _Leaving(model, z, t, level, mult, add, s.retention_change, q_mean)
        # 1. leavers among those in post at the start of the year
        if worker:
            m = len(ten)
            if shared:
                leaves, done = cache.setdefault(("stock_leaves", horizon, t), (np.zeros((n, m), bool), {}))
            else:
                leaves, done = np.zeros((n, m), bool), {}
            todo = [(a, a + done.get(a, 0), a + w) for a, w in segs if w > done.get(a, 0)]
            if todo:
                idx = np.concatenate([np.arange(lo, hi) for _, lo, hi in todo])
                u = _stock_uniforms(model, t, [(lo, hi) for _, lo, hi in todo])
                if s.retention_change:  # (not shared: todo is every column of segs)
                    p = lv.prob(ten[idx], ten[idx] + 1.0, rat[idx])
                    lv.set_scale(p, alive, segs)
                    hit = u < np.clip(p * lv.k[:, None], 0, 1)
                else:  # the same, with the comparison done a few rows at a time (k is 1)
                    hit = lv.prob(ten[idx], ten[idx] + 1.0, rat[idx], u=u, rescale=True)
                j = 0
                for a, lo, hi in todo:
                    leaves[:, lo:hi] = hit[:, j:j + hi - lo]
                    j += hi - lo
                    done[a] = hi - a
            go = alive & leaves
            L = _masked_sum(fte, go, segs, fpp)
            alive &= ~go
            ten = ten + 1.0
        else:
            L = lv.q * main
        # 2. starters fill a share of the posts to fill
        phi = special.expit(fill_mean + est["fill_sd"] * z["fill"][:, t])
        if has_vac:
            starters = phi * np.clip(V + L + est_change, 0, None)
        else:
            starters = L + phi * est_change
        starters = starters + s.extra_starters
        if worker:
            heads = np.minimum(np.rint(starters / fpp).astype(int), cap)
            used = int(max(heads.max(), 0))  # starter slots used in some simulation
            on = np.arange(used)[None, :] < heads[:, None]  # (the others stay empty)
            when = z["start_when"][t]  # part of the year served by 30 September
            r_idx = np.minimum(np.searchsorted(cum, z["start_route"][t] * cum[-1]), len(cum) - 1)
            sr = route_ratio[r_idx]
            if shared:
                leaves, done = cache.setdefault(("starter_leaves", horizon, t), (np.zeros((n, cap), bool), {}))
            else:
                leaves, done = np.zeros((n, cap), bool), {}
            lo = done.get(0, 0)
            if used > lo:
                leaves[:, lo:used] = lv.prob(np.zeros(used - lo), when[lo:used], sr[lo:used],
                                             u=z["start_u"][t][:, lo:used])
                done[0] = used
            gone = on & leaves[:, :used]
            Ls = _count(gone, [(0, used)]) * fpp
            starters_fte = _count(on, [(0, used)]) * fpp
            segs.append((len(ten), used))
            ten = np.concatenate([ten, when])
            fte = np.concatenate([fte, np.full(cap, fpp)])
            rat = np.concatenate([rat, sr])
            slots = np.zeros((n, cap), bool)
            slots[:, :used] = on & ~gone
            alive = np.concatenate([alive, slots], axis=1)
            drift = drift + est["other_sd"] * z["other"][:, t] * main
            main = np.clip(_masked_sum(fte, alive, segs, fpp) + drift, 0, None)
        else:
            # the leaving rate already counts starters who leave within the year, except those
            # a scenario adds: they serve half the year on average
            Ls = s.extra_starters * lv.q / 2
            starters_fte = starters
            other = other_mean + est["other_sd"] * z["other"][:, t]
            main = np.clip(main - L + starters - Ls + other * main, 0, None)
        # 3. scenario cohorts: a recruitment campaign, agency-to-permanent conversions
        coh_start = np.zeros(n)
        if s.campaign_starters and (s.campaign_year or first) == year:
            cohorts.append({"alive": np.full(n, float(s.campaign_starters)), "fte": s.campaign_fte,
                            "retention": s.campaign_retention, "age": 0.0,
                            "served": (4.5 - s.campaign_quarter) / 4.0, "ratio": 1.0, "slot": 0})
            coh_start += s.campaign_starters * s.campaign_fte
        conv = float(min(s.agency_conversions, st["agency_fte"])) if (t == 0 and has_agency) else 0.0
        if conv:
            ratio = est.get("route_ratios", {}).get("from_agency", 1.0) if worker else 1.0
            cohorts.append({"alive": np.full(n, conv), "fte": 1.0, "retention": None, "age": 0.0,
                            "served": 1.0, "ratio": ratio, "slot": 1})
            coh_start += conv
        coh_L = np.zeros(n)
        for c in cohorts:
            served = c.pop("served", 1.0)
            p_c = lv.cohort(c, served)
            heads = np.rint(c["alive"]).astype(int)
            gone = np.nan_to_num(stats.binom.ppf(z["cohort"][:, t, c["slot"]], heads, p_c))
            c["alive"] = heads - gone
            c["age"] += served
            coh_L += gone * c["fte"]
        coh_fte = sum((c["alive"] * c["fte"] for c in cohorts), np.zeros(n))
        coh_heads = sum((c["alive"] for c in cohorts), np.zeros(n))
        # 4. the stock on 30 September, vacancies against the establishment
        V_prev = V
        S = main + coh_fte
        P = P + est_change
        V = np.clip(P - S, 0, None)
        # 5. agency moves with vacancies (a conversion fills a vacancy and ends a placement)
        if has_agency:
            if base_v is None:
                dV = np.zeros(n) + conv
            else:
                bv_prev = base_v[:, t - 1] if t else np.full(n, st["vacancy_fte"])
                dV = (V - V_prev) - (base_v[:, t] - bv_prev) + conv
            sd = est["agency_sd"]
            A = np.clip(A + est["kappa"] * dV, 0, None) * np.exp(sd * z["agency"][:, t] - sd ** 2 / 2)
            A = np.clip(A - conv, 0, None)
        out["inpost_fte"][:, t] = S
        out["inpost_headcount"][:, t] = (_count(alive, segs) + drift / fpp + coh_heads if worker
                                         else S * st["headcount_per_fte"])
        out["leavers_fte"][:, t] = L + Ls + coh_L
        out["starters_fte"][:, t] = starters_fte + coh_start
        if has_agency:
            out["agency_fte"][:, t] = A
            out["agency_rate"][:, t] = 100 * A / np.maximum(A + S, 1e-9)
            out["agency_premium_cost"][:, t] = A * model.premium
        if has_vac:
            out["vacancy_fte"][:, t] = V
            out["vacancy_rate"][:, t] = 100 * V / np.maximum(V + S, 1e-9)
    return out


# ------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------


@dataclass(repr=False)
class ForecastResult(Result):
    """Projected draws for each scenario, summarised by :meth:`table` and :meth:`sentences`.

    Attributes
    ----------
    model : ForecastModel
        The fitted projection model (authority, origin year, mode, simulations).
    scenarios : list of Scenario
        The baseline and any scenarios projected.
    years : list of int
        The census years projected.
    draws : dict
        ``draws[scenario][measure]``: an array (simulations x years).
    interval : float
        Coverage of the intervals (0.8: the 10th to 90th percentiles).
    notes : list of str
        What the projection leaves out or assumes, in words.
    """

    model: ForecastModel
    scenarios: list
    years: list
    draws: dict
    interval: float = 0.8
    notes: list = field(default_factory=list)

    def _title(self) -> str:
        return f"{self.model.la} {self.model.origin}-{self.years[-1]}"

    def _counts(self) -> list[str]:
        return [plural(len(self.scenarios), "scenario"), plural(len(self.years), "year"),
                plural(self.model.simulations, "simulation")]

    def table(self) -> pd.DataFrame:
        """``tables/forecast.csv``: ``scenario, year, measure, value, lower, upper``.

        ``value`` is the mean over simulations, ``lower``/``upper`` the quantiles of the interval
        (10th and 90th percentiles for the default 80%). Measures with no data are left out.
        Worked out once for the result's draws, scenarios, years and interval (the report asks
        several times); each call returns its own copy.
        """
        kept = self.__dict__.get("_table")
        if not (kept and kept[0] == self.interval and kept[1] is self.draws
                and kept[2] == list(self.years) and len(kept[3]) == len(self.scenarios)
                and all(a is b for a, b in zip(kept[3], self.scenarios))):
            kept = (self.interval, self.draws, list(self.years), list(self.scenarios), self._summarise())
            self.__dict__["_table"] = kept
        return kept[4].copy()

    def _summarise(self) -> pd.DataFrame:
        a = (1 - self.interval) / 2
        rows = []
        for s in self.scenarios:
            d = self.draws[s.name]
            for m in MEASURES:
                x = d[m]
                if np.isnan(x).all():
                    continue
                mean = np.nanmean(x, axis=0)
                lo, hi = np.nanquantile(x, [a, 1 - a], axis=0)
                for j, y in enumerate(self.years):
                    rows.append((s.name, int(y), m, float(mean[j]), float(lo[j]), float(hi[j])))
        return pd.DataFrame(rows, columns=TABLE_COLUMNS)

    def value(self, measure: str, year: int | None = None, scenario: str = BASELINE) -> float:
        """The central projection of ``measure`` in ``year`` (default: the last) under ``scenario``."""
        j = -1 if year is None else self.years.index(int(year))
        return float(np.nanmean(self.draws[scenario][measure][:, j]))

    def scenario_table(self, year: int | None = None) -> pd.DataFrame:
        """One row per scenario for the report: in-post FTE, agency and vacancy rates and the
        agency premium cost in ``year`` (default: the last), with their intervals in words."""
        year = self.years[-1] if year is None else int(year)
        t = self.table()
        t = t[t["year"] == year]
        rows = []
        for s in self.scenarios:
            r = {"Scenario": describe_scenario(s) if s.name != BASELINE else "Baseline: recent patterns continue"}
            for m, label, fmt in (("inpost_fte", "Social workers in post (FTE)", "{:.0f}"),
                                  ("agency_rate", "Agency share (%)", "{:.1f}"),
                                  ("vacancy_rate", "Vacancy rate (%)", "{:.1f}"),
                                  ("agency_premium_cost", "Agency premium (£ a year)", None)):
                q = t[(t["scenario"] == s.name) & (t["measure"] == m)]
                if q.empty:
                    r[label] = "not available"
                    continue
                q = q.iloc[0]
                if fmt is None:
                    r[label] = f"{money(q.value)} ({money(q.lower)} to {money(q.upper)})"
                else:
                    r[label] = f"{fmt.format(q.value)} ({fmt.format(q.lower)} to {fmt.format(q.upper)})"
            rows.append(r)
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        df = self.scenario_table()
        cap = (f"{html.escape(self.model.la)}: projection to 30 September {self.years[-1]} from "
               f"{self.model.origin} ({int(self.interval * 100)}% intervals)")
        body = df.to_html(index=False, escape=True)
        return body.replace(">\n  <thead>", f">\n  <caption>{cap}</caption>\n  <thead>", 1)

    def sentences(self) -> list[str]:
        """The projection in words (:func:`sentences`)."""
        return sentences(self)


def project(model: ForecastModel, scenarios: Iterable[Scenario] = (), *, horizon: int = 3,
            interval: float = 0.8) -> ForecastResult:
    """Project the baseline and each scenario ``horizon`` census years beyond the origin.

    Parameters
    ----------
    model : ForecastModel
        From :func:`fit`.
    scenarios : iterable of Scenario
        Scenarios besides the baseline (which is always first, named ``baseline``).
    horizon : int
        Years ahead, 1 to 5.
    interval : float
        Width of the interval in ``table()`` (0.8 = 10th to 90th percentile).

    Returns
    -------
    ForecastResult

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> m = fit("Wokingham", panel=load_panel(), origin=2023)
    >>> res = project(m, [Scenario("conv", agency_conversions=5)], horizon=2)
    >>> res.table().query("measure == 'agency_rate'").round(1)
        scenario  year      measure  value  lower  upper
    10  baseline  2024  agency_rate   18.0    9.7   27.7
    11  baseline  2025  agency_rate   17.0    6.7   30.0
    28      conv  2024  agency_rate   13.9    5.1   24.4
    29      conv  2025  agency_rate   14.2    4.4   27.1
    """
    horizon = int(horizon)
    if not 1 <= horizon <= MAX_HORIZON:
        raise UserError(f"forecast: horizon must be 1 to {MAX_HORIZON} years, got {horizon}")
    if not 0 < interval < 1:
        raise UserError(f"forecast: interval must be between 0 and 1, got {interval}")
    todo = [Scenario(BASELINE, "Recent patterns continue")]
    names = {BASELINE}
    notes = list(model.notes)
    for s in scenarios:
        if s.name in names:
            raise UserError(f"forecast: scenario name '{s.name}' is used twice")
        z = _noise(model, horizon)
        _, _, missing = _effect_draws(model, z, s)
        if missing:
            what = " and ".join("caseload" if m == "caseload" else "pay" for m in missing)
            notes.append(f"Scenario '{s.name}' is not shown: the link between {what} and leaving "
                         "could not be estimated from the data given.")
            continue
        for y, key in ((s.campaign_year, "campaign year"), (s.establishment_year, "establishment year")):
            if y is not None and not model.origin < y <= model.origin + horizon:
                raise UserError(f"forecast: scenario '{s.name}': {key} {y} is outside the projection "
                                f"({model.origin + 1} to {model.origin + horizon})")
        names.add(s.name)
        todo.append(s)
    years = list(range(model.origin + 1, model.origin + horizon + 1))
    draws = {s.name: _simulate(model, s, horizon) for s in todo}
    return ForecastResult(model=model, scenarios=todo, years=years, draws=draws,
                          interval=interval, notes=notes)


# ------------------------------------------------------------------------------------------
# What would it take
# ------------------------------------------------------------------------------------------


@dataclass
class WhatItTakes:
    """The answer to "what would it take to bring ``measure`` to ``target`` by ``year``"."""

    measure: str
    target: float
    year: int
    lever: str
    answer: float  # starters FTE a year, or percentage points of retention; NaN when not reachable
    baseline_value: float
    achieved: float  # central projection with the answer (the round trip)
    message: str
    source: str = ""  # where the target came from, in words (set by the report)

    def __repr__(self) -> str:
        return (f"WhatItTakes(measure={self.measure!r}, target={self.target:g}, year={self.year}, "
                f"lever={self.lever!r}, answer={self.answer:.2f}, achieved={self.achieved:.2f})")

    @property
    def scenario(self) -> Scenario:
        """The scenario that carries out the answer (project it to check the round trip)."""
        if self.lever == "starters":
            return Scenario("what_it_takes", extra_starters=self.answer)
        return Scenario("what_it_takes", retention_change=self.answer)


def what_it_takes(model: ForecastModel, measure: str = "agency_rate", target: float = 10.0,
                  year: int | None = None, lever: str = "starters") -> WhatItTakes:
    """Solve for the extra starters per year (or the retention improvement) that bring the
    central projection of ``measure`` to ``target`` in ``year``.

    Parameters
    ----------
    model : ForecastModel
        From :func:`fit`.
    measure : {"agency_rate", "vacancy_rate"}
        The rate to bring down (%).
    target : float
        The rate to reach (%).
    year : int, optional
        Census year by which to reach it (default: origin + 3).
    lever : {"starters", "retention"}
        Extra starter FTE each year from the first projected year, or percentage points fewer
        leaving each year.

    Returns
    -------
    WhatItTakes
        ``answer`` 0 when the baseline already reaches the target; NaN (and a ``message``) when
        the lever cannot reach it. ``achieved`` is the central projection with the answer.

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> m = fit("Wokingham", panel=load_panel(), origin=2023)
    >>> w = what_it_takes(m, "agency_rate", 10.0, 2026)
    >>> w.lever, round(w.answer, 1)
    ('starters', 12.6)
    >>> round(project(m, [w.scenario], horizon=3).value("agency_rate", 2026, "what_it_takes"), 1)
    10.0
    """
    if measure not in ("agency_rate", "vacancy_rate"):
        raise UserError(f"what it takes: measure must be agency_rate or vacancy_rate, got {measure!r}")
    if lever not in ("starters", "retention"):
        raise UserError(f"what it takes: lever must be starters or retention, got {lever!r}")
    year = model.origin + 3 if year is None else int(year)
    horizon = year - model.origin
    if not 1 <= horizon <= MAX_HORIZON:
        raise UserError(f"what it takes: year must be {model.origin + 1} to {model.origin + MAX_HORIZON}")
    if not np.isfinite(model.start["agency_fte" if measure == "agency_rate" else "vacancy_fte"]):
        return WhatItTakes(measure, target, year, lever, math.nan, math.nan, math.nan,
                           f"No {measure.replace('_', ' ')} figures to project.")

    seen: dict[float, float] = {}  # brentq asks again for the end it was given

    def central(x: float) -> float:
        x = float(x)
        if x not in seen:
            s = (Scenario("x", extra_starters=x) if lever == "starters"
                 else Scenario("x", retention_change=x))
            seen[x] = float(np.nanmean(_simulate(model, s, horizon)[measure][:, -1]))
        return seen[x]

    base = central(0.0)
    label = measure.replace("_", " ")
    if base <= target:
        return WhatItTakes(measure, target, year, lever, 0.0, base, base,
                           f"The {label} is already projected to be {base:.1f}% by {year}, at or below "
                           f"the target of {target:.1f}%.")
    hi = 2.0 * model.start["establishment"] if lever == "starters" else 50.0
    top = central(hi)
    if top > target:
        return WhatItTakes(measure, target, year, lever, math.nan, base, top,
                           f"No number of extra {'starters' if lever == 'starters' else 'retention points'} "
                           f"brings the {label} to {target:.1f}% by {year} in this model "
                           f"(at most it falls to {top:.1f}%).")
    x = optimize.brentq(lambda v: central(v) - target, 0.0, hi, xtol=1e-4)
    got = central(x)
    unit = "FTE starters a year" if lever == "starters" else "percentage points fewer leaving a year"
    return WhatItTakes(measure, target, year, lever, float(x), base, got,
                       f"To bring the {label} from a projected {base:.1f}% to {target:.1f}% by "
                       f"30 September {year} would take about {x:.1f} more {unit} than recent "
                       f"patterns give, from {model.origin + 1}.")


# ------------------------------------------------------------------------------------------
# Words
# ------------------------------------------------------------------------------------------


def sentences(result: ForecastResult) -> list[str]:
    """Plain-English statements of the baseline projection and how each scenario differs.

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> sentences(project(fit("Wokingham", panel=load_panel())))[0][:73]
    'If recent patterns continue, Wokingham would have about 107 FTE social wo'
    """
    m = result.model
    t = result.table()
    y = result.years[-1]
    pct = int(round(result.interval * 100))

    def get(scn, meas):
        q = t[(t["scenario"] == scn) & (t["measure"] == meas) & (t["year"] == y)]
        return None if q.empty else q.iloc[0]

    out = []
    s0 = m.start["inpost_fte"]
    b = get(BASELINE, "inpost_fte")
    src = ("its own census returns" if m.mode == "worker" else "the published statistics")
    out.append(
        f"If recent patterns continue, {m.la} would have about {b.value:.0f} FTE social workers in "
        f"post on 30 September {y} ({pct}% range {b.lower:.0f} to {b.upper:.0f}), compared with "
        f"{s0:.0f} in {m.origin}; this projection is based on {src}."
    )
    ag = get(BASELINE, "agency_rate")
    if ag is not None:
        a0 = 100 * m.start["agency_fte"] / (m.start["agency_fte"] + s0)
        cost = get(BASELINE, "agency_premium_cost")
        out.append(
            f"Agency workers would fill about {ag.value:.1f}% of posts ({ag.lower:.1f}% to "
            f"{ag.upper:.1f}%), against {a0:.1f}% in {m.origin}, at an agency premium of about "
            f"{money(cost.value)} a year."
        )
    vr = get(BASELINE, "vacancy_rate")
    if vr is not None:
        out.append(f"The vacancy rate would be about {vr.value:.1f}% ({vr.lower:.1f}% to {vr.upper:.1f}%).")
    for s in result.scenarios[1:]:
        d = get(s.name, "agency_rate")
        f = get(s.name, "inpost_fte")
        if f is None:
            continue
        diff = f.value - b.value
        if abs(diff) < 0.5:
            words = f"{describe_scenario(s)}: about as many in post as the baseline by {y}"
        else:
            words = (f"{describe_scenario(s)}: about {abs(diff):.0f} FTE "
                     f"{'more' if diff >= 0 else 'fewer'} in post than the baseline by {y}")
        if d is not None and ag is not None:
            words += f", agency share {d.value:.1f}% instead of {ag.value:.1f}%"
        out.append(words + ".")
    out.append(
        f"The ranges are {pct}% intervals: in {pct} of 100 equally likely futures consistent with "
        f"the past the figure would fall inside them. They are wide because a council's flows "
        f"vary a lot from year to year; they do not allow for changes nobody can foresee."
    )
    return out


def alt_text(result: ForecastResult, measure: str = "inpost_fte") -> str:
    """Alt text for the fan chart of ``measure`` (see swanalysis.plots.forecast.fan_chart)."""
    t = result.table()
    b = t[(t["scenario"] == BASELINE) & (t["measure"] == measure)]
    label = MEASURE_LABELS.get(measure, measure)
    h = result.model.history[measure].dropna() if measure in result.model.history else pd.Series(dtype=float)
    pct = int(round(result.interval * 100))
    past = (f"from {h.iloc[0]:.1f} in {h.index[0]} to {h.iloc[-1]:.1f} in {h.index[-1]}"
            if len(h) else "")
    last = b.iloc[-1]
    article = "an" if pct in (8, 11, 18) or 80 <= pct <= 89 else "a"
    return (f"Fan chart of {label} for {result.model.la}: the recorded line runs {past}; the "
            f"projection continues to {last.value:.1f} in {int(last.year)} with {article} {pct}% range of "
            f"{last.lower:.1f} to {last.upper:.1f}, widening with each year ahead.")


MEASURE_LABELS = {
    "inpost_fte": "permanent social workers in post (FTE)",
    "inpost_headcount": "permanent social workers in post (headcount)",
    "leavers_fte": "leavers (FTE)",
    "starters_fte": "starters (FTE)",
    "agency_fte": "agency social workers (FTE)",
    "agency_rate": "agency share of social workers (%)",
    "vacancy_fte": "vacancies (FTE)",
    "vacancy_rate": "vacancy rate (%)",
    "agency_premium_cost": "agency premium (£ a year)",
}


def forecast(la: str | None = None, *, scenarios: Iterable[Scenario] = (), horizon: int = 3,
             interval: float = 0.8, **fit_kwargs) -> ForecastResult:
    """:func:`fit` then :func:`project` in one call (keyword arguments go to :func:`fit`).

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> forecast("Wokingham", panel=load_panel(), horizon=3)
    <ForecastResult Wokingham 2025-2028: 1 scenario, 3 years, 1,000 simulations>
    """
    return project(fit(la, **fit_kwargs), scenarios, horizon=horizon, interval=interval)


__all__ = [
    "MEASURES", "TABLE_COLUMNS", "BASELINE", "Scenario", "scenario_from_dict", "describe_scenario",
    "published_history", "national_priors", "hold_back", "tenure_hazards", "route_ratios",
    "ForecastModel", "fit", "project", "ForecastResult", "WhatItTakes", "what_it_takes",
    "sentences", "alt_text", "forecast",
]
