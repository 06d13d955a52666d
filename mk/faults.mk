# mk/faults.mk: fault and security tests of the runtime, run
# against the course's services as finished in step 04.
#
# Included by the top-level Makefile; also works alone from the repo root:
#
#   make -f mk/faults.mk test-faults
#
#   test-faults   build and run every tests/workspace/faults/test_*.c suite; the last
#                 line is `N passed, M failed`, the exit status non-zero
#                 when a test failed
#   faults-bins   only build them
#   test-faults-sanitize
#                 the same suites built with AddressSanitizer and
#                 UndefinedBehaviorSanitizer, over the runtime built the
#                 same way (build/faults-asan; make test runs it).
#                 The step programs the tests start stay plain builds.
#   test-faults-tsan
#                 the same with ThreadSanitizer (build/faults-tsan; also
#                 in make test)
#
# What the suites exercise (docs/en/reference/reliability.md has the list
# and the figures): clients that vanish, cancel or never read; a server
# killed mid-call and restarted; messages over the size limits; deadlines
# that expire before the handler runs; 1,000 concurrent streams; SIGTERM
# under load; TLS and mutual TLS with certificates made at test time; a
# server binding only where it is told.
#
# The services are the step-04 solution's handlers, compiled here from
# steps/04-server (given files) and solutions/04-server (the learner's
# files, solved): nothing is copied. The tests that need a server in
# another process run the step's own program, built by its own makefile
# (make -C steps/04-server SOLUTION=1 <program>).
#
# FT_FILTER='*vanish*' runs only matching tests of each suite. V=1 shows
# command lines; WERROR=1 turns warnings into errors. Output: build/faults.

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
# Fix it now: the includes below change $(lastword $(MAKEFILE_LIST)).
ROOT := $(ROOT)

ifndef CGRPC_LIB
include $(ROOT)/mk/lib.mk
endif
ifndef CGRPC_PLUGIN
include $(ROOT)/mk/plugin.mk
endif

FT_DIR     := $(ROOT)/tests/workspace/faults
# A variant sets these three: where it builds, its extra compiler and linker
# flags, the runtime library it links (test-faults-sanitize below).
FT_BUILD   ?= $(ROOT)/build/faults
FT_SAN     ?=
FT_LIB     ?= $(CGRPC_LIB)
FT_S04     := $(ROOT)/steps/04-server
FT_S04_SOL := $(ROOT)/solutions/04-server
FT_S04_T   := $(ROOT)/tests/04-server
# The step-04 solution's server program (mk/step.mk names it after the step).
FT_SERVER_DIR := $(ROOT)/build/steps/04-server/solution
FT_SERVER  := $(FT_SERVER_DIR)/server
# The step-07 solution's program: health, the lame duck, the drain.
FT_S07_SERVER := $(ROOT)/build/steps/07-deploy/solution/server

FT_SUITES  := $(sort $(patsubst test_%.c,%,$(notdir $(wildcard $(FT_DIR)/test_*.c))))
FT_BINS    := $(patsubst %,$(FT_BUILD)/test_%,$(FT_SUITES))
FT_CLIENT  := $(FT_BUILD)/ft_client

