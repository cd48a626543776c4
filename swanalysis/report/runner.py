"""Run the report notebook for one authority and publish it: HTML, tables as CSV and Excel.

With the Python APIs: Papermill injects the parameters, the notebook is executed (in this process
by default, or by nbclient in a Jupyter kernel), nbconvert's HTMLExporter renders it with the
``council_report`` template.

* ``ReportRunner(warm=True)`` (the default engine, ``"inprocess"``) runs every notebook in this
  process (:mod:`swanalysis.report.inprocess`: a fresh kernel's outputs without a kernel);
  ``engine="kernel"`` starts one kernel and reuses it for every :meth:`ReportRunner.run`,
  resetting the user namespace and matplotlib's state between
  authorities, so the output is identical to a fresh kernel's (``warm=False``: a new kernel per run).
* Output is deterministic: no timestamps except ``date_produced`` (a parameter), no execution
  timing or counts, fixed cell ids.
* Writes are atomic: the report is built in ``DIR/YYYY/.<slug>.tmp-<host>-<pid>-XXXX`` and renamed to
  ``DIR/YYYY/<slug>/`` only when complete.

Layout: ``DIR/YYYY/<slug>/report.html`` (the committee paper), ``technical.html`` (its technical
annex, cross-linked; one notebook run, its outputs split by the ``swanalysis_part`` metadata the
sections give them), ``report.pdf`` with ``pdf: true``, ``tables/<name>.csv`` (one per table),
``tables.xlsx`` (a sheet per table), ``params.yaml`` (the resolved parameters) and ``report.log``.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from . import params as params_mod
from . import skip_unused_imports  # noqa: F401 - batch workers call it from here
from ..config import slugify
from ..errors import UserError
from ..safeio import created_dirs, ensure_dir, output_error, remove_empty_dirs

PACKAGE = Path(__file__).resolve().parent
REPO = PACKAGE.parents[1]
TEMPLATE_DIR = PACKAGE / "templates"
TEMPLATE_NAME = "council_report"
META_MIMETYPE = "application/vnd.swanalysis.meta+json"
# Which document an output belongs to (unmarked: the paper; the title-block metadata: both).
from .parts import PART_KEY, PARTS  # noqa: E402
COUNTERPARTS = {
    "paper": {"href": "technical.html", "text": "Technical annex",
              "about": "methods, full tables, confidence intervals and data notes"},
    "annex": {"href": "report.html", "text": "Committee report",
              "about": "the report this annex supports"},
}
KERNEL_NAME = "python3"
#: How notebooks are executed: in this process's IPython shell (swanalysis.report.inprocess:
#: the outputs a kernel would give, without the kernel) or in a Jupyter kernel (nbclient).
ENGINES = ("inprocess", "kernel")

NOTEBOOKS = {
    "council": "council_report.ipynb",
    "benchmark": "benchmark_report.ipynb",
}

# Run in the kernel between two reports (warm mode): forget the last authority entirely.
# ``%reset -f`` ends with full garbage collections. What survives them is the kernel's long-lived
# state (imported modules, the published panel and the caches built on it), so it is moved to the
# permanent generation (gc.freeze): later collections, in this reset and while the next report
# computes, no longer walk those ~200,000 objects every time. Reference counting still frees
# frozen objects; only cycles among them wait, and the frozen set is what the kernel keeps anyway.
RESET_CODE = """\
%reset -f
import gc as _gc, matplotlib as _mpl, matplotlib.pyplot as _plt
_plt.close("all")
_mpl.rcdefaults()
_gc.freeze()
del _gc, _mpl, _plt
"""



def user_error_names(cls: type = UserError) -> frozenset[str]:
    """Names of ``cls`` and every subclass of it defined so far: errors raised in the notebook
    under one of these names are the user's to fix (shown as one line, exit code 2)."""
    names = {cls.__name__}
    for sub in cls.__subclasses__():
        names |= user_error_names(sub)
    return frozenset(names)


# The notebook kernel raises the same classes (it imports swanalysis.errors), so the names in the
# CellExecutionError match these.
USER_ERRORS = user_error_names()
# OS errors in the notebook (writing its tables): the machine's state, not a bug; one line, exit 2.
OS_ERRORS = {"OSError", "PermissionError", "FileNotFoundError", "NotADirectoryError",
             "IsADirectoryError", "FileExistsError"}


@dataclass(frozen=True)
class ReportOutput:
    """Where one report was written."""

    html: Path
    tables_dir: Path
    xlsx: Path
    log: Path | None
    report_dir: Path
    pdf: Path | None = None
    annex: Path | None = None


