# mk/cluster.mk: `make cluster` (three replicas of the step-07 server behind a
# round_robin client, on loopback) and the checks of the deployment files.
#
#   make cluster        build the step-07 reference server and the client,
#                       start three replicas on 127.0.0.1, send a steady
#                       stream of calls, stop one replica with SIGTERM in the
#                       middle, and report the spread and every lost call,
#                       and one trace from the client to a replica, exported
#                       over OTLP (tools/cluster/cluster.py)
#   make test-cluster   the same as a test (a few seconds): zero failed calls,
#                       all three replicas served before the stop, only the
#                       two survivors after; last line "N passed, M failed"
#   make test-deploy    offline checks of Dockerfile, .dockerignore, k8s/ and
#                       .devcontainer/ against the schemas, the package list
#                       and the built server (tests/workspace/deploy/test_deploy.py);
#                       last line "N passed, M failed"
#   make deploy-deps    npm ci into tests/workspace/deploy/node_modules (kubernetes-models,
#                       js-yaml), done by itself when missing
#   make cluster-client build/cluster/lb_client only
#
# CLUSTER_ARGS passes flags to cluster.py (e.g. CLUSTER_ARGS="--threads 8
# --seconds 3", or --no-retry to see the calls the retry policy saves);
# DEPLOY_ARGS=--context-build makes test-deploy also build the server from a
# copy of the Docker build context alone (a minute or two). V=1 shows full
# command lines. Included by the top-level Makefile; also works alone from
# the repository root: make -f mk/cluster.mk cluster. Everything it builds
# goes under build/cluster.

ROOT ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
# Fix the value now: MAKEFILE_LIST changes with every include below.
ROOT := $(ROOT)

ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := cluster
endif

# Standalone: bring in the runtime and the code generator (the top-level
# Makefile has included them already).
ifndef CGRPC_LIB
include $(ROOT)/mk/lib.mk
endif
ifndef CGRPC_PLUGIN
include $(ROOT)/mk/plugin.mk
endif

CLUSTER_PYTHON  ?= $(or $(PYTHON),python3)
CLUSTER_DIR     := $(ROOT)/tools/cluster
CLUSTER_BUILD   := $(ROOT)/build/cluster
CLUSTER_GEN     := $(CLUSTER_BUILD)/gen
CLUSTER_CLIENT  := $(CLUSTER_BUILD)/lb_client
CLUSTER_ARGS    ?=
DEPLOY_ARGS     ?=
GRPC_PROTO_DIR  ?= /usr/share/grpc-proto

# The program every replica runs: the reference solution of step 7.
CLUSTER_STEP    := 07-deploy
# The server as it ships: built without the sanitizers (SANITIZE=none).
CLUSTER_SERVER  := $(ROOT)/build/steps/$(CLUSTER_STEP)/solution-plain/server

DEPLOY_DIR      := $(ROOT)/tests/workspace/deploy
# npm ci writes node_modules/.package-lock.json last: it stands for the install.
DEPLOY_STAMP    := $(DEPLOY_DIR)/node_modules/.package-lock.json

cluster_q    := $(if $(V),,@)
cluster_echo := $(if $(V),@:,@printf)

.PHONY: cluster test-cluster test-deploy deploy-deps cluster-client cluster-server cluster-ensure

CLUSTER_RUN = $(CLUSTER_PYTHON) $(CLUSTER_DIR)/cluster.py --server $(CLUSTER_SERVER) \
              --client $(CLUSTER_CLIENT) --service-config $(CLUSTER_DIR)/service-config.json

cluster: cluster-server cluster-client
	$(cluster_q)$(CLUSTER_RUN) $(CLUSTER_ARGS)

test-cluster: cluster-server cluster-client
	$(cluster_q)$(CLUSTER_RUN) --test $(CLUSTER_ARGS)

test-deploy: cluster-server cluster-client $(DEPLOY_STAMP)
	$(cluster_q)$(CLUSTER_PYTHON) $(DEPLOY_DIR)/test_deploy.py --server $(CLUSTER_SERVER) \
	  --client $(CLUSTER_CLIENT) $(DEPLOY_ARGS)

deploy-deps: $(DEPLOY_STAMP)
	@:

cluster-client: $(CLUSTER_CLIENT)

# A fresh machine gets its tools first (once; quick when they are there).
cluster-ensure:
	@$(ROOT)/tools/setup/setup.sh --ensure core

