"""How long do social workers stay? Retention curves from ``episodes`` with censoring and late entry.

Time is *tenure*: months since the spell's start date (a month is 365.25/12 days). A spell is

* **right-censored** when the worker is still in post at the last census (``event`` = 0), and
* **left-truncated** ("delayed entry") when the worker was already in post when observation began:
  such a spell joins the risk set only at the tenure it had reached then (``entry_days``). Counting
  it from tenure 0 would credit the council with the months before observation, in which anyone who
  left could never be seen: the survivors would look like the whole intake and retention would be
  overstated. ``late_entry=False`` gives that naive estimate for comparison.

Estimators: Kaplan-Meier with delayed entry (lifelines ``KaplanMeierFitter(entry=...)``) with
95% log-log ("exponential Greenwood") intervals; median tenure with the Brookmeyer-Crowley
interval on the log-log scale (statsmodels ``SurvfuncRight.quantile_ci``); log-rank tests with
entry times (statsmodels ``survdiff``: lifelines' ``multivariate_logrank_test`` has no entry
argument and would count late entrants at risk from tenure 0); cumulative incidence of leaving by
destination with the Aalen-Johansen estimator, computed here on the same risk sets (see
:func:`cumulative_incidence` for why not lifelines' ``AalenJohansenFitter``).

Day convention (all dates are whole days): a spell is at risk over (entry, exit]. A late entrant
is observed from the first day of observation, so a leaver on that day is seen: its entry is set
half a day before the tenure it had then. A spell that ends on the day it starts is given half a
day of tenure. These half days change no estimate other than making those risk sets well defined.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _docs
from .disclosure import MIN_GROUP, group_sizes, suppress_small_groups
from .errors import UserError
from .results import Result, plural

MONTH_DAYS = 365.25 / 12
DEFAULT_MONTHS = (6, 12, 24, 36, 60)
HALF_DAY = 0.5

#: Groupings the committee asks about, with the wording used in tables and text.
GROUP_VARS = {
    "entry_route": "entry route",
    "role": "role",
    "team": "team",
    "start_cohort": "start cohort",
    "age_band": "age band",
    "agency": "agency or permanent",
}
ENTRY_ROUTE_LABELS = {
    "newly_qualified": "newly qualified (ASYE)",
    "experienced_other_la": "experienced, from another authority",
    "from_agency": "converted from agency",
    "other": "other",
}
DESTINATION_GROUPS = ("another_la", "agency", "left_social_work", "other")
DESTINATION_LABELS = {
    "another_la": "another local authority",
    "agency": "agency work",
    "left_social_work": "left social work",
    "other": "other or not known",
    "unknown": "not recorded",
}
REQUIRED = ("duration_days", "event", "entry_days", "agency")
RETENTION_COLUMNS = ["group_var", "group", "months", "retention", "ci_lower", "ci_upper", "at_risk", "events"]


#: Text shared by the estimators' docstrings (parameters, errors, the example table): written
#: once here, put in place by :func:`swanalysis._docs.fill`, so ``help()`` shows each docstring whole.
_SHARED_DOC = {
    "episodes": _docs.lines(
        'episodes : pandas.DataFrame',
        '    The ``episodes`` table (docs/tables.md): one row per spell with at least',
        '    ``duration_days``, ``event`` (1 = left, 0 = still in post), ``entry_days`` (tenure in days',
        '    when observation began; 0 when watched from the start) and ``agency``; ``start_date``',
        '    when present tells a missing duration from a missing start.',
    ),
    "by": _docs.lines(
        'by : str, optional',
        '    A column to group by, one of :data:`GROUP_VARS` (entry_route, role, team, start_cohort,',
        '    age_band, agency) or any column of ``episodes``; ``None`` for the whole workforce.',
    ),
    "late_entry": _docs.lines(
        'include_agency : bool, default False',
        "    Keep agency spells (they are left out otherwise, as in the DfE's turnover rate).",
        'late_entry : bool, default True',
        '    Count late entrants from the tenure they had reached when observation began (delayed',
        '    entry). ``False`` gives the naive estimate that overstates retention.',
    ),
    "alpha": _docs.lines(
        'alpha : float, default 0.05',
        '    1 - confidence level of the intervals.',
    ),
    "min_group": _docs.lines(
        'min_group : int or None, default ``disclosure.MIN_GROUP`` (10)',
        '    Groups with fewer workers are left out and listed as suppressed; ``None`` keeps all.',
    ),
    "raises": _docs.lines(
        'Raises',
        '------',
        'UserError',
        '    One line naming the row and field (never its value) for a missing column, a negative',
        '    duration, an event other than 0/1, or an entry after the exit.',
    ),
    "example": _docs.lines(
        '>>> import pandas as pd',
        '>>> from swanalysis import tenure',
        '>>> ep = pd.DataFrame({"duration_days": [100, 400, 800, 1200, 300, 900, 2000, 500],',
        '...                    "event": [1, 1, 0, 0, 1, 0, 0, 1],',
        '...                    "entry_days": [0, 0, 0, 300, 0, 0, 700, 0], "agency": False,',
        '...                    "role": ["A", "A", "A", "A", "B", "B", "B", "B"]})',
    ),
}


# --------------------------------------------------------------------------------------------
# preparing the spells
# --------------------------------------------------------------------------------------------


def _check(episodes: pd.DataFrame, extra: tuple[str, ...] = ()) -> None:
    if not isinstance(episodes, pd.DataFrame):
        raise UserError("tenure: expected the episodes table (a DataFrame)")
    missing = [c for c in (*REQUIRED, *extra) if c not in episodes.columns]
    if missing:
        raise UserError(f"episodes table: missing column(s) {', '.join(missing)} (see docs/tables.md)")


def prepare(
    episodes: pd.DataFrame,
    *,
    include_agency: bool = False,
    late_entry: bool = True,
    by: str | None = None,
) -> pd.DataFrame:
    """Spells ready for estimation: ``time``, ``entry`` (months), ``event`` and ``group``.

    Agency spells are dropped unless ``include_agency`` (or ``by='agency'``). ``late_entry=False``
    sets every entry to 0 (the naive estimate). Spells with no start date (hence no duration; agency
    records often lack one) are left out and counted in ``.attrs['excluded']``. Raises UserError
    naming the row and field for a negative duration, an event other than 0/1, or an entry after
    the exit.
    """
    extra = (by,) if by else ()
    _check(episodes, extra)
    df = episodes
    if not (include_agency or by == "agency"):
        df = df.loc[~df["agency"].fillna(False).astype(bool)]
    no_start = pd.to_numeric(df["duration_days"], errors="coerce").isna()
    if "start_date" in df.columns:
        no_start &= df["start_date"].isna()
    n_no_start = int(no_start.sum())
    df = df.loc[~no_start.to_numpy()]
    dur = pd.to_numeric(df["duration_days"], errors="coerce")
    ent = pd.to_numeric(df["entry_days"], errors="coerce")
    ev = pd.to_numeric(df["event"], errors="coerce")
    for name, s, bad in (
        ("duration_days", dur, dur.isna() | (dur < 0)),
        ("entry_days", ent, ent.isna() | (ent < 0)),
        ("event", ev, ~ev.isin([0, 1])),
    ):
        if bad.any():
            row = df.index[bad.to_numpy()][0]
            raise UserError(f"episodes table, row {row}: field {name} is missing, negative or not 0/1")
    late = ent > 0
    if (late & (ent > dur)).any():
        row = df.index[(late & (ent > dur)).to_numpy()][0]
        raise UserError(f"episodes table, row {row}: field entry_days is after the end of the spell")
    time_days = np.maximum(dur.to_numpy(float), HALF_DAY)
    entry_days = np.where(late, ent.to_numpy(float) - HALF_DAY, 0.0) if late_entry else np.zeros(len(df))
    out = pd.DataFrame(
        {
            "time": time_days / MONTH_DAYS,
            "entry": entry_days / MONTH_DAYS,
            "event": ev.to_numpy(int),
            "late": late.to_numpy(bool),
        },
        index=df.index,
    )
    if "worker_id" in df.columns:
        out["worker_id"] = df["worker_id"].to_numpy()
    if "destination_group" in df.columns:
        out["destination_group"] = df["destination_group"].to_numpy()
    out["group"] = _group_labels(df, by) if by else "all"
    out.attrs["excluded"] = {"no start date": n_no_start} if n_no_start else {}
    return out


def _group_labels(df: pd.DataFrame, by: str) -> np.ndarray:
    s = df[by]
    if by == "agency":
        return np.where(s.fillna(False).astype(bool), "agency", "permanent")
    if by == "start_cohort":
        first = None
        if "observation_start" in df.columns and df["observation_start"].notna().any():
            obs = pd.to_datetime(df["observation_start"])
            first = (obs.dt.year + (obs.dt.month >= 10).astype(int)).to_numpy()  # first census year
        labels = []
        for i, v in enumerate(s):
            if pd.isna(v):
                labels.append("unknown")
            elif first is not None and not pd.isna(first[i]) and int(v) < int(first[i]):
                labels.append(f"before {int(first[i])}")
            else:
                labels.append(str(int(v)))
        return np.array(labels, dtype=object)
    return np.array(["unknown" if pd.isna(v) or v == "" else str(v) for v in s], dtype=object)


def _at_risk(entry: np.ndarray, time: np.ndarray, t: float | np.ndarray) -> np.ndarray:
    """Number of spells with entry < t <= time."""
    e = np.sort(entry)
    x = np.sort(time)
    t = np.asarray(t, float)
    return np.searchsorted(e, t, side="left") - np.searchsorted(x, t, side="left")


def _estimable_until(entry: np.ndarray, time: np.ndarray) -> float:
    """Largest tenure up to which the risk set never empties (the curve is unconditional).

    If nobody is under observation at some tenure (for instance a start cohort seen only after it
    had served three years), the product-limit estimate beyond that point is conditional on
    surviving to it, not retention from the start: such values are not reported.
    """
    if len(time) == 0:
        return 0.0
    pts = np.unique(np.concatenate([[0.0], entry[entry > 0], time]))
    n_after = np.searchsorted(np.sort(entry), pts, side="right") - np.searchsorted(np.sort(time), pts, side="right")
    gaps = pts[(n_after <= 0) & (pts < time.max())]
    return float(gaps.min()) if len(gaps) else float(time.max())


# --------------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------------


def _fit_km(g: pd.DataFrame, label: str, alpha: float):
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter(alpha=alpha, label=label)
    entry = g["entry"].to_numpy() if (g["entry"] > 0).any() else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kmf.fit(g["time"].to_numpy(), g["event"].to_numpy(), entry=entry)
    return kmf


def _km_frame(g: pd.DataFrame, label: str, alpha: float, until: float) -> pd.DataFrame:
    """Step function of one group up to ``until``: months, retention, ci_lower, ci_upper, at_risk, events."""
    time, entry, event = g["time"].to_numpy(), g["entry"].to_numpy(), g["event"].to_numpy()
    try:
        kmf = _fit_km(g, label, alpha)
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        frame = pd.DataFrame(
            {"months": sf.index.to_numpy(float), "retention": sf.to_numpy(), "ci_lower": ci.iloc[:, 0].to_numpy(),
             "ci_upper": ci.iloc[:, 1].to_numpy()}
        )
    except Exception:  # lifelines refuses when the risk set empties early: use statsmodels
        frame = _km_frame_statsmodels(time, event, entry, alpha)
    frame = frame.loc[frame["months"] <= until + 1e-12].reset_index(drop=True)
    if len(frame) == 0 or frame["months"].iloc[0] > 0:
        frame = pd.concat(
            [pd.DataFrame({"months": [0.0], "retention": [1.0], "ci_lower": [1.0], "ci_upper": [1.0]}), frame],
            ignore_index=True,
        )
    frame["at_risk"] = _at_risk(entry, time, frame["months"].to_numpy())
    frame.loc[0, "at_risk"] = _at_risk(entry, time, 1e-9)
    ev_times = np.sort(time[event == 1])
    frame["events"] = np.searchsorted(ev_times, frame["months"].to_numpy(), side="right")
    return frame


def _km_frame_statsmodels(time, event, entry, alpha):
    from scipy.stats import norm
    from statsmodels.duration.survfunc import SurvfuncRight

    sm = SurvfuncRight(time, event, entry=entry if (entry > 0).any() else None)
    s, se = sm.surv_prob, sm.surv_prob_se
    z = norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = se / (s * np.abs(np.log(s)))
        lo = np.exp(-np.exp(np.log(-np.log(s)) + z * sd))
        hi = np.exp(-np.exp(np.log(-np.log(s)) - z * sd))
    lo = np.where(s >= 1, 1.0, lo)
    hi = np.where(s >= 1, 1.0, hi)
    return pd.DataFrame({"months": sm.surv_times, "retention": s, "ci_lower": lo, "ci_upper": hi})


@dataclass(repr=False)
class RetentionCurves(Result):
    """Kaplan-Meier retention curves for one grouping (or the whole workforce).

    Attributes
    ----------
    group_var : str
        The grouping (a column of the episodes table), ``"all"`` for the whole workforce.
    curves : pandas.DataFrame
        One row per group and step: group_var, group, months, retention, ci_lower, ci_upper,
        at_risk, events -- values are only given while the risk set has not emptied.
    spells : pandas.DataFrame
        The prepared spells (time, entry, event, late, group) the curves were fitted to.
    late_entry, include_agency : bool
        How the spells were prepared (see :func:`prepare`).
    alpha : float
        1 - confidence level of the intervals.
    suppressed : list of str
        Groups held back because they have fewer than ``min_group`` workers.
    until : dict
        Group -> the tenure (months) up to which its curve is estimable.
    min_group : int or None
        The suppression threshold used.
    excluded : dict
        Reason -> number of spells left out (e.g. no start date).

    Examples
    --------
    >>> import pandas as pd
    >>> ep = pd.DataFrame({"duration_days": [100, 400, 800, 1200], "event": [1, 1, 0, 0],
    ...                    "entry_days": [0, 0, 0, 300], "agency": False})
    >>> res = retention_curve(ep, min_group=None)
    >>> res
    <RetentionCurves all: 1 group, 4 spells, 0 suppressed>
    >>> res.table(months=[12])[["months", "retention", "at_risk", "events"]].round(3)
       months  retention  at_risk  events
    0      12      0.667        3       1
    >>> res.sentences()
    ['Of permanent social workers who joined, 67% (95% CI 5% to 95%) were still in post 12 months later.']
    """

    group_var: str
    curves: pd.DataFrame
    spells: pd.DataFrame
    late_entry: bool
    include_agency: bool
    alpha: float
    suppressed: list[str] = field(default_factory=list)
    until: dict = field(default_factory=dict)
    min_group: int | None = MIN_GROUP
    excluded: dict = field(default_factory=dict)

    @property
    def groups(self) -> list[str]:
        """The groups with a curve, in display order."""
        return list(dict.fromkeys(self.curves["group"]))

    def _title(self) -> str:
        return self.group_var

    def _counts(self) -> list[str]:
        return [plural(len(self.groups), "group"), plural(len(self.spells), "spell"),
                f"{len(self.suppressed)} suppressed"]

    def table(self, months=DEFAULT_MONTHS) -> pd.DataFrame:
        """Retention at the given tenures, as :func:`retention_at` returns it."""
        return _table_from_curves(self, months)

    def sentences(self, months: int = 12) -> list[str]:
        """One :func:`describe_retention` sentence per group at ``months``."""
        table = self.table((months,))
        return [describe_retention(table, months, group_var=self.group_var, group=g) for g in self.groups]

    def at_risk(self, months) -> pd.DataFrame:
        """Numbers at risk per group at the given tenures (for the table under a figure)."""
        rows = []
        for grp, g in self.spells.groupby("group", sort=False):
            if grp not in self.groups:
                continue
            n = _at_risk(g["entry"].to_numpy(), g["time"].to_numpy(), np.maximum(np.asarray(months, float), 1e-9))
            rows += [{"group": grp, "months": m, "at_risk": int(k)} for m, k in zip(months, n)]
        return pd.DataFrame(rows)


def _grouped(prepared: pd.DataFrame, by: str | None, min_group: int | None):
    suppressed: list[str] = []
    if min_group:
        sizes = group_sizes(prepared, "group", "worker_id")
        prepared, suppressed = suppress_small_groups(
            prepared, "group", sizes=sizes, min_group=min_group, label=GROUP_VARS.get(by, by) if by else "workforce"
        )
    order = sorted(prepared["group"].unique(), key=_group_sort_key)
    return prepared, order, suppressed


def _group_sort_key(g):
    return (g == "unknown", not str(g).startswith("before "), g)


@_docs.fill(_SHARED_DOC)
def retention_curve(
    episodes: pd.DataFrame,
    by: str | None = None,
    *,
    include_agency: bool = False,
    late_entry: bool = True,
    alpha: float = 0.05,
    min_group: int | None = MIN_GROUP,
) -> RetentionCurves:
    """Kaplan-Meier retention curve(s) with delayed entry, by group when ``by`` names a column.

    Parameters
    ----------
    ${episodes}
    ${by}
    ${late_entry}
    ${alpha}
    ${min_group}

    Returns
    -------
    RetentionCurves
        ``curves`` (one row per group and step: group_var, group, months, retention, ci_lower,
        ci_upper, at_risk, events), the prepared ``spells``, ``suppressed`` groups, ``excluded``
        counts; ``.table(months)`` gives :func:`retention_at`'s table, ``.sentences()`` the words.

    ${raises}

    See Also
    --------
    retention_at, median_tenure, swanalysis.plots.tenure.plot_retention

    Examples
    --------
    ${example}
    >>> res = tenure.retention_curve(ep, by="role", min_group=None)
    >>> res
    <RetentionCurves role: 2 groups, 8 spells, 0 suppressed>
    >>> res.curves.loc[res.curves["group"] == "A", ["months", "retention", "at_risk", "events"]].round(3)
       months  retention  at_risk  events
    0   0.000      1.000        3       0
    1   3.285      0.667        3       1
    2   9.840      0.667        2       1
    3  13.142      0.444        3       2
    4  26.283      0.444        2       2
    5  39.425      0.444        1       2
    """
    prepared = prepare(episodes, include_agency=include_agency, late_entry=late_entry, by=by)
    prepared, order, suppressed = _grouped(prepared, by, min_group)
    frames, until = [], {}
    for grp in order:
        g = prepared.loc[prepared["group"] == grp]
        until[grp] = _estimable_until(g["entry"].to_numpy(), g["time"].to_numpy())
        f = _km_frame(g, str(grp), alpha, until[grp])
        f.insert(0, "group", grp)
        f.insert(0, "group_var", by or "all")
        frames.append(f)
    curves = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=RETENTION_COLUMNS)
    return RetentionCurves(
        by or "all", curves, prepared, late_entry, include_agency or by == "agency", alpha, suppressed, until,
        min_group, dict(prepared.attrs.get("excluded", {})),
    )


def _reuse(res: RetentionCurves | None, episodes: pd.DataFrame, by: str | None, **kw) -> RetentionCurves:
    """``res`` when it is :func:`retention_curve`'s result for ``by`` with these settings, else
    the curves computed afresh (callers pass results they already have to skip repeated fits)."""
    if res is None:
        return retention_curve(episodes, by, **kw)
    mine = (res.group_var, res.late_entry, res.include_agency, res.alpha, res.min_group)
    asked = (by or "all", kw["late_entry"], kw["include_agency"] or by == "agency", kw["alpha"], kw["min_group"])
    if mine != asked:
        raise ValueError(f"retention curves for {mine} given where {asked} are needed")
    return res


def _value_at(frame: pd.DataFrame, t: float) -> pd.Series:
    i = np.searchsorted(frame["months"].to_numpy(), t, side="right") - 1
    return frame.iloc[max(i, 0)]


@_docs.fill(_SHARED_DOC)
def retention_at(
    episodes: pd.DataFrame,
    months=DEFAULT_MONTHS,
    by: str | None = None,
    *,
    include_agency: bool = False,
    late_entry: bool = True,
    alpha: float = 0.05,
    min_group: int | None = MIN_GROUP,
) -> pd.DataFrame:
    """Share still in post ``months`` after starting, with 95% log-log intervals.

    Parameters
    ----------
    ${episodes}
    months : sequence of float, default (6, 12, 24, 36, 60)
        Tenures (months since the spell started; a month is 365.25/12 days).
    ${by}
    ${late_entry}
    ${alpha}
    ${min_group}

    Returns
    -------
    pandas.DataFrame
        One row per group and horizon: group_var, group, months, retention, ci_lower, ci_upper,
        at_risk (spells under observation at that tenure), events (leavers observed up to it),
        n_spells. Retention is NaN where it cannot be estimated (beyond the longest follow-up, or
        where nobody was under observation at an earlier tenure). The suppressed groups and the
        spells left out are fields of :func:`retention_curve`'s result (``.suppressed``,
        ``.excluded``), whose ``.table(months)`` is this table.

    ${raises}

    Examples
    --------
    ${example}
    >>> t = tenure.retention_at(ep, months=[12, 24], min_group=None)
    >>> t[["months", "retention", "ci_lower", "ci_upper", "at_risk", "events"]].round(3)
       months  retention  ci_lower  ci_upper  at_risk  events
    0      12      0.694     0.232     0.913        5       2
    1      24      0.417     0.092     0.725        4       4
    >>> tenure.retention_at(ep, months=[12], late_entry=False, min_group=None)["retention"].round(3).tolist()
    [0.75]
    """
    res = retention_curve(
        episodes, by, include_agency=include_agency, late_entry=late_entry, alpha=alpha, min_group=min_group
    )
    return _table_from_curves(res, months)


def _table_from_curves(res: RetentionCurves, months) -> pd.DataFrame:
    rows = []
    for grp in res.groups:
        frame = res.curves.loc[res.curves["group"] == grp].reset_index(drop=True)
        g = res.spells.loc[res.spells["group"] == grp]
        time, entry, event = g["time"].to_numpy(), g["entry"].to_numpy(), g["event"].to_numpy()
        until = res.until[grp]
        for m in months:
            m = float(m)
            v = _value_at(frame, m)
            ok = m <= until + 1e-12
            rows.append(
                {
                    "group_var": res.group_var,
                    "group": grp,
                    "months": m if not m.is_integer() else int(m),
                    "retention": v["retention"] if ok else np.nan,
                    "ci_lower": v["ci_lower"] if ok else np.nan,
                    "ci_upper": v["ci_upper"] if ok else np.nan,
                    "at_risk": int(_at_risk(entry, time, m)),
                    "events": int(((event == 1) & (time <= m)).sum()),
                    "n_spells": len(g),
                }
            )
    return pd.DataFrame(rows, columns=RETENTION_COLUMNS + ["n_spells"])


@_docs.fill(_SHARED_DOC)
def median_tenure(
    episodes: pd.DataFrame,
    by: str | None = None,
    *,
    include_agency: bool = False,
    late_entry: bool = True,
    alpha: float = 0.05,
    min_group: int | None = MIN_GROUP,
    curves: RetentionCurves | None = None,
) -> pd.DataFrame:
    """Median tenure in months (the time by which half had left) with its confidence interval.

    The interval is Brookmeyer-Crowley on the log-log scale (statsmodels
    ``SurvfuncRight.quantile_ci(0.5, method='cloglog')``).

    Parameters
    ----------
    ${episodes}
    ${by}
    ${late_entry}
    ${alpha}
    ${min_group}
    curves : RetentionCurves, optional
        :func:`retention_curve`'s result for these episodes with the same ``by`` and settings,
        when the caller already has it (its Kaplan-Meier fits are not repeated).

    Returns
    -------
    pandas.DataFrame
        Columns group_var, group, median_months, ci_lower, ci_upper, n_spells, events. The median
        is NaN ("not reached") when retention never falls to 50% within follow-up; an infinite
        upper limit means the data cannot rule out any longer median.

    ${raises}

    Examples
    --------
    ${example}
    >>> tenure.median_tenure(ep, min_group=None).round(2)
      group_var group  median_months  ci_lower  ci_upper  n_spells  events
    0       all   all          16.43      3.29       inf         8       4
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    res = _reuse(curves, episodes, by, include_agency=include_agency, late_entry=late_entry, alpha=alpha,
                 min_group=min_group)
    rows = []
    for grp in res.groups:
        frame = res.curves.loc[res.curves["group"] == grp]
        g = res.spells.loc[res.spells["group"] == grp]
        below = frame.loc[frame["retention"] <= 0.5, "months"]
        median = float(below.iloc[0]) if len(below) else np.nan
        lo = hi = np.nan
        if g["event"].sum() > 0:
            entry = g["entry"].to_numpy()
            sm = SurvfuncRight(g["time"].to_numpy(), g["event"].to_numpy(), entry=entry if (entry > 0).any() else None)
            with np.errstate(divide="ignore", invalid="ignore"):
                lo, hi = sm.quantile_ci(0.5, alpha=alpha, method="cloglog")
            until = res.until[grp]
            if np.isfinite(hi) and hi > until:
                hi = np.inf
        rows.append(
            {"group_var": res.group_var, "group": grp, "median_months": median, "ci_lower": float(lo),
             "ci_upper": float(hi), "n_spells": len(g), "events": int(g["event"].sum())}
        )
    return pd.DataFrame(rows)


