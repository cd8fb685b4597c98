# mailtls.remediation: the two commands are `make run` and `make test`.
# Both set up everything they need first (Debian packages, a virtualenv).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= $(CURDIR)/.venv
PY := $(VENV)/bin/python
BUILD := $(CURDIR)/build
COLLECTIONS := $(BUILD)/collections
COPY := $(COLLECTIONS)/ansible_collections/mailtls/remediation
REPORT_DIR ?= $(CURDIR)/mailtls-report
# ansible-test and ansible-lint keep caches and virtualenvs under $HOME; give them one
# per checkout so two clones on one machine can test at the same time.
TEST_HOME := $(BUILD)/home
ANSIBLE_ENV := ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) ANSIBLE_LOCALHOST_WARNING=false \
	ANSIBLE_INVENTORY_UNPARSED_WARNING=false PATH=$(VENV)/bin:$$PATH
PYTEST_WORKERS ?= 2
# pytest: skip reasons in the summary (-rs), and temporary files under this checkout's build/,
# one folder per suite (pytest empties --basetemp when a session starts).
PYTEST_ARGS := -rs
# Not on a terminal (CI, a pipe): no colour codes from any tool.
ifeq ($(shell test -t 2 && echo tty),)
export NO_COLOR := 1
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0
endif
# pip progress lines of the virtualenvs ansible-test builds on its first run; failures still show.
PIP_NOISE := ^(Collecting |Requirement already|Installing collected|Successfully (installed|uninstalled)|Processing |Looking in links|Using cached pip|\s+(Downloading|Using cached|Attempting uninstall|Found existing|Uninstalling|━))
# The managed host here is this machine: use its own Python (Debian's follows the system
# OpenSSL configuration), not whatever interpreter discovery meets first on PATH.
TARGET_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo $(PY))

.PHONY: run test setup collection dist sanity lint units integration changelog-lint clean help

help:
	@echo "make run    set up, then inventory this machine into ./mailtls-report/"
	@echo "make test   set up, then run sanity, ansible-lint, unit and integration tests"

setup:
	bash hack/bootstrap.sh
	HOME=$(TEST_HOME) bash hack/ansible-test-offline.sh

# A copy of the collection under ansible_collections/mailtls/remediation, made
# of the files git knows about (tracked or not ignored), as ansible-test needs.
collection: setup
	rm -rf $(COPY) && mkdir -p $(COPY)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git ls-files -z --cached --others --exclude-standard | \
	    while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done | \
	    rsync -a --from0 --files-from=- ./ $(COPY)/; \
	else \
	  rsync -a --exclude .venv --exclude build --exclude mailtls-report --exclude tests/output ./ $(COPY)/; \
	fi
	cd $(COPY) && git init -q && git add -A

# The release tarball, with a changelog generated from changelogs/fragments, in build/dist/.
# Needs only ansible-core and antsibull-changelog (from $(VENV) or PATH), not `make setup`.
dist:
	PATH=$(VENV)/bin:$$PATH bash hack/dist.sh . $(BUILD)/dist

run: collection
	$(ANSIBLE_ENV) $(VENV)/bin/ansible-playbook -i localhost, -c local \
	  -e ansible_python_interpreter=$(TARGET_PYTHON) \
	  mailtls.remediation.inventory -e fleet_report_dir=$(REPORT_DIR)
	@echo "report: $(REPORT_DIR)/index.html (the latest run; every kept run is under $(REPORT_DIR)/runs/, latest -> the newest)"
	@ls -1 $(REPORT_DIR)

sanity: collection
	@command -v shellcheck >/dev/null || { echo "shellcheck is not installed (make setup installs it); sanity would skip it" >&2; exit 1; }
	cd $(COPY) && HOME=$(TEST_HOME) $(ANSIBLE_ENV) ansible-test sanity --local --python 3.11 --color no 2>&1 | \
	  { grep -Ev '$(PIP_NOISE)' || true; }

lint: collection
	cd $(COPY) && HOME=$(TEST_HOME) $(ANSIBLE_ENV) ansible-lint --profile production --offline

changelog-lint: setup
	$(VENV)/bin/antsibull-changelog lint

units: setup
	$(PY) -m pytest $(PYTEST_ARGS) --basetemp=$(BUILD)/pytest/units -n $(PYTEST_WORKERS) tests/unit

integration: collection
	$(ANSIBLE_ENV) $(PY) -m pytest $(PYTEST_ARGS) --basetemp=$(BUILD)/pytest/integration tests/integration/live

test: setup sanity lint changelog-lint units integration
	@echo "make test: all suites passed"

clean:
	rm -rf $(BUILD) $(REPORT_DIR) tests/output
