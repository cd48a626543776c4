"""Synthetic councils (swanalysis.synth): valid returns, calibration to the published figures,
truth that matches what was written, determinism, and the planted leaving process."""

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from swanalysis.cli import main
from swanalysis.synth import generate, parse_years, true_retention
from swanalysis.errors import UserError

SWENO = re.compile(r"[A-Za-z]{2}\d{10}")


def _published(data_dir, la_name):
    """Published figures for one authority read straight from the newest CSV (csv module)."""
    out = {}
    with open(Path(data_dir) / "csww_indicators_2017_to_2025.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["geographic_level"] == "Local authority" and row["la_name"] == la_name:
                out[int(row["time_period"])] = row
    return out


def _from_xml(path):
    """Figures recomputed from one written return with ElementTree."""
    root = ET.parse(path).getroot()
    f = defaultdict(float)
    f["swenos"] = set()
    f["leaver_swenos"] = []
    ref = root.find("Header/CollectionDetails/ReferenceDate").text
    ref_year = int(ref[:4])
    for w in root.iter("CSWWWorker"):
        get = lambda tag: (w.find(tag).text if w.find(tag) is not None else None)  # noqa: E731
        f["swenos"].add(get("SWENo"))
        f["records"] += 1
        agency = get("AgencyWorker") == "1"
        end = get("RoleEndDate")
        if agency:
            f["agency_fte"] += float(get("FTE30"))
        elif end is None:
            f["inpost_fte"] += float(get("FTE30"))
            f["inpost_n"] += 1
            start = get("RoleStartDate")
            f["under_12"] += start > f"{ref_year - 1}-09-30"
            f["over_2"] += start < f"{ref_year - 2}-09-30"
        else:
            f["leavers_fte"] += float(get("FTE"))
            f["leaver_swenos"].append(get("SWENo"))
        if end is None and int(get("Cases30")) > 0:
            f["cases"] += int(get("Cases30"))
            f["case_fte"] += float(get("FTE30"))
    f["turnover_rate"] = 100 * f["leavers_fte"] / f["inpost_fte"]
    f["agency_rate"] = 100 * f["agency_fte"] / (f["agency_fte"] + f["inpost_fte"])
    f["caseload"] = f["cases"] / f["case_fte"]
    return ref_year, f


# --------------------------------------------------------------------------------------------
def test_every_return_is_valid_against_the_xsd(synthetic_council, schema_path):
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(schema_path))
    assert [p.name for p in synthetic_council.returns] == [
        f"csww_{y}_356.xml" for y in range(2019, 2025)]
    for path in synthetic_council.returns:
        errors = list(schema.iter_errors(str(path)))
        assert errors == [], f"{path.name}: {errors[0]}"


def test_return_layout_and_codes(synthetic_council):
    root = ET.parse(synthetic_council.returns[0]).getroot()
    assert root.tag == "Message"
    assert root.findtext("Header/CollectionDetails/Collection") == "CSWW"
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == "2019-09-30"
    assert root.findtext("Header/Source/LEA") == "356"
    workers = root.findall("CSWWWorker")
    assert all(SWENO.fullmatch(w.findtext("SWENo")) for w in workers)
    fte = [w.findtext("FTE") for w in workers]
    assert all(re.fullmatch(r"[01]\.\d{6}", v) for v in fte)
    perm_leavers = [w for w in workers if w.find("RoleEndDate") is not None]
    assert perm_leavers and all(w.find("ReasonLeave") is not None
                                and w.find("LeaverDestination") is not None
                                and w.find("FTE30") is None for w in perm_leavers)
    # every end date inside the census year, never after the reference date
    assert all("2018-10-01" <= w.findtext("RoleEndDate") <= "2019-09-30" for w in perm_leavers)
    agency = [w for w in workers if w.findtext("AgencyWorker") == "1"]
    assert agency and all(w.find("RoleEndDate") is None for w in agency)
    # ASYE (CFKSSstatus 1) exactly for newly qualified workers within 365 days of starting
    # (on the reference date, or on the leaving date for leavers)
    asye = 0
    for w in workers:
        if w.findtext("AgencyWorker") == "1":
            continue
        until = np.datetime64(w.findtext("RoleEndDate") or "2019-09-30")
        days = (until - np.datetime64(w.findtext("RoleStartDate"))).astype(int)
        expected = w.findtext("StartOrigin") == "1" and days < 365
        assert (w.findtext("CFKSSstatus") == "1") == expected
        asye += expected
    assert asye > 5


