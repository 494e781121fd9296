# BCIS focus groups. `make run` serves the demo site; `make test` runs every test.
# Both work on a fresh clone: they create .venv and install the pinned dependencies first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT
TEST_WORKERS ?= auto
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast serve serve-proxy varnish worker lint check format browser bench wrk lighthouse lock audit clean help

## run: set everything up and serve the demo site on http://$(HOST):$(PORT)/ (with the worker)
run: $(VENV)/.deps-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo_content
	$(PY) manage.py ensure_admin
	$(PY) manage.py ensure_demo_member
	@echo "Serving the demo site on http://$(HOST):$(PORT)/ (editors: http://$(HOST):$(PORT)/admin/)"
	@echo "The background worker runs beside it: emails the site sends are printed below."
	@$(PY) manage.py run_worker & worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
		$(PY) manage.py runserver $(HOST):$(PORT)

## test: install what the tests need (Chromium included) and run the whole suite
##   in TEST_WORKERS parallel processes (pytest-xdist; default: one per core)
test: $(VENV)/.deps-test browser varnish
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## test-fast: the inner loop: no browser tests, 100 generated register posts instead of 1,000
test-fast: $(VENV)/.deps-test varnish
	PROPERTY_EXAMPLES=100 $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup -m "not browser" \
		$(PYTEST_ARGS)

## serve: run the production configuration (gunicorn + WhiteNoise + the worker) on loopback; needs SECRET_KEY
serve: $(VENV)/.deps-run
	@if [ -z "$$SECRET_KEY" ]; then \
		echo "make serve refuses to start without SECRET_KEY (see the README's table)."; exit 1; fi
	DJANGO_SETTINGS_MODULE=config.settings.production $(PY) manage.py collectstatic --noinput -v0
	DJANGO_SETTINGS_MODULE=config.settings.production $(PY) manage.py migrate --noinput
	@export SECURE_SSL_REDIRECT=$${SECURE_SSL_REDIRECT:-false} \
		DJANGO_SETTINGS_MODULE=config.settings.production; \
	$(PY) manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers $${WEB_CONCURRENCY:-2} \
		--access-logfile - --forwarded-allow-ips=127.0.0.1

## serve-proxy: Varnish on $(PORT) in front of gunicorn on $(PORT)+1 (deploy/varnish/default.vcl); needs SECRET_KEY
serve-proxy: $(VENV)/.deps-run varnish
	@mkdir -p var; backend=$$(( $(PORT) + 1 )); \
	sed "s/\.port = \"8001\"/.port = \"$$backend\"/" deploy/varnish/default.vcl > var/varnish.vcl; \
	varnishd -F -a $(HOST):$(PORT) -f $(CURDIR)/var/varnish.vcl -n $(CURDIR)/var/varnish -s malloc,128m & varnish=$$!; \
	trap 'kill $$varnish 2>/dev/null; wait $$varnish 2>/dev/null' EXIT INT TERM; \
	VARNISH_PURGE_URL=$${VARNISH_PURGE_URL:-http://$(HOST):$(PORT)/} $(MAKE) serve PORT=$$backend

## worker: the background worker on its own (emails, document text, scheduled publishing)
worker: $(VENV)/.deps-run
	$(PY) manage.py run_worker

## lint: ruff, Django's system checks and the missing-migrations check (CI runs this first)
lint: $(VENV)/.deps-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

## format: apply ruff's fixes and formatting
format: $(VENV)/.deps-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## browser: make sure Debian's Chromium is installed for the browser tests
browser:
	@command -v chromium >/dev/null 2>&1 || ( $(SUDO) apt-get install -y chromium || \
		( $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium ) )

## varnish: make sure Debian's Varnish and its xkey module are installed (tests/test_varnish.py)
varnish:
	@command -v varnishd >/dev/null 2>&1 || ( $(SUDO) apt-get install -y varnish varnish-modules || \
		( $(SUDO) apt-get update && $(SUDO) apt-get install -y varnish varnish-modules ) )

## audit: check every pinned dependency against PyPI's vulnerability data (pip-audit; needs network)
audit: $(VENV)/.deps-test
	$(BIN)/pip-audit --strict --progress-spinner off --no-deps --disable-pip \
		-r requirements-test.txt

## bench: the rerunnable benchmark (wrk against gunicorn and Varnish on loopback); BENCH_QUICK=1 for a smoke run
bench: $(VENV)/.deps-run wrk varnish
	$(PY) scripts/bench.py


## wrk: make sure Debian's wrk is installed for the benchmark
wrk:
	@command -v wrk >/dev/null 2>&1 || ( $(SUDO) apt-get install -y wrk || \
		( $(SUDO) apt-get update && $(SUDO) apt-get install -y wrk ) )

## lighthouse: Lighthouse scores (mobile) for the home, focus group and register pages
lighthouse: $(VENV)/.deps-run browser node_modules/.package-lock.json
	$(PY) scripts/lighthouse.py

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

## lock: re-pin every dependency after changing pyproject.toml (then commit both files)
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	$(PYTHON) scripts/pyproject_deps.py > .venv-lock/run.in
	$(PYTHON) scripts/pyproject_deps.py test > .venv-lock/test.in
	.venv-lock/bin/pip install -q -r .venv-lock/run.in
	( echo "# Exact pins for the running site. Ranges live in pyproject.toml; regenerate with 'make lock'."; \
	  .venv-lock/bin/pip freeze ) > requirements.txt
	.venv-lock/bin/pip install -q -r .venv-lock/test.in
	( echo "# Exact pins for tests and tooling, on top of the site's own. Regenerate with 'make lock'."; \
	  echo "-r requirements.txt"; \
	  .venv-lock/bin/pip freeze | grep -vxFf requirements.txt ) > requirements-test.txt
	rm -rf .venv-lock

$(VENV)/.deps-run: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.deps-test: requirements.txt requirements-test.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	@touch $@ $(VENV)/.deps-run

clean:
	rm -rf $(VENV) static_collected var .pytest_cache .ruff_cache

help:
	@grep -E '^## ' Makefile | sed 's/^## /  make /'
