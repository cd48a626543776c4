"""The committee paper's own sections: At a glance, key messages, the officer's content (purpose,
recommendations, commentary, contact), who the social workers are, children's experience, and the
annex's glossary.

A report is two documents from one notebook run: ``report.html``, the committee paper a councillor
reads in five minutes, and ``technical.html``, its technical annex (methods, model tables,
intervals, data notes). What a section shows goes to the paper unless it is shown inside
``with rep.annex():``; the runner splits the outputs (swanalysis.report.runner.split_parts).
The paper uses plain words: the annex holds the methods' names, and the glossary explains the
terms a councillor may not know.
"""

from __future__ import annotations

import math

import pandas as pd

from .. import glance as G
from .. import people as PEOPLE
from ..benchmark import MEASURE_LABELS, fmt, possessive
from . import context as C
from .page import Html, esc

ANNEX = "technical.html"


def annex_link(anchor: str, text: str = "technical annex") -> Html:
    """A link from the paper to a section of the annex."""
    return Html(f'<a href="{ANNEX}#{esc(anchor)}">{esc(text)}</a>')


def more_in_annex(rep: C.Report, anchor: str, what: str) -> None:
    """One line under a paper section: where its detail is."""
    rep.show(f'<p class="annex-link">{esc(what)}: {annex_link(anchor)}.</p>')


def log(rep: C.Report, text: str) -> None:
    """A line for report.log (what is missing, what was left out), not for the paper."""
    print(text)


# ---------------------------------------------------------------------------------------------
# Officer content


def commentary(rep: C.Report, section: str) -> None:
    """The officer's commentary on a section (``commentary: {section: text}``), if any."""
    texts = (rep.params.get("commentary") or {}).get(section) or []
    if not texts:
        return
    body = "".join(f"<p>{esc(t)}</p>" for t in texts)
    rep.show(f'<div class="commentary"><p><strong>Officer commentary</strong></p>{body}</div>')


def purpose_and_recommendations(rep: C.Report) -> None:
    """Purpose of the report and the recommendations to the committee, when given."""
    p = rep.params
    purpose, recs = p.get("purpose"), p.get("recommendations") or []
    if not purpose and not recs:
        return
    rep.heading(2, "Purpose and recommendations", "purpose")
    parts = []
    if purpose:
        parts.append(f"<h3 id=\"purpose-of-report\">Purpose of the report</h3><p>{esc(purpose)}</p>")
    if recs:
        items = "".join(f"<li>{esc(r)}</li>" for r in recs)
        parts.append(f'<h3 id="recommendations">Recommendations</h3><p>The committee is '
                     f"recommended:</p><ol>{items}</ol>")
    rep.show(f'<div class="officer">{"".join(parts)}</div>')


def contact(rep: C.Report) -> None:
    """Report author and contact, when given, as the paper's last section."""
    who = rep.params.get("contact")
    if who:
        rep.heading(2, "Contact", "contact")
        rep.paragraphs([who])


# ---------------------------------------------------------------------------------------------
# At a glance and key messages


def glance(rep: C.Report) -> pd.DataFrame:
    """The At a glance rows for the report (swanalysis.glance, with the params' targets)."""
    return rep.cached("glance", lambda: G.at_a_glance(C.bench(rep), rep.params.get("targets")))


def _status_cell(row) -> Html:
    cls = {"Target met": "met", "Target not met": "missed", "Improving": "better",
           "Worsening": "worse"}.get(row["status"], "neutral")
    return Html(f'<span class="status status-{cls}">{esc(row["status"])}</span>')


def _num(measure: str, v) -> str:
    return fmt(measure, v, unit=MEASURE_LABELS[measure][1] == "%") if pd.notna(v) else "–"


def at_a_glance(rep: C.Report) -> None:
    """The paper's first section: one row per headline measure with a status word."""
    g = glance(rep)
    year = rep.year
    rep.heading(2, "At a glance", "at-a-glance")
    direction = []
    for _, r in g.iterrows():
        if not r["direction"]:
            direction.append("–")
        elif r["better"] in ("better", "worse"):
            direction.append(f"{r['direction'].capitalize()} ({r['better']})")
        else:
            direction.append(r["direction"].capitalize())
    against = []
    for _, r in g.iterrows():
        if r["measure"] == "inpost_fte":
            against.append(f"Neighbours' median {fmt('inpost_fte', r['neighbours'])}"
                           if pd.notna(r["neighbours"]) else "–")
            continue
        text = r["position_values"] or ""
        words = r["comparison"] if isinstance(r["comparison"], str) else ""
        # the comparison with England: its verdict, without the method's name in brackets
        verdict = words.split(" (inside")[0].split(" (outside")[0].strip()
        if "," in verdict:
            verdict = verdict.split(",", 1)[1].strip()
        parts = [text] if text else []
        if verdict and "England" not in verdict:
            parts.append(f"Against England: {verdict}")
        elif verdict:
            parts.append(verdict[:1].upper() + verdict[1:])
        against.append(". ".join(parts) + "." if parts else "–")
    targets = g["target"].notna().any()
    shown = pd.DataFrame({
        "Measure": g["name"],
        str(year): [_num(m, v) for m, v in zip(g["measure"], g["value"])],
        str(year - 1): [_num(m, v) for m, v in zip(g["measure"], g["last_year"])],
        "Direction of travel": direction,
        "Against neighbours, region and England": against,
    })
    if targets:
        shown["Local target"] = [(_num(m, t) if pd.notna(t) else "none set")
                                 for m, t in zip(g["measure"], g["target"])]
    shown["Status"] = [_status_cell(r) for _, r in g.iterrows()]
    units = ("Rates are percentages of full-time equivalent (FTE) social workers; caseload is "
             "cases per case-holding FTE. Lower agency use, turnover, vacancies, caseload and "
             "sickness absence are better.")
    rep.table("at_a_glance", g.drop(columns=["position_values"]),
              f"{rep.authority} at a glance, year to 30 September {year}. {units}",
              display=shown)
    commentary(rep, "at_a_glance")