@_docs.fill(_SHARED_DOC)
def retention_table(
    episodes: pd.DataFrame,
    months=DEFAULT_MONTHS,
    groups=tuple(GROUP_VARS),
    *,
    include_agency: bool = False,
    late_entry: bool = True,
    alpha: float = 0.05,
    min_group: int | None = MIN_GROUP,
    curves: dict | None = None,
) -> RetentionTable:
    """The ``tables/retention.csv`` table: whole workforce (group_var 'all') then each grouping.

    The counts are not masked here: pass the table through
    :func:`swanalysis.disclosure.mask_small_counts` (columns at_risk, events) before publishing.

    Parameters
    ----------
    ${episodes}
    months : sequence of float, default (6, 12, 24, 36, 60)
        Tenures in months.
    groups : sequence of str, default all of :data:`GROUP_VARS`
        The groupings after the whole workforce. Groupings whose column is absent or entirely
        empty (e.g. ``team`` without a payroll extract) are skipped.
    ${late_entry}
    ${alpha}
    ${min_group}
    curves : dict, optional
        :func:`retention_curve` results the caller already has for these episodes and settings,
        by grouping (``None`` for the whole workforce): their Kaplan-Meier fits are not repeated.

    Returns
    -------
    RetentionTable
        ``.table()``: columns exactly group_var, group, months, retention, ci_lower, ci_upper,
        at_risk, events; ``.skipped`` lists skipped groupings, ``.suppressed`` small groups and
        ``.excluded`` the spells left out (reason -> count).

    ${raises}

    Examples
    --------
    ${example}
    >>> res = tenure.retention_table(ep, months=[12], min_group=None)
    >>> res
    <RetentionTable 3 groupings, 4 groups, 0 suppressed, 4 skipped>
    >>> t = res.table()
    >>> t[["group_var", "group", "retention", "at_risk", "events"]].round(3)
      group_var      group  retention  at_risk  events
    0       all        all      0.694        5       2
    1      role          A      0.667        3       1
    2      role          B      0.667        2       1
    3    agency  permanent      0.694        5       2
    >>> res.skipped
    ['entry_route', 'team', 'start_cohort', 'age_band']
    """
    kw = dict(include_agency=include_agency, late_entry=late_entry, alpha=alpha, min_group=min_group)
    curves = curves or {}
    whole = _reuse(curves.get(None), episodes, None, **kw)
    parts, suppressed, skipped = [_table_from_curves(whole, months)], [], []
    for by in groups:
        if by not in episodes.columns or episodes[by].isna().all():
            skipped.append(by)
            continue
        res = _reuse(curves.get(by), episodes, by, **kw)
        suppressed += res.suppressed
        parts.append(_table_from_curves(res, months))
    data = pd.concat(parts, ignore_index=True)[RETENTION_COLUMNS]
    return RetentionTable(data, list(suppressed), skipped, dict(whole.excluded), min_group)


