"""How does an authority compare? Benchmarks against statistical neighbours, region and England.

``benchmark(la, year, comparators=...)`` returns a :class:`BenchmarkResult` holding

* ``table``: the tidy table written to ``tables/benchmark.csv`` — one row per area × year ×
  measure (2017 to ``year``) with ``area_type`` ∈ {la, comparator, sn_median, region, england},
  plus change on last year, and for authority and comparator rows rank among all authorities,
  quartile, a significance test against England and a funnel-plot flag;
* ``summary``: one row per measure for ``year`` (what a committee table shows);
* ``funnels``: per rate measure, the funnel-plot points and limits for ``year``.

Methods (docs/benchmark-methods.md):

* statistical-neighbour median: the median of the published values of the authority's 10
  DfE statistical neighbours, ignoring missing or suppressed values (``n_neighbours`` says how
  many were used); a neighbour inside a joint return counts the joint figure once.
* rank: 1 = the highest value among all authorities with a published value that year (for every
  measure, including rates where high is bad); ties share the lower rank. Quartile 1 = the
  highest 25% of authorities, 4 = the lowest 25%.
* the comparison with England (rates only) — one method, used by every sentence, table column
  and figure: the funnel plot's z-score, i.e. the gap from England's rate divided by the spread
  expected at the authority's FTE denominator *including* the spread between councils
  (Spiegelhalter 2005: limits around England's rate at 95% and 99.8%, overdispersion from
  10%-winsorised z-scores, additive random effects τ² by default). ``gap_pp`` is the gap in
  percentage points, ``beyond_95``/``beyond_998`` whether it lies outside the limits,
  ``significance`` ``above``/``below`` (outside the 95% limits) or ``similar``, ``comparison``
  the words ("6.6 points above England (17.6%), within the spread between councils").
* ``binomial_ci_low``/``binomial_ci_high``: the plain binomial (Wilson) 95% interval with each FTE
  as an independent trial. It ignores the spread between councils, so it is for the technical
  annex only, named as what it is; it never decides a sentence.
* statistical neighbours: the set in force for the reporting year by default (the DfE's April
  2021 groupings to 2024, its 2025 model from 2025); the median is also computed with the other
  set, and ``summary.sn_reversed`` says when that would reverse the comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .published.areas import (SN_MODEL_NAMES, Area, other_sn_model, resolve_area,
                              sn_model_for_year, statistical_neighbours)
from .published.memo import memoised
from . import measures
from .errors import UserError
from .results import Result, plural

# Derived from the measure registry (swanalysis.measures): add a measure there, not here.
_BENCHMARKED = measures.with_role("benchmark")
BENCHMARK_MEASURES = [m.name for m in _BENCHMARKED]
RATE_MEASURES = [m.name for m in _BENCHMARKED if m.kind == "rate"]

#: measure -> (label, unit suffix, decimals)
MEASURE_LABELS = {m.name: (m.label, m.unit, m.decimals) for m in _BENCHMARKED}

#: count measures are described as "Wokingham had 86.3 FTE social workers in post"
COUNT_WORDS = {m.name: m.label for m in _BENCHMARKED if m.kind == "count"}

#: rate measure -> (numerator measure or None, denominator measures summed)
DENOMINATORS = {m.name: (m.numerator, list(m.denominator)) for m in _BENCHMARKED if m.kind == "rate"}

#: what a benchmark reads from the panel: its measures and their rates' parts
_FIGURE_MEASURES = set(BENCHMARK_MEASURES) | {
    part for num, den in DENOMINATORS.values() for part in [num, *den] if part}

#: below this many FTE in a rate's denominator, the text warns that the rate is volatile
SMALL_FTE = 20

Z95 = stats.norm.ppf(0.975)     # 1.960
Z998 = stats.norm.ppf(0.999)    # 3.090

TABLE_COLUMNS = [
    "area_name", "area_type", "old_la_code", "area_code", "time_period", "measure", "value",
    "symbol", "release", "change", "n_neighbours", "rank", "n_ranked", "quartile",
    "gap_pp", "denominator_fte", "funnel_z", "funnel_flag", "beyond_95", "beyond_998",
    "significance", "comparison", "binomial_ci_low", "binomial_ci_high",
]

#: the columns of the one comparison with England (filled for la and comparator rate rows)
COMPARISON_COLUMNS = ["gap_pp", "denominator_fte", "funnel_z", "funnel_flag", "beyond_95",
                      "beyond_998", "significance", "comparison", "binomial_ci_low",
                      "binomial_ci_high"]


# ----------------------------------------------------------------------------- helpers

def _figures(panel: pd.DataFrame, release: int | None) -> pd.DataFrame:
    """Rows to benchmark with: newest figures, or as one release published them. Cached."""
    return memoised(panel, "benchmark_rows", release, lambda: _figures_uncached(panel, release))


def _figures_uncached(panel: pd.DataFrame, release: int | None) -> pd.DataFrame:
    from .published.panel import release_panel
    df = release_panel(panel, release)
    df = df[df["measure"].isin(_FIGURE_MEASURES)]
    df = df[~df["is_subregion"]]
    df = df.assign(key=np.where(df["area_level"] == "la", df["old_la_code"],
                                df["area_level"] + ":" + df["area_code"]))
    return df


def _la_wide(fig: pd.DataFrame) -> pd.DataFrame:
    la = fig[fig["area_level"] == "la"]
    return la.pivot_table(index=["key", "time_period"], columns="measure", values="value",
                          aggfunc="first")


def wilson_interval(p: np.ndarray | float, n: np.ndarray | float, z: float = Z95):
    """Wilson score interval for a proportion p observed on n trials (n may be fractional: an
    FTE denominator), from statsmodels; NaN where n is missing or zero."""
    from statsmodels.stats.proportion import proportion_confint

    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 2 * stats.norm.sf(z)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = proportion_confint(p * n, n, alpha=alpha, method="wilson")
    bad = ~(np.isfinite(n) & (n > 0) & np.isfinite(p))
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def denominator(measure: str, values: pd.DataFrame) -> pd.Series:
    """The FTE denominator of a rate from a wide table of measures (NaN when any part missing)."""
    _, parts = DENOMINATORS[measure]
    out = values[parts[0]].astype(float)
    for p in parts[1:]:
        out = out + values[p].astype(float)
    return out


# ------------------------------------------------------------------------------ funnel

def overdispersion(p: np.ndarray, n: np.ndarray, p0: float, winsor: float = 0.10) -> dict:
    """Spiegelhalter (2005) overdispersion estimates from winsorised z-scores.

    Returns dict(phi, tau2, n_units, z_raw): ``phi`` = mean of squared winsorised z-scores;
    ``tau2`` = max(0, (I·phi − (I − 1)) / (Σw − Σw²/Σw)) with w = 1/s², s² = p0(1−p0)/n.
    """
    p = np.asarray(p, float)
    n = np.asarray(n, float)
    ok = np.isfinite(p) & np.isfinite(n) & (n > 0)
    p, n = p[ok], n[ok]
    s2 = p0 * (1 - p0) / n
    z = (p - p0) / np.sqrt(s2)
    if len(z) < 3:
        return {"phi": float("nan"), "tau2": 0.0, "n_units": int(len(z)), "z_raw": z}
    zw = np.asarray(stats.mstats.winsorize(z, limits=(winsor, winsor)))
    i = len(z)
    phi = float(np.mean(zw ** 2))
    w = 1 / s2
    tau2 = max(0.0, (i * phi - (i - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    return {"phi": phi, "tau2": float(tau2), "n_units": i, "z_raw": z}


def _limit_sd(n, p0, method, phi, tau2):
    s2 = p0 * (1 - p0) / np.asarray(n, float)
    if method == "additive":
        return np.sqrt(s2 + tau2)
    if method == "multiplicative":
        return np.sqrt(s2 * max(phi, 1.0))
    if method == "none":
        return np.sqrt(s2)
    raise UserError(f"funnel method must be additive, multiplicative or none, not {method!r}")


def funnel_points(panel: pd.DataFrame, measure: str, year: int, release: int | None = None,
                  method: str = "additive") -> pd.DataFrame:
    """Every authority's rate, denominator and position against England's funnel limits.

    Parameters
    ----------
    panel : pandas.DataFrame
        The published panel (:func:`swanalysis.published.panel.load_panel`).
    measure : str
        A rate with a denominator: turnover_rate, agency_rate, vacancy_rate or absence_rate.
    year : int
        The year.
    release : int, optional
        Use figures as that release published them (default: the newest).
    method : {"additive", "multiplicative"}, default "additive"
        How the limits allow for overdispersion: a random-effects variance (tau2) or a scale
        factor (phi) estimated from the winsorised z-scores (Spiegelhalter 2005).

    Returns
    -------
    pandas.DataFrame
        Columns old_la_code, area_name, value (%), denominator_fte, p, z (unadjusted), z_adj,
        lo95, hi95, lo998, hi998 (limits at its denominator, %), funnel_flag. ``attrs`` hold
        target (England %, the centre line), phi, tau2, method (read by :func:`funnel_limits`).

    Raises
    ------
    UserError
        For a measure with no denominator, or a year with no England figure.

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> from swanalysis.benchmark import funnel_points
    >>> pts = funnel_points(load_panel(), "turnover_rate", 2022)
    >>> round(pts.attrs["target"], 1), len(pts)
    (17.2, 148)
    >>> pts["funnel_flag"].value_counts().sort_index()
    funnel_flag
    above 95% limit        7
    above 99.8% limit      5
    below 95% limit        3
    below 99.8% limit      3
    within limits        130
    Name: count, dtype: int64
    """
    if measure not in DENOMINATORS:
        raise UserError(f"funnel plots are for rates ({', '.join(DENOMINATORS)}), not {measure}")
    pts = memoised(panel, "funnel_points", (release, measure, int(year), method),
                   lambda: _funnel_points(panel, measure, year, release, method))
    return pts.copy()


def _year_rows(panel: pd.DataFrame, release: int | None, year: int) -> pd.DataFrame:
    """The rows to benchmark with of one year."""
    fig = _figures(panel, release)
    return fig[fig["time_period"] == year]


def _year_wide(yr: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The authorities' figures of one year, one column per measure, and their names."""
    la = yr[yr["area_level"] == "la"]
    w = la.pivot_table(index="key", columns="measure", values="value", aggfunc="first")
    names = la.drop_duplicates("key").set_index("key")["area_name"]
    return w, names


