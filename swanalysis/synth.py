"""Synthetic councils: CSWW census returns and a payroll extract with a known truth.

``generate(la, years)`` simulates one local authority's children and family social workers,
calibrated to the authority's published DfE figures, and returns a :class:`SynthCouncil`;
``SynthCouncil.write(out_dir)`` writes

* ``csww/csww_<year>_<LEA>.xml`` — one XSD-valid CSWW census return per year,
* ``payroll.csv`` and ``payroll_map.yaml`` — a payroll extract (one row per permanent worker per
  30 September) and its column map,
* ``truth.json`` — what the generator wrote and the hazard it used (never a SWENo).

The leaving process is documented in docs/synthetic-data.md: a proportional-hazards model on the
tenure scale with a piecewise-constant baseline, Cases30 and salary measured on each 30 September
acting over the following year, and a per-year baseline multiplier that makes each year's
turnover match the published rate (or one constant multiplier with ``stationary=True``).

Everything is drawn from one ``numpy.random.Generator`` seeded with ``seed``: the same arguments
always give byte-identical files.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .workerdata.codes import CODE_TYPES, destination_group, entry_route
from .errors import UserError
from .workerdata.pseudonymise import age_band

__all__ = [
    "HazardSpec",
    "SynthCouncil",
    "generate",
    "true_retention",
    "parse_years",
    "ORG_ROLE",
    "START_ORIGIN",
    "REASON_LEAVE",
    "LEAVER_DESTINATION",
]

GENERATOR_VERSION = "1"

# ---------------------------------------------------------------------------------------------
# Code lists (int-keyed views of swanalysis.workerdata.codes, the labels the reader decodes to)
# ---------------------------------------------------------------------------------------------
def _int_keyed(type_name: str) -> dict[int, str]:
    return {int(k): v for k, v in CODE_TYPES[type_name].items()}


ORG_ROLE = _int_keyed("roletype")
START_ORIGIN = _int_keyed("origintype")
LEAVER_DESTINATION = _int_keyed("leavertype")
REASON_LEAVE = _int_keyed("reasontype")

# Start origins of new permanent spells (StartOrigin code -> probability).
_ORIGIN_P = {1: 0.33, 2: 0.30, 3: 0.03, 4: 0.16, 5: 0.06, 6: 0.05, 7: 0.04, 8: 0.02, 9: 0.01}
_DEST_P = {1: 0.30, 2: 0.02, 3: 0.18, 4: 0.08, 5: 0.05, 6: 0.14, 7: 0.06, 8: 0.17}
_REASON_P = {1: 0.74, 2: 0.01, 3: 0.005, 4: 0.03, 7: 0.06, 8: 0.05, 9: 0.105}
_ETHNICITY_P = {
    "WBRI": 0.62, "WIRI": 0.01, "WOTH": 0.05, "MWBC": 0.02, "MWBA": 0.01, "MWAS": 0.01,
    "MOTH": 0.01, "AIND": 0.02, "APKN": 0.02, "ABAN": 0.01, "AOTH": 0.01, "BCRB": 0.03,
    "BAFR": 0.07, "BOTH": 0.01, "CHNE": 0.003, "OOTH": 0.01, "REFU": 0.03, "NOBT": 0.037,
}
_GENDER_P = {2: 0.84, 1: 0.145, 9: 0.01, 0: 0.005}
_QUAL_INST = [
    "University of Manchester", "University of Birmingham", "The Open University",
    "University of Sussex", "Goldsmiths, University of London", "Manchester Metropolitan University",
    "University of Bedfordshire", "Sheffield Hallam University", "University of Central Lancashire",
    "University of Kent", "Oxford Brookes University", "University of Nottingham",
    "De Montfort University", "University of East Anglia", "Royal Holloway, University of London",
]
_TEAMS = [
    "Front Door", "Assessment", "Child Protection", "Children in Care", "Care Leavers",
    "Disabled Children", "Fostering", "Adoption", "Family Support", "Court Team",
]
_TEAM_P = [0.10, 0.17, 0.18, 0.17, 0.08, 0.06, 0.07, 0.04, 0.09, 0.04]
# Experienced (not newly qualified) starters: role other than case holder.
_OTHER_ROLE_P = {4: 0.42, 3: 0.33, 2: 0.08, 1: 0.02, 6: 0.15}
_AGENCY_ROLE_P = {5: 0.84, 4: 0.05, 3: 0.08, 6: 0.03}

# Base salary (£ per FTE year at the 2019 pay scale, outside London) and increment per year in role.
_SALARY_BASE = {5: 35_000, 4: 41_500, 3: 47_500, 2: 56_000, 1: 68_000, 6: 40_000}
_SALARY_STEP = {5: 1_000, 4: 900, 3: 1_000, 2: 1_200, 1: 1_500, 6: 900}
_SALARY_POINTS = {5: 5, 4: 3, 3: 3, 2: 3, 1: 2, 6: 3}
_ASYE_SALARY = 31_500
_SAL_BASE_A = np.array([0.0] + [_SALARY_BASE[r] for r in range(1, 7)])
_SAL_STEP_A = np.array([0.0] + [_SALARY_STEP[r] for r in range(1, 7)])
_SAL_CAP_A = np.array([0.0] + [_SALARY_POINTS[r] for r in range(1, 7)])
_GRADE = {5: "SW", 4: "SSW", 3: "TM", 2: "SM", 1: "HOS", 6: "QSW"}
_JOB_TITLE = {
    5: "Social Worker", 4: "Senior Practitioner", 3: "Team Manager", 2: "Service Manager",
    1: "Head of Service", 6: "Independent Reviewing Officer",
}
# NJC-style pay awards effective for the salary on 30 September of each year (fractions).
PAY_AWARDS = {2017: 0.01, 2018: 0.02, 2019: 0.02, 2020: 0.0275, 2021: 0.0175, 2022: 0.05,
              2023: 0.05, 2024: 0.035, 2025: 0.032}
_DEFAULT_AWARD = 0.02
_PAY_BASE_YEAR = 2019
# Role progression probabilities at each 30 September (from role -> (to role, probability)).
_PROMOTION = {5: (4, 0.10), 4: (3, 0.06), 3: (2, 0.035), 2: (1, 0.025)}

DAYS_PER_YEAR = 365.25
BANDS_LOS = ["<1", "1-2", "2-5", "5-10", "10+"]
_BAND_EDGES = [1, 2, 5, 10]


def _draw(rng, probs: dict, n: int):
    keys = list(probs)
    p = np.array([probs[k] for k in keys], dtype=float)
    idx = rng.choice(len(keys), size=n, p=p / p.sum())
    return np.asarray(keys, dtype=object if isinstance(keys[0], str) else np.int64)[idx]


def _sep30(year: int) -> int:
    """Day number (days since 1970-01-01) of 30 September of ``year``."""
    return int(np.datetime64(f"{year}-09-30", "D").astype(np.int64))


def _dates(days, missing_below=None):
    """Integer day numbers -> datetime64[ns] array (NaT where ``days < missing_below``).
    Integer arithmetic only: pandas' float path (``unit="D"``) can raise a spurious overflow."""
    d = np.asarray(days).astype(np.int64)
    out = d.astype("datetime64[D]").astype("datetime64[ns]")
    if missing_below is not None:
        out[d < missing_below] = np.datetime64("NaT")
    return out


def _iso(day) -> str:
    return str(np.datetime64(int(day), "D"))


def pay_index(year: int) -> float:
    """Pay scale on 30 September of ``year`` relative to 30 September 2019."""
    idx = 1.0
    if year > _PAY_BASE_YEAR:
        for y in range(_PAY_BASE_YEAR + 1, year + 1):
            idx *= 1 + PAY_AWARDS.get(y, _DEFAULT_AWARD)
    else:
        for y in range(year + 1, _PAY_BASE_YEAR + 1):
            idx /= 1 + PAY_AWARDS.get(y, _DEFAULT_AWARD)
    return idx


def parse_years(text) -> list[int]:
    """``"2019-2024"`` / ``"2019,2021"`` / ``2022`` / ``[2019, 2020]`` -> sorted consecutive list."""
    if isinstance(text, (list, tuple, range)):
        years = [int(y) for y in text]
    else:
        s = str(text).strip()
        try:
            if "-" in s:
                a, b = s.split("-", 1)
                years = list(range(int(a), int(b) + 1))
            else:
                years = [int(p) for p in s.split(",") if p.strip()]
        except ValueError:
            raise UserError(f"--years: cannot read {text!r}; use e.g. 2019-2024") from None
    years = sorted(set(years))
    if not years or years[0] < 2000 or years[-1] > 2100:
        raise UserError(f"--years: {text!r} is not a range of census years such as 2019-2024")
    if years != list(range(years[0], years[-1] + 1)):
        raise UserError(f"--years: {text!r} must be consecutive census years")
    return years