@dataclass(repr=False)
class RetentionTable(Result):
    """The retention table of :func:`retention_table`, with what it leaves out.

    Attributes
    ----------
    data : pandas.DataFrame
        ``tables/retention.csv``: group_var, group, months, retention, ci_lower, ci_upper,
        at_risk, events (whole workforce first, then each grouping); also ``.table()``.
    suppressed : list of str
        Groups held back because they have fewer than ``min_group`` workers.
    skipped : list of str
        Groupings whose column is absent or entirely empty.
    excluded : dict
        Reason -> number of spells left out (e.g. no start date).
    min_group : int or None
        The suppression threshold used.
    """

    data: pd.DataFrame
    suppressed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    excluded: dict = field(default_factory=dict)
    min_group: int | None = MIN_GROUP

    def _counts(self) -> list[str]:
        return [plural(self.data["group_var"].nunique(), "grouping"),
                plural(len(self.data.drop_duplicates(["group_var", "group"])), "group"),
                f"{len(self.suppressed)} suppressed", f"{len(self.skipped)} skipped"]

    def table(self) -> pd.DataFrame:
        """The table (``data``)."""
        return self.data

    def sentences(self, months: int = 12) -> list[str]:
        """Retention of the whole workforce at ``months`` (:func:`describe_retention`)."""
        return [describe_retention(self.data, months)]