def test_calibrated_within_ten_percent_of_published(synthetic_council, data_dir):
    pub = _published(data_dir, "Stockport")
    for path in synthetic_council.returns:
        year, got = _from_xml(path)
        p = pub[year]
        for ours, theirs in [("inpost_fte", "inpost_fte"), ("turnover_rate", "turnover_rate_fte"),
                             ("agency_rate", "agency_rate_fte"), ("caseload", "caseload_fte")]:
            published = float(p[theirs])
            assert got[ours] == pytest.approx(published, rel=0.10), (year, ours, got[ours], published)


def test_truth_counts_equal_what_was_written(synthetic_council):
    truth = json.loads(synthetic_council.truth_path.read_text())
    swenos, leavers, records = set(), 0, 0
    for path in synthetic_council.returns:
        year, got = _from_xml(path)
        swenos |= got["swenos"]
        leavers += len(got["leaver_swenos"])
        records += got["records"]
        ty = truth["by_year"][str(year)]
        assert ty["records"] == got["records"]
        assert ty["inpost_fte"] == pytest.approx(got["inpost_fte"], abs=1e-6)
        assert ty["leavers_fte"] == pytest.approx(got["leavers_fte"], abs=1e-6)
        assert ty["turnover_rate"] == pytest.approx(got["turnover_rate"], abs=1e-3)
        assert ty["agency_rate"] == pytest.approx(got["agency_rate"], abs=1e-3)
        assert ty["caseload"] == pytest.approx(got["caseload"], abs=1e-3)
        assert ty["n_under_12_months"] == got["under_12"]
        assert ty["n_over_2_years"] == got["over_2"]
        assert ty["leavers_headcount"] == len(got["leaver_swenos"])
        assert sum(ty["leavers_by_service"].values()) == len(got["leaver_swenos"])
    assert truth["n_workers"] == len(swenos)
    assert truth["n_leavers"] == leavers
    assert truth["n_records"] == records
    ep = synthetic_council.true_episodes
    assert len(ep) == truth["n_spells"]
    assert set(ep["worker_id"]) == swenos
    # a few leavers come back (new spell, same SWENo): spells outnumber workers by exactly them
    assert truth["n_returners"] > 0
    assert truth["n_spells"] - truth["n_workers"] == truth["n_returners"]
    # the history starts long before the first return: many spells enter late
    perm = ep[~ep["agency"]]
    assert (perm["entry_days"] > 0).sum() == truth["n_late_entry_spells"] > 100
    assert perm["entry_days"].max() > 10 * 365


def test_truth_json_holds_no_swenos_and_the_planted_effects(synthetic_council):
    text = synthetic_council.truth_path.read_text()
    assert not SWENO.search(text)
    truth = json.loads(text)
    assert truth["hr_per_case"] == 1.04 and truth["hr_per_1000_salary"] == 0.95
    assert truth["hazard"]["b_case"] == pytest.approx(np.log(1.04))
    assert set(truth["true_retention"]) == {"6", "12", "24", "36", "60"}
    r = [truth["true_retention"][k] for k in ("6", "12", "24", "36", "60")]
    assert all(a > b for a, b in zip(r, r[1:])) and 0 < r[-1] < r[0] < 1
    # truth.json sits beside the returns' folder, not among the XML files
    assert synthetic_council.truth_path.parent == synthetic_council.out_dir
    assert all(p.suffix == ".xml" for p in synthetic_council.returns[0].parent.iterdir())


def test_payroll_extract_matches_in_post_permanent_staff(synthetic_council):
    from swanalysis.workerdata.payroll import load_column_map, parse_money

    cmap = load_column_map(synthetic_council.hr_map_path)
    assert cmap["worker_id"] == "Employee Ref" and cmap["salary"] == "Annual Salary (FTE)"
    pay = pd.read_csv(synthetic_council.payroll_path, dtype=str)
    assert pay["Annual Salary (FTE)"].str.fullmatch(r"£\d{2,3},\d{3}").all()
    salary = parse_money(pay["Annual Salary (FTE)"])
    assert salary.between(25_000, 100_000).all()
    for path in synthetic_council.returns:
        root = ET.parse(path).getroot()
        year = int(root.findtext("Header/CollectionDetails/Year"))
        in_post = {w.findtext("SWENo") for w in root.iter("CSWWWorker")
                   if w.findtext("AgencyWorker") == "0" and w.find("RoleEndDate") is None}
        rows = pay[pay["Census Year"] == str(year)]
        assert set(rows["Employee Ref"]) == in_post and len(rows) == len(in_post)
    # pay awards: the median salary rises from the first to the last year
    med = salary.groupby(pay["Census Year"]).median()
    assert med["2024"] > med["2019"] * 1.1
    # salary varies with role: team managers earn more than social workers
    assert salary[pay["Grade"] == "TM"].median() > salary[pay["Grade"] == "SW"].median()


