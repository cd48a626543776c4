"""The attacker: recover masked counts from what a report publishes about a council's workers.

For synthetic small councils (Rutland, the Isles of Scilly, the City of London, and more seeds)
every table a report publishes from worker-level data is built with the library and protected
with ``disclosure.protect_table``; the attacker here (written independently of it) then tries to
recover each withheld count, and any unpublished small count, by

* share × total (a share, percentage or retention estimate beside a masked count, with the total
  taken from the row or worked out from another row's count and share),
* differencing cumulative counts (events by 12 then 24 months),
* totals minus the visible parts (a cohort's starters minus those who stayed and left; a year's
  total, worked out from a share, minus the reasons shown; a reason's total over the years minus
  the years shown; the whole workforce minus its entry routes),

and the test fails on any value recovered exactly. A planted leak (a share left beside a "<5")
shows the attacker does recover when it can.
"""

from __future__ import annotations

import itertools
import re
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from swanalysis import disclosure as D

SMALL = 5


def hidden(v) -> bool:
    return isinstance(v, str)


def bound(v) -> float:
    """Largest value a withheld cell can hold, as the attacker reads it."""
    return SMALL - 1 if v == "<5" else math.inf


def num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def solve(remainder: float, cells: list) -> list | None:
    """The values of withheld cells summing to ``remainder``, if there is exactly one way."""
    if not cells or not math.isfinite(remainder):
        return None
    if len(cells) == 1:
        return [remainder]
    if abs(remainder) < 1e-9:
        return [0.0] * len(cells)
    if all(bound(v) < math.inf for v in cells) and abs(remainder - sum(map(bound, cells))) < 1e-9:
        return [bound(v) for v in cells]
    return None


class Attacker:
    def __init__(self):
        self.recovered: list[tuple] = []

    def claim(self, where, value, truth):
        if math.isfinite(value) and abs(value - truth) < 1e-6 and truth < SMALL:
            self.recovered.append((where, value))

    # --- share x total -------------------------------------------------------------------
    def shares(self, name, pub, truth, count, share_cols, totals, scale=1.0):
        """``totals``: per row, candidate denominators the attacker can read or work out."""
        for i in range(len(pub)):
            if not hidden(pub[count].iloc[i]):
                continue
            for s in share_cols:
                x = num(pub[s].iloc[i]) if s in pub else math.nan
                if not math.isfinite(x):
                    continue
                for t in totals(i):
                    if math.isfinite(t):
                        self.claim((name, i, count, f"{s} x total"), round(x * t / scale, 6),
                                   float(truth[count].iloc[i]))
                if x == (1.0 * scale) or x == 0.0:    # retention 1.0 beside events: 0
                    self.claim((name, i, count, f"{s} certain"), 0.0, float(truth[count].iloc[i]))

    # --- totals minus visible parts --------------------------------------------------------
    def parts(self, name, pub, truth, rows, col, total):
        cells = [pub[col].iloc[i] for i in rows]
        vis = [num(c) for c in cells if not hidden(c)]
        masked = [(i, c) for i, c in zip(rows, cells) if hidden(c)]
        got = solve(total - sum(vis), [c for _, c in masked])
        if got is not None:
            for (i, _), v in zip(masked, got):
                self.claim((name, i, col, "total minus parts"), v, float(truth[col].iloc[i]))

    def row_parts(self, name, pub, truth, total_col, part_cols, hidden_truth=None):
        for i in range(len(pub)):
            t = num(pub[total_col].iloc[i])
            if not math.isfinite(t):
                continue
            cells = [pub[c].iloc[i] for c in part_cols]
            vis = sum(num(c) for c in cells if not hidden(c))
            masked = [(c, v) for c, v in zip(part_cols, cells) if hidden(v)]
            rem = t - vis
            if hidden_truth is not None and not masked:
                # an unpublished part: the remainder itself is a count nobody was shown
                self.claim((name, i, "unpublished part", "total minus parts"), rem,
                           float(hidden_truth.iloc[i]))
                continue
            if hidden_truth is not None:
                masked = masked + [("unpublished", "c")]
            got = solve(rem, [v for _, v in masked])
            if got is not None:
                for (c, _), v in zip(masked, got):
                    if c != "unpublished":
                        self.claim((name, i, c, "total minus parts"), v, float(truth[c].iloc[i]))

    # --- cumulative differencing ------------------------------------------------------------
    def cumulative(self, name, pub, truth, col, by, order):
        for _, g in pub.groupby(by, sort=False):
            idx = list(g.sort_values(order).index)
            vals = [(i, pub.at[i, col]) for i in idx]
            last_vis, last_i = 0.0, None
            pending = []
            for i, v in vals:
                if hidden(v):
                    pending.append(i)
                    continue
                x = num(v)
                if not math.isfinite(x):
                    continue
                if last_i is not None or not pending:
                    # the increment between two values shown is itself a count
                    inc_truth = float(truth.at[i, col]) - (float(truth.at[last_i, col]) if last_i is not None else 0.0)
                    if last_i is not None:
                        self.claim((name, i, col, "difference"), x - last_vis, inc_truth)
                if pending and x == last_vis:
                    for j in pending:
                        self.claim((name, j, col, "between equal values"), x, float(truth.at[j, col]))
                last_vis, last_i, pending = x, i, []


