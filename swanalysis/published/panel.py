"""The DfE's published *Children's social work workforce* statistics as one tidy panel.

``load_panel(data_dir)`` reads every release in the folder — ``csww_indicators_2017_to_YYYY.csv``
and the older ``csww_headline_measures_2017_to_2022.csv`` layout, plain or compressed
(``.csv.gz``, ``.csv.xz``: the built-in snapshot's are gzip) — into one row per
area × time_period × measure × release (the contract in docs/tables.md). Suppression and
availability symbols (``x``, ``z``, ``u``, ``c``, ``low``, ``:``) become NaN with the symbol
kept. The newest release that publishes an area × period × measure wins (``is_latest``); rows
from earlier releases stay in the panel as revisions.

Area resolution (names, codes, joint returns, boundary changes) and statistical neighbours
live in :mod:`swanalysis.published.areas`.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .. import measures
from ..config import COMPRESSED_SUFFIXES, data_dir as _resolve_data_dir
from ..errors import InputFileError
from . import diskcache

_RELEASE_RE = re.compile(r"_to_(\d{4})\.csv(?:\.gz|\.xz)?$")

#: Canonical measure names (docs/tables.md), in display order: the registry's.
MEASURES = measures.names()

#: Column in a published file -> canonical measure: both layouts, plus the spellings the EES API
#: uses (it lower-cases headers and may drop the ``_%`` suffix). Derived from the registry.
COLUMN_TO_MEASURE = measures.column_to_measure()

#: Columns that describe the row rather than hold a measure.
ID_COLUMNS = set(measures.ID_COLUMNS)
REQUIRED_COLUMNS = list(measures.REQUIRED_COLUMNS)

#: Symbols the DfE uses for missing values (GSS guidance).
SYMBOLS = {
    "x": "suppressed or not available",
    "z": "not applicable",
    "u": "low reliability",
    "c": "confidential",
    "low": "a small value that rounds to zero",
    ":": "not available",
}

LEVELS = {"national": "national", "regional": "regional", "local authority": "la"}
LONDON = ("E12000007", "London")
LONDON_SUBREGIONS = {"E13000001": "Inner London", "E13000002": "Outer London"}

PANEL_COLUMNS = [
    "area_level", "area_code", "old_la_code", "area_name", "region_code", "region_name",
    "subregion_code", "subregion_name", "is_subregion", "time_period", "measure", "value",
    "symbol", "release", "is_latest",
]


def release_files(folder: Path) -> list[tuple[int, Path]]:
    """(release year, path) for every release file in the folder, oldest first."""
    out = []
    for layout in measures.LAYOUTS.values():
        for suffix in COMPRESSED_SUFFIXES:
            for path in folder.glob(layout.pattern + suffix):
                m = _RELEASE_RE.search(path.name)
                if m:
                    out.append((int(m.group(1)), layout.precedence, path))
    # Two layouts of the same release: the higher precedence (the indicators file) supersedes
    # the other; of two copies of one file, the plain CSV supersedes a compressed one.
    out.sort(key=lambda rlp: (rlp[0], rlp[1], rlp[2].suffix == ".csv"))
    return [(release, path) for release, _, path in out]


def open_text(path: str | os.PathLike):
    """Open a text file for reading, decompressing ``.gz`` / ``.xz`` (BOM dropped, newlines kept
    as in the file, for :mod:`csv`)."""
    path = Path(path)
    if path.suffix == ".gz":
        import gzip
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    if path.suffix == ".xz":
        import lzma
        return lzma.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


#: Human-readable headers (as the EES API's CSV may give them) -> the published column names.
HEADER_ALIASES = measures.header_aliases()


def normalise_columns(columns) -> list[str]:
    """Column headers as the published files spell them.

    Lower case, trimmed; headers written as labels ("Time period", "Local authority",
    "Turnover rate (FTE)") become snake case and the location columns map to their published
    names. ``%`` is kept so the older layout's ``turnover_rate_fte_%`` still matches.
    """
    out = []
    for c in columns:
        c0 = str(c).strip().lstrip("\ufeff").lower()
        snake = re.sub(r"[^a-z0-9%]+", "_", c0).strip("_")
        snake = re.sub(r"_?%$", "_%", snake) if snake.endswith("%") else snake
        out.append(HEADER_ALIASES.get(snake, snake))
    return out


#: a file with at least this many known measure columns is a full release, which must have every
#: measure the benchmark needs
FULL_RELEASE_MEASURES = 8


class PublishedDataWarning(UserWarning):
    """A published statistics file was damaged and left out (the message says which file and
    line, and which release is used instead)."""


def _ends_mid_line(path: Path) -> bool:
    """True when a plain CSV does not end with a line break (cut short inside a row)."""
    if path.suffix != ".csv":
        return False  # compressed: a cut-short .gz/.xz fails to decompress instead
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return False
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) not in (b"\n", b"\r")


def _check_complete(path: Path, raw: pd.DataFrame) -> None:
    """Every row has every field, the file ends with a line break, and the measures the
    benchmark needs each have their column (a renamed column would silently drop one)."""
    short = raw.isna().any(axis=1).to_numpy()  # keep_default_na=False: NaN only for missing fields
    if short.any():
        i = int(np.flatnonzero(short)[0])
        n = int(raw.iloc[i].notna().sum())
        raise InputFileError(f"{path}: line {i + 2} is incomplete ({n} of {raw.shape[1]} fields; "
                             "the file may be cut short)")
    if len(raw) and _ends_mid_line(path):
        raise InputFileError(f"{path}: line {len(raw) + 1} is incomplete (the file ends inside a row; "
                             "cut short?)")
    import fnmatch

    found = {COLUMN_TO_MEASURE.get(c) for c in raw.columns}
    plain = re.sub(r"\.(gz|xz)$", "", path.name)
    layout = next((lay.name for lay in measures.LAYOUTS.values() if fnmatch.fnmatch(plain, lay.pattern)), None)
    # the benchmark's measures that this layout publishes (the 2022 headline file has no starters)
    needed = [m.name for m in measures.with_role("benchmark") if layout is None or layout in m.columns]
    lacking = [m for m in needed if m not in found]
    unknown = [c for c in raw.columns if c not in ID_COLUMNS and c not in COLUMN_TO_MEASURE]
    # a full release (or one with a column we do not know) that lacks a needed measure has had a
    # column renamed or dropped; a small extract of a few measures (tests, a user's subset) is fine
    if lacking and (unknown or len(found - {None}) >= FULL_RELEASE_MEASURES):
        hint = f" (unrecognised column {unknown[0][:40]!r}: renamed?)" if unknown else ""
        raise InputFileError(f"{path}: line 1: no column for measure {lacking[0]}{hint}")


def _read_release(path: Path, release: int) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError,
            EOFError, OSError) as exc:  # OSError, EOFError: a damaged .gz / .xz
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(f"{path}: cannot read as CSV ({msg})") from None
    raw.columns = normalise_columns(raw.columns)
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise InputFileError(f"{path}: not a CSWW statistics file, missing column {missing[0]!r}")
    _check_complete(path, raw)
    level = raw["geographic_level"].str.strip().str.lower().map(LEVELS)
    bad = level.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(
            f"{path}: record {i + 2}: field geographic_level has unknown value "
            f"{raw['geographic_level'].iloc[i]!r}"
        )
    try:
        period = raw["time_period"].astype(int)
    except ValueError:
        bad_tp = pd.to_numeric(raw["time_period"], errors="coerce").isna()
        i = int(np.flatnonzero(bad_tp.to_numpy())[0])
        raise InputFileError(
            f"{path}: record {i + 2}: field time_period is not a year "
            f"({raw['time_period'].iloc[i]!r})"
        ) from None

    is_la = level == "la"
    is_reg = level == "regional"
    ids = pd.DataFrame({
        "area_level": level,
        "area_code": np.where(is_la, raw["new_la_code"],
                              np.where(is_reg, raw["region_code"], raw["country_code"])),
        "old_la_code": np.where(is_la, raw["old_la_code"].str.strip(), ""),
        "area_name": np.where(is_la, raw["la_name"],
                              np.where(is_reg, raw["region_name"], raw["country_name"])),
        "region_code": np.where(level == "national", "", raw["region_code"]),
        "region_name": np.where(level == "national", "", raw["region_name"]),
        "time_period": period,
    })
    ids["area_code"] = ids["area_code"].str.strip()
    ids["area_name"] = ids["area_name"].str.strip()
    # Inner/Outer London: regional rows stay as published (flagged as sub-regions); an LA's
    # region is London and its sub-region is kept alongside.
    sub = ids["region_code"].isin(LONDON_SUBREGIONS)
    ids["subregion_code"] = np.where(sub, ids["region_code"], "")
    ids["subregion_name"] = np.where(sub, ids["region_name"], "")
    ids["is_subregion"] = sub & is_reg
    la_sub = sub & is_la
    ids.loc[la_sub, "region_code"] = LONDON[0]
    ids.loc[la_sub, "region_name"] = LONDON[1]

    measure_cols = [c for c in raw.columns if c not in ID_COLUMNS]
    frames = []
    for col in measure_cols:
        measure = COLUMN_TO_MEASURE.get(col, re.sub(r"_%$", "", col))
        text = raw[col].str.strip()
        value = pd.to_numeric(text, errors="coerce")
        f = ids.copy()
        f["measure"] = measure
        f["value"] = value.astype(float)
        f["symbol"] = np.where(value.isna(), text, "")
        frames.append(f)
    if not frames:
        raise InputFileError(f"{path}: no measure columns found")
    long = pd.concat(frames, ignore_index=True)
    long["release"] = release
    return long


def _mark_latest(panel: pd.DataFrame) -> pd.Series:
    """True where no newer release publishes the same period × measure for an overlapping area.

    LA rows are keyed by their DfE number(s): a joint return ``314 / 318`` overlaps both
    ``314`` and ``318``, so once a release publishes the joint row, an older release's separate
    Kingston or Richmond rows for that period become revisions (is_latest False).
    """
    key = np.where(panel["area_level"] == "la", panel["old_la_code"],
                   panel["area_level"] + ":" + panel["area_code"])
    comp = pd.DataFrame({
        "row": np.arange(len(panel)),
        "key": pd.Series(key).str.split(" / "),
        "time_period": panel["time_period"].to_numpy(),
        "measure": panel["measure"].to_numpy(),
        "release": panel["release"].to_numpy(),
    }).explode("key")
    comp["key"] = comp["key"].str.strip()
    newest = comp.groupby(["key", "time_period", "measure"])["release"].transform("max")
    row_newest = newest.groupby(comp["row"]).max()
    return pd.Series(panel["release"].to_numpy() >= row_newest.sort_index().to_numpy(),
                     index=panel.index)


def _folder_signature(folder: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for _, p in release_files(folder))


def _disk_cache_file(folder: str, signature: tuple) -> Path | None:
    """Where a parsed panel is kept between processes (each notebook kernel of a batch run
    would otherwise parse every CSV again). Keyed by folder, file state and this module's
    source, so any change re-parses. ``SWANALYSIS_PANEL_CACHE=0`` turns it off."""
    # this module and the registry it reads columns by
    return diskcache.cache_file("panel", (folder, signature), (sys.modules[__name__], measures))


def _read_disk_cache(path: Path | None) -> pd.DataFrame | None:
    return diskcache.read(path, lambda panel: isinstance(panel, pd.DataFrame)
                          and list(panel.columns) == PANEL_COLUMNS)


_write_disk_cache = diskcache.write


@functools.lru_cache(maxsize=8)
def _load_cached(folder: str, signature: tuple) -> pd.DataFrame:
    disk = _disk_cache_file(folder, signature)
    cached = _read_disk_cache(disk)
    if cached is not None:
        cached.attrs["data_dir"] = folder
        for note in cached.attrs.get("damaged", ()):  # say it again in every process
            warnings.warn(note, PublishedDataWarning, stacklevel=2)
        return cached
    panel = _parse_folder(folder)
    _write_disk_cache(disk, panel)
    return panel


def _parse_folder(folder: str) -> pd.DataFrame:
    files = release_files(Path(folder))
    frames = []
    seen_release = set()
    damaged: list[tuple[int, str]] = []
    for release, path in reversed(files):  # newest first; skip a second layout of a release
        if release in seen_release:
            continue
        try:
            frames.append(_read_release(path, release))
        except InputFileError as exc:
            # a damaged file (cut short, a renamed column, a bad line) is left out whole rather
            # than read in part: part of a release would silently shrink rankings and medians
            damaged.append((release, str(exc)))
            continue
        seen_release.add(release)
    if not frames:
        raise InputFileError(damaged[0][1] + "; no other release to fall back to")
    notes = []
    for release, message in damaged:
        if release in seen_release:
            instead = f"the other file of release {release} used instead"
        elif any(r < release for r in seen_release):
            instead = f"figures from release {max(r for r in seen_release if r < release)} used instead"
        else:
            instead = f"release {release} not used (newer releases are)"
        notes.append(f"{message}; {instead}")
    for note in notes:
        warnings.warn(note, PublishedDataWarning, stacklevel=2)
    panel = pd.concat(frames, ignore_index=True)
    panel = panel.sort_values(["release", "area_level", "old_la_code", "area_code",
                               "time_period", "measure"], kind="stable", ignore_index=True)
    panel["is_latest"] = _mark_latest(panel)
    # Names as published in the newest release (and latest period) for that area.
    key = np.where(panel["area_level"] == "la", "la:" + panel["old_la_code"],
                   panel["area_level"] + ":" + panel["area_code"])
    order = panel.assign(_k=key).sort_values(["release", "time_period"], kind="stable")
    newest_name = order.groupby("_k")["area_name"].last()
    panel["area_name"] = pd.Series(key).map(newest_name).to_numpy()
    panel["time_period"] = panel["time_period"].astype(int)
    panel["release"] = panel["release"].astype(int)
    for c in ("area_level", "measure", "symbol", "region_name", "subregion_name"):
        panel[c] = panel[c].astype(str)
    panel = panel[PANEL_COLUMNS]
    panel.attrs["data_dir"] = folder
    panel.attrs["releases"] = sorted(seen_release)
    panel.attrs["damaged"] = notes
    return panel


def load_panel(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every CSWW release in the data folder as one tidy panel (docs/tables.md).

    Parsed once per folder and file state within a process; callers get their own copy.

    Parameters
    ----------
    data_dir : path-like, optional
        Folder of published files; default ``--data-dir`` / ``$SWANALYSIS_DATA_DIR`` / the
        download cache / the built-in snapshot (:func:`swanalysis.config.data_dir`).

    Returns
    -------
    pandas.DataFrame
        One row per release, area, year and measure: columns ``PANEL_COLUMNS`` (release,
        time_period, area_level, area_code, old_la_code, area_name, region_name, measure, value,
        symbol, is_latest, ...). ``value`` is NaN where the DfE suppressed or did not publish a
        figure (``symbol`` says which).

    Raises
    ------
    NoDataError
        When no folder has published data.
    InputFileError
        One line naming the file, row and column of a malformed release file.

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> panel = load_panel()
    >>> england = panel[(panel["area_level"] == "national") & panel["is_latest"]]
    >>> england[england["measure"] == "turnover_rate"].set_index("time_period")["value"].tail(3)
    time_period
    2023    15.9
    2024    13.9
    2025    11.8
    Name: value, dtype: float64
    """
    return shared_panel(data_dir).copy()


