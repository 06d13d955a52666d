# tests/04-server/step.mk: what step 04's tests need besides the step's C files.
#
# - The cgrpc runtime and the course's generated code (mk/step-runtime.mk).
# - The tests' helpers: an in-process server with the step's five services
#   (fixture.c), a way to run programs and read their output (proc.c), and
#   the helpers every suite shares (tests/common/testutil.c).
# - Python stubs of the course's protos in $(BUILD)/py, for the test that
#   calls the learner's server from Python. They need Debian's grpcio and
#   grpc-tools for /usr/bin/python3 (another python3 may come first on the
#   PATH). Without them the build goes on: $(BUILD)/py/status.txt says why,
#   and test_python skips with that reason.

include $(ROOT)/mk/step-runtime.mk

EXTRA_SRCS += $(TEST_DIR)/fixture.c $(TEST_DIR)/proc.c $(TESTUTIL_SRC)

STEP04_PYTHON := /usr/bin/python3
STEP04_PY_DIR := $(BUILD)/py
STEP04_PY_OK  := $(STEP04_PY_DIR)/status.txt

EXTRA_CFLAGS += -DSTEP04_PYTHON='"$(STEP04_PYTHON)"' \
                -DSTEP04_PY_DIR='"$(STEP04_PY_DIR)"'

all build: $(STEP04_PY_OK)

# status.txt holds "ok", or "skip: <why>" when Python's gRPC is missing, or
# what went wrong when the stubs could not be made (then the test fails).
$(STEP04_PY_OK): $(COURSE_PROTOS)
	@mkdir -p $(STEP04_PY_DIR)
	$(ECHO) '  PY   %s\n' 'python stubs of proto/tutorial/v1/*.proto'
	$(Q)if ! $(STEP04_PYTHON) -c 'import grpc, grpc_tools.protoc' >/dev/null 2>&1; then \
	    echo "skip: $(STEP04_PYTHON) has no grpc and grpc_tools modules" \
	         "(Debian: apt install python3-grpcio python3-grpc-tools)" >$@; \
	elif out=$$($(STEP04_PYTHON) -m grpc_tools.protoc -I$(ROOT)/proto \
	        --python_out=$(STEP04_PY_DIR) --grpc_python_out=$(STEP04_PY_DIR) \
	        $(COURSE_PROTOS) 2>&1); then \
	    echo ok >$@; \
	else \
	    printf 'grpc_tools.protoc failed:\n%s\n' "$$out" >$@; \
	fi
