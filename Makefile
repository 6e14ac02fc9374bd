# `make run` and `make test` work on a fresh machine: uv is bootstrapped into .tools/ when it
# is not on PATH, the environment comes from uv.lock, and the embedded PostgreSQL needs nothing.
SHELL := /bin/bash
.DEFAULT_GOAL := run
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen
SYSTEM_PACKAGES := ffmpeg libchromaprint-tools sox chromium
export UV_LINK_MODE ?= copy

.PHONY: run test lint bench setup system-deps web web-api web-test clean-db

$(CURDIR)/.tools/bin/uv:
	python3 -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet uv

setup: $(UV)
	$(UV) sync --frozen --all-groups

# Media tools the scanner, fingerprints and tests call. Installed when missing and we are root
# (CI, containers); otherwise the message says what to install.
system-deps:
	@missing=""; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v fpcalc >/dev/null || missing="$$missing libchromaprint-tools"; \
	command -v sox >/dev/null || missing="$$missing sox"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "please install:$$missing (Debian: apt-get install $(SYSTEM_PACKAGES))"; exit 1; fi; \
	fi

web:
	@if [ -f web/package.json ]; then cd web && npm ci --no-audit --no-fund && npm run build; fi

# After an API change: refresh the OpenAPI snapshot the web UI's typed client is built from.
web-api: setup
	$(RUN) python -m revenge.openapi_dump

# Vitest (stores, formatting, catalogue checks), then Playwright with Debian's Chromium
# against a real `revenge serve` (web/e2e/). Screenshots land in web/test-results/.
web-test: setup system-deps web
	cd web && npm test
	cd web && REVENGE_UV="$(UV)" npm run e2e

run: setup system-deps web
	$(RUN) revenge serve

lint: setup
	$(RUN) ruff check src tests bench migrations tools
	$(RUN) ruff format --check src tests bench migrations tools
	$(RUN) mypy
	$(RUN) lint-imports

test: setup system-deps lint
	$(RUN) pytest -q -p no:cacheprovider --cov --cov-report=term --cov-fail-under=80 $(PYTEST_ARGS)
	$(MAKE) --no-print-directory web-test

bench: setup system-deps
	@for script in bench/*.py; do echo "== $$script"; $(RUN) python $$script || exit 1; done

clean-db:
	rm -rf data/pg .pytest-pg
