"""Read a council's CSWW census return (XML, or CSV/XLSX with the XSD tag names as headers).

A return for census year Y has ReferenceDate 30 September Y (``Header/CollectionDetails``; LEA
in ``Header/Source``) and one ``CSWWWorker`` per social worker in post at that date or who
started or left during 1 October Y-1 .. 30 September Y.

Safety: XML is parsed with ``defusedxml`` streaming ``iterparse`` and ``forbid_dtd=True``: a
file with any DOCTYPE (the carrier of external entities and entity-expansion bombs) is refused
before anything is expanded, and nothing is ever fetched from the network. Memory stays bounded
because each worker element is discarded once read.

Privacy: the SWENo is replaced by a keyed pseudonym (``worker_id``) and the birth date by an
age band at the reference date as each file is read; neither leaves this module.

Items the 2022 schema does not know are kept as extra string columns and reported once per file
(``unknown_item`` warning); they never go into the linked outputs.
"""

from __future__ import annotations

import datetime as _dt
import gc
import re
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .._lazy import lazy
from . import codes as C
from ..errors import InputFileError, one_line
from .pseudonymise import Pseudonymiser, age_band, age_in_years, implausible_age
from .validation import ValidationIssue, issue, parse_date, parse_dates, via_uniques

# imported on first use: an XML return's header and records are read in plain Python
# (read_raw(..., plain=True) for `swanalysis validate` on a small return)
np = lazy("numpy", globals(), "np")
pd = lazy("pandas", globals(), "pd")

RETURN_SUFFIXES = (".xml", ".csv", ".xlsx")
ROOT_TAG = "Message"
CSV_REQUIRED = ("SWENo", "AgencyWorker")
# header information that may appear as columns of a CSV/XLSX return
CSV_HEADER_COLUMNS = ("LEA", "ReferenceDate", "Year", "Collection", "SourceLevel", "SoftwareCode", "DateTime")
VACANCY_ITEMS = ("NumberOfVacancies", "NoAgencyFTE", "NoAgencyHeadcount")
#: XML files larger than this are streamed with iterparse; smaller ones are parsed whole
STREAM_ABOVE_BYTES = 16 * 2**20

#: columns of ReturnData.records besides the XSD item columns
RECORD_META = ["file", "record", "lea", "census_year", "reference_date", "worker_id",
               "swe_status", "birth_date_status", "age_band"]


@dataclass
class ReturnData:
    """One census return: header facts, one row per worker record, and read-time issues."""

    file: str
    lea: str
    census_year: int
    reference_date: pd.Timestamp
    records: pd.DataFrame
    issues: list[ValidationIssue] = field(default_factory=list)
    vacancies: dict = field(default_factory=dict)
    unknown_items: dict = field(default_factory=dict)

    @property
    def n_records(self) -> int:
        """Worker records in the return."""
        return len(self.records)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "}" in tag else tag


def census_year_of(date: pd.Timestamp) -> int:
    """Year ending 30 September that contains ``date``."""
    return int(date.year + (1 if date.month >= 10 else 0))


#: sub-folders of a given folder that are searched for returns too (synth writes csww/)
RETURN_SUBFOLDERS = ("csww", "returns")


def _folder_files(folder: Path) -> list[Path]:
    out = sorted(q for q in folder.iterdir() if q.is_file() and q.suffix.lower() in RETURN_SUFFIXES)
    for sub in sorted(q for q in folder.iterdir() if q.is_dir() and q.name.lower() in RETURN_SUBFOLDERS):
        out.extend(sorted(q for q in sub.iterdir() if q.is_file() and q.suffix.lower() in RETURN_SUFFIXES))
    return out


def expand_paths(paths) -> list[Path]:
    """Files from a list of files and folders (a folder gives its *.xml, *.csv, *.xlsx, sorted,
    then those of a ``csww/`` or ``returns/`` sub-folder)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(_folder_files(p))
        else:
            out.append(p)
    return out


_PAYROLL_HINT = re.compile(r"payroll|salary|salaries|\bhr\b|_hr|hr_|staff|employee", re.I)


def _table_header(path: Path) -> list[str] | None:
    """The header row of a CSV or XLSX file, or None when it cannot be read (then the file is
    taken as a return, so reading it reports the problem)."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from ..safeio import check_spreadsheet

            check_spreadsheet(path)
            rows = _xlsx_rows(path)
            try:
                first = next(rows, None)
            finally:
                rows.close()
            return [str(c).strip() for c in first if c is not None] if first else None
        import csv

        with open(path, encoding="utf-8-sig", newline="") as fh:
            line = fh.readline(65536)
        return [c.strip() for c in next(csv.reader([line]), [])]
    except Exception:  # noqa: BLE001 - unreadable: read_raw says why
        return None


