import pytest

from swanalysis.config import (
    SNAPSHOT_DIR, characteristics_dir, data_dir as config_data_dir, data_source, is_snapshot,
    slugify, snapshot_dir,
)
from swanalysis.errors import NoDataError


@pytest.mark.parametrize(
    "name, slug",
    [
        ("Windsor and Maidenhead", "windsor-and-maidenhead"),
        ("Kingston upon Thames / Richmond upon Thames", "kingston-upon-thames-richmond-upon-thames"),
        ("Bristol, City of", "bristol-city-of"),
        ("St. Helens", "st-helens"),
    ],
)
def test_slugify(name, slug):
    assert slugify(name) == slug


def test_data_dir_from_env_and_argument(monkeypatch, data_dir, tmp_path):
    monkeypatch.setenv("SWANALYSIS_DATA_DIR", str(data_dir))
    assert config_data_dir() == data_dir.resolve()
    # an explicit --data-dir wins over the environment, and an empty one is refused
    with pytest.raises(NoDataError):
        config_data_dir(tmp_path)


def test_no_data_configured_falls_back_to_the_snapshot(monkeypatch, tmp_path):
    """Order: --data-dir, $SWANALYSIS_DATA_DIR, the fetch cache, then the built-in snapshot."""
    monkeypatch.delenv("SWANALYSIS_DATA_DIR", raising=False)
    monkeypatch.setenv("SWANALYSIS_CACHE_DIR", str(tmp_path / "empty"))
    assert config_data_dir() == snapshot_dir().resolve()
    assert is_snapshot(config_data_dir())
    assert "built-in snapshot of the DfE's 2025 release" in data_source(config_data_dir())
    # a download made by `swanalysis data fetch` comes before the snapshot
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "csww_indicators_2017_to_2026.csv").write_text("time_period\n")
    monkeypatch.setenv("SWANALYSIS_CACHE_DIR", str(cache))
    assert config_data_dir() == cache.resolve()
    assert "swanalysis data fetch" in data_source(cache)
    assert not is_snapshot(cache)


def test_a_named_folder_without_data_is_a_clear_one_line_error(monkeypatch, tmp_path):
    """A folder the user named is never passed over for the snapshot."""
    monkeypatch.setenv("SWANALYSIS_DATA_DIR", str(tmp_path / "nothing-here"))
    with pytest.raises(NoDataError) as exc:
        config_data_dir()
    assert exc.value.exit_code == 2
    assert "swanalysis data fetch" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_characteristics_dir_order(monkeypatch, tmp_path, data_dir):
    monkeypatch.delenv("SWANALYSIS_CHARACTERISTICS_DIR", raising=False)
    # beside the statistics folder (../shared/data/csww_characteristics in a checkout)
    monkeypatch.setenv("SWANALYSIS_DATA_DIR", str(data_dir))
    assert characteristics_dir() == (data_dir.parent / "csww_characteristics").resolve()
    # the environment, then an explicit argument, win
    monkeypatch.setenv("SWANALYSIS_CHARACTERISTICS_DIR", str(tmp_path))
    assert characteristics_dir() == tmp_path.resolve()
    other = tmp_path / "other"
    other.mkdir()
    assert characteristics_dir(other) == other.resolve()
    with pytest.raises(NoDataError):
        characteristics_dir(tmp_path / "missing")
    # nothing configured: the snapshot's folder, which mirrors the shared layout
    monkeypatch.delenv("SWANALYSIS_CHARACTERISTICS_DIR")
    monkeypatch.delenv("SWANALYSIS_DATA_DIR")
    monkeypatch.setenv("SWANALYSIS_CACHE_DIR", str(tmp_path / "empty"))
    assert characteristics_dir() == (SNAPSHOT_DIR / "csww_characteristics").resolve()
