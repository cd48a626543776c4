"""One result convention (swanalysis.results): every result object prints as one line with its
counts, shows a compact HTML summary in JupyterLab, and has .table() and .sentences(); notes and
suppressed groups are fields. Checked on a small synthetic council read through ingest."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest

from swanalysis import drivers as D
from swanalysis import tenure as T
from swanalysis.plots import drivers as DP
from swanalysis.results import Result


@pytest.fixture(scope="module")
def council(data_dir, tmp_path_factory):
    from swanalysis.synth import generate

    return generate("Stockport", "2020-2024", seed=3, data_dir=data_dir, scale=0.5,
                    retention_draws=1000, out_dir=tmp_path_factory.mktemp("results_council"))


@pytest.fixture(scope="module")
def ingested(council):
    from swanalysis.workerdata.ingest import ingest

    return ingest(council.returns, hr=council.payroll_path, hr_map=council.hr_map_path)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.tags, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _check_convention(res: Result, counts: list[str]):
    line = repr(res)
    assert "\n" not in line and len(line) < 200, line
    assert line.startswith(f"<{type(res).__name__} ") and line.endswith(">")
    for c in counts:
        assert c in line, (c, line)
    page = _Tags()
    page.feed(res._repr_html_())
    assert not page.stack, "every element closed"
    text = " ".join(page.text)
    for c in counts:
        assert c.split(" ", 1)[0] in text
    for s in res.sentences():
        assert s in text
    return page, text


def test_ingest_result(ingested, council):
    s = ingested.summary
    counts = [f"{s['workers']:,} workers", f"{s['spells']:,} spells", f"{s['leavers']:,} leavers",
              f"{s['records']:,} records", f"{len(council.returns)} files"]
    assert s["spells"] == len(ingested.episodes) > 100
    page, _ = _check_convention(ingested, counts)
    assert "table" in page.tags
    pd.testing.assert_frame_equal(ingested.table(), ingested.returns)
    assert ingested.sentences()[0].startswith(f"Read {len(council.returns)} of {len(council.returns)} files")
    assert repr(ingested).startswith(f"<IngestResult LA {council.lea} 2020-2024: ")


def test_retention_curves_and_logrank(ingested):
    ep = ingested.episodes
    res = T.retention_curve(ep, by="role")
    counts = [f"{len(res.groups)} group", f"{len(res.spells):,} spells", f"{len(res.suppressed)} suppressed"]
    _check_convention(res, counts)
    pd.testing.assert_frame_equal(res.table((12, 24)), T.retention_at(ep, (12, 24), by="role"))
    assert res.sentences() == [T.describe_retention(res.table((12,)), 12, group_var="role", group=g)
                               for g in res.groups]
    lr = T.logrank(ep, "role")
    _check_convention(lr, [f"{len(lr.groups)} groups"])
    assert lr.table().loc[0, "p_value"] == lr.p_value and lr.sentences() == [lr.sentence()]


def test_drivers_result_and_one_entry_per_model(ingested, monkeypatch):
    res = D.fit_drivers(ingested.worker_years)
    assert res.ok
    assert list(res.fits) == list(D.MODELS) and res.cox is res.fits[D.COX]
    counts = [f"{res.n_workers:,} workers", f"{res.n_events:,} leavers", f"{len(D.MODELS)} models"]
    page, text = _check_convention(res, counts)
    pd.testing.assert_frame_equal(res.table(), D.hazard_ratio_table(res))
    assert res.sentences() == D.sentences(res)
    assert "caseload" in text  # the first rows of the hazard-ratio table
    # a new model is one fit function plus one entry: here the Cox model with each interval its
    # own subject (no id), which must give the same hazard ratios and turn up in every output
    models = dict(D.MODELS)
    models["cox_no_id"] = D.Model(lambda data, cols: D.fit_cox(data, cols, id_col=None), "Cox (no id)",
                                  "Cox, intervals as subjects")
    monkeypatch.setattr(D, "MODELS", models)
    more = D.fit_drivers(ingested.worker_years)
    table = more.table()
    assert list(dict.fromkeys(table["model"])) == list(models)
    a = table.set_index(["model", "term"])["hazard_ratio"]
    pd.testing.assert_series_equal(a.loc["cox_no_id"], a.loc[D.COX], rtol=1e-6)
    assert "Cox (no id)" in DP.forest_alt_text(table)


def test_published_results_print_one_line(data_dir):
    """repr(BenchmarkResult) printed 6,000-16,000 characters into a notebook: now one line."""
    from swanalysis.benchmark import benchmark, describe
    from swanalysis.costs import agency_cover_cost
    from swanalysis.published.areas import statistical_neighbours

    res = benchmark("Wokingham", 2022, data_dir=data_dir)
    assert repr(res) == "<BenchmarkResult Wokingham 2022: 8 measures, 10 neighbours, 150 ranked>"
    assert int(res.summary["n_ranked"].max()) == 150 and len(res.neighbours) == 10
    assert res.sentences()[1] == describe(res, "agency_rate")
    page, text = _check_convention(res, ["8 measures", "10 neighbours", "150 ranked"])
    assert "table" in page.tags and "Wokingham" in text
    sn = statistical_neighbours("Richmond upon Thames", data_dir=data_dir)
    _check_convention(sn, ["10 neighbours", f"{len(sn.notes)} note"])
    assert sn.sn_of == "318" and all(n in sn.sentences() for n in sn.notes)
    cost = agency_cover_cost(30, 170, sn_median_rate=10)
    _check_convention(cost, ["30.0 agency FTE", "15.0% agency rate", "£600,000 a year"])
    assert cost.table().loc["annual_premium", "value"] == 600_000
