"""The curated surface for JupyterLab: ``from swanalysis import api``.

Everything a researcher needs at the notebook, in the order of an analysis (the modules behind
each name are listed in ``docs/architecture.md``; ``help(api.retention_at)`` explains parameters,
returned columns and errors, with an example):

* the published DfE statistics: :func:`load_panel`, :func:`resolve_area`,
  :func:`statistical_neighbours`;
* benchmarking: :func:`benchmark`, :func:`funnel_points`, :func:`funnel_limits`;
* the national panel regression: :func:`fit_national`;
* agency cost: :func:`agency_cover_cost`;
* a council's own returns: :func:`ingest`, :func:`episodes`, :func:`worker_years`, or a
  synthetic council from :func:`generate`;
* tenure: :func:`retention_curve`, :func:`retention_at`, :func:`median_tenure`,
  :func:`retention_table`, :func:`logrank`, :func:`cumulative_incidence`;
* drivers of leaving: :func:`person_periods`, :func:`fit_drivers`, :func:`retention_scenarios`;
* looking ahead: :func:`fit_forecast`, :func:`project_forecast`, :func:`what_it_takes`,
  :func:`fan_chart` (``swanalysis.forecast``: scenarios are ``forecast.Scenario``);
* figures: :func:`ranked_bar`, :func:`trend`, :func:`funnel`, :func:`plot_retention`,
  :func:`plot_cumulative_incidence`, :func:`forest_plot`.

Result objects (:class:`Neighbours`, :class:`BenchmarkResult`, :class:`NationalResult`,
:class:`AgencyCost`, :class:`RetentionCurves`, :class:`RetentionTable`, :class:`LogRankResult`,
:class:`DriversResult`, :class:`IngestResult`, :class:`ForecastResult`)
print as one line with counts, show a compact summary in JupyterLab, and have ``.table()`` and
``.sentences()`` (see :mod:`swanalysis.results`).

``import swanalysis`` does not import this module (nor pandas): the command line starts fast.
"""

from __future__ import annotations

from .benchmark import BenchmarkResult, benchmark, funnel_limits, funnel_points
from .costs import AgencyCost, agency_cover_cost
from .drivers import DriversResult, fit_drivers, person_periods, retention_scenarios
from .forecast import ForecastResult, what_it_takes
from .forecast import fit as fit_forecast
from .forecast import project as project_forecast
from .national import NationalResult, fit_national
from .plots.benchmark import funnel, ranked_bar, trend
from .plots.drivers import forest_plot
from .plots.forecast import fan_chart
from .plots.tenure import plot_cumulative_incidence, plot_retention
from .published.areas import Neighbours, resolve_area, statistical_neighbours
from .published.panel import load_panel
from .synth import generate
from .tenure import (
    LogRankResult,
    RetentionCurves,
    RetentionTable,
    cumulative_incidence,
    logrank,
    median_tenure,
    retention_at,
    retention_curve,
    retention_table,
)
from .workerdata.ingest import IngestResult, episodes, ingest, worker_years

#: Functions: each has numpydoc Parameters, Returns and Examples sections (tests/test_docs.py).
FUNCTIONS = [
    "load_panel", "resolve_area", "statistical_neighbours",
    "benchmark", "funnel_points", "funnel_limits",
    "fit_national", "agency_cover_cost",
    "ingest", "episodes", "worker_years", "generate",
    "retention_curve", "retention_at", "median_tenure", "retention_table", "logrank",
    "cumulative_incidence",
    "person_periods", "fit_drivers", "retention_scenarios",
    "fit_forecast", "project_forecast", "what_it_takes",
    "ranked_bar", "trend", "funnel", "plot_retention", "plot_cumulative_incidence", "forest_plot",
    "fan_chart",
]
#: Result classes: each documents its Attributes and follows :class:`swanalysis.results.Result`.
RESULTS = [
    "Neighbours", "BenchmarkResult", "NationalResult", "AgencyCost", "RetentionCurves",
    "RetentionTable", "LogRankResult", "DriversResult", "IngestResult", "ForecastResult",
]
__all__ = FUNCTIONS + RESULTS
