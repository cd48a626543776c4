import numpy as np
import pandas as pd
import pytest

from swanalysis import disclosure as D


def _workers():
    # team A: 12 distinct workers (15 rows: 3 with two spells); team B: 9 workers; team C: 30 rows of 10 workers
    rows = [("A", f"a{i % 12}") for i in range(15)] + [("B", f"b{i}") for i in range(9)]
    rows += [("C", f"c{i % 10}") for i in range(30)]
    return pd.DataFrame(rows, columns=["team", "worker_id"])


def test_small_groups_are_dropped_and_named_counting_distinct_workers():
    df = _workers()
    out, notes = D.suppress_small_groups(df, "team")
    assert set(out["team"]) == {"A", "C"}  # B has 9 workers; C has 30 rows but exactly 10 workers
    assert notes == ["team = B (fewer than 10 workers)"]
    assert len(df) == 54  # input untouched
    out, notes = D.suppress_small_groups(df, "team", id_col=None, min_group=16)
    assert set(out["team"]) == {"C"}  # counting rows: A 15, B 9
    assert D.suppression_note(notes, min_group=16) == (
        "Groups with fewer than 16 workers are not shown, to protect individuals: team = A; team = B."
    )
    assert D.suppression_note([]) == ""


def test_group_sizes_from_a_mapping_or_column():
    t = pd.DataFrame({"group": ["x", "x", "y"], "months": [12, 24, 12], "n": [40, 40, 6]})
    out, notes = D.suppress_small_groups(t, "group", size_col="n")
    assert out["group"].tolist() == ["x", "x"] and notes == ["group = y (fewer than 10 workers)"]
    out, notes = D.suppress_small_groups(t, "group", sizes={"x": 3, "y": 50}, label="role")
    assert out["group"].tolist() == ["y"] and notes == ["role = x (fewer than 10 workers)"]


def test_cells_under_five_are_masked():
    t = pd.DataFrame({"group": list("abcde"), "at_risk": [0, 1, 4, 5, 120], "events": [3, np.nan, 7, 2, 60],
                      "retention": [0.5, 0.6, 0.7, 0.8, 0.9]})
    out, notes = D.mask_small_counts(t, ["at_risk", "events"])
    assert out["at_risk"].tolist() == ["<5", "<5", "<5", 5, 120]
    assert out["events"].iloc[0] == "<5" and pd.isna(out["events"].iloc[1]) and out["events"].iloc[3] == "<5"
    assert out["events"].iloc[2] == 7
    assert out["retention"].tolist() == t["retention"].tolist()
    assert notes == ["row 0, column at_risk", "row 1, column at_risk", "row 2, column at_risk",
                     "row 0, column events", "row 3, column events"]
    assert t["at_risk"].tolist() == [0, 1, 4, 5, 120]  # input untouched
    out, _ = D.mask_small_counts(t, ["at_risk"], mask_zero=False)
    assert out["at_risk"].tolist() == [0, "<5", "<5", 5, 120]
    assert D.is_masked(out["at_risk"].iloc[1]) and not D.is_masked(5)
    assert D.safe_count(3) == "<5" and D.safe_count(1234) == "1,234"
    with pytest.raises(KeyError):
        D.mask_small_counts(t, ["nope"])


def test_masked_csv_round_trip_keeps_mask():
    t = pd.DataFrame({"at_risk": [2, 50]})
    out, _ = D.mask_small_counts(t, ["at_risk"])
    text = out.to_csv(index=False)
    assert text.splitlines() == ["at_risk", "<5", "50"]