def shared_panel(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The process-wide parsed panel itself, not a copy, for library code that only reads it.

    The same object on every call (until the folder changes), so caches keyed on the panel
    (``areas.area_index``, ``benchmark._figures``) stay warm across ``panel=None`` calls.
    Never modify it.
    """
    folder = _resolve_data_dir(data_dir)
    return _load_cached(str(folder), _folder_signature(folder))


def latest(panel: pd.DataFrame) -> pd.DataFrame:
    """Only the rows from the newest release for each area × period × measure."""
    return panel[panel["is_latest"]]


def release_panel(panel: pd.DataFrame, release: int | None) -> pd.DataFrame:
    """The panel as one release published it (``None``: newest figures, i.e. ``is_latest``).

    With a release year, rows from that release are used where it published the
    area × period × measure; nothing newer is used.
    """
    if release is None:
        return latest(panel)
    available = sorted(panel["release"].unique())
    if int(release) not in available:
        from ..errors import UserError
        raise UserError(
            f"release {release} is not in the data folder (releases found: "
            f"{', '.join(map(str, available))})"
        )
    return panel[panel["release"] == int(release)]


def wide(panel: pd.DataFrame, measures: list[str] | None = None, release: int | None = None,
         level: str | None = None) -> pd.DataFrame:
    """One row per area × time_period with one column per measure (newest figures by default).

    ``level``: keep only ``national``, ``regional`` or ``la`` rows. ``release``: figures as a
    given release published them.
    """
    df = release_panel(panel, release)
    if level is not None:
        df = df[df["area_level"] == level]
    if measures is not None:
        df = df[df["measure"].isin(measures)]
    index = ["area_level", "area_code", "old_la_code", "area_name", "region_code",
             "region_name", "subregion_name", "is_subregion", "time_period"]
    out = (df.drop_duplicates(index + ["measure"]).set_index(index + ["measure"])["value"]
           .unstack("measure").reset_index())
    out.columns.name = None
    cols = [m for m in (measures or MEASURES) if m in out.columns]
    extra = [c for c in out.columns if c not in index and c not in cols]
    return out[index + cols + extra]


__all__ = [
    "MEASURES", "SYMBOLS", "load_panel", "shared_panel", "latest", "release_panel", "wide",
]
