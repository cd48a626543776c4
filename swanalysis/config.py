"""Where data lives, and small naming helpers shared by every module."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import NoDataError

DATA_ENV = "SWANALYSIS_DATA_DIR"
CACHE_ENV = "SWANALYSIS_CACHE_DIR"
CHARACTERISTICS_ENV = "SWANALYSIS_CHARACTERISTICS_DIR"

#: The built-in snapshot (package data, Open Government Licence v3.0, see its ATTRIBUTION.md):
#: the newest release's indicators and both statistical-neighbour groupings in ``csww/``, the
#: characteristics and children-looked-after stability files in ``csww_characteristics/`` (the
#: same layout as a checkout's ``../shared/data``), all gzip-compressed.
SNAPSHOT_DIR = Path(__file__).resolve().parent / "published" / "snapshot"
SNAPSHOT_RELEASE = 2025

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


#: Release files: plain CSV as published, or compressed (the snapshot's are .csv.gz).
COMPRESSED_SUFFIXES = ("", ".gz", ".xz")


def _has_data(folder: Path) -> bool:
    return folder.is_dir() and any(
        any(folder.glob(f"csww_indicators_2017_to_*.csv{suffix}")) for suffix in COMPRESSED_SUFFIXES)


def snapshot_dir() -> Path:
    """The built-in snapshot's statistics folder (``swanalysis/published/snapshot/csww``)."""
    return SNAPSHOT_DIR / "csww"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Resolve the folder of published statistics.

    In order: ``explicit`` (``--data-dir``), then ``$SWANALYSIS_DATA_DIR``, then what
    ``swanalysis data fetch`` downloaded (:func:`cache_dir`), then the built-in snapshot of the
    newest release shipped with the package (:func:`snapshot_dir`). A folder named explicitly or
    by the environment must hold data: it is never passed over silently.

    Raises NoDataError (exit code 2) with instructions when nothing is found.
    """
    if explicit:
        candidates = [Path(explicit).expanduser()]
    elif os.environ.get(DATA_ENV):
        candidates = [Path(os.environ[DATA_ENV]).expanduser()]
    else:
        candidates = [cache_dir(), snapshot_dir()]
    for folder in candidates:
        if _has_data(folder):
            return folder.resolve()
    where = ", ".join(str(c) for c in candidates)
    raise NoDataError(f"{HOW_TO_GET_DATA} (looked in {where})")


def is_snapshot(folder: str | os.PathLike | None) -> bool:
    """True when ``folder`` is the built-in snapshot's statistics folder."""
    if not folder:
        return False
    try:
        return Path(folder).resolve() == snapshot_dir().resolve()
    except OSError:
        return False


def data_source(folder: str | os.PathLike | None) -> str:
    """Where a report's published statistics came from, in words for its title block and methods.

    The folder's path itself is not given (it may name a person's home folder).
    """
    if is_snapshot(folder):
        return (f"the built-in snapshot of the DfE's {SNAPSHOT_RELEASE} release shipped with "
                "swanalysis (Open Government Licence v3.0)")
    try:
        if folder and Path(folder).resolve() == cache_dir().resolve():
            return "the DfE release downloaded by `swanalysis data fetch`"
    except OSError:
        pass
    return "the DfE's published files in the data folder given (--data-dir or $SWANALYSIS_DATA_DIR)"


def characteristics_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Resolve the folder of the characteristics and children-looked-after stability files.

    In order: ``explicit``, then ``$SWANALYSIS_CHARACTERISTICS_DIR``, then ``csww_characteristics``
    beside the statistics folder (:func:`data_dir`) when it exists, then the built-in snapshot's
    ``csww_characteristics``. Raises NoDataError when a folder named explicitly or by the
    environment does not exist.
    """
    named = explicit or os.environ.get(CHARACTERISTICS_ENV)
    if named:
        folder = Path(named).expanduser()
        if not folder.is_dir():
            raise NoDataError(f"characteristics folder {folder} not found")
        return folder.resolve()
    try:
        beside = data_dir().parent / "csww_characteristics"
    except NoDataError:
        beside = None
    if beside is not None and beside.is_dir():
        return beside.resolve()
    return (SNAPSHOT_DIR / "csww_characteristics").resolve()


def slugify(name: str) -> str:
    """`Windsor and Maidenhead` -> `windsor-and-maidenhead`: lower case, other runs become '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
