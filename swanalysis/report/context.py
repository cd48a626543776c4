"""One report's context: its parameters, its authority and year, and what it computes once.

:func:`start` checks the parameters, resolves the authority (joint returns, boundary changes) and
shows the title-block metadata; it returns the :class:`Report` that every section takes. The
functions below it (:func:`bench`, :func:`published`, :func:`workers`, :func:`retention`,
:func:`drivers_result`, :func:`agency_cost`, :func:`national_fit`) compute a result the first
time a section asks and keep it on the Report, so sections share them (key messages reuse the
benchmark) and nothing leaks from one authority to the next. What the process keeps across reports
depends only on the published data files (the panel and what swanalysis.published.memo derives).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from .. import national as N
from .. import tenure as T
from ..benchmark import benchmark
from ..config import is_snapshot
from ..costs import agency_cover_cost
from ..drivers import fit_drivers
from ..errors import UserError
from ..plots import palette
from ..published.areas import resolve_area
from ..published.memo import memoised
from ..published.panel import latest, shared_panel
from ..workerdata.ingest import ingest
from . import params as params_mod
from .page import Page
from .tables import write_tables

META_MIMETYPE = "application/vnd.swanalysis.meta+json"

SOURCES = (
    "Department for Education, Children's social work workforce statistics "
    "(Open Government Licence v3.0)"
)


def panel(data_dir=None):
    """The published panel for a data folder: the process-wide object the library shares
    (``published.panel.shared_panel``), so what is derived from it alone is computed once per
    kernel (``swanalysis.published.memo``). Callers must not modify it.
    """
    return shared_panel(data_dir)


@dataclass
class Report(Page):
    """One authority's report in the making: parameters, cached results, recorded tables.

    ``notes`` are shown under "About <authority>'s figures" in the methods section: the area's
    joint-return and boundary notes, and any piece of the report that could not be computed.
    """

    params: dict
    authority: str = ""
    year: int = 0
    area: Any = None
    panel: Any = None
    notes: list = field(default_factory=list)
    _cache: dict = field(default_factory=dict)

    @property
    def has_worker_data(self) -> bool:
        """True when the parameters name the council's own returns (worker-level sections run)."""
        return params_mod.has_worker_data(self.params)

    @property
    def synthetic(self) -> bool:
        """True when the worker data are synthetic (the report is watermarked)."""
        return bool(self.params.get("synthetic"))

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once per report (sections share results: key messages reuse benchmarks)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def add_notes(self, notes) -> None:
        """Add notes for the methods section, each once."""
        for n in notes or []:
            if n and n not in self.notes:
                self.notes.append(n)


# ---------------------------------------------------------------------------------------------
# Setting up


def identify(params: Mapping[str, Any]) -> tuple[str, int]:
    """The authority's published name and the report year (newest with figures when not given).

    Raises a one-line UserError for an unknown authority or a year without data.
    """
    area, year, _ = _resolve(params)
    return area.name, year


def _resolve(params: Mapping[str, Any]):
    pan = panel(params.get("data_dir"))
    year = params.get("year")
    area = resolve_area(params["la"], panel=pan, year=year)
    if year is None:
        if not area.years:
            raise UserError(f"{area.name}: no published figures in the data folder")
        year = max(area.years)
    year = int(year)
    available = sorted(int(y) for y in pan["time_period"].unique())
    if year not in available:
        raise UserError(
            f"no published figures for {year}: the data folder has {available[0]}–{available[-1]}"
        )
    if params.get("year") is None:
        area = resolve_area(params["la"], panel=pan, year=year)
    if area.years and not area.has_year(year):
        why = [n for n in area.notes if n.startswith("There are no published figures")]
        raise UserError(why[-1] if why else
                        f"no published figures for {area.name} in {year} (figures cover "
                        f"{min(area.years)}–{max(area.years)})")
    return area, year, pan


def _plot_style() -> None:
    matplotlib.use("Agg")
    plt.close("all")
    matplotlib.rcdefaults()
    palette.use()
    matplotlib.rcParams.update({
        "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11,
        "svg.hashsalt": "swanalysis", "figure.figsize": (8, 4.5),
    })


