"""CSWW census code lists (from the DfE XSD ``social_work_workforce_2022.xsd``) and their meanings.

The lists below are copied from the 2022 schema's enumerations and annotations, so the package
works without the schema file. ``load_codes(xsd_path)`` reads the same lists from any (later)
schema at run time, so a renamed or extended code list is picked up without a code change.

Also here: how StartOrigin codes group into ``entry_route`` and LeaverDestination codes into
``destination_group`` (the columns of ``episodes`` in docs/tables.md):

=============  ===============================================================================
entry_route    StartOrigin codes
=============  ===============================================================================
newly_qualified       1 Newly qualified social workers
experienced_other_la  2 Social worker role in a different local authority in England
from_agency           4 Agency or consultancy in social work (in England)
other                 3, 5, 6, 7, 8, 9, 10 and missing
=============  ===============================================================================

=================  ==========================================================================
destination_group  LeaverDestination codes
=================  ==========================================================================
another_la         1 Social worker role in a different local authority in England
agency             3 Agency or consultancy in social work (in England)
left_social_work   5 Other social care role (not social work), 6 Non-social care role / outside
                   England / no employment / career break
other              2 Social work role outside England, 4 Other social work role non-LA,
                   7 Other, 8 Not known, 9 Not yet collected
=================  ==========================================================================
"""

from __future__ import annotations

import re
from pathlib import Path

#: XSD simple type name -> {code: meaning}
CODE_TYPES: dict[str, dict[str, str]] = {
    "agencyworkertype": {"0": "Not an Agency Worker", "1": "Agency Worker"},
    "gendertype": {"0": "Not Known", "1": "Male", "2": "Female", "9": "Not Specified"},
    "ethnicitytype": {
        "WBRI": "White British",
        "WIRI": "White Irish",
        "WOTH": "Any Other White Background",
        "MWBC": "White and Black Caribbean",
        "MWBA": "White and Black African",
        "MWAS": "White and Asian",
        "MOTH": "Any Other Mixed Background",
        "AIND": "Indian",
        "APKN": "Pakistani",
        "ABAN": "Bangladeshi",
        "AOTH": "Any Other Asian Background",
        "BCRB": "Black Caribbean",
        "BAFR": "Black African",
        "BOTH": "Any Other Black Background",
        "CHNE": "Chinese",
        "OOTH": "Any Other Ethnic Group",
        "REFU": "Declared not stated or Refused",
        "NOBT": "Information Not Yet Obtained",
    },
    "qualtype": {"1": "Under-graduate", "2": "Post-graduate", "3": "Other"},
    "yesnotype": {"0": "No", "1": "Yes"},
    "roletype": {
        "1": "Senior Manager",
        "2": "Middle Manager",
        "3": "First Line Manager",
        "4": "Senior Practitioner",
        "5": "Case Holder",
        "6": "Qualified Without Cases",
    },
    "origintype": {
        "1": "Newly Qualified Social Workers",
        "2": "Social Worker Role in a Different Local Authority in England",
        "3": "Social Worker Role Outside England",
        "4": "Agency or Consultancy in Social Work (in England)",
        "5": "Other Social Work Role Non-local Authority (in England)",
        "6": "Other Social Care Role in Local Authority/Non-local Authority (in England)",
        "7": "Non-social Care Role/Any Role Outside England/No Employment/Career Break",
        "8": "Other",
        "9": "Not Known",
        "10": "Not Yet Collected",
    },
    "leavertype": {
        "1": "Social Worker Role in a Different Local Authority in England",
        "2": "Social Worker Role Outside England",
        "3": "Agency or Consultancy in Social Work (in England)",
        "4": "Other Social Work Role Non-local Authority (in England)",
        "5": "Other Social Care Role in Local Authority/Non-local Authority (in England)",
        "6": "Non-social Care Role/Any Role Outside England/No Employment/Career Break",
        "7": "Other",
        "8": "Not Known",
        "9": "Not Yet Collected",
    },
    "reasontype": {
        "1": "Resignation",
        "2": "Voluntary Redundancy",
        "3": "Compulsory Redundancy",
        "4": "Dismissed",
        "5": "Retired",
        "6": "Deceased",
        "7": "Moved to a Non-child and Family Social Work Role Within LA",
        "8": "Other",
        "9": "Not Known",
        "10": "Not Yet Collected",
    },
    "absencetype": {
        "MAT": "Maternity/Paternity leave",
        "OTH": "Other Paid Authorised Absence",
        "PUB": "Paid Absence For Public Duties",
        "SIC": "Sick Leave",
        "TRN": "Training",
        "UNA": "Unauthorised Absence",
        "UNP": "Unpaid Authorised Absence",
    },
    "cfksstype": {
        "1": "Assessed and Supported Year in Employment (ASYE)",
        "2": "Frontline Practitioner",
        "3": "Practice Supervisor",
        "4": "Practice Leader",
    },
}

#: CSWWWorker item -> XSD type name (coded items only)
ITEM_TYPES: dict[str, str] = {
    "AgencyWorker": "agencyworkertype",
    "GenderCurrent": "gendertype",
    "Ethnicity": "ethnicitytype",
    "QualLevel": "qualtype",
    "StepUpGrad": "yesnotype",
    "OrgRole": "roletype",
    "StartOrigin": "origintype",
    "LeaverDestination": "leavertype",
    "ReasonLeave": "reasontype",
    "FrontlineGrad": "yesnotype",
    "Absat30Sept": "yesnotype",
    "ReasonAbsence": "absencetype",
    "CFKSSstatus": "cfksstype",
}

