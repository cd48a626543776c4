"""The report pipeline: notebook → Papermill/nbclient → nbconvert template → HTML + tables.

One report is rendered per module (fresh kernel) and shared by the assertions; a warm-kernel run
of another authority followed by the same one must reproduce it byte for byte.
"""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser

import pandas as pd
import pytest

from swanalysis.errors import UserError
from swanalysis.report.runner import ReportRunner, notebook_path, render_report

DATE = "2026-01-15"
BERKSHIRE = ["Slough", "Windsor and Maidenhead", "West Berkshire", "Reading", "Bracknell Forest"]
PARAMS = {"la": "Wokingham", "year": 2022, "comparators": BERKSHIRE, "date_produced": DATE}


@pytest.fixture(scope="module", autouse=True)
def _env(data_dir):
    old = {k: os.environ.get(k) for k in ("SWANALYSIS_DATA_DIR", "MPLBACKEND")}
    os.environ["SWANALYSIS_DATA_DIR"] = str(data_dir)
    os.environ["MPLBACKEND"] = "Agg"
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The reference: a fresh Jupyter kernel, as Papermill runs a notebook."""
    out = tmp_path_factory.mktemp("reports")
    return render_report(PARAMS, out, warm=False, engine="kernel")


@pytest.fixture(scope="module")
def html(report):
    return report.html.read_text(encoding="utf-8")


class Structure(HTMLParser):
    """Collects what the accessibility assertions need."""

    def __init__(self):
        super().__init__()
        self.headings, self.imgs, self.ids, self.links = [], [], set(), []
        self.tables = 0
        self.captions = 0
        self.tags = []
        self._stack = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "img":
            self.imgs.append(a)
        if tag == "a" and a.get("href", "").startswith("#"):
            self.links.append(a["href"][1:])
        if tag == "table":
            self.tables += 1
            self._stack.append("table")
        if tag == "caption" and self._stack and self._stack[-1] == "table":
            self.captions += 1
            self._stack[-1] = "captioned"

    def handle_endtag(self, tag):
        if tag == "table" and self._stack:
            self._stack.pop()


@pytest.fixture(scope="module")
def structure(html):
    s = Structure()
    s.feed(html)
    return s


@pytest.fixture(scope="module")
def annex(report):
    return (report.report_dir / "technical.html").read_text(encoding="utf-8")


def test_layout_and_tables_written(report):
    assert report.report_dir.name == "wokingham"
    assert report.report_dir.parent.name == "2022"
    assert report.html.exists() and report.xlsx.exists() and report.log.exists()
    names = sorted(p.stem for p in report.tables_dir.glob("*.csv"))
    assert {"benchmark", "benchmark_summary", "agency_costs", "workforce"} <= set(names)
    # no half-written sibling left behind
    assert [p.name for p in report.report_dir.parent.iterdir()] == ["wokingham"]
    # the workbook has one sheet per CSV, with the same rows
    sheets = pd.read_excel(report.xlsx, sheet_name=None)
    assert sorted(sheets) == names
    for name in names:
        assert len(sheets[name]) == len(pd.read_csv(report.tables_dir / f"{name}.csv"))


def test_benchmark_csv_has_the_wokingham_paper_agency_table(report):
    """Issue 3, done-when: the agency rates in the Wokingham scrutiny paper (Sept 2023)."""
    b = pd.read_csv(report.tables_dir / "benchmark.csv")
    assert {"area_name", "area_type", "time_period", "measure", "value", "rank", "quartile",
            "significance"} <= set(b.columns)
    agency = b[(b.measure == "agency_rate") & (b.time_period == 2022)]
    got = {(r.area_name, r.area_type): r.value for r in agency.itertuples()}
    expected = {
        ("Slough", "comparator"): 38.5, ("Windsor and Maidenhead", "comparator"): 36.1,
        ("West Berkshire", "comparator"): 33.0, ("Reading", "comparator"): 27.8,
        ("Wokingham", "la"): 24.2, ("Bracknell Forest", "comparator"): 17.5,
        ("South East", "region"): 17.9, ("England", "england"): 17.6,
    }
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key
    assert set(b.area_type) == {"la", "comparator", "sn_median", "region", "england"}


def test_html_has_no_code_and_is_self_contained(html, report):
    assert "jp-InputArea" not in html and "input_area" not in html
    assert "<pre" not in html  # no code, no tracebacks, no stray output streams
    assert "sections.start" not in html and "from swanalysis" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "<script" not in html and "@import" not in html
    assert report.html.stat().st_size < 3_000_000
    assert str(report.report_dir.parent) not in html  # the temporary build folder never leaks


def test_html_is_accessible(structure, html, annex):
    for doc, s, min_tables in ((html, structure, 2), (annex, None, 5)):
        if s is None:
            s = Structure()
            s.feed(doc)
        assert s.headings[0] == 1 and s.headings.count(1) == 1
        for prev, cur in zip(s.headings, s.headings[1:]):
            assert cur <= prev + 1, f"heading level skips from h{prev} to h{cur}"
        assert s.tables >= min_tables and s.captions == s.tables
        for img in s.imgs:
            assert img.get("alt", "").strip(), "image without alt text"
            assert img["src"].startswith("data:image/svg+xml;base64,")
        assert s.links and all(t in s.ids for t in s.links), "contents link without target"
        assert '<html lang="en-GB">' in doc
        # GAF dark blue headings, A4 print stylesheet
        assert "#12436D" in doc and "@page { size: A4" in doc and "@media print" in doc


def test_report_text_title_block_and_notes(html, annex):
    assert "Social worker recruitment and retention: Wokingham, 2022" in html
    for label in ("Authority", "Period", "Data sources", "Release", "Date produced"):
        assert f"<dt>{label}</dt>" in html
    assert f"<dd>{DATE}</dd>" in html
    # At a glance and the key messages quote the number, the direction and the comparison
    assert "The agency rate rose from 14.7% to 24.2% in 2022 (worse)." in html
    assert "higher than the neighbours (19.8%), the South East (17.9%) and England (17.6%)" in html
    assert "Against England: within the spread usually seen between councils of its size" in html
    assert "£552,000" in html  # 27.6 agency FTE × £20,000
    # no worker data: the paper has no worker-level sections and no instructions; the annex's
    # notes say what was not supplied; no synthetic watermark on a published-data report
    assert 'id="how-long-they-stay"' not in html and "--csww" not in html
    assert "was not supplied for this report" in annex
    assert 'class="synthetic' not in html
    # the privacy note states the suppression threshold in force (min_group, default 10)
    assert "groups of fewer than 10 workers are not shown" in annex


@pytest.mark.parametrize("engine", ["inprocess", "kernel"])
def test_warm_kernel_output_is_identical_to_fresh(report, tmp_path, engine):
    """Another authority then the same one, warm (in this process, as the batch and the report
    command run them, or in one kept kernel), give the fresh kernel's bytes."""
    with ReportRunner(warm=True, engine=engine) as runner:
        runner.run({**PARAMS, "la": "Slough", "comparators": None}, tmp_path)
        again = runner.run(PARAMS, tmp_path)
    # every file of the report folder (HTML, each CSV, the workbook with its pinned dates)
    files = {p.relative_to(report.report_dir): p.read_bytes()
             for p in sorted(report.report_dir.rglob("*")) if p.is_file()}
    assert {"report.html", "tables.xlsx"} <= {p.as_posix() for p in files} and len(files) > 3
    assert sorted(p.relative_to(again.report_dir) for p in again.report_dir.rglob("*")
                  if p.is_file()) == sorted(files)
    for name, data in files.items():
        assert (again.report_dir / name).read_bytes() == data, f"{name} differs warm vs fresh"


