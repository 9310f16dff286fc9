# Refund Requests API - developer and CI entry points (GNU make).
# `make` or `make help` lists the targets. Works from a fresh clone: the two
# virtualenvs are built on first use and only rebuilt when their inputs change.
#   .venv      project + dev tools (python3 -m venv; pip install -e ".[dev]")
#   .venv-sam  SAM CLI and cfn-lint, kept apart because their pins slow `import boto3`
#   .venv-checkov  checkov, apart too: its own pins clash with SAM CLI's

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-builtin-variables

# The project's Python: 3.13 (the Lambda runtime) when pyenv or PATH has it,
# so tests and local workers run what Lambda runs; else any python3 >= 3.11.
PYTHON ?= $(or $(PY313),python3)

# SAM CLI and cfn-lint, exact versions (aws-sam-cli 1.170.0 accepts cfn-lint >=1.52,<1.59).
# Changing a pin changes the stamp's name, so the next run reinstalls.
SAM_CLI_VERSION  := 1.170.0
CFN_LINT_VERSION := 1.58.0
CHECKOV_VERSION  := 3.3.30

# Python 3.13 (the Lambda runtime): from pyenv when it has one, else python3.13
# on PATH. `sam build` needs it on PATH to build the python3.13 functions without
# Docker; the layer (shared/Makefile) is built and compiled with .venv-sam's
# Python (LAYER_PYTHON: 3.13 when PY313 is found; shared/Makefile refuses another).
# Override with PY313=/path/to/python3.13.
PYENV_ROOT ?= $(HOME)/.pyenv
ifeq ($(origin PY313),undefined)
PY313 := $(or $(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/3.13.*/bin/python3.13))),$(shell command -v python3.13 2>/dev/null))
endif
SAM_PYTHON ?= $(or $(PY313),$(PYTHON))

AWS_REGION ?= us-east-1
TEMPLATE   := template.yaml

VENV       := .venv
VENV_STAMP := $(VENV)/.installed
SAM_VENV   := .venv-sam
SAM_STAMP  := $(SAM_VENV)/.installed-sam-$(SAM_CLI_VERSION)-cfn-lint-$(CFN_LINT_VERSION)
SAM        := $(SAM_VENV)/bin/sam
CFN_LINT   := $(SAM_VENV)/bin/cfn-lint
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-checkov-$(CHECKOV_VERSION)
CHECKOV       := $(CHECKOV_VENV)/bin/checkov
# checkov reads no Fn::ForEach: it scans the template as CloudFormation expands it.
EXPANDED_TEMPLATE := .aws-sam/checkov/template.json

LINT_PATHS := $(wildcard shared functions localrun tests scripts bench)

# axe-core for the console's accessibility test (tests/browser), from the npm
# registry at the version package-lock.json pins; `make run` needs no Node.
AXE_STAMP := tests/browser/node_modules/.installed

# `make invoke` without FN or EVENT stops before building anything.
ifneq ($(filter invoke,$(MAKECMDGOALS)),)
ifeq ($(and $(FN),$(EVENT)),)
$(error usage: make invoke FN=<LogicalId> EVENT=events/<file>.json (e.g. FN=CreateRefundFunction EVENT=events/create_refund.json))
endif
endif

# No usage data leaves the machine, and no credential lookup hangs on the
# instance metadata endpoint.
export SAM_CLI_TELEMETRY := 0
export AWS_EC2_METADATA_DISABLED := true

.PHONY: help venv sam-venv checkov-venv run test test-unit test-integration test-browser screenshots load bench invoke lint template-check build deploy deploy-console admin docs clean distclean

help: ## list the targets
	@echo "Refund Requests API - make targets:"
	@grep -E '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  %-18s %s\n", $$1, $$2}'
	@echo "Variables: PORT (run), PYTEST_ARGS TEST_WORKERS (test*), FN EVENT (invoke), ARGS (admin, load, deploy-console), QUICK=1 (bench), GUIDED=0 (deploy)"

