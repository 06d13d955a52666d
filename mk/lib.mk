# mk/lib.mk: the runtime library (libcgrpc.a) and its own test suites.
#
# Included by the top-level Makefile, or used alone from the repository
# root:  make -f mk/lib.mk cgrpc-lib | test-runtime | test-runtime-memcheck
#                           | test-runtime-sanitize | test-runtime-tsan
#
# For programs that use the runtime:
#   CGRPC_LIB     the static library to link
#   CGRPC_CFLAGS  compile flags (include path, gRPC and protobuf-c headers)
#   CGRPC_LDLIBS  what must follow $(CGRPC_LIB) on the link line
#
# Everything is built under $(ROOT)/build. V=1 shows full command lines;
# WERROR=1 turns warnings into errors.

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)

# Several fragments include this file (the top-level Makefile, step builds
# through mk/step-runtime.mk, the interop tests); define it once.
ifndef cgrpc_lib_mk
cgrpc_lib_mk := 1

CGRPC_PKGS    := grpc gpr libprotobuf-c
# pkg-config walks all of absl for grpc (about a second), so ask it only when
# a recipe needs the flags, and only once: the first use redefines the
# variable as its value. Commands that build nothing (make help) stay fast.
# And ask tools/setup/pkg-config-cached, which keeps the answers in build/ until
# the installed packages change: every step build needs them, and a learner
# should not pay a second of pkg-config per edit.
CGRPC_PKG_CONFIG := $(ROOT)/tools/setup/pkg-config-cached
cgrpc_pc = $(eval $(1) := $(shell $(CGRPC_PKG_CONFIG) $(2)))$($(1))
cgrpc_pc_cflags = $(call cgrpc_pc,cgrpc_pc_cflags,--cflags $(CGRPC_PKGS))
cgrpc_pc_libs   = $(call cgrpc_pc,cgrpc_pc_libs,--libs $(CGRPC_PKGS))
CGRPC_CFLAGS  = -I$(ROOT)/lib/include $(cgrpc_pc_cflags) -pthread
CGRPC_LDLIBS  = $(cgrpc_pc_libs) -pthread
CGRPC_LIB     := $(ROOT)/build/lib/libcgrpc.a

