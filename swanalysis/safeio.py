"""Reading and writing files a hostile or careless user controls, safely.

One place for the rules every reader and writer follows (docs/worker-data.md, "What is
refused, warned and quarantined"):

* **Exports cannot execute.** :func:`neutralise` puts the usual leading apostrophe before every
  text cell that a spreadsheet would take for a formula (one starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return); numbers, and text that is just a number such as ``-3``,
  stay as they are. :func:`write_csv` and :func:`write_workbook` apply it to every cell and
  header; the workbook is written with XlsxWriter's ``strings_to_formulas`` (and
  ``strings_to_urls``) off, so a string is always a string.
* **Writes are atomic.** :func:`atomic_path` / :func:`atomic_files` write to a temporary file
  in the target's folder and rename it into place only when complete: a full disk or an
  interrupted run leaves the previous file (or nothing), never a truncated one.
* **OS errors are one line.** :func:`output_error` turns an ``OSError`` into a
  :class:`~swanalysis.errors.UserError` naming the path and the reason (disk full, not a
  folder, permission denied); :func:`ensure_dir` makes an output folder that way.
* **Bounded reads.** :func:`load_yaml_text` refuses YAML aliases (the carrier of
  "billion laughs" expansion) and files above a size limit, and keeps dates as text;
  :func:`check_spreadsheet` refuses an .xlsx that is too large or inflates too far before
  anything is parsed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputFileError, UserError, one_line

# ----------------------------------------------------------------------------- formulas

#: a text cell starting with one of these is taken for a formula by Excel, LibreOffice or Sheets
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_RE = r"^[=+\-@\t\r]"
#: ...unless it is simply a number (``-3``, ``+4.5``, ``-1e-3``, ``-1,234``, ``-2.5%``): those
#: hold no operator or reference and stay as they are
_NUMBER_RE = r"^[+-]?(?=\.?\d)(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d*)?(?:[eE][+-]?\d+)?%?$"
_NUMBER = re.compile(_NUMBER_RE)


def neutralise(value):
    """One cell: text a spreadsheet would evaluate gets a leading apostrophe; anything else
    (numbers, dates, missing, text that is a plain number) is returned unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_TRIGGERS and not _NUMBER.match(value):
        return "'" + value
    return value


def _text_matches(s: pd.Series, pattern: str) -> pd.Series:
    """Boolean Series: the cell is text and ``pattern`` is found in it (anything else: False).

    The pattern is tried once per distinct value (identifiers, codes and labels repeat a lot
    in the tables written): the cost follows the distinct values, not the rows. The test is
    ``re.search``, as ``Series.str.contains`` makes it, in a plain loop (pandas' string methods
    add a few microseconds per value)."""
    try:
        codes, uniques = pd.factorize(s.to_numpy(dtype=object), use_na_sentinel=True)
    except TypeError:  # unhashable cells: one by one
        return _text_matches_each(s, pattern)
    search = re.compile(pattern).search
    hit = np.fromiter((isinstance(v, str) and search(v) is not None for v in uniques),
                      dtype=bool, count=len(uniques))
    out = np.zeros(len(s), dtype=bool)
    known = codes >= 0
    out[known] = hit[codes[known]]
    return pd.Series(out, index=s.index)


def _text_matches_each(s: pd.Series, pattern: str) -> pd.Series:
    try:
        return s.str.contains(pattern, regex=True, na=False).astype(bool)
    except (AttributeError, TypeError):  # no text at all, or bytes and the like among it
        rx = re.compile(pattern)
        return s.map(lambda v: isinstance(v, str) and rx.search(v) is not None).astype(bool)


