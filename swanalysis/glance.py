"""At a glance: the headline measures as a committee reads them.

:func:`at_a_glance` takes a :class:`~swanalysis.benchmark.BenchmarkResult` (and local targets)
and returns one row per headline measure: this year, last year, the direction of travel in words,
whether that is better or worse (lower agency use, turnover, vacancies, caseload and sickness
absence are better), where the authority stands against its statistical neighbours, region and
England in words, the comparison with England (the benchmark's own words when it gives them),
the local target and whether it is met, and one status word. :func:`key_messages` turns the rows
into three to five sentences that say what matters and which way it is moving.

Nothing here is colour: every judgement is a word in the text.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from . import measures
from .measures import get as measure_info
from .benchmark import MEASURE_LABELS, fmt, possessive

#: The headline measures, in the order a paper shows them (the registry's ``glance`` role).
HEADLINE = measures.names("glance")

COLUMNS = ["measure", "name", "value", "last_year", "change", "direction", "better", "neighbours",
           "region", "england", "position", "position_values", "comparison", "target",
           "target_met", "status"]


def _lower_is_better(measure: str):
    """True when lower is better, False when higher is, None when neither (the measure registry:
    lower agency use, turnover, vacancies, caseload and sickness absence are better; more social
    workers in post is neither better nor worse by itself)."""
    spec = measures.REGISTRY.get(measure)
    if spec is None or spec.better is None:
        return None
    return spec.better == "lower"


def _finite(v) -> bool:
    try:
        return v is not None and not pd.isna(v) and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _steady(measure: str, value, change) -> bool:
    m = measures.get(measure)
    limit = m.steady
    if m.kind == "count":  # a share of last year's value
        base = float(value) - float(change)
        return base > 0 and abs(float(change)) / base < limit
    return abs(float(change)) < limit


def direction_words(measure: str, value, change) -> tuple[str, str]:
    """("rising" / "falling" / "about the same" / "", "better" / "worse" / "no change" / "")."""
    if not (_finite(value) and _finite(change)):
        return "", ""
    if _steady(measure, value, change):
        return "about the same", "no change"
    rising = float(change) > 0
    lower = _lower_is_better(measure)
    if lower is None:
        return ("rising" if rising else "falling"), ""
    return ("rising" if rising else "falling"), ("worse" if rising == lower else "better")


def _side(measure: str, value, ref) -> str:
    """"higher" / "lower" / "similar" (within the steady band) / ""."""
    if not (_finite(value) and _finite(ref)):
        return ""
    gap = float(value) - float(ref)
    m = measures.get(measure)
    if m.kind == "count":
        return "higher" if gap > 0 else "lower" if gap < 0 else "similar"
    if abs(gap) < m.steady:
        return "similar"
    return "higher" if gap > 0 else "lower"


def region_words(name: str) -> str:
    """"the South East", "London", "the East of England" as a sentence writes them."""
    return name if not name or name in ("London", "England") or name.startswith("the ") \
        else f"the {name}"


def position_words(measure: str, value, refs: Mapping[str, float], values: bool = False) -> str:
    """"Higher than the neighbours and England; lower than the South East" (rates and caseload);
    with ``values``, each reference's figure in brackets."""
    if measure == "inpost_fte" or not _finite(value):
        return ""
    groups: dict[str, list[str]] = {"higher": [], "lower": [], "similar": []}
    for name, ref in refs.items():
        side = _side(measure, value, ref)
        if side:
            shown = fmt(measure, ref, unit=MEASURE_LABELS[measure][1] == "%")
            groups[side].append(f"{name} ({shown})" if values else name)
    parts = []
    for side, words in (("higher", "higher than"), ("lower", "lower than"),
                        ("similar", "similar to")):
        names = groups[side]
        if names:
            joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            parts.append(f"{words} {joined}")
    text = " but ".join(parts) if len(parts) == 2 else "; ".join(parts)
    return text[:1].upper() + text[1:]


def _comparison(row: Mapping, measure: str, value, england) -> str:
    """The benchmark's comparison with England in words when it gives them, else the gap."""
    words = row.get("comparison")
    if isinstance(words, str) and words.strip():
        return words.strip()
    if not (_finite(value) and _finite(england)) or measure == "inpost_fte":
        return ""
    gap = float(value) - float(england)
    unit = " points" if MEASURE_LABELS[measure][1] == "%" else " cases" if measure == "caseload" else ""
    if abs(gap) < 0.05:
        return "the same as England"
    return f"{abs(gap):.1f}{unit} {'above' if gap > 0 else 'below'} England"


