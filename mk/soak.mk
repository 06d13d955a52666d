# mk/soak.mk: the soak test: a long mixed load against the step-04
# server program, its memory sampled every second (see soak.c for the mix
# and the verdict).
#
# Included by the top-level Makefile; also works alone from the repo root:
#
#   make -f mk/soak.mk soak         SOAK_CALLS calls (200,000) from
#                                           SOAK_THREADS threads (4); prints
#                                           the RSS table and a verdict
#   make -f mk/soak.mk soak-short   SOAK_SHORT_CALLS calls (5,000)
#                                           with the server AND the client
#                                           under valgrind: no leak, no error
#   make -f mk/soak.mk soak-bins    only build
#
# Both exit non-zero when the verdict is FAIL. Neither is part of `make
# test`: the full run takes about a minute on two cores, the valgrind run
# about as long. Output: build/soak (valgrind logs included).

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
# Fix it now: the includes below change $(lastword $(MAKEFILE_LIST)).
ROOT := $(ROOT)

ifndef CGRPC_LIB
include $(ROOT)/mk/lib.mk
endif
ifndef CGRPC_PLUGIN
include $(ROOT)/mk/plugin.mk
endif

SOAK_DIR        := $(ROOT)/tests/workspace/soak
SOAK_BUILD      := $(ROOT)/build/soak
SOAK_BIN        := $(SOAK_BUILD)/soak
SOAK_S04        := $(ROOT)/steps/04-server
# The plain build (no sanitizers): the soak measures its memory, and
# soak-short runs it under valgrind.
SOAK_SERVER_DIR := $(ROOT)/build/steps/04-server/solution-plain
SOAK_SERVER     := $(SOAK_SERVER_DIR)/server

SOAK_CALLS       ?= 200000
SOAK_THREADS     ?= 4
SOAK_SHORT_CALLS ?= 5000

SOAK_VALGRIND := valgrind --leak-check=full --show-leak-kinds=definite,possible \
                 --errors-for-leak-kinds=definite,possible --error-exitcode=1 \
                 --suppressions=$(ROOT)/tests/common/valgrind.supp

SOAK_GEN_OBJS := $(patsubst $(CGRPC_GEN_DIR)/%.c,$(SOAK_BUILD)/gen/%.o,$(COURSE_GEN_SRCS))
SOAK_CFLAGS    = $(CGRPC_WARN) $(CGRPC_OPT) $(CGRPC_CFLAGS) -I$(CGRPC_GEN_DIR) \
                 -I$(ROOT)/tests/04-server -I$(ROOT)/tests/common \
                 -DSTEP_BUILD_DIR='"$(SOAK_SERVER_DIR)"'

soak_q   = $(if $(V),,@)
soak_say = $(if $(V),@:,@printf '  %-4s %s\n' $(1) $(subst $(ROOT)/,,$(2)))

.PHONY: soak soak-short soak-bins soak-server

soak: soak-bins
	$(SOAK_BIN) --server $(SOAK_SERVER) --calls $(SOAK_CALLS) --threads $(SOAK_THREADS)

# The client under valgrind (its own log), and through --wrap the server too.
soak-short: soak-bins
	@rm -f $(SOAK_BUILD)/client-valgrind.log $(SOAK_BUILD)/server-valgrind.log
	@$(SOAK_VALGRIND) --log-file=$(SOAK_BUILD)/client-valgrind.log \
	  $(SOAK_BIN) --server $(SOAK_SERVER) --calls $(SOAK_SHORT_CALLS) \
	  --threads $(SOAK_THREADS) \
	  --wrap "$(SOAK_VALGRIND) --log-file=$(SOAK_BUILD)/server-valgrind.log"; \
	rc=$$?; \
	for side in client server; do \
	  echo "valgrind, $$side (build/soak/$$side-valgrind.log):"; \
	  grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|All heap blocks' \
	    $(SOAK_BUILD)/$$side-valgrind.log | sed 's/^==[0-9]*== /  /'; \
	done; \
	if [ $$rc -eq 0 ]; then echo "soak-short: PASS (no wrong answer, no leak, no memory error)"; \
	else echo "soak-short: FAIL (exit $$rc: see the verdict and the logs above)"; fi; \
	exit $$rc

soak-bins: $(SOAK_BIN) soak-server

# The step's own makefile builds its program; it knows when it is stale.
soak-server:
	$(soak_q)$(MAKE) --no-print-directory -s -C $(SOAK_S04) SOLUTION=1 SANITIZE=none $(SOAK_SERVER)

$(SOAK_BUILD)/gen/%.o: $(CGRPC_GEN_DIR)/%.c
	@mkdir -p $(dir $@)
	$(call soak_say,CC,$<)
	$(soak_q)$(CGRPC_CC) -std=c11 $(CGRPC_OPT) $(CGRPC_CFLAGS) -I$(CGRPC_GEN_DIR) -c $< -o $@

$(SOAK_BUILD)/soak.o: $(SOAK_DIR)/soak.c $(ROOT)/tests/common/testutil.h $(CGRPC_HDRS) | $(COURSE_GEN_HDRS)
	@mkdir -p $(dir $@)
	$(call soak_say,CC,$<)
	$(soak_q)$(CGRPC_CC) $(SOAK_CFLAGS) -c $< -o $@

$(SOAK_BUILD)/proc.o: $(ROOT)/tests/04-server/proc.c $(ROOT)/tests/04-server/proc.h
	@mkdir -p $(dir $@)
	$(call soak_say,CC,$<)
	$(soak_q)$(CGRPC_CC) $(SOAK_CFLAGS) -c $< -o $@

# The helpers every suite shares (tests/common/testutil.h).
$(SOAK_BUILD)/testutil.o: $(ROOT)/tests/common/testutil.c $(ROOT)/tests/common/testutil.h $(CGRPC_HDRS)
	@mkdir -p $(dir $@)
	$(call soak_say,CC,$<)
	$(soak_q)$(CGRPC_CC) $(SOAK_CFLAGS) -c $< -o $@

$(SOAK_BIN): $(SOAK_BUILD)/soak.o $(SOAK_BUILD)/proc.o $(SOAK_BUILD)/testutil.o $(SOAK_GEN_OBJS) $(CGRPC_LIB)
	$(call soak_say,LD,$@)
	$(soak_q)$(CGRPC_CC) $(CGRPC_OPT) $^ $(CGRPC_LDLIBS) -o $@

.SECONDARY: $(SOAK_GEN_OBJS) $(SOAK_BUILD)/soak.o $(SOAK_BUILD)/proc.o $(SOAK_BUILD)/testutil.o
