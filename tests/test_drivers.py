"""Drivers of retention: Cox with time-varying covariates, discrete-time check, guard, scenarios.

Truths used: the published R ``coxph`` fit of the Rossi recidivism data (Efron ties), lifelines'
own proportional-hazards test on the same data, statsmodels PHReg as an independent Cox fit, and
synthetic councils with planted hazard ratios.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swanalysis import drivers
from swanalysis.plots import drivers as DP
from swanalysis.drivers import (
    HAZARD_RATIO_COLUMNS,
    fit_cox,
    fit_drivers,
    hazard_ratio_table,
    person_periods,
    proportional_hazards_test,
    retention_scenarios,
)

# ---------------------------------------------------------------------------------------------
# A small, self-contained simulation of a council's census returns (worker_years layout of
# docs/tables.md) with a planted continuous-time hazard:
#     h(t | x) = h0(t) * HR_CASE ** (Cases30_k - 18) * HR_PAY ** (salary_k/1000 - 38)
# on tenure t, with x measured at each 30 September and acting over the following year,
# a Weibull baseline on tenure, a history before the first return (late entry) and starters who
# leave before their first census.  Independent of swanalysis.synth on purpose.
# ---------------------------------------------------------------------------------------------

HR_CASE, HR_PAY = 1.05, 0.93


def simulate_council(
    seed: int,
    n_initial: int = 400,
    years=(2019, 2024),
    hr_case: float = HR_CASE,
    hr_pay: float = HR_PAY,
    starters_per_year: int | None = None,
    case_sd_year: float = 5.0,
    shape: float = 0.8,
    lam: float = 0.17,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    first, last = years
    starters_per_year = int(0.16 * n_initial) if starters_per_year is None else starters_per_year
    epoch = pd.Timestamp(1970, 1, 1)
    ref = {y: (pd.Timestamp(y, 9, 30) - epoch).days for y in range(first - 1, last + 1)}
    roles = ["Case holder", "Senior practitioner", "Team manager"]
    routes = ["newly_qualified", "experienced_other_la", "from_agency", "other"]
    teams = ["Assessment", "Children in need", "Looked after", "Disabled children"]
    NAT = None

    def H0(t):
        return lam * max(t, 0.0) ** shape

    def H0inv(h):
        return (h / lam) ** (1.0 / shape)

    workers = []

    def new_worker(start_day):
        workers.append(
            {
                "worker_id": f"{len(workers):06d}{rng.integers(0, 16**9):010x}",
                "start": start_day,
                "end": NAT,
                "mu": rng.normal(18, 3),
                "pay": rng.normal(0, 2),
                "role": roles[rng.choice(3, p=[0.7, 0.2, 0.1])],
                "entry_route": routes[rng.integers(4)],
                "team": teams[rng.integers(4)],
                "birth_year": first - int(rng.integers(23, 62)),
                "agency": bool(rng.random() < 0.05),
            }
        )
        return len(workers) - 1

    for _ in range(n_initial):
        new_worker(ref[first - 1] - int(rng.exponential(5 * 365.25)) - 1)

    rows = []

    def age_band(w, y):
        age = y - w["birth_year"]
        for hi, band in [(25, "under 25"), (30, "25-29"), (40, "30-39"), (50, "40-49"), (60, "50-59")]:
            if age < hi:
                return band
        return "60+"

    def covariates(w, y):
        cases = max(0.0, round(w["mu"] + rng.normal(0, case_sd_year)))
        tenure = (ref[y] - w["start"]) / 365.25
        salary = 1000 * (30 + 1.0 * min(tenure, 10) + w["pay"] + 0.5 * (y - 2018) + rng.normal(0, 1))
        return cases, round(salary, -1)

    def leave_day(w, from_day, to_day, cases, salary_k):
        """Simulate leaving in (from_day, to_day]; return the end day or None."""
        xb = np.log(hr_case) * (cases - 18) + np.log(hr_pay) * (salary_k / 1000 - 38)
        t0 = max(from_day - w["start"], 0) / 365.25
        t = H0inv(H0(t0) + rng.exponential() / np.exp(xb))
        if t > t0 + 2:
            return NAT
        end = max(w["start"] + int(np.ceil(t * 365.25)), from_day + 1)
        return end if end <= to_day else NAT

    for y in range(first - 1, last):
        # leaving over (ref y, ref y+1] for workers in post at ref y, covariates at census y
        for i, w in enumerate(workers):
            if w["start"] > ref[y] or (w["end"] is not NAT and w["end"] <= ref[y]):
                continue
            cases, salary = covariates(w, y)
            if y >= first:
                rows.append((i, y, True, False, cases, salary))
            w["end"] = leave_day(w, ref[y], ref[y + 1], cases, salary)
            if w["end"] is not NAT:
                rows.append((i, y + 1, False, True, np.nan, salary))
        # starters during year y+1, exposed (with an unrecorded caseload) until ref y+1
        for _ in range(rng.poisson(starters_per_year)):
            i = new_worker(ref[y] + int(rng.integers(1, 366)))
            w = workers[i]
            salary = 1000 * (30 + w["pay"] + 0.5 * (y + 1 - 2018))
            w["end"] = leave_day(w, w["start"], ref[y + 1], max(0.0, round(w["mu"] * 0.6)), salary)
            if w["end"] is not NAT:
                rows.append((i, y + 1, False, True, np.nan, salary))
    # in post at the last census
    for i, w in enumerate(workers):
        if w["start"] <= ref[last] and w["end"] is NAT:
            cases, salary = covariates(w, last)
            rows.append((i, last, True, False, cases, salary))

    out = []
    for i, y, in_post, left, cases, salary in rows:
        w = workers[i]
        upto = w["end"] if left else ref[y]
        out.append(
            {
                "worker_id": w["worker_id"],
                "spell": 1,
                "census_year": y,
                "reference_date": ref[y],
                "in_post": in_post,
                "left_in_year": left,
                "fte": 1.0 if rng.random() < 0.85 else 0.6,
                "cases30": cases,
                "working_days_lost": 0.0,
                "salary": salary,
                "role": w["role"],
                "agency": w["agency"],
                "entry_route": w["entry_route"],
                "age_band": age_band(w, y),
                "team": w["team"],
                "tenure_days": float(upto - w["start"]),
                "start_date": w["start"],
                "end_date": np.nan if w["end"] is NAT else w["end"],
            }
        )
    wy = pd.DataFrame(out)
    for col in ("reference_date", "start_date", "end_date"):
        wy[col] = epoch + pd.to_timedelta(wy[col], unit="D")
    wy["fte30"] = wy["fte"].where(wy["in_post"])
    return wy.sort_values(["census_year", "worker_id"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def sim_council():
    return simulate_council(seed=11, n_initial=500)


@pytest.fixture(scope="module")
def sim_result(sim_council):
    return fit_drivers(sim_council)


# ---------------------------------------------------------------------------------------------
# Rossi: the project's own Cox function reproduces R coxph (Efron)
# ---------------------------------------------------------------------------------------------

R_COXPH_ROSSI = {
    "fin": -0.3794,
    "age": -0.0574,
    "race": 0.3139,
    "wexp": -0.1498,
    "mar": -0.4337,
    "paro": -0.0849,
    "prio": 0.0915,
}


@pytest.fixture(scope="module")
def rossi():
    from lifelines.datasets import load_rossi

    df = load_rossi()
    df["start"] = 0.0
    return df


def test_rossi_reproduces_r_coxph_through_fit_cox(rossi):
    covs = list(R_COXPH_ROSSI)
    fit = fit_cox(rossi, covs, start_col="start", stop_col="week", event_col="arrest", id_col=None)
    for term, coef in R_COXPH_ROSSI.items():
        assert fit.summary.at[term, "coef"] == pytest.approx(coef, abs=0.0005), term
    # R: se(fin) = 0.1914, se(prio) = 0.02865; exp(coef) fin 0.684
    assert fit.summary.at["fin", "se"] == pytest.approx(0.1914, abs=0.0005)
    assert fit.summary.at["prio", "se"] == pytest.approx(0.02865, abs=0.0005)
    assert fit.n_events == 114 and fit.n_subjects == 432


def test_rossi_split_into_counting_process_intervals_gives_same_fit(rossi):
    """Splitting each subject's follow-up at week 20 (same covariates) must not change the fit:
    checks start/stop risk sets, i.e. delayed entry is handled."""
    covs = list(R_COXPH_ROSSI)
    r = rossi.reset_index().rename(columns={"index": "id"})
    early = r[r["week"] > 20].assign(stop=20.0, arrest=0)
    late = r[r["week"] > 20].assign(start=20.0, stop=r["week"])
    short = r[r["week"] <= 20].assign(stop=r["week"])
    split = pd.concat([early, late, short], ignore_index=True)
    fit = fit_cox(split, covs, start_col="start", stop_col="stop", event_col="arrest", id_col="id")
    for term, coef in R_COXPH_ROSSI.items():
        assert fit.summary.at[term, "coef"] == pytest.approx(coef, abs=0.0005), term


def test_ph_test_agrees_with_lifelines_on_rossi(rossi):
    """Our Schoenfeld test (statsmodels residuals with entry) vs lifelines' proportional_hazard_test."""
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    covs = list(R_COXPH_ROSSI)
    ours = proportional_hazards_test(rossi, covs, stop_col="week", event_col="arrest")
    cph = CoxPHFitter().fit(rossi[covs + ["week", "arrest"]], "week", "arrest")
    theirs = proportional_hazard_test(cph, rossi[covs + ["week", "arrest"]], time_transform="rank")
    theirs = theirs.summary
    for term in covs:
        a, b = ours.at[term, "test_statistic"], theirs.loc[term, "test_statistic"]
        assert a == pytest.approx(b, rel=0.15, abs=0.02), term
    # the known Rossi finding: age and wexp violate proportional hazards, fin does not
    assert ours.at["age", "p_value"] < 0.01 and ours.at["wexp", "p_value"] < 0.01
    assert ours.at["fin", "p_value"] > 0.5
    # PHReg (independent Cox implementation) gives the same coefficients
    for term, coef in R_COXPH_ROSSI.items():
        assert ours.at[term, "coef"] == pytest.approx(coef, abs=0.0005)


