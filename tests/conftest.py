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


@pytest.fixture(scope="session")
def synthetic_council(data_dir, tmp_path_factory):
    """A small synthetic council written once per session (swanalysis.synth, docs/synthetic-data.md):
    calibrated to Stockport (356), census years 2019-2024, seed 1, scale 1 (about 250 FTE).
    Attributes: .returns (XML paths), .payroll_path, .hr_map_path, .truth_path, .truth (dict),
    .true_episodes / .true_worker_years (keyed by the raw SWENo: never write them), .out_dir."""
    from swanalysis.synth import generate

    return generate("Stockport", "2019-2024", seed=1, data_dir=data_dir,
                    out_dir=tmp_path_factory.mktemp("synthetic_council"))


@pytest.fixture(scope="session")
def synthetic_council_large(data_dir, tmp_path_factory):
    """A large calendar-stationary synthetic council (Stockport x 10, 2019-2024, seed 2): the
    leaving process is the same every year, so Kaplan-Meier with delayed entry estimates
    .truth['true_retention'] and a Cox model without year terms is correctly specified."""
    from swanalysis.synth import generate

    return generate("Stockport", "2019-2024", seed=2, data_dir=data_dir, scale=10,
                    stationary=True, out_dir=tmp_path_factory.mktemp("synthetic_council_large"))
