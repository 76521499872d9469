# Two commands set everything up: `make run` serves the API, `make test` checks everything.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck browser postgres bench load demo clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: set PYTHON=/path/to/python3.11"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# llama-cpp-python compiles from source the first time (several minutes); pip caches the wheel.
	# Not tuned to this CPU (GGML_NATIVE=OFF; AVX2 stays on): a native build used instructions
	# (AMX, AVX-512) that a virtual machine listed in /proc/cpuinfo but trapped, and the model
	# died with "Illegal instruction".
	CMAKE_ARGS="-DGGML_NATIVE=OFF $$CMAKE_ARGS" $(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/personify serve --host 127.0.0.1 --port 8000 --load-demo

demo: $(STAMP)
	$(BIN)/personify demo

lint: $(STAMP)
	$(BIN)/ruff check personify tests
	$(BIN)/ruff format --check personify tests

typecheck: $(STAMP)
	$(BIN)/mypy

# The widget's browser test drives Debian's chromium; without it, that test skips and says why.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1; } || \
		echo "chromium not installed: the widget's browser test will be skipped"

# The whole suite on the embedded defaults, then the integration suite again on the servers
# used at scale: a `chroma run` server and PostgreSQL (each test its own schema and Chroma
# database; it skips, saying why, where neither can be had).
# PostgreSQL for the scale-out tests: the local service when it answers, else a throwaway
# cluster the tests start from Debian's package (installed here when missing, as root).
postgres:
	@$(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null || \
		ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && apt-get install -y -qq postgresql) >/dev/null 2>&1; } || \
		echo "PostgreSQL not available: the scale-out tests will be skipped"

test: lint typecheck browser postgres
	$(BIN)/pytest
	PERSONIFY_TEST_BACKEND=servers $(BIN)/pytest tests/integration -m "not slow"

bench: $(STAMP)
	$(BIN)/personify bench

# A bounded load run (loopback only; stops by itself): prints requests/s and p50/p95/p99.
load: $(STAMP)
	$(BIN)/personify load

clean:
	rm -rf $(VENV) .personify .mypy_cache .ruff_cache .pytest_cache
