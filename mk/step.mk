# mk/step.mk: the one build shared by every step.
#
# steps/NN-name/Makefile is two lines, `STEP := NN-name` and an include of
# this file, so every step builds, tests and memchecks the same way:
#
#   make            build the step's tests (and program, if it has main.c)
#   make test       build and run the tests, then print a verdict
#   make memcheck   the same tests under valgrind
#   make run        build and run the step's program (ARGS="..." passes flags)
#   make solution   the same suite against solutions/NN-name (SOLUTION=1)
#
# Files the learner edits are exactly the files in solutions/NN-name/. With
# SOLUTION=1 those come from solutions/, everything else from steps/, so the
# starter and the solution share every given file. A step that needs more
# (protoc runs, generated code, the runtime library) says so in
# tests/NN-name/step.mk, included below.

# No built-in rules: with them, make may try `%: %.o` on a generated file.
MAKEFLAGS += -r

ifndef STEP
$(error set STEP (e.g. STEP := 01-design) before including mk/step.mk)
endif

ROOT     := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
STEP_DIR := $(ROOT)/steps/$(STEP)
SOL_DIR  := $(ROOT)/solutions/$(STEP)
TEST_DIR := $(ROOT)/tests/$(STEP)
MODE     := $(if $(SOLUTION),solution,starter)

# Every build checks memory as it runs: the step's code and tests are built
# with AddressSanitizer (use after free, reads past a buffer), LeakSanitizer
# (leaks, reported when a test program exits) and UBSan (undefined
# behaviour), so `make stepN` fails on a memory error, not only `make
# memcheck`. SANITIZE=thread builds with ThreadSanitizer instead (data
# races; tools/course/course.py runs the suites of shared state with it), and
# SANITIZE=none builds plain code for valgrind (`make memcheck`). Each kind
# has a build folder of its own, so switching costs no rebuild.
SANITIZE ?= $(if $(filter memcheck,$(MAKECMDGOALS)),none,address)
ifeq ($(filter $(SANITIZE),address thread none),)
$(error SANITIZE=$(SANITIZE): use address (the default), thread or none)
endif
SAN_address := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_thread  := -fsanitize=thread
SAN_none    :=
SAN_FLAGS   := $(SAN_$(SANITIZE))
SAN_DIR_address :=
SAN_DIR_thread  := -tsan
SAN_DIR_none    := -plain
# BUILD_ROOT=DIR moves every kind of build of the step elsewhere (the
# contract check and the catalogue of mistakes build copies of a step).
BUILD_ROOT ?= $(ROOT)/build/steps/$(STEP)
BUILD    := $(BUILD_ROOT)/$(MODE)$(SAN_DIR_$(SANITIZE))
GEN      := $(BUILD)/gen
PYTHON   ?= python3

