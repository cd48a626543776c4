"""National panel: turnover on caseload, agency and vacancy rates, two-way fixed effects.

Checked against an independent computation (a weighted within-authority transformation with
year dummies partialled out — Frisch–Waugh–Lovell — and a hand-built cluster sandwich, in numpy),
against a synthetic panel with planted coefficients, and on the real published data read
straight from the DfE CSV (not through swanalysis.published.panel).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swanalysis import national
from swanalysis.errors import UserError
from swanalysis.national import REGRESSORS, fit_national, national_frame, national_table


def within_estimator(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """FWL: weighted area-demeaning of y, X and year dummies; WLS; CR1 cluster sandwich."""
    w = frame["inpost_fte"].to_numpy(float)
    g = pd.factorize(frame["old_la_code"])[0]
    years = sorted(frame["time_period"].unique())
    D = np.column_stack([(frame["time_period"] == yr).to_numpy(float) for yr in years[1:]])
    Z = np.column_stack([frame[REGRESSORS].to_numpy(float), D])
    y = frame["turnover_rate"].to_numpy(float)

    def demean(a):
        a = a if a.ndim == 2 else a[:, None]
        sums = np.zeros((g.max() + 1, a.shape[1]))
        np.add.at(sums, g, a * w[:, None])
        wsum = np.bincount(g, weights=w)
        return a - (sums / wsum[:, None])[g]

    Zt, yt = demean(Z), demean(y)[:, 0]
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(Zt * sw[:, None], yt * sw, rcond=None)
    e = yt - Zt @ beta
    bread = np.linalg.inv(Zt.T @ (Zt * w[:, None]))
    scores = np.zeros((g.max() + 1, Zt.shape[1]))
    np.add.at(scores, g, Zt * (w * e)[:, None])
    meat = scores.T @ scores
    G, N = g.max() + 1, len(y)
    K = 1 + Z.shape[1] + (G - 1)  # constant, regressors + year dummies, area dummies
    V = G / (G - 1) * (N - 1) / (N - K) * bread @ meat @ bread
    k = len(REGRESSORS)
    return beta[:k], np.sqrt(np.diag(V))[:k]


PLANTED = {"caseload": 0.4, "agency_rate": 0.1, "vacancy_rate": 0.05}


def synthetic_panel(seed=0, n_areas=80, years=range(2017, 2025)) -> pd.DataFrame:
    """Tidy panel (docs/tables.md layout) with authority and year effects correlated with the
    regressors and a planted linear effect; plus rows that must be ignored."""
    rng = np.random.default_rng(seed)
    rows = []
    year_eff = {y: rng.normal(0, 2) for y in years}
    for a in range(n_areas):
        code = f"E06{a:06d}"
        area_eff = rng.normal(0, 4)
        fte = rng.uniform(40, 600)
        for y in years:
            case = 16 + 0.4 * area_eff + rng.normal(0, 2)
            agency = max(0, 15 + area_eff + rng.normal(0, 5))
            vac = max(0, 15 + 0.5 * area_eff + rng.normal(0, 5))
            turn = (
                5 + area_eff + year_eff[y] + sum(PLANTED[k] * v for k, v in
                                                 zip(REGRESSORS, (case, agency, vac)))
                + rng.normal(0, 30 / np.sqrt(fte))
            )
            vals = {"turnover_rate": turn, "caseload": case, "agency_rate": agency,
                    "vacancy_rate": vac, "inpost_fte": fte * rng.uniform(0.9, 1.1), "cases": 999.0}
            # the ONS code changes in 2020 for every tenth authority (DfE number unchanged)
            ons = code if (a % 10 or y < 2020) else f"E07{a:06d}"
            for m, v in vals.items():
                rows.append(("la", ons, f"{100 + a}", f"Authority {a}", y, m, v, True))
                rows.append(("la", ons, f"{100 + a}", f"Authority {a}", y, m, -50.0, False))  # older release
    for y in years:
        rows.append(("national", "E92000001", "", "England", y, "turnover_rate", 99.0, True))
    df = pd.DataFrame(rows, columns=["area_level", "area_code", "old_la_code", "area_name",
                                     "time_period", "measure", "value", "is_latest"])
    # one suppressed figure
    hit = (df["area_code"] == "E06000003") & (df["time_period"] == 2019) & (df["measure"] == "caseload") & df["is_latest"]
    df.loc[hit, "value"] = np.nan
    return df


@pytest.fixture(scope="module")
def synthetic_result():
    # the planted effect is same-year: the same-year model recovers it
    return fit_national(synthetic_panel(), lag=0)


def test_frame_keeps_latest_la_rows_and_counts_exclusions():
    panel = synthetic_panel()
    frame = national_frame(panel, lag=0)
    assert len(frame) == 80 * 8 - 1
    assert frame.attrs["exclusions"] == {"authority-years with a suppressed or unpublished figure": 1}
    assert (frame["turnover_rate"] != -50).all()
    # keyed by DfE number: an ONS code change does not split an authority
    assert frame["old_la_code"].nunique() == 80 and panel["area_code"].nunique() == 80 + 8 + 1
    # lagged: outcome years 2018-2024 with the regressors of the year before; the suppressed
    # 2019 caseload removes the 2020 row
    lagged = national_frame(panel)
    assert len(lagged) == 80 * 7 - 1 and lagged["time_period"].min() == 2018
    row = lagged[(lagged["old_la_code"] == "105") & (lagged["time_period"] == 2021)].iloc[0]
    src = panel[panel["is_latest"] & (panel["old_la_code"] == "105")].set_index(
        ["time_period", "measure"])["value"]
    assert row["caseload"] == src[(2020, "caseload")] and row["turnover_rate"] == src[(2021, "turnover_rate")]
    assert row["inpost_fte"] == src[(2021, "inpost_fte")]


def test_formula_dummies_equal_within_transformation(synthetic_result):
    beta, se = within_estimator(synthetic_result.data)
    np.testing.assert_allclose(synthetic_result.coefficients["coef"].to_numpy(), beta, rtol=0, atol=1e-8)
    np.testing.assert_allclose(synthetic_result.coefficients["se"].to_numpy(), se, rtol=1e-6)


def test_planted_coefficients_recovered(synthetic_result):
    c = synthetic_result.coefficients
    for term, truth in PLANTED.items():
        assert c.at[term, "ci_lower"] < truth < c.at[term, "ci_upper"], (term, c.loc[term].to_dict())
    # authority fixed effects matter: pooled regression is biased by the correlated area effects
    import statsmodels.formula.api as smf

    d = synthetic_result.data
    pooled = smf.wls("turnover_rate ~ caseload + agency_rate + vacancy_rate + C(time_period)", d,
                     weights=d["inpost_fte"]).fit()
    assert abs(pooled.params["caseload"] - 0.4) > 4 * c.at["caseload", "se"]


def test_lagged_headline_with_same_year_sensitivity():
    res = fit_national(synthetic_panel())
    assert res.lag == 1 and res.sensitivity is not None and res.sensitivity.lag == 0
    beta, se = within_estimator(res.data)
    np.testing.assert_allclose(res.coefficients["coef"].to_numpy(), beta, rtol=0, atol=1e-8)
    np.testing.assert_allclose(res.coefficients["se"].to_numpy(), se, rtol=1e-6)
    text = national.sentences(res)
    assert "80 English local authorities, 2018 to 2024" in text[0]
    assert "the year before" in text[0] and "not evidence of cause" in text[0]
    assert text[-1].startswith("As a sensitivity check, the same model with caseload, agency "
                               "and vacancy rates measured at the end of the same year gives ")
    assert list(national_table(res)["model"].unique()) == [national.MODEL_NAMES[1]]


def test_sentences_table_and_caveats(synthetic_result):
    text = national.sentences(synthetic_result)
    c = synthetic_result.coefficients.loc["caseload"]
    assert f"{c['coef']:.2f} percentage points higher" in text[0]
    assert f"95% CI {c['ci_lower']:.2f} to {c['ci_upper']:.2f}" in text[0]
    assert "80 English local authorities, 2017 to 2024" in text[0]
    assert "association" in text[0]
    cav = " ".join(national.caveats(synthetic_result))
    assert "ecological" in cav and "1 authority-years with a suppressed" in cav
    t = national_table(synthetic_result)
    assert list(t.columns) == national.TABLE_COLUMNS and list(t["term"]) == REGRESSORS


def test_too_small_panel_is_a_user_error():
    panel = synthetic_panel(n_areas=5)
    with pytest.raises(UserError, match="at least 10 authorities"):
        fit_national(panel)


# ---------------------------------------------------------------------------------------------
# Real published data
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(data_dir):
    from swanalysis.published.panel import load_panel

    return fit_national(load_panel(data_dir))


def _raw_frame(data_dir, lag=1) -> pd.DataFrame:
    """The same authority-years read straight from the newest DfE CSV (independent of
    load_panel), keyed by DfE number, regressors ``lag`` years before the outcome."""
    files = sorted(data_dir.glob("csww_indicators_2017_to_*.csv"))
    raw = pd.read_csv(files[-1], dtype=str)
    la = raw[raw["geographic_level"] == "Local authority"]
    cols = {"turnover_rate_fte": "turnover_rate", "caseload_fte": "caseload",
            "agency_rate_fte": "agency_rate", "vacancy_rate_fte": "vacancy_rate", "inpost_fte": "inpost_fte"}
    out = la[list(cols)].apply(pd.to_numeric, errors="coerce").rename(columns=cols)
    out["old_la_code"] = la["old_la_code"].str.strip()
    out["time_period"] = la["time_period"].astype(int)
    if lag:
        regs = ["caseload", "agency_rate", "vacancy_rate"]
        prev = out[["old_la_code", "time_period", *regs]].copy()
        prev["time_period"] += lag
        out = out.drop(columns=regs).merge(prev, on=["old_la_code", "time_period"])
    return out[out.notna().all(axis=1) & (out["inpost_fte"] > 0)]


def test_real_data_matches_independent_computation_from_raw_csv(real, data_dir):
    raw = _raw_frame(data_dir)
    assert real.n_obs == len(raw)
    # 156 authorities by DfE number; by ONS code five of them (Barnsley, Sheffield, North
    # Yorkshire, Buckinghamshire, Somerset) would each count twice
    assert real.n_authorities == raw["old_la_code"].nunique() == 156
    assert _raw_frame(data_dir, lag=0).pipe(
        lambda f: f.merge(pd.read_csv(sorted(data_dir.glob("csww_indicators_2017_to_*.csv"))[-1],
                                      dtype=str)[["old_la_code", "new_la_code"]].drop_duplicates(),
                          on="old_la_code")["new_la_code"].nunique()) >= 161
    assert real.first_year == 2018 and real.last_year == raw["time_period"].max() >= 2024
    beta, se = within_estimator(raw.sort_values(["old_la_code", "time_period"]).reset_index(drop=True))
    np.testing.assert_allclose(real.coefficients["coef"].to_numpy(), beta, rtol=0, atol=1e-8)
    np.testing.assert_allclose(real.coefficients["se"].to_numpy(), se, rtol=1e-6)
    sens = real.sensitivity
    raw0 = _raw_frame(data_dir, lag=0)
    assert sens.n_obs == len(raw0) and sens.n_authorities == 156
    beta0, _ = within_estimator(raw0.sort_values(["old_la_code", "time_period"]).reset_index(drop=True))
    np.testing.assert_allclose(sens.coefficients["coef"].to_numpy(), beta0, rtol=0, atol=1e-8)


def test_real_data_sanity(real):
    c = real.coefficients
    assert np.isfinite(c[["coef", "se"]].to_numpy()).all() and (c["se"] > 0).all()
    # turnover is in % and caseloads vary by a few cases within an authority: a coefficient of
    # more than 2 points per case, or 1 point per point of agency/vacancy rate, would be absurd
    assert abs(c.at["caseload", "coef"]) < 2
    assert (c.loc[["agency_rate", "vacancy_rate"], "coef"].abs() < 1).all()
    assert 0 <= real.within_r2 < 1
    assert all("." in s for s in national.sentences(real))