# ---------------------------------------------------------------------------------------------
# Person-period construction
# ---------------------------------------------------------------------------------------------


def _tiny_worker_years():
    """Hand-made: A in post 2019-2021 then leaves 2022-03-01; B starts 2020-12-01, leaves
    2021-05-01 (before any census); C in post 2019 & 2020, then 2021 census missing C (no end)."""
    ref = {y: pd.Timestamp(y, 9, 30) for y in (2019, 2020, 2021, 2022)}
    a_start, b_start, c_start = pd.Timestamp(2015, 10, 1), pd.Timestamp(2020, 12, 1), pd.Timestamp(2019, 1, 1)
    a_end, b_end = pd.Timestamp(2022, 3, 1), pd.Timestamp(2021, 5, 1)
    rows = []
    for y, cases in [(2019, 10), (2020, 20), (2021, 30)]:
        rows.append(("A", y, True, cases, a_start, a_end))
    rows.append(("A", 2022, False, np.nan, a_start, a_end))
    rows.append(("B", 2021, False, np.nan, b_start, b_end))
    rows.append(("C", 2019, True, 5, c_start, pd.NaT))
    rows.append(("C", 2020, True, 6, c_start, pd.NaT))
    rows.append(("D", 2022, True, 7, c_start, pd.NaT))  # makes 2022 a census with someone in post
    df = pd.DataFrame(rows, columns=["worker_id", "census_year", "in_post", "cases30", "start_date", "end_date"])
    df["spell"] = 1
    df["reference_date"] = df["census_year"].map(ref)
    df["salary"] = 40000.0
    return df


