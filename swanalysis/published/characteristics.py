"""Two more DfE published files about the people: who is in post, and how often children change
social worker.

* ``csww_role_by_characteristics_inpost_2019_to_YYYY.csv`` (optionally ``.gz``): social workers in
  post at 30 September by role (Total, Senior manager, Middle manager, First line manager, Senior
  practitioner, Case holder, Qualified without cases) × breakdown topic (Age group, Sex, Ethnicity
  major) × breakdown, FTE and headcount with their percentages, for every local authority, region
  and England. :func:`read_characteristics` gives one tidy row per area × year × role × topic ×
  breakdown.
* ``cla_social_worker_stability_YYYY.csv`` (*Children looked after*): children looked after at
  31 March and how many had 3 or more social workers during the year. :func:`read_cla_stability`
  gives one row per area and year (both the release's ``number``/``percentage`` and the later
  ``children_count``/``children_percent`` spellings are read).

Suppression and availability symbols (``x``, ``z``, ``low``, ...) become NaN with the symbol kept
in a ``*_symbol`` column, as the indicators reader does. Areas are keyed as in the panel: an
authority by its ONS code (``area_code``; a joint return by both, ``E09000021 / E09000027``), a
region by its region code (Inner and Outer London are sub-regions of London), England by
``E92000001``. Known gaps of the characteristics file (the DfE dashboard's copy): Cumbria is absent
for 2019-2022, and the old Dorset, Northamptonshire, Bournemouth and Poole rows are absent; a
report says so instead of showing nothing.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputFileError, NoDataError
from . import diskcache, panel as _panel
from .panel import LEVELS, LONDON, LONDON_SUBREGIONS, SYMBOLS

CHARACTERISTICS_GLOB = "csww_role_by_characteristics_inpost_2019_to_*.csv*"
STABILITY_GLOB = "cla_social_worker_stability_*.csv*"

#: Roles in the published order, with the words a report uses for them.
ROLES = {
    "Total": "All social workers",
    "Case holder": "Case-holding social workers",
    "Senior practitioner": "Senior practitioners",
    "First line manager": "First line managers",
    "Middle manager": "Middle managers",
    "Senior manager": "Senior managers",
    "Qualified without cases": "Qualified, without cases",
}
TOPICS = ("Age group", "Sex", "Ethnicity major")

CHARACTERISTICS_COLUMNS = [
    "area_level", "area_code", "old_la_code", "area_name", "region_code", "region_name",
    "time_period", "role", "breakdown_topic", "breakdown", "fte", "fte_pct", "headcount",
    "headcount_pct", "fte_symbol", "headcount_symbol",
]
STABILITY_COLUMNS = [
    "area_level", "area_code", "old_la_code", "area_name", "region_code", "region_name",
    "time_period", "children", "three_plus", "three_plus_pct", "symbol",
]

_VALUE_COLUMNS = {
    "inpost_fte": "fte", "inpost_fte_percentage": "fte_pct",
    "inpost_headcount": "headcount", "inpost_headcount_percentage": "headcount_pct",
}
_REQUIRED = ["time_period", "geographic_level", "region_code", "region_name", "new_la_code",
             "la_name", "role", "breakdown_topic", "breakdown"]


def characteristics_dir(explicit: str | os.PathLike | None = None, data_dir=None) -> Path:
    """The folder holding the characteristics files: ``explicit`` (a folder, or one of the files),
    else ``csww_characteristics`` beside ``data_dir`` when given and present, else
    :func:`swanalysis.config.characteristics_dir` ($SWANALYSIS_CHARACTERISTICS_DIR, beside the
    statistics folder, the built-in snapshot)."""
    from ..config import characteristics_dir as _resolve

    if explicit is not None and Path(explicit).is_file():
        return Path(explicit).resolve().parent
    if explicit is None and data_dir is not None:
        beside = Path(data_dir).expanduser().parent / "csww_characteristics"
        if beside.is_dir():
            return beside.resolve()
    return _resolve(explicit)


def _newest(folder: Path, pattern: str) -> Path | None:
    files = sorted(folder.glob(pattern), key=lambda p: (re.findall(r"\d{4}", p.name)[-1:], p.name))
    return files[-1] if files else None


def _file(path, pattern: str, what: str, data_dir=None) -> Path:
    if path is not None and Path(path).is_file():
        return Path(path).resolve()
    folder = characteristics_dir(path, data_dir=data_dir)
    found = _newest(folder, pattern)
    if found is None:
        raise NoDataError(f"{folder}: no {what} file ({pattern})")
    return found


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError,
            EOFError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(f"{path}: cannot read as CSV ({msg})") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    return raw


def _ids(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Area columns keyed as in the panel, and the year; one-line errors naming record and field."""
    level = raw["geographic_level"].str.strip().str.lower().map(LEVELS)
    bad = level.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(f"{path}: record {i + 2}: field geographic_level has an unknown value")
    period = pd.to_numeric(raw["time_period"].str.strip(), errors="coerce")
    if period.isna().any():
        i = int(np.flatnonzero(period.isna().to_numpy())[0])
        raise InputFileError(f"{path}: record {i + 2}: field time_period is not a year")
    is_la = (level == "la").to_numpy()
    is_reg = (level == "regional").to_numpy()
    get = lambda c: raw[c].str.strip() if c in raw.columns else pd.Series("", index=raw.index)  # noqa: E731
    country = get("country_code").where(get("country_code") != "", "E92000001")
    ids = pd.DataFrame({
        "area_level": level,
        "area_code": np.where(is_la, get("new_la_code"), np.where(is_reg, get("region_code"), country)),
        "old_la_code": np.where(is_la, get("old_la_code"), ""),
        "area_name": np.where(is_la, get("la_name"),
                              np.where(is_reg, get("region_name"), "England")),
        "region_code": np.where(level == "national", "", get("region_code")),
        "region_name": np.where(level == "national", "", get("region_name")),
        "time_period": period.astype(int),
    })
    # an authority in Inner or Outer London belongs to the London region (as in the panel)
    la_sub = is_la & ids["region_code"].isin(LONDON_SUBREGIONS).to_numpy()
    ids.loc[la_sub, "region_code"] = LONDON[0]
    ids.loc[la_sub, "region_name"] = LONDON[1]
    return ids


