# tests/02-schema/step.mk: what step 02's tests need besides the step's C files.
#
# - The learner's .proto files, compiled by protoc into descriptor sets
#   ($(BUILD)/NAME.desc) that the tests read back with protobuf-c's bindings
#   of google/protobuf/descriptor.proto.
# - C code from protoc-gen-c: descriptor.proto (to read those sets), the
#   course's my_service.proto (the reference the wire-format tests compare
#   against) and the learner's evolution.proto (the "new" Request).
# - The course's own protos as a descriptor set, to check the style checker.
#
# When protoc rejects a learner's file, its error is followed by one line
# that says which file to fix.

PROTOC           ?= protoc
PROTOBUF_INCLUDE ?= /usr/include

# All three learner protos sit in the same place: steps/ or solutions/.
STEP02_PROTO_DIR := $(dir $(call src,my_service.proto))
STEP02_DESCS     := $(patsubst %,$(BUILD)/%.desc,my_service use_cases evolution course)
STEP02_GEN_C     := $(GEN)/google/protobuf/descriptor.pb-c.c \
                    $(GEN)/tutorial/v1/my_service.pb-c.c \
                    $(GEN)/evolution.pb-c.c

PKGS        += libprotobuf-c
EXTRA_SRCS  += $(STEP02_GEN_C) $(TEST_DIR)/descset.c
# Generated before any object; a change (the learner's evolution.proto)
# recompiles only what includes it (mk/step.mk, EXTRA_ORDER_DEPS).
EXTRA_ORDER_DEPS += $(STEP02_GEN_C) $(STEP02_GEN_C:.c=.h)
# The tests read the descriptor sets when they run: the build makes them,
# but no object depends on them, so a change to a .proto recompiles nothing
# (evolution.proto's generated C above is another matter).
all build: $(STEP02_DESCS)

# $(call step02_protoc,PROTO-DIR,FILE,OUTPUT-OPTIONS)
step02_protoc = $(PROTOC) -I$(1) $(3) $(2) || { \
    printf '\n  protoc could not compile %s: fix the error above in that file,\n' \
           '$(subst $(ROOT)/,,$(2))' >&2; \
    printf '  then run $(RERUN) again. Lesson: docs/en/steps/02-schema.md\n\n' >&2; \
    exit 1; }

# The learner's protos as descriptor sets.
$(BUILD)/%.desc: $(STEP02_PROTO_DIR)%.proto | $(GEN)
	$(ECHO) '  PROTOC  %s\n' '$(subst $(ROOT)/,,$<)'
	$(Q)$(call step02_protoc,$(STEP02_PROTO_DIR),$<,--include_imports --descriptor_set_out=$@)

$(BUILD)/course.desc: $(wildcard $(ROOT)/proto/tutorial/v1/*.proto) | $(GEN)
	$(ECHO) '  PROTOC  %s\n' 'proto/tutorial/v1/*.proto'
	$(Q)$(PROTOC) -I$(ROOT)/proto --include_imports --descriptor_set_out=$@ $^

# C code. A pattern rule with two targets is made by one run of its recipe.
$(GEN)/google/protobuf/%.pb-c.c $(GEN)/google/protobuf/%.pb-c.h: \
		$(PROTOBUF_INCLUDE)/google/protobuf/%.proto | $(GEN)
	$(ECHO) '  PROTOC  %s\n' 'google/protobuf/$*.proto'
	$(Q)$(PROTOC) -I$(PROTOBUF_INCLUDE) --c_out=$(GEN) $<

$(GEN)/tutorial/v1/%.pb-c.c $(GEN)/tutorial/v1/%.pb-c.h: \
		$(ROOT)/proto/tutorial/v1/%.proto | $(GEN)
	$(ECHO) '  PROTOC  %s\n' 'proto/tutorial/v1/$*.proto'
	$(Q)$(PROTOC) -I$(ROOT)/proto --c_out=$(GEN) $<

$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: $(STEP02_PROTO_DIR)%.proto | $(GEN)
	$(ECHO) '  PROTOC  %s\n' '$(subst $(ROOT)/,,$<) (C)'
	$(Q)$(call step02_protoc,$(STEP02_PROTO_DIR),$<,--c_out=$(GEN))
