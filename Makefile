# swanalysis — the two set-up commands are `make report` and `make test`.
# Each creates .venv and installs everything from this project's own files.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
SWANALYSIS_DATA_DIR ?= $(abspath ../shared/data/csww)
export SWANALYSIS_DATA_DIR
export MPLBACKEND := Agg

.PHONY: venv test report browser-deps benchmarks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

report: $(STAMP)
	$(BIN)/swanalysis report --params params/demo.yaml --out outputs

benchmarks: $(STAMP)
	$(PY) benchmarks/batch.py
	$(PY) benchmarks/ingest.py

clean:
	rm -rf $(VENV) outputs/[0-9]* .pytest_cache
