"""Report parameters: ``params/default.yaml`` ← a params file ← command-line flags.

Each layer overrides the one before; mappings (``target_mix``) merge key by key; a flag left unset
(``None``) does not override. :func:`resolve` checks and normalises the result (types, paths made
absolute, ``date_produced`` defaulting to today) so a report is fully described by its params dict —
the dict the runner injects into the notebook's ``parameters`` cell.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import UserError

REPO = Path(__file__).resolve().parents[2]
# An installed wheel carries params/ as the data-only package swanalysis.report.defaults
# (pyproject.toml); an editable install or a checkout reads the repository's params/.
_PACKAGED = Path(__file__).resolve().parent / "defaults" / "default.yaml"
DEFAULT_FILE = _PACKAGED if _PACKAGED.exists() else REPO / "params" / "default.yaml"

# Keys the runner adds; allowed in a params dict but not needed in a file.
RUNTIME_KEYS = {"output_dir"}
PATH_KEYS = ("data_dir", "hr", "hr_map", "synthetic_dir", "output_dir")
MIX_KEYS = ("newly_qualified", "experienced", "advanced")
#: Measures a local target may be set for (all five: lower is better).
TARGET_KEYS = ("agency_rate", "turnover_rate", "vacancy_rate", "caseload", "absence_rate")
#: Sections that may carry officer commentary (``commentary: {section: text}``).
COMMENTARY_KEYS = ("at_a_glance", "how_we_compare", "who_we_have", "childrens_experience",
                   "how_long_they_stay", "why_they_leave", "agency_costs", "newly_qualified")


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping; a one-line UserError naming the file if it cannot be used.

    Read with :func:`swanalysis.safeio.load_yaml_text`: at most 256 KB, no aliases (no
    expansion bombs), dates kept as text (checked by :func:`resolve`).
    """
    from ..safeio import display_path, load_yaml_text

    data = load_yaml_text(path, what="params file")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(f"params file {display_path(path)}: must be a mapping of parameter: value")
    return data


def defaults() -> dict:
    """The defaults from ``params/default.yaml``."""
    return load_yaml(DEFAULT_FILE)


def merge(base: Mapping[str, Any], override: Mapping[str, Any] | None) -> dict:
    """``override`` on top of ``base``: None values are skipped, nested mappings merge."""
    out = copy.deepcopy(dict(base))
    for key, value in (override or {}).items():
        if value is None:
            continue
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_params(
    params_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    today: dt.date | None = None,
) -> dict:
    """Defaults ← ``params_file`` ← ``overrides`` (CLI flags), checked by :func:`resolve`."""
    base = defaults()
    source = "defaults"
    if params_file is not None:
        layer = load_yaml(params_file)
        _check_keys(layer, base, f"params file {params_file}")
        base = merge(base, layer)
        source = f"params file {params_file}"
    if overrides:
        _check_keys(overrides, base, "command line")
        base = merge(base, overrides)
    return resolve(base, source=source, today=today)


def _check_keys(layer: Mapping, known: Mapping, where: str) -> None:
    for key in layer:
        if key not in known and key not in RUNTIME_KEYS:
            raise UserError(f"{where}: unknown parameter '{key}'")


