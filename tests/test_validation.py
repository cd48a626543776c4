"""Record-level validation rules: each rule fires on the record it should, with the right severity,
and messages name file, record and field but never an identifier."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from csww_fixtures import worker, write_xml
from swanalysis.workerdata.ingest import ingest
from swanalysis.workerdata.validation import ISSUE_COLUMNS, RULES, ValidationIssue, issues_frame, summary_by_rule

KEY = "test-key-validation"
SWENO_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{10}(?!\d)")

# (record number in the 2023 return, rule, field, severity, kept?)
CASES = [
    (1, None, None, None, True),  # a clean record
    (2, "mandatory_missing", "SWENo", "error", False),
    (3, "swe_pattern", "SWENo", "error", False),
    (4, "code_invalid", "OrgRole", "warning", True),
    (5, "code_invalid", "AgencyWorker", "error", False),
    (6, "fte_range", "FTE", "warning", True),
    (7, "cases_negative", "Cases30", "warning", True),
    (8, "cases_high", "Cases30", "warning", True),
    (9, "end_before_start", "RoleEndDate", "error", False),
    (10, "end_after_reference", "RoleEndDate", "warning", True),
    (11, "start_in_future", "RoleStartDate", "error", False),
    (12, "leaver_no_end_date", "RoleEndDate", "warning", True),
    (13, "date_invalid", "RoleEndDate", "warning", True),
    (14, "start_missing", "RoleStartDate", "error", False),
    (15, "number_invalid", "Cases30", "warning", True),
    (16, "decimal_places", "FTE", "warning", True),
    (17, "mandatory_missing", "QualInst", "warning", True),
    (18, "mandatory_missing", "AgencyWorker", "error", False),
    (19, "code_invalid", "CFKSSstatus", "warning", True),
    (20, "end_before_year", "RoleEndDate", "warning", True),
    (21, "leaver_no_reason", "ReasonLeave", "info", True),
    (22, None, None, None, True),  # first copy of a duplicate: kept
    (23, "duplicate_worker", "SWENo", "error", False),
    (24, "date_invalid", "PersonBirthDate", "warning", True),
]


def _records():
    s = lambda i: f"VA{i:010d}"  # noqa: E731
    return [
        worker(s(1), "2020-01-01"),
        worker(None, "2020-01-01"),
        worker("V12345678901", "2020-01-01"),
        worker(s(4), "2020-01-01", OrgRole="7"),
        worker(s(5), "2020-01-01", agency="2"),
        worker(s(6), "2020-01-01", FTE="1.200000"),
        worker(s(7), "2020-01-01", Cases30="-3"),
        worker(s(8), "2020-01-01", Cases30="75"),
        worker(s(9), "2020-01-01", "2019-12-31"),
        worker(s(10), "2020-01-01", "2023-10-15"),
        worker(s(11), "2023-12-01"),
        worker(s(12), "2020-01-01", ReasonLeave="1"),
        worker(s(13), "2020-01-01", "31st May"),
        worker(s(14)),
        worker(s(15), "2020-01-01", Cases30="twelve"),
        worker(s(16), "2020-01-01", FTE="0.12345678"),
        worker(s(17), "2020-01-01", QualInst=None),
        worker(s(18), "2020-01-01", agency=None),
        worker(s(19), "2020-01-01", CFKSSstatus=["1", "9"]),
        worker(s(20), "2020-01-01", "2022-05-01"),
        worker(s(21), "2020-01-01", "2023-05-01", ReasonLeave=None, LeaverDestination=None),
        worker(s(22), "2021-03-01"),
        worker(s(22), "2021-03-01"),
        worker(s(24), "2020-01-01", PersonBirthDate="1985-02-30"),
    ]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("val")
    write_xml(folder / "csww_2023_999.xml", _records(), year=2023)
    return folder / "csww_2023_999.xml", ingest([folder], key=KEY)


def test_each_rule_fires_on_its_record(result):
    path, res = result
    v = res.validation
    assert list(v.columns) == ISSUE_COLUMNS
    assert set(v["file"]) == {str(path)}
    for rec, rule, field, sev, _ in CASES:
        got = v[v["record"] == rec]
        if rule is None:
            assert got.empty, (rec, got.to_dict("records"))
            continue
        hit = got[(got["rule"] == rule) & (got["field"] == field)]
        assert len(hit) == 1, (rec, rule, got.to_dict("records"))
        assert hit.iloc[0]["severity"] == sev
        assert hit.iloc[0]["message"].startswith(f"record {rec}: ")
        assert set(got["rule"]) <= {rule, "leaver_no_reason", "end_before_year"}, (rec, set(got["rule"]))


def test_errors_quarantine_warnings_keep(result):
    _, res = result
    kept_expected = sum(1 for c in CASES if c[4])
    assert res.summary["records"] == len(CASES)
    assert res.summary["records_accepted"] == kept_expected
    assert res.summary["records_quarantined"] == len(CASES) - kept_expected
    assert len(res.worker_years) == kept_expected


def test_values_set_to_missing_or_kept(result):
    _, res = result
    from swanalysis.workerdata.pseudonymise import Pseudonymiser

    p = Pseudonymiser(KEY)
    wy = res.worker_years.set_index("worker_id")
    ep = res.episodes.set_index("worker_id")
    assert pd.isna(wy.loc[p("VA0000000006"), "fte"])          # FTE 1.2 ignored
    assert pd.isna(wy.loc[p("VA0000000007"), "cases30"])      # negative ignored
    assert wy.loc[p("VA0000000008"), "cases30"] == 75         # high but kept
    assert wy.loc[p("VA0000000016"), "fte"] == pytest.approx(0.12345678)
    assert wy.loc[p("VA0000000004"), "role"] is None or pd.isna(wy.loc[p("VA0000000004"), "role"])
    assert ep.loc[p("VA0000000010"), "event"] == 0            # future end date ignored: in post
    assert ep.loc[p("VA0000000012"), "event"] == 0            # reason without end date: in post
    assert ep.loc[p("VA0000000020"), "event"] == 1
    assert wy.loc[p("VA0000000024"), "age_band"] == "unknown"
    assert wy.loc[p("VA0000000019"), "cfkss_status"] == "1"   # invalid code 9 dropped, valid 1 kept


def test_no_identifier_in_any_message(result):
    _, res = result
    text = res.validation.to_csv(index=False)
    assert not SWENO_RE.search(text)
    assert "V12345678901" not in text and "1985-02-30" not in text


def test_summary_by_rule_counts(result):
    _, res = result
    table = summary_by_rule(res.validation)
    assert table["count"].sum() == len(res.validation)
    assert list(table["severity"]) == sorted(table["severity"], key=["error", "warning", "info"].index)
    counts = dict(zip(table["rule"] + "/" + table["severity"], table["count"]))
    assert counts["mandatory_missing/error"] == 2 and counts["mandatory_missing/warning"] == 1
    assert counts["code_invalid/warning"] == 2 and counts["code_invalid/error"] == 1
    assert all(r in RULES for r in table["rule"])


def test_issue_objects_and_frame():
    i = ValidationIssue("f.xml", 3, "FTE", "fte_range", "warning", "record 3: FTE 1.5 outside 0–1")
    df = issues_frame([i])
    assert df.to_dict("records") == [i.as_dict()]
    assert issues_frame([]).columns.tolist() == ISSUE_COLUMNS


def test_duplicate_return_for_same_year_is_ignored(tmp_path):
    write_xml(tmp_path / "a.xml", [worker("AB0000000001", "2020-01-01")], year=2023)
    write_xml(tmp_path / "b.xml", [worker("AB0000000002", "2020-01-01")], year=2023)
    res = ingest([tmp_path], key=KEY)
    assert res.summary["records"] == 1
    dup = res.validation[res.validation["rule"] == "duplicate_return"]
    assert len(dup) == 1 and dup.iloc[0]["file"].endswith("b.xml")


def test_every_rule_is_documented():
    import pathlib

    doc = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "worker-data.md").read_text(encoding="utf-8")
    for rule, (severity, _) in RULES.items():
        assert f"| `{rule}` | {severity} |" in doc, rule


def test_identifier_in_a_shifted_column_is_masked_in_messages(tmp_path):
    path = tmp_path / "shifted_2023.csv"
    path.write_text("SWENo,AgencyWorker,QualInst,RoleStartDate,OrgRole,Cases30\n"
                    "AB0000000001,0,Uni,2020-01-01,AB0000000001,CD0000000002\n", encoding="utf-8")
    res = ingest([path], key=KEY)
    v = res.validation
    assert set(v["rule"]) >= {"code_invalid", "number_invalid"}
    text = v.to_csv(index=False)
    assert "AB0000000001" not in text and "CD0000000002" not in text and not SWENO_RE.search(text)
    # no value from the record is quoted at all, identifier-shaped or not
    assert v.loc[v["rule"].isin(["code_invalid", "number_invalid"]), "message"].str.contains("value not shown").all()
