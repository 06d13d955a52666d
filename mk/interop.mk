# mk/interop.mk: interop tests of the cgrpc runtime against Python
# grpcio and @grpc/grpc-js, with gRPC's standard interop cases.
#
# Included by the top-level Makefile; also works alone from the repo root:
#
#   make -f mk/interop.mk test-interop
#
#   test-interop        build the C, Python and node peers, run the harness over
#                       C<->Python and C<->node (last line `N passed, M failed`)
#   test-interop-peers  only Python<->node: checks the peers, needs no C
#   interop-deps        npm ci into tests/workspace/interop/node/node_modules, when missing
#                       or older than package-lock.json
#   interop-c           build/interop/c/interop_{server,client}
#   interop-python      the Python stubs of grpc.testing in build/interop/python
#
# INTEROP_ARGS passes flags to run_interop.py (e.g. INTEROP_ARGS=--sanity adds
# the Python<->node pairs; --cases=large_unary,ping_pong picks cases). V=1
# shows full command lines. Output goes to build/interop only.

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
# Expand now, while the last makefile read is this one (the includes below
# would change what $(lastword $(MAKEFILE_LIST)) means later).
ROOT := $(ROOT)

INTEROP_DIR      := $(ROOT)/tests/workspace/interop
INTEROP_BUILD    := $(ROOT)/build/interop
INTEROP_GEN      := $(INTEROP_BUILD)/gen
INTEROP_NODE_DIR := $(INTEROP_DIR)/node
# Debian's grpcio is installed for this interpreter only; a python3 earlier
# on PATH may be another one without it.
INTEROP_PYTHON   ?= /usr/bin/python3
GRPC_PROTO_DIR   ?= /usr/share/grpc-proto
INTEROP_PROTOS   := grpc/testing/empty.proto grpc/testing/messages.proto grpc/testing/test.proto
INTEROP_ARGS     ?=

# Standalone: bring in the runtime and the code generator (the top-level
# Makefile has included them already).
ifndef CGRPC_LIB
include $(ROOT)/mk/lib.mk
endif
ifndef CGRPC_PLUGIN
include $(ROOT)/mk/plugin.mk
endif

INTEROP_Q    := $(if $(V),,@)
INTEROP_ECHO := $(if $(V),@:,@printf)

.PHONY: test-interop test-interop-peers interop-deps interop-c interop-python

test-interop: interop-c interop-python interop-deps
	$(INTEROP_Q)INTEROP_PY_GEN=$(INTEROP_BUILD)/python $(INTEROP_PYTHON) $(INTEROP_DIR)/run_interop.py \
	  --build $(INTEROP_BUILD) $(INTEROP_ARGS)

test-interop-peers: interop-python interop-deps
	$(INTEROP_Q)INTEROP_PY_GEN=$(INTEROP_BUILD)/python $(INTEROP_PYTHON) $(INTEROP_DIR)/run_interop.py \
	  --build $(INTEROP_BUILD) --pairs= --sanity $(INTEROP_ARGS)

# ---------------------------------------------------------------------------
# node: @grpc/grpc-js and @grpc/proto-loader, pinned by package-lock.json.
# npm ci writes node_modules/.package-lock.json: it stands for the install.
# ---------------------------------------------------------------------------

INTEROP_NODE_STAMP := $(INTEROP_NODE_DIR)/node_modules/.package-lock.json

interop-deps: $(INTEROP_NODE_STAMP)

$(INTEROP_NODE_STAMP): $(INTEROP_NODE_DIR)/package-lock.json $(INTEROP_NODE_DIR)/package.json
	$(INTEROP_ECHO) '  NPM     tests/workspace/interop/node (npm ci)\n'
	$(INTEROP_Q)cd $(INTEROP_NODE_DIR) && npm ci --no-audit --no-fund $(if $(V),,--loglevel=error)
	$(INTEROP_Q)touch $@

# ---------------------------------------------------------------------------
# Python: grpc_tools.protoc stubs, generated at build time, never committed.
# ---------------------------------------------------------------------------

INTEROP_PY_STUB := $(INTEROP_BUILD)/python/grpc/testing/test_pb2_grpc.py

interop-python: $(INTEROP_PY_STUB)

$(INTEROP_PY_STUB): $(addprefix $(GRPC_PROTO_DIR)/,$(INTEROP_PROTOS))
	$(INTEROP_ECHO) '  PROTOC  %s (python)\n' '$(INTEROP_PROTOS)'
	$(INTEROP_Q)mkdir -p $(INTEROP_BUILD)/python
	$(INTEROP_Q)$(INTEROP_PYTHON) -m grpc_tools.protoc -I$(GRPC_PROTO_DIR) \
	  --python_out=$(INTEROP_BUILD)/python --grpc_python_out=$(INTEROP_BUILD)/python $(INTEROP_PROTOS)

