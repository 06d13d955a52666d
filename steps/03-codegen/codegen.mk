# codegen.mk: exercise 1, the rule that turns the course's .proto files into C.
# Finish the two marked lines. `make test` here runs this file into a fresh
# directory and checks what it wrote; try it by hand with `make -f codegen.mk`.
# Lesson: docs/en/steps/03-codegen.md#exercise-1-the-codegen-rule

# Given, in codegen_setup.mk beside this file: PROTO_DIR, OUT, PROTOC,
# CGRPC_PLUGIN, and the target `codegen`, which asks for the four files of
# every .proto in PROTOS. ROOT is the top of the repository.
ROOT ?= ../..
include $(ROOT)/steps/03-codegen/codegen_setup.mk

# The .proto files to compile.
PROTOS := $(PROTO_DIR)/tutorial/v1/my_service.proto # TODO: every .proto in tutorial/v1

# A pattern rule with several targets: one run of its recipe makes all four.
$(OUT)/%.pb-c.c $(OUT)/%.pb-c.h $(OUT)/%.cgrpc.c $(OUT)/%.cgrpc.h: $(PROTO_DIR)/%.proto $(CGRPC_PLUGIN)
	@mkdir -p $(OUT)
	$(PROTOC) -I $(PROTO_DIR) --c_out=$(OUT) $< # TODO: protoc-gen-cgrpc too: --plugin=... --cgrpc_out=...
