"""Linking annual returns into spells: a hand-built 3-year council whose spells we know exactly."""

from __future__ import annotations

import pandas as pd
import pytest

from csww_fixtures import SWE, mini_council, worker, write_xml
from swanalysis.workerdata.linking import EPISODE_COLUMNS, WORKER_YEAR_COLUMNS, permanent
from swanalysis.workerdata.ingest import episodes, ingest, worker_years
from swanalysis.workerdata.pseudonymise import Pseudonymiser

KEY = "test-key-histories"
OBS = pd.Timestamp("2020-10-01")


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mini")
    truth = mini_council(folder)
    res = ingest([folder], key=KEY)
    p = Pseudonymiser(KEY)
    ids = {k: p(v) for k, v in SWE.items()}
    ep = res.episodes.copy()
    ep["who"] = ep["worker_id"].map({v: k for k, v in ids.items()})
    wy = res.worker_years.copy()
    wy["who"] = wy["worker_id"].map({v: k for k, v in ids.items()})
    return truth, res, ep.set_index(["who", "spell"]).sort_index(), wy.set_index(["who", "spell", "census_year"]).sort_index()


def days(a, b):
    return float((pd.Timestamp(a) - pd.Timestamp(b)).days)


def test_columns_follow_the_contract(council):
    _, res, _, _ = council
    assert list(res.episodes.columns) == EPISODE_COLUMNS
    assert list(res.worker_years.columns) == WORKER_YEAR_COLUMNS
    doc = open("docs/tables.md", encoding="utf-8").read() if __import__("os").path.exists("docs/tables.md") else None
    if doc:  # every contract column in docs/tables.md is present
        import re

        section_ep = doc.split("## `episodes`")[1].split("## `worker_years`")[0]
        section_wy = doc.split("## `worker_years`")[1].split("## Synthetic")[0]
        for section, cols in ((section_ep, EPISODE_COLUMNS), (section_wy, WORKER_YEAR_COLUMNS)):
            for cell in re.findall(r"^\| ([a-z_0-9, ]+) \|", section, flags=re.M):
                for name in (c.strip() for c in cell.split(",")):
                    if name and name != "column":
                        assert name in cols, name


def test_counts_workers_spells_leavers(council):
    truth, res, ep, _ = council
    assert res.summary["workers"] == truth["n_workers"] == 9
    assert res.summary["spells"] == truth["n_spells"] == 11
    assert res.summary["leavers"] == truth["n_leavers"] == int(res.episodes["event"].sum()) == 4
    assert res.summary["records"] == 22 and res.summary["records_quarantined"] == 1
    assert sorted(ep.index.get_level_values(0).unique()) == list("ABCDEFGHJ")


def test_long_serving_worker_late_entry(council):
    _, _, ep, wy = council
    a = ep.loc[("A", 1)]
    assert a["start_date"] == pd.Timestamp("2015-04-01")
    assert pd.isna(a["end_date"]) and a["event"] == 0
    assert a["censor_date"] == pd.Timestamp("2023-09-30")
    assert a["entry_days"] == days(OBS, "2015-04-01") == 2010.0
    assert a["duration_days"] == days("2023-09-30", "2015-04-01")
    assert a["observation_start"] == OBS
    assert (a["first_census"], a["last_census"]) == (2021, 2023)
    assert a["start_cohort"] == 2015
    assert wy.loc[("A", 1, 2022), "cases30"] == 18 and wy.loc[("A", 1, 2023), "cases30"] == 20
    assert wy.loc[("A", 1, 2021), "tenure_days"] == days("2021-09-30", "2015-04-01")


def test_leaver(council):
    _, _, ep, wy = council
    b = ep.loc[("B", 1)]
    assert b["event"] == 1 and b["end_date"] == pd.Timestamp("2022-03-31") == b["censor_date"]
    assert b["entry_days"] == days(OBS, "2019-01-15")
    assert b["reason_leave"] == "Resignation"
    assert b["destination_group"] == "another_la"
    assert bool(wy.loc[("B", 1, 2021), "in_post"]) and not bool(wy.loc[("B", 1, 2021), "left_in_year"])
    assert not bool(wy.loc[("B", 1, 2022), "in_post"]) and bool(wy.loc[("B", 1, 2022), "left_in_year"])
    assert wy.loc[("B", 1, 2022), "tenure_days"] == days("2022-03-31", "2019-01-15")


def test_starter_who_leaves_within_the_year(council):
    _, _, ep, _ = council
    c = ep.loc[("C", 1)]
    assert c["entry_days"] == 0 and c["event"] == 1
    assert c["duration_days"] == days("2022-06-30", "2021-11-01")
    assert c["entry_route"] == "newly_qualified" and c["start_cohort"] == 2022
    assert c["destination_group"] == "left_social_work"
    assert bool(c["cfkss_asye"])
    assert (c["first_census"], c["last_census"]) == (2022, 2022)