# ---------------------------------------------------------------------------------------------
# The leaving hazard
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HazardSpec:
    """Proportional hazard of leaving a permanent post, on the tenure scale (years).

    h(t | x) = m_y * base_rate * shape(t) * exp(b_case * (Cases30 - c0)
                                                + b_sal * (salary - s0) / 1000 + b_route)

    ``shape`` is piecewise constant on ``breaks`` (years of tenure); ``m_y`` is the baseline
    multiplier of the census year (1 Oct y-1 .. 30 Sep y) the time falls in. Cases30 and salary
    are those recorded on the 30 September that starts the year; before a spell's first
    30 September the caseload term is 0 and the salary is the starting salary.
    """

    breaks: tuple = (0.0, 1.0, 2.0, 5.0, 10.0)
    shape: tuple = (1.6, 1.3, 1.0, 0.8, 0.7)
    base_rate: float = 0.11
    hr_per_case: float = 1.04
    hr_per_1000_salary: float = 0.95
    c0: float = 16.0
    s0: float = 40_000.0
    hr_route: tuple = (("from_agency", 1.3),)

    @property
    def b_case(self) -> float:
        """Log hazard ratio per case."""
        return math.log(self.hr_per_case)

    @property
    def b_sal(self) -> float:
        """Log hazard ratio per £1,000 of salary."""
        return math.log(self.hr_per_1000_salary)

    def knots(self):
        """Tenure knots (years) and the cumulative baseline hazard at each."""
        t = np.array(list(self.breaks) + [200.0])
        rates = self.base_rate * np.array(self.shape)
        cum = np.concatenate([[0.0], np.cumsum(rates * np.diff(t))])
        return t, cum

    def cumbase(self, tenure_years):
        """Cumulative baseline hazard at the given tenures (years)."""
        t, cum = self.knots()
        return np.interp(tenure_years, t, cum)

    def inv_cumbase(self, value):
        """Tenure (years) at which the cumulative baseline hazard reaches ``value``."""
        t, cum = self.knots()
        return np.interp(value, cum, t)

    def route_effect(self, route_codes):
        """Log hazard ratio of each entry-route code (0 for routes with no effect)."""
        out = np.zeros(len(route_codes))
        hr = dict(self.hr_route)
        if "from_agency" in hr:
            out[np.asarray(route_codes) == 4] = math.log(hr["from_agency"])
        if "newly_qualified" in hr:
            out[np.asarray(route_codes) == 1] = math.log(hr["newly_qualified"])
        return out

    def as_dict(self) -> dict:
        """The planted hazard in words and numbers (written to truth.json)."""
        return {
            "time_scale": "tenure in years (days / 365.25) since RoleStartDate of the spell",
            "formula": "h(t|x) = m_y * base_rate * shape(t) * exp(b_case*(Cases30 - c0) + "
                       "b_sal*(salary - s0)/1000 + b_route)",
            "baseline_breaks_years": list(self.breaks),
            "baseline_shape": list(self.shape),
            "base_rate_per_year": self.base_rate,
            "b_case": self.b_case,
            "b_sal_per_1000": self.b_sal,
            "hr_per_case": self.hr_per_case,
            "hr_per_1000_salary": self.hr_per_1000_salary,
            "c0": self.c0,
            "s0": self.s0,
            "hr_route": dict(self.hr_route),
            "covariate_timing": (
                "Cases30 and salary (annual salary per FTE, £) recorded on 30 September of census "
                "year k act from 1 October k to 30 September k+1. Before a spell's first "
                "30 September the caseload term is 0 (Cases30 treated as c0) and the salary is "
                "the starting salary. Cases30 is 0 for in-post workers who hold no cases."
            ),
            "agency_workers": "agency placements are not governed by this hazard",
        }


# ---------------------------------------------------------------------------------------------
# Published figures
# ---------------------------------------------------------------------------------------------
_CALIBRATION_MEASURES = [
    "inpost_fte", "inpost_headcount", "starters_fte", "leavers_fte", "turnover_rate",
    "agency_fte", "agency_rate", "agency_cover_fte", "vacancy_fte", "vacancy_rate",
    "case_holders_fte", "cases", "caseload", "working_days_lost_fte", "absence_rate",
]


def _published_figures(la, data_dir=None):
    """(identity dict, DataFrame indexed by year of canonical measures) for one authority:
    the newest published value of each measure (``is_latest``) from swanalysis.published.panel."""
    from .published.areas import resolve_area
    from .published.panel import load_panel

    panel = load_panel(data_dir)
    area = resolve_area(str(la), panel)
    if area.area_level != "la":
        raise UserError(f"--la: {la!r} is not a local authority (it is {area.area_level})")
    rows = panel[(panel["area_level"] == "la") & (panel["old_la_code"] == area.old_la_code)
                 & panel["is_latest"] & panel["measure"].isin(_CALIBRATION_MEASURES)]
    if rows.empty:
        raise UserError(f"--la: no published figures for {area.name}")
    out = rows.pivot_table(index="time_period", columns="measure", values="value",
                           aggfunc="first", dropna=False)
    out = out.reindex(columns=_CALIBRATION_MEASURES)
    out.index = out.index.astype(int)
    out.index.name = "year"
    ident = {
        "la_name": area.name,
        "old_la_code": area.old_la_code,
        "area_code": area.area_code,
        "region_name": area.region_name,
        "source_file": f"csww_indicators_2017_to_{int(rows['release'].max())}.csv (newest "
                       "published value of each figure)",
    }
    return ident, out.sort_index().astype(float)


# ---------------------------------------------------------------------------------------------
# Simulation state
# ---------------------------------------------------------------------------------------------
_SPELL_FIELDS = {
    "person": np.int64, "start": np.int64, "end": np.int64, "fte": float, "origin": np.int64,
    "role": np.int64, "role_start": np.int64, "prior": float, "supplement": float,
    "team": np.int64, "casefactor": float, "cases": float, "salary": float, "start_salary": float,
    "reason": np.int64, "dest": np.int64, "title6": np.int64,
}
_PERSON_FIELDS = {
    "birth": np.int64, "gender": np.int64, "eth": object, "qualinst": np.int64,
    "quallevel": np.int64, "stepup": np.int64, "frontline": np.int64,
}


class _Table:
    """Columns of numpy arrays that grow by appending blocks."""

    def __init__(self, fields):
        self.fields = fields
        self.cols = {k: np.empty(0, dtype=t) for k, t in fields.items()}

    def __len__(self):
        return len(next(iter(self.cols.values())))

    def append(self, block: dict) -> np.ndarray:
        n0 = len(self)
        n = len(next(iter(block.values())))
        for k, t in self.fields.items():
            self.cols[k] = np.concatenate([self.cols[k], np.asarray(block[k], dtype=t)])
        return np.arange(n0, n0 + n)

    def __getitem__(self, k):
        return self.cols[k]


@dataclass
class _Params:
    hazard: HazardSpec
    london_weighting: float
    case_share: float          # target share of permanent FTE in case-holding roles (OrgRole 5)
    p_exp_caseholder: float    # probability an experienced starter is a case holder
    stationary: bool
    rehire_prob: float
    c_ref: float = 1.0         # baseline multiplier used by true_retention
    m_ref: float = 16.0        # caseload scale used by true_retention
    pay_year_ref: int = 2019   # pay scale used by true_retention


def _salary(role, years_in_role, prior, asye, supplement, year, params: _Params, stationary):
    """Annual salary per FTE (whole £) on 30 September ``year``."""
    role = np.asarray(role, dtype=np.int64)
    base, step, cap = _SAL_BASE_A[role], _SAL_STEP_A[role], _SAL_CAP_A[role]
    exp_years = np.where(role == 5, prior + years_in_role, years_in_role)
    points = np.minimum(np.floor(np.maximum(exp_years, 0)), cap)
    sal = base + step * points
    sal = np.where(asye, _ASYE_SALARY, sal)
    idx = pay_index(params.pay_year_ref if stationary else year)
    return np.round((sal + params.london_weighting) * idx + supplement)


def _new_spells(rng, n, lo_day, hi_day, params: _Params):
    """Hazard-relevant attributes of ``n`` new permanent spells starting in [lo_day, hi_day]."""
    origin = _draw(rng, _ORIGIN_P, n).astype(np.int64)
    nq = origin == 1
    is_ch = nq | (rng.random(n) < params.p_exp_caseholder)
    other = _draw(rng, _OTHER_ROLE_P, n).astype(np.int64)
    role = np.where(is_ch, 5, other)
    prior = np.where(nq, 0.0, rng.uniform(1.0, 12.0, n))
    fte = np.where(rng.random(n) < 0.84, 1.0, rng.choice([0.5, 0.6, 0.8, 0.9], size=n))
    supplement = np.where(rng.random(n) < 0.15, rng.choice([1_500.0, 3_000.0], size=n), 0.0)
    start = rng.integers(lo_day, hi_day + 1, size=n)
    return {
        "start": start, "end": np.full(n, -1), "fte": fte, "origin": origin, "role": role,
        "role_start": start, "prior": prior, "supplement": supplement,
        "team": rng.choice(len(_TEAMS), size=n, p=np.array(_TEAM_P) / sum(_TEAM_P)),
        "casefactor": np.exp(rng.normal(0.0, 0.15, n)),
        "cases": np.full(n, np.nan), "salary": np.full(n, np.nan),
        "start_salary": np.full(n, np.nan), "reason": np.zeros(n), "dest": np.zeros(n),
        "title6": rng.integers(0, 3, size=n),
    }


def _start_salary(sp, idx, year, params, stationary):
    role = sp["role"][idx] if isinstance(sp, _Table) else sp["role"]
    prior = sp["prior"][idx] if isinstance(sp, _Table) else sp["prior"]
    origin = sp["origin"][idx] if isinstance(sp, _Table) else sp["origin"]
    supp = sp["supplement"][idx] if isinstance(sp, _Table) else sp["supplement"]
    return _salary(role, np.zeros(len(role)), prior, origin == 1, supp, year, params, stationary)