# The step's own build decides whether the server is up to date.
cluster-server: cluster-ensure
	@test -d $(ROOT)/solutions/$(CLUSTER_STEP) || { \
	  echo "make cluster runs the reference solution of step 7, and" \
	       "solutions/$(CLUSTER_STEP) is missing." >&2; exit 1; }
	$(cluster_echo) '  MAKE    steps/$(CLUSTER_STEP) SOLUTION=1 (server)\n'
	$(cluster_q)$(MAKE) --no-print-directory -s -C $(ROOT)/steps/$(CLUSTER_STEP) SOLUTION=1 SANITIZE=none WERROR=1 \
	  $(CLUSTER_SERVER) $(if $(V),,>/dev/null)

# --------------------------------------------------------------------------
# The client: tools/cluster/lb_client.c on the runtime, with the generated
# code of MyService (build/gen) and of grpc.health.v1 (build/cluster/gen);
# its trace sink uses the runtime's OTLP code (build/lib/gen).
# --------------------------------------------------------------------------

CLUSTER_HEALTH_STAMP := $(CLUSTER_GEN)/.generated
CLUSTER_GEN_SRCS := $(CLUSTER_GEN)/grpc/health/v1/health.pb-c.c \
                    $(CLUSTER_GEN)/grpc/health/v1/health.cgrpc.c \
                    $(CGRPC_GEN_DIR)/tutorial/v1/my_service.pb-c.c \
                    $(CGRPC_GEN_DIR)/tutorial/v1/my_service.cgrpc.c
CLUSTER_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra $(if $(WERROR),-Werror) \
                 -g -O2 $(CGRPC_CFLAGS) -I$(CLUSTER_GEN) -I$(CGRPC_GEN_DIR) -I$(CGRPC_OTLP_GEN)

$(CLUSTER_HEALTH_STAMP): $(GRPC_PROTO_DIR)/grpc/health/v1/health.proto $(CGRPC_PLUGIN) | cluster-ensure
	$(cluster_echo) '  PROTOC  grpc/health/v1/health.proto (c, cgrpc)\n'
	$(cluster_q)mkdir -p $(CLUSTER_GEN)
	$(cluster_q)protoc -I$(GRPC_PROTO_DIR) --c_out=$(CLUSTER_GEN) \
	  --plugin=protoc-gen-cgrpc=$(CGRPC_PLUGIN) --cgrpc_out=$(CLUSTER_GEN) grpc/health/v1/health.proto
	$(cluster_q)touch $@

$(CLUSTER_GEN)/grpc/health/v1/health.pb-c.c $(CLUSTER_GEN)/grpc/health/v1/health.cgrpc.c: $(CLUSTER_HEALTH_STAMP)

$(CLUSTER_CLIENT): $(CLUSTER_DIR)/lb_client.c $(CLUSTER_GEN_SRCS) $(CGRPC_LIB) $(CGRPC_HDRS) | cluster-ensure
	$(cluster_echo) '  CC      tools/cluster/lb_client.c\n'
	$(cluster_q)$(CC) $(CLUSTER_CFLAGS) -o $@ $(CLUSTER_DIR)/lb_client.c $(CLUSTER_GEN_SRCS) \
	  $(CGRPC_LIB) $(CGRPC_LDLIBS)

# --------------------------------------------------------------------------
# npm: kubernetes-models and js-yaml for the manifest checker, pinned by
# tests/workspace/deploy/package-lock.json. Installed when missing or older than the
# lock file.
# --------------------------------------------------------------------------

$(DEPLOY_STAMP): $(DEPLOY_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "make test-deploy needs npm, once, to install kubernetes-models (the" >&2; \
	  echo "Kubernetes schemas the manifests are checked against)." >&2; \
	  echo "  Install it with: sudo apt-get install nodejs npm   (or: make setup)" >&2; \
	  echo "  then run make test-deploy again." >&2; exit 1; }
	$(cluster_echo) '  NPM     tests/workspace/deploy (npm ci: kubernetes-models, js-yaml)\n'
	$(cluster_q)cd $(DEPLOY_DIR) && npm ci --no-audit --no-fund $(if $(V),,--loglevel=error >/dev/null) || { \
	  echo "make test-deploy: npm ci in $(DEPLOY_DIR) failed (see above); it needs the" \
	       "npm registry (https://registry.npmjs.org) once." >&2; exit 1; }
	$(cluster_q)test -f $@ && touch $@