def test_same_seed_same_files_other_seed_other_files(data_dir, tmp_path):
    a = generate("Wokingham", "2023-2024", seed=5, data_dir=data_dir, retention_draws=2000,
                 out_dir=tmp_path / "a")
    b = generate("872", [2023, 2024], seed=5, data_dir=data_dir, retention_draws=2000,
                 out_dir=tmp_path / "b")
    c = generate("Wokingham", "2023-2024", seed=6, data_dir=data_dir, retention_draws=2000)
    for pa, pb in zip(a.returns, b.returns):
        assert pa.read_bytes() == pb.read_bytes()
    assert a.payroll_path.read_bytes() == b.payroll_path.read_bytes()
    assert a.truth_path.read_text() == b.truth_path.read_text()
    assert a._xml[2024] != c._xml[2024]


def test_scale_multiplies_size_not_rates(synthetic_council_large, data_dir):
    pub = _published(data_dir, "Stockport")
    truth = synthetic_council_large.truth
    for year, ty in truth["by_year"].items():
        p = pub[int(year)]
        assert ty["inpost_fte"] == pytest.approx(10 * float(p["inpost_fte"]), rel=0.02)
        assert ty["agency_rate"] == pytest.approx(float(p["agency_rate_fte"]), rel=0.10)
    # stationary: one baseline multiplier for every year; turnover matches only on average
    assert len(set(truth["hazard"]["year_multipliers"].values())) == 1
    mean_ours = np.mean([ty["turnover_rate"] for ty in truth["by_year"].values()])
    mean_pub = np.mean([float(pub[int(y)]["turnover_rate_fte"]) for y in truth["by_year"]])
    assert mean_ours == pytest.approx(mean_pub, rel=0.25)


def test_kaplan_meier_with_entry_recovers_true_retention(synthetic_council_large):
    """Independent check with lifelines: delayed-entry KM covers the simulated truth at 12 and
    24 months; ignoring late entry overstates retention beyond the interval."""
    from lifelines import KaplanMeierFitter

    ep = synthetic_council_large.true_episodes
    ep = ep[~ep["agency"]]
    km = KaplanMeierFitter().fit(ep["duration_days"], ep["event"], entry=ep["entry_days"])
    naive = KaplanMeierFitter().fit(ep["duration_days"], ep["event"])
    ci = km.confidence_interval_survival_function_
    for months in (12, 24):
        t = months * 365.25 / 12
        truth = synthetic_council_large.truth["true_retention"][str(months)]
        lo, hi = ci.iloc[ci.index.searchsorted(t, side="right") - 1]
        assert lo <= truth <= hi, (months, lo, truth, hi)
        assert naive.survival_function_at_times(t).iloc[0] > hi + 0.03


def test_cox_time_varying_recovers_planted_hazard_ratios(synthetic_council_large):
    """Independent check with lifelines: caseload and salary at census k, interval
    (census k, census k+1], tenure time scale: the 95% intervals cover the planted ratios."""
    from lifelines import CoxTimeVaryingFitter

    wy = synthetic_council_large.true_worker_years
    wy = wy[~wy["agency"] & wy["in_post"] & (wy["census_year"] < 2024)]
    nxt = wy["reference_date"] + pd.DateOffset(years=1)
    left = wy["end_date"].notna() & (wy["end_date"] <= nxt)
    stop = np.where(left, wy["end_date"], nxt)
    d = pd.DataFrame({
        "id": wy["worker_id"] + "/" + wy["spell"].astype(str),
        "start": (wy["reference_date"] - wy["start_date"]).dt.days,
        "stop": (pd.to_datetime(stop) - wy["start_date"]).dt.days,
        "event": left.astype(int),
        "caseload": wy["cases30"], "salary": wy["salary"] / 1000,
        "from_agency": (wy["entry_route"] == "from_agency").astype(int),
    })
    fit = CoxTimeVaryingFitter().fit(d, id_col="id", start_col="start", stop_col="stop",
                                     event_col="event")
    s = fit.summary
    truth = synthetic_council_large.truth
    for term, planted in [("caseload", truth["hr_per_case"]),
                          ("salary", truth["hr_per_1000_salary"])]:
        assert s.loc[term, "exp(coef) lower 95%"] <= planted <= s.loc[term, "exp(coef) upper 95%"]


