"""Stock measures and DfE rates from a council's own returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swanalysis import workforce as W
from swanalysis.plots import tenure as TP
from swanalysis.errors import UserError

REF = {2023: pd.Timestamp("2023-09-30"), 2024: pd.Timestamp("2024-09-30")}


def _wy(rows):
    cols = ["worker_id", "census_year", "in_post", "left_in_year", "agency", "fte", "fte30", "cases30",
            "working_days_lost", "start_date", "end_date"]
    df = pd.DataFrame(rows, columns=cols)
    df["reference_date"] = df["census_year"].map(REF)
    df["spell"] = 1
    for c in ("start_date", "end_date"):
        df[c] = pd.to_datetime(df[c])
    return df


# census 2024: 6 permanent in post, 2 permanent leavers, 2 agency in post, 1 agency leaver
WY = _wy([
    ("p1", 2024, True, False, False, 1.0, 1.0, 18, 4.0, "2024-03-01", None),   # under 12 months
    ("p2", 2024, True, False, False, 0.5, 0.5, 10, 0.0, "2023-10-01", None),   # exactly 12 months before? no: 2023-10-01 > 2023-09-30 -> under 12m
    ("p3", 2024, True, False, False, 1.0, 1.0, 0, 10.0, "2023-06-01", None),   # 1-2 years, holds no cases
    ("p4", 2024, True, False, False, 1.0, 0.8, 20, 0.0, "2022-09-29", None),   # over 2 years (by a day)
    ("p5", 2024, True, False, False, 1.0, 1.0, 15, 2.0, "2022-09-30", None),   # exactly 2 years: not over
    ("p6", 2024, True, False, False, 1.0, 1.0, 12, 0.0, "2010-01-15", None),   # 10+ years
    ("l1", 2024, False, True, False, 1.0, 0.0, np.nan, 6.0, "2023-01-10", "2024-02-01"),
    ("l2", 2024, False, True, False, 0.6, 0.0, np.nan, 1.0, "2016-05-01", "2024-08-31"),
    ("a1", 2024, True, False, True, 1.0, 1.0, 22, np.nan, "2024-01-01", None),
    ("a2", 2024, True, False, True, 0.5, 0.5, 8, np.nan, None, None),
    ("a3", 2024, False, True, True, 1.0, 0.0, np.nan, np.nan, "2023-11-01", "2024-05-01"),
    # census 2023: p4, p5, p6, l1, l2 in post
    ("p4", 2023, True, False, False, 1.0, 1.0, 16, 0.0, "2022-09-29", None),
    ("p5", 2023, True, False, False, 1.0, 1.0, 14, 0.0, "2022-09-30", None),
    ("p6", 2023, True, False, False, 1.0, 1.0, 12, 0.0, "2010-01-15", None),
    ("l1", 2023, True, False, False, 1.0, 1.0, 19, 0.0, "2023-01-10", None),
    ("l2", 2023, True, False, False, 0.6, 0.6, 9, 0.0, "2016-05-01", None),
])


def test_service_stock_counts_by_calendar_dates():
    s = W.service_stock(WY).set_index("census_year")
    r = s.loc[2024]
    assert r["in_post"] == 6
    assert r["under_12m"] == 2 and r["under_12m_share"] == pytest.approx(2 / 6)
    assert r["over_2y"] == 2 and r["over_2y_share"] == pytest.approx(2 / 6)  # p4 and p6; p5 exactly 2 years
    assert [r[b] for b in W.SERVICE_BANDS] == [2, 1, 2, 0, 1]
    with_agency = W.service_stock(WY, 2024, include_agency=True).iloc[0]
    assert with_agency["in_post"] == 8 and with_agency["no_start_date"] == 1
    assert with_agency["under_12m_share"] == pytest.approx(3 / 7)
    assert s.loc[2023, "in_post"] == 5
    assert W.describe_stock(s.reset_index(), 2024) == (
        "At 30 September 2024, 33% of the 6 social workers in post had joined in the last 12 months and "
        "33% had been with the council for over 2 years."
    )


def test_council_rates_follow_dfe_definitions():
    returns = pd.DataFrame({"census_year": [2023, 2024], "NumberOfVacancies": [1.5, 2.2]})
    r = W.council_rates(WY, returns).set_index("census_year").loc[2024]
    inpost = 1 + 0.5 + 1 + 0.8 + 1 + 1  # FTE at 30 September of permanent staff
    assert r["inpost_fte"] == pytest.approx(inpost)
    assert r["inpost_headcount"] == 6
    assert r["leavers_fte"] == pytest.approx(1.6) and r["leavers_headcount"] == 2
    assert r["turnover_rate"] == pytest.approx(100 * 1.6 / inpost)
    assert r["agency_fte"] == pytest.approx(1.5) and r["agency_headcount"] == 2
    assert r["agency_rate"] == pytest.approx(100 * 1.5 / (1.5 + inpost))
    assert r["vacancy_rate"] == pytest.approx(100 * 2.2 / (2.2 + inpost))
    # case holders: in post with cases > 0, agency included: p1 p2 p4 p5 p6 a1 a2
    holders_fte = 1 + 0.5 + 0.8 + 1 + 1 + 1 + 0.5
    assert r["cases"] == 18 + 10 + 20 + 15 + 12 + 22 + 8
    assert r["caseload"] == pytest.approx(105 / holders_fte)
    perm_only = W.council_rates(WY, caseload_agency=False).set_index("census_year").loc[2024]
    assert perm_only["caseload"] == pytest.approx(75 / (holders_fte - 1.5))
    assert np.isnan(perm_only["vacancy_rate"])
    # starters in the year to 30 Sept 2024: p1, p2 (permanent)
    assert r["starters_headcount"] == 2 and r["starters_fte"] == pytest.approx(1.5)
    assert r["absence_rate"] == pytest.approx(100 * (4 + 10 + 2) / (inpost * 253))  # in post at 30 Sept
    assert "turnover was" in W.describe_rates(W.council_rates(WY, returns))


def test_dfe_rate_definitions_reproduce_published_rates(data_dir):
    pub = pd.read_csv(data_dir / "csww_indicators_2017_to_2025.csv", na_values=["x", "z", "u", "c", "low", ":"])
    counts = pub.rename(columns={"working_days_lost_fte": "working_days_lost"})
    got = W.dfe_rates(counts)
    for ours, published in [("turnover_rate", "turnover_rate_fte"), ("agency_rate", "agency_rate_fte"),
                            ("vacancy_rate", "vacancy_rate_fte"), ("caseload", "caseload_fte"),
                            ("absence_rate", "absence_rate_fte")]:
        ok = got[ours].notna() & pub[published].notna()
        assert ok.sum() > 500
        diff = (got.loc[ok, ours] - pub.loc[ok, published]).abs()
        # published rates come from unrounded counts: allow rounding of the counts (0.15) and
        # accept at most a handful of rows where DfE revised one count but not the rate
        assert (diff <= 0.15).mean() > 0.99, (ours, diff.describe())
    eng = got.loc[(pub["geographic_level"] == "National") & (pub["time_period"] == 2025)].iloc[0]
    assert round(eng["turnover_rate"], 1) == 11.8 and round(eng["caseload"], 1) == 15.2


def _episodes():
    rows = [  # worker, start, end, agency, route, destination_group, reason, disappeared
        ("e1", "2021-01-10", "2021-06-01", False, "newly_qualified", "another_la", "Resignation", False),   # 0.4 y
        ("e2", "2019-03-01", "2021-08-01", False, "experienced_other_la", "agency", "Resignation", False),  # 2.4 y
        ("e3", "2012-01-01", "2021-09-30", False, "other", "left_social_work", "Retirement", False),     # 9.7 y
        ("e4", "2008-01-01", "2021-03-01", False, "other", None, None, False),                          # 13.2 y
        ("e5", "2020-09-01", "2021-10-15", False, "newly_qualified", "another_la", "Resignation", False),  # 1.1 y, census 2022
        ("e6", "2020-11-01", None, False, "newly_qualified", None, None, False),
        ("e7", "2020-12-01", None, False, "newly_qualified", None, None, True),
        ("e8", "2020-10-05", "2021-02-01", True, "from_agency", "agency", None, False),  # agency: excluded
    ]
    df = pd.DataFrame(rows, columns=["worker_id", "start_date", "end_date", "agency", "entry_route",
                                     "destination_group", "reason_leave", "disappeared"])
    for c in ("start_date", "end_date"):
        df[c] = pd.to_datetime(df[c])
    df["event"] = df["end_date"].notna().astype(int)
    df["last_census"] = 2022
    return df


def test_leavers_by_service_and_share_within_five_years():
    lbs = W.leavers_by_service(_episodes())
    y21 = lbs.loc[lbs["census_year"] == 2021].set_index("service_band")
    assert y21["leavers"].to_dict() == {"<1": 1, "1-2": 0, "2-5": 1, "5-10": 1, "10+": 1}
    assert y21["share"].sum() == pytest.approx(1.0)
    assert y21["within_5y"].iloc[0] == 2 and y21["within_5y_share"].iloc[0] == pytest.approx(0.5)
    y22 = lbs.loc[lbs["census_year"] == 2022].set_index("service_band")
    assert y22.loc["1-2", "leavers"] == 1 and y22["leavers"].sum() == 1
    # 4 leavers: their share within 5 years (50%) beside "<5" would give 2; not described
    assert W.describe_leavers(lbs, 2021) == (
        "Fewer than 10 permanent social workers left in the year to 30 September 2021: too few to "
        "describe.")
    assert W.describe_leavers(lbs, 2021, min_group=4) == (
        "Of the <5 permanent social workers who left in the year to 30 September 2021, 50% had been in "
        "post for less than 5 years."
    )
    assert "under 5 years' service" in TP.alt_text_service_bars(lbs)


def test_leaving_reasons_and_destinations():
    r = W.leaving_reasons(_episodes(), "destination_group", 2021).set_index("destination_group")
    assert r["leavers"].to_dict() == {"another_la": 1, "agency": 1, "left_social_work": 1, "not recorded": 1}
    r = W.leaving_reasons(_episodes(), "reason_leave")
    assert r.loc[r["census_year"] == 2021, "leavers"].sum() == 4
    with pytest.raises(UserError, match="missing column"):
        W.leaving_reasons(_episodes().drop(columns="reason_leave"), "reason_leave")


def test_asye_cohorts_remain_left_and_not_known():
    c = W.asye_cohorts(_episodes()).set_index("cohort")
    # NQ starts: e1 (Jan 2021) e5 (Sep 2020 -> census 2020) e6 (Nov 2020) e7 (Dec 2020)
    assert c.loc[2021].to_dict() | {} == {"started": 3, "remain": 1, "left": 1, "not_known": 1,
                                         "as_at_census": 2022, "remain_share": pytest.approx(1 / 3)}
    assert c.loc[2020, "started"] == 1 and c.loc[2020, "left"] == 1
    assert W.describe_asye(c.reset_index(), 2021).startswith("Fewer than 10 newly qualified")
    big = pd.DataFrame({"cohort": [2021], "started": [15], "remain": [14], "left": [1], "not_known": [0]})
    assert W.describe_asye(big) == (
        "Of 15 newly qualified social workers who started in the year to September 2021, 14 remain."
    )
    big["remain"] = 15
    assert W.describe_asye(big).endswith("all remain.")
    # the report's suppression threshold (min_group) applies to the sentence as to the table
    assert W.describe_asye(big, min_group=20).startswith("Fewer than 20 newly qualified")


def test_stacked_bars_leave_out_years_with_few_leavers():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from swanalysis.plots import tenure as P

    ep = pd.concat([_episodes()] * 4, ignore_index=True)  # 2021: 16 leavers, 2022: 4
    lbs = W.leavers_by_service(ep)
    ax = P.plot_leavers_by_service(lbs)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2021"]
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == [0.0, 0.25, 0.25, 0.25, 0.25]
    assert any("2022 (fewer than 10 leavers)" in t.get_text() for t in ax.texts)
    plt.close("all")
    ax = P.plot_leaving_reasons(W.leaving_reasons(ep), min_group=None)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2021", "2022"]
    plt.close("all")


# --------------------------------------------------------------------------------------------
# the generator's truth.json, read back through the real ingest path
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def council(synthetic_council):
    """The session's synthetic council (tests/conftest.py) read back through the real ingest path."""
    import json

    from swanalysis.workerdata.ingest import ingest

    c = synthetic_council
    truth = json.loads(c.truth_path.read_text())
    return truth, ingest(sorted(c.returns), hr=c.payroll_path, hr_map=c.hr_map_path)