def test_person_periods_alignment_and_delayed_entry():
    pp = person_periods(_tiny_worker_years())
    a = pp[pp["worker_id"] == "A"].set_index("census_year")
    assert list(a.index) == [2019, 2020, 2021]
    # covariates from census k, never from a later census
    assert list(a["caseload"]) == [10, 20, 30]
    assert list(a["event"]) == [0, 0, 1]
    # tenure scale: starts at tenure on census k (delayed entry), stops at next census / leaving
    start = pd.Timestamp(2015, 10, 1)
    assert a.at[2019, "start"] == pytest.approx((pd.Timestamp(2019, 9, 30) - start).days / 365.25)
    assert a.at[2020, "stop"] == pytest.approx((pd.Timestamp(2021, 9, 30) - start).days / 365.25)
    assert a.at[2021, "stop"] == pytest.approx((pd.Timestamp(2022, 3, 1) - start).days / 365.25)
    assert a.at[2019, "salary"] == 40.0
    # B left before its first census: no interval, but counted
    assert "B" not in set(pp["worker_id"])
    ex = pp.attrs["exclusions"]
    assert ex["spells that started and ended before their first 30 September (no census covariates)"] == 1
    # C: 2019 -> 2020 observed (stays), 2020 -> 2021 absent with no leaving date: lost, counted
    c = pp[pp["worker_id"] == "C"]
    assert list(c["census_year"]) == [2019] and list(c["event"]) == [0]
    assert ex["in post at census k, absent from census k+1 with no leaving date (lost to follow-up)"] == 1
    # the last census (2022) gives no interval
    assert 2022 not in set(pp["census_year"])


