# The README's whole set-up: `make demo` runs the main job, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_DIR ?= runs/quickstart

.PHONY: demo test system-deps clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test: $(VENV)/.base pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.base
	$(VENV)/bin/reasonledger build examples/quickstart.yaml --out $(RUN_DIR)
	@echo "outputs: $(RUN_DIR)/data (Parquet + manifest.json), $(RUN_DIR)/exports, $(RUN_DIR)/card, $(RUN_DIR)/runlog.jsonl"

test: $(VENV)/.test
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) runs
