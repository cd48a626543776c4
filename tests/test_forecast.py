"""swanalysis.forecast: stock-flow arithmetic, worker-data start, scenarios, the round trip of
"what would it take", and the calibration of the intervals on synthetic councils."""

import numpy as np
import pandas as pd
import pytest

from swanalysis import forecast as F
from swanalysis import workforce as W
from swanalysis.errors import UserError
from swanalysis.published.panel import load_panel, shared_panel

#: Spreads of zero: the projection is then the deterministic stock-flow arithmetic.
ZERO = {k: 1e-12 for k in F.DEFAULT_PRIORS}


@pytest.fixture(scope="module")
def panel(data_dir):
    return shared_panel(data_dir)


def steady_history(years=range(2018, 2024), inpost=100.0, leavers=15.0, starters=15.0,
                   vacancies=10.0, agency=10.0):
    return pd.DataFrame({"inpost_fte": inpost, "inpost_headcount": inpost * 1.05,
                         "starters_fte": starters, "leavers_fte": leavers, "agency_fte": agency,
                         "vacancy_fte": vacancies}, index=pd.Index(list(years), name="year"))


def test_stock_flow_arithmetic_by_hand():
    """Leaving rate 15/100, fill rate 15/(15+10) = 0.6; +10 posts in 2024:
    openings = 10 vacancies + 15 leavers + 10 posts = 35, starters 0.6 x 35 = 21, in post 106,
    vacancies 120 - 106 = 14, agency 10 + kappa x 4."""
    pri = dict(ZERO, kappa=0.5, mean_fill=0.0)
    m = F.fit("Test", history=steady_history(), priors=pri, simulations=50)
    assert m.estimates["leave_mean"] == pytest.approx(0.15)
    assert m.estimates["fill_mean"] == pytest.approx(np.log(0.6 / 0.4))
    res = F.project(m, [F.Scenario("posts", establishment_change=10)], horizon=2)
    t = res.table().set_index(["scenario", "year", "measure"])["value"]
    assert t[("baseline", 2024, "inpost_fte")] == pytest.approx(100, abs=1e-6)
    assert t[("baseline", 2025, "vacancy_rate")] == pytest.approx(100 * 10 / 110, abs=1e-6)
    assert t[("baseline", 2024, "agency_premium_cost")] == pytest.approx(10 * 20_000, rel=1e-6)
    assert t[("posts", 2024, "starters_fte")] == pytest.approx(21, abs=1e-6)
    assert t[("posts", 2024, "leavers_fte")] == pytest.approx(15, abs=1e-6)
    assert t[("posts", 2024, "inpost_fte")] == pytest.approx(106, abs=1e-6)
    assert t[("posts", 2024, "vacancy_fte")] == pytest.approx(14, abs=1e-6)
    assert t[("posts", 2024, "agency_fte")] == pytest.approx(12, abs=1e-6)
    assert t[("posts", 2024, "agency_rate")] == pytest.approx(100 * 12 / 118, abs=1e-6)
    assert t[("baseline", 2024, "inpost_headcount")] == pytest.approx(105, abs=1e-6)
    # conversions: 4 agency FTE become permanent (vacancies fall by 4 without another agency
    # cut); the converted leave like everybody else (g of them): in post 104 - g, vacancies
    # 6 + g, agency 10 - 4 + 0.5 g in every draw
    res = F.project(m, [F.Scenario("conv", agency_conversions=4)], horizon=1)
    d = res.draws["conv"]
    gone = 104 - d["inpost_fte"][:, 0]
    assert 0 < gone.mean() < 1.5 and np.allclose(gone, np.round(gone))
    np.testing.assert_allclose(d["agency_fte"][:, 0], 6 + 0.5 * gone, atol=1e-6)
    np.testing.assert_allclose(d["vacancy_fte"][:, 0], 6 + gone, atol=1e-6)
    # retention: 5 points fewer leaving -> 10 leavers, openings 20, starters 12, in post 102
    res = F.project(m, [F.Scenario("ret", retention_change=5)], horizon=1)
    t = res.table().set_index(["scenario", "year", "measure"])["value"]
    assert t[("ret", 2024, "leavers_fte")] == pytest.approx(10, abs=1e-6)
    assert t[("ret", 2024, "inpost_fte")] == pytest.approx(102, abs=1e-6)