def _lp_first(spells, params: _Params, stationary):
    """Linear predictor before a spell's first 30 September: salary term at starting salary."""
    h = params.hazard
    return h.b_sal * (spells["start_salary"] - h.s0) / 1000.0 + h.route_effect(spells["origin"])


def _lp_census(cases, salary, origin, params: _Params):
    h = params.hazard
    return (h.b_case * (cases - h.c0) + h.b_sal * (salary - h.s0) / 1000.0
            + h.route_effect(origin))


def _raw_caseload(rng, fte, casefactor, asye):
    n = len(fte)
    return fte * casefactor * np.where(asye, 0.7, 1.0) * np.exp(rng.normal(0.0, 0.22, n) - 0.0242)


def _cases_from_raw(raw, scale):
    return np.maximum(1.0, np.round(raw * scale))


def _calibrated_cases(raw, fte, target):
    """Integer Cases30 (>= 1) whose total / FTE equals ``target`` as closely as rounding allows."""
    if len(raw) == 0:
        return raw
    scale = target * fte.sum() / raw.sum()
    for _ in range(4):
        cases = _cases_from_raw(raw, scale)
        realised = cases.sum() / fte.sum()
        scale *= target / realised
    return _cases_from_raw(raw, scale)


def _annual_update(rng, sp, idx, day, year, params: _Params, stationary, case_target):
    """On 30 September (``day``) of ``year``: promotion, salary and Cases30 for spells ``idx``.

    ``case_target`` is None in stationary mode (fixed caseload scale ``params.m_ref``); otherwise
    the mean caseload the case holders (these spells plus ``extra`` below) should reach.
    Returns the raw caseload draws so the caller can calibrate with agency workers included.
    """
    tenure = (day - sp["start"][idx]) / DAYS_PER_YEAR
    role = sp["role"][idx].copy()
    u = rng.random(len(idx))
    before = role.copy()
    for frm, (to, p) in _PROMOTION.items():
        eligible = (before == frm) & (tenure >= 2.0) if frm == 5 else (before == frm)
        move = eligible & (u < p)
        role = np.where(move, to, role)
        sp["role_start"][idx[move]] = day
    sp["role"][idx] = role
    years_in_role = (day - sp["role_start"][idx]) / DAYS_PER_YEAR
    asye = (sp["origin"][idx] == 1) & (tenure < 1.0)
    sp["salary"][idx] = _salary(role, years_in_role, sp["prior"][idx], asye,
                                sp["supplement"][idx], year, params, stationary)
    holders = role == 5
    raw = np.zeros(len(idx))
    raw[holders] = _raw_caseload(rng, sp["fte"][idx[holders]], sp["casefactor"][idx[holders]],
                                 asye[holders])
    return raw, holders


