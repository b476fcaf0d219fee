# coordinator: the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 5000
export COORDINATOR_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: setup run test lint bench vendor-assets clean

$(STAMP): pyproject.toml
	@echo "==> Setting up: a virtual environment in $(VENV) and the app's packages (first time: about a minute)."
	@test -x $(BIN)/python || { echo "==> Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> Installing packages with pip (each one is named as it downloads, with its progress)"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@
	@echo "==> Packages ready."

setup: $(STAMP)

## Set up, migrate, load the demo on first start, and serve the app with the scheduler process beside it (it
## delivers the invite outbox); Ctrl-C stops both.
run: setup
	@echo "==> Bringing the database up to date (and loading the demo organisation on first start)"
	COORDINATOR_BASE_URL=http://$(HOST):$(PORT) $(BIN)/flask --app coordinator bootstrap
	@echo "==> Starting the web server on http://$(HOST):$(PORT)/ and the scheduler beside it (Ctrl-C stops both)"
	@export COORDINATOR_BASE_URL=http://$(HOST):$(PORT); \
	$(BIN)/flask --app coordinator scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app coordinator run --host $(HOST) --port $(PORT)

## Set up and run the whole test suite (PostgreSQL and browser tests skip with a reason when missing, outside CI),
## one worker per logical CPU (pytest-xdist; TEST_WORKERS=0 runs it in one process). Hypothesis runs 500
## examples per form with CI=true and 50 otherwise (profiles in tests/conftest.py).
TEST_WORKERS ?= logical
test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

lint: setup
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c pyproject.toml -r coordinator

## Build the large organisation (cached in bench/results/) and print every benchmark's table. The page table has a
## "before" column: commit $(BEFORE) checked out (once) into $(BEFORE_DIR) and served beside this checkout.
BEFORE     ?= 94da51b
BEFORE_DIR ?= /tmp/coordinator-before
bench: setup
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	test -d $(BEFORE_DIR) || git worktree add --detach $(BEFORE_DIR) $(BEFORE)
	$(BIN)/python -m bench --before $(BEFORE_DIR)

## Refresh the vendored front-end assets from the npm registry (versions pinned here and in VERSIONS.md).
vendor-assets:
	rm -rf /tmp/coordinator-vendor && mkdir -p /tmp/coordinator-vendor
	cd /tmp/coordinator-vendor && npm pack --silent @picocss/pico@2.1.1 htmx.org@2.0.7 interactjs@1.10.27 \
	  && tar xzf picocss-pico-2.1.1.tgz && cp package/css/pico.min.css $(CURDIR)/coordinator/static/vendor/pico-2.1.1.min.css \
	  && rm -rf package && tar xzf htmx.org-2.0.7.tgz && cp package/dist/htmx.min.js $(CURDIR)/coordinator/static/vendor/htmx-2.0.7.min.js \
	  && rm -rf package && tar xzf interactjs-1.10.27.tgz && cp package/dist/interact.min.js $(CURDIR)/coordinator/static/vendor/interact-1.10.27.min.js \
	  && cp package/LICENSE $(CURDIR)/coordinator/static/vendor/interact-1.10.27.LICENSE

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
