# mk/class.mk: the live classroom: a class server on the teacher's machine,
# learners' workspaces reporting each run to it, a board in the browser.
#
# Teacher:
#   make class          start the class server (gRPC on CLASS_PORT, default
#                       50070; the web board on CLASS_HTTP_PORT, default 8070),
#                       print the address and the class code to write on the
#                       board. Results are kept in CLASS_DATA
#                       (.progress/class-server): a restart loses nothing.
#                       CODE=... picks the code (4-32 letters, digits, -);
#                       CLASS_HTTP_ADDR=127.0.0.1 shows the board on this
#                       machine only.
#   make class-watch    the board in the terminal (a server stream)
#   make class-export DIR=reports   the board as results.json files, one per
#                       learner, for make class-report DIR=reports
# Learner:
#   make join CLASS=HOST:PORT CODE=... NAME=...   from now on each make stepN,
#                       make check and make report also goes to the board
#   make class-status   what was sent, what waits, the last answer
#   make leave          stop sending
# Maintainers:
#   make test-class     the service's tests (ASan build) and the board in
#                       headless Chromium and Firefox ESR at once; last line
#                       "N passed, M failed"
#   make test-class-tsan / test-class-memcheck   the same with the server
#                       under ThreadSanitizer / valgrind (not in make test)
#   make class-load     60 simulated learners for 2 minutes, one server
#                       restart, and the cost to a learner's make step1
#   make class-shots    the teacher's guide's screenshots of the board
#                       (Chromium, and Firefox in a fold below it)
#
# Included by the top-level Makefile. Builds under build/class.

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
ROOT := $(ROOT)

ifndef CGRPC_LIB
include $(ROOT)/mk/lib.mk
endif
ifndef CGRPC_PLUGIN
include $(ROOT)/mk/plugin.mk
endif

CLASS_PYTHON    ?= $(or $(PYTHON),python3)
CLASS_SRC       := $(ROOT)/tools/class
CLASS_BUILD     := $(ROOT)/build/class
CLASS_GEN       := $(CLASS_BUILD)/gen
CLASS_PROTO     := $(ROOT)/proto/class/v1/class_service.proto
CLASS_SERVER    := $(CLASS_BUILD)/class_server
CLASS_CLIENT    := $(CLASS_BUILD)/class_client
CLASS_ASAN_SERVER := $(CLASS_BUILD)/asan/class_server
CLASS_TSAN_SERVER := $(CLASS_BUILD)/tsan/class_server
CLASS_PORT      ?= 50070
CLASS_HTTP_PORT ?= 8070
CLASS_HTTP_ADDR ?= 0.0.0.0
CLASS_DATA      ?= $(ROOT)/.progress/class-server
CLASS_STEPS      = $(subst $(class_space),$(class_comma),$(sort $(notdir $(wildcard $(ROOT)/steps/[0-9][0-9]-*))))
class_space     := $(subst ,, )
class_comma     := ,

class_q    := $(if $(V),,@)
class_echo := $(if $(V),@:,@printf)

