"""Every authority's report in one batch: parallel warm kernels, resumable, failures isolated.

``run_batch(year, out_dir)`` writes one report per local-authority row in that year's published
data (joint returns are one row, hence one report; regional and national rows are not reports)
and ``out_dir/YYYY/index.html`` linking them with a headline table.

How it is fast: each worker process holds ONE warm :class:`swanalysis.report.ReportRunner`
and runs every authority it is given in its own process (the in-process engine,
:mod:`swanalysis.report.inprocess`: the outputs a fresh Jupyter kernel gives, without a kernel),
with the library imported and the published panel's derived results (the per-panel memo) kept,
so start-up and imports are paid once per worker instead of once per report, and no report's
output crosses a socket.  ``warm=False`` gives the fresh-kernel-per-report baseline.

Executors:

* ``local`` — a ``concurrent.futures.ProcessPoolExecutor`` (spawned processes) whose
  initializer opens the worker's runner; ``workers=1`` runs in this process.
* ``dask``  — the same per-authority jobs submitted to a ``dask.distributed`` scheduler; each
  dask worker thread lazily opens and keeps its own runner (a worker plugin closes them when
  the worker shuts down).  Workers must see the same data folder and output folder paths.

Resuming: an authority whose report folder is complete (``report.html`` and ``tables/``
present — the report runner writes to a temporary folder and renames it into place, so a
folder with that name is only ever complete) is skipped unless ``force=True``.  Temporary
folders left by an interrupted run never have the report's name, so they are never taken for a
report; those of this machine whose process has died are deleted when the next batch starts.

One authority failing does not stop the others: its one-line reason is recorded, listed at
the end, and written to ``out_dir/YYYY/batch.log``.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from .. import measures
from ..config import data_dir as resolve_data_dir
from ..config import slugify
from ..errors import UserError
from ..published.panel import latest, load_panel
from .page import Html, esc, html_page, table_html
from .runner import remove_stale_builds, report_dir_for, skip_unused_imports
from ..safeio import write_text

log = logging.getLogger(__name__)

#: The report runner used by default (``module:Class``).
DEFAULT_RUNNER = "swanalysis.report.runner:ReportRunner"

#: Measures shown in the index's headline table (the registry's "headline" role).
HEADLINE = measures.with_role("headline")


@dataclass(frozen=True)
class Authority:
    """One local-authority row of the published data for a year."""

    name: str
    code: str
    old_code: str
    region: str

    @property
    def slug(self) -> str:
        """The name as a file-name-safe slug (the report folder's name)."""
        return slugify(self.name)


@dataclass
class JobResult:
    """What happened to one authority."""

    name: str
    slug: str
    status: str                      # "ok", "skipped" (already complete) or "failed"
    seconds: float = 0.0
    reason: str = ""                 # one line, for failures
    report_dir: str | None = None    # absolute path when written or skipped


@dataclass
class BatchResult:
    year: int
    out_dir: Path
    results: list = field(default_factory=list)
    index: Path | None = None
    seconds: float = 0.0

    @property
    def failures(self) -> list:
        """The authorities whose report failed."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def written(self) -> list:
        """The authorities whose report was written."""
        return [r for r in self.results if r.status == "ok"]

    @property
    def skipped(self) -> list:
        """The authorities skipped because their report was already complete."""
        return [r for r in self.results if r.status == "skipped"]

    @property
    def exit_code(self) -> int:
        """1 when any report failed, else 0."""
        return 1 if self.failures else 0


# ---------------------------------------------------------------------------------------------
# Which authorities
# ---------------------------------------------------------------------------------------------

def _year_rows(year: int, data_dir=None):
    panel = latest(load_panel(data_dir))
    rows = panel[(panel["area_level"] == "la") & (panel["time_period"] == int(year))]
    if rows.empty:
        years = sorted(panel.loc[panel["area_level"] == "la", "time_period"].unique())
        raise UserError(
            f"no local-authority rows for {year} in the published data "
            f"(years available: {years[0]}-{years[-1]})" if years else
            f"no local-authority rows for {year} in the published data"
        )
    return rows


def authorities(year: int, data_dir=None) -> list[Authority]:
    """Every local-authority row published for ``year`` (joint returns count once), by name."""
    rows = _year_rows(year, data_dir)
    first = rows.drop_duplicates(["area_code", "area_name"])
    out = [Authority(name=r.area_name, code=r.area_code, old_code=r.old_la_code,
                     region=r.region_name)
           for r in first.itertuples(index=False)]
    return sorted(out, key=lambda a: a.name)


def headline_table(year: int, data_dir=None):
    """Authority, region and the headline measures for ``year``: one row per authority."""
    rows = _year_rows(year, data_dir)
    names = [m.name for m in HEADLINE]
    ids = rows.drop_duplicates("area_code")[["area_code", "area_name", "region_name"]]
    values = (rows[rows["measure"].isin(names)]
              .pivot_table(index="area_code", columns="measure", values="value", aggfunc="first"))
    wide = ids.merge(values, left_on="area_code", right_index=True, how="left")
    for m in names:
        if m not in wide.columns:
            wide[m] = float("nan")
    wide.columns.name = None
    wide = wide.rename(columns={"area_name": "authority", "region_name": "region"})
    return wide[["area_code", "authority", "region", *names]].sort_values("authority",
                                                                        ignore_index=True)


def select(all_las: list[Authority], wanted: list[str]) -> list:
    """Match names or codes the user gave to published rows.

    Returns Authority objects for matches, and the original string for anything unmatched
    (it is still submitted, so the report itself explains why it cannot be produced — and
    fails alone).  A member of a joint return (``Richmond upon Thames``) selects the joint row.
    """
    by_key: dict[str, Authority] = {}
    for a in all_las:
        keys = {a.name, a.code, a.old_code, *a.name.split(" / "), *a.code.split(" / "),
                *a.old_code.split(" / ")}
        for k in keys:
            if k and k.strip():
                by_key.setdefault(slugify(k.strip()), a)
    chosen: list = []
    for w in wanted:
        w = w.strip()
        if not w:
            continue
        hit = by_key.get(slugify(w))
        item = hit if hit is not None else w
        if item not in chosen:
            chosen.append(item)
    return chosen


# ---------------------------------------------------------------------------------------------
# Report folders
# ---------------------------------------------------------------------------------------------

def is_complete(folder) -> bool:
    """A report folder is complete when it holds a non-empty report.html and tables/."""
    folder = Path(folder)
    page = folder / "report.html"
    return page.is_file() and page.stat().st_size > 0 and (folder / "tables").is_dir()


def _one_line(exc: BaseException) -> str:
    """A failure reason on one line (no traceback)."""
    ename = getattr(exc, "ename", None)       # papermill.PapermillExecutionError
    evalue = getattr(exc, "evalue", None)
    if ename:
        text = f"{ename}: {evalue}"
    elif isinstance(exc, UserError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(str(text).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _job_params(item, year: int, data_dir, extra: dict | None) -> dict:
    params = dict(extra or {})
    params["la"] = item.name if isinstance(item, Authority) else str(item)
    params["year"] = int(year)
    if data_dir is not None:
        params["data_dir"] = str(data_dir)
    return params


def _run_job(runner, params: dict, out_dir: str) -> dict:
    """Run one report with a runner; never raises (the batch must go on)."""
    name = params["la"]
    start = time.perf_counter()
    try:
        out = runner.run(params, out_dir)
    except BaseException as exc:  # noqa: BLE001 - any failure belongs to this authority only
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"name": name, "status": "failed", "reason": _one_line(exc),
                "seconds": time.perf_counter() - start, "report_dir": None}
    return {"name": name, "status": "ok", "reason": "",
            "seconds": time.perf_counter() - start,
            "report_dir": str(Path(out.report_dir).resolve())}


# ---------------------------------------------------------------------------------------------
# Local process pool: one warm runner per worker process
# ---------------------------------------------------------------------------------------------

_WORKER_RUNNER = None


def _close_worker_runner():
    global _WORKER_RUNNER
    runner, _WORKER_RUNNER = _WORKER_RUNNER, None
    if runner is not None:
        try:
            runner.__exit__(None, None, None)
        except Exception:  # noqa: BLE001 - closing at exit is best effort
            pass


def _runner_class(path: str):
    """``"package.module:Class"`` -> the class (default swanalysis.report.runner:ReportRunner)."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name or "ReportRunner")


def _init_worker(runner_path: str, notebook, warm: bool, timeout: float):
    """ProcessPoolExecutor initializer: open this worker's runner (and its kernel) once."""
    global _WORKER_RUNNER
    # Ctrl-C is the parent's to handle: it cancels what has not started and lets each worker
    # finish (or fail) its current report and close its kernel, instead of every worker
    # printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MPLBACKEND", "Agg")

    skip_unused_imports()
    runner = _runner_class(runner_path)(notebook=notebook, warm=warm, timeout=timeout)
    runner.__enter__()
    _WORKER_RUNNER = runner
    # multiprocessing children leave through os._exit, so atexit would not run: Finalize does.
    multiprocessing.util.Finalize(None, _close_worker_runner, exitpriority=100)


def _worker_job(params: dict, out_dir: str) -> dict:
    return _run_job(_WORKER_RUNNER, params, out_dir)


# ---------------------------------------------------------------------------------------------
# dask.distributed: one warm runner per worker thread, opened lazily and kept
# ---------------------------------------------------------------------------------------------

_DASK_RUNNERS: dict = {}
_DASK_LOCK = threading.Lock()


def _dask_runner(runner_path: str, notebook, warm: bool, timeout: float):
    key = (threading.get_ident(), runner_path, str(notebook), warm, timeout)
    with _DASK_LOCK:
        runner = _DASK_RUNNERS.get(key)
    if runner is None:
        os.environ.setdefault("MPLBACKEND", "Agg")
        runner = _runner_class(runner_path)(notebook=notebook, warm=warm, timeout=timeout)
        runner.__enter__()
        with _DASK_LOCK:
            first = not _DASK_RUNNERS
            _DASK_RUNNERS[key] = runner
        if first:
            multiprocessing.util.Finalize(None, close_dask_runners, exitpriority=100)
    return runner


def close_dask_runners():
    """Close every runner this process opened for dask jobs."""
    with _DASK_LOCK:
        runners = list(_DASK_RUNNERS.values())
        _DASK_RUNNERS.clear()
    for r in runners:
        try:
            r.__exit__(None, None, None)
        except Exception:  # noqa: BLE001
            pass


def _dask_job(params: dict, out_dir: str, runner_path: str, notebook, warm: bool,
              timeout: float) -> dict:
    try:
        runner = _dask_runner(runner_path, notebook, warm, timeout)
    except Exception as exc:  # noqa: BLE001
        return {"name": params["la"], "status": "failed", "reason": _one_line(exc),
                "seconds": 0.0, "report_dir": None}
    return _run_job(runner, params, out_dir)


def _warm_runner_plugin():
    from distributed.diagnostics.plugin import WorkerPlugin

    class WarmRunnerPlugin(WorkerPlugin):
        """Closes the worker's report kernels when the dask worker shuts down."""

        name = "swanalysis-warm-runner"

        def teardown(self, worker):
            close_dask_runners()

    return WarmRunnerPlugin()


# ---------------------------------------------------------------------------------------------
# The batch
# ---------------------------------------------------------------------------------------------

def run_batch(year: int, out_dir, *, data_dir=None, las: list[str] | None = None,
              workers: int = 2, executor: str = "local", scheduler: str | None = None,
              force: bool = False, warm: bool = True, notebook=None, timeout: float = 600,
              params: dict | None = None, progress: bool = True,
              write_index_page: bool = True, runner: str = DEFAULT_RUNNER) -> BatchResult:
    """Write every authority's report for ``year`` under ``out_dir/YYYY/`` and an index.

    ``las``: only these names or codes (default: every authority row for the year).
    ``params``: extra report parameters passed to every report (e.g. comparators off).
    ``runner``: ``"module:Class"`` of the report runner (the interface of
    :class:`swanalysis.report.ReportRunner`); tests may substitute a stand-in.
    Returns a :class:`BatchResult`; never raises for a single authority's failure.
    """

    started = time.perf_counter()
    year = int(year)
    if notebook is None and (params or {}).get("benchmark_only"):
        notebook = "benchmark"
    if (params or {}).get("pdf"):
        from .pdf import require_chromium

        require_chromium()
    data_dir = resolve_data_dir(data_dir)
    out_dir = Path(out_dir).resolve()
    year_dir = out_dir / str(year)
    year_dir.mkdir(parents=True, exist_ok=True)

    for stale in remove_stale_builds(year_dir):
        log.info("removed %s, left by an interrupted run", stale.name)

    # Fail once, here, for a set-up problem every report would hit (e.g. notebook missing);
    # constructing a runner is cheap: its kernel starts on the first run.
    with _runner_class(runner)(notebook=notebook, warm=warm, timeout=timeout):
        pass
    params = dict(params or {})
    # One production date for the whole batch, even if it runs past midnight.
    params.setdefault("date_produced", datetime.now().date().isoformat())

    all_las = authorities(year, data_dir)
    items = select(all_las, las) if las else list(all_las)
    if not items:
        raise UserError("no authorities selected (--la was empty)")

    result = BatchResult(year=year, out_dir=out_dir)
    todo = []
    for item in items:
        name = item.name if isinstance(item, Authority) else item
        folder = report_dir_for(out_dir, year, name)
        if not force and isinstance(item, Authority) and is_complete(folder):
            result.results.append(JobResult(name=name, slug=folder.name, status="skipped",
                                            report_dir=str(folder)))
        else:
            todo.append(item)

    jobs = [_job_params(item, year, data_dir, params) for item in todo]
    bar = _progress(len(items), initial=len(items) - len(todo), enabled=progress,
                    desc=f"{year} reports")
    try:
        if not jobs:
            outcomes = []
        elif executor == "dask":
            if not scheduler:
                raise UserError("--executor dask needs --scheduler ADDRESS (e.g. tcp://host:8786)")
            outcomes = _run_dask(jobs, str(out_dir), scheduler, runner, notebook, warm, timeout,
                                 bar)
        elif executor == "local":
            outcomes = _run_local(jobs, str(out_dir), max(1, int(workers)), runner, notebook,
                                  warm, timeout, bar)
        else:
            raise UserError(f"unknown executor '{executor}' (use local or dask)")
    finally:
        bar.close()

    for o in outcomes:
        result.results.append(JobResult(name=o["name"], slug=slugify(o["name"]),
                                        status=o["status"], seconds=o["seconds"],
                                        reason=o["reason"], report_dir=o["report_dir"]))
    order = {(i.name if isinstance(i, Authority) else i): n for n, i in enumerate(items)}
    result.results.sort(key=lambda r: order.get(r.name, len(order)))
    result.seconds = time.perf_counter() - started
    if write_index_page:
        result.index = write_index(year, out_dir, all_las, result.results, data_dir)
    _write_log(year_dir / "batch.log", result)
    return result


def _progress(total, initial, enabled, desc):

    return tqdm(total=total, initial=initial, disable=not enabled, desc=desc, unit="report",
                file=sys.stderr, dynamic_ncols=True)


def _tick(bar, outcome, failures: list):
    if outcome["status"] == "failed":
        failures.append(outcome["name"])
        bar.set_postfix(failed=len(failures), refresh=False)
    bar.update(1)


def _run_local(jobs, out_dir, workers, runner_path, notebook, warm, timeout, bar) -> list:
    failures: list = []
    if workers == 1:
        outcomes = []
        with _runner_class(runner_path)(notebook=notebook, warm=warm, timeout=timeout) as rn:
            for params in jobs:
                o = _run_job(rn, params, out_dir)
                outcomes.append(o)
                _tick(bar, o, failures)
        return outcomes

    outcomes: list = []
    pending = list(jobs)
    broken_once: set = set()
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding threads/kernels
    while pending:
        n = min(workers, len(pending))
        retry = []
        with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_init_worker,
                                 initargs=(runner_path, notebook, warm, timeout)) as pool:
            futures = {pool.submit(_worker_job, p, out_dir): p for p in pending}
            try:
                for fut in as_completed(futures):
                    params = futures[fut]
                    try:
                        o = fut.result()
                    except BrokenProcessPool:
                        # A worker died (or its initializer failed): retry once in a new pool.
                        if params["la"] in broken_once:
                            o = {"name": params["la"], "status": "failed", "seconds": 0.0,
                                 "reason": "worker process died (kernel could not start or "
                                           "crashed)", "report_dir": None}
                        else:
                            broken_once.add(params["la"])
                            retry.append(params)
                            continue
                    except Exception as exc:  # noqa: BLE001
                        o = {"name": params["la"], "status": "failed", "seconds": 0.0,
                             "reason": _one_line(exc), "report_dir": None}
                    outcomes.append(o)
                    _tick(bar, o, failures)
            except KeyboardInterrupt:
                # Drop what has not started; workers finish or fail their current report.
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        pending = retry
    return outcomes


