"""The measure registry: every published CSWW measure, described once.

Each :class:`Measure` says what the DfE's column is called under each release layout, how to
label and format it, whether it is a rate, a count or a ratio (and of what), which direction is
better, and where the package uses it (its *roles*). Each :class:`Layout` says how one DfE release
layout is found and read. Everything else derives from these two tables: the panel's column map
(:mod:`swanalysis.published.panel`), the measures a benchmark compares and how it words them
(:mod:`swanalysis.benchmark`), what a download must contain (:mod:`swanalysis.published.fetch`),
the report's key messages, figures and table headings and the batch index's headline columns.

Adding a measure is one entry in :data:`REGISTRY` (docs/architecture.md shows one).

>>> from swanalysis import measures
>>> measures.get("turnover_rate").better
'lower'
>>> [m.name for m in measures.with_role("figure")]
['agency_rate', 'turnover_rate']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

#: Where a measure is used. ``benchmark``: compared with neighbours, region and England (and
#: named in a download check); ``key_message``: one sentence in the report's key messages and a
#: subsection of "How we compare"; ``figure``: ranked bar and funnel plot as well as the trend;
#: ``headline``: a column of the batch index.
ROLES = ("benchmark", "key_message", "figure", "headline", "glance")
KINDS = ("rate", "count", "ratio")


@dataclass(frozen=True)
class Measure:
    """One published measure.

    Attributes
    ----------
    name : str
        Canonical name (the panel's ``measure`` column, docs/tables.md).
    columns : dict
        Layout name (:data:`LAYOUTS`) -> the column that layout publishes it in. A layout
        without the measure has no entry.
    label : str
        Lower-case words for sentences ("turnover rate").
    short_label : str
        Capitalised short name for a column heading ("Turnover rate").
    axis_label : str
        Heading with its unit, for tables and axes ("Turnover rate (%)").
    unit : str
        Suffix a formatted value takes ("%", " FTE", " cases per case-holding FTE").
    unit_short : str
        The unit in a heading's brackets ("%", "FTE", "cases per FTE").
    kind : str
        ``rate`` (a percentage of a denominator), ``count`` or ``ratio``.
    decimals : int
        Decimal places shown.
    numerator, denominator : str or None, tuple of str
        Measures whose ratio this is (a rate's denominator is the sum of the measures named);
        ``numerator`` is None where the DfE publishes no count for it (absence: days lost are
        converted to FTE days).
    better : {"lower", "higher", None}
        Which direction is better for children's services; None when neither is by itself.
    roles : dict
        Role (:data:`ROLES`) -> position in that role's lists (``glance``: a row of the
        committee paper's At a glance table).
    steady : float
        A change on last year smaller than this reads "about the same" (points for a rate,
        cases for a caseload; for a count, a share of last year's value).
    """

    name: str
    columns: Mapping[str, str]
    label: str
    short_label: str
    axis_label: str
    unit: str
    unit_short: str
    kind: str
    decimals: int = 1
    numerator: str | None = None
    denominator: tuple[str, ...] = ()
    better: str | None = None
    roles: Mapping[str, int] = field(default_factory=dict)
    steady: float = 0.5

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind must be one of {KINDS}, not {self.kind!r}")
        if self.better not in ("lower", "higher", None):
            raise ValueError(f"{self.name}: better must be 'lower', 'higher' or None")
        unknown = set(self.roles) - set(ROLES)
        if unknown:
            raise ValueError(f"{self.name}: unknown role {sorted(unknown)[0]!r}")
        if self.kind == "rate" and "benchmark" in self.roles and not self.denominator:
            raise ValueError(f"{self.name}: a benchmarked rate needs its denominator")


@dataclass(frozen=True)
class Layout:
    """One DfE release layout of the workforce statistics.

    Attributes
    ----------
    name : str
        Key used in :attr:`Measure.columns`.
    pattern : str
        File-name glob (a compressed copy adds ``.gz`` / ``.xz``).
    release_label : str
        What the release is called, for notes.
    precedence : int
        When a folder holds two layouts of the same release year, the higher precedence wins.
    header_aliases : dict
        Other spellings of the identifier columns (the EES API's CSV, headers written as
        labels) -> the published name. Measure columns the API spells without ``_%`` are matched
        by :func:`column_to_measure`.
    """

    name: str
    pattern: str
    release_label: str
    precedence: int
    header_aliases: Mapping[str, str] = field(default_factory=dict)


#: The columns that say which area and year a row is, in every layout.
ID_COLUMNS = ("time_period", "time_identifier", "geographic_level", "country_code",
              "country_name", "region_code", "region_name", "old_la_code", "new_la_code",
              "la_name")
#: Identifier columns a file must have to be read (``time_identifier`` is always "Academic year"
#: or similar and may be missing from an API download).
REQUIRED_COLUMNS = tuple(c for c in ID_COLUMNS if c != "time_identifier")

#: Spellings of the identifier columns (snake-cased headers) -> the published names.
ID_HEADER_ALIASES = {
    "time_period": "time_period", "time": "time_period", "year": "time_period",
    "time_identifier": "time_identifier",
    "geographic_level": "geographic_level", "level": "geographic_level",
    "country_code": "country_code", "country": "country_name", "country_name": "country_name",
    "region_code": "region_code", "region": "region_name", "region_name": "region_name",
    "old_la_code": "old_la_code", "la_number": "old_la_code", "old_la_number": "old_la_code",
    "new_la_code": "new_la_code", "la_code": "new_la_code", "local_authority_code": "new_la_code",
    "la_name": "la_name", "local_authority": "la_name", "local_authority_name": "la_name",
}

LAYOUTS = {
    "indicators": Layout(
        "indicators", "csww_indicators_2017_to_*.csv",
        "Children's social work workforce: indicators file (2023 release onwards)", 1,
        ID_HEADER_ALIASES),
    "headline": Layout(
        "headline", "csww_headline_measures_2017_to_*.csv",
        "Children's social work workforce: headline measures file (2022 release)", 0,
        ID_HEADER_ALIASES),
}

#: Files a CSWW data folder holds that are not measure files, and what reads them instead.
NOT_MEASURE_FILES = {
    "New_Statistical_Neighbour_Groupings_*.csv": "statistical neighbours (published.areas)",
    "sn_model_*_wide.csv": "statistical neighbours (published.areas)",
    "csww_workforce_role_by_ethnicity_*.csv": "headcount by role and ethnic group: a breakdown "
                                              "by characteristic, not an indicator; not read",
}

#: Columns of a measure file that are deliberately not measures (none today).
IGNORED_COLUMNS: frozenset[str] = frozenset()


def _m(name, indicators, headline, label, short_label, axis_label, unit, unit_short, kind,
       **kw) -> Measure:
    columns = {k: v for k, v in (("indicators", indicators), ("headline", headline)) if v}
    return Measure(name, columns, label, short_label, axis_label, unit, unit_short, kind, **kw)


_FTE, _HC = " FTE", ""
#: Every published measure, in display order (docs/tables.md). One entry per measure.
REGISTRY: dict[str, Measure] = {m.name: m for m in [
    _m("inpost_fte", "inpost_fte", "social_worker_fte", "social workers in post",
       "Social workers in post", "Social workers in post (FTE)", _FTE, "FTE", "count",
       roles={"benchmark": 6, "glance": 6}, steady=0.02),
    _m("inpost_headcount", "inpost_headcount", "social_worker_headcount",
       "social workers in post (headcount)", "Social workers in post",
       "Social workers in post (headcount)", _HC, "headcount", "count", decimals=0),
    _m("starters_fte", "starters_fte", None, "starters", "Starters", "Starters (FTE)", _FTE,
       "FTE", "count", roles={"benchmark": 7}),
    _m("starters_headcount", "starters_headcount", None, "starters (headcount)", "Starters",
       "Starters (headcount)", _HC, "headcount", "count", decimals=0),
    _m("leavers_fte", "leavers_fte", "leaver_fte", "leavers", "Leavers", "Leavers (FTE)", _FTE,
       "FTE", "count", roles={"benchmark": 8}),
    _m("leavers_headcount", "leavers_headcount", "leaver_headcount", "leavers (headcount)",
       "Leavers", "Leavers (headcount)", _HC, "headcount", "count", decimals=0),
    _m("turnover_rate", "turnover_rate_fte", "turnover_rate_fte_%", "turnover rate",
       "Turnover rate", "Turnover rate (%)", "%", "%", "rate", numerator="leavers_fte",
       denominator=("inpost_fte",), better="lower",
       roles={"benchmark": 1, "key_message": 2, "figure": 2, "headline": 2, "glance": 2}),
    _m("turnover_rate_headcount", "turnover_rate_headcount", "turnover_rate_headcount_%",
       "turnover rate (headcount)", "Turnover rate", "Turnover rate, headcount (%)", "%", "%",
       "rate", numerator="leavers_headcount", denominator=("inpost_headcount",), better="lower"),
    _m("agency_fte", "agency_fte", "agency_fte", "agency workers", "Agency workers",
       "Agency workers (FTE)", _FTE, "FTE", "count"),
    _m("agency_headcount", "agency_headcount", "agency_headcount", "agency workers (headcount)",
       "Agency workers", "Agency workers (headcount)", _HC, "headcount", "count", decimals=0),
    _m("agency_rate", "agency_rate_fte", "agency_worker_rate_fte_%", "agency rate",
       "Agency rate", "Agency rate (%)", "%", "%", "rate", numerator="agency_fte",
       denominator=("inpost_fte", "agency_fte"), better="lower",
       roles={"benchmark": 2, "key_message": 1, "figure": 1, "headline": 1, "glance": 1}),
    _m("agency_rate_headcount", "agency_rate_headcount", "agency_worker_rate_headcount_%",
       "agency rate (headcount)", "Agency rate", "Agency rate, headcount (%)", "%", "%", "rate",
       numerator="agency_headcount", denominator=("inpost_headcount", "agency_headcount"),
       better="lower"),
    _m("agency_cover_fte", "agency_cover_fte", "agency_cover_fte",
       "vacancies covered by agency", "Vacancies covered by agency",
       "Vacancies covered by agency (FTE)", _FTE, "FTE", "count"),
    _m("agency_cover_rate", "agency_cover_rate_fte", "agency_cover_rate_fte_%",
       "agency cover rate", "Agency cover rate", "Agency cover rate (%)", "%", "%", "rate",
       numerator="agency_cover_fte", denominator=("agency_fte",)),
    _m("vacancy_fte", "vacancy_fte", "vacancy_fte", "vacancies", "Vacancies", "Vacancies (FTE)",
       _FTE, "FTE", "count"),
    _m("vacancy_rate", "vacancy_rate_fte", "vacancy_rate_fte_%", "vacancy rate", "Vacancy rate",
       "Vacancy rate (%)", "%", "%", "rate", numerator="vacancy_fte",
       denominator=("inpost_fte", "vacancy_fte"), better="lower",
       roles={"benchmark": 3, "key_message": 3, "headline": 3, "glance": 3}),
    _m("vacancy_agency_cover_rate", "vacancy_agency_cover_rate_fte",
       "vacancy_agency_cover_rate_fte_%", "share of vacancies covered by agency",
       "Vacancies covered by agency", "Vacancies covered by agency (%)", "%", "%", "rate",
       numerator="agency_cover_fte", denominator=("vacancy_fte",)),
    _m("case_holders_fte", "case_holders_fte", "case_holders_fte", "case-holding social workers",
       "Case holders", "Case-holding social workers (FTE)", _FTE, "FTE", "count"),
    _m("cases", "cases", "cases", "cases held", "Cases", "Cases held", _HC, "cases", "count",
       decimals=0),
    _m("caseload", "caseload_fte", "caseload_fte", "average caseload", "Caseload",
       "Average caseload", " cases per case-holding FTE", "cases per FTE", "ratio",
       numerator="cases", denominator=("case_holders_fte",), better="lower",
       roles={"benchmark": 4, "key_message": 4, "headline": 4, "glance": 4}),
    _m("working_days_lost_fte", "working_days_lost_fte", "working_days_lost_fte",
       "working days lost to sickness", "Working days lost", "Working days lost (FTE days)",
       " FTE days", "FTE days", "count"),
    _m("absence_rate", "absence_rate_fte", "absence_rate_fte_%", "sickness absence rate",
       "Sickness absence rate", "Sickness absence rate (%)", "%", "%", "rate",
       denominator=("inpost_fte",), better="lower",
       roles={"benchmark": 5, "key_message": 5, "glance": 5}, steady=0.2),
]}


def get(name: str) -> Measure:
    """The registry entry for a measure; KeyError naming the known ones for any other name."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown measure {name!r}; known: {', '.join(REGISTRY)}") from None


def with_role(role: str) -> list[Measure]:
    """The measures with a role (:data:`ROLES`), in that role's order."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    found = [m for m in REGISTRY.values() if role in m.roles]
    return sorted(found, key=lambda m: m.roles[role])


def names(role: str | None = None) -> list[str]:
    """Measure names: all of them (display order), or those with a role in that role's order."""
    return list(REGISTRY) if role is None else [m.name for m in with_role(role)]


def column_to_measure() -> dict[str, str]:
    """Every column spelling that holds a measure -> the measure's name.

    Each layout's column, and for a column ending ``_%`` the same without it (the EES API's
    spelling of the older layout).
    """
    out = {}
    for m in REGISTRY.values():
        for col in m.columns.values():
            out.setdefault(col, m.name)
    for col, name in list(out.items()):
        if col.endswith("_%"):
            out.setdefault(col[:-2], name)
    return out


def header_aliases() -> dict[str, str]:
    """Identifier-column spellings of every layout -> the published names."""
    out = {}
    for layout in sorted(LAYOUTS.values(), key=lambda lay: -lay.precedence):
        for k, v in layout.header_aliases.items():
            out.setdefault(k, v)
    return out
