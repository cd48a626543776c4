import math

import pandas as pd
import pytest

from swanalysis.costs import (
    DEFAULT_PREMIUM,
    agency_cost_table,
    agency_cover_cost,
    cost_sentences,
    money,
)
from swanalysis.errors import UserError


@pytest.fixture(scope="module")
def berkshire_2022(data_dir):
    """Published 2022 FTE figures for the Berkshire authorities, read straight from the DfE file."""
    raw = pd.read_csv(data_dir / "csww_indicators_2017_to_2025.csv", dtype=str)
    rows = raw[(raw.time_period == "2022") & (raw.geographic_level == "Local authority")]
    rows = rows[rows.la_name.isin(["Wokingham", "Slough", "Reading", "Bracknell Forest",
                                   "West Berkshire", "Windsor and Maidenhead"])]
    out = rows.set_index("la_name")[
        ["inpost_fte", "agency_fte", "vacancy_fte", "agency_cover_fte", "agency_rate_fte"]
    ].astype(float)
    return out


def test_default_premium_is_warwickshire_figure():
    from swanalysis.costs import PREMIUM_RANGE, PREMIUM_SOURCE
    assert DEFAULT_PREMIUM == 20_000 == PREMIUM_RANGE[1]
    assert PREMIUM_RANGE == (14_400, 20_000, 30_000)
    assert "Warwickshire" in PREMIUM_SOURCE and "Sefton" in PREMIUM_SOURCE
    assert "not a published estimate" in PREMIUM_SOURCE


def test_wokingham_2022_against_published_figures(berkshire_2022):
    w = berkshire_2022.loc["Wokingham"]
    assert (w.inpost_fte, w.agency_fte, w.agency_cover_fte) == (86.3, 27.6, 20.0)
    cost = agency_cover_cost(
        w.agency_fte, w.inpost_fte, sn_median_rate=17.6,
        vacancy_fte=w.vacancy_fte, agency_cover_fte=w.agency_cover_fte,
    )
    # the recomputed agency rate matches the published one to rounding
    assert cost.agency_rate == pytest.approx(w.agency_rate_fte, abs=0.05)
    assert cost.annual_premium == pytest.approx(27.6 * 20_000)  # £552,000
    # (27.6 − 113.9 × 17.6%) × £20,000
    assert cost.agency_fte_at_sn_median == pytest.approx(113.9 * 0.176)
    assert cost.saving_at_sn_median == pytest.approx((27.6 - 20.0464) * 20_000)
    # 20.0 of the 27.6 agency FTE cover vacancies: £400,000 of the premium; the other 7.6 FTE
    # £152,000. Each FTE of vacancy covered costs the premium, £20,000 (the old figure divided
    # the whole £552,000 by 20.0 and said £27,600 "per vacancy filled")
    assert cost.premium_on_vacancy_cover == pytest.approx(400_000)
    assert cost.premium_beyond_vacancies == pytest.approx(7.6 * 20_000)
    assert cost.cost_per_vacancy_filled == 20_000
    # the range: £14,400 to £30,000 per FTE-year
    assert (cost.annual_premium_low, cost.annual_premium_high) == pytest.approx(
        (27.6 * 14_400, 27.6 * 30_000))
    text = " ".join(cost_sentences("Wokingham", 2022, cost))
    assert "£552,000 (range £397,000 to £828,000)" in text
    assert "£400,000 of the premium a year, £20,000 for each FTE of vacancy covered" in text
    assert "The other 7.6 agency FTE were not covering a vacancy (£152,000 a year)" in text


def test_slough_uses_agency_beyond_vacancies(berkshire_2022):
    s = berkshire_2022.loc["Slough"]
    cost = agency_cover_cost(s.agency_fte, s.inpost_fte, agency_cover_fte=s.agency_cover_fte)
    # 56.2 agency FTE cover only 35.5 FTE of vacancies: the premium splits, never more than
    # the premium per vacancy
    assert cost.premium_on_vacancy_cover == pytest.approx(35.5 * 20_000)
    assert cost.premium_beyond_vacancies == pytest.approx((56.2 - 35.5) * 20_000)
    assert cost.premium_on_vacancy_cover + cost.premium_beyond_vacancies == pytest.approx(
        cost.annual_premium)
    assert cost.cost_per_vacancy_filled == cost.premium_per_fte


