"""`swanalysis batch`: reports for several authorities, isolation of failures, resuming, the
index page and dask (warm kernel == fresh kernel byte for byte is tests/test_report.py's)."""

from __future__ import annotations

import os
import html.parser
from pathlib import Path

import pytest

from swanalysis.report import batch
from swanalysis.cli import main

YEAR = 2025
# Small, ordinary authorities plus a joint return (one published row = one report).
LAS = ["Rutland", "Hartlepool", "Richmond upon Thames"]
JOINT = "Kingston upon Thames / Richmond upon Thames"


def _slug_dirs(year_dir: Path) -> set[str]:
    return {p.name for p in year_dir.iterdir() if p.is_dir() and not p.name.startswith(".")}


# ---------------------------------------------------------------------------------------------
# Which authorities a year has (published data)
# ---------------------------------------------------------------------------------------------

def test_authorities_are_the_la_rows_of_the_year(data_dir):
    las = batch.authorities(YEAR, data_dir)
    names = [a.name for a in las]
    # The 2025 file has 151 local-authority rows: 153 authorities less two joint returns.
    assert len(las) == 151
    assert len(set(names)) == 151
    assert JOINT in names and "North Northamptonshire / West Northamptonshire" in names
    assert "Richmond upon Thames" not in names  # only as part of the joint return
    assert "Cumberland" in names and "Cumbria" not in names
    assert not any(n in ("England", "London", "Inner London", "South East") for n in names)
    # 2022: Cumbria still one authority, Cumberland not yet.
    names22 = [a.name for a in batch.authorities(2022, data_dir)]
    assert "Cumbria" in names22 and "Cumberland" not in names22


def test_headline_table_has_published_values(data_dir):
    t = batch.headline_table(2022, data_dir).set_index("authority")
    # Wokingham 2022 agency rate 24.2% (issue 3); Northumberland 2022 turnover 15.9%, agency 6.2%.
    assert t.loc["Wokingham", "agency_rate"] == pytest.approx(24.2)
    assert t.loc["Northumberland", "turnover_rate"] == pytest.approx(15.9)
    assert t.loc["Northumberland", "agency_rate"] == pytest.approx(6.2)
    assert t.loc["Wokingham", "region"] == "South East"


def test_select_matches_names_codes_and_joint_members(data_dir):
    las = batch.authorities(YEAR, data_dir)
    got = batch.select(las, ["wokingham", "872", "Richmond upon Thames", "E09000021", "Nowhere"])
    assert [g.name if isinstance(g, batch.Authority) else g for g in got] == \
        ["Wokingham", JOINT, "Nowhere"]


def test_is_complete_needs_report_and_tables(tmp_path):
    d = tmp_path / "2025" / "rutland"
    assert not batch.is_complete(d)
    d.mkdir(parents=True)
    (d / "report.html").write_text("<html></html>")
    assert not batch.is_complete(d)          # tables/ missing
    (d / "tables").mkdir()
    assert batch.is_complete(d)
    (d / "report.html").write_text("")
    assert not batch.is_complete(d)          # empty page


# ---------------------------------------------------------------------------------------------
# A real batch: 2 workers, 3 authorities + one that cannot be found
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def first_batch(tmp_path_factory, data_dir):
    out = tmp_path_factory.mktemp("batch")
    # Leftovers of an interrupted run: a temp folder with everything in it, and a final-named
    # folder that is not complete. Neither may be taken for a finished report.
    year_dir = out / str(YEAR)
    tmp = year_dir / ".rutland.tmp-interrupted"
    (tmp / "tables").mkdir(parents=True)
    (tmp / "report.html").write_text("<html>half written</html>")
    partial = year_dir / "hartlepool"
    partial.mkdir()
    (partial / "report.html").write_text("<html>no tables</html>")

    code = main(["batch", "--year", str(YEAR), "--la", ",".join(LAS + ["Nowhere Borough"]),
                 "--workers", "2", "--out", str(out), "--data-dir", str(data_dir),
                 "--no-progress"])
    return out, code


def test_batch_writes_reports_and_isolates_failure(first_batch, capsys):
    out, code = first_batch
    year_dir = out / str(YEAR)
    assert code == 1                                        # one authority failed
    for slug in ("rutland", "hartlepool", "kingston-upon-thames-richmond-upon-thames"):
        d = year_dir / slug
        assert batch.is_complete(d), slug
        assert (d / "tables" / "benchmark.csv").is_file()
        assert "half written" not in (d / "report.html").read_text()
        assert "no tables" not in (d / "report.html").read_text()
    assert not (year_dir / "nowhere-borough").exists()
    log = (year_dir / "batch.log").read_text()
    assert "failed\tNowhere Borough" in log
    assert log.count("\nok\t") == 3


def test_published_figures_reach_the_report_tables(first_batch, data_dir):
    import pandas as pd

    out, _ = first_batch
    t = pd.read_csv(out / str(YEAR) / "rutland" / "tables" / "benchmark.csv")
    la = t[(t["area_type"] == "la") & (t["time_period"] == YEAR)].set_index("measure")["value"]
    ref = batch.headline_table(YEAR, data_dir).set_index("authority").loc["Rutland"]
    for m in ("agency_rate", "turnover_rate", "vacancy_rate", "caseload"):
        assert la[m] == pytest.approx(ref[m]), m


class _IndexParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.th_scopes, self.caption, self._in_caption = [], [], "", False
        self.lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "a":
            self.links.append(a.get("href"))
        if tag == "th":
            self.th_scopes.append(a.get("scope"))
        if tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._in_caption:
            self.caption += data