class ReportError(RuntimeError):
    """The notebook failed for a reason that is not the user's input (a bug): one line summary."""


def notebook_path(kind: str | os.PathLike | None = None) -> Path:
    """The report notebook: ``"council"`` (default), ``"benchmark"`` or a path."""
    if kind is None:
        kind = "council"
    if str(kind) in NOTEBOOKS:
        name = NOTEBOOKS[str(kind)]
        # an installed wheel carries notebooks/ as swanalysis.report.notebooks (pyproject.toml);
        # an editable install or a checkout reads the repository's notebooks/
        folders = (PACKAGE / "notebooks", REPO / "notebooks")
        for folder in folders:
            if (folder / name).exists():
                return folder / name
        raise UserError(f"report notebook {name} not found in {' or '.join(map(str, folders))}")
    path = Path(kind)
    if not path.exists():
        raise UserError(f"report notebook {path} not found")
    return path


def report_dir_for(out_dir: str | os.PathLike, year: int, authority: str) -> Path:
    """``DIR/YYYY/<slug>`` for an authority's published name."""
    return Path(out_dir) / str(int(year)) / slugify(authority)


# ---------------------------------------------------------------------------------------------
# HTML


_HEADING_RE = re.compile(r"<h([23])\b[^>]*\bid=\"([^\"]+)\"[^>]*>(.*?)</h\1>", re.S)
_TAG_RE = re.compile(r"<[^>]+>")
_exporter_lock = threading.Lock()
_exporter = None


def _html_exporter():
    global _exporter
    with _exporter_lock:
        if _exporter is None:
            from nbconvert import HTMLExporter

            exp = HTMLExporter(
                template_name=TEMPLATE_NAME,
                extra_template_basedirs=[str(TEMPLATE_DIR)],
                filters={"without_anchor_links": without_anchor_links},
            )
            exp.exclude_input = True
            exp.exclude_input_prompt = True
            exp.exclude_output_prompt = True
            _exporter = exp
        return _exporter


_ANCHOR_LINK_RE = re.compile(r'<a class="anchor-link" href="#[^"]*">[^<]*</a>')


def without_anchor_links(html_text: str) -> str:
    """nbconvert's markdown adds a "¶" link to every heading; a report's commentary has none."""
    return _ANCHOR_LINK_RE.sub("", html_text)


def _unescape(text: str) -> str:
    import html

    return html.unescape(_TAG_RE.sub("", text)).strip()


def report_structure(nb) -> dict:
    """The title-block metadata and the contents (h2 → h3) of an executed report notebook."""
    meta: dict = {}
    toc: list[dict] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") else {}
            if META_MIMETYPE in data:
                meta.update(data[META_MIMETYPE])
            html = data.get("text/html")
            if not html:
                continue
            if isinstance(html, list):
                html = "".join(html)
            for level, anchor, text in _HEADING_RE.findall(html):
                entry = {"id": anchor, "text": _unescape(text), "children": []}
                if level == "2" or not toc:
                    toc.append(entry)
                else:
                    toc[-1]["children"].append(entry)
    if "facts" in meta:
        meta["facts"] = [tuple(f) for f in meta["facts"]]
    return {"meta": meta, "toc": toc}


def part_of(output) -> str:
    """The document an output belongs to (``PART_KEY`` in its metadata; default the paper)."""
    meta = output.get("metadata") or {}
    return str(meta.get(PART_KEY, "paper"))


def split_parts(nb) -> dict:
    """The executed notebook as one notebook per document (:data:`PARTS`): each keeps the
    outputs marked for it (or for both) and the title-block metadata."""
    out = {}
    for part in PARTS:
        doc = copy.deepcopy(nb)
        for cell in doc.cells:
            if cell.cell_type != "code":
                continue
            cell.outputs = [o for o in cell.get("outputs", [])
                            if META_MIMETYPE in (o.get("data") or {})
                            or part_of(o) in (part, "both")]
        out[part] = doc
    return out


def build_html(nb, part: str = "paper") -> str:
    """Render an executed report notebook with the swanalysis template (no code, self-contained).

    ``part``: "paper" (the committee report) or "annex" (the technical annex): the title block
    names the document and links to the other one.
    """
    exporter = _html_exporter()
    structure = report_structure(nb)
    meta = structure["meta"]
    if part == "annex":
        title = meta.get("title", "")
        meta["title"] = f"Technical annex: {title}" if title else "Technical annex"
        meta["kicker"] = meta.get("annex_kicker") or "Technical annex to the committee report"
    meta["part"] = part
    meta["counterpart"] = COUNTERPARTS.get(part)
    with _exporter_lock:
        body, _ = exporter.from_notebook_node(nb, resources={"swanalysis": structure})
    return body


