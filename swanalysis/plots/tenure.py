"""Figures for tenure and the stock measures: retention curves, service and destination bars.

Computing lives in :mod:`swanalysis.tenure` and :mod:`swanalysis.workforce`; these functions take
their results and return matplotlib Axes. Each figure's alt text is at the end of this module,
beside the drawing functions: :func:`alt_text_retention`, :func:`alt_text_destinations`,
:func:`alt_text_service_bars`, :func:`alt_text_reasons`.

Small numbers: groups under the threshold never reach these functions (suppressed upstream and
named in a note under the figure); numbers at risk under 5 are printed as "<5".
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MultipleLocator, PercentFormatter

from .. import _docs
from ..disclosure import MIN_GROUP, safe_count, suppression_note
from ..tenure import (
    GROUP_VARS,
    RetentionCurves,
    _pct,
    _table_from_curves,
    describe_destinations,
    destination_at,
    group_label,
)
from ..workforce import SERVICE_BAND_LABELS
from . import palette

#: Figures are drawn at the size they print on A4 (at most 7 in wide), so these are printed
#: point sizes: nothing smaller than 9 pt.
TEXT_PT = 10
NOTE_PT = 9
#: At most this many confidence bands share one panel; more groups are drawn as small multiples.
MAX_BANDS = 2
MONTH_STEP = 12


#: Text shared by the docstrings here, written once (see :mod:`swanalysis._docs`).
_SHARED_DOC = {
    "example": _docs.lines(
        '>>> import pandas as pd',
        '>>> from swanalysis import tenure',
        '>>> from swanalysis.plots.tenure import plot_retention, plot_cumulative_incidence, alt_text_retention',
        '>>> ep = pd.DataFrame({"duration_days": [100, 400, 800, 1200, 300, 900, 2000, 500],',
        '...                    "event": [1, 1, 0, 0, 1, 0, 0, 1],',
        '...                    "entry_days": [0, 0, 0, 300, 0, 0, 700, 0], "agency": False,',
        '...                    "destination_group": ["another_la", "agency", None, None, "another_la", None, None, "agency"]})',
    ),
}


def month_ticks(max_months: float) -> list[int]:
    """Every 12 months from 0 (0, 12, 24, ...), the same on every chart."""
    return list(range(0, int(max_months) + 1, MONTH_STEP))


#: The DfE's longest code labels, shortened for a legend (tables keep the full label).
SHORT_LABELS = {
    "Moved to a Non-child and Family Social Work Role Within LA": "Other role in the council",
    "Other Social Care Role in Local Authority/Non-local Authority (in England)":
        "Other social care role",
    "Non-social Care Role/Any Role Outside England/No Employment/Career Break":
        "Left social care or England",
    "Agency or Consultancy in Social Work (in England)": "Agency social work",
    "Other Social Work Role Non-local Authority (in England)": "Social work, not a council",
    "Social Work Role in a Different Local Authority in England": "Another council",
}


def short_label(text: str, width: int = 30) -> str:
    """A legend-sized label: a known short form of a DfE label, else cut at a word with '…'."""
    import textwrap

    text = str(text)
    if text in SHORT_LABELS:
        return SHORT_LABELS[text]
    return text if len(text) <= width else textwrap.shorten(text, width, placeholder="…")


def _has_interval(c: pd.DataFrame) -> bool:
    """A band is drawn only where it says something: not for a group whose interval is missing
    or has no width anywhere (too few people to estimate one)."""
    lo, hi = c["ci_lower"].to_numpy(float), c["ci_upper"].to_numpy(float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    return bool(ok.any() and (hi[ok] - lo[ok]).max() > 1e-9)

DESTINATION_COLOURS = {
    "another_la": palette.DARK_BLUE,
    "agency": palette.ORANGE,
    "left_social_work": palette.DARK_PINK,
    "other": palette.DARK_GREY,
    "unknown": palette.CONTEXT,
    "not recorded": palette.CONTEXT,
}


def _group_label(group_var: str, group: str) -> str:
    from ..tenure import group_label

    if group_var == "all":
        return "All"
    label = group_label(group_var, group)
    return label[:1].upper() + label[1:]


@_docs.fill(_SHARED_DOC)
def plot_retention(
    res,
    ax=None,
    *,
    max_months: float = 60,
    at_risk_months=(0, 12, 24, 36, 48, 60),
    naive=None,
    title: str | None = None,
):
    """Retention curves (steps) with 95% bands and a numbers-at-risk table under the axis.

    Groups suppressed upstream are named under the axis. With more than two groups and no ``ax``,
    each group gets its own panel (small multiples) so that bands do not overlap.

    Parameters
    ----------
    res : RetentionCurves
        From :func:`swanalysis.tenure.retention_curve`.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new A4-width figure).
    max_months : float, default 60
        Right end of the tenure axis.
    at_risk_months : sequence of float, default (0, 12, 24, 36, 48, 60)
        Tenures of the numbers-at-risk table.
    naive : RetentionCurves, optional
        The whole workforce with ``late_entry=False``: drawn as a dashed grey line, to show what
        ignoring late entry would claim.
    title : str, optional
        A title over the drawing.

    Returns
    -------
    matplotlib.axes.Axes
        The drawing (the first panel with small multiples); its alt text comes from
        :func:`alt_text_retention`.

    Examples
    --------
    ${example}
    >>> res = tenure.retention_curve(ep, min_group=None)
    >>> naive = tenure.retention_curve(ep, late_entry=False, min_group=None)
    >>> ax = plot_retention(res, naive=naive)
    >>> ax.get_ylabel()
    'Still in post'
    >>> alt_text_retention(res)[-40:]
    'all: 69% at 12 months, 42% at 24 months.'
    """
    palette.use()
    drawable = [g for g in res.groups if (res.curves.loc[res.curves["group"] == g, "months"] > 0).any()]
    not_estimable = [g for g in res.groups if g not in drawable]
    groups = drawable[: len(palette.CATEGORICAL)]
    too_many = drawable[len(palette.CATEGORICAL):]
    n_rows = len(groups) + 1
    if ax is None and len(groups) > MAX_BANDS:
        return _retention_panels(res, groups, max_months, title)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, min(4.6, 3.4 + 0.26 * n_rows)))
    if res.curves.empty:
        ax.text(0.5, 0.5, "Too few social workers to draw retention curves", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    colours = palette.CATEGORICAL if len(groups) > 1 else [palette.FOCUS]
    for grp, colour in zip(groups, colours):
        c = _extend(res.curves.loc[(res.curves["group"] == grp) & (res.curves["months"] <= max_months)],
                    min(res.until.get(grp, max_months), max_months))
        label = _group_label(res.group_var, grp)
        ax.step(c["months"], c["retention"], where="post", color=colour, linewidth=2, label=label)
        if len(groups) <= MAX_BANDS and _has_interval(c):
            ax.fill_between(c["months"], c["ci_lower"], c["ci_upper"], step="post", color=colour,
                            alpha=0.18 if len(groups) == 1 else 0.1, linewidth=0)
    if naive is not None and not naive.curves.empty:
        c = _extend(naive.curves.loc[naive.curves["months"] <= max_months],
                    min(naive.until.get("all", max_months), max_months))
        ax.step(c["months"], c["retention"], where="post", color=palette.DARK_GREY, linestyle="--",
                linewidth=1.5, label="Ignoring late entry (overstates)")
    ax.set_xlim(0, max_months)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ticks = [m for m in at_risk_months if m <= max_months]
    ax.set_xticks(ticks)
    ax.tick_params(labelsize=TEXT_PT)
    ax.set_xlabel("Months since starting")
    ax.set_ylabel("Still in post")
    ax.grid(axis="y", color="#E0E0E0", linewidth=0.8)
    if title:
        ax.set_title(title, loc="left")
    if len(groups) > 1 or naive is not None:
        ax.legend(frameon=False, loc="lower left", fontsize=TEXT_PT)
    _at_risk_table(ax, res, groups, colours, ticks)
    notes = [suppression_note(res.suppressed, min_group=res.min_group or 0)]
    if not_estimable:
        names = ", ".join(_group_label(res.group_var, g) for g in not_estimable)
        notes.append(f"Not drawn, as nobody in them was observed from their start: {names}.")
    if too_many:
        names = ", ".join(_group_label(res.group_var, g) for g in too_many)
        notes.append(f"Not drawn, to keep the chart readable (see the table): {names}.")
    note = " ".join(n for n in notes if n)
    if note:
        ax.annotate(note, xy=(0, 0), xycoords="figure fraction", xytext=(6, 4), textcoords="offset points",
                    fontsize=NOTE_PT, color=palette.DARK_GREY, wrap=True)
    return ax


def _retention_panels(res, groups, max_months, title=None):
    """More groups than :data:`MAX_BANDS`: one small panel per group, its curve and band over the
    other groups' curves in light grey, with its numbers at risk under the panel."""
    n = len(groups)
    ncols = 2
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.9, min(4.6, 2.1 * nrows + 0.6)), sharex=True,
                             sharey=True, layout="constrained", squeeze=False)
    ticks = month_ticks(max_months)
    curves = {}
    for grp in groups:
        curves[grp] = _extend(res.curves.loc[(res.curves["group"] == grp)
                                             & (res.curves["months"] <= max_months)],
                              min(res.until.get(grp, max_months), max_months))
    at = res.at_risk(ticks)
    for i, (ax, grp) in enumerate(zip(axes.flat, groups)):
        for other in groups:
            if other != grp:
                c = curves[other]
                ax.step(c["months"], c["retention"], where="post", color=palette.CONTEXT,
                        linewidth=1)
        c = curves[grp]
        ax.step(c["months"], c["retention"], where="post", color=palette.FOCUS, linewidth=2)
        if _has_interval(c):
            ax.fill_between(c["months"], c["ci_lower"], c["ci_upper"], step="post",
                            color=palette.FOCUS, alpha=0.18, linewidth=0)
        ax.set_title(_group_label(res.group_var, grp), loc="left", fontsize=TEXT_PT)
        ax.set_xlim(0, max_months)
        ax.set_ylim(0, 1.02)
        ax.set_xticks(ticks)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.tick_params(labelsize=TEXT_PT, labelbottom=True)
        ax.grid(axis="y", color="#E0E0E0", linewidth=0.8)
        row = at.loc[at["group"] == grp]
        until = res.until.get(grp, np.inf)
        ax.text(-0.08, -0.3, "At risk", transform=ax.transAxes, ha="right", va="top",
                fontsize=NOTE_PT, color=palette.DARK_GREY)
        for m, k in zip(row["months"], row["at_risk"]):
            ax.text(m, -0.3, safe_count(k) if m <= until else "", ha="center", va="top",
                    transform=ax.get_xaxis_transform(), fontsize=NOTE_PT)
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    fig.supxlabel("Months since starting", fontsize=TEXT_PT)
    fig.supylabel("Still in post", fontsize=TEXT_PT)
    if title:
        fig.suptitle(title, x=0.01, ha="left")
    return axes.flat[0]


