"""What ``swanalysis validate`` prints, counted in plain Python: no numpy, no pandas.

:func:`validate_summary` reads XML returns as :func:`~swanalysis.workerdata.ingest.ingest` does
(the same reader, pseudonymiser and per-value rules of :mod:`~swanalysis.workerdata.validation`)
and counts what the validate summary shows: files and records read, accepted and quarantined,
census years and LAs, workers, spells, leavers and agency spells, and issues by rule and
severity. It makes no tables: one council's returns are checked in a few milliseconds instead
of the second that importing pandas takes.

The rules across a record's dates (``validation.record_rules``), whether a record starts a spell
and a spell's flags (``linking.starts_spell``, ``linking.spell_flags``) are the pandas path's own
functions too, called here on one record or spell at a time. What is restated for plain
values is the bookkeeping around them: the order of the checks, the duplicates within a return,
the sort and grouping of records into spells. tests/test_cli.py holds the two paths to the same
summary on hand-built and fuzzed returns. Anything else — a CSV/XLSX return,
a payroll extract, the full issue list, or more than :data:`MAX_BYTES` of returns (where the
vectorised path is the faster once pandas is loaded) — goes through ``ingest`` (None here).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import codes as C
from ..errors import InputFileError
from .linking import spell_flags, starts_spell
from .pseudonymise import Pseudonymiser
from .returns import file_size, read_raw, require_returns
from .validation import (NUMBER_ITEMS, NUMBER_RULE_ORDER, RULES, birth_date_status, check_code, count_by_rule,
                         number_rules, number_text, parse_date, plain_number, record_rules)


#: returns larger than this in all go through ``ingest``: counting in plain Python costs about
#: 40 µs a record, pandas' start-up about a second (all of England, 345,758 records in 185 MB:
#: 14.7 s here against 12.9 s)
MAX_BYTES = 16 * 2**20


@dataclass
class PlainSummary:
    """The counts of a validate run: ``summary`` (the keys of ``IngestResult.summary`` that
    validate prints), ``by_rule`` (rule, severity, count, description: as ``summary_by_rule``)
    and the ``unreadable`` files' one-line errors."""

    summary: dict
    by_rule: list = field(default_factory=list)
    unreadable: list = field(default_factory=list)


def validate_summary(paths, *, key=None, xsd=None) -> PlainSummary | None:
    """Count what ``ingest(paths, strict=False, xsd=xsd)`` would, for XML returns only (None
    when a return is not XML or the returns exceed :data:`MAX_BYTES`: the caller then uses
    ``ingest``)."""
    code_lists = (C.codes_for_items(xsd) if xsd else None) or C.codes_for_items()
    pseudo = Pseudonymiser(key)
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files, skipped = require_returns(paths)
    if any(f.suffix.lower() != ".xml" for f in files) or sum(map(file_size, files)) > MAX_BYTES:
        return None
    pairs = [("not_a_return", RULES["not_a_return"][0])] * len(skipped)  # (rule, severity) of each issue
    unreadable, returns, seen = [], [], set()
    for f in files:
        try:
            rd = read_raw(f, plain=True)
        except InputFileError as exc:
            unreadable.append(str(exc))
            pairs.append(("file_unreadable", "error"))
            continue
        if (rd.lea, rd.census_year) in seen:
            pairs.append(("duplicate_return", "error"))
            continue
        seen.add((rd.lea, rd.census_year))
        pairs.extend((i.rule, i.severity) for i in rd.issues)
        returns.append(rd)

    records = _records(returns, pseudo)
    slots = _check(records, code_lists)
    accepted = [r for r in records if not r["quarantined"]]
    spells, link_slots = _link(accepted, returns) if accepted else ([], [])
    for pair, hits in slots + link_slots:
        pairs.extend([pair] * hits)
    summary = {
        "files": len(files),
        "files_read": len(returns),
        "files_unreadable": len(unreadable),
        "records": len(records),
        "records_accepted": len(accepted),
        "records_quarantined": len(records) - len(accepted),
        "workers": len({s["worker_id"] for s in spells}),
        "spells": len(spells),
        "leavers": sum(s["end_date"] is not None for s in spells),
        "agency_spells": sum(s["agency"] for s in spells),
        "census_years": sorted({rd.census_year for rd in returns}),
        "las": sorted({rd.lea for rd in returns}),
    }
    return PlainSummary(summary, count_by_rule(pairs), unreadable)


