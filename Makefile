# perfcycle: every target creates what it needs itself (venv, Debian tools).
# `make generate` writes the bundle from spec/kpis.yaml; `make test` runs every test.

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
SPEC        ?= spec/kpis.yaml
DEB_PACKAGES := prometheus prometheus-alertmanager prometheus-node-exporter
STAMP       := $(VENV)/.installed

.PHONY: all venv deps generate check validate test unit lint bench bench-rules clean up down status e2e

# The live stack (docs/stack.md): the fast profile by default, so alerts fire in seconds.
# The overlay alone sets every interval; STACK_FLAGS overrides them (e.g. --scrape-interval 15s).
STACK_OVERLAY ?= spec/overlays/fast.yaml
STACK_FLAGS   ?=

all: generate

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The real tools come from Debian packages: installed when root and missing, else explained.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "missing Debian packages:$$missing"; \
		echo "install them with: sudo apt-get install$$missing"; \
		echo "(elsewhere: download prometheus, alertmanager and node_exporter from prometheus.io/download and put promtool, amtool on PATH)"; \
		exit 1; \
	fi

generate: venv deps
	$(VENV)/bin/perfcycle generate --spec $(SPEC)

validate: venv deps
	$(VENV)/bin/perfcycle validate --spec $(SPEC)

check: venv deps
	$(VENV)/bin/perfcycle check --spec $(SPEC)

test: venv deps
	$(VENV)/bin/perfcycle check --spec $(SPEC)
	$(PY) -m pytest -q

unit: venv deps
	$(PY) -m pytest -q -m "not slow"

lint: venv deps
	$(VENV)/bin/perfcycle lint --spec $(SPEC)

up: venv deps
	$(VENV)/bin/perfcycle stack up --spec $(SPEC) $(if $(STACK_OVERLAY),--overlay $(STACK_OVERLAY)) $(STACK_FLAGS)

down: venv
	$(VENV)/bin/perfcycle stack down

status: venv
	$(VENV)/bin/perfcycle stack status

e2e: venv deps
	$(PY) -m pytest -q tests/e2e

bench: venv deps
	$(PY) bench/generate.py
	$(PY) bench/rules.py

# Rule evaluation cost in a real Prometheus over 10,000 series (about 4 minutes).
bench-rules: venv deps
	$(PY) bench/rules.py

clean:
	rm -rf $(VENV) .pytest_cache