def test_index_links_every_report_with_headline_table(first_batch, data_dir):
    out, _ = first_batch
    year_dir = out / str(YEAR)
    page = (year_dir / "index.html").read_text(encoding="utf-8")
    p = _IndexParser()
    p.feed(page)
    assert p.lang and p.caption.strip()
    assert p.th_scopes and all(s in ("col", "row") for s in p.th_scopes)
    assert sorted(p.links) == sorted(f"{s}/report.html" for s in
                                     ("rutland", "hartlepool",
                                      "kingston-upon-thames-richmond-upon-thames"))
    for href in p.links:
        assert (year_dir / href).is_file()
    # only published authorities are rows; headline figures are the published ones
    assert "Nowhere Borough" not in page
    ref = batch.headline_table(YEAR, data_dir).set_index("authority").loc[JOINT]
    assert f"{ref['agency_rate']:.1f}%" in page and f"{ref['caseload']:.1f}" in page
    assert not list(year_dir.glob(".index.html*"))          # no temp file left


def test_index_marks_failed_authority_without_link(tmp_path, data_dir):
    las = batch.authorities(YEAR, data_dir)
    ok = tmp_path / str(YEAR) / "slough"
    (ok / "tables").mkdir(parents=True)
    (ok / "report.html").write_text("<html></html>")
    results = [batch.JobResult("Slough", "slough", "ok", report_dir=str(ok)),
               batch.JobResult("Reading", "reading", "failed", reason="KeyError: 'x'")]
    page = batch.write_index(YEAR, tmp_path, las, results, data_dir).read_text()
    assert '<a href="slough/report.html">Slough</a>' in page
    assert "Reading <span class=\"failed\">(report failed)</span>" in page
    assert "Wokingham" not in page          # neither in this run nor written before
    assert "1 of the 151 authorities' reports are available; 1 failed" in page


def test_rerun_resumes_and_force_rewrites(first_batch, data_dir, capsys):
    out, _ = first_batch
    year_dir = out / str(YEAR)
    stamp = {s: (year_dir / s / "report.html").stat().st_mtime_ns
             for s in ("rutland", "hartlepool")}
    r = batch.run_batch(YEAR, out, data_dir=data_dir, las=["Rutland", "Hartlepool"],
                        workers=2, progress=False)
    assert [x.status for x in r.results] == ["skipped", "skipped"]
    assert r.exit_code == 0
    assert {s: (year_dir / s / "report.html").stat().st_mtime_ns for s in stamp} == stamp
    # --force rewrites (in this process: --workers 1)
    code = main(["batch", "--year", str(YEAR), "--la", "Rutland", "--workers", "1", "--force",
                 "--out", str(out), "--data-dir", str(data_dir), "--no-progress"])
    assert code == 0
    assert (year_dir / "rutland" / "report.html").stat().st_mtime_ns != stamp["rutland"]
    assert "1 written, 0 already complete, 0 failed" in capsys.readouterr().out


def test_unknown_executor_and_missing_scheduler_are_user_errors(data_dir, tmp_path, capsys):
    code = main(["batch", "--year", str(YEAR), "--all", "--executor", "dask",
                 "--out", str(tmp_path), "--data-dir", str(data_dir)])
    assert code == 2
    assert "--scheduler" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# dask.distributed: the same jobs on a LocalCluster
# ---------------------------------------------------------------------------------------------

def test_dask_executor_on_local_cluster(tmp_path, data_dir, first_batch):
    distributed = pytest.importorskip("distributed")
    out_ref, _ = first_batch
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        r = batch.run_batch(YEAR, tmp_path, data_dir=data_dir, las=["Rutland", "Nowhere"],
                            executor="dask", scheduler=cluster.scheduler_address,
                            progress=False)
        batch.close_dask_runners()
    assert [(x.name, x.status) for x in r.results] == [("Rutland", "ok"), ("Nowhere", "failed")]
    assert "Nowhere" in r.failures[0].reason
    got = tmp_path / str(YEAR) / "rutland"
    assert batch.is_complete(got)
    # same report as the local executor's
    ref = out_ref / str(YEAR) / "rutland"
    assert (got / "tables" / "benchmark.csv").read_bytes() == \
        (ref / "tables" / "benchmark.csv").read_bytes()


def test_stale_build_folders_of_dead_processes_are_removed(tmp_path):
    """A killed run leaves .<slug>.tmp-<host>-<pid>-XXXX behind; the next batch deletes those of
    this machine whose process is gone, and nothing else."""
    import socket
    import subprocess
    import sys

    from swanalysis.report.runner import remove_stale_builds

    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    host = socket.gethostname()
    dead = tmp_path / f".rutland.tmp-{host}-{done.pid}-abc123_x"
    dead_old = tmp_path / f".kent.old-{host}-{done.pid}-q9z"
    live = tmp_path / f".luton.tmp-{host}-{os.getppid()}-zz9"         # a running process
    elsewhere = tmp_path / f".york.tmp-another-host-{done.pid}-k2"     # another machine's
    unnamed = tmp_path / ".bury.tmp-interrupted"                       # not a build name
    report = tmp_path / "rutland"
    for d in (dead, dead_old, live, elsewhere, unnamed, report):
        (d / "tables").mkdir(parents=True)
        (d / "report.html").write_text("<html>x</html>")
    removed = remove_stale_builds(tmp_path)
    assert sorted(p.name for p in removed) == sorted([dead.name, dead_old.name])
    assert not dead.exists() and not dead_old.exists()
    assert live.exists() and elsewhere.exists() and unnamed.exists() and report.exists()