# --------------------------------------------------------------------------------------------
# comparing groups
# --------------------------------------------------------------------------------------------


@dataclass(repr=False)
class LogRankResult(Result):
    """Log-rank test that retention is the same in every group (with late entry).

    Attributes
    ----------
    group_var : str
        The grouping tested.
    groups : list of str
        The groups compared (after suppression).
    chisq, df, p_value
        The test statistic, its degrees of freedom (groups - 1) and p-value (NaN when there are
        fewer than two groups or no leavers).
    late_entry : bool
        Whether late entrants joined the risk sets at their entry tenure.
    suppressed : list of str
        Groups left out because they have fewer than ``min_group`` workers.
    """

    group_var: str
    groups: list[str]
    chisq: float
    df: int
    p_value: float
    late_entry: bool
    suppressed: list[str] = field(default_factory=list)

    def _title(self) -> str:
        return f"by {self.group_var}"

    def _counts(self) -> list[str]:
        return [plural(len(self.groups), "group"), f"p = {self.p_value:.3g}"]

    def table(self) -> pd.DataFrame:
        """One row: group_var, groups, chisq, df, p_value, late_entry."""
        return pd.DataFrame([{"group_var": self.group_var, "groups": len(self.groups), "chisq": self.chisq,
                              "df": self.df, "p_value": self.p_value, "late_entry": self.late_entry}])

    def sentences(self) -> list[str]:
        """``[self.sentence()]``."""
        return [self.sentence()]

    def sentence(self) -> str:
        """The test in words, e.g. "Retention differs by role (log-rank test across 3 groups, ...)."."""
        label = GROUP_VARS.get(self.group_var, self.group_var)
        if self.df < 1 or np.isnan(self.p_value):
            return f"There are too few groups by {label} to compare."
        p = "p < 0.001" if self.p_value < 0.001 else f"p = {self.p_value:.3f}"
        verdict = "differs" if self.p_value < 0.05 else "does not differ clearly"
        return (
            f"Retention {verdict} by {label} (log-rank test across {len(self.groups)} groups, "
            f"chi-squared {self.chisq:.1f} on {self.df} degrees of freedom, {p})."
        )


