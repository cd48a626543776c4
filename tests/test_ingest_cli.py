"""`swanalysis validate` and `swanalysis ingest` as a user runs them (subprocess): one-line errors,
no traceback, documented exit codes, and no identifier anywhere in the output folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from csww_fixtures import mini_council, worker, write_xml
from swanalysis.workerdata.validation import ISSUE_COLUMNS

# a SWENo as a token of its own; a 16-hex pseudonym may by chance contain two letters a-f and ten
# digits inside it, which is not an identifier (and the raw SWENos are also checked verbatim below)
SWENO_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{10}(?!\d)")


def run(args, cwd):
    env = dict(os.environ, SWANALYSIS_PSEUDO_KEY="test-key-cli")
    return subprocess.run([sys.executable, "-m", "swanalysis", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


GOOD = lambda: [worker("AB0000000001", "2020-01-01")]  # noqa: E731


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    tmp.mkdir(parents=True, exist_ok=True)
    out = {}
    p = tmp / "malformed_2023.xml"
    p.write_text("<?xml version='1.0'?>\n<Message><Header></Message>\n", encoding="utf-8")
    out["malformed"] = (p, r"malformed XML at line 2, column \d+ \(mismatched tag\)")
    p = tmp / "wrong_root_2023.xml"
    p.write_text("<?xml version='1.0'?><Workforce><CSWWWorker/></Workforce>", encoding="utf-8")
    out["wrong_root"] = (p, r"root element is <Workforce>, expected <Message>")
    p = tmp / "empty_2023.xml"
    p.write_bytes(b"")
    out["empty"] = (p, r"file is empty")
    p = tmp / "latin1_2023.xml"
    write_xml(p, GOOD(), year=2023)
    p.write_bytes(p.read_bytes().replace(b"University of Somewhere", "Universit\u00e9 de Caen".encode("latin-1")))
    out["not_utf8"] = (p, r"is not valid UTF-8 text \(bad byte at offset \d+\)")
    p = tmp / "latin1_2023.csv"
    p.write_bytes("SWENo,AgencyWorker,QualInst\nAB0000000001,0,Universit\u00e9\n".encode("latin-1"))
    out["csv_not_utf8"] = (p, r"is not valid UTF-8 text")
    p = tmp / "columns_2023.csv"
    p.write_text("Ref,FTE\nAB0000000001,1\n", encoding="utf-8")
    out["csv_missing_columns"] = (p, r"missing column\(s\) SWENo, AgencyWorker")
    p = tmp / "xxe_2023.xml"
    p.write_text('<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                 "<Message>&x;</Message>", encoding="utf-8")
    out["xxe"] = (p, r"refused: the file contains a DOCTYPE/DTD")
    return out


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    return _bad_files(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("kind", ["malformed", "wrong_root", "empty", "not_utf8", "csv_not_utf8",
                                  "csv_missing_columns", "xxe"])
def test_unreadable_file_one_line_no_traceback_exit_2(bad_files, kind, tmp_path):
    path, pattern = bad_files[kind]
    good = write_xml(tmp_path / "good_2022.xml", GOOD(), year=2022)
    r = run(["ingest", "--csww", str(good), str(path), "--out", str(tmp_path / "out")], cwd=tmp_path)
    assert r.returncode == 2, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert lines[0].startswith(f"swanalysis: error: {path}: ")
    assert re.search(pattern, lines[0]), lines[0]
    assert not SWENO_RE.search(r.stderr + r.stdout)
    # only validation.csv is written, naming the unreadable file
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["validation.csv"]
    v = pd.read_csv(out / "validation.csv")
    assert list(v.columns) == ISSUE_COLUMNS
    assert v.loc[v["rule"] == "file_unreadable", "file"].tolist() == [str(path)]


def test_validate_summary_and_exit_codes(bad_files, tmp_path):
    mini_council(tmp_path)
    r = run(["validate", str(tmp_path)], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    out = r.stdout
    assert "files read: 3 of 3; records: 22 (accepted 21, quarantined 1)" in out
    assert "workers: 9; spells: 11; leavers: 4; agency spells: 1" in out
    assert re.search(r"^duplicate_worker\s+error\s+1\s", out, flags=re.M)
    assert re.search(r"^spell_disappeared\s+warning\s+1\s", out, flags=re.M)
    assert not SWENO_RE.search(out)

    paths = [str(p) for p, _ in bad_files.values()]
    r = run(["validate", str(tmp_path), *paths], cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == len(paths) and all(line.startswith("swanalysis: error: ") for line in lines)
    assert "Traceback" not in r.stderr
    assert "files read: 3 of 10" in r.stdout
    assert re.search(r"^file_unreadable\s+error\s+7\s", r.stdout, flags=re.M)


def test_ingest_writes_tables_without_identifiers(tmp_path):
    (tmp_path / "returns").mkdir()
    truth = mini_council(tmp_path / "returns")
    pay = tmp_path / "payroll.csv"
    pay.write_text("Employee Ref,Annual Salary (FTE),Contract FTE,Job Title,Grade,Team\n"
                   'AA0000000001,"£41,840",1,Social Worker,SW2,North\n'
                   "ZZ0000000009,40000,1,Social Worker,SW2,South\n", encoding="utf-8")
    hr_map = Path(__file__).resolve().parents[1] / "params" / "hr_map_example.yaml"
    out = tmp_path / "out"
    r = run(["ingest", "--csww", str(tmp_path / "returns"), "--hr", str(pay), "--hr-map", str(hr_map),
             "--out", str(out)], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["episodes.csv", "summary.json", "validation.csv", "worker_years.csv"]
    ep = pd.read_csv(out / "episodes.csv")
    wy = pd.read_csv(out / "worker_years.csv")
    v = pd.read_csv(out / "validation.csv")
    assert len(ep) == truth["n_spells"] and ep["worker_id"].nunique() == truth["n_workers"]
    assert ep["event"].sum() == truth["n_leavers"] and len(wy) == 21
    assert list(v.columns) == ISSUE_COLUMNS
    assert ep["worker_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert wy.loc[wy["salary"].notna(), "salary"].tolist() == [41840.0] * 3  # worker A, three census years
    assert (v["rule"] == "hr_unmatched_payroll").sum() == 1
    from csww_fixtures import SWE

    for f in out.iterdir():
        text = f.read_text(encoding="utf-8")
        assert not SWENO_RE.search(text), f.name
        assert not any(s in text or s.lower() in text for s in [*SWE.values(), "ZZ0000000009"]), f.name
        assert "1985-06-15" not in text  # birth dates never written
    assert "22 records from 3 files (1 quarantined): 9 workers, 11 spells, 4 leavers" in r.stdout


def test_hr_without_map_is_a_one_line_error(tmp_path):
    write_xml(tmp_path / "r_2023.xml", GOOD(), year=2023)
    r = run(["ingest", "--csww", str(tmp_path), "--hr", "x.csv", "--out", str(tmp_path / "o")], cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip() == "swanalysis: error: --hr and --hr-map go together: give both or neither"
