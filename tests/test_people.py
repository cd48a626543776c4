"""Who the social workers are (the DfE's role-by-characteristics file) and how often looked-after
children change social worker: the readers and the analysis, checked against the published file
read independently with the csv module."""

from __future__ import annotations

import csv
import gzip
import statistics
from pathlib import Path

import numpy as np
import pytest

from swanalysis import people
from swanalysis.errors import InputFileError
from swanalysis.published import characteristics as C
from swanalysis.published.areas import area_index, resolve_area



@pytest.fixture(scope="module")
def chars_dir(data_dir):
    """The shared folder beside the indicators (read in place, passed explicitly)."""
    return Path(data_dir).parent / "csww_characteristics"


@pytest.fixture(scope="module")
def raw(chars_dir):
    path = chars_dir / "csww_role_by_characteristics_inpost_2019_to_2025.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def chars(chars_dir):
    return C.read_characteristics(chars_dir)


@pytest.fixture(scope="module")
def panel(data_dir):
    from swanalysis.published.panel import shared_panel

    return shared_panel(data_dir)


@pytest.fixture(scope="module")
def wokingham(panel):
    return resolve_area("Wokingham", panel=panel, year=2022)


def _neighbour_codes(panel, area, year):
    from swanalysis.published.areas import statistical_neighbours

    idx = area_index(panel).set_index("key")
    sn = statistical_neighbours(area, panel=panel, year=year).table()
    return [idx.loc[k, "area_code"] for k in sn["data_code"] if k]


def test_reader_keeps_every_row_and_the_symbols(raw, chars):
    assert len(chars) == len(raw) == 134_589
    published_x = sum(r["inpost_FTE"] == "x" for r in raw)
    published_low = sum(r["inpost_FTE"] == "low" for r in raw)
    assert published_x > 0 and published_low > 0
    assert (chars["fte_symbol"] == "x").sum() == published_x
    assert (chars["fte_symbol"] == "low").sum() == published_low
    assert chars.loc[chars["fte_symbol"] != "", "fte"].isna().all()
    # London boroughs belong to the London region, as in the indicators panel
    camden = chars[(chars["area_name"] == "Camden")]
    assert set(camden["region_name"]) == {"London"}


def test_wokingham_2022_under_30_share_is_the_published_13_9(chars, panel, wokingham):
    table = people.characteristics_table(chars, wokingham, 2022,
                                         _neighbour_codes(panel, wokingham, 2022))
    assert list(table.columns) == ["area_name", "area_type", "time_period", "role",
                                   "breakdown_topic", "breakdown", "fte", "fte_pct", "headcount",
                                   "headcount_pct"]
    row = table[(table["area_type"] == "la") & (table["time_period"] == 2022)
                & (table["role"] == "Total") & (table["breakdown"] == "20 to 29 years old")]
    assert row["fte_pct"].tolist() == [13.9]
    assert row["fte"].tolist() == [12.0] and row["headcount_pct"].tolist() == [13.3]
    assert set(table["time_period"]) == {2019, 2020, 2021, 2022}
    assert set(table["area_type"]) == {"la", "sn_median", "region", "england"}
    eng = table[(table["area_type"] == "england") & (table["time_period"] == 2022)
                & (table["role"] == "Case holder") & (table["breakdown_topic"] == "Sex")
                & (table["breakdown"] == "Female")]
    assert len(eng) == 1


def test_neighbour_median_is_the_median_of_the_neighbours_published_values(chars, raw, panel,
                                                                          wokingham):
    codes = _neighbour_codes(panel, wokingham, 2022)
    table = people.characteristics_table(chars, wokingham, 2022, codes)
    got = table[(table["area_type"] == "sn_median") & (table["time_period"] == 2022)
                & (table["role"] == "Total") & (table["breakdown"] == "50 to 59 years old")]
    by_hand = [float(r["inpost_FTE_percentage"]) for r in raw
               if r["time_period"] == "2022" and r["new_la_code"] in codes
               and r["role"] == "Total" and r["breakdown"] == "50 to 59 years old"]
    assert len(by_hand) == 10
    assert got["fte_pct"].iloc[0] == pytest.approx(statistics.median(by_hand))
    each = people.characteristics_table(chars, wokingham, 2022, codes, each_neighbour=True)
    assert each.loc[each["area_type"] == "neighbour", "area_name"].nunique() == 10