CGRPC_CC      ?= $(CC)
CGRPC_WARN    := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra $(if $(WERROR),-Werror)
CGRPC_OPT     ?= -g -O2
CGRPC_SRCS    := $(sort $(wildcard $(ROOT)/lib/src/*.c))

# Server reflection (src/reflect.c) serves grpc.reflection.v1 and v1alpha,
# whose messages and method tables are generated at build time from
# lib/proto, by protoc-gen-c and the course's own protoc-gen-cgrpc (which
# also embeds the descriptors of the two files, so reflection describes
# itself), into build/lib/gen. v1alpha is v1 in another package: its .proto
# is made from v1's, in build/lib/proto.
CGRPC_REFL_PROTOS := grpc/reflection/v1/reflection.proto \
                     grpc/reflection/v1alpha/reflection.proto
CGRPC_REFL_GEN    := $(ROOT)/build/lib/gen
CGRPC_REFL_PROTO  := $(ROOT)/build/lib/proto
CGRPC_REFL_BASES  := $(patsubst %.proto,%,$(CGRPC_REFL_PROTOS))
CGRPC_REFL_SRCS   := $(foreach b,$(CGRPC_REFL_BASES),$(CGRPC_REFL_GEN)/$(b).pb-c.c \
                                                    $(CGRPC_REFL_GEN)/$(b).cgrpc.c)
CGRPC_REFL_HDRS   := $(CGRPC_REFL_SRCS:.c=.h)
CGRPC_HDRS    := $(wildcard $(ROOT)/lib/src/*.h) $(ROOT)/lib/include/cgrpc.h \
                 $(CGRPC_REFL_HDRS)

cgrpc_comma := ,
cgrpc_q    = $(if $(V),,@)
cgrpc_say  = $(if $(V),@:,@printf '  %-4s %s\n' $(1) $(subst $(ROOT)/,,$(2)))

.PHONY: cgrpc-lib test-runtime test-runtime-memcheck test-runtime-sanitize \
        test-runtime-tsan cgrpc-test-bins

cgrpc-lib: $(CGRPC_LIB)

include $(ROOT)/mk/plugin.mk

$(CGRPC_REFL_PROTO)/grpc/reflection/v1/reflection.proto: $(ROOT)/lib/proto/grpc/reflection/v1/reflection.proto
	@mkdir -p $(dir $@)
	$(cgrpc_q)cp $< $@

$(CGRPC_REFL_PROTO)/grpc/reflection/v1alpha/reflection.proto: $(ROOT)/lib/proto/grpc/reflection/v1/reflection.proto
	@mkdir -p $(dir $@)
	$(cgrpc_q)sed 's/^package grpc\.reflection\.v1;/package grpc.reflection.v1alpha;/' $< >$@.tmp
	$(cgrpc_q)grep -q '^package grpc\.reflection\.v1alpha;' $@.tmp && mv $@.tmp $@

# One protoc run per file writes its four files.
$(CGRPC_REFL_GEN)/%.pb-c.c $(CGRPC_REFL_GEN)/%.pb-c.h $(CGRPC_REFL_GEN)/%.cgrpc.c $(CGRPC_REFL_GEN)/%.cgrpc.h: \
        $(CGRPC_REFL_PROTO)/%.proto $(CGRPC_PLUGIN)
	@mkdir -p $(CGRPC_REFL_GEN)
	$(call cgrpc_say,GEN,$(subst $(CGRPC_REFL_PROTO)/,,$<))
	$(cgrpc_q)$(PROTOC) -I$(CGRPC_REFL_PROTO) \
	    --plugin=protoc-gen-cgrpc=$(CGRPC_PLUGIN) --cgrpc_out=$(CGRPC_REFL_GEN) \
	    --c_out=$(CGRPC_REFL_GEN) $<

.PRECIOUS: $(CGRPC_REFL_SRCS) $(CGRPC_REFL_HDRS)

# The trace exporter (src/trace_export.c) sends OTLP messages to
# opentelemetry.proto.collector.trace.v1.TraceService: lib/proto/opentelemetry
# (written for the course, wire-compatible with OpenTelemetry's), generated
# in one protoc run by protoc-gen-c and protoc-gen-cgrpc into build/lib/gen
# and compiled into the library like the reflection code.
CGRPC_OTLP_DIR    := $(ROOT)/lib/proto
CGRPC_OTLP_GEN    := $(CGRPC_REFL_GEN)
CGRPC_OTLP_PROTOS := opentelemetry/proto/common/v1/common.proto \
                     opentelemetry/proto/resource/v1/resource.proto \
                     opentelemetry/proto/trace/v1/trace.proto \
                     opentelemetry/proto/collector/trace/v1/trace_service.proto
CGRPC_OTLP_SRCS   := $(patsubst %.proto,$(CGRPC_OTLP_GEN)/%.pb-c.c,$(CGRPC_OTLP_PROTOS)) \
                     $(CGRPC_OTLP_GEN)/opentelemetry/proto/collector/trace/v1/trace_service.cgrpc.c
CGRPC_OTLP_HDRS   := $(CGRPC_OTLP_SRCS:.c=.h)
CGRPC_OTLP_STAMP  := $(CGRPC_OTLP_GEN)/opentelemetry/.stamp
CGRPC_HDRS        += $(CGRPC_OTLP_HDRS)

$(CGRPC_OTLP_STAMP): $(addprefix $(CGRPC_OTLP_DIR)/,$(CGRPC_OTLP_PROTOS)) $(CGRPC_PLUGIN)
	@mkdir -p $(dir $@)
	$(call cgrpc_say,GEN,lib/proto/opentelemetry)
	$(cgrpc_q)$(PROTOC) -I$(CGRPC_OTLP_DIR) --plugin=protoc-gen-cgrpc=$(CGRPC_PLUGIN) \
	    --cgrpc_out=$(CGRPC_OTLP_GEN) --c_out=$(CGRPC_OTLP_GEN) $(CGRPC_OTLP_PROTOS)
	@touch $@
$(CGRPC_OTLP_SRCS) $(CGRPC_OTLP_HDRS): $(CGRPC_OTLP_STAMP)
.PRECIOUS: $(CGRPC_OTLP_SRCS) $(CGRPC_OTLP_HDRS)

# --------------------------------------------------------------------------
# Test suites: tests/workspace/runtime/test_*.c, each linked with the helpers in
# tests/workspace/runtime/rt_*.c and tests/common/testutil.c (the helpers every suite
# shares), the protobuf-c code for tests/workspace/runtime/proto, and the library
# built with the same flags.
# --------------------------------------------------------------------------

CGRT_DIR     := $(ROOT)/tests/workspace/runtime
CGRT_SUITES  := $(sort $(patsubst test_%.c,%,$(notdir $(wildcard $(CGRT_DIR)/test_*.c))))
CGRT_HELPERS := $(sort $(wildcard $(CGRT_DIR)/rt_*.c))
CGRT_GEN     := $(ROOT)/build/runtime-tests/gen
CGRT_PB_C    := $(CGRT_GEN)/rt_test.pb-c.c
CGRT_PB_H    := $(CGRT_GEN)/rt_test.pb-c.h
# The reflection tests' protos: code from protoc-gen-c and protoc-gen-cgrpc
# (rt_reflect.proto has the service; the other two it imports).
CGRT_RF_PROTOS := rt_reflect_base rt_reflect_types rt_reflect
CGRT_RF_SRCS := $(patsubst %,$(CGRT_GEN)/%.pb-c.c,$(CGRT_RF_PROTOS)) $(CGRT_GEN)/rt_reflect.cgrpc.c
CGRT_RF_HDRS := $(CGRT_RF_SRCS:.c=.h)
CGRT_CERTS   := $(ROOT)/build/runtime-tests/certs
CGRT_COMMON  := $(ROOT)/tests/common
CGRT_CFLAGS   = -I$(CGRT_DIR) -I$(CGRT_COMMON) -I$(CGRT_GEN) -I$(ROOT)/lib/src \
                -I$(CGRPC_REFL_GEN) -I$(PLUGIN_PB_DIR) \
                -DCGRT_CERT_DIR='"$(CGRT_CERTS)"' \
                -DCGRT_CGRPC_H='"$(ROOT)/lib/include/cgrpc.h"' \
                $(call cgrpc_pc,cgrt_pc_cflags,--cflags cmocka)
CGRT_LDLIBS   = $(call cgrpc_pc,cgrt_pc_libs,--libs cmocka)
CGRT_RUN     := $(CGRT_DIR)/run.sh

# The suites TSan runs: all of them (about 20 s). The ones where threads
# meet most are streams (bidi), shutdown, pool, server and drain.
CGRT_TSAN_SUITES ?= $(CGRT_SUITES)

CGRT_VALGRIND := valgrind --quiet --leak-check=full --show-leak-kinds=definite,possible \
                 --errors-for-leak-kinds=definite,possible --error-exitcode=1 \
                 --suppressions=$(ROOT)/tests/common/valgrind.supp

$(CGRT_PB_C) $(CGRT_PB_H) &: $(CGRT_DIR)/proto/rt_test.proto
	@mkdir -p $(CGRT_GEN)
	$(call cgrpc_say,GEN,$@)
	$(cgrpc_q)protoc -I $(CGRT_DIR)/proto --c_out=$(CGRT_GEN) $<

$(CGRT_RF_SRCS) $(CGRT_RF_HDRS) &: $(patsubst %,$(CGRT_DIR)/proto/%.proto,$(CGRT_RF_PROTOS)) $(CGRPC_PLUGIN)
	@mkdir -p $(CGRT_GEN)
	$(call cgrpc_say,GEN,$(CGRT_GEN)/rt_reflect*)
	$(cgrpc_q)protoc -I $(CGRT_DIR)/proto --plugin=protoc-gen-cgrpc=$(CGRPC_PLUGIN) \
	    --cgrpc_out=$(CGRT_GEN) --c_out=$(CGRT_GEN) $(patsubst %,$(CGRT_DIR)/proto/%.proto,$(CGRT_RF_PROTOS))

# Fresh short-lived certificates for every run of the TLS tests.
.PHONY: cgrt-certs
cgrt-certs:
	$(call cgrpc_say,GEN,$(CGRT_CERTS))
	$(cgrpc_q)sh $(CGRT_DIR)/gen_certs.sh $(CGRT_CERTS) >/dev/null 2>&1

# cgrpc_variant(name, extra flags): the library and the suites built with
# `extra flags` into build/runtime-tests/<name> (library: build/lib for
# the plain variant, so tests link exactly what programs link).
define cgrpc_variant
CGRT_$(1)_DIR  := $(ROOT)/build/runtime-tests/$(1)
CGRT_$(1)_LIB  := $(if $(filter plain,$(1)),$(CGRPC_LIB),$$(CGRT_$(1)_DIR)/libcgrpc.a)
CGRT_$(1)_OBJD := $(if $(filter plain,$(1)),$(ROOT)/build/lib/obj,$$(CGRT_$(1)_DIR)/obj)
CGRT_$(1)_OBJS := $$(patsubst $(ROOT)/lib/src/%.c,$$(CGRT_$(1)_OBJD)/%.o,$(CGRPC_SRCS)) \
                  $$(patsubst $(CGRPC_REFL_GEN)/%.c,$$(CGRT_$(1)_OBJD)/gen/%.o,$(CGRPC_REFL_SRCS) $(CGRPC_OTLP_SRCS))
CGRT_$(1)_HOBJ := $$(patsubst $(CGRT_DIR)/%.c,$$(CGRT_$(1)_DIR)/t/%.o,$(CGRT_HELPERS)) \
                  $$(CGRT_$(1)_DIR)/t/testutil.o $$(CGRT_$(1)_DIR)/t/rt_test.pb-c.o \
                  $$(CGRT_$(1)_DIR)/t/otlp_receiver.o \
                  $$(patsubst $(CGRT_GEN)/%.c,$$(CGRT_$(1)_DIR)/t/%.o,$(CGRT_RF_SRCS)) \
                  $$(CGRT_$(1)_DIR)/t/descriptor.pb-c.o
CGRT_$(1)_BINS := $$(patsubst %,$$(CGRT_$(1)_DIR)/test_%,$(CGRT_SUITES))

$$(CGRT_$(1)_OBJD)/%.o: $(ROOT)/lib/src/%.c $(CGRPC_HDRS)
	@mkdir -p $$(dir $$@)
	$$(call cgrpc_say,CC,$$<)
	$$(cgrpc_q)$(CGRPC_CC) $(CGRPC_WARN) $(CGRPC_OPT) $(2) $$(CGRPC_CFLAGS) -I$(CGRPC_REFL_GEN) -c $$< -o $$@

$$(CGRT_$(1)_OBJD)/gen/%.o: $(CGRPC_REFL_GEN)/%.c $(CGRPC_HDRS)
	@mkdir -p $$(dir $$@)
	$$(call cgrpc_say,CC,$$<)
	$$(cgrpc_q)$(CGRPC_CC) $(CGRPC_WARN) $(CGRPC_OPT) $(2) $$(CGRPC_CFLAGS) -I$(CGRPC_REFL_GEN) -c $$< -o $$@

$$(CGRT_$(1)_LIB): $$(CGRT_$(1)_OBJS)
	$$(call cgrpc_say,AR,$$@)
	$$(cgrpc_q)rm -f $$@ && ar rcs $$@ $$^

$$(CGRT_$(1)_DIR)/t/%.o: $(CGRT_DIR)/%.c $(CGRT_PB_H) $(CGRT_RF_HDRS) $(PLUGIN_PB_STAMP) $(CGRPC_HDRS) $(wildcard $(CGRT_DIR)/*.h) $(CGRT_COMMON)/testutil.h
	@mkdir -p $$(dir $$@)
	$$(call cgrpc_say,CC,$$<)
	$$(cgrpc_q)$(CGRPC_CC) $(CGRPC_WARN) $(CGRPC_OPT) $(2) $$(CGRPC_CFLAGS) $$(CGRT_CFLAGS) -c $$< -o $$@

$$(CGRT_$(1)_DIR)/t/testutil.o: $(CGRT_COMMON)/testutil.c $(CGRT_COMMON)/testutil.h $(CGRPC_HDRS)
	@mkdir -p $$(dir $$@)
	$$(call cgrpc_say,CC,$$<)
	$$(cgrpc_q)$(CGRPC_CC) $(CGRPC_WARN) $(CGRPC_OPT) $(2) $$(CGRPC_CFLAGS) $$(CGRT_CFLAGS) -c $$< -o $$@

$$(CGRT_$(1)_DIR)/t/otlp_receiver.o: $(CGRT_COMMON)/otlp_receiver.c $(CGRT_COMMON)/otlp_receiver.h $(CGRT_COMMON)/testutil.h $(CGRPC_HDRS)
	@mkdir -p $$(dir $$@)
	$$(call cgrpc_say,CC,$$<)
	$$(cgrpc_q)$(CGRPC_CC) $(CGRPC_WARN) $(CGRPC_OPT) $(2) $$(CGRPC_CFLAGS) $$(CGRT_CFLAGS) -c $$< -o $$@

$$(CGRT_$(1)_DIR)/t/rt_test.pb-c.o: $(CGRT_PB_C) $(CGRT_PB_H)
	@mkdir -p $$(dir $$@)
	$$(call cgrpc_say,CC,$$<)
	$$(cgrpc_q)$(CGRPC_CC) -std=c11 $(CGRPC_OPT) $(2) $$(CGRPC_CFLAGS) -c $$< -o $$@

$$(CGRT_$(1)_DIR)/t/rt_reflect%.o: $(CGRT_GEN)/rt_reflect%.c $(CGRT_RF_HDRS) $(CGRPC_HDRS)
	@mkdir -p $$(dir $$@)
	$$(call cgrpc_say,CC,$$<)
	$$(cgrpc_q)$(CGRPC_CC) -std=c11 $(CGRPC_OPT) $(2) $$(CGRPC_CFLAGS) -I$(CGRT_GEN) -c $$< -o $$@

# descriptor.proto's protobuf-c code (made for the plugin), with which the
# reflection tests read the descriptors they get back.
$$(CGRT_$(1)_DIR)/t/descriptor.pb-c.o: $(PLUGIN_PB_STAMP)
	@mkdir -p $$(dir $$@)
	$$(call cgrpc_say,CC,$(PLUGIN_PB_DIR)/google/protobuf/descriptor.pb-c.c)
	$$(cgrpc_q)$(CGRPC_CC) -std=c11 $(CGRPC_OPT) $(2) $$(CGRPC_CFLAGS) -I$(PLUGIN_PB_DIR) \
	    -c $(PLUGIN_PB_DIR)/google/protobuf/descriptor.pb-c.c -o $$@

$$(CGRT_$(1)_DIR)/test_%: $$(CGRT_$(1)_DIR)/t/test_%.o $$(CGRT_$(1)_HOBJ) $$(CGRT_$(1)_LIB)
	$$(call cgrpc_say,LD,$$@)
	$$(cgrpc_q)$(CGRPC_CC) $(CGRPC_OPT) $(2) $$^ $$(CGRPC_LDLIBS) $$(CGRT_LDLIBS) -o $$@
endef

$(eval $(call cgrpc_variant,plain,))
# The sanitizer builds' flags, and the settings their runs need (a report
# stops the program, which then counts as failed); mk/faults.mk
# builds its suites the same way.
CGRT_ASAN_FLAGS := -fsanitize=address$(cgrpc_comma)undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CGRT_TSAN_FLAGS := -fsanitize=thread
CGRT_ASAN_ENV   := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
CGRT_TSAN_ENV   := TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1"

$(eval $(call cgrpc_variant,asan,$(CGRT_ASAN_FLAGS)))
$(eval $(call cgrpc_variant,tsan,$(CGRT_TSAN_FLAGS)))

.SECONDARY: $(CGRT_plain_HOBJ) $(CGRT_asan_HOBJ) $(CGRT_tsan_HOBJ) \
            $(foreach v,plain asan tsan,$(patsubst %,$(CGRT_$(v)_DIR)/t/test_%.o,$(CGRT_SUITES))) \
            $(CGRT_plain_DIR)/t/quick_bench.o $(CGRT_plain_DIR)/t/trace_bench.o

cgrpc-test-bins: $(CGRT_plain_BINS)

test-runtime: $(CGRT_plain_BINS) cgrt-certs
	@sh $(CGRT_RUN) --label plain -- $(CGRT_plain_BINS)

# Suites to leave out of the valgrind run (names without test_), e.g.
# `make test-runtime-memcheck CGRT_MEMCHECK_SKIP=keepalive` while looking
# into one; none by default: every suite runs under valgrind.
CGRT_MEMCHECK_SKIP ?=
test-runtime-memcheck: $(CGRT_plain_BINS) cgrt-certs
	@CGRT_SLOW=1 sh $(CGRT_RUN) --label valgrind --wrap "$(CGRT_VALGRIND)" -- \
	    $(filter-out $(patsubst %,$(CGRT_plain_DIR)/test_%,$(CGRT_MEMCHECK_SKIP)),$(CGRT_plain_BINS))

test-runtime-sanitize: $(CGRT_asan_BINS) cgrt-certs
	@$(CGRT_ASAN_ENV) \
	  sh $(CGRT_RUN) --label asan+ubsan -- $(CGRT_asan_BINS)

# gRPC core and abseil come from Debian, not built with TSan: TSan cannot see
# their internal synchronisation and would report their own memcpy calls.
# ignore_noninstrumented_modules makes it check only what it instrumented
# (the runtime and the tests), where every report is ours to fix.
test-runtime-tsan: $(patsubst %,$(CGRT_tsan_DIR)/test_%,$(CGRT_TSAN_SUITES)) cgrt-certs
	@$(CGRT_TSAN_ENV) \
	  sh $(CGRT_RUN) --label tsan -- $(patsubst %,$(CGRT_tsan_DIR)/test_%,$(CGRT_TSAN_SUITES))

# A quick in-process speed check (not a benchmark: see quick_bench.c).
.PHONY: cgrpc-quick-bench
cgrpc-quick-bench: $(CGRT_plain_DIR)/quick_bench
	$(CGRT_plain_DIR)/quick_bench 1 2
	$(CGRT_plain_DIR)/quick_bench 4 2

$(CGRT_plain_DIR)/quick_bench: $(CGRT_plain_DIR)/t/quick_bench.o $(CGRT_plain_HOBJ) $(CGRPC_LIB)
	$(call cgrpc_say,LD,$@)
	$(cgrpc_q)$(CGRPC_CC) $(CGRPC_OPT) $^ $(CGRPC_LDLIBS) $(CGRT_LDLIBS) -o $@

# What tracing costs a call with no endpoint set (see trace_bench.c).
.PHONY: cgrpc-trace-bench
cgrpc-trace-bench: $(CGRT_plain_DIR)/trace_bench
	$(CGRT_plain_DIR)/trace_bench 2000 10

$(CGRT_plain_DIR)/trace_bench: $(CGRT_plain_DIR)/t/trace_bench.o $(CGRT_plain_HOBJ) $(CGRPC_LIB)
	$(call cgrpc_say,LD,$@)
	$(cgrpc_q)$(CGRPC_CC) $(CGRPC_OPT) $^ $(CGRPC_LDLIBS) $(CGRT_LDLIBS) -o $@

endif  # cgrpc_lib_mk