# ---------------------------------------------------------------------------------------------


def council_tables(name: str, seed: int, years=(2021, 2022, 2023, 2024, 2025)):
    """The worker-level tables a report publishes (as swanalysis.report.sections builds them),
    unprotected (the truth) — built with the library on a synthetic council."""
    from swanalysis import synth, tenure as T, workforce as W
    from swanalysis.workerdata.ingest import ingest

    council = synth.generate(name, list(years), seed=seed)
    with tempfile.TemporaryDirectory() as d:
        council.write(Path(d))
        w = ingest(council.returns, hr=council.payroll_path, hr_map=council.hr_map_path, key="k")
    ep = w.episodes
    perm = ep[~ep["agency"].astype(bool)]
    out = {"service_stock": W.service_stock(w.worker_years)}
    reasons = W.leaving_reasons(ep, by="reason_leave")
    if len(reasons):
        out["leaving_reasons_by_year"] = reasons
        total = (reasons.groupby("reason_leave")["leavers"].sum().sort_values(ascending=False)
                 .reset_index())
        total["share"] = 100 * total["leavers"] / total["leavers"].sum()
        out["leaving_reasons"] = total
    lbs = W.leavers_by_service(ep)
    if len(lbs):
        out["leavers_by_service"] = lbs
    cohorts = W.asye_cohorts(ep)
    # as the report: intakes since the first census in the data
    cohorts = cohorts[cohorts["cohort"] >= int(w.worker_years["census_year"].min())]
    if len(cohorts):
        out["asye_cohorts"] = cohorts
    out["retention"] = T.retention_table(perm, months=(12, 24, 36), groups=("entry_route",)).table()
    out["own_rates"] = W.council_rates(w.worker_years, getattr(w, "returns", None))
    return out