def test_mix_summary_matches_the_published_england_figures(chars, wokingham):
    table = people.characteristics_table(chars, wokingham, 2022)
    mix = people.mix_summary(table).set_index(["area_type", "time_period"])
    eng = mix.loc[("england", 2022)]
    # 2022 release, England: 25,668.9 FTE of known ethnicity, 75.5% White -> 24.6% other groups
    assert eng["ethnic_minority"] == pytest.approx(24.6, abs=0.05)
    assert eng["case_holders"] == pytest.approx(100 * 14909.8 / 31634.1, abs=0.05)
    assert eng["under_30"] == pytest.approx(15.3, abs=0.05)
    text = " ".join(people.describe_people(people.mix_summary(table), "Wokingham", 2022))
    assert "14% of Wokingham's social workers (FTE) were aged under 30" in text


def test_gaps_are_said_not_hidden(chars, panel):
    cumbria = resolve_area("Cumbria", panel=panel, year=2022)
    table = people.characteristics_table(chars, cumbria, 2022)
    assert "la" not in set(table["area_type"])
    assert any("no figures for Cumbria for 2019–2022" in n for n in table.attrs["notes"])
    said = people.describe_people(people.mix_summary(table), "Cumbria", 2022)
    assert said == ["The DfE has not published the age, sex and ethnicity of Cumbria's social "
                    "workers for 2022."]
    early = people.characteristics_table(chars, resolve_area("Wokingham", panel=panel, year=2018),
                                         2018)
    assert any("none for 2018" in n for n in early.attrs["notes"])


def test_cla_stability_for_an_authority_a_joint_return_and_a_suppressed_one(panel, chars_dir):
    stab = C.read_cla_stability(chars_dir / "cla_social_worker_stability_2024.csv")
    w = people.cla_stability_table(stab, resolve_area("Wokingham", panel=panel, year=2024),
                                   2024).set_index("area_type")
    assert (w.loc["la", "children"], w.loc["la", "three_plus"], w.loc["la", "three_plus_pct"]) \
        == (137, 14, 10)
    assert w.loc["england", "three_plus_pct"] == 27 and w.loc["region", "area_name"] == "South East"
    # Kingston (36 of 130) and Richmond (33 of 110) publish separately; their joint return adds up
    k = people.cla_stability_table(stab, resolve_area("Richmond upon Thames", panel=panel,
                                                      year=2024), 2024).set_index("area_type")
    assert (k.loc["la", "children"], k.loc["la", "three_plus"]) == (240, 69)
    assert k.loc["la", "three_plus_pct"] == round(100 * 69 / 240)
    barnet = stab[stab["area_name"] == "Barnet"].iloc[0]
    assert np.isnan(barnet["three_plus_pct"]) and barnet["symbol"] == "x"


def test_a_bad_file_is_one_line_naming_record_and_field(tmp_path):
    bad = tmp_path / "csww_role_by_characteristics_inpost_2019_to_2025.csv"
    bad.write_text("time_period,geographic_level,country_code,region_code,region_name,old_la_code,"
                   "new_la_code,la_name,role,breakdown_topic,breakdown,inpost_FTE,"
                   "inpost_FTE_percentage,inpost_headcount,inpost_headcount_percentage\n"
                   "2022,National,E92000001,,,,,,Total,Age group,Total,10,100,11,100\n"
                   "2022,National,E92000001,,,,,,Total,Age group,20 to 29 years old,ten,10,1,9\n")
    with pytest.raises(InputFileError) as exc:
        C.read_characteristics(tmp_path)
    msg = str(exc.value)
    assert "record 3" in msg and "inpost_fte" in msg and "ten" not in msg and "\n" not in msg
    missing = tmp_path / "other"
    missing.mkdir()
    (missing / "cla_social_worker_stability_2024.csv").write_text("time_period,geographic_level\n")
    with pytest.raises(InputFileError, match="missing column 'sw_stability'"):
        C.read_cla_stability(missing)


def test_the_built_in_snapshot_reads_the_same(chars, chars_dir):
    """No path given and nothing beside the data: the package's snapshot gives the same tables."""
    from swanalysis.config import SNAPSHOT_DIR

    snap = SNAPSHOT_DIR / "csww_characteristics"
    assert C.characteristics_dir(data_dir="/nonexistent/csww") == C.characteristics_dir()
    pd_testing = __import__("pandas").testing
    pd_testing.assert_frame_equal(C.read_characteristics(snap), chars)
    pd_testing.assert_frame_equal(C.read_cla_stability(snap),
                                  C.read_cla_stability(chars_dir))


