"""What agency cover costs: the premium paid for agency social workers over employed staff.

The DfE statistics give agency FTE at 30 September (``agency_fte``), employed FTE (``inpost_fte``),
vacancies (``vacancy_fte``) and vacancies covered by agency workers (``agency_cover_fte``). A council
pays an agency worker more than an employed one; the difference (the *premium per FTE-year*) is
an assumption, given as a **low / central / high range** (:data:`PREMIUM_RANGE`, params
``agency_premium_low``, ``agency_premium``, ``agency_premium_high``) with its source stated:

* central £20,000: Warwickshire County Council's officers ("£20,000 more than a normal social
  worker ... this went to the agency", Children and Families Workforce Strategy Review, 2022);
* low £14,400: Sefton Council's estimate of what an agency social worker costs a year more than a
  newly qualified permanent one, cited by the Department of Health (Community Care, 1 September
  2010);
* high £30,000: an assumption (1.5 × the central figure) for councils paying London or
  crisis rates; no published estimate — a council's own finance figure should replace it.

When the council's finance gives its **actual agency spend** for the year (``agency_spend``) and
what employing the same FTE would cost (``employed_cost_per_fte``), the actual premium replaces
the estimate: spend − agency FTE × employed cost per FTE.

Measures (all per year, at the 30 September snapshot, so an annualised estimate):

* ``annual_premium`` (and ``_low``/``_high``) = agency FTE × premium per FTE-year (or the actual
  premium).
* ``saving_at_sn_median`` (and ``_low``/``_high``) = premium saved if the agency rate (agency FTE ÷
  (agency + employed FTE)) fell to the statistical-neighbour median with the same total workforce:
  (agency FTE − total FTE × SN median rate) × premium per FTE, and 0 when already at or below it.
* ``premium_on_vacancy_cover`` = premium for the agency FTE covering vacant posts
  (min(agency cover FTE, agency FTE) × premium) and ``premium_beyond_vacancies`` for the agency
  FTE beyond vacant posts (e.g. project teams). Each FTE of vacancy covered by agency costs the
  premium per FTE-year (``cost_per_vacancy_filled``): dividing the *whole* premium by the
  vacancies covered, as an earlier version did, charged every vacancy with the agency workers
  who were not covering one (Wokingham 2022: £27,600; Coventry 2020: £197,000 "per vacancy").
* ``payback_years`` (when a recruitment cost per permanent hire is given) = recruitment cost ÷
  premium: how long an agency-covered vacancy filled permanently takes to pay back its recruitment
  cost (Warwickshire: £125,000 for 25 international recruits = £5,000 a hire → 0.25 years).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from .errors import UserError
from .results import Result

DEFAULT_PREMIUM = 20_000.0
"""Central premium per agency FTE-year in £ (Warwickshire County Council, 2022)."""

#: (low, central, high) premium per agency FTE-year in £, and where each comes from
PREMIUM_RANGE = (14_400.0, DEFAULT_PREMIUM, 30_000.0)
PREMIUM_SOURCE = (
    "low £14,400: Sefton Council's estimate for an agency worker against a newly qualified "
    "permanent social worker, cited by the Department of Health (Community Care, 2010); central "
    "£20,000: Warwickshire County Council, Children and Families Workforce Strategy Review "
    "(2022); high £30,000: an assumption (1.5 × central), not a published estimate"
)

COST_INPUTS = ("agency_fte", "inpost_fte", "vacancy_fte", "agency_cover_fte")


@dataclass(frozen=True, repr=False)
class AgencyCost(Result):
    """Agency cover cost for one authority and year (money in £ per year).

    Attributes
    ----------
    agency_fte, inpost_fte : float
        Agency and employed (in post) social worker FTE at 30 September.
    premium_per_fte : float
        Extra cost of an agency FTE-year over an employed one (central estimate, or the actual
        premium per agency FTE when ``actual``).
    agency_rate : float
        % of all FTE (employed + agency) filled by agency workers.
    annual_premium : float
        What agency cover costs a year more than employing the same staff.
    sn_median_rate : float
        The statistical neighbours' median agency rate (%); NaN when not given.
    agency_fte_at_sn_median, saving_at_sn_median : float
        Agency FTE at that median rate and the premium saved a year by reaching it.
    vacancy_fte, agency_cover_fte : float
        Vacant FTE and the part of it covered by agency workers.
    cost_per_vacancy_filled : float
        Premium per FTE of vacancy covered; NaN when none is covered.
    recruitment_cost_per_hire, payback_years : float
        Cost of one permanent hire and the years of premium it pays back; NaN when not given.
    premium_low, premium_high, annual_premium_low, annual_premium_high : float
        The low and high ends of the premium range and of the annual premium.
    saving_at_sn_median_low, saving_at_sn_median_high : float
        The saving at the neighbours' median at the low and high premium.
    premium_on_vacancy_cover, premium_beyond_vacancies : float
        The annual premium split between agency FTE covering vacancies and the rest.
    agency_spend : float
        Actual agency spend from the council's finance; NaN when not given.
    actual : bool
        True when the premium is the council's actual one, not an estimate.
    """

    agency_fte: float
    inpost_fte: float
    premium_per_fte: float  # central (or actual: actual premium ÷ agency FTE)
    agency_rate: float  # % of all FTE (employed + agency) filled by agency workers
    annual_premium: float
    sn_median_rate: float  # NaN when not given
    agency_fte_at_sn_median: float
    saving_at_sn_median: float
    vacancy_fte: float
    agency_cover_fte: float
    cost_per_vacancy_filled: float  # premium per FTE of vacancy covered; NaN when none covered
    recruitment_cost_per_hire: float  # NaN when not given
    payback_years: float  # NaN when not given
    premium_low: float = math.nan
    premium_high: float = math.nan
    annual_premium_low: float = math.nan
    annual_premium_high: float = math.nan
    saving_at_sn_median_low: float = math.nan
    saving_at_sn_median_high: float = math.nan
    premium_on_vacancy_cover: float = math.nan
    premium_beyond_vacancies: float = math.nan
    agency_spend: float = math.nan  # actual, from the council's finance; NaN when not given
    actual: bool = False  # True: the premium is the council's actual one, not an estimate

    def as_dict(self) -> dict:
        """The fields as a dict (one row of :func:`agency_cost_table`)."""
        return asdict(self)

    def _counts(self) -> list[str]:
        return [f"{self.agency_fte:,.1f} agency FTE", f"{self.agency_rate:.1f}% agency rate",
                f"{money(self.annual_premium)} a year"]

    def table(self) -> pd.DataFrame:
        """The fields as a one-column table (index: field, column: value)."""
        return pd.Series(self.as_dict(), name="value", dtype=object).rename_axis("field").to_frame()

    def sentences(self, la: str = "the authority", year: int | None = None) -> list[str]:
        """The cost in words (:func:`cost_sentences`), for ``la`` at 30 September ``year``."""
        return cost_sentences(la, year, self)


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
    premium_low: float | None = None,
    premium_high: float | None = None,
    agency_spend: float | None = None,
    employed_cost_per_fte: float | None = None,
) -> AgencyCost:
    """Agency premium (a low/central/high range), saving at the statistical-neighbour median rate
    and the premium split between agency FTE covering vacancies and the rest.

    Missing inputs give NaN for the measures that need them, never a made-up number.

    Parameters
    ----------
    agency_fte : float
        Agency social worker FTE at 30 September.
    inpost_fte : float
        Employed social worker FTE in post at 30 September.
    premium_per_fte : float, default 20000
        Central extra cost of an agency FTE-year over an employed one, £ (Warwickshire, 2022).
    sn_median_rate : float, optional
        The statistical neighbours' median agency rate, a percentage (17.6 for 17.6%).
    vacancy_fte : float, optional
        Vacant FTE.
    agency_cover_fte : float, optional
        Vacant FTE covered by agency workers.
    recruitment_cost_per_hire : float, optional
        Cost of recruiting one permanent social worker, £.
    premium_low, premium_high : float, optional
        The ends of the premium range; default the same proportion of ``premium_per_fte`` as
        :data:`PREMIUM_RANGE` has of its central figure.
    agency_spend : float, optional
        The council's actual agency spend, £ a year (with ``employed_cost_per_fte``).
    employed_cost_per_fte : float, optional
        What an employed FTE costs a year, £: with ``agency_spend`` gives the actual premium, used
        instead of the estimate.

    Returns
    -------
    AgencyCost
        agency_rate, annual_premium (and its range), agency_fte_at_sn_median,
        saving_at_sn_median, premium_on_vacancy_cover, premium_beyond_vacancies, payback_years and
        the inputs; ``.sentences(la, year)`` in words.

    Raises
    ------
    UserError
        For an input that is not a number or is negative.

    Examples
    --------
    >>> from swanalysis.costs import agency_cover_cost
    >>> cost = agency_cover_cost(30, 170, sn_median_rate=10, agency_cover_fte=12)
    >>> cost
    <AgencyCost 30.0 agency FTE, 15.0% agency rate, £600,000 a year>
    >>> round(cost.saving_at_sn_median), round(cost.cost_per_vacancy_filled)
    (200000, 20000)
    >>> cost.sentences("Wokingham", 2022)[1]
    "If Wokingham's agency rate fell to its statistical neighbours' median (10.0%), it would use about 20.0 agency FTE instead of 30.0, saving about £200,000 (range £144,000 to £300,000) a year."
    """
    agency = _num(agency_fte, "agency_fte")
    inpost = _num(inpost_fte, "inpost_fte")
    premium = _num(premium_per_fte, "premium_per_fte")
    if not premium >= 0:
        raise UserError(f"agency cost: premium per FTE-year must be 0 or more, got {premium_per_fte!r}")
    for name, val in (("agency_fte", agency), ("inpost_fte", inpost)):
        if val < 0:
            raise UserError(f"agency cost: {name} must be 0 or more, got {val}")
    low = _num(premium_low, "premium_low")
    high = _num(premium_high, "premium_high")
    if math.isnan(low):
        low = premium * PREMIUM_RANGE[0] / PREMIUM_RANGE[1]
    if math.isnan(high):
        high = premium * PREMIUM_RANGE[2] / PREMIUM_RANGE[1]
    if not low <= premium <= high:
        raise UserError(f"agency cost: the premium range must run low <= central <= high, got "
                        f"{low:,.0f} / {premium:,.0f} / {high:,.0f}")
    spend = _num(agency_spend, "agency_spend")
    employed = _num(employed_cost_per_fte, "employed_cost_per_fte")
    actual = not math.isnan(spend) and not math.isnan(employed) and agency > 0
    if actual:
        # the council's own figure: one premium, no range
        premium = low = high = (spend - agency * employed) / agency
    total = agency + inpost
    rate = 100.0 * agency / total if total > 0 else math.nan
    sn = _num(sn_median_rate, "sn_median_rate")
    if math.isnan(sn) or math.isnan(total):
        at_sn = excess = math.nan
    else:
        at_sn = total * sn / 100.0
        excess = max(agency - at_sn, 0.0)
    cover = _num(agency_cover_fte, "agency_cover_fte")
    covering = min(cover, agency) if cover >= 0 else math.nan
    hire = _num(recruitment_cost_per_hire, "recruitment_cost_per_hire")
    payback = hire / premium if (not math.isnan(hire) and premium > 0) else math.nan
    return AgencyCost(
        agency_fte=agency,
        inpost_fte=inpost,
        premium_per_fte=premium,
        agency_rate=rate,
        annual_premium=agency * premium,
        sn_median_rate=sn,
        agency_fte_at_sn_median=at_sn,
        saving_at_sn_median=excess * premium,
        vacancy_fte=_num(vacancy_fte, "vacancy_fte"),
        agency_cover_fte=cover,
        cost_per_vacancy_filled=premium if cover > 0 else math.nan,
        recruitment_cost_per_hire=hire,
        payback_years=payback,
        premium_low=low,
        premium_high=high,
        annual_premium_low=agency * low,
        annual_premium_high=agency * high,
        saving_at_sn_median_low=excess * low,
        saving_at_sn_median_high=excess * high,
        premium_on_vacancy_cover=covering * premium,
        premium_beyond_vacancies=(agency - covering) * premium,
        agency_spend=spend,
        actual=actual,
    )


def agency_cost_table(
    wide: pd.DataFrame,
    premium_per_fte: float = DEFAULT_PREMIUM,
    sn_median_rate: float | None = None,
    recruitment_cost_per_hire: float | None = None,
    premium_low: float | None = None,
    premium_high: float | None = None,
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
                premium_low=premium_low,
                premium_high=premium_high,
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


def money_range(low: float, central: float, high: float) -> str:
    """"£552,000 (range £397,000 to £828,000)", or the central figure alone when they agree."""
    if any(math.isnan(v) for v in (low, high)) or money(low) == money(high):
        return money(central)
    return f"{money(central)} (range {money(low)} to {money(high)})"


def cost_sentences(la: str, year: int | None, cost: AgencyCost) -> list[str]:
    """Plain-English statements of the agency cost for the report (``year`` None: no year named)."""
    La = la[:1].upper() + la[1:]
    when = f" {year}" if year is not None else ""
    if cost.actual:
        first = (
            f"{La} had {cost.agency_fte:.1f} agency social workers (FTE) at 30 September{when}, "
            f"{cost.agency_rate:.1f}% of its social work FTE. Its finance figures put agency spend "
            f"at {money(cost.agency_spend)}, about {money(cost.annual_premium)} more than employing "
            f"the same staff ({money(cost.premium_per_fte)} per agency FTE-year)."
        )
    else:
        first = (
            f"{La} had {cost.agency_fte:.1f} agency social workers (FTE) at 30 September{when}, "
            f"{cost.agency_rate:.1f}% of its social work FTE. At a premium of "
            f"{money(cost.premium_per_fte)} per FTE-year over an employed social worker "
            f"(assumed; range {money(cost.premium_low)} to {money(cost.premium_high)}), agency "
            f"cover costs about {money_range(cost.annual_premium_low, cost.annual_premium, cost.annual_premium_high)} "
            "a year more than employing the same staff."
        )
    out = [first]
    if not math.isnan(cost.saving_at_sn_median):
        if cost.saving_at_sn_median > 0:
            out.append(
                f"If {la}'s agency rate fell to its statistical neighbours' median "
                f"({cost.sn_median_rate:.1f}%), it would use about {cost.agency_fte_at_sn_median:.1f} "
                f"agency FTE instead of {cost.agency_fte:.1f}, saving about "
                f"{money_range(cost.saving_at_sn_median_low, cost.saving_at_sn_median, cost.saving_at_sn_median_high)}"
                " a year."
            )
        else:
            out.append(
                f"{La}'s agency rate is at or below its statistical neighbours' median "
                f"({cost.sn_median_rate:.1f}%), so no saving is estimated from reaching it."
            )
    if cost.agency_cover_fte > 0 and not math.isnan(cost.premium_on_vacancy_cover):
        covering = cost.premium_on_vacancy_cover / cost.premium_per_fte if cost.premium_per_fte else 0
        text = (f"Agency workers covered {cost.agency_cover_fte:.1f} FTE of vacant posts: "
                f"{money(cost.premium_on_vacancy_cover)} of the premium a year, "
                f"{money(cost.premium_per_fte)} for each FTE of vacancy covered.")
        beyond = cost.agency_fte - covering
        if beyond > 0.05:
            text += (f" The other {beyond:.1f} agency FTE were not covering a vacancy "
                     f"({money(cost.premium_beyond_vacancies)} a year).")
        out.append(text)
    if not math.isnan(cost.payback_years):
        out.append(
            f"At {money(cost.recruitment_cost_per_hire)} to recruit a permanent social worker, filling "
            f"an agency-covered post permanently pays for itself in about "
            f"{12 * cost.payback_years:.0f} months."
        )
    return out