def build_documents(nb) -> dict[str, str]:
    """``{file name: HTML}`` for the committee paper and the technical annex."""
    return {PARTS[part]: build_html(doc, part) for part, doc in split_parts(nb).items()}


def _normalise(nb) -> None:
    """Strip what differs between runs of the same report: ids, counts, timings."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if cell.cell_type == "code":
            cell["execution_count"] = None
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = None


def _streams(nb) -> list[str]:
    lines = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "stream":
                text = out.get("text", "")
                text = "".join(text) if isinstance(text, list) else text
                lines.append(f"[cell {i} {out.get('name')}] {text.rstrip()}")
    return lines


def _cell_failure(ename: str, evalue: str) -> Exception:
    """The error to raise for a notebook cell that raised ``ename: evalue``: the user's
    (:class:`UserError`, one line) or a bug (:class:`ReportError`)."""
    lines = (evalue or "").strip().splitlines()
    message = lines[0] if lines else ename
    if ename == "KeyboardInterrupt":
        return KeyboardInterrupt()
    if ename in user_error_names():
        return UserError(message)
    if ename in OS_ERRORS:  # the notebook could not write its tables (disk full, ...)
        return UserError(f"the report could not be written: {message}")
    return ReportError(f"report notebook failed: {ename}: {message}")


# ---------------------------------------------------------------------------------------------
# Runner


class ReportRunner:
    """Execute report notebooks; with ``warm=True`` one kernel serves every run.

    Use as a context manager (or call :meth:`close`) so the kernel is shut down::

        with ReportRunner(warm=True) as runner:
            for la in ("Wokingham", "Slough"):
                runner.run({"la": la, "year": 2022}, "outputs")
    """

    def __init__(self, notebook=None, warm: bool = True, timeout: int = 600,
                 engine: str = "inprocess"):
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r} (use one of {', '.join(ENGINES)})")
        self.notebook = notebook_path(notebook)
        self.warm = warm
        # a fresh kernel for every run is the kernel engine by definition; called from a
        # notebook or IPython, the report runs in a kernel of its own
        if engine == "inprocess" and warm:
            from .inprocess import available

            engine = engine if available() else "kernel"
        self.engine = engine if warm else "kernel"
        self._runs = 0
        self.timeout = timeout
        self.cwd = str(Path.cwd())
        self._km = None
        self._kc = None
        self._sockets = None
        self._source = None
        os.environ.setdefault("MPLBACKEND", "Agg")

    # -- context manager --------------------------------------------------------------------
    def __enter__(self) -> "ReportRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Shut down the warm kernel, if any."""
        if self._km is None:
            return
        from jupyter_core.utils import run_sync

        try:
            if self._kc is not None:
                self._kc.stop_channels()
            run_sync(self._km.shutdown_kernel)(now=True)
        except Exception:  # pragma: no cover - best effort on the way out
            pass
        finally:
            self._km = None
            self._kc = None
            if self._sockets:
                shutil.rmtree(self._sockets, ignore_errors=True)
                self._sockets = None

    def __del__(self):  # pragma: no cover
        try:
            self.close()
        except Exception:
            pass

    # -- execution --------------------------------------------------------------------------
    def _client(self, nb, km=None):
        from nbclient import NotebookClient

        client = NotebookClient(
            nb,
            km=km,
            timeout=self.timeout,
            kernel_name=KERNEL_NAME,
            record_timing=False,
            allow_errors=False,
            resources={"metadata": {"path": self.cwd}},
        )
        if not hasattr(self, "_clients"):
            self._clients = []
        self._clients.append(client)
        return client

    def _reset_kernel(self) -> None:
        """Start the warm kernel if needed, else wipe the previous authority from it."""
        import nbformat
        from jupyter_core.utils import run_sync

        if self._km is not None and not run_sync(self._km.is_alive)():
            self.close()
        fresh = self._km is None
        if fresh:
            self._sockets = tempfile.mkdtemp(prefix="swanalysis-kernel-")
            self._km = _kernel_manager(self._sockets)
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
        nb.cells.append(nbformat.v4.new_code_cell("pass" if fresh else RESET_CODE))
        client = self._client(nb, km=self._km)
        client.kc = self._kc
        client.execute(**self._kernel_kwargs())
        self._kc = client.kc

    def execute(self, params: Mapping[str, Any]):
        """Parameterise and execute the notebook; returns the executed, normalised notebook."""
        from papermill.parameterize import parameterize_notebook

        if self._source is None:
            from papermill.iorw import load_notebook_node

            self._source = load_notebook_node(str(self.notebook))
        nb = copy.deepcopy(self._source)
        nb = parameterize_notebook(nb, dict(params), kernel_name=KERNEL_NAME, language="python")
        self._clients = []
        if self.engine == "inprocess":
            from .inprocess import ENGINE, CellError

            try:
                # the reset before every run, the first included: this process may have made
                # figures or changed matplotlib's settings before (the CLI, an earlier report)
                ENGINE.execute(nb, prelude=RESET_CODE)
            except CellError as exc:
                raise _cell_failure(exc.ename, exc.evalue) from None
            self._runs += 1
            _normalise(nb)
            return nb
        from nbclient.exceptions import CellExecutionError

        try:
            if self.warm:
                self._reset_kernel()
                client = self._client(nb, km=self._km)
                client.kc = self._kc
                client.execute(**self._kernel_kwargs())
            else:
                from jupyter_core.utils import run_sync

                sockets = tempfile.mkdtemp(prefix="swanalysis-kernel-")
                km = _kernel_manager(sockets)
                client = self._client(nb, km=km)
                try:
                    client.execute(**self._kernel_kwargs())
                finally:
                    if client.kc is not None:
                        client.kc.stop_channels()
                    if km.has_kernel:
                        run_sync(km.shutdown_kernel)(now=True)
                    shutil.rmtree(sockets, ignore_errors=True)
        except CellExecutionError as exc:
            ename = getattr(exc, "ename", "") or ""
            if ename == "KeyboardInterrupt" or self._interrupted():
                raise KeyboardInterrupt from None
            raise _cell_failure(ename, getattr(exc, "evalue", "")) from None
        except BaseException:  # asyncio.CancelledError is not an Exception
            # Ctrl-C while nbclient runs is caught by its own loop handler, which shuts the kernel
            # down: what surfaces is then DeadKernelError or a ZMQError. Say what really happened.
            if self._interrupted():
                raise KeyboardInterrupt from None
            raise
        _normalise(nb)
        return nb

    def _kernel_kwargs(self) -> dict:
        """How the kernel process is started: in the run's folder, its own stderr kept off the
        user's terminal (a kernel stopped by Ctrl-C while it starts prints a traceback there;
        what a notebook prints reaches the report log through Jupyter's messages instead)."""
        import subprocess

        return {"cwd": self.cwd, "stderr": subprocess.DEVNULL}

    def _interrupted(self) -> bool:
        """True when SIGINT/SIGTERM reached one of this run's notebook clients (nbclient then
        schedules the kernel's clean-up and records it on the client)."""
        return any(getattr(c, "_async_cleanup_kernel_future", None) is not None
                   for c in getattr(self, "_clients", ()))

    def run(self, params: Mapping[str, Any], out_dir) -> ReportOutput:
        """Write one authority's report under ``out_dir/YYYY/<slug>/``, atomically."""
        # the analysis stack (lifelines, statsmodels, matplotlib) only when a report is made: the
        # CLI imports this module at start, and `import swanalysis.report.context` took 7-8 s
        # wall against 0.2 s for this module (2-core machine under load, 26 Nov 2026)
        from . import context

        p = params_mod.resolve(params)
        p.pop("output_dir", None)
        if not p.get("la"):
            raise UserError("no authority given: pass --la NAME_OR_CODE or set 'la' in the params file")
        from ..config import data_dir as _data_dir

        p["data_dir"] = str(_data_dir(p.get("data_dir")))
        if p.get("pdf"):
            from .pdf import require_chromium

            require_chromium()  # before the notebook runs, not after
        authority, year = context.identify(p)
        p["year"] = year
        if p.get("csww") and not p.get("allow_other_lea"):
            check_returns_belong(p)
        final = report_dir_for(out_dir, year, authority)
        made = created_dirs(final.parent)  # removed again if this run fails or is interrupted
        ensure_dir(final.parent)
        try:
            tmp = Path(tempfile.mkdtemp(prefix=_build_prefix(final, "tmp"), dir=final.parent))
        except OSError as exc:
            remove_empty_dirs(made)
            raise output_error(exc, final.parent, "cannot write the report") from None
        try:
            tmp.chmod(0o755)
            nb = self.execute({**p, "output_dir": str(tmp)})
            for name, html in build_documents(nb).items():
                (tmp / name).write_text(html, encoding="utf-8")
            (tmp / "params.yaml").write_text(params_mod.dump(p), encoding="utf-8")
            log_lines = [f"swanalysis report: {authority}, {year}", f"notebook: {self.notebook.name}"]
            log_lines += _streams(nb)
            (tmp / "report.log").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
            if not (tmp / "tables").is_dir() or not (tmp / "tables.xlsx").exists():
                raise ReportError("report notebook did not write its tables (call sections.finish)")
            if p.get("pdf"):
                from .pdf import print_pdf

                print_pdf(tmp / "report.html", tmp / "report.pdf")
            _commit(tmp, final)
        except OSError as exc:  # disk full, permission: one line, nothing left behind
            shutil.rmtree(tmp, ignore_errors=True)
            remove_empty_dirs(made)
            raise output_error(exc, final, "cannot write the report") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            remove_empty_dirs(made)
            raise
        return ReportOutput(
            html=final / "report.html",
            tables_dir=final / "tables",
            xlsx=final / "tables.xlsx",
            log=final / "report.log",
            report_dir=final,
            pdf=final / "report.pdf" if p.get("pdf") else None,
            annex=final / "technical.html",
        )


