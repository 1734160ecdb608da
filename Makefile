# Annotera: `make run` sets everything up and starts the app; `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-$(shell sha256sum requirements.txt | cut -c1-16)
MODELS := var/models/tiny.en/model.bin var/models/base/model.bin
SYS_TOOLS := ffmpeg ffprobe espeak-ng sox chromium
SYS_PACKAGES := ffmpeg espeak-ng sox chromium
HOST ?= 127.0.0.1
PORT ?= 8000

export HF_HUB_OFFLINE := 1
export PYANNOTE_METRICS_ENABLED := 0

.PHONY: run setup sysdeps venv models migrate demo demo-annotations test lint bench clean

run: setup migrate demo
	@echo ""
	@echo "  Annotera is starting at http://$(HOST):$(PORT)/  (web server + Celery worker; Ctrl-C stops both)"
	@echo "  Demo logins, password 'annotera-demo': admin, pm, reviewer, annotator"
	@echo ""
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DEBUG=1 PORT=$(PORT) HOST=$(HOST) honcho start -f Procfile

setup: sysdeps venv models

# System packages: installed with apt-get when we can, otherwise a message says what to install.
sysdeps:
	@missing=""; for t in $(SYS_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing system packages:$(SYS_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYS_PACKAGES) >/dev/null; \
	  else \
	    echo "Missing system tools:$$missing"; \
	    echo "Install them with:  sudo apt-get install -y $(SYS_PACKAGES)"; exit 1; \
	  fi; \
	fi

venv: $(STAMP)

# Reinstall only when requirements.txt changes (the stamp's name carries its hash).
$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@rm -f $(VENV)/.requirements-*
	@touch $@

models: $(MODELS)

$(MODELS): $(STAMP)
	$(PY) -m annotation.pipeline.model_store var/models

migrate: venv
	DEBUG=1 $(PY) manage.py migrate --noinput -v0

demo: migrate
	DEBUG=1 $(PY) manage.py load_demo

# Simulated annotators' tags on the demo's ready calls, for trying the QA pages (see README).
demo-annotations: migrate
	DEBUG=1 $(PY) manage.py demo_annotations

test: setup
	DEBUG=1 $(PY) -m pytest $(PYTEST_ARGS)

lint: venv node_modules/.package-lock.json
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	npx --no-install eslint static/annotera

# ESLint for the static ES modules, pinned by package-lock.json (only `make lint` needs Node).
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --prefer-offline

bench: setup
	DEBUG=1 $(PY) benchmarks/ingest.py

clean:
	rm -rf var/celery var/media var/annotera.sqlite3* var/test*.sqlite3*
