"""Figures for a benchmark: ranked bars, trend lines, funnel plot. Each returns its Axes.

Computation lives in :mod:`swanalysis.benchmark` (``ranked_bar_data``, ``funnels``); these
functions draw, and each figure's alt text (``alt_text_ranked_bar``, ``alt_text_trend``,
``alt_text_funnel``) is beside them.
Colours: Government Analysis Function palette (swanalysis.plots.palette), the authority in dark
blue, everything else in context grey, reference lines in the role colours.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np

from .. import benchmark as B
from ..benchmark import MEASURE_LABELS, BenchmarkResult, fmt, ranked_bar_data
from . import palette as P
from .. import _docs


#: Figures are drawn at the size they print on A4 (at most 7 in wide and 4.7 in high, the print
#: stylesheet's frame), so a font size here is the printed size: nothing smaller than 9 pt.
TEXT_PT = 10


#: Text shared by the docstrings here, written once (see :mod:`swanalysis._docs`).
_SHARED_DOC = {
    "example": _docs.lines(
        '>>> from swanalysis.benchmark import benchmark',
        '>>> from swanalysis.plots.benchmark import ranked_bar, trend, funnel, alt_text_ranked_bar',
        '>>> res = benchmark("Wokingham", 2022)',
    ),
    "params": _docs.lines(
        'result : BenchmarkResult',
        '    From :func:`swanalysis.benchmark.benchmark`.',
        'measure : str, default "agency_rate"',
        '    One of ``result.measures``.',
        'ax : matplotlib.axes.Axes, optional',
        '    Where to draw (default: a new A4-width figure).',
    ),
}


def _ax(ax, size=(7.0, 4.0)):
    if ax is None:
        P.use()
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _ylabel(measure: str) -> str:
    label, suffix, _ = B.MEASURE_LABELS[measure]
    unit = "%" if suffix == "%" else suffix.strip()
    return f"{label[0].upper()}{label[1:]} ({unit})"


@_docs.fill(_SHARED_DOC)
def ranked_bar(result: B.BenchmarkResult, measure: str = "agency_rate", ax=None):
    """Horizontal bars, highest first: the authority among its comparators or statistical neighbours.

    The authority is dark blue, the others grey, with lines for the neighbours' median, region
    and England.

    Parameters
    ----------
    ${params}

    Returns
    -------
    matplotlib.axes.Axes
        The drawing; its alt text comes from :func:`alt_text_ranked_bar`.

    Examples
    --------
    ${example}
    >>> ax = ranked_bar(res, "turnover_rate")
    >>> len(ax.patches)
    11
    >>> alt_text_ranked_bar(res, "turnover_rate")[:60]
    'Bar chart of the turnover rate in 2022, highest first: Brack'
    """
    bars = B.ranked_bar_data(result, measure)
    ax = _ax(ax, (7.0, min(4.6, 0.26 * len(bars) + 1.3)))
    y = np.arange(len(bars))
    colours = [P.AUTHORITY if k == "la" else P.COMPARATOR for k in bars["kind"]]
    vals = bars["value"].fillna(0).to_numpy()
    ax.barh(y, vals, color=colours, height=0.7, zorder=1)
    ax.set_yticks(y, bars["area_name"])
    ax.tick_params(labelsize=TEXT_PT)
    ax.invert_yaxis()
    _, suffix, dp = B.MEASURE_LABELS[measure]
    # value labels sit on a white box above the reference lines: a line passes behind a label,
    # never through it
    for yi, v in zip(y, bars["value"]):
        txt = "not published" if not np.isfinite(v) else f"{v:.{dp}f}"
        ax.annotate(txt, ((v if np.isfinite(v) else 0), yi), xytext=(3, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=TEXT_PT,
                    color=P.DARK_GREY, zorder=5,
                    bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none"))
    refs = bars.attrs.get("refs", {})
    styles = [("sn_median", "Statistical neighbours' median", P.SN_MEDIAN, "--"),
              ("region", result.area.region_name, P.REGION, "-."),
              ("england", "England", P.ENGLAND, ":")]
    for key, label, colour, ls in styles:
        v = refs.get(key, np.nan)
        if np.isfinite(v):
            ax.axvline(v, color=colour, linestyle=ls, linewidth=2, zorder=2,
                       label=f"{label} ({v:.{dp}f})")
    ax.set_xlabel(_ylabel(measure), fontsize=TEXT_PT)
    ax.set_title(f"{B.MEASURE_LABELS[measure][0].capitalize()}, {result.year}", loc="left")
    # the key goes under the chart, across its width (outside the axes: it never hides a bar)
    ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside lower left", ncol=2,
                     frameon=False, fontsize=TEXT_PT)
    ax.set_xlim(0, max(np.nanmax(vals) if len(vals) else 1,
                       *[v for v in refs.values() if np.isfinite(v)], 1) * 1.22)
    return ax


@_docs.fill(_SHARED_DOC)
def trend(result: B.BenchmarkResult, measure: str = "agency_rate", ax=None):
    """Lines from the first published year: authority, neighbours' median, region and England.

    Parameters
    ----------
    ${params}

    Returns
    -------
    matplotlib.axes.Axes
        The drawing; its alt text comes from :func:`alt_text_trend`.

    Examples
    --------
    ${example}
    >>> ax = trend(res, "turnover_rate")
    >>> [line.get_label() for line in ax.get_lines()][:4]
    ['Wokingham', "Statistical neighbours' median", 'South East', 'England']
    """
    ax = _ax(ax)
    t = result.table
    t = t[t["measure"] == measure]
    lines = [("la", result.area.name, P.AUTHORITY, "-", "o"),
             ("sn_median", "Statistical neighbours' median", P.SN_MEDIAN, "--", "s"),
             ("region", result.area.region_name, P.REGION, "-.", "^"),
             ("england", "England", P.ENGLAND, ":", "D")]
    for at, label, colour, ls, marker in lines:
        s = t[t["area_type"] == at].sort_values("time_period")
        if s["value"].notna().any():
            ax.plot(s["time_period"], s["value"], color=colour, linestyle=ls, marker=marker,
                    linewidth=2.5 if at == "la" else 1.8, label=label)
    years = sorted(t["time_period"].unique())
    ax.set_xticks(years)
    ax.set_xlabel("Year ending 30 September")
    ax.set_ylabel(_ylabel(measure))
    ax.set_title(f"{B.MEASURE_LABELS[measure][0].capitalize()}, {years[0]} to {years[-1]}",
                 loc="left")
    ax.set_ylim(bottom=0)
    ax.tick_params(labelsize=TEXT_PT)
    ax.legend(frameon=False, fontsize=TEXT_PT)
    return ax


@_docs.fill(_SHARED_DOC)
def funnel(result: B.BenchmarkResult, measure: str = "agency_rate", ax=None):
    """Every authority's rate against its FTE denominator, with 95% and 99.8% limits around England.

    The limits are overdispersion-adjusted (see :func:`swanalysis.benchmark.funnel_points`); the
    authority is highlighted and labelled.

    Parameters
    ----------
    result : BenchmarkResult
        From :func:`swanalysis.benchmark.benchmark`.
    measure : str, default "agency_rate"
        A rate of ``result.funnels`` (turnover, agency, vacancy or absence).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new A4-width figure).

    Returns
    -------
    matplotlib.axes.Axes
        The drawing; its alt text comes from :func:`alt_text_funnel`.

    Examples
    --------
    ${example}
    >>> ax = funnel(res, "turnover_rate")
    >>> ax.get_xlabel() != ""
    True
    """
    ax = _ax(ax)
    pts = result.funnels.get(measure)
    if pts is None or pts.empty:
        ax.text(0.5, 0.5, "No data for a funnel plot", ha="center", transform=ax.transAxes)
        return ax
    lim = B.funnel_limits(pts)
    ax.scatter(pts["denominator_fte"], pts["value"], s=18, color=P.CONTEXT,
               edgecolor="none", label="Other authorities", zorder=2)
    x = lim["denominator_fte"]
    ax.plot(x, lim["target"], color=P.ENGLAND, linewidth=1.8,
            label=f"England ({pts.attrs['target']:.1f}%)")
    ax.plot(x, lim["hi95"], color=P.DARK_GREY, linestyle="--", linewidth=1.2,
            label="95% limits")
    ax.plot(x, lim["lo95"], color=P.DARK_GREY, linestyle="--", linewidth=1.2)
    ax.plot(x, lim["hi998"], color=P.DARK_GREY, linestyle=":", linewidth=1.2,
            label="99.8% limits")
    ax.plot(x, lim["lo998"], color=P.DARK_GREY, linestyle=":", linewidth=1.2)
    me = pts[pts["old_la_code"] == result.area.old_la_code]
    if len(me):
        r = me.iloc[0]
        ax.scatter([r["denominator_fte"]], [r["value"]], s=70, color=P.AUTHORITY, zorder=3,
                   label=result.area.name)
        ax.annotate(f"{result.area.name} ({r['value']:.1f}%)",
                    (r["denominator_fte"], r["value"]), xytext=(6, 6),
                    textcoords="offset points", fontsize=TEXT_PT, color=P.AUTHORITY)
    ax.set_xscale("log")
    # plain numbers (3, 10, 30, 100, 300, 1,000) read more easily than powers of ten
    ax.xaxis.set_major_locator(mticker.LogLocator(subs=(1.0, 3.0)))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.xaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    # the axis multiplies (3, 10, 30, 100, ...): small authorities are spread out
    ax.set_xlabel("Size of authority: social workers in post (FTE)")
    ax.tick_params(labelsize=TEXT_PT)
    ax.set_ylabel(_ylabel(measure))
    ax.set_title(f"{B.MEASURE_LABELS[measure][0].capitalize()}, {result.year}: "
                 "funnel plot", loc="left")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=9, loc="upper right")
    return ax


# alt text: what each figure above shows, with its numbers


def alt_text_ranked_bar(result: BenchmarkResult, measure: str) -> str:
    """What the ranked bar chart shows, with its numbers."""
    bars = ranked_bar_data(result, measure)
    label = MEASURE_LABELS[measure][0]
    shown = bars[bars["value"].notna()]
    items = "; ".join(f"{r.area_name} {fmt(measure, r.value)}" for r in shown.itertuples())
    refs = []
    for at, nm in (("sn_median", "statistical neighbours' median"),
                   ("region", result.area.region_name), ("england", "England")):
        v = bars.attrs["refs"].get(at, float("nan"))
        if np.isfinite(v):
            refs.append(f"{nm} {fmt(measure, v)}")
    missing = bars[bars["value"].isna()]
    miss = (f" Not published: {', '.join(missing['area_name'])}." if len(missing) else "")
    return (f"Bar chart of the {label} in {result.year}, highest first: {items}. "
            f"Reference lines: {', '.join(refs)}.{miss}")


def alt_text_trend(result: BenchmarkResult, measure: str) -> str:
    """What the trend chart shows: first and last value of each line."""
    t = result.table
    t = t[(t["measure"] == measure) & t["area_type"].isin(["la", "sn_median", "region",
                                                          "england"])]
    label = MEASURE_LABELS[measure][0]
    years = sorted(int(y) for y in t["time_period"].unique())
    parts = []
    for at, nm in (("la", result.area.name), ("sn_median", "statistical neighbours' median"),
                   ("region", result.area.region_name), ("england", "England")):
        s = t[(t["area_type"] == at) & t["value"].notna()].sort_values("time_period")
        if s.empty:
            continue
        a, b = s.iloc[0], s.iloc[-1]
        parts.append(f"{nm} from {fmt(measure, a['value'])} in {int(a['time_period'])} to "
                     f"{fmt(measure, b['value'])} in {int(b['time_period'])}")
    return f"Line chart of the {label}, {years[0]} to {years[-1]}: " + "; ".join(parts) + "."


def alt_text_funnel(result: BenchmarkResult, measure: str) -> str:
    """What the funnel plot shows: the centre line, how many lie outside, where the LA is."""
    pts = result.funnels.get(measure)
    label = MEASURE_LABELS[measure][0]
    if pts is None or pts.empty:
        return f"Funnel plot of the {label} in {result.year}: no data."
    me = pts[pts["old_la_code"] == result.area.old_la_code]
    f = pts["funnel_flag"]
    above95 = int(f.isin(["above 95% limit", "above 99.8% limit"]).sum())
    below95 = int(f.isin(["below 95% limit", "below 99.8% limit"]).sum())
    out998 = int(f.isin(["above 99.8% limit", "below 99.8% limit"]).sum())
    counts = (f"{above95} authorities lie above and {below95} below the 95% limits, "
              f"{out998} outside the 99.8% limits")
    where = ""
    if len(me):
        r = me.iloc[0]
        flag = r["funnel_flag"]
        where = (f" {result.area.name} ({fmt(measure, r['value'])} on "
                 f"{r['denominator_fte']:,.1f} FTE) lies "
                 f"{'within the limits' if flag == 'within limits' else flag.replace(' 9', ' the 9')}"
                 f" (95% limits at its size {fmt(measure, r['lo95'])} to "
                 f"{fmt(measure, r['hi95'])}).")
    return (f"Funnel plot of the {label} in {result.year} for {len(pts)} authorities against "
            f"their FTE denominator, centred on England's {fmt(measure, pts.attrs['target'])}: "
            f"{counts}.{where}")
