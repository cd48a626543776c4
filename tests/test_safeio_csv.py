"""safeio.csv_to writes what pandas' to_csv writes, byte for byte, also by its faster path."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from swanalysis import safeio

ODD = pd.DataFrame({
    "text": ["a,b", 'q"x', "line\nbreak", "", None, "=1+2", "-3", "  sp ", "é", "x"],
    "num": [1.0, np.nan, 1e-7, 1e20, np.inf, 1.5, 0.1 + 0.2, 123456789.123, 2.5, 3.0],
    "int": range(10),
    "flag": [True, False] * 5,
    "nullable": pd.array([1, None, 3, 4, 5, 6, 7, 8, 9, 10], dtype="Int64"),
    "date": pd.to_datetime(["2020-01-01"] * 9 + [None]),
    "empty": [""] * 10,
})


def _pandas_bytes(df, tmp_path, **kw) -> bytes:
    """What csv_to wrote before it had a faster path: neutralise, dates as text, pandas."""
    out = safeio.neutralise_frame(df)
    if kw.get("date_format"):
        out = safeio._dates_as_text(out, kw["date_format"])
    kw = dict(index=False, lineterminator="\n", **kw)
    if safeio._has_carriage_return(out):
        kw["quoting"] = csv.QUOTE_NONNUMERIC
    out.to_csv(tmp_path / "pandas.csv", **kw)
    return (tmp_path / "pandas.csv").read_bytes()


@pytest.mark.parametrize("frame, fast", [
    (ODD, [True, False]),  # a date column without date_format: pandas writes it
    (ODD.drop(columns="date"), [True, True]),
    (ODD[["empty"]], [True, True]),
    (pd.DataFrame({"x": [""]}), [True, True]),
    # equal values written differently (1, 1.0, True; 0.0, -0.0) and a lone carriage return:
    # pandas writes them
    (ODD.assign(mixed=[1, 1.0, True, "1", None, np.nan, "a", "b", "c", "d"]), [False, False]),
    (ODD.drop(columns="date").assign(zero=[0.0, -0.0] * 5), [False, False]),
    (pd.DataFrame({1: [1], "y": ["a\rb"]}), [False, False]),
])
def test_csv_to_matches_pandas_byte_for_byte(tmp_path, frame, fast, monkeypatch):
    used = []
    by_uniques = safeio._write_csv_by_uniques
    monkeypatch.setattr(safeio, "_write_csv_by_uniques", lambda *a: used.append(by_uniques(*a)) or used[-1])
    monkeypatch.setattr(safeio, "_CSV_ROWS", 3)  # several blocks of rows
    for kw in ({"date_format": "%Y-%m-%d"}, {}):
        safeio.csv_to(frame, tmp_path / "ours.csv", **kw)
        assert (tmp_path / "ours.csv").read_bytes() == _pandas_bytes(frame, tmp_path, **kw)
    assert used == fast
    if "text" in frame.columns:
        text = (tmp_path / "ours.csv").read_text(encoding="utf-8")
        assert "'=1+2" in text and '"q""x"' in text and '"line\nbreak"' in text