def test_leaver_who_returns_in_a_later_return(council):
    _, _, ep, _ = council
    d1, d2 = ep.loc[("D", 1)], ep.loc[("D", 2)]
    assert d1["event"] == 1 and d1["end_date"] == pd.Timestamp("2021-02-28")
    assert d1["destination_group"] == "agency"
    assert d2["start_date"] == pd.Timestamp("2022-01-10") and d2["event"] == 0
    assert d2["entry_days"] == 0 and d2["entry_route"] == "from_agency"
    assert d2["role"] == "Senior Practitioner"  # OrgRole of the spell's last return


def test_leaver_who_returns_within_one_return(council):
    _, res, ep, wy = council
    j1, j2 = ep.loc[("J", 1)], ep.loc[("J", 2)]
    assert j1["end_date"] == pd.Timestamp("2021-12-31") and j1["event"] == 1
    assert j1["reason_leave"] == "Retired"
    assert j2["start_date"] == pd.Timestamp("2022-04-01") and j2["event"] == 0 and j2["entry_route"] == "other"
    assert ("J", 1, 2022) in wy.index and ("J", 2, 2022) in wy.index
    rules = res.validation.groupby("rule").size()
    assert rules["worker_twice_in_return"] == 2


def test_start_date_correction_earliest_wins(council):
    _, _, ep, _ = council
    e = ep.loc[("E", 1)]
    assert e["start_date"] == pd.Timestamp("2017-08-01")
    assert bool(e["start_date_changed"])
    assert not ep.drop(index=[("E", 1)])["start_date_changed"].any()


def test_agency_worker_kept_and_flagged(council):
    _, _, ep, _ = council
    f = ep.loc[("F", 1)]
    assert bool(f["agency"]) and pd.isna(f["start_date"])
    assert ep["agency"].sum() == 1
    perm = permanent(ep.reset_index())
    assert "F" not in set(perm["who"]) and len(perm) == 10


def test_disappearing_spell_is_censored_at_last_census(council):
    _, res, ep, _ = council
    g = ep.loc[("G", 1)]
    assert g["event"] == 0 and bool(g["disappeared"])
    assert g["censor_date"] == pd.Timestamp("2022-09-30")
    assert ep["disappeared"].sum() == 1
    assert (res.validation["rule"] == "spell_disappeared").sum() == 1


def test_duplicate_in_one_return_quarantined_once(council):
    _, res, ep, wy = council
    h = ep.loc[("H", 1)]
    assert h["start_date"] == pd.Timestamp("2023-02-01") and h["entry_days"] == 0
    dup = res.validation[res.validation["rule"] == "duplicate_worker"]
    assert len(dup) == 1 and dup.iloc[0]["severity"] == "error" and dup.iloc[0]["record"] == 6
    assert len(wy.loc[("H", 1)]) == 1


def test_worker_years_one_row_per_spell_and_census(council):
    _, res, _, wy = council
    assert not wy.index.duplicated().any()
    assert len(wy) == 21  # 22 records less the quarantined duplicate
    in_post_2023 = res.worker_years.query("census_year == 2023 and in_post")
    assert len(in_post_2023) == 6  # A, D2, E, F, H, J2


def test_episodes_and_worker_years_entry_points(tmp_path):
    mini_council(tmp_path)
    ep = episodes([tmp_path], key=KEY)
    wy = worker_years([tmp_path], key=KEY)
    assert len(ep) == 11 and len(wy) == 21


def test_gap_in_returns_and_observation_start_per_la(tmp_path):
    a = "ZZ0000000001"
    write_xml(tmp_path / "r2019.xml", [worker(a, "2018-01-01")], year=2019, lea="100")
    write_xml(tmp_path / "r2020.xml", [worker("ZZ0000000002", "2018-01-01")], year=2020, lea="100")
    write_xml(tmp_path / "r2021.xml", [worker(a, "2018-01-01")], year=2021, lea="100")
    write_xml(tmp_path / "s2021.xml", [worker(a, "2020-05-01")], year=2021, lea="200")
    res = ingest([tmp_path], key=KEY)
    ep = res.episodes.set_index("lea")
    # the same SWENo in two LAs gives two independent spells with each LA's own observation window
    assert ep.loc["100"].query("n_census == 2")["entry_days"].item() == days("2018-10-01", "2018-01-01")
    assert ep.loc["200", "observation_start"] == pd.Timestamp("2020-10-01")
    assert ep.loc["200", "entry_days"] == days("2020-10-01", "2020-05-01") == 153.0
    gaps = res.validation[res.validation["rule"] == "gap_in_returns"]
    assert len(gaps) == 1
    # worker 2 is missing from 2021 without an end date
    assert (res.validation["rule"] == "spell_disappeared").sum() == 1


# ------------------------------------------------------------------ against the synthetic generator's truth


