# perfcycle: every target creates what it needs itself (venv, Debian tools).
# `make generate` writes the bundle from spec/kpis.yaml; `make test` runs every test.

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
SPEC        ?= spec/kpis.yaml
DEB_PACKAGES := prometheus prometheus-alertmanager prometheus-node-exporter
STAMP       := $(VENV)/.installed

.PHONY: all venv venv-deps deps generate check validate test unit lint bench bench-rules clean up down status e2e

# The live stack (docs/stack.md): the fast profile by default, so alerts fire in seconds.
# The overlay alone sets every interval; STACK_FLAGS overrides them (e.g. --scrape-interval 15s).
STACK_OVERLAY ?= spec/overlays/fast.yaml
STACK_FLAGS   ?=

all: generate

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c "import ensurepip, venv" 2>/dev/null || $(MAKE) --no-print-directory venv-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# `python3 -m venv` needs ensurepip, which bare Debian ships apart in python3-venv:
# installed when root, else explained (the venv target calls this only when it is missing).
venv-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing: python3-venv ($(PYTHON) -m venv needs ensurepip)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; \
	else \
		echo "$(PYTHON) -m venv needs ensurepip: install it with: sudo apt-get install python3-venv"; \
		exit 1; \
	fi

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
