"""Execute a report notebook in this process, with the outputs a Jupyter kernel would give.

A Jupyter kernel runs each cell in an IPython shell and sends what it displays to nbclient as
JSON messages; nbclient turns each message into a notebook output. :class:`InProcessEngine`
runs the same cells in an IPython shell in *this* process and builds the same outputs from the
same content, put through the same JSON encoding (ipykernel's ``json_clean`` and
jupyter_client's packer), so the executed notebook, and every byte rendered from it, is what a
fresh kernel gives (tests/test_report.py checks it byte for byte). What it saves: starting a
kernel process and importing the library a second time in it (about 3 s for one report), and
for every report the messaging (each figure, as SVG, crosses a socket twice as JSON) and
nbclient's bookkeeping.

Differences from a kernel that do not reach a report: text a cell prints becomes one stream
output per run of printing between two displays (a kernel flushes on a timer as well), and no
per-cell timeout is enforced. One process holds one shell, so runs are serialised by a lock.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

_LOCK = threading.Lock()
_SHELL = None


class CellError(Exception):
    """A cell raised: ``ename``/``evalue`` as nbclient's CellExecutionError has them."""

    def __init__(self, exc: BaseException):
        super().__init__(f"{type(exc).__name__}: {exc}")
        self.exc = exc
        self.ename = type(exc).__name__
        self.evalue = str(exc)


def _content(data, metadata) -> dict:
    """``{"data", "metadata"}`` as they reach nbclient: ipykernel's cleaning and encoding, then
    jupyter_client's JSON packer, then JSON decoding (tuples become lists, and so on)."""
    from ipykernel.jsonutil import encode_images, json_clean
    from jupyter_client.session import json_packer

    content = {"data": encode_images(data), "metadata": metadata if metadata is not None else {}}
    return json.loads(json_packer(json_clean(content)))


class _Capture:
    """Collects one cell's outputs: displays, the displayhook's result and printed text."""

    def __init__(self):
        self.outputs: list = []
        self._text = {"stdout": [], "stderr": []}
        self._order: list = []

    def write(self, name: str, text: str) -> None:
        if text:
            if not self._text[name]:
                self._order.append(name)
            self._text[name].append(text)

    def flush(self) -> None:
        """Printed text so far becomes stream outputs (before a display, and at the end)."""
        from nbformat import NotebookNode

        for name in self._order:
            text = "".join(self._text[name])
            self._text[name] = []
            self.outputs.append(NotebookNode(output_type="stream", name=name, text=text))
        self._order = []

    def add(self, output_type: str, data, metadata, **extra) -> None:
        from nbformat import from_dict

        self.flush()
        content = _content(data, metadata)
        self.outputs.append(from_dict({"output_type": output_type, **extra,
                                       "metadata": content["metadata"],
                                       "data": content["data"]}))


class _Stream:
    """sys.stdout / sys.stderr while a cell runs."""

    def __init__(self, engine: "InProcessEngine", name: str):
        self._engine, self.name = engine, name
        self.encoding = "utf-8"

    def write(self, text) -> int:
        cap = self._engine.capture
        if cap is not None:
            cap.write(self.name, str(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


def available() -> bool:
    """Whether notebooks can run in this process: not inside someone else's IPython (a Jupyter
    kernel, an IPython terminal), whose display must not be taken over."""
    from IPython.core.interactiveshell import InteractiveShell

    return _SHELL is not None or not InteractiveShell.initialized()


def _shell():
    """This process's IPython shell (created once), with display output captured."""
    global _SHELL
    if _SHELL is not None:
        return _SHELL
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    if InteractiveShell.initialized():
        # inside someone's IPython or Jupyter kernel: its display must not be taken over
        raise RuntimeError("an IPython shell already runs in this process")

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False,
                    **kwargs):
            cap = ENGINE.capture
            if cap is None:
                return
            if update or (transient or {}).get("display_id"):
                raise RuntimeError("display updates (display_id) are not supported in-process")
            cap.add("display_data", data, metadata)

        def clear_output(self, wait=False):
            cap = ENGINE.capture
            if cap is not None:
                cap.flush()
                cap.outputs.clear()

    class Hook(DisplayHook):
        """The value of a cell's last expression: an ``execute_result``."""

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            cap = ENGINE.capture
            if cap is not None:
                cap.add("execute_result", format_dict, md_dict, execution_count=None)

    config = Config()
    config.HistoryManager.enabled = False   # no history database shared between processes
    main = sys.modules.get("__main__")
    try:
        shell = InteractiveShell.instance(config=config)
    finally:
        # the shell makes its namespace this process's __main__ (as in a kernel); it is so only
        # while cells run (InProcessEngine.execute), else this process could not start others
        # with multiprocessing's spawn, which needs the real __main__
        if main is not None:
            sys.modules["__main__"] = main
    shell.display_pub = Publisher(shell=shell)
    hook = Hook(shell=shell, cache_size=0)
    shell.displayhook = hook
    shell.display_trap.hook = hook
    _SHELL = shell
    return shell


class InProcessEngine:
    """Runs notebooks' code cells in this process's IPython shell, collecting their outputs."""

    def __init__(self):
        self.capture: _Capture | None = None

    def run_cell(self, source: str) -> list:
        """Execute one cell; its outputs (nbformat nodes). Raises :class:`CellError`."""
        shell = _shell()
        cap = self.capture = _Capture()
        out, err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Stream(self, "stdout"), _Stream(self, "stderr")
        try:
            result = shell.run_cell(source, store_history=False, silent=False)
        finally:
            sys.stdout, sys.stderr = out, err
            self.capture = None
        exc = result.error_before_exec or result.error_in_exec
        if exc is not None:
            if isinstance(exc, KeyboardInterrupt):
                raise KeyboardInterrupt
            raise CellError(exc)
        cap.flush()
        return cap.outputs

    def execute(self, nb, prelude: str | None = None) -> Any:
        """Run ``prelude`` (e.g. the reset between two reports) then every code cell of ``nb``,
        filling in the cells' outputs in place."""
        with _LOCK:
            shell = _shell()
            main = sys.modules.get("__main__")
            sys.modules["__main__"] = shell.user_module
            try:
                if prelude:
                    self.run_cell(prelude)
                for cell in nb.cells:
                    if cell.cell_type == "code":
                        cell.outputs = self.run_cell(cell.source)
            finally:
                if main is not None:
                    sys.modules["__main__"] = main
        return nb


ENGINE = InProcessEngine()