def _as_list(value, key: str, where: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    raise UserError(f"{where}: '{key}' must be a list or a comma-separated string")


def _number(value, key: str, where: str, minimum: float | None = None) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{where}: '{key}' must be a number, got {value!r}") from None
    if math.isnan(out) or (minimum is not None and out < minimum):
        raise UserError(f"{where}: '{key}' must be at least {minimum:g}, got {value!r}")
    return out


def resolve(params: Mapping[str, Any], source: str = "params", today: dt.date | None = None) -> dict:
    """Check and normalise a full params dict (idempotent). Raises a one-line UserError."""
    base = defaults()
    _check_keys(params, base, source)
    p = merge(base, params)

    if p.get("la") is not None:
        p["la"] = str(p["la"]).strip()
        if not p["la"]:
            p["la"] = None
    if p.get("year") is not None:
        try:
            p["year"] = int(p["year"])
        except (TypeError, ValueError):
            raise UserError(f"{source}: 'year' must be a year such as 2022, got {p['year']!r}") from None
    p["comparators"] = _as_list(p.get("comparators"), "comparators", source) or None
    # "auto": the set in force for the reporting year (April 2021 groupings to 2024, 2025 model
    # from 2025); "2021" or "2025" chooses one
    p["sn_model"] = str(p.get("sn_model") or "auto")
    if p["sn_model"] not in ("auto", "2021", "2025"):
        raise UserError(f"{source}: 'sn_model' must be auto, 2021 or 2025, got {p['sn_model']!r}")

    mix = p.get("target_mix") or {}
    if not isinstance(mix, Mapping):
        raise UserError(f"{source}: 'target_mix' must map {', '.join(MIX_KEYS)} to percentages")
    unknown = [k for k in mix if k not in MIX_KEYS]
    if unknown:
        raise UserError(f"{source}: 'target_mix' has unknown group '{unknown[0]}' (use {', '.join(MIX_KEYS)})")
    mix = {k: _number(mix.get(k, 0), f"target_mix.{k}", source, 0) for k in MIX_KEYS}
    if abs(sum(mix.values()) - 100) > 0.5:
        raise UserError(f"{source}: 'target_mix' percentages must add up to 100, got {sum(mix.values()):g}")
    p["target_mix"] = mix

    p["agency_premium"] = _number(p.get("agency_premium"), "agency_premium", source, 0)
    for key in ("agency_premium_low", "agency_premium_high", "agency_spend",
                "employed_cost_per_fte"):
        if p.get(key) is not None:
            p[key] = _number(p[key], key, source, 0)
    low, high = p.get("agency_premium_low"), p.get("agency_premium_high")
    if low is not None and high is not None and not low <= p["agency_premium"] <= high:
        raise UserError(f"{source}: the agency premium range must run agency_premium_low <= "
                        f"agency_premium <= agency_premium_high, got {low:g} / "
                        f"{p['agency_premium']:g} / {high:g}")
    if p.get("recruitment_cost_per_hire") is not None:
        p["recruitment_cost_per_hire"] = _number(
            p["recruitment_cost_per_hire"], "recruitment_cost_per_hire", source, 0
        )
    p["min_group"] = int(_number(p.get("min_group"), "min_group", source, 1))
    p["forecast"] = forecast_params(p.get("forecast"), source)
    p["synthetic"] = bool(p.get("synthetic"))
    p["allow_other_lea"] = bool(p.get("allow_other_lea"))
    p["synthetic_seed"] = int(_number(p.get("synthetic_seed"), "synthetic_seed", source, 0))
    p["synthetic_scale"] = _number(p.get("synthetic_scale"), "synthetic_scale", source, 0.01)
    p["synthetic_years"] = int(_number(p.get("synthetic_years"), "synthetic_years", source, 1))

    p["csww"] = [str(Path(x).expanduser().resolve()) for x in _as_list(p.get("csww"), "csww", source)]
    for key in PATH_KEYS:
        if p.get(key):
            p[key] = str(Path(str(p[key])).expanduser().resolve())
    for key in ("csww",):
        for path in p[key]:
            if not Path(path).exists():
                raise UserError(f"{source}: CSWW return {path} not found")
    for key in ("hr", "hr_map"):
        if p.get(key) and not Path(p[key]).exists():
            raise UserError(f"{source}: '{key}' file {p[key]} not found")
    if p.get("hr") and not p.get("hr_map"):
        raise UserError(f"{source}: an HR extract needs a column map: pass --hr-map FILE")
    if p["synthetic"] and (p["csww"] or p.get("hr")):
        raise UserError(f"{source}: choose either synthetic data or the council's own returns, not both")

    produced = p.get("date_produced")
    if produced is None:
        produced = (today or dt.date.today()).isoformat()
    elif isinstance(produced, (dt.date, dt.datetime)):
        produced = produced.strftime("%Y-%m-%d")
    else:
        try:
            produced = dt.date.fromisoformat(str(produced)).isoformat()
        except ValueError:
            raise UserError(f"{source}: 'date_produced' must be a date YYYY-MM-DD, got {produced!r}") from None
    p["date_produced"] = produced
    for key in ("title", "release_label", "purpose", "contact"):
        if p.get(key) is not None:
            p[key] = str(p[key]).strip() or None
    p["benchmark_only"] = bool(p.get("benchmark_only"))
    p["pdf"] = bool(p.get("pdf"))
    p["recommendations"] = _texts(p.get("recommendations"), "recommendations", source)
    p["targets"] = _targets(p.get("targets"), source)
    p["commentary"] = _commentary(p.get("commentary"), source)
    return p


def _texts(value, key: str, where: str) -> list[str]:
    """A list of paragraphs from a list or one string (one paragraph)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or any(isinstance(v, (Mapping, list)) for v in value):
        raise UserError(f"{where}: '{key}' must be a list of sentences")
    return [str(v).strip() for v in value if str(v).strip()]


def _targets(value, where: str) -> dict:
    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise UserError(f"{where}: 'targets' must map a measure to a number, e.g. "
                        "{agency_rate: 15, absence_rate: 3.5}")
    out = {}
    for key, v in value.items():
        if key not in TARGET_KEYS:
            raise UserError(f"{where}: 'targets' has unknown measure '{key}' (use "
                            f"{', '.join(TARGET_KEYS)})")
        if v is None:
            continue
        out[key] = _number(v, f"targets.{key}", where, 0)
    return out


def _commentary(value, where: str) -> dict:
    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise UserError(f"{where}: 'commentary' must map a section to text, e.g. "
                        "{agency_costs: \"...\"}")
    out = {}
    for key, v in value.items():
        if key not in COMMENTARY_KEYS:
            raise UserError(f"{where}: 'commentary' has unknown section '{key}' (use "
                            f"{', '.join(COMMENTARY_KEYS)})")
        texts = _texts(v, f"commentary.{key}", where)
        if texts:
            out[key] = texts
    return out


FORECAST_KEYS = ("horizon", "simulations", "seed", "interval", "trend", "scenarios", "target")
FORECAST_TARGET_KEYS = ("measure", "value", "year", "lever")


def forecast_params(block, source: str = "params") -> dict:
    """Check the ``forecast:`` block (horizon 1-5, interval 50-99%, scenarios as in
    :func:`swanalysis.forecast.scenario_from_dict`, the what-it-takes target)."""
    from ..forecast import MAX_HORIZON, scenario_from_dict

    where = f"{source}: forecast"
    base = defaults().get("forecast") or {}
    block = merge(base, block) if isinstance(block, Mapping) or block is None else block
    if not isinstance(block, Mapping):
        raise UserError(f"{where} must be a mapping of {', '.join(FORECAST_KEYS)}")
    unknown = [k for k in block if k not in FORECAST_KEYS]
    if unknown:
        raise UserError(f"{where}: unknown key '{unknown[0]}' (use {', '.join(FORECAST_KEYS)})")
    out = dict(block)
    out["horizon"] = int(_number(block.get("horizon"), "forecast.horizon", source, 1))
    if out["horizon"] > MAX_HORIZON:
        raise UserError(f"{where}: 'horizon' must be 1 to {MAX_HORIZON} years, got {out['horizon']}")
    out["simulations"] = int(_number(block.get("simulations"), "forecast.simulations", source, 50))
    out["seed"] = int(_number(block.get("seed"), "forecast.seed", source, 0))
    out["interval"] = _number(block.get("interval"), "forecast.interval", source, 50)
    if out["interval"] >= 100:
        raise UserError(f"{where}: 'interval' is a percentage under 100, got {block.get('interval')!r}")
    out["trend"] = _number(block.get("trend", 0), "forecast.trend", source, 0)
    scenarios = block.get("scenarios") or []
    if not isinstance(scenarios, list):
        raise UserError(f"{where}: 'scenarios' must be a list")
    names = set()
    for spec in scenarios:
        name = scenario_from_dict(spec, f"{where} scenario").name
        if name in names or name == "baseline":
            raise UserError(f"{where}: scenario name '{name}' is used twice (or is 'baseline')")
        names.add(name)
    out["scenarios"] = [dict(s) for s in scenarios]
    target = block.get("target") or {}
    if not isinstance(target, Mapping):
        raise UserError(f"{where}: 'target' must map {', '.join(FORECAST_TARGET_KEYS)}")
    bad = [k for k in target if k not in FORECAST_TARGET_KEYS]
    if bad:
        raise UserError(f"{where}: target has unknown key '{bad[0]}' "
                        f"(use {', '.join(FORECAST_TARGET_KEYS)})")
    target = dict(target)
    if target.get("measure", "agency_rate") not in ("agency_rate", "vacancy_rate"):
        raise UserError(f"{where}: target measure must be agency_rate or vacancy_rate, "
                        f"got {target.get('measure')!r}")
    if target.get("lever", "starters") not in ("starters", "retention"):
        raise UserError(f"{where}: target lever must be starters or retention, got {target.get('lever')!r}")
    if target.get("value") is not None:
        target["value"] = _number(target["value"], "forecast.target.value", source, 0)
    if target.get("year") is not None:
        target["year"] = int(_number(target["year"], "forecast.target.year", source, 2000))
    out["target"] = target
    return out


def has_worker_data(params: Mapping[str, Any]) -> bool:
    """True when the report gets worker-level data (own returns or a synthetic council)."""
    return bool(params.get("synthetic") or params.get("csww"))


def dump(params: Mapping[str, Any]) -> str:
    """The params as YAML (written beside the report, for reproducibility)."""
    return yaml.safe_dump(dict(params), sort_keys=True, allow_unicode=True)