# ---------------------------------------------------------------------------------------------
# Result object
# ---------------------------------------------------------------------------------------------
@dataclass
class SynthCouncil:
    """A generated council. ``true_episodes`` / ``true_worker_years`` follow docs/tables.md but
    are keyed by the raw synthetic SWENo (``worker_id``): keep them in memory, never write them."""

    la_name: str
    old_la_code: str
    area_code: str
    years: list
    seed: int
    scale: float
    stationary: bool
    truth: dict
    true_episodes: pd.DataFrame
    true_worker_years: pd.DataFrame
    payroll: pd.DataFrame
    returns: list = field(default_factory=list)
    payroll_path: Path | None = None
    hr_map_path: Path | None = None
    truth_path: Path | None = None
    out_dir: Path | None = None
    _xml: dict = field(default_factory=dict, repr=False)
    _params: _Params | None = field(default=None, repr=False)

    @property
    def lea(self) -> str:
        """The council's DfE number (the first, for a joint return)."""
        return self.old_la_code.split(" / ")[0].strip()

    def write(self, out_dir) -> "SynthCouncil":
        """Write the returns, payroll extract, column map and truth.json under ``out_dir``."""
        from .safeio import ensure_dir

        out = Path(out_dir)
        ensure_dir(out / "csww")
        self.returns = []
        for year in self.years:
            path = out / "csww" / f"csww_{year}_{self.lea}.xml"
            path.write_text(self._xml[year], encoding="utf-8")
            self.returns.append(path)
        self.payroll_path = out / "payroll.csv"
        with open(self.payroll_path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(list(self.payroll.columns))
            w.writerows(self.payroll.itertuples(index=False, name=None))
        self.hr_map_path = out / "payroll_map.yaml"
        self.hr_map_path.write_text(PAYROLL_MAP_YAML, encoding="utf-8")
        self.truth_path = out / "truth.json"
        truth = dict(self.truth)
        truth["files"] = {
            "returns": [str(p.relative_to(out)) for p in self.returns],
            "payroll": "payroll.csv",
            "payroll_map": "payroll_map.yaml",
        }
        self.truth = truth
        self.truth_path.write_text(json.dumps(truth, indent=2, sort_keys=False) + "\n",
                                   encoding="utf-8")
        self.out_dir = out
        return self

    def true_retention(self, months=(6, 12, 24, 36, 60), n=200_000, seed=None) -> dict:
        """The planted retention at ``months``, by simulating ``n`` new starters (see :func:`true_retention`)."""
        return true_retention(months, self, n=n, seed=seed)


PAYROLL_COLUMNS = ["Employee Ref", "Census Year", "Job Title", "Grade", "Team",
                   "Contract FTE", "Annual Salary (FTE)"]
PAYROLL_MAP_YAML = """\
# Column map for the synthetic payroll extract written by `swanalysis synth`.
# One row per permanent worker per 30 September; agency workers are not on the payroll.
columns:
  worker_id: Employee Ref          # holds the SWENo
  salary: Annual Salary (FTE)      # "£41,840"
  fte: Contract FTE
  job_title: Job Title
  grade: Grade
  team: Team
  census_year: Census Year         # salary on 30 September of this census year
"""


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------
def generate(la, years="2019-2024", seed: int = 0, data_dir=None, scale: float = 1.0, *,
             stationary: bool = False, history_years: int = 15, hazard: HazardSpec | None = None,
             rehire_prob: float | None = None, out_dir=None, retention_draws: int = 200_000,
             ) -> SynthCouncil:
    """Simulate a council calibrated to ``la``'s published figures for ``years``.

    Every worker and identifier is made up; the council's size, turnover, agency and vacancy rates
    and caseloads follow the published figures (docs/synthetic-data.md).

    Parameters
    ----------
    la : str
        The council to calibrate to (name or code, as for :func:`resolve_area`).
    years : str or list of int, default "2019-2024"
        Census years of the returns (``"2019-2024"`` or ``"2019,2021"``).
    seed : int, default 0
        Random seed: the same arguments give the same council.
    data_dir : path-like, optional
        Where the published files are.
    scale : float, default 1.0
        Multiplies every size (FTE, cases, vacancies); rates are unchanged.
    stationary : bool, default False
        One baseline multiplier for every year, a fixed caseload scale and the first year's pay
        scale throughout, and no returners: the process is then the same in every calendar year,
        so Kaplan-Meier with delayed entry estimates ``truth["true_retention"]``; the yearly
        turnover and caseload then match the published figures only on average.
    history_years : int, default 15
        Years simulated before the first return (so the first workforce has a history).
    hazard : HazardSpec, optional
        The planted leaving hazard (hazard ratios for caseload, pay, ...).
    rehire_prob : float, optional
        Chance that a leaver returns later (default 0.04, 0 when stationary).
    out_dir : path-like, optional
        Write the returns, payroll extract, column map and truth.json there at once
        (see ``SynthCouncil.write``).
    retention_draws : int, default 200000
        Simulated starters behind ``truth["true_retention"]`` (fewer is faster).

    Returns
    -------
    SynthCouncil
        ``truth`` (the planted values), ``true_episodes`` / ``true_worker_years`` (docs/tables.md
        layouts keyed by the raw synthetic SWENo: keep them in memory, never write them),
        ``payroll``; after writing, ``returns`` (XML paths), ``payroll_path``, ``hr_map_path``.

    Raises
    ------
    UserError
        For an unknown council, bad years or a non-positive scale.

    Examples
    --------
    >>> from swanalysis.synth import generate
    >>> council = generate("Stockport", "2022-2024", seed=1, scale=0.3, retention_draws=1000)
    >>> council.la_name, council.years, len(council.true_episodes)
    ('Stockport', [2022, 2023, 2024], 130)
    >>> sorted(council.truth["true_retention"])
    ['12', '24', '36', '6', '60']
    """
    years = parse_years(years)
    if not (scale > 0):
        raise UserError("--scale must be a positive number")
    hazard = hazard or HazardSpec()
    ident, pub = _published_figures(la, data_dir)
    targets = _targets(pub, years, history_years, scale, ident)
    london = 4_500.0 if "London" in str(ident.get("region_name", "")) else 0.0
    obs = targets.loc[years]
    case_share = float(np.clip((obs["case_holders_fte"] / (obs["inpost_fte"] + obs["agency_fte"]))
                               .mean(), 0.25, 0.95))
    # Experienced starters are case holders with this probability; newly qualified always are.
    p_exp = float(np.clip((case_share - 0.12) / 0.9, 0.2, 0.95))
    params = _Params(hazard=hazard, london_weighting=london, case_share=case_share,
                     p_exp_caseholder=p_exp, stationary=stationary,
                     rehire_prob=(0.0 if stationary else 0.04) if rehire_prob is None
                     else rehire_prob,
                     pay_year_ref=years[0], m_ref=float(obs["caseload"].mean()))
    if stationary:
        pilot = _simulate(targets, years, history_years, seed, params, calibrate=True,
                          stationary=True)
        cs = [pilot["multipliers"][y] for y in years]
        params.c_ref = float(np.exp(np.mean(np.log(cs))))
        sim = _simulate(targets, years, history_years, seed, params, calibrate=False,
                        stationary=True)
    else:
        sim = _simulate(targets, years, history_years, seed, params, calibrate=True,
                        stationary=False)
        cs = [sim["multipliers"][y] for y in years]
        params.c_ref = float(np.exp(np.mean(np.log(cs))))
    council = _assemble(sim, ident, pub, targets, years, seed, scale, stationary, params,
                        history_years)
    council.truth["true_retention"] = {str(k): v for k, v in true_retention(
        (6, 12, 24, 36, 60), council, n=retention_draws).items()}
    council.truth["true_retention_definition"] = _RETENTION_DEFINITION + (
        "" if stationary else _RETENTION_CAVEAT)
    if out_dir is not None:
        council.write(out_dir)
    return council


_RETENTION_DEFINITION = (
    "Probability that a new permanent spell lasts longer than t months (t months = "
    "t*365.25/12 days), for starters drawn from the generator's starter distribution (entry "
    "route, role, FTE, pay; start day uniform over the census year) whose caseload and pay then "
    "evolve exactly as in the generator, with the baseline multiplier c_ref; computed by "
    "simulating n new starters (200,000 by default). For a council generated with "
    "stationary=True the process is the same in every calendar year, so Kaplan-Meier on the "
    "permanent spells with delayed entry (entry at the tenure on the day observation began) "
    "estimates exactly this curve."
)
_RETENTION_CAVEAT = (
    " This council was NOT generated with stationary=True: the baseline multiplier, the caseload "
    "scale and the pay scale change from year to year, so a Kaplan-Meier curve pooled over the "
    "years estimates a mixture of calendar years; c_ref is the geometric mean of the observed "
    "years' multipliers and the truth is only approximate."
)


def _targets(pub: pd.DataFrame, years, history_years, scale, ident) -> pd.DataFrame:
    """Per-year calibration targets for every simulated year (history and observed)."""
    first = years[0] - history_years
    all_years = list(range(first, years[-1] + 1))
    t = pub.reindex(sorted(set(pub.index) | set(all_years))).copy()
    if t["inpost_fte"].fillna(0).le(0).all():
        raise UserError(f"--la: {ident['la_name']} has no social workers in post in any "
                        "published year; a synthetic council cannot be calibrated to it")
    t["imputed"] = t[["inpost_fte", "turnover_rate", "agency_rate", "caseload"]].isna().any(axis=1)
    # Rates and levels: fill gaps from neighbouring years; before the first published year use
    # the first published level and the mean published rate.
    t = t.sort_index()
    for col in ["inpost_fte", "agency_cover_fte", "vacancy_fte", "working_days_lost_fte"]:
        t[col] = t[col].interpolate(limit_direction="both")
    t.loc[t["inpost_fte"] <= 0, "inpost_fte"] = np.nan
    t["inpost_fte"] = t["inpost_fte"].interpolate(limit_direction="both")
    for col, default in [("turnover_rate", 15.0), ("agency_rate", 15.0), ("caseload", 16.0)]:
        mean = pub[col].mean() if pub[col].notna().any() else default
        pre = t.index < pub.index.min()
        t.loc[pre, col] = mean
        t[col] = t[col].interpolate(limit_direction="both").fillna(mean)
    ch_share = (pub["case_holders_fte"] / (pub["inpost_fte"] + pub["agency_fte"])).mean()
    ch_share = 0.55 if not np.isfinite(ch_share) else ch_share
    t["case_holders_fte"] = t["case_holders_fte"].fillna(
        ch_share * (t["inpost_fte"] * (1 + t["agency_rate"] / 100)))
    t["agency_fte"] = t["agency_fte"].fillna(
        t["inpost_fte"] * t["agency_rate"] / np.maximum(1e-9, 100 - t["agency_rate"]))
    t["working_days_lost_fte"] = t["working_days_lost_fte"].fillna(t["inpost_fte"] * 253 * 0.03)
    t["agency_cover_fte"] = t["agency_cover_fte"].fillna(0.0)
    t["vacancy_fte"] = t["vacancy_fte"].fillna(0.0)
    t["agency_rate"] = t["agency_rate"].clip(0, 95)
    t["turnover_rate"] = t["turnover_rate"].clip(0, 95)
    for col in ["inpost_fte", "agency_fte", "agency_cover_fte", "vacancy_fte",
                "working_days_lost_fte", "case_holders_fte"]:
        t[col] = t[col] * scale
    return t.loc[all_years]


def _simulate(targets, years, history_years, seed, params: _Params, calibrate, stationary):
    rng = np.random.default_rng(seed)
    hz = params.hazard
    first_sim = years[0] - history_years
    obs_years = set(years)
    sp = _Table(_SPELL_FIELDS)
    people = _Table(_PERSON_FIELDS)
    ag = {"person": [], "start": [], "fte": [], "role": [], "casefactor": [], "active": []}
    records = {y: [] for y in years}        # permanent records: (spell, kind) kind 1=in post, 2=leaver
    agency_records = {y: None for y in years}
    yearly = {}
    multipliers = {}
    rehire_queue: dict[int, list] = {}

    oldest_birth = _sep30(years[-1]) - int(66.5 * DAYS_PER_YEAR)  # nobody over 66 at the end

    def add_people(n, starts, origin):
        age0 = np.where(origin == 1, 22 + rng.gamma(2.0, 2.5, n), 26 + rng.gamma(3.0, 4.0, n))
        age0 = np.minimum(age0, 62.0)
        birth = (starts - age0 * DAYS_PER_YEAR).astype(np.int64)
        birth = np.minimum(np.maximum(birth, oldest_birth),
                           starts - int(21 * DAYS_PER_YEAR))
        nq = origin == 1
        block = {
            "birth": birth,
            "gender": _draw(rng, _GENDER_P, n),
            "eth": _draw(rng, _ETHNICITY_P, n),
            "qualinst": rng.integers(0, len(_QUAL_INST), n),
            "quallevel": _draw(rng, {1: 0.55, 2: 0.42, 3: 0.03}, n),
            "stepup": np.where(nq & (rng.random(n) < 0.05), 1, 0),
            "frontline": np.where(nq & (rng.random(n) < 0.08), 1, 0),
        }
        return people.append(block)

    # ---- initial stock on 30 September before the first simulated year -------------------
    d_init = _sep30(first_sim - 1)
    t0 = targets.loc[first_sim]
    n0 = max(1, int(round(t0["inpost_fte"] / 0.95)))
    init = _new_spells(rng, n0, d_init, d_init, params)
    tenure0 = np.minimum(rng.exponential(6.0, n0), 20.0)
    init["start"] = (d_init - np.maximum(tenure0 * DAYS_PER_YEAR, 2)).astype(np.int64)
    init["role_start"] = init["start"] + (np.minimum(tenure0, 4.0) * DAYS_PER_YEAR *
                                          rng.random(n0)).astype(np.int64)
    init["person"] = add_people(n0, init["start"], init["origin"])
    idx0 = sp.append(init)
    sp["start_salary"][idx0] = _start_salary(sp, idx0, first_sim - 1, params, stationary)
    raw, holders = _annual_update(rng, sp, idx0, d_init, first_sim - 1, params, stationary, None)
    sp["cases"][idx0] = 0.0
    sp["cases"][idx0[holders]] = _calibrated_cases(raw[holders], sp["fte"][idx0[holders]],
                                                   t0["caseload"])

    for year in range(first_sim, years[-1] + 1):
        tg = targets.loc[year]
        d0, d1 = _sep30(year - 1), _sep30(year)
        # ---- stock at risk over the year ------------------------------------------------
        stock = np.flatnonzero((sp["end"] < 0) & (sp["start"] <= d0))
        tau0 = (d0 - sp["start"][stock]) / DAYS_PER_YEAR
        tau1 = (d1 - sp["start"][stock]) / DAYS_PER_YEAR
        lp_s = _lp_census(sp["cases"][stock], sp["salary"][stock], sp["origin"][stock], params)
        w_s = np.exp(lp_s) * (hz.cumbase(tau1) - hz.cumbase(tau0))
        e_s = rng.exponential(1.0, len(stock))
        fte_s = sp["fte"][stock]
        # ---- candidate starters (returners first) ----------------------------------------
        target_in = float(tg["inpost_fte"])
        k = int(3 * target_in / 0.9) + 30
        cand = _new_spells(rng, k, d0 + 2, d1 - 1, params)
        cand["person"] = np.full(k, -1)
        returners = rehire_queue.pop(year, [])
        if returners:
            m = len(returners)
            rp = np.array([r[0] for r in returners], dtype=np.int64)
            cand["origin"][:m] = np.array([r[1] for r in returners], dtype=np.int64)
            cand["person"][:m] = rp
            nq_fix = cand["origin"][:m] == 1
            cand["origin"][:m][nq_fix] = 2
            cand["prior"][:m] = np.maximum(cand["prior"][:m], 2.0)
        cand["start_salary"] = _start_salary(cand, None, year, params, stationary)
        w_c = np.exp(_lp_first(cand, params, stationary)) * hz.cumbase(
            (d1 - cand["start"]) / DAYS_PER_YEAR)
        e_c = rng.exponential(1.0, k)
        fte_c = cand["fte"]

        def outcome(c):
            leave_s = e_s < c * w_s
            need = target_in - fte_s[~leave_s].sum()
            surv_c = e_c >= c * w_c
            if need <= 0.4:
                n_hire = 0
            else:
                cum = np.cumsum(np.where(surv_c, fte_c, 0.0))
                n_hire = int(np.searchsorted(cum, need - 0.4) + 1)
                n_hire = min(n_hire, k)
            leavers = fte_s[leave_s].sum() + fte_c[:n_hire][~surv_c[:n_hire]].sum()
            return leave_s, surv_c, n_hire, leavers

        if calibrate:
            goal = float(tg["turnover_rate"]) / 100.0 * target_in
            lo, hi = math.log(1e-4), math.log(1e3)
            best = None
            for _ in range(46):
                mid = 0.5 * (lo + hi)
                res = outcome(math.exp(mid))
                err = abs(res[3] - goal)
                if best is None or err < best[0] - 1e-12:
                    best = (err, mid)
                if res[3] < goal:
                    lo = mid
                else:
                    hi = mid
            # the leavers' FTE is a step function of c (and not quite monotone, because the
            # number of starters hired changes with c): refine on a grid around the bisection
            for x in best[1] + np.linspace(-1.2, 1.2, 121):
                err = abs(outcome(math.exp(x))[3] - goal)
                if err < best[0] - 1e-12:
                    best = (err, x)
            c = math.exp(best[1])
        else:
            c = params.c_ref
        multipliers[year] = c
        leave_s, surv_c, n_hire, _ = outcome(c)
        # ---- leaving dates ----------------------------------------------------------------
        lv = stock[leave_s]
        lam = hz.cumbase(tau0[leave_s]) + e_s[leave_s] / (c * np.exp(lp_s[leave_s]))
        tau_exit = hz.inv_cumbase(lam)
        end = sp["start"][lv] + np.floor(tau_exit * DAYS_PER_YEAR).astype(np.int64)
        end = np.clip(end, d0 + 1, d1)
        sp["end"][lv] = _nudge(end, sp["start"][lv], d0 + 1, d1)
        # ---- starters ---------------------------------------------------------------------
        hired = {k2: v[:n_hire] for k2, v in cand.items()}
        new_people = hired["person"] < 0
        if new_people.any():
            hired["person"][new_people] = add_people(
                int(new_people.sum()), hired["start"][new_people], hired["origin"][new_people])
        hidx = sp.append(hired)
        hl = ~surv_c[:n_hire]
        if hl.any():
            lam = e_c[:n_hire][hl] / (c * np.exp(_lp_first(hired, params, stationary)[hl]))
            tau_exit = hz.inv_cumbase(lam)
            st = sp["start"][hidx[hl]]
            end = st + np.floor(tau_exit * DAYS_PER_YEAR).astype(np.int64)
            end = np.clip(end, st + 1, d1)
            sp["end"][hidx[hl]] = _nudge(end, st, st + 1, d1)
        # ---- leavers: reason and destination, returners -----------------------------------
        left = np.concatenate([lv, hidx[hl]])
        if len(left):
            age = (sp["end"][left] - people["birth"][sp["person"][left]]) / DAYS_PER_YEAR
            reason = _draw(rng, _REASON_P, len(left)).astype(np.int64)
            dest = _draw(rng, _DEST_P, len(left)).astype(np.int64)
            retire = (age >= 58) & (rng.random(len(left)) < 0.6)
            reason[retire] = 5
            dest[retire] = 6
            dest[reason == 7] = 5
            sp["reason"][left] = reason
            sp["dest"][left] = dest
            if params.rehire_prob > 0:
                back = (rng.random(len(left)) < params.rehire_prob) & ~retire & (reason != 7)
                for i in left[back]:
                    gap = int(rng.integers(2, 5))
                    origin = 4 if sp["dest"][i] == 3 else 2
                    rehire_queue.setdefault(year + gap, []).append((int(sp["person"][i]), origin))
        # ---- 30 September: in-post permanent workers -------------------------------------
        inpost = np.flatnonzero((sp["end"] < 0) & (sp["start"] <= d1))
        raw, holders = _annual_update(rng, sp, inpost, d1, year, params, stationary, None)
        # ---- agency workers on 30 September ------------------------------------------------
        if year >= years[0] - 3:
            inpost_fte = sp["fte"][inpost].sum()
            rate = float(tg["agency_rate"]) / 100.0
            ag_goal = rate / (1 - rate) * inpost_fte if rate < 1 else float(tg["agency_fte"])
            active = [i for i, a in enumerate(ag["active"]) if a]
            keep = []
            for i in active:
                if rng.random() < 0.55:
                    keep.append(i)
                ag["active"][i] = False
            rng.shuffle(keep)
            total = 0.0
            kept = []
            for i in keep:
                if total + ag["fte"][i] <= ag_goal + 0.05:
                    kept.append(i)
                    total += ag["fte"][i]
            while total < ag_goal - 0.05:
                f = 1.0 if rng.random() < 0.9 else float(rng.choice([0.5, 0.6, 0.8]))
                if total + f > ag_goal + 0.05:
                    f = max(0.1, round(ag_goal - total, 2))
                ag["person"].append(-1)
                ag["start"].append(int(rng.integers(d0 + 2, d1)))
                ag["fte"].append(f)
                ag["role"].append(int(_draw(rng, _AGENCY_ROLE_P, 1)[0]))
                ag["casefactor"].append(float(np.exp(rng.normal(0, 0.15))))
                ag["active"].append(False)
                kept.append(len(ag["fte"]) - 1)
                total += f
            for i in kept:
                ag["active"][i] = True
            ag_idx = np.array(sorted(kept), dtype=np.int64)
        else:
            ag_idx = np.zeros(0, dtype=np.int64)
        ag_fte = np.asarray(ag["fte"], dtype=float)[ag_idx] if len(ag_idx) else np.zeros(0)
        ag_role = np.asarray(ag["role"], dtype=np.int64)[ag_idx] if len(ag_idx) else np.zeros(0)
        ag_hold = ag_role == 5
        ag_raw = np.zeros(len(ag_idx))
        if len(ag_idx):
            ag_raw[ag_hold] = _raw_caseload(rng, ag_fte[ag_hold],
                                            np.asarray(ag["casefactor"])[ag_idx][ag_hold],
                                            np.zeros(int(ag_hold.sum()), dtype=bool))
        # ---- Cases30 for permanent and agency case holders together -----------------------
        all_raw = np.concatenate([raw[holders], ag_raw[ag_hold]])
        all_fte = np.concatenate([sp["fte"][inpost[holders]], ag_fte[ag_hold]])
        if stationary:
            all_cases = _cases_from_raw(all_raw, params.m_ref)
        else:
            all_cases = _calibrated_cases(all_raw, all_fte, float(tg["caseload"]))
        sp["cases"][inpost] = 0.0
        sp["cases"][inpost[holders]] = all_cases[: int(holders.sum())]
        ag_cases = np.zeros(len(ag_idx))
        ag_cases[ag_hold] = all_cases[int(holders.sum()):]
        # ---- record the observed years ----------------------------------------------------
        if year in obs_years:
            lv_year = np.flatnonzero((sp["end"] > d0) & (sp["end"] <= d1))
            # working days lost for in-post permanent workers, scaled to the published total
            n_in = len(inpost)
            wdl = np.where(rng.random(n_in) < 0.45, 0.0, rng.gamma(0.8, 1.0, n_in))
            wdl *= sp["fte"][inpost]
            goal = float(tg["working_days_lost_fte"]) * (
                sp["fte"][inpost].sum() / max(1e-9, float(tg["inpost_fte"])))
            if wdl.sum() > 0:
                wdl = wdl * goal / wdl.sum()
            wdl = np.round(np.minimum(wdl, 253 * sp["fte"][inpost]), 2)
            absent = rng.random(n_in) < 0.03
            abs_reason = rng.choice(np.array(["SIC", "MAT", "OTH"]), size=n_in, p=[0.6, 0.3, 0.1])
            records[year] = {
                "inpost": inpost.copy(), "leavers": lv_year,
                "cases": sp["cases"][inpost].copy(), "salary": sp["salary"][inpost].copy(),
                "role": sp["role"][inpost].copy(), "wdl": wdl, "absent": absent,
                "abs_reason": abs_reason,
                # role of leavers: as last recorded (or at start)
                "leaver_role": sp["role"][lv_year].copy(),
            }
            agency_records[year] = {
                "idx": ag_idx.copy(), "fte": ag_fte.copy(), "role": ag_role.copy(),
                "cases": ag_cases.copy(),
            }
            yearly[year] = {"d0": d0, "d1": d1}

    # agency people: identities
    ag_t = {k: np.asarray(v) for k, v in ag.items()}
    return {
        "spells": sp, "people": people, "agency": ag_t, "records": records,
        "agency_records": agency_records, "multipliers": multipliers, "yearly": yearly,
        "rng": rng,
    }


def _nudge(end, start, lo, hi):
    """Keep leaving dates at least 3 days away from the 1/2/5/10-year length-of-service
    boundaries, so completed-years and days/365.25 conventions put every leaver in the same band."""
    end = end.copy()
    for k in _BAND_EDGES:
        b = start + k * DAYS_PER_YEAR
        near = np.abs(end - b) < 3
        if near.any():
            up = np.ceil(b + 3).astype(np.int64)
            down = np.floor(b - 3).astype(np.int64)
            end = np.where(near & (up <= hi), up, np.where(near & (down >= lo), down, end))
    return end


def _los_band(days):
    yrs = np.asarray(days) / DAYS_PER_YEAR
    return np.select([yrs < 1, yrs < 2, yrs < 5, yrs < 10], BANDS_LOS[:4], BANDS_LOS[4])


def _swenos(rng, n, taken: set) -> list[str]:
    out = []
    while len(out) < n:
        for v in rng.integers(0, 10**10, size=n - len(out) + 8):
            s = f"SW{int(v):010d}"
            if s not in taken:
                taken.add(s)
                out.append(s)
                if len(out) == n:
                    break
    return out


def _fmt6(x) -> str:
    return f"{x:.6f}"


def _assemble(sim, ident, pub, targets, years, seed, scale, stationary, params, history_years):
    sp, people, ag = sim["spells"], sim["people"], sim["agency"]
    rng = np.random.default_rng([seed, 7919])  # identities: independent of the simulation draws
    taken: set = set()
    person_swe = _swenos(rng, len(people), taken)
    agency_swe = _swenos(rng, len(ag["fte"]), taken)
    obs_start = _sep30(years[0] - 1) + 1
    last_ref = _sep30(years[-1])

    wy_rows = []
    xml = {}
    payroll_rows = []
    lea = ident["old_la_code"].split(" / ")[0].strip()
    asye_seen = set()

    for year in years:
        rec = sim["records"][year]
        arec = sim["agency_records"][year]
        d1 = _sep30(year)
        tg = targets.loc[year]
        parts = []
        # ---- permanent: in post at 30 September -------------------------------------------
        inpost = rec["inpost"]
        for j, i in enumerate(inpost):
            i = int(i)
            tenure = d1 - sp["start"][i]
            cfk = sp["origin"][i] == 1 and tenure < 365
            if cfk:
                asye_seen.add(i)
            parts.append(_worker_xml(sp, people, person_swe, i, in_post=True,
                                     cases=rec["cases"][j], wdl=rec["wdl"][j],
                                     role=rec["role"][j], cfkss=cfk,
                                     absent=(rec["absent"][j], rec["abs_reason"][j])))
            wy_rows.append((i, year, d1, True, False, sp["fte"][i], sp["fte"][i],
                            rec["cases"][j], rec["wdl"][j], rec["salary"][j], rec["role"][j],
                            False, tenure))
            payroll_rows.append((person_swe[sp["person"][i]], year,
                                 _job_title(rec["role"][j], sp, i, cfk),
                                 _grade(rec["role"][j], cfk), _TEAMS[sp["team"][i]],
                                 f"{sp['fte'][i]:.2f}", f"£{int(rec['salary'][j]):,}"))
        # ---- permanent: leavers in the year ----------------------------------------------
        for j, i in enumerate(rec["leavers"]):
            i = int(i)
            tenure = sp["end"][i] - sp["start"][i]
            cfk = sp["origin"][i] == 1 and tenure < 365
            if cfk:
                asye_seen.add(i)
            parts.append(_worker_xml(sp, people, person_swe, i, in_post=False, cases=None,
                                     wdl=None, role=rec["leaver_role"][j], cfkss=cfk))
            wy_rows.append((i, year, d1, False, True, sp["fte"][i], np.nan, np.nan, np.nan,
                            np.nan, rec["leaver_role"][j], False, tenure))
        # ---- agency workers ---------------------------------------------------------------
        for j, a in enumerate(arec["idx"]):
            a = int(a)
            parts.append(_agency_xml(agency_swe[a], ag["start"][a], arec["fte"][j],
                                     arec["role"][j], arec["cases"][j]))
            wy_rows.append((-1 - a, year, d1, True, False, arec["fte"][j], arec["fte"][j],
                            arec["cases"][j], np.nan, np.nan, arec["role"][j], True,
                            d1 - ag["start"][a]))
        vac = float(tg["vacancy_fte"]) if np.isfinite(tg["vacancy_fte"]) else 0.0
        cover = min(vac, float(tg["agency_cover_fte"]) if np.isfinite(tg["agency_cover_fte"])
                    else 0.0)
        header = _header_xml(year, d1, lea, vac, cover)
        xml[year] = header + "".join(parts) + "</Message>\n"

    # ---- worker_years / episodes (keyed by the raw SWENo) --------------------------------
    wy = pd.DataFrame(wy_rows, columns=[
        "_spell", "census_year", "_ref", "in_post", "left_in_year", "fte", "fte30", "cases30",
        "working_days_lost", "salary", "_role", "agency", "tenure_days"])
    is_ag = wy["_spell"] < 0
    sp_idx = wy["_spell"].where(~is_ag, 0).astype(np.int64).to_numpy()
    ag_idx = (-1 - wy["_spell"]).where(is_ag, 0).astype(np.int64).to_numpy()
    wy["worker_id"] = np.where(is_ag, np.asarray(agency_swe, dtype=object)[ag_idx] if len(
        agency_swe) else "", np.asarray(person_swe, dtype=object)[sp["person"][sp_idx]])
    wy["reference_date"] = _dates(wy["_ref"].to_numpy())
    start_day = np.where(is_ag, ag["start"][ag_idx] if len(ag["start"]) else 0,
                         sp["start"][sp_idx])
    end_day = np.where(is_ag, -1, sp["end"][sp_idx])
    wy["start_date"] = _dates(start_day)
    wy["end_date"] = _dates(end_day, missing_below=0)
    wy["role"] = wy["_role"].map(ORG_ROLE)
    origin = np.where(is_ag, 0, sp["origin"][sp_idx])
    wy["entry_route"] = [entry_route(str(int(o))) for o in origin]
    birth = np.where(is_ag, 0, people["birth"][sp["person"][sp_idx]])
    bands = age_band(_dates(birth), _dates(wy["_ref"].to_numpy())).to_numpy()
    wy["age_band"] = np.where(is_ag, "unknown", bands)
    wy["team"] = pd.array([None if a else _TEAMS[sp["team"][s]] for s, a in zip(sp_idx, is_ag)],
                          dtype="string")
    wy["tenure_days"] = wy["tenure_days"].astype(float)
    wy["_key"] = np.where(is_ag, -1 - ag_idx, sp_idx)

    # spell numbers per worker, in start order, among spells that appear in a return
    wy = wy.sort_values(["census_year", "_key"], kind="stable")
    spells_seen = wy.groupby("_key").agg(worker_id=("worker_id", "first"),
                                         start=("start_date", "first"),
                                         first_census=("census_year", "min"),
                                         last_census=("census_year", "max"),
                                         last_role=("_role", "last")).reset_index()
    spells_seen = spells_seen.rename(columns={"_key": "key"})
    spells_seen = spells_seen.sort_values(["worker_id", "start", "key"])
    spells_seen["spell"] = spells_seen.groupby("worker_id").cumcount() + 1
    wy = wy.merge(spells_seen[["key", "spell"]].rename(columns={"key": "_key"}), on="_key",
                  how="left")
    ep = _episodes(spells_seen, wy, sp, people, ag, obs_start, last_ref, asye_seen)
    wy_cols = ["worker_id", "spell", "census_year", "reference_date", "in_post", "left_in_year",
               "fte", "fte30", "cases30", "working_days_lost", "salary", "role", "agency",
               "entry_route", "age_band", "team", "tenure_days", "start_date", "end_date"]
    wy = wy.sort_values(["census_year", "worker_id", "spell"]).reset_index(drop=True)
    payroll = pd.DataFrame(payroll_rows, columns=PAYROLL_COLUMNS)

    truth = _truth(sim, wy, ep, ident, pub, targets, years, seed, scale, stationary, params,
                   history_years, payroll)
    council = SynthCouncil(
        la_name=ident["la_name"], old_la_code=ident["old_la_code"], area_code=ident["area_code"],
        years=list(years), seed=seed, scale=scale, stationary=stationary, truth=truth,
        true_episodes=ep, true_worker_years=wy[wy_cols], payroll=payroll, _xml=xml,
        _params=params)
    return council


def _job_title(role, sp, i, asye):
    if role == 5 and asye:
        return "Newly Qualified Social Worker (ASYE)"
    if role == 6:
        return ["Independent Reviewing Officer", "Child Protection Chair",
                "Practice Educator"][int(sp["title6"][i])]
    return _JOB_TITLE[int(role)]


def _grade(role, asye):
    return "SW-ASYE" if (role == 5 and asye) else _GRADE[int(role)]


def _header_xml(year, d1, lea, vac, cover):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<Message>\n"
        "  <Header>\n"
        "    <CollectionDetails>\n"
        "      <Collection>CSWW</Collection>\n"
        f"      <Year>{year}</Year>\n"
        f"      <ReferenceDate>{_iso(d1)}</ReferenceDate>\n"
        "    </CollectionDetails>\n"
        "    <Source>\n"
        "      <SourceLevel>L</SourceLevel>\n"
        f"      <LEA>{lea}</LEA>\n"
        "      <SoftwareCode>swanalysis-synth SYNTHETIC DATA</SoftwareCode>\n"
        f"      <DateTime>{year}-10-15T09:00:00</DateTime>\n"
        "    </Source>\n"
        "  </Header>\n"
        "  <LALevelVacancies>\n"
        f"    <NumberOfVacancies>{vac:.2f}</NumberOfVacancies>\n"
        f"    <NoAgencyFTE>{cover:.2f}</NoAgencyFTE>\n"
        f"    <NoAgencyHeadcount>{int(math.ceil(cover - 1e-9))}</NoAgencyHeadcount>\n"
        "  </LALevelVacancies>\n"
    )


