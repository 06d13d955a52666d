# mk/examples.mk: the example programs the reference pages show
# (docs/en/reference/runtime.md), built and run so that a page never shows
# code that does not compile or does not work.
#
#   make -f mk/examples.mk test-doc-examples
#
# Every docs/examples/*.c is a complete program over MyService's generated
# stubs and the cgrpc runtime that checks its own results and exits 0 when
# they hold. Each is compiled with warnings as errors against
# build/lib/libcgrpc.a and the code generated into build/gen, run with a
# time limit, and counted; a program that does not compile counts as failed
# and the others still run. The last line is "N passed, M failed".
#
# DOCEX_WRAP runs each program under a wrapper, e.g. valgrind:
#   make -f mk/examples.mk test-doc-examples \
#        DOCEX_WRAP="valgrind --quiet --leak-check=full --error-exitcode=1 \
#                    --suppressions=tests/common/valgrind.supp"
#
# Works standalone from the repository root or included by another
# makefile that already includes mk/lib.mk and mk/plugin.mk. Output goes
# under build/doc-examples.

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
# Fix the value now: MAKEFILE_LIST changes with every include below.
ROOT := $(ROOT)

# Standalone, `make -f mk/examples.mk` alone runs the examples.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := test-doc-examples
endif

ifndef CGRPC_LIB
include $(ROOT)/mk/lib.mk
endif
ifndef CGRPC_PLUGIN
include $(ROOT)/mk/plugin.mk
endif

DOCEX_DIR     := $(ROOT)/docs/examples
DOCEX_BUILD   := $(ROOT)/build/doc-examples
DOCEX_SRCS    := $(sort $(wildcard $(DOCEX_DIR)/*.c))
DOCEX_CC      ?= $(CC)
DOCEX_TIMEOUT ?= 60
DOCEX_WRAP    ?=
# Deferred (=, not :=): CGRPC_CFLAGS asks pkg-config (a second) on first
# use, so reading the makefiles stays fast for commands that build nothing.
DOCEX_CFLAGS  = -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Wall -Wextra \
                 -I$(CGRPC_GEN_DIR) $(CGRPC_CFLAGS)

# MyService's generated code, compiled once for every example.
DOCEX_GEN_C := $(CGRPC_GEN_DIR)/tutorial/v1/my_service.pb-c.c \
               $(CGRPC_GEN_DIR)/tutorial/v1/my_service.cgrpc.c
DOCEX_GEN_O := $(patsubst $(CGRPC_GEN_DIR)/%.c,$(DOCEX_BUILD)/gen/%.o,$(DOCEX_GEN_C))

$(DOCEX_BUILD)/gen/%.o: $(CGRPC_GEN_DIR)/%.c
	@mkdir -p $(dir $@)
	@printf '  CC   %s\n' '$(subst $(ROOT)/,,$<)'
	@$(DOCEX_CC) $(DOCEX_CFLAGS) -c $< -o $@

.PHONY: test-doc-examples

test-doc-examples: $(DOCEX_GEN_O) $(CGRPC_LIB)
	@mkdir -p $(DOCEX_BUILD)
	@pass=0; fail=0; \
	for src in $(DOCEX_SRCS); do \
	  name=$$(basename $$src .c); bin=$(DOCEX_BUILD)/$$name; \
	  if ! $(DOCEX_CC) $(DOCEX_CFLAGS) -Werror $$src $(DOCEX_GEN_O) \
	         $(CGRPC_LIB) $(CGRPC_LDLIBS) -o $$bin >$$bin.build.log 2>&1; then \
	    echo "FAIL $$name: does not compile"; sed 's/^/    /' $$bin.build.log; \
	    fail=$$((fail + 1)); continue; \
	  fi; \
	  if timeout $(DOCEX_TIMEOUT) $(DOCEX_WRAP) $$bin >$$bin.log 2>&1; then \
	    echo "ok   $$name"; pass=$$((pass + 1)); \
	  else \
	    rc=$$?; echo "FAIL $$name: exit status $$rc"; \
	    tail -n 20 $$bin.log | sed 's/^/    /'; fail=$$((fail + 1)); \
	  fi; \
	done; \
	echo "$$pass passed, $$fail failed"; \
	test $$fail -eq 0
