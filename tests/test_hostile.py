"""Hostile and careless inputs (issue 14): each is refused with one line (exit 2, no traceback) or
accepted with a warning naming the problem; nothing hangs, leaks a personal value or executes.

Every test here is bounded: subprocesses have a timeout and, where a blow-up is possible, an
address-space limit (``resource.RLIMIT_AS``), so a regression fails instead of eating the machine.
"""

from __future__ import annotations

import errno
import io
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from csww_fixtures import mini_council, worker, write_csv, write_xml
from swanalysis import safeio
from swanalysis.errors import InputFileError, UserError
from swanalysis.workerdata.ingest import ingest

KEY = "hostile-test-key"
HOSTILE = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)",
           "\t=1+1", "\r=1+1"]
GIB = 2**30


def run_cli(args, cwd, env=None, limit_bytes=GIB, timeout=60):
    """The real command line in its own process, memory-capped and time-limited."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes * 2, limit_bytes * 2))

    e = dict(os.environ, SWANALYSIS_PSEUDO_KEY=KEY, **(env or {}))
    return subprocess.run([sys.executable, "-m", "swanalysis", *map(str, args)], cwd=cwd, env=e,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=cap)


def one_line_error(proc, pattern=None):
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("swanalysis: error: "), proc.stderr
    if pattern:
        assert pattern in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------ exports cannot execute


def test_neutralise_keeps_numbers_and_defuses_formulas(tmp_path):
    odd = pd.DataFrame({"n": pd.Series([1, None], dtype=object), "b": [b"=x", "=y"], "c": pd.Categorical(["=z", "a"])})
    assert safeio.neutralise_frame(odd).to_dict("list") == {"n": [1, None], "b": [b"=x", "'=y"], "c": ["'=z", "a"]}
    safeio.write_csv(odd, tmp_path / "odd.csv")  # no error on columns without text
    df = pd.DataFrame({"text": HOSTILE + ["plain", "-3", "+4.5", "-1e-3", None],
                       "number": [-3.5, -1, 0, 2, 3, 4, 5, 6, 7, 8, 9, -0.25],
                       "mixed": [-3, "=1", 2.5, "-x", None, "ok", "@a", "-7", 1, 2, 3, 4]})
    out = safeio.neutralise_frame(df)
    assert out["text"].tolist()[:7] == ["'" + h for h in HOSTILE]
    assert out["text"].tolist()[7:11] == ["plain", "-3", "+4.5", "-1e-3"]  # numbers as text stay
    assert pd.isna(out["text"].iloc[11])
    assert out["number"].dtype == float and out["number"].tolist() == df["number"].tolist()
    assert out["mixed"].tolist()[:7] == [-3, "'=1", 2.5, "'-x", None, "ok", "'@a"]
    assert df["text"].iloc[0] == HOSTILE[0]  # the caller's frame is not changed


def test_csv_and_workbook_cells_are_text_not_formulas(tmp_path):
    df = pd.DataFrame({"=evil()": HOSTILE, "value": [-5.5, -1, 0, 1, 2, 3, 4]})
    safeio.write_csv(df, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_bytes().decode("utf-8")
    assert text.split("\n")[0] == '"\'=evil()","value"'  # a cell holds "\r": every text field quoted
    assert '"\'=cmd|\' /C calc\'!A0",-5.5' in text and '"\'\r=1+1",4.0' in text
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["value"].tolist() == df["value"].tolist() and len(back) == len(df)
    safeio.write_csv(df.iloc[:5], tmp_path / "u.csv")
    assert (tmp_path / "u.csv").read_text(encoding="utf-8").split("\n")[1] == "'=cmd|' /C calc'!A0,-5.5"
    safeio.write_workbook({"t": df}, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    assert ws["A2"].value == "'" + HOSTILE[0] and ws["A3"].value.startswith("'=HYPERLINK")
    assert ws["B2"].value == -5.5 and ws["B2"].data_type == "n"  # negative numbers stay numbers
    assert not list(tmp_path.glob(".*.tmp"))  # atomic: no temporary file left


def test_report_tables_neutralise_authority_names(tmp_path):
    """An authority name from a (doctored) published file reaches the report's tables as text."""
    from swanalysis.report.tables import write_tables

    ranking = pd.DataFrame({"authority": ["Stockport", "=HYPERLINK(\"http://evil\",\"Wigan\")", "-2+3+cmd|' /C calc'!A0"],
                            "turnover_rate": [12.5, -1.0, 3.0], "label": ["-2.5%", "-1,234", "+4"]})
    write_tables({"ranking": ranking, "=sheet": ranking}, tmp_path, "2025-01-31")
    back = pd.read_csv(tmp_path / "tables" / "ranking.csv")
    assert back["authority"].tolist() == ["Stockport", "'" + ranking["authority"][1], "'" + ranking["authority"][2]]
    assert back["turnover_rate"].tolist() == [12.5, -1.0, 3.0]
    assert back["label"].tolist() == ["-2.5%", "-1,234", "+4"]  # number-like text stays
    wb = openpyxl.load_workbook(tmp_path / "tables.xlsx")
    assert wb.sheetnames == ["ranking", "=sheet"]  # a sheet name is never evaluated
    for ws in wb.worksheets:
        assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
        assert ws["A3"].value.startswith("'=HYPERLINK") and ws["B3"].value == -1.0