def test_own_mix_counts_as_the_dfe_does():
    """Employed social workers in post at 30 September, FTE-weighted; agency and leavers out;
    unknown ethnicity out of the ethnic shares; fewer than min_group workers: nothing."""
    import pandas as pd

    rows = []
    for i in range(10):
        rows.append({"worker_id": f"w{i}", "census_year": 2023, "in_post": True, "agency": False,
                     "fte": 1.0 if i < 8 else 0.5,
                     "age_band": ["under 25", "25-29", "30-39", "40-49", "50-59", "60+", "30-39",
                                  "unknown", "40-49", "30-39"][i],
                     "gender": "Female" if i < 7 else "Male",
                     "ethnicity": ["WBRI", "BAFR", "AIND", "WOTH", "REFU", "WBRI", "MWBC", "WBRI",
                                   "WBRI", "NOBT"][i],
                     "role": "Case Holder" if i < 6 else ("First Line Manager" if i < 8 else
                                                         "Senior Practitioner")})
    rows.append({**rows[0], "worker_id": "agency", "agency": True, "gender": "Male"})
    rows.append({**rows[0], "worker_id": "gone", "in_post": False, "gender": "Male"})
    wy = pd.DataFrame(rows)
    mix = people.own_mix(wy, 2023)
    # FTE 9.0 in all; ages known for 8.0 FTE: under 30 = 2.0, 50+ = 2.0
    assert mix["under_30"] == pytest.approx(25.0) and mix["aged_50_plus"] == pytest.approx(25.0)
    assert mix["female"] == pytest.approx(round(100 * 7 / 9, 1))
    # ethnicity known for 7.5 FTE (not REFU, not NOBT); BAFR, AIND, MWBC = 3.0
    assert mix["ethnic_minority"] == pytest.approx(round(100 * 3 / 7.5, 1))
    assert mix["case_holders"] == pytest.approx(round(100 * 6 / 9, 1))
    assert mix["managers"] == pytest.approx(round(100 * 2 / 9, 1))
    assert people.own_mix(wy, 2023, min_group=11).isna().all()


def test_parsed_files_are_kept_on_disk_between_processes(tmp_path, monkeypatch, chars, chars_dir):
    """The parsed characteristics file is kept under the cache folder: a new process (the
    in-memory cache cleared) reads back the same frame without parsing; a changed file is parsed
    again, never served stale; a file that does not parse is never kept; SWANALYSIS_PANEL_CACHE=0
    keeps nothing."""
    import pandas as pd

    monkeypatch.setenv("SWANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "chars"
    folder.mkdir()
    path = folder / "csww_role_by_characteristics_inpost_2019_to_2025.csv.gz"
    path.write_bytes((chars_dir / path.name).read_bytes())
    first = C.read_characteristics(folder)
    pd.testing.assert_frame_equal(first, chars)
    kept = list((tmp_path / "cache" / "characteristics-cache").glob("characteristics-*.pkl"))
    assert len(kept) == 1
    C._read_characteristics.cache_clear()  # as a new process starts
    parsed = []
    monkeypatch.setattr(C, "_parse_characteristics", lambda p: parsed.append(p))  # must not run
    again = C.read_characteristics(folder)
    assert parsed == [] and again is not first
    pd.testing.assert_frame_equal(again, chars)
    assert again.attrs == chars.attrs
    monkeypatch.undo()
    monkeypatch.setenv("SWANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    # a changed file: parsed afresh (its first data row's FTE changed), a second cache file
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    fte = rows[0].index("inpost_FTE")
    rows[1][fte] = "123456.5"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    C._read_characteristics.cache_clear()
    changed = C.read_characteristics(folder)
    assert changed["fte"].iloc[0] == 123456.5 and chars["fte"].iloc[0] != 123456.5
    assert len(list((tmp_path / "cache" / "characteristics-cache").glob("*.pkl"))) == 2
    # a damaged cache file is parsed again
    for k in (tmp_path / "cache" / "characteristics-cache").glob("*.pkl"):
        k.write_bytes(b"not a pickle")
    C._read_characteristics.cache_clear()
    assert C.read_characteristics(folder)["fte"].iloc[0] == 123456.5
    # a bad file is refused and not kept; with the cache off nothing is written
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / path.name.removesuffix(".gz")).write_text("time_period,geographic_level\n2022,National\n")
    with pytest.raises(InputFileError):
        C.read_characteristics(bad)
    assert len(list((tmp_path / "cache" / "characteristics-cache").glob("*.pkl"))) == 2
    monkeypatch.setenv("SWANALYSIS_PANEL_CACHE", "0")
    monkeypatch.setenv("SWANALYSIS_CACHE_DIR", str(tmp_path / "off"))
    C._read_characteristics.cache_clear()
    C.read_characteristics(folder)
    assert not (tmp_path / "off").exists()
    C._read_characteristics.cache_clear()
