"""The built-in data snapshot (swanalysis/published/snapshot): what it holds, that it is the
published files unchanged, and that the readers take it compressed."""

import gzip
from pathlib import Path

import pandas as pd
import pytest

from swanalysis.config import SNAPSHOT_DIR, SNAPSHOT_RELEASE
from swanalysis.published import areas as A, panel as D

EXPECTED = {
    "csww/csww_indicators_2017_to_2025.csv.gz": "csww/csww_indicators_2017_to_2025.csv",
    "csww/New_Statistical_Neighbour_Groupings_April_2021.csv.gz":
        "csww/New_Statistical_Neighbour_Groupings_April_2021.csv",
    "csww/sn_model_2025_wide.csv.gz": "csww/sn_model_2025_wide.csv",
    "csww_characteristics/csww_role_by_characteristics_inpost_2019_to_2025.csv.gz":
        "csww_characteristics/csww_role_by_characteristics_inpost_2019_to_2025.csv.gz",
    "csww_characteristics/cla_social_worker_stability_2024.csv.gz":
        "csww_characteristics/cla_social_worker_stability_2024.csv",
}


def _bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def test_snapshot_holds_the_newest_release_only_with_its_attribution():
    files = sorted(str(p.relative_to(SNAPSHOT_DIR)) for p in SNAPSHOT_DIR.rglob("*") if p.is_file())
    assert files == sorted([*EXPECTED, "ATTRIBUTION.md"])
    size = sum((SNAPSHOT_DIR / f).stat().st_size for f in files)
    assert 1_000_000 < size < 2_500_000          # about 2 MB, compressed
    text = (SNAPSHOT_DIR / "ATTRIBUTION.md").read_text()
    assert "Open Government Licence v3.0" in text and "Department for Education" in text
    assert SNAPSHOT_RELEASE == 2025


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_snapshot_files_are_the_published_files_unchanged(name, data_dir):
    shared = data_dir.parent / EXPECTED[name]
    assert _bytes(SNAPSHOT_DIR / name) == _bytes(shared)


def test_panel_from_the_compressed_snapshot_equals_the_published_csv(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("SWANALYSIS_CACHE_DIR", str(tmp_path / "cache"))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "csww_indicators_2017_to_2025.csv").symlink_to(data_dir / "csww_indicators_2017_to_2025.csv")
    snap = D.load_panel(SNAPSHOT_DIR / "csww")
    ref = D.load_panel(plain)
    assert snap.attrs["releases"] == [2025]
    pd.testing.assert_frame_equal(snap, ref)
    # Wokingham's published 2025 turnover rate (FTE), read from the .gz file
    row = snap[(snap["old_la_code"] == "872") & (snap["time_period"] == 2025)
               & (snap["measure"] == "turnover_rate")]
    assert row["value"].tolist() == ref.loc[row.index, "value"].tolist() and len(row) == 1
    # the per-process memo and the disk cache are keyed on the compressed file too
    assert D.shared_panel(SNAPSHOT_DIR / "csww") is D.shared_panel(SNAPSHOT_DIR / "csww")
    assert list((tmp_path / "cache" / "panel-cache").glob("panel-*.pkl"))


def test_release_files_take_compressed_copies_and_prefer_the_plain_csv(tmp_path):
    for name in ("csww_indicators_2017_to_2024.csv.xz", "csww_indicators_2017_to_2025.csv.gz",
                 "csww_indicators_2017_to_2025.csv", "csww_indicators_2017_to_2025.csv.bak"):
        (tmp_path / name).write_text("")
    got = [(r, p.name) for r, p in D.release_files(tmp_path)]
    assert got == [(2024, "csww_indicators_2017_to_2024.csv.xz"),
                   (2025, "csww_indicators_2017_to_2025.csv.gz"),
                   (2025, "csww_indicators_2017_to_2025.csv")]


def test_damaged_compressed_release_is_a_one_line_error(tmp_path):
    (tmp_path / "csww_indicators_2017_to_2025.csv.gz").write_bytes(
        gzip.compress(b"time_period,geographic_level\n2025,National\n")[:20])
    with pytest.raises(D.InputFileError, match="cannot read as CSV") as exc:
        D.load_panel(tmp_path)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("model", ["2025", "2021"])
def test_statistical_neighbours_from_the_snapshot_equal_the_shared_file(model, data_dir, tmp_path):
    snap = A.sn_table(model, data_dir=SNAPSHOT_DIR / "csww")
    shared = A.sn_table(model, data_dir=data_dir)
    pd.testing.assert_frame_equal(snap, shared)
    assert len(snap) > 1000
    # a folder holding only the indicators file (as `data fetch` leaves it): the snapshot's groupings
    only = tmp_path / "only"
    only.mkdir()
    (only / "csww_indicators_2017_to_2025.csv").symlink_to(data_dir / "csww_indicators_2017_to_2025.csv")
    pd.testing.assert_frame_equal(A.sn_table(model, data_dir=only), shared)
