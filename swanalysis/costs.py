"""What agency cover costs: the premium paid for agency social workers over employed staff.

The DfE statistics give agency FTE at 30 September (``agency_fte``), employed FTE (``inpost_fte``),
vacancies (``vacancy_fte``) and vacancies covered by agency workers (``agency_cover_fte``). A council
pays an agency worker more than an employed one; the difference (the *premium per FTE-year*) is
a parameter. Warwickshire's officers put it at about £20,000 a year per agency social worker
("£20,000 more than a normal social worker ... this went to the agency", Children and Families
Workforce Strategy Review, 2022), which is the default here.

Measures (all per year, at the 30 September snapshot, so an annualised estimate):

* ``annual_premium`` = agency FTE × premium per FTE-year.
* ``saving_at_sn_median`` = premium saved if the agency rate (agency FTE ÷ (agency + employed FTE))
  fell to the statistical-neighbour median with the same total workforce:
  (agency FTE − total FTE × SN median rate) × premium, and 0 when already at or below it.
* ``cost_per_vacancy_filled`` = annual premium ÷ vacancy FTE covered by agency workers: what each
  vacancy filled by agency costs in premium a year (higher than the premium itself when agency
  workers are also used beyond vacant posts, e.g. project teams).
* ``payback_years`` (when a recruitment cost per permanent hire is given) = recruitment cost ÷
  premium: how long an agency-covered vacancy filled permanently takes to pay back its recruitment
  cost (Warwickshire: £125,000 for 25 international recruits = £5,000 a hire → 0.25 years).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from .errors import UserError

DEFAULT_PREMIUM = 20_000.0
"""Premium per agency FTE-year in £ (Warwickshire County Council, 2022)."""

COST_INPUTS = ("agency_fte", "inpost_fte", "vacancy_fte", "agency_cover_fte")


@dataclass(frozen=True)
class AgencyCost:
    """Agency cover cost for one authority and year (money in £ per year)."""

    agency_fte: float
    inpost_fte: float
    premium_per_fte: float
    agency_rate: float  # % of all FTE (employed + agency) filled by agency workers
    annual_premium: float
    sn_median_rate: float  # NaN when not given
    agency_fte_at_sn_median: float
    saving_at_sn_median: float
    vacancy_fte: float
    agency_cover_fte: float
    cost_per_vacancy_filled: float  # NaN when no vacancy is covered by agency
    recruitment_cost_per_hire: float  # NaN when not given
    payback_years: float  # NaN when not given

    def as_dict(self) -> dict:
        return asdict(self)


def _num(value, name: str) -> float:
    if value is None:
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise UserError(f"agency cost: {name} must be a number, got {value!r}") from None
    return out


def agency_cover_cost(
    agency_fte: float,
    inpost_fte: float,
    premium_per_fte: float = DEFAULT_PREMIUM,
    sn_median_rate: float | None = None,
    vacancy_fte: float | None = None,
    agency_cover_fte: float | None = None,
    recruitment_cost_per_hire: float | None = None,
) -> AgencyCost:
    """Agency premium, saving at the statistical-neighbour median rate and cost per vacancy filled.

    ``sn_median_rate`` is a percentage (17.6 for 17.6%). Missing inputs give NaN for the measures
    that need them, never a made-up number.
    """
    agency = _num(agency_fte, "agency_fte")
    inpost = _num(inpost_fte, "inpost_fte")
    premium = _num(premium_per_fte, "premium_per_fte")
    if not premium >= 0:
        raise UserError(f"agency cost: premium per FTE-year must be 0 or more, got {premium_per_fte!r}")
    for name, val in (("agency_fte", agency), ("inpost_fte", inpost)):
        if val < 0:
            raise UserError(f"agency cost: {name} must be 0 or more, got {val}")
    total = agency + inpost
    rate = 100.0 * agency / total if total > 0 else math.nan
    annual = agency * premium
    sn = _num(sn_median_rate, "sn_median_rate")
    if math.isnan(sn) or math.isnan(total):
        at_sn = saving = math.nan
    else:
        at_sn = total * sn / 100.0
        saving = max(agency - at_sn, 0.0) * premium
    cover = _num(agency_cover_fte, "agency_cover_fte")
    per_vacancy = annual / cover if cover > 0 else math.nan
    hire = _num(recruitment_cost_per_hire, "recruitment_cost_per_hire")
    payback = hire / premium if (not math.isnan(hire) and premium > 0) else math.nan
    return AgencyCost(
        agency_fte=agency,
        inpost_fte=inpost,
        premium_per_fte=premium,
        agency_rate=rate,
        annual_premium=annual,
        sn_median_rate=sn,
        agency_fte_at_sn_median=at_sn,
        saving_at_sn_median=saving,
        vacancy_fte=_num(vacancy_fte, "vacancy_fte"),
        agency_cover_fte=cover,
        cost_per_vacancy_filled=per_vacancy,
        recruitment_cost_per_hire=hire,
        payback_years=payback,
    )


def agency_cost_table(
    wide: pd.DataFrame,
    premium_per_fte: float = DEFAULT_PREMIUM,
    sn_median_rate: float | None = None,
    recruitment_cost_per_hire: float | None = None,
) -> pd.DataFrame:
    """Agency cost for each row of a wide table (one row per area, columns from ``COST_INPUTS``).

    Returns the input's index with the :class:`AgencyCost` fields as columns.
    """
    missing = [c for c in ("agency_fte", "inpost_fte") if c not in wide.columns]
    if missing:
        raise UserError(f"agency cost table: missing column(s) {', '.join(missing)}")
    rows = []
    for _, r in wide.iterrows():
        rows.append(
            agency_cover_cost(
                r["agency_fte"],
                r["inpost_fte"],
                premium_per_fte=premium_per_fte,
                sn_median_rate=sn_median_rate,
                vacancy_fte=r.get("vacancy_fte"),
                agency_cover_fte=r.get("agency_cover_fte"),
                recruitment_cost_per_hire=recruitment_cost_per_hire,
            ).as_dict()
        )
    return pd.DataFrame(rows, index=wide.index)


def money(value: float) -> str:
    """£ with thousands separators, rounded to the nearest £1,000 above £100,000, else to £100."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not available"
    step = 1000 if abs(value) >= 100_000 else 100
    rounded = round(value / step) * step
    if abs(rounded) >= 1_000_000:
        return f"£{rounded / 1_000_000:.2f} million"
    return f"£{rounded:,.0f}"