def _run_dask(jobs, out_dir, scheduler, runner_path, notebook, warm, timeout, bar) -> list:
    try:
        from distributed import Client, as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        raise UserError("--executor dask needs dask.distributed installed") from exc

    failures: list = []
    outcomes = []
    try:
        client = Client(scheduler, timeout="30s")
    except OSError as exc:
        raise UserError(f"could not connect to the dask scheduler at {scheduler}: {exc}") from exc
    with client:
        try:
            client.register_plugin(_warm_runner_plugin(), name="swanalysis-warm-runner")
        except Exception:  # noqa: BLE001 - teardown is a nicety; Finalize also closes kernels
            log.debug("could not register the dask worker plugin", exc_info=True)
        futures = {}
        for params in jobs:
            fut = client.submit(_dask_job, params, out_dir, runner_path, notebook, warm, timeout,
                                pure=False, key=f"swanalysis-report-{slugify(params['la'])}"
                                                f"-{time.time_ns()}")
            futures[fut] = params
        for fut in dask_completed(list(futures)):
            params = futures[fut]
            try:
                o = fut.result()
            except Exception as exc:  # noqa: BLE001 - e.g. the worker died
                o = {"name": params["la"], "status": "failed", "seconds": 0.0,
                     "reason": _one_line(exc), "report_dir": None}
            outcomes.append(o)
            _tick(bar, o, failures)
    return outcomes