def test_actual_spend_replaces_the_estimate():
    # a council's finance: £1.5 million on 27.6 agency FTE; employing them would cost £52,000 each
    cost = agency_cover_cost(27.6, 86.3, agency_spend=1_500_000, employed_cost_per_fte=52_000,
                             sn_median_rate=19.8)
    assert cost.actual and cost.annual_premium == pytest.approx(1_500_000 - 27.6 * 52_000)
    assert cost.premium_per_fte == pytest.approx(1_500_000 / 27.6 - 52_000)
    assert cost.annual_premium_low == cost.annual_premium_high == cost.annual_premium
    text = cost_sentences("Wokingham", 2022, cost)[0]
    assert "Its finance figures put agency spend at £1.50 million" in text
    assert "assumed" not in text
    with pytest.raises(UserError, match="low <= central <= high"):
        agency_cover_cost(10, 90, premium_low=30_000)


def test_no_saving_when_already_below_median(berkshire_2022):
    b = berkshire_2022.loc["Bracknell Forest"]
    cost = agency_cover_cost(b.agency_fte, b.inpost_fte, sn_median_rate=30.4)
    assert cost.saving_at_sn_median == 0.0
    assert cost.agency_fte_at_sn_median > b.agency_fte


def test_missing_inputs_give_nan_not_numbers():
    cost = agency_cover_cost(10, 90)
    assert cost.agency_rate == pytest.approx(10.0)
    assert math.isnan(cost.saving_at_sn_median)
    assert math.isnan(cost.cost_per_vacancy_filled)
    assert math.isnan(cost.payback_years)
    # no vacancies covered by agency: cost per vacancy filled is undefined, not infinite
    assert math.isnan(agency_cover_cost(10, 90, agency_cover_fte=0).cost_per_vacancy_filled)


def test_warwickshire_international_recruitment_payback():
    # £125,000 for 25 social workers = £5,000 a hire; at £20,000 a year premium: 3 months
    cost = agency_cover_cost(37, 422.5, recruitment_cost_per_hire=125_000 / 25)
    assert cost.payback_years == pytest.approx(0.25)
    assert any("3 months" in s for s in cost_sentences("Warwickshire", 2021, cost))


def test_premium_parameter_scales_cost():
    assert agency_cover_cost(10, 90, premium_per_fte=30_000).annual_premium == 300_000
    with pytest.raises(UserError):
        agency_cover_cost(10, 90, premium_per_fte=-1)
    with pytest.raises(UserError):
        agency_cover_cost("ten", 90)


def test_table_matches_scalar(berkshire_2022):
    table = agency_cost_table(berkshire_2022, sn_median_rate=30.4)
    assert list(table.index) == list(berkshire_2022.index)
    for la in table.index:
        r = berkshire_2022.loc[la]
        one = agency_cover_cost(r.agency_fte, r.inpost_fte, sn_median_rate=30.4,
                                vacancy_fte=r.vacancy_fte, agency_cover_fte=r.agency_cover_fte)
        assert table.loc[la, "saving_at_sn_median"] == pytest.approx(one.saving_at_sn_median)
    with pytest.raises(UserError):
        agency_cost_table(berkshire_2022.drop(columns="agency_fte"))


def test_money_formatting():
    assert money(552_000) == "£552,000"
    assert money(151_072) == "£151,000"
    assert money(31_662) == "£31,700"
    assert money(2_600_000) == "£2.60 million"
    assert money(float("nan")) == "not available"


def test_sentences_state_numbers(berkshire_2022):
    w = berkshire_2022.loc["Wokingham"]
    cost = agency_cover_cost(w.agency_fte, w.inpost_fte, sn_median_rate=17.6,
                             agency_cover_fte=w.agency_cover_fte)
    text = " ".join(cost_sentences("Wokingham", 2022, cost))
    assert "27.6 agency social workers" in text
    assert "24.2%" in text
    assert "£552,000" in text
    assert "saving about £151,000" in text