def test_rerun_replaces_atomically_and_errors_leave_nothing(report, tmp_path):
    with pytest.raises(UserError, match="no local authority matching"):
        render_report({"la": "Nowhereshire", "year": 2022}, tmp_path)
    with pytest.raises(UserError, match="no published figures for 2031"):
        render_report({"la": "Wokingham", "year": 2031}, tmp_path)
    assert not any(p.name.startswith(".") for p in tmp_path.rglob("*"))


def test_benchmark_notebook_runs_under_papermill(tmp_path, data_dir):
    """The issue-3 notebook as an analyst would run it: papermill with -p la -p year."""
    import papermill as pm

    out_nb = tmp_path / "executed.ipynb"
    pm.execute_notebook(
        str(notebook_path("benchmark")), str(out_nb),
        parameters={"la": "Northumberland", "year": 2022, "output_dir": str(tmp_path / "out"),
                    "data_dir": str(data_dir), "date_produced": DATE},
        kernel_name="python3", progress_bar=False, log_output=False,
    )
    b = pd.read_csv(tmp_path / "out" / "tables" / "benchmark.csv")
    la = b[(b.area_type == "la") & (b.time_period == 2022)].set_index("measure")["value"]
    # Northumberland's scrutiny paper (Feb 2023): turnover 15.9% with 28.8 FTE leavers
    assert la["turnover_rate"] == pytest.approx(15.9)
    assert la["leavers_fte"] == pytest.approx(28.8)
    assert (tmp_path / "out" / "tables.xlsx").exists()
    # the benchmark-only report carries the national panel regression (issue 6): all authorities
    # up to 2022, the three regressors, and its section in the executed notebook
    nat = pd.read_csv(tmp_path / "out" / "tables" / "national_panel.csv").set_index("term")
    assert list(nat.index) == ["caseload", "agency_rate", "vacancy_rate"]
    assert (nat["n_authorities"] > 140).all() and (nat["ci_lower"] < nat["coef"]).all()
    assert "What the national data says" in out_nb.read_text(encoding="utf-8")