def allowed_leas(area, panel) -> dict[str, str]:
    """DfE numbers whose CSWW returns belong in ``area``'s report: its own (each council of a
    joint return) and its predecessors' (Cumbria's for Westmorland and Furness), with names."""
    from ..published.areas import _name_of, area_index

    idx = area_index(panel)
    return {c: _name_of(idx, c) for c in (*area.components, *area.predecessors)}


def check_returns_belong(params: Mapping[str, Any]) -> list[str]:
    """Exit 2 (InputFileError, one line naming the file and its LEA) when a CSWW return given
    for the report is another council's; ``allow_other_lea`` (--allow-other-lea) skips this."""
    from ..workerdata.returns import check_authority
    from . import context

    area, _, _ = context._resolve(params)
    pan = context.panel(params.get("data_dir"))
    return check_authority(params["csww"], allowed_leas(area, pan), area.name)


def _kernel_manager(socket_dir: str | None = None):
    """A kernel manager talking over local sockets (IPC) in ``socket_dir`` where available, rather
    than unencrypted TCP on localhost."""
    from jupyter_client.manager import AsyncKernelManager

    if os.name == "posix" and socket_dir:
        return AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc",
                                  ip=os.path.join(socket_dir, "kernel"))
    return AsyncKernelManager(kernel_name=KERNEL_NAME)


