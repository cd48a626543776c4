"""The report's eight sections: each notebook cell calls one function here.

A section computes with the analysis modules (benchmark, tenure, drivers, costs, ...) through the
report's context (:mod:`swanalysis.report.context`: results computed once per report), then
DISPLAYS the result with the page kit (:mod:`swanalysis.report.page`) — headings with anchors,
generated prose, figures as embedded SVG ``<img>`` with alt text, tables with ``<caption>`` — and
records each table for the CSV/Excel export (:mod:`swanalysis.report.tables`). Nothing is computed
in the notebook itself.

    rep = sections.start(params)      # resolve the authority, title block metadata
    sections.key_messages(rep)
    sections.how_we_compare(rep)
    ...
    sections.finish(rep)              # tables/<name>.csv and tables.xlsx in params["output_dir"]

``start``, ``finish``, ``identify`` and ``params_from`` live in the context module and are
re-exported here, so a notebook needs only ``from swanalysis.report import sections``.
"""

from __future__ import annotations

import math

import pandas as pd

from .. import benchmark as B
from .. import drivers as D
from .. import national as N
from .. import tenure as T
from .. import measures
from ..benchmark import possessive
from .. import workforce as W
from ..config import data_source
from ..costs import PREMIUM_SOURCE, agency_cost_table, cost_sentences, money, money_range
from ..disclosure import is_withheld, protect_table, suppression_note
from ..errors import UserError
from ..plots import benchmark as BP
from ..plots import drivers as DP
from ..plots import tenure as TP
from ..published.panel import wide
from .context import (  # noqa: F401  (start, finish, identify, params_from: the notebook API)
    Report,
    agency_cost,
    bench,
    drivers_result,
    finish,
    identify,
    national_fit,
    params_from,
    published,
    retention,
    start,
    workers,
    _permanent_workers,
)
from .page import esc
from . import section_forecast as _forecast
from . import paper as P
from .paper import commentary, log, more_in_annex

__all__ = [
    "start", "at_a_glance", "key_messages", "how_we_compare", "our_social_workers",
    "childrens_experience", "purpose_and_recommendations", "glossary", "who_we_have",
    "how_long_they_stay", "why_they_leave", "agency_costs", "looking_ahead", "nqsw_cohorts",
    "methods", "finish", "identify",
    "params_from", "Report",
]

#: measure -> table heading with its unit (the registry's axis labels)
MEASURE_LABELS = {m.name: m.axis_label for m in measures.REGISTRY.values()}

KEY_MEASURES = measures.names("key_message")
FIGURE_MEASURES = tuple(measures.names("figure"))  # ranked bar + funnel as well as the trend

NO_WORKER_DATA = (
    "The council's own worker-level data (its CSWW census returns, optionally with a payroll "
    "extract) was not supplied for this report, so how long social workers stay, why they leave, "
    "newly qualified social workers' retention and the experience mix are not shown."
)
#: For report.log: how to add the worker-level sections (never shown in the committee paper).
NO_WORKER_DATA_HOW = ("worker-level sections left out: pass --csww FILES (and --hr FILE --hr-map "
                      "YAML) for the council's own returns, or --synthetic for an illustration")

# The paper's own sections (swanalysis.report.paper), callable from the notebook as sections.*
at_a_glance = P.at_a_glance
purpose_and_recommendations = P.purpose_and_recommendations
our_social_workers = P.our_social_workers
childrens_experience = P.childrens_experience
glossary = P.glossary


def looking_ahead(rep: Report) -> None:
    """Looking ahead (swanalysis.report.section_forecast): the projection in plain words with one
    chart and the scenario table in the paper; the technical detail in the annex."""
    _forecast.looking_ahead(rep, detail=False)
    with rep.annex():
        rep.heading(2, "Looking ahead in detail", "looking-ahead-in-detail")
        _forecast.looking_ahead_detail(rep)


def _no_worker_data(rep: Report) -> None:
    """Say once, in the annex's notes and the log, that worker-level data was not supplied."""
    if NO_WORKER_DATA not in rep.notes:
        rep.add_notes([NO_WORKER_DATA])
        log(rep, NO_WORKER_DATA_HOW)


def _first_sentence(text: str) -> str:
    cut = text.find(". ")
    return text if cut < 0 else text[: cut + 1]


# ---------------------------------------------------------------------------------------------
# Key messages


def key_messages(rep: Report) -> None:
    """Three to five key messages (swanalysis.report.paper), with worker-level ones when any."""
    extra = _worker_key_messages(rep) if (rep.has_worker_data and _permanent_workers(rep)
                                          >= rep.params["min_group"]) else []
    P.key_messages(rep, extra=extra)


def _worker_key_messages(rep: Report) -> list[str]:
    out = []
    try:
        ret = retention(rep)
        if ret is not None:
            out.append(T.describe_retention(ret["table"], 12, medians=ret["median"]))
    except UserError as exc:
        rep.add_notes([f"Retention is not in the key messages: it could not be estimated ({exc})."])
    drv = drivers_result(rep)
    if drv is not None and drv.ok:
        sents = _plain_driver_sentences(drv)
        if sents:
            out.append(sents[0])
    return out


def _plain_driver_sentences(drv) -> list[str]:
    """The drivers' findings a committee reads (each factor's link with leaving); the model
    checks stay in the annex."""
    return [s for s in drv.sentences() if s.startswith("Each additional")]


# ---------------------------------------------------------------------------------------------
# How we compare


