"""Government Analysis Function colour palettes (colour-blind safe, WCAG-checked on white).

Source: Government Analysis Function, "Data visualisation: colours" guidance.
Use the categorical palette in this order and at most 6 colours in one chart.
"""

from __future__ import annotations

DARK_BLUE = "#12436D"
TURQUOISE = "#28A197"
DARK_PINK = "#801650"
ORANGE = "#F46A25"
DARK_GREY = "#3D3D3D"
LIGHT_PURPLE = "#A285D1"

CATEGORICAL = [DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE, DARK_GREY, LIGHT_PURPLE]

# Focus palette: highlight one thing, everything else in grey.
FOCUS = DARK_BLUE
CONTEXT = "#BFBFBF"

# Sequential (dark blue ramp) for ordered categories.
SEQUENTIAL = ["#12436D", "#2073BC", "#6BACE6", "#BFDEF7"]

# Role colours used consistently across figures.
AUTHORITY = DARK_BLUE
SN_MEDIAN = TURQUOISE
REGION = DARK_PINK
ENGLAND = ORANGE
COMPARATOR = CONTEXT


def use() -> None:
    """Make the categorical palette matplotlib's and seaborn's default colour cycle."""
    import matplotlib as mpl

    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=CATEGORICAL)
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = ["Arial", "Liberation Sans", "DejaVu Sans"]
    mpl.rcParams["axes.spines.top"] = False
    mpl.rcParams["axes.spines.right"] = False
    mpl.rcParams["figure.dpi"] = 100
