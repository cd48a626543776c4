"""XML attacks are refused before anything is expanded or fetched, quickly and in bounded memory."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from csww_fixtures import worker, xml_return
from swanalysis.errors import InputFileError
from swanalysis.workerdata.returns import _no_dtd_possible, read_return

KEY = "test-key-safe"

WORKER = ("<CSWWWorker><AgencyWorker>0</AgencyWorker><SWENo>AB1234567890</SWENo>"
          "<QualInst>&x;</QualInst><RoleStartDate>2020-01-01</RoleStartDate></CSWWWorker>")
VAC = ("<LALevelVacancies><NumberOfVacancies>1.00</NumberOfVacancies><NoAgencyFTE>0.00</NoAgencyFTE>"
       "<NoAgencyHeadcount>0</NoAgencyHeadcount></LALevelVacancies>")
HEADER = "<Header><CollectionDetails><ReferenceDate>2023-09-30</ReferenceDate></CollectionDetails></Header>"

XXE_FILE = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Message [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>
<Message>{HEADER}{VAC}{WORKER}</Message>"""

XXE_NETWORK = f"""<?xml version="1.0"?>
<!DOCTYPE Message [ <!ENTITY x SYSTEM "http://127.0.0.1:9/evil.dtd"> ]>
<Message>{HEADER}{VAC}{WORKER}</Message>"""

XXE_PARAMETER = f"""<?xml version="1.0"?>
<!DOCTYPE Message [ <!ENTITY % p SYSTEM "file:///etc/passwd"> %p; <!ENTITY x "y"> ]>
<Message>{HEADER}{VAC}{WORKER}</Message>"""

LOLS = "\n".join(
    [' <!ENTITY lol0 "lollollollollollollollollollol">']
    + [f' <!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, 10)]
)
BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE Message [
{LOLS}
 <!ENTITY x "&lol9;">
]>
<Message>{HEADER}{VAC}{WORKER}</Message>"""

QUADRATIC = ('<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY a "' + "A" * 200_000 + '">\n<!ENTITY x "'
             + "&a;" * 2000 + f'">]>\n<Message>{HEADER}{VAC}{WORKER}</Message>')


def _refused(path):
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(InputFileError) as err:
            read_return(path, key=KEY)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return err.value, time.perf_counter() - t0, peak


@pytest.mark.parametrize("name,text", [
    ("xxe_file", XXE_FILE), ("xxe_network", XXE_NETWORK), ("xxe_parameter", XXE_PARAMETER),
    ("billion_laughs", BILLION_LAUGHS), ("quadratic_blowup", QUADRATIC),
])
def test_entity_attacks_refused_quickly_in_bounded_memory(tmp_path, name, text):
    path = tmp_path / f"{name}.xml"
    path.write_text(text, encoding="utf-8")
    err, seconds, peak = _refused(path)
    msg = str(err)
    assert "DTD" in msg and str(path) in msg and "\n" not in msg
    assert "root:" not in msg and "lol" not in msg  # nothing expanded or read from /etc/passwd
    # a guard against expansion (which would run for minutes), not a speed claim: generous on a busy CI machine
    assert seconds < 10.0
    # the billion-laughs expansion would be ~3 GB; refusing it needs a few MB at most
    assert peak < 20 * 2**20, peak


def test_utf16_file_with_doctype_goes_through_defusedxml_and_is_refused(tmp_path):
    path = tmp_path / "utf16.xml"
    path.write_bytes(BILLION_LAUGHS.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
                     .encode("utf-16"))
    assert not _no_dtd_possible(path.read_bytes())
    err, seconds, peak = _refused(path)
    assert "DTD" in str(err) and peak < 20 * 2**20


def test_doctype_mentioned_in_a_comment_only_is_parsed_safely(tmp_path):
    text = xml_return([worker("AB1234567890", "2020-01-01")], year=2023).replace(
        "<Message>", "<!-- this file has no <!DOCTYPE > --><Message>")
    path = tmp_path / "comment.xml"
    path.write_text(text, encoding="utf-8")
    assert not _no_dtd_possible(path.read_bytes())  # so defusedxml parses it
    rd = read_return(path, key=KEY)
    assert rd.n_records == 1 and rd.census_year == 2023


@pytest.mark.parametrize("data,expected", [
    (b'<?xml version="1.0" encoding="UTF-8"?><Message/>', True),
    (b"\xef\xbb\xbf<Message/>", True),
    (b'<?xml version="1.0" encoding="ISO-8859-1"?><Message/>', True),
    (b'<?xml version="1.0"?><!DOCTYPE Message><Message/>', False),
    (b'<?xml version="1.0"?><!doctype Message><Message/>', False),
    (b'<?xml version="1.0" encoding="cp037"?><Message/>', False),  # non-ASCII-compatible codec
    ("<Message/>".encode("utf-16-le"), False),  # UTF-16 without BOM
    ("<Message/>".encode("utf-16"), False),
    (b"", False),
])
def test_fast_path_guard(data, expected):
    assert _no_dtd_possible(data) is expected


def test_large_file_is_streamed_and_read_correctly(tmp_path, monkeypatch):
    import swanalysis.workerdata.returns as R

    monkeypatch.setattr(R, "STREAM_ABOVE_BYTES", 100)  # force the iterparse branch
    ws = [worker(f"AB{i:010d}", "2020-01-01") for i in range(50)]
    path = tmp_path / "big.xml"
    path.write_text(xml_return(ws, year=2023, extra_items=None), encoding="utf-8")
    rd = read_return(path, key=KEY)
    assert rd.n_records == 50 and rd.records["worker_id"].nunique() == 50
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    err, seconds, peak = _refused(path)
    assert "DTD" in str(err) and peak < 20 * 2**20


def test_xlsx_with_an_external_entity_is_refused(tmp_path):
    import zipfile

    import pandas as pd

    ok = tmp_path / "ok_2021.xlsx"
    pd.DataFrame({"SWENo": ["AB0000000001"], "AgencyWorker": ["0"], "RoleStartDate": ["2020-01-01"]}).to_excel(
        ok, index=False)
    bad = tmp_path / "xxe_2021.xlsx"
    with zipfile.ZipFile(ok) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = (b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                        + data.replace(b"AB0000000001", b"&x;"))
            zout.writestr(item, data)
    assert read_return(ok, key=KEY).n_records == 1
    err, seconds, peak = _refused(bad)
    assert "refused: the spreadsheet's XML declares a DTD or entities" in str(err)
    assert "root:" not in str(err) and "\n" not in str(err)
