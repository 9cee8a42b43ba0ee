# Two commands for a fresh Linux machine with Python 3.11+:
#   make demo   set up .venv and run the main job offline on the shipped data
#   make test   set up .venv (and Debian's chromium when possible) and run all tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= out

.PHONY: demo test dashboard install browser bench wheel-check clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: run make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dashboard]'
	@touch $@

install: $(STAMP)

# Browser tests use Debian's chromium; install it when missing and apt-get is usable.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: browser tests will be skipped"; \
	  else echo "chromium missing and apt-get not usable: browser tests will be skipped"; fi; }

demo: install
	$(BIN)/doorlopende-lijn demo --out $(OUT)

test: install browser
	DOORLOPENDE_LIJN_OFFLINE=1 $(BIN)/python -m pytest tests toolkit

# Voilà 0.5: a kernel is pre-heated (the notebook already ran when the page is requested; one kept in the pool),
# and a kernel whose page was closed or reloaded is shut down after 120 s idle instead of staying (~260 MB each).
# The spare kernel is started 60 s after a page took the pre-heated one (Voila's default: 1 s), so running the
# notebook again does not compete with the first page drawing its widgets (a 2-core machine).
VOILA_FLAGS := --port=8866 --no-browser --Voila.ip=127.0.0.1 --preheat_kernel=True --pool_size=1 \
	--VoilaKernelManager.fill_delay=60 \
	--MappingKernelManager.cull_idle_timeout=120 --MappingKernelManager.cull_interval=30 \
	--MappingKernelManager.cull_connected=False
dashboard: install
	$(BIN)/voila notebooks/04_collegedag.ipynb $(VOILA_FLAGS)

# statsforecast (the `bench` extra) needs pandas < 3, so the inflow benchmark's peers get a
# virtual environment of their own (.cache/bench-venv); the project's .venv keeps its pandas.
BENCH_VENV := .cache/bench-venv
bench: install
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	@echo "== benchmarks/forecast_backtest.py with statsforecast" && $(BENCH_VENV)/bin/python benchmarks/forecast_backtest.py

# A normal (non-editable) wheel in a fresh virtual environment runs the main job:
# proves the shipped data travel inside the package.
WHEEL_TMP ?= .cache/wheel-check
wheel-check: install
	rm -rf $(WHEEL_TMP) && mkdir -p $(WHEEL_TMP)
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --no-deps -w $(WHEEL_TMP)/dist .
	$(PYTHON) -m venv $(WHEEL_TMP)/venv
	$(WHEEL_TMP)/venv/bin/python -m pip install --quiet --disable-pip-version-check $(WHEEL_TMP)/dist/*.whl
	cd $(WHEEL_TMP) && DOORLOPENDE_LIJN_OFFLINE=1 venv/bin/doorlopende-lijn demo --out out
	@test -s $(WHEEL_TMP)/out/rapport.html && echo "wheel-check: the installed wheel ran the demo"

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