def test_cli_errors_are_one_line_exit_2(tmp_path, data_dir):
    env = {**os.environ, "SWANALYSIS_DATA_DIR": str(data_dir)}
    cmd = [sys.executable, "-m", "swanalysis", "report", "--la", "Nowhereshire", "--year", "2022",
           "--out", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("la: Wokingham\ncolour: red\n")
    proc = subprocess.run(cmd[:4] + ["--params", str(bad), "--out", str(tmp_path)],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "unknown parameter 'colour'" in proc.stderr


# ------------------------------------------------------------------------------------------------
# With worker-level data: a synthetic council (the session fixture's council, regenerated by the
# report itself from the same authority, years and seed).


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory, synthetic_council):
    out = tmp_path_factory.mktemp("synthetic_reports")
    params = {"la": "Stockport", "year": 2024, "synthetic": True, "synthetic_seed": 1,
              "synthetic_years": 6, "date_produced": DATE}
    return render_report(params, out, warm=False)


def test_synthetic_report_worker_sections(synthetic_report):
    html = synthetic_report.html.read_text(encoding="utf-8")
    names = {p.stem for p in synthetic_report.tables_dir.glob("*.csv")}
    assert {"retention", "hazard_ratios", "destinations", "experience_mix", "asye_cohorts",
            "service_stock", "leaving_reasons"} <= names
    # watermarked on every page (fixed-position overlay, repeated by print) and said in words
    assert '<body class="synthetic paper">' in html
    assert "body.synthetic::after" in html and "illustration only" in html
    assert "was not supplied" not in html  # no "no worker data" notes
    # the committee paper keeps the methods' names for the annex, with worker data too
    from test_paper import FORBIDDEN

    visible = re.sub(r'src="data:[^"]*"', "", html)
    assert [w for w in FORBIDDEN if w in visible] == []
    annex = (synthetic_report.report_dir / "technical.html").read_text(encoding="utf-8")
    assert "Cox" in annex and "Kaplan-Meier" in annex   # ... where they are explained
    s = Structure()
    s.feed(html)
    assert s.captions == s.tables and all(i.get("alt", "").strip() for i in s.imgs)
    for prev, cur in zip(s.headings, s.headings[1:]):
        assert cur <= prev + 1
    assert synthetic_report.html.stat().st_size < 3_000_000
    # no worker identifier anywhere in what the report wrote
    for path in synthetic_report.report_dir.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".csv", ".log", ".yaml"):
            assert not re.search(r"\b[A-Za-z]{2}\d{10}\b", path.read_text(encoding="utf-8")), path