def _numbers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = text.str.strip()
    value = pd.to_numeric(text, errors="coerce").astype(float)
    symbol = pd.Series(np.where(value.isna(), text, ""), index=text.index)
    return value, symbol


def _check_symbols(symbol: pd.Series, path: Path, field: str) -> None:
    bad = symbol.ne("") & ~symbol.str.lower().isin(SYMBOLS)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(f"{path}: record {i + 2}: field {field} is neither a number nor a "
                             "DfE symbol")


def _kept(kind: str, columns: list[str], parse):
    """``parse(path)`` kept in memory per file and modification time, and on disk between
    processes (swanalysis.published.diskcache: keyed by the file's path, modification time and
    size and by the source of this module and of the panel's, whose levels and symbols it
    reads by; a file that fails to parse is never kept)."""

    @functools.lru_cache(maxsize=4)
    def read(path: str, mtime: int) -> pd.DataFrame:
        key = (path, mtime, Path(path).stat().st_size)
        disk = diskcache.cache_file(kind, key, (sys.modules[__name__], _panel))
        kept = diskcache.read(disk, lambda t: isinstance(t, pd.DataFrame) and list(t.columns) == columns)
        if kept is None:
            kept = parse(Path(path))
            diskcache.write(disk, kept)
        return kept

    return read


def _parse_characteristics(p: Path) -> pd.DataFrame:
    raw = _read_csv(p)
    missing = [c for c in _REQUIRED + list(_VALUE_COLUMNS) if c not in raw.columns]
    if missing:
        raise InputFileError(f"{p}: not a CSWW role-by-characteristics file, missing column "
                             f"{missing[0]!r}")
    out = _ids(raw, p)
    for c in ("role", "breakdown_topic", "breakdown"):
        out[c] = raw[c].str.strip()
    symbols = {}
    for col, name in _VALUE_COLUMNS.items():
        value, symbol = _numbers(raw[col])
        _check_symbols(symbol, p, col)
        out[name] = value
        symbols[name] = symbol
    out["fte_symbol"] = symbols["fte"]
    out["headcount_symbol"] = symbols["headcount"]
    out = out[CHARACTERISTICS_COLUMNS]
    for c in ("area_level", "region_code", "region_name", "role", "breakdown_topic", "breakdown"):
        out[c] = out[c].astype("category")
    out.attrs["source"] = p.name
    return out