def _summary_display(res) -> pd.DataFrame:

    s = res.summary
    rows = []
    for _, r in s.iterrows():
        rank = (f"{int(r['rank'])} of {int(r['n_ranked'])}" if pd.notna(r["rank"]) else "–")
        rows.append({
            "Measure": str(r["label"]).capitalize(),
            res.area.name: B.fmt(r["measure"], r["value"], unit=False),
            "Statistical neighbours (median)": B.fmt(r["measure"], r["sn_median"], unit=False),
            res.area.region_name or "Region": B.fmt(r["measure"], r["region"], unit=False),
            "England": B.fmt(r["measure"], r["england"], unit=False),
            "Rank (1 = highest)": rank,
            "Change on last year": _change_cell(r["measure"], r["change"]),
            "Against England": _against_england(r),
        })
    return pd.DataFrame(rows)


def _against_england(r) -> str:
    """The one comparison with England in a table cell: the gap, then the funnel's verdict."""
    sig = r.get("significance")
    if not isinstance(sig, str) or sig == "not tested" or pd.isna(r.get("gap_pp")):
        return "–"
    gap = f"{r['gap_pp']:+.1f} points"
    if bool(r.get("beyond_998")):
        return f"{gap}; outside 99.8% limits"
    if bool(r.get("beyond_95")):
        return f"{gap}; outside 95% limits"
    return f"{gap}; within limits"



def _change_cell(measure: str, change) -> str:
    """A change with its unit: +1.2 points (rates), +0.8 cases, +2.0 FTE."""
    if change is None or pd.isna(change):
        return "–"
    unit = {"%": " points"}.get(B.MEASURE_LABELS.get(measure, ("", "", 1))[1],
                                " cases" if measure == "caseload" else " FTE")
    return f"{float(change):+.1f}{unit}"


def how_we_compare(rep: Report) -> None:
    """How we compare: in the paper, the agency and turnover rates against the comparators as
    bars; in the annex, every measure's table, trend, funnel plot and the neighbours' figures."""
    rep.heading(2, "How we compare", "how-we-compare")
    res = bench(rep)
    names = [n for n in res.neighbours["area_name"].tolist() if n]
    region = res.area.region_name or "its region"
    rep.paragraphs([
        f"{rep.authority} is compared with its {len(names)} statistical neighbours (the councils "
        f"most like it), the {region} region and England, in the year to 30 September {rep.year}."
        + (" Also shown, as requested: " + ", ".join(a.name for a in res.comparators) + "."
           if res.comparators else "")])
    for m in FIGURE_MEASURES:
        if m not in set(res.summary["measure"]):
            continue
        label = B.MEASURE_LABELS[m][0]
        rep.draw(lambda: BP.ranked_bar(res, m), BP.alt_text_ranked_bar(res, m),
                 f"{label.capitalize()} in {rep.year}: {rep.authority} and its comparators, "
                 "highest first, with the statistical neighbours' median, region and England marked.")
    commentary(rep, "how_we_compare")
    more_in_annex(rep, "how-we-compare-in-detail",
                  "Every measure over time, with the neighbours' figures")
    with rep.annex():
        _how_we_compare_detail(rep, res, names)


def _how_we_compare_detail(rep: Report, res, names) -> None:
    from ..published.areas import SN_MODEL_NAMES

    rep.heading(2, "How we compare in detail", "how-we-compare-in-detail")
    intro = [
        f"This section compares {rep.authority} in the year to 30 September {rep.year} with its "
        f"{len(names)} statistical neighbours ({SN_MODEL_NAMES.get(res.sn_model, res.sn_model)}, "
        f"the set in use for {rep.year}: {', '.join(names)}), the {res.area.region_name} region "
        "and England."
    ]
    if res.comparators:
        intro.append("Also shown, as requested: " + ", ".join(a.name for a in res.comparators) + ".")
    rep.paragraphs(intro)
    rep.record("benchmark", res.table)
    summary = res.summary.copy()
    rep.table("benchmark_summary", summary,
              f"{rep.authority} in {rep.year} against its statistical neighbours' median, "
              f"{res.area.region_name} and England. 'Against England' gives the gap in percentage "
              "points and whether it lies outside the funnel limits, which allow for the usual "
              "spread between councils of its size; rank 1 is the highest value among all "
              "authorities.",
              display=_summary_display(res))
    for m in KEY_MEASURES:
        label = B.MEASURE_LABELS[m][0]
        rep.heading(3, label.capitalize(), f"compare-{m.replace('_', '-')}")
        rep.paragraphs([B.describe(res, m, cite_funnel=m in FIGURE_MEASURES and m in res.funnels)])
        # (the ranked bars are in the paper)
        rep.draw(lambda: BP.trend(res, m), BP.alt_text_trend(res, m),
                 f"{label.capitalize()} over time: {rep.authority}, statistical neighbours' median, "
                 f"{res.area.region_name} and England.")
        if m in FIGURE_MEASURES and m in res.funnels:
            rep.draw(lambda: BP.funnel(res, m), BP.alt_text_funnel(res, m),
                     f"Funnel plot of the {label} in {rep.year}: every authority against its size, with "
                     f"95% and 99.8% limits around England; {rep.authority} highlighted.")
    _neighbour_table(rep, res)
    national_context(rep)