_SWENO = re.compile(C.SWENO_PATTERN)


def _records(returns, pseudo: Pseudonymiser) -> list[dict]:
    """One dict per record: its items (SWENo and PersonBirthDate replaced, as ``finish`` does,
    by ``worker_id``, ``swe_status`` and ``birth_date_status``) and the return's facts."""
    out = []
    for rd in returns:
        ref = rd.reference_date
        for number, row in zip(rd.record_numbers, rd.rows):
            rec = dict(row)
            swe = rec.pop("SWENo", None)
            rec["swe_status"] = "missing" if swe is None else ("ok" if _SWENO.fullmatch(swe) else "invalid")
            rec["worker_id"] = None if swe is None else pseudo.pseudonym(swe)
            rec["birth_date_status"] = birth_date_status(rec.pop("PersonBirthDate", None), ref)
            rec.update(file=rd.file, record=number, lea=rd.lea, census_year=rd.census_year, ref=ref.date())
            out.append(rec)
    return out


def _cached(func):
    """``func`` of one argument, computed once per distinct value."""
    cache: dict = {}

    def get(value):
        try:
            return cache[value]
        except KeyError:
            out = cache[value] = func(value)
            return out
    return get


def _year_start(ref: _dt.date) -> _dt.date:
    """1 October before the census year: the reference date a year back (28 February for 29
    February, as pandas' DateOffset), plus a day."""
    try:
        back = ref.replace(year=ref.year - 1)
    except ValueError:
        back = ref.replace(year=ref.year - 1, day=28)
    return back + _dt.timedelta(days=1)


def _check(records: list[dict], code_lists: dict) -> list:
    """The rules of ``validation.check_records``, record by record, in its order: a list of
    ``((rule, severity), number of records)``, one per check; sets each record's typed values
    (``agency``, ``start_date``, ``end_date``) and ``quarantined``."""
    slots: list = []

    def add(hit, rule, severity=None):
        slots.append(((rule, severity or RULES[rule][0]), len(hit)))
        if (severity or RULES[rule][0]) == "error":
            for r in hit:
                r["quarantined"] = True

    for r in records:
        r["quarantined"] = False
    add([r for r in records if r["swe_status"] == "missing"], "mandatory_missing")
    add([r for r in records if r["swe_status"] == "invalid"], "swe_pattern")
    present = set(C.WORKER_ITEMS).union(*records) if records else set(C.WORKER_ITEMS)
    for item, table in code_lists.items():
        if item not in present or item in ("SWENo", "PersonBirthDate"):
            continue
        allowed, multi = frozenset(table), item in C.MULTI_ITEMS
        check = _cached(lambda v, allowed=allowed, multi=multi: check_code(v, allowed, multi))
        bad = []
        for r in records:
            value, invalid = check(r.get(item))
            r[item] = value
            if invalid:
                bad.append(r)
        add(bad, "code_invalid", "error" if item == "AgencyWorker" and not multi else None)
    add([r for r in records if r.get("AgencyWorker") is None and r["swe_status"] != "missing" and not r["quarantined"]],
        "mandatory_missing")
    for r in records:
        r["agency"] = r.get("AgencyWorker") == "1"
    add([r for r in records if r.get("QualInst") is None and not r["agency"]], "mandatory_missing", "warning")

    for item, (integer, _) in NUMBER_ITEMS.items():
        check = _cached(lambda v, item=item, integer=integer: _number(item, v, integer))
        invalid, broken = [], {rule: [] for rule in NUMBER_RULE_ORDER}
        for r in records:
            bad, rules = check(r.get(item))
            if bad:
                invalid.append(r)
            for rule in rules:
                broken[rule].append(r)
        add(invalid, "number_invalid")
        for rule in NUMBER_RULE_ORDER:
            add(broken[rule], rule)

    date = _cached(parse_date)
    for item, out in (("RoleStartDate", "start_date"), ("RoleEndDate", "end_date")):
        bad = []
        for r in records:
            r[out] = date(r.get(item))
            if r.get(item) is not None and r[out] is None:
                bad.append(r)
        add(bad, "date_invalid")
    add([r for r in records if r["birth_date_status"] == "invalid"], "date_invalid")
    add([r for r in records if r["birth_date_status"] == "implausible"], "birth_date_implausible")

    nan = float("nan")
    broken: dict = {}
    for r in records:
        start = r["start_date"].toordinal() if r["start_date"] is not None else nan
        end = r["end_date"].toordinal() if r["end_date"] is not None else nan
        rules = record_rules(start, end, r["ref"].toordinal(), _year_start(r["ref"]).toordinal(), r["agency"],
                             r.get("RoleEndDate") is not None,
                             r.get("ReasonLeave") is not None or r.get("LeaverDestination") is not None,
                             r.get("ReasonLeave") is not None)
        for rule, hit in rules:
            broken.setdefault(rule, [])
            if hit:
                broken[rule].append(r)
    for rule, hit in broken.items():
        add(hit, rule)
    for r in broken.get("end_after_reference", ()):
        r["end_date"] = None  # treated as in post
    live = [r for r in records if not r["quarantined"] and r["worker_id"] is not None]
    seen, dup = set(), []
    for r in live:
        k = (r["file"], r["worker_id"], r["start_date"])
        if k in seen:
            dup.append(r)
        seen.add(k)
    add(dup, "duplicate_worker")
    dup_ids = {id(r) for r in dup}
    per_worker: dict = {}
    for r in live:
        if id(r) not in dup_ids:
            per_worker.setdefault((r["file"], r["worker_id"]), []).append(r)
    add([r for rs in per_worker.values() if len(rs) > 1 for r in rs], "worker_twice_in_return")
    return slots