def _worker_xml(sp, people, person_swe, i, in_post, cases, wdl, role, cfkss, absent=None):
    p = int(sp["person"][i])
    out = ["  <CSWWWorker>\n",
           "    <AgencyWorker>0</AgencyWorker>\n",
           f"    <SWENo>{person_swe[p]}</SWENo>\n",
           f"    <FTE>{_fmt6(sp['fte'][i])}</FTE>\n",
           f"    <PersonBirthDate>{_iso(people['birth'][p])}</PersonBirthDate>\n",
           f"    <GenderCurrent>{int(people['gender'][p])}</GenderCurrent>\n",
           f"    <Ethnicity>{people['eth'][p]}</Ethnicity>\n",
           f"    <QualInst>{escape(_QUAL_INST[int(people['qualinst'][p])])}</QualInst>\n",
           f"    <QualLevel>{int(people['quallevel'][p])}</QualLevel>\n",
           f"    <StepUpGrad>{int(people['stepup'][p])}</StepUpGrad>\n",
           f"    <OrgRole>{int(role)}</OrgRole>\n",
           f"    <RoleStartDate>{_iso(sp['start'][i])}</RoleStartDate>\n",
           f"    <StartOrigin>{int(sp['origin'][i])}</StartOrigin>\n"]
    if not in_post:
        out += [f"    <RoleEndDate>{_iso(sp['end'][i])}</RoleEndDate>\n",
                f"    <LeaverDestination>{int(sp['dest'][i])}</LeaverDestination>\n",
                f"    <ReasonLeave>{int(sp['reason'][i])}</ReasonLeave>\n"]
    else:
        out += [f"    <FTE30>{_fmt6(sp['fte'][i])}</FTE30>\n",
                f"    <Cases30>{int(cases)}</Cases30>\n",
                f"    <WorkingDaysLost>{wdl:.2f}</WorkingDaysLost>\n"]
    out.append(f"    <FrontlineGrad>{int(people['frontline'][p])}</FrontlineGrad>\n")
    if in_post and absent is not None and absent[0]:
        out += ["    <Absat30Sept>1</Absat30Sept>\n",
                f"    <ReasonAbsence>{absent[1]}</ReasonAbsence>\n"]
    if cfkss:
        out.append("    <CFKSSstatus>1</CFKSSstatus>\n")
    out.append("  </CSWWWorker>\n")
    return "".join(out)