def not_a_return(path: Path) -> str | None:
    """Why a CSV/XLSX file in a returns folder is not a CSWW return (e.g. the payroll extract
    saved beside them), judged by its header; None when it may be one."""
    if path.suffix.lower() not in (".csv", ".xlsx", ".xlsm"):
        return None
    header = _table_header(path)
    if header is None:
        return None
    if any(c in header for c in CSV_REQUIRED) or len(set(header) & set(C.WORKER_ITEMS)) >= 3:
        return None
    payroll = _PAYROLL_HINT.search(path.stem) or any(_PAYROLL_HINT.search(c) for c in header)
    return ("not a CSWW return (no SWENo or AgencyWorker column)"
            + ("; looks like a payroll extract" if payroll else "") + "; left alone")


def find_returns(paths, exclude=()) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The returns among files and folders: ``(returns, skipped)``.

    Files named explicitly are always taken as returns. In a folder (and its ``csww/`` or
    ``returns/`` sub-folder) a CSV/XLSX whose header has neither SWENo nor AgencyWorker (nor
    other return items) is left alone and listed in ``skipped`` with the reason, as is any file in
    ``exclude`` (the payroll extract given with ``--hr``).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    excluded = {Path(e).resolve() for e in exclude if e}
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for p in paths:
        p = Path(p)
        if not p.is_dir():
            files.append(p)
            continue
        for f in _folder_files(p):
            if f.resolve() in excluded:
                skipped.append((f, "the payroll extract given with --hr; not read as a return"))
            elif (why := not_a_return(f)) is not None:
                skipped.append((f, why))
            else:
                files.append(f)
    return files, skipped


def require_returns(paths, exclude=()) -> tuple[list[Path], list[tuple[Path, str]]]:
    """:func:`find_returns`, refusing (InputFileError) when ``paths`` hold no return at all."""
    files, skipped = find_returns(paths, exclude)
    if not files:
        named = [paths] if isinstance(paths, (str, Path)) else paths
        raise InputFileError(f"no CSWW returns (*.xml, *.csv, *.xlsx) found in {', '.join(map(str, named))}"
                             + (f" ({len(skipped)} other file(s) left alone)" if skipped else ""))
    return files, skipped


