# rok: the README names these targets. Every target sets up .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run report test lint bench bench-ingest bench-profiles bench-networks bench-cooperation bench-workspace bench-web clean

# pip runs quietly; its messages (including warnings about this machine's pip configuration)
# go to .venv/pip.log and are printed only when an install fails.
PIP    = $(BIN)/pip --quiet --disable-pip-version-check
PIPLOG = $(VENV)/pip.log

define pip_install
	@$(PIP) install $(1) >>$(PIPLOG) 2>&1 || { cat $(PIPLOG); echo "pip install failed (log: $(PIPLOG))" >&2; exit 1; }
endef

$(VENV)/.run-installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV)
	@: > $(PIPLOG)
	$(call pip_install,--upgrade pip)
	$(call pip_install,-e .)
	@touch $@

$(VENV)/.test-installed: pyproject.toml
	@$(PYTHON) -m venv $(VENV)
	@: > $(PIPLOG)
	$(call pip_install,--upgrade pip)
	$(call pip_install,-e '.[test]')
	@touch $@ $(VENV)/.run-installed

WAREHOUSE := $(or $(ROK_DB),rok.duckdb)

# the warehouse is built once (a later `rok ingest mirror` adds new data); Ctrl-C stops the server
run: $(VENV)/.run-installed
	@test -f $(WAREHOUSE) || $(BIN)/rok ingest mirror
	@$(BIN)/rok status
	@$(BIN)/rok serve --host 127.0.0.1 --port 8000

report: $(VENV)/.run-installed
	@test -f $(WAREHOUSE) || $(BIN)/rok ingest mirror
	@$(BIN)/rok profile --all --out out

# two processes (pytest-xdist), one file per process at a time so that a file's module fixtures
# are built once; each process builds its own mirror warehouse. TEST_JOBS=0 runs in one process.
TEST_JOBS ?= 2
test: $(VENV)/.test-installed
	$(BIN)/pytest -q $(if $(filter-out 0,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadfile)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check src tests
	$(BIN)/mypy src/rok/warehouse src/rok/sources src/rok/measures src/rok/analysis

bench-ingest: $(VENV)/.run-installed
	$(BIN)/python -m rok.bench.ingest

bench-profiles: $(VENV)/.test-installed
	$(BIN)/python -m rok.bench.profiles

bench-networks: $(VENV)/.test-installed
	$(BIN)/python -m rok.bench.networks

bench-cooperation: $(VENV)/.test-installed
	$(BIN)/python -m rok.bench.cooperation

.PHONY: bench-agenda
bench-agenda: $(VENV)/.test-installed
	$(BIN)/python -m rok.bench.agenda

bench-web: $(VENV)/.test-installed
	@test -f $(WAREHOUSE) || $(BIN)/rok ingest mirror
	$(BIN)/python -m rok.bench.web

bench-workspace: $(VENV)/.run-installed
	$(BIN)/python -m rok.bench.workspace

bench: bench-ingest bench-profiles bench-networks bench-cooperation

clean:
	rm -rf $(VENV) rok.duckdb out
