"""Where data lives, and small naming helpers shared by every module."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import NoDataError

DATA_ENV = "SWANALYSIS_DATA_DIR"
CACHE_ENV = "SWANALYSIS_CACHE_DIR"

HOW_TO_GET_DATA = (
    "no DfE children's social work workforce data found: pass --data-dir DIR or set "
    f"{DATA_ENV} to a folder holding csww_indicators_2017_to_YYYY.csv, "
    "or run `swanalysis data fetch` to download the newest release"
)


def cache_dir() -> Path:
    """Folder that `swanalysis data fetch` downloads into."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "swanalysis" / "csww"


def _has_data(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("csww_indicators_2017_to_*.csv"))


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Resolve the folder of published statistics: argument, then $SWANALYSIS_DATA_DIR, then cache.

    Raises NoDataError (exit code 2) with instructions when nothing is found.
    """
    candidates = []
    if explicit:
        candidates.append(Path(explicit).expanduser())
    elif os.environ.get(DATA_ENV):
        candidates.append(Path(os.environ[DATA_ENV]).expanduser())
    else:
        candidates.append(cache_dir())
    for folder in candidates:
        if _has_data(folder):
            return folder.resolve()
    where = ", ".join(str(c) for c in candidates)
    raise NoDataError(f"{HOW_TO_GET_DATA} (looked in {where})")


def slugify(name: str) -> str:
    """`Windsor and Maidenhead` -> `windsor-and-maidenhead`: lower case, other runs become '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
