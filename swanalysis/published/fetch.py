"""Download the newest CSWW indicators file through the DfE's Explore Education Statistics API.

``GET {api}/v1/data-sets/{dataSetId}/csv`` returns the whole data set as CSV (API reference:
https://api.education.gov.uk/statistics/docs/reference-v1/endpoints/DownloadDataSetCsv/). The
API says its CSV renders metadata in a human-readable form and is not held to the JSON
endpoints' compatibility guarantees, so headers are normalised to the published file's names
(``Time period`` -> ``time_period``, ``Local authority`` -> ``la_name``) before saving.

The file is written to the cache folder atomically (a temporary file in the same folder, then
``os.replace``) as ``csww_indicators_2017_to_YYYY.csv`` with YYYY the newest time period, so
:func:`swanalysis.published.panel.load_panel` finds it.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from pathlib import Path

from .. import measures
from ..config import cache_dir
from ..errors import UserError

DEFAULT_API = "https://api.education.gov.uk/statistics"
#: "Indicators (in post, starters, leavers, agency workers, vacancies, caseload and absence)"
DEFAULT_DATASET = "bd4d8c04-716a-4447-af3d-677aa3223917"

#: measures the benchmark needs: a download without them is refused rather than saved
NEEDED_MEASURES = [m.name for m in measures.REGISTRY.values() if "benchmark" in m.roles]


def csv_url(api_url: str = DEFAULT_API, dataset_id: str = DEFAULT_DATASET) -> str:
    """The explore-education-statistics API address of a data set's CSV."""
    return f"{api_url.rstrip('/')}/v1/data-sets/{dataset_id}/csv"


def _short(exc: Exception) -> str:
    """One line, without the long urllib3 retry chain."""
    import requests
    if isinstance(exc, requests.ConnectionError):
        return "could not connect (check the network or --api-url)"
    if isinstance(exc, requests.Timeout):
        return "the server did not answer in time"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _csv_text(body: bytes, url: str) -> str:
    if body[:2] == b"PK":  # a zip holding the CSV
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as zf:
                names = [n for n in zf.namelist() if n.lower().endswith(".csv")]
                if not names:
                    raise UserError(f"{url}: the zip holds no CSV file")
                body = zf.read(names[0])
        except zipfile.BadZipFile:
            raise UserError(f"{url}: the response looks like a zip but cannot be opened") from None
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{url}: the response is not UTF-8 CSV") from None


def check_and_normalise(text: str, url: str) -> tuple[str, int, int, int]:
    """Validate the downloaded CSV; return (csv text with published headers, rows, first, last).

    Raises UserError naming the missing column, or the record and field that is wrong.
    """
    from .panel import normalise_columns
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise UserError(f"{url}: empty response") from None
    if header and header[0].lstrip().startswith("<"):
        raise UserError(f"{url}: the response is HTML, not CSV (is --api-url right?)")
    cols = normalise_columns(header)
    missing = [c for c in measures.REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise UserError(
            f"{url}: not the CSWW indicators layout, column {missing[0]!r} missing "
            f"(got {', '.join(header[:6])}{', ...' if len(header) > 6 else ''})")
    tp = cols.index("time_period")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    years = []
    n = 0
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(cols):
            raise UserError(f"{url}: record {line_no} has {len(row)} fields, header has {len(cols)}")
        value = row[tp].strip()
        if not (value.isdigit() and len(value) == 4):
            raise UserError(f"{url}: record {line_no}: field time_period is not a year ({value!r})")
        years.append(int(value))
        w.writerow(row)
        n += 1
    if not n:
        raise UserError(f"{url}: the CSV has a header but no records")
    column_to_measure = measures.column_to_measure()
    found = {column_to_measure.get(c) for c in cols}
    lacking = [m for m in NEEDED_MEASURES if m not in found]
    if lacking:
        raise UserError(
            f"{url}: no column for {lacking[0]} (the API's CSV layout may have changed; "
            f"headers were {', '.join(header[9:14])}, ...)")
    return out.getvalue(), n, min(years), max(years)


def fetch_indicators(dataset_id: str = DEFAULT_DATASET, api_url: str = DEFAULT_API,
                     cache: str | os.PathLike | None = None, timeout: float = 120,
                     session=None) -> dict:
    """Download the indicators data set into the cache folder; return what was saved.

    Returns dict(path, rows, first_year, last_year, url). Network and HTTP errors raise a
    one-line UserError; nothing is left behind in the cache when anything fails.
    """
    import requests

    url = csv_url(api_url, dataset_id)
    folder = Path(cache).expanduser() if cache else cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create cache folder {folder}: {exc.strerror}") from None
    get = (session or requests).get
    try:
        resp = get(url, timeout=timeout, headers={"Accept": "text/csv"})
    except requests.RequestException as exc:
        raise UserError(f"could not download {url}: {_short(exc)}") from None
    if resp.status_code != 200:
        reason = resp.reason or ""
        raise UserError(f"could not download {url}: HTTP {resp.status_code} {reason}".rstrip())
    text = _csv_text(resp.content, url)
    clean, rows, first, last = check_and_normalise(text, url)
    target = folder / f"csww_indicators_2017_to_{last}.csv"
    fd, tmp = tempfile.mkstemp(prefix=".download-", suffix=".csv", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(clean)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return {"path": target, "rows": rows, "first_year": first, "last_year": last, "url": url}