# ------------------------------------------------------------ virtualenvs
venv: $(VENV_STAMP) ## create .venv (project + dev tools)

# pip's own output, cut down to one line per package as it is fetched, so a
# first `make run` shows what it is doing rather than a minute of silence.
PIP_PROGRESS := awk '/^Collecting / { printf "  %3d %s\n", ++n, $$2; fflush() } \
  /^Installing collected packages/ { print "  installing them (the last step, up to a minute, says nothing)..."; fflush() }'

$(VENV_STAMP): pyproject.toml
	@echo "Setting up $(VENV) with $(PYTHON): the project's dependencies and dev tools from pyproject.toml (about 90 packages)."
	@echo "The first time takes one to two minutes, mostly downloads; later runs reuse it."
	@SECONDS=0; \
	[ -x $(VENV)/bin/python ] || $(PYTHON) -m venv $(VENV); \
	$(VENV)/bin/pip install --progress-bar off -e ".[dev]" | $(PIP_PROGRESS); \
	echo "$(VENV) ready in $${SECONDS} s."
	@touch $@

sam-venv: $(SAM_STAMP) ## create .venv-sam (SAM CLI + cfn-lint, Python 3.13 when available)

$(SAM_STAMP):
	@if [ -z "$(PY313)" ]; then echo "warning: no Python 3.13 found (pyenv or PATH); building $(SAM_VENV) with $(PYTHON)" >&2; fi
	@echo "Setting up $(SAM_VENV): SAM CLI $(SAM_CLI_VERSION) and cfn-lint $(CFN_LINT_VERSION) (once; a minute or two)."
	$(SAM_PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --progress-bar off --quiet \
	  aws-sam-cli==$(SAM_CLI_VERSION) cfn-lint==$(CFN_LINT_VERSION)
	@rm -f $(SAM_VENV)/.installed-sam-*
	@touch $@
	@$(SAM) --version && $(CFN_LINT) --version

checkov-venv: $(CHECKOV_STAMP) ## create .venv-checkov (checkov, for template-check)

$(CHECKOV_STAMP):
	@echo "Setting up $(CHECKOV_VENV): checkov $(CHECKOV_VERSION) (once; a minute or two)."
	$(SAM_PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --progress-bar off --quiet checkov==$(CHECKOV_VERSION)
	@rm -f $(CHECKOV_VENV)/.installed-checkov-*
	@touch $@
	@$(CHECKOV) --version

$(AXE_STAMP): tests/browser/package-lock.json
	@command -v npm >/dev/null || { echo "error: the browser tests need npm (Node.js) for axe-core: apt-get install -y npm" >&2; exit 1; }
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	@touch $@

# ------------------------------------------------------------ local work
run: $(VENV_STAMP) ## serve the API and the console locally (PORT=... passes through)
	$(VENV)/bin/python -m localrun serve

# pytest-xdist workers for the test targets: each runs whole test files
# (--dist loadfile: a module's fixtures stay in one process) on a local runtime
# of its own. TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2

# pytest on $(1) (every test folder when empty) and PYTEST_ARGS; an empty run
# (exit 5) is the failure it is, said so.
define run_pytest
	@rc=0; $(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(1) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then \
	  echo "" >&2; \
	  echo "*** make $@ FAILED: pytest collected no tests (exit 5). An empty test run is a failure. ***" >&2; \
	fi; \
	exit $$rc
endef

test: $(VENV_STAMP) $(AXE_STAMP) ## run every test: unit, packaging, integration, contract, browser (extra pytest args: PYTEST_ARGS="-k foo -x")
	$(call run_pytest,)

test-unit: $(VENV_STAMP) ## the unit tests alone (tests/unit: in process, under a minute)
	$(call run_pytest,tests/unit)

test-integration: $(VENV_STAMP) ## the tests over HTTP against the local runtime (tests/integration, tests/contract)
	$(call run_pytest,tests/integration tests/contract)

test-browser: $(VENV_STAMP) $(AXE_STAMP) ## the refund console in Chromium (tests/browser; needs chromium: docs/console.md)
	$(call run_pytest,tests/browser)

screenshots: $(VENV_STAMP) ## docs/console-queue.png and docs/console-request.png, from a runtime of its own
	$(VENV)/bin/python scripts/console_screenshots.py

load: $(VENV_STAMP) ## load test (at most 60 s, loopback) on a runtime of its own; figures to docs/benchmarks.md (ARGS="...")
	$(VENV)/bin/python scripts/load_test.py --write-doc docs/benchmarks.md $(ARGS)

bench: $(VENV_STAMP) ## measure cold starts, round trips, warm CPU, layer size, RSS: bench/results.json + docs/benchmarks.md (QUICK=1: CI's quick run)
	$(VENV)/bin/python -m bench $(if $(filter 1 true yes,$(QUICK)),--quick)

invoke: $(VENV_STAMP) ## invoke one function locally: FN=<LogicalId> EVENT=events/<file>.json
	$(VENV)/bin/python -m localrun invoke $(FN) $(EVENT)

lint: $(VENV_STAMP) ## ruff check on the Python sources
	$(VENV)/bin/ruff check $(LINT_PATHS)

admin: $(VENV_STAMP) ## run scripts/admin.py (ARGS="...")
	$(VENV)/bin/python scripts/admin.py $(ARGS)

docs: $(VENV_STAMP) ## regenerate the docs (scripts/gen_docs.py)
	$(VENV)/bin/python scripts/gen_docs.py

# ------------------------------------------------------------ SAM
# cfn-lint with its informational rules too (I3011: what holds data says what
# becomes of it). checkov: .checkov.yaml lists every check skipped and why;
# nothing leaves the machine. .venv (for `localrun expand`) is made when
# missing, not brought up to date from here.
template-check: $(SAM_STAMP) $(CHECKOV_STAMP) $(if $(wildcard $(VENV_STAMP)),,$(VENV_STAMP)) ## sam validate --lint, cfn-lint and checkov on template.yaml (no AWS credentials needed)
	$(SAM) validate --lint --template $(TEMPLATE) --region $(AWS_REGION)
	$(CFN_LINT) --include-checks I -- $(TEMPLATE)
	@mkdir -p $(dir $(EXPANDED_TEMPLATE))
	$(VENV)/bin/python -m localrun expand $(TEMPLATE) > $(EXPANDED_TEMPLATE)
	$(CHECKOV) --config-file .checkov.yaml --file $(EXPANDED_TEMPLATE)

build: $(SAM_STAMP) ## sam build (arm64, python3.13, no Docker; cached + parallel via samconfig.toml)
	@if [ -z "$(PY313)" ]; then \
	  echo "error: sam build needs python3.13 (the functions' runtime) on PATH; install it with pyenv (pyenv install 3.13.0)" >&2; \
	  exit 1; \
	fi
	PATH="$(patsubst %/,%,$(dir $(PY313))):$$PATH" LAYER_PYTHON="$(CURDIR)/$(SAM_VENV)/bin/python" \
	  $(SAM) build --template $(TEMPLATE)

deploy: build ## build, then sam deploy --guided (GUIDED=0: plain deploy with samconfig.toml)
	$(SAM) deploy $(if $(filter 0,$(GUIDED)),,--guided)

# Not a sam command: the files are the app's, the bucket and the API's URL the
# deployed stack's outputs (boto3, your AWS credentials). ARGS="--stack ... --region ...".
deploy-console: $(VENV_STAMP) ## upload console/ to the deployed stack's bucket with its config.json, then invalidate CloudFront
	$(VENV)/bin/python scripts/deploy_console.py $(ARGS)

# ------------------------------------------------------------ cleanup
clean: ## remove build output and caches (keeps the virtualenvs)
	rm -rf .aws-sam .pytest_cache .ruff_cache .hypothesis .mypy_cache .coverage htmlcov *.egg-info
	find . \( -path ./.git -o -path './.venv*' \) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean ## clean, and remove .venv and .venv-sam
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) tests/browser/node_modules