def test_ingest_outputs_neutralise_payroll_text(tmp_path):
    """A payroll extract's team / job title / grade reach worker_years.csv and episodes.csv as text."""
    ret = tmp_path / "ret"
    ret.mkdir()
    council = mini_council(ret)
    from csww_fixtures import SWE

    rows = [{"Ref": SWE[k], "Pay": "£40,000", "Team": HOSTILE[i % len(HOSTILE)], "Title": "-SW", "Grade": "@G"}
            for i, k in enumerate("ABCDEGHJ")]
    pd.DataFrame(rows).to_csv(tmp_path / "payroll.csv", index=False)
    (tmp_path / "map.yaml").write_text("columns:\n  worker_id: Ref\n  salary: Pay\n  team: Team\n"
                                       "  job_title: Title\n  grade: Grade\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli(["ingest", "--csww", ret, "--hr", tmp_path / "payroll.csv", "--hr-map", tmp_path / "map.yaml",
                    "--out", out], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert council["n_spells"] > 0
    for name in ("episodes.csv", "worker_years.csv", "validation.csv"):
        raw = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        cells = pd.concat([raw[c] for c in raw.columns])
        assert not cells.str.match(r"^[=+@\t\r]").any(), name
        assert not cells[cells.str.startswith("-")].str.match(r"^-\D").any(), name
    wy = pd.read_csv(out / "worker_years.csv")
    assert {"'" + h for h in HOSTILE} & set(wy["team"])
    assert set(wy["job_title"].dropna()) == {"'-SW"}
    assert pd.api.types.is_numeric_dtype(wy["salary"]) and wy["salary"].max() == 40000


# ------------------------------------------------------------------ messages never echo a value


def test_shifted_csv_row_does_not_leak_the_birth_date(tmp_path):
    path = tmp_path / "shifted_2023.csv"
    # a missing QualInst shifts every later field one column left: the birth date lands in FTE
    path.write_text("SWENo,AgencyWorker,QualInst,FTE,RoleStartDate,PersonBirthDate\n"
                    "AB0000000001,0,1958-03-07,2020-01-01,,\n", encoding="utf-8")
    res = ingest([path], key=KEY)
    text = res.validation.to_csv(index=False)
    assert "1958-03-07" not in text and "1958" not in text and "2020-01-01" not in text
    msg = res.validation.loc[res.validation["field"] == "FTE", "message"].iloc[0]
    assert msg == "record 1: FTE is not a valid number (value not shown); set to missing"


# ------------------------------------------------------------------ bounded work

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")) + "la: *i\n"


def test_yaml_alias_bomb_params_refused_quickly(tmp_path):
    f = tmp_path / "bomb.yaml"
    f.write_text(ALIAS_BOMB, encoding="utf-8")
    t0 = time.perf_counter()
    proc = run_cli(["report", "--params", f, "--out", tmp_path / "o"], cwd=tmp_path, timeout=30)
    line = one_line_error(proc, "aliases (*name) are not allowed")
    assert str(f) in line and time.perf_counter() - t0 < 10


