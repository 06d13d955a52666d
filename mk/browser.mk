# mk/browser.mk: the npm packages of tools/browser, pinned by its
# package-lock.json: playwright-core (drives Debian's Chromium for the
# browser tests), puppeteer-core (drives Debian's firefox-esr over WebDriver
# BiDi for the class board's test: Playwright's Firefox is a patched build
# Debian does not ship) and Mermaid (the lessons' diagrams, copied into the
# built site by docs/hooks/diagrams.py).
#
#   make browser-deps   npm ci into tools/browser/node_modules, once (make
#                       setup runs it; make docs and the browser tests ask
#                       for it); offline after that
#
# To take a new package-lock.json: rm -rf tools/browser/node_modules && make browser-deps.
# Included by the top-level Makefile; also works alone from the repo root.

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
ROOT := $(ROOT)

BROWSER_DIR   := $(ROOT)/tools/browser
# npm ci writes node_modules/.package-lock.json last: it stands for the install.
BROWSER_STAMP := $(BROWSER_DIR)/node_modules/.package-lock.json

.PHONY: browser-deps

browser-deps: $(BROWSER_STAMP)
	@:

$(BROWSER_STAMP): $(BROWSER_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "The lesson site needs npm, once, to install Mermaid, playwright-core and puppeteer-core." >&2; \
	  echo "  Install it with: sudo apt-get install nodejs npm   (or: make setup)" >&2; exit 1; }
	@printf '  NPM     tools/browser (npm ci: mermaid, playwright-core, puppeteer-core)\n'
	@cd $(BROWSER_DIR) && npm ci --no-audit --no-fund $(if $(V),,--loglevel=error >/dev/null) || { \
	  echo "npm ci in $(BROWSER_DIR) failed (see above); it needs the npm registry" \
	       "(https://registry.npmjs.org) once." >&2; exit 1; }
	@touch $@