def _funnel_points(panel, measure, year, release, method) -> pd.DataFrame:
    # the year's rows and its wide table are the same for every measure: once per panel and year
    key = (release, int(year))
    yr = memoised(panel, "funnel_year_rows", key, lambda: _year_rows(panel, release, int(year)))
    eng = yr[(yr["area_level"] == "national") & (yr["measure"] == measure)]["value"]
    if eng.empty or not np.isfinite(eng.iloc[0]):
        raise UserError(f"no England figure for {measure} in {year}")
    p0 = float(eng.iloc[0]) / 100
    w, names = memoised(panel, "funnel_year_wide", key, lambda: _year_wide(yr))
    missing = [c for c in set(DENOMINATORS[measure][1]) | {measure} if c not in w.columns]
    if missing:
        w = w.copy()  # the shared table is not changed
        for c in missing:
            w[c] = np.nan
    pts = pd.DataFrame({
        "old_la_code": w.index,
        "area_name": names.reindex(w.index).to_numpy(),
        "value": w[measure].to_numpy(),
        "denominator_fte": denominator(measure, w).to_numpy(),
    })
    pts = pts[np.isfinite(pts["value"]) & np.isfinite(pts["denominator_fte"])
              & (pts["denominator_fte"] > 0)].reset_index(drop=True)
    pts["p"] = pts["value"] / 100
    od = overdispersion(pts["p"], pts["denominator_fte"], p0)
    phi, tau2 = od["phi"], od["tau2"]
    if method == "multiplicative" and not (phi > 1):
        phi_used = 1.0
    else:
        phi_used = phi
    s = np.sqrt(p0 * (1 - p0) / pts["denominator_fte"])
    pts["z"] = (pts["p"] - p0) / s
    sd = _limit_sd(pts["denominator_fte"], p0, method, phi_used, tau2)
    pts["z_adj"] = (pts["p"] - p0) / sd
    for name, z in (("95", Z95), ("998", Z998)):
        pts[f"lo{name}"] = np.clip(p0 - z * sd, 0, 1) * 100
        pts[f"hi{name}"] = np.clip(p0 + z * sd, 0, 1) * 100
    pts["funnel_flag"] = np.select(
        [pts["z_adj"] > Z998, pts["z_adj"] > Z95, pts["z_adj"] < -Z998, pts["z_adj"] < -Z95],
        ["above 99.8% limit", "above 95% limit", "below 99.8% limit", "below 95% limit"],
        "within limits")
    pts.attrs.update({"target": p0 * 100, "phi": phi, "tau2": tau2, "method": method,
                      "measure": measure, "year": int(year), "n_units": od["n_units"]})
    return pts


