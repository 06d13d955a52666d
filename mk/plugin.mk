# mk/plugin.mk: the protoc plugin protoc-gen-cgrpc and the C code it
# generates for the course's .proto files.
#
# Included by the top-level Makefile, or run alone from the repository root:
#
#   make -f mk/plugin.mk cgrpc-plugin          build build/tools/protoc-gen-cgrpc
#   make -f mk/plugin.mk cgrpc-gen             generate C for proto/tutorial/v1/*.proto
#   make -f mk/plugin.mk test-plugin           the plugin's tests (tests/workspace/plugin)
#   make -f mk/plugin.mk update-plugin-golden  rewrite the golden files from the
#                                                 current plugin: review the diff!
#
# For other makefiles it defines
#   CGRPC_PLUGIN      the plugin binary
#   CGRPC_GEN_DIR     where generated course code goes ($(ROOT)/build/gen)
#   COURSE_GEN_SRCS   the generated .c files of proto/tutorial/v1/*.proto
#                     (.pb-c.c for every file, .cgrpc.c for those with services)
#   COURSE_GEN_HDRS   the matching headers (compile with -I$(CGRPC_GEN_DIR))
# and a pattern rule that makes, from $(ROOT)/proto/<path>.proto,
#   $(CGRPC_GEN_DIR)/<path>.pb-c.{c,h} and $(CGRPC_GEN_DIR)/<path>.cgrpc.{c,h}
# e.g. build/gen/tutorial/v1/my_service.cgrpc.c.
#
# V=1 shows full commands; WERROR=1 adds -Werror. Nothing is written outside
# $(ROOT)/build.

# mk/lib.mk includes this file (the runtime's reflection service is
# generated code), and so do the fragments that include mk/lib.mk: once.
ifndef cgrpc_plugin_mk
cgrpc_plugin_mk := 1

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
# `?=` makes ROOT recursive, and MAKEFILE_LIST grows with every include (the
# -include of .d files below would change its value for every later use, here
# and in other fragments), so ROOT keeps the value it has now.
ROOT := $(ROOT)
PLUGIN_ROOT := $(ROOT)

PROTOC          ?= protoc
PKG_CONFIG      ?= pkg-config
CGRPC_PROTO_INC ?= /usr/include

CGRPC_PLUGIN  := $(PLUGIN_ROOT)/build/tools/protoc-gen-cgrpc
CGRPC_GEN_DIR := $(PLUGIN_ROOT)/build/gen

PLUGIN_SRC_DIR := $(PLUGIN_ROOT)/tools/protoc-gen-cgrpc
PLUGIN_OBJ_DIR := $(PLUGIN_ROOT)/build/tools/obj
PLUGIN_PB_DIR  := $(PLUGIN_ROOT)/build/tools/gen
PLUGIN_TEST    := $(PLUGIN_ROOT)/tests/workspace/plugin

PLUGIN_Q    := $(if $(V),,@)
PLUGIN_ECHO := $(if $(V),@:,@printf)

PLUGIN_CFLAGS := -std=c11 -g -O2 -Wall -Wextra -Wpedantic $(if $(WERROR),-Werror) \
                 -I$(PLUGIN_PB_DIR) $(shell $(PKG_CONFIG) --cflags libprotobuf-c)
PLUGIN_LDLIBS := $(shell $(PKG_CONFIG) --libs libprotobuf-c)

# protobuf-c bindings of descriptor.proto and plugin.proto, made at build
# time from the copies protoc ships (never committed).
PLUGIN_PB_PROTOS := google/protobuf/descriptor.proto google/protobuf/compiler/plugin.proto
PLUGIN_PB_SRCS   := $(patsubst %.proto,$(PLUGIN_PB_DIR)/%.pb-c.c,$(PLUGIN_PB_PROTOS))
PLUGIN_PB_STAMP  := $(PLUGIN_PB_DIR)/.stamp