def test_published_forecast_table_contract_and_determinism(panel):
    m = F.fit("Wokingham", panel=panel, origin=2022, simulations=300, seed=3)
    res = F.project(m, [F.Scenario("conv", agency_conversions=5)], horizon=2)
    t = res.table()
    assert list(t.columns) == ["scenario", "year", "measure", "value", "lower", "upper"]
    assert set(t["year"]) == {2023, 2024}  # starts from the origin given, not the newest data
    assert t["scenario"].iloc[0] == "baseline"
    needed = {"inpost_fte", "inpost_headcount", "leavers_fte", "starters_fte", "agency_rate",
              "vacancy_rate", "agency_premium_cost"}
    assert needed <= set(t["measure"])
    assert (t["lower"] <= t["value"] + 1e-9).all() and (t["value"] <= t["upper"] + 1e-9).all()
    # the start is Wokingham's published 2022 stock
    assert m.start["inpost_fte"] == pytest.approx(86.3)
    again = F.project(F.fit("Wokingham", panel=panel, origin=2022, simulations=300, seed=3),
                      [F.Scenario("conv", agency_conversions=5)], horizon=2).table()
    pd.testing.assert_frame_equal(t, again)
    # converting agency workers lowers the agency share below the baseline
    v = t.set_index(["scenario", "year", "measure"])["value"]
    assert v[("conv", 2023, "agency_rate")] < v[("baseline", 2023, "agency_rate")] - 1
    assert "Wokingham" in repr(res) and "\n" not in repr(res)
    assert "<table" in res._repr_html_()
    words = " ".join(res.sentences())
    assert "30 September 2024" in words and "80%" in words


def test_priors_default_matches_published_data(panel):
    pri = F.national_priors(panel)
    for k, v in F.DEFAULT_PRIORS.items():
        assert pri[k] == pytest.approx(v, rel=0.05), k


def test_tenure_hazards_equal_lifelines_piecewise_exponential(synthetic_council):
    from lifelines import PiecewiseExponentialFitter

    ep = synthetic_council.true_episodes
    ep = ep[~ep["agency"]]
    haz = F.tenure_hazards(ep)
    t0 = ep["entry_days"].fillna(0) / 365.25
    t1 = np.maximum(ep["duration_days"] / 365.25, 0.5 / 365.25)
    pef = PiecewiseExponentialFitter(breakpoints=[1, 2, 5, 10]).fit(t1, ep["event"], entry=t0)
    lam = 1 / pef.params_.to_numpy()  # lifelines parameterises by 1/hazard
    np.testing.assert_allclose(haz["hazard"].to_numpy(), lam, rtol=1e-3)
    assert haz["events"].sum() == int(ep.loc[ep["duration_days"] >= ep["entry_days"].fillna(0), "event"].sum())


def test_worker_forecast_starts_from_returns_own_stock(synthetic_council, panel):
    c = synthetic_council
    m = F.fit("Stockport", panel=panel, episodes=c.true_episodes, worker_years=c.true_worker_years,
              origin=2022, simulations=200)
    own = W.council_rates(c.true_worker_years).set_index("census_year")
    assert m.mode == "worker"
    assert m.start["inpost_fte"] == pytest.approx(own.at[2022, "inpost_fte"])
    assert m.start["inpost_headcount"] == own.at[2022, "inpost_headcount"]
    res = F.project(m, horizon=2)
    assert res.years == [2023, 2024]
    # held back: nothing from 2023 on is used
    ep, wy = F.hold_back(c.true_episodes, c.true_worker_years, 2022)
    assert wy["census_year"].max() == 2022
    assert (pd.to_datetime(ep["end_date"]).dropna() <= pd.Timestamp("2022-09-30")).all()
    assert ep["event"].sum() < c.true_episodes["event"].sum()


