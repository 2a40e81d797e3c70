# UEM Workbench. Two commands on a fresh machine do all set-up:
#   make reports   # venv, install, sample data, every notebook -> reports/
#   make test      # unit, property, notebook (nbval) and end-to-end tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system
# The translations (docs/translation.md): the template and the Chinese catalog are in git,
# the compiled catalog is built here.
LOCALE := uem_helpers/locale
POT := $(LOCALE)/uem.pot
PO := $(LOCALE)/zh/LC_MESSAGES/uem.po
MO := $(LOCALE)/zh/LC_MESSAGES/uem.mo
# The bundled sample covers these six months; a scheduled run on real data passes one month.
PERIOD ?= 2026-05..2026-10
# Debian packages the tests and reports need (installed by the system stamp below when
# missing): Java for the Spark backend, a CJK font so Chinese labels render in charts, and
# Chromium for the browser tests (offline Sankey rendering, JupyterLab explorers).

.PHONY: install reports validate test test-spark test-fast bench bench-report lab clean catalog

install: $(STAMP) $(SYSTEM_STAMP) $(MO)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Re-installs only when pyproject.toml changes (idempotent, fast on a second run).
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[spark,dev]'
	touch $@

# System packages, installed with apt only when something is missing (checked again
# whenever this Makefile changes).
$(SYSTEM_STAMP): Makefile | $(VENV)/bin/python
	@missing=""; \
	command -v java >/dev/null 2>&1 || missing="$$missing openjdk-17-jre-headless"; \
	fc-list 2>/dev/null | grep -qiE "WenQuanYi|Noto Sans CJK|Noto Serif CJK" || missing="$$missing fonts-wqy-microhei fontconfig"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	touch $@

# Compile the Chinese catalog whenever its .po changes.
$(MO): $(PO) $(STAMP)
	$(BIN)/pybabel compile --domain uem --directory $(LOCALE) --locale zh --statistics

# After adding or changing a sentence: extract every message into the template and merge it
# into the Chinese catalog; then translate the entries left empty or marked fuzzy in $(PO).
catalog: $(STAMP)
	$(BIN)/pybabel extract --mapping-file $(LOCALE)/babel.cfg --output-file $(POT) --sort-by-file \
	  --add-comments TRANSLATORS: --project "UEM Workbench" --copyright-holder "UEM Workbench authors" \
	  --width 100 .
	$(BIN)/pybabel update --input-file $(POT) --output-dir $(LOCALE) --domain uem --locale zh --width 100 --ignore-obsolete

validate: install
	$(BIN)/uem validate --config uem.yml

# Validate the sample, then run every notebook for the period into reports/ (and reports/index.html).
reports: validate
	$(BIN)/uem report --period $(PERIOD) --config uem.yml

# The import contracts first (seconds; docs/architecture.md), then every test, on two workers
# (tests/scheduling.py: a file, or the Spark tests, at a time per worker). WORKERS=0 runs them in one process.
WORKERS ?= 2
XDIST := -n $(WORKERS) --dist loadgroup

test: install
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(XDIST) --durations=15

# Every notebook on Spark local against DuckDB, headline by headline (tests/spark_reports; a JVM per notebook,
# ~10 min, so not part of `make test`; .ci/run runs it after `make test`).
test-spark: install
	$(BIN)/python -m pytest -o addopts="-ra --strict-markers" tests/spark_reports

test-fast: install
	$(BIN)/python -m pytest $(XDIST) -m "not spark and not slow"

# Every event-level helper against hand-written DuckDB SQL, on the sample and the heavy-tailed "other" log,
# alternated, same numbers checked, peak memory per case; writes benchmarks/results/<date>.md (ratios only).
# Data is generated once into benchmarks/data/. 100M events only when asked: make bench SIZES="1M 10M 100M".
SIZES ?= 1M 10M
BENCH_ARGS ?=
bench: install
	$(BIN)/python benchmarks/bench.py --workload both --events $(SIZES) $(BENCH_ARGS)

# The whole batch (uem report, every notebook) on a generated sample of EVENTS events, with DuckDB's memory
# limit and spill folder set in its config: time and peak memory (run + kernel) per notebook, into
# benchmarks/results/<date>-report-<EVENTS>.md. Generating 100M events takes ~5 min; the run, hours on 2 cores.
# NOTEBOOKS="journey_analysis monthly_retro" runs only those (the file name lists them).
EVENTS ?= 100M
MEMORY_LIMIT ?= 14GB
NOTEBOOKS ?=
bench-report: install
	$(BIN)/python benchmarks/report_run.py --events $(EVENTS) --memory-limit $(MEMORY_LIMIT) \
		$(foreach nb,$(NOTEBOOKS),--notebook $(nb))

# JupyterLab on the notebooks, with the project's kernel and the widget explorers.
lab: install
	$(BIN)/uem lab

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis data/generated data/cache