def start(params: Mapping[str, Any]) -> Report:
    """First cell: check parameters, resolve the authority, show the title-block metadata."""
    _plot_style()
    p = params_mod.resolve(params)
    if not p.get("la"):
        raise UserError("no authority given: set 'la' (a name or code)")
    area, year, pan = _resolve(p)
    authority = area.name
    rep = Report(params=p, authority=authority, year=year, area=area, panel=pan)
    rep.notes.extend(getattr(area, "notes", []) or [])
    for note in pan.attrs.get("damaged") or []:  # a published file left out on reading
        where, _, what = note.partition(": ")
        rep.add_notes([f"The published file {Path(where).name} is damaged and was not used: {what}."])

    releases = sorted(int(r) for r in pan.attrs.get("releases", sorted(pan["release"].unique())))
    newest = releases[-1] if releases else year
    first = int(pan["time_period"].min())
    release = p.get("release_label") or (
        f"Children's social work workforce, {newest} release (reporting years {first} to {newest})"
        + ("; the built-in snapshot shipped with swanalysis" if is_snapshot(pan.attrs.get("data_dir"))
           else "")
    )
    title = p.get("title") or f"Social worker recruitment and retention: {authority}, {year}"
    period = f"1 October {year - 1} to 30 September {year}"
    sources = SOURCES
    if p.get("csww"):
        sources += f"; {authority}'s own CSWW census returns ({len(p['csww'])} files)"
    if p.get("hr"):
        sources += "; the council's payroll extract"
    if rep.synthetic:
        sources += "; a synthetic council generated to resemble the authority (illustration only)"
    facts = [
        ("Authority", authority),
        ("Period", f"Year to 30 September {year} ({period})"),
        ("Data sources", sources),
        ("Release", release),
        ("Date produced", p["date_produced"]),
    ]
    if p.get("contact"):
        facts.append(("Contact", p["contact"]))
    meta = {
        "title": title,
        "authority": authority,
        "year": year,
        "facts": facts,
        "synthetic": rep.synthetic,
        "kicker": "Children's social care workforce: report to scrutiny committee",
        "footer": (
            f"Produced on {p['date_produced']} from {sources}. "
            "Figures are full-time equivalent (FTE) at 30 September unless stated."
        ),
    }
    display({META_MIMETYPE: meta, "text/plain": title}, raw=True)
    return rep


def finish(rep: Report) -> None:
    """Last cell: write every recorded table to ``output_dir`` (when given)."""
    out = rep.params.get("output_dir")
    if out:
        write_tables(rep.tables, out, rep.params["date_produced"])


def params_from(namespace: Mapping[str, Any]) -> dict:
    """The report parameters among a notebook's globals (the Papermill ``parameters`` cell)."""
    known = set(params_mod.defaults()) | params_mod.RUNTIME_KEYS
    return {k: namespace[k] for k in sorted(known) if k in namespace}


# ---------------------------------------------------------------------------------------------
# Shared results (computed once per report, on the Report object)


def bench(rep: Report):
    """The benchmark result for the report's authority and year (swanalysis.benchmark)."""

    def compute():
        p = rep.params
        res = benchmark(rep.area, rep.year, comparators=p.get("comparators"), panel=rep.panel,
                        data_dir=p.get("data_dir"), sn_model=p.get("sn_model") or "2025")
        rep.add_notes(res.notes)
        return res

    return rep.cached("benchmark", compute)


def published(rep: Report) -> pd.DataFrame:
    """The authority's newest published figures: one row per year, one column per measure."""

    def compute():
        rows = latest(rep.area.rows(rep.panel))
        out = rows.pivot_table(index="time_period", columns="measure", values="value", aggfunc="first")
        return out.sort_index()

    return rep.cached("published", compute)


def _national_fit(pan, year: int):
    """The all-authority regression to ``year``: the same for every authority, so fitted once per
    panel and year in a process (like the panel itself, it depends only on the data files)."""
    return memoised(pan, "national_fit", int(year), lambda: N.fit_national(pan, end_year=int(year)))