def test_person_periods_on_simulation_counts(sim_council):
    wy = sim_council
    pp = person_periods(wy)
    perm = wy[~wy["agency"]]
    # every in-post permanent worker-year before the last census becomes one interval
    expected = perm[perm["in_post"] & (perm["census_year"] < perm["census_year"].max())]
    assert len(pp) == len(expected)
    # events = permanent leavers in census years after the first whose spell had a census before
    leavers = perm[perm["left_in_year"]]
    had_census = perm[perm["in_post"]].groupby("worker_id")["census_year"].min()
    prior = leavers["worker_id"].map(had_census) < leavers["census_year"]
    assert pp["event"].sum() == prior.sum()
    assert (pp["stop"] > pp["start"]).all() and pp["caseload"].notna().all()
    ex = pp.attrs["exclusions"]
    assert ex["agency worker-years (excluded from permanent-staff analysis)"] == wy["agency"].sum()
    pre = sum(v for k, v in ex.items() if "ended before" in k)
    assert pre == (~prior).sum()


# ---------------------------------------------------------------------------------------------
# Models on the simulation
# ---------------------------------------------------------------------------------------------


def test_cox_matches_statsmodels_phreg_on_person_periods(sim_result):
    res = sim_result
    assert res.status == "ok"
    # PHReg counts an interval entering exactly at an event time as at risk (entry <= t), R and
    # lifelines do not (start < t); the few such ties move coefficients by a tiny fraction of a SE
    s = res.cox.summary
    diff = (s["coef"] - res.ph_test["coef"]).abs()
    assert (diff < 0.02 * s["se"]).all(), diff
    assert diff["caseload"] < 1e-3 and diff["salary"] < 1e-3


def test_discrete_time_model_against_hand_computation(sim_result):
    """Logit coefficients by direct maximisation of the Bernoulli likelihood (scipy) and the
    worker-clustered covariance by a hand-built CR1 sandwich."""
    from scipy.optimize import minimize

    data = sim_result.data
    fit = drivers.fit_discrete_time(data, ["caseload", "salary"])
    X = fit.design_matrix(data[["caseload", "salary"]], data["start"]).to_numpy()
    y = data["event"].to_numpy(float)

    def nll(b):
        eta = X @ b
        return np.sum(np.logaddexp(0, eta) - y * eta)

    def grad(b):
        return X.T @ (1 / (1 + np.exp(-(X @ b))) - y)

    opt = minimize(nll, np.zeros(X.shape[1]), jac=grad, method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.params.to_numpy(), opt.x, atol=2e-5)
    p = 1 / (1 + np.exp(-(X @ opt.x)))
    H = X.T @ (X * (p * (1 - p))[:, None])
    g = pd.factorize(data["worker_id"])[0]
    S = np.zeros((g.max() + 1, X.shape[1]))
    np.add.at(S, g, X * (y - p)[:, None])
    G, N, K = g.max() + 1, len(y), X.shape[1]
    Hinv = np.linalg.inv(H)
    V = G / (G - 1) * (N - 1) / (N - K) * Hinv @ (S.T @ S) @ Hinv
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov.to_numpy())), np.sqrt(np.diag(V)), rtol=1e-3)
    # one intercept per tenure band, every band with at least 5 leavers
    bands = fit.design_matrix(data[["caseload", "salary"]], data["start"]).filter(like="tenure")
    assert (bands.to_numpy().sum(axis=1) == 1).all()
    assert (bands.mul(data["event"].to_numpy(), axis=0).sum() >= drivers.MIN_BAND_EVENTS).all()


