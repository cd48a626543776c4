"""What the national data says: turnover and caseload across all English authorities.

A panel regression on the DfE's published figures (``swanalysis.published.panel.load_panel``): each local
authority's FTE turnover rate on its caseload, agency rate and vacancy rate, with year effects
(national changes common to every authority) and authority fixed effects (stable differences
between authorities), weighted by in-post FTE, standard errors clustered by authority
(statsmodels).  It is shown beside a council's own person-level estimate (swanalysis.drivers):
it describes authorities, not individual workers.  Methods: docs/drivers.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .errors import UserError

__all__ = ["NationalResult", "national_frame", "fit_national", "national_table", "sentences", "caveats"]

OUTCOME = "turnover_rate"
REGRESSORS = ["caseload", "agency_rate", "vacancy_rate"]
WEIGHT = "inpost_fte"
UNITS = {
    "caseload": "per extra case per case-holding FTE",
    "agency_rate": "per percentage point of agency workers",
    "vacancy_rate": "per percentage point of vacancies",
}
TABLE_COLUMNS = ["term", "unit", "coef", "se", "ci_lower", "ci_upper", "p_value", "n_obs", "n_authorities"]


def national_frame(panel: pd.DataFrame, *, start_year: int = 2017, end_year: int | None = None) -> pd.DataFrame:
    """One row per local authority × year (newest published figures) with the outcome,
    regressors and weight; rows missing any of them (suppressed or not published) or with no
    in-post FTE are dropped and counted in ``attrs["exclusions"]``."""
    need = ["area_level", "area_code", "area_name", "time_period", "measure", "value", "is_latest"]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise UserError(f"national panel: missing column(s) {', '.join(missing)} (see docs/tables.md)")
    measures = [OUTCOME, *REGRESSORS, WEIGHT]
    df = panel[(panel["area_level"] == "la") & panel["is_latest"].astype(bool) & panel["measure"].isin(measures)]
    df = df[df["time_period"].astype(int) >= start_year]
    if end_year is not None:
        df = df[df["time_period"].astype(int) <= end_year]
    wide = (
        df.drop_duplicates(["area_code", "time_period", "measure"])
        .pivot(index=["area_code", "time_period"], columns="measure", values="value")
        .reindex(columns=measures)
        .reset_index()
    )
    wide.columns.name = None
    names = df.drop_duplicates("area_code").set_index("area_code")["area_name"]
    wide.insert(1, "area_name", wide["area_code"].map(names))
    wide["time_period"] = wide["time_period"].astype(int)
    exclusions = {}
    incomplete = wide[measures].isna().any(axis=1)
    if incomplete.any():
        exclusions["authority-years with a suppressed or unpublished figure"] = int(incomplete.sum())
    wide = wide[~incomplete]
    no_fte = wide[WEIGHT] <= 0
    if no_fte.any():
        exclusions["authority-years with no in-post FTE (no weight)"] = int(no_fte.sum())
    wide = wide[~no_fte].sort_values(["area_code", "time_period"]).reset_index(drop=True)
    wide.attrs["exclusions"] = exclusions
    return wide


@dataclass
class NationalResult:
    """Coefficients (``coefficients``: term -> coef, se, ci_lower, ci_upper, p_value), the
    estimation frame and counts."""

    coefficients: pd.DataFrame
    data: pd.DataFrame
    n_obs: int
    n_authorities: int
    first_year: int
    last_year: int
    within_r2: float
    exclusions: dict = field(default_factory=dict)
    fit: object = None

    def __repr__(self) -> str:
        return (f"NationalResult(n_authorities={self.n_authorities}, n_obs={self.n_obs}, "
                f"years={self.first_year}-{self.last_year}, "
                f"caseload_coef={self.coefficients.at['caseload', 'coef']:.3f})")

    def table(self) -> pd.DataFrame:
        return national_table(self)

    def sentences(self) -> list[str]:
        return sentences(self)

    def caveats(self) -> list[str]:
        return caveats(self)


def fit_national(panel: pd.DataFrame, *, start_year: int = 2017, end_year: int | None = None) -> NationalResult:
    """Two-way fixed-effects regression of FTE turnover rate (%) on caseload, agency rate (%) and
    vacancy rate (%), weighted by in-post FTE, SEs clustered by authority.

    ``panel`` is the tidy published panel (``swanalysis.published.panel.load_panel()``)."""
    import statsmodels.formula.api as smf

    data = national_frame(panel, start_year=start_year, end_year=end_year)
    if data["area_code"].nunique() < 10 or data["time_period"].nunique() < 2:
        raise UserError(
            "national panel: need at least 10 authorities and 2 years with turnover, caseload, "
            "agency and vacancy rates published"
        )
    formula = f"{OUTCOME} ~ {' + '.join(REGRESSORS)} + C(time_period) + C(area_code)"
    groups = pd.factorize(data["area_code"])[0]
    fit = smf.wls(formula, data=data, weights=data[WEIGHT]).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    coef = fit.params[REGRESSORS]
    se = fit.bse[REGRESSORS]
    tstat = coef / se
    # intervals and p-values from a t reference with G-1 degrees of freedom (G authorities), the
    # usual choice for cluster-robust inference; with ~150 authorities it is close to normal
    G = data["area_code"].nunique()
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
    )


def _within_r2(data: pd.DataFrame, fit) -> float:
    """Share of the within-authority (weighted) variation in turnover explained by the model."""
    w = data[WEIGHT].to_numpy(float)
    y = data[OUTCOME].to_numpy(float)
    g = data["area_code"].to_numpy()
    ybar = pd.Series(y * w).groupby(g).transform("sum") / pd.Series(w).groupby(g).transform("sum")
    dev = y - ybar.to_numpy()
    resid = np.asarray(fit.resid)
    return float(1 - (w * resid**2).sum() / (w * dev**2).sum())


def national_table(result: NationalResult) -> pd.DataFrame:
    """Coefficients as a flat table (``TABLE_COLUMNS``) for tables/national_panel.csv."""
    out = result.coefficients.reset_index()
    out["n_obs"] = result.n_obs
    out["n_authorities"] = result.n_authorities
    return out[TABLE_COLUMNS]


def _pp(x: float) -> str:
    return f"{x:.2f}" if x >= 0 else f"−{abs(x):.2f}"


def sentences(result: NationalResult) -> list[str]:
    """What the national data says, in words, with intervals."""
    c = result.coefficients.loc["caseload"]
    direction = "higher" if c["coef"] >= 0 else "lower"
    clear = not (c["ci_lower"] <= 0 <= c["ci_upper"])
    first = (
        f"Across {result.n_authorities} English local authorities, {result.first_year} to "
        f"{result.last_year}, in years when an authority's average caseload was one case higher "
        f"than is usual for that authority, its social worker turnover rate was "
        f"{abs(c['coef']):.2f} percentage points {direction} (95% CI {_pp(c['ci_lower'])} to "
        f"{_pp(c['ci_upper'])}), allowing for national changes from year to year and for its "
        "agency and vacancy rates."
    )
    if not clear:
        first += " The interval includes zero: the national figures show no clear link."
    out = [first]
    for term, label in (("agency_rate", "agency rate"), ("vacancy_rate", "vacancy rate")):
        r = result.coefficients.loc[term]
        out.append(
            f"Each percentage point of {label} goes with a turnover rate {abs(r['coef']):.2f} points "
            f"{'higher' if r['coef'] >= 0 else 'lower'} (95% CI {_pp(r['ci_lower'])} to "
            f"{_pp(r['ci_upper'])})."
        )
    return out


def caveats(result: NationalResult) -> list[str]:
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
        "Christchurch and Poole) enter as separate authorities before and after the change.",
    ]
    if result.exclusions:
        out.append(
            "Not used: " + "; ".join(f"{n} {reason}" for reason, n in result.exclusions.items()) + "."
        )
    return out
