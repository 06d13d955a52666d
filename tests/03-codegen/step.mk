# tests/03-codegen/step.mk: what step 03's tests need besides the step's C files.
#
# - gRPC core and protobuf-c (the glue exercise), the tests' helpers, and the
#   course's message code for proto/tutorial/v1/my_service.proto, generated
#   by the shared rules of mk/plugin.mk into build/gen (never from the
#   learner's rule, so a broken rule cannot break the build).
# - A run of the learner's rule (codegen.mk) into a fresh directory before
#   every test run. It may fail: its output and exit status go to a log, and
#   test_codegen reports them. The tests never #include what it generated.

include $(ROOT)/mk/plugin.mk

PROTOC ?= protoc

# pkg-config walks all of absl for grpc (about a second): ask once, here,
# through tools/setup/pkg-config-cached (kept in build/ until packages change).
STEP03_PC_CFLAGS := $(shell $(ROOT)/tools/setup/pkg-config-cached --cflags grpc gpr libprotobuf-c)
STEP03_PC_LIBS   := $(shell $(ROOT)/tools/setup/pkg-config-cached --libs grpc gpr libprotobuf-c)

# The course's generated message code (mk/plugin.mk makes it).
STEP03_SHARED_GEN := $(ROOT)/build/gen
STEP03_MSG        := $(STEP03_SHARED_GEN)/tutorial/v1/my_service.pb-c

# The learner's rule and where its run goes.
STEP03_RULE      := $(call src,codegen.mk)
STEP03_OUT       := $(BUILD)/learner-gen
STEP03_LOG       := $(BUILD)/codegen.log
STEP03_MAKE_ARGS := --no-print-directory -f $(STEP03_RULE) ROOT=$(ROOT) \
                    OUT=$(STEP03_OUT) PROTOC=$(PROTOC) CGRPC_PLUGIN=$(CGRPC_PLUGIN)
# How test_codegen compiles what the rule generated: like any course code.
STEP03_GEN_CC    := $(CC) -std=c11 -Wall -Wextra -Werror -I$(ROOT)/lib/include \
                    $(STEP03_PC_CFLAGS)

EXTRA_CFLAGS += -I$(STEP03_SHARED_GEN) $(STEP03_PC_CFLAGS) \
    -DSTEP03_OUT='"$(STEP03_OUT)"' -DSTEP03_LOG='"$(STEP03_LOG)"' \
    -DSTEP03_OBJ='"$(BUILD)/learner-obj"' -DSTEP03_MAKE='"$(MAKE)"' \
    -DSTEP03_MAKE_ARGS='"$(STEP03_MAKE_ARGS)"' -DSTEP03_CC='"$(STEP03_GEN_CC)"'
EXTRA_LDLIBS += $(STEP03_PC_LIBS)
EXTRA_SRCS   += $(STEP03_MSG).c $(TEST_DIR)/bufs.c $(TEST_DIR)/codegen_check.c
EXTRA_DEPS   += $(STEP03_MSG).c $(STEP03_MSG).h

# The learner's rule, run on every build: it is the thing under test, so the
# tests always see what it does now. MAKEFLAGS is emptied so that this
# build's command-line variables (SOLUTION=1, ...) do not leak into it.
.PHONY: step03-codegen
all build: step03-codegen
step03-codegen: $(CGRPC_PLUGIN) | $(GEN)
	$(ECHO) '  RUN  make -f %s codegen\n' '$(subst $(ROOT)/,,$(STEP03_RULE))'
	$(Q)rm -rf $(STEP03_OUT) $(BUILD)/learner-obj
	$(Q){ MAKEFLAGS= MAKELEVEL= $(MAKE) $(STEP03_MAKE_ARGS) codegen; \
	      echo "exit status $$?"; } >$(STEP03_LOG) 2>&1 || true
	$(Q)if ! tail -n 1 $(STEP03_LOG) | grep -qx 'exit status 0'; then \
	    printf '  (codegen.mk failed: the codegen tests show why; log: %s)\n' \
	           '$(subst $(ROOT)/,,$(STEP03_LOG))'; fi