def _number(item: str, value, integer: bool) -> tuple[bool, tuple]:
    """(not a number, rules broken) for a numeric item's raw value."""
    text, bad = number_text(value, integer)
    return bad, number_rules(item, text, plain_number(text))[1]


def _link(records: list[dict], returns) -> tuple[list[dict], list]:
    """Spells as ``linking.link`` makes them (its :func:`~swanalysis.workerdata.linking.starts_spell`
    and :func:`~swanalysis.workerdata.linking.spell_flags`), for counting: ``(spells, slots)``
    with each spell's worker_id, agency and end_date, and ``((rule, severity), count)`` for the
    spell-level rules in link's order."""
    nan = float("nan")

    def day(d):
        return nan if d is None else d.toordinal()

    records = sorted(records, key=lambda r: (str(r["lea"]), r["worker_id"], r["census_year"],
                                             r["start_date"] is not None, r["start_date"] or _dt.date.min, r["record"]))
    spells: list[dict] = []
    prev = None
    for r in records:
        same = prev is not None and (str(prev["lea"]), prev["worker_id"]) == (str(r["lea"]), r["worker_id"])
        if prev is None or starts_spell(same, day(r["start_date"]), day(prev["end_date"]), day(prev["ref"]),
                                        r["agency"], prev["agency"]):
            spells.append({"lea": r["lea"], "worker_id": r["worker_id"], "agency": r["agency"], "records": []})
        spells[-1]["records"].append(r)
        prev = r
    years: dict = {}
    for rd in sorted(returns, key=lambda rd: (rd.lea, rd.census_year)):
        years.setdefault(rd.lea, [])
        if rd.census_year not in years[rd.lea]:
            years[rd.lea].append(rd.census_year)
    counts = {k: 0 for k in ("start", "end", "gone_agency", "gone", "gap")}
    for s in spells:
        rs = s["records"]
        s["end_date"] = rs[-1]["end_date"]
        ends = {r["end_date"] for r in rs} - {None}
        census = [r["census_year"] for r in rs]
        la_years = years[s["lea"]]
        start_changed, end_changed, gone, gap = spell_flags(
            len({r["start_date"] for r in rs} - {None}), len(ends), bool(ends), s["end_date"] is not None,
            max(census), la_years[-1], len(set(census)), la_years.index(max(census)) - la_years.index(min(census)) + 1)
        counts["start"] += start_changed
        counts["end"] += end_changed
        counts["gone_agency" if s["agency"] else "gone"] += gone
        counts["gap"] += gap
    slots = [(("start_date_changed", "warning"), counts["start"]), (("end_date_changed", "warning"), counts["end"]),
             (("spell_disappeared", "info"), counts["gone_agency"]), (("spell_disappeared", "warning"), counts["gone"]),
             (("gap_in_returns", "info"), counts["gap"])]
    return spells, slots
