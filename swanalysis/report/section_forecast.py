"""The "Looking ahead" section: a projection of the workforce, scenarios and what it would take.

Plain words, one fan chart and one scenario table for the committee; the full projection (every
measure, every year, every scenario) goes to ``tables/forecast.csv`` and to the detail that
follows (method, estimates, what was not shown and why). Computed by :mod:`swanalysis.forecast`
from the council's own returns when given (starting from their last census), else from the
published statistics.
"""

from __future__ import annotations

import math

import pandas as pd

from .. import forecast as F
from ..costs import money
from ..errors import UserError
from ..plots.forecast import alt_text_fan, fan_chart
from ..workforce import council_rates
from .context import bench, drivers_result, national_fit, published, workers


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def forecast_result(rep):
    """The projection for the report (cached on the report): (ForecastResult, WhatItTakes|None)."""

    def compute():
        cfg = rep.params["forecast"]
        kw = dict(panel=rep.panel, premium=rep.params["agency_premium"],
                  simulations=cfg["simulations"], seed=cfg["seed"], trend=cfg["trend"])
        w = workers(rep)
        if w is not None and len(w.worker_years):
            history = council_rates(w.worker_years, w.returns)
            pub = published(rep)
            if "vacancy_fte" in pub:
                history["vacancy_fte"] = history["vacancy_fte"].fillna(
                    history["census_year"].map(pub["vacancy_fte"]))
            model = F.fit(rep.authority, history=history, episodes=w.episodes,
                          worker_years=w.worker_years, drivers=drivers_result(rep),
                          origin=int(w.worker_years["census_year"].max()), **kw)
        else:
            national = None
            try:
                national = national_fit(rep)
            except UserError as exc:  # optional here (caseload scenario only): say so
                rep.notes.append(f"Caseload scenario: the national model could not be fitted ({exc}).")
            model = F.fit(rep.authority, national=national, origin=rep.year, **kw)
        scenarios = [F.scenario_from_dict(s) for s in cfg["scenarios"]]
        res = F.project(model, scenarios, horizon=cfg["horizon"], interval=cfg["interval"] / 100)
        target = dict(cfg.get("target") or {})
        measure = target.get("measure") or "agency_rate"
        value = target.get("value")
        source = "the target set for this report"
        local = (rep.params.get("targets") or {}).get(measure)
        if value is None and local is not None:
            value, source = float(local), "the council's own target"
        if value is None:
            try:
                sn = bench(rep).summary.set_index("measure")
                value = float(sn.loc[measure, "sn_median"])
                source = f"the statistical neighbours' median in {rep.year}"
            except (KeyError, AttributeError, TypeError, ValueError):
                value = None
        wit = None
        if value is not None and math.isfinite(value):
            year = target.get("year") or res.years[-1]
            year = min(max(int(year), model.origin + 1), model.origin + F.MAX_HORIZON)
            wit = F.what_it_takes(model, measure, value, year, lever=target.get("lever") or "starters")
            wit.source = source
        model.release()  # nothing more is projected: the rest of the report runs without it
        return res, wit

    return rep.cached("forecast", compute)


def looking_ahead(rep, *, detail: bool = True) -> None:
    """Looking ahead: plain words, one fan chart, one scenario table; ``tables/forecast.csv``.

    ``detail=False`` leaves the technical detail out (for a committee paper whose technical annex
    calls :func:`looking_ahead_detail`)."""
    rep.heading(2, "Looking ahead", "looking-ahead")
    try:
        res, wit = forecast_result(rep)
    except UserError as exc:
        rep.paragraphs([f"No projection could be made: {exc}"])
        return
    m = res.model
    words = res.sentences()
    rep.paragraphs(words[:3])
    measure = "agency_rate" if "agency_rate" in set(res.table()["measure"]) else "inpost_fte"
    rep.draw(lambda: fan_chart(res, measure), alt_text_fan(res, measure),
             f"{_possessive(m.la)} {'agency share' if measure == 'agency_rate' else 'social workers in post'}: "
            f"recorded to {m.origin} and projected to {res.years[-1]} if recent patterns continue. "
            "The shaded bands hold 50%, 80% and 95% of the simulated futures.")
    y = res.years[-1]
    caption = (f"What each scenario would mean by 30 September {y} (central projection, with the "
               f"{int(round(res.interval * 100))}% range in brackets)")
    rep.table("forecast", res.table(), caption, display=res.scenario_table(y))
    rep.paragraphs(words[3:-1])
    if wit is not None:
        rep.paragraphs([f"What would it take? The target here is {wit.target:.1f}% "
                        f"({wit.source or 'the target set'}). {wit.message}"])
    rep.paragraphs([words[-1]])
    for note in res.notes:
        rep.note(note)
    if detail:
        looking_ahead_detail(rep)