def _neutralise_series(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        if cats.dtype == object or pd.api.types.is_string_dtype(cats.dtype):
            return s.cat.rename_categories([neutralise(c) for c in cats])
        return s
    if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
        return s  # numbers, booleans, dates: never text
    hit = _text_matches(s, _TRIGGER_RE)
    if not hit.any():
        return s
    hit &= ~_text_matches(s, _NUMBER_RE)
    if not hit.any():
        return s
    out = s.copy()
    out[hit] = "'" + s[hit].astype(str)
    return out


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell, and every header, passed through :func:`neutralise`.

    Numeric, boolean and date columns are untouched, so numbers stay numbers.
    """
    out = df.copy(deep=False)
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        new = _neutralise_series(col)
        if new is not col:
            out.isetitem(i, new)
    out.columns = [neutralise(c) for c in out.columns]
    return out


# ----------------------------------------------------------------------------- output errors


def display_path(path) -> str:
    """A path fit for a one-line message: line breaks and other control characters escaped."""
    return one_line(str(path))


def output_error(exc: OSError, path=None, what: str = "cannot write") -> UserError:
    """A one-line UserError for an OSError met while writing ``path``."""
    target = path if path is not None else (exc.filename or "output")
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        reason = "disk full (no space left on device)"
    elif exc.errno == errno.EDQUOT:
        reason = "disk quota exceeded"
    elif exc.errno == errno.ENOTDIR:
        reason = "a part of the path is a file, not a folder"
    elif exc.errno == errno.EISDIR:
        reason = "is a folder, not a file"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        reason = "permission denied"
    elif exc.errno == errno.EROFS:
        reason = "read-only file system"
    return UserError(f"{display_path(target)}: {what} ({reason})")


def ensure_dir(path, what: str = "output folder") -> Path:
    """Create folder ``path`` (and parents); a one-line UserError if that is impossible."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"{display_path(path)}: cannot create the {what}: a file of that name exists")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserError(f"{display_path(path)}: cannot create the {what}: "
                        "a part of the path is a file, not a folder") from None
    except OSError as exc:
        raise output_error(exc, path, f"cannot create the {what}") from None
    return path


def created_dirs(path) -> list[Path]:
    """The folders that ``ensure_dir(path)`` would create, outermost first (to undo it)."""
    path = Path(path).absolute()
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return list(reversed(missing))


def remove_empty_dirs(folders) -> None:
    """Remove the given folders, innermost first, where they are (still) empty."""
    for folder in reversed(list(folders)):
        with contextlib.suppress(OSError):
            folder.rmdir()


# ----------------------------------------------------------------------------- atomic writes


class atomic_files:
    """Write several files so that each appears complete or not at all.

    ``with atomic_files() as tmp: df.to_csv(tmp("out/a.csv"))`` — ``tmp(path)`` returns a
    temporary path in the target's folder; when the block ends without an error every temporary
    file is renamed onto its target (``os.replace``, atomic on one file system), otherwise all
    are deleted. An OSError (disk full, permission, not a folder) becomes a one-line UserError.
    """

    def __init__(self):
        self._pairs: list[tuple[Path, Path]] = []

    def __call__(self, path) -> Path:
        path = Path(path)
        if path.is_dir():
            raise UserError(f"{display_path(path)}: cannot write: is a folder, not a file")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:60]}.", suffix=".tmp", dir=path.parent)
        except OSError as exc:
            raise output_error(exc, path) from None
        os.close(fd)
        self._pairs.append((Path(tmp), path))
        return Path(tmp)

    def __enter__(self):
        return self

    def _discard(self):
        for tmp, _ in self._pairs:
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._pairs.clear()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            target = None
            if isinstance(exc, OSError):
                target = next((p for t, p in self._pairs if str(t) == str(exc.filename)),
                              self._pairs[-1][1] if self._pairs else None)
            self._discard()
            if isinstance(exc, OSError):
                raise output_error(exc, target) from None
            return False
        try:
            for tmp, path in self._pairs:
                os.chmod(tmp, 0o644)
                os.replace(tmp, path)
        except OSError as exc:
            self._discard()
            raise output_error(exc, path) from None
        self._pairs.clear()
        return False


@contextlib.contextmanager
def atomic_path(path):
    """One file written atomically: ``with atomic_path(p) as tmp: write(tmp)``."""
    with atomic_files() as tmp:
        yield tmp(path)


