# tests/06-testing/step.mk: what step 06 builds besides the step's own files.
#
# - The cgrpc runtime and the course's generated code (mk/step-runtime.mk).
# - The service under test: step 4's services as finished there, compiled
#   from their own files (steps/04-server for the given ones,
#   solutions/04-server for the learner's), never copied into this step.
# - The learner's test program, $(BUILD)/testing: the given main.c, the
#   learner's files and the services. `make run` runs it.
# - One mutant of that program per entry of STEP06_MUTANTS: the same program
#   linked against a copy of one step-4 file into which mutants/<name>.sed
#   has put one bug, all in $(BUILD)/mutants/<name>/. The suites run each
#   and expect the learner's tests to fail there.
# - The suites' helpers (child.c runs a program with a time limit;
#   mutation.c runs the learner's program and judges it), linked into the
#   suite binaries only.

include $(ROOT)/mk/step-runtime.mk

STEP04_GIVEN := $(ROOT)/steps/04-server
STEP04_DONE  := $(ROOT)/solutions/04-server
STEP06_SERVICE := $(addprefix $(STEP04_DONE)/,my_service.c user_service.c \
                      notification_service.c file_service.c chat_room.c \
                      chat_service.c) \
                  $(addprefix $(STEP04_GIVEN)/,util.c user_repo_sample.c chat_room_given.c)

EXTRA_SRCS   += $(STEP06_SERVICE)
EXTRA_CFLAGS += -I$(STEP04_GIVEN)

# ---- the suites' helpers ------------------------------------------------

STEP06_HELPER_OBJS := $(patsubst %,$(BUILD)/obj/t06/%.o,child mutation)

$(BUILD)/obj/t06/%.o: $(TEST_DIR)/%.c $(wildcard $(TEST_DIR)/*.h) $(EXTRA_DEPS) | $(BUILD)/obj
	@mkdir -p $(@D)
	$(ECHO) '  CC  %s\n' '$(subst $(ROOT)/,,$<)'
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

# Extra prerequisites of a rule's target are linked too ($^ in its recipe).
$(patsubst %,$(BUILD)/test_%,$(SUITES)): $(STEP06_HELPER_OBJS)

# ---- the mutants ---------------------------------------------------------
#
# name:file — the bug is described at the top of mutants/<name>.sed, and in
# the test that expects it caught (test_mutant_<name>). A variant is built
# the same way but changes no behaviour a test may rely on: the learner's
# tests must pass on it (test_variant_<name>).

STEP06_MUTANTS := \
    get_user_not_found_as_internal:user_service \
    get_user_leaks_internal_error:user_service \
    get_user_accepts_empty_id:user_service \
    get_user_forgets_role:user_service \
    get_user_failure_as_not_found:user_service \
    get_user_empty_id_not_found:user_service \
    server_stream_one_short:my_service \
    server_stream_numbered_from_zero:my_service \
    notifications_numbered_from_zero:notification_service \
    notifications_one_short:notification_service \
    notifications_never_end:notification_service \
    notifications_ignore_cancel:notification_service \
    notifications_slow_to_stop:notification_service \
    upload_drops_first_chunk:file_service \
    bidi_answers_once:my_service \
    chat_echo_only:chat_service

step06_name = $(word 1,$(subst :, ,$(1)))
step06_file = $(word 2,$(subst :, ,$(1)))
STEP06_MUTANT_BINS := $(foreach m,$(STEP06_MUTANTS),$(BUILD)/mutants/$(call step06_name,$(m))/testing)

all build: $(STEP06_MUTANT_BINS)

# The objects of the learner's program (mk/step.mk names them after this
# file is read, so they are worked out here the same way).
STEP06_LIB_OBJS    = $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_C))
STEP06_EXTRA_OBJS  = $(patsubst %.c,$(BUILD)/obj/extra/%.o,$(notdir $(EXTRA_SRCS)))

# $(1) the mutant's name, $(2) the step-4 file it changes (without .c).
# The sed script must change the file: when step 4's code moves on and a
# script no longer matches, the build stops and says which one.
define step06_mutant
$(BUILD)/mutants/$(1)/$(2).c: $(STEP04_DONE)/$(2).c $(TEST_DIR)/mutants/$(1).sed
	@mkdir -p $$(@D)
	$$(ECHO) '  MUT %s\n' '$(1) ($(2).c)'
	$$(Q)sed -f $(TEST_DIR)/mutants/$(1).sed $$< >$$@.tmp
	$$(Q)if cmp -s $$< $$@.tmp; then rm -f $$@.tmp; \
	  echo "mutant $(1): tests/06-testing/mutants/$(1).sed no longer changes" \
	       "solutions/04-server/$(2).c; bring the script up to date with the code"; \
	  exit 1; fi
	$$(Q)mv $$@.tmp $$@

$(BUILD)/mutants/$(1)/$(2).o: $(BUILD)/mutants/$(1)/$(2).c $(EXTRA_DEPS)
	$$(ECHO) '  CC  %s\n' 'mutants/$(1)/$(2).c'
	$$(Q)$$(CC) $$(ALL_CFLAGS) -MMD -MP -c $$< -o $$@

$(BUILD)/mutants/$(1)/testing: $(BUILD)/obj/main.o $(STEP06_LIB_OBJS) \
        $(filter-out $(BUILD)/obj/extra/$(2).o,$(STEP06_EXTRA_OBJS)) \
        $(BUILD)/mutants/$(1)/$(2).o
	$$(ECHO) '  LD  %s\n' 'mutants/$(1)/testing'
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$^ $$(ALL_LDLIBS) -o $$@
endef

$(foreach m,$(STEP06_MUTANTS),$(eval $(call step06_mutant,$(call step06_name,$(m)),$(call step06_file,$(m)))))

-include $(wildcard $(BUILD)/mutants/*/*.d)