def _extend(c: pd.DataFrame, to: float) -> pd.DataFrame:
    """Carry the last step on to ``to`` (the curve is flat until the end of follow-up)."""
    if len(c) and c["months"].iloc[-1] < to:
        last = c.iloc[[-1]].copy()
        last["months"] = to
        c = pd.concat([c, last], ignore_index=True)
    return c


def _at_risk_table(ax, res, groups, colours, ticks):
    """Numbers still being followed at each tick, one row per group, under the x axis."""
    at = res.at_risk(ticks)
    line = 0.26  # inches per row
    fig_h = ax.figure.get_figheight()
    step = line / fig_h / ax.get_position().height
    top = -0.16
    ax.text(-0.04, top, "Number at risk", transform=ax.transAxes, ha="right", va="top",
            fontsize=TEXT_PT, fontweight="bold", color=palette.DARK_GREY)
    for i, (grp, colour) in enumerate(zip(groups, colours)):
        y = top - (i + 1) * step
        ax.text(-0.04, y, _group_label(res.group_var, grp), transform=ax.transAxes, ha="right", va="top",
                fontsize=TEXT_PT, color=colour)
        row = at.loc[at["group"] == grp]
        until = res.until.get(grp, np.inf)
        for m, n in zip(row["months"], row["at_risk"]):
            text = safe_count(n) if m <= until else ""  # beyond follow-up: blank, not "<5"
            ax.text(m, y, text, transform=ax.get_xaxis_transform(), ha="center", va="top",
                    fontsize=TEXT_PT)
    longest = max([len("Number at risk")] + [len(_group_label(res.group_var, g)) for g in groups])
    fig_w = ax.figure.get_figwidth()
    ax.figure.subplots_adjust(bottom=min(0.6, 0.12 + (len(groups) + 2) * line / fig_h),
                              left=min(0.4, 0.08 + longest * 0.05 / fig_w), right=0.97)