def test_caseload_and_pay_scenarios_act_through_drivers(synthetic_council, panel):
    from swanalysis import drivers as D

    c = synthetic_council
    dr = D.fit_drivers(c.true_worker_years, covariates=["caseload", "salary", "census_year"])
    assert dr.ok
    m = F.fit("Stockport", panel=panel, episodes=c.true_episodes, worker_years=c.true_worker_years,
              drivers=dr, simulations=200)
    res = F.project(m, [F.Scenario("case", caseload_change=-2), F.Scenario("pay", pay_change=2000)],
                    horizon=1)
    lv = res.table().query("measure == 'leavers_fte'").set_index("scenario")["value"]
    hr_case = dr.cox.summary.at["caseload", "hazard_ratio"]
    assert hr_case > 1 and lv["case"] < lv["baseline"]
    # pay without worker data cannot be estimated: noted, not shown
    pub = F.project(F.fit("Stockport", panel=panel, simulations=100), [F.Scenario("pay", pay_change=2000)])
    assert [s.name for s in pub.scenarios] == ["baseline"]
    assert any("pay" in n for n in pub.notes)


@pytest.mark.parametrize("lever", ["starters", "retention"])
def test_what_it_takes_round_trips(panel, lever):
    m = F.fit("Wokingham", panel=panel, origin=2023, simulations=300)
    base = F.project(m, horizon=3).value("agency_rate", 2026)
    target = base - 4
    w = F.what_it_takes(m, "agency_rate", target, 2026, lever=lever)
    assert w.answer > 0
    check = F.project(m, [w.scenario], horizon=3).value("agency_rate", 2026, "what_it_takes")
    assert check == pytest.approx(target, abs=0.05)
    assert w.achieved == pytest.approx(target, abs=0.05)
    # less than the answer does not reach the target
    half = F.Scenario("half", extra_starters=w.answer / 2) if lever == "starters" else \
        F.Scenario("half", retention_change=w.answer / 2)
    assert F.project(m, [half], horizon=3).value("agency_rate", 2026, "half") > target + 0.2


def test_what_it_takes_unreachable_and_already_there(panel):
    m = F.fit("Wokingham", panel=panel, origin=2023, simulations=200)
    w = F.what_it_takes(m, "vacancy_rate", 100.0, 2025)
    assert w.answer == 0 and "already" in w.message
    w = F.what_it_takes(m, "agency_rate", -1.0, 2025, lever="retention")
    assert np.isnan(w.answer) and "No number" in w.message


def test_scenario_from_params_validation():
    s = F.scenario_from_dict({"name": "campaign", "recruitment_campaign":
                              {"starters": 10, "quarter": 2, "retention": 70}})
    assert s.campaign_starters == 10 and s.campaign_quarter == 2 and s.campaign_retention == 70
    assert "10 extra starters" in F.describe_scenario(s)
    with pytest.raises(UserError, match="unknown key 'pay'"):
        F.scenario_from_dict({"name": "x", "pay": 3})
    with pytest.raises(UserError, match="quarter"):
        F.scenario_from_dict({"name": "x", "recruitment_campaign": {"starters": 3, "quarter": 5}})
    with pytest.raises(UserError, match="needs a 'name'"):
        F.scenario_from_dict({"caseload_change": -2})


