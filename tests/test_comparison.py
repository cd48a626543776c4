"""The one comparison with England, across every authority: no sentence claims a significant
difference that the funnel plot does not show, or the reverse.

The funnel flags are recomputed here from the published rates and the FTE denominators with
scipy (Spiegelhalter 2005, additive overdispersion from 10%-winsorised z-scores), independently
of ``benchmark.funnel_points``; the sentences come from ``benchmark.describe``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

from swanalysis import benchmark as B
from swanalysis.published.areas import all_areas
from swanalysis.published.panel import load_panel


@pytest.fixture(scope="module")
def panel(data_dir):
    return load_panel(data_dir)


def independent_funnel(panel, measure, year):
    """{old_la_code: 'above' | 'below' | 'similar'} at the 95% limits, by hand."""
    lat = panel[panel["is_latest"] & (panel["time_period"] == year) & ~panel["is_subregion"]]
    p0 = lat[(lat["area_level"] == "national") & (lat["measure"] == measure)]["value"].iloc[0] / 100
    la = lat[lat["area_level"] == "la"].pivot_table(index="old_la_code", columns="measure",
                                                    values="value", aggfunc="first")
    num, parts = B.DENOMINATORS[measure]
    n = sum(la[c] for c in parts)
    p = la[measure] / 100
    ok = p.notna() & n.notna() & (n > 0)
    p, n = p[ok], n[ok]
    s2 = p0 * (1 - p0) / n
    z = (p - p0) / np.sqrt(s2)
    zw = np.asarray(stats.mstats.winsorize(z.to_numpy(), limits=(0.1, 0.1)))
    k = len(z)
    phi = np.mean(zw ** 2)
    w = 1 / s2
    tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    zadj = (p - p0) / np.sqrt(s2 + tau2)
    return {code: ("above" if v > 1.959964 else "below" if v < -1.959964 else "similar")
            for code, v in zadj.items()}


SIG = re.compile(r"significant(ly)? (difference|above|below)")


@pytest.mark.slow
@pytest.mark.parametrize("year", [2022, 2025])
def test_no_sentence_contradicts_the_funnel(panel, year):
    truth = {m: independent_funnel(panel, m, year) for m in B.RATE_MEASURES}
    areas = all_areas(panel, year)
    checked = 0
    for code in areas["old_la_code"]:
        r = B.benchmark(code, year, panel=panel, measures=B.RATE_MEASURES, first_year=year - 1)
        s = r.summary.set_index("measure")
        for m in B.RATE_MEASURES:
            want = truth[m].get(code)
            text = B.describe(r, m)
            if want is None:
                assert "significant" not in text, (code, m)
                continue
            assert s.loc[m, "significance"] == want, (code, m)
            said = ("not tested" if not SIG.search(text) else
                    "similar" if "not a significant difference" in text else
                    "above" if "a significant difference, above England" in text else
                    "below" if "a significant difference, below England" in text else "?")
            assert said == want, (code, m, text)
            # the gap is stated in points, in the direction of the funnel's z-score
            gap = s.loc[m, "value"] - s.loc[m, "england"]
            if round(gap, 1) != 0:
                assert f"{abs(gap):.1f} points {'above' if gap > 0 else 'below'} England" in text
            checked += 1
    assert checked > 4 * 140
