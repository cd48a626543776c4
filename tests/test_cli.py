"""The command line's start-up: what `swanalysis --help` and `swanalysis validate` import."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from swanalysis.cli import build_parser


def _modules_after(args, cwd, env=None) -> set[str]:
    """Run ``swanalysis ARGS`` in a fresh interpreter; the modules loaded by the end."""
    code = ("import sys, json\nfrom swanalysis.cli import main\n"
            "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
            "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\nsys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)
    return set(json.loads(proc.stderr.strip().splitlines()[-1])), proc


def test_help_imports_no_command_internals(tmp_path):
    mods, proc = _modules_after(["--help"], tmp_path)
    assert "usage: swanalysis" in proc.stdout
    for name in ("validate", "report", "batch", "data", "ingest", "synth"):
        assert f"  {name}" in proc.stdout
    heavy = {"pandas", "numpy", "swanalysis.published.fetch", "swanalysis.measures", "swanalysis.workerdata"}
    assert not heavy & mods


def test_parser_without_argv_is_complete():
    parser = build_parser()
    args = parser.parse_args(["data", "fetch"])
    assert args.dataset_id and args.api_url.startswith("https://")
    args = parser.parse_args(["validate", "x.xml", "--issues", "i.csv"])
    assert args.paths == ["x.xml"] and args.issues == "i.csv"
    # only the named command gets its options; --help lists all of them anyway
    lazy = build_parser(["validate", "x.xml"])
    assert lazy.parse_args(["validate", "x.xml"]).paths == ["x.xml"]
    with pytest.raises(SystemExit):
        build_parser(["validate"]).parse_args(["validate"])  # PATH is still required


# ---------------------------------------------------------------------------------------------
# `swanalysis validate` counts in plain Python (workerdata/plain.py) when it can: the same
# summary as the pandas path (ingest), without importing pandas or numpy

import random  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402
from pathlib import Path  # noqa: E402

from csww_fixtures import worker, write_csv, write_xml, xml_return  # noqa: E402

KEY = "test-key-cli-plain"


def _summary(paths, capsys, plain: bool, xsd=None) -> str:
    from swanalysis.commands.validate import print_summary
    from swanalysis.workerdata.ingest import ingest
    from swanalysis.workerdata.plain import validate_summary

    result = (validate_summary(paths, key=KEY, xsd=xsd) if plain
              else ingest(paths, key=KEY, strict=False, xsd=xsd))
    assert result is not None
    capsys.readouterr()
    print_summary(result)
    return capsys.readouterr().out + "".join(f"unreadable: {u}\n" for u in result.unreadable)


def _dirty_council(folder):
    s = lambda i: f"VA{i:010d}"  # noqa: E731
    y2022 = [worker(s(1), "2020-01-01"), worker(s(2), "2021-01-01", agency="1"), worker(s(3), "2019-05-01"),
             worker(s(4), "2020-02-01"), worker(s(5), "2021-06-01", "2022-03-01"), worker(s(6), "2018-01-01"),
             worker(s(9), "2021-01-01", agency="1")]
    y2023 = [
        worker(s(1), "2020-01-01"),                          # continues
        worker(None, "2020-01-01"),
        worker("V12345678901", "2020-01-01"),
        worker(s(2), "2021-01-01"),                          # agency -> permanent: a new spell
        worker(s(4), "2020-03-01", OrgRole="7", FTE="1.2"),  # start date corrected
        worker(s(5), "2022-06-01", agency="2"),
        worker(s(7), "2020-01-01", Cases30="-3", WorkingDaysLost="300", FTE30="0.1234567"),
        worker(s(8), "2020-01-01", Cases30="75"), worker(s(10), "2020-01-01", "2019-12-31"),
        worker(s(11), "2020-01-01", "2023-10-15"), worker(s(12), "2023-12-01"),
        worker(s(13), "2020-01-01", ReasonLeave="1"), worker(s(14), "2020-01-01", "31st May"),
        worker(s(15)), worker(s(16), "2020-01-01", Cases30="twelve"), worker(s(17), "2020-01-01", QualInst=None),
        worker(s(18), "2020-01-01", agency=None), worker(s(19), "2020-01-01", CFKSSstatus=["1", "9"]),
        worker(s(20), "2020-01-01", "2022-05-01"),
        worker(s(21), "2020-01-01", "2023-05-01", ReasonLeave=None, LeaverDestination=None),
        worker(s(22), "2021-03-01"), worker(s(22), "2021-03-01"), worker(s(22), "2021-04-01"),
        worker(s(24), "2020-01-01", PersonBirthDate="1985-02-30"), worker(s(25), "2020-01-01", PersonBirthDate="2015-01-01"),
        worker(s(26), "2020-01-01", Cases30="200", FTE=" 0.5 ", OrgRole="5.0", Unknown="x"),
    ]
    folder.mkdir()
    y2024 = [worker(s(1), "2020-01-01", "2024-03-01"), worker(s(3), "2019-05-01"), worker(s(6), "2018-01-01", "2023-12-01")]
    write_xml(folder / "csww_2022_999.xml", y2022, year=2022)
    write_xml(folder / "csww_2023_999.xml", y2023, year=2023)
    write_xml(folder / "csww_2024_999.xml", y2024, reference_date="2024-10-02")  # moved
    write_xml(folder / "x_later_copy_2024_999.xml", y2024, year=2024)  # a second 2024 return: ignored
    write_xml(folder / "csww_2021_998.xml", y2022, header=False)  # LEA and year from the name
    (folder / "broken_2020.xml").write_text("<Message><Header>", encoding="utf-8")  # unreadable
    (folder / "payroll.csv").write_text("EmployeeID,Salary\n1,30000\n", encoding="utf-8")  # not a return
    return folder


def test_validate_counts_without_pandas(tmp_path, capsys):
    folder = _dirty_council(tmp_path / "council")
    env = {"SWANALYSIS_PSEUDO_KEY": KEY}
    mods, proc = _modules_after(["validate", folder], tmp_path, env)
    assert not {"pandas", "numpy"} & mods
    assert "swanalysis.workerdata.plain" in mods and "swanalysis.workerdata.ingest" not in mods
    # the same lines as the pandas path (forced by --issues)
    mods_pd, proc_pd = _modules_after(["validate", folder, "--issues", tmp_path / "issues.csv"], tmp_path, env)
    assert "pandas" in mods_pd
    assert proc.stdout == proc_pd.stdout
    assert proc.returncode == proc_pd.returncode == 2  # the broken file
    assert "broken_2020.xml" in proc.stderr
    # and what it says is about this council
    out = proc.stdout
    assert out.startswith("files read: 4 of 6; records: 43 (accepted 35, quarantined 8)")
    for rule in ("duplicate_return", "file_unreadable", "swe_pattern", "start_date_changed", "spell_disappeared",
                 "reference_date_moved", "header_inferred", "not_a_return", "worker_twice_in_return", "cases_implausible"):
        assert f"\n{rule} " in out, rule
    assert _summary([folder], capsys, plain=True) == out + f"unreadable: {proc.stderr.split('error: ', 1)[1].splitlines()[0]}\n"


def _mutated(src, dst, seed, rate):
    """``src``'s XML returns with fields replaced by awkward values, dropped, or records copied."""
    pools = {
        "code": ["1", "2", "5", "9", "99", "1.0", " 2 ", "x", "1;2", "1; 3", "1;;9", "WBRI", "0", "10", "٣"],
        "num": ["0.5", "1.0000001", "-0.1", "1.5", "abc", " 0.8 ", ".5", "5.", "+1", "61", "151", "-3", "12.0",
                "12.5", "2.555", "270", "1e3", "٣", "260.01"],
        "date": ["2020-01-01", "2023-09-30", "2024-10-01", "2019-02-30", "01/02/2021", "31/12/2022", "13/13/2020",
                 "2021-05-05T00:00:00", "1600-01-01", "2300-01-01", "garbage", "2018-10-01", "2022-10-01",
                 "1930-01-01", "2015-06-01", "٢٠٢٣-٠١-٠١", "2021-5-5"],
        "swe": ["AB12", "ab1234567890", " AB1234567890 "],
    }
    kinds = {**dict.fromkeys(["AgencyWorker", "GenderCurrent", "Ethnicity", "OrgRole", "StartOrigin", "ReasonLeave",
                              "LeaverDestination", "CFKSSstatus", "ReasonAbsence", "QualInst"], "code"),
             **dict.fromkeys(["FTE", "FTE30", "Cases30", "WorkingDaysLost"], "num"),
             **dict.fromkeys(["RoleStartDate", "RoleEndDate", "PersonBirthDate"], "date"), "SWENo": "swe"}
    rng = random.Random(seed)
    dst.mkdir()
    for f in sorted(src):
        root = ET.parse(f).getroot()
        year = next(e.text for e in root.iter("Year"))
        recs = []
        for w in root.iter("CSWWWorker"):
            rec = {}
            for c in w:
                rec.setdefault(c.tag, []).append(c.text or "")
            rec = {k: v if len(v) > 1 else v[0] for k, v in rec.items()}
            for k, kind in kinds.items():
                if rng.random() < rate:
                    if rng.random() < 0.15:
                        rec.pop(k, None)
                    else:
                        rec[k] = rng.choice(pools[kind])
            recs.append(rec)
            if rng.random() < rate:
                recs.append(dict(rec, RoleStartDate=rng.choice(pools["date"])) if rng.random() < 0.5 else dict(rec))
        (dst / Path(f).name).write_text(xml_return(recs, year=year, lea="356"), encoding="utf-8")
    return dst


