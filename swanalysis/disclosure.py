"""Small-number suppression for every table and figure drawn from worker-level data.

Two rules, used by every module that publishes numbers about a council's own workers:

* **Small groups are not shown.** A group (a role, a team, an entry route...) with fewer than
  ``min_group`` workers (default 10) is left out of tables and figures, and named in a note so the
  reader knows it was held back rather than missing.
* **Small cells are masked.** In a published table a count under 5 is shown as ``"<5"``.

Both functions take a DataFrame and return ``(suppressed copy, list of what was suppressed)``; the
input is never modified.

Masking a small count is not enough when the table also publishes what it can be worked out
from. :func:`protect` adds **complementary suppression** (shown as ``"c"``) so that no masked
value can be recovered from the same table:

* **in the row**: a row with a masked count shows no share, percentage, rate, retention estimate
  or interval (``2021, Dismissed, <5, 0.1333`` beside ``Resignation, 12, 0.8`` gave 2);
* **cumulative counts** (events by 12, 24, 36 months): a value whose difference from the last
  one shown is under 5 is withheld (7 then 8 gave 1);
* **totals minus the visible parts** (a row's ``started = remain + left + not_known``; a column
  summed over a year whose total a share reveals): while the masked parts could be solved for
  (one masked part, a remainder of 0, or every masked part at its bound of 4), the smallest
  visible part is withheld too;
* **small groups**: a group (a year, a cohort) with fewer than ``min_group`` in all is withheld
  whole (a year's shares when only 6 left).

``tests/test_disclosure_attack.py`` plays the attacker on every table a report publishes from
worker-level data and fails on any recovered value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

MIN_GROUP = 10
SMALL_CELL = 5
MASK = "<5"
#: a value withheld so that a masked count cannot be worked out from it (complementary)
WITHHELD = "c"


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


def is_withheld(value) -> bool:
    """True for a cell :func:`protect` replaced (``"<5"`` or ``"c"``)."""
    return isinstance(value, str) and value in (MASK, WITHHELD)


def protect(
    df: pd.DataFrame,
    counts: Sequence[str],
    *,
    keys: Sequence[str] = (),
    by: Sequence[str] | str = (),
    order: str | None = None,
    cumulative: Sequence[str] = (),
    parts: Mapping[str, Sequence[str]] | None = None,
    group_sums: Sequence[str] = (),
    sums: Sequence[tuple[str, Sequence[str]]] = (),
    group_derived: Sequence[str] = (),
    group_size: str | None = None,
    min_group: int | None = None,
    threshold: int = SMALL_CELL,
) -> tuple[pd.DataFrame, list[str]]:
    """Primary and complementary suppression of a table published from worker-level data.

    ``counts``: count columns; a count under ``threshold`` (0 included) becomes ``"<5"``.
    ``keys``, ``by`` and ``order`` name the columns that identify a row (never withheld; any
    non-numeric column is a key too). Every other numeric column is derived from the counts
    (shares, rates, retention, intervals) and is withheld (``"c"``) in a row with a withheld count.
    ``cumulative``: count columns that accumulate along ``order`` within ``by`` (events by
    12, 24, 36 months). ``parts``: row relations ``{total: [part, ...]}`` (started = remain + left
    + not known). ``group_sums``: count columns whose sum over a ``by`` group is published or can
    be worked out (a share beside a count gives it); ``sums`` the same over other groupings,
    ``[(column, [grouping columns])]`` (a reason's total over the years; the "all" row of a
    retention table over its entry routes). ``group_derived``: columns that describe a whole ``by``
    group (leavers within 5 years of a year), withheld in the whole group when anything in it
    is. ``group_size`` with ``min_group``: a ``by``
    group whose size (the sum of ``group_size``, or its largest value when repeated per row) is
    under ``min_group`` is withheld whole.

    Returns ``(protected copy, notes)``; numbers stay numbers, withheld cells become strings.
    """
    by = [by] if isinstance(by, str) else list(by)
    parts = dict(parts or {})
    counts = [c for c in counts if c in df.columns]
    out = df.copy().reset_index(drop=True)
    index = df.index
    num = {c: pd.to_numeric(out[c], errors="coerce") for c in out.columns}
    key_cols = set(keys) | set(by) | ({order} if order else set())
    derived = [c for c in out.columns if c not in key_cols and c not in counts
               and pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c])]
    n = len(out)
    state = {c: np.array([""] * n, dtype=object) for c in counts}   # "", MASK or WITHHELD
    for c in counts:
        v = num[c].to_numpy(float)
        state[c][np.isfinite(v) & (v < threshold)] = MASK
    groups = (list(out.groupby(by, sort=False, dropna=False).indices.values()) if by
              else [np.arange(n)])

    def value(c, i):
        return float(num[c].iloc[i])

    # small groups: withheld whole
    if group_size and min_group and group_size in out.columns:
        for rows in groups:
            sizes = num[group_size].iloc[rows]
            size = sizes.max() if group_size not in group_sums else sizes.sum()
            if not (size >= min_group):
                for c in counts:
                    for i in rows:
                        if not state[c][i]:
                            state[c][i] = WITHHELD

    # cumulative counts: every difference between values shown is at least `threshold`
    for c in cumulative:
        if c not in state:
            continue
        for rows in groups:
            rows = sorted(rows, key=lambda i: value(order, i)) if order else list(rows)
            last = 0.0
            for i in rows:
                v = value(c, i)
                if state[c][i] or not np.isfinite(v):
                    continue
                if v - last < threshold:
                    state[c][i] = WITHHELD
                else:
                    last = v

    def solvable(masked_cells, remainder):
        k = len(masked_cells)
        if k == 0:
            return False
        if k == 1 or abs(remainder) < 1e-9:
            return True
        bounded = all(state[c][i] == MASK for c, i in masked_cells)
        return bounded and abs(remainder - (threshold - 1) * k) < 1e-9

    def complete(cells, total):
        """Withhold the smallest visible cell while the masked cells could be solved for."""
        changed = False
        while True:
            masked = [(c, i) for c, i in cells if state[c][i]]
            visible = [(c, i) for c, i in cells if not state[c][i] and np.isfinite(value(c, i))]
            rem = total - sum(value(c, i) for c, i in visible)
            if not solvable(masked, rem) or not visible:
                return changed
            c, i = min(visible, key=lambda ci: value(*ci))
            state[c][i] = WITHHELD
            changed = True

    changed = True
    while changed:
        changed = False
        for total, ps in parts.items():
            ps = [p for p in ps if p in state]
            if total not in out.columns:
                continue
            for i in range(n):
                t = value(total, i)
                if not np.isfinite(t):
                    continue
                if total in state and state[total][i]:
                    continue
                if complete([(p, i) for p in ps], t):
                    changed = True
                masked = [p for p in ps if state[p][i]]
                if masked and total in state and not [p for p in ps if not state[p][i]] and \
                        solvable([(p, i) for p in masked], t):
                    state[total][i] = WITHHELD
                    changed = True
        for c, cols in [(c, by) for c in group_sums] + [(c, list(g)) for c, g in sums]:
            if c not in state:
                continue
            sets = (out.groupby(list(cols), sort=False, dropna=False).indices.values() if cols
                    else [np.arange(n)])
            for rows in sets:
                if len(rows) < 2:
                    continue
                t = float(np.nansum(num[c].iloc[rows].to_numpy(float)))
                if complete([(c, i) for i in rows], t):
                    changed = True

    notes: list[str] = []
    withheld_row = np.zeros(n, dtype=bool)
    for c in counts:
        hit = state[c] != ""
        withheld_row |= hit
        if hit.any():
            out[c] = out[c].astype(object)
            out.loc[hit, c] = state[c][hit]
            notes.extend(f"row {index[i]}, column {c}" for i in np.flatnonzero(hit))
    for c in group_derived:
        if c not in out.columns:
            continue
        for rows in groups:
            if withheld_row[rows].any():
                out[c] = out[c].astype(object)
                out.loc[rows, c] = WITHHELD
    for c in derived:
        if c in group_derived:
            continue
        hit = withheld_row & out[c].notna().to_numpy()
        if hit.any():
            out[c] = out[c].astype(object)
            out.loc[hit, c] = WITHHELD
    out.index = index
    out.attrs.update(df.attrs)
    out.attrs["withheld"] = notes
    return out, notes


#: how each table a report publishes from worker-level data is protected (:func:`protect_table`)
TABLE_RULES: dict[str, dict] = {
    # length of service at each census: in post = under 12 months + over 2 years + the rest
    # (1-2 years, no start date), which is not published but is in_post minus the two shown
    "service_stock": dict(
        counts=["in_post", "under_12m", "rest", "over_2y"], by="census_year",
        extra={"rest": lambda d: d["in_post"] - d["under_12m"] - d["over_2y"]},
        parts={"in_post": ["under_12m", "rest", "over_2y"]},
        publish=["census_year", "in_post", "under_12m", "under_12m_share", "over_2y",
                 "over_2y_share"]),
    "leaving_reasons_by_year": dict(
        counts=["leavers"], keys=["reason_leave", "destination_group"], by="census_year",
        group_sums=["leavers"], sums=[("leavers", ["reason_leave"])], group_size="leavers",
        group_size_is_sum=True),
    "leaving_reasons": dict(counts=["leavers"], keys=["reason_leave", "destination_group"],
                            sums=[("leavers", [])]),
    "leavers_by_service": dict(
        counts=["leavers", "within_5y"], keys=["service_band"], by="census_year",
        group_sums=["leavers"], group_derived=["within_5y", "within_5y_share"],
        group_size="leavers", group_size_is_sum=True),
    "asye_cohorts": dict(
        counts=["started", "remain", "left", "not_known"], keys=["as_at_census"], by="cohort",
        parts={"started": ["remain", "left", "not_known"]}, group_size="started"),
    "retention": dict(
        counts=["at_risk", "events"], by=["group_var", "group"], order="months",
        cumulative=["events"], sums=[("events", ["group_var", "months"]),
                                     ("at_risk", ["group_var", "months"])]),
    "nqsw_retention": dict(
        counts=["at_risk", "events", "n_spells"], by=["group_var", "group"], order="months",
        cumulative=["events"]),
    "median_tenure": dict(counts=["n_spells", "events"], keys=["group_var", "group"]),
    "hazard_ratios": dict(counts=["n_workers", "n_events"], keys=["model", "term"]),
    "experience_mix": dict(counts=["headcount"], keys=["experience", "target"], by="census_year",
                           group_sums=["headcount"]),
    "own_rates": dict(
        counts=["inpost_headcount", "starters_headcount", "leavers_headcount", "agency_headcount"],
        keys=["census_year"]),
}


def protect_table(name: str, df: pd.DataFrame, *, min_group: int = MIN_GROUP,
                  threshold: int = SMALL_CELL) -> pd.DataFrame:
    """``df`` protected by the rules for report table ``name`` (:data:`TABLE_RULES`), with only
    the columns that table publishes; ``attrs['withheld']`` lists the withheld cells."""
    if name not in TABLE_RULES:
        raise KeyError(f"no disclosure rules for table {name!r}")
    rule = dict(TABLE_RULES[name])
    publish = rule.pop("publish", None)
    extra = rule.pop("extra", {})
    if extra:
        df = df.assign(**{k: f(df) for k, f in extra.items()})
    size_is_sum = rule.pop("group_size_is_sum", False)
    if size_is_sum and rule.get("group_size") not in rule.get("group_sums", []):
        rule["group_sums"] = [*rule.get("group_sums", []), rule["group_size"]]
    keys = [k for k in rule.pop("keys", []) if k in df.columns]
    out, _ = protect(df, rule.pop("counts"), keys=keys, min_group=min_group,
                     threshold=threshold, **rule)
    if publish:
        out = out[[c for c in publish if c in out.columns]]
    return out