def test_campaign_cohort_with_its_own_retention(panel):
    m = F.fit("Test", history=steady_history(), priors=dict(ZERO, mean_fill=0.0), simulations=50)
    res = F.project(m, [F.Scenario("c", campaign_starters=10, campaign_quarter=1, campaign_retention=50)],
                    horizon=1)
    t = res.table().set_index(["scenario", "measure"])["value"]
    # 10 start in October-December (served 0.875 of the year), 50% kept after 12 months:
    # about 10 x (1 - 0.5 ** 0.875) = 4.5 leave by 30 September (binomial, whole people)
    assert t[("c", "starters_fte")] - t[("baseline", "starters_fte")] == pytest.approx(10)
    extra_leavers = t[("c", "leavers_fte")] - t[("baseline", "leavers_fte")]
    assert 3.5 < extra_leavers < 5.5


@pytest.mark.slow
def test_calibration_of_80pc_intervals_on_synthetic_councils(panel, data_dir):
    """20 synthetic councils (one per seed, each calibrated to a different small authority and
    starting in 2017-2020): fit on the first four returns, forecast the last two."""
    from swanalysis import synth

    las = ["Wokingham", "Bracknell Forest", "Slough", "Reading", "West Berkshire",
           "Windsor and Maidenhead", "Halton", "Darlington", "Hartlepool", "Torbay", "Rutland", "Bury",
           "Blackpool", "Southend-on-Sea", "Trafford", "York", "Swindon", "Peterborough",
           "Bath and North East Somerset", "Solihull"]
    measures = ["inpost_fte", "inpost_headcount", "leavers_fte", "starters_fte", "agency_rate",
                "vacancy_rate"]
    covered = []
    for seed, la in enumerate(las):
        first = 2017 + seed % 4
        c = synth.generate(la, f"{first}-{first + 5}", seed=seed, data_dir=data_dir, retention_draws=1000)
        m = F.fit(la, panel=panel, episodes=c.true_episodes, worker_years=c.true_worker_years,
                  origin=first + 3, simulations=400, seed=seed)
        tab = F.project(m, horizon=2).table().set_index(["year", "measure"])
        real = W.council_rates(c.true_worker_years).set_index("census_year")
        real["vacancy_fte"] = F.published_history(panel, la)["vacancy_fte"]
        real["vacancy_rate"] = 100 * real["vacancy_fte"] / (real["vacancy_fte"] + real["inpost_fte"])
        for year in (first + 4, first + 5):
            for meas in measures:
                if (year, meas) in tab.index and np.isfinite(real.at[year, meas]):
                    f = tab.loc[(year, meas)]
                    covered.append(f["lower"] <= real.at[year, meas] <= f["upper"])
    coverage = float(np.mean(covered))
    print(f"80% interval coverage over {len(covered)} values: {coverage:.1%}")
    assert len(covered) >= 200
    assert 0.65 <= coverage <= 0.92


def test_cum_hazard_band_by_band_is_bit_identical_to_the_summed_form():
    """_cum_hazard adds the bands one at a time when there are fewer than 8 (no
    simulations x workers x bands temporaries): the same bits as the summed form, so no number or
    byte of a report moves; with 8 or more it is the summed form itself."""
    from swanalysis.forecast import _cum_hazard

    def summed(rates, edges, a, b):
        span = np.clip(np.minimum(b[..., None], edges[1:]) - np.maximum(a[..., None], edges[:-1]), 0, None)
        return (span * rates).sum(axis=-1)

    rng = np.random.default_rng(7)
    for k in (1, 3, 5, 7, 9):
        edges = np.r_[0.0, np.sort(rng.uniform(0.5, 20, k - 1)), np.inf]
        a = rng.uniform(0, 15, (200, 300))
        b = a + rng.uniform(0, 3, (200, 300))
        for rates in (rng.gamma(1.0, 0.1, (200, 1, k)), rng.gamma(1.0, 0.1, k)):
            got, want = _cum_hazard(rates, edges, a, b), summed(rates, edges, a, b)
            assert got.shape == want.shape
            assert np.array_equal(got.view(np.int64), want.view(np.int64)), k
    assert float(_cum_hazard(np.array([0.1, 0.2]), np.array([0.0, 1.0, np.inf]),
                             np.array([0.5]), np.array([3.0]))[0]) == pytest.approx(0.05 + 0.4)