def file_size(path: Path) -> int:
    """``path``'s size in bytes; 0 when it is missing or cannot be read (reading it says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


# ----------------------------------------------------------------------------- XML


def _utf8_problem(path: Path) -> str | None:
    """If the file is not valid in its declared encoding (UTF-8 unless declared), say where."""
    data = path.read_bytes()
    m = re.match(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", data)
    enc = m.group(1).decode("ascii").lower() if m else "utf-8"
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode(enc)
    except LookupError:
        return f"declares an unknown encoding '{enc[:20]}'"
    except UnicodeDecodeError as exc:
        return f"is not valid {enc.upper()} text (bad byte at offset {exc.start}); save it as UTF-8"
    return None


_SAFE_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"}
_XML_DECL_ENC = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _no_dtd_possible(data: bytes) -> bool:
    """True when ``data`` certainly holds no DOCTYPE (and so no entity declarations).

    Entities (internal, external, recursive) can only be declared in a DTD, and a DTD needs the
    ASCII bytes ``<!DOCTYPE``. That holds when the text is in an ASCII-compatible encoding
    (UTF-8 with or without BOM, ASCII, Latin-1; not UTF-16/32 or a declared EBCDIC-like codec),
    so a byte search is conclusive. Anything else goes through defusedxml with DTDs forbidden.
    """
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    body = body.lstrip(b" \t\r\n")
    if len(body) < 2 or body[:1] != b"<" or body[1:2] == b"\x00":
        return False
    m = _XML_DECL_ENC.match(body)
    if m and m.group(1).decode("ascii").lower() not in _SAFE_ENCODINGS:
        return False
    low = data.lower()
    return b"<!doctype" not in low and b"<!entity" not in low


def _read_xml(path: Path):
    import xml.etree.ElementTree as ET

    import defusedxml
    import defusedxml.ElementTree as DET

    name = str(path)
    records: list[dict] = []
    header: dict[str, str] = {}
    vacancies: dict[str, str] = {}
    unknown: Counter = Counter()
    unknown_top: Counter = Counter()
    multi_sep = C.MULTI_SEP
    known = C.WORKER_ITEMS
    intern = sys.intern

    def take(elem) -> None:
        tag = elem.tag
        if "}" in tag:
            tag = tag.rsplit("}", 1)[1]
        if tag == "CSWWWorker":
            rec: dict[str, str] = {}
            for child in elem:
                text = child.text
                if not text or not (text := text.strip()):
                    continue
                ctag = child.tag
                if "}" in ctag:
                    ctag = ctag.rsplit("}", 1)[1]
                if ctag in rec:
                    rec[ctag] = intern(rec[ctag] + multi_sep + text)
                else:
                    # codes, dates and a worker's values repeat across records and returns: one
                    # string object each instead of one per record keeps memory near the input's
                    rec[ctag] = intern(text)
                if ctag not in known:
                    unknown[ctag] += 1
            records.append(rec)
        elif tag == "Header":
            for sub in elem.iter():
                stag = _local(sub.tag)
                if stag in ("ReferenceDate", "Year", "LEA", "Collection") and stag not in header:
                    header[stag] = (sub.text or "").strip()
        elif tag == "LALevelVacancies":
            for sub in elem:
                vacancies[_local(sub.tag)] = (sub.text or "").strip()
        else:
            unknown_top[tag] += 1

    def check_root(elem) -> None:
        if _local(elem.tag) != ROOT_TAG:
            raise InputFileError(f"{name}: root element is <{_local(elem.tag)[:40]}>, expected <{ROOT_TAG}> "
                                 "(not a CSWW census return)")

    root = None
    # the parse makes ~20 tree elements per worker, all acyclic and freed together: pausing the
    # cyclic collector meanwhile saves its repeated walks over them (and over every object alive
    # in the process, which grows with the input), not any check
    paused = gc.isenabled()
    gc.disable()
    try:
        with open(path, "rb") as fh:
            if path.stat().st_size <= STREAM_ABOVE_BYTES:
                # one council's return is small: parse it whole
                data = fh.read()
                if _no_dtd_possible(data):
                    # provably no DOCTYPE, hence no entity declarations: the C parser is safe here
                    root = ET.fromstring(data)
                else:
                    root = DET.fromstring(data, forbid_dtd=True)
                check_root(root)
                for elem in root:
                    take(elem)
            else:
                # very large file: stream, discarding each top-level element once read
                depth = 0
                for event, elem in DET.iterparse(fh, events=("start", "end"), forbid_dtd=True):
                    if event == "start":
                        depth += 1
                        if depth == 1:
                            root = elem
                            check_root(elem)
                        continue
                    depth -= 1
                    if depth == 1:
                        take(elem)
                        root.clear()
    except InputFileError:
        raise
    except FileNotFoundError:
        raise InputFileError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise InputFileError(f"{name}: is a folder, not a file") from None
    except defusedxml.DTDForbidden:
        raise InputFileError(
            f"{name}: refused: the file contains a DOCTYPE/DTD, which a CSWW return never needs "
            "(DTDs carry external entities and entity-expansion attacks)") from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden, defusedxml.NotSupportedError):
        raise InputFileError(f"{name}: refused: the file declares entities or external references") from None
    except (LookupError, ValueError) as exc:  # UnicodeError is a ValueError
        # an encoding declaration the parser cannot use: UTF-7 ("multi-byte encodings are not
        # supported"), rot13/hex (not text encodings), idna, punycode, an unknown name
        m = _XML_DECL_ENC.match(path.read_bytes()[:200].lstrip(b"\xef\xbb\xbf \t\r\n"))
        enc = one_line(m.group(1).decode("ascii"))[:20] if m else type(exc).__name__
        raise InputFileError(f"{name}: declares an encoding that cannot be read ('{enc}'); "
                             "save it as UTF-8") from None
    except ET.ParseError as exc:
        problem = _utf8_problem(path)
        if problem:
            raise InputFileError(f"{name}: {problem}") from None
        line, column = getattr(exc, "position", (0, 0))
        what = str(exc).split(":")[0]
        if what.startswith("no element found") and line <= 1 and path.stat().st_size <= 3:
            raise InputFileError(f"{name}: file is empty") from None
        raise InputFileError(f"{name}: malformed XML at line {line}, column {column} ({what})") from None
    finally:
        if paused:
            gc.enable()
    if root is None:
        raise InputFileError(f"{name}: file is empty")
    return records, header, vacancies, unknown, unknown_top


# ----------------------------------------------------------------------------- CSV / XLSX


def spreadsheet_error(exc: BaseException) -> str:
    """One-line reason a spreadsheet could not be read (openpyxl parses its XML with defusedxml)."""
    import defusedxml

    seen = exc
    while seen is not None:
        if isinstance(seen, defusedxml.DefusedXmlException):
            return "refused: the spreadsheet's XML declares a DTD or entities (possible XXE/entity-expansion attack)"
        seen = seen.__cause__ or seen.__context__
    return f"cannot be read as a spreadsheet ({type(exc).__name__})"


def _xlsx_rows(path: Path):
    """Rows of the first sheet as tuples of cell values, streamed (openpyxl ``read_only``): the
    header can be checked before the rest is inflated."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        # ignore the sheet's own claim of its size (<dimension ref="A1:XFD1048576"/> would pad
        # every row to 16,384 cells): rows come as stored
        ws.reset_dimensions()
        yield from ws.iter_rows(values_only=True)
    finally:
        wb.close()


