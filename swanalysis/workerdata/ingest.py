"""Library entry point: CSWW returns (+ payroll extract) -> validated, pseudonymised, linked tables.

``ingest(["returns/"], hr="payroll.csv", hr_map="params/hr_map_example.yaml")`` returns an
:class:`IngestResult` with ``.episodes``, ``.worker_years``, ``.validation`` and ``.summary``.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import codes as C
from ..errors import InputFileError
from .. import _docs
from ..results import Result, plural
from .linking import EPISODE_COLUMNS, WORKER_YEAR_COLUMNS, Linked, link
from .payroll import load_column_map, read_payroll
from .pseudonymise import Pseudonymiser
from .returns import RECORD_META, RawReturn, file_size, finish, read_raw, require_returns
from .validation import check_records, concat_issues, issue, issues_frame


#: records pseudonymised and compacted per batch of about this many (bounds peak memory)
FINISH_BATCH = 20_000
#: returns of at least this many bytes in all are read in READ_PROCESSES processes (Linux);
#: fewer are read in this one (starting processes would cost more than it saves). The
#: environment variable SWANALYSIS_READ_PROCESSES sets the number (1: read in this process).
PARALLEL_MIN_BYTES = 16 * 2**20
READ_PROCESSES = 2
READ_PROCESSES_ENV = "SWANALYSIS_READ_PROCESSES"
#: each process reads and pseudonymises runs of returns of about this many bytes at a time
CHUNK_BYTES = 6 * 2**20


#: Text shared by the docstrings here, written once (see :mod:`swanalysis._docs`).
_SHARED_DOC = {
    "example": _docs.lines(
        '>>> import tempfile',
        '>>> from swanalysis.synth import generate',
        '>>> from swanalysis.workerdata.ingest import ingest, episodes, worker_years',
        '>>> tmp = tempfile.TemporaryDirectory()',
        '>>> council = generate("Stockport", "2022-2024", seed=1, scale=0.3, retention_draws=1000,',
        '...                    out_dir=tmp.name)',
    ),
}


@dataclass(repr=False)
class IngestResult(Result):
    """What :func:`ingest` read: the linked tables, the validation issues and counts.

    Attributes
    ----------
    episodes : pandas.DataFrame
        One row per employment spell (docs/tables.md, ``EPISODE_COLUMNS``); pseudonymised.
    worker_years : pandas.DataFrame
        One row per spell per census year (``WORKER_YEAR_COLUMNS``).
    validation : pandas.DataFrame
        One row per issue: file, record, field, rule, severity, message (never a value).
    summary : dict
        Counts: files, files_read, files_unreadable, records, records_accepted,
        records_quarantined, workers, spells, leavers, agency_spells, worker_years,
        census_years, las, issues_by_rule and, with a payroll extract, hr.
    returns : pandas.DataFrame
        One row per return read: file, lea, census_year, reference_date, n_records and the
        vacancy items.
    unreadable : list
        Files that could not be read (with ``strict=False``).
    """

    episodes: pd.DataFrame
    worker_years: pd.DataFrame
    validation: pd.DataFrame
    summary: dict
    returns: pd.DataFrame = field(default_factory=pd.DataFrame)
    unreadable: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file could be read (quarantined records do not count)."""
        return not self.unreadable

    def _title(self) -> str:
        years = self.summary.get("census_years") or []
        las = self.summary.get("las") or []
        span = f"{years[0]}-{years[-1]}" if len(years) > 1 else "".join(map(str, years))
        return " ".join(p for p in (f"LA {', '.join(map(str, las))}" if las else "", span) if p)

    def _counts(self) -> list[str]:
        s = self.summary
        return [plural(s.get("files_read", 0), "file"), plural(s.get("records", 0), "record"),
                f"{s.get('records_quarantined', 0):,} quarantined", plural(s.get("workers", 0), "worker"),
                plural(s.get("spells", 0), "spell"), plural(s.get("leavers", 0), "leaver")]

    def table(self) -> pd.DataFrame:
        """The returns read, one row each (``returns``)."""
        return self.returns

    def sentences(self) -> list[str]:
        """What was read and linked, in words (counts only, never a value)."""
        s = self.summary
        out = [f"Read {s.get('files_read', 0)} of {plural(s.get('files', 0), 'file')}: "
               f"{plural(s.get('records', 0), 'record')}, {s.get('records_accepted', 0):,} accepted and "
               f"{s.get('records_quarantined', 0):,} quarantined."]
        out.append(f"Linked into {plural(s.get('workers', 0), 'worker')}, {plural(s.get('spells', 0), 'spell')} "
                   f"and {plural(s.get('leavers', 0), 'leaver')}.")
        if s.get("issues_by_rule"):
            out.append("Validation issues: " + ", ".join(f"{k} {v:,}" for k, v in s["issues_by_rule"].items()) + ".")
        return out