def national_fit(rep: Report):
    """The all-authority panel regression to the report year (swanalysis.national)."""
    return rep.cached("national", lambda: _national_fit(rep.panel, rep.year))


def workers(rep: Report):
    """The council's worker-level tables (ingested returns, or a synthetic council), or None."""
    if not rep.has_worker_data:
        return None

    def compute():
        p = rep.params
        if not rep.synthetic:
            return ingest(p["csww"], hr=p.get("hr"), hr_map=p.get("hr_map"))
        from .. import synth  # only for a synthetic council

        # the years before the report year with published figures to calibrate to (a council
        # created by a boundary change has fewer)
        years = [y for y in range(rep.year - p["synthetic_years"] + 1, rep.year + 1)
                 if not rep.area.years or rep.area.has_year(y)]
        council = synth.generate(rep.authority, years, seed=p["synthetic_seed"],
                                 data_dir=p.get("data_dir"), scale=p["synthetic_scale"])
        with tempfile.TemporaryDirectory(prefix="swanalysis-synthetic-") as tmp:
            folder = Path(p.get("synthetic_dir") or tmp)
            council.write(folder)
            # synthetic SWENos belong to nobody: a fixed key keeps the report reproducible
            return ingest(council.returns, hr=council.payroll_path, hr_map=council.hr_map_path,
                          key="swanalysis-synthetic-council")

    return rep.cached("workers", compute)


def _permanent_workers(rep: Report) -> int:
    """Distinct permanent (non-agency) workers in the council's worker-level data."""
    ep = workers(rep).episodes
    return int(ep[~ep["agency"].astype(bool)]["worker_id"].nunique()) if len(ep) else 0


def retention(rep: Report):
    """Retention results from swanalysis.tenure (cached), or None without worker data."""
    w = workers(rep)
    if w is None:
        return None

    def compute():
        ep = w.episodes
        mg = rep.params["min_group"]
        # the whole workforce's and the entry routes' curves are fitted once, for the table too
        curves = {by: T.retention_curve(ep, by, min_group=mg) for by in (None, "entry_route")}
        table = T.retention_table(ep, min_group=mg, curves=curves)
        return {
            "table": table.table(),
            "suppressed": table.suppressed,
            "median": T.median_tenure(ep, min_group=mg, curves=curves[None]),
            "curves": curves[None],
            "by_route": curves["entry_route"],
            "late": T.late_entry_effect(ep),
        }

    return rep.cached("retention", compute)


def drivers_result(rep: Report):
    """The leaving-hazard models from swanalysis.drivers (cached), or None without worker data."""
    w = workers(rep)
    if w is None:
        return None
    return rep.cached("drivers", lambda: fit_drivers(w.worker_years))


def agency_cost(rep: Report):
    """The authority's agency cover cost for the report year (swanalysis.costs), or None."""

    def compute():
        pub = published(rep)
        if rep.year not in pub.index:
            return None
        r = pub.loc[rep.year]
        if pd.isna(r.get("agency_fte")) or pd.isna(r.get("inpost_fte")):
            return None
        sn = bench(rep).summary.set_index("measure")
        sn_rate = sn.loc["agency_rate", "sn_median"] if "agency_rate" in sn.index else None
        return agency_cover_cost(
            r["agency_fte"], r["inpost_fte"], premium_per_fte=rep.params["agency_premium"],
            sn_median_rate=sn_rate, vacancy_fte=r.get("vacancy_fte"),
            agency_cover_fte=r.get("agency_cover_fte"),
            recruitment_cost_per_hire=rep.params.get("recruitment_cost_per_hire"),
            premium_low=rep.params.get("agency_premium_low"),
            premium_high=rep.params.get("agency_premium_high"),
            agency_spend=rep.params.get("agency_spend"),
            employed_cost_per_fte=rep.params.get("employed_cost_per_fte"),
        )

    return rep.cached("agency_cost", compute)