def _agency_xml(swe, start, fte, role, cases):
    return ("  <CSWWWorker>\n"
            "    <AgencyWorker>1</AgencyWorker>\n"
            f"    <SWENo>{swe}</SWENo>\n"
            f"    <FTE>{_fmt6(fte)}</FTE>\n"
            "    <QualInst>Not known</QualInst>\n"
            f"    <OrgRole>{int(role)}</OrgRole>\n"
            f"    <RoleStartDate>{_iso(start)}</RoleStartDate>\n"
            f"    <FTE30>{_fmt6(fte)}</FTE30>\n"
            f"    <Cases30>{int(cases)}</Cases30>\n"
            "  </CSWWWorker>\n")


def _episodes(spells_seen, wy, sp, people, ag, obs_start, last_ref, asye_seen):
    rows = []
    for r in spells_seen.itertuples(index=False):
        key = int(r.key)
        if key < 0:
            a = -1 - key
            start = int(ag["start"][a])
            last_ref_w = _sep30(int(r.last_census))
            rows.append(dict(
                worker_id=r.worker_id, spell=r.spell, start=start, end=-1, event=0,
                censor=last_ref_w, origin=0, agency=True,
                role=ORG_ROLE[int(r.last_role)], reason=None, dest=None, first_census=r.first_census,
                last_census=r.last_census, age_band="unknown", team=None, asye=False))
            continue
        i = key
        start, end = int(sp["start"][i]), int(sp["end"][i])
        event = 1 if 0 <= end <= last_ref else 0
        first_ref = _sep30(int(r.first_census))
        p = int(sp["person"][i])
        rows.append(dict(
            worker_id=r.worker_id, spell=r.spell, start=start, end=end if event else -1,
            event=event, censor=end if event else last_ref, origin=int(sp["origin"][i]),
            agency=False,
            role=ORG_ROLE[int(r.last_role)],
            reason=REASON_LEAVE[int(sp["reason"][i])] if event else None,
            dest=int(sp["dest"][i]) if event else None,
            first_census=r.first_census, last_census=r.last_census,
            age_band=age_band(_dates([people["birth"][p]]), _dates([first_ref])).iloc[0],
            team=_TEAMS[int(sp["team"][i])], asye=i in asye_seen))
    df = pd.DataFrame(rows)
    out = pd.DataFrame({
        "worker_id": df["worker_id"],
        "spell": df["spell"].astype(int),
        "start_date": _dates(df["start"].to_numpy()),
        "end_date": _dates(df["end"].to_numpy(), missing_below=0),
        "event": df["event"].astype(int),
        "censor_date": _dates(df["censor"].to_numpy()),
    })
    out["duration_days"] = (out["censor_date"] - out["start_date"]).dt.days.astype(float)
    out["entry_days"] = np.maximum(0, obs_start - df["start"]).astype(float)
    out["observation_start"] = pd.Timestamp(_iso(obs_start))
    out["entry_route"] = [entry_route(str(o)) for o in df["origin"]]
    out["start_origin"] = [None if a else START_ORIGIN[o] for o, a in zip(df["origin"],
                                                                          df["agency"])]
    out["agency"] = df["agency"].astype(bool)
    out["role"] = df["role"]
    out["reason_leave"] = df["reason"]
    out["leaver_destination"] = [None if d is None or pd.isna(d) else LEAVER_DESTINATION[int(d)]
                                 for d in df["dest"]]
    out["destination_group"] = [None if d is None or pd.isna(d)
                                else destination_group(str(int(d))) for d in df["dest"]]
    out["first_census"] = df["first_census"].astype(int)
    out["last_census"] = df["last_census"].astype(int)
    out["start_date_changed"] = False
    out["age_band"] = df["age_band"]
    out["team"] = pd.array(df["team"], dtype="string")
    out["start_cohort"] = [int(s.year + (1 if (s.month, s.day) > (9, 30) else 0))
                           for s in out["start_date"]]
    out["cfkss_asye"] = df["asye"].astype(bool)
    return out.sort_values(["worker_id", "spell"]).reset_index(drop=True)