def test_worker_draws_are_the_same_whatever_was_projected_before(synthetic_council, panel):
    """Who would leave is kept on the model (per horizon and year, column by column) and shared
    by the scenarios that leave the leaving probabilities alone and by the what-it-takes solver,
    extended when a scenario uses more starter slots: every scenario's draws must have the same
    bits on a fresh model as on one that has already solved what it takes (all slots in use)
    and projected the others; a scenario that changes nothing gets the baseline's draws, as a
    copy."""
    c = synthetic_council
    kw = dict(panel=panel, episodes=c.true_episodes, worker_years=c.true_worker_years,
              simulations=120, seed=5)
    scenarios = [F.Scenario(F.BASELINE), F.Scenario("none", extra_starters=0.0),
                 F.Scenario("campaign", campaign_starters=10, campaign_quarter=2, campaign_retention=70),
                 F.Scenario("conv", agency_conversions=5), F.Scenario("more", extra_starters=40),
                 F.Scenario("ret", retention_change=5), F.Scenario("ret_more", retention_change=3,
                                                               extra_starters=25)]
    warm = F.fit("Stockport", **kw)
    wit = F.what_it_takes(warm, "vacancy_rate", 0.0, warm.origin + 3)
    assert warm._cache[("starter_leaves", 3, 0)][1][0] == F._capacity(warm)  # every slot in use
    for s in scenarios[::-1]:
        got = F._simulate(warm, s, 3)
        want = F._simulate(F.fit("Stockport", **kw), s, 3)
        for meas in F.MEASURES:
            assert np.array_equal(got[meas].view(np.int64), want[meas].view(np.int64)), (s.name, meas)
    none = F._simulate(warm, scenarios[1], 3)
    none["inpost_fte"][:] = -1
    assert np.array_equal(F._simulate(warm, scenarios[0], 3)["inpost_fte"],
                          F._simulate(F.fit("Stockport", **kw), scenarios[0], 3)["inpost_fte"])
    again = F.what_it_takes(F.fit("Stockport", **kw), "vacancy_rate", 0.0, warm.origin + 3)
    assert (again.answer, again.achieved, again.message) == (wit.answer, wit.achieved, wit.message)
    # released: worked out again, the same
    before = F._simulate(warm, scenarios[4], 3)["agency_rate"]
    warm.release()
    assert "_cache" not in warm.__dict__
    assert np.array_equal(F._simulate(warm, scenarios[4], 3)["agency_rate"].view(np.int64),
                          before.view(np.int64))


def test_stock_uniforms_of_some_columns_are_those_of_the_whole_width():
    """Only the columns asked for are drawn (the ones before skipped with PCG64.advance when
    the number of simulations is even, drawn and dropped when odd): each column gets the numbers
    it got when every column of the year was drawn at once."""
    for sims in (40, 41):
        m = F.fit("Test", history=steady_history(), priors=ZERO, simulations=sims, seed=9)
        whole = np.random.default_rng([9, 7, 2]).random((300, sims), dtype=np.float32).T
        ranges = [(0, 3), (57, 59), (200, 201), (250, 300)]
        cols = np.concatenate([np.arange(lo, hi) for lo, hi in ranges])
        assert np.array_equal(F._stock_uniforms(m, 2, ranges), whole[:, cols])
        assert np.array_equal(F._stock_uniforms(m, 2, [(0, 300)]), whole)
        assert F._stock_uniforms(m, 2, []).shape == (sims, 0)