def funnel_limits(points: pd.DataFrame | None = None, *, target: float | None = None,
                  phi: float = 1.0, tau2: float = 0.0, method: str | None = None,
                  n_min: float | None = None, n_max: float | None = None,
                  num: int = 200) -> pd.DataFrame:
    """Funnel-plot control limits on a grid of denominators (for drawing).

    Parameters
    ----------
    points : pandas.DataFrame, optional
        The output of :func:`funnel_points`: its attrs supply target, phi, tau2 and method, and its
        denominators the range of the grid.
    target : float, optional
        The centre line (%), when ``points`` is not given (or to override it).
    phi : float, default 1.0
        Multiplicative overdispersion (used with ``method="multiplicative"``).
    tau2 : float, default 0.0
        Additive (random-effects) overdispersion (used with ``method="additive"``).
    method : {"additive", "multiplicative"}, optional
        Default: that of ``points``, else additive.
    n_min, n_max : float, optional
        The range of denominators (FTE); default from ``points``, else 1 to 1,000.
    num : int, default 200
        Grid points (spaced evenly on a log scale).

    Returns
    -------
    pandas.DataFrame
        Columns denominator_fte, target, lo95, hi95, lo998, hi998 (all rates in %).

    Raises
    ------
    UserError
        When neither ``points`` nor ``target`` is given.

    Examples
    --------
    >>> from swanalysis.benchmark import funnel_limits
    >>> lim = funnel_limits(target=17.0, n_min=50, n_max=500, num=3)
    >>> lim.round(1)
       denominator_fte  target  lo95  hi95  lo998  hi998
    0             50.0    17.0   6.6  27.4    0.6   33.4
    1            158.1    17.0  11.1  22.9    7.8   26.2
    2            500.0    17.0  13.7  20.3   11.8   22.2
    """
    if points is not None:
        a = points.attrs
        target = a["target"] if target is None else target
        phi = a.get("phi", phi)
        tau2 = a.get("tau2", tau2)
        method = a.get("method", "additive") if method is None else method
        n = points["denominator_fte"]
        n_min = n_min if n_min is not None else max(float(n.min()) * 0.8, 1.0)
        n_max = n_max if n_max is not None else float(n.max()) * 1.1
    if target is None:
        raise UserError("funnel_limits needs funnel points or a target rate")
    method = method or "additive"
    n_min = n_min or 1.0
    n_max = n_max or 1000.0
    if method == "multiplicative" and not (phi > 1):
        phi = 1.0
    grid = np.geomspace(n_min, n_max, num)
    p0 = target / 100
    sd = _limit_sd(grid, p0, method, phi, tau2)
    out = pd.DataFrame({"denominator_fte": grid, "target": target})
    for name, z in (("95", Z95), ("998", Z998)):
        out[f"lo{name}"] = np.clip(p0 - z * sd, 0, 1) * 100
        out[f"hi{name}"] = np.clip(p0 + z * sd, 0, 1) * 100
    out.attrs.update({"target": target, "phi": phi, "tau2": tau2, "method": method})
    return out


# ------------------------------------------------------------------- comparison with England

def significance_of(z) -> str:
    """``above``/``below`` England when the funnel z-score lies outside the 95% limits, else
    ``similar``; ``not tested`` without a z-score. The one test every sentence and table uses."""
    if z is None or pd.isna(z) or not np.isfinite(float(z)):
        return "not tested"
    z = float(z)
    return "above" if z > Z95 else "below" if z < -Z95 else "similar"


def gap_words(measure: str, value, england) -> str:
    """Direction and size of the gap from England: "6.6 points above England (17.6%)"."""
    if not (pd.notna(value) and pd.notna(england)):
        return ""
    gap = round(float(value), 1) - round(float(england), 1)
    eng = fmt(measure, england)
    if round(gap, 1) == 0:
        return f"the same as England ({eng})"
    return f"{abs(gap):.1f} {_gap_unit(measure)} {'above' if gap > 0 else 'below'} England ({eng})"


def spread_words(z) -> str:
    """Whether a gap is beyond what the spread between councils would produce."""
    if z is None or pd.isna(z) or not np.isfinite(float(z)):
        return ""
    a = abs(float(z))
    if a > Z998:
        return ("far beyond the spread usually seen between councils of its size "
                "(outside the 99.8% funnel limits)")
    if a > Z95:
        return ("beyond the spread usually seen between councils of its size "
                "(outside the 95% funnel limits)")
    return ("within the spread usually seen between councils of its size "
            "(inside the 95% funnel limits)")


def comparison_words(measure: str, value, england, z) -> str:
    """The comparison with England in words a councillor reads correctly:
    "6.6 points above England (17.6%), within the spread usually seen between councils of its
    size (inside the 95% funnel limits)"."""
    gap = gap_words(measure, value, england)
    spread = spread_words(z)
    return f"{gap}, {spread}" if gap and spread else gap