def key_messages(rep: C.Report, extra: list[str] | None = None) -> None:
    """Three to five messages: what matters and which way it is moving (``extra``: findings from
    the council's own data, placed after the headline measures)."""
    rep.heading(2, "Key messages", "key-messages")
    msgs = G.key_messages(glance(rep), n=3)
    msgs += [e for e in (extra or []) if e][:1]
    extra = []
    mix = people_summary(rep)
    if mix is not None:
        extra.extend(PEOPLE.describe_people(mix, rep.authority, rep.year)[:1])
    cost = C.agency_cost(rep)
    if cost is not None and math.isfinite(cost.annual_premium) and cost.annual_premium > 0:
        from ..costs import money

        extra.append(f"Agency cover costs about {money(cost.annual_premium)} a year more than "
                     "employing the same number of social workers.")
    rep.bullets((msgs + extra)[:5], css="key-messages")
    if rep.synthetic:
        rep.note("The worker-level findings come from a synthetic council generated to resemble "
                 f"{rep.authority}: they illustrate the analysis and describe no real person.")


# ---------------------------------------------------------------------------------------------
# Who the social workers are (published characteristics, every council)


def characteristics(rep: C.Report) -> pd.DataFrame | None:
    """``tables/characteristics.csv``: the authority, its neighbours' median, region and England,
    every published year to the report year; None when the file cannot be found."""

    def compute():
        from ..errors import UserError
        from ..published.areas import area_index
        from ..published.characteristics import characteristics_dir, read_characteristics

        try:
            chars = read_characteristics(characteristics_dir(data_dir=rep.params.get("data_dir")))
        except UserError as exc:
            log(rep, f"characteristics not shown: {exc}")
            return None
        idx = area_index(rep.panel).set_index("key")
        keys = [k for k in C.bench(rep).neighbours["data_code"] if k and k in idx.index]
        table = PEOPLE.characteristics_table(chars, rep.area, rep.year,
                                             [idx.loc[k, "area_code"] for k in keys])
        rep.add_notes(table.attrs.get("notes"))
        return table

    return rep.cached("characteristics", compute)


def people_summary(rep: C.Report) -> pd.DataFrame | None:
    """Headline shares per area and year (swanalysis.people.mix_summary), or None."""
    t = characteristics(rep)
    if t is None or t.empty:
        return None
    return rep.cached("people_summary", lambda: PEOPLE.mix_summary(t))


MIX_LABELS = {
    "under_30": "Aged under 30",
    "aged_50_plus": "Aged 50 or over",
    "female": "Women",
    "ethnic_minority": "Ethnic minority (of those whose ethnicity is recorded)",
    "case_holders": "Case-holding social workers",
    "managers": "Managers",
}


def our_social_workers(rep: C.Report) -> None:
    """Age, sex, ethnicity and seniority mix against the neighbours, region and England, with the
    council's own returns beside the published figures when it has them."""
    table = characteristics(rep)
    if table is None:
        return
    rep.heading(2, "Our social workers", "our-social-workers")
    rep.record("characteristics", table)
    mix = people_summary(rep)
    rep.paragraphs(PEOPLE.describe_people(mix, rep.authority, rep.year))
    now = mix[mix["time_period"] == rep.year].set_index("area_type")
    if "la" not in now.index:
        return
    cols = {"la": rep.authority, "sn_median": "Neighbours (median)",
            "region": rep.area.region_name or "Region", "england": "England"}
    shown = pd.DataFrame({"Share of FTE (%)": list(MIX_LABELS.values())})
    own = None
    w = C.workers(rep) if rep.has_worker_data else None
    if w is not None:
        own = PEOPLE.own_mix(w.worker_years, rep.year, min_group=rep.params["min_group"])
    for at, name in cols.items():
        if at in now.index:
            shown[name] = [now.loc[at, m] for m in MIX_LABELS]
        if at == "la" and own is not None and own.notna().any():
            label = "synthetic returns" if rep.synthetic else "own returns"
            shown[f"{rep.authority}, {label}"] = [own[m] for m in MIX_LABELS]
    first = int(mix["time_period"].min())
    earlier = mix[(mix["area_type"] == "la") & (mix["time_period"] == first)]
    if first < rep.year and len(earlier):
        shown[f"{rep.authority}, {first}"] = [earlier.iloc[0][m] for m in MIX_LABELS]
    rep.table("characteristics_summary", mix,
              f"Who {possessive(rep.authority)} social workers were at 30 September {rep.year}: "
              "shares of full-time equivalent (FTE) social workers employed (not agency), "
              "against the statistical neighbours' median, region and England"
              + (", with the council's own census returns" if own is not None else "") + ".",
              display=shown)
    commentary(rep, "who_we_have")
    more_in_annex(rep, "characteristics-by-year", "Every year and role")
    with rep.annex():
        rep.heading(2, "Social workers' characteristics by year", "characteristics-by-year")
        mine = mix[mix["area_type"].isin(["la", "england"])]
        by_year = pd.DataFrame({
            "Year": mine["time_period"].astype(str),
            "Area": mine["area_name"],
            **{MIX_LABELS[m]: mine[m] for m in MIX_LABELS},
        })
        rep.table("characteristics_by_year_display", mine,
                  f"{rep.authority} and England, each year: shares of FTE (%).",
                  display=by_year, export=False)


