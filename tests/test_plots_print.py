"""Charts as they print on A4: drawn at print size (at most 7 x 4.7 in), no text under 9 pt, value
labels never struck through by reference lines, months in 12-month steps, at most two confidence
bands in a panel, long DfE labels shortened in legends, no band for a group without an interval."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402

from swanalysis import benchmark as B  # noqa: E402
from swanalysis import tenure as T  # noqa: E402
from swanalysis import workforce as W  # noqa: E402
from swanalysis.plots import benchmark as PB  # noqa: E402
from swanalysis.plots import tenure as PT  # noqa: E402


def _texts(fig):
    out = []
    for t in fig.findobj(matplotlib.text.Text):
        if t.get_visible() and t.get_text().strip():
            out.append(t)
    return out


def _printable(fig):
    w, h = fig.get_size_inches()
    assert w <= 7.05 and h <= 4.7, f"figure {w:.1f} x {h:.1f} in is scaled down on A4"
    fig.canvas.draw()
    small = sorted({(t.get_fontsize(), t.get_text()[:30]) for t in _texts(fig) if t.get_fontsize() < 9})
    assert not small, f"text under 9 pt: {small[:5]}"


@pytest.fixture(scope="module")
def episodes(synthetic_council):
    from swanalysis.workerdata.ingest import ingest

    c = synthetic_council
    return ingest(c.returns, hr=c.payroll_path, hr_map=c.hr_map_path,
                  key=b"plots-test-key" * 2).episodes


def test_ranked_bar_labels_sit_above_the_reference_lines(data_dir):
    res = B.benchmark("Wokingham", 2023, comparators=["Slough", "Reading", "Bracknell Forest"],
                      data_dir=data_dir)
    ax = PB.ranked_bar(res, "agency_rate")
    fig = ax.figure
    _printable(fig)
    lines = [ln for ln in ax.get_lines()]
    assert len(lines) == 3  # neighbours' median, region, England
    labels = [t for t in ax.texts if isinstance(t, Annotation)]
    assert len(labels) == len(B.ranked_bar_data(res, "agency_rate"))
    for t in labels:
        box = t.get_bbox_patch()
        assert box is not None and box.get_facecolor()[:3] == (1.0, 1.0, 1.0)
        assert t.get_zorder() > max(ln.get_zorder() for ln in lines)
    # the key is outside the axes (under the chart), so it covers no bar
    assert ax.get_legend() is None and fig.legends
    plt.close("all")


def test_funnel_axis_is_labelled_in_plain_words(data_dir):
    res = B.benchmark("Wokingham", 2023, data_dir=data_dir)
    ax = PB.funnel(res, "agency_rate")
    assert "log" not in ax.get_xlabel().lower()
    _printable(ax.figure)
    plt.close("all")


def test_retention_by_group_is_small_multiples_with_12_month_steps(episodes):
    curves = T.retention_curve(episodes, by="entry_route", min_group=10)
    assert len(curves.groups) > PT.MAX_BANDS
    ax = PT.plot_retention(curves)
    fig = ax.figure
    _printable(fig)
    drawn = [a for a in fig.axes if a.axison]
    assert len(drawn) == len(curves.groups)
    for a in drawn:
        assert len([c for c in a.collections if isinstance(c, PolyCollection)]) <= PT.MAX_BANDS
        assert all(t % 12 == 0 for t in a.get_xticks())
    plt.close("all")
    one = PT.plot_retention(T.retention_curve(episodes, min_group=10))
    assert list(one.get_xticks()) == [0, 12, 24, 36, 48, 60]
    _printable(one.figure)
    plt.close("all")


def test_destinations_have_12_month_steps_and_at_most_two_bands_a_panel(episodes):
    cif = T.cumulative_incidence(episodes)
    ax = PT.plot_cumulative_incidence(cif)
    fig = ax.figure
    _printable(fig)
    for a in (a for a in fig.axes if a.axison):
        assert list(a.get_xticks()) == [0, 12, 24, 36, 48, 60]
        assert len([c for c in a.collections if isinstance(c, PolyCollection)]) <= PT.MAX_BANDS
    plt.close("all")


def test_long_dfe_reasons_are_shortened_in_the_legend(episodes):
    reasons = W.leaving_reasons(episodes, by="reason_leave")
    ax = PT.plot_leaving_reasons(reasons, by="reason_leave")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels and max(len(x) for x in labels) <= 30
    long = "Moved to a Non-child and Family Social Work Role Within LA"
    assert PT.short_label(long) == "Other role in the council"
    assert PT.short_label("A very long label that no one has shortened by hand yet") \
        .endswith("…")
    plt.close("all")


def test_no_band_for_a_group_without_an_interval():
    flat = pd.DataFrame({"months": [0.0, 12.0], "retention": [1.0, 1.0],
                         "ci_lower": [1.0, 1.0], "ci_upper": [1.0, 1.0]})
    assert not PT._has_interval(flat)
    assert not PT._has_interval(flat.assign(ci_lower=np.nan, ci_upper=np.nan))
    assert PT._has_interval(flat.assign(ci_lower=[1.0, 0.8]))