RATE_KEYS = ["inpost_fte", "inpost_headcount", "starters_fte", "starters_headcount", "leavers_fte",
             "leavers_headcount", "turnover_rate", "agency_fte", "agency_headcount", "agency_rate",
             "case_holders_fte", "cases", "caseload", "vacancy_fte", "vacancy_rate", "working_days_lost",
             "absence_rate"]


def test_rates_from_returns_reproduce_generator_truth(council):
    truth, linked = council
    rates = W.council_rates(linked.worker_years, linked.returns).set_index("census_year")
    assert sorted(rates.index) == truth["years"]
    for year, t in truth["by_year"].items():
        r = rates.loc[int(year)]
        for k in RATE_KEYS:
            assert r[k] == pytest.approx(t[k], rel=1e-4, abs=1e-3), (year, k)
        perm = W.council_rates(linked.worker_years, caseload_agency=False).set_index("census_year").loc[int(year)]
        assert perm["caseload"] == pytest.approx(t["caseload_permanent"], rel=1e-4)


def test_stock_and_leaver_counts_reproduce_generator_truth(council):
    truth, linked = council
    stock = W.service_stock(linked.worker_years).set_index("census_year")
    lbs = W.leavers_by_service(linked.episodes)
    for year, t in truth["by_year"].items():
        s = stock.loc[int(year)]
        assert s["in_post"] == t["inpost_headcount"]
        assert s["under_12m"] == t["n_under_12_months"] and s["over_2y"] == t["n_over_2_years"]
        assert s["under_12m_share"] == pytest.approx(t["share_under_12_months"], abs=1e-6)
        assert s["over_2y_share"] == pytest.approx(t["share_over_2_years"], abs=1e-6)
        got = lbs.loc[lbs["census_year"] == int(year)].set_index("service_band")["leavers"]
        assert {b: int(got.get(b, 0)) for b in W.SERVICE_BANDS} == t["leavers_by_service"], year
    ep = linked.episodes
    assert ep["worker_id"].nunique() == truth["n_workers"]
    assert len(ep) == truth["n_spells"]
    assert int(ep.loc[~ep["agency"], "event"].sum()) == truth["n_leavers"]
    # all-years leavers by length of service (leavers in the first census year included)
    all_years = W.leavers_by_service(ep).groupby("service_band")["leavers"].sum()
    assert {b: int(all_years.get(b, 0)) for b in W.SERVICE_BANDS} == truth["leavers_by_service_all_years"]
    reasons = W.leaving_reasons(ep, "destination_group")
    assert reasons["leavers"].sum() == truth["n_leavers"]


