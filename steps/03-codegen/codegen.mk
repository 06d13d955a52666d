# codegen.mk: exercise 1, the rule that turns the course's .proto files into C.
# Finish the two marked lines. `make test` here runs this file into a fresh
# directory and checks what it wrote; try it by hand with `make -f codegen.mk`.
# Lesson: docs/en/steps/03-codegen.md#exercise-1-the-codegen-rule

# Where things are. The tests pass their own values on the command line;
# these defaults work when you run it by hand from steps/03-codegen.
ROOT         ?= ../..
PROTO_DIR    ?= $(ROOT)/proto
OUT          ?= $(ROOT)/build/steps/03-codegen/by-hand
PROTOC       ?= protoc
CGRPC_PLUGIN ?= $(ROOT)/build/tools/protoc-gen-cgrpc

# The .proto files to compile.
PROTOS := $(PROTO_DIR)/tutorial/v1/my_service.proto # TODO: every .proto in tutorial/v1

# For each .proto, the four files protoc writes, named after its path
# below PROTO_DIR: tutorial/v1/my_service.proto gives
# $(OUT)/tutorial/v1/my_service.pb-c.c, .pb-c.h, .cgrpc.c and .cgrpc.h.
NAMES     := $(patsubst $(PROTO_DIR)/%.proto,%,$(PROTOS))
GENERATED := $(foreach n,$(NAMES),$(addprefix $(OUT)/$(n),.pb-c.c .pb-c.h .cgrpc.c .cgrpc.h))

.PHONY: codegen
codegen: $(GENERATED)

# A pattern rule with several targets: one run of its recipe makes all four.
$(OUT)/%.pb-c.c $(OUT)/%.pb-c.h $(OUT)/%.cgrpc.c $(OUT)/%.cgrpc.h: $(PROTO_DIR)/%.proto $(CGRPC_PLUGIN)
	@mkdir -p $(OUT)
	$(PROTOC) -I $(PROTO_DIR) --c_out=$(OUT) $< # TODO: protoc-gen-cgrpc too: --plugin=... --cgrpc_out=...

# The code generator is built from tools/protoc-gen-cgrpc by the top-level
# Makefile (`make setup` did it once already).
$(CGRPC_PLUGIN):
	$(MAKE) -C $(ROOT) cgrpc-plugin