def _cell_text(v) -> str:
    """A spreadsheet cell as the text pandas' ``read_excel(dtype=str)`` would give."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, _dt.time):
        return v.isoformat()
    if isinstance(v, (_dt.datetime, _dt.date)):
        return str(pd.Timestamp(v))
    return str(v)


def _unique_headers(header: list[str]) -> list[str]:
    """pandas' naming: blanks become ``Unnamed: i``, repeats ``X.1``, ``X.2``."""
    out, seen = [], {}
    for i, h in enumerate(header):
        h = h or f"Unnamed: {i}"
        if h in seen:
            seen[h] += 1
            h = f"{h}.{seen[h]}"
        else:
            seen[h] = 0
        out.append(h)
    return out


def _read_xlsx_table(path: Path, check_header) -> pd.DataFrame:
    from ..safeio import TABLE_MAX_ROWS, check_spreadsheet

    check_spreadsheet(path)
    rows = _xlsx_rows(path)
    try:
        first = next(rows, None)
        if first is None:
            raise InputFileError(f"{path}: the spreadsheet's first sheet is empty")
        header = [str(c).strip() if c is not None else "" for c in first]
        while header and not header[-1]:
            header.pop()
        if check_header is not None:
            check_header([h for h in header if h])
        width = len(header)
        data = []
        for n, row in enumerate(rows, start=1):
            if n > TABLE_MAX_ROWS:
                raise InputFileError(f"{path}: more than {TABLE_MAX_ROWS:,} rows; refused "
                                     "(no council's return or payroll extract is that long)")
            cells = [_cell_text(v) for v in row[:width]]
            cells += [""] * (width - len(cells))
            data.append(cells)
    finally:
        rows.close()
    while data and not any(data[-1]):
        data.pop()
    return pd.DataFrame(data, columns=_unique_headers(header), dtype=object)