def status_word(better: str, target_met, direction: str = "") -> str:
    """One word a reader sees without colour: the target when set, else the direction."""
    if target_met is True:
        return "Target met"
    if target_met is False:
        return "Target not met"
    word = {"better": "Improving", "worse": "Worsening", "no change": "Steady"}.get(better)
    return word or {"rising": "Rising", "falling": "Falling"}.get(direction, "No comparison")


def at_a_glance(result, targets: Mapping[str, float] | None = None,
                measures=HEADLINE) -> pd.DataFrame:
    """One row per headline measure (:data:`COLUMNS`); measures not benchmarked are left out."""
    targets = dict(targets or {})
    s = result.summary.set_index("measure")
    region = result.area.region_name or "the region"
    rows = []
    for m in measures:
        if m not in s.index:
            continue
        r = s.loc[m]
        value, change = r.get("value"), r.get("change")
        last = float(value) - float(change) if _finite(value) and _finite(change) else np.nan
        if not _finite(last):
            last = result.value(m, "la", result.year - 1)
        direction, better = direction_words(m, value, change)
        refs = {"the neighbours": r.get("sn_median"), region_words(region): r.get("region"),
                "England": r.get("england")}
        target = targets.get(m)
        met = None
        if target is not None and _finite(value):
            lower = _lower_is_better(m)
            met = bool(float(value) <= target) if lower is not False else bool(float(value) >= target)
        rows.append({
            "measure": m, "name": measure_info(m).short_label,
            "value": float(value) if _finite(value) else np.nan, "last_year": last,
            "change": float(change) if _finite(change) else np.nan,
            "direction": direction, "better": better,
            "neighbours": r.get("sn_median"), "region": r.get("region"),
            "england": r.get("england"),
            "position": position_words(m, value, refs),
            "position_values": position_words(m, value, refs, values=True),
            "comparison": _comparison(r, m, value, r.get("england")),
            "target": np.nan if target is None else float(target),
            "target_met": met, "status": status_word(better, met, direction) if _finite(value) else
            "Not published",
        })
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs.update({"area": result.area.name, "year": result.year, "region": region})
    return out


def _value(measure: str, v) -> str:
    return fmt(measure, v) if _finite(v) else "not published"


def sentence(row: Mapping, area: str, year: int) -> str:
    """One key message: which way the measure moved and whether that is better, how it compares
    with the neighbours, region and England, and the local target."""
    m = row["measure"]
    label = MEASURE_LABELS[m][0]
    if not _finite(row["value"]):
        return f"{possessive(area)} {label} for {year} is not published."
    now = _value(m, row["value"])
    if m == "inpost_fte":
        text = f"{area} had {now} of social workers in post at 30 September {year}"
        if row["direction"] and _finite(row["last_year"]):
            how = {"about the same": "about the same as", "rising": "up from",
                   "falling": "down from"}[row["direction"]]
            text += f", {how} {_value(m, row['last_year'])} a year earlier"
        return text + "."
    if row["direction"] in ("rising", "falling") and _finite(row["last_year"]):
        verb = "rose" if row["direction"] == "rising" else "fell"
        before = fmt(m, row["last_year"], unit=MEASURE_LABELS[m][1] == "%")
        text = (f"The {label} {verb} from {before} to {now} in "
                f"{year} ({row['better']})")
    elif row["direction"] == "about the same":
        text = f"The {label} was about the same as a year earlier, {now} in {year}"
    else:
        text = f"The {label} was {now} in {year}"
    text += "."
    if row.get("position_values"):
        text += f" It is {row['position_values'][:1].lower()}{row['position_values'][1:]}."
    if row["target_met"] is True:
        text += f" It meets the local target of {_value(m, row['target'])}."
    elif row["target_met"] is False:
        text += f" It does not meet the local target of {_value(m, row['target'])}."
    return text


def _priority(row) -> tuple:
    """Most important first: a target missed, then worsening, then improving, then the rest."""
    return (
        0 if row["target_met"] is False else 1,
        0 if row["better"] == "worse" else 1 if row["better"] == "better" else 2,
        HEADLINE.index(row["measure"]) if row["measure"] in HEADLINE else 99,
    )


def key_messages(glance: pd.DataFrame, n: int = 4) -> list[str]:
    """The ``n`` (3 to 5) most important headline sentences, most important first."""
    area, year = glance.attrs.get("area", "The authority"), int(glance.attrs.get("year", 0))
    rows = [r for _, r in glance.iterrows() if r["measure"] != "inpost_fte" and _finite(r["value"])]
    rows.sort(key=_priority)
    return [sentence(r, area, year) for r in rows[: max(1, n)]]