def _add_comparison(table: pd.DataFrame, eng: pd.Series) -> pd.DataFrame:
    """Fill gap_pp, beyond_95, beyond_998, significance and comparison from the funnel z."""
    rate = table["measure"].isin(list(DENOMINATORS)) & table["area_type"].isin(["la", "comparator"])
    e = eng.reindex(pd.MultiIndex.from_arrays([table["time_period"], table["measure"]]))
    e = e.to_numpy(dtype=float)
    v = table["value"].to_numpy(dtype=float)
    z = pd.to_numeric(table["funnel_z"], errors="coerce").to_numpy(dtype=float)
    tested = rate.to_numpy() & np.isfinite(z)
    table["gap_pp"] = np.where(rate, v - e, np.nan)
    table["beyond_95"] = pd.array(np.where(tested, np.abs(z) > Z95, pd.NA), dtype="boolean")
    table["beyond_998"] = pd.array(np.where(tested, np.abs(z) > Z998, pd.NA), dtype="boolean")
    table["significance"] = np.where(rate, [significance_of(x) for x in z], None)
    table["comparison"] = np.where(
        rate, [comparison_words(m, a, b, x) for m, a, b, x in
               zip(table["measure"], v, e, z)], None)
    table.loc[~rate, ["funnel_z", "funnel_flag"]] = np.nan
    return table


# ------------------------------------------------------------------ statistical neighbours

def _year_note(note: str) -> bool:
    """A note about one year's stand-in neighbour (gathered across years instead)."""
    return " had no figures for " in note


def stand_in_notes(area: Area, by_year: dict[int, pd.DataFrame], label=str) -> list[str]:
    """One note per neighbour whose figures come from another council in some years: a
    predecessor or successor standing in (Cumbria for Westmorland and Furness, 2017–2022), or
    left out because that council holds the authority's own figures."""
    from .published.areas import _fmt_years
    used, dropped = {}, {}
    for y, s in sorted(by_year.items()):
        for r in s.itertuples():
            if not r.stand_in:
                continue
            target = used if r.data_code else dropped
            target.setdefault((r.old_la_code, r.area_name, r.stand_in), []).append(y)
    out = []
    for (code, name, key), ys in used.items():
        out.append(f"{name} (DfE {code}) had no figures of its own in {_fmt_years(ys)}: the "
                   f"figures of {label(key)} (DfE {key}), its predecessor or successor, stand in for it among "
                   f"{possessive(area.name)} statistical neighbours in those years.")
    for (code, name, key), ys in dropped.items():
        out.append(f"{name} (DfE {code}) had no figures of its own in {_fmt_years(ys)}, and its "
                   f"predecessor or successor {label(key)} (DfE {key}) includes {possessive(area.name)} own "
                   "figures, so it is left out of the statistical neighbours' median in those "
                   "years.")
    return out


# --------------------------------------------------------------------------- benchmark

@dataclass(repr=False)
class BenchmarkResult(Result):
    """An authority benchmarked for a year against its statistical neighbours, region and England.

    Attributes
    ----------
    area : Area
        The authority (see :func:`swanalysis.published.areas.resolve_area`).
    year : int
        The year benchmarked.
    table : pandas.DataFrame
        The tidy table of ``tables/benchmark.csv``: one row per area x year x measure (the
        authority, its neighbours' median, region, England, comparators) with value, rank,
        n_ranked, quartile, change and the comparison with England. An attribute (the report
        reads ``res.table``), not a method.
    summary : pandas.DataFrame
        One row per measure for ``year``: label, value, sn_median, n_neighbours, region,
        england, rank, n_ranked, quartile, change, first_year, first_value, the comparison with
        England and the other neighbour model's median.
    neighbours : pandas.DataFrame
        The statistical neighbours (see :func:`swanalysis.published.areas.statistical_neighbours`).
    comparators : list of Area
        Authorities shown alongside.
    funnels : dict
        Measure -> :func:`funnel_points` table for ``year``.
    notes : list of str
        Plain-English notes for the report (joint returns, stand-in neighbours, missing years).
    neighbour_values : pandas.DataFrame
        Each neighbour's own figures.
    sn_model : str
        The statistical-neighbour model used ("2021" or "2025").
    release : int or None
        The release whose figures were used (None: the newest for every year).
    measures : list of str
        The measures benchmarked.
    """

    area: Area
    year: int
    table: pd.DataFrame
    summary: pd.DataFrame
    neighbours: pd.DataFrame
    comparators: list[Area] = field(default_factory=list)
    funnels: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    neighbour_values: pd.DataFrame = field(default_factory=pd.DataFrame)
    sn_model: str = "2025"
    release: int | None = None
    measures: list[str] = field(default_factory=lambda: list(BENCHMARK_MEASURES))

    @property
    def name(self) -> str:
        """The authority's name."""
        return self.area.name

    def _title(self) -> str:
        return f"{self.area.name} {self.year}"

    def _counts(self) -> list[str]:
        ranked = pd.to_numeric(self.summary.get("n_ranked", pd.Series(dtype=float)), errors="coerce").max()
        return [plural(len(self.measures), "measure"), plural(len(self.neighbours), "neighbour"),
                f"{0 if pd.isna(ranked) else int(ranked):,} ranked"]

    def sentences(self) -> list[str]:
        """One :func:`describe` paragraph per measure."""
        return [describe(self, m) for m in self.measures]

    def value(self, measure: str, area_type: str = "la", year: int | None = None,
              area_name: str | None = None) -> float:
        """One figure of the table (NaN when it is not published).

        ``area_type`` is la, sn_median, region, england or comparator (with ``area_name``);
        ``year`` defaults to the year benchmarked.
        """
        t = self.table
        sel = (t["measure"] == measure) & (t["area_type"] == area_type) & \
              (t["time_period"] == (self.year if year is None else int(year)))
        if area_name is not None:
            sel &= t["area_name"] == area_name
        v = t.loc[sel, "value"]
        return float(v.iloc[0]) if len(v) else float("nan")


