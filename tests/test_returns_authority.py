"""A report refuses another council's CSWW returns: Stockport's (LEA 356) in a Wokingham report
is exit 2 with one line naming the file and the LEA, before anything is computed."""

from __future__ import annotations

import pytest

from csww_fixtures import worker, write_xml
from swanalysis.cli import main
from swanalysis.errors import InputFileError
from swanalysis.workerdata.returns import check_authority


def _return(tmp_path, lea, year=2024, name=None):
    ws = [worker(f"SW{i:06d}A", start="2020-01-01") for i in range(12)]
    return write_xml(tmp_path / (name or f"csww_{year}_{lea}.xml"), ws, year=year, lea=lea)


def test_stockport_returns_in_a_wokingham_report_exit_2(tmp_path, data_dir, capfd):
    own = _return(tmp_path, "872", 2023)
    other = _return(tmp_path, "356", 2024)
    code = main(["report", "--la", "Wokingham", "--year", "2024", "--csww", str(own), str(other),
                 "--out", str(tmp_path / "out"), "--data-dir", str(data_dir)])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "Traceback" not in err[0]
    assert str(other) in err[0] and "LEA 356" in err[0] and "Wokingham" in err[0]
    assert "--allow-other-lea" in err[0]
    assert not (tmp_path / "out" / "2024" / "wokingham" / "report.html").exists()


def test_own_partner_and_predecessor_returns_are_accepted(tmp_path):
    allowed = {"314": "Kingston upon Thames", "318": "Richmond upon Thames"}
    files = [_return(tmp_path, "314"), _return(tmp_path, "318", 2023)]
    assert check_authority(files, allowed, "Kingston upon Thames / Richmond upon Thames") == \
        ["314", "318"]
    # Westmorland and Furness: its own returns and Cumbria's before April 2023
    from swanalysis.published.areas import resolve_area
    from swanalysis.published.panel import shared_panel
    from swanalysis.report.runner import allowed_leas

    w = allowed_leas(resolve_area("Westmorland and Furness"), shared_panel())
    assert w == {"943": "Westmorland and Furness", "909": "Cumbria"}
    with pytest.raises(InputFileError, match=r"csww_2024_356\.xml: LEA 356: not a return of "):
        check_authority([_return(tmp_path, "356")], w, "Westmorland and Furness")
    # no LEA anywhere: cannot be checked, so refused too
    nameless = write_xml(tmp_path / "census.xml", [worker("SW000001A")], year=2024, lea="")
    with pytest.raises(InputFileError, match="no LEA in the Header or file name"):
        check_authority([nameless], w, "Westmorland and Furness")


def test_override_flag_is_explicit(tmp_path):
    from swanalysis.report.params import load_params

    assert load_params(None, {"la": "Wokingham"})["allow_other_lea"] is False
    assert load_params(None, {"la": "Wokingham", "allow_other_lea": True})["allow_other_lea"]