def cost_sentences(la: str, year: int, cost: AgencyCost) -> list[str]:
    """Plain-English statements of the agency cost for the report."""
    out = [
        f"{la} had {cost.agency_fte:.1f} agency social workers (FTE) at 30 September {year}, "
        f"{cost.agency_rate:.1f}% of its social work FTE. At a premium of "
        f"{money(cost.premium_per_fte)} per FTE-year over an employed social worker, agency cover "
        f"costs about {money(cost.annual_premium)} a year more than employing the same staff."
    ]
    if not math.isnan(cost.saving_at_sn_median):
        if cost.saving_at_sn_median > 0:
            out.append(
                f"If {la}'s agency rate fell to its statistical neighbours' median "
                f"({cost.sn_median_rate:.1f}%), it would use about {cost.agency_fte_at_sn_median:.1f} "
                f"agency FTE instead of {cost.agency_fte:.1f}, saving about "
                f"{money(cost.saving_at_sn_median)} a year."
            )
        else:
            out.append(
                f"{la}'s agency rate is at or below its statistical neighbours' median "
                f"({cost.sn_median_rate:.1f}%), so no saving is estimated from reaching it."
            )
    if not math.isnan(cost.cost_per_vacancy_filled):
        out.append(
            f"Agency workers covered {cost.agency_cover_fte:.1f} FTE of vacant posts: "
            f"{money(cost.cost_per_vacancy_filled)} of premium a year per vacancy filled by agency."
        )
    if not math.isnan(cost.payback_years):
        out.append(
            f"At {money(cost.recruitment_cost_per_hire)} to recruit a permanent social worker, filling "
            f"an agency-covered post permanently pays for itself in about "
            f"{12 * cost.payback_years:.0f} months."
        )
    return out
