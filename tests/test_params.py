import datetime as dt
from pathlib import Path

import pytest
import yaml

from swanalysis.report import params as P
from swanalysis.errors import UserError

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_match_the_documented_values():
    p = P.load_params(today=dt.date(2026, 1, 31))
    assert p["agency_premium"] == 20_000  # Warwickshire paper
    assert p["target_mix"] == {"newly_qualified": 20, "experienced": 30, "advanced": 50}
    assert p["date_produced"] == "2026-01-31"
    assert p["la"] is None and p["year"] is None and p["comparators"] is None
    assert p["synthetic"] is False and p["csww"] == []


def test_file_overrides_defaults_and_flags_override_file(tmp_path):
    f = write(tmp_path, "la: Wokingham\nyear: 2021\nagency_premium: 25000\n"
                        "comparators: [Slough, Reading]\ntarget_mix: {newly_qualified: 10, experienced: 40, advanced: 50}\n")
    p = P.load_params(f)
    assert (p["la"], p["year"], p["agency_premium"]) == ("Wokingham", 2021, 25_000)
    assert p["comparators"] == ["Slough", "Reading"]
    assert p["target_mix"] == {"newly_qualified": 10, "experienced": 40, "advanced": 50}
    # flags win; an unset flag (None) leaves the file's value alone
    q = P.load_params(f, {"year": 2022, "la": None, "comparators": "Bracknell Forest, West Berkshire"})
    assert (q["la"], q["year"]) == ("Wokingham", 2022)
    assert q["comparators"] == ["Bracknell Forest", "West Berkshire"]
    assert q["agency_premium"] == 25_000


def test_partial_target_mix_merges_key_by_key_and_must_add_to_100(tmp_path):
    f = write(tmp_path, "target_mix: {newly_qualified: 25, advanced: 45}\n")
    assert P.load_params(f)["target_mix"] == {"newly_qualified": 25, "experienced": 30, "advanced": 45}
    bad = write(tmp_path, "target_mix: {newly_qualified: 50}\n", "bad.yaml")
    with pytest.raises(UserError, match="add up to 100, got 130"):
        P.load_params(bad)


@pytest.mark.parametrize(
    "text, message",
    [
        ("la: Wokingham\ncolour: red\n", "unknown parameter 'colour'"),
        ("year: twenty\n", "'year' must be a year"),
        ("agency_premium: -5\n", "'agency_premium' must be at least 0"),
        ("sn_model: 2019\n", "'sn_model' must be auto, 2021 or 2025"),
        ("date_produced: 31/01/2026\n", "'date_produced' must be a date"),
        ("target_mix: {senior: 100}\n", "unknown group 'senior'"),
        ("- a\n- b\n", "must be a mapping"),
        ("la: [unclosed\n", "is not valid YAML"),
        ("targets: {sickness: 3.5}\n", "'targets' has unknown measure 'sickness'"),
        ("targets: {agency_rate: high}\n", "'targets.agency_rate' must be a number"),
        ("targets: [15]\n", "'targets' must map a measure to a number"),
        ("commentary: {summary: text}\n", "'commentary' has unknown section 'summary'"),
        ("recommendations: [{a: 1}]\n", "'recommendations' must be a list of sentences"),
    ],
)
def test_bad_files_give_one_line_errors_naming_the_file(tmp_path, text, message):
    f = write(tmp_path, text)
    with pytest.raises(UserError) as exc:
        P.load_params(f)
    assert message in str(exc.value)
    assert str(f) in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_file_and_missing_inputs(tmp_path):
    with pytest.raises(UserError, match="not found"):
        P.load_params(tmp_path / "nope.yaml")
    with pytest.raises(UserError, match="CSWW return .* not found"):
        P.load_params(overrides={"csww": [str(tmp_path / "r2022.xml")]})
    hr = write(tmp_path, "a,b\n", "hr.csv")
    with pytest.raises(UserError, match="needs a column map"):
        P.load_params(overrides={"hr": str(hr)})
    ret = write(tmp_path, "<x/>", "r.xml")
    with pytest.raises(UserError, match="either synthetic"):
        P.load_params(overrides={"synthetic": True, "csww": [str(ret)]})


