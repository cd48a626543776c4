"""Parsed published files kept on disk between processes.

Parsing a DfE file (the panel's releases, the role-by-characteristics file) costs far more than
reading back the frame it gives, and every report process (a command, each notebook kernel or
worker of a batch run) would otherwise parse the same unchanged files again. A parsed result is
pickled under ``cache_dir()/<kind>-cache/``, keyed by what it was parsed from (the caller's key:
paths, modification times, sizes), the source of the modules that parse it and the pandas
version, so a changed file or a changed parser is parsed afresh, never served stale. A damaged or
unreadable cache file is ignored (parsed again); a cache that cannot be written (read-only home,
full disk) only costs the parse. ``SWANALYSIS_PANEL_CACHE=0`` turns every such cache off.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable

import pandas as pd

SWITCH = "SWANALYSIS_PANEL_CACHE"


def cache_file(kind: str, key: Hashable, modules: Iterable = ()) -> Path | None:
    """Where the result of parsing ``key`` is kept (None when the cache is turned off)."""
    if os.environ.get(SWITCH, "1") == "0":
        return None
    from ..config import cache_dir

    try:  # the parsing code: a changed module parses again
        code = tuple((st.st_mtime_ns, st.st_size)
                     for st in (Path(m.__file__).stat() for m in modules))
    except OSError:
        code = ()
    digest = hashlib.sha256(repr((*key, code, pd.__version__)).encode()).hexdigest()
    return cache_dir() / f"{kind}-cache" / f"{kind}-{digest[:24]}.pkl"


def read(path: Path | None, valid: Callable[[Any], bool]) -> Any | None:
    """The object kept at ``path``, or None (no cache, none kept, damaged, or not ``valid``)."""
    if path is None or not path.exists():
        return None
    try:
        obj = pd.read_pickle(path)
    except Exception:  # a damaged or incompatible cache file: parse again
        return None
    return obj if valid(obj) else None


def write(path: Path | None, obj: Any) -> None:
    """Keep ``obj`` at ``path`` (atomically; silently not when it cannot be written)."""
    if path is None:
        return
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".pkl", dir=path.parent)
        os.close(fd)
        pd.to_pickle(obj, tmp)
        os.replace(tmp, path)
    except OSError:  # read-only home, full disk: the cache is only an optimisation
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
