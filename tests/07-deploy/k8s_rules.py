#!/usr/bin/env python3
"""k8s_rules.py: step 7's exercise 8, the learner's serving.yaml, checked
offline (suite k8s, tests/07-deploy/test_k8s.c, runs it once).

serving.yaml is a strategic merge patch on the shipped manifests: put in the
place of k8s/serving.yaml, it is merged into k8s/deployment.yaml and
k8s/service.yaml, and the result is

  1. checked against the Kubernetes API schemas, by the checker
     `make test-deploy` uses (tests/workspace/deploy/check_manifests.mjs, npm
     kubernetes-models): types, required fields, no unknown field;
  2. checked against the course's rules: gRPC probes on the gRPC port and a
     service the server reports, a readiness probe that notices a drain
     while the lame duck still serves, a liveness probe that does not kill a
     busy server, a kubelet grace period with room for GRACE_PERIOD_SECONDS,
     a headless Service, resources, and no root.

  k8s_rules.py PATH/TO/serving.yaml

Prints one line per rule: "<rule> ok" or "<rule> FAIL <message>" (the
message on one line). Exits 0 when it could run the checks at all, 2 when
not (node or kubernetes-models missing: every rule then FAILs saying so).
Only the standard library is used.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
CHECKER = ROOT / "tests" / "workspace" / "deploy" / "check_manifests.mjs"
PROTOS = ROOT / "proto" / "tutorial" / "v1"
DEPLOYMENT, SERVICE, CONTAINER = "tutorial-server", "tutorial-server", "server"

RULES = ["patch", "readiness", "liveness", "grace", "headless", "resources", "non_root",
         "locked_down"]

# Seconds a process needs, beyond its drain, to exit before the kubelet's
# SIGKILL; and the least a liveness probe should tolerate.
EXIT_ROOM_S = 5
LIVENESS_MIN_S = 10
MEMORY_LIMIT_MIN = 64 * 2**20
CPU_LIMIT_MAX = 4  # cores: more than a course node has (kind's, a laptop's)


def health_services():
    """What the server reports to Health/Check: "" and every tutorial.v1
    service (steps/07-deploy/given/app.c registers all five)."""
    names = {""}
    for p in PROTOS.glob("*.proto"):
        names |= {f"tutorial.v1.{m}" for m in re.findall(r"^service\s+(\w+)", p.read_text(), re.M)}
    return names


def merged(patch_file):
    """(objects, problems) of k8s/ with patch_file as its serving.yaml."""
    with tempfile.TemporaryDirectory(prefix="k8s-") as tmp:
        d = Path(tmp) / "k8s"
        shutil.copytree(K8S, d, ignore=shutil.ignore_patterns("README.md"))
        shutil.copyfile(patch_file, d / "serving.yaml")
        r = subprocess.run(["node", str(CHECKER), "--json", str(d)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        try:
            res = json.loads(r.stdout)
        except ValueError:
            return None, [f"the schema checker failed: {(r.stderr or r.stdout).strip()[:300]}"]
    problems = [p.replace(str(d) + "/", "") for p in res["problems"]]
    return res["objects"], problems


def find(objs, kind, name):
    for o in objs:
        if o["kind"] == kind and o["name"] == name:
            return o
    return None


def quantity(q):
    """A Kubernetes quantity ("100m", "64Mi", "1", "0.5") as a float."""
    m = re.fullmatch(r"([0-9.]+)(m|k|M|G|Ki|Mi|Gi)?", str(q))
    if not m:
        return None
    scale = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    return float(m.group(1)) * scale[m.group(2)]


def check_patch(ctx):
    bad = list(ctx["problems"])
    for o in ctx["objs"]:
        for e in o["errors"]:
            bad.append(f"{o['kind']} {o['name']}: {e}")
        for u in o["unknown"]:
            bad.append(f"{o['kind']} {o['name']}: unknown field {u} (a typo? the API server "
                       "would drop it without a word)")
    for c in ctx["pod"].get("containers", []):
        if c.get("name") != CONTAINER and "image" not in c:
            bad.append(f"the patch adds a container {c.get('name')!r}, with no image: containers "
                       f"are matched by name, and deployment.yaml's is {CONTAINER!r}")
    return "; ".join(bad)


def probe_problem(probe, what, ctx):
    if not probe:
        return f"the container has no {what}"
    kinds = [k for k in ("grpc", "httpGet", "tcpSocket", "exec") if k in probe]
    if kinds != ["grpc"]:
        return (f"the {what} is {'/'.join(kinds) or 'empty'}: this server answers gRPC health "
                "checks (grpc.health.v1.Health/Check), so use a native `grpc:` probe")
    g = probe["grpc"]
    if g.get("port") != ctx["grpc_port"]:
        return (f"the {what} asks port {g.get('port')}, but the container serves gRPC on "
                f"{ctx['grpc_port']} (PORT)")
    svc = g.get("service", "")
    if svc not in ctx["services"]:
        return (f"the {what} asks about service \"{svc}\", which the server does not report: it "
                "knows \"\" (the whole server) and the full names of its services, such as "
                "tutorial.v1.MyService")
    return ""


def window(probe, default_period=10, default_failures=3):
    """Seconds of failed checks before the kubelet acts."""
    return probe.get("periodSeconds", default_period) * probe.get("failureThreshold", default_failures)


def check_readiness(ctx):
    p = ctx["ctr"].get("readinessProbe")
    why = probe_problem(p, "readinessProbe", ctx)
    if why:
        return why
    lame = ctx["grace"] / 4
    w = window(p)
    if w > lame:
        return (f"after SIGTERM the readiness probe notices NOT_SERVING only after {w} s "
                f"(periodSeconds x failureThreshold), but the lame duck serves new calls for at "
                f"most a quarter of GRACE_PERIOD_SECONDS ({lame:g} s): calls would still come "
                "when the shutdown refuses them")
    return ""


def check_liveness(ctx):
    p = ctx["ctr"].get("livenessProbe")
    why = probe_problem(p, "livenessProbe", ctx)
    if why:
        return why
    if p.get("successThreshold", 1) != 1:
        return ("the livenessProbe's successThreshold must be 1 (the API server refuses any "
                "other): one good answer shows the process is alive")
    w, r = window(p), window(ctx["ctr"].get("readinessProbe") or {})
    if w < LIVENESS_MIN_S or w <= r:
        return (f"the liveness probe restarts the container after {w} s of failed checks: a "
                f"busy server that misses a few answers would be killed; give it at least "
                f"{LIVENESS_MIN_S} s, and more than readiness ({r} s): readiness takes the pod "
                "out of service, liveness restarts it")
    return ""


def check_grace(ctx):
    t = ctx["pod"].get("terminationGracePeriodSeconds")
    want = ctx["grace"] + EXIT_ROOM_S
    if t is None:
        return (f"terminationGracePeriodSeconds is not set: write it down, at least "
                f"GRACE_PERIOD_SECONDS ({ctx['grace']}) + {EXIT_ROOM_S} s to exit; the two "
                "numbers are one contract")
    if t < want:
        return (f"terminationGracePeriodSeconds is {t}, but the server drains for up to "
                f"GRACE_PERIOD_SECONDS ({ctx['grace']} s) and then needs a moment to exit: the "
                f"kubelet's SIGKILL would cut the drain short; give it at least {want}")
    return ""


def check_headless(ctx):
    svc = ctx["svc"]
    if svc is None:
        return f"there is no Service {SERVICE}"
    spec = svc["object"].get("spec", {})
    if spec.get("clusterIP") != "None" or spec.get("type", "ClusterIP") != "ClusterIP":
        return (f"the Service {SERVICE} has clusterIP {spec.get('clusterIP', '(not set)')!r} and "
                f"type {spec.get('type', 'ClusterIP')}: it must be headless (clusterIP: None, "
                "type ClusterIP), so that its DNS name gives round_robin every pod's address")
    labels = ((ctx["template"].get("metadata") or {}).get("labels")) or {}
    selector = spec.get("selector") or {}
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        return (f"the Service {SERVICE} selects {selector}, which the pods' labels {labels} do "
                "not match: its DNS name would answer with no address at all (the selector is "
                "service.yaml's; the patch need not touch it)")
    return ""


def check_resources(ctx):
    res = ctx["ctr"].get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    for kind in ("cpu", "memory"):
        if kind not in req or kind not in lim:
            return (f"the container needs both requests and limits for {kind}: requests let the "
                    "scheduler place the pod, limits keep one pod from starving the node")
        a, b = quantity(req[kind]), quantity(lim[kind])
        if a is None or b is None or a > b:
            return f"the {kind} request ({req[kind]}) must be a quantity no larger than the limit ({lim[kind]})"
    if quantity(lim["cpu"]) > CPU_LIMIT_MAX:
        return (f"a cpu limit of {lim['cpu']} is {quantity(lim['cpu']):g} cores, more than a node "
                "has: CPU is counted in cores, and thousandths of one with m (500m is half a core)")
    if quantity(lim["memory"]) < MEMORY_LIMIT_MIN:
        return (f"a memory limit of {lim['memory']} is too tight: the server needs about 13 MiB "
                "at rest and more under load; going over the limit gets it killed (OOMKilled); "
                "give it at least 64Mi")
    return ""


def effective(ctx, key):
    c = ctx["ctr"].get("securityContext") or {}
    p = ctx["pod"].get("securityContext") or {}
    return c.get(key, p.get(key))


def check_non_root(ctx):
    if effective(ctx, "runAsNonRoot") is not True:
        return ("runAsNonRoot is not true (in the pod's or the container's securityContext): "
                "the kubelet should refuse to start the container as root")
    uid = effective(ctx, "runAsUser")
    if uid is None or uid == 0:
        return ("runAsUser is not set to a user other than root (0): the image's user is "
                "10001 (the Dockerfile's USER), and a numeric runAsUser lets the kubelet "
                "check runAsNonRoot without looking into the image")
    return ""


def check_locked_down(ctx):
    c = ctx["ctr"].get("securityContext") or {}
    if c.get("privileged") is True:
        return ("the container is privileged: it could do anything root on the node can; "
                "leave privileged out (it is false by default)")
    if c.get("allowPrivilegeEscalation") is not False:
        return "the container's securityContext should set allowPrivilegeEscalation: false"
    if "ALL" not in ((c.get("capabilities") or {}).get("drop") or []):
        return "the container's securityContext should drop ALL capabilities (the server needs none)"
    if c.get("readOnlyRootFilesystem") is not True:
        return ("the container's securityContext should set readOnlyRootFilesystem: true: the "
                "server writes no file")
    return ""


def context(objs, problems):
    dep, svc = find(objs, "Deployment", DEPLOYMENT), find(objs, "Service", SERVICE)
    template = (((dep or {}).get("object") or {}).get("spec") or {}).get("template") or {}
    pod = template.get("spec") or {}
    ctrs = [c for c in pod.get("containers", []) if c.get("name") == CONTAINER]
    ctr = ctrs[0] if ctrs else {}
    env = {e.get("name"): e.get("value") for e in ctr.get("env", [])}
    ports = {p.get("name"): p.get("containerPort") for p in ctr.get("ports", [])}
    try:
        grace = int(env.get("GRACE_PERIOD_SECONDS", "20"))
    except ValueError:
        grace = 20
    return {"objs": objs, "problems": problems, "template": template, "pod": pod, "ctr": ctr,
            "svc": svc,
            "grace": grace, "grpc_port": ports.get("grpc"), "services": health_services()}


CHECKS = {"patch": check_patch, "readiness": check_readiness, "liveness": check_liveness,
          "grace": check_grace, "headless": check_headless, "resources": check_resources,
          "non_root": check_non_root, "locked_down": check_locked_down}


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    patch = Path(argv[1])
    missing = ""
    if shutil.which("node") is None:
        missing = "node is not installed: `make setup` installs it"
    elif not (CHECKER.parent / "node_modules" / "kubernetes-models").is_dir():
        missing = "the Kubernetes schemas are not installed: run `make deploy-deps` (once, online)"
    elif not patch.is_file():
        missing = f"{patch} does not exist"
    if missing:
        for r in RULES:
            print(f"{r} FAIL {missing}")
        return 2
    objs, problems = merged(patch)
    if objs is None:
        for r in RULES:
            print(f"{r} FAIL {problems[0]}")
        return 2
    ctx = context(objs, problems)
    for r in RULES:
        why = " ".join(CHECKS[r](ctx).split())
        print(f"{r} ok" if not why else f"{r} FAIL {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