@_docs.fill(_SHARED_DOC)
def logrank(
    episodes: pd.DataFrame,
    by: str,
    *,
    include_agency: bool = False,
    late_entry: bool = True,
    min_group: int | None = MIN_GROUP,
) -> LogRankResult:
    """Log-rank test across the groups of ``by``, with delayed entry (statsmodels ``survdiff``).

    lifelines' ``multivariate_logrank_test`` takes no entry times: it would put every late entrant
    in the risk set from tenure 0, the same bias as the naive curve. statsmodels' ``survdiff``
    accepts ``entry`` and k > 2 groups (chi-squared on k - 1 degrees of freedom).

    Parameters
    ----------
    ${episodes}
    by : str
        The column whose groups are compared (see :data:`GROUP_VARS`).
    ${late_entry}
    ${min_group}

    Returns
    -------
    LogRankResult
        group_var, groups, chisq, df, p_value, late_entry, suppressed; ``.sentence()`` in words.

    ${raises}

    Examples
    --------
    ${example}
    >>> lr = tenure.logrank(ep, "role", min_group=None)
    >>> lr
    <LogRankResult by role: 2 groups, p = 0.92>
    >>> lr.sentence()
    'Retention does not differ clearly by role (log-rank test across 2 groups, chi-squared 0.0 on 1 degrees of freedom, p = 0.920).'
    """
    from statsmodels.duration.survfunc import survdiff

    prepared = prepare(episodes, include_agency=include_agency, late_entry=late_entry, by=by)
    prepared, order, suppressed = _grouped(prepared, by, min_group)
    if len(order) < 2 or prepared["event"].sum() == 0:
        return LogRankResult(by, order, np.nan, max(len(order) - 1, 0), np.nan, late_entry, suppressed)
    entry = prepared["entry"].to_numpy()
    chisq, p = survdiff(
        prepared["time"].to_numpy(), prepared["event"].to_numpy(), prepared["group"].to_numpy(),
        entry=entry if late_entry and (entry > 0).any() else None,
    )
    return LogRankResult(by, order, float(chisq), len(order) - 1, float(p), late_entry, suppressed)


