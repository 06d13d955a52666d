# mk/i18n.mk: the translated lessons (docs/ko/ beside docs/en/).
#
# Included by the top-level Makefile; also works alone from the repo root:
#
#   make -f mk/i18n.mk test-i18n
#
#   test-i18n    tests/workspace/i18n/test_i18n.py: the drift check's own tests, every
#                translation up to date with its English page (pages not
#                translated yet are listed, not failed), both sites built
#                strictly with the same heading ids and a language menu that
#                leads to the same page, and verdict links in the learner's
#                language. Last line `N passed, M failed`. About 5 s of CPU.
#   i18n-status  every page and its state in each language
#   i18n-check   fails while any English page has no up-to-date translation
#                (also the pages not translated yet); ends `N passed, M failed`
#
# I18N_ARGS=--site build/site makes test-i18n check a site already built (by
# `make docs-check` just before) instead of building its own (saves ~3 s CPU).

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
ROOT := $(ROOT)
I18N_PYTHON ?= python3

.PHONY: test-i18n i18n-status i18n-check

test-i18n:
	@cd $(ROOT) && $(I18N_PYTHON) tests/workspace/i18n/test_i18n.py $(I18N_ARGS)

i18n-status:
	@cd $(ROOT) && $(I18N_PYTHON) tools/checks/i18n.py status

i18n-check:
	@cd $(ROOT) && $(I18N_PYTHON) tools/checks/i18n.py check