@_docs.fill(_SHARED_DOC)
def plot_cumulative_incidence(cif: pd.DataFrame, ax=None, *, max_months: float = 60):
    """Cumulative share who had left, by destination, with 95% bands.

    With more than two destinations and no ``ax``, each gets its own panel (small multiples).

    Parameters
    ----------
    cif : pandas.DataFrame
        From :func:`swanalysis.tenure.cumulative_incidence`.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new A4-width figure).
    max_months : float, default 60
        Right end of the tenure axis.

    Returns
    -------
    matplotlib.axes.Axes
        The drawing (the first panel with small multiples); its alt text comes from
        :func:`alt_text_destinations`.

    Examples
    --------
    ${example}
    >>> cif = tenure.cumulative_incidence(ep)
    >>> ax = plot_cumulative_incidence(cif)
    >>> sorted(set(cif["destination_group"]))
    ['agency', 'another_la']
    """
    from ..tenure import DESTINATION_LABELS

    palette.use()
    dests = list(pd.unique(cif["destination_group"])) if len(cif) else []
    if ax is None and len(dests) > MAX_BANDS:
        return _cif_panels(cif, dests, max_months)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    if cif.empty:
        ax.text(0.5, 0.5, "No leavers to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    for dest, g in cif.groupby("destination_group", sort=False):
        g = g.loc[g["months"] <= max_months]
        colour = DESTINATION_COLOURS.get(dest, palette.LIGHT_PURPLE)
        x = np.concatenate([[0.0], g["months"].to_numpy()])
        ax.step(x, np.concatenate([[0.0], g["cif"].to_numpy()]), where="post", color=colour, linewidth=2,
                label=DESTINATION_LABELS.get(dest, dest).capitalize())
        ax.fill_between(x, np.concatenate([[0.0], g["ci_lower"].to_numpy()]),
                        np.concatenate([[0.0], g["ci_upper"].to_numpy()]), step="post", color=colour, alpha=0.15,
                        linewidth=0)
    ax.set_xlim(0, max_months)
    top = float(np.nanmax(cif.loc[cif["months"] <= max_months, "ci_upper"])) if len(cif) else 0.1
    ax.set_ylim(0, min(1.0, max(0.1, top * 1.05)))
    ax.yaxis.set_major_locator(MultipleLocator(0.05 if top <= 0.4 else 0.1))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xticks(month_ticks(max_months))
    ax.tick_params(labelsize=TEXT_PT)
    ax.set_xlabel("Months since starting")
    ax.set_ylabel("Had left, by destination")
    ax.grid(axis="y", color="#E0E0E0", linewidth=0.8)
    ax.legend(frameon=False, loc="upper left", fontsize=TEXT_PT)
    return ax


def _cif_panels(cif: pd.DataFrame, dests, max_months):
    """One small panel per destination (its curve and band), on a shared scale."""
    from ..tenure import DESTINATION_LABELS

    n = len(dests)
    nrows = -(-n // 2)
    fig, axes = plt.subplots(nrows, 2, figsize=(6.9, min(4.6, 2.0 * nrows + 0.6)), sharex=True,
                             sharey=True, layout="constrained", squeeze=False)
    shown = cif.loc[cif["months"] <= max_months]
    top = float(np.nanmax(shown["ci_upper"])) if len(shown) else 0.1
    for ax, dest in zip(axes.flat, dests):
        g = shown.loc[shown["destination_group"] == dest]
        colour = DESTINATION_COLOURS.get(dest, palette.LIGHT_PURPLE)
        if colour == palette.CONTEXT:
            colour = palette.DARK_GREY  # a lone line needs contrast, not the context grey
        x = np.concatenate([[0.0], g["months"].to_numpy()])
        ax.step(x, np.concatenate([[0.0], g["cif"].to_numpy()]), where="post", color=colour,
                linewidth=2)
        if _has_interval(g):
            ax.fill_between(x, np.concatenate([[0.0], g["ci_lower"].to_numpy()]),
                            np.concatenate([[0.0], g["ci_upper"].to_numpy()]), step="post",
                            color=colour, alpha=0.15, linewidth=0)
        ax.set_title(DESTINATION_LABELS.get(dest, dest).capitalize(), loc="left", fontsize=TEXT_PT)
        ax.set_xlim(0, max_months)
        ax.set_ylim(0, min(1.0, max(0.1, top * 1.05)))
        ax.set_xticks(month_ticks(max_months))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.tick_params(labelsize=TEXT_PT)
        ax.grid(axis="y", color="#E0E0E0", linewidth=0.8)
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    fig.supxlabel("Months since starting", fontsize=TEXT_PT)
    fig.supylabel("Had left", fontsize=TEXT_PT)
    return axes.flat[0]


def _drop_small_years(table: pd.DataFrame, count_col: str, min_group: int | None):
    if not min_group:
        return table, []
    totals = table.groupby("census_year")[count_col].sum()
    small = sorted(int(y) for y, n in totals.items() if n < min_group)
    return table.loc[~table["census_year"].isin(small)], small


def _note_small_years(ax, small, min_group):
    if small:
        years = ", ".join(str(y) for y in small)
        ax.annotate(f"Not shown: {years} (fewer than {min_group} leavers).", xy=(0, 0), xycoords="figure fraction",
                    xytext=(6, 4), textcoords="offset points", fontsize=NOTE_PT, color=palette.DARK_GREY)


def _stacked(ax, wide: pd.DataFrame, colours, labels, ylabel):
    bottom = np.zeros(len(wide))
    x = np.arange(len(wide))
    for col, colour in zip(wide.columns, colours):
        vals = wide[col].to_numpy(float)
        ax.bar(x, vals, bottom=bottom, color=colour, label=labels.get(col, col), width=0.7, edgecolor="white")
        for xi, v, b in zip(x, vals, bottom):
            if v >= 0.06:
                ax.text(xi, b + v / 2, f"{100 * v:.0f}%", ha="center", va="center", fontsize=NOTE_PT,
                        color="white" if colour not in (palette.CONTEXT, "#BFDEF7", "#6BACE6") else "black")
        bottom += vals
    ax.set_xticks(x)
    ax.set_xticklabels([str(i) for i in wide.index])
    ax.tick_params(labelsize=TEXT_PT)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel(ylabel)
    ax.set_xlabel("Year to 30 September")
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=NOTE_PT)
    return ax


def plot_leavers_by_service(lbs: pd.DataFrame, ax=None, *, min_group: int | None = MIN_GROUP):
    """Stacked bars: each year's leavers split by length of service (from workforce.leavers_by_service).

    Years with fewer than ``min_group`` leavers are not drawn and are named under the figure.
    """
    from ..workforce import SERVICE_BAND_LABELS, SERVICE_BANDS

    palette.use()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    known, small = _drop_small_years(lbs.loc[lbs["service_band"] != "unknown"], "leavers", min_group)
    if known.empty:
        ax.text(0.5, 0.5, "Too few leavers to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    wide = known.pivot_table(index="census_year", columns="service_band", values="share", aggfunc="sum")
    wide = wide.reindex(columns=SERVICE_BANDS).fillna(0)
    colours = [palette.DARK_PINK, palette.ORANGE, palette.DARK_BLUE, palette.TURQUOISE, palette.DARK_GREY]
    _stacked(ax, wide, colours, SERVICE_BAND_LABELS, "Share of leavers")
    ax.set_title("Leavers by length of service", loc="left")
    ax.figure.tight_layout(rect=(0, 0.04, 1, 1))
    _note_small_years(ax, small, min_group)
    return ax


def plot_leaving_reasons(reasons: pd.DataFrame, by: str = "destination_group", ax=None, *,
                         min_group: int | None = MIN_GROUP):
    """Stacked bars: each year's leavers split by destination group (or reason).

    Years with fewer than ``min_group`` leavers are not drawn and are named under the figure.
    """
    from ..tenure import DESTINATION_LABELS

    palette.use()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    reasons, small = _drop_small_years(reasons, "leavers", min_group)
    if reasons.empty:
        ax.text(0.5, 0.5, "Too few leavers to show", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    wide = reasons.pivot_table(index="census_year", columns=by, values="share", aggfunc="sum").fillna(0)
    order = [c for c in DESTINATION_COLOURS if c in wide.columns] + sorted(
        c for c in wide.columns if c not in DESTINATION_COLOURS
    )
    wide = wide[order]
    spare = iter(palette.CATEGORICAL[::-1])
    colours = [DESTINATION_COLOURS.get(c) or next(spare, palette.LIGHT_PURPLE) for c in order] if by == "destination_group" \
        else (palette.CATEGORICAL * 3)[: len(order)]
    labels = ({c: DESTINATION_LABELS.get(c, c) for c in order} if by == "destination_group"
              else {c: short_label(c) for c in order})
    _stacked(ax, wide, colours, labels, "Share of leavers")
    ax.set_title("Where leavers went" if by == "destination_group" else "Why leavers left", loc="left")
    ax.figure.tight_layout(rect=(0, 0.04, 1, 1))
    _note_small_years(ax, small, min_group)
    return ax


# alt text: what each figure above shows, with its numbers


def alt_text_retention(res: RetentionCurves, months=(12, 24)) -> str:
    """Alt text for :func:`swanalysis.plots.tenure.plot_retention`: what the figure shows, with numbers."""
    table = _table_from_curves(res, months)
    who = "permanent and agency social workers" if res.include_agency else "permanent social workers"
    label = "the whole workforce" if res.group_var == "all" else f"each {GROUP_VARS.get(res.group_var, res.group_var)}"
    bits = []
    for grp in res.groups:
        t = table.loc[table["group"] == grp]
        vals = [f"{_pct(v)} at {int(m)} months" for m, v in zip(t["months"], t["retention"]) if pd.notna(v)]
        if vals:
            bits.append(f"{group_label(res.group_var, grp) if res.group_var != 'all' else 'all'}: {', '.join(vals)}")
    text = (
        f"Step chart of the share of {who} still in post (vertical axis, 0 to 100%) against months since "
        f"they started (horizontal axis), for {label}, with shaded 95% confidence bands and the number "
        f"still being followed under the axis. " + "; ".join(bits) + "."
    )
    if res.suppressed:
        text += f" Not shown (fewer than {res.min_group} workers): {len(res.suppressed)} group(s)."
    return text


def alt_text_destinations(cif: pd.DataFrame, months: int = 24) -> str:
    """Alt text for the cumulative-incidence figure."""
    at = destination_at(cif, (months,))
    return (
        "Line chart of the cumulative share of social workers who had left, by where they went, "
        f"against months since they started. {describe_destinations(at, months)}"
    ).strip()


def alt_text_service_bars(lbs: pd.DataFrame) -> str:
    """Alt text for :func:`swanalysis.plots.tenure.plot_leavers_by_service`."""
    if lbs.empty:
        return "No leavers recorded."
    years = sorted(lbs["census_year"].unique())
    last = lbs.loc[(lbs["census_year"] == years[-1]) & (lbs["service_band"] != "unknown")]
    parts = [f"{SERVICE_BAND_LABELS[b]} {100 * s:.0f}%" for b, s in zip(last["service_band"], last["share"]) if pd.notna(s)]
    return (
        f"Stacked bar chart, one bar per year from {years[0]} to {years[-1]}, splitting the permanent "
        f"social workers who left that year by how long they had been in post. In {years[-1]}: "
        + ", ".join(parts) + f"; {100 * last['within_5y_share'].iloc[0]:.0f}% had under 5 years' service."
    )


def alt_text_reasons(reasons: pd.DataFrame, by: str = "destination_group") -> str:
    """Alt text for :func:`swanalysis.plots.tenure.plot_leaving_reasons`."""
    if reasons.empty:
        return "No leavers recorded."
    years = sorted(reasons["census_year"].unique())
    last = reasons.loc[reasons["census_year"] == years[-1]].sort_values("share", ascending=False)
    parts = [f"{v} {100 * s:.0f}%" for v, s in zip(last[by], last["share"])]
    what = by.replace("_", " ")
    return (
        f"Stacked bar chart, one bar per year from {years[0]} to {years[-1]}, splitting leavers by {what}. "
        f"In {years[-1]}: " + ", ".join(parts) + "."
    )
