"""Table export: each recorded table as ``tables/<name>.csv`` and one ``tables.xlsx`` workbook."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Mapping

import pandas as pd

def _sheet_name(name: str, used: set) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "table"
    out, i = base, 2
    while out.lower() in used:
        suffix = f"_{i}"
        out = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(out.lower())
    return out


def write_tables(tables: Mapping[str, pd.DataFrame], output_dir, date_produced: str) -> Path:
    """``tables/<name>.csv`` for each table and ``tables.xlsx`` with a sheet per table.

    The workbook is byte-for-byte reproducible: XlsxWriter stamps its zip entries with a fixed
    date, and the document's created date is ``date_produced``.
    """
    out = Path(output_dir)
    tdir = out / "tables"
    tdir.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(tdir / f"{name}.csv", index=False, lineterminator="\n")
    used: set = set()
    created = datetime.datetime.strptime(date_produced, "%Y-%m-%d")
    with pd.ExcelWriter(out / "tables.xlsx", engine="xlsxwriter") as writer:
        writer.book.set_properties({"created": created})
        if not tables:
            pd.DataFrame({"note": ["no tables"]}).to_excel(writer, sheet_name="notes", index=False)
        for name, df in tables.items():
            df.to_excel(writer, sheet_name=_sheet_name(name, used), index=False)
    return tdir