def _neighbour_table(rep: Report, res) -> None:
    nv = res.neighbour_values
    if nv is None or nv.empty:
        return
    nv = nv[(nv["time_period"] == rep.year) & nv["measure"].isin(KEY_MEASURES)]
    if nv.empty:
        return
    wide = nv.pivot_table(index="area_name", columns="measure", values="value", aggfunc="first")
    wide = wide.reindex(columns=[m for m in KEY_MEASURES if m in wide.columns])
    # closest first: neighbours are matched to their figures by panel key (a joint return's
    # figures carry the joint name, not the neighbour's)
    rank = {k: i for i, k in enumerate(res.neighbours.get("data_code", pd.Series(dtype=str))) if k}
    if "key" in nv.columns:
        first = nv.drop_duplicates("area_name").set_index("area_name")["key"]
        order = sorted(wide.index, key=lambda n: rank.get(first.get(n), len(rank)))
    else:
        order = [n for n in res.neighbours["area_name"] if n in wide.index]
    wide = wide.reindex(order + [n for n in wide.index if n not in order])
    export = wide.reset_index()
    export.insert(1, "time_period", rep.year)
    shown = wide.reset_index().rename(columns={"area_name": "Statistical neighbour"})
    shown.columns = [MEASURE_LABELS.get(c, c) for c in shown.columns]
    rep.heading(3, "Statistical neighbours", "statistical-neighbours")
    rep.table("neighbours", export,
              f"{possessive(rep.authority)} statistical neighbours in {rep.year}, closest first "
              f"(– = not published).", display=shown)


def national_context(rep: Report) -> None:
    """What the national data says: the all-authority panel regression (swanalysis.national)."""

    rep.heading(3, "What the national data says", "national-data")
    try:
        res = national_fit(rep)
    except UserError as exc:
        rep.note(f"The national comparison could not be estimated: {exc}")
        return
    rep.paragraphs(N.sentences(res))
    table = N.national_table(res)
    shown = pd.DataFrame({
        "Factor": table["term"].map({"caseload": "Caseload", "agency_rate": "Agency rate",
                                     "vacancy_rate": "Vacancy rate"}).fillna(table["term"]),
        "Change in turnover rate (percentage points)": table["coef"].map(lambda v: f"{v:+.2f}"),
        "Per": table["unit"],
        "95% CI": [f"{lo:+.2f} to {hi:+.2f}" for lo, hi in zip(table["ci_lower"], table["ci_upper"])],
        "p-value": table["p_value"].map(lambda v: f"{v:.3f}"),
    })
    rep.table("national_panel", table,
              f"Turnover rate and caseload, agency and vacancy rates across {res.n_authorities} "
              f"authorities, {res.first_year} to {res.last_year} (two-way fixed effects, weighted by "
              "FTE, standard errors clustered by authority).", display=shown)
    rep.paragraphs(N.caveats(res), css="note")


# ---------------------------------------------------------------------------------------------
# Who we have


def who_we_have(rep: Report) -> None:
    """Who we have: FTE, agency share, vacancies (a sentence in the paper, the table in the
    annex); with worker data, length of service and the experience mix."""
    rep.heading(2, "Who we have", "who-we-have")
    pub = published(rep)
    cols = ["inpost_fte", "agency_fte", "agency_rate", "vacancy_fte", "vacancy_rate",
            "starters_fte", "leavers_fte"]
    cols = [c for c in cols if c in pub.columns]
    recent = pub.loc[[y for y in pub.index if rep.year - 4 <= y <= rep.year], cols]
    if rep.year in pub.index:
        r = pub.loc[rep.year]
        text = (f"At 30 September {rep.year} {rep.authority} employed {r.get('inpost_fte', float('nan')):.1f} "
                f"FTE social workers and used {r.get('agency_fte', float('nan')):.1f} FTE agency social "
                f"workers, so {r.get('agency_rate', float('nan')):.1f}% of its social work FTE was agency.")
        if "vacancy_fte" in r and pd.notna(r["vacancy_fte"]):
            text += (f" It had {r['vacancy_fte']:.1f} FTE vacancies ({r.get('vacancy_rate', float('nan')):.1f}% "
                     "of established posts).")
        rep.paragraphs([text])
    export = recent.reset_index()
    shown = recent.reset_index()
    shown.columns = ["Year"] + [MEASURE_LABELS.get(c, c.replace("_", " ")) for c in cols]
    shown["Year"] = shown["Year"].astype(int).astype(str)
    with rep.annex():
        rep.heading(2, "Who we have: the published figures", "who-we-have-figures")
        rep.table("workforce", export, f"{possessive(rep.authority)} social work workforce, "
                  f"{int(recent.index.min())} to {int(recent.index.max())} (published FTE at 30 "
                  "September).", display=shown)
    if not rep.has_worker_data:
        _no_worker_data(rep)
        return
    if not _enough_workers(rep):
        return
    _own_returns(rep)
    experience_mix(rep)


MIX_LABELS = {"newly_qualified": "Newly qualified (ASYE)", "experienced": "Experienced",
              "advanced": "Advanced (senior practitioners and managers)"}