def test_ingest_recovers_the_synthetic_councils_true_spells(synthetic_council):
    """Every spell the generator wrote comes back with the same dates, events, censoring and late
    entry (the generator keeps its true tables in memory keyed by SWENo; we pseudonymise them)."""
    c = synthetic_council
    res = ingest(c.returns, hr=c.payroll_path, hr_map=c.hr_map_path, key=KEY)
    truth = c.truth
    assert res.summary["workers"] == truth["n_workers"]
    assert res.summary["spells"] == truth["n_spells"]
    assert res.summary["leavers"] == truth["n_leavers"]
    assert res.summary["records_quarantined"] == 0
    assert not (res.validation["severity"] == "error").any()

    p = Pseudonymiser(KEY)
    t = c.true_episodes.assign(worker_id=c.true_episodes["worker_id"].map(p))
    m = t.merge(res.episodes, on=["worker_id", "spell"], how="outer", suffixes=("_t", "_o"), indicator=True)
    assert (m["_merge"] == "both").all()
    for col in ["start_date", "end_date", "event", "censor_date", "duration_days", "entry_days", "first_census",
                "last_census", "agency", "role", "reason_leave", "leaver_destination", "start_cohort",
                "cfkss_asye", "start_date_changed"]:
        a, b = m[f"{col}_t"].astype(object), m[f"{col}_o"].astype(object)
        same = (a == b) | (a.isna() & b.isna())
        assert same.all(), (col, m.loc[~same, [f"{col}_t", f"{col}_o"]].head())
    # team comes from the payroll, which has no row for a spell that never reached a 30 September
    has_team = m["team_o"].notna()
    assert (m.loc[has_team, "team_t"] == m.loc[has_team, "team_o"]).all()
    assert (m.loc[~has_team & ~m["agency_t"], "n_census"] >= 1).all()
    assert has_team.sum() >= 0.8 * (~m["agency_t"]).sum()
    perm = ~m["agency_t"]
    assert (m.loc[perm, "entry_route_t"] == m.loc[perm, "entry_route_o"]).all()
    assert (m["observation_start_o"] == pd.Timestamp(truth["observation_start"])).all()
    # late entry matters: spells already in post when observation began
    perm_ep = permanent(res.episodes)
    assert (perm_ep["entry_days"] > 0).sum() == truth["n_late_entry_spells"]

    tw = c.true_worker_years.assign(worker_id=c.true_worker_years["worker_id"].map(p))
    mw = tw.merge(res.worker_years, on=["worker_id", "spell", "census_year"], how="outer",
                  suffixes=("_t", "_o"), indicator=True)
    assert (mw["_merge"] == "both").all()
    for col in ["in_post", "left_in_year", "fte", "fte30", "cases30", "working_days_lost", "salary", "role",
                "tenure_days"]:
        a, b = mw[f"{col}_t"].astype(object), mw[f"{col}_o"].astype(object)
        same = (a == b) | (a.isna() & b.isna())
        assert same.all(), (col, mw.loc[~same, [f"{col}_t", f"{col}_o"]].head())
    has_team = mw["team_o"].notna()
    assert (mw.loc[has_team, "team_t"] == mw.loc[has_team, "team_o"]).all()
    # rows without a team: agency workers, and leavers with no payroll row earlier in the spell
    no_team = mw[~has_team]
    # (leavers whose spell has no earlier payroll row: first-year leavers and in-year starters)
    assert (no_team["agency_o"] | (~no_team["in_post_o"] & no_team["left_in_year_o"])).all()
    assert (~mw["agency_o"] & ~has_team).sum() < 0.1 * (~mw["agency_o"]).sum()


def test_later_start_after_a_census_in_post_is_a_new_spell_and_agency_switch_splits(tmp_path):
    a, b = "ZZ0000000001", "ZZ0000000002"
    write_xml(tmp_path / "r2021.xml", [worker(a, "2019-01-01"), worker(b, agency="1")], year=2021, lea="300")
    # a: start moves to after the 2021 census (an unrecorded leave and a new contract);
    # b: agency worker taken on permanently
    write_xml(tmp_path / "r2022.xml", [worker(a, "2021-11-01"), worker(b, "2022-02-01", StartOrigin="4")],
              year=2022, lea="300")
    res = ingest([tmp_path], key=KEY)
    p = Pseudonymiser(KEY)
    ep = res.episodes.set_index(["worker_id", "spell"])
    a1, a2 = ep.loc[(p(a), 1)], ep.loc[(p(a), 2)]
    assert a1["event"] == 0 and bool(a1["disappeared"]) and a1["censor_date"] == pd.Timestamp("2021-09-30")
    assert a2["start_date"] == pd.Timestamp("2021-11-01") and a2["entry_days"] == 0
    assert not a1["start_date_changed"] and not a2["start_date_changed"]
    b1, b2 = ep.loc[(p(b), 1)], ep.loc[(p(b), 2)]
    assert bool(b1["agency"]) and not bool(b2["agency"])
    assert b2["entry_route"] == "from_agency" and b2["start_cohort"] == 2022
    v = res.validation
    assert set(v.loc[v["rule"] == "spell_disappeared", "severity"]) == {"warning", "info"}  # permanent, agency
