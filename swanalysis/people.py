"""Who the social workers are: age, sex, ethnicity and seniority mix from the DfE's published
role-by-characteristics file, and how often looked-after children change social worker.

Takes the tidy tables of :mod:`swanalysis.published.characteristics` and returns tidy tables:

* :func:`characteristics_table` — one row per area × year × role × topic × breakdown for the
  authority (``la``), its statistical neighbours (their median, ``sn_median``, or each of them,
  ``neighbour``), its region (``region``) and England (``england``), every published year up to
  the report year (``tables/characteristics.csv``);
* :func:`mix_summary` — a handful of headline shares per area and year (under 30, 50 and over,
  women, ethnic minority among those whose ethnicity is known, case holders, managers);
* :func:`describe_people` — plain-English sentences for a report;
* :func:`cla_stability_table` — the share of children looked after who had 3 or more social
  workers in the year, for the authority, its neighbours, region and England.

Percentages are the DfE's: an ethnic group's share is of those whose ethnicity is known; every
other share is of the role's total. The neighbours' median is the median of the neighbours'
published values (those not published are left out), as for the indicators.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from .published.characteristics import ROLES, area_rows

TABLE_COLUMNS = ["area_name", "area_type", "time_period", "role", "breakdown_topic", "breakdown",
                 "fte", "fte_pct", "headcount", "headcount_pct"]
STABILITY_TABLE_COLUMNS = ["area_name", "area_type", "time_period", "children", "three_plus",
                           "three_plus_pct"]
_KEY = ["time_period", "role", "breakdown_topic", "breakdown"]
_TYPE_ORDER = {"la": 0, "sn_median": 1, "neighbour": 2, "region": 3, "england": 4}
MANAGER_ROLES = ("First line manager", "Middle manager", "Senior manager")
NEIGHBOURS_LABEL = "Statistical neighbour median"


def _combine(rows: pd.DataFrame) -> pd.DataFrame:
    """One area's rows from several member councils published separately: counts added,
    percentages recomputed from them (of the role total; an ethnic group's of those known)."""
    if rows["area_code"].nunique() <= 1:
        return rows
    g = rows.groupby(_KEY, observed=True)[["fte", "headcount"]].sum(min_count=len(
        rows["area_code"].unique())).reset_index()
    base_name = {"Ethnicity major": "Known"}
    out = []
    for (tp, role, topic), sub in g.groupby(["time_period", "role", "breakdown_topic"], observed=True):
        tot = sub.set_index("breakdown")
        known = base_name.get(topic, "Total")
        for c in ("fte", "headcount"):
            denom_total = tot[c].get("Total", np.nan)
            denom_known = tot[c].get(known, np.nan)
            base = np.where(sub["breakdown"].isin(["Total", "Known", "Not known"]) | (topic != "Ethnicity major"),
                            denom_total, denom_known)
            sub = sub.assign(**{f"{c}_pct": np.round(100 * sub[c] / base, 1)})
        out.append(sub)
    combined = pd.concat(out, ignore_index=True)
    first = rows.iloc[0]
    for c in ("area_level", "region_code", "region_name"):
        combined[c] = first[c]
    combined["area_code"] = " / ".join(sorted(rows["area_code"].unique()))
    combined["area_name"] = " / ".join(rows.drop_duplicates("area_code")["area_name"])
    return combined


def _la_rows_for(las: pd.DataFrame, at: dict, code: str) -> pd.DataFrame:
    """An authority's rows among ``las`` (the authorities' rows of the characteristics table;
    ``at``: each code's row positions in it, in order)."""
    mine = las.iloc[at[code]] if code in at else las.iloc[:0]
    if len(mine) == 0 and " / " in str(code):
        mine = _combine(las[las["area_code"].isin([c.strip() for c in code.split("/")])])
    return mine


def characteristics_table(chars: pd.DataFrame, area, year: int, neighbours: Iterable[str] = (),
                          each_neighbour: bool = False, first_year: int | None = None,
                          region: bool = True, england: bool = True) -> pd.DataFrame:
    """The authority beside its neighbours, region and England, every year up to ``year``.

    ``chars``: :func:`~swanalysis.published.characteristics.read_characteristics`. ``area``: an
    :class:`~swanalysis.published.areas.Area`. ``neighbours``: the neighbours' ONS codes (a joint
    return's as ``E09000021 / E09000027``); their median (``sn_median``) or, with
    ``each_neighbour``, each of them (``neighbour``). ``attrs['notes']`` says what is missing.
    """
    year = int(year)
    in_years = chars[(chars["time_period"] <= year)
                     & (chars["time_period"] >= (first_year or chars["time_period"].min()))]
    notes = []
    parts = []

    def add(rows, area_type, name=None):
        if len(rows) == 0:
            return
        d = rows.assign(area_type=area_type)
        if name is not None:
            d = d.assign(area_name=name)
        parts.append(d)

    mine = area_rows(in_years, area)
    if getattr(area, "is_joint", False) and mine["area_code"].nunique() > 1:
        mine = _combine(mine)
    add(mine, "la", area.name)
    published_years = sorted(int(y) for y in in_years["time_period"].unique())
    have = set(int(y) for y in mine["time_period"].unique())
    missing = [y for y in published_years if y not in have]
    if missing:
        span = f"{missing[0]}" if len(missing) == 1 else f"{missing[0]}–{missing[-1]}"
        notes.append(f"The DfE's file of social workers' characteristics has no figures for "
                     f"{area.name} for {span}.")
    if year not in published_years:
        notes.append(f"Social workers' characteristics are published from "
                     f"{int(chars['time_period'].min())}; there are none for {year}.")

    las = in_years[in_years["area_level"] == "la"]
    at = las.groupby("area_code", sort=False).indices if len(las) else {}
    nb = [(c, _la_rows_for(las, at, c)) for c in dict.fromkeys(n for n in neighbours if n)]
    nb = [(c, r) for c, r in nb if len(r)]
    if each_neighbour:
        for _, r in nb:
            add(r, "neighbour")
    elif nb:
        allnb = pd.concat([r for _, r in nb], ignore_index=True)
        med = (allnb.groupby(_KEY, observed=True)[["fte", "fte_pct", "headcount", "headcount_pct"]]
               .median().reset_index())
        add(med, "sn_median", NEIGHBOURS_LABEL)
    if region and getattr(area, "region_code", ""):
        reg = in_years[(in_years["area_level"] == "regional")
                       & (in_years["area_code"] == area.region_code)]
        add(reg, "region")
    if england:
        add(in_years[in_years["area_level"] == "national"], "england", "England")
    if not parts:
        out = pd.DataFrame(columns=TABLE_COLUMNS)
    else:
        out = pd.concat([p[TABLE_COLUMNS] for p in parts], ignore_index=True)
        for c in ("role", "breakdown_topic", "breakdown"):
            out[c] = out[c].astype(str)
        role_order = {r: i for i, r in enumerate(ROLES)}
        out = (out.assign(_t=out["area_type"].map(_TYPE_ORDER), _r=out["role"].map(role_order))
               .sort_values(["time_period", "_t", "area_name", "_r", "breakdown_topic"], kind="stable")
               .drop(columns=["_t", "_r"]).reset_index(drop=True))
        out["time_period"] = out["time_period"].astype(int)
    out.attrs["notes"] = notes
    return out


def _share(t: pd.DataFrame, role: str, topic: str, breakdowns) -> pd.Series:
    s = t[(t["role"] == role) & (t["breakdown_topic"] == topic) & t["breakdown"].isin(breakdowns)]
    return s.groupby(["area_type", "area_name", "time_period"])["fte_pct"].sum(min_count=1)


#: Headline shares (% of FTE) a report shows, in order: name -> words.
MIX_MEASURES = {
    "under_30": "aged under 30",
    "aged_50_plus": "aged 50 or over",
    "female": "women",
    "ethnic_minority": "from an ethnic minority (of those whose ethnicity is known)",
    "case_holders": "case-holding social workers",
    "managers": "managers (first line, middle and senior)",
}


def mix_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Headline shares (% of FTE) per area and year from :func:`characteristics_table`.

    Columns: area_type, area_name, time_period and one per :data:`MIX_MEASURES`. Seniority shares
    are each role's FTE as a share of all social workers' FTE.
    """
    if table.empty:
        return pd.DataFrame(columns=["area_type", "area_name", "time_period", *MIX_MEASURES])
    cols = {
        "under_30": _share(table, "Total", "Age group", ["20 to 29 years old"]),
        "aged_50_plus": _share(table, "Total", "Age group", ["50 to 59 years old",
                                                            "60 years old and over"]),
        "female": _share(table, "Total", "Sex", ["Female"]),
        "ethnic_minority": _share(table, "Total", "Ethnicity major", [
            "Mixed / Multiple ethnic groups", "Asian / Asian British",
            "Black / African / Caribbean / Black British", "Other ethnic group"]),
    }
    totals = table[(table["breakdown_topic"] == "Age group") & (table["breakdown"] == "Total")]
    by_role = totals.pivot_table(index=["area_type", "area_name", "time_period"], columns="role",
                                 values="fte", aggfunc="first")
    if "Total" in by_role:
        all_fte = by_role["Total"].where(by_role["Total"] > 0)
        if "Case holder" in by_role:
            cols["case_holders"] = (100 * by_role["Case holder"] / all_fte).round(1)
        mgr = [r for r in MANAGER_ROLES if r in by_role]
        if mgr:
            cols["managers"] = (100 * by_role[mgr].sum(axis=1, min_count=len(mgr)) / all_fte).round(1)
    out = pd.DataFrame(cols).reset_index()
    for m in MIX_MEASURES:
        if m not in out:
            out[m] = np.nan
    out = out.assign(_t=out["area_type"].map(_TYPE_ORDER)).sort_values(
        ["time_period", "_t", "area_name"]).drop(columns="_t").reset_index(drop=True)
    return out[["area_type", "area_name", "time_period", *MIX_MEASURES]]


def _pct(v) -> str:
    return "–" if v is None or pd.isna(v) else f"{v:.0f}%"


def describe_people(summary: pd.DataFrame, area_name: str, year: int) -> list[str]:
    """Plain-English sentences: the authority's mix this year against England (and the
    neighbours' median), and the change since the first published year."""
    s = summary[summary["time_period"] == int(year)].set_index("area_type")
    if "la" not in s.index:
        return [f"The DfE has not published the age, sex and ethnicity of {area_name}'s social "
                f"workers for {year}."]
    me = s.loc["la"]
    eng = s.loc["england"] if "england" in s.index else None
    sn = s.loc["sn_median"] if "sn_median" in s.index else None

    def vs(m):
        parts = []
        if sn is not None and pd.notna(sn[m]):
            parts.append(f"neighbours {_pct(sn[m])}")
        if eng is not None and pd.notna(eng[m]):
            parts.append(f"England {_pct(eng[m])}")
        return f" ({', '.join(parts)})" if parts else ""

    out = []
    if pd.notna(me["under_30"]):
        out.append(f"In {year}, {_pct(me['under_30'])} of {area_name}'s social workers (FTE) were "
                   f"aged under 30{vs('under_30')} and {_pct(me['aged_50_plus'])} were 50 or "
                   f"over{vs('aged_50_plus')}.")
    if pd.notna(me["female"]):
        out.append(f"{_pct(me['female'])} were women{vs('female')}; of those whose ethnicity is "
                   f"recorded, {_pct(me['ethnic_minority'])} were from an ethnic "
                   f"minority{vs('ethnic_minority')}.")
    if pd.notna(me.get("case_holders")):
        out.append(f"{_pct(me['case_holders'])} held cases{vs('case_holders')} and "
                   f"{_pct(me['managers'])} were managers{vs('managers')}.")
    mine = summary[(summary["area_type"] == "la") & summary["under_30"].notna()]
    if len(mine) > 1:
        first = mine.iloc[0]
        d = me["under_30"] - first["under_30"]
        if pd.notna(d) and abs(d) >= 1:
            out.append(f"The share aged under 30 has {'risen' if d > 0 else 'fallen'} from "
                       f"{_pct(first['under_30'])} in {int(first['time_period'])}.")
    return out


def cla_stability_table(stab: pd.DataFrame, area, year: int | None = None,
                        neighbours: Iterable[str] = (), each_neighbour: bool = False) -> pd.DataFrame:
    """Children looked after at 31 March with 3 or more social workers in the year: the
    authority (member councils of a joint return added up), its neighbours' median (or each),
    its region and England (``STABILITY_TABLE_COLUMNS``)."""
    if year is None:
        year = int(stab["time_period"].max())
    s = stab[stab["time_period"] == int(year)]
    parts = []

    def one(rows, area_type, name):
        if len(rows) == 0:
            return None
        children = rows["children"].sum(min_count=len(rows))
        three = rows["three_plus"].sum(min_count=len(rows))
        pct = (rows["three_plus_pct"].iloc[0] if len(rows) == 1
               else (round(100 * three / children) if children and pd.notna(three) else np.nan))
        return {"area_name": name, "area_type": area_type, "time_period": int(year),
                "children": children, "three_plus": three, "three_plus_pct": pct}

    las = s[s["area_level"] == "la"]

    def la(code):
        codes = [c.strip() for c in str(code).split("/")]
        return las[las["area_code"].isin(codes)]

    codes = [c.strip() for c in str(area.area_code).split("/")]
    mine = las[las["area_code"].isin(codes)]
    if len(mine) == 0 and getattr(area, "components", ()):
        mine = las[las["old_la_code"].isin(area.components)]
    parts.append(one(mine, "la", area.name))
    nb = [one(la(c), "neighbour", " / ".join(la(c)["area_name"])) for c in dict.fromkeys(neighbours)]
    nb = [r for r in nb if r is not None]
    if each_neighbour:
        parts.extend(nb)
    elif nb:
        vals = pd.DataFrame(nb)
        # the median of the neighbours' percentages (their counts' medians would mean nothing)
        parts.append({"area_name": NEIGHBOURS_LABEL, "area_type": "sn_median",
                      "time_period": int(year), "children": np.nan, "three_plus": np.nan,
                      "three_plus_pct": vals["three_plus_pct"].median()})
    reg = s[(s["area_level"] == "regional") & (s["area_code"] == getattr(area, "region_code", ""))]
    parts.append(one(reg, "region", reg["area_name"].iloc[0] if len(reg) else ""))
    parts.append(one(s[s["area_level"] == "national"], "england", "England"))
    out = pd.DataFrame([p for p in parts if p is not None], columns=STABILITY_TABLE_COLUMNS)
    return out


_UNDER_30 = {"under 25", "25-29"}
_OVER_50 = {"50-59", "60+"}
_ETHNICITY_UNKNOWN = {"REFU", "NOBT", ""}
_MANAGER_ROLES_OWN = {"First Line Manager", "Middle Manager", "Senior Manager"}


def own_mix(worker_years: pd.DataFrame, year: int, min_group: int = 10) -> pd.Series:
    """The council's own mix (the :data:`MIX_MEASURES`, % of FTE) from its census returns, as the
    DfE counts it: employed social workers (not agency) in post at 30 September of ``year``.

    Ages and ethnicities not recorded are left out of those shares (as the DfE leaves ethnicity
    not known out of the ethnic groups' shares). Fewer than ``min_group`` workers: all NaN.
    """
    wy = worker_years
    sel = wy[(wy["census_year"] == int(year)) & wy["in_post"].astype(bool)
             & ~wy["agency"].astype(bool)]
    out = pd.Series({m: np.nan for m in MIX_MEASURES}, dtype=float)
    if sel["worker_id"].nunique() < min_group:
        return out
    fte = pd.to_numeric(sel["fte"], errors="coerce").fillna(0.0)
    total = fte.sum()
    if total <= 0:
        return out

    def share(mask, base=None):
        b = fte[base].sum() if base is not None else total
        return round(100 * fte[mask & (base if base is not None else True)].sum() / b, 1) \
            if b > 0 else np.nan

    age = sel["age_band"].astype(str)
    known_age = age.ne("unknown") & age.ne("nan")
    out["under_30"] = share(age.isin(_UNDER_30), known_age)
    out["aged_50_plus"] = share(age.isin(_OVER_50), known_age)
    gender = sel["gender"].astype(str)
    known_gender = gender.isin(["Male", "Female"])
    out["female"] = share(gender.eq("Female"), known_gender)
    eth = sel["ethnicity"].fillna("").astype(str).str.upper()
    known_eth = ~eth.isin(_ETHNICITY_UNKNOWN)
    out["ethnic_minority"] = share(~eth.str.startswith("W"), known_eth)
    role = sel["role"].astype(str)
    out["case_holders"] = share(role.eq("Case Holder"))
    out["managers"] = share(role.isin(_MANAGER_ROLES_OWN))
    return out
