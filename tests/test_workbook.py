"""safeio.frame_to_sheet writes the same workbook, byte for byte, as pandas' to_excel."""

import datetime

import numpy as np
import pandas as pd

from swanalysis import safeio


def _book(path, frames, fast: bool):
    with pd.ExcelWriter(path, engine="xlsxwriter",
                        engine_kwargs={"options": safeio.XLSX_OPTIONS}) as writer:
        writer.book.set_properties({"created": datetime.datetime(2026, 1, 15)})
        for name, df in frames.items():
            if fast:
                safeio.frame_to_sheet(writer, df, name)
            else:
                df.to_excel(writer, sheet_name=name, index=False)
    return path.read_bytes()


def test_frame_to_sheet_is_pandas_to_excel_byte_for_byte(tmp_path):
    mixed = pd.DataFrame({
        "name": ["Kent", "", None, "'=1+1", "Kent"],
        "rate": [1.5, np.nan, np.inf, -np.inf, 0.1 + 0.2],
        "count": np.array([1, 2, 3, 4, 5], dtype="int64"),
        "flag": [True, False, True, True, False],
        "any": [1, 2.5, "x", None, np.float64(3.25)],
        "when": [datetime.date(2024, 9, 30)] * 4 + [None],
        "stamp": pd.to_datetime(["2024-09-30", None, "2023-01-02", "2022-03-04", "2021-05-06"]),
        "part": pd.Categorical(["a", "b", "a", None, "b"]),
        3: ["numbered", "header", "", "", "x"],
    })
    frames = {"mixed": mixed, "empty": mixed.iloc[:0], "again": mixed[["rate", "name"]]}
    assert _book(tmp_path / "fast.xlsx", frames, True) == _book(tmp_path / "pandas.xlsx", frames, False)