@pytest.mark.parametrize("seed,rate", [(1, 0.03), (2, 0.1), (3, 0.25)])
def test_plain_summary_equals_ingest_on_fuzzed_returns(synthetic_council, tmp_path, capsys, seed, rate):
    folder = _mutated(synthetic_council.returns[-3:], tmp_path / "fuzzed", seed, rate)
    plain = _summary([folder], capsys, plain=True)
    assert plain == _summary([folder], capsys, plain=False)
    assert "quarantined 0)" not in plain.splitlines()[0]


def test_plain_summary_with_a_schema_and_a_clean_council(synthetic_council, schema_path, capsys):
    returns = list(synthetic_council.returns)
    assert _summary(returns, capsys, plain=True, xsd=schema_path) == _summary(returns, capsys, plain=False, xsd=schema_path)


def test_plain_summary_leaves_csv_returns_to_ingest(tmp_path):
    from swanalysis.workerdata.plain import validate_summary

    write_csv(tmp_path / "csww_2023_999.csv", [worker("VA0000000001", "2020-01-01")], year=2023, lea="999")
    assert validate_summary([tmp_path], key=KEY) is None


def test_the_command_pins_blas_to_one_thread_before_numpy_loads_unless_told_otherwise():
    """Reports' last digits must not depend on the machine's core count: the command runs numpy's
    BLAS on one thread (numpy not yet loaded when it is set); an explicit setting is kept."""
    import os
    import subprocess
    import sys

    from swanalysis.cli import BLAS_THREADS

    probe = ("import os, sys, swanalysis.cli as c\n"
             "c.main = lambda: print(*[os.environ.get(n) for n in c.BLAS_THREADS], 'numpy' in sys.modules) or 0\n"
             "c.console()\n")
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREADS}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1", "1", "False"]
    env["OPENBLAS_NUM_THREADS"] = "2"
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "1", "1", "False"]


def test_report_command_freezes_the_imported_stack_and_leaves_the_collector_on():
    """`swanalysis report` moves the imported modules to the collector's permanent generation
    and turns the collector back on, also when the parameters are refused (exit 2)."""
    code = (
        "import gc, sys\n"
        "from swanalysis.cli import main\n"
        "rc = main(['report', '--la', 'Nowhere-upon-Sea', '--out', sys.argv[1]])\n"
        "print(rc, gc.isenabled(), gc.get_freeze_count() > 100_000, 'swanalysis.report.sections' in sys.modules)\n"
    )
    env = dict(os.environ, MPLBACKEND="Agg")
    ok = "import gc, sys\nfrom swanalysis.commands.report import _settle_imports\n_settle_imports()\n" \
         "print(gc.isenabled(), gc.get_freeze_count() > 100_000)\n"
    out = subprocess.run([sys.executable, "-c", ok], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["True", "True"]
    bad = subprocess.run([sys.executable, "-c", code, "/nonexistent/out"], capture_output=True, text=True, env=env)
    rc, enabled = bad.stdout.split()[:2]
    assert (rc, enabled) == ("2", "True"), bad.stderr[-500:]