PLUGIN_SRCS := $(sort $(wildcard $(PLUGIN_SRC_DIR)/*.c))
PLUGIN_OBJS := $(patsubst $(PLUGIN_SRC_DIR)/%.c,$(PLUGIN_OBJ_DIR)/%.o,$(PLUGIN_SRCS)) \
               $(patsubst $(PLUGIN_PB_DIR)/%.c,$(PLUGIN_OBJ_DIR)/pb/%.o,$(PLUGIN_PB_SRCS))

.PHONY: cgrpc-plugin cgrpc-gen test-plugin update-plugin-golden \
        plugin-runtime-vars plugin-print-course-gen

cgrpc-plugin: $(CGRPC_PLUGIN)

$(PLUGIN_PB_STAMP): $(addprefix $(CGRPC_PROTO_INC)/,$(PLUGIN_PB_PROTOS))
	$(PLUGIN_ECHO) '  GEN %s\n' 'plugin.proto, descriptor.proto'
	@mkdir -p $(PLUGIN_PB_DIR)
	$(PLUGIN_Q)$(PROTOC) -I$(CGRPC_PROTO_INC) --c_out=$(PLUGIN_PB_DIR) $(PLUGIN_PB_PROTOS)
	@touch $@

$(PLUGIN_PB_SRCS): $(PLUGIN_PB_STAMP)

$(PLUGIN_OBJ_DIR)/%.o: $(PLUGIN_SRC_DIR)/%.c $(PLUGIN_PB_STAMP)
	$(PLUGIN_ECHO) '  CC  %s\n' '$(subst $(PLUGIN_ROOT)/,,$<)'
	@mkdir -p $(dir $@)
	$(PLUGIN_Q)$(CC) $(PLUGIN_CFLAGS) -MMD -MP -c $< -o $@

$(PLUGIN_OBJ_DIR)/pb/%.o: $(PLUGIN_PB_DIR)/%.c $(PLUGIN_PB_STAMP)
	$(PLUGIN_ECHO) '  CC  %s\n' '$(subst $(PLUGIN_ROOT)/,,$<)'
	@mkdir -p $(dir $@)
	$(PLUGIN_Q)$(CC) $(PLUGIN_CFLAGS) -MMD -MP -c $< -o $@

$(CGRPC_PLUGIN): $(PLUGIN_OBJS)
	$(PLUGIN_ECHO) '  LD  %s\n' '$(subst $(PLUGIN_ROOT)/,,$@)'
	$(PLUGIN_Q)$(CC) $(PLUGIN_CFLAGS) $^ $(PLUGIN_LDLIBS) -o $@

-include $(PLUGIN_OBJS:.o=.d)

# ---- code generation for proto/ ----------------------------------------

COURSE_PROTOS         := $(sort $(wildcard $(PLUGIN_ROOT)/proto/tutorial/v1/*.proto))
COURSE_SERVICE_PROTOS := $(if $(COURSE_PROTOS),$(shell grep -l -E '^[[:space:]]*service[[:space:]]' $(COURSE_PROTOS)))
COURSE_GEN_SRCS := $(patsubst $(PLUGIN_ROOT)/proto/%.proto,$(CGRPC_GEN_DIR)/%.pb-c.c,$(COURSE_PROTOS)) \
                   $(patsubst $(PLUGIN_ROOT)/proto/%.proto,$(CGRPC_GEN_DIR)/%.cgrpc.c,$(COURSE_SERVICE_PROTOS))
COURSE_GEN_HDRS := $(COURSE_GEN_SRCS:.c=.h)

# One protoc run writes all four files. --cgrpc_out comes first: protoc stops
# at the first generator that fails, and protoc-gen-cgrpc explains problems
# such as proto3 `optional` better than protoc-gen-c does. The .d file makes
# the outputs depend on imported .proto files too.
$(CGRPC_GEN_DIR)/%.pb-c.c $(CGRPC_GEN_DIR)/%.pb-c.h $(CGRPC_GEN_DIR)/%.cgrpc.c $(CGRPC_GEN_DIR)/%.cgrpc.h: $(PLUGIN_ROOT)/proto/%.proto $(CGRPC_PLUGIN)
	$(PLUGIN_ECHO) '  GEN %s\n' '$(subst $(PLUGIN_ROOT)/,,$<)'
	@mkdir -p $(CGRPC_GEN_DIR)
	$(PLUGIN_Q)$(PROTOC) -I$(PLUGIN_ROOT)/proto -I$(CGRPC_PROTO_INC) \
	    --plugin=protoc-gen-cgrpc=$(CGRPC_PLUGIN) --cgrpc_out=$(CGRPC_GEN_DIR) \
	    --c_out=$(CGRPC_GEN_DIR) --dependency_out=$(CGRPC_GEN_DIR)/$*.proto.d $<

.PRECIOUS: $(CGRPC_GEN_DIR)/%.pb-c.c $(CGRPC_GEN_DIR)/%.pb-c.h \
           $(CGRPC_GEN_DIR)/%.cgrpc.c $(CGRPC_GEN_DIR)/%.cgrpc.h

-include $(patsubst $(PLUGIN_ROOT)/proto/%.proto,$(CGRPC_GEN_DIR)/%.proto.d,$(COURSE_PROTOS))

cgrpc-gen: $(COURSE_GEN_SRCS) $(COURSE_GEN_HDRS)

# For the tests: what cgrpc-gen promises to write.
plugin-print-course-gen:
	@echo $(COURSE_GEN_SRCS) $(COURSE_GEN_HDRS)

# ---- tests ----------------------------------------------------------------

# The tests build the runtime themselves when mk/lib.mk can: they read its
# variables through this target (make -f mk/lib.mk -f mk/plugin.mk ...).
plugin-runtime-vars:
	@echo 'CGRPC_LIB=$(CGRPC_LIB)'
	@echo 'CGRPC_CFLAGS=$(CGRPC_CFLAGS)'
	@echo 'CGRPC_LDLIBS=$(CGRPC_LDLIBS)'

PLUGIN_TEST_ENV = ROOT='$(PLUGIN_ROOT)' PLUGIN='$(CGRPC_PLUGIN)' PROTOC='$(PROTOC)' \
    CC='$(CC)' PKG_CONFIG='$(PKG_CONFIG)' PROTO_INC='$(CGRPC_PROTO_INC)' \
    MAKE='$(MAKE)' OUT='$(PLUGIN_ROOT)/build/tests/plugin' V='$(V)'

test-plugin: $(CGRPC_PLUGIN)
	@$(PLUGIN_TEST_ENV) sh $(PLUGIN_TEST)/run-tests.sh

update-plugin-golden: $(CGRPC_PLUGIN)
	@$(PLUGIN_TEST_ENV) sh $(PLUGIN_TEST)/run-tests.sh --update-golden

endif  # cgrpc_plugin_mk