def read_text_table(path: Path, skipinitialspace: bool = False, check_header=None) -> pd.DataFrame:
    """A CSV (UTF-8) or the first sheet of a spreadsheet, every cell as text ("" when blank),
    headers stripped. Anything unreadable is a one-line InputFileError naming the file.

    ``check_header(columns)``, when given, sees the stripped header before any data row is read
    and may raise (a spreadsheet is streamed, so a wrong file is refused within a second however
    large it inflates). Spreadsheets are first checked for size and compression ratio
    (:func:`swanalysis.safeio.check_spreadsheet`).
    """
    from ..safeio import CSV_MAX_BYTES

    path = Path(path)
    name = str(path)
    try:
        if path.exists() and path.stat().st_size == 0:
            raise InputFileError(f"{name}: file is empty")
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            raw = _read_xlsx_table(path, check_header)
        else:
            if path.stat().st_size > CSV_MAX_BYTES:
                raise InputFileError(f"{name}: larger than {CSV_MAX_BYTES // 2**20} MB; refused "
                                     "(no council's return or payroll extract is that large)")
            if check_header is not None:
                head = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                                   skipinitialspace=skipinitialspace, nrows=0)
                check_header([str(c).strip() for c in head.columns])
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                              skipinitialspace=skipinitialspace)
    except InputFileError:
        raise
    except FileNotFoundError:
        raise InputFileError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise InputFileError(f"{name}: is a folder, not a file") from None
    except PermissionError:
        raise InputFileError(f"{name}: cannot be read (permission denied)") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{name}: is not valid UTF-8 text (bad byte at offset {exc.start}); "
                             "save it as UTF-8 CSV") from None
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{name}: file is empty") from None
    except pd.errors.ParserError as exc:
        first = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else "parse error"
        raise InputFileError(f"{name}: malformed CSV ({first})") from None
    except OSError as exc:
        raise InputFileError(f"{name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    except Exception as exc:  # zipfile.BadZipFile, openpyxl errors, ValueError ...
        raise InputFileError(f"{name}: {spreadsheet_error(exc)}") from None
    raw = raw.fillna("")
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


def _check_return_header(path: Path):
    def check(columns):
        base = {re.sub(r"\.\d+$", "", c) for c in columns}
        missing = [c for c in CSV_REQUIRED if c not in base]
        if missing:
            raise InputFileError(f"{path}: missing column(s) {', '.join(missing)} "
                                 "(headers must be the XSD item names)")
    return check


def _read_table(path: Path) -> pd.DataFrame:
    raw = read_text_table(path, skipinitialspace=True, check_header=_check_return_header(path))
    # pandas renames repeated headers X, X.1, X.2: fold them back into one multi-valued item
    base = [re.sub(r"\.\d+$", "", c) if re.sub(r"\.\d+$", "", c) in C.WORKER_ITEMS else c for c in raw.columns]
    if len(set(base)) != len(base):
        folded = {}
        for b in dict.fromkeys(base):
            cols = [c for c, bb in zip(raw.columns, base) if bb == b]
            if len(cols) == 1:
                folded[b] = raw[cols[0]].str.strip()
            else:
                parts = raw[cols].apply(lambda s: s.str.strip())
                folded[b] = parts.apply(lambda r: C.MULTI_SEP.join(v for v in r if v), axis=1)
        raw = pd.DataFrame(folded)
    # drop wholly blank rows (spreadsheet tails), keeping row numbers of the rest
    raw.index = pd.RangeIndex(1, len(raw) + 1)
    blank = (raw.astype(str).apply(lambda s: s.str.strip()) == "").all(axis=1)
    return raw[~blank]


# ----------------------------------------------------------------------------- header facts


_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_LEA_IN_NAME = re.compile(r"(?<!\d)(\d{3})(?!\d)")


def _census_years_for(date: pd.Timestamp) -> tuple[int, int]:
    """The census a reference date most likely means, and the one it strictly falls in: a date
    up to a month after 30 September (a slip) is taken as that census."""
    return census_year_of(date - _dt.timedelta(days=31)), census_year_of(date)


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _header_date(text: str) -> _dt.datetime | None:
    """A header date (midnight) as :func:`~swanalysis.workerdata.validation.parse_date` reads
    it, any plain YYYY-MM-DD taken; None when it is not a date."""
    m = _ISO_DATE.fullmatch(text.strip())
    if m:
        try:
            return _dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:  # 2023-02-30 and the like: not a date
            return None
    d = parse_date(text)
    return None if d is None else _dt.datetime(d.year, d.month, d.day)


def _resolve_header(path: Path, header: dict, issues: list) -> tuple[str, int, _dt.datetime]:
    """LEA, census year and reference date (a datetime) of a return, checked against each other.

    * ``Year`` and ``ReferenceDate`` that name different censuses: the file is refused (which
      census it is cannot be known, and taking either could displace the real return).
    * A ``ReferenceDate`` other than 30 September: warning ``reference_date_moved``; the census
      reference date (30 September of ``Year``, else of the census year the date falls in, a
      date up to a month after 30 September counting as that census) is used, so
      records are not quarantined as "starting in the future" for a typing slip.
    * An LEA that is not three digits: warning ``lea_invalid`` (kept as given).
    """
    name = str(path)
    ref = None
    ref_text = header.get("ReferenceDate") or ""
    year_text = (header.get("Year") or "").strip()
    year = int(year_text) if re.fullmatch(r"\d{4}", year_text) else None
    if ref_text:
        ref = _header_date(ref_text)
        if ref is None:
            raise InputFileError(f"{name}: Header ReferenceDate '{ref_text[:20]}' is not a date (YYYY-MM-DD)")
        likely, strict = _census_years_for(ref)
        census = year if year in (likely, strict) else likely
        if year is not None and year != census:
            raise InputFileError(
                f"{name}: Header Year {year} and ReferenceDate {ref:%Y-%m-%d} name different censuses "
                f"({year} and {census}); correct the header — the file is not used")
        if (ref.month, ref.day) != (9, 30):
            issues.append(issue(name, 0, "ReferenceDate", "reference_date_moved",
                                f"Header ReferenceDate {ref:%Y-%m-%d} is not 30 September (the census date); "
                                f"{census}-09-30 used instead"))
            ref = _dt.datetime(census, 9, 30)
    elif year is not None:
        ref = _dt.datetime(year, 9, 30)
        issues.append(issue(name, 0, "ReferenceDate", "header_inferred",
                            f"no ReferenceDate in the Header; 30 September of Year {year} used"))
    else:
        years = _YEAR_IN_NAME.findall(path.stem)
        if not years:
            raise InputFileError(
                f"{name}: no ReferenceDate in Header/CollectionDetails and no census year (20YY) in the "
                "file name; add the header or rename the file, e.g. csww_2023.xml")
        ref = _dt.datetime(int(years[-1]), 9, 30)
        issues.append(issue(name, 0, "ReferenceDate", "header_inferred",
                            f"no ReferenceDate in the Header; 30 September {years[-1]} taken from the file name"))
    lea = (header.get("LEA") or "").strip()
    if not lea:
        stem_wo_years = _YEAR_IN_NAME.sub("", path.stem)
        m = _LEA_IN_NAME.search(stem_wo_years)
        lea = m.group(1) if m else ""
        issues.append(issue(name, 0, "LEA", "header_inferred",
                            f"no LEA in the Header; {'LA ' + lea + ' taken from the file name' if lea else 'LA unknown'}"))
    elif not re.fullmatch(r"\d{3}", lea):
        issues.append(issue(name, 0, "LEA", "lea_invalid",
                            f"Header LEA '{one_line(lea[:12])}' is not a three-digit LA number (kept as given)"))
    return lea, census_year_of(ref), ref


# ----------------------------------------------------------------------------- public


@dataclass
class RawReturn:
    """A return as read, before pseudonymisation (internal: the SWENo is still in ``rows``)."""

    file: str
    lea: str
    census_year: int
    reference_date: pd.Timestamp
    rows: object  # list[dict] (XML) or DataFrame (CSV/XLSX)
    record_numbers: np.ndarray
    issues: list
    vacancies: dict
    unknown_items: dict

    @property
    def n_records(self) -> int:
        """Worker records in the return."""
        return len(self.record_numbers)


def read_raw(path, *, plain: bool = False) -> RawReturn:
    """Read one return's header and records (no pseudonymisation yet). InputFileError if unreadable.

    ``plain=True`` (XML returns only) reads without numpy or pandas: ``rows`` is a list of one
    dict per record, ``record_numbers`` a range and ``reference_date`` a datetime.
    """
    try:
        return _read_raw(Path(path), plain)
    except InputFileError:
        raise
    except PermissionError:
        raise InputFileError(f"{path}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None


def _read_raw(path: Path, plain: bool = False) -> RawReturn:
    name = str(path)
    if not path.exists():
        raise InputFileError(f"{name}: file not found")
    if path.is_dir():
        raise InputFileError(f"{name}: is a folder, not a file")
    if path.stat().st_size == 0:
        raise InputFileError(f"{name}: file is empty")
    issues: list[ValidationIssue] = []
    suffix = path.suffix.lower()
    if plain and suffix != ".xml":
        raise ValueError(f"{name}: only XML returns are read without pandas")
    if suffix in (".csv", ".xlsx", ".xlsm", ".txt"):
        table = _read_table(path)
        header = {}
        for hc in ("LEA", "ReferenceDate", "Year"):
            if hc in table.columns:
                vals = table[hc].str.strip()
                vals = vals[vals != ""].unique()
                if len(vals) > 1:
                    raise InputFileError(f"{name}: column {hc} has {len(vals)} different values; one return per file")
                if len(vals):
                    header[hc] = vals[0]
        for c in C.WORKER_ITEMS:
            if c not in table.columns and c != "PersonBirthDate":
                issues.append(issue(name, 0, c, "missing_column", f"column {c} not in the file; treated as missing"))
        vacancies = {k: table[k].iloc[0] for k in VACANCY_ITEMS if k in table.columns and len(table)}
        extra = [c for c in table.columns if c not in C.WORKER_ITEMS and c not in CSV_HEADER_COLUMNS
                 and c not in VACANCY_ITEMS]
        unknown = Counter({c: int((table[c].str.strip() != "").sum()) for c in extra})
        rows = table.drop(columns=[c for c in table.columns if c in CSV_HEADER_COLUMNS or c in VACANCY_ITEMS])
        record_numbers = table.index.to_numpy().astype("int64")
        rows = rows.reset_index(drop=True)
        unknown_top = Counter()
    elif suffix == ".xml":
        rows, header, vacancies, unknown, unknown_top = _read_xml(path)
        record_numbers = range(1, len(rows) + 1) if plain else np.arange(1, len(rows) + 1, dtype="int64")
    else:
        raise InputFileError(f"{name}: not a CSWW return (expected .xml, .csv or .xlsx)")
    lea, year, ref = _resolve_header(path, header, issues)
    if not plain:
        ref = pd.Timestamp(ref)
    for tag, count in sorted(unknown.items()):
        issues.append(issue(name, 0, tag[:60], "unknown_item",
                            f"item {tag[:60]} is not in the 2022 schema ({count} records); kept, not interpreted"))
    for tag, count in sorted(unknown_top.items()):
        issues.append(issue(name, 0, tag[:60], "unknown_item",
                            f"top-level element {tag[:60]} is not in the 2022 schema ({count}x); ignored"))
    return RawReturn(name, lea, year, ref, rows, record_numbers, issues, vacancies, dict(unknown))


def _missing_as_none(df: pd.DataFrame, columns) -> None:
    """Missing cells (NaN) of these object columns become None, in place."""
    for c in columns:
        v = df[c].to_numpy(dtype=object)
        missing = pd.isna(v)
        if missing.any():
            v = v.copy()
            v[missing] = None
            df[c] = v


def finish(raws: list[RawReturn], pseudonymiser: Pseudonymiser) -> pd.DataFrame:
    """Records of several returns as one frame: SWENo -> worker_id, birth date -> age band.

    Columns: RECORD_META, then every XSD item (strings, None when missing) except SWENo and
    PersonBirthDate, then unknown items. Vectorised over all returns at once.
    """
    xml = [r for r in raws if isinstance(r.rows, list)]
    tab = [r for r in raws if not isinstance(r.rows, list)]
    frames = []
    if xml:
        # the XML reader already stripped each value and left out blank ones: only the
        # missing cells (NaN here) become None
        dicts = [d for r in xml for d in r.rows]
        rows = pd.DataFrame.from_records(dicts) if dicts else pd.DataFrame()
        del dicts
        _missing_as_none(rows, rows.columns)
        frames.append((rows, xml))
    if tab:
        rows = pd.concat([r.rows for r in tab], ignore_index=True)
        for c in rows.columns:  # blanks -> None, strip
            rows[c] = via_uniques(rows[c], lambda u: u.where(u.notna(), "").astype(str).str.strip().replace("", None))
        frames.append((rows, tab))
    parts = []
    for rows, group in frames:
        sizes = [r.n_records for r in group]
        # object arrays of the same few strings (np.repeat of a list would make fixed-width
        # text, turned back into one new string per record by pandas)
        meta = pd.DataFrame({
            "file": np.repeat(np.array([r.file for r in group], dtype=object), sizes),
            "record": np.concatenate([r.record_numbers for r in group]) if group else np.array([], dtype="int64"),
            "lea": np.repeat(np.array([r.lea for r in group], dtype=object), sizes),
            "census_year": np.repeat([r.census_year for r in group], sizes).astype("int64"),
            "reference_date": np.repeat(np.array([r.reference_date for r in group], dtype="datetime64[ns]"), sizes),
        })
        rows = rows.reset_index(drop=True)
        parts.append(pd.concat([meta, rows], axis=1))
    if parts:
        df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    else:
        df = pd.DataFrame(columns=["file", "record", "lea", "census_year", "reference_date"])
    for item in C.WORKER_ITEMS:
        if item not in df.columns:
            df[item] = None
    if len(parts) > 1:  # an item only one kind of file had is missing (NaN) in the other's rows
        _missing_as_none(df, df.columns[5:])
    swe = df["SWENo"]
    ok = via_uniques(swe, lambda u: u.astype("string").str.fullmatch(C.SWENO_PATTERN).fillna(False).astype(object))
    status = np.where(swe.isna(), "missing", np.where(ok.astype(bool), "ok", "invalid"))
    bd_raw = df["PersonBirthDate"]
    bd = parse_dates(bd_raw) if len(df) else pd.Series([], dtype="datetime64[ns]")
    age = age_in_years(bd, df["reference_date"]) if len(df) else pd.Series([], dtype=float)
    implausible = implausible_age(age)  # includes birth dates after the census
    bd_status = np.where(bd_raw.isna(), "missing", np.where(bd.isna(), "invalid",
                                                            np.where(implausible, "implausible", "ok")))
    meta2 = pd.DataFrame({
        "worker_id": pseudonymiser.series(swe) if len(df) else pd.Series([], dtype=object),
        "swe_status": status.astype(object),
        "birth_date_status": bd_status.astype(object),
        "age_band": age_band(bd, df["reference_date"]) if len(df) else pd.Series([], dtype=object),
    }, index=df.index)
    df = df.drop(columns=["SWENo", "PersonBirthDate"])
    df["record"] = df["record"].astype("int64")
    out = pd.concat([df[["file", "record", "lea", "census_year", "reference_date"]], meta2,
                     df.drop(columns=["file", "record", "lea", "census_year", "reference_date"])], axis=1)
    return out[RECORD_META + [c for c in out.columns if c not in RECORD_META]]


def read_return(path, pseudonymiser: Pseudonymiser | None = None, key=None) -> ReturnData:
    """Read one CSWW return (XML, CSV or XLSX). Raises InputFileError when it cannot be read."""
    raw = read_raw(path)
    records = finish([raw], pseudonymiser or Pseudonymiser(key))
    return ReturnData(raw.file, raw.lea, raw.census_year, raw.reference_date, records, raw.issues,
                      raw.vacancies, raw.unknown_items)


def check_authority(paths, allowed: Mapping[str, str], authority: str,
                    override_flag: str = "--allow-other-lea") -> list[str]:
    """Every return must be the authority's own: its LEA (Header, else the file name) one of
    ``allowed`` (DfE number -> the council's name: the authority, a joint-return partner, a
    predecessor). Returns the LEAs read; otherwise InputFileError, one line naming the file and
    the LEA (a DfE number, not personal data), e.g. Stockport's returns (LEA 356) given for
    Wokingham (872)."""
    leas = []
    ok = ", ".join(f"{code} {name}" for code, name in allowed.items())
    for path in find_returns(paths)[0]:  # a payroll extract beside the returns is not one
        lea = read_raw(path).lea
        if lea not in allowed:
            what = f"LEA {lea}" if lea else "no LEA in the Header or file name"
            raise InputFileError(
                f"{path}: {what}: not a return of {authority} (DfE {ok}); refusing to mix another "
                f"council's workers into this report (use {override_flag} if it is deliberate)")
        leas.append(lea)
    return leas
