# mk/reflection.mk: the course's servers asked what they serve
# through server reflection, by two clients that know nothing of the
# runtime: `buf curl --list-methods` (no schema) and Python grpcio with gRPC's
# own reflection.proto (tests/workspace/reflection/test_reflection_clients.py).
#
#   make test-reflection   builds the step 4 reference server (also make
#                          demo's), the step 7 reference server and the bench
#                          server, then runs both clients against each; last
#                          line `N passed, M failed`
#
# Included by the top-level Makefile; also works alone from the repo root:
# `make -f mk/reflection.mk test-reflection`. The runtime's own
# reflection tests are tests/workspace/runtime/test_reflection.c (make test-runtime).

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
ROOT := $(ROOT)

# buf comes from make call's npm folder (mk/call.mk installs it).
ifndef CALL_STAMP
include $(ROOT)/mk/call.mk
endif

# Debian's grpcio is installed for this interpreter.
REFLECTION_PYTHON ?= /usr/bin/python3
REFLECTION_STEP04 := $(ROOT)/build/steps/04-server/solution/server
REFLECTION_STEP07 := $(ROOT)/build/steps/07-deploy/solution/server
REFLECTION_BENCH  := $(ROOT)/build/bench/c_bench_server

.PHONY: test-reflection

test-reflection: $(CALL_STAMP)
	@$(MAKE) --no-print-directory -s -C $(ROOT)/steps/04-server SOLUTION=1 $(REFLECTION_STEP04)
	@$(MAKE) --no-print-directory -s -C $(ROOT)/steps/07-deploy SOLUTION=1 $(REFLECTION_STEP07)
	@$(MAKE) --no-print-directory -s -C $(ROOT) -f mk/bench.mk bench-c
	@$(REFLECTION_PYTHON) $(ROOT)/tests/workspace/reflection/test_reflection_clients.py \
	  --deps-dir $(CALL_DIR) --server step04=$(REFLECTION_STEP04) \
	  --server step07=$(REFLECTION_STEP07) --server bench=$(REFLECTION_BENCH)
