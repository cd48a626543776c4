"""`swanalysis data fetch` against a local stand-in for the EES API (127.0.0.1, random port)."""

from __future__ import annotations

import csv
import gzip
import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from swanalysis.published import panel as D
from swanalysis.cli import main
from swanalysis.errors import UserError
from swanalysis.published.fetch import DEFAULT_DATASET, fetch_indicators

LABELS = {  # how a human-readable CSV might head the columns
    "time_period": "Time period", "geographic_level": "Geographic level",
    "country_code": "Country code", "country_name": "Country", "region_code": "Region code",
    "region_name": "Region", "old_la_code": "Old LA code", "new_la_code": "New LA code",
    "la_name": "Local authority", "turnover_rate_fte": "Turnover rate (FTE)",
}


@pytest.fixture(scope="module")
def api(data_dir):
    """Serves /v1/data-sets/{id}/csv from the files in the shared data folder."""
    published = (data_dir / "csww_indicators_2017_to_2025.csv").read_bytes()
    older = (data_dir / "csww_indicators_2017_to_2024.csv").read_bytes()
    text = published.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    rows[0] = [LABELS.get(c, c) for c in rows[0]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    labelled = ("\ufeff" + buf.getvalue()).encode("utf-8")
    routes = {
        DEFAULT_DATASET: (200, "text/csv", published, False),
        "older": (200, "text/csv", older, False),
        "labelled": (200, "text/csv; charset=utf-8", labelled, True),
        "nomeasures": (200, "text/csv", b"time_period,geographic_level,country_code,"
                       b"country_name,region_code,region_name,old_la_code,new_la_code,la_name,"
                       b"Indicator A\n2025,National,E92000001,England,,,,,,1\n", False),
        "html": (200, "text/html", b"<!DOCTYPE html><html>maintenance</html>", False),
        "badyear": (200, "text/csv", b"time_period,geographic_level,country_code,country_name,"
                    b"region_code,region_name,old_la_code,new_la_code,la_name,x\n"
                    b"2025,National,E92000001,England,,,,,,1\nTBC,National,E92000001,England,,,,,,1\n",
                    False),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            parts = self.path.split("?")[0].strip("/").split("/")[-4:]
            if len(parts) == 4 and parts[:2] == ["v1", "data-sets"] and parts[3] == "csv" \
                    and parts[2] in routes:
                status, ctype, body, gz = routes[parts[2]]
                if gz:
                    body = gzip.compress(body)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if gz:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                body = b'{"title":"Not Found","status":404}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/statistics"
    server.shutdown()
    server.server_close()


def test_fetch_saves_the_newest_release_where_load_panel_finds_it(api, tmp_path):
    info = fetch_indicators(api_url=api, cache=tmp_path)
    assert info["path"] == tmp_path / "csww_indicators_2017_to_2025.csv"
    assert (info["first_year"], info["last_year"], info["rows"]) == (2017, 2025, 1463)
    assert [p.name for p in tmp_path.iterdir()] == ["csww_indicators_2017_to_2025.csv"]
    panel = D.load_panel(tmp_path)
    north = D.latest(panel)
    north = north[(north["area_name"] == "Northumberland") & (north["time_period"] == 2022)]
    v = north.set_index("measure")["value"]
    assert (v["turnover_rate"], v["leavers_fte"], v["agency_rate"]) == (15.9, 28.8, 6.2)


def test_human_readable_headers_and_gzip_are_normalised(api, tmp_path):
    info = fetch_indicators(dataset_id="labelled", api_url=api, cache=tmp_path)
    header = info["path"].read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:3] == ["time_period", "time_identifier", "geographic_level"]
    assert "la_name" in header and "turnover_rate_fte" in header
    panel = D.latest(D.load_panel(tmp_path))
    w = panel[(panel["area_name"] == "Wokingham") & (panel["time_period"] == 2022)]
    assert w.set_index("measure")["value"]["agency_rate"] == 24.2


def test_newer_download_sits_beside_older_release(api, tmp_path):
    fetch_indicators(dataset_id="older", api_url=api, cache=tmp_path)
    fetch_indicators(api_url=api, cache=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "csww_indicators_2017_to_2024.csv", "csww_indicators_2017_to_2025.csv"]
    panel = D.load_panel(tmp_path)
    assert set(panel["release"]) == {2024, 2025}


@pytest.mark.parametrize("dataset, message", [
    ("no-such-id", "HTTP 404"),
    ("html", "HTML, not CSV"),
    ("badyear", "record 3: field time_period is not a year"),
    ("nomeasures", "no column for inpost_fte"),
])
def test_bad_responses_are_one_line_errors_and_leave_nothing(api, tmp_path, dataset, message):
    with pytest.raises(UserError, match=message) as exc:
        fetch_indicators(dataset_id=dataset, api_url=api, cache=tmp_path)
    assert "\n" not in str(exc.value)
    assert list(tmp_path.iterdir()) == []


def test_network_error_is_one_line(tmp_path):
    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UserError, match="could not connect") as exc:
        fetch_indicators(api_url=f"http://127.0.0.1:{port}", cache=tmp_path, timeout=5)
    assert "\n" not in str(exc.value) and "Traceback" not in str(exc.value)


def test_cli_data_fetch(api, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SWANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["data", "fetch", "--api-url", api]) == 0
    out = capsys.readouterr().out
    assert "saved 1463 records (2017–2025)" in out
    assert (tmp_path / "cache" / "csww_indicators_2017_to_2025.csv").exists()
    # with no data dir given, the cache is where the data is looked for
    monkeypatch.delenv("SWANALYSIS_DATA_DIR", raising=False)
    assert len(D.load_panel()) > 0
    # an error is one line on stderr and exit code 2
    code = main(["data", "fetch", "--api-url", api, "--dataset-id", "nope",
                 "--cache", str(tmp_path / "c2")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "HTTP 404" in err