def _read_returns(files: list[Path], pseudo: Pseudonymiser, strict: bool, file_issues: list):
    """Read and pseudonymise the returns, in file order: ``(returns, batches, unreadable)``.

    ``returns``: the RawReturns accepted (rows dropped); ``batches``: their records as frames
    from :func:`finish`, in file order; ``unreadable``: one message per file that could not be
    read (``strict``: the first one is raised). Issues about the files (unreadable, a second
    return for the same LA and census year, the returns' own) are appended to ``file_issues``.

    A large input is read by READ_PROCESSES processes, each reading and pseudonymising runs of
    returns; the main process takes their results in file order, so the outcome is the same
    as reading them one after the other here.
    """
    unreadable: list[str] = []
    returns: list[RawReturn] = []
    batches: list[pd.DataFrame] = []
    seen: dict[tuple, str] = {}

    def accept(f, rd) -> bool:
        """Whether a return read is used (it may be unreadable or a duplicate)."""
        if isinstance(rd, InputFileError):
            if strict:
                raise rd
            unreadable.append(str(rd))
            file_issues.append(issue(f, 0, "", "file_unreadable", str(rd).split(": ", 1)[-1]))
            return False
        k = (rd.lea, rd.census_year)
        if k in seen:
            file_issues.append(issue(f, 0, "", "duplicate_return",
                                     f"a return for LA {rd.lea or 'unknown'} census {rd.census_year} was already read "
                                     f"({seen[k]}); this file is ignored"))
            return False
        seen[k] = str(f)
        file_issues.extend(rd.issues)
        returns.append(rd)
        return True

    chunks = _chunks(files)
    if len(chunks) > 1 and _can_fork():
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _CHILD_PSEUDO
        _CHILD_PSEUDO = pseudo  # inherited by the forked processes (the key is never pickled)
        # the objects alive now are shared with the forked processes until written to: left out
        # of garbage collection meanwhile, so that the processes' collections do not copy them
        gc.freeze()
        pool = ProcessPoolExecutor(min(_read_processes(), len(chunks)), mp_context=multiprocessing.get_context("fork"))
        try:
            for chunk, (read, packed) in zip(chunks, pool.map(_read_chunk, chunks)):
                used = [accept(f, rd) for f, rd in zip(chunk, read)]
                if packed is None:  # none of them could be read
                    continue
                frame = _unpack(packed)
                del packed
                # the records are those of the returns that could be read; those of a second
                # return for the same LA and year go
                good = [(u, rd.n_records) for u, rd in zip(used, read) if not isinstance(rd, InputFileError)]
                kept, sizes = [g[0] for g in good], [g[1] for g in good]
                if not all(kept):
                    frame = frame.iloc[np.repeat(kept, sizes)].reset_index(drop=True)
                if len(frame):
                    batches.append(frame)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            gc.unfreeze()
            _CHILD_PSEUDO = None
        return returns, batches, unreadable

    pending: list[RawReturn] = []

    def flush():
        # pseudonymise and compact a batch of returns, then drop their raw rows (with SWENos):
        # memory stays near one batch of raw rows plus the compact records
        if pending:
            batches.append(finish(pending, pseudo))
            for r in pending:
                r.rows = None
            pending.clear()

    for f in files:
        try:
            rd = read_raw(f)
        except InputFileError as exc:
            rd = exc
        if accept(f, rd):
            pending.append(rd)
            if sum(r.n_records for r in pending) >= FINISH_BATCH:
                flush()
    flush()
    return returns, batches, unreadable


