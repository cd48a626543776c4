"""Reading a large input in several processes gives exactly what reading it in one does."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import pandas as pd
import pytest

import swanalysis.workerdata.ingest as I
from csww_fixtures import mini_council, worker, write_csv, write_xml
from swanalysis.errors import InputFileError

KEY = "test-key-parallel"


def _folder(tmp_path):
    """Returns of two LAs: the mini council's three, a CSV return, a second return for an LA
    and year already read (ignored), one that cannot be read, one with an unknown item."""
    folder = tmp_path / "returns"
    folder.mkdir()
    mini_council(folder)
    write_xml(folder / "csww_2022_998.xml", [worker("KK0000000001", "2019-03-04", NewItem2025="x"),
                                            worker("KK0000000002", "2020-01-01", "2022-05-01", ReasonLeave="1")],
              year=2022, lea="998")
    write_xml(folder / "csww_2022_999_again.xml", [worker("LL0000000001", "2019-03-04")], year=2022, lea="999")
    (folder / "csww_2023_998.xml").write_text("<Message><Header>", encoding="utf-8")
    write_csv(folder / "csww_2024_998.csv", [worker("KK0000000001", "2019-03-04")], year=2024, lea="998")
    return folder


def _run(folder, parallel: bool, monkeypatch, chunk_bytes=1, strict=False):
    monkeypatch.setattr(I, "PARALLEL_MIN_BYTES", 0 if parallel else 10**12)
    monkeypatch.setattr(I, "CHUNK_BYTES", chunk_bytes)
    return I.ingest([folder], key=KEY, strict=strict)


# run in a fresh interpreter: the test process may hold other tests' threads, and then ingest
# rightly reads in one process
COMPARE = r"""
import os, pickle, sys
from pathlib import Path
import swanalysis.workerdata.ingest as I
folder, chunk_bytes, pids, out = sys.argv[1:5]
assert I._can_fork()
read_chunk = I._read_chunk
def spy(paths):  # module-level in __main__: the pool passes it by name to the forked processes
    (Path(pids) / str(os.getpid())).touch()
    return read_chunk(paths)
I._read_chunk = spy
I.PARALLEL_MIN_BYTES = 10**12
serial = I.ingest([folder], key="test-key-parallel", strict=False)
I.PARALLEL_MIN_BYTES, I.CHUNK_BYTES = 0, int(chunk_bytes)
parallel = I.ingest([folder], key="test-key-parallel", strict=False)
Path(out).write_bytes(pickle.dumps((os.getpid(), serial, parallel)))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                    reason="reading in processes needs Linux and 2 CPUs")
@pytest.mark.parametrize("chunk_bytes", [1, 1500])
def test_parallel_read_equals_serial(tmp_path, chunk_bytes):
    folder = _folder(tmp_path)
    # the reading processes write their pid: the parallel path did run in other processes
    pids = tmp_path / "pids"
    pids.mkdir()
    env = dict(os.environ, SWANALYSIS_PSEUDO_KEY="unused")
    env.pop(I.READ_PROCESSES_ENV, None)
    subprocess.run([sys.executable, "-c", COMPARE, str(folder), str(chunk_bytes), str(pids), str(tmp_path / "out.pkl")],
                   check=True, timeout=300, env=env)
    pid, serial, parallel = pickle.loads((tmp_path / "out.pkl").read_bytes())
    children = {int(p.name) for p in pids.iterdir()}
    assert children and pid not in children
    for name in ("episodes", "worker_years", "validation", "returns"):
        a, b = getattr(serial, name), getattr(parallel, name)
        pd.testing.assert_frame_equal(a, b)
    assert serial.summary == parallel.summary
    assert serial.unreadable == parallel.unreadable and len(serial.unreadable) == 1
    rules = serial.summary["issues_by_rule"]
    assert rules["duplicate_return"] == 1 and rules["file_unreadable"] == 1 and rules["unknown_item"] == 1
    assert serial.summary["records"] == 22 + 2 + 1  # the mini council, LA 998's XML and CSV


STRICT = r"""
import sys
import swanalysis.workerdata.ingest as I
from swanalysis.errors import InputFileError
assert I._can_fork()
for parallel in (False, True):
    I.PARALLEL_MIN_BYTES, I.CHUNK_BYTES = (0, 1) if parallel else (10**12, I.CHUNK_BYTES)
    try:
        I.ingest([sys.argv[1]], key="test-key-parallel", strict=True)
    except InputFileError as exc:
        print(exc)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                    reason="reading in processes needs Linux and 2 CPUs")
def test_parallel_read_strict_raises_the_first_unreadable_file(tmp_path):
    folder = _folder(tmp_path)
    env = dict(os.environ)
    env.pop(I.READ_PROCESSES_ENV, None)
    out = subprocess.run([sys.executable, "-c", STRICT, str(folder)], capture_output=True, text=True,
                         check=True, timeout=300, env=env).stdout.splitlines()
    assert len(out) == 2 and out[0] == out[1]
    assert "csww_2023_998.xml" in out[1]


def test_pack_round_trip_keeps_values_missing_and_dtypes():
    df = pd.DataFrame({"a": ["x", None, "x", "y"], "n": [1, 2, 3, 4],
                       "d": pd.to_datetime(["2020-01-01", None, "2021-02-03", "2020-01-01"]),
                       "nan": ["x", float("nan"), None, "z"], "mixed": ["x", 1, None, "x"]})
    back = I._unpack(I._pack(df))
    pd.testing.assert_frame_equal(df, back)
    assert back["a"][1] is None and back["nan"][2] is None and back["nan"][1] != back["nan"][1]
    assert back["a"][0] is back["a"][2]  # one string object per distinct value


def test_read_processes_from_the_environment(tmp_path, monkeypatch):
    from swanalysis.errors import UserError

    monkeypatch.setenv(I.READ_PROCESSES_ENV, "1")
    assert I._read_processes() == 1 and not I._can_fork()
    folder = _folder(tmp_path)
    res = _run(folder, True, monkeypatch)  # large enough, but one process asked for: read here
    assert res.summary["records"] == 25
    monkeypatch.setenv(I.READ_PROCESSES_ENV, "two")
    with pytest.raises(UserError, match="SWANALYSIS_READ_PROCESSES must be a whole number"):
        _run(folder, True, monkeypatch)