# ---------------------------------------------------------------------------
# C: protobuf-c messages and protoc-gen-cgrpc stubs for grpc.testing, then the
# interop server and client on the runtime.
# ---------------------------------------------------------------------------

INTEROP_GEN_STAMP := $(INTEROP_GEN)/.generated
INTEROP_GEN_SRCS  := $(patsubst %.proto,$(INTEROP_GEN)/%.pb-c.c,$(INTEROP_PROTOS)) \
                     $(INTEROP_GEN)/grpc/testing/test.cgrpc.c
INTEROP_GEN_OBJS  := $(patsubst $(INTEROP_GEN)/%.c,$(INTEROP_BUILD)/obj/gen/%.o,$(INTEROP_GEN_SRCS))
INTEROP_COMMON_OBJ := $(INTEROP_BUILD)/obj/interop_common.o
INTEROP_BINS      := $(INTEROP_BUILD)/c/interop_server $(INTEROP_BUILD)/c/interop_client
# Objects made through the pattern rules below: keep them between runs.
.SECONDARY: $(patsubst $(INTEROP_BUILD)/c/%,$(INTEROP_BUILD)/obj/%.o,$(INTEROP_BINS)) \
            $(INTEROP_COMMON_OBJ) $(INTEROP_GEN_OBJS)

# CGRPC_CFLAGS and CGRPC_LDLIBS (mk/lib.mk) carry gRPC's and protobuf-c's flags.
INTEROP_CFLAGS = -std=c11 -Wall -Wextra $(if $(WERROR),-Werror) -g -O2 -D_POSIX_C_SOURCE=200809L \
                 $(CGRPC_CFLAGS) -I$(INTEROP_GEN) -I$(INTEROP_DIR)/c
INTEROP_LDLIBS = $(CGRPC_LIB) $(CGRPC_LDLIBS) -pthread

interop-c: $(INTEROP_BINS)

$(INTEROP_GEN_STAMP): $(addprefix $(GRPC_PROTO_DIR)/,$(INTEROP_PROTOS)) $(CGRPC_PLUGIN)
	$(if $(CGRPC_PLUGIN),,$(error interop: mk/plugin.mk (CGRPC_PLUGIN) is missing: the C peers need protoc-gen-cgrpc))
	$(INTEROP_ECHO) '  PROTOC  %s (c, cgrpc)\n' '$(INTEROP_PROTOS)'
	$(INTEROP_Q)mkdir -p $(INTEROP_GEN)
	$(INTEROP_Q)protoc -I$(GRPC_PROTO_DIR) --c_out=$(INTEROP_GEN) $(INTEROP_PROTOS)
	$(INTEROP_Q)protoc -I$(GRPC_PROTO_DIR) --plugin=protoc-gen-cgrpc=$(CGRPC_PLUGIN) \
	  --cgrpc_out=$(INTEROP_GEN) grpc/testing/test.proto
	$(INTEROP_Q)touch $@

$(INTEROP_GEN_SRCS): $(INTEROP_GEN_STAMP)

$(INTEROP_BUILD)/obj/gen/%.o: $(INTEROP_GEN)/%.c $(INTEROP_GEN_STAMP)
	$(INTEROP_ECHO) '  CC      %s\n' 'build/interop/gen/$*.c'
	$(INTEROP_Q)mkdir -p $(dir $@)
	$(INTEROP_Q)$(CC) $(INTEROP_CFLAGS) -MMD -MP -c $< -o $@

$(INTEROP_BUILD)/obj/%.o: $(INTEROP_DIR)/c/%.c $(INTEROP_GEN_STAMP)
	$(INTEROP_ECHO) '  CC      %s\n' 'tests/workspace/interop/c/$*.c'
	$(INTEROP_Q)mkdir -p $(dir $@)
	$(INTEROP_Q)$(CC) $(INTEROP_CFLAGS) -MMD -MP -c $< -o $@

$(INTEROP_BUILD)/c/%: $(INTEROP_BUILD)/obj/%.o $(INTEROP_COMMON_OBJ) $(INTEROP_GEN_OBJS) $(CGRPC_LIB)
	$(if $(CGRPC_LIB),,$(error interop: mk/lib.mk (CGRPC_LIB) is missing: the C peers need the runtime))
	$(INTEROP_ECHO) '  LD      %s\n' 'build/interop/c/$*'
	$(INTEROP_Q)mkdir -p $(dir $@)
	$(INTEROP_Q)$(CC) -o $@ $(filter %.o,$^) $(INTEROP_LDLIBS)

-include $(wildcard $(INTEROP_BUILD)/obj/*.d $(INTEROP_BUILD)/obj/gen/grpc/testing/*.d)
