"""The published-statistics panel, area resolution and statistical neighbours.

Numbers asserted here are the DfE's published figures (Children's social work workforce
releases 2022-2025), read from the files in SWANALYSIS_DATA_DIR.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from swanalysis.published import areas as A
from swanalysis.published import panel as D
from swanalysis.errors import InputFileError, NoDataError, UserError


@pytest.fixture(scope="module")
def panel(data_dir):
    return D.load_panel(data_dir)


def value(panel, name, year, measure, release=None, level="la"):
    df = D.release_panel(panel, release)
    hit = df[(df["area_name"] == name) & (df["time_period"] == year)
             & (df["measure"] == measure) & (df["area_level"] == level)]
    assert len(hit) == 1, (name, year, measure, release, len(hit))
    return hit["value"].iloc[0]


# ------------------------------------------------------------------------------- the panel

def test_panel_columns_and_levels(panel):
    for col in ["area_level", "area_code", "old_la_code", "area_name", "region_code",
                "region_name", "time_period", "measure", "value", "symbol", "release",
                "is_latest"]:
        assert col in panel.columns
    assert set(panel["area_level"]) == {"national", "regional", "la"}
    assert set(panel["release"]) == {2022, 2023, 2024, 2025}
    assert set(D.MEASURES) <= set(panel["measure"])
    # 2025 release: 151 LA rows (joint returns once), 9 regions + Inner/Outer London, England
    lat = D.latest(panel)
    y25 = lat[(lat["time_period"] == 2025) & (lat["measure"] == "agency_rate")]
    assert (y25["area_level"] == "la").sum() == 151
    reg = y25[y25["area_level"] == "regional"]
    assert len(reg) == 11 and reg["is_subregion"].sum() == 2
    assert set(reg.loc[reg["is_subregion"], "area_name"]) == {"Inner London", "Outer London"}


def test_northumberland_2022_published_figures(panel):
    assert value(panel, "Northumberland", 2022, "turnover_rate") == 15.9
    assert value(panel, "Northumberland", 2022, "leavers_fte") == 28.8
    assert value(panel, "Northumberland", 2022, "agency_rate") == 6.2
    assert value(panel, "Northumberland", 2021, "agency_rate") == 10.0
    assert value(panel, "Northumberland", 2022, "inpost_fte") == 181.1


@pytest.mark.parametrize("release", [None, 2022, 2023])
def test_wokingham_seed_table_agency_rate_2022(panel, release):
    # the Wokingham 2023 committee paper's table (DfE Feb 2023 release = our 2022 release,
    # headline-measures layout); unchanged in every later release
    expected = {"Slough": 38.5, "Windsor and Maidenhead": 36.1, "West Berkshire": 33.0,
                "Reading": 27.8, "Wokingham": 24.2, "Bracknell Forest": 17.5}
    for name, v in expected.items():
        assert value(panel, name, 2022, "agency_rate", release) == v
    assert value(panel, "South East", 2022, "agency_rate", release, "regional") == 17.9
    assert value(panel, "England", 2022, "agency_rate", release, "national") == 17.6


def test_headline_layout_is_mapped_to_canonical_measures(panel):
    r22 = D.release_panel(panel, 2022)
    # social_worker_fte -> inpost_fte, leaver_fte -> leavers_fte, caseload_fte -> caseload
    assert value(panel, "Wokingham", 2022, "inpost_fte", 2022) == 86.3
    assert value(panel, "Wokingham", 2022, "leavers_fte", 2022) == 15.2
    assert value(panel, "England", 2022, "caseload", 2022, "national") == 16.6
    assert value(panel, "England", 2022, "absence_rate", 2022, "national") == 3.5
    # that layout has no starters
    assert not (r22["measure"] == "starters_fte").any()
    assert not any(m.endswith("%") for m in panel["measure"].unique())


def test_newest_release_wins_and_revisions_stay(panel):
    # England 2022 turnover: 17.1 in the 2022 and 2023 releases, revised to 17.2 in 2024
    eng = panel[(panel["area_level"] == "national") & (panel["time_period"] == 2022)
                & (panel["measure"] == "turnover_rate")].set_index("release")
    assert eng.loc[2022, "value"] == 17.1
    assert eng.loc[2023, "value"] == 17.1
    assert eng.loc[2024, "value"] == 17.2
    assert eng.loc[2025, "value"] == 17.2
    assert eng["is_latest"].to_dict() == {2022: False, 2023: False, 2024: False, 2025: True}
    # leavers revised 5421 (2023 release) -> 5422
    assert value(panel, "England", 2022, "leavers_fte", 2023, "national") == 5421
    assert value(panel, "England", 2022, "leavers_fte", None, "national") == 5422
    # exactly one newest row per LA key x period x measure
    lat = D.latest(panel)
    assert not lat.duplicated(["area_level", "area_code", "old_la_code", "time_period",
                               "measure"]).any()


def test_suppression_symbols_become_missing_with_symbol_kept(panel):
    lat = D.latest(panel)
    kc = lat[(lat["area_name"] == "Kensington and Chelsea") & (lat["time_period"] == 2025)]
    assert kc["value"].isna().all() and set(kc["symbol"]) == {"x"}
    sund = lat[(lat["area_name"] == "Sunderland") & (lat["time_period"] == 2025)
               & (lat["measure"] == "agency_fte")]
    assert np.isnan(sund["value"].iloc[0]) and sund["symbol"].iloc[0] == "low"
    assert set(panel["symbol"]) <= {"", "x", "z", "u", "c", "low", ":"}
    # a published number has an empty symbol
    assert (panel.loc[panel["value"].notna(), "symbol"] == "").all()


def test_joint_return_supersedes_older_separate_rows(panel):
    # the 2022 release published Kingston (314) and Richmond (318) separately for 2021-2022;
    # later releases publish one joint row, "314 / 318"
    old = panel[(panel["old_la_code"] == "318") & (panel["measure"] == "agency_rate")]
    assert set(old["release"]) == {2022} and set(old["time_period"]) == {2021, 2022}
    assert not old["is_latest"].any()
    lat = D.latest(panel)
    joint = lat[(lat["old_la_code"] == "314 / 318") & (lat["measure"] == "agency_rate")]
    assert set(joint["time_period"]) == set(range(2017, 2026))
    assert set(joint["area_name"]) == {"Kingston upon Thames / Richmond upon Thames"}


def test_london_authorities_belong_to_london_with_subregion(panel):
    lat = D.latest(panel)
    camden = lat[lat["area_name"] == "Camden"]
    assert set(camden["region_name"]) == {"London"}
    assert set(camden["region_code"]) == {"E12000007"}
    assert set(camden["subregion_name"]) == {"Inner London"}


def test_wide_has_one_column_per_measure(panel):
    w = D.wide(panel, ["agency_rate", "turnover_rate"], level="la")
    row = w[(w["area_name"] == "Northumberland") & (w["time_period"] == 2022)]
    assert row[["agency_rate", "turnover_rate"]].iloc[0].tolist() == [6.2, 15.9]
    assert not w.duplicated(["old_la_code", "time_period"]).any()


def test_panel_is_parsed_once_per_folder_and_copies_are_independent(data_dir):
    before = D._load_cached.cache_info()
    a = D.load_panel(data_dir)
    a.loc[:, "value"] = -1.0
    b = D.load_panel(data_dir)
    after = D._load_cached.cache_info()
    assert after.hits >= before.hits + 2 and after.misses == before.misses
    assert (b["value"] != -1.0).any()
    # library code reading with panel=None shares one frame, so id-keyed caches stay warm
    shared = D.shared_panel(data_dir)
    assert shared is D.shared_panel(data_dir) and shared is not b
    assert (shared["value"] != -1.0).any()


def _mini_release(path, rows, header=None):
    header = header or ("time_period,time_identifier,geographic_level,country_code,country_name,"
                        "region_code,region_name,old_la_code,new_la_code,la_name,agency_rate_fte,"
                        "turnover_rate_fte")
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_release_precedence_and_cache_invalidation_on_small_folder(tmp_path):
    la = "Reporting year,Local authority,E92000001,England,E12000008,South East,872,E06000041,Wokingham"
    _mini_release(tmp_path / "csww_indicators_2017_to_2023.csv",
                  [f"2022,{la},24.2,17.6", f"2023,{la},20.0,x"])
    p = D.load_panel(tmp_path)
    assert p.loc[(p["time_period"] == 2023) & (p["measure"] == "turnover_rate"), "symbol"].iloc[0] == "x"
    _mini_release(tmp_path / "csww_indicators_2017_to_2024.csv",
                  [f"2023,{la},21.0,12.5", f"2024,{la},19.0,11.0"])
    p = D.load_panel(tmp_path)  # a new file: the cache must not serve the old panel
    lat = D.latest(p).set_index(["time_period", "measure"])["value"]
    assert lat[(2022, "agency_rate")] == 24.2      # only the older release has 2022
    assert lat[(2023, "agency_rate")] == 21.0      # revised by the newer release
    assert lat[(2023, "turnover_rate")] == 12.5

    assert sorted(p.loc[(p["time_period"] == 2023) & (p["measure"] == "agency_rate"), "release"]) == [2023, 2024]


def test_bad_files_are_one_line_errors(tmp_path):
    (tmp_path / "csww_indicators_2017_to_2024.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputFileError, match="missing column 'time_period'"):
        D.load_panel(tmp_path)
    _mini_release(tmp_path / "csww_indicators_2017_to_2024.csv",
                  ["2024,Reporting year,Parish,E92000001,England,,,,,,1,2"])
    with pytest.raises(InputFileError, match=r"record 2: field geographic_level") as exc:
        D.load_panel(tmp_path)
    assert "\n" not in str(exc.value)


def test_no_data_is_no_data_error(tmp_path):
    with pytest.raises(NoDataError):
        D.load_panel(tmp_path)


# ------------------------------------------------------------------------- area resolution

@pytest.mark.parametrize("query, name, code", [
    ("Wokingham", "Wokingham", "872"),
    ("wokingham", "Wokingham", "872"),
    ("872", "Wokingham", "872"),
    ("E06000041", "Wokingham", "872"),
    ("Windsor & Maidenhead", "Windsor and Maidenhead", "868"),
    ("Royal Borough of Windsor and Maidenhead", "Windsor and Maidenhead", "868"),
    ("West Berks", "West Berkshire", "869"),
    ("Bristol", "Bristol, City of", "801"),
    ("Hull", "Kingston upon Hull, City of", "810"),
    ("St Helens", "St. Helens", "342"),
    ("Southend-on-Sea", "Southend-on-Sea", "882"),
    ("BCP", "Bournemouth, Christchurch and Poole", "839"),
])
def test_resolve_names_and_codes(panel, query, name, code):
    a = A.resolve_area(query, panel=panel)
    assert (a.name, a.old_la_code, a.area_level) == (name, code, "la")


def test_resolve_region_and_england(panel):
    a = A.resolve_area("Wokingham", panel=panel)
    assert (a.region_name, a.region_code, a.area_code) == ("South East", "E12000008", "E06000041")
    assert A.resolve_area("England", panel=panel).area_level == "national"
    assert A.resolve_area("South East", panel=panel).area_code == "E12000008"


def test_ambiguous_and_unknown_names_are_user_errors(panel):
    with pytest.raises(UserError, match="ambiguous"):
        A.resolve_area("Kingston", panel=panel)
    with pytest.raises(UserError, match="no local authority matching"):
        A.resolve_area("Atlantis", panel=panel)


@pytest.mark.parametrize("query", ["Richmond upon Thames", "richmond", "318", "E09000027"])
def test_richmond_gives_the_joint_return(panel, query):
    a = A.resolve_area(query, panel=panel)
    assert a.old_la_code == "314 / 318" and a.is_joint
    assert a.name == "Kingston upon Thames / Richmond upon Thames"
    assert a.query_name == "Richmond upon Thames"
    assert any("joint workforce return with Kingston upon Thames" in n for n in a.notes)
    assert a.years == tuple(range(2017, 2026))


def test_north_northamptonshire_joint_and_boundary_change(panel):
    a = A.resolve_area("North Northamptonshire", panel=panel)
    assert a.old_la_code == "940 / 941" and a.years == tuple(range(2021, 2026))
    assert a.predecessors == ("928",)
    text = " ".join(a.notes)
    assert "joint workforce return with West Northamptonshire" in text
    assert "The 2022 release published separate figures for North Northamptonshire" in text
    n = A.resolve_area("Northamptonshire", panel=panel, year=2022)
    assert n.old_la_code == "928" and n.years == (2017, 2018, 2019, 2020)
    assert any("replaced by North Northamptonshire and West Northamptonshire" in x for x in n.notes)


def test_cumbria_and_its_successors(panel):
    c = A.resolve_area("Cumbria", panel=panel, year=2024)
    assert c.old_la_code == "909" and c.years == tuple(range(2017, 2023))
    assert not c.has_year(2024)
    assert any("no published figures for Cumbria for 2024" in n
               and "replaced by Cumberland and Westmorland and Furness" in n for n in c.notes)
    cu = A.resolve_area("Cumberland", panel=panel, year=2021)
    assert cu.old_la_code == "942" and cu.years == (2023, 2024, 2025)
    assert any("Before then it was part of Cumbria" in n for n in cu.notes)
    assert A.resolve_area("Westmorland", panel=panel).old_la_code == "943"


def test_dorset_old_and_new_and_bournemouth_poole(panel):
    assert A.resolve_area("Dorset", panel=panel).old_la_code == "838"
    old = A.resolve_area("Dorset", panel=panel, year=2017)
    assert old.old_la_code == "835" and old.area_code == "E10000009"
    assert any("does not include Christchurch" in n for n in old.notes)
    poole = A.resolve_area("Poole", panel=panel, year=2020)
    assert poole.old_la_code == "836" and poole.successors == ("839",)
    assert any("replaced by Bournemouth, Christchurch and Poole" in n for n in poole.notes)


def test_ons_code_change_under_same_dfe_number(panel):
    ny = A.resolve_area("North Yorkshire", panel=panel)
    assert ny.old_la_code == "815" and ny.area_code == "E06000065"
    assert ny.years == tuple(range(2017, 2026))
    assert any("E10000023 (2017–2022), E06000065 (2023–2025)" in n for n in ny.notes)
    # either code finds it
    assert A.resolve_area("E10000023", panel=panel).old_la_code == "815"


def test_all_areas_2025_is_every_published_la_row(panel):
    a = A.all_areas(panel, 2025)
    assert len(a) == 151
    assert "314 / 318" in set(a["old_la_code"]) and "940 / 941" in set(a["old_la_code"])
    assert "909" not in set(a["old_la_code"])
    assert len(A.all_areas(panel, 2022)) == 150


# -------------------------------------------------------------------- statistical neighbours

def test_statistical_neighbours_2025_model(panel, data_dir):
    res = A.statistical_neighbours("Wokingham", panel=panel, data_dir=data_dir)
    sn = res.table()
    assert res.sn_of == "872" and res.model == "2025" and res.notes == []
    assert list(sn["rank"]) == list(range(1, 11))
    assert sn.iloc[0][["old_la_code", "area_name", "closeness"]].tolist() == [
        "868", "Windsor and Maidenhead", "Close"]
    # Richmond upon Thames is a neighbour: its figures are the joint return's
    rich = sn[sn["old_la_code"] == "318"].iloc[0]
    assert rich["data_code"] == "314 / 318" and rich["area_name"] == "Richmond upon Thames"


def test_statistical_neighbours_2021_model_bom_and_duplicate_headers(panel, data_dir):
    sn = A.statistical_neighbours("Wokingham", model="2021", panel=panel, data_dir=data_dir).table()
    assert sn["old_la_code"].tolist() == ["936", "868", "825", "869", "867", "919", "895",
                                          "931", "857", "850"]
    assert sn["closeness"].iloc[0] == "Very close"
    # City of London, the first row after the BOM
    col = A.statistical_neighbours("201", model="2021", panel=panel, data_dir=data_dir).table()
    assert col["old_la_code"].iloc[0] == "207" and col["closeness"].iloc[0] == "Not close"


def test_joint_partner_is_not_its_own_neighbour(panel, data_dir):
    res = A.statistical_neighbours("Richmond upon Thames", panel=panel, data_dir=data_dir)
    sn = res.table()
    kingston = sn[sn["old_la_code"] == "314"].iloc[0]
    assert kingston["data_code"] is None
    assert "not counted twice" in kingston["note"]
    assert res.sn_of == "318"
    assert any("joint return" in n for n in res.notes)


def test_neighbours_mapped_across_boundary_changes(panel, data_dir):
    # 2021 model: Cumbria's neighbour North Northamptonshire (940) did not exist in 2020:
    # Northamptonshire (928) stands in
    sn = A.statistical_neighbours("Cumbria", model="2021", panel=panel, data_dir=data_dir,
                                  year=2020).table()
    nn = sn[sn["old_la_code"] == "940"].iloc[0]
    assert nn["data_code"] == "928" and "used in its place" in nn["note"]
    # Cumberland is not in the 2021 model: Cumbria's neighbours are used, and said so
    cu = A.statistical_neighbours("Cumberland", model="2021", panel=panel, data_dir=data_dir)
    assert any("neighbours of Cumbria" in n for n in cu.notes)
    assert repr(cu).startswith("<Neighbours Cumberland, 2021 model: 10 neighbours")
    # Cumbria is not in the 2025 model and was split in two: a clear error
    with pytest.raises(UserError, match="not in the 2025 statistical neighbour model"):
        A.statistical_neighbours("Cumbria", panel=panel, data_dir=data_dir)


def test_parsed_panel_is_kept_on_disk_between_processes(tmp_path, monkeypatch):
    monkeypatch.setenv("SWANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "data"
    folder.mkdir()
    la = "Reporting year,Local authority,E92000001,England,E12000008,South East,872,E06000041,Wokingham"
    _mini_release(folder / "csww_indicators_2017_to_2023.csv", [f"2022,{la},24.2,17.6"])
    first = D.load_panel(folder)
    pickles = list((tmp_path / "cache" / "panel-cache").glob("panel-*.pkl"))
    assert len(pickles) == 1
    D._load_cached.cache_clear()          # as a new process would start
    again = D.load_panel(folder)
    pd.testing.assert_frame_equal(first, again)
    # a changed file is parsed again, never served stale
    _mini_release(folder / "csww_indicators_2017_to_2023.csv", [f"2022,{la},25.0,17.6"])
    D._load_cached.cache_clear()
    changed = D.load_panel(folder)
    assert changed.loc[changed["measure"] == "agency_rate", "value"].iloc[0] == 25.0
    assert len(list((tmp_path / "cache" / "panel-cache").glob("panel-*.pkl"))) == 2


def test_every_2025_authority_resolves_by_name_and_by_number(panel):
    rows = A.all_areas(panel, 2025)
    for r in rows.itertuples():
        assert A.resolve_area(r.old_la_code, panel=panel).old_la_code == r.old_la_code
        assert A.resolve_area(r.area_name, panel=panel, year=2025).old_la_code == r.old_la_code
        assert A.resolve_area(r.area_code, panel=panel).old_la_code == r.old_la_code
