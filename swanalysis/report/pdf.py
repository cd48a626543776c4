"""Print a report's HTML to PDF with headless Chromium, as committee packs are circulated.

One subprocess per file: ``chromium --headless --print-to-pdf``. The page size and margins are the
report's print stylesheet's (``@page { size: A4 }``); Chromium's own header and footer (date, file
path) are switched off. Nothing is fetched: the report is self-contained and is opened from disk.

The browser is ``$SWANALYSIS_CHROMIUM``, else ``chromium`` / ``chromium-browser`` /
``google-chrome`` on the PATH, else ``/usr/bin/chromium``. When none is installed
:func:`print_pdf` raises a one-line :class:`~swanalysis.errors.UserError`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import UserError

CHROMIUM_ENV = "SWANALYSIS_CHROMIUM"
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--no-pdf-header-footer", "--hide-scrollbars",
    "--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000",
]


def find_chromium() -> str | None:
    """The Chromium executable to print with, or None."""
    env = os.environ.get(CHROMIUM_ENV)
    if env:
        return env if os.path.isfile(env) and os.access(env, os.X_OK) else None
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    default = "/usr/bin/chromium"
    return default if os.path.isfile(default) and os.access(default, os.X_OK) else None


def require_chromium() -> str:
    """The Chromium executable, or a one-line UserError saying how to get one."""
    exe = find_chromium()
    if exe is None:
        raise UserError("--pdf needs Chromium, which was not found: install it (apt-get install "
                        f"chromium) or set {CHROMIUM_ENV} to its path")
    return exe


def print_pdf(html: str | os.PathLike, pdf: str | os.PathLike, timeout: float = 120) -> Path:
    """Print ``html`` (a local file) to ``pdf`` as Chromium prints it; returns the PDF's path."""
    exe = require_chromium()
    html, pdf = Path(html).resolve(), Path(pdf).resolve()
    profile = tempfile.mkdtemp(prefix="swanalysis-pdf-")
    tmp = pdf.with_name(f".{pdf.name}.tmp")
    try:
        proc = subprocess.run(
            [exe, *_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", html.as_uri()],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout,
            env={**os.environ, "HOME": profile},
        )
        if proc.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            last = (proc.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:]
            raise UserError(f"{html}: Chromium could not print it to PDF"
                            + (f" ({last[0][:200]})" if last else ""))
        os.replace(tmp, pdf)
    except subprocess.TimeoutExpired:
        raise UserError(f"{html}: Chromium did not finish printing within {timeout:g} s") from None
    finally:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(profile, ignore_errors=True)
    return pdf


def page_count(pdf: str | os.PathLike) -> int:
    """Pages in a PDF (pypdf when installed, else counting page objects)."""
    try:
        from pypdf import PdfReader

        return len(PdfReader(str(pdf)).pages)
    except ImportError:  # pragma: no cover - pypdf is a test extra
        import re

        return len(re.findall(rb"/Type\s*/Page[^s]", Path(pdf).read_bytes()))
