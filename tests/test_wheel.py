"""The package works installed: a wheel, installed outside the repository, makes a report with
nothing configured (issue 11 item 3, issue 14's built-in snapshot).

How the test keeps fast and offline:

* The wheel is built from a copy of the tracked sources (so nothing left in the checkout's
  ``build/`` can slip into it) with ``pip wheel --no-deps --no-build-isolation``: the project's
  own venv supplies setuptools (``make venv`` installs setuptools>=77), so nothing is downloaded.
* The fresh venv (``python -m venv --without-pip``, outside the repository) gets the wheel with
  ``pip --python <venv> install --no-deps``. Its dependencies (pandas, papermill, ...) are not
  installed again: a ``.pth`` file in its site-packages appends the project venv's
  site-packages to ``sys.path``. A ``.pth`` line adds a folder but does not run the ``.pth``
  files inside it, so the project's editable install (its import hook) stays out, and
  ``swanalysis`` is imported from the wheel, never from the checkout (asserted). Jupyter's data
  files (nbconvert's base templates, the python3 kernel spec) are installed under a venv's
  ``share/jupyter``, not in site-packages, so ``JUPYTER_PATH`` names the project venv's; a real
  install with dependencies has them in its own venv.
* The report runs from an empty working folder with ``SWANALYSIS_DATA_DIR`` and
  ``SWANALYSIS_CACHE_DIR`` unset, and ``HOME`` / ``XDG_CACHE_HOME`` pointing at an empty folder,
  so no download cache is found: the data can only come from the snapshot inside the wheel.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from html import unescape
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "outputs", "node_modules", "*.egg-info", "__pycache__",
    ".pytest_cache", ".ipynb_checkpoints", "tests", "benchmarks", "docs")


def test_every_package_is_listed_in_pyproject():
    """pyproject.toml lists packages by hand (two are mapped from notebooks/ and params/): a new
    subpackage must be added there or the wheel would leave it out."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "swanalysis").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert {"swanalysis.report.notebooks", "swanalysis.report.defaults"} <= listed


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    import setuptools

    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.fail(f"setuptools {setuptools.__version__} in this venv cannot build the wheel "
                    "(SPDX licence string): run `make venv`")
    src = tmp_path_factory.mktemp("src") / "swanalysis-src"
    shutil.copytree(REPO, src, ignore=NOT_SOURCES)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                    "--no-build-isolation", "-qq", "-w", str(dist)], check=True, timeout=120)
    (whl,) = dist.glob("swanalysis-*.whl")
    return whl


def test_wheel_carries_what_a_report_needs_and_no_older_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("swanalysis/report/notebooks/council_report.ipynb",
                   "swanalysis/report/notebooks/benchmark_report.ipynb",
                   "swanalysis/report/defaults/default.yaml",
                   "swanalysis/report/templates/council_report/index.html.j2",
                   "swanalysis/published/snapshot/ATTRIBUTION.md",
                   "swanalysis/published/snapshot/csww/csww_indicators_2017_to_2025.csv.gz",
                   "swanalysis/published/snapshot/csww/sn_model_2025_wide.csv.gz"):
        assert needed in names, needed
    data = [n for n in names if n.endswith((".csv", ".gz", ".xz"))]
    assert not any(old in n for n in data for old in ("2017_to_2024", "2017_to_2023", "headline_measures"))
    assert not any(n.startswith(("tests/", "notebooks/", "params/")) for n in names)
    assert not any(n.endswith(".ipynb") and "walkthrough" in n for n in names)  # they stay in the repo
    assert sum(zipfile.ZipFile(wheel).getinfo(n).file_size for n in data) < 2_500_000


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_makes_a_report_with_nothing_configured(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
                    "-qq", str(wheel)], check=True, timeout=120)
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SWANALYSIS_", "PYTHON", "JUPYTER", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), MPLBACKEND="Agg",
               JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")

    where = subprocess.run(
        [str(py), "-c", "import swanalysis.report.runner as r, swanalysis.report.params as p, "
                        "swanalysis.config as c; print(r.__file__); print(r.notebook_path()); "
                        "print(p.DEFAULT_FILE); print(c.data_dir())"],
        cwd=work, env=env, check=True, capture_output=True, text=True, timeout=60).stdout.split()
    assert all(Path(w).is_relative_to(site) for w in where), where
    assert where[3] == str(site / "swanalysis" / "published" / "snapshot" / "csww")

    run = subprocess.run([str(venv / "bin" / "swanalysis"), "report", "--la", "Wokingham",
                          "--year", "2025", "--out", "out"],
                         cwd=work, env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-2000:]
    report = work / "out" / "2025" / "wokingham"
    html = unescape((report / "report.html").read_text(encoding="utf-8"))
    assert "Wokingham" in html
    # the report names the release and where it came from: title block (both documents) and the
    # methods (in the technical annex, technical.html)
    annex = unescape((report / "technical.html").read_text(encoding="utf-8"))
    assert "2025 release (reporting years 2017 to 2025); the built-in snapshot shipped with swanalysis" in html
    assert "read from the built-in snapshot of the DfE's 2025 release shipped with swanalysis" in annex
    assert (report / "tables.xlsx").stat().st_size > 0
    with open(report / "tables" / "benchmark_summary.csv", newline="") as fh:
        rows = {r["measure"]: r for r in csv.DictReader(fh)}
    # Wokingham's published 2025 turnover rate (FTE) and its rank among the 148 authorities
    # that published one, read from the snapshot
    assert rows["turnover_rate"]["value"] == "9.6"
    assert rows["turnover_rate"]["n_ranked"] == "148"
    assert "snapshot" in (report / "params.yaml").read_text()