def test_yaml_alias_bomb_column_map_refused_quickly(tmp_path):
    ret = tmp_path / "ret"
    ret.mkdir()
    mini_council(ret)
    f = tmp_path / "map.yaml"
    f.write_text("columns:\n  worker_id: Ref\n  salary: Pay\n" + ALIAS_BOMB.replace("la:", "x:"), encoding="utf-8")
    (tmp_path / "p.csv").write_text("Ref,Pay\nAA0000000001,1\n", encoding="utf-8")
    proc = run_cli(["ingest", "--csww", ret, "--hr", tmp_path / "p.csv", "--hr-map", f, "--out", tmp_path / "o"],
                   cwd=tmp_path, timeout=30)
    one_line_error(proc, "column map")
    big = tmp_path / "big.yaml"
    big.write_text("columns:\n  worker_id: Ref\n  salary: Pay\n" + "# padding\n" * 20000, encoding="utf-8")
    with pytest.raises(UserError, match="larger than 64 KB"):
        from swanalysis.workerdata.payroll import load_column_map

        load_column_map(big)


def _zip_bomb_xlsx(path: Path, inflated: int) -> None:
    """A valid-looking .xlsx whose one sheet inflates to ``inflated`` bytes of blank cells."""
    ok = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["SWENo", "AgencyWorker"])
    wb.save(ok)
    with zipfile.ZipFile(ok) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>')
                with dst.open(info.filename, "w", force_zip64=True) as fh:
                    fh.write(head)
                    chunk = b"<row/>" * (2**20 // 6)
                    for _ in range(inflated // len(chunk)):
                        fh.write(chunk)
                    fh.write(b"</sheetData></worksheet>")
            else:
                dst.writestr(info, src.read(info.filename))


def test_xlsx_zip_bomb_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb_2023.xlsx"
    _zip_bomb_xlsx(path, 40 * 2**20)  # ~40 MB of rows in a file of ~100 KB
    assert path.stat().st_size < 1_000_000
    t0 = time.perf_counter()
    with pytest.raises(InputFileError, match="inflates .* times"):
        ingest([path], key=KEY)
    assert time.perf_counter() - t0 < 5


def test_xlsx_claiming_a_million_rows_is_refused_quickly(tmp_path):
    """A tiny sheet whose dimension says A1:XFD1048576 and whose second row is numbered 1,048,576."""
    ok = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["SWENo", "AgencyWorker"])
    wb.active.append(["AB0000000001", 0])
    wb.save(ok)
    path = tmp_path / "gap_2023.xlsx"
    with zipfile.ZipFile(ok) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:B2" />', b'<dimension ref="A1:XFD1048576" />')
                data = data.replace(b'<row r="2"', b'<row r="1048576"').replace(b'r="A2"', b'r="A1048576"')
                data = data.replace(b'r="B2"', b'r="B1048576"')
                assert b"XFD1048576" in data and b'r="1048576"' in data
            dst.writestr(info, data)
    t0 = time.perf_counter()
    with pytest.raises(InputFileError, match="more than 500,000 rows"):
        ingest([path], key=KEY)
    assert time.perf_counter() - t0 < 10


def test_xlsx_header_is_checked_before_the_rows_are_read(tmp_path, monkeypatch):
    path = tmp_path / "wrong_2023.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["Employee", "Salary"])
    for i in range(30000):
        ws.append([f"row {i}", i])
    wb.save(path)
    from swanalysis.workerdata import returns

    seen = []
    real = returns._cell_text
    monkeypatch.setattr(returns, "_cell_text", lambda v: seen.append(1) or real(v))
    with pytest.raises(InputFileError, match="missing column\\(s\\) SWENo, AgencyWorker"):
        returns.read_raw(path)
    assert not seen  # refused on the header alone


def test_xlsx_return_still_reads_like_csv(tmp_path):
    ws = [worker("AB0000000001", "2020-01-01", Cases30="12"), worker("CD0000000002", agency="1")]
    csv = write_csv(tmp_path / "r_2023.csv", ws, year=2023, lea="999")
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    df["FTE"] = 0.5  # a real number cell
    df.to_excel(tmp_path / "x_2023.xlsx", index=False)
    a = ingest([csv], key=KEY).episodes
    b = ingest([tmp_path / "x_2023.xlsx"], key=KEY).episodes
    assert len(a) == len(b) == 2 and list(a["worker_id"]) == list(b["worker_id"])


# ------------------------------------------------------------------ plausibility


def test_implausible_values_are_warned_and_not_believed(tmp_path):
    ws = [worker("AB0000000001", "2020-01-01", WorkingDaysLost="1000000000"),
          worker("AB0000000002", "2020-01-01", WorkingDaysLost="-3"),
          worker("AB0000000003", "2020-01-01", PersonBirthDate="2030-01-01"),
          worker("AB0000000004", "2020-01-01", PersonBirthDate="1900-01-01"),
          worker("AB0000000005", "2020-01-01", Cases30="5000"),
          worker("AB0000000006", "2020-01-01")]
    path = write_xml(tmp_path / "r.xml", ws, year=2023, lea="K3NT")
    res = ingest([path], key=KEY)
    v = res.validation
    rules = v.groupby("rule")["record"].apply(sorted).to_dict()
    assert rules["days_lost_range"] == [1, 2]
    assert rules["birth_date_implausible"] == [3, 4]
    assert rules["cases_implausible"] == [5]
    assert rules["lea_invalid"] == [0]
    assert "2030" not in v.to_csv(index=False) and "1900" not in v.to_csv(index=False)
    wy = res.worker_years
    assert wy["working_days_lost"].max() == 2.5 and wy["working_days_lost"].isna().sum() == 2
    assert wy["cases30"].max() == 15


def test_implausible_salaries_are_warned(tmp_path):
    mini = tmp_path / "ret"
    mini.mkdir()
    mini_council(mini)
    from csww_fixtures import SWE

    pay = pd.DataFrame({"Ref": [SWE["A"], SWE["D"], SWE["E"], SWE["G"]],
                        "Pay": ["0", "0.01", "999,999,999", "£41,840"]})
    pay.to_csv(tmp_path / "pay.csv", index=False)
    (tmp_path / "m.yaml").write_text("columns:\n  worker_id: Ref\n  salary: Pay\n", encoding="utf-8")
    res = ingest([mini], hr=tmp_path / "pay.csv", hr_map=tmp_path / "m.yaml", key=KEY)
    v = res.validation
    assert sorted(v.loc[v["rule"] == "hr_salary_range", "record"]) == [1, 2, 3]
    assert set(res.worker_years["salary"].dropna()) == {41840.0}


def test_year_and_reference_date_that_disagree_are_refused(tmp_path):
    from csww_fixtures import xml_return

    real = write_xml(tmp_path / "a_2023.xml", [worker("AB0000000001", "2020-01-01")], year=2023)
    wrong = tmp_path / "b_2022.xml"
    wrong.write_text(xml_return([worker("CD0000000002", "2019-01-01")], year=2022,
                                reference_date="2023-09-30"), encoding="utf-8")
    res = ingest([wrong, real], key=KEY, strict=False)
    assert res.unreadable and "Year 2022 and ReferenceDate 2023-09-30 name different censuses" in res.unreadable[0]
    assert res.summary["files_read"] == 1 and len(res.episodes) == 1  # the real 2023 return is kept


def test_reference_date_not_30_september_is_named_not_quarantined(tmp_path):
    ws = [worker(f"AB{i:010d}", f"2023-0{1 + i % 8}-01") for i in range(1, 10)]
    path = write_xml(tmp_path / "r.xml", ws, year=2023, reference_date="2023-03-31")
    res = ingest([path], key=KEY)
    v = res.validation
    moved = v[v["rule"] == "reference_date_moved"]
    assert len(moved) == 1 and "2023-03-31 is not 30 September" in moved.iloc[0]["message"]
    assert res.summary["records_quarantined"] == 0 and "start_in_future" not in set(v["rule"])


# ------------------------------------------------------------------ inputs where users put them


def test_synth_folder_validates_and_ingests(tmp_path):
    out = tmp_path / "x"
    proc = run_cli(["synth", "--la", "Stockport", "--years", "2022-2023", "--out", out, "--scale", "0.3"],
                   cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(["validate", out, "--issues", tmp_path / "issues.csv"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "files read: 2 of 2" in proc.stdout and "not_a_return" in proc.stdout
    issues = pd.read_csv(tmp_path / "issues.csv")
    left = issues[issues["rule"] == "not_a_return"]
    assert list(left["file"].str.rsplit("/", n=1).str[-1]) == ["payroll.csv"]
    assert "looks like a payroll extract" in left.iloc[0]["message"]
    proc = run_cli(["ingest", "--csww", out, "--hr", out / "payroll.csv", "--hr-map", out / "payroll_map.yaml",
                    "--out", tmp_path / "linked"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "linked" / "episodes.csv").exists()


# ------------------------------------------------------------------ one-line errors


def test_undecodable_encoding_declarations_are_one_line(tmp_path):
    for enc in ("UTF-7", "rot13", "x-nonsense", "punycode", "idna"):
        p = tmp_path / f"r_{enc}_2023.xml"
        p.write_text(f'<?xml version="1.0" encoding="{enc}"?><Message></Message>', encoding="ascii")
        with pytest.raises(InputFileError, match=f"declares an encoding that cannot be read \\('{enc}'\\)"):
            ingest([p], key=KEY)


def test_unreadable_return_is_one_line(tmp_path, monkeypatch, capsys):
    import builtins

    from swanalysis import cli

    path = write_xml(tmp_path / "r_2023.xml", [worker("AB0000000001", "2020-01-01")], year=2023)
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything (and nobody cannot run this venv): refuse as the OS would
        real_open = builtins.open

        def guarded(file, *a, **k):
            if str(file) == str(path):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
            return real_open(file, *a, **k)

        monkeypatch.setattr(builtins, "open", guarded)
    monkeypatch.setenv("SWANALYSIS_PSEUDO_KEY", KEY)
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"swanalysis: error: {path}: cannot be read (permission denied)"]


def test_impossible_date_in_params_is_one_line(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("la: Stockport\ndate_produced: 2025-02-30\n", encoding="utf-8")
    proc = run_cli(["report", "--params", f, "--out", tmp_path / "o"], cwd=tmp_path)
    one_line_error(proc, "'date_produced' must be a date YYYY-MM-DD, got '2025-02-30'")


def test_output_under_a_file_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    proc = run_cli(["synth", "--la", "Stockport", "--years", "2023-2023", "--out", tmp_path / "afile" / "sub"],
                   cwd=tmp_path)
    one_line_error(proc, "cannot create the output folder")
    proc = run_cli(["report", "--la", "Stockport", "--out", tmp_path / "afile" / "sub"], cwd=tmp_path)
    one_line_error(proc, "a part of the path is a file, not a folder")
    proc = run_cli(["ingest", "--csww", tmp_path / "nothing.xml", "--out", tmp_path / "afile"], cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_issues_naming_a_folder_is_one_line(tmp_path):
    write_xml(tmp_path / "r_2023.xml", [worker("AB0000000001", "2020-01-01")], year=2023)
    (tmp_path / "dir").mkdir()
    proc = run_cli(["validate", tmp_path / "r_2023.xml", "--issues", tmp_path / "dir"], cwd=tmp_path)
    one_line_error(proc, "is a folder")


def test_disk_full_during_ingest_leaves_the_old_outputs_whole(tmp_path, monkeypatch, capsys):
    ret = tmp_path / "ret"
    ret.mkdir()
    mini_council(ret)
    out = tmp_path / "out"
    from swanalysis import cli

    monkeypatch.setenv("SWANALYSIS_PSEUDO_KEY", KEY)
    assert cli.main(["ingest", "--csww", str(ret), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = pd.DataFrame.to_csv
    real_by_uniques = safeio._write_csv_by_uniques

    def fill_disk(path):
        with open(path, "w") as fh:
            fh.write("worker_id,spe")  # a partial write, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    def full(self, path=None, *a, **k):
        if "episodes" in str(path) or (len(self) and "spell_id" in self.columns):
            fill_disk(path)
        return real(self, path, *a, **k)

    def full_by_uniques(df, path, kwargs):  # csv_to's own writer, for plain frames
        if "episodes" in str(path):
            fill_disk(path)
        return real_by_uniques(df, path, kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    monkeypatch.setattr(safeio, "_write_csv_by_uniques", full_by_uniques)
    assert cli.main(["ingest", "--csww", str(ret), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"swanalysis: error: {out / 'episodes.csv'}: cannot write (disk full (no space left on device))"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # old outputs whole, no temp files


def test_line_break_in_a_file_name_cannot_forge_a_line(tmp_path):
    evil = tmp_path / "r\nswanalysis: all returns valid\n_2023.xml"
    evil.write_text("<Message><Header></Message>", encoding="utf-8")
    proc = run_cli(["validate", evil], cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "r\\nswanalysis: all returns valid\\n_2023.xml: malformed XML" in lines[0]
    assert not any(line.startswith("swanalysis: all") for line in proc.stdout.splitlines() + lines)


def test_empty_pseudonymisation_key_is_an_error(tmp_path, monkeypatch):
    from swanalysis.workerdata.pseudonymise import get_key

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for value in ("", "   "):
        monkeypatch.setenv("SWANALYSIS_PSEUDO_KEY", value)
        with pytest.raises(UserError, match="set but empty"):
            get_key()
    monkeypatch.delenv("SWANALYSIS_PSEUDO_KEY")
    monkeypatch.setenv("SWANALYSIS_PSEUDO_KEY_FILE", "")
    with pytest.raises(UserError, match="SWANALYSIS_PSEUDO_KEY_FILE is set but empty"):
        get_key()
    assert not (tmp_path / "swanalysis").exists()  # no new key was made


def test_oversized_csv_is_refused_unread(tmp_path, monkeypatch):
    from swanalysis import safeio as S

    monkeypatch.setattr(S, "CSV_MAX_BYTES", 4096)  # the real limit is 256 MB; the rule is the same
    path = write_csv(tmp_path / "big_2023.csv", [worker(f"AB{i:010d}", "2020-01-01") for i in range(1, 200)],
                     year=2023, lea="999")
    assert path.stat().st_size > 4096
    with pytest.raises(InputFileError, match="larger than 0 MB; refused"):
        ingest([path], key=KEY)


# ------------------------------------------------------------------ published data checked on read

SHARED = Path(os.environ.get("SWANALYSIS_DATA_DIR", "/work/shared/data/csww"))


def _two_releases(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "csww"
    folder.mkdir()
    for year in (2024, 2025):
        name = f"csww_indicators_2017_to_{year}.csv"
        (folder / name).write_bytes((SHARED / name).read_bytes())
    return folder, folder / "csww_indicators_2017_to_2025.csv"


def _la_count(panel, period):
    from swanalysis.published.panel import latest

    rows = latest(panel)
    rows = rows[(rows["area_level"] == "la") & (rows["time_period"] == period) & (rows["measure"] == "turnover_rate")]
    return rows["old_la_code"].nunique()


@pytest.mark.parametrize("damage", ["cut_inside_row", "cut_mid_value", "renamed_measure"])
def test_damaged_release_is_named_and_the_earlier_one_used(tmp_path, monkeypatch, damage):
    from swanalysis.published.panel import PublishedDataWarning, _parse_folder

    monkeypatch.setenv("SWANALYSIS_PANEL_CACHE", "0")
    folder, newest = _two_releases(tmp_path)
    whole = _la_count(_parse_folder(str(folder)), 2024)
    assert whole >= 148
    text = newest.read_bytes()
    if damage == "cut_inside_row":
        lines = text.split(b"\n")
        newest.write_bytes(b"\n".join(lines[:900]) + b"\n" + lines[900][:40])  # line 901 cut after a few fields
        expected = "line 901 is incomplete"
    elif damage == "cut_mid_value":
        newest.write_bytes(text[: text.rindex(b",", 0, len(text) * 2 // 3) + 3])
        expected = "is incomplete (the file ends inside a row"
    else:
        newest.write_bytes(text.replace(b"turnover_rate_fte,", b"turnover_fte_rate,", 1))
        expected = "line 1: no column for measure turnover_rate (unrecognised column 'turnover_fte_rate'"
    with pytest.warns(PublishedDataWarning) as caught:
        panel = _parse_folder(str(folder))
    msg = str(caught[0].message)
    assert msg.startswith(f"{newest}: ") and expected in msg and msg.endswith("figures from release 2024 used instead")
    assert panel.attrs["releases"] == [2024] and panel.attrs["damaged"] == [msg]
    assert _la_count(panel, 2024) == whole  # no silent shrinking of the ranking


def test_only_release_damaged_is_refused(tmp_path, monkeypatch):
    from swanalysis.published.panel import _parse_folder

    monkeypatch.setenv("SWANALYSIS_PANEL_CACHE", "0")
    folder, newest = _two_releases(tmp_path)
    (folder / "csww_indicators_2017_to_2024.csv").unlink()
    newest.write_bytes(newest.read_bytes()[:5000])
    with pytest.raises(InputFileError, match="is incomplete .*; no other release to fall back to"):
        _parse_folder(str(folder))


# ------------------------------------------------------------------ reports: disk full, Ctrl-C


def test_disk_full_while_writing_a_report_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    from swanalysis.report import runner

    def full(self, params):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(params["output_dir"]) / "tables"))

    monkeypatch.setattr(runner.ReportRunner, "execute", full)
    out = tmp_path / "out"
    with runner.ReportRunner(warm=False) as r, pytest.raises(UserError) as err:
        r.run({"la": "Stockport", "year": 2024}, out)
    assert str(err.value) == f"{out / '2024' / 'stockport'}: cannot write the report (disk full (no space left on device))"
    assert not out.exists()  # neither the build folder nor an empty year folder is left


@pytest.mark.slow
def test_ctrl_c_during_a_report_ends_quietly(tmp_path):
    """SIGINT to the command's process group, as a terminal's Ctrl-C sends it, while the kernel runs."""
    import signal

    e = dict(os.environ, SWANALYSIS_PSEUDO_KEY=KEY)
    proc = subprocess.Popen([sys.executable, "-m", "swanalysis", "report", "--la", "Stockport", "--out",
                             str(tmp_path / "out")], cwd=tmp_path, env=e, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    # interrupt while the report is being built (its build folder exists from the start of the
    # notebook's run to the rename): a fixed delay could miss it on a fast machine
    deadline = time.monotonic() + 120
    while not list((tmp_path / "out").glob("*/.stockport.tmp-*")) and time.monotonic() < deadline \
            and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err[-3000:]
    assert err.strip() == "swanalysis: interrupted", err[-3000:]  # nothing from the kernel either
    assert not (tmp_path / "out").exists()


def test_no_worker_date_in_any_message(tmp_path):
    """Every date a message quotes is a return's reference date or census-year start, never a
    worker's (start, end, birth) — whatever rule fires."""
    import re

    w = lambda *a, **k: worker(*a, **k)  # noqa: E731
    write_xml(tmp_path / "a_2022.xml", [w("AB0000000001", "2019-02-03"), w("AB0000000002", "2018-04-05")], year=2022)
    write_xml(tmp_path / "b_2023.xml", [w("AB0000000001", "2019-02-04"),  # start date changed
                                        w("AB0000000003", "2024-01-02"),  # starts after the census
                                        w("AB0000000004", "2020-05-06", "2019-07-08"),  # ends before it starts
                                        w("AB0000000005", "2020-05-06", "2025-07-08"),  # ends after the census
                                        w("AB0000000006", "2011-13-45", PersonBirthDate="1961-02-30")],
              year=2023)
    v = ingest([tmp_path], key=KEY).validation
    assert {"start_date_changed", "start_in_future", "end_before_start", "end_after_reference",
            "date_invalid"} <= set(v["rule"])
    dates = set(re.findall(r"\d{4}-\d{2}-\d{2}", " ".join(v["message"])))
    assert dates <= {"2022-09-30", "2023-09-30", "2021-10-01", "2022-10-01"}, dates


def test_report_names_a_damaged_published_file(tmp_path, monkeypatch, capsys):
    from swanalysis.report import context

    monkeypatch.setenv("SWANALYSIS_PANEL_CACHE", "0")
    folder = tmp_path / "csww"
    folder.mkdir()
    for f in SHARED.glob("*.csv"):
        (folder / f.name).write_bytes(f.read_bytes())
    newest = folder / "csww_indicators_2017_to_2025.csv"
    newest.write_bytes(newest.read_bytes().replace(b"turnover_rate_fte,", b"turnover_fte_rate,", 1))
    with pytest.warns(Warning):
        rep = context.start({"la": "Stockport", "data_dir": str(folder), "date_produced": "2025-01-31"})
    assert rep.year == 2024  # the newest year the fallback release has
    assert ("The published file csww_indicators_2017_to_2025.csv is damaged and was not used: line 1: no column "
            "for measure turnover_rate (unrecognised column 'turnover_fte_rate': renamed?); figures from release "
            "2024 used instead.") in rep.notes