#: CSWWWorker items in schema order, with (xsd type, minOccurs, maxOccurs>1)
WORKER_ITEMS: dict[str, tuple[str, int, bool]] = {
    "AgencyWorker": ("agencyworkertype", 1, False),
    "SWENo": ("swetype", 1, False),
    "FTE": ("ftetype", 0, False),
    "PersonBirthDate": ("xs:date", 0, False),
    "GenderCurrent": ("gendertype", 0, False),
    "Ethnicity": ("ethnicitytype", 0, False),
    "QualInst": ("xs:string", 1, True),
    "QualLevel": ("qualtype", 0, False),
    "StepUpGrad": ("yesnotype", 0, False),
    "OrgRole": ("roletype", 0, False),
    "RoleStartDate": ("xs:date", 0, False),
    "StartOrigin": ("origintype", 0, False),
    "RoleEndDate": ("xs:date", 0, False),
    "LeaverDestination": ("leavertype", 0, False),
    "ReasonLeave": ("reasontype", 0, False),
    "FTE30": ("ftetype", 0, False),
    "Cases30": ("xs:integer", 0, False),
    "WorkingDaysLost": ("twodecimalplaces", 0, False),
    "ContractWeeks": ("onedecimalplace", 0, True),
    "FrontlineGrad": ("yesnotype", 0, False),
    "Absat30Sept": ("yesnotype", 0, True),
    "ReasonAbsence": ("absencetype", 0, True),
    "CFKSSstatus": ("cfksstype", 0, True),
}

#: items that may repeat; their values are joined with MULTI_SEP
MULTI_ITEMS = frozenset(k for k, v in WORKER_ITEMS.items() if v[2])
MULTI_SEP = ";"

SWENO_PATTERN = r"[A-Za-z]{2}\d{10}"
SWENO_RE = re.compile(rf"^{SWENO_PATTERN}$")

ENTRY_ROUTE: dict[str, str] = {"1": "newly_qualified", "2": "experienced_other_la", "4": "from_agency"}
ENTRY_ROUTES = ("newly_qualified", "experienced_other_la", "from_agency", "other")

DESTINATION_GROUP: dict[str, str] = {
    "1": "another_la",
    "3": "agency",
    "5": "left_social_work",
    "6": "left_social_work",
    "2": "other",
    "4": "other",
    "7": "other",
    "8": "other",
    "9": "other",
}
DESTINATION_GROUPS = ("another_la", "agency", "left_social_work", "other")


def item_codes(item: str, codes: dict[str, dict[str, str]] | None = None) -> dict[str, str] | None:
    """{code: meaning} for a CSWWWorker item, or None when the item is not coded."""
    codes = codes or CODE_TYPES
    type_name = ITEM_TYPES.get(item)
    return None if type_name is None else codes.get(type_name)


def label(item: str, code: str | None, codes: dict[str, dict[str, str]] | None = None) -> str | None:
    """Meaning of one code (``label("OrgRole", "5") == "Case Holder"``); None if missing/unknown."""
    table = item_codes(item, codes) or {}
    return table.get(code) if code is not None else None


def entry_route(start_origin_code: str | None) -> str:
    """StartOrigin code -> newly_qualified / experienced_other_la / from_agency / other."""
    return ENTRY_ROUTE.get(str(start_origin_code), "other") if start_origin_code else "other"


def destination_group(leaver_destination_code: str | None) -> str | None:
    """LeaverDestination code -> another_la / agency / left_social_work / other (None if missing)."""
    if leaver_destination_code is None or leaver_destination_code == "":
        return None
    return DESTINATION_GROUP.get(str(leaver_destination_code), "other")


def load_codes(xsd_path: str | Path) -> dict[str, dict[str, str]]:
    """Read every enumerated simple type of a CSWW XSD: {type name: {code: meaning}}.

    Types without annotations map each code to itself. The schema is parsed with defusedxml
    (no DTD, no entities, no network). Item -> type assignments are read as well and merged into
    the result under the key ``"__items__"`` ({item name: type name}).
    """
    import defusedxml.ElementTree as DET

    from ..errors import InputFileError

    xs = "{http://www.w3.org/2001/XMLSchema}"
    try:
        root = DET.parse(str(xsd_path), forbid_dtd=True).getroot()
    except FileNotFoundError:
        raise InputFileError(f"{xsd_path}: schema file not found") from None
    except Exception as exc:  # ParseError, DTDForbidden, EntitiesForbidden ...
        raise InputFileError(f"{xsd_path}: cannot read schema ({type(exc).__name__})") from None
    out: dict[str, dict[str, str]] = {}
    for st in root.iter(f"{xs}simpleType"):
        name = st.get("name")
        if not name:
            continue
        values: dict[str, str] = {}
        for enum in st.iter(f"{xs}enumeration"):
            doc = enum.find(f"{xs}annotation/{xs}documentation")
            text = (doc.text or "").strip() if doc is not None else ""
            values[enum.get("value")] = text or enum.get("value")
        if values:
            out[name] = values
    items: dict[str, str] = {}
    for el in root.iter(f"{xs}element"):
        if el.get("name") and el.get("type"):
            items[el.get("name")] = el.get("type")
    out["__items__"] = items  # type: ignore[assignment]
    return out


def codes_for_items(xsd_path: str | Path | None = None) -> dict[str, dict[str, str]]:
    """{item: {code: meaning}} for every coded CSWWWorker item (from the XSD when a path is given)."""
    if xsd_path is None:
        return {item: CODE_TYPES[t] for item, t in ITEM_TYPES.items()}
    loaded = load_codes(xsd_path)
    items = loaded.pop("__items__", {})
    out = {}
    for item, t in {**ITEM_TYPES, **items}.items():
        if t in loaded:
            out[item] = loaded[t]
    return out
