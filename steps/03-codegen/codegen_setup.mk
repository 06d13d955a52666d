# codegen_setup.mk: given, read it but don't edit it. What your rule in
# codegen.mk stands on: where things are, the names of the files to make,
# and the target `codegen`. codegen.mk includes it.

# Where things are. The tests pass their own values on the command line;
# these defaults work when you run `make -f codegen.mk` in steps/03-codegen
# (codegen.mk sets ROOT, the top of the repository, before the include).
PROTO_DIR    ?= $(ROOT)/proto
OUT          ?= $(ROOT)/build/steps/03-codegen/by-hand
PROTOC       ?= protoc
CGRPC_PLUGIN ?= $(ROOT)/build/tools/protoc-gen-cgrpc

# For each .proto of PROTOS (set in codegen.mk), the four files protoc
# writes, named after its path below PROTO_DIR: tutorial/v1/my_service.proto
# gives $(OUT)/tutorial/v1/my_service.pb-c.c, .pb-c.h, .cgrpc.c and .cgrpc.h.
NAMES     = $(patsubst $(PROTO_DIR)/%.proto,%,$(PROTOS))
GENERATED = $(foreach n,$(NAMES),$(addprefix $(OUT)/$(n),.pb-c.c .pb-c.h .cgrpc.c .cgrpc.h))

# `make -f codegen.mk` (the first target: `codegen`) asks for all of them.
# PROTOS is set after this file is read: `$$` and .SECONDEXPANSION make
# make expand the list once it has read the whole of codegen.mk.
.SECONDEXPANSION:
.PHONY: codegen
codegen: $$(GENERATED)

# The code generator is built from tools/protoc-gen-cgrpc by the top-level
# Makefile (`make setup` did it once already).
$(CGRPC_PLUGIN):
	$(MAKE) -C $(ROOT) cgrpc-plugin
