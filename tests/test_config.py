import pytest

from swanalysis.config import data_dir as config_data_dir, slugify
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


def test_no_data_anywhere_is_a_clear_one_line_error(monkeypatch, tmp_path):
    monkeypatch.delenv("SWANALYSIS_DATA_DIR", raising=False)
    monkeypatch.setenv("SWANALYSIS_CACHE_DIR", str(tmp_path / "empty"))
    with pytest.raises(NoDataError) as exc:
        config_data_dir()
    assert exc.value.exit_code == 2
    assert "swanalysis data fetch" in str(exc.value)
    assert "\n" not in str(exc.value)
