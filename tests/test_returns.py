"""Reading CSWW returns (XML, CSV, XLSX), code lists, and the payroll extract."""

from __future__ import annotations

import pandas as pd
import pytest

from csww_fixtures import worker, write_csv, write_xml, xml_return
from swanalysis.workerdata import codes as C
from swanalysis.errors import InputFileError, UserError
from swanalysis.workerdata.ingest import ingest
from swanalysis.workerdata.payroll import load_column_map, parse_money, read_payroll
from swanalysis.workerdata.pseudonymise import Pseudonymiser
from swanalysis.workerdata.returns import expand_paths, read_return

KEY = "test-key-returns"
P = Pseudonymiser(KEY)


def test_xml_header_vacancies_items_and_pseudonyms(tmp_path):
    ws = [worker("AB0000000001", "2019-03-04", CFKSSstatus=["1", "3"], ContractWeeks=["52.0", "40.5"]),
          worker("ab0000000002", "2020-05-06", "2021-07-31", Cases30=None)]
    path = write_xml(tmp_path / "any_name.xml", ws, year=2021, lea="872")
    rd = read_return(path, key=KEY)
    assert (rd.lea, rd.census_year, rd.reference_date) == ("872", 2021, pd.Timestamp("2021-09-30"))
    assert rd.vacancies == {"NumberOfVacancies": "3.50", "NoAgencyFTE": "2.00", "NoAgencyHeadcount": "2"}
    r = rd.records
    assert list(r["record"]) == [1, 2]
    assert list(r["worker_id"]) == [P("AB0000000001"), P("AB0000000002")]  # case-insensitive link
    assert "SWENo" not in r.columns and "PersonBirthDate" not in r.columns
    assert r.loc[0, "CFKSSstatus"] == "1;3" and r.loc[0, "ContractWeeks"] == "52.0;40.5"
    assert r.loc[1, "RoleEndDate"] == "2021-07-31" and r.loc[1, "Cases30"] is None
    assert r.loc[0, "age_band"] == "30-39"  # born 1985-06-15, 36 on 2021-09-30
    assert rd.issues == []


def test_namespaced_xml_and_unknown_items_kept_with_a_warning(tmp_path):
    text = xml_return([worker("AB0000000001", "2019-03-04", NewItem2025="7")], year=2024)
    text = text.replace("<Message>", '<Message xmlns="http://example.org/csww">')
    path = tmp_path / "ns.xml"
    path.write_text(text, encoding="utf-8")
    rd = read_return(path, key=KEY)
    assert rd.records.loc[0, "NewItem2025"] == "7"
    assert rd.records.loc[0, "OrgRole"] == "5"
    [w] = rd.issues
    assert (w.rule, w.field, w.severity, w.record) == ("unknown_item", "NewItem2025", "warning", 0)


def test_reference_date_from_year_or_file_name_else_clear_error(tmp_path):
    p1 = write_xml(tmp_path / "ret.xml", [worker("AB0000000001", "2019-03-04")], year=2022, reference_date=None)
    text = p1.read_text().replace("<ReferenceDate>2022-09-30</ReferenceDate>", "")
    p1.write_text(text)
    rd = read_return(p1, key=KEY)
    assert rd.reference_date == pd.Timestamp("2022-09-30")
    assert [i.rule for i in rd.issues] == ["header_inferred"]

    p2 = write_xml(tmp_path / "csww_2020_123.xml", [worker("AB0000000001", "2019-03-04")], header=False)
    rd = read_return(p2, key=KEY)
    assert (rd.census_year, rd.lea) == (2020, "123")
    assert {i.field for i in rd.issues} == {"ReferenceDate", "LEA"}

    p3 = write_xml(tmp_path / "no_year_here.xml", [worker("AB0000000001", "2019-03-04")], header=False)
    with pytest.raises(InputFileError, match=r"no_year_here.xml: no ReferenceDate .*file name"):
        read_return(p3, key=KEY)


def _typed(res):
    return res.worker_years.sort_values(["worker_id", "census_year"]).reset_index(drop=True)


def test_csv_and_xlsx_returns_read_like_xml(tmp_path):
    ws = [worker("AB0000000001", "2019-03-04", CFKSSstatus="2"),
          worker("AB0000000002", "2020-05-06", "2021-07-31"),
          worker("AB0000000003", agency="1")]
    (tmp_path / "x").mkdir()
    (tmp_path / "c").mkdir()
    (tmp_path / "e").mkdir()
    write_xml(tmp_path / "x" / "r.xml", ws, year=2021, lea="872")
    write_csv(tmp_path / "c" / "r.csv", ws, year=2021, lea="872")
    df = pd.read_csv(tmp_path / "c" / "r.csv", dtype=str, keep_default_na=False)
    df.to_excel(tmp_path / "e" / "r.xlsx", index=False)
    x, c, e = (ingest([tmp_path / d], key=KEY) for d in "xce")
    assert len(x.worker_years) == 3
    pd.testing.assert_frame_equal(_typed(x), _typed(c))
    pd.testing.assert_frame_equal(_typed(x), _typed(e))
    pd.testing.assert_frame_equal(x.episodes, c.episodes)