# --------------------------------------------------------------------------------------------
# competing risks: where do leavers go?
# --------------------------------------------------------------------------------------------


def _aalen_johansen(time, event, cause, entry, causes, alpha=0.05):
    """Aalen-Johansen cumulative incidence per cause on risk sets {entry < t <= time}.

    Returns a DataFrame indexed by distinct event time with columns at_risk, events, survival and,
    per cause c, cif_c / var_c / lower_c / upper_c. Ties (several leavers on one day, of the same or
    different destinations) are handled exactly. Variance: the delta-method formula used by
    lifelines' AalenJohansenFitter (Collett, Modelling Survival Data in Medical Research, 3rd ed.,
    p. 411), with log(-log) intervals.
    """
    from scipy.stats import norm

    t_ev = np.unique(time[event == 1])
    n = _at_risk(entry, time, t_ev).astype(float)
    idx = np.searchsorted(t_ev, time[event == 1])
    d = np.bincount(idx, minlength=len(t_ev)).astype(float)
    s = np.cumprod(1 - d / n)
    s_lag = np.concatenate([[1.0], s[:-1]])
    out = pd.DataFrame({"at_risk": n, "events": d, "survival": s}, index=pd.Index(t_ev, name="months"))
    z = norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(n > d, d / (n * (n - d)), 0.0)  # Greenwood increments, all causes
        for c in causes:
            dk = np.bincount(idx, weights=(cause[event == 1] == c).astype(float), minlength=len(t_ev))
            inc = s_lag * dk / n
            F = np.cumsum(inc)
            # sum_i a_i (F - F_i)^2 + sum_i s_{i-1}^2 dk_i (n_i - dk_i) / n_i^3 - 2 sum_i (F - F_i) s_{i-1} dk_i / n_i^2
            A, AF, AF2 = np.cumsum(a), np.cumsum(a * F), np.cumsum(a * F * F)
            B = np.cumsum(s_lag**2 * dk * (n - dk) / n**3)
            c1 = s_lag * dk / n**2
            C, CF = np.cumsum(c1), np.cumsum(c1 * F)
            var = (F * F * A - 2 * F * AF + AF2) + B - 2 * (F * C - CF)
            se_t = np.sqrt(np.maximum(var, 0)) / (F * np.abs(np.log(F)))
            g = np.log(-np.log(F))
            lo = np.exp(-np.exp(g + z * se_t))
            hi = np.exp(-np.exp(g - z * se_t))
            out[f"cif_{c}"] = F
            out[f"var_{c}"] = var
            out[f"lower_{c}"] = np.where(F > 0, lo, 0.0)
            out[f"upper_{c}"] = np.where(F > 0, hi, 0.0)
    return out