def test_paths_become_absolute_and_resolve_is_idempotent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "returns").mkdir()
    ret = write(tmp_path / "returns", "<x/>", "r2022.xml")
    p = P.load_params(overrides={"csww": ["returns/r2022.xml"], "data_dir": "data",
                                 "date_produced": dt.date(2025, 3, 1)})
    assert p["csww"] == [str(ret.resolve())]
    assert p["data_dir"] == str((tmp_path / "data").resolve())
    assert p["date_produced"] == "2025-03-01"
    assert P.resolve(p) == p
    assert P.has_worker_data(p) and not P.has_worker_data(P.load_params())


@pytest.mark.parametrize("name", ["default.yaml", "benchmark_only.yaml", "demo.yaml"])
def test_shipped_params_files_load(name):
    path = REPO / "params" / name
    p = P.load_params(path)
    raw = yaml.safe_load(path.read_text())
    if name != "default.yaml":
        assert p["la"] and p["year"]
    if name == "demo.yaml":
        assert p["synthetic"] is True
    if name == "benchmark_only.yaml":
        assert p["benchmark_only"] is True
        assert p["la"] == "Wokingham" and p["year"] == 2022
        assert set(p["comparators"]) == {"Slough", "Windsor and Maidenhead", "West Berkshire",
                                         "Reading", "Bracknell Forest"}
        assert not P.has_worker_data(p)
    assert set(raw) <= set(P.defaults())


def test_officer_content_and_targets_are_checked_and_normalised(tmp_path):
    f = write(tmp_path, "purpose: '  To update the committee.  '\n"
                        "recommendations: To note the report.\n"
                        "commentary: {agency_costs: [First point., '', Second point.], who_we_have: ''}\n"
                        "contact: Jo Davies, Service Manager\n"
                        "targets: {agency_rate: 15, absence_rate: '3.5', caseload: null}\n")
    p = P.load_params(f)
    assert p["purpose"] == "To update the committee."
    assert p["recommendations"] == ["To note the report."]
    assert p["commentary"] == {"agency_costs": ["First point.", "Second point."]}
    assert p["contact"] == "Jo Davies, Service Manager"
    assert p["targets"] == {"agency_rate": 15.0, "absence_rate": 3.5}
    assert P.resolve(p) == p
    d = P.load_params()
    assert (d["purpose"], d["recommendations"], d["commentary"], d["contact"], d["targets"]) == \
        (None, [], {}, None, {})
    assert d["benchmark_only"] is False and d["pdf"] is False


def test_benchmark_only_params_select_the_benchmark_notebook(monkeypatch):
    """params/benchmark_only.yaml runs notebooks/benchmark_report.ipynb, not the council one."""
    from swanalysis.report import runner

    seen = {}

    class Stop(Exception):
        pass

    class Spy:
        def __init__(self, notebook=None, warm=True, timeout=600, engine="inprocess"):
            seen["notebook"] = notebook
            raise Stop

    monkeypatch.setattr(runner, "ReportRunner", Spy)
    with pytest.raises(Stop):
        runner.render_report(P.load_params(REPO / "params" / "benchmark_only.yaml"), "out")
    assert seen["notebook"] == "benchmark"
    with pytest.raises(Stop):
        runner.render_report(P.load_params(REPO / "params" / "demo.yaml"), "out")
    assert seen["notebook"] is None


def test_forecast_block_defaults_and_checks():
    from swanalysis.report import params as P

    p = P.load_params(overrides={"la": "Wokingham"})
    f = p["forecast"]
    assert f["horizon"] == 3 and f["interval"] == 80 and f["target"]["measure"] == "agency_rate"
    assert [s["name"] for s in f["scenarios"]][:2] == ["recruitment_campaign", "agency_conversions"]
    # a params file replaces the scenario list and keeps the other defaults
    p = P.load_params(overrides={"la": "Wokingham", "forecast": {"scenarios": [
        {"name": "posts", "establishment_change": 10}]}})
    assert [s["name"] for s in p["forecast"]["scenarios"]] == ["posts"] and p["forecast"]["seed"] == 1
    for bad, msg in (({"horizon": 9}, "1 to 5"), ({"interval": 100}, "under 100"),
                     ({"scenarios": [{"name": "x", "pay": 1}]}, "unknown key 'pay'"),
                     ({"scenarios": [{"name": "a"}, {"name": "a"}]}, "used twice"),
                     ({"target": {"measure": "turnover_rate"}}, "agency_rate or vacancy_rate"),
                     ({"colour": 1}, "unknown key 'colour'")):
        with pytest.raises(UserError, match=msg):
            P.load_params(overrides={"la": "Wokingham", "forecast": bad})