def test_leaving_probabilities_by_columns_equal_the_formula_bit_for_bit():
    """_Leaving.prob for columns whose tenures are the same in every simulation works a few rows
    at a time in place, skipping bands no column overlaps: the same bits as the formula on
    whole arrays (and who leaves, u < p, the same)."""
    rng = np.random.default_rng(3)
    for bands in (5, 2, 7):
        edges = np.r_[0.0, np.sort(rng.uniform(0.5, 12, bands - 1)), np.inf]
        n, width = 300, 700
        lv = object.__new__(F._Leaving)
        lv.edges, lv.rates = edges, rng.gamma(2.0, 0.1, (n, bands))
        lv.year_mult, lv.k = rng.lognormal(0, 0.3, n), rng.uniform(0.2, 1.3, n)
        for a, b in ((rng.uniform(0, 30, width), None), (np.zeros(width), rng.uniform(0, 1, width))):
            b = a + 1.0 if b is None else b
            ratio = rng.uniform(0.5, 2, width)
            H = F._cum_hazard(lv.rates[:, None, :], edges, np.broadcast_to(a, (n, width)),
                              np.broadcast_to(b, (n, width))) * ratio * lv.year_mult[:, None]
            want = np.clip((1 - np.exp(-H)) * lv.k[:, None], 0, 1)
            for buffer in (2 ** 18, 5000):
                F._SUM_BUFFER = buffer
                try:
                    got = lv.prob(a, b, ratio)
                    u = rng.random((n, width), dtype=np.float32)
                    hit = lv.prob(a, b, ratio, u=u, rescale=True)
                finally:
                    F._SUM_BUFFER = 2 ** 18
                assert np.array_equal(got.view(np.int64), want.view(np.int64)), bands
                assert np.array_equal(hit, u < np.clip(want * lv.k[:, None], 0, 1))


def test_masked_sum_and_count_equal_the_plain_sums_bit_for_bit():
    """_masked_sum works out fte x mask only in the columns that can be True, a few rows at a
    time; _count counts them: the same bits as (fte * mask).sum(1) and mask.sum(1) over every
    column, whatever the rows, widths and buffer size."""
    from swanalysis.forecast import _count, _masked_sum

    rng = np.random.default_rng(11)
    for n, stock, cap, used in ((1000, 810, 1455, (260, 0, 1455)), (37, 5, 9, (3, 9, 1)),
                                (1, 300, 200, (120,))):
        fpp = float(rng.uniform(0.5, 1.0))
        fte = np.r_[rng.uniform(0.1, 1.0, stock), np.full(cap * len(used), fpp)]
        segs = [(0, stock)] + [(stock + b * cap, u) for b, u in enumerate(used)]
        mask = np.zeros((n, len(fte)), bool)
        for a, w in segs:
            mask[:, a:a + w] = rng.random((n, w)) < 0.6
        want = (fte * mask).sum(1)
        for buffer in (2 ** 18, 64, 10 ** 9):
            F._SUM_BUFFER = buffer
            try:
                got = _masked_sum(fte, mask, segs, fpp)
            finally:
                F._SUM_BUFFER = 2 ** 18
            assert np.array_equal(got.view(np.int64), want.view(np.int64)), (n, buffer)
        assert np.array_equal(_count(mask, segs), mask.sum(1))
        # leaving probabilities given only for the columns of segs, side by side
        probs = rng.uniform(0, 1, (n, sum(w for _, w in segs)))
        whole = np.zeros(mask.shape)
        whole[:, np.concatenate([np.arange(a, a + w) for a, w in segs])] = probs
        want = (whole * mask).sum(1)
        assert np.array_equal(_masked_sum(probs, mask, segs).view(np.int64), want.view(np.int64))


def test_forecast_table_is_kept_and_each_caller_gets_a_copy():
    m = F.fit("Test", history=steady_history(), priors=dict(ZERO, mean_fill=0.0), simulations=60)
    res = F.project(m, [F.Scenario("conv", agency_conversions=4)], horizon=2)
    first = res.table()
    first["value"] = -1.0
    again = res.table()
    assert (again["value"] > 0).all()
    pd.testing.assert_frame_equal(again, res._summarise())
    res.interval = 0.5  # a different interval: worked out again
    assert not res.table()["lower"].equals(again["lower"])