# ---------------------------------------------------------------------------------------------
# Children's experience


def childrens_experience(rep: C.Report) -> None:
    """The share of looked-after children who had three or more social workers in the year."""
    from ..errors import UserError
    from ..published.areas import area_index
    from ..published.characteristics import characteristics_dir, read_cla_stability

    try:
        stab = read_cla_stability(characteristics_dir(data_dir=rep.params.get("data_dir")))
    except UserError as exc:
        log(rep, f"children's experience not shown: {exc}")
        return
    idx = area_index(rep.panel).set_index("key")
    keys = [k for k in C.bench(rep).neighbours["data_code"] if k and k in idx.index]
    table = PEOPLE.cla_stability_table(stab, rep.area, None,
                                       [idx.loc[k, "area_code"] for k in keys])
    year = int(table["time_period"].iloc[0]) if len(table) else None
    rep.heading(2, "Children's experience", "childrens-experience")
    rep.record("cla_stability", table)
    t = table.set_index("area_type")
    if "la" not in t.index or pd.isna(t.loc["la", "three_plus_pct"]):
        rep.paragraphs([f"The number of {possessive(rep.authority)} looked-after children who had "
                        f"three or more social workers in the year to 31 March {year} is not "
                        "published."])
        return
    me = t.loc["la"]
    refs = []
    if "sn_median" in t.index and pd.notna(t.loc["sn_median", "three_plus_pct"]):
        refs.append(f"{t.loc['sn_median', 'three_plus_pct']:.0f}% for the statistical neighbours "
                    "(median)")
    if "england" in t.index:
        refs.append(f"{t.loc['england', 'three_plus_pct']:.0f}% in England")
    count = (f" ({int(me['three_plus']):,} of {int(me['children']):,})"
             if pd.notna(me["three_plus"]) and pd.notna(me["children"]) else "")
    rep.paragraphs([
        f"Of the children {rep.authority} looked after at 31 March {year}, "
        f"{me['three_plus_pct']:.0f}%{count} had three or more social workers during the year, "
        f"against {' and '.join(refs)}. Fewer changes of social worker mean children keep the "
        "relationships that good social work is built on."
        + (f" These are the latest figures published (year to 31 March {year}), not figures for "
           f"{rep.year}." if year and year != rep.year else ""),
    ])
    commentary(rep, "childrens_experience")


# ---------------------------------------------------------------------------------------------
# Glossary (annex)


GLOSSARY = [
    ("Agency rate", "Agency social workers as a share of all social workers (FTE) at 30 September."),
    ("Average caseload", "Cases held at 30 September divided by the FTE of social workers who "
     "hold cases."),
    ("Confidence interval", "The range within which the true value probably lies (95% of the "
     "time), given the numbers involved; small numbers give wide intervals."),
    ("FTE", "Full-time equivalent: two half-time social workers count as 1.0 FTE."),
    ("Funnel plot", "A chart of every council's rate against its size, with limits that are wider "
     "for small councils, whose rates vary more by chance."),
    ("Hazard ratio", "How much more (above 1) or less (below 1) likely someone is to leave, "
     "compared with otherwise similar colleagues."),
    ("Retention", "The share of social workers still in post a given number of months after "
     "starting."),
    ("Sickness absence rate", "Working days lost to sickness as a share of the working days "
     "available (FTE × 253 days)."),
    ("Statistical neighbours", "The ten councils most like this one (population, deprivation and "
     "other factors) in the Department for Education's model."),
    ("Turnover rate", "Social workers (FTE) who left in the year as a share of those in post at "
     "30 September."),
    ("Vacancy rate", "Vacant posts (FTE) as a share of vacancies plus social workers in post."),
]


def glossary(rep: C.Report) -> None:
    """The annex's glossary of terms a councillor may not know."""
    with rep.annex():
        rep.heading(2, "Glossary", "glossary")
        body = "".join(f"<dt>{esc(t)}</dt><dd>{esc(d)}</dd>" for t, d in GLOSSARY)
        rep.show(f'<dl class="glossary">{body}</dl>')