@_docs.fill(_SHARED_DOC)
def cumulative_incidence(
    episodes: pd.DataFrame,
    *,
    include_agency: bool = False,
    late_entry: bool = True,
    alpha: float = 0.05,
    cause_col: str = "destination_group",
) -> pd.DataFrame:
    """Cumulative incidence of leaving, by destination group, with delayed entry (Aalen-Johansen).

    The probability of having left *for that destination* by each tenure, allowing for the others:
    the destinations plus the Kaplan-Meier retention add up to 1 at every tenure. Leavers with no
    recorded destination form their own group ``unknown``.

    Why not lifelines' ``AalenJohansenFitter``: it accepts ``entry`` but (lifelines 0.30) counts
    spells entering at an event time in that time's risk set, sets the estimate at the first
    tabulated time to 0 whatever happens there, and breaks tied event times by random jitter. This
    implementation uses the counting-process risk set (entry < t <= exit), handles ties exactly,
    and agrees with lifelines to machine precision where those issues do not arise (tests).

    Parameters
    ----------
    ${episodes}
    ${late_entry}
    ${alpha}
    cause_col : str, default "destination_group"
        The column naming where each leaver went.

    Returns
    -------
    pandas.DataFrame
        Long table: destination_group, months, cif, ci_lower, ci_upper, at_risk, events;
        ``.attrs['until']`` is the tenure up to which the estimate is unconditional (read by
        :func:`destination_at`).

    ${raises}

    Examples
    --------
    ${example}
    >>> ep["destination_group"] = ["another_la", "agency", None, None, "another_la", None, None, "left_social_work"]
    >>> cif = tenure.cumulative_incidence(ep)
    >>> tenure.destination_at(cif, months=[24]).round(3)
      destination_group  months    cif  ci_lower  ci_upper
    0        another_la      24  0.306     0.044     0.638
    1            agency      24  0.139     0.007     0.457
    2  left_social_work      24  0.139     0.007     0.457
    """
    _check(episodes, (cause_col,))
    p = prepare(episodes, include_agency=include_agency, late_entry=late_entry)
    cause = p[cause_col].astype(object).where(p[cause_col].notna() & (p[cause_col] != ""), "unknown").to_numpy()
    present = set(cause[p["event"].to_numpy() == 1])
    causes = [c for c in DESTINATION_GROUPS if c in present] + sorted(present - set(DESTINATION_GROUPS))
    time, entry, event = p["time"].to_numpy(), p["entry"].to_numpy(), p["event"].to_numpy()
    until = _estimable_until(entry, time)
    aj = _aalen_johansen(time, event, cause, entry, causes, alpha)
    aj = aj.loc[aj.index <= until]
    rows = []
    for c in causes:
        f = pd.DataFrame(
            {"destination_group": c, "months": aj.index.to_numpy(), "cif": aj[f"cif_{c}"].to_numpy(),
             "ci_lower": aj[f"lower_{c}"].to_numpy(), "ci_upper": aj[f"upper_{c}"].to_numpy(),
             "at_risk": aj["at_risk"].to_numpy(int), "events": aj["events"].to_numpy(int)}
        )
        rows.append(f)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["destination_group", "months", "cif", "ci_lower", "ci_upper", "at_risk", "events"]
    )
    out.attrs["until"] = until
    return out


