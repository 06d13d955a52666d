# mk/fuzz.mk: libFuzzer targets for the runtime's codec, the protoc
# plugin and a live MyService server, and the replay of their corpus.
#
# Included by the top-level Makefile, or used alone from the repository
# root:
#
#   make -f mk/fuzz.mk fuzz               every target for FUZZ_SECONDS (60)
#   make -f mk/fuzz.mk fuzz-long          every target for FUZZ_RUNS
#                                           executions (1,000,000)
#   make -f mk/fuzz.mk test-fuzz-replay   the committed corpus and the
#                                           regression inputs through every
#                                           target, without libFuzzer (seconds)
#   make -f mk/fuzz.mk fuzz-corpus        rewrite fuzz/corpus from
#                                           fuzz/make_corpus.py
#   make -f mk/fuzz.mk fuzz-bins          only build the fuzzers
#
# FUZZ_TARGETS picks targets (default: codec plugin server); FUZZ_ARGS
# passes more libFuzzer flags (e.g. FUZZ_ARGS=-jobs=2). The fuzzers need
# clang (FUZZ_CC) with libFuzzer; the replay builds with $(CC) and ASan +
# UBSan, no clang needed. What each target covers: fuzz/README.md.
#
# Output: fuzzers in build/fuzz/libfuzzer, replay programs in
# build/fuzz/replay, the growing corpus in build/fuzz/corpus/<target> (the
# committed seeds in fuzz/corpus stay as generated), crashes in
# build/fuzz/artifacts/<target>, full logs in build/fuzz/logs. V=1 shows
# full command lines; WERROR=1 turns warnings into errors.

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
# Fix the value now: MAKEFILE_LIST changes with every include below.
ROOT := $(ROOT)

# Standalone: the runtime and the code generator (the top-level Makefile
# has included them already).
ifndef CGRPC_LIB
include $(ROOT)/mk/lib.mk
endif
ifndef CGRPC_PLUGIN
include $(ROOT)/mk/plugin.mk
endif