# ---------------------------------------------------------------------------------------------
# Index page and log (written atomically)
# ---------------------------------------------------------------------------------------------

def _atomic_write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, text)


def _fmt(value, unit: str):
    if value != value or value is None:  # NaN
        return Html('<span class="na">not published</span>')
    return f"{value:.1f}{unit}"


_CSS = """
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; background: #ffffff;
       margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; line-height: 1.4; }
h1 { font-size: 1.8rem; margin-bottom: 0.25rem; }
a { color: #12436d; } a:visited { color: #4c2c92; } a:focus { outline: 3px solid #ffdd00; background: #ffdd00; color: #0b0c0c; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
caption { text-align: left; font-weight: bold; font-size: 1.1rem; padding-bottom: 0.5rem; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #0b0c0c; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
.na, .failed { color: #505a5f; font-style: italic; }
.summary { color: #0b0c0c; }
@media print { body { max-width: none; } a { color: #0b0c0c; } }
"""


def write_index(year: int, out_dir, all_las: list[Authority], results: list,
                data_dir=None) -> Path:
    """``out_dir/YYYY/index.html``: every authority with its headline figures and a link.

    Authorities with a complete report folder are linked (including ones from earlier runs);
    the others in this run say that their report failed. The page is built with the report's
    page kit (:mod:`swanalysis.report.page`): the same accessible table markup as the reports.
    """
    out_dir = Path(out_dir)
    year_dir = out_dir / str(int(year))
    table = headline_table(year, data_dir)
    by_name = {r.name: r for r in results}
    failed = {r.name: r.reason for r in results if r.status == "failed"}
    headings = {m.name: f"{m.short_label} ({m.unit_short})" for m in HEADLINE}
    rows = []
    n_linked = 0
    for rec in table.itertuples(index=False):
        r = by_name.get(rec.authority)
        folder = Path(r.report_dir) if r is not None and r.report_dir else \
            report_dir_for(out_dir, year, rec.authority)
        complete = is_complete(folder)
        if r is None and not complete:
            continue  # neither in this run nor written by an earlier one
        if complete:
            href = os.path.relpath(folder / "report.html", year_dir).replace(os.sep, "/")
            first = Html(f'<a href="{esc(href)}">{esc(rec.authority)}</a>')
            n_linked += 1
        else:
            note = "report failed" if rec.authority in failed else "no report yet"
            first = Html(f'{esc(rec.authority)} <span class="failed">({note})</span>')
        row = {"Authority": first, "Region": str(rec.region or "")}
        row.update({headings[m.name]: _fmt(getattr(rec, m.name), "%" if m.unit == "%" else "")
                    for m in HEADLINE})
        rows.append(row)
    shown = pd.DataFrame(rows, columns=["Authority", "Region", *headings.values()])
    n_fail = len(failed)
    period = f"1 October {int(year) - 1} to 30 September {int(year)}"
    summary = (f"{n_linked} of the {len(table)} authorities' reports are available"
               + (f"; {n_fail} failed in the last run (see batch.log)" if n_fail else "") + ".")
    body = (
        f'<p class="summary">Year ending 30 September {int(year)} ({period}). Source: Department for\n'
        "Education, <em>Children's social work workforce</em> statistics (Open Government Licence v3.0).\n"
        f"Rates are of full-time equivalent (FTE) social workers. {summary}</p>\n"
        + table_html(shown, f"Headline figures for every local authority, {int(year)}, with a link "
                     "to its report", "headline", None,
                     numeric=lambda column, value: column in headings.values())
        + "\n<p>Joint returns (for example Kingston upon Thames and Richmond upon Thames) are "
        "published as one\nrow and have one report. "
        f"Produced {datetime.now(timezone.utc):%d %B %Y}.</p>"
    )
    page = html_page(f"Children's social worker benchmark reports, {int(year)}", body, _CSS)
    path = year_dir / "index.html"
    _atomic_write(path, page)
    return path


def _write_log(path: Path, result: BatchResult):
    lines = [f"swanalysis batch {result.year}: {len(result.written)} written, "
             f"{len(result.skipped)} already complete, {len(result.failures)} failed, "
             f"{result.seconds:.1f} s"]
    for r in result.results:
        line = f"{r.status}\t{r.name}\t{r.seconds:.2f}s"
        if r.reason:
            line += f"\t{r.reason}"
        lines.append(line)
    _atomic_write(path, "\n".join(lines) + "\n")
