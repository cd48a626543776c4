"""Small-number suppression for every table and figure drawn from worker-level data.

Two rules, used by every module that publishes numbers about a council's own workers:

* **Small groups are not shown.** A group (a role, a team, an entry route...) with fewer than
  ``min_group`` workers (default 10) is left out of tables and figures, and named in a note so the
  reader knows it was held back rather than missing.
* **Small cells are masked.** In a published table a count under 5 is shown as ``"<5"``.

Both functions take a DataFrame and return ``(suppressed copy, list of what was suppressed)``; the
input is never modified. Suppression here is *primary* only: this module does not do secondary
suppression (hiding a second cell so a masked one cannot be recovered from a total).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

MIN_GROUP = 10
SMALL_CELL = 5
MASK = "<5"


def group_sizes(
    df: pd.DataFrame, group_col: str | Sequence[str], id_col: str | None = "worker_id"
) -> pd.Series:
    """Number of distinct workers per group (rows when ``id_col`` is None or absent)."""
    cols = [group_col] if isinstance(group_col, str) else list(group_col)
    grouped = df.groupby(cols, dropna=False, observed=True)
    if id_col and id_col in df.columns:
        return grouped[id_col].nunique()
    return grouped.size()


def suppress_small_groups(
    df: pd.DataFrame,
    group_col: str,
    *,
    min_group: int = MIN_GROUP,
    size_col: str | None = None,
    sizes: pd.Series | dict | None = None,
    id_col: str | None = "worker_id",
    label: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Drop the rows of groups with fewer than ``min_group`` workers.

    The size of a group comes from ``sizes`` (a mapping group -> number of workers) when given,
    else from ``size_col`` (the largest value in the group's rows), else from counting distinct
    ``id_col`` values (or rows) in ``df``. Returns the copy without those groups and a list of
    strings naming each suppressed group, e.g. ``"role = Manager (fewer than 10 workers)"``.
    """
    if group_col not in df.columns:
        raise KeyError(f"column {group_col!r} not in table")
    if sizes is not None:
        size = pd.Series(sizes)
    elif size_col is not None:
        size = df.groupby(group_col, dropna=False, observed=True)[size_col].max()
    else:
        size = group_sizes(df, group_col, id_col)
    small = [g for g, n in size.items() if pd.isna(n) or n < min_group]
    keep = ~df[group_col].isin(small)
    name = label or group_col
    notes = [f"{name} = {g} (fewer than {min_group} workers)" for g in small if (df[group_col] == g).any()]
    return df.loc[keep].copy(), notes


def mask_small_counts(
    df: pd.DataFrame,
    columns: Iterable[str],
    *,
    threshold: int = SMALL_CELL,
    mask_zero: bool = True,
    mask: str = MASK,
) -> tuple[pd.DataFrame, list[str]]:
    """Replace counts under ``threshold`` with ``"<5"`` in the named columns.

    Masked columns become ``object`` dtype (numbers and the mask string). ``mask_zero=False``
    leaves true zeros visible (the DfE convention); by default zeros are masked too, because
    "nobody in this team left" discloses as much as "one person left". Missing values stay missing.
    Returns the copy and a list of ``"row R, column C"`` descriptions of every masked cell.
    """
    out = df.copy()
    notes: list[str] = []
    for col in columns:
        if col not in out.columns:
            raise KeyError(f"column {col!r} not in table")
        values = pd.to_numeric(out[col], errors="coerce")
        small = values.notna() & (values < threshold)
        if not mask_zero:
            small &= values != 0
        if small.any():
            out[col] = out[col].astype(object)
            out.loc[small, col] = mask
            notes.extend(f"row {i}, column {col}" for i in out.index[small])
    return out, notes


def suppression_note(suppressed: Sequence[str], *, min_group: int = MIN_GROUP) -> str:
    """One sentence for a report naming what was held back ('' when nothing was)."""
    groups = [s.split(" (fewer than")[0] for s in suppressed if "(fewer than" in s]
    if not groups:
        return ""
    listed = "; ".join(groups)
    return (
        f"Groups with fewer than {min_group} workers are not shown, to protect individuals: {listed}."
    )


def is_masked(value) -> bool:
    """True for a cell that :func:`mask_small_counts` replaced."""
    return isinstance(value, str) and value == MASK


def safe_count(n: float | int, *, threshold: int = SMALL_CELL) -> str:
    """A count formatted for text: ``"<5"`` under the threshold (including 0), else the number."""
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return "unknown"
    return MASK if n < threshold else f"{int(round(n)):,}"