def test_csv_repeated_columns_fold_into_one_item(tmp_path):
    path = tmp_path / "csww_2021_872.csv"
    path.write_text("SWENo,AgencyWorker,RoleStartDate,QualInst,CFKSSstatus,CFKSSstatus\n"
                    "AB0000000001,0,2019-03-04,Uni,1,3\n"
                    ",,,,,\n", encoding="utf-8")
    rd = read_return(path, key=KEY)
    assert rd.n_records == 1 and rd.records.loc[0, "CFKSSstatus"] == "1;3"
    assert rd.census_year == 2021 and rd.lea == "872"
    assert "missing_column" in {i.rule for i in rd.issues}


def test_csv_missing_id_columns_is_one_line_error(tmp_path):
    path = tmp_path / "csww_2021.csv"
    path.write_text("Employee,FTE\nAB0000000001,1\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_return(path, key=KEY)
    assert str(err.value) == f"{path}: missing column(s) SWENo, AgencyWorker (headers must be the XSD item names)"
    assert "AB0000000001" not in str(err.value)


def test_expand_paths_takes_returns_from_folders(tmp_path):
    for n in ("b.xml", "a.csv", "c.xlsx", "notes.txt", "d.XML"):
        (tmp_path / n).write_text("x")
    got = [p.name for p in expand_paths([tmp_path])]
    assert got == ["a.csv", "b.xml", "c.xlsx", "d.XML"]


# ------------------------------------------------------------------ codes


def test_code_lists_match_the_xsd(schema_path):
    loaded = C.codes_for_items(schema_path)
    builtin = C.codes_for_items()
    assert set(loaded) == set(builtin) == set(C.ITEM_TYPES)
    for item in builtin:
        assert list(loaded[item]) == list(builtin[item]), item
    assert loaded["OrgRole"]["5"] == builtin["OrgRole"]["5"] == "Case Holder"
    assert loaded["ReasonLeave"]["7"] == "Moved to a Non-child and Family Social Work Role Within LA"
    assert len(loaded["Ethnicity"]) == 18 and len(loaded["StartOrigin"]) == 10


def test_entry_route_and_destination_group_mappings():
    assert [C.entry_route(c) for c in ["1", "2", "3", "4", "5", "8", "10", None]] == [
        "newly_qualified", "experienced_other_la", "other", "from_agency", "other", "other", "other", "other"]
    assert [C.destination_group(c) for c in ["1", "2", "3", "4", "5", "6", "7", "8", "9", None]] == [
        "another_la", "other", "agency", "other", "left_social_work", "left_social_work", "other", "other", "other", None]
    assert set(C.ENTRY_ROUTE.values()) | {"other"} == set(C.ENTRY_ROUTES)
    assert set(C.DESTINATION_GROUP.values()) == set(C.DESTINATION_GROUPS)
    assert set(C.DESTINATION_GROUP) == set(C.CODE_TYPES["leavertype"])


# ------------------------------------------------------------------ payroll


def test_money_formats():
    s = pd.Series(["£41,840", "41840", "41,840.00", " £ 41,840.50 ", "GBP 30000", "", "n/a", "4l,000", None])
    got = parse_money(s)
    assert got[:5].tolist() == [41840.0, 41840.0, 41840.0, 41840.5, 30000.0]
    assert got[5:].isna().all()


def _map(tmp_path, extra=""):
    m = tmp_path / "map.yaml"
    m.write_text("columns:\n  worker_id: Employee Ref\n  salary: Annual Salary (FTE)\n  fte: Contract FTE\n"
                 "  team: Team\n" + extra, encoding="utf-8")
    return m


def test_payroll_read_pseudonymised_and_reported(tmp_path):
    pay = tmp_path / "pay.csv"
    pay.write_text("Employee Ref,Annual Salary (FTE),Contract FTE,Team\n"
                   'AB0000000001,"£41,840",1.0,North\n'
                   "AB0000000002,38000,0.8,South\n"
                   "not-an-id,40000,1,East\n"
                   'ZZ9999999999,"41,840.00",1,West\n', encoding="utf-8")
    df, issues = read_payroll(pay, load_column_map(_map(tmp_path)), key=KEY)
    assert list(df["worker_id"]) == [P("AB0000000001"), P("AB0000000002"), P("ZZ9999999999")]
    assert list(df["salary"]) == [41840.0, 38000.0, 41840.0]
    assert list(df["team"]) == ["North", "South", "West"]
    assert list(issues["rule"]) == ["hr_id_invalid"] and issues.loc[0, "record"] == 3
    assert "not-an-id" not in issues.loc[0, "message"]

    write_xml(tmp_path / "r2021.xml", [worker("AB0000000001", "2019-01-01"), worker("AB0000000003", "2019-01-01"),
                                       worker("AB0000000004", agency="1")], year=2021)
    res = ingest([tmp_path / "r2021.xml"], hr=pay, hr_map=_map(tmp_path), key=KEY)
    h = res.summary["hr"]
    assert (h["payroll_workers"], h["matched_workers"], h["unmatched_payroll_workers"],
            h["unmatched_return_workers"], h["unmatched_return_agency_workers"]) == (3, 1, 2, 1, 1)
    v = res.validation
    assert (v["rule"] == "hr_unmatched_payroll").sum() == 2
    assert v.loc[v["rule"] == "hr_unmatched_returns", "message"].str.contains("1 non-agency").all()
    wy = res.worker_years.set_index("worker_id")
    assert wy.loc[P("AB0000000001"), "salary"] == 41840.0 and wy.loc[P("AB0000000001"), "team"] == "North"
    assert pd.isna(wy.loc[P("AB0000000003"), "salary"])
    assert res.episodes.set_index("worker_id").loc[P("AB0000000001"), "team"] == "North"


def test_payroll_by_census_year(tmp_path):
    pay = tmp_path / "pay.csv"
    pay.write_text("Employee Ref,Year,Annual Salary (FTE),Contract FTE,Team\n"
                   "AB0000000001,2021,30000,1,N\nAB0000000001,2022,31000,1,N\n", encoding="utf-8")
    write_xml(tmp_path / "a.xml", [worker("AB0000000001", "2019-01-01")], year=2021)
    write_xml(tmp_path / "b.xml", [worker("AB0000000001", "2019-01-01")], year=2022)
    res = ingest([tmp_path / "a.xml", tmp_path / "b.xml"], hr=pay, hr_map=_map(tmp_path, "  census_year: Year\n"),
                 key=KEY)
    assert res.worker_years["salary"].tolist() == [30000.0, 31000.0]


def test_column_map_errors_are_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  salary: Pay\n", encoding="utf-8")
    with pytest.raises(UserError, match="lacks required key"):
        load_column_map(bad)
    bad.write_text("columns:\n  worker_id: A\n  salary: B\n  colour: C\n", encoding="utf-8")
    with pytest.raises(UserError, match="unknown key"):
        load_column_map(bad)
    pay = tmp_path / "pay.csv"
    pay.write_text("Ref,Pay\nAB0000000001,1\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_payroll(pay, load_column_map(_map(tmp_path)), key=KEY)
    assert "worker_id ('Employee Ref')" in str(err.value) and "\n" not in str(err.value)


def test_example_map_in_params_has_the_issue_shape():
    import pathlib

    m = load_column_map(pathlib.Path(__file__).resolve().parents[1] / "params" / "hr_map_example.yaml")
    assert m == {"worker_id": "Employee Ref", "salary": "Annual Salary (FTE)", "fte": "Contract FTE",
                 "job_title": "Job Title", "grade": "Grade", "team": "Team"}


def test_csv_with_uk_dates_and_header_columns(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("LEA,ReferenceDate,SWENo,AgencyWorker,QualInst,RoleStartDate,RoleEndDate,ReasonLeave,OrgRole\n"
                    "872,30/09/2021,AB0000000001,0,Uni,01/02/2020,,,5.0\n"
                    "872,30/09/2021,AB0000000002,0,Uni,2019-04-01,31/03/2021,1,5\n", encoding="utf-8")
    res = ingest([path], key=KEY)
    ep = res.episodes.set_index("worker_id")
    assert res.returns[["lea", "census_year"]].values.tolist() == [["872", 2021]]
    assert ep.loc[P("AB0000000001"), "start_date"] == pd.Timestamp("2020-02-01")
    assert ep.loc[P("AB0000000002"), "end_date"] == pd.Timestamp("2021-03-31")
    assert ep.loc[P("AB0000000001"), "role"] == "Case Holder"  # "5.0" from a spreadsheet is code 5
    assert not (res.validation["severity"] == "error").any()
