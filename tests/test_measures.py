"""The measure registry (swanalysis.measures) is the one place a measure is described.

Truths: the headers of the DfE release files in the data folder (every column maps to a measure,
an identifier or a deliberately ignored column), the panel read from them, and a measure added to
the registry alone turning up in the panel and the benchmark with the file's own values.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from swanalysis import benchmark as B
from swanalysis import measures as M
from swanalysis.published import fetch
from swanalysis.published import panel as P
from swanalysis.report import batch, sections

DATA = Path(os.environ.get("SWANALYSIS_DATA_DIR", Path(__file__).parents[2] / "shared/data/csww"))


def _layout_of(name: str):
    plain = name.removesuffix(".gz").removesuffix(".xz")
    hits = [lay for lay in M.LAYOUTS.values() if fnmatch.fnmatch(plain, lay.pattern)]
    assert len(hits) <= 1, name
    return hits[0] if hits else None


def _files():
    files = sorted(p for p in DATA.iterdir() if p.is_file() and not p.name.startswith("."))
    assert files, f"no data files in {DATA}"
    return files


def test_every_file_in_the_data_folder_is_a_layout_or_declared_not_a_measure_file():
    for path in _files():
        if _layout_of(path.name) is None:
            assert any(fnmatch.fnmatch(path.name, pat) for pat in M.NOT_MEASURE_FILES), (
                f"{path.name}: neither a measure layout nor listed in measures.NOT_MEASURE_FILES")


def test_every_column_of_every_release_file_maps_to_a_measure_or_is_ignored():
    known = M.column_to_measure()
    seen = {}
    for path in _files():
        layout = _layout_of(path.name)
        if layout is None:
            continue
        header = P.normalise_columns(pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns)
        unmapped = [c for c in header
                    if c not in M.ID_COLUMNS and c not in known and c not in M.IGNORED_COLUMNS]
        assert not unmapped, f"{path.name}: columns {unmapped} are in no measure's columns"
        # and the registry names each layout's real columns: none is missing from the file
        declared = {m.columns[layout.name] for m in M.REGISTRY.values() if layout.name in m.columns}
        assert declared <= set(header), (path.name, sorted(declared - set(header)))
        seen[layout.name] = {known[c] for c in header if c in known}
    # the indicators layout publishes all 22 measures; the 2022 headline layout has no starters
    assert seen["indicators"] == set(M.REGISTRY) and len(M.REGISTRY) == 22
    assert set(M.REGISTRY) - seen["headline"] == {"starters_fte", "starters_headcount"}


def test_the_panel_holds_exactly_the_registry_measures():
    panel = P.shared_panel(DATA)
    assert set(panel["measure"]) == set(M.REGISTRY)
    # a value read through the older layout's column name: England's 2022 turnover rate was
    # 17.1% in the 2022 release (csww_headline_measures_2017_to_2022.csv, turnover_rate_fte_%)
    eng = panel[(panel["area_level"] == "national") & (panel["release"] == 2022)
                & (panel["measure"] == "turnover_rate") & (panel["time_period"] == 2022)]
    assert eng["value"].tolist() == [17.1]


def test_everything_else_derives_from_the_registry():
    assert B.BENCHMARK_MEASURES == ["turnover_rate", "agency_rate", "vacancy_rate", "caseload",
                                    "absence_rate", "inpost_fte", "starters_fte", "leavers_fte"]
    assert B.RATE_MEASURES == [m for m in B.BENCHMARK_MEASURES if M.get(m).kind == "rate"]
    assert B.DENOMINATORS["agency_rate"] == ("agency_fte", ["inpost_fte", "agency_fte"])
    assert B.MEASURE_LABELS["caseload"] == ("average caseload", " cases per case-holding FTE", 1)
    assert sections.KEY_MEASURES == M.names("key_message")
    assert sections.MEASURE_LABELS["agency_rate"] == "Agency rate (%)"
    assert [m.name for m in batch.HEADLINE] == ["agency_rate", "turnover_rate", "vacancy_rate",
                                                 "caseload"]
    from swanalysis import glance
    assert glance.HEADLINE == ["agency_rate", "turnover_rate", "vacancy_rate", "caseload",
                               "absence_rate", "inpost_fte"]
    assert set(fetch.NEEDED_MEASURES) == set(B.BENCHMARK_MEASURES)
    assert P.REQUIRED_COLUMNS == list(M.REQUIRED_COLUMNS)
    # the direction the committee summary needs
    lower = {m.name for m in M.REGISTRY.values() if m.better == "lower"}
    assert {"turnover_rate", "agency_rate", "vacancy_rate", "absence_rate", "caseload"} <= lower
    assert M.get("inpost_fte").better is None
    with pytest.raises(KeyError, match="unknown measure 'nope'"):
        M.get("nope")
    with pytest.raises(ValueError, match="unknown role"):
        M.with_role("nope")


def test_a_bad_entry_is_refused():
    with pytest.raises(ValueError, match="needs its denominator"):
        M.Measure("x_rate", {}, "x", "X", "X (%)", "%", "%", "rate", roles={"benchmark": 9})
    with pytest.raises(ValueError, match="better must be"):
        M.Measure("x", {}, "x", "X", "X", "", "", "count", better="up")


def test_one_registry_entry_adds_a_measure_to_the_panel_and_the_benchmark(tmp_path):
    """A new column in a release file plus one Measure entry: the panel reads it and the
    benchmark compares it, with the file's own values."""
    src = pd.read_csv(DATA / "csww_indicators_2017_to_2025.csv", dtype=str, keep_default_na=False)
    starters = pd.to_numeric(src["starters_fte"], errors="coerce")
    inpost = pd.to_numeric(src["inpost_fte"], errors="coerce")
    src["starter_rate_fte"] = (100 * starters / inpost).round(1).astype(str).replace("nan", "x")
    folder = tmp_path / "data"
    folder.mkdir()
    src.to_csv(folder / "csww_indicators_2017_to_2025.csv", index=False)
    shutil.copy(DATA / "sn_model_2025_wide.csv", folder)
    wokingham = src[(src["la_name"] == "Wokingham") & (src["time_period"] == "2025")]
    expected = float(wokingham["starter_rate_fte"].iloc[0])
    code = textwrap.dedent(f"""
        from swanalysis import measures as M
        M.REGISTRY["starter_rate"] = M.Measure(
            "starter_rate", {{"indicators": "starter_rate_fte"}}, "starter rate", "Starter rate",
            "Starter rate (%)", "%", "%", "rate", numerator="starters_fte",
            denominator=("inpost_fte",), better="higher", roles={{"benchmark": 9}})
        from swanalysis.benchmark import benchmark
        from swanalysis.published.panel import load_panel
        panel = load_panel({str(folder)!r})
        assert "starter_rate" in set(panel["measure"])
        res = benchmark("Wokingham", 2025, panel=panel, data_dir={str(folder)!r})
        row = res.summary.set_index("measure").loc["starter_rate"]
        print(row["value"], row["label"], row["rank"] > 0)
    """)
    env = dict(os.environ, SWANALYSIS_PANEL_CACHE="0")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(expected), "starter", "rate", "True"]
