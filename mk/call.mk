# mk/call.mk: `make call`, calling a running course server by hand from
# the command line (like grpcurl), with `buf curl` from the npm package
# @bufbuild/buf. The schema comes from the server through server reflection;
# the course protos in proto/ give the examples, and the schema for a server
# without reflection.
#
#   make call METHOD=MyService/UnaryCall DATA='{"id":"test-123"}' [ADDR=127.0.0.1:50051]
#   make call           the course's methods, each with a one-line example
#   make call LIST=1 [ADDR=...]  what a running server serves, asked through
#                       server reflection (no .proto needed)
#   make call-list      services and methods of the course protos, with their
#                       request messages
#   make call-deps      npm ci into tools/call/node_modules (done by itself when missing)
#   make test-call      calls a real server (bench/c/bench_server.c) through
#                       `make call`; last line `N passed, M failed`
#
# METHOD may be pkg.Service/Method, Service/Method or /pkg.Service/Method.
# DATA is JSON (default {}); for a stream of requests several JSON objects,
# DATA=@file, or DATA=@- to type them (Ctrl-D ends). CALL_TIMEOUT (seconds,
# default 10, none with DATA=@-; 0 = no limit), CALL_ARGS (more buf curl
# flags, e.g. CALL_ARGS=-v), V=1 shows the command lines. See
# docs/en/reference/calling-by-hand.md.
#
# Included by the top-level Makefile; also works alone from the repo root:
# `make -f mk/call.mk call ...`. buf's cache goes under build/call.

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
# Fix the value now: MAKEFILE_LIST changes with every later include.
ROOT := $(ROOT)

ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := call
endif

CALL_PYTHON  ?= $(or $(PYTHON),python3)
CALL_DIR     ?= $(ROOT)/tools/call
CALL_BUILD   := $(ROOT)/build/call
CALL_SCHEMA  ?= $(ROOT)/proto
CALL_TIMEOUT ?=
CALL_ARGS    ?=
# npm ci writes node_modules/.package-lock.json last: it stands for the install.
CALL_STAMP   := $(CALL_DIR)/node_modules/.package-lock.json

CALL_Q    := $(if $(V),,@)
CALL_ECHO := $(if $(V),@:,@printf)

# One shell word holding a make value as it was given (no $ expansion):
# METHOD, DATA and ADDR come from the command line with JSON quotes in them.
# A newline would split the recipe line: it becomes a space (the same to JSON
# between messages, and JSON strings cannot hold a raw newline anyway).
define call_nl


endef
call_arg = '$(subst $(call_nl), ,$(subst ','\'',$(value $(1))))'

CALL_TOOL = $(CALL_PYTHON) $(ROOT)/tools/call/call.py --deps-dir $(CALL_DIR) \
            --schema $(CALL_SCHEMA) --cache-dir $(CALL_BUILD)/buf-cache $(if $(V),--verbose)

.PHONY: call call-list call-deps test-call

# Only what was given goes to call.py, which knows the defaults.
CALL_OPTS = $(if $(value METHOD),--method=$(call call_arg,METHOD)) \
            $(if $(filter-out 0,$(value LIST)),--list) \
            $(if $(filter undefined,$(origin DATA)),,--data=$(call call_arg,DATA)) \
            $(if $(value ADDR),--addr=$(call call_arg,ADDR)) \
            $(if $(value CALL_TIMEOUT),--timeout=$(call call_arg,CALL_TIMEOUT)) \
            $(if $(value CALL_ARGS),--extra=$(call call_arg,CALL_ARGS))

call: $(CALL_STAMP)
	$(CALL_Q)$(CALL_TOOL) call $(strip $(CALL_OPTS))

call-list: $(CALL_STAMP)
	$(CALL_Q)$(CALL_TOOL) list

call-deps: $(CALL_STAMP)
	@:

# Installed only when missing. To take a new package-lock.json:
# rm -rf tools/call/node_modules && make call-deps.
$(CALL_STAMP):
	@command -v npm >/dev/null 2>&1 || { \
	  echo "make call needs npm, once, to install buf (npm package @bufbuild/buf)." >&2; \
	  echo "  Install it with: sudo apt-get install nodejs npm   (or: make setup)" >&2; \
	  echo "  then run your make call command again." >&2; exit 1; }
	$(CALL_ECHO) '  NPM     tools/call (npm ci: @bufbuild/buf)\n'
	$(CALL_Q)cd $(CALL_DIR) && npm ci --no-audit --no-fund $(if $(V),,--loglevel=error >/dev/null) || { \
	  echo "make call: npm ci in $(CALL_DIR) failed (see above); it needs the npm registry" \
	       "(https://registry.npmjs.org) once." >&2; exit 1; }
	$(CALL_Q)test -f $@ || touch $@

# The test calls the bench's C server (mk/bench.mk builds it), or the
# server given as CALL_TEST_SERVER=path (it must serve tutorial.v1.MyService
# like bench/c/bench_server.c and take --listen HOST:PORT).
CALL_TEST_SERVER ?=

test-call: $(CALL_STAMP)
ifeq ($(CALL_TEST_SERVER),)
	$(CALL_Q)$(MAKE) --no-print-directory -s -C $(ROOT) -f mk/bench.mk bench-c
endif
	$(CALL_Q)$(CALL_PYTHON) $(ROOT)/tests/workspace/call/test_call.py \
	  $(if $(CALL_TEST_SERVER),--server $(call call_arg,CALL_TEST_SERVER))