def test_planted_effects_inside_intervals_single_seed_both_models(sim_result):
    res = sim_result
    table = hazard_ratio_table(res)
    assert list(table.columns) == HAZARD_RATIO_COLUMNS
    assert set(table["model"]) == {"cox_time_varying", "discrete_time_logit"}
    key = table[table["term"].isin(["caseload", "salary"])].set_index(["model", "term"])
    assert key.loc[("cox_time_varying", "caseload"), "unit"] == "per case"
    assert key.loc[("cox_time_varying", "salary"), "unit"] == "per £1,000"
    for model in ("cox_time_varying", "discrete_time_logit"):
        for term, truth in (("caseload", HR_CASE), ("salary", HR_PAY)):
            row = key.loc[(model, term)]
            assert row["ci_lower"] < truth < row["ci_upper"], (model, term, row.to_dict())
    n = key.loc[("cox_time_varying", "caseload")]
    assert n["n_events"] == res.data["event"].sum() and n["n_workers"] == res.data["worker_id"].nunique()


# ---------------------------------------------------------------------------------------------
# The project's synthetic councils (swanalysis.synth): planted hr_per_case / hr_per_1000_salary,
# a per-year baseline multiplier, an entry-route effect and 15 years of history before the first
# return.
# ---------------------------------------------------------------------------------------------


def _synth(la, seed, scale, data_dir, **kw):
    from swanalysis.synth import generate

    return generate(la, "2019-2024", seed=seed, data_dir=data_dir, scale=scale, **kw)


def _inside(summary, term, truth):
    return summary.at[term, "ci_lower"] < truth < summary.at[term, "ci_upper"]


@pytest.mark.slow
def test_coverage_of_planted_hazard_ratios_over_generator_seeds(data_dir):
    """20 synthetic councils (Windsor and Maidenhead's figures, doubled: ~85 leavers each):
    the 95% intervals of both models should hold the planted HRs ~95% of the time. For 20 draws
    at 95%, P(hits <= 15) = 0.3%, so >= 16/20 is an honest bound. The mean estimate must also be
    close to the truth (no systematic bias from the person-period construction)."""
    n = 20
    hits = {k: 0 for k in ("cox caseload", "cox salary", "logit caseload", "logit salary")}
    coefs = []
    truth = None
    for seed in range(n):
        council = _synth("Windsor and Maidenhead", seed, 2.0, data_dir, history_years=8,
                         retention_draws=1000)
        truth = council.truth
        res = fit_drivers(council.true_worker_years)
        assert res.ok, res.message
        cox, logit = res.cox.summary, res.discrete.summary
        hits["cox caseload"] += _inside(cox, "caseload", truth["hr_per_case"])
        hits["cox salary"] += _inside(cox, "salary", truth["hr_per_1000_salary"])
        hits["logit caseload"] += _inside(logit, "caseload", truth["hr_per_case"])
        hits["logit salary"] += _inside(logit, "salary", truth["hr_per_1000_salary"])
        coefs.append(cox.loc[["caseload", "salary"], ["coef", "se"]].to_numpy().ravel())
    assert min(hits.values()) >= 16, hits
    coefs = np.array(coefs)  # caseload coef, se, salary coef, se
    for j, true_hr in ((0, truth["hr_per_case"]), (2, truth["hr_per_1000_salary"])):
        mean, se_mean = coefs[:, j].mean(), coefs[:, j + 1].mean() / np.sqrt(n)
        assert abs(mean - np.log(true_hr)) < 3 * se_mean, (j, mean, np.log(true_hr), se_mean)