def experience_mix(rep: Report) -> None:
    """The experience mix of the workforce against the target mix (a parameter)."""
    target = rep.params["target_mix"]
    rep.heading(3, "Experience mix against the target", "experience-mix")
    want = ", ".join(f"{v:g}% {MIX_LABELS[k].split(' (')[0].lower()}" for k, v in target.items())
    if not rep.has_worker_data:
        _no_worker_data(rep)
        return

    mix = W.experience_mix_table(workers(rep).worker_years, target)
    if mix.empty or mix["headcount"].sum() == 0:
        rep.note("No permanent social workers in post at the latest census.")
        return
    year = int(mix["census_year"].iloc[0])
    parts = [f"{r.share:.0f}% {MIX_LABELS[r.experience].split(' (')[0].lower()} (target {r.target:g}%)"
             for r in mix.itertuples()]
    biggest = mix.iloc[mix["gap_pp"].abs().argmax()]
    text = [f"At 30 September {year} the permanent workforce was " + ", ".join(parts) + " by FTE.",
            f"The largest gap is in {MIX_LABELS[biggest.experience].split(' (')[0].lower()} social "
            f"workers: {abs(biggest.gap_pp):.0f} percentage points "
            f"{'above' if biggest.gap_pp > 0 else 'below'} the target, about "
            f"{abs(biggest.fte_change_to_target):.1f} FTE at today's size."]
    rep.paragraphs(text)
    commentary(rep, "who_we_have")
    masked = _protected(rep, "experience_mix", mix)
    shown = pd.DataFrame({
        "Experience": mix["experience"].map(MIX_LABELS),
        "Headcount": masked["headcount"],
        "FTE": masked["fte"].map(lambda v: v if isinstance(v, str) else round(v, 1)),
        "Share of FTE (%)": masked["share"].map(lambda v: v if isinstance(v, str) else round(v, 1)),
        "Target (%)": mix["target"],
        "Gap (percentage points)": masked["gap_pp"].map(lambda v: v if isinstance(v, str) else f"{v:+.1f}"),
    })
    with rep.annex():
        rep.heading(3, "Experience mix against the target", "experience-mix-table")
        rep.table("experience_mix", masked,
                  f"Permanent social workers in post at 30 September {year} by experience, against "
                  "the workforce plan's target mix (counts under 5 shown as <5).", display=shown)


def _own_returns(rep: Report) -> None:
    """Length of service now, and the DfE measures recomputed from the council's own returns."""

    w = workers(rep)
    rep.heading(3, "Length of service", "length-of-service")
    try:
        stock = W.service_stock(w.worker_years)
    except UserError as exc:
        rep.note(str(exc))
        return
    rep.paragraphs([W.describe_stock(stock)])
    with rep.annex():
        rep.heading(3, "Length of service", "length-of-service-table")
        _stock_table(rep, w, stock)


def _stock_table(rep: Report, w, stock) -> None:
    stock_out = _protected(rep, "service_stock", stock)
    shown = stock_out.rename(columns={"census_year": "Year", "in_post": "In post (headcount)",
                                      "under_12m": "Under 12 months", "under_12m_share": "Under 12 months (%)",
                                      "over_2y": "Over 2 years", "over_2y_share": "Over 2 years (%)"})
    for c in ("Under 12 months (%)", "Over 2 years (%)"):
        if c in shown:
            shown[c] = shown[c].map(_pct_cell)
    shown["Year"] = shown["Year"].astype(int).astype(str)
    rep.table("service_stock", stock_out, "Permanent social workers in post at each 30 September by "
              "length of service with the council (counts under 5 shown as <5).", display=shown)
    try:
        rates = W.council_rates(w.worker_years, getattr(w, "returns", None))
        rep.paragraphs([W.describe_rates(rates)])
        rep.record("own_rates", _protected(rep, "own_rates", rates))
    except (UserError, KeyError) as exc:
        rep.note(f"The DfE measures could not be recomputed from the council's own returns ({exc}).")


# ---------------------------------------------------------------------------------------------
# Worker-level data


def _worker_heading(rep: Report, title: str, anchor: str) -> bool:
    """The section heading; False when there is no worker data to show (the paper then has no
    such section: the annex's notes and the log say why)."""
    if not rep.has_worker_data:
        _no_worker_data(rep)
        return False
    rep.heading(2, title, anchor)
    return _enough_workers(rep)


def _enough_workers(rep: Report) -> bool:
    """False (with a note) when the council has too few permanent workers to publish anything."""
    if _permanent_workers(rep) < rep.params["min_group"]:
        rep.note(f"Fewer than {rep.params['min_group']} permanent social workers are in the data: "
                 "worker-level results are not shown, to protect individuals.")
        return False
    return True