def test_synthetic_report_tables_match_the_library_on_the_same_council(synthetic_report, synthetic_council):
    """The report analyses exactly the council the generator wrote (same seed and years)."""
    from swanalysis.drivers import fit_drivers, hazard_ratio_table
    from swanalysis.workerdata.ingest import ingest
    from swanalysis.tenure import retention_table

    res = ingest(synthetic_council.returns, hr=synthetic_council.payroll_path,
                 hr_map=synthetic_council.hr_map_path, key="another-key")
    ours = retention_table(res.episodes).table()
    got = pd.read_csv(synthetic_report.tables_dir / "retention.csv")
    # withheld cells ('<5', 'c': disclosure.protect_table) make the columns text
    for c in ("retention", "ci_lower", "ci_upper"):
        got[c] = pd.to_numeric(got[c], errors="coerce")
    for months in (12, 24):
        a = got[(got.group_var == "all") & (got.months == months)].iloc[0]
        b = ours[(ours.group_var == "all") & (ours.months == months)].iloc[0]
        assert a.retention == pytest.approx(b.retention)
        assert a.ci_lower == pytest.approx(b.ci_lower)
    hr = pd.read_csv(synthetic_report.tables_dir / "hazard_ratios.csv")
    ref = hazard_ratio_table(fit_drivers(res.worker_years))
    cox = hr[(hr.model == "cox_time_varying") & (hr.term == "caseload")].iloc[0]
    ref_cox = ref[(ref.model == "cox_time_varying") & (ref.term == "caseload")].iloc[0]
    assert cox.hazard_ratio == pytest.approx(ref_cox.hazard_ratio)
    # and the planted caseload and salary effects lie inside the reported intervals of both models
    planted = {"caseload": synthetic_council.truth["hr_per_case"],
               "salary": synthetic_council.truth["hr_per_1000_salary"]}
    for model in ("cox_time_varying", "discrete_time_logit"):
        for term, truth in planted.items():
            row = hr[(hr.model == model) & (hr.term == term)].iloc[0]
            assert row.ci_lower <= truth <= row.ci_upper, (model, term, row.ci_lower, truth, row.ci_upper)


def _capture(monkeypatch):
    """Run sections in-process (no kernel), collecting what they display."""
    from swanalysis.report import sections

    shown = []
    monkeypatch.setattr(sections.Report, "show", lambda self, h: shown.append(h))
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    return sections, shown


@pytest.mark.parametrize("query, published, expected", [
    ("Richmond upon Thames", "Kingston upon Thames / Richmond upon Thames",
     "Richmond upon Thames makes a joint workforce return with Kingston upon Thames"),
    ("North Northamptonshire", "North Northamptonshire / West Northamptonshire",
     "replaced on 1 April 2021 by North Northamptonshire (940) and West Northamptonshire (941)"),
    ("Cumberland", "Cumberland", "Cumbria County Council (DfE 909) was replaced on 1 April 2023"),
])
def test_joint_return_and_boundary_notes_appear_in_the_report(monkeypatch, query, published, expected):
    import html as H

    sections, shown = _capture(monkeypatch)
    rep = sections.start({"la": query, "year": 2024, "date_produced": DATE})
    assert rep.authority == published
    sections.methods(rep)
    text = H.unescape("".join(shown))
    assert expected in text
    assert sections.identify({"la": query, "year": 2024})[0] == published


def test_year_after_a_boundary_change_is_a_one_line_error():
    from swanalysis.report import sections

    with pytest.raises(UserError, match="no published figures for Cumbria for 2024.*Cumberland"):
        sections.identify({"la": "Cumbria", "year": 2024})
    assert sections.identify({"la": "Cumbria", "year": None}) == ("Cumbria", 2022)