def _truth(sim, wy, ep, ident, pub, targets, years, seed, scale, stationary, params,
           history_years, payroll):
    perm = ep[~ep["agency"]]
    by_year = {}
    for year in years:
        w = wy[wy["census_year"] == year]
        ip = w[w["in_post"] & ~w["agency"]]
        lv = w[w["left_in_year"] & ~w["agency"]]
        ag = w[w["agency"]]
        ref = pd.Timestamp(_iso(_sep30(year)))
        starters = w[~w["agency"] & (w["start_date"] > pd.Timestamp(_iso(_sep30(year - 1))))]
        holders = w[w["in_post"] & (w["cases30"] > 0)]
        perm_holders = holders[~holders["agency"]]
        inpost_fte = float(ip["fte30"].sum())
        agency_fte = float(ag["fte30"].sum())
        leavers_fte = float(lv["fte"].sum())
        los = (lv["end_date"] - lv["start_date"]).dt.days
        bands = pd.Series(_los_band(los.to_numpy()) if len(lv) else [], dtype=object)
        counts = {b: int((bands == b).sum()) for b in BANDS_LOS}
        two_years_ago = pd.Timestamp(_iso(_sep30(year - 2)))
        tg = targets.loc[year]
        vac = float(tg["vacancy_fte"])
        by_year[str(year)] = {
            "reference_date": str(ref.date()),
            "records": int(len(w)),
            "inpost_fte": round(inpost_fte, 6),
            "inpost_headcount": int(len(ip)),
            "starters_fte": round(float(starters["fte"].sum()), 6),
            "starters_headcount": int(len(starters)),
            "leavers_fte": round(leavers_fte, 6),
            "leavers_headcount": int(len(lv)),
            "turnover_rate": round(100 * leavers_fte / inpost_fte, 4) if inpost_fte else None,
            "agency_fte": round(agency_fte, 6),
            "agency_headcount": int(len(ag)),
            "agency_rate": round(100 * agency_fte / (agency_fte + inpost_fte), 4)
            if (agency_fte + inpost_fte) else None,
            "case_holders_fte": round(float(holders["fte30"].sum()), 6),
            "cases": int(holders["cases30"].sum()),
            "caseload": round(float(holders["cases30"].sum() / holders["fte30"].sum()), 4)
            if len(holders) else None,
            "caseload_permanent": round(float(perm_holders["cases30"].sum()
                                              / perm_holders["fte30"].sum()), 4)
            if len(perm_holders) else None,
            "vacancy_fte": round(vac, 2),
            "vacancy_rate": round(100 * vac / (vac + inpost_fte), 4) if (vac + inpost_fte)
            else None,
            "working_days_lost": round(float(ip["working_days_lost"].sum()), 2),
            "absence_rate": round(100 * float(ip["working_days_lost"].sum())
                                  / (inpost_fte * 253), 4) if inpost_fte else None,
            "share_under_12_months": round(float((ip["start_date"] > pd.Timestamp(
                _iso(_sep30(year - 1)))).mean()), 6) if len(ip) else None,
            "share_over_2_years": round(float((ip["start_date"] < two_years_ago).mean()), 6)
            if len(ip) else None,
            "n_under_12_months": int((ip["start_date"] > pd.Timestamp(
                _iso(_sep30(year - 1)))).sum()),
            "n_over_2_years": int((ip["start_date"] < two_years_ago).sum()),
            "leavers_by_service": counts,
            "asye_in_post": int(((ip["entry_route"] == "newly_qualified")
                                 & (ip["tenure_days"] < 365)).sum()),
            "baseline_multiplier": sim["multipliers"][year],
        }
    published = {}
    for year in years:
        if year in pub.index:
            row = pub.loc[year]
            published[str(year)] = {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}
    calibration = {}
    for year in years:
        got, row = by_year[str(year)], published.get(str(year), {})
        calibration[str(year)] = {}
        for m in ("inpost_fte", "turnover_rate", "agency_rate", "caseload"):
            target = row.get(m)
            achieved = got[m]
            if target is None or achieved is None:
                rel = None
            elif target == 0:
                rel = 0.0 if abs(achieved) < 1e-9 else None
            else:
                rel = round(achieved / (target * (scale if m == "inpost_fte" else 1)) - 1, 6)
            calibration[str(year)][m] = {
                "published": target, "achieved": achieved, "relative_error": rel,
                "within_10_percent": rel is not None and abs(rel) <= 0.10}
    los_all = perm[perm["event"] == 1]
    los_days = (los_all["end_date"] - los_all["start_date"]).dt.days.to_numpy()
    bands_all = _los_band(los_days) if len(los_days) else np.array([])
    n_workers_perm = int(perm["worker_id"].nunique())
    n_workers_ag = int(ep.loc[ep["agency"], "worker_id"].nunique())
    h = params.hazard
    truth = {
        "generator": "swanalysis synth",
        "generator_version": GENERATOR_VERSION,
        "synthetic": True,
        "la_name": ident["la_name"],
        "old_la_code": ident["old_la_code"],
        "area_code": ident["area_code"],
        "calibrated_to": ident["source_file"],
        "years": list(years),
        "seed": seed,
        "scale": scale,
        "stationary": stationary,
        "history_years": history_years,
        "observation_start": _iso(_sep30(years[0] - 1) + 1),
        "n_workers": int(ep["worker_id"].nunique()),
        "n_workers_permanent": n_workers_perm,
        "n_workers_agency": n_workers_ag,
        "n_spells": int(len(ep)),
        "n_spells_permanent": int(len(perm)),
        "n_spells_agency": int(ep["agency"].sum()),
        "n_leavers": int(perm["event"].sum()),
        "n_returners": int((perm["spell"] > 1).sum()),
        "n_late_entry_spells": int((perm["entry_days"] > 0).sum()),
        "n_records": int(len(wy)),
        "leavers_by_service_all_years": {b: int((bands_all == b).sum()) for b in BANDS_LOS},
        "by_year": by_year,
        "published": published,
        "calibration": calibration,
        "hr_per_case": h.hr_per_case,
        "hr_per_1000_salary": h.hr_per_1000_salary,
        "hazard": {**h.as_dict(),
                   "year_multipliers": {str(y): sim["multipliers"][y] for y in years},
                   "c_ref": params.c_ref,
                   "correctly_specified_cox": (
                       "Cox PH on tenure with time-varying Cases30 and salary (measured at "
                       "census k, acting over (census k, census k+1]) plus entry route (from "
                       "agency vs not)"
                       + ("." if stationary else
                          ", with census year as a stratum or indicator (the baseline multiplier "
                          "changes by year)."))},
        "payroll": {
            "rows": int(len(payroll)),
            "rows_without_return_record": 0,
            "permanent_in_post_records_without_payroll_row": 0,
            "agency_workers_not_on_payroll": n_workers_ag,
            "snapshot_dates": [_iso(_sep30(y)) for y in years],
        },
        "definitions": {
            "inpost_fte": "sum of FTE30 of permanent (AgencyWorker=0) workers with no RoleEndDate",
            "leavers_fte": "sum of FTE of permanent workers whose RoleEndDate falls in "
                           "1 Oct (y-1) .. 30 Sep y",
            "turnover_rate": "100 * leavers_fte / inpost_fte",
            "agency_rate": "100 * agency FTE30 / (agency FTE30 + inpost_fte), at 30 September",
            "caseload": "sum of Cases30 / sum of FTE30 over in-post workers (permanent and agency) "
                        "with Cases30 > 0 (these are exactly OrgRole 5); caseload_permanent "
                        "excludes agency workers",
            "share_under_12_months": "in-post permanent workers whose RoleStartDate is after "
                                     "30 Sep (y-1) / all in-post permanent workers",
            "share_over_2_years": "in-post permanent workers whose RoleStartDate is before "
                                  "30 Sep (y-2) / all in-post permanent workers (no start date "
                                  "falls on 30 Sep or 1 Oct, so the boundary is unambiguous)",
            "leavers_by_service": "permanent leavers in the year by (RoleEndDate - RoleStartDate) "
                                  "in days / 365.25: <1, 1-2, 2-5, 5-10, 10+ (no leaver is within "
                                  "3 days of a boundary, so completed years give the same bands)",
            "n_workers": "distinct SWENos in any return (permanent and agency)",
            "n_spells": "employment spells appearing in any return: permanent spells (a leaver "
                        "who returns starts a new spell) plus agency placements",
            "n_leavers": "permanent spells with a RoleEndDate in the observed years",
        },
    }
    return truth


