"""What the national data says: turnover and caseload across all English authorities.

A panel regression on the DfE's published figures (``swanalysis.published.panel.load_panel``): each local
authority's FTE turnover rate on its caseload, agency rate and vacancy rate, with year effects
(national changes common to every authority) and authority fixed effects (stable differences
between authorities), weighted by in-post FTE, standard errors clustered by authority
(statsmodels).  It is shown beside a council's own person-level estimate (swanalysis.drivers):
it describes authorities, not individual workers.  Methods: docs/drivers.md.

* Authorities are keyed by their **DfE number** (``old_la_code``), which is stable where the ONS
  code changed (Barnsley, Sheffield, North Yorkshire, Buckinghamshire, Somerset): keyed by ONS
  code each of them was split into two "authorities" (161 instead of 156).
* The **headline specification is lagged**: turnover in the year to 30 September t on caseload,
  agency and vacancy rates at 30 September t−1. In the same year the link is largely mechanical
  (leavers create vacancies and agency cover), so the same-year model is kept as a sensitivity
  check (``result.sensitivity``). Either way it is an association, not a cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .errors import UserError
from .results import Result, plural

__all__ = ["NationalResult", "national_frame", "fit_national", "national_table", "sentences", "caveats"]

OUTCOME = "turnover_rate"
REGRESSORS = ["caseload", "agency_rate", "vacancy_rate"]
WEIGHT = "inpost_fte"
UNITS = {
    "caseload": "per extra case per case-holding FTE",
    "agency_rate": "per percentage point of agency workers",
    "vacancy_rate": "per percentage point of vacancies",
}
KEY = "old_la_code"
TABLE_COLUMNS = ["model", "term", "unit", "coef", "se", "ci_lower", "ci_upper", "p_value", "n_obs",
                 "n_authorities"]
MODEL_NAMES = {1: "lagged: regressors at 30 September of the year before (headline)",
               0: "same year (sensitivity)"}


def national_frame(panel: pd.DataFrame, *, start_year: int = 2017, end_year: int | None = None,
                   lag: int = 1) -> pd.DataFrame:
    """One row per local authority (DfE number) × year (newest published figures) with the
    outcome and weight of that year and the regressors ``lag`` years earlier (1: at 30 September
    of the year before; 0: the same year). Rows missing any of them (suppressed, not published,
    or no figures the year before) or with no in-post FTE are dropped and counted in
    ``attrs["exclusions"]``."""
    need = ["area_level", KEY, "area_code", "area_name", "time_period", "measure", "value",
            "is_latest"]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise UserError(f"national panel: missing column(s) {', '.join(missing)} (see docs/tables.md)")
    if lag not in (0, 1):
        raise UserError(f"national panel: lag must be 0 or 1 year, not {lag!r}")
    measures = [OUTCOME, *REGRESSORS, WEIGHT]
    df = panel[(panel["area_level"] == "la") & panel["is_latest"].astype(bool) & panel["measure"].isin(measures)]
    df = df[df["time_period"].astype(int) >= start_year]
    if end_year is not None:
        df = df[df["time_period"].astype(int) <= end_year]
    wide = (
        df.drop_duplicates([KEY, "time_period", "measure"])
        .pivot(index=[KEY, "time_period"], columns="measure", values="value")
        .reindex(columns=measures)
        .reset_index()
    )
    wide.columns.name = None
    wide["time_period"] = wide["time_period"].astype(int)
    # the newest name and ONS code of each DfE number, for display
    newest = df.sort_values("time_period").drop_duplicates(KEY, keep="last").set_index(KEY)
    wide.insert(1, "area_name", wide[KEY].map(newest["area_name"]))
    wide.insert(2, "area_code", wide[KEY].map(newest["area_code"]))
    exclusions = {}
    if lag:
        prev = wide[[KEY, "time_period", *REGRESSORS]].assign(time_period=wide["time_period"] + lag)
        now = wide.drop(columns=REGRESSORS)
        now = now[now["time_period"] >= start_year + lag]
        wide = now.merge(prev, on=[KEY, "time_period"], how="left", indicator=True)
        no_prev = (wide["_merge"] == "left_only") & wide[[OUTCOME, WEIGHT]].notna().all(axis=1)
        if no_prev.any():
            exclusions["authority-years with no figures the year before (a new council)"] = \
                int(no_prev.sum())
        wide = wide[wide["_merge"] == "both"].drop(columns="_merge")
    incomplete = wide[measures].isna().any(axis=1)
    if incomplete.any():
        exclusions["authority-years with a suppressed or unpublished figure"] = int(incomplete.sum())
    wide = wide[~incomplete]
    no_fte = wide[WEIGHT] <= 0
    if no_fte.any():
        exclusions["authority-years with no in-post FTE (no weight)"] = int(no_fte.sum())
    wide = wide[~no_fte].sort_values([KEY, "time_period"]).reset_index(drop=True)
    wide.attrs["exclusions"] = exclusions
    wide.attrs["lag"] = lag
    return wide


@dataclass(repr=False)
class NationalResult(Result):
    """The national panel regression: coefficients, the estimation frame and counts.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        term (caseload, agency_rate, vacancy_rate) -> unit, coef, se, ci_lower, ci_upper, p_value.
    data : pandas.DataFrame
        The estimation frame (one row per authority-year).
    n_obs, n_authorities : int
        Authority-years and authorities in the fit.
    first_year, last_year : int
        The outcome years covered.
    within_r2 : float
        Share of the within-authority variation the model explains.
    exclusions : dict
        Reason -> number of authority-years left out.
    fit : statsmodels results
        The fitted model.
    lag : int
        Years between the regressors and the outcome (1: the year before).
    sensitivity : NationalResult or None
        The same model with the other timing (a sensitivity check).
    """

    coefficients: pd.DataFrame
    data: pd.DataFrame
    n_obs: int
    n_authorities: int
    first_year: int
    last_year: int
    within_r2: float
    exclusions: dict = field(default_factory=dict)
    fit: object = None
    lag: int = 1
    sensitivity: "NationalResult | None" = None

    def _title(self) -> str:
        return f"{self.first_year}-{self.last_year}, lag {self.lag}"

    def _counts(self) -> list[str]:
        return [plural(self.n_authorities, "authority", "authorities"), plural(self.n_obs, "authority-year"),
                plural(len(self.coefficients), "term")]

    def table(self) -> pd.DataFrame:
        """The coefficient table (:func:`national_table`)."""
        return national_table(self)

    def sentences(self) -> list[str]:
        """The findings in words (:func:`sentences`)."""
        return sentences(self)

    def caveats(self) -> list[str]:
        """The caveats in words (:func:`caveats`)."""
        return caveats(self)


def fit_national(panel: pd.DataFrame, *, start_year: int = 2017, end_year: int | None = None,
                 lag: int = 1, sensitivity: bool = True) -> NationalResult:
    """Two-way fixed-effects regression of turnover on caseload, agency and vacancy rates.

    FTE turnover rate (%) on caseload, agency rate (%) and vacancy rate (%) ``lag`` years earlier,
    with authority and year fixed effects, weighted by in-post FTE, standard errors clustered by
    authority (DfE number).

    Parameters
    ----------
    panel : pandas.DataFrame
        The tidy published panel (:func:`swanalysis.published.panel.load_panel`).
    start_year : int, default 2017
        First year of figures used.
    end_year : int, optional
        Last year of figures used (default: the latest).
    lag : int, default 1
        1 (the headline): regressors at 30 September of the year before the turnover year;
        0: the same year.
    sensitivity : bool, default True
        With ``lag=1``, also fit the same-year model (``.sensitivity``).

    Returns
    -------
    NationalResult
        ``coefficients`` (term -> unit, coef, se, ci_lower, ci_upper, p_value), the estimation
        ``data``, counts, ``exclusions``; ``.table()`` and ``.sentences()``.

    Raises
    ------
    UserError
        When fewer than 10 authorities and 2 years have every figure published.

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> from swanalysis.national import fit_national
    >>> res = fit_national(load_panel(), start_year=2021, sensitivity=False)
    >>> res
    <NationalResult 2022-2025, lag 1: 150 authorities, 585 authority-years, 3 terms>
    >>> res.coefficients[["coef", "ci_lower", "ci_upper"]].round(2)
                  coef  ci_lower  ci_upper
    term                                  
    caseload      0.10     -0.21      0.41
    agency_rate  -0.00     -0.14      0.13
    vacancy_rate -0.21     -0.35     -0.07
    """
    # the model's own module (statsmodels.formula.api imports every model's formula interface)
    from statsmodels.regression.linear_model import WLS

    data = national_frame(panel, start_year=start_year, end_year=end_year, lag=lag)
    if data[KEY].nunique() < 10 or data["time_period"].nunique() < 2:
        raise UserError(
            "national panel: need at least 10 authorities and 2 years with turnover, caseload, "
            "agency and vacancy rates published"
        )
    formula = f"{OUTCOME} ~ {' + '.join(REGRESSORS)} + C(time_period) + C({KEY})"
    groups = pd.factorize(data[KEY])[0]
    fit = WLS.from_formula(formula, data=data, weights=data[WEIGHT]).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    coef = fit.params[REGRESSORS]
    se = fit.bse[REGRESSORS]
    tstat = coef / se
    # intervals and p-values from a t reference with G-1 degrees of freedom (G authorities), the
    # usual choice for cluster-robust inference; with ~150 authorities it is close to normal
    G = data[KEY].nunique()
    crit = stats.t.ppf(0.975, G - 1)
    coefficients = pd.DataFrame(
        {
            "unit": [UNITS[r] for r in REGRESSORS],
            "coef": coef.to_numpy(),
            "se": se.to_numpy(),
            "ci_lower": (coef - crit * se).to_numpy(),
            "ci_upper": (coef + crit * se).to_numpy(),
            "p_value": 2 * stats.t.sf(np.abs(tstat.to_numpy()), G - 1),
        },
        index=pd.Index(REGRESSORS, name="term"),
    )
    within_r2 = _within_r2(data, fit)
    return NationalResult(
        coefficients=coefficients,
        data=data,
        n_obs=int(fit.nobs),
        n_authorities=int(G),
        first_year=int(data["time_period"].min()),
        last_year=int(data["time_period"].max()),
        within_r2=within_r2,
        exclusions=dict(data.attrs.get("exclusions", {})),
        fit=fit,
        lag=lag,
        sensitivity=(fit_national(panel, start_year=start_year, end_year=end_year, lag=0)
                     if lag and sensitivity else None),
    )


def _within_r2(data: pd.DataFrame, fit) -> float:
    """Share of the within-authority (weighted) variation in turnover explained by the model."""
    w = data[WEIGHT].to_numpy(float)
    y = data[OUTCOME].to_numpy(float)
    g = data[KEY].to_numpy()
    ybar = pd.Series(y * w).groupby(g).transform("sum") / pd.Series(w).groupby(g).transform("sum")
    dev = y - ybar.to_numpy()
    resid = np.asarray(fit.resid)
    return float(1 - (w * resid**2).sum() / (w * dev**2).sum())


def national_table(result: NationalResult) -> pd.DataFrame:
    """Coefficients as a flat table (``TABLE_COLUMNS``) for tables/national_panel.csv."""
    out = result.coefficients.reset_index()
    out.insert(0, "model", MODEL_NAMES[result.lag])
    out["n_obs"] = result.n_obs
    out["n_authorities"] = result.n_authorities
    return out[TABLE_COLUMNS]


def _pp(x: float) -> str:
    return f"{x:.2f}" if x >= 0 else f"−{abs(x):.2f}"


def sentences(result: NationalResult) -> list[str]:
    """What the national data says, in words, with intervals: the headline (lagged) model, then
    the same-year model as a sensitivity check. Association, not cause."""
    c = result.coefficients.loc["caseload"]
    direction = "higher" if c["coef"] >= 0 else "lower"
    clear = not (c["ci_lower"] <= 0 <= c["ci_upper"])
    if result.lag:
        when = ("in years after an authority's average caseload at 30 September had been one "
                "case higher than is usual for that authority, its social worker turnover rate "
                "over the following year was")
        allow = "its agency and vacancy rates the year before"
    else:
        when = ("in years when an authority's average caseload was one case higher than is usual "
                "for that authority, its social worker turnover rate was")
        allow = "its agency and vacancy rates"
    first = (
        f"Across {result.n_authorities} English local authorities, {result.first_year} to "
        f"{result.last_year}, {when} {abs(c['coef']):.2f} percentage points {direction} (95% CI "
        f"{_pp(c['ci_lower'])} to {_pp(c['ci_upper'])}), allowing for national changes from year "
        f"to year and for {allow}."
    )
    if not clear:
        first += " The interval includes zero: the national figures show no clear link."
    first += " This is an association between authorities' figures, not evidence of cause."
    out = [first]
    for term, label in (("agency_rate", "agency rate"), ("vacancy_rate", "vacancy rate")):
        r = result.coefficients.loc[term]
        out.append(
            f"Each percentage point of {label}{' the year before' if result.lag else ''} goes "
            f"with a turnover rate {abs(r['coef']):.2f} points "
            f"{'higher' if r['coef'] >= 0 else 'lower'} (95% CI {_pp(r['ci_lower'])} to "
            f"{_pp(r['ci_upper'])})."
        )
    sens = result.sensitivity
    if sens is not None:
        sc = sens.coefficients
        out.append(
            "As a sensitivity check, the same model with caseload, agency and vacancy rates "
            "measured at the end of the same year gives "
            + ", ".join(f"{_pp(sc.at[t, 'coef'])} per {w} (95% CI {_pp(sc.at[t, 'ci_lower'])} "
                        f"to {_pp(sc.at[t, 'ci_upper'])})"
                        for t, w in (("caseload", "case"), ("agency_rate", "point of agency rate"),
                                     ("vacancy_rate", "point of vacancy rate")))
            + "; in the same year the link is partly mechanical, because leavers create "
            "vacancies and agency cover."
        )
    return out


def caveats(result: NationalResult) -> list[str]:
    """What the national regression cannot say (association, timing, published-figure limits)."""
    out = [
        "This compares authorities and years, not individual workers (an ecological comparison): "
        "it cannot show that a worker with more cases is more likely to leave.",
        "Authority fixed effects remove differences between authorities that do not change over "
        "time; things that change within an authority (leadership, restructures, local labour "
        "markets) are not measured.",
        "Turnover, agency use and vacancies feed each other, so the agency and vacancy "
        "coefficients are not causal effects, and the caseload link may run both ways.",
        "Weighted by in-post FTE, so larger authorities count for more; published rates are rounded.",
        "Authorities whose boundaries changed (Northamptonshire, Cumbria, Dorset, Bournemouth, "
        "Christchurch and Poole) enter as separate authorities before and after the change; "
        "authorities whose ONS code changed under the same DfE number (Barnsley, Sheffield, "
        "North Yorkshire, Buckinghamshire, Somerset) are one authority each.",
    ]
    if result.exclusions:
        out.append(
            "Not used: " + "; ".join(f"{n} {reason}" for reason, n in result.exclusions.items()) + "."
        )
    return out
