# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install browser-deps lint bench

$(VENV)/pyvenv.cfg:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(VENV)/pyvenv.cfg
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The chart library, pinned in crm/vendor.py and fetched from the npm registry (integrity checked) into var/vendor/.
VENDORED := var/vendor/plotly/plotly-basic.min.js.integrity
$(VENDORED): crm/vendor.py $(VENV)/pyvenv.cfg
	$(BIN)/python crm/vendor.py
	touch $@

install: $(VENV)/.installed $(VENDORED)

run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Headless Chromium for the browser tests and CJK fonts for its screenshots, from Debian's packages.
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		.ci/apt-get-wait update -qq && .ci/apt-get-wait install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

test: install browser-deps
	$(BIN)/pytest

# Style, the floors of the house (import-linter's layers contract in pyproject.toml) and types (mypy).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Benchmarks on PostgreSQL at a million customers (see docs/PERFORMANCE.md); BENCH_CUSTOMERS=N to change the size.
bench: install
	bench/run