CLASS_GEN_SRCS := $(CLASS_GEN)/class/v1/class_service.pb-c.c $(CLASS_GEN)/class/v1/class_service.cgrpc.c
CLASS_SERVER_SRCS := $(addprefix $(CLASS_SRC)/,class_server.c store.c json.c http.c board_pb.c)
CLASS_HDRS := $(wildcard $(CLASS_SRC)/*.h)
CLASS_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra $(if $(WERROR),-Werror) \
               -g -O2 $(CGRPC_CFLAGS) -I$(CLASS_GEN)
CLASS_ASAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: class class-bins class-client class-watch class-export join leave class-status \
        test-class class-load class-ensure class-shots test-class-tsan \
        test-class-memcheck

class-ensure:
	@$(ROOT)/tools/setup/setup.sh --ensure core

$(CLASS_GEN)/.stamp: $(CLASS_PROTO) $(CGRPC_PLUGIN) | class-ensure
	$(class_echo) '  PROTOC  proto/class/v1/class_service.proto (c, cgrpc)\n'
	$(class_q)mkdir -p $(CLASS_GEN)
	$(class_q)protoc -I$(ROOT)/proto --c_out=$(CLASS_GEN) --plugin=protoc-gen-cgrpc=$(CGRPC_PLUGIN) \
	  --cgrpc_out=$(CLASS_GEN) class/v1/class_service.proto
	$(class_q)touch $@

$(CLASS_GEN_SRCS): $(CLASS_GEN)/.stamp

$(CLASS_SERVER): $(CLASS_SERVER_SRCS) $(CLASS_HDRS) $(CLASS_GEN_SRCS) $(CGRPC_LIB) $(CGRPC_HDRS)
	$(class_echo) '  CC      tools/class/class_server\n'
	$(class_q)$(CC) $(CLASS_CFLAGS) -o $@ $(CLASS_SERVER_SRCS) $(CLASS_GEN_SRCS) $(CGRPC_LIB) $(CGRPC_LDLIBS)

$(CLASS_ASAN_SERVER): $(CLASS_SERVER_SRCS) $(CLASS_HDRS) $(CLASS_GEN_SRCS) $(CGRT_asan_LIB) $(CGRPC_HDRS)
	$(class_echo) '  CC      tools/class/class_server (ASan + UBSan)\n'
	$(class_q)mkdir -p $(dir $@)
	$(class_q)$(CC) $(CLASS_CFLAGS) $(CLASS_ASAN) -o $@ $(CLASS_SERVER_SRCS) $(CLASS_GEN_SRCS) \
	  $(CGRT_asan_LIB) $(CGRPC_LDLIBS)

$(CLASS_TSAN_SERVER): $(CLASS_SERVER_SRCS) $(CLASS_HDRS) $(CLASS_GEN_SRCS) $(CGRT_tsan_LIB) $(CGRPC_HDRS)
	$(class_echo) '  CC      tools/class/class_server (TSan)\n'
	$(class_q)mkdir -p $(dir $@)
	$(class_q)$(CC) $(CLASS_CFLAGS) -fsanitize=thread -o $@ $(CLASS_SERVER_SRCS) $(CLASS_GEN_SRCS) \
	  $(CGRT_tsan_LIB) $(CGRPC_LDLIBS)

$(CLASS_CLIENT): $(CLASS_SRC)/class_client.c $(CLASS_GEN_SRCS) $(CGRPC_LIB) $(CGRPC_HDRS)
	$(class_echo) '  CC      tools/class/class_client\n'
	$(class_q)$(CC) $(CLASS_CFLAGS) -o $@ $(CLASS_SRC)/class_client.c $(CLASS_GEN_SRCS) $(CGRPC_LIB) $(CGRPC_LDLIBS)

class-bins: $(CLASS_SERVER) $(CLASS_CLIENT)

class-client: $(CLASS_CLIENT)

class: class-bins
	$(class_q)mkdir -p $(CLASS_DATA)
	$(class_q)cd $(ROOT) && $(CLASS_SERVER) --steps $(CLASS_STEPS) --listen 0.0.0.0:$(CLASS_PORT) \
	  --http $(CLASS_HTTP_ADDR):$(CLASS_HTTP_PORT) --data $(CLASS_DATA) --web $(CLASS_SRC)/web $(if $(CODE),--code '$(CODE)')

class-watch: $(CLASS_CLIENT)
	@$(CLASS_PYTHON) $(ROOT)/tools/course/course.py class-watch "$(or $(CLASS),127.0.0.1:$(CLASS_PORT))" "$(CODE)" "$(CLASS_DATA)"

class-export:
	@$(CLASS_PYTHON) $(ROOT)/tools/course/course.py class-export "$(DIR)" "$(or $(BOARD),http://127.0.0.1:$(CLASS_HTTP_PORT))"

join:
	@$(CLASS_PYTHON) $(ROOT)/tools/course/course.py join "$(CLASS)" "$(CODE)" "$(NAME)"

leave:
	@$(CLASS_PYTHON) $(ROOT)/tools/course/course.py leave

class-status:
	@$(CLASS_PYTHON) $(ROOT)/tools/course/course.py class-status

# playwright-core and puppeteer-core for the browser test: make browser-deps (mk/browser.mk).
test-class: $(CLASS_ASAN_SERVER) $(CLASS_CLIENT) browser-deps
	@$(CLASS_PYTHON) $(ROOT)/tests/workspace/class/test_class.py --server $(CLASS_ASAN_SERVER) --client $(CLASS_CLIENT)

# The same tests with the server under ThreadSanitizer, or under valgrind
# (not in make test: a minute each).
test-class-tsan: $(CLASS_TSAN_SERVER) $(CLASS_CLIENT) browser-deps
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1 exitcode=66" \
	  $(CLASS_PYTHON) $(ROOT)/tests/workspace/class/test_class.py --server $(CLASS_TSAN_SERVER) --client $(CLASS_CLIENT)

test-class-memcheck: $(CLASS_SERVER) $(CLASS_CLIENT)
	@$(CLASS_PYTHON) $(ROOT)/tests/workspace/class/test_class.py --server $(CLASS_SERVER) --client $(CLASS_CLIENT) \
	  --skip-browser --wrap "$(CGRT_VALGRIND)"

class-load: $(CLASS_SERVER) $(CLASS_CLIENT)
	@$(CLASS_PYTHON) $(ROOT)/tests/workspace/class/class_load.py --server $(CLASS_SERVER) --client $(CLASS_CLIENT) $(CLASS_LOAD_ARGS)

# The teacher's guide's pictures of the board (docs/en/img/class-board.png and
# the Korean one), from a made-up morning of eight learners.
class-shots: $(CLASS_SERVER) $(CLASS_CLIENT) browser-deps
	@$(CLASS_PYTHON) $(ROOT)/tests/workspace/class/board_shots.py --server $(CLASS_SERVER) --client $(CLASS_CLIENT)