def _chunks(files: list[Path]) -> list[list[Path]]:
    """The files in runs of about CHUNK_BYTES (one run when all are under PARALLEL_MIN_BYTES)."""
    sizes = [file_size(f) for f in files]
    if sum(sizes) < PARALLEL_MIN_BYTES:
        return [list(files)]
    chunks, run, total = [], [], 0
    for f, size in zip(files, sizes):
        run.append(f)
        total += size
        if total >= CHUNK_BYTES:
            chunks.append(run)
            run, total = [], 0
    if run:
        chunks.append(run)
    return chunks


def _can_fork() -> bool:
    """Reading in forked processes: on Linux, with more than one CPU, from a single-threaded
    process (forking a process with other threads can deadlock)."""
    import os
    import sys
    import threading

    return (_read_processes() > 1 and sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1
            and threading.active_count() == 1)


def _read_processes() -> int:
    """READ_PROCESSES, or the number in the environment variable READ_PROCESSES_ENV."""
    import os

    value = os.environ.get(READ_PROCESSES_ENV)
    if value is None:
        return READ_PROCESSES
    if not value.strip().isdigit() or int(value) < 1:
        from ..errors import UserError

        raise UserError(f"{READ_PROCESSES_ENV} must be a whole number of processes, 1 or more")
    return int(value)


_CHILD_PSEUDO: Pseudonymiser | None = None


def _read_chunk(paths: list[Path]):
    """In a reading process: read a run of returns and pseudonymise their records together.
    Returns the RawReturns (rows dropped; an InputFileError for a file that cannot be read)
    and the records, packed (:func:`_pack`); no SWENo or birth date leaves this process."""
    read, good = [], []
    for f in paths:
        try:
            rd = read_raw(f)
        except InputFileError as exc:
            read.append(exc)
            continue
        read.append(rd)
        good.append(rd)
    packed = _pack(finish(good, _CHILD_PSEUDO)) if good else None
    for rd in good:
        rd.rows = None
    return read, packed


def _pack(df: pd.DataFrame) -> tuple:
    """A records frame made quick to pass between processes: a text column (None where
    missing) as integer codes plus its distinct values, other columns as they are."""
    cols = []
    for name in df.columns:
        v = df[name].to_numpy()
        if v.dtype == object:
            codes, uniques = pd.factorize(v, use_na_sentinel=True)
            missing = v[codes < 0]
            if (all(type(u) is str for u in uniques)
                    and (not len(missing) or np.equal(missing, None).all())):
                cols.append((name, codes.astype(np.int32), list(uniques)))
                continue
        cols.append((name, v, None))
    return len(df), cols


def _unpack(packed: tuple) -> pd.DataFrame:
    """The frame :func:`_pack` packed, each distinct text one (interned) string object."""
    import sys

    n, cols = packed
    data = {}
    for name, v, uniques in cols:
        if uniques is not None:
            table = np.empty(len(uniques) + 1, dtype=object)
            table[:-1] = [sys.intern(u) for u in uniques]
            table[-1] = None
            v = table[v]  # code -1: the last slot, None
        data[name] = v
    return pd.DataFrame(data, columns=[c[0] for c in cols], index=pd.RangeIndex(n))


def _empty_records() -> pd.DataFrame:
    return pd.DataFrame(columns=RECORD_META + [c for c in C.WORKER_ITEMS if c not in ("SWENo", "PersonBirthDate")])


