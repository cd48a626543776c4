"""A small driver for headless Debian Chromium over the Chrome DevTools Protocol.

Used by tests/test_browser.py: open a local HTML file, collect console errors, uncaught
exceptions and any attempt to load something from the network (a report must open offline),
run axe-core in the page, and save a PNG of the first screen.  Only the system browser
(/usr/bin/chromium, `make browser-deps`) is used — nothing is downloaded.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websocket  # websocket-client

CHROMIUM = os.environ.get("SWANALYSIS_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class BrowserError(RuntimeError):
    pass


@dataclass
class PageCheck:
    """What one page load produced."""

    url: str
    console_errors: list = field(default_factory=list)   # one string per error
    network_requests: list = field(default_factory=list)  # http(s) URLs the page tried to load
    violations: list = field(default_factory=list)        # axe-core violation objects
    title: str = ""
    screenshot: Path | None = None
    probes: dict = field(default_factory=dict)            # name -> value of a JS expression
    pdf: Path | None = None                                # the page printed to PDF

    def serious(self) -> list:
        return [v for v in self.violations if v.get("impact") in ("serious", "critical")]


class Chromium:
    """``with Chromium() as browser: browser.check(path, screenshot=...)``."""

    def __init__(self, executable: str = CHROMIUM, width: int = 1280, height: int = 900,
                 timeout: float = 60.0):
        self.executable = executable
        self.width, self.height, self.timeout = width, height, timeout
        self._proc = None
        self._profile = None
        self._port = None

    # -- process -------------------------------------------------------------------------
    def __enter__(self):
        if not (os.path.isfile(self.executable) and os.access(self.executable, os.X_OK)):
            raise BrowserError(f"{self.executable} not found: run `make browser-deps`")
        self._profile = tempfile.mkdtemp(prefix="swanalysis-chromium-")
        self._proc = subprocess.Popen(
            [self.executable, *FLAGS, f"--user-data-dir={self._profile}",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrowserError(f"chromium exited with code {self._proc.returncode}")
            if port_file.exists():
                lines = port_file.read_text().split()
                if lines:
                    self._port = int(lines[0])
                    return self
            time.sleep(0.05)
        self.__exit__(None, None, None)
        raise BrowserError("chromium did not open its DevTools port")

    def __exit__(self, *exc):
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._profile:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    # -- one tab ---------------------------------------------------------------------------
    def _http(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"http://127.0.0.1:{self._port}{path}", method=method)
        with _NO_PROXY.open(req, timeout=self.timeout) as resp:
            return json.loads(resp.read().decode())

    def check(self, html: str | os.PathLike, screenshot: str | os.PathLike | None = None,
              axe: bool = True, probes: dict | None = None,
              pdf: str | os.PathLike | None = None) -> PageCheck:
        """Load a local HTML file and report console errors, network use, axe violations.

        ``probes``: ``{name: javascript expression}`` evaluated in the loaded page (values must
        be JSON-serialisable), returned in ``PageCheck.probes``. ``pdf``: also print the page
        to this PDF file as Chromium prints it (print stylesheet, the page size it asks for).
        """
        url = Path(html).resolve().as_uri()
        target = self._http("/json/new?about:blank", method="PUT")
        tab = _Tab(target["webSocketDebuggerUrl"], self.timeout)
        try:
            tab.send("Page.enable")
            tab.send("Runtime.enable")
            tab.send("Log.enable")
            tab.send("Network.enable")
            tab.send("Emulation.setDeviceMetricsOverride", width=self.width,
                     height=self.height, deviceScaleFactor=1, mobile=False)
            tab.events.clear()
            nav = tab.send("Page.navigate", url=url)
            if nav.get("errorText"):
                raise BrowserError(f"could not open {url}: {nav['errorText']}")
            tab.wait_for("Page.loadEventFired")
            time.sleep(0.3)  # let late console messages arrive
            result = PageCheck(url=url)
            result.title = tab.evaluate("document.title")
            for name, expression in (probes or {}).items():
                result.probes[name] = tab.evaluate(expression)
            if axe:
                tab.evaluate(AXE_JS.read_text(encoding="utf-8"))
                raw = tab.evaluate(
                    "axe.run(document, {resultTypes: ['violations']})"
                    ".then(r => JSON.stringify(r.violations))",
                    await_promise=True,
                )
                result.violations = json.loads(raw)
            if screenshot is not None:
                tab.evaluate("window.scrollTo(0, 0)")
                shot = tab.send("Page.captureScreenshot", format="png",
                                captureBeyondViewport=False)
                path = Path(screenshot)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(base64.b64decode(shot["data"]))
                result.screenshot = path
            if pdf is not None:
                printed = tab.send("Page.printToPDF", printBackground=True,
                                   preferCSSPageSize=True)
                Path(pdf).parent.mkdir(parents=True, exist_ok=True)
                Path(pdf).write_bytes(base64.b64decode(printed["data"]))
                result.pdf = Path(pdf)
            tab.drain()
            result.console_errors = _console_errors(tab.events)
            result.network_requests = _network_requests(tab.events)
            return result
        finally:
            tab.close()
            try:
                self._http(f"/json/close/{target['id']}")
            except Exception:  # the tab may already be gone
                pass


class _Tab:
    def __init__(self, ws_url: str, timeout: float):
        self.ws = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True,
                                              http_no_proxy=["127.0.0.1", "localhost"])
        self.timeout = timeout
        self.events: list = []
        self._id = 0

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass

    def _recv(self, timeout: float | None = None):
        self.ws.settimeout(timeout if timeout is not None else self.timeout)
        return json.loads(self.ws.recv())

    def send(self, method: str, **params):
        self._id += 1
        my_id = self._id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = self._recv()
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error'].get('message')}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise BrowserError(f"{method}: no answer within {self.timeout} s")

    def wait_for(self, event: str):
        if any(e["method"] == event for e in self.events):
            return
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = self._recv()
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == event:
                    return
        raise BrowserError(f"page did not fire {event} within {self.timeout} s")

    def drain(self):
        """Collect events that are already queued."""
        while True:
            try:
                msg = self._recv(timeout=0.2)
            except websocket.WebSocketTimeoutException:
                return
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression: str, await_promise: bool = False):
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                        awaitPromise=await_promise)
        if "exceptionDetails" in res:
            details = res["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"script failed in page: {text}")
        return res.get("result", {}).get("value")


def _console_errors(events) -> list:
    out = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            out.append(f"console.{p['type']}: {args}")
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("uncaught: " + str(d.get("exception", {}).get("description") or d.get("text")))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            out.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
    return out


def _network_requests(events) -> list:
    return [e["params"]["request"]["url"] for e in events
            if e["method"] == "Network.requestWillBeSent"
            and e["params"]["request"]["url"].startswith(("http:", "https:", "ws:", "wss:"))]