def _protected(rep: Report, name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A worker-level table as published: primary and complementary suppression
    (swanalysis.disclosure.protect_table: '<5' for small counts, 'c' for what would re-derive
    them, groups under min_group withheld whole)."""
    return protect_table(name, df.reset_index(drop=True), min_group=rep.params["min_group"])


def how_long_they_stay(rep: Report) -> None:
    """How long they stay: Kaplan-Meier retention with late entry and censoring."""
    if not _worker_heading(rep, "How long they stay", "how-long-they-stay"):
        return

    ret = retention(rep)
    table = ret["table"]
    texts = [T.describe_retention(table, 12, medians=ret["median"]),
             T.describe_retention(table, 24)]
    texts.append(T.describe_late_entry(ret["late"], 12))
    rep.paragraphs(texts)
    rep.draw(lambda: TP.plot_retention(ret["curves"]), TP.alt_text_retention(ret["curves"]),
             "Share of permanent social workers still in post by months since starting, with the "
             "range it probably lies in (95%), allowing for workers already in post when the data "
             "begin; numbers still followed are shown under the chart.")
    commentary(rep, "how_long_they_stay")
    more_in_annex(rep, "how-long-they-stay-in-detail", "By entry route and role, with intervals")
    with rep.annex():
        rep.heading(2, "How long they stay in detail", "how-long-they-stay-in-detail")
        _retention_detail(rep, ret, table)


def _retention_detail(rep: Report, ret, table) -> None:
    if ret["by_route"].groups:
        rep.draw(lambda: TP.plot_retention(ret["by_route"]), TP.alt_text_retention(ret["by_route"]),
                 "Share of permanent social workers still in post by months since starting, by entry route.")
    published_table = _protected(rep, "retention", table)
    rep.table("retention", published_table, "Share of permanent social workers still in post 12, 24 "
              "and 60 months after starting, overall, by entry route and by role, with 95% confidence "
              "intervals (tables/retention.csv has every horizon and grouping).",
              display=_retention_display(published_table))
    median = _protected(rep, "median_tenure", ret["median"])
    rep.table("median_tenure", median,
              "Median tenure in months (the time by which half had left), with 95% confidence interval.",
              display=_median_display(median))
    note = suppression_note(ret["suppressed"], min_group=rep.params["min_group"])
    if note:
        rep.paragraphs([note])


def _fully_shown(protected: pd.DataFrame, table: pd.DataFrame, by: str = "census_year") -> pd.DataFrame:
    """The rows of ``table`` for the years in which ``protected`` withholds nothing: a figure
    draws only those (a share drawn beside a withheld count would give it away)."""
    withheld = protected.drop(columns=[by]).map(is_withheld).any(axis=1).to_numpy()
    bad = set(protected.loc[withheld, by])
    return table[~table[by].isin(bad)].reset_index(drop=True)


def _pct_cell(v) -> str:
    if isinstance(v, str):      # withheld ('c') or masked ('<5')
        return v
    return "–" if v is None or pd.isna(v) else f"{100 * float(v):.0f}%"


DISPLAY_GROUPS = ("all", "entry_route", "role", "start_cohort")


def _group_name(group_var: str, group) -> str:

    if group_var == "all":
        return "All"
    if group_var == "entry_route":
        group = T.ENTRY_ROUTE_LABELS.get(group, group)
    return f"{T.GROUP_VARS.get(group_var, group_var).capitalize()}: {group}"


def _estimate_cell(r) -> str:
    """'78% (72%–83%)'; no interval where there is none to give (too few, or no width: a group
    where nobody has left yet shows 100% without '100%–100%')."""
    if pd.isna(r["retention"]):
        return "–"
    if isinstance(r["retention"], str):  # withheld ("<5", "c"): as published
        return r["retention"]
    lo, hi = r.get("ci_lower"), r.get("ci_upper")
    if isinstance(lo, str) or isinstance(hi, str):  # an interval withheld
        return _pct_cell(r["retention"])
    if pd.isna(lo) or pd.isna(hi) or _pct_cell(lo) == _pct_cell(hi):
        return f"{_pct_cell(r['retention'])} (too few for an interval)"
    return f"{_pct_cell(r['retention'])} ({_pct_cell(lo)}–{_pct_cell(hi)})"


def _retention_display(t: pd.DataFrame, groups=DISPLAY_GROUPS[:3]) -> pd.DataFrame:
    """Retention at 12, 24 and 60 months as 'estimate (95% CI)', one row per group."""
    t = t[t["months"].isin([12, 24, 60]) & t["group_var"].isin(groups)]
    rows = []
    for (gv, g), sub in t.groupby(["group_var", "group"], sort=False):
        row = {"Group": _group_name(gv, g)}
        for _, r in sub.iterrows():
            row[f"{int(r['months'])} months"] = _estimate_cell(r)
        rows.append(row)
    return pd.DataFrame(rows)


def _median_display(m: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in m.iterrows():
        med = r["median_months"]
        rows.append({
            "Group": _group_name(r["group_var"], r["group"]),
            "Median tenure (months)": (med if isinstance(med, str) else
                                       "not reached" if pd.isna(med) else f"{med:.0f}"),
            "95% CI": (r["ci_lower"] if isinstance(r["ci_lower"], str) else
                       "–" if pd.isna(r["ci_lower"]) else
                       f"{r['ci_lower']:.0f} to {'∞' if not math.isfinite(r['ci_upper']) else format(r['ci_upper'], '.0f')}"),
            "Spells": r["n_spells"],
            "Leavers": r["events"],
        })
    return pd.DataFrame(rows)


def why_they_leave(rep: Report) -> None:
    """Why they leave: caseload and pay (hazard ratios), destinations and reasons."""
    if not _worker_heading(rep, "Why they leave", "why-they-leave"):
        return

    w = workers(rep)
    res = drivers_result(rep)
    table = D.hazard_ratio_table(res)
    if not res.ok:
        rep.paragraphs([res.message])
        rep.record("hazard_ratios", table)
    else:
        rep.paragraphs(_plain_driver_sentences(res))
    try:
        cif = T.cumulative_incidence(w.episodes)
        at = T.destination_at(cif)
    except UserError as exc:
        cif, at = None, None
        rep.add_notes([f"Where leavers went could not be estimated: {exc}"])
    if at is not None and not at.empty and "months" in at.columns:
        rep.paragraphs([T.describe_destinations(at, 24)])
    commentary(rep, "why_they_leave")
    more_in_annex(rep, "why-they-leave-in-detail",
                  "The models, where leavers went, how long they had stayed and their reasons")
    with rep.annex():
        rep.heading(2, "Why they leave in detail", "why-they-leave-in-detail")
        _why_detail(rep, w, res, table, cif, at)


def _why_detail(rep: Report, w, res, table, cif, at) -> None:
    rep.heading(3, "Caseload and pay", "caseload-and-pay")
    if not res.ok:
        rep.note(res.message)
    else:
        rep.paragraphs(res.sentences())
        rep.draw(lambda: DP.forest_plot(table), DP.forest_alt_text(table),
                 "Hazard ratios for leaving (95% confidence intervals, log scale) from two models: "
                 "above 1 means more likely to leave.")
        shown = pd.DataFrame({
            "Factor": table["term"].str.replace("_", " ").str.capitalize(),
            "Per": table["unit"],
            "Model": table["model"].map({"cox_time_varying": "Cox (time-varying)",
                                         "discrete_time_logit": "Discrete-time"}).fillna(table["model"]),
            "Hazard ratio": table["hazard_ratio"].map(lambda v: f"{v:.2f}"),
            "95% CI": [f"{lo:.2f} to {hi:.2f}" for lo, hi in zip(table["ci_lower"], table["ci_upper"])],
            "p-value": table["p_value"].map(lambda v: f"{v:.3f}"),
        })
        rep.table("hazard_ratios", _protected(rep, "hazard_ratios", table),
                  "Hazard ratios for leaving, by factor, from the Cox model with time-varying "
                  "covariates and the discrete-time model.", display=shown)
        try:
            scen = D.retention_scenarios(res)
        except UserError as exc:
            rep.note(f"Scenarios not estimated: {exc}")
            scen = None
        if scen is not None and len(scen):
            rep.paragraphs(D.scenario_sentences(scen))
            rep.record("scenarios", scen)
        rep.paragraphs(res.caveats(), css="note")

    rep.heading(3, "Where leavers go", "destinations")
    if at is None:
        rep.note("Where leavers went could not be estimated from these returns.")
        return
    if at.empty or "months" not in at.columns:
        rep.note("No permanent social worker left during the period covered, so where leavers "
                 "went cannot be estimated.")
        return
    rep.paragraphs([T.describe_destinations(at, 24)])
    rep.draw(lambda: TP.plot_cumulative_incidence(cif), TP.alt_text_destinations(cif),
             "Cumulative share of permanent social workers who had left, by destination, by months "
             "since starting (Aalen-Johansen, 95% bands).")
    rep.table("destinations", at, "Share of permanent social workers who had left for each destination "
              "by 12, 24 and 60 months after starting (Aalen-Johansen, 95% CI).",
              display=_destinations_display(at))
    _leavers_by_service(rep, w.episodes)
    _reasons(rep, w.episodes)


def _destinations_display(at: pd.DataFrame) -> pd.DataFrame:

    lab = "destination_group" if "destination_group" in at.columns else at.columns[0]
    out = pd.DataFrame({"Destination": at[lab].map(lambda g: T.DESTINATION_LABELS.get(g, g)).str.capitalize()})
    if "months" in at.columns:
        out["Months after starting"] = at["months"].map(lambda v: f"{v:.0f}")
    if "cif" in at.columns:
        out["Share who had left for it"] = at["cif"].map(_pct_cell)
    if {"ci_lower", "ci_upper"} <= set(at.columns):
        out["95% CI"] = [f"{_pct_cell(a)} to {_pct_cell(b)}" for a, b in zip(at["ci_lower"], at["ci_upper"])]
    return out


def _leavers_by_service(rep: Report, episodes: pd.DataFrame) -> None:

    lbs = W.leavers_by_service(episodes)
    if lbs.empty:
        return
    rep.heading(3, "How long leavers had stayed", "leavers-by-service")
    rep.paragraphs([W.describe_leavers(lbs, min_group=rep.params["min_group"])])
    mg = rep.params["min_group"]
    masked = _protected(rep, "leavers_by_service", lbs)
    drawn = _fully_shown(masked, lbs)
    if len(drawn):
        rep.draw(lambda: TP.plot_leavers_by_service(drawn, min_group=mg),
                 TP.alt_text_service_bars(drawn),
                 "Permanent social workers who left each year by length of service when they left "
                 "(years in which the table below withholds a count are not drawn).")
    wide = masked.pivot_table(index="census_year", columns="service_band", values="leavers",
                              aggfunc="first", observed=True)
    bands = [b for b in lbs["service_band"].drop_duplicates() if b in wide.columns]
    shown = wide[bands].reset_index()
    shown.columns = ["Year"] + [f"{b} years" for b in bands]
    shown["Year"] = shown["Year"].astype(int).astype(str)
    if "within_5y_share" in masked.columns:
        per_year = masked.groupby("census_year")["within_5y_share"].first()
        shown["Within 5 years"] = [_pct_cell(per_year.loc[y]) for y in wide.index]
    rep.table("leavers_by_service", masked, "Permanent leavers each year by length of service when they "
              "left (counts under 5 shown as <5; 'c' where a figure would let a small count be worked "
              f"out; years with fewer than {rep.params['min_group']} leavers are withheld).",
              display=shown)


def _reasons(rep: Report, episodes: pd.DataFrame) -> None:

    reasons = W.leaving_reasons(episodes, by="reason_leave")
    if reasons.empty:
        return
    total = (reasons.groupby("reason_leave")["leavers"].sum().sort_values(ascending=False)
             .rename_axis("reason_leave").reset_index())
    total["share"] = 100 * total["leavers"] / total["leavers"].sum()
    rep.heading(3, "Reasons for leaving", "reasons")
    top = total.iloc[0]
    n = int(total["leavers"].sum())
    first, last = int(reasons["census_year"].min()), int(reasons["census_year"].max())
    rep.paragraphs([
        f"Across {first} to {last}, the most common recorded reason among {n:,} permanent leavers was "
        f"'{top['reason_leave']}' ({top['share']:.0f}%)." if top["leavers"] >= 5 else
        "Numbers of leavers by reason are too small to report individually."])
    by_year = _protected(rep, "leaving_reasons_by_year", reasons)
    drawn = _fully_shown(by_year, reasons)
    if len(drawn):
        rep.draw(lambda: TP.plot_leaving_reasons(drawn, by="reason_leave"),
                 TP.alt_text_reasons(drawn, by="reason_leave"),
                 "Permanent social workers who left each year, by recorded reason for leaving "
                 "(years in which a count is withheld are not drawn).")
    masked = _protected(rep, "leaving_reasons", total)
    masked["share"] = [v if isinstance(v, str) else round(v, 1) for v in masked["share"]]
    shown = masked.rename(columns={"reason_leave": "Reason", "leavers": "Leavers", "share": "Share (%)"})
    rep.table("leaving_reasons", masked, f"Permanent social workers who left, {first} to {last}, by "
              "recorded reason (counts under 5 shown as <5).", display=shown)
    rep.record("leaving_reasons_by_year", by_year)


def nqsw_cohorts(rep: Report) -> None:
    """Newly qualified social workers (ASYE): how many of each year's intake stay."""
    if not _worker_heading(rep, "Newly qualified social workers", "newly-qualified"):
        return

    ep = workers(rep).episodes
    mg = rep.params["min_group"]
    nq = ep[(ep["entry_route"] == "newly_qualified") & ~ep["agency"].astype(bool)]
    if nq["worker_id"].nunique() < mg:
        rep.note(f"Fewer than {mg} newly qualified social workers in the data: not shown, to "
                 "protect individuals.")
        return
    cohorts = W.asye_cohorts(ep)
    first = int(workers(rep).worker_years["census_year"].min())
    cohorts = cohorts[cohorts["cohort"] >= first].reset_index(drop=True)
    texts = [W.describe_asye(cohorts, min_group=mg)] if len(cohorts) else []
    overall = T.retention_at(nq, months=(12, 24), min_group=mg)
    texts.append(T.describe_retention(overall, 12, who="newly qualified social workers"))
    rep.paragraphs(texts)
    commentary(rep, "newly_qualified")
    with rep.annex():
        rep.heading(2, "Newly qualified social workers in detail", "newly-qualified-in-detail")
        _nqsw_tables(rep, cohorts, nq, overall, first, mg)


def _nqsw_tables(rep: Report, cohorts, nq, overall, first, mg) -> None:
    masked = _protected(rep, "asye_cohorts", cohorts)
    shown = pd.DataFrame({
        "Started in year to September": cohorts["cohort"].astype(int).astype(str),
        "Started": masked["started"], "Still in post": masked["remain"], "Left": masked["left"],
        "Not known": masked["not_known"],
        "Still in post (%)": masked["remain_share"].map(_pct_cell),
    })
    rep.table("asye_cohorts", masked, "Newly qualified social workers by the year they started: "
              "how many were still in post at the latest census (counts under 5 shown as <5).",
              display=shown)
    by_cohort = T.retention_at(nq[nq["start_cohort"] >= first], months=(12, 24), by="start_cohort",
                               min_group=mg)
    parts = [t for t in (overall, by_cohort) if len(t)]
    table = _protected(rep, "nqsw_retention", pd.concat(parts, ignore_index=True) if parts else overall)
    rep.table("nqsw_retention", table,
              "Newly qualified social workers still in post 12 and 24 months after starting, overall "
              "and by the year they started, with 95% confidence intervals.",
              display=_retention_display(table, groups=("all", "start_cohort")).rename(
                  columns={"Group": "Intake"}).drop(columns=["60 months"], errors="ignore"))

# ---------------------------------------------------------------------------------------------
# Agency costs


def agency_costs(rep: Report) -> None:
    """What agency cover costs: premium, saving at the SN median rate, cost per vacancy filled."""

    rep.heading(2, "What agency cover costs", "agency-costs")
    cost = agency_cost(rep)
    if cost is None:
        rep.paragraphs([f"Agency figures for {rep.authority} in {rep.year} are not published, so "
                        "the cost cannot be estimated."])
        return
    rep.paragraphs(cost_sentences(rep.authority, rep.year, cost))
    commentary(rep, "agency_costs")
    more_in_annex(rep, "agency-costs-by-authority", "The same estimate for each comparator")
    with rep.annex():
        rep.heading(2, "What agency cover costs, by authority", "agency-costs-by-authority")
        _agency_cost_table(rep, cost)


def _agency_cost_table(rep: Report, cost) -> None:
    res = bench(rep)
    keys = [rep.area.old_la_code] + [a.old_la_code for a in res.comparators]
    keys += [k for k in res.neighbours.get("data_code", pd.Series(dtype=str)).tolist() if k]
    keys = list(dict.fromkeys(keys))
    w = wide(rep.panel, ["inpost_fte", "agency_fte", "vacancy_fte", "agency_cover_fte"], level="la")
    w = w[(w["time_period"] == rep.year) & w["old_la_code"].isin(keys)]
    w = w.set_index("old_la_code").reindex(keys).dropna(subset=["agency_fte", "inpost_fte"])
    names = w["area_name"]
    table = agency_cost_table(w, premium_per_fte=rep.params["agency_premium"],
                              sn_median_rate=cost.sn_median_rate,
                              premium_low=rep.params.get("agency_premium_low"),
                              premium_high=rep.params.get("agency_premium_high"))
    table.insert(0, "area_name", names)
    table.insert(1, "time_period", rep.year)
    table = table.reset_index(drop=True)
    shown = pd.DataFrame({
        "Authority": table["area_name"],
        "Agency FTE": table["agency_fte"],
        "Agency rate (%)": table["agency_rate"],
        "Agency premium a year (low to high)": [
            f"{money(c)} ({money(lo)} to {money(hi)})" for c, lo, hi in
            zip(table["annual_premium"], table["annual_premium_low"], table["annual_premium_high"])],
        "of which agency FTE covering vacancies": table["premium_on_vacancy_cover"].map(money),
        "of which agency FTE beyond vacancies": table["premium_beyond_vacancies"].map(money),
        "Saving at SN median rate": table["saving_at_sn_median"].map(money),
    })
    lo = rep.params.get("agency_premium_low")
    hi = rep.params.get("agency_premium_high")
    rng = (f" (range {money(lo)} to {money(hi)})" if lo is not None and hi is not None else "")
    rep.table("agency_costs", table,
              f"Estimated agency premium in {rep.year} at {money(rep.params['agency_premium'])} per "
              f"agency FTE-year{rng}, split between agency FTE covering vacant posts and the rest, "
              f"and the saving if each authority's agency rate fell to "
              f"{possessive(rep.authority)} statistical neighbours' median ({cost.sn_median_rate:.1f}%). "
              f"Premium sources: {PREMIUM_SOURCE}.",
              display=shown, highlight=lambda r: r["Authority"] == rep.authority)


# ---------------------------------------------------------------------------------------------
# Data and methods


METHODS = [
    ("Published statistics",
     "The Department for Education's Children's social work workforce statistics: the census of "
     "every local authority's child and family social workers at 30 September. Where a figure was "
     "revised, the newest release is used. Suppressed or unavailable figures are shown as '–' and "
     "never estimated."),
    ("Statistical neighbours",
     "The ten authorities most similar to this one in the DfE's statistical-neighbour groupings "
     "in use for the reporting year: the April 2021 groupings for years up to 2024, the 2025 "
     "model from 2025 (the report names the set). The neighbours' median is the median of their "
     "published values, ignoring any not published — the same rule as the DfE's children's social "
     "care dashboard (median with missing values removed, in R/stats_neighbours.R of its public "
     "code, dfe-analytical-services/CSC_outcomes_and_enablers). A neighbour with no figures of its "
     "own in a year is represented by its predecessor or successor, named in the notes, and left "
     "out when that council contains this authority's own figures."),
    ("Rank and the comparison with England",
     "Rank 1 is the highest value among all authorities with a published figure that year. For "
     "rates, every sentence, the table's 'Against England' column and the funnel plots use one "
     "comparison: the gap from England in percentage points, and whether it lies outside funnel "
     "limits at 95% and 99.8% around England's rate, widened for the usual spread between "
     "authorities (Spiegelhalter, 2005), so that neither chance nor the ordinary differences "
     "between councils is called significant. A plain binomial interval, which treats every FTE "
     "as independent and ignores that spread, is kept only in tables/benchmark.csv "
     "(binomial_ci_low, binomial_ci_high) and is never used to call a difference significant."),
    ("Agency cost",
     "Agency FTE at 30 September multiplied by the premium per FTE-year paid for an agency social "
     "worker over an employed one, an assumption given as a range: low £14,400 (Sefton Council's "
     "estimate against a newly qualified worker, cited by the Department of Health in 2010), "
     "central £20,000 (Warwickshire County Council, 2022), high £30,000 (an assumption, not a "
     "published estimate); a council's actual agency spend replaces the estimate when given. The "
     "premium is split between agency FTE covering vacant posts and those beyond them. The saving "
     "assumes the same total workforce with the agency rate at the statistical neighbours' median. "
     "These are annualised estimates from a single snapshot."),
    ("Retention (worker-level data)",
     "Kaplan-Meier estimates of the share still in post by months since starting, allowing for "
     "workers still in post (censoring) and for workers already in post when the data begin (late "
     "entry), with 95% log-log confidence intervals. Where leavers went is estimated with the "
     "Aalen-Johansen method. Agency workers are excluded."),
    ("Caseload and pay (worker-level data)",
     "Hazard ratios for leaving from a Cox model with covariates measured at each census "
     "(time-varying), checked against a discrete-time logistic model with standard errors "
     "clustered by worker. A hazard ratio above 1 means more likely to leave. These are "
     "associations, not proof of cause."),
    ("Privacy",
     "Worker identifiers are replaced by keyed pseudonyms when the returns are read and never "
     "appear in this report or its tables; dates of birth become age bands; groups of fewer than "
     "{min_group} workers are not shown and counts under five are shown as <5. Anything from which "
     "a masked count could be worked out — a share, rate or retention estimate beside it, a "
     "running total, or a total minus the parts shown — is withheld too and shown as 'c'."),
]


PEOPLE_METHODS = (
    "Who the social workers are",
    "The DfE's role-by-characteristics file: employed social workers in post at 30 September by "
    "role, age group, sex and ethnicity (FTE and headcount). An ethnic group's share is of those "
    "whose ethnicity is known. Looked-after children with three or more social workers in the "
    "year: the DfE's Children looked after statistics (year to 31 March).")


def methods(rep: Report) -> None:
    """Data and methods notes (the annex), including joint-return and boundary-change notes for
    the area and what the report could not show."""
    with rep.annex():
        _methods(rep)


def _methods(rep: Report) -> None:
    rep.heading(2, "Data and methods", "data-and-methods")
    if rep.notes:
        rep.heading(3, f"About {possessive(rep.authority)} figures", "area-notes")
        rep.bullets(rep.notes)
    rep.heading(3, "Methods", "methods")
    items = METHODS if rep.has_worker_data else [m for m in METHODS if "worker-level" not in m[0]]
    items = items + [PEOPLE_METHODS]
    body = "".join(f"<dt>{esc(t)}</dt><dd>{esc(d.format(min_group=rep.params['min_group']))}</dd>"
                   for t, d in items)
    rep.show(f'<dl class="methods">{body}</dl>')
    tables = ", ".join(f"{n}.csv" for n in rep.tables)
    rep.paragraphs([
        f"The published statistics were read from {data_source(rep.panel.attrs.get('data_dir'))}.",
        f"Every table in this report is also provided as a CSV file ({tables}) and as one Excel "
        "workbook (tables.xlsx) with a sheet per table.",
    ])
    if rep.synthetic:
        rep.note("Synthetic data — illustration only. The worker-level sections use a synthetic "
                 f"council generated by swanalysis to match {possessive(rep.authority)} published "
                 "in-post FTE, turnover and agency rate. No real worker's record was used.")