def test_too_few_workers_publishes_no_worker_results(monkeypatch):
    """A council with fewer permanent workers than min_group gets notes, not tables or figures."""
    import types

    sections, shown = _capture(monkeypatch)
    rep = sections.start({"la": "Isles of Scilly", "year": 2024, "date_produced": DATE})
    rep.params["synthetic"] = True  # pretend worker data was supplied ...
    episodes = pd.DataFrame({"worker_id": ["a", "b", "c", "d"], "agency": [False, False, False, True],
                             "event": [1, 0, 0, 0]})
    rep._cache["workers"] = types.SimpleNamespace(episodes=episodes, worker_years=pd.DataFrame())
    for section in (sections.how_long_they_stay, sections.why_they_leave, sections.nqsw_cohorts,
                    sections.who_we_have):
        section(rep)
    assert set(rep.tables) == {"workforce"}  # only the published figures
    assert sum("not shown, to protect individuals" in h for h in shown) == 4


def test_owned_processes_skip_the_iri_grammar_and_still_validate_notebooks():
    """skip_unused_imports (CLI and batch workers) keeps rfc3987_syntax out; nbformat still
    validates a notebook and still rejects a broken one."""
    code = (
        "import sys\n"
        "from swanalysis.report.runner import skip_unused_imports, notebook_path\n"
        "skip_unused_imports()\n"
        "import nbformat\n"
        "nb = nbformat.read(str(notebook_path(None)), as_version=4)\n"
        "nbformat.validate(nb)\n"
        "nb.cells[0]['cell_type'] = 'not-a-cell-type'\n"
        "try:\n"
        "    nbformat.validate(nb)\n"
        "except nbformat.ValidationError:\n"
        "    print('rejected')\n"
        "print(sys.modules.get('rfc3987_syntax', 'absent'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["rejected", "None"]


def test_user_errors_follow_the_user_error_classes():
    """The notebook's user errors are UserError and its subclasses, found by class, not by a list."""
    from swanalysis.errors import UserError as Base
    from swanalysis.report import runner

    assert runner.USER_ERRORS == {"UserError", "NoDataError", "InputFileError"}

    class PlantedInputError(Base):
        pass

    assert "PlantedInputError" in runner.user_error_names()
    assert "ValueError" not in runner.user_error_names()


def test_page_kit_escapes_text_but_not_marked_html():
    from swanalysis.report.page import Html, table_html

    df = pd.DataFrame({"Authority": [Html('<a href="x.html">X</a>'), "<b>Y</b>"], "Rate": ["12.5%", "n/a"]})
    out = table_html(df, "Caption <i>", "t", None)
    assert '<th scope="row"><a href="x.html">X</a></th>' in out
    assert "&lt;b&gt;Y&lt;/b&gt;" in out and "Caption &lt;i&gt;" in out
    # a column of numbers is right-aligned throughout, its gaps included
    assert '<td class="num">12.5%</td>' in out and '<td class="num">n/a</td>' in out
    assert "Table" not in out  # no number, no label
FORECAST_MEASURES = {"inpost_fte", "inpost_headcount", "leavers_fte", "starters_fte", "agency_rate",
                     "vacancy_rate", "agency_premium_cost"}


def test_published_only_report_looks_ahead_from_its_year(report, html):
    t = pd.read_csv(report.tables_dir / "forecast.csv")
    assert list(t.columns) == ["scenario", "year", "measure", "value", "lower", "upper"]
    assert t["scenario"].iloc[0] == "baseline"
    assert set(t["year"]) == {2023, 2024, 2025}  # report year 2022, three years ahead
    assert FORECAST_MEASURES <= set(t["measure"])
    assert "pay_plus_2000" not in set(t["scenario"])  # no worker data: pay effect unknown
    assert 'id="looking-ahead"' in html and "Fan chart of agency share" in html
    assert "What would it take?" in html
    base = t[(t.scenario == "baseline") & (t.measure == "inpost_fte")]
    # starts from Wokingham's published 86.3 FTE in 2022: the first year is within reach of it
    assert 60 < base["value"].iloc[0] < 115


def test_synthetic_report_forecast_starts_from_the_returns_and_matches_the_library(
        synthetic_report, synthetic_council, data_dir):
    from swanalysis import forecast as F
    from swanalysis.drivers import fit_drivers
    from swanalysis.published.panel import shared_panel
    from swanalysis.report.params import load_params
    from swanalysis.workerdata.ingest import ingest
    from swanalysis.workforce import council_rates

    got = pd.read_csv(synthetic_report.tables_dir / "forecast.csv")
    assert set(got["year"]) == {2025, 2026, 2027}  # the returns' last census is 2024
    assert {"caseload_minus_2", "pay_plus_2000"} <= set(got["scenario"])
    res = ingest(synthetic_council.returns, hr=synthetic_council.payroll_path,
                 hr_map=synthetic_council.hr_map_path, key="another-key")
    cfg = load_params(overrides={"la": "Stockport"})["forecast"]
    model = F.fit("Stockport", history=council_rates(res.worker_years, res.returns),
                  episodes=res.episodes, worker_years=res.worker_years,
                  drivers=fit_drivers(res.worker_years), panel=shared_panel(data_dir), origin=2024,
                  simulations=cfg["simulations"], seed=cfg["seed"])
    assert model.start["inpost_fte"] == pytest.approx(
        council_rates(res.worker_years).set_index("census_year").at[2024, "inpost_fte"])
    ours = F.project(model, [F.scenario_from_dict(s) for s in cfg["scenarios"]], horizon=3).table()
    pd.testing.assert_frame_equal(got, ours, check_exact=False, rtol=1e-9)


def test_in_process_cells_fail_as_a_kernel_reports_them(tmp_path):
    """A notebook run in this process: what it displays and prints becomes the outputs a kernel
    gives, and a cell's error is the user's (one line) or a bug, as from a kernel."""
    import nbformat

    from swanalysis.report.runner import ReportError

    def notebook(*sources):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell("la = None", metadata={"tags": ["parameters"]}),
                    *map(nbformat.v4.new_code_cell, sources)]
        path = tmp_path / f"nb{len(list(tmp_path.glob('*.ipynb')))}.ipynb"
        nbformat.write(nb, path)
        return path

    shows = notebook("print('one'); print('two')",
                     "from IPython.display import HTML, display\n"
                     "print('before'); display(HTML('<p>' + la + '</p>'), metadata={'part': 'annex'})\n"
                     "display({'application/json': {'facts': (('a', 1),)}, 'text/plain': 'x'}, raw=True)",
                     "6 * 7")
    with ReportRunner(notebook=shows) as runner:
        nb = runner.execute({"la": "Wokingham"})
    outs = [c.outputs for c in nb.cells if c.cell_type == "code"]
    assert outs[2] == [{"output_type": "stream", "name": "stdout", "text": "one\ntwo\n"}]
    assert [o["output_type"] for o in outs[3]] == ["stream", "display_data", "display_data"]
    assert outs[3][1]["data"] == {"text/html": "<p>Wokingham</p>",
                                  "text/plain": "<IPython.core.display.HTML object>"}
    assert outs[3][1]["metadata"] == {"part": "annex"}
    assert outs[3][2]["data"]["application/json"] == {"facts": [["a", 1]]}  # through JSON
    assert outs[4][0]["output_type"] == "execute_result" and outs[4][0]["data"] == {"text/plain": "42"}

    user = notebook("from swanalysis.errors import UserError\nraise UserError('no data for ' + la)")
    with ReportRunner(notebook=user) as runner, pytest.raises(UserError, match="^no data for Slough$"):
        runner.execute({"la": "Slough"})
    bug = notebook("1 / 0")
    with ReportRunner(notebook=bug) as runner, pytest.raises(ReportError, match="ZeroDivisionError"):
        runner.execute({"la": "Slough"})
    # the shell is left usable and its output captured no longer
    with ReportRunner(notebook=shows) as runner:
        assert runner.execute({"la": "Reading"}).cells[3].outputs[1]["data"]["text/html"] == "<p>Reading</p>"


def test_inside_ipython_a_report_runs_in_a_kernel_of_its_own():
    """Called from a notebook (an IPython shell already runs), the runner does not take over its
    display: it uses a kernel."""
    code = ("from IPython.core.interactiveshell import InteractiveShell\n"
            "InteractiveShell.instance()\n"
            "from swanalysis.report.runner import ReportRunner\n"
            "print(ReportRunner().engine, ReportRunner(engine='kernel').engine)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["kernel", "kernel"]
    out = subprocess.run([sys.executable, "-c", code.split("\n", 2)[2]], capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["inprocess", "kernel"]