# ---------------------------------------------------------------------------------------------
# The truth for Kaplan-Meier
# ---------------------------------------------------------------------------------------------
def true_retention(months=(6, 12, 24, 36, 60), council: SynthCouncil | None = None, *,
                   n: int = 200_000, seed: int | None = None) -> dict:
    """Retention of a new-starter cohort at ``months``, by simulating ``n`` starters.

    The starters are drawn exactly as the generator draws them, and their role, pay and Cases30
    evolve by the generator's own rules (fixed caseload scale ``m_ref``, pay scale of the first
    observed year when stationary) with the baseline multiplier ``c_ref``. See
    ``_RETENTION_DEFINITION`` / docs/synthetic-data.md for what Kaplan-Meier estimates.
    """
    if isinstance(months, SynthCouncil):
        months, council = (6, 12, 24, 36, 60), months
    if council is None or council._params is None:
        raise UserError("true_retention needs a SynthCouncil from swanalysis.synth.generate")
    params = council._params
    hz = params.hazard
    months = [int(m) if float(m).is_integer() else float(m) for m in np.atleast_1d(months)]
    horizon = max(months) / 12.0
    rng = np.random.default_rng([council.seed, 104729] if seed is None else seed)
    year = council.years[0]
    d0, d1 = _sep30(year - 1), _sep30(year)
    sp = _new_spells(rng, n, d0 + 2, d1 - 1, params)
    stationary = True  # pay scale and caseload scale fixed (see docstring)
    sp["start_salary"] = _start_salary(sp, None, year, params, stationary)
    exit_tenure = np.full(n, np.inf)
    # first (partial) year
    tau1 = (d1 - sp["start"]) / DAYS_PER_YEAR
    lp = _lp_first(sp, params, stationary)
    e = rng.exponential(1.0, n)
    lam = e / (params.c_ref * np.exp(lp))
    t_exit = hz.inv_cumbase(lam)
    left = t_exit <= tau1
    exit_tenure[left] = t_exit[left]
    table = _Table(_SPELL_FIELDS)
    block = dict(sp)
    block["person"] = np.zeros(n)
    idx_all = table.append(block)
    alive = idx_all[~left]
    y = year
    day = d1
    while len(alive) and (day - d1) / DAYS_PER_YEAR < horizon + 1:
        raw, holders = _annual_update(rng, table, alive, day, y, params, stationary, None)
        cases = np.zeros(len(alive))
        cases[holders] = _cases_from_raw(raw[holders], params.m_ref)
        table["cases"][alive] = cases
        lp = _lp_census(cases, table["salary"][alive], table["origin"][alive], params)
        tau0 = (day - table["start"][alive]) / DAYS_PER_YEAR
        tau_next = (day + (_sep30(y + 1) - _sep30(y)) - table["start"][alive]) / DAYS_PER_YEAR
        e = rng.exponential(1.0, len(alive))
        lam = hz.cumbase(tau0) + e / (params.c_ref * np.exp(lp))
        t_exit = hz.inv_cumbase(lam)
        go = t_exit <= tau_next
        exit_tenure[alive[go]] = t_exit[go]
        alive = alive[~go]
        y += 1
        day = _sep30(y)
    return {m: float(np.mean(exit_tenure > m / 12.0)) for m in months}
