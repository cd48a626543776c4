"""Fan chart of a workforce projection (:mod:`swanalysis.forecast`).

The recorded years as a solid line, the central projection as a dashed line, and shaded bands
for the 50%, 80% and 95% intervals of the simulation draws (darker = more likely), in the
Government Analysis Function blues. Alt text: :func:`alt_text_fan` (beside the chart).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..forecast import BASELINE, MEASURE_LABELS, ForecastResult
from ..forecast import alt_text as _alt_text
from . import palette

BANDS = (0.95, 0.80, 0.50)
BAND_COLOURS = (palette.SEQUENTIAL[3], palette.SEQUENTIAL[2], palette.SEQUENTIAL[1])


def fan_chart(result: ForecastResult, measure: str = "inpost_fte", ax=None, *,
              scenario: str = BASELINE, history_years: int = 6):
    """Recorded values and the projection's 50/80/95% bands for one measure.

    Parameters
    ----------
    result : ForecastResult
        From :func:`swanalysis.forecast.project`.
    measure : str
        One of :data:`swanalysis.forecast.MEASURES` (default in-post FTE).
    ax : matplotlib Axes, optional
        Drawn on a new figure when not given.
    scenario : str
        Which scenario's draws to fan (default the baseline).
    history_years : int
        How many recorded years to show before the projection.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from swanalysis.published.panel import load_panel
    >>> from swanalysis.forecast import fit, project
    >>> res = project(fit("Wokingham", panel=load_panel(), origin=2023), horizon=2)
    >>> ax = fan_chart(res, "agency_rate")
    >>> len(ax.collections)         # the 50%, 80% and 95% bands
    3
    >>> alt_text_fan(res, "agency_rate")[:61]
    'Fan chart of agency share of social workers (%) for Wokingham'
    """
    palette.use()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    draws = result.draws[scenario][measure]
    years = np.array(result.years)
    hist = result.model.history[measure].dropna() if measure in result.model.history else None
    origin = result.model.origin
    if measure in ("inpost_fte", "inpost_headcount"):  # the stock the projection starts from
        start = result.model.start[measure]
    elif hist is not None and origin in hist.index:
        start = float(hist.loc[origin])
    else:
        start = None
    x = np.concatenate([[origin], years]) if start is not None else years
    for level, colour in zip(BANDS, BAND_COLOURS):
        a = (1 - level) / 2
        lo, hi = np.nanquantile(draws, [a, 1 - a], axis=0)
        if start is not None:
            lo, hi = np.concatenate([[start], lo]), np.concatenate([[start], hi])
        ax.fill_between(x, lo, hi, color=colour, linewidth=0, label=f"{int(level * 100)}% of futures")
    central = np.nanmean(draws, axis=0)
    if start is not None:
        central = np.concatenate([[start], central])
    ax.plot(x, central, color=palette.DARK_BLUE, linestyle="--", linewidth=2, label="Projection")
    if hist is not None and len(hist):
        hist = hist[hist.index > origin - history_years]
        ax.plot(hist.index, hist.to_numpy(float), color=palette.DARK_BLUE, linewidth=2.5,
                marker="o", markersize=4, label="Recorded")
    ax.axvline(origin + 0.5, color=palette.DARK_GREY, linewidth=0.8, linestyle=":")
    ax.set_xlabel("Year ending 30 September")
    ax.set_ylabel(MEASURE_LABELS.get(measure, measure)[0].upper() + MEASURE_LABELS.get(measure, measure)[1:])
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=9, loc="lower left", ncol=2)
    ax.set_title(f"{result.model.la}: {MEASURE_LABELS.get(measure, measure)}", fontsize=11, loc="left")
    return ax


def alt_text_fan(result: ForecastResult, measure: str = "inpost_fte") -> str:
    """Alt text for :func:`fan_chart` (recorded start and end, projected value and range)."""
    return _alt_text(result, measure)