def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return Path(path)


def csv_to(df: pd.DataFrame, target, **kwargs) -> None:
    """``df`` as CSV into an open path (no atomicity; see :func:`write_csv`), neutralised."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("lineterminator", "\n")
    out = neutralise_frame(df)
    if kwargs.get("date_format"):
        out = _dates_as_text(out, kwargs["date_format"])
    if kwargs["lineterminator"] == "\n" and _has_carriage_return(out):
        # the csv module quotes a field holding "\n" but not a lone "\r" when lines end in "\n";
        # a spreadsheet would split the row there: quote every text field instead
        import csv

        kwargs.setdefault("quoting", csv.QUOTE_NONNUMERIC)
    if not _write_csv_by_uniques(out, target, kwargs):
        out.to_csv(target, **kwargs)


#: rows formatted and written at a time by _write_csv_by_uniques
_CSV_ROWS = 20_000


def _write_csv_by_uniques(df: pd.DataFrame, target, kwargs: dict) -> bool:
    """Write ``df`` as ``df.to_csv(target, **kwargs)`` would, byte for byte, formatting each
    column's distinct values once (pandas formats every cell, and identifiers, codes, dates and
    numbers repeat a lot); False (nothing written) where this does not apply.

    Each distinct value is formatted by pandas' own ``_get_values_for_csv`` with the arguments
    ``to_csv`` gives it, and the rows go to a ``csv.writer`` set up as pandas sets it up; only
    plain frames (one header row, no index, numbers, booleans and objects; no other options)."""
    import csv

    fmt = getattr(pd.DataFrame, "_get_values_for_csv", None)
    if (fmt is None or set(kwargs) - {"index", "lineterminator", "date_format"} or kwargs.get("index", True)
            or isinstance(df.columns, pd.MultiIndex) or not df.shape[0] or not df.shape[1]
            or not isinstance(target, (str, os.PathLike))):
        return False
    number_format = {"na_rep": "", "float_format": None, "date_format": kwargs.get("date_format"),
                     "quoting": csv.QUOTE_MINIMAL, "decimal": "."}
    columns = []
    for i in range(df.shape[1]):
        col = df.iloc[:, i]
        if not (col.dtype == object or col.dtype.kind in "biuf"):
            return False
        try:
            codes, uniques = pd.factorize(col, use_na_sentinel=False)
        except TypeError:  # unhashable cells
            return False
        # values that are equal but written differently would share one formatting: 1, 1.0
        # and True among objects, 0.0 and -0.0
        if col.dtype == object and not all(type(u) is str or u is None or (type(u) is float and u != u)
                                           for u in uniques):
            return False
        if col.dtype.kind == "f":
            v = col.to_numpy()
            if ((v == 0) & np.signbit(v)).any():
                return False
        one = pd.DataFrame({0: pd.Series(uniques, dtype=col.dtype)})
        text = next(iter(fmt(one, **number_format)._iter_column_arrays()))
        columns.append((codes, np.asarray(text, dtype=object)))
    with open(target, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator=kwargs.get("lineterminator", os.linesep))
        writer.writerow(list(df.columns))
        for start in range(0, df.shape[0], _CSV_ROWS):
            writer.writerows(zip(*(text[codes[start:start + _CSV_ROWS]] for codes, text in columns)))
    return True


def _dates_as_text(df: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """Date columns as the text ``to_csv(date_format=fmt)`` would write, each distinct date
    formatted once (pandas formats every cell, and dates repeat a lot); missing stays missing."""
    out = None
    for i in range(df.shape[1]):
        col = df.iloc[:, i]
        if not pd.api.types.is_datetime64_any_dtype(col.dtype):
            continue
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        text = np.append(np.asarray(uniques.strftime(fmt), dtype=object), np.nan)
        if out is None:
            out = df.copy(deep=False)
        out.isetitem(i, pd.Series(text[codes], index=col.index, dtype=object))
    return df if out is None else out


def _has_carriage_return(df: pd.DataFrame) -> bool:
    if any("\r" in str(c) for c in df.columns):
        return True
    for i in range(df.shape[1]):
        col = df.iloc[:, i]
        if (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)) and \
                _text_matches(col, "\r").any():
            return True
    return False


def write_csv(df: pd.DataFrame, path, **kwargs) -> Path:
    """``df`` to CSV at ``path``, atomically, every text cell neutralised (:func:`neutralise`)."""
    with atomic_path(path) as tmp:
        csv_to(df, tmp, **kwargs)
    return Path(path)


#: XlsxWriter options: strings are written as strings, never as formulas or links
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}


def _sheet_name(name: str, used: set) -> str:
    """An Excel sheet name for a table: forbidden characters replaced, at most 31 characters,
    unique (case-insensitively) among ``used``."""
    base = re.sub(r"[\[\]:*?/\\]", "_", str(name))[:31] or "table"
    out, i = base, 2
    while out.lower() in used:
        suffix = f"_{i}"
        out = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(out.lower())
    return out


def workbook_to(tables, target, created=None, sheet_name=None) -> None:
    """A workbook with a sheet per table (``{name: DataFrame}``) into an open path.

    Every text cell is neutralised and written as a string (``strings_to_formulas`` off).
    ``created`` (a datetime) fixes the document date so the file is reproducible;
    ``sheet_name(name, used)`` makes sheet names (default: the name made valid and unique).
    """
    namer = sheet_name or _sheet_name
    used: set = set()
    with pd.ExcelWriter(target, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as writer:
        if created is not None:
            writer.book.set_properties({"created": created})
        if not tables:
            pd.DataFrame({"note": ["no tables"]}).to_excel(writer, sheet_name="notes", index=False)
        for name, df in tables.items():
            frame_to_sheet(writer, neutralise_frame(df), namer(name, used))


def frame_to_sheet(writer, df: pd.DataFrame, sheet_name: str) -> None:
    """``df.to_excel(writer, sheet_name=sheet_name, index=False)`` on an XlsxWriter
    ``pd.ExcelWriter``, the same cells written in the same order with the same formats (so the
    same bytes), without the cell object and style lookup pandas makes for every cell: a report's
    workbook has some 40,000 cells. Frames with column levels go through pandas."""
    from pandas.io.formats.excel import ExcelFormatter

    if isinstance(df.columns, pd.MultiIndex):
        df.to_excel(writer, sheet_name=sheet_name, index=False)
        return
    formatter = ExcelFormatter(df, index=False)
    if df.shape[0] >= formatter.max_rows or df.shape[1] > formatter.max_cols:
        df.to_excel(writer, sheet_name=sheet_name, index=False)  # pandas says why not
        return
    import json

    from pandas.io.excel._xlsxwriter import _XlsxStyler

    book = writer.book
    wks = book.add_worksheet(sheet_name)
    styles: dict = {"null": None}   # as pandas' XlsxWriter._write_cells keys them

    def put(row, col, value, style, styled):
        value, fmt = writer._value_with_fmt(formatter._format_value(value))
        key = (json.dumps(style) if styled else "null") + (fmt or "")
        if key not in styles:
            styles[key] = book.add_format(_XlsxStyler.convert(style if styled else None, fmt))
        wks.write(row, col, value, styles[key])

    for col, name in enumerate(df.columns):                  # the header row, bold and boxed
        put(0, col, name, formatter.header_style, True)
    for col in range(df.shape[1]):                           # then column by column, as pandas
        series = df.iloc[:, col]
        if series.dtype == np.float64:
            # what put() does with a float: a number, nothing for NaN (a blank cell without a
            # format is not written), "inf" / "-inf" as text
            for row, value in enumerate(series.tolist(), start=1):
                if value != value:
                    continue
                if value in (np.inf, -np.inf):
                    put(row, col, value, None, False)
                else:
                    wks.write_number(row, col, value, None)
        else:
            for row, value in enumerate(series, start=1):
                put(row, col, value, None, False)


def write_workbook(tables, path, created=None, sheet_name=None) -> Path:
    """:func:`workbook_to`, written atomically."""
    with atomic_path(path) as tmp:
        workbook_to(tables, tmp, created=created, sheet_name=sheet_name)
    return Path(path)


# ----------------------------------------------------------------------------- bounded YAML

#: largest params file / column map accepted (a real one is well under 10 KB)
YAML_MAX_BYTES = 256 * 1024


def _safe_loader():
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        """SafeLoader that refuses aliases (``*name``) and keeps dates as text."""

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not allowed", event.start_mark)
            return super().compose_node(parent, index)

    # dates stay strings: an impossible date (2025-02-30) is then a clear message later,
    # not a ValueError out of the YAML constructor
    NoAliasLoader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return NoAliasLoader


_LOADER = None


def load_yaml_text(path, what: str = "YAML file", max_bytes: int = YAML_MAX_BYTES):
    """Parse a small YAML file safely; a one-line UserError naming ``what`` and the file.

    Refused: more than ``max_bytes``, aliases, anything that is not UTF-8 YAML.
    """
    global _LOADER
    import yaml

    path = Path(path)
    name = display_path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise UserError(f"{what} {name}: not found") from None
    except IsADirectoryError:
        raise UserError(f"{what} {name}: is a folder, not a file") from None
    except OSError as exc:
        raise output_error(exc, path, "cannot be read") from None
    if len(data) > max_bytes:
        raise UserError(f"{what} {name}: larger than {max_bytes // 1024} KB; refused "
                        "(a parameter file or column map is a few lines)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{what} {name}: is not UTF-8 text (bad byte at offset {exc.start})") from None
    if _LOADER is None:
        _LOADER = _safe_loader()
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        if "aliases" in str(getattr(exc, "problem", "") or ""):
            raise UserError(f"{what} {name}:{where}: refused: YAML aliases (*name) are not allowed "
                            "(they can expand without bound)") from None
        raise UserError(f"{what} {name}:{where} is not valid YAML") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise UserError(f"{what} {name}: not valid YAML ({type(exc).__name__})") from None


# ----------------------------------------------------------------------------- spreadsheets

#: largest .xlsx file accepted, and the most its parts may inflate to in all
XLSX_MAX_BYTES = 64 * 2**20
XLSX_MAX_UNCOMPRESSED = 256 * 2**20
#: a part this large that inflates more than XLSX_MAX_RATIO times is refused (zip bomb); real
#: sheets inflate 5-30 times
XLSX_RATIO_FROM = 8 * 2**20
XLSX_MAX_RATIO = 100
#: largest CSV read as a return or payroll extract (all of England's returns as one CSV are ~10 MB)
CSV_MAX_BYTES = 256 * 2**20
#: most rows a return or payroll sheet may have (gaps included: a row numbered 1,048,576 in a
#: tiny file would otherwise make a million blank rows)
TABLE_MAX_ROWS = 500_000


def check_spreadsheet(path) -> None:
    """Refuse an .xlsx that is too large or a zip bomb, before anything is inflated."""
    path = Path(path)
    name = display_path(path)
    size = path.stat().st_size
    if size > XLSX_MAX_BYTES:
        raise InputFileError(f"{name}: spreadsheet larger than {XLSX_MAX_BYTES // 2**20} MB; refused "
                             "(save it as CSV)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise InputFileError(f"{name}: cannot be read as a spreadsheet (not an .xlsx file)") from None
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > XLSX_RATIO_FROM and ratio > XLSX_MAX_RATIO:
            raise InputFileError(f"{name}: refused: part {one_line(info.filename)[:60]} inflates "
                                 f"{ratio:.0f} times (a zip bomb?)")
    if total > XLSX_MAX_UNCOMPRESSED:
        raise InputFileError(f"{name}: refused: the spreadsheet inflates to {total / 2**20:.0f} MB "
                             f"(limit {XLSX_MAX_UNCOMPRESSED // 2**20} MB)")
