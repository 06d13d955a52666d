# mk/step-runtime.mk: what a step built on the cgrpc runtime needs.
#
# Steps 04 to 07 include this from their tests/NN-name/step.mk:
#
#     include $(ROOT)/mk/step-runtime.mk
#
# It links the runtime (build/lib/libcgrpc.a) and the generated C of every
# course proto (build/gen/tutorial/v1/*.{pb-c,cgrpc}.c), building both first
# when they are missing or stale. Test code includes <cgrpc.h> and e.g.
# "tutorial/v1/my_service.cgrpc.h".

include $(ROOT)/mk/lib.mk
include $(ROOT)/mk/plugin.mk

# A ThreadSanitizer build links the runtime built with TSan too, so the
# runtime's own atomics and locks are seen and never reported as races.
STEP_CGRPC_LIB := $(if $(filter thread,$(SANITIZE)),$(CGRT_tsan_LIB),$(CGRPC_LIB))

EXTRA_CFLAGS += $(CGRPC_CFLAGS) -I$(CGRPC_GEN_DIR)
EXTRA_SRCS   += $(COURSE_GEN_SRCS)
EXTRA_LDLIBS += $(STEP_CGRPC_LIB) $(CGRPC_LDLIBS)
EXTRA_DEPS   += $(STEP_CGRPC_LIB) $(COURSE_GEN_HDRS) $(COURSE_GEN_SRCS)

# The suites' shared helpers (tests/common/testutil.c, see testutil.h).
# A step whose test helpers go into EXTRA_SRCS adds $(TESTUTIL_SRC) there;
# one that links its helpers into the test binaries only adds
# $(TESTUTIL_OBJ) to their prerequisites.
TESTUTIL_SRC := $(ROOT)/tests/common/testutil.c
TESTUTIL_OBJ := $(BUILD)/obj/common/testutil.o

$(TESTUTIL_OBJ): $(TESTUTIL_SRC) $(ROOT)/tests/common/testutil.h $(EXTRA_DEPS) | $(BUILD)/obj
	@mkdir -p $(@D)
	$(ECHO) '  CC  %s\n' '$(subst $(ROOT)/,,$<)'
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@