# The learner's files, and where each step file comes from in this mode.
LEARNER_FILES := $(sort $(notdir $(wildcard $(SOL_DIR)/*)))
extra_src = $(filter %/$(1).c,$(EXTRA_SRCS))
src = $(if $(and $(SOLUTION),$(filter $(1),$(LEARNER_FILES))),$(SOL_DIR)/$(1),$(STEP_DIR)/$(1))

STEP_C   := $(sort $(notdir $(wildcard $(STEP_DIR)/*.c)))
LIB_C    := $(filter-out main.c,$(STEP_C))
SUITES   := $(sort $(patsubst test_%.c,%,$(notdir $(wildcard $(TEST_DIR)/test_*.c))))
PROGRAM  ?= $(if $(filter main.c,$(STEP_C)),$(BUILD)/$(word 2,$(subst -, ,$(STEP))),)

# The flags stamp: the compile and link flags of the last build, ROOT_DIR
# included. Every object depends on it (through EXTRA_DEPS, so the objects
# of tests/NN-name/step.mk's own rules do too), and it is rewritten only when
# the flags differ, so `make build WERROR=1` after a normal build really
# compiles everything again, and so does a build in a workspace that was
# moved (the test programs have its absolute path built in).
FLAGS_STAMP := $(BUILD)/flags

# The command that runs this build again, as the learner typed it, for the
# verdict and for messages in tests/NN-name/step.mk ("then run $(RERUN)
# again"). In the step's folder it is make test / make solution / make
# memcheck; tools/course/course.py sets it for the top-level commands, e.g.
# RERUN='make step2'.
RERUN ?= make $(if $(filter memcheck,$(MAKECMDGOALS)),memcheck$(if $(SOLUTION), SOLUTION=1),$(if $(SOLUTION),solution,test))

# Hooks for tests/NN-name/step.mk.
EXTRA_CFLAGS ?=
EXTRA_LDLIBS ?=
EXTRA_SRCS   ?=
EXTRA_DEPS   ?=
# Made before any object is compiled, but a change to one rebuilds only the
# objects that include it (their .d files say which): generated headers of
# a file the learner edits (step 2's evolution.proto), so that an edit
# there does not recompile the whole step.
EXTRA_ORDER_DEPS ?=
PKGS         ?=
EXTRA_DEPS   += $(FLAGS_STAMP)
# The sanitizers' settings and the one list of known noise (see the file).
EXTRA_SRCS   += $(if $(SAN_FLAGS),$(ROOT)/tests/common/sanitize.c)

-include $(TEST_DIR)/step.mk

CC      ?= cc
WARN    := -Wall -Wextra $(if $(WERROR),-Werror)
# The language and the feature macros the course's code is written for. They
# come after CFLAGS, so a CFLAGS from the environment (CFLAGS=-O2 is common)
# changes the optimisation or adds flags, but never the C standard.
STD     := -std=c11 -D_POSIX_C_SOURCE=200809L
CFLAGS  ?= -g -O1
INCS    := $(if $(SOLUTION),-I$(SOL_DIR)) -I$(STEP_DIR) -I$(TEST_DIR) \
           -I$(ROOT)/tests/common -I$(GEN)
DEFS    := -DROOT_DIR='"$(ROOT)"' -DSTEP_BUILD_DIR='"$(BUILD)"' \
           -DSTEP_MODE='"$(MODE)"'
# pkg-config runs once per make: for grpc it walks all of absl (~0.8 s).
PKG_CFLAGS := $(shell pkg-config --cflags cmocka $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs cmocka $(PKGS))
ALL_CFLAGS = $(CFLAGS) $(STD) $(SAN_FLAGS) $(WARN) $(INCS) $(DEFS) $(EXTRA_CFLAGS) $(PKG_CFLAGS)
# The course's own test code (the suites, and the helpers tests/NN-name/step.mk
# compiles) builds without optimisation: with the sanitizers that takes a
# third of the compile time of -O1 (step 7's first build: its tests are most
# of it), the reports still name file and line, and the suites wait on the
# network, not the CPU. The learner's code and the given code keep CFLAGS.
TEST_OPT   ?= -O0
TEST_CFLAGS = $(ALL_CFLAGS) $(TEST_OPT)
# A one-line edit relinks every test program of the step: with gold, where
# the machine has it (binutils on Debian), a link takes a fifth of the CPU
# of the default linker's. FAST_LINK= (empty) links with the default.
FAST_LINK  ?= $(if $(shell command -v ld.gold 2>/dev/null),-fuse-ld=gold)
ALL_LDLIBS = $(FAST_LINK) $(EXTRA_LDLIBS) $(PKG_LIBS) -lpthread -lm

LIB_OBJS   := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_C))
EXTRA_OBJS := $(patsubst %.c,$(BUILD)/obj/extra/%.o,$(notdir $(EXTRA_SRCS)))
TEST_OBJS  := $(patsubst %,$(BUILD)/obj/test_%.o,$(SUITES))
TEST_BINS  := $(patsubst %,$(BUILD)/test_%,$(SUITES))

Q := $(if $(V),,@)
ECHO := $(if $(V),@:,@printf)

.PHONY: all build test memcheck run solution clean step-flags-check
# Every rule below names its files (static pattern rules, not implicit
# ones), so nothing a build makes is an intermediate file that make would
# delete after the run: a second build with no change compiles nothing,
# whatever a step's own fragment declares (tests/workspace/tools proves it).
.SECONDEXPANSION:
.DEFAULT_GOAL := test

# BUILD_SUITES="chat chat_room" builds only those suites' test programs (and
# the step's program, which suites may start): the ThreadSanitizer re-run of
# the suites of shared state needs no others (tools/course/coursekit/runner.py).
BUILT_BINS := $(if $(BUILD_SUITES),$(patsubst %,$(BUILD)/test_%,$(BUILD_SUITES)),$(TEST_BINS))
all build: $(BUILT_BINS) $(PROGRAM)

$(LIB_OBJS) $(if $(PROGRAM),$(BUILD)/obj/main.o): $(BUILD)/obj/%.o: $$(call src,$$*.c) $(EXTRA_DEPS) | $(BUILD)/obj $(EXTRA_ORDER_DEPS)
	$(ECHO) '  CC  %s\n' '$(subst $(ROOT)/,,$<)'
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(EXTRA_OBJS): $(BUILD)/obj/extra/%.o: $$(call extra_src,$$*) $(EXTRA_DEPS) | $(BUILD)/obj/extra $(EXTRA_ORDER_DEPS)
	$(ECHO) '  CC  %s\n' '$(subst $(ROOT)/,,$<)'
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(TEST_OBJS): $(BUILD)/obj/test_%.o: $(TEST_DIR)/test_%.c $(EXTRA_DEPS) | $(BUILD)/obj $(EXTRA_ORDER_DEPS)
	$(ECHO) '  CC  %s\n' '$(subst $(ROOT)/,,$<)'
	$(Q)$(CC) $(TEST_CFLAGS) -MMD -MP -c $< -o $@

$(TEST_BINS): $(BUILD)/test_%: $(BUILD)/obj/test_%.o $(LIB_OBJS) $(EXTRA_OBJS)
	$(ECHO) '  LD  %s\n' '$(notdir $@)'
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(ALL_LDLIBS) -o $@

ifneq ($(PROGRAM),)
$(PROGRAM): $(BUILD)/obj/main.o $(LIB_OBJS) $(EXTRA_OBJS)
	$(ECHO) '  LD  %s\n' '$(notdir $@)'
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(ALL_LDLIBS) -o $@
endif

$(BUILD)/obj $(BUILD)/obj/extra $(GEN):
	@mkdir -p $@

# Runs on every build; touches the stamp only when the flags changed, and
# make then rebuilds exactly what depends on it.
FLAGS_NOW = $(CC) $(ALL_CFLAGS) $(TEST_OPT) $(ALL_LDLIBS)
$(FLAGS_STAMP): step-flags-check
	@mkdir -p $(@D)
	@printf '%s\n' '$(subst ','\'',$(strip $(FLAGS_NOW)))' >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

test: build
	@$(PYTHON) $(ROOT)/tools/course/course.py run $(STEP) --mode $(MODE) --again '$(RERUN)'

memcheck: build
	@$(PYTHON) $(ROOT)/tools/course/course.py run $(STEP) --mode $(MODE) --valgrind --again '$(RERUN)'

run: build
	@if [ -z "$(PROGRAM)" ]; then echo "step $(STEP) has no program to run; try 'make test'"; exit 2; fi
	$(PROGRAM) $(ARGS)

solution:
	@$(MAKE) --no-print-directory $(if $(filter solution,$(MAKECMDGOALS)),test) SOLUTION=1

clean:
	rm -rf $(ROOT)/build/steps/$(STEP)

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj/extra/*.d)
# A dependency file names the source its object was made from. When a
# file moves (an exercise becoming given code, say), that name goes stale
# and make would stop with "No rule to make target". This rule lets it
# treat a vanished source as changed: the object is rebuilt from where its
# source is now, and its dependency file rewritten. (-MP does the same for
# headers.)
%.c: ;
