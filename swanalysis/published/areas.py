"""Which rows of the published statistics belong to a local authority, and its neighbours.

``resolve_area(query)`` accepts a name (case, punctuation and "&"/"and" insensitive, common short
forms such as "West Berks", "BCP", "Hull"), an old 3-digit DfE number (``872``) or a new
9-character ONS code (``E06000041``) and returns an :class:`Area`: the key of the rows in the
panel plus plain-English ``notes`` for the report about

* joint returns (``314 / 318`` Kingston upon Thames / Richmond upon Thames, ``940 / 941``
  North / West Northamptonshire): asking for either council gives the joint rows;
* boundary changes (Cumbria → Cumberland and Westmorland and Furness 2023; Northamptonshire →
  North and West Northamptonshire 2021; Bournemouth and Poole → BCP and the new Dorset 2019);
* ONS code changes under an unchanged DfE number (North Yorkshire, Somerset, Buckinghamshire,
  Barnsley, Sheffield) and figures superseded by a newer release.

``statistical_neighbours(area, model="2025")`` reads the DfE statistical-neighbour files.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .memo import memoised
from .panel import open_text, shared_panel
from ..errors import InputFileError, UserError
from ..results import Result, plural

#: Reorganisations the DfE data span (old DfE numbers -> new ones). The year is the first
#: reporting year (ending 30 September) in which the new councils publish figures.
BOUNDARY_CHANGES = [
    {
        "old": ("835",), "new": ("838",), "year": 2019,
        "text": "Dorset County Council (DfE 835) was replaced on 1 April 2019 by Dorset Council "
                "(DfE 838), which does not include Christchurch; figures to 2018 are for the old "
                "county and from 2019 for the new council, so the series is not like for like.",
    },
    {
        "old": ("836", "837"), "new": ("839",), "year": 2019,
        "text": "Bournemouth (DfE 837) and Poole (DfE 836) were merged with Christchurch on "
                "1 April 2019 to form Bournemouth, Christchurch and Poole (DfE 839); the DfE "
                "publishes Bournemouth and Poole to 2018 and BCP from 2019.",
    },
    {
        "old": ("928",), "new": ("940", "941"), "year": 2021,
        "text": "Northamptonshire County Council (DfE 928) was replaced on 1 April 2021 by North "
                "Northamptonshire (940) and West Northamptonshire (941); the DfE publishes "
                "Northamptonshire to 2020 and the new councils from 2021.",
    },
    {
        "old": ("909",), "new": ("942", "943"), "year": 2023,
        "text": "Cumbria County Council (DfE 909) was replaced on 1 April 2023 by Cumberland "
                "(942) and Westmorland and Furness (943); the DfE publishes Cumbria to 2022 and "
                "the two new councils from 2023.",
    },
]

#: Short forms people use -> the name the DfE publishes (after normalisation).
ALIASES = {
    "west berks": "west berkshire",
    "bcp": "bournemouth christchurch and poole",
    "rbwm": "windsor and maidenhead",
    "hull": "kingston upon hull",
    "durham": "county durham",
    "north northants": "north northamptonshire",
    "west northants": "west northamptonshire",
    "northants": "northamptonshire",
    "richmond": "richmond upon thames",
    "scilly": "isles of scilly",
    "brighton": "brighton and hove",
    "kensington and chelsea": "kensington and chelsea",
    "tower hamlets": "tower hamlets",
    "southend": "southend on sea",
    "stoke": "stoke on trent",
    "telford": "telford and wrekin",
    "east riding": "east riding of yorkshire",
    "westmorland": "westmorland and furness",
}

_PREFIXES = ("london borough of ", "royal borough of ", "city of ", "borough of ",
             "metropolitan borough of ", "county of ")
_SUFFIXES = (" metropolitan borough council", " borough council", " county council",
             " city council", " district council", " council", " city of", " county of",
             " unitary authority")


def normalise(name: str) -> str:
    """Lower case, '&' -> 'and', 'St.' -> 'st', punctuation removed, spaces collapsed."""
    s = name.lower().replace("&", " and ")
    s = re.sub(r"\bsaint\b", "st", s)
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def _variants(name: str) -> set[str]:
    """Normalised spellings of a published name that a user might type."""
    base = normalise(name)
    out = {base}
    changed = True
    while changed:
        changed = False
        for v in list(out):
            for p in _PREFIXES:
                p = p.strip()
                if v.startswith(p + " ") and len(v) > len(p) + 3:
                    w = v[len(p) + 1:]
                    if w not in out:
                        out.add(w)
                        changed = True
            for s in _SUFFIXES:
                s = s.strip()
                if v.endswith(" " + s) and len(v) > len(s) + 3:
                    w = v[: -len(s) - 1]
                    if w not in out:
                        out.add(w)
                        changed = True
            if v.startswith("the "):
                out.add(v[4:])
    return out


def _fmt_years(years) -> str:
    ys = sorted(set(int(y) for y in years))
    if not ys:
        return "no years"
    if len(ys) == 1:
        return str(ys[0])
    if ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}"
    return ", ".join(map(str, ys))


@dataclass
class Area:
    """An area the panel publishes figures for, with notes a report should show.

    ``old_la_code`` is the key of the rows in the panel (``314 / 318`` for a joint return,
    empty for England and regions). ``name`` is the published name of those rows; ``query_name``
    the council the user asked for when that differs (e.g. Richmond upon Thames).
    """

    name: str
    old_la_code: str
    area_code: str
    region_name: str
    region_code: str
    notes: list[str] = field(default_factory=list)
    area_level: str = "la"
    query_name: str = ""
    components: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    subregion_name: str = ""
    subregion_code: str = ""
    predecessors: tuple[str, ...] = ()
    successors: tuple[str, ...] = ()

    @property
    def is_joint(self) -> bool:
        """True for a joint return (two or more councils publishing one set of figures)."""
        return len(self.components) > 1

    @property
    def display_name(self) -> str:
        """The name to show (the published name)."""
        return self.name

    @property
    def slug(self) -> str:
        """The name as a file-name-safe slug (``wokingham``)."""
        from ..config import slugify
        return slugify(self.name)

    def has_year(self, year: int) -> bool:
        """True when the area has published figures for ``year``."""
        return int(year) in self.years

    def rows(self, panel: pd.DataFrame) -> pd.DataFrame:
        """This area's rows of the panel (all releases; filter on is_latest for newest)."""
        if self.area_level == "la":
            return panel[(panel["area_level"] == "la") & (panel["old_la_code"] == self.old_la_code)]
        return panel[(panel["area_level"] == self.area_level)
                     & (panel["area_code"] == self.area_code)]