def test_experience_mix_against_target():
    from swanalysis.workforce import experience_mix_table

    rows = []
    # 2 ASYE (1.0 FTE each), 3 case holders (one 0.5 FTE), 5 senior practitioners/managers,
    # 1 agency worker and 1 leaver (neither counted)
    spec = ([("Case Holder", "1", 1.0)] * 2 + [("Case Holder", "", 1.0)] * 2 + [("Case Holder", "", 0.5)]
            + [("Senior Practitioner", "", 1.0)] * 3 + [("First Line Manager", "3", 1.0)] * 2)
    for i, (role, cfkss, fte) in enumerate(spec):
        rows.append(dict(worker_id=f"w{i}", census_year=2024, in_post=True, agency=False, role=role,
                         cfkss_status=cfkss or None, fte=fte, fte30=fte, entry_route="other",
                         tenure_days=900.0))
    rows.append(dict(rows[0], worker_id="agency", agency=True))
    rows.append(dict(rows[3], worker_id="gone", in_post=False))
    rows.append(dict(rows[3], worker_id="old", census_year=2023))
    wy = pd.DataFrame(rows)
    mix = experience_mix_table(wy, {"newly_qualified": 20, "experienced": 30, "advanced": 50})
    m = mix.set_index("experience")
    assert list(m.index) == ["newly_qualified", "experienced", "advanced"]
    assert m.headcount.tolist() == [2, 3, 5]
    assert m.fte.tolist() == [2.0, 2.5, 5.0]
    assert m.share.sum() == pytest.approx(100)
    assert m.loc["experienced", "share"] == pytest.approx(100 * 2.5 / 9.5)
    assert m.loc["advanced", "gap_pp"] == pytest.approx(100 * 5 / 9.5 - 50)
    # FTE to move to reach the target at today's 9.5 FTE
    assert m.loc["newly_qualified", "fte_change_to_target"] == pytest.approx(0.2 * 9.5 - 2.0)