def destination_at(cif: pd.DataFrame, months=(12, 24, 60)) -> pd.DataFrame:
    """Cumulative incidence by destination at given tenures (from :func:`cumulative_incidence`)."""
    rows = []
    until = cif.attrs.get("until", np.inf)
    for c, g in cif.groupby("destination_group", sort=False):
        g = g.reset_index(drop=True)
        for m in months:
            if m > until + 1e-12:
                val = {"cif": np.nan, "ci_lower": np.nan, "ci_upper": np.nan}
            else:
                i = np.searchsorted(g["months"].to_numpy(), m, side="right") - 1
                val = {"cif": 0.0, "ci_lower": 0.0, "ci_upper": 0.0} if i < 0 else g.loc[i, ["cif", "ci_lower", "ci_upper"]].to_dict()
            rows.append({"destination_group": c, "months": m, **val})
    # No leavers: an empty table that still has its columns, so callers need no special case.
    return pd.DataFrame(rows, columns=["destination_group", "months", "cif", "ci_lower", "ci_upper"])


# --------------------------------------------------------------------------------------------
# generated text
# --------------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _years(months: float) -> str:
    return f"{months / 12:.1f} years"


def describe_retention(
    table: pd.DataFrame | RetentionTable,
    months: int = 12,
    *,
    group_var: str = "all",
    group: str = "all",
    medians: pd.DataFrame | None = None,
    who: str = "permanent social workers",
) -> str:
    """One sentence for the report from :func:`retention_table` / :func:`retention_at` output.

    e.g. "Of permanent social workers who joined, 78% (95% CI 72% to 83%) were still in post
    12 months later; half had left by 3.1 years." Pass ``medians`` (from :func:`median_tenure`)
    for the second clause.
    """
    if isinstance(table, RetentionTable):
        table = table.data
    row = table.loc[(table["group_var"] == group_var) & (table["group"].astype(str) == str(group))
                    & (table["months"].astype(float) == float(months))]
    if row.empty or pd.isna(row["retention"].iloc[0]):
        return f"Retention at {months} months cannot be estimated for {who} from these returns."
    r = row.iloc[0]
    label = who if group_var == "all" else f"{who} ({GROUP_VARS.get(group_var, group_var)}: {group_label(group_var, group)})"
    text = (
        f"Of {label} who joined, {_pct(r['retention'])} (95% CI {_pct(r['ci_lower'])} to "
        f"{_pct(r['ci_upper'])}) were still in post {months} months later"
    )
    if medians is not None:
        m = medians.loc[(medians["group_var"] == group_var) & (medians["group"].astype(str) == str(group))]
        if not m.empty:
            med = m.iloc[0]
            if pd.isna(med["median_months"]):
                text += "; more than half were still in post at the end of follow-up"
            else:
                text += f"; half had left by {_years(med['median_months'])}"
                if np.isfinite(med["ci_lower"]) and np.isfinite(med["ci_upper"]):
                    text += f" (95% CI {med['ci_lower'] / 12:.1f} to {_years(med['ci_upper'])})"
    return text + "."


def group_label(group_var: str, group) -> str:
    """Words for a group in text and figures (entry route codes become phrases)."""
    if group_var == "entry_route":
        return ENTRY_ROUTE_LABELS.get(str(group), str(group))
    if group_var == "start_cohort" and str(group).isdigit():
        return f"started {int(group) - 1}/{str(int(group))[-2:]}"
    return str(group)


def late_entry_effect(
    episodes: pd.DataFrame, months=(12, 24), *, include_agency: bool = False
) -> pd.DataFrame:
    """Retention with and without the late-entry correction, side by side.

    Columns: months, retention (corrected), ci_lower, ci_upper, naive, naive_ci_lower,
    naive_ci_upper, difference (naive - corrected, percentage points), late_entrants, spells.
    """
    res = retention_curve(episodes, include_agency=include_agency, min_group=None)
    good = _table_from_curves(res, months)
    naive = retention_at(episodes, months, include_agency=include_agency, late_entry=False, min_group=None)
    p = res.spells
    out = good[["months", "retention", "ci_lower", "ci_upper"]].copy()
    out["naive"] = naive["retention"].to_numpy()
    out["naive_ci_lower"] = naive["ci_lower"].to_numpy()
    out["naive_ci_upper"] = naive["ci_upper"].to_numpy()
    out["difference"] = 100 * (out["naive"] - out["retention"])
    out["late_entrants"] = int(p["late"].sum())
    out["spells"] = len(p)
    return out


def describe_late_entry(effect: pd.DataFrame, months: int = 12) -> str:
    """Sentence explaining how much ignoring late entry would overstate retention."""
    r = effect.loc[effect["months"] == months]
    if r.empty or pd.isna(r["retention"].iloc[0]):
        return ""
    r = r.iloc[0]
    return (
        f"{int(r['late_entrants']):,} of the {int(r['spells']):,} spells were already under way when the "
        f"first return was made. Counting them as if they had been watched from their first day would "
        f"put retention at {months} months at {_pct(r['naive'])} instead of {_pct(r['retention'])}: "
        f"only those who had stayed were still there to be counted."
    )


DESTINATION_PHRASES = {
    "another_la": "for another local authority",
    "agency": "for agency work",
    "left_social_work": "to leave social work",
    "other": "for another or unrecorded destination",
    "unknown": "with no destination recorded",
}


def describe_destinations(at: pd.DataFrame, months: int = 24, *, who: str = "permanent social workers") -> str:
    """Sentence from :func:`destination_at`: where leavers had gone by a given tenure, e.g.
    "Within 24 months of starting, 9% of permanent social workers had left for another local
    authority, 8% to leave social work and 5% for agency work." """
    r = at.loc[(at["months"] == months) & at["cif"].notna()].sort_values("cif", ascending=False)
    if r.empty:
        return ""
    phrases = [(_pct(x.cif), DESTINATION_PHRASES.get(x.destination_group, f"for {x.destination_group}"))
               for x in r.itertuples()]
    parts = [f"{phrases[0][0]} of {who} had left {phrases[0][1]}"] + [f"{p} {ph}" for p, ph in phrases[1:]]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Within {months} months of starting, {listed}."