def _rank_table(lw: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    """rank (1 = highest), n_ranked, quartile (1 = highest 25%) for every LA × year × measure."""
    frames = []
    for m in measures:
        if m not in lw.columns:
            continue
        v = lw[m].dropna()
        g = v.groupby(level="time_period")
        rank = g.rank(method="min", ascending=False)
        n = g.transform("count")
        q = 1 + np.floor(4 * (rank - 1) / n)
        frames.append(pd.DataFrame({"measure": m, "rank": rank, "n_ranked": n, "quartile": q}))
    out = pd.concat(frames).reset_index()
    return out


def _binomial(lw: pd.DataFrame, measures) -> pd.DataFrame:
    """The plain binomial (Wilson) interval on the FTE denominator, for the technical annex."""
    frames = []
    for m in measures:
        if m not in DENOMINATORS or m not in lw.columns:
            continue
        cols = set(DENOMINATORS[m][1])
        w = lw.copy()
        for c in cols:
            if c not in w.columns:
                w[c] = np.nan
        n = denominator(m, w)
        p = w[m] / 100
        lo, hi = wilson_interval(p, n)
        frames.append(pd.DataFrame({"measure": m,
                                    "binomial_ci_low": np.clip(lo, 0, 1) * 100,
                                    "binomial_ci_high": np.clip(hi, 0, 1) * 100,
                                    "denominator_fte": n.to_numpy()},
                                   index=w.index))
    if not frames:
        return pd.DataFrame(columns=["key", "time_period", "measure"])
    return pd.concat(frames).reset_index()


def benchmark(la, year: int, comparators=None, panel: pd.DataFrame | None = None,
              data_dir=None, sn_model: str | None = None, release: int | None = None,
              measures: list[str] | None = None, funnel_method: str = "additive",
              first_year: int | None = None) -> BenchmarkResult:
    """Benchmark an authority for ``year`` against its statistical neighbours, region and England.

    Parameters
    ----------
    la : str or Area
        A name, DfE number, ONS code or :class:`~swanalysis.published.areas.Area`.
    year : int
        The year (30 September census) to benchmark.
    comparators : list of str or str, optional
        Names or codes (a list or a comma-separated string) shown alongside.
    panel : pandas.DataFrame, optional
        The published panel (default: the shared panel of ``data_dir``).
    data_dir : path-like, optional
        Where the published files are (see :func:`swanalysis.published.panel.load_panel`).
    sn_model : {"2021", "2025", "auto"}, optional
        The statistical-neighbour set; None or "auto" uses the set in force for ``year``
        (:func:`swanalysis.published.areas.sn_model_for_year`).
    release : int, optional
        Use figures as that release published them (default: the newest figures for every year).
    measures : list of str, optional
        The measures to benchmark (default ``BENCHMARK_MEASURES``).
    funnel_method : {"additive", "multiplicative"}, default "additive"
        How the funnel limits allow for overdispersion (Spiegelhalter 2005).
    first_year : int, optional
        First year of the table (default: the first published year, 2017).

    Returns
    -------
    BenchmarkResult
        ``table`` (one row per area x year x measure: area_name, area_type, old_la_code,
        area_code, time_period, measure, value, rank, n_ranked, quartile, change and the comparison
        with England), ``summary`` (one row per measure for ``year``), ``neighbours``, ``funnels``,
        ``notes``; ``.sentences()`` describes each measure.

    Raises
    ------
    UserError
        One line for an unknown or ambiguous authority, an unknown measure, an area that is not a
        local authority, or a year with no published figures for it.

    Examples
    --------
    >>> from swanalysis.benchmark import benchmark
    >>> res = benchmark("Wokingham", 2022)
    >>> res
    <BenchmarkResult Wokingham 2022: 8 measures, 10 neighbours, 150 ranked>
    >>> res.summary.set_index("measure").loc[["turnover_rate", "agency_rate"], ["value", "sn_median", "england"]]
                   value  sn_median  england
    measure                                 
    turnover_rate   17.6       23.5     17.2
    agency_rate     24.2       19.8     17.6
    """
    from .published.panel import shared_panel
    if panel is None:
        panel = shared_panel(data_dir)
    data_dir = data_dir or panel.attrs.get("data_dir")
    year = int(year)
    sn_model = sn_model_for_year(year, sn_model)
    measures = list(measures or BENCHMARK_MEASURES)
    unknown = [m for m in measures if m not in MEASURE_LABELS]
    if unknown:
        raise UserError(f"unknown measure {unknown[0]!r}; choose from {', '.join(BENCHMARK_MEASURES)}")
    area = la if isinstance(la, Area) else resolve_area(la, panel=panel, year=year)
    if area.area_level != "la":
        raise UserError(f"{area.name} is not a local authority")
    notes = list(area.notes)
    if not area.has_year(year):
        why = [n for n in area.notes if n.startswith("There are no published figures")]
        raise UserError(why[-1] if why else f"There are no published figures for {area.name} "
                        f"for {year}.")

    fig = _figures(panel, release)
    years_all = sorted(int(y) for y in fig["time_period"].unique() if y <= year)
    if year not in years_all:
        raise UserError(f"no published figures for {year} in the data folder")
    first = first_year or years_all[0]
    years = [y for y in years_all if y >= first]

    # --- comparators
    if isinstance(comparators, str):
        comparators = [c.strip() for c in comparators.split(",") if c.strip()]
    comp_areas: list[Area] = []
    for c in comparators or []:
        a = c if isinstance(c, Area) else resolve_area(c, panel=panel, year=year)
        if a.old_la_code == area.old_la_code or any(a.old_la_code == x.old_la_code
                                                      for x in comp_areas):
            continue
        comp_areas.append(a)
        for n in a.notes:
            if n not in notes:
                notes.append(n)

    # --- statistical neighbours, year by year (neighbours that did not exist are mapped)
    try:
        sn_now = statistical_neighbours(area, model=sn_model, data_dir=data_dir, panel=panel,
                                        year=year)
    except UserError as exc:
        # councils abolished before a model was made (Cumbria, Northamptonshire are not in the
        # 2025 model): use the other model, and say so
        other = {"2025": "2021", "2021": "2025"}.get(str(sn_model))
        if other is None or "statistical neighbour model" not in str(exc):
            raise
        sn_now = statistical_neighbours(area, model=other, data_dir=data_dir, panel=panel,
                                        year=year)
        notes.append(f"{area.name} is not in the {sn_model} statistical neighbour model; its "
                     f"neighbours from the {other} model are used.")
        sn_model = other
    for n in sn_now.notes:
        if not _year_note(n):
            notes.append(n)
    sn_now = sn_now.table()
    sn_keys = {}
    by_year = {}
    for y in years:
        s = sn_now if y == year else statistical_neighbours(
            area, model=sn_model, data_dir=data_dir, panel=panel, year=y).table()
        sn_keys[y] = [k for k in s["data_code"] if k]
        by_year[y] = s
    from .published.areas import _area_label, area_index
    idx = area_index(panel)
    notes += stand_in_notes(area, by_year, label=lambda k: _area_label(idx, k))

    yf = fig[fig["time_period"].isin(years) & fig["measure"].isin(measures)]
    rows = []

    def add(df, area_type):
        d = df[["area_name", "old_la_code", "area_code", "time_period", "measure", "value",
                "symbol", "release"]].copy()
        d["area_type"] = area_type
        rows.append(d)

    mine = yf[(yf["area_level"] == "la") & (yf["key"] == area.old_la_code)]
    if mine.empty:
        raise UserError(
            f"{area.name} (DfE {area.old_la_code}) has no figures"
            + (f" in the {release} release (it published this area differently)"
               if release else "") + f" for {first}–{year}")
    add(mine, "la")
    for a in comp_areas:
        add(yf[(yf["area_level"] == "la") & (yf["key"] == a.old_la_code)], "comparator")
    region_key = "regional:" + area.region_code
    add(yf[yf["key"] == region_key], "region")
    add(yf[yf["area_level"] == "national"], "england")

    # SN median: the neighbours' published values, year by year (neighbours mapped per year)
    pairs = pd.DataFrame([(k, y) for y in years for k in sn_keys[y]], columns=["key", "time_period"])
    la_rows = yf.loc[yf["area_level"] == "la", ["key", "time_period", "measure", "value"]]
    got = pairs.merge(la_rows, on=["key", "time_period"]).dropna(subset=["value"])
    stats_ = (got.groupby(["time_period", "measure"])["value"].agg(["median", "size"])
              .reindex(pd.MultiIndex.from_product([years, measures],
                                                  names=["time_period", "measure"])))
    n_sn = stats_["size"].fillna(0).astype(int)
    rows.append(pd.DataFrame({
        "area_name": "Statistical neighbour median", "old_la_code": "", "area_code": "",
        "time_period": stats_.index.get_level_values("time_period"),
        "measure": stats_.index.get_level_values("measure"),
        "value": stats_["median"].to_numpy(dtype=float),
        "symbol": np.where(n_sn.to_numpy() > 0, "", "x"), "release": np.nan,
        "area_type": "sn_median", "n_neighbours": n_sn.to_numpy(),
    }))
    # the same median with the other set of neighbours, for the headline year only: a
    # reversed comparison is reported in one sentence
    other_model = other_sn_model(sn_model)
    try:
        sn_alt = statistical_neighbours(area, model=other_model, data_dir=data_dir, panel=panel,
                                        year=year)
        alt_keys = [k for k in sn_alt.table()["data_code"] if k]
        alt = la_rows[(la_rows["time_period"] == year) & la_rows["key"].isin(alt_keys)]
        sn_other = alt.dropna(subset=["value"]).groupby("measure")["value"].median()
    except UserError:
        sn_other = pd.Series(dtype=float)
    # the neighbours' own values (for the bar chart and for checking the median by hand)
    nv = []
    names = dict(zip(sn_now["data_code"], sn_now["area_name"]))
    for y in years:
        sub = yf[(yf["area_level"] == "la") & (yf["time_period"] == y)
                 & yf["key"].isin(sn_keys[y])]
        nv.append(sub.assign(sn_name=sub["key"].map(names)))
    neighbour_values = pd.concat(nv, ignore_index=True) if nv else pd.DataFrame()
    if len(neighbour_values):
        neighbour_values = neighbour_values[["area_name", "sn_name", "old_la_code", "key",
                                             "time_period", "measure", "value", "symbol",
                                             "release"]]
    table = pd.concat(rows, ignore_index=True)
    if table.empty:
        raise UserError(f"no published figures for {area.name}")
    table["area_name"] = table["area_name"].where(table["area_type"] != "la", area.name)

    # change on last year (same area, same measure)
    table = table.sort_values(["area_type", "area_name", "measure", "time_period"])
    prev = table.groupby(["area_type", "area_name", "measure"])["value"].shift(1)
    prev_year = table.groupby(["area_type", "area_name", "measure"])["time_period"].shift(1)
    table["change"] = np.where(prev_year == table["time_period"] - 1,
                               table["value"] - prev, np.nan)

    # rank, quartile, significance and funnel flags for la and comparator rows: the same for
    # every authority benchmarked on these years (computed once per panel, e.g. for a batch)
    extra, eng, funnels = memoised(
        panel, "benchmark_all_las", (release, tuple(years), tuple(measures), funnel_method, year),
        lambda: _all_las(panel, fig, years, measures, year, release, funnel_method))
    funnels = dict(funnels)
    is_la = table["area_type"].isin(["la", "comparator"])
    table["key"] = np.where(is_la, table["old_la_code"], "")
    table = table.merge(extra, on=["key", "time_period", "measure"], how="left")
    for c in TABLE_COLUMNS:
        if c not in table.columns:
            table[c] = np.nan
    table.loc[~table["area_type"].isin(["la", "comparator"]),
              ["rank", "n_ranked", "quartile", *COMPARISON_COLUMNS]] = np.nan
    table = _add_comparison(table, eng)
    type_order = {"la": 0, "comparator": 1, "sn_median": 2, "region": 3, "england": 4}
    table["_o"] = table["area_type"].map(type_order)
    table["_m"] = table["measure"].map({m: i for i, m in enumerate(measures)})
    table = table.sort_values(["_m", "time_period", "_o", "area_name"]).reset_index(drop=True)
    for c in ("rank", "n_ranked", "quartile", "n_neighbours"):
        table[c] = table[c].astype("Int64")
    table["release"] = table["release"].astype("Int64")
    table = table[TABLE_COLUMNS]
    table.attrs["rank_order"] = "1 = highest value"

    summary = _summary(table, area, year, measures, sn_other, other_model)
    result = BenchmarkResult(area=area, year=year, table=table, summary=summary,
                             neighbours=sn_now, comparators=comp_areas, funnels=funnels,
                             notes=list(dict.fromkeys(notes)), sn_model=sn_model,
                             neighbour_values=neighbour_values,
                             release=release, measures=measures)
    return result


def _all_las(panel, fig, years, measures, year, release, funnel_method):
    """Every authority's rank, quartile, binomial interval and funnel flag for ``years``
    (``extra``), England's values (``eng``) and ``year``'s funnel points by measure."""
    lw = _la_wide(fig[fig["time_period"].isin(years)])
    ranks = _rank_table(lw, measures)
    eng = fig[fig["area_level"] == "national"].set_index(["time_period", "measure"])["value"]
    sig = _binomial(lw, measures)
    fun = []
    funnels = {}
    for m in measures:
        if m not in DENOMINATORS:
            continue
        for y in years:
            try:
                pts = funnel_points(panel, m, y, release=release, method=funnel_method)
            except UserError:
                continue
            if y == year:
                funnels[m] = pts
            fun.append(pd.DataFrame({"key": pts["old_la_code"], "time_period": y,
                                     "measure": m, "funnel_z": pts["z_adj"],
                                     "funnel_flag": pts["funnel_flag"]}))
    extra = ranks.merge(sig, on=["key", "time_period", "measure"], how="outer")
    if fun:
        extra = extra.merge(pd.concat(fun), on=["key", "time_period", "measure"], how="outer")
    return extra, eng, funnels


def _summary(table, area, year, measures, sn_other=None, other_model="") -> pd.DataFrame:
    sn_other = pd.Series(dtype=float) if sn_other is None else sn_other
    t = table
    missing = pd.Series(dtype=object)  # .get(col, default) on it gives the default
    first_row = {}  # (measure, area type, year) -> position of its first row in the table
    for i, key in enumerate(zip(t["measure"], t["area_type"], t["time_period"])):
        first_row.setdefault(key, i)
    out = []
    for m in measures:
        def v(at, y=year):
            i = first_row.get((m, at, y))
            return t.iloc[i] if i is not None else missing
        me, sn, rg, en = v("la"), v("sn_median"), v("region"), v("england")
        first = t[(t["measure"] == m) & (t["area_type"] == "la") & t["value"].notna()]
        first = first.sort_values("time_period").iloc[0] if len(first) else None
        out.append({
            "measure": m,
            "label": MEASURE_LABELS[m][0],
            "value": me.get("value", np.nan),
            "symbol": me.get("symbol", ""),
            "sn_median": sn.get("value", np.nan),
            "n_neighbours": sn.get("n_neighbours", 0),
            "region": rg.get("value", np.nan),
            "england": en.get("value", np.nan),
            **{c: me.get(c, pd.NA) for c in ("rank", "n_ranked", "quartile")},
            "change": me.get("change", np.nan),
            "first_year": int(first["time_period"]) if first is not None else pd.NA,
            "first_value": first["value"] if first is not None else np.nan,
            **{c: me.get(c, np.nan) for c in COMPARISON_COLUMNS},
            "sn_median_other": sn_other.get(m, np.nan),
        })
    s = pd.DataFrame(out)
    s["sn_model_other"] = other_model
    s["sn_reversed"] = [
        m not in COUNT_WORDS and _compare(v, a) in ("above", "below")
        and _compare(v, b) in ("above", "below") and _compare(v, a) != _compare(v, b)
        for m, v, a, b in zip(s["measure"], s["value"].astype(float), s["sn_median"].astype(float),
                              s["sn_median_other"].astype(float))]
    s.attrs.update({"area": area.name, "year": year})
    return s


def benchmark_table(la_or_result, year: int | None = None, **kwargs) -> pd.DataFrame:
    """The tidy table for ``tables/benchmark.csv`` (one row per area × year × measure).

    Pass a :class:`BenchmarkResult`, or the arguments of :func:`benchmark`.
    """
    if isinstance(la_or_result, BenchmarkResult):
        return la_or_result.table
    if year is None:
        raise UserError("benchmark_table needs a year")
    return benchmark(la_or_result, year, **kwargs).table


# ------------------------------------------------------------------------------- text

def fmt(measure: str, value, unit: bool = True) -> str:
    """A value as a committee paper writes it: 24.2%, 16.6 cases per case-holding FTE."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
        return "not published"
    label, suffix, dp = MEASURE_LABELS.get(measure, (measure, "", 1))
    s = f"{float(value):,.{dp}f}"
    return s + (suffix if unit else "")


def possessive(name: str) -> str:
    """``Wokingham`` -> ``Wokingham's``; ``Knowsley`` -> ``Knowsley's``; ``Lewes`` -> ``Lewes'``."""
    return name + ("'" if name.endswith("s") else "'s")


def _compare(v, ref) -> str:
    if not (np.isfinite(v) and np.isfinite(ref)):
        return ""
    if round(v, 1) > round(ref, 1):
        return "above"
    if round(v, 1) < round(ref, 1):
        return "below"
    return "the same as"


def describe(result: BenchmarkResult, measure: str = "agency_rate",
             cite_funnel: bool = False) -> str:
    """Plain-English sentences for one measure, generated from the numbers.

    E.g. "Wokingham's agency rate of 24.2% in 2022 was 6.6 points above England (17.6%) and
    4.4 points above its statistical neighbours' median (19.8%); it ranked 41 of 150 (1 =
    highest). ... The gap from England is within the spread usually seen between councils of its
    size (inside the 95% funnel limits), so it is not a significant difference." The comparison
    with England is the funnel z-score (:func:`significance_of`), the same as the table's
    ``significance`` column and the funnel plot. ``cite_funnel=True`` adds "see the funnel plot"
    (only when the report draws it).
    """
    s = result.summary.set_index("measure")
    if measure not in s.index:
        raise UserError(f"measure {measure} is not in this benchmark")
    r = s.loc[measure]
    name = result.area.name
    label = MEASURE_LABELS[measure][0]
    y = result.year
    if not np.isfinite(r["value"]):
        sym = r["symbol"]
        return (f"{possessive(name)} {label} for {y} was not published"
                f"{f' (symbol {sym})' if sym else ''}.")
    parts = []
    is_count = measure in COUNT_WORDS
    if is_count:
        head = f"{name} had {fmt(measure, r['value'])} {COUNT_WORDS[measure]} in {y},"
    else:
        head = f"{possessive(name)} {label} of {fmt(measure, r['value'])} in {y} was"
    clauses = []
    if not is_count:
        g = gap_words(measure, r["value"], r["england"])
        if g:
            clauses.append(g)
    sn_gap = _gap_to(measure, r["value"], r["sn_median"])
    if sn_gap:
        clauses.append(f"{sn_gap} its statistical neighbours' median "
                       f"({fmt(measure, r['sn_median'])})")
    if clauses:
        sent = head + " " + " and ".join(clauses)
    else:
        sent = head.rstrip(",").removesuffix(" was")
    if pd.notna(r["rank"]):
        sent += (f"; it ranked {int(r['rank'])} of {int(r['n_ranked'])} authorities "
                 f"(1 = highest)")
    parts.append(sent + ".")
    if bool(r.get("sn_reversed", False)):
        other = str(r["sn_model_other"])
        parts.append(f"With {SN_MODEL_NAMES.get(other, other)} instead, the neighbours' median "
                     f"would be {fmt(measure, r['sn_median_other'])} and {name} would be "
                     f"{_compare(r['value'], r['sn_median_other'])} it, not "
                     f"{_compare(r['value'], r['sn_median'])}.")
    if np.isfinite(r["region"]) and not is_count:
        parts.append(f"The {result.area.region_name} figure was {fmt(measure, r['region'])}.")
    if np.isfinite(r["change"]):
        d = r["change"]
        suffix = MEASURE_LABELS[measure][1]
        unit = " percentage points" if suffix == "%" else suffix
        if round(d, 1) == 0:
            parts.append(f"It was unchanged on {y - 1}.")
        else:
            parts.append(f"It {'rose' if d > 0 else 'fell'} by {abs(d):.1f}{unit} on {y - 1} "
                         f"({fmt(measure, r['value'] - d)}).")
    if measure in DENOMINATORS:
        parts.append(significance_sentence(r.get("funnel_z"), cite_funnel=cite_funnel))
        n = r.get("denominator_fte", np.nan)
        if np.isfinite(n) and n < SMALL_FTE:
            parts.append(f"This rate rests on only {n:,.1f} FTE, so it can move a lot from "
                         "year to year.")
    return " ".join(p for p in parts if p)


def significance_sentence(z, cite_funnel: bool = False) -> str:
    """Whether the gap from England is significant, from the funnel z-score, in one sentence."""
    sig = significance_of(z)
    if sig == "not tested":
        return ""
    spread = spread_words(z)
    if cite_funnel:
        spread = spread[:-1] + "; see the funnel plot)"
    if sig == "similar":
        return f"The gap from England is {spread}, so it is not a significant difference."
    return f"The gap from England is {spread}: a significant difference, {sig} England."


def _gap_to(measure: str, value, ref) -> str:
    """"4.4 points above" / "the same as" a reference value ('' when either is missing)."""
    c = _compare(value, ref)
    if not c or c == "the same as":
        return c
    gap = abs(round(float(value), 1) - round(float(ref), 1))
    return f"{gap:,.1f} {_gap_unit(measure)} {c}"


def _gap_unit(measure: str) -> str:
    """The unit of a difference: points (of a percentage), cases, FTE."""
    if MEASURE_LABELS[measure][1] == "%":
        return "points"
    return "cases" if measure == "caseload" else "FTE"


def headline_sentences(result: BenchmarkResult) -> dict[str, str]:
    """``describe`` for every measure of the result."""
    return {m: describe(result, m) for m in result.measures}


# ----------------------------------------------------------------------------- alt text

def ranked_bar_data(result: BenchmarkResult, measure: str) -> pd.DataFrame:
    """Bars of the ranked bar chart for ``result.year``, highest first: the authority and the
    named comparators, or its statistical neighbours when none were named. Columns area_name,
    value, kind (la / comparator / neighbour); ``attrs['refs']`` maps sn_median, region and
    england to their values."""
    t = result.table
    t = t[(t["measure"] == measure) & (t["time_period"] == result.year)]
    bars = t[t["area_type"].isin(["la", "comparator"])][["area_name", "value", "area_type"]]
    if not (t["area_type"] == "comparator").any():
        nv = result.neighbour_values
        nv = nv[(nv["measure"] == measure) & (nv["time_period"] == result.year)]
        bars = pd.concat([bars, nv[["area_name", "value"]].assign(area_type="neighbour")])
    bars = bars.rename(columns={"area_type": "kind"})
    bars = bars.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
    refs = {at: float(t.loc[t["area_type"] == at, "value"].iloc[0])
            if (t["area_type"] == at).any() else float("nan")
            for at in ("sn_median", "region", "england")}
    bars.attrs["refs"] = refs
    return bars