@_docs.fill(_SHARED_DOC)
def ingest(csww_paths, hr=None, hr_map=None, *, key=None, strict: bool = True, xsd=None) -> IngestResult:
    """Read, validate, pseudonymise and link CSWW returns, optionally joined to a payroll extract.

    Parameters
    ----------
    csww_paths : list of path-like
        Files and/or folders (a folder gives all its ``*.xml``, ``*.csv``, ``*.xlsx``).
    hr, hr_map : path-like, optional
        Payroll extract and its YAML column map (both or neither).
    key : str or bytes, optional
        Pseudonymisation key (default: see :mod:`swanalysis.workerdata.pseudonymise`).
    strict : bool, default True
        Raise on the first file that cannot be read; with ``strict=False`` such files are listed
        in ``unreadable`` and as ``file_unreadable`` issues and the rest are processed.
    xsd : path-like, optional
        Schema to take the code lists from.

    Returns
    -------
    IngestResult
        ``episodes`` (one row per spell), ``worker_years`` (one row per spell per census year),
        ``validation`` (file, record, field, rule, severity, message), ``summary`` (counts),
        ``returns`` (one row per return read) and ``unreadable``. Worker identifiers are
        pseudonymised; no personal value reaches any of them.

    Raises
    ------
    InputFileError
        One line naming the file, record and field (never its value): no returns found, a file
        that cannot be read (``strict``), ``hr`` without ``hr_map`` or a bad column map.

    Examples
    --------
    ${example}
    >>> res = ingest(council.returns, hr=council.payroll_path, hr_map=council.hr_map_path)
    >>> res
    <IngestResult LA 356 2022-2024: 3 files, 301 records, 0 quarantined, 130 workers, 130 spells, 26 leavers>
    >>> res.sentences()[0]
    'Read 3 of 3 files: 301 records, 301 accepted and 0 quarantined.'
    >>> res.returns[["lea", "census_year", "n_records"]]
       lea  census_year  n_records
    0  356         2022         99
    1  356         2023         98
    2  356         2024        104
    """
    if (hr is None) != (hr_map is None):
        raise InputFileError("--hr and --hr-map go together: give both or neither")
    code_lists = C.codes_for_items(xsd) if xsd else None
    pseudo = Pseudonymiser(key)
    if isinstance(csww_paths, (str, Path)):
        csww_paths = [csww_paths]
    files, skipped = require_returns(csww_paths, exclude=[hr] if hr is not None else [])
    file_issues = [issue(f, 0, "", "not_a_return", why) for f, why in skipped]
    returns, batches, unreadable = _read_returns(files, pseudo, strict, file_issues)
    records = pd.concat(batches, ignore_index=True) if len(batches) > 1 else (batches[0] if batches else _empty_records())
    batches.clear()
    returns_table = pd.DataFrame([{
        "file": rd.file, "lea": rd.lea, "census_year": rd.census_year, "reference_date": rd.reference_date,
        "n_records": rd.n_records, **{k: rd.vacancies.get(k) for k in ("NumberOfVacancies", "NoAgencyFTE", "NoAgencyHeadcount")},
    } for rd in returns])
    typed, rec_issues = (check_records(records, code_lists, inplace=True) if len(records)
                         else (records.assign(quarantined=False), issues_frame()))

    payroll = None
    hr_issues = []
    if hr is not None:
        cmap = load_column_map(hr_map)
        payroll, pi = read_payroll(hr, cmap, pseudo)
        hr_issues.append(pi)

    ok = ~typed["quarantined"].to_numpy(dtype=bool) if len(typed) else np.zeros(0, dtype=bool)
    n_accepted = int(ok.sum())
    if n_accepted:
        linked = link(typed, returns_table, payroll)  # link() leaves quarantined records out
    else:
        linked = Linked(pd.DataFrame(columns=EPISODE_COLUMNS), pd.DataFrame(columns=WORKER_YEAR_COLUMNS), issues_frame())

    hr_summary = {}
    if payroll is not None:
        ids = typed["worker_id"].to_numpy(dtype=object)
        agency = typed["agency"].to_numpy(dtype=bool) if len(typed) else np.zeros(0, dtype=bool)
        in_returns = set(pd.unique(ids[ok])) - {None}
        perm = set(pd.unique(ids[ok & ~agency])) - {None}
        pay_ids = set(payroll["worker_id"])
        unmatched_pay = ~payroll["worker_id"].isin(in_returns)
        if unmatched_pay.any():
            sub = payroll[unmatched_pay]
            hr_issues.append(pd.DataFrame({
                "file": str(hr), "record": sub["record"].to_numpy(), "field": cmap["worker_id"],
                "rule": "hr_unmatched_payroll", "severity": "info",
                "message": ("row " + sub["record"].astype(str) + ": worker not found in any CSWW return").to_numpy()}))
        missing_perm = perm - pay_ids
        if missing_perm:
            hr_issues.append(issues_frame([issue(hr, 0, cmap["worker_id"], "hr_unmatched_returns",
                                                 f"{len(missing_perm)} non-agency worker(s) in the returns have no payroll row")]))
        hr_summary = {
            "payroll_rows": int(len(payroll)),
            "payroll_workers": len(pay_ids),
            "matched_workers": len(pay_ids & in_returns),
            "unmatched_payroll_workers": len(pay_ids - in_returns),
            "unmatched_return_workers": len(missing_perm),
            "unmatched_return_agency_workers": len((in_returns - perm) - pay_ids),
        }

    validation = concat_issues([issues_frame(file_issues), rec_issues, linked.issues, *hr_issues])
    ep, wy = linked.episodes, linked.worker_years
    summary = {
        "files": len(files),
        "files_read": len(returns),
        "files_unreadable": len(unreadable),
        "records": int(len(records)),
        "records_accepted": n_accepted,
        "records_quarantined": int(len(typed) - n_accepted),
        "workers": int(ep["worker_id"].nunique()) if len(ep) else 0,
        "spells": int(len(ep)),
        "leavers": int(ep["event"].sum()) if len(ep) else 0,
        "agency_spells": int(ep["agency"].astype(bool).sum()) if len(ep) else 0,
        "worker_years": int(len(wy)),
        "census_years": sorted(int(y) for y in returns_table["census_year"].unique()) if len(returns_table) else [],
        "las": sorted(returns_table["lea"].unique().tolist()) if len(returns_table) else [],
        "issues_by_rule": {str(k): int(v) for k, v in validation.groupby("rule", sort=False).size().items()},
        **({"hr": hr_summary} if hr_summary else {}),
    }
    return IngestResult(ep, wy, validation, summary, returns_table, unreadable)


