# mk/site.mk: the built lesson site in a real browser.
#
#   make test-site   builds the site (both languages) into build/site, then
#                    tests/workspace/site/test_site.mjs drives Debian's Chromium over it
#                    (headless, through playwright-core): every page loads
#                    with no console error and nothing fetched from outside
#                    127.0.0.1, every diagram is drawn with alt text, nothing
#                    cut off at 1280 px, no sideways scroll at 390 px, search
#                    in both languages, the language menu, the Korean 404.
#                    Screenshots of the step pages go to build/screenshots/.
#                    Last line `N passed, M failed`.
#
# SITE_BUILD=0 tests the site already in build/site (make test builds it just
# before, with docs-check). Needs chromium and tools/browser's npm packages:
# make setup installs both. Included by the top-level Makefile; also works
# alone from the repo root: make -f mk/site.mk test-site.

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
ROOT := $(ROOT)
SITE_BUILD ?= 1
SITE_CHROMIUM ?= /usr/bin/chromium

ifndef BROWSER_STAMP
include $(ROOT)/mk/browser.mk
endif

.PHONY: test-site

test-site: browser-deps
	@test -x $(SITE_CHROMIUM) || { echo "test-site needs Chromium ($(SITE_CHROMIUM)): run make setup" \
	  "(it installs Debian's chromium package)." >&2; echo "0 passed, 1 failed"; exit 1; }
ifneq ($(SITE_BUILD),0)
	@cd $(ROOT) && mkdocs build --strict --quiet -f docs/mkdocs.yml -d $(ROOT)/build/site
endif
	@cd $(ROOT) && node tests/workspace/site/test_site.mjs --site build/site --shots build/screenshots \
	  --chromium $(SITE_CHROMIUM)
