# syntax=docker/dockerfile:1
#
# Dockerfile: the step-07 server (steps/07-deploy, reference solution) as a
# small container image, for the manifests in k8s/.
#
#   docker build -t grpc-course-server:dev .
#   docker run --rm -p 50051:50051 -p 9464:9464 grpc-course-server:dev
#
# Two stages. `build` is a Debian 12 with the course's toolchain, installed
# from tools/setup/packages.tsv exactly as `make setup` installs it (the "core"
# packages, the ones every step needs), and builds the server the way the
# step does. The image itself starts again from a bare Debian 12 and adds
# only the shared libraries the server is linked against (libgrpc29 and
# libprotobuf-c1; apt brings what they need in turn), the binary, and an
# unprivileged user. `make test-deploy` checks this file offline: every
# COPY source exists, every package is known to apt, and the runtime list
# matches what the built server loads (ldd, dpkg -S).

ARG DEBIAN_IMAGE=debian:12-slim

# ---------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build

WORKDIR /src
ENV DEBIAN_FRONTEND=noninteractive

# The toolchain first, in its own layer: it changes only with the list.
# `setup.sh --missing core` prints the Debian package of every core row of
# tools/setup/packages.tsv whose tool is absent (here: all of them).
COPY tools/setup/packages.tsv tools/setup/setup.sh tools/setup/
RUN apt-get update \
 && tools/setup/setup.sh --missing core | xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/*

# What building the step-07 program reads: the shared build (mk/), the
# runtime (lib/), the code generator (tools/), the protos, step 7's files and
# the step-04 services it serves (its step.mk builds them from step 4's own
# files), and the step's build fragment in tests/07-deploy/step.mk.
COPY mk/ mk/
COPY lib/ lib/
COPY tools/ tools/
COPY proto/ proto/
COPY tests/common/ tests/common/
COPY tests/04-server/ tests/04-server/
COPY tests/07-deploy/ tests/07-deploy/
COPY steps/04-server/ steps/04-server/
COPY solutions/04-server/ solutions/04-server/
COPY steps/07-deploy/ steps/07-deploy/
COPY solutions/07-deploy/ solutions/07-deploy/

# The program only (not the step's tests), without the sanitizers the
# learner's builds check memory with (SANITIZE=none). --as-needed keeps the
# binary's list of shared libraries to the ones it calls: the step build
# links every program with cmocka too, which a server never uses.
RUN make -C steps/07-deploy SOLUTION=1 SANITIZE=none CC="cc -Wl,--as-needed" \
        /src/build/steps/07-deploy/solution-plain/server \
 && mkdir -p /out \
 && strip -o /out/server build/steps/07-deploy/solution-plain/server

# ---------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE}

# The libraries `ldd server` lists that a bare Debian lacks, by package.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgrpc29 libprotobuf-c1 \
 && rm -rf /var/lib/apt/lists/*

# A user without a shell, home or password; numeric ids, so that Kubernetes
# can check runAsNonRoot (k8s/deployment.yaml runs as 10001 too).
RUN groupadd --system --gid 10001 server \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin server

COPY --from=build /out/server /usr/local/bin/server

USER 10001:10001

# The server's configuration, with the defaults it has anyway: here so that
# `docker inspect` shows what can be changed. REPLICA_NAME defaults to the
# hostname (the container id; in Kubernetes the deployment sets the pod name).
ENV HOST=0.0.0.0 \
    PORT=50051 \
    METRICS_PORT=9464 \
    GRACE_PERIOD_SECONDS=20 \
    LOG_LEVEL=info

# gRPC, then the Prometheus /metrics endpoint.
EXPOSE 50051 9464

# `docker stop` and the kubelet send SIGTERM: the server drains (health
# NOT_SERVING, in-flight calls finish within GRACE_PERIOD_SECONDS) and exits 0.
STOPSIGNAL SIGTERM

# Exec form: the server is PID 1 itself, with no shell in between that would
# swallow the SIGTERM. (PID 1 ignores signals it has no handler for; the
# server waits for SIGTERM explicitly, so it gets it.)
CMD ["/usr/local/bin/server"]
