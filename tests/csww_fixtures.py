"""Hand-built CSWW returns for tests: small XML/CSV files whose spells we know exactly."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

ITEM_ORDER = [
    "AgencyWorker", "SWENo", "FTE", "PersonBirthDate", "GenderCurrent", "Ethnicity", "QualInst", "QualLevel",
    "StepUpGrad", "OrgRole", "RoleStartDate", "StartOrigin", "RoleEndDate", "LeaverDestination", "ReasonLeave",
    "FTE30", "Cases30", "WorkingDaysLost", "ContractWeeks", "FrontlineGrad", "Absat30Sept", "ReasonAbsence",
    "CFKSSstatus",
]


def worker(swe, start=None, end=None, agency="0", **items):
    """One CSWWWorker as a dict (defaults fill mandatory items with plausible values)."""
    rec = {"AgencyWorker": agency, "SWENo": swe, "FTE": "1.000000", "QualInst": "University of Somewhere",
           "OrgRole": "5", "FTE30": "1.000000", "Cases30": "15", "WorkingDaysLost": "2.50",
           "PersonBirthDate": "1985-06-15", "GenderCurrent": "2", "Ethnicity": "WBRI", "StartOrigin": "2"}
    if agency == "1":
        for k in ("QualInst", "PersonBirthDate", "StartOrigin"):
            rec.pop(k)
    if start:
        rec["RoleStartDate"] = start
    if end:
        rec["RoleEndDate"] = end
        rec.setdefault("ReasonLeave", "1")
        rec.setdefault("LeaverDestination", "1")
        rec["FTE30"] = "0.000000"
        rec.pop("Cases30", None)
    rec.update({k: v for k, v in items.items()})
    return {k: v for k, v in rec.items() if v is not None}


def xml_return(workers, year=None, lea="999", reference_date=None, header=True, extra_items=None) -> str:
    ref = reference_date or (f"{year}-09-30" if year else None)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<Message>"]
    if header:
        parts.append("<Header><CollectionDetails><Collection>CSWW</Collection>")
        if year:
            parts.append(f"<Year>{year}</Year>")
        if ref:
            parts.append(f"<ReferenceDate>{ref}</ReferenceDate>")
        parts.append(f"</CollectionDetails><Source><SourceLevel>L</SourceLevel><LEA>{lea}</LEA></Source></Header>")
    parts.append("<LALevelVacancies><NumberOfVacancies>3.50</NumberOfVacancies><NoAgencyFTE>2.00</NoAgencyFTE>"
                 "<NoAgencyHeadcount>2</NoAgencyHeadcount></LALevelVacancies>")
    for w in workers:
        parts.append("<CSWWWorker>")
        keys = [k for k in ITEM_ORDER if k in w] + [k for k in w if k not in ITEM_ORDER]
        for k in keys:
            values = w[k] if isinstance(w[k], list) else [w[k]]
            for v in values:
                parts.append(f"<{k}>{escape(str(v))}</{k}>")
        parts.append("</CSWWWorker>")
    parts.append("</Message>")
    return "\n".join(parts)


def write_xml(path: Path, workers, **kw) -> Path:
    path.write_text(xml_return(workers, **kw), encoding="utf-8")
    return path


def write_csv(path: Path, workers, year=None, lea=None) -> Path:
    import csv

    cols = [k for k in ITEM_ORDER if any(k in w for w in workers)]
    cols += sorted({k for w in workers for k in w if k not in ITEM_ORDER})
    if year:
        cols = ["ReferenceDate"] + cols
    if lea:
        cols = ["LEA"] + cols
    with open(path, "w", newline="", encoding="utf-8") as fh:
        wr = csv.DictWriter(fh, fieldnames=cols)
        wr.writeheader()
        for w in workers:
            row = dict(w)
            if year:
                row["ReferenceDate"] = f"{year}-09-30"
            if lea:
                row["LEA"] = lea
            wr.writerow(row)
    return path


# ------------------------------------------------------------------ the mini council
# 3 census years (2021-2023), LA 999; observation starts 2020-10-01.
SWE = {k: f"{k}{k}{i:010d}" for i, k in enumerate("ABCDEFGHJ", start=1)}


def mini_council(folder: Path) -> dict:
    """Write three returns; return the truth (per worker letter, the expected spells)."""
    A, B, C, D, E, F, G, H, J = (SWE[k] for k in "ABCDEFGHJ")
    y2021 = [
        worker(A, "2015-04-01"),
        worker(B, "2019-01-15"),
        worker(D, "2018-06-01", "2021-02-28", ReasonLeave="1", LeaverDestination="3"),
        worker(E, "2017-09-01", CFKSSstatus=["2"]),
        worker(G, "2016-05-05", OrgRole="3"),
        worker(J, "2014-01-01"),
    ]
    y2022 = [
        worker(A, "2015-04-01", Cases30="18"),
        worker(B, "2019-01-15", "2022-03-31", ReasonLeave="1", LeaverDestination="1"),
        worker(C, "2021-11-01", "2022-06-30", StartOrigin="1", ReasonLeave="8", LeaverDestination="6", CFKSSstatus="1"),
        worker(D, "2022-01-10", StartOrigin="4"),
        worker(E, "2017-08-01"),
        worker(F, agency="1", OrgRole="5"),
        worker(G, "2016-05-05", OrgRole="3"),
        worker(J, "2014-01-01", "2021-12-31", ReasonLeave="5", LeaverDestination="6"),
        worker(J, "2022-04-01", StartOrigin="8"),
    ]
    y2023 = [
        worker(A, "2015-04-01", Cases30="20"),
        worker(D, "2022-01-10", StartOrigin="4", OrgRole="4"),
        worker(E, "2017-09-01"),
        worker(F, agency="1"),
        worker(H, "2023-02-01", StartOrigin="1"),
        worker(H, "2023-02-01", StartOrigin="1"),
        worker(J, "2022-04-01", StartOrigin="8"),
    ]
    paths = [write_xml(folder / f"csww_{y}_999.xml", ws, year=y) for y, ws in ((2021, y2021), (2022, y2022), (2023, y2023))]
    return {"paths": paths, "n_workers": 9, "n_spells": 11, "n_leavers": 4}
