# tests/05-client/step.mk: what step 05's tests need besides the step's C files.
#
# - The cgrpc runtime and the generated code of the course's protos
#   (mk/step-runtime.mk), for the client and for the test server.
# - The test server (service.c), the suites' helpers (fixture.c) and the
#   helpers every suite shares (tests/common/testutil.c), linked into the
#   test binaries only: the step's program, build/.../client, is the
#   learner's client and nothing else.
# - The program itself, built before the tests run: test_cli runs it.

include $(ROOT)/mk/step-runtime.mk

STEP05_HELPERS := service fixture
STEP05_OBJS    := $(patsubst %,$(BUILD)/obj/t05/%.o,$(STEP05_HELPERS)) $(TESTUTIL_OBJ)

$(BUILD)/obj/t05/%.o: $(TEST_DIR)/%.c $(wildcard $(TEST_DIR)/*.h) $(EXTRA_DEPS) | $(BUILD)/obj
	@mkdir -p $(dir $@)
	$(ECHO) '  CC  %s\n' '$(subst $(ROOT)/,,$<)'
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

# Extra prerequisites of a rule's target are linked too ($^ in its recipe).
$(patsubst %,$(BUILD)/test_%,$(SUITES)): $(STEP05_OBJS)