# --------------------------------------------------------------------------- area index

def area_index(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per area key in the panel: names, codes, region, years with newest figures."""
    return memoised(panel, "area_index", None, lambda: _area_index(panel))


def _area_index(panel: pd.DataFrame) -> pd.DataFrame:
    cols = ["area_level", "area_code", "old_la_code", "area_name", "region_code",
            "region_name", "subregion_code", "subregion_name", "time_period", "release",
            "is_latest"]
    # every release publishes inpost_fte for every area and period: one row each suffices
    d = panel.loc[panel["measure"] == "inpost_fte", cols].drop_duplicates()
    if d.empty:
        d = panel[cols].drop_duplicates()
    d = d.assign(key=d["old_la_code"].where(d["area_level"] == "la",
                                            d["area_level"] + ":" + d["area_code"]))
    d = d.sort_values(["key", "release", "time_period"], kind="stable")
    g = d.groupby("key", sort=False)
    last = g[["area_level", "old_la_code", "area_name", "area_code", "region_code",
              "region_name", "subregion_code", "subregion_name"]].last()
    years_of = (lambda s: tuple(sorted({int(y) for y in s})))
    lat = d[d["is_latest"]]
    latest_years = lat.groupby("key")["time_period"].agg(years_of)
    codes = {k: dict(zip(v["time_period"].astype(int), v["area_code"]))
             for k, v in lat.sort_values("time_period")[["key", "time_period", "area_code"]]
             .groupby("key")}
    idx = last.reset_index()
    idx["components"] = [tuple(c.strip() for c in code.split(" / ")) if lvl == "la" else ()
                         for code, lvl in zip(idx["old_la_code"], idx["area_level"])]
    idx["latest_years"] = idx["key"].map(latest_years).map(
        lambda v: v if isinstance(v, tuple) else ())
    idx["all_years"] = idx["key"].map(g["time_period"].agg(years_of))
    idx["releases"] = idx["key"].map(g["release"].agg(years_of))
    idx["codes_by_year"] = idx["key"].map(lambda k: codes.get(k, {}))
    return idx


def all_areas(panel: pd.DataFrame, year: int | None = None, level: str = "la") -> pd.DataFrame:
    """Areas with newest figures (in ``year`` if given): old_la_code, area_name, area_code, ...

    ``swanalysis batch --all`` iterates over this: one row per published LA row, joint
    returns included once.
    """
    idx = area_index(panel)
    idx = idx[idx["area_level"] == level]
    idx = idx[idx["latest_years"].map(len) > 0]
    if year is not None:
        idx = idx[idx["latest_years"].map(lambda ys: int(year) in ys)]
    return idx.sort_values("area_name").reset_index(drop=True)


def _component_names(row) -> dict[str, str]:
    names = [n.strip() for n in row["area_name"].split(" / ")]
    comps = row["components"]
    if len(names) == len(comps):
        return dict(zip(comps, names))
    return {c: row["area_name"] for c in comps}


def _name_table(panel: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(normalised variant, key, published name it came from) for every name ever published."""
    idx = area_index(panel)
    hit = _NAME_CACHE.get(id(idx))
    if hit is not None and hit[0] is idx:
        return hit[1]
    out = []
    for _, row in idx.iterrows():
        names = {row["area_name"]}
        if row["area_level"] == "la":
            names |= set(_component_names(row).values())
        for n in names:
            for v in _variants(n):
                out.append((v, row["key"], n))
    _NAME_CACHE.clear()
    _NAME_CACHE[id(idx)] = (idx, out)
    return out


_NAME_CACHE: dict[int, tuple] = {}


def _keys_for_code(idx: pd.DataFrame, code: str) -> list[str]:
    code = code.strip()
    if re.fullmatch(r"\d{3}(\s*/\s*\d{3})*", code):
        parts = tuple(re.split(r"\s*/\s*", code))
        exact = idx[idx["key"] == " / ".join(parts)]["key"].tolist()
        return exact + idx[idx["components"].map(lambda cs: any(p in cs for p in parts))]["key"].tolist()
    code_u = " / ".join(re.split(r"\s*/\s*", code.upper()))
    hits = []
    for _, row in idx.iterrows():
        all_codes = {row["area_code"], *row["codes_by_year"].values()}
        split = {c.strip() for ac in all_codes for c in str(ac).split(" / ")}
        if code_u in all_codes or code_u in split:
            hits.append(row["key"])
    return hits


def _changes_for(components) -> list[dict]:
    return [c for c in BOUNDARY_CHANGES
            if set(components) & (set(c["old"]) | set(c["new"]))]


def resolve_area(query: str, panel: pd.DataFrame | None = None, data_dir=None,
                 year: int | None = None) -> Area:
    """The area a user means by a name or code, with notes for the report.

    Parameters
    ----------
    query : str
        A council name (any common spelling), a 3-digit DfE number or a 9-character ONS code.
    panel : pandas.DataFrame, optional
        The published panel (default: the shared panel of ``data_dir``).
    data_dir : path-like, optional
        Where the published files are (see :func:`swanalysis.published.panel.load_panel`).
    year : int, optional
        Picks between councils of the same name (Dorset 835 to 2018, 838 from 2019) and adds a
        note when the area has no figures that year (e.g. Cumbria in 2024).

    Returns
    -------
    Area
        name, old_la_code (the panel key; ``314 / 318`` for a joint return), area_code,
        region_name, region_code, notes, components, years, predecessors, successors.

    Raises
    ------
    UserError
        One line for an empty, unknown or ambiguous name.

    Examples
    --------
    >>> from swanalysis.published.areas import resolve_area
    >>> area = resolve_area("Wokingham")
    >>> area.name, area.old_la_code, area.region_name
    ('Wokingham', '872', 'South East')
    >>> resolve_area("Dorset", year=2017).old_la_code
    '835'
    """
    if panel is None:
        panel = shared_panel(data_dir)
    q = str(query).strip()
    if not q:
        raise UserError("no local authority given (use a name, 3-digit DfE number or 9-character code)")
    idx = area_index(panel)
    by_key = idx.set_index("key")

    matched_name = ""
    if re.fullmatch(r"\d{3}(\s*/\s*\d{3})*", q) or \
            re.fullmatch(r"[A-Za-z]\d{8}(\s*/\s*[A-Za-z]\d{8})*", q):
        keys = _keys_for_code(idx, q)
        how = "code"
    else:
        how = "name"
        table = _name_table(panel)
        nq = normalise(q)
        cand_q = {nq} | _variants(q)
        if nq in ALIASES:
            cand_q.add(ALIASES[nq])
        keys, names = [], []
        for v, k, n in table:
            if v in cand_q:
                keys.append(k)
                names.append(n)
        if not keys and len(nq) >= 4:
            for v, k, n in table:
                if v.startswith(nq + " ") or v.startswith(nq):
                    keys.append(k)
                    names.append(n)
            if len(set(names)) > 1:
                opts = "; ".join(sorted(set(names)))
                raise UserError(f"local authority {query!r} is ambiguous: did you mean {opts}?")
        keys = list(dict.fromkeys(keys))
        matched_name = names[0] if names else ""
    if not keys:
        raise UserError(
            f"no local authority matching {query!r} in the published statistics "
            "(use a name such as 'Wokingham', a DfE number such as 872 or a code such as E06000041)"
        )

    notes: list[str] = []
    # Prefer keys whose figures are current (not superseded by a newer release's joint row).
    current = [k for k in keys if by_key.loc[k, "latest_years"]]
    superseded = [k for k in keys if k not in current]
    if current:
        keys_c = current
    else:
        keys_c = keys
    if year is not None:
        in_year = [k for k in keys_c if int(year) in by_key.loc[k, "latest_years"]]
        if in_year:
            keys_c = in_year
    if len(keys_c) > 1:
        # Several councils (e.g. Dorset 835 / 838): the most recent one.
        keys_c = sorted(keys_c, key=lambda k: max(by_key.loc[k, "all_years"]), reverse=True)
    key = keys_c[0]
    row = by_key.loc[key]
    others = [k for k in keys if k != key and k not in superseded]

    level = row["area_level"]
    comps = row["components"]
    comp_names = _component_names(row) if level == "la" else {}
    query_comp = None
    if level == "la" and len(comps) > 1:
        if how == "code":
            asked = re.split(r"\s*/\s*", q.upper())
            hit = [c for c in comps if c in asked]
            if not hit:  # a 9-character code: the component at the same position
                codes = [c.strip() for c in str(row["area_code"]).split(" / ")]
                hit = [comps[i] for i, c in enumerate(codes) if c in asked and i < len(comps)]
            query_comp = hit[0] if len(hit) == 1 else None
        else:
            nq_all = {normalise(q)} | _variants(q) | ({ALIASES[normalise(q)]} if normalise(q) in ALIASES else set())
            for c, n in comp_names.items():
                if _variants(n) & nq_all:
                    query_comp = c
    query_name = comp_names.get(query_comp, "") if query_comp else ""

    if level == "la" and len(comps) > 1:
        asked = query_name or row["area_name"]
        partners = [comp_names[c] for c in comps if c != query_comp] if query_comp else []
        if query_comp:
            notes.append(
                f"{asked} makes a joint workforce return with {' and '.join(partners)}: the DfE "
                f"publishes one set of figures for both, shown here as '{row['area_name']}' "
                f"(DfE {row['old_la_code']})."
            )
        else:
            notes.append(
                f"'{row['area_name']}' is a joint workforce return (DfE {row['old_la_code']}): the "
                "DfE publishes one set of figures for these councils together."
            )
        # Older releases with separate figures for the partners.
        sep = idx[(idx["area_level"] == "la") & idx["key"].isin(comps)]
        for _, s in sep.iterrows():
            if not s["latest_years"]:
                notes.append(
                    f"The {_fmt_years(s['releases'])} release published separate figures for "
                    f"{s['area_name']} ({_fmt_years(s['all_years'])}); newer releases replace "
                    "them with the joint return's figures, which are used here."
                )
    elif superseded and how == "name":
        for k in superseded:
            if k != key:
                s = by_key.loc[k]
                notes.append(
                    f"The {_fmt_years(s['releases'])} release published figures for "
                    f"{s['area_name']} (DfE {k}) for {_fmt_years(s['all_years'])}; newer releases "
                    "replace them, and the newest figures are used here."
                )

    if matched_name and normalise(matched_name) != normalise(row["area_name"]) \
            and matched_name not in comp_names.values():
        notes.append(f"'{matched_name}' is published as '{row['area_name']}'.")

    preds, succs = [], []
    if level == "la":
        for ch in _changes_for(comps):
            notes.append(ch["text"])
            if set(comps) & set(ch["new"]):
                preds += list(ch["old"])
            if set(comps) & set(ch["old"]):
                succs += list(ch["new"])
        for k in others:
            o = by_key.loc[k]
            notes.append(
                f"Another council was also published as '{o['area_name']}' (DfE {k}, "
                f"{_fmt_years(o['latest_years'] or o['all_years'])}); this report uses DfE {key} "
                f"({_fmt_years(row['latest_years'])})."
            )
        codes = row["codes_by_year"]
        distinct = list(dict.fromkeys(codes.values()))
        if len(distinct) > 1:
            parts = []
            for c in distinct:
                ys = [y for y, v in codes.items() if v == c]
                parts.append(f"{c} ({_fmt_years(ys)})")
            notes.append(
                f"The ONS area code for {row['area_name']} changed ({', '.join(parts)}); the DfE "
                f"number {row['old_la_code']} is unchanged, so the figures form one series."
            )

    years = tuple(row["latest_years"])
    if year is not None and int(year) not in years:
        where = f"{years[0]}–{years[-1]}" if years else "no year"
        msg = f"There are no published figures for {row['area_name']} for {year} (figures cover {where})."
        if succs and int(year) > max(years or (0,)):
            names = [_name_of(idx, c) for c in succs]
            msg += f" It was replaced by {' and '.join(names)}."
        if preds and int(year) < min(years or (9999,)):
            names = [_name_of(idx, c) for c in preds]
            msg += f" Before then it was part of {' and '.join(dict.fromkeys(names))}."
        notes.append(msg)

    return Area(
        name=row["area_name"],
        old_la_code=row["old_la_code"],
        area_code=row["area_code"],
        region_name=row["region_name"],
        region_code=row["region_code"],
        notes=notes,
        area_level=level,
        query_name=query_name,
        components=tuple(comps),
        years=years,
        subregion_name=row["subregion_name"],
        subregion_code=row["subregion_code"],
        predecessors=tuple(dict.fromkeys(preds)),
        successors=tuple(dict.fromkeys(succs)),
    )


def _name_of(idx: pd.DataFrame, code: str) -> str:
    return memoised(idx, "name_of", code, lambda: _lookup_name(idx, code))


def _lookup_name(idx: pd.DataFrame, code: str) -> str:
    hit = idx[idx["key"] == code]
    if len(hit):
        return hit.iloc[0]["area_name"]
    for _, row in idx[idx["area_level"] == "la"].iterrows():
        if code in row["components"]:
            return _component_names(row)[code]
    return f"DfE {code}"


def _area_label(idx: pd.DataFrame, key: str) -> str:
    """The published name of a panel key (a joint key's joint name)."""
    hit = idx[idx["key"] == key]
    return hit.iloc[0]["area_name"] if len(hit) else _name_of(idx, key)


def key_for_code(panel: pd.DataFrame, code: str, year: int | None = None) -> tuple[str | None, str]:
    """The panel key (``old_la_code`` of rows) holding DfE number ``code`` in ``year``.

    Returns (key, note). A number inside a joint return maps to the joint key. When the council
    did not exist that year, a single successor or predecessor is used (e.g. 835 → 838 Dorset,
    836/837 → 839 BCP, 942/943 → 909 Cumbria for 2022 and earlier) and the note says so; when
    there are several (909 → 942 and 943) the key is None.
    """
    # asked for every neighbour of every authority in every year: answered once per panel
    year = None if year is None else int(year)
    return memoised(panel, "key_for_code", (code, year), lambda: _key_for_code(panel, code, year))


def _key_for_code(panel: pd.DataFrame, code: str, year: int | None) -> tuple[str | None, str]:
    idx = area_index(panel)
    la = idx[idx["area_level"] == "la"]
    holding = la[la["components"].map(lambda cs: code in cs)]
    if year is None:
        cur = holding[holding["latest_years"].map(len) > 0]
        return (cur.iloc[0]["key"] if len(cur) else None), ""
    y = int(year)
    cur = holding[holding["latest_years"].map(lambda ys: y in ys)]
    if len(cur):
        return cur.iloc[0]["key"], ""
    for ch in BOUNDARY_CHANGES:
        if code in ch["old"] and y >= ch["year"]:
            targets = ch["new"]
        elif code in ch["new"] and y < ch["year"]:
            targets = ch["old"]
        else:
            continue
        keys = {key_for_code(panel, t, y)[0] for t in targets} - {None}
        if len(keys) == 1:
            k = keys.pop()
            return k, (f"{_name_of(idx, code)} (DfE {code}) had no figures for {y}; "
                       f"{_name_of(idx, k.split(' / ')[0]) if ' / ' not in k else la[la['key'] == k].iloc[0]['area_name']}"
                       f" (DfE {k}) used in its place.")
        if len(keys) > 1:
            return None, (f"{_name_of(idx, code)} (DfE {code}) had no figures for {y} and was "
                          "split between several councils; left out.")
    return None, f"{_name_of(idx, code)} (DfE {code}) has no published figures for {y}."


# --------------------------------------------------------------------- statistical neighbours

SN_FILES = {
    "2025": "sn_model_2025_wide.csv",
    "2021": "New_Statistical_Neighbour_Groupings_April_2021.csv",
}

#: how a report names each set of neighbours
SN_MODEL_NAMES = {
    "2021": "the DfE's April 2021 statistical neighbour groupings",
    "2025": "the DfE's 2025 statistical neighbour model",
}

#: the first reporting year (ending 30 September) for which the 2025 model is the one in force
SN_2025_FROM = 2025


def sn_model_for_year(year: int, model: str | None = None) -> str:
    """The statistical-neighbour set to use for a reporting year.

    ``model`` ("2021" or "2025") is an explicit choice and wins; ``None`` or ``"auto"`` gives the
    set in force that year: the April 2021 groupings for years up to 2024 (the set the DfE's
    children's social care dashboard uses for them), the 2025 model from 2025.
    """
    if model not in (None, "", "auto"):
        model = str(model)
        if model not in SN_FILES:
            raise UserError(f"statistical neighbour model must be one of {', '.join(SN_FILES)} "
                            f"or auto, not {model!r}")
        return model
    return "2025" if int(year) >= SN_2025_FROM else "2021"


def other_sn_model(model: str) -> str:
    """The other statistical-neighbour set (2021 <-> 2025)."""
    return {"2021": "2025", "2025": "2021"}[str(model)]


@functools.lru_cache(maxsize=8)
def _read_sn(path: str, mtime: int) -> pd.DataFrame:
    """Long table: la_code, la_name, rank, sn_code, closeness (blank rows and headings skipped)."""
    p = Path(path)
    try:
        with open_text(p) as fh:
            rows = list(csv.reader(fh))
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{p}: cannot read ({type(exc).__name__})") from None
    if not rows:
        raise InputFileError(f"{p}: empty statistical neighbour file")
    header = [h.strip() for h in rows[0]]
    # positions of SN codes: SN1..SN10 (2021 file) or SN_1..SN_10 (2025 file); the closeness
    # label is the next column (the 2021 file names every one of them "SNP").
    sn_pos = {}
    for i, h in enumerate(header):
        m = re.fullmatch(r"SN_?(\d+)", h, flags=re.I)
        if m:
            sn_pos[int(m.group(1))] = i
    if not sn_pos:
        raise InputFileError(f"{p}: no SN1..SN10 columns in the header")
    code_i = 0
    name_i = 1
    out = []
    for line_no, r in enumerate(rows[1:], start=2):
        if not r or not r[code_i].strip():
            continue
        code = r[code_i].strip()
        if not re.fullmatch(r"\d{3}", code):
            continue  # headings such as "Old SNs:"
        for rank, i in sorted(sn_pos.items()):
            sn = r[i].strip() if i < len(r) else ""
            if not sn:
                continue
            if not re.fullmatch(r"\d{3}", sn):
                raise InputFileError(
                    f"{p}: record {line_no}: field {header[i]} is not a DfE number ({sn!r})")
            close = r[i + 1].strip() if i + 1 < len(r) else ""
            out.append({"la_code": code, "la_name": r[name_i].strip(), "rank": rank,
                        "sn_code": sn, "closeness": close.capitalize() if close else ""})
    return pd.DataFrame(out)


def _sn_file(model: str, data_dir=None) -> tuple[str, int]:
    """(path, modification time) of a model's statistical-neighbour file.

    Looked for in the data folder (plain, ``.gz`` or ``.xz``), then in the built-in snapshot
    (the groupings do not change between releases; a downloaded release folder holds only the
    indicators file)."""
    from ..config import COMPRESSED_SUFFIXES, data_dir as _dd, snapshot_dir
    model = str(model)
    if model not in SN_FILES:
        raise UserError(f"statistical neighbour model must be one of {', '.join(SN_FILES)}, not {model!r}")
    folder = _dd(data_dir)
    for where in (folder, snapshot_dir()):
        for suffix in COMPRESSED_SUFFIXES:
            path = where / (SN_FILES[model] + suffix)
            if path.exists():
                return str(path), path.stat().st_mtime_ns
    raise UserError(f"statistical neighbour file {SN_FILES[model]} not found in {folder}")


def sn_table(model: str = "2025", data_dir=None) -> pd.DataFrame:
    """The statistical-neighbour file of a model as a long table (la_code, rank, sn_code, ...)."""
    return _read_sn(*_sn_file(model, data_dir))


def statistical_neighbours(area, model: str = "2025", data_dir=None,
                           panel: pd.DataFrame | None = None,
                           year: int | None = None) -> Neighbours:
    """The area's 10 DfE statistical neighbours.

    Parameters
    ----------
    area : str or Area
        A name, DfE number, ONS code or :class:`Area` (see :func:`resolve_area`).
    model : {"2025", "2021"}, default "2025"
        Which DfE statistical-neighbour model.
    data_dir : path-like, optional
        Where the published files are.
    panel : pandas.DataFrame, optional
        The published panel (default: the shared panel of ``data_dir``).
    year : int, optional
        The year whose figures stand for each neighbour (default: now).

    Returns
    -------
    Neighbours
        ``.table()``: columns rank, old_la_code, area_name, closeness, ``data_code`` (the panel
        key whose figures stand for that neighbour: a joint return's key, or a
        successor/predecessor council when the neighbour had no figures; None when they fall on
        the area's own rows or duplicate an earlier neighbour's), ``note`` and ``stand_in``;
        ``.notes`` lists plain-English notes for the report, ``.sn_of`` the DfE number whose
        neighbours they are.

    Raises
    ------
    UserError
        For an area that is not a local authority or is not in the model.

    Examples
    --------
    >>> from swanalysis.published.areas import statistical_neighbours
    >>> sn = statistical_neighbours("Wokingham")
    >>> sn
    <Neighbours Wokingham, 2025 model: 10 neighbours, 10 with figures, 0 notes>
    >>> sn.table()[["rank", "old_la_code", "area_name"]].head(3)
       rank old_la_code               area_name
    0     1         868  Windsor and Maidenhead
    1     2         936                  Surrey
    2     3         825         Buckinghamshire
    """
    if panel is None:
        panel = shared_panel(data_dir)
    if not isinstance(area, Area):
        area = resolve_area(area, panel=panel, year=year)
    if area.area_level != "la":
        raise UserError(f"{area.name} is not a local authority: it has no statistical neighbours")
    sn_file = _sn_file(model, data_dir or panel.attrs.get("data_dir"))
    # the same for every report that asks (a benchmark asks once per year since 2017)
    key = (area.old_la_code, area.components, area.query_name, str(model), sn_file, year)
    found = memoised(panel, "statistical_neighbours", key,
                     lambda: _statistical_neighbours(area, str(model), _read_sn(*sn_file), panel, year))
    return found.copy()  # the caller's own copy, notes included


@dataclass(repr=False)
class Neighbours(Result):
    """An authority's DfE statistical neighbours, from :func:`statistical_neighbours`.

    Attributes
    ----------
    area : Area
        The authority asked about.
    model : str
        The statistical-neighbour model ("2021" or "2025").
    sn_of : str
        The DfE number whose neighbours these are (the council asked for within a joint return,
        or a predecessor/successor when the model has no entry for the area).
    data : pandas.DataFrame
        rank, old_la_code, area_name, closeness, data_code, note, stand_in (also ``.table()``).
    notes : list of str
        Plain-English notes for the report (joint returns, stand-ins, the model used).
    year : int or None
        The year whose figures stand for each neighbour (None: now).
    """

    area: Area
    model: str
    sn_of: str
    data: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    year: int | None = None

    def _title(self) -> str:
        return f"{self.area.name}, {self.model} model"

    def _counts(self) -> list[str]:
        with_figures = int(self.data["data_code"].notna().sum()) if len(self.data) else 0
        return [plural(len(self.data), "neighbour"), f"{with_figures} with figures",
                plural(len(self.notes), "note")]

    def table(self) -> pd.DataFrame:
        """The neighbours, closest first (``data``)."""
        return self.data

    def sentences(self) -> list[str]:
        """The neighbours named, closest first, then the notes."""
        names = ", ".join(self.data["area_name"].astype(str))
        return [f"The statistical neighbours of {self.area.name} in the DfE's {self.model} model, "
                f"closest first: {names}.", *self.notes]

    def copy(self) -> "Neighbours":
        """A copy the caller may change (its own table and notes)."""
        return replace(self, data=self.data.copy(), notes=list(self.notes))


def _statistical_neighbours(area: Area, model: str, sn: pd.DataFrame, panel: pd.DataFrame,
                            year: int | None) -> pd.DataFrame:
    notes = []
    # Which DfE number to look up: the council asked for within a joint return, else the first.
    codes = list(area.components)
    look = None
    if area.query_name:
        for c in codes:
            if _name_of(area_index(panel), c) == area.query_name:
                look = c
    order = ([look] if look else []) + [c for c in codes if c != look]
    # then predecessors/successors with a single council
    for c in order:
        if (sn["la_code"] == c).any():
            look = c
            break
    else:
        look = None
        cands = []
        for ch in BOUNDARY_CHANGES:
            if set(codes) & set(ch["new"]) and len(ch["old"]) == 1:
                cands.append(ch["old"][0])
            if set(codes) & set(ch["old"]) and len(ch["new"]) == 1:
                cands.append(ch["new"][0])
        for c in cands:
            if (sn["la_code"] == c).any():
                look = c
                notes.append(
                    f"The {model} statistical neighbour model has no entry for {area.name}; the "
                    f"neighbours of {_name_of(area_index(panel), c)} (DfE {c}) are used instead.")
                break
        if look is None:
            raise UserError(
                f"{area.name} (DfE {area.old_la_code}) is not in the {model} statistical "
                f"neighbour model; try the other model (--sn-model 2021 or 2025)")
    if area.is_joint:
        notes.append(
            f"{area.name} is a joint return; the statistical neighbours are those of "
            f"{_name_of(area_index(panel), look)} (DfE {look}) in the {model} model.")
    mine = sn[sn["la_code"] == look].sort_values("rank")
    idx = area_index(panel)
    out = []
    used = {area.old_la_code}
    own = set(area.components) | set(area.predecessors) | set(area.successors)
    for _, r in mine.iterrows():
        key, note = key_for_code(panel, r["sn_code"], year)
        if key is None and year is None:
            key, note = key_for_code(panel, r["sn_code"], max(area.years) if area.years else None)
        stand_in = ""
        if key is not None and r["sn_code"] not in key.split(" / "):
            stand_in = key
            if set(key.split(" / ")) & own and key != area.old_la_code:
                # e.g. Cumbria standing in for Westmorland and Furness as a neighbour of
                # Cumberland, 2017-2022: it holds the authority's own figures
                note = (f"{_name_of(idx, r['sn_code'])} (DfE {r['sn_code']}) had no figures for "
                        f"{year}; its predecessor or successor {_area_label(idx, key)} (DfE {key}) "
                        f"contains {area.name}'s own figures, so it is left out.")
                key = None
        if key is not None and key in used:
            note = (f"{_name_of(idx, r['sn_code'])} (DfE {r['sn_code']}) shares its published "
                    f"figures with {'this authority' if key == area.old_la_code else 'an earlier neighbour'}"
                    "; not counted twice.")
            key = None
        elif key is not None:
            used.add(key)
        if note:
            notes.append(note)
        name = (_name_of(idx, r["sn_code"]))
        out.append({"rank": int(r["rank"]), "old_la_code": r["sn_code"], "area_name": name,
                    "closeness": r["closeness"], "data_code": key, "note": note,
                    "stand_in": stand_in})
    df = pd.DataFrame(out, columns=["rank", "old_la_code", "area_name", "closeness",
                                    "data_code", "note", "stand_in"])
    return Neighbours(area, model, look, df, notes, year)
