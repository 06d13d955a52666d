# tests/07-deploy/step.mk: what step 07 needs besides the step's C files.
#
# - The cgrpc runtime and the course's generated code (mk/step-runtime.mk).
# - The step's given code, in steps/07-deploy/given/ (the lesson tells the
#   learner it need not be read): mk/step.mk compiles the .c files at the
#   top of the step's folder, this adds those of given/ and its headers.
# - The standard health service, grpc.health.v1.Health: its .proto comes
#   with Debian's grpc-proto package; protoc and protoc-gen-cgrpc turn it
#   into C in $(GEN)/grpc/health/v1/, as they did the course's protos.
# - The five course services of step 04, built from step 04's own files
#   (its given files and its reference solution), not copied: step 7 deploys
#   the server step 4 wrote.
# - The tests' helpers: harness.c (an in-process server, the program as a
#   child process, HTTP and Prometheus text), an OTLP trace receiver
#   (tests/common/otlp_receiver.c, shared with the runtime's suites), step 04's proc.c, which runs a
#   program and reads its output, and the helpers every suite shares
#   (tests/common/testutil.c: now_ms, wait_until, the suites' gRPC setup,
#   under the names step 04's fixture.h gives them).
# - The program, $(BUILD)/server, built before the tests run: the drain,
#   config and replica suites start it.

include $(ROOT)/mk/step-runtime.mk

PROGRAM := $(BUILD)/server

# ---- the step's given code ----------------------------------------------

STEP07_GIVEN_DIR := $(STEP_DIR)/given
EXTRA_SRCS   += $(wildcard $(STEP07_GIVEN_DIR)/*.c)
EXTRA_CFLAGS += -I$(STEP07_GIVEN_DIR)

# ---- grpc.health.v1.Health ----------------------------------------------

HEALTH_PROTO_DIR ?= /usr/share/grpc-proto
HEALTH_GEN       := $(GEN)/grpc/health/v1/health

$(GEN)/grpc/%.pb-c.c $(GEN)/grpc/%.pb-c.h $(GEN)/grpc/%.cgrpc.c $(GEN)/grpc/%.cgrpc.h: \
        $(HEALTH_PROTO_DIR)/grpc/%.proto $(CGRPC_PLUGIN) | $(GEN)
	$(ECHO) '  GEN %s\n' 'grpc/$*.proto (from $(HEALTH_PROTO_DIR))'
	$(Q)$(PROTOC) -I$(HEALTH_PROTO_DIR) \
	    --plugin=protoc-gen-cgrpc=$(CGRPC_PLUGIN) --cgrpc_out=$(GEN) \
	    --c_out=$(GEN) $<

$(HEALTH_PROTO_DIR)/grpc/health/v1/health.proto:
	@echo "step 07 needs $@: install Debian's grpc-proto package"; \
	 echo "(sudo apt install grpc-proto), or set HEALTH_PROTO_DIR=<dir holding grpc/health/v1/health.proto>"; \
	 exit 1

EXTRA_SRCS += $(HEALTH_GEN).pb-c.c $(HEALTH_GEN).cgrpc.c
EXTRA_DEPS += $(HEALTH_GEN).pb-c.h $(HEALTH_GEN).cgrpc.h

# ---- the services of step 04 --------------------------------------------

STEP04_DIR     := $(ROOT)/steps/04-server
STEP04_SOL     := $(ROOT)/solutions/04-server
STEP04_LEARNER := $(filter-out main.c,$(notdir $(wildcard $(STEP04_SOL)/*.c)))
STEP04_GIVEN   := $(filter-out main.c $(STEP04_LEARNER),$(notdir $(wildcard $(STEP04_DIR)/*.c)))

EXTRA_SRCS   += $(addprefix $(STEP04_SOL)/,$(STEP04_LEARNER)) \
                $(addprefix $(STEP04_DIR)/,$(STEP04_GIVEN))
EXTRA_CFLAGS += -I$(STEP04_DIR)

# ---- the tests' helpers ---------------------------------------------------

STEP07_HELPERS := $(BUILD)/obj/t07/harness.o $(BUILD)/obj/t07/proc.o \
                  $(BUILD)/obj/t07/otlp_receiver.o $(TESTUTIL_OBJ)

# The tracing suite's OTLP receiver (tests/common/otlp_receiver.c), on the
# runtime's own generated OTLP code (mk/lib.mk: build/lib/gen).
$(BUILD)/obj/t07/otlp_receiver.o: $(ROOT)/tests/common/otlp_receiver.c $(ROOT)/tests/common/otlp_receiver.h $(CGRPC_OTLP_STAMP) $(EXTRA_DEPS) | $(BUILD)/obj
	@mkdir -p $(dir $@)
	$(ECHO) '  CC  %s\n' '$(subst $(ROOT)/,,$<)'
	$(Q)$(CC) $(TEST_CFLAGS) -I$(CGRPC_OTLP_GEN) -c $< -o $@

$(BUILD)/obj/t07/harness.o: $(TEST_DIR)/harness.c $(TEST_DIR)/harness.h $(ROOT)/tests/04-server/proc.h $(EXTRA_DEPS) | $(BUILD)/obj
	@mkdir -p $(dir $@)
	$(ECHO) '  CC  %s\n' '$(subst $(ROOT)/,,$<)'
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/obj/t07/proc.o: $(ROOT)/tests/04-server/proc.c $(ROOT)/tests/04-server/proc.h $(FLAGS_STAMP) | $(BUILD)/obj
	@mkdir -p $(dir $@)
	$(ECHO) '  CC  %s\n' '$(subst $(ROOT)/,,$<)'
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

# Extra prerequisites of a rule's target are linked too ($^ in its recipe);
# the program itself links none of them.
$(patsubst %,$(BUILD)/test_%,$(SUITES)): $(STEP07_HELPERS)

# The suites that run the program need it built first.
$(patsubst %,$(BUILD)/test_%,$(SUITES)): | $(PROGRAM)


# ---- exercise 8: the Kubernetes manifests (suite k8s) --------------------
#
# test_k8s runs k8s_rules.py on the serving.yaml of this build's mode (the
# learner's, or the solution, which is k8s/serving.yaml itself). The schema
# check needs node and npm kubernetes-models in tests/workspace/deploy/node_modules,
# the same install `make test-deploy` uses: `npm ci` once (online); when it
# cannot run, the suite's tests say so.
EXTRA_CFLAGS += -DK8S_PATCH='"$(call src,serving.yaml)"'
STEP07_DEPLOY_STAMP := $(ROOT)/tests/workspace/deploy/node_modules/.package-lock.json
$(BUILD)/test_k8s: | $(STEP07_DEPLOY_STAMP)
$(STEP07_DEPLOY_STAMP):
	-$(MAKE) --no-print-directory -f $(ROOT)/mk/cluster.mk ROOT=$(ROOT) deploy-deps
