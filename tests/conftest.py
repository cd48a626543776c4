import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "csww"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The published DfE statistics (read in place, never copied)."""
    path = Path(os.environ.get("SWANALYSIS_DATA_DIR", DEFAULT_DATA))
    if not (path / "csww_indicators_2017_to_2025.csv").exists():
        pytest.fail(f"published data not found at {path}; set SWANALYSIS_DATA_DIR")
    return path


@pytest.fixture(scope="session")
def schema_path(data_dir) -> Path:
    return data_dir.parent / "csww_schema" / "social_work_workforce_2022.xsd"