def test_ingested_synthetic_council_end_to_end(synthetic_council):
    """What `swanalysis report` does: ingest the written returns + payroll (pseudonymised), fit.
    Same estimates as from the generator's own worker_years, and the planted caseload and salary
    HRs lie inside both models' 95% intervals."""
    from swanalysis.workerdata.ingest import ingest

    sc = synthetic_council
    ing = ingest(sc.returns, hr=sc.payroll_path, hr_map=sc.hr_map_path, key=b"drivers-test-key" * 2)
    res = fit_drivers(ing.worker_years)
    direct = fit_drivers(sc.true_worker_years)
    assert res.ok, res.message
    pd.testing.assert_frame_equal(res.cox.summary, direct.cox.summary, rtol=1e-9, atol=1e-12)
    assert res.exclusions == direct.exclusions
    table = hazard_ratio_table(res).set_index(["model", "term"])
    truth = sc.truth
    for model in ("cox_time_varying", "discrete_time_logit"):
        for term, key in (("caseload", "hr_per_case"), ("salary", "hr_per_1000_salary")):
            row = table.loc[(model, term)]
            assert row["ci_lower"] < truth[key] < row["ci_upper"], (model, term, row.to_dict())
    # nothing identifying in what the section shows
    text = " ".join(res.sentences() + res.caveats()) + hazard_ratio_table(res).to_csv()
    assert not any(sw in text for sw in sc.true_worker_years["worker_id"].unique()[:50])


def test_wrong_census_alignment_biases_the_estimate():
    """Caseload from census k (correct) recovers the planted HR; caseload from census k-1 (stale)
    is attenuated towards 1, and from census k+1 (after the outcome) is biased too."""
    wy = simulate_council(seed=5, n_initial=1500, hr_case=1.08, case_sd_year=6.0)
    est = {}
    for off in (0, -1, 1):
        res = fit_drivers(wy, covariates=["caseload", "salary"], caseload_census_offset=off)
        est[off] = res.cox.summary.loc["caseload"]
    right, stale, after = est[0], est[-1], est[1]
    assert right["ci_lower"] < 1.08 < right["ci_upper"]
    for wrong in (stale, after):
        assert not (wrong["ci_lower"] < 1.08 < wrong["ci_upper"]), wrong.to_dict()
    assert stale["hazard_ratio"] < right["hazard_ratio"]


def test_guard_reduces_then_refuses_on_small_councils():
    small = simulate_council(seed=3, n_initial=60)
    res = fit_drivers(small)
    assert res.status == "reduced"
    assert list(res.cox.summary.index)[:2] == ["caseload", "salary"]
    assert not any(t.startswith(("role", "team", "age_band", "entry_route", "fte"))
                   for t in res.cox.summary.index)
    assert any("caseload and salary" in s for s in res.sentences())
    assert list(hazard_ratio_table(res)["term"].unique()) == ["caseload", "salary"]
    tiny = simulate_council(seed=3, n_initial=12, starters_per_year=1)
    res = fit_drivers(tiny)
    assert res.status == "too_few_events"
    assert res.cox is None and "leavers" in res.message
    assert hazard_ratio_table(res).empty and list(hazard_ratio_table(res).columns) == HAZARD_RATIO_COLUMNS
    assert retention_scenarios(res).empty
    assert res.sentences() == [res.message]


def test_no_model_when_there_is_nothing_to_relate():
    wy = simulate_council(seed=4, n_initial=80)
    one_year = fit_drivers(wy[wy["census_year"] == 2024])
    assert one_year.status == "too_few_events" and "no census year followed by another" in one_year.message
    assert fit_drivers(wy.iloc[0:0]).status == "too_few_events"
    no_cases = fit_drivers(wy.assign(cases30=np.nan))
    assert no_cases.status == "no_caseload" and not no_cases.ok
    assert no_cases.sentences() == [no_cases.message]


def test_no_payroll_means_caseload_only_and_a_note(sim_council):
    wy = sim_council.assign(salary=np.nan)
    res = fit_drivers(wy, covariates=["caseload", "salary", "role"])
    assert res.ok and "salary" not in res.cox.summary.index
    assert any("salary is not recorded" in c.lower() for c in res.caveats())
    assert retention_scenarios(res)["scenario"].tolist() == ["current", "caseload_minus_2"]