def looking_ahead_detail(rep) -> None:
    """The technical detail: every measure of the baseline by year, the estimates, the method
    and how accurate it has been (the same cached projection as :func:`looking_ahead`)."""
    try:
        res, wit = forecast_result(rep)
    except UserError:
        return
    m = res.model
    rep.heading(3, "Looking ahead: technical detail", "looking-ahead-detail")
    t = res.table()
    b = t[t["scenario"] == "baseline"].copy()
    rows = []
    for meas in b["measure"].unique():
        q = b[b["measure"] == meas]
        label = F.MEASURE_LABELS.get(meas, meas)
        row = {"Measure": label[0].upper() + label[1:]}
        for r in q.itertuples():
            if meas == "agency_premium_cost":
                row[str(r.year)] = f"{money(r.value)} ({money(r.lower)} to {money(r.upper)})"
            else:
                row[str(r.year)] = f"{r.value:.1f} ({r.lower:.1f} to {r.upper:.1f})"
        rows.append(row)
    rep.table("forecast_baseline", b, "Baseline projection, every measure and year (central "
              f"value and {int(round(res.interval * 100))}% range)", display=pd.DataFrame(rows),
              export=False)
    est = m.estimates
    if m.mode == "worker":
        haz = m.hazards
        bands = "; ".join(f"{r.band}: {100 * (1 - math.exp(-r.hazard)):.0f}% a year"
                          for r in haz.itertuples() if math.isfinite(r.hazard))
        leaving = (f"Leaving follows the council's own returns: the share of permanent social "
                   f"workers leaving in a year by length of service was {bands} "
                   f"(from {int(haz['events'].sum())} leavers, allowing for staff already in post "
                   "when the returns begin). Each worker in post at the last census keeps their own "
                   "length of service; new starters arrive through the year.")
    else:
        leaving = (f"Leaving follows the published statistics: on average {100 * est['leave_mean']:.1f} "
                   f"FTE left for every 100 FTE in post at the start of a year over the last "
                   f"{est['leave_n']} years, varying by about {100 * est['leave_sd']:.1f} points from "
                   "year to year.")
    fill = 100 / (1 + math.exp(-est["fill_mean"]))
    rep.paragraphs([
        f"How the projection works: year by year from 30 September {m.origin}, leavers are "
        "replaced by starters who fill part of the posts to fill (vacancies, leavers and any new "
        f"posts); recently {fill:.0f}% of them were filled in a year. Vacancies are the posts "
        "not filled. Agency cover keeps its recent level, with its usual ups and downs; a "
        "scenario that fills or opens posts moves it by about "
        f"{est['kappa']:.2f} agency FTE for each vacant FTE (estimated across all authorities).",
        leaving,
        f"The ranges come from {m.simulations:,} simulated futures (seed {m.seed}): each draws the "
        "uncertain averages and each year's ups and downs, whose size is pooled with all "
        "authorities' experience so that a few years of a council's history do not give falsely "
        "narrow ranges. Scenarios use the same random draws, so their differences are not noise.",
        "How good is it? Tested on every authority's published figures (forecasting one and two "
        "years ahead from 2019 to 2023), the projection did better than simply carrying the last "
        "value forward for leavers, starters and the agency share, and two years ahead for the "
        "number in post; it did slightly worse for the number in post one year ahead and for the "
        "vacancy rate. Its 80% ranges held the outcome 72% to 85% of the time (docs/forecast.md).",
    ])
    if wit is not None and math.isfinite(wit.answer):
        rep.paragraphs([
            f"Round trip: projecting with the answer ({wit.answer:.1f} "
            f"{'FTE starters a year' if wit.lever == 'starters' else 'points'}) gives "
            f"{wit.achieved:.1f}% in {wit.year}, against the target of {wit.target:.1f}%."])