# --------------------------------------------------------------------------------------------
# convenience entry points


def _linked(source, **kwargs):
    return link(source, **kwargs) if isinstance(source, pd.DataFrame) else ingest(source, **kwargs)


@_docs.fill(_SHARED_DOC)
def episodes(source, **kwargs) -> pd.DataFrame:
    """One row per employment spell.

    Parameters
    ----------
    source : list of path-like, or pandas.DataFrame
        CSWW returns (files or folders, read by :func:`ingest` with ``**kwargs``), or a typed
        records frame already read (linked by :func:`swanalysis.workerdata.linking.link`).
    **kwargs
        Passed to :func:`ingest` (``hr``, ``hr_map``, ``key``, ``strict``, ``xsd``).

    Returns
    -------
    pandas.DataFrame
        The ``episodes`` table of docs/tables.md (``EPISODE_COLUMNS``): worker_id (pseudonymised),
        spell, start_date, end_date, event, duration_days, entry_days, agency, entry_route,
        destination_group, ...

    Raises
    ------
    InputFileError
        As for :func:`ingest`.

    Examples
    --------
    ${example}
    >>> ep = episodes(council.returns)
    >>> len(ep), int(ep["event"].sum())
    (130, 26)
    >>> ep[["duration_days", "entry_days", "event"]].describe().loc[["count", "min"]]
           duration_days  entry_days  event
    count          130.0       130.0  130.0
    min              3.0         0.0    0.0
    """
    return _linked(source, **kwargs).episodes


@_docs.fill(_SHARED_DOC)
def worker_years(source, **kwargs) -> pd.DataFrame:
    """One row per spell per census year.

    Parameters
    ----------
    source : list of path-like, or pandas.DataFrame
        As for :func:`episodes`.
    **kwargs
        Passed to :func:`ingest`.

    Returns
    -------
    pandas.DataFrame
        The ``worker_years`` table of docs/tables.md (``WORKER_YEAR_COLUMNS``): worker_id, spell,
        census_year, reference_date, in_post, left_in_year, fte, fte30, cases30, salary, role,
        agency, ...

    Raises
    ------
    InputFileError
        As for :func:`ingest`.

    Examples
    --------
    ${example}
    >>> wy = worker_years(council.returns)
    >>> wy.groupby("census_year")["in_post"].sum()
    census_year
    2022    87
    2023    92
    2024    96
    Name: in_post, dtype: int64
    """
    return _linked(source, **kwargs).worker_years