def test_validate_and_ingest_agree_with_truth(synthetic_council, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SWANALYSIS_PSEUDO_KEY", "synthetic-test-key-0123456789")
    returns = [str(p) for p in synthetic_council.returns]
    assert main(["validate", *returns]) == 0
    out = tmp_path / "ingested"
    assert main(["ingest", "--csww", *returns, "--hr", str(synthetic_council.payroll_path),
                 "--hr-map", str(synthetic_council.hr_map_path), "--out", str(out)]) == 0
    validation = pd.read_csv(out / "validation.csv")
    assert not (validation["severity"] == "error").any()
    ep = pd.read_csv(out / "episodes.csv")
    truth = synthetic_council.truth
    assert ep["worker_id"].nunique() == truth["n_workers"]
    assert len(ep) == truth["n_spells"]
    assert int(ep["event"].sum()) == truth["n_leavers"]
    assert int(ep["agency"].astype(str).str.lower().eq("true").sum()) == truth["n_spells_agency"]
    written = set()
    for path in synthetic_council.returns:
        written |= _from_xml(path)[1]["swenos"]
    for f in out.iterdir():
        found = set(SWENO.findall(f.read_text())) & written
        assert not found, f.name
    wy = pd.read_csv(out / "worker_years.csv")
    # every in-post permanent worker-year got its salary from the payroll extract
    perm_in = wy[(wy["agency"].astype(str).str.lower() == "false")
                 & (wy["in_post"].astype(str).str.lower() == "true")]
    assert perm_in["salary"].notna().all()


def test_cli_writes_a_council_and_reports_bad_input(data_dir, tmp_path, capsys):
    out = tmp_path / "council"
    assert main(["synth", "--la", "E06000041", "--years", "2024-2024", "--out", str(out),
                 "--seed", "2", "--data-dir", str(data_dir)]) == 0
    assert (out / "truth.json").exists() and (out / "csww" / "csww_2024_872.xml").exists()
    assert (out / "payroll.csv").exists() and (out / "payroll_map.yaml").exists()
    capsys.readouterr()
    assert main(["synth", "--la", "Atlantis", "--out", str(tmp_path / "x"),
                 "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Atlantis" in err and "Traceback" not in err
    assert main(["synth", "--la", "872", "--years", "2019-20x", "--out", str(tmp_path / "y"),
                 "--data-dir", str(data_dir)]) == 2


def test_parse_years():
    assert parse_years("2019-2024") == list(range(2019, 2025))
    assert parse_years("2022") == [2022]
    with pytest.raises(UserError):
        parse_years("2019,2021")
    with pytest.raises(UserError):
        parse_years("soon")


def test_true_retention_needs_a_council():
    with pytest.raises(UserError):
        true_retention((12,), None)


def test_ingest_reproduces_the_true_tables(synthetic_council):
    """Every episode and worker-year the reader builds equals the generator's own table
    (after keying the SWENo the same way): dates, events, late entry, routes, pay, caseload."""
    from swanalysis.workerdata.ingest import ingest
    from swanalysis.workerdata.pseudonymise import Pseudonymiser

    key = "synthetic-test-key-0123456789"
    res = ingest([str(p) for p in synthetic_council.returns], hr=str(synthetic_council.payroll_path),
                 hr_map=str(synthetic_council.hr_map_path), key=key)
    pseudo = Pseudonymiser(key)
    true_ep = synthetic_council.true_episodes.assign(
        worker_id=lambda d: pseudo.series(d["worker_id"]))
    ep = true_ep.merge(res.episodes, on=["worker_id", "spell"], how="outer", indicator=True,
                       suffixes=("_true", "_read"))
    assert (ep["_merge"] == "both").all()
    for col in ["start_date", "end_date", "event", "censor_date", "duration_days", "entry_days",
                "entry_route", "agency", "role", "reason_leave", "leaver_destination",
                "destination_group", "first_census", "last_census", "age_band",
                "start_cohort", "cfkss_asye"]:
        a, b = ep[f"{col}_true"], ep[f"{col}_read"]
        same = (a == b) | (a.isna() & b.isna())
        assert same.all(), (col, ep.loc[~same, [f"{col}_true", f"{col}_read"]].head(3))
    true_wy = synthetic_council.true_worker_years.assign(
        worker_id=lambda d: pseudo.series(d["worker_id"]))
    wy = true_wy.merge(res.worker_years, on=["worker_id", "spell", "census_year"], how="outer",
                       indicator=True, suffixes=("_true", "_read"))
    assert (wy["_merge"] == "both").all()
    for col in ["fte", "fte30", "cases30", "working_days_lost", "salary", "tenure_days"]:
        np.testing.assert_allclose(wy[f"{col}_true"].astype(float), wy[f"{col}_read"].astype(float),
                                   err_msg=col)
    for col in ["in_post", "left_in_year", "agency", "role", "entry_route", "age_band"]:
        assert (wy[f"{col}_true"] == wy[f"{col}_read"]).all(), col
