"""Read a council's payroll/HR extract (CSV or XLSX) through a YAML column map.

The map (see ``params/hr_map_example.yaml``) names the extract's columns::

    columns:
      worker_id: Employee Ref          # holds the SWENo
      salary: Annual Salary (FTE)      # "£41,840", "41840", "41,840.00" all parse
      fte: Contract FTE
      job_title: Job Title
      grade: Grade                     # optional keys may be absent
      team: Team
      census_year: Year                # optional: salary per census year (else one row per worker)

``worker_id`` and ``salary`` are required; the others are optional. The worker id is replaced by
its keyed pseudonym as the file is read (same key as the returns, so the two join). When the map
has no ``census_year``, each worker's single payroll row applies to every census year in which
the worker appears; with it, rows join on worker and census year.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import codes as C
from ..errors import InputFileError, UserError
from .pseudonymise import Pseudonymiser
from .validation import ISSUE_COLUMNS, SALARY_MAX, SALARY_MIN, concat_issues

REQUIRED_KEYS = ("worker_id", "salary")
OPTIONAL_KEYS = ("fte", "job_title", "grade", "team", "census_year")
#: a column map is a dozen lines; anything much larger is refused unread
COLUMN_MAP_MAX_BYTES = 64 * 1024
PAYROLL_COLUMNS = ["worker_id", "salary", "fte", "job_title", "grade", "team", "census_year", "record"]


def load_column_map(path) -> dict[str, str]:
    """Read the YAML column map: {key: column header in the extract}."""
    from ..safeio import display_path, load_yaml_text

    doc = load_yaml_text(path, what="column map", max_bytes=COLUMN_MAP_MAX_BYTES)
    path = display_path(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), dict):
        raise UserError(f"{path}: column map must have a 'columns:' mapping (see params/hr_map_example.yaml)")
    cols = {str(k): str(v) for k, v in doc["columns"].items() if v is not None}
    missing = [k for k in REQUIRED_KEYS if k not in cols]
    if missing:
        raise UserError(f"{path}: column map lacks required key(s) {', '.join(missing)}")
    unknown = [k for k in cols if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if unknown:
        raise UserError(f"{path}: column map has unknown key(s) {', '.join(unknown)}; "
                        f"allowed: {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}")
    return cols


def parse_money(values: pd.Series) -> pd.Series:
    """'£41,840', '41840', '41,840.00', ' £ 41 840 ' -> 41840.0; anything else -> NaN."""
    s = values.astype("string").str.strip()
    s = s.str.replace(r"^(GBP|£)\s*", "", regex=True).str.replace(r"[,\s£]", "", regex=True)
    ok = s.str.fullmatch(r"\d+(\.\d+)?").fillna(False)
    return pd.to_numeric(s.where(ok), errors="coerce").astype(float)


def read_payroll(path, column_map, pseudonymiser: Pseudonymiser | None = None, key=None):
    """Read the extract. Returns ``(payroll, issues)``.

    ``payroll`` has columns worker_id (pseudonym), salary (float £ per FTE), fte, job_title, grade,
    team, census_year (NA unless mapped) and record (1-based data row). Rows without a usable
    worker id are left out and reported; duplicate workers keep their last row.
    """
    path = Path(path)
    name = str(path)
    if isinstance(column_map, (str, Path)):
        column_map = load_column_map(column_map)
    pseudo = pseudonymiser or Pseudonymiser(key)
    from .returns import read_text_table

    def check_header(columns):
        missing = [f"{k} ('{v}')" for k, v in column_map.items() if v not in columns]
        if missing:
            raise InputFileError(f"{name}: column(s) named in the column map not found: {', '.join(missing)}")

    raw = read_text_table(path, check_header=check_header)
    n = len(raw)
    record = pd.Series(range(1, n + 1), dtype="int64")
    ids = raw[column_map["worker_id"]].astype("string").str.strip().reset_index(drop=True)
    ok_id = ids.str.fullmatch(C.SWENO_PATTERN).fillna(False)
    issues = []

    def add(mask, field, rule, msg, severity):
        if mask.any():
            part = pd.DataFrame({"file": name, "record": record[mask].to_numpy(), "field": field,
                                 "rule": rule, "severity": severity})
            part["message"] = ("row " + part["record"].astype(str) + ": " + msg).to_numpy()
            issues.append(part[ISSUE_COLUMNS])

    add(~ok_id, column_map["worker_id"], "hr_id_invalid",
        "worker id missing or not SWENo-shaped (value not shown); row ignored", "warning")
    out = pd.DataFrame({"worker_id": pseudo.series(ids.where(ok_id)), "record": record})
    salary_raw = raw[column_map["salary"]].reset_index(drop=True)
    out["salary"] = parse_money(salary_raw)
    add(ok_id & out["salary"].isna(), column_map["salary"], "hr_salary_invalid",
        "salary missing or not a number (value not shown)", "warning")
    odd = ok_id & out["salary"].notna() & ((out["salary"] < SALARY_MIN) | (out["salary"] > SALARY_MAX))
    add(odd, column_map["salary"], "hr_salary_range",
        f"salary per FTE below £{SALARY_MIN:,} or above £{SALARY_MAX:,} (value not shown); set to missing",
        "warning")
    out["salary"] = out["salary"].where(~odd)
    if "fte" in column_map:
        out["fte"] = pd.to_numeric(raw[column_map["fte"]].reset_index(drop=True).str.strip(), errors="coerce")
    else:
        out["fte"] = float("nan")
    for k in ("job_title", "grade", "team"):
        if k in column_map:
            v = raw[column_map[k]].reset_index(drop=True).astype("string").str.strip()
            out[k] = v.where(v != "", pd.NA)
        else:
            out[k] = pd.NA
    if "census_year" in column_map:
        cy = pd.to_numeric(raw[column_map["census_year"]].reset_index(drop=True).str.strip(), errors="coerce")
        out["census_year"] = cy.astype("Int64")
    else:
        out["census_year"] = pd.array([pd.NA] * n, dtype="Int64")
    out = out[ok_id.to_numpy()]
    keys = ["worker_id", "census_year"] if "census_year" in column_map else ["worker_id"]
    dup = out.duplicated(keys, keep="last")
    if dup.any():
        add(pd.Series(out.index.isin(out.index[dup]), index=record.index), column_map["worker_id"],
            "hr_duplicate", "the same worker appears again later in the extract; the last row is kept", "warning")
    out = out[~dup].reset_index(drop=True)
    return out[PAYROLL_COLUMNS], concat_issues(issues)