def attack(tables: dict, published: dict) -> list:
    """Every attack on every published table; the recovered values."""
    a = Attacker()
    if "service_stock" in published:
        t, p = tables["service_stock"].reset_index(drop=True), published["service_stock"]
        for c in ("under_12m", "over_2y"):
            a.shares("service_stock", p, t, c, [f"{c}_share"], lambda i: [num(p["in_post"].iloc[i])])
        a.row_parts("service_stock", p, t, "in_post", ["under_12m", "over_2y"],
                    hidden_truth=t["in_post"] - t["under_12m"] - t["over_2y"])
    for name in ("leaving_reasons_by_year", "leavers_by_service"):
        if name not in published:
            continue
        t, p = tables[name].reset_index(drop=True), published[name]
        for _, g in p.groupby("census_year"):
            rows = list(g.index)
            # the year's total, from any row with a count and a share shown
            totals = {num(p.at[i, "leavers"]) / num(p.at[i, "share"]) for i in rows
                      if not hidden(p.at[i, "leavers"]) and num(p.at[i, "share"]) > 0}
            totals |= {num(p.at[i, "within_5y"]) / num(p.at[i, "within_5y_share"]) for i in rows
                       if "within_5y" in p and not hidden(p.at[i, "within_5y"])
                       and num(p.at[i, "within_5y_share"]) > 0}
            for T_ in totals:
                a.parts(name, p, t, rows, "leavers", round(T_, 6))
            a.shares(name, p, t, "leavers", ["share"], lambda i: totals)
        if name == "leaving_reasons_by_year" and "leaving_reasons" in published:
            tot = published["leaving_reasons"].set_index("reason_leave")["leavers"]
            for reason, g in p.groupby("reason_leave"):
                if reason in tot and not hidden(tot[reason]):
                    a.parts(name, p, t, list(g.index), "leavers", num(tot[reason]))
    if "leaving_reasons" in published:
        t, p = tables["leaving_reasons"].reset_index(drop=True), published["leaving_reasons"]
        grand = {num(p.at[i, "leavers"]) / num(p.at[i, "share"]) * 100 for i in p.index
                 if not hidden(p.at[i, "leavers"]) and num(p.at[i, "share"]) > 0}
        for g_ in grand:
            a.parts("leaving_reasons", p, t, list(p.index), "leavers", round(g_, 6))
        a.shares("leaving_reasons", p, t, "leavers", ["share"], lambda i: grand, scale=100)
    if "asye_cohorts" in published:
        t, p = tables["asye_cohorts"].reset_index(drop=True), published["asye_cohorts"]
        a.row_parts("asye_cohorts", p, t, "started", ["remain", "left", "not_known"])
        a.shares("asye_cohorts", p, t, "remain", ["remain_share"],
                 lambda i: [num(p["started"].iloc[i])])
    if "retention" in published:
        t, p = tables["retention"].reset_index(drop=True), published["retention"]
        a.cumulative("retention", p, t, "events", ["group_var", "group"], "months")
        a.shares("retention", p, t, "events", ["retention"], lambda i: [num(p["at_risk"].iloc[i])])
        for m, g in p.groupby("months"):
            whole = g[g["group_var"] == "all"]
            parts_ = g[g["group_var"] != "all"]
            if len(whole) and not hidden(whole["events"].iloc[0]) and len(parts_):
                a.parts("retention", p, t, list(parts_.index), "events", num(whole["events"].iloc[0]))
    if "own_rates" in published:
        t, p = tables["own_rates"].reset_index(drop=True), published["own_rates"]
        for c in ("inpost_headcount", "starters_headcount", "leavers_headcount", "agency_headcount"):
            fte = c.replace("headcount", "fte")
            for i in range(len(p)):
                if hidden(p[c].iloc[i]) and fte in p and num(p[fte].iloc[i]) == 0:
                    a.claim(("own_rates", i, c, "FTE 0"), 0.0, float(t[c].iloc[i]))
    return a.recovered


def protect_all(tables: dict) -> dict:
    return {name: D.protect_table(name, df.reset_index(drop=True)) for name, df in tables.items()}


COUNCILS = [("Rutland", 1), ("Isles of Scilly", 1), ("City of London", 1)] + \
    [(name, seed) for name, seed in itertools.product(["Rutland", "City of London"], range(2, 7))]


@pytest.fixture(scope="module")
def councils():
    return {(n, s): council_tables(n, s) for n, s in COUNCILS}


@pytest.mark.slow
def test_attacker_recovers_nothing(councils):
    assert len(councils) >= 13
    masked = 0
    for key, tables in councils.items():
        published = protect_all(tables)
        masked += sum(df.map(hidden).to_numpy().sum() for df in published.values())
        assert attack(tables, published) == [], key
    assert masked > 100          # there was something to attack


@pytest.mark.slow
def test_primary_masking_alone_leaks_and_the_attacker_finds_it(councils):
    """The old rule (counts under 5 shown as <5, everything else published) is broken by the
    same attacker: it recovers masked values in these councils."""
    leaks = 0
    for tables in councils.values():
        old = {}
        for name, df in tables.items():
            cols = [c for c in D.TABLE_RULES[name]["counts"] if c in df.columns]
            old[name], _ = D.mask_small_counts(df.reset_index(drop=True), cols)
        leaks += len(attack(tables, old))
    assert leaks > 10


def test_planted_leak_is_found():
    """A share left beside a "<5": the attacker recovers it (2 of 15 left, 0.1333)."""
    truth = pd.DataFrame({"census_year": [2021] * 3, "reason_leave": ["Resignation", "Dismissed", "Retired"],
                          "leavers": [12, 2, 1], "share": [0.8, 2 / 15, 1 / 15]})
    pub = D.protect_table("leaving_reasons_by_year", truth, min_group=10)
    assert attack({"leaving_reasons_by_year": truth}, {"leaving_reasons_by_year": pub}) == []
    leak = pub.copy()
    leak.loc[1, "share"] = 2 / 15
    got = attack({"leaving_reasons_by_year": truth}, {"leaving_reasons_by_year": leak})
    assert any(w[1] == 1 and w[2] == "leavers" and v == 2 for w, v in got)