_read_characteristics = _kept("characteristics", CHARACTERISTICS_COLUMNS, _parse_characteristics)


def read_characteristics(path: str | os.PathLike | None = None, data_dir=None) -> pd.DataFrame:
    """The role-by-characteristics file as a tidy table (columns ``CHARACTERISTICS_COLUMNS``).

    ``path``: the file, or its folder (default: :func:`characteristics_dir`). Read once per file
    and modification time; callers get the shared frame and must not modify it.
    """
    f = _file(path, CHARACTERISTICS_GLOB, "role-by-characteristics", data_dir)
    return _read_characteristics(str(f), f.stat().st_mtime_ns)


def _parse_stability(p: Path) -> pd.DataFrame:
    raw = _read_csv(p)
    raw = raw.rename(columns={"children_count": "number", "children_percent": "percentage"})
    missing = [c for c in ["time_period", "geographic_level", "sw_stability", "number", "percentage"]
               if c not in raw.columns]
    if missing:
        raise InputFileError(f"{p}: not a children-looked-after social worker stability file, "
                             f"missing column {missing[0]!r}")
    if "cla_group" in raw.columns:
        raw = raw[raw["cla_group"].str.strip().str.lower().str.startswith("cla on 31 march")
                  | raw["cla_group"].str.strip().eq("")]
    ids = _ids(raw, p)
    stab = raw["sw_stability"].str.strip().str.lower()
    value, symbol = _numbers(raw["number"])
    _check_symbols(symbol, p, "number")
    pct, pct_symbol = _numbers(raw["percentage"])
    _check_symbols(pct_symbol, p, "percentage")
    key = ["area_level", "area_code", "old_la_code", "area_name", "region_code", "region_name",
           "time_period"]
    total = stab.eq("total children").to_numpy()
    three = stab.str.startswith("3 or more").to_numpy()
    a = ids[total].assign(children=value[total].to_numpy(), symbol=symbol[total].to_numpy())
    b = ids[three].assign(three_plus=value[three].to_numpy(), three_plus_pct=pct[three].to_numpy(),
                          symbol_3=np.where(symbol[three] != "", symbol[three], pct_symbol[three]))
    out = a.merge(b, on=key, how="outer")
    out["symbol"] = np.where(out["symbol"].fillna("") != "", out["symbol"].fillna(""),
                             out["symbol_3"].fillna(""))
    out = out[STABILITY_COLUMNS].reset_index(drop=True)
    out.attrs["source"] = p.name
    return out


_read_stability = _kept("stability", STABILITY_COLUMNS, _parse_stability)


def read_cla_stability(path: str | os.PathLike | None = None, data_dir=None) -> pd.DataFrame:
    """Children looked after at 31 March and how many had 3+ social workers in the year: one row
    per area and year (``STABILITY_COLUMNS``; ``three_plus_pct`` as published, a whole number)."""
    f = _file(path, STABILITY_GLOB, "children-looked-after social worker stability", data_dir)
    return _read_stability(str(f), f.stat().st_mtime_ns)


def area_rows(table: pd.DataFrame, area) -> pd.DataFrame:
    """An area's rows of either table: an authority by its ONS code(s) — a joint return's rows, or
    its member councils' rows added up where the file publishes them separately — a region or
    England by its code."""
    level = getattr(area, "area_level", "la")
    if level != "la":
        return table[(table["area_level"] == level) & (table["area_code"] == area.area_code)]
    las = table[table["area_level"] == "la"]
    mine = las[las["area_code"] == area.area_code]
    if len(mine) or not getattr(area, "is_joint", False):
        if len(mine) == 0 and area.old_la_code:
            mine = las[las["old_la_code"] == area.old_la_code]
        return mine
    codes = [c.strip() for c in str(area.area_code).split("/")]
    return las[las["area_code"].isin(codes) | las["old_la_code"].isin(area.components)]
