# The workspace's one entry point. `make` (or `make help`) lists the commands.
#
# Learner commands set a fresh machine up by themselves on first use
# (tools/setup/setup.sh --ensure), so a newcomer's first command just works.
# The step tooling lives in tools/course/course.py and tools/course/coursekit/; the contract
# check behind `make test` in tools/checks/contract.py; a step's build in mk/step.mk.

ROOT := $(CURDIR)
PYTHON ?= python3
COURSE := $(PYTHON) tools/course/course.py
DOCS_PORT ?= 8000
MAKEFLAGS += --no-print-directory

# Quick check that the tools are there; installs them when they are not.
ENSURE_CORE = @tools/setup/setup.sh --ensure core
ENSURE_ALL = @tools/setup/setup.sh --ensure all

.DEFAULT_GOAL := help
.PHONY: help setup doctor shared check report class-report hint reset watch memcheck \
        solution test test-tools format format-check docs docs-check docs-sync docs-sync-check docs-stale-check \
        serve-docs clean

help:
	@if command -v $(PYTHON) >/dev/null 2>&1; then $(COURSE) help; else \
	  echo "gRPC in C: run 'make step1' to begin (it installs what it needs first)."; fi

setup:
	@tools/setup/setup.sh

doctor:
	@tools/setup/setup.sh --doctor

# The parts every step shares: the runtime library, the code generator, and
# the generated code of the course's protos. Filled in by lib/ and tools/.
shared:
# Every fragment must exist (include, not -include): a missing one is an error.
include mk/lib.mk
include mk/plugin.mk
include mk/faults.mk
include mk/soak.mk
include mk/fuzz.mk
include mk/interop.mk
include mk/bench.mk
include mk/call.mk
include mk/reflection.mk
include mk/demo.mk
include mk/examples.mk
include mk/i18n.mk
include mk/cluster.mk
include mk/mistakes.mk
include mk/browser.mk
include mk/site.mk
include mk/class.mk

# What `make setup` builds once the packages are there.
shared: cgrpc-lib cgrpc-plugin

# make step1 ... make step7 (also step01, step-design: course.py resolves it).
step%:
	$(ENSURE_CORE)
	@$(COURSE) step $*

step:
	@$(COURSE) step ""

check:
	$(ENSURE_CORE)
	@$(COURSE) check

report:
	$(ENSURE_CORE)
	@$(COURSE) report

# For a teacher: a table of the class from the results.json files of
# `make report` collected in one folder, e.g. make class-report DIR=reports.
class-report:
	@$(COURSE) class-report "$(DIR)"

hint:
	@$(COURSE) hint "$(STEP)"

reset:
	@$(COURSE) reset "$(STEP)"

watch:
	$(ENSURE_CORE)
	@$(COURSE) watch "$(STEP)"

memcheck:
	$(ENSURE_CORE)
	@$(COURSE) memcheck "$(STEP)"

solution:
	$(ENSURE_CORE)
	@SOLUTION=1 $(COURSE) step "$(STEP)"

# The workspace's own suite: the contract of every step, then the runtime,
# code generator, interop and docs suites. Ends with "N passed, M failed".
test:
	$(ENSURE_ALL)
	@$(PYTHON) tools/checks/contract.py $(if $(STEP),$(STEP))

# The tooling's own tests, every tests/workspace/tools/test_*.py: course.py's verdicts,
# reports and class table from canned cmocka output, mk/step.mk's flags
# stamp, and the real steps' builds (a second build compiles nothing).
# Ends with "N passed, M failed".
test-tools:
	@$(PYTHON) tests/workspace/tools/run.py

# The C code's one layout (.clang-format). `make format` lays every C file of
# the project out in place; `make format-check` (part of `make test`) lists
# the files that differ and fails. See tools/checks/format.sh for which files.
format:
	$(ENSURE_ALL)
	@tools/checks/format.sh

format-check:
	@tools/checks/format.sh --check

# The site's links lead to folders (use_directory_urls) and its search fetches
# search/search_index.json, which browsers block for a page opened from disk
# (file://): it is read through `make serve-docs`.
docs:
	$(ENSURE_ALL)
	@$(MAKE) -s browser-deps
	@mkdocs build --strict --quiet -f docs/mkdocs.yml -d $(ROOT)/build/site
	@echo "Lesson site built in build/site/. Read it with 'make serve-docs'."

# Code the lessons show from the tree sits in the pages between include
# markers (tools/checks/docsync.py). docs-sync writes every such block from its
# source, in every language; docs-sync-check (in make test, and the site's
# build) fails when one differs.
docs-sync:
	@$(PYTHON) tools/checks/docsync.py sync

docs-sync-check:
	@$(PYTHON) tools/checks/docsync.py check

# Learner-facing pages promise nothing unwritten ("being written", "TBD",
# "coming soon"): tools/checks/stale_words.py, in make test.
docs-stale-check:
	@$(PYTHON) tools/checks/stale_words.py

docs-check: browser-deps
	@mkdocs build --strict --quiet -f docs/mkdocs.yml -d $(ROOT)/build/site && echo "1 passed, 0 failed"

serve-docs:
	$(ENSURE_ALL)
	@$(MAKE) -s browser-deps
	@echo "Serving the lessons at http://127.0.0.1:$(DOCS_PORT)/  (Ctrl-C stops)"
	@mkdocs serve --quiet -f docs/mkdocs.yml -a 127.0.0.1:$(DOCS_PORT)

clean:
	rm -rf build