def test_protect_rules_by_hand():
    # cumulative events 7 -> 8: the 8 is withheld (it would give 1)
    ret = pd.DataFrame({"group_var": "all", "group": "all", "months": [12, 24, 36],
                        "retention": [0.7, 0.65, 0.4], "at_risk": [20, 15, 9], "events": [7, 8, 14]})
    out = D.protect_table("retention", ret)
    assert list(out["events"]) == [7, "c", 14] and out.loc[1, "retention"] == "c"
    # started 12, still in post 12: left and not known would both be 0, so "still in post" is
    # withheld too; with 11 still in post the one other could be either, and stays ambiguous
    asye = pd.DataFrame({"cohort": [2022], "started": [12], "remain": [12], "left": [0],
                         "not_known": [0], "as_at_census": [2025], "remain_share": [1.0]})
    out = D.protect_table("asye_cohorts", asye)
    assert out.loc[0, "left"] == "<5" and out.loc[0, "not_known"] == "<5"
    assert out.loc[0, "remain"] == "c" and out.loc[0, "remain_share"] == "c"
    assert out.loc[0, "started"] == 12
    out = D.protect_table("asye_cohorts", asye.assign(remain=11, left=1, remain_share=11 / 12))
    assert out.loc[0, "remain"] == 11 and out.loc[0, "remain_share"] == "c"
    # a cohort under 10 is withheld whole
    small = asye.assign(started=6, remain=5)
    assert set(D.protect_table("asye_cohorts", small).loc[0, ["remain", "left", "not_known"]]) <= {"<5", "c"}


# ---------------------------------------------------------------------------------------------
# The published artefacts of a rendered report: CSV, the Excel workbook and the HTML tables


@pytest.mark.slow
def test_report_artefacts_carry_only_protected_values(tmp_path, data_dir):
    """A small council's rendered report (Rutland 2025, synthetic seed 3): every worker-level
    CSV equals the protected table the attacker could not break, the workbook's sheets say the
    same, and no HTML table row shows a number or percentage beside a withheld count."""
    import openpyxl

    from swanalysis.report.runner import render_report

    out = render_report({"la": "Rutland", "year": 2025, "synthetic": True, "synthetic_seed": 3,
                         "data_dir": str(data_dir)}, tmp_path, warm=False)
    truth = council_tables("Rutland", 3)
    published = {}
    for name in ("service_stock", "leaving_reasons_by_year", "leaving_reasons",
                 "leavers_by_service", "asye_cohorts", "own_rates"):
        csv = out.tables_dir / f"{name}.csv"
        assert csv.is_file(), name
        got = pd.read_csv(csv, dtype=str, keep_default_na=False)
        want = D.protect_table(name, truth[name].reset_index(drop=True))
        assert list(got.columns) == [str(c) for c in want.columns], name
        for c in want.columns:
            for g, w in zip(got[c], want[c]):
                if D.is_withheld(w):
                    assert g == w, (name, c)
                elif g not in ("", "nan") and not D.is_withheld(g):
                    try:
                        assert float(g) == pytest.approx(float(w), abs=0.05), (name, c)
                    except (TypeError, ValueError):
                        assert g == str(w), (name, c)
        published[name] = got.map(lambda v: v if D.is_withheld(v) else
                                  (num(v) if math.isfinite(num(v)) else v))
    assert attack(truth, published) == []
    # the workbook carries the same withheld cells
    wb = openpyxl.load_workbook(out.xlsx, read_only=True)
    sheet = next(s for s in wb.sheetnames if s.startswith("service_stock"))
    cells = [c for row in wb[sheet].iter_rows(values_only=True) for c in row]
    assert cells.count("c") + cells.count("<5") == \
        int(published["service_stock"].map(D.is_withheld).to_numpy().sum())
    # HTML tables (the committee paper and its technical annex, where the worker-level tables
    # are): no figure beside a withheld count in the same row
    page = out.html.read_text(encoding="utf-8") + \
        (out.report_dir / "technical.html").read_text(encoding="utf-8")
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        if "&lt;5" in cells:
            assert not any(re.fullmatch(r"\d+%", c) for c in cells), cells
