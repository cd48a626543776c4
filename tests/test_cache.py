"""swanalysis.published.memo: results derived from a panel are computed once per panel object."""

from __future__ import annotations

import gc

import pandas as pd

from swanalysis.published import memo as cache


def test_memo_is_per_panel_and_per_key():
    calls = []
    a = pd.DataFrame({"x": [1, 2, 3]})
    b = pd.DataFrame({"x": [1, 2, 3]})      # equal but a different object: its own memo

    def compute(tag):
        calls.append(tag)
        return [tag]

    first = cache.memoised(a, "thing", 1, lambda: compute("a1"))
    assert cache.memoised(a, "thing", 1, lambda: compute("again")) is first
    assert cache.memoised(a, "thing", 2, lambda: compute("a2")) == ["a2"]
    assert cache.memoised(a, "other", 1, lambda: compute("a-other")) == ["a-other"]
    assert cache.memoised(b, "thing", 1, lambda: compute("b1")) == ["b1"]
    assert calls == ["a1", "a2", "a-other", "b1"]


def test_memo_goes_with_its_panel_and_ignores_a_changed_one():
    a = pd.DataFrame({"x": [1, 2, 3]})
    cache.memoised(a, "thing", None, lambda: "old")
    a.loc[3] = [4]                           # a caller broke the read-only rule: recompute
    assert cache.memoised(a, "thing", None, lambda: "new") == "new"
    key = id(a)
    assert key in cache._MEMOS
    del a
    gc.collect()
    assert key not in cache._MEMOS           # dropped with the panel: no stale entry to reuse


def test_statistical_neighbours_are_computed_once_and_handed_out_as_copies(data_dir):
    from swanalysis.published import areas
    from swanalysis.published.panel import shared_panel

    panel = shared_panel(data_dir)
    one = areas.statistical_neighbours("Wokingham", panel=panel, year=2022)
    memo = cache.panel_memo(panel, "statistical_neighbours")
    n = len(memo)
    one.data.loc[0, "area_name"] = "changed by a caller"
    one.notes.append("changed too")
    two = areas.statistical_neighbours("Wokingham", panel=panel, year=2022)
    assert len(memo) == n                     # no new computation
    assert "changed by a caller" not in set(two.data["area_name"])
    assert "changed too" not in two.notes
    # and still the DfE's list, in its order (read here straight from the published file)
    import csv

    with open(data_dir / "sn_model_2025_wide.csv", encoding="utf-8-sig", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["old_la_code"] == "872")   # Wokingham
    assert two.data["old_la_code"].tolist() == [row[f"SN_{i}"] for i in range(1, 11)]