FUZZ_DIR       := $(ROOT)/fuzz
FUZZ_BUILD     := $(ROOT)/build/fuzz
FUZZ_REGRESS   := $(ROOT)/tests/workspace/regress
FUZZ_TARGETS   ?= codec plugin server
FUZZ_SECONDS   ?= 60
FUZZ_RUNS      ?= 1000000
FUZZ_ARGS      ?=
FUZZ_CC        ?= clang
FUZZ_REPLAY_CC ?= $(CC)
FUZZ_OPT       ?= -g -O1
FUZZ_REPLAY_OPT ?= -g -O0
FUZZ_PYTHON    ?= python3
# The runtime to fuzz: lib/ by default; another copy of it (same layout)
# can be pointed at, e.g. a snapshot of the last commit while lib/ is being
# edited.
FUZZ_LIB_DIR   ?= $(ROOT)/lib
FUZZ_LIB_SRCS  := $(sort $(wildcard $(FUZZ_LIB_DIR)/src/*.c))
FUZZ_LIB_HDRS  := $(wildcard $(FUZZ_LIB_DIR)/src/*.h) $(FUZZ_LIB_DIR)/include/cgrpc.h \
                  $(CGRPC_REFL_HDRS) $(CGRPC_OTLP_HDRS)
# The library's generated reflection code (mk/lib.mk makes it).
FUZZ_LIB_INC   := -I$(FUZZ_LIB_DIR)/include -I$(FUZZ_LIB_DIR)/src -I$(CGRPC_REFL_GEN)
# The plugin's sources, likewise (default: tools/protoc-gen-cgrpc).
FUZZ_PLUGIN_DIR ?= $(PLUGIN_SRC_DIR)
FUZZ_PLUGIN_SRCS := $(sort $(wildcard $(FUZZ_PLUGIN_DIR)/*.c))

fuzz_q   = $(if $(V),,@)
fuzz_say = $(if $(V),@:,@printf '  %-4s %s\n' $(1) $(subst $(ROOT)/,,$(2)))

FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
             -fno-omit-frame-pointer
FUZZ_WARN := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra $(if $(WERROR),-Werror)
FUZZ_HDRS := $(wildcard $(FUZZ_DIR)/*.h)

# What each target links besides its own fuzz_<target>.c (variant objects
# are named by the fuzz_objs function below).
FUZZ_STEP04   := $(ROOT)/steps/04-server
FUZZ_SOL04    := $(ROOT)/solutions/04-server

# Which runtime and plugin sources the objects were built from: rebuilt
# when FUZZ_LIB_DIR or FUZZ_PLUGIN_DIR changes (the file changes only then).
FUZZ_SOURCES := $(FUZZ_BUILD)/sources.txt
$(FUZZ_SOURCES): fuzz-force
	@mkdir -p $(dir $@)
	@echo '$(FUZZ_LIB_DIR) $(FUZZ_PLUGIN_DIR)' | cmp -s - $@ || \
	  echo '$(FUZZ_LIB_DIR) $(FUZZ_PLUGIN_DIR)' >$@

# fuzz_variant(name, compiler, compile flags, link flags, driver, -g -O...)
# builds every target into $(FUZZ_BUILD)/<name>/fuzz_<target>: the runtime,
# the generated course code, the plugin and MyService all compiled with
# the variant's flags, so sanitizers and coverage see into them.
define fuzz_variant
FZ_$(1)_DIR  := $(FUZZ_BUILD)/$(1)
FZ_$(1)_OBJ  := $(FUZZ_BUILD)/$(1)/obj
FZ_$(1)_LIB  := $$(patsubst $(FUZZ_LIB_DIR)/src/%.c,$$(FZ_$(1)_OBJ)/lib/%.o,$(FUZZ_LIB_SRCS)) \
                $$(patsubst $(CGRPC_REFL_GEN)/%.c,$$(FZ_$(1)_OBJ)/libgen/%.o,$(CGRPC_REFL_SRCS) $(CGRPC_OTLP_SRCS))
FZ_$(1)_GEN  := $$(patsubst $(CGRPC_GEN_DIR)/%.c,$$(FZ_$(1)_OBJ)/gen/%.o,$(COURSE_GEN_SRCS))
FZ_$(1)_PLUG := $$(patsubst $(FUZZ_PLUGIN_DIR)/%.c,$$(FZ_$(1)_OBJ)/plugin/%.o,$(FUZZ_PLUGIN_SRCS)) \
                $$(patsubst $(PLUGIN_PB_DIR)/%.c,$$(FZ_$(1)_OBJ)/plugin/pb/%.o,$(PLUGIN_PB_SRCS))
FZ_$(1)_BINS := $$(patsubst %,$$(FZ_$(1)_DIR)/fuzz_%,$(FUZZ_TARGETS))
FZ_$(1)_DRV  := $(if $(5),$$(FZ_$(1)_OBJ)/fuzz/$(5).o)

$$(FZ_$(1)_OBJ)/lib/%.o: $(FUZZ_LIB_DIR)/src/%.c $(FUZZ_LIB_HDRS) $(FUZZ_SOURCES)
	@mkdir -p $$(dir $$@)
	$$(call fuzz_say,CC,$$<)
	$$(fuzz_q)$(2) $(FUZZ_WARN) $(6) $(3) $(FUZZ_LIB_INC) $$(CGRPC_CFLAGS) -c $$< -o $$@

$$(FZ_$(1)_OBJ)/libgen/%.o: $(CGRPC_REFL_GEN)/%.c $(FUZZ_LIB_HDRS)
	@mkdir -p $$(dir $$@)
	$$(call fuzz_say,CC,$$<)
	$$(fuzz_q)$(2) -std=c11 $(6) $(3) $(FUZZ_LIB_INC) $$(CGRPC_CFLAGS) -c $$< -o $$@

$$(FZ_$(1)_OBJ)/gen/%.o: $(CGRPC_GEN_DIR)/%.c $(COURSE_GEN_HDRS)
	@mkdir -p $$(dir $$@)
	$$(call fuzz_say,CC,$$<)
	$$(fuzz_q)$(2) -std=c11 $(6) $(3) $(FUZZ_LIB_INC) $$(CGRPC_CFLAGS) -I$(CGRPC_GEN_DIR) -c $$< -o $$@

# The plugin unchanged, but for main, renamed so the fuzzer can call it.
$$(FZ_$(1)_OBJ)/plugin/main.o: FZ_DEFS := -Dmain=cgrpc_plugin_main
$$(FZ_$(1)_OBJ)/plugin/%.o: $(FUZZ_PLUGIN_DIR)/%.c $(PLUGIN_PB_STAMP) $(FUZZ_SOURCES)
	@mkdir -p $$(dir $$@)
	$$(call fuzz_say,CC,$$<)
	$$(fuzz_q)$(2) $(FUZZ_WARN) $(6) $(3) $$(FZ_DEFS) -I$(PLUGIN_PB_DIR) \
	    $$(shell $(PKG_CONFIG) --cflags libprotobuf-c) -MMD -MP -c $$< -o $$@

$$(FZ_$(1)_OBJ)/plugin/pb/%.o: $(PLUGIN_PB_DIR)/%.c $(PLUGIN_PB_STAMP)
	@mkdir -p $$(dir $$@)
	$$(call fuzz_say,CC,$$<)
	$$(fuzz_q)$(2) -std=c11 $(6) $(3) -I$(PLUGIN_PB_DIR) -c $$< -o $$@

# MyService from the step-04 solution, with the step's own header.
$$(FZ_$(1)_OBJ)/step04/my_service.o: $(FUZZ_SOL04)/my_service.c \
        $(FUZZ_STEP04)/my_service.h $(COURSE_GEN_HDRS)
	@mkdir -p $$(dir $$@)
	$$(call fuzz_say,CC,$$<)
	$$(fuzz_q)$(2) $(FUZZ_WARN) $(6) $(3) -I$(FUZZ_STEP04) -I$(CGRPC_GEN_DIR) \
	    $(FUZZ_LIB_INC) $$(CGRPC_CFLAGS) -c $$< -o $$@

$$(FZ_$(1)_OBJ)/fuzz/%.o: $(FUZZ_DIR)/%.c $(FUZZ_HDRS) $(COURSE_GEN_HDRS) \
        $(PLUGIN_PB_STAMP) $(FUZZ_LIB_HDRS)
	@mkdir -p $$(dir $$@)
	$$(call fuzz_say,CC,$$<)
	$$(fuzz_q)$(2) $(FUZZ_WARN) $(6) $(3) -I$(FUZZ_DIR) $(FUZZ_LIB_INC) \
	    -I$(CGRPC_GEN_DIR) -I$(PLUGIN_PB_DIR) -I$(FUZZ_STEP04) $$(CGRPC_CFLAGS) \
	    -c $$< -o $$@

$$(FZ_$(1)_DIR)/fuzz_codec: $$(FZ_$(1)_OBJ)/fuzz/fuzz_codec.o $$(FZ_$(1)_LIB) \
        $$(FZ_$(1)_GEN) $$(FZ_$(1)_DRV)
	$$(call fuzz_say,LD,$$@)
	$$(fuzz_q)$(2) $(6) $(4) $$^ $$(CGRPC_LDLIBS) -lz -o $$@

$$(FZ_$(1)_DIR)/fuzz_plugin: $$(FZ_$(1)_OBJ)/fuzz/fuzz_plugin.o $$(FZ_$(1)_PLUG) \
        $$(FZ_$(1)_DRV)
	$$(call fuzz_say,LD,$$@)
	$$(fuzz_q)$(2) $(6) $(4) $$^ $$(shell $(PKG_CONFIG) --libs libprotobuf-c) -o $$@

$$(FZ_$(1)_DIR)/fuzz_server: $$(FZ_$(1)_OBJ)/fuzz/fuzz_server.o \
        $$(FZ_$(1)_OBJ)/fuzz/h2_client.o $$(FZ_$(1)_OBJ)/step04/my_service.o \
        $$(FZ_$(1)_LIB) $$(FZ_$(1)_GEN) $$(FZ_$(1)_DRV)
	$$(call fuzz_say,LD,$$@)
	$$(fuzz_q)$(2) $(6) $(4) $$^ $$(CGRPC_LDLIBS) -lz -o $$@

.SECONDARY: $$(FZ_$(1)_LIB) $$(FZ_$(1)_GEN) $$(FZ_$(1)_PLUG) $$(FZ_$(1)_DRV) \
            $$(FZ_$(1)_OBJ)/step04/my_service.o $$(FZ_$(1)_OBJ)/fuzz/h2_client.o \
            $$(patsubst %,$$(FZ_$(1)_OBJ)/fuzz/fuzz_%.o,$(FUZZ_TARGETS))
-include $$(wildcard $$(FZ_$(1)_OBJ)/plugin/*.d)
endef

fuzz_comma := ,
$(eval $(call fuzz_variant,libfuzzer,$(FUZZ_CC),$(FUZZ_SAN) -fsanitize=fuzzer-no-link,-fsanitize=fuzzer$(fuzz_comma)address$(fuzz_comma)undefined,,$(FUZZ_OPT)))
# The replay compiles at -O0: it runs a few hundred inputs, so a quick
# build matters more than quick code (make test builds it from scratch).
$(eval $(call fuzz_variant,replay,$(FUZZ_REPLAY_CC),$(FUZZ_SAN),$(FUZZ_SAN),replay,$(FUZZ_REPLAY_OPT)))

.PHONY: fuzz fuzz-long fuzz-bins fuzz-corpus test-fuzz-replay fuzz-check-clang fuzz-force

# libFuzzer needs clang; say so plainly instead of failing in a compile.
fuzz-check-clang:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1; then \
	  echo "fuzz: $(FUZZ_CC) not found. The fuzzers need clang with libFuzzer:"; \
	  echo "      run 'make setup' (it installs clang), or set FUZZ_CC=clang-14."; \
	  exit 1; fi

fuzz-bins: $(FZ_libfuzzer_BINS)

# Before the first clang compile.
$(FZ_libfuzzer_LIB) $(FZ_libfuzzer_GEN) $(FZ_libfuzzer_PLUG) \
$(FZ_libfuzzer_OBJ)/step04/my_service.o \
$(patsubst %,$(FZ_libfuzzer_OBJ)/fuzz/%.o,h2_client $(addprefix fuzz_,$(FUZZ_TARGETS))): \
    | fuzz-check-clang

FUZZ_RUN = FUZZ_BUILD='$(FUZZ_BUILD)' FUZZ_DIR='$(FUZZ_DIR)' FUZZ_REGRESS='$(FUZZ_REGRESS)' \
           sh $(FUZZ_DIR)/run.sh

fuzz: fuzz-bins
	@$(FUZZ_RUN) --seconds $(FUZZ_SECONDS) -- $(FUZZ_TARGETS) -- $(FUZZ_ARGS)

fuzz-long: fuzz-bins
	@$(FUZZ_RUN) --runs $(FUZZ_RUNS) -- $(FUZZ_TARGETS) -- $(FUZZ_ARGS)

test-fuzz-replay: $(FZ_replay_BINS)
	@FUZZ_REGRESS='$(FUZZ_REGRESS)' sh $(FUZZ_DIR)/replay.sh $(FZ_replay_DIR) \
	    $(FUZZ_DIR)/corpus $(FUZZ_TARGETS)

fuzz-corpus:
	@$(FUZZ_PYTHON) $(FUZZ_DIR)/make_corpus.py