def test_scenarios_direction_and_delta_method_against_bootstrap():
    res = fit_drivers(simulate_council(seed=21, n_initial=300), covariates=["caseload", "salary"])
    sc = retention_scenarios(res).set_index("scenario")
    base = sc.loc["current"]
    # observed 12-month retention of in-post workers over the data is close to the model's
    pp = res.data
    assert base["retention"] == pytest.approx(100 * (1 - pp["event"].mean()), abs=5)
    assert sc.loc["caseload_minus_2", "change_pp"] > 0
    assert sc.loc["salary_plus_2000", "change_pp"] > 0
    assert sc.loc["caseload_minus_2", "change_ci_lower"] > 0  # planted effect is real and large
    # independent check of the delta-method interval: cluster bootstrap over workers
    rng = np.random.default_rng(0)
    ids = pp["worker_id"].unique()
    groups = {w: g for w, g in pp.groupby("worker_id")}
    diffs = []
    for _ in range(25):
        sample = pd.concat([groups[w] for w in rng.choice(ids, len(ids))], ignore_index=True)
        fit = drivers.fit_discrete_time(sample.assign(worker_id=np.arange(len(sample))),
                                        ["caseload", "salary"])
        cur = res.current.dropna(subset=["caseload", "salary"])
        p0 = 1 / (1 + np.exp(-fit.linear_predictor(cur[["caseload", "salary"]], cur["start"])))
        c1 = cur.assign(caseload=(cur["caseload"] - 2).clip(lower=0))
        p1 = 1 / (1 + np.exp(-fit.linear_predictor(c1[["caseload", "salary"]], c1["start"])))
        diffs.append(100 * (p0.mean() - p1.mean()))
    boot_sd = np.std(diffs, ddof=1)
    row = sc.loc["caseload_minus_2"]
    delta_sd = (row["change_ci_upper"] - row["change_ci_lower"]) / (2 * 1.959964)
    assert delta_sd == pytest.approx(boot_sd, rel=0.35)
    assert row["change_pp"] == pytest.approx(np.mean(diffs), abs=2 * boot_sd)


def test_sentences_and_caveats_carry_the_interval(sim_result):
    res = sim_result
    text = res.sentences()
    row = res.cox.summary.loc["caseload"]
    pct = round((row["hazard_ratio"] - 1) * 100)
    lo, hi = round((row["ci_lower"] - 1) * 100), round((row["ci_upper"] - 1) * 100)
    assert text[0] == (
        f"Each additional case held on 30 September is associated with a {pct}% (95% CI {lo}% to "
        f"{hi}%) higher chance of leaving in the following year."
    )
    sal = res.cox.summary.loc["salary"]
    assert text[1].startswith("Each additional £1,000 of annual salary")
    assert f"{round((1 - sal['hazard_ratio']) * 100)}% (95% CI" in text[1] and "lower chance" in text[1]
    assert any("proportional-hazards" in s for s in text)
    cav = " ".join(res.caveats())
    assert "not proof" in cav and "do not measure" in cav


def test_effect_phrase_wording():
    assert drivers._effect_phrase(1.06, 1.03, 1.09) == ("6%", "95% CI 3% to 9%", "higher", True)
    assert drivers._effect_phrase(0.96, 0.94, 0.98) == ("4%", "95% CI 2% to 6%", "lower", True)
    assert drivers._effect_phrase(1.03, 0.98, 1.09) == ("3%", "95% CI −2% to 9%", "higher", False)
    row = pd.Series({"hazard_ratio": 1.03, "ci_lower": 0.98, "ci_upper": 1.09})
    s = drivers._term_sentence("caseload", row, "cox_time_varying")
    assert s == ("Each additional case held on 30 September is associated with a 3% (95% CI −2% to "
                 "9%) higher chance of leaving in the following year; the interval includes no "
                 "difference, so the data cannot rule out no link.")


def test_forest_plot_and_alt_text(sim_result):
    import matplotlib

    matplotlib.use("Agg")
    from swanalysis.plots.drivers import forest_plot

    table = hazard_ratio_table(sim_result)
    ax = forest_plot(table)
    assert ax.get_xscale() == "log"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("Caseload") and any(lbl.startswith("Salary") for lbl in labels)
    assert len(ax.get_legend().get_texts()) == 2
    alt = DP.forest_alt_text(table)
    cox_case = table[(table.model == "cox_time_varying") & (table.term == "caseload")].iloc[0]
    assert f"{cox_case.hazard_ratio:.2f}" in alt and "log scale" in alt
