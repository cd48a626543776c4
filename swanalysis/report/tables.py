"""Table export: each recorded table as ``tables/<name>.csv`` and one ``tables.xlsx`` workbook."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Mapping

import pandas as pd

from ..safeio import csv_to, workbook_to


def write_tables(tables: Mapping[str, pd.DataFrame], output_dir, date_produced: str) -> Path:
    """``tables/<name>.csv`` for each table and ``tables.xlsx`` with a sheet per table.

    Written by :mod:`swanalysis.safeio`: every text cell a spreadsheet would take for a formula
    (``=``, ``+``, ``-``, ``@``, tab, carriage return: an authority name or a payroll team can
    carry one) gets a leading apostrophe, numbers stay numbers, and the workbook's strings are
    never formulas. The files go into the report's build folder, which the runner renames into
    place only when complete.

    The workbook is byte-for-byte reproducible: XlsxWriter stamps its zip entries with a fixed
    date, and the document's created date is ``date_produced``.
    """
    out = Path(output_dir)
    tdir = out / "tables"
    tdir.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        csv_to(df, tdir / f"{name}.csv")
    created = datetime.datetime.strptime(date_produced, "%Y-%m-%d")
    workbook_to(tables, out / "tables.xlsx", created=created)
    return tdir
