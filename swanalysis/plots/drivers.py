"""Forest plot of hazard ratios for leaving (both models side by side).

Takes the DataFrame from :func:`swanalysis.drivers.hazard_ratio_table`; alt text comes from
:func:`forest_alt_text` (below).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import drivers as D
from ..drivers import KEY_TERMS, MODELS, term_label
from ..drivers import term_label as _term_label
from . import palette

MODEL_LABELS = {name: model.legend for name, model in MODELS.items()}


def _log_ticks(lo: float, hi: float) -> list[float]:
    """Readable ticks on a log axis: no two closer than 8% apart."""
    candidates = (0.25, 0.5, 0.75, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25, 1.5, 2, 3, 4, 6, 8)
    ticks: list[float] = []
    for t in candidates:
        if lo <= t <= hi and (not ticks or t / ticks[-1] >= 1.08 or t == 1.0):
            if ticks and t == 1.0 and t / ticks[-1] < 1.08:
                ticks.pop()
            ticks.append(t)
    return ticks


def forest_plot(table: pd.DataFrame, ax=None, *, terms: str | list[str] = "all"):
    """Hazard ratios with 95% intervals, one row per term, the models offset side by side.

    A log scale with a reference line at 1 (no association); one marker and colour per model of
    :data:`swanalysis.drivers.MODELS`.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`swanalysis.drivers.hazard_ratio_table` (``DriversResult.table()``).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new A4-width figure).
    terms : "all", "key" or list of str, default "all"
        Which terms: all, caseload and salary only ("key"), or those listed.

    Returns
    -------
    matplotlib.axes.Axes
        The drawing; its alt text comes from :func:`forest_alt_text`.

    Examples
    --------
    >>> import pandas as pd
    >>> from swanalysis.plots.drivers import forest_plot, forest_alt_text
    >>> table = pd.DataFrame({"model": ["cox_time_varying", "discrete_time_logit"], "term": "caseload",
    ...                       "unit": "per case", "hazard_ratio": [1.05, 1.06], "ci_lower": [1.01, 1.01],
    ...                       "ci_upper": [1.09, 1.11], "p_value": [0.01, 0.02], "n_workers": 300, "n_events": 60})
    >>> ax = forest_plot(table)
    >>> ax.get_xscale()
    'log'
    >>> forest_alt_text(table)[-70:]
    ' 1.05 (95% CI 1.01 to 1.09); discrete-time 1.06 (95% CI 1.01 to 1.11).'
    """
    palette.use()
    if terms == "key":
        table = table[table["term"].isin(KEY_TERMS)]
    elif isinstance(terms, list):
        table = table[table["term"].isin(terms)]
    order = [t for t in KEY_TERMS if t in set(table["term"])]
    order += [t for t in pd.unique(table["term"]) if t not in order]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, min(4.6, 1.4 + 0.4 * max(len(order), 1))))
    if table.empty:
        ax.text(0.5, 0.5, "Too few leavers to estimate hazard ratios", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    models = [m for m in MODEL_LABELS if m in set(table["model"])]
    colours = [palette.DARK_BLUE, palette.ORANGE]
    offsets = np.linspace(-0.15, 0.15, len(models)) if len(models) > 1 else [0.0]
    y_of = {t: i for i, t in enumerate(order)}
    for model, colour, off in zip(models, colours, offsets):
        sub = table[table["model"] == model]
        y = np.array([y_of[t] for t in sub["term"]]) + off
        hr = sub["hazard_ratio"].to_numpy(float)
        err = np.vstack([hr - sub["ci_lower"].to_numpy(float), sub["ci_upper"].to_numpy(float) - hr])
        ax.errorbar(hr, y, xerr=err, fmt="o" if model == "cox_time_varying" else "s", color=colour,
                    ecolor=colour, capsize=3, markersize=5, linewidth=1.5, label=MODEL_LABELS[model])
    ax.axvline(1.0, color=palette.DARK_GREY, linewidth=1, linestyle="--")
    ax.set_xscale("log")
    units = table.drop_duplicates("term").set_index("term")["unit"]
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([_term_label(t, units[t]) for t in order])
    ax.invert_yaxis()
    lo = min(table["ci_lower"].min(), 0.9)
    hi = max(table["ci_upper"].max(), 1.1)
    ax.set_xlim(lo / 1.05, hi * 1.05)
    ticks = _log_ticks(lo / 1.05, hi * 1.05)
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("Hazard ratio for leaving (95% CI); < 1 less likely to leave, > 1 more likely")
    ax.tick_params(labelsize=10)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False, fontsize=9,
              borderaxespad=0.2)
    ax.set_title("What is associated with leaving", loc="left", pad=22)
    return ax


def forest_alt_text(table: pd.DataFrame) -> str:
    """Alt text for the forest plot drawn from :func:`hazard_ratio_table` output."""
    if table.empty:
        return "No hazard ratios: too few leavers to estimate them."
    parts = []
    for term in [t for t in KEY_TERMS if t in set(table["term"])] + sorted(
        set(table["term"]) - set(KEY_TERMS)
    ):
        sub = table[table["term"] == term]
        vals = "; ".join(
            f"{D.MODELS[r.model].short if r.model in D.MODELS else r.model} {r.hazard_ratio:.2f} "
            f"(95% CI {r.ci_lower:.2f} to {r.ci_upper:.2f})"
            for r in sub.itertuples()
        )
        parts.append(f"{term_label(term, sub['unit'].iloc[0])}: {vals}")
    return (
        "Forest plot of hazard ratios for leaving, two models side by side, on a log scale with a "
        "line at 1 (no association). " + ". ".join(parts) + "."
    )