# The step's files other than main.c, each from solutions/ when the learner
# edits it there, else from steps/.
FT_S04_C   := $(filter-out main.c,$(sort $(notdir $(wildcard $(FT_S04)/*.c))))
ft_s04_src  = $(if $(wildcard $(FT_S04_SOL)/$(1)),$(FT_S04_SOL)/$(1),$(FT_S04)/$(1))
FT_S04_OBJS := $(patsubst %.c,$(FT_BUILD)/s04/%.o,$(FT_S04_C))

FT_GEN_OBJS := $(patsubst $(CGRPC_GEN_DIR)/%.c,$(FT_BUILD)/gen/%.o,$(COURSE_GEN_SRCS))
FT_COMMON   := $(ROOT)/tests/common
FT_HELPERS  := $(FT_BUILD)/t/ft_util.o $(FT_BUILD)/t/proc.o $(FT_BUILD)/t/testutil.o

ft_pc = $(eval $(1) := $(shell pkg-config $(2)))$($(1))
FT_CFLAGS   = $(CGRPC_WARN) $(CGRPC_OPT) $(FT_SAN) $(CGRPC_CFLAGS) -I$(CGRPC_GEN_DIR) \
              -I$(FT_S04_SOL) -I$(FT_S04) -I$(FT_S04_T) -I$(FT_DIR) -I$(FT_COMMON) -I$(ROOT)/lib/src \
              -DSTEP_BUILD_DIR='"$(FT_SERVER_DIR)"' -DFT_DIR='"$(FT_DIR)"' \
              -DFT_CLIENT='"$(FT_CLIENT)"' -DFT_S07_SERVER='"$(FT_S07_SERVER)"' $(call ft_pc,ft_pc_cflags,--cflags cmocka)
FT_LDLIBS   = $(CGRPC_LDLIBS) $(call ft_pc,ft_pc_libs,--libs cmocka)

ft_q   = $(if $(V),,@)
ft_say = $(if $(V),@:,@printf '  %-4s %s\n' $(1) $(subst $(ROOT)/,,$(2)))

.PHONY: test-faults faults-bins ft-server test-faults-sanitize test-faults-tsan

test-faults: faults-bins
	@echo "fault and security tests (tests/workspace/faults)$(if $(FT_SAN), built with $(FT_SAN))"
	@sh $(ROOT)/tests/workspace/runtime/run.sh -- $(FT_BINS)

# The same suites over the runtime's own sanitizer builds (mk/lib.mk),
# with its flags and settings: a sanitizer's report stops the suite, which
# then counts as failed; ASan's leak check runs at each suite's exit. gRPC
# core is not built with TSan: only what was instrumented (the runtime, the
# services, the tests) is checked, as in the runtime's TSan run.
# ft_variant(environment, build dir, flags, library)
ft_variant = @$(1) $(MAKE) --no-print-directory -f $(ROOT)/mk/faults.mk ROOT=$(ROOT) \
               FT_BUILD=$(ROOT)/build/$(2) FT_SAN="$(3)" FT_LIB=$(4) test-faults

test-faults-sanitize: $(CGRT_asan_LIB)
	$(call ft_variant,$(CGRT_ASAN_ENV),faults-asan,$(CGRT_ASAN_FLAGS),$(CGRT_asan_LIB))

test-faults-tsan: $(CGRT_tsan_LIB)
	$(call ft_variant,$(CGRT_TSAN_ENV),faults-tsan,$(CGRT_TSAN_FLAGS),$(CGRT_tsan_LIB))

faults-bins: $(FT_BINS) $(FT_CLIENT) ft-server

# The step's own makefile builds its program; it knows when it is stale.
ft-server:
	$(ft_q)$(MAKE) --no-print-directory -s -C $(FT_S04) SOLUTION=1 $(FT_SERVER)
	$(ft_q)$(MAKE) --no-print-directory -s -C $(ROOT)/steps/07-deploy SOLUTION=1 $(FT_S07_SERVER)

define ft_s04_rule
$(FT_BUILD)/s04/$(1:.c=.o): $(call ft_s04_src,$(1)) $(wildcard $(FT_S04)/*.h) \
                            $(CGRPC_HDRS) | $(COURSE_GEN_HDRS)
	@mkdir -p $$(dir $$@)
	$$(call ft_say,CC,$$<)
	$$(ft_q)$(CGRPC_CC) $$(FT_CFLAGS) -c $$< -o $$@
endef
$(foreach f,$(FT_S04_C),$(eval $(call ft_s04_rule,$(f))))

$(FT_BUILD)/gen/%.o: $(CGRPC_GEN_DIR)/%.c
	@mkdir -p $(dir $@)
	$(call ft_say,CC,$<)
	$(ft_q)$(CGRPC_CC) -std=c11 $(CGRPC_OPT) $(FT_SAN) $(CGRPC_CFLAGS) -I$(CGRPC_GEN_DIR) -c $< -o $@

$(FT_BUILD)/t/%.o: $(FT_DIR)/%.c $(FT_DIR)/ft_util.h $(FT_COMMON)/testutil.h $(CGRPC_HDRS) | $(COURSE_GEN_HDRS)
	@mkdir -p $(dir $@)
	$(call ft_say,CC,$<)
	$(ft_q)$(CGRPC_CC) $(FT_CFLAGS) -c $< -o $@

# The helpers every suite shares (tests/common/testutil.h).
$(FT_BUILD)/t/testutil.o: $(FT_COMMON)/testutil.c $(FT_COMMON)/testutil.h $(CGRPC_HDRS)
	@mkdir -p $(dir $@)
	$(call ft_say,CC,$<)
	$(ft_q)$(CGRPC_CC) $(FT_CFLAGS) -c $< -o $@

$(FT_BUILD)/t/proc.o: $(FT_S04_T)/proc.c $(FT_S04_T)/proc.h
	@mkdir -p $(dir $@)
	$(call ft_say,CC,$<)
	$(ft_q)$(CGRPC_CC) $(FT_CFLAGS) -c $< -o $@

$(FT_BUILD)/test_%: $(FT_BUILD)/t/test_%.o $(FT_HELPERS) $(FT_S04_OBJS) $(FT_GEN_OBJS) $(FT_LIB)
	$(call ft_say,LD,$@)
	$(ft_q)$(CGRPC_CC) $(CGRPC_OPT) $(FT_SAN) $^ $(FT_LDLIBS) -o $@

# A client program the tests start and kill: a client that vanishes.
$(FT_CLIENT): $(FT_BUILD)/t/ft_client.o $(FT_GEN_OBJS) $(FT_LIB)
	$(call ft_say,LD,$@)
	$(ft_q)$(CGRPC_CC) $(CGRPC_OPT) $(FT_SAN) $^ $(CGRPC_LDLIBS) -o $@

.SECONDARY: $(FT_S04_OBJS) $(FT_GEN_OBJS) $(FT_HELPERS) \
            $(patsubst %,$(FT_BUILD)/t/test_%.o,$(FT_SUITES)) $(FT_BUILD)/t/ft_client.o
