# swanalysis — the two set-up commands are `make report` and `make test`.
# Each creates .venv and installs everything from this project's own files.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
# The tests read ../shared (older releases too); without it, the built-in snapshot is used.
SWANALYSIS_DATA_DIR ?= $(wildcard $(abspath ../shared/data/csww))
export SWANALYSIS_DATA_DIR
export MPLBACKEND := Agg
# Small matrices everywhere: BLAS thread pools only add contention on a 2-core machine.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: venv test report notebooks browser-deps benchmarks backtest clean

# pip -qq: errors only (a failed install still prints its error and stops make). setuptools>=77
# reads the SPDX licence string and lets tests/test_wheel.py build the wheel offline.
$(STAMP): pyproject.toml
	@echo "Creating $(VENV) and installing swanalysis with its dependencies (a few minutes the first time)"
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -qq --upgrade pip 'setuptools>=77'
	@$(PY) -m pip install -qq -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

test: $(STAMP) browser-deps
	$(PY) -m pytest

report: $(STAMP)
	$(BIN)/swanalysis report --params params/demo.yaml --out outputs

# The walkthroughs (notebooks/walkthrough_*.ipynb) executed and published as HTML, with an index:
# outputs/notebooks/index.html. make test executes them too (tests/test_notebooks.py).
notebooks: $(STAMP)
	$(PY) -m swanalysis.report.walkthroughs --out outputs/notebooks

# Headless Chromium (Debian package) and axe-core (npm, pinned in tests/browser/package.json) for
# tests/test_browser.py. Idempotent: does nothing when both are already installed.
CHROMIUM    ?= /usr/bin/chromium
BROWSER_DIR := tests/browser
AXE_JS      := $(BROWSER_DIR)/node_modules/axe-core/axe.min.js
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser-deps: $(AXE_JS)
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium; }

$(AXE_JS): $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	cd $(BROWSER_DIR) && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; }
	touch $@

# the ingest at the start of the second issue-16 session (two reading processes, faster CSV), timed beside the current code
INGEST_BASELINE ?= 36bb105

benchmarks: $(STAMP)
	$(PY) benchmarks/batch.py --write-doc
	$(PY) benchmarks/report_parts.py
	$(PY) benchmarks/ingest.py --write-doc
	$(PY) benchmarks/ingest_scaling.py --baseline $(INGEST_BASELINE) --write-doc
	$(PY) benchmarks/startup.py --write-doc
	$(PY) benchmarks/council.py --write-doc
	$(PY) benchmarks/forecast_speed.py --write-doc
	$(PY) benchmarks/forecast_backtest.py

# The forecast back-test on the published statistics (docs/forecast.md prints its table).
backtest: $(STAMP)
	$(PY) benchmarks/forecast_backtest.py

clean:
	rm -rf $(VENV) outputs/[0-9]* .pytest_cache