# Build folders are named .<slug>.tmp-<host>-<pid>-<random> (and .old- while replacing), so a
# later run can tell whose they are.
_BUILD_RE = re.compile(r"^\..+\.(?:tmp|old)-(?P<host>.+)-(?P<pid>\d+)-[a-z0-9_]+$")


def _build_prefix(final: Path, kind: str) -> str:
    return f".{final.name}.{kind}-{socket.gethostname()}-{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process (PermissionError), or no way to tell: keep it
    return True


def remove_stale_builds(folder) -> list[Path]:
    """Delete the build folders that report runs on THIS machine left in ``folder`` when their
    process was killed (a batch stopped with SIGKILL, a machine that lost power); returns them.

    Folders of processes still running, of other machines (a dask cluster writing to shared
    storage) and anything not named like a build folder are left alone. A build folder is never
    taken for a report either way (it does not have the report's name).
    """
    removed = []
    if os.name != "posix":
        return removed
    host = socket.gethostname()
    for p in sorted(Path(folder).glob(".*")):
        m = _BUILD_RE.match(p.name)
        if (m and p.is_dir() and m.group("host") == host and int(m.group("pid")) != os.getpid()
                and not _alive(int(m.group("pid")))):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def _commit(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp`` so that a complete report is always either old or new."""
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=_build_prefix(final, "old"), dir=final.parent))
        old.rmdir()
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def render_report(params: Mapping[str, Any], out_dir, warm: bool = False, notebook=None,
                  engine: str = "inprocess") -> ReportOutput:
    """One report, start to finish: executed in this process (``engine="inprocess"``, the same
    bytes as a fresh kernel without starting one) or in a Jupyter kernel (``engine="kernel"``:
    a fresh kernel unless ``warm``).

    With no ``notebook``, ``benchmark_only`` in the params selects the benchmark notebook.
    """
    if notebook is None and params.get("benchmark_only"):
        notebook = "benchmark"
    if engine == "inprocess":
        warm = True  # "warm" here only means: not a new kernel
    with ReportRunner(notebook=notebook, warm=warm, engine=engine) as runner:
        return runner.run(params, out_dir)
