#!/usr/bin/env python3
"""test_deploy.py: offline checks of the deployment files, behind `make test-deploy`.

There is no Docker engine and no Kubernetes cluster here, so the files are
checked against everything that can be reached without them:

  Dockerfile     parsed: stages, every COPY source present in the build context
                 (after .dockerignore), every package known to apt, the runtime
                 stage's packages exactly those of the libraries the built
                 server loads (ldd, dpkg -S, apt's dependencies), a non-root
                 user, EXPOSE/ENV/STOPSIGNAL/CMD as the server's contract says
  k8s/           every object validated against the Kubernetes API schemas
                 (npm kubernetes-models, run by check_manifests.mjs; broken
                 copies must fail); where kubectl is installed, its kustomize
                 must merge serving.yaml exactly as check_manifests.mjs does;
                 then cross-checked: ports, probes, env,
                 grace periods, labels and selectors, the client config, the
                 kustomization; the probes' service names are asked of the
                 real server (grpc.health.v1.Health/Check), with the
                 deployment's own environment
  .devcontainer/ JSON, the files it names, the package list it installs from

  test_deploy.py --server PATH --client PATH

The last line is "N passed, M failed". Only the standard library is used.
"""

import argparse
import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks")]  # the coursekit package
from coursekit.term import paint  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
HERE = ROOT / "tests" / "workspace" / "deploy"
K8S = ROOT / "k8s"
CHECKER = HERE / "check_manifests.mjs"
SERVICE_CONFIG = ROOT / "tools" / "cluster" / "service-config.json"

# The step-07 server's contract (CONTRIBUTING.md and the step's lesson): its defaults.
CONTRACT = {
    "HOST": "0.0.0.0",
    "PORT": "50051",
    "METRICS_PORT": "9464",
    "GRACE_PERIOD_SECONDS": "20",
    "LOG_LEVEL": "info",
}
START_TIMEOUT = 15

class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, ok, label, why=""):
        if ok:
            self.passed += 1
        else:
            self.failed.append(label)
        print(f"  {paint('✓', '32') if ok else paint('✗', '31')} {label}", flush=True)
        if not ok and why:
            for ln in str(why).strip().splitlines()[:20]:
                print(paint(f"      {ln}", "31"), flush=True)
        return ok

    def section(self, title):
        print(paint(f"\n{title}", "1"), flush=True)


def run(cmd, **kw):
    """Runs cmd; a missing program gives exit status 127 and says which."""
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    except FileNotFoundError:
        return subprocess.CompletedProcess(cmd, 127, "", f"{cmd[0]} is not installed (these checks "
                                           "need a Debian or Ubuntu system: apt-cache, dpkg, binutils)\n")


# --------------------------------------------------------------------------
# Dockerfile and .dockerignore


def dockerfile_instructions(path):
    """[(INSTRUCTION, arguments, line number)], continuation lines joined and
    comments dropped, as Docker reads the file."""
    out, buf, start = [], "", 0
    for n, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.strip()
        if not buf and (not line or line.startswith("#")):
            continue
        if buf and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if not buf:
            start = n
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip(), start))
        buf = ""
    if buf:
        word, _, rest = buf.strip().partition(" ")
        out.append((word.upper(), rest.strip(), start))
    return out


def stages_of(instrs):
    """Splits the instructions into stages: [{'base', 'name', 'instrs'}], with
    global ARG defaults substituted into FROM."""
    args, stages = {}, []
    for word, rest, n in instrs:
        if word == "ARG" and not stages:
            k, _, v = rest.partition("=")
            args[k.strip()] = v.strip().strip('"')
        elif word == "FROM":
            parts = [p for p in rest.split() if not p.startswith("--")]
            base = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), ""), parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else None
            stages.append({"base": base, "name": name, "instrs": [], "line": n})
        elif stages:
            stages[-1]["instrs"].append((word, rest, n))
    return stages


def env_pairs(rest):
    """ENV key=value ... (or the old ENV key value) as a dict."""
    words = shlex.split(rest)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(w.split("=", 1) for w in words)


def ignore_patterns(path):
    pats = []
    if not Path(path).exists():
        return pats
    for ln in Path(path).read_text().splitlines():
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        neg = ln.startswith("!")
        p = os.path.normpath(ln[1:].strip() if neg else ln).lstrip("/")
        pats.append((neg, pattern_regex(p)))
    return pats


def pattern_regex(p):
    """Docker's .dockerignore pattern syntax (Go's filepath.Match plus **)."""
    out, i = "^", 0
    while i < len(p):
        c = p[i]
        if c == "*":
            if p[i + 1:i + 2] == "*":
                i += 1
                if p[i + 1:i + 2] == "/":
                    out += "(.*/)?"
                    i += 1
                else:
                    out += ".*"
            else:
                out += "[^/]*"
        elif c == "?":
            out += "[^/]"
        elif c == "\\" and i + 1 < len(p):
            i += 1
            out += re.escape(p[i])
        else:
            out += re.escape(c)
        i += 1
    return re.compile(out + "$")


def ignored(rel, pats):
    """Whether the build context leaves `rel` out: the last pattern matching
    the path or one of its parent directories decides."""
    parts = rel.split("/")
    candidates = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
    out = False
    for neg, rx in pats:
        if any(rx.match(c) for c in candidates):
            out = not neg
    return out


def context_files(src, pats):
    """Files under `src` (relative to the repository) that the context keeps."""
    p = ROOT / src
    if p.is_file():
        return [src] if not ignored(src, pats) else []
    found = []
    for dirpath, dirnames, filenames in os.walk(p):
        for f in filenames:
            rel = str(Path(dirpath, f).relative_to(ROOT))
            if not ignored(rel, pats):
                found.append(rel)
    return found


def copy_sources(rest):
    """(options, sources, destination) of a COPY/ADD line (shell or JSON form)."""
    rest = rest.strip()
    words = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    opts = {w.split("=", 1)[0]: (w.split("=", 1) + [""])[1] for w in words if w.startswith("--")}
    plain = [w for w in words if not w.startswith("--")]
    return opts, plain[:-1], plain[-1]


def apt_known(pkgs):
    """The packages of `pkgs` apt has never heard of (one apt-cache run)."""
    r = run(["apt-cache", "show", "--no-all-versions"] + sorted(set(pkgs)))
    found = set(re.findall(r"^Package: (\S+)", r.stdout, re.M))
    return sorted(set(pkgs) - found)


def apt_graph(pkgs):
    """{package: set of packages it Depends/Pre-Depends on}, over the whole
    closure of `pkgs`, from one `apt-cache depends --recurse`."""
    r = run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
             "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + sorted(pkgs))
    graph, cur = {}, None
    for ln in r.stdout.splitlines():
        if not ln.startswith(" "):
            cur = ln.strip().strip("<>")
            graph.setdefault(cur, set())
        elif cur is not None:
            m = re.match(r"\s*\|?(Pre)?Depends:\s*<?([^>\s]+)>?", ln)
            if m:
                graph[cur].add(m.group(2))
    return graph


def closure(graph, pkgs):
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(graph.get(p, ()))
    return seen


def needed_libs(binary):
    """(DT_NEEDED sonames, those the binary really uses). A needed library
    defines at least one of the binary's undefined dynamic symbols; the others
    are dropped by a link with -Wl,--as-needed."""
    r = run(["readelf", "-d", str(binary)])
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", r.stdout)
    paths = ldd_paths(binary)
    undef = {ln.split()[-1].split("@")[0] for ln in run(["nm", "-D", "--undefined-only", str(binary)]).stdout.splitlines()
             if ln.strip()}
    used = []
    for so in needed:
        path = paths.get(so)
        if path is None:
            used.append(so)  # unknown: keep it, the package check will say
            continue
        defined = {ln.split()[-1].split("@")[0]
                   for ln in run(["nm", "-D", "--defined-only", path]).stdout.splitlines() if ln.strip()}
        if undef & defined:
            used.append(so)
    return needed, used


def ldd_paths(binary):
    r = run(["ldd", str(binary)])
    return {m.group(1): m.group(2) for m in re.finditer(r"^\s*(\S+) => (/\S+)", r.stdout, re.M)}


def package_of(paths):
    """{path: Debian package} from one dpkg -S, trying each path as ldd gives
    it, with symlinks resolved, and without the /usr of a merged /usr."""
    cands = {}
    for p in paths:
        real = os.path.realpath(p)
        for c in (p, real, real.replace("/usr/lib/", "/lib/", 1)):
            cands.setdefault(c, p)
    r = run(["dpkg", "-S"] + sorted(cands))
    out = {}
    for ln in r.stdout.splitlines():
        pkg, _, path = ln.partition(": ")
        if path.strip() in cands:
            out.setdefault(cands[path.strip()], pkg.split(":")[0].strip())
    return out


def check_dockerfile(t, server):
    t.section("Dockerfile and .dockerignore")
    df = ROOT / "Dockerfile"
    if not t.check(df.exists(), "Dockerfile exists at the repository root"):
        return {}
    instrs = dockerfile_instructions(df)
    stages = stages_of(instrs)
    t.check(len(stages) >= 2, f"multi-stage ({len(stages)} stages)")
    if len(stages) < 2:
        return {}
    build, final = stages[0], stages[-1]
    t.check(all(re.match(r"debian:(12|bookworm)(-slim)?$", s["base"]) for s in stages),
            "every stage starts from Debian 12", ", ".join(s["base"] for s in stages))
    names = [s["name"] for s in stages]
    t.check(all(w in ("FROM", "ARG", "WORKDIR", "ENV", "COPY", "RUN", "USER", "EXPOSE", "STOPSIGNAL", "CMD",
                      "ENTRYPOINT", "LABEL") for w, _, _ in instrs),
            "only known instructions", ", ".join(sorted({w for w, _, _ in instrs})))

    # COPY sources against the context.
    pats = ignore_patterns(ROOT / ".dockerignore")
    t.check((ROOT / ".dockerignore").exists(), ".dockerignore exists")
    problems, context = [], set()
    for si, st in enumerate(stages):
        for w, rest, n in st["instrs"]:
            if w not in ("COPY", "ADD"):
                continue
            opts, srcs, dest = copy_sources(rest)
            if "--from" in opts:
                if opts["--from"] not in names[:si]:
                    problems.append(f"line {n}: --from={opts['--from']} names no earlier stage")
                continue
            for s in srcs:
                if not (ROOT / s).exists():
                    problems.append(f"line {n}: {s} does not exist")
                    continue
                files = context_files(s.rstrip("/"), pats)
                if not files:
                    problems.append(f"line {n}: .dockerignore leaves nothing of {s} in the build context")
                context.update(files)
    t.check(not problems, "every COPY source exists and is in the build context", "\n".join(problems))
    leaked = sorted(f for f in context if re.search(r"(^|/)(node_modules|__pycache__|\.git)(/|$)|^build/", f))
    t.check(not leaked and all(ignored(p, pats) for p in ("build/lib/libcgrpc.a", "tools/call/node_modules/x",
                                                         ".git/HEAD", "tools/__pycache__/x.pyc")),
            ".dockerignore keeps build output, node_modules, caches and .git out of the context",
            "\n".join(leaked[:10]))

    # The build stage: packages from tools/setup/packages.tsv, the step's build.
    run_build = " ".join(rest for w, rest, _ in build["instrs"] if w == "RUN")
    t.check("tools/setup/setup.sh --missing core" in run_build and "tools/setup/packages.tsv" in
            " ".join(rest for w, rest, _ in build["instrs"] if w == "COPY"),
            "the build stage installs the core rows of tools/setup/packages.tsv (tools/setup/setup.sh --missing core)")
    core = [ln.split("\t")[0] for ln in (ROOT / "tools" / "setup" / "packages.tsv").read_text().splitlines()
            if ln and not ln.startswith("#") and not ln.startswith("debian\t") and ln.split("\t")[4] == "core"]
    m = re.search(r"apt-get install[^&|;]*?--no-install-recommends\s+([a-z0-9][a-z0-9.+\- ]*)",
                  " ".join(rest for w, rest, _ in final["instrs"] if w == "RUN"))
    runtime_pkgs = m.group(1).split() if m else []
    missing = apt_known(core + runtime_pkgs)
    t.check(core and runtime_pkgs and not missing,
            f"apt knows every package ({len(core)} core build packages; runtime: {' '.join(runtime_pkgs)})",
            "unknown: " + " ".join(missing) if missing else "no packages found")
    t.check("steps/07-deploy" in run_build and "SOLUTION=1" in run_build,
            "the build stage builds the step-07 reference server (make -C steps/07-deploy SOLUTION=1)")

    # The runtime stage against what the server loads.
    if Path(server).exists():
        needed, used = needed_libs(server)
        paths = ldd_paths(server)
        owners = package_of(list(paths.values()))
        unowned = sorted(so for so, p in paths.items() if p not in owners)
        direct = {owners.get(paths.get(so)) for so in used} - {None}
        graph = apt_graph(runtime_pkgs) if runtime_pkgs else {}
        have = closure(graph, runtime_pkgs)
        # What the image's server loads: all of ldd's list but the libraries
        # linked and never called, which --as-needed drops.
        loaded = [p for so, p in paths.items() if so in used or so not in needed]
        lacking = sorted({owners[p] for p in loaded if p in owners} - have)
        extra = sorted(set(runtime_pkgs) - direct)
        redundant = sorted(p for p in runtime_pkgs if p in closure(graph, [q for q in runtime_pkgs if q != p]))
        t.check(not unowned and not lacking and not extra and not redundant,
                f"the runtime packages are exactly what `ldd server` needs "
                f"({len(paths)} libraries from {len({owners[p] for p in paths.values() if p in owners})} packages)",
                "\n".join(filter(None, [
                    unowned and "no package owns: " + " ".join(unowned),
                    lacking and "not installed by the runtime stage (nor by what it pulls in): " + " ".join(lacking),
                    extra and "installed but no library of the server comes from it: " + " ".join(extra),
                    redundant and "pulled in anyway by the others: " + " ".join(redundant)])))
        unused = [so for so in needed if so not in used]
        t.check(not unused or "--as-needed" in run_build,
                "libraries linked but never called are dropped from the image's build (--as-needed)"
                + (f": {' '.join(unused)}" if unused else ""))
    else:
        t.check(False, "the built server is there to compare the runtime stage with", f"{server} is missing")

    # The final stage: user, env, ports, signal, command.
    fin = {}
    for w, rest, n in final["instrs"]:
        if w == "ENV":
            fin.setdefault("ENV", {}).update(env_pairs(rest))
        elif w == "EXPOSE":
            fin.setdefault("EXPOSE", []).extend(p.split("/")[0] for p in rest.split())
        else:
            fin[w] = rest
    user = fin.get("USER", "").split(":")[0]
    t.check(user.isdigit() and int(user) != 0, f"the image runs as a numeric non-root user ({fin.get('USER')})")
    env = fin.get("ENV", {})
    t.check(all(env.get(k) == v for k, v in CONTRACT.items()),
            "ENV gives the contract's defaults (" + " ".join(f"{k}={v}" for k, v in CONTRACT.items()) + ")",
            json.dumps(env))
    t.check(set(fin.get("EXPOSE", [])) == {CONTRACT["PORT"], CONTRACT["METRICS_PORT"]},
            f"EXPOSE the gRPC and metrics ports ({' '.join(fin.get('EXPOSE', []))})")
    t.check(fin.get("STOPSIGNAL") == "SIGTERM", "STOPSIGNAL SIGTERM")
    cmd = fin.get("ENTRYPOINT") or fin.get("CMD") or ""
    try:
        argv = json.loads(cmd)
    except ValueError:
        argv = None
    dests = [copy_sources(rest)[2] for w, rest, _ in final["instrs"] if w == "COPY"]
    t.check(isinstance(argv, list) and argv and argv[0] in dests,
            "CMD is in exec form and runs the copied server (SIGTERM reaches it)", cmd)
    return {"user": user, "env": env, "expose": fin.get("EXPOSE", []), "context": sorted(context),
            "workdir": next((rest for w, rest, _ in build["instrs"] if w == "WORKDIR"), "/"),
            "build_runs": [rest for w, rest, _ in build["instrs"] if w == "RUN" and "apt-get" not in rest]}


def check_context_build(t, docker):
    """Builds the server from the build context alone, the way the build stage
    does: proves the COPY lines bring everything the build reads."""
    t.section("Dockerfile: the build stage's commands in a copy of the build context")
    if not docker.get("context"):
        t.check(False, "the build context is known", "the Dockerfile checks failed first")
        return
    with tempfile.TemporaryDirectory(prefix="docker-context-") as tmp:
        for rel in docker["context"]:
            (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, Path(tmp) / rel)
        t0 = time.monotonic()
        for cmd in docker["build_runs"]:
            cmd = cmd.replace(docker["workdir"].rstrip("/") + "/", tmp + "/").replace("/out", tmp + "/out")
            r = run(["bash", "-c", cmd], cwd=tmp, timeout=900)
            if not t.check(r.returncode == 0, f"RUN {cmd.replace(tmp, '<context>')[:90]}",
                           (r.stdout + r.stderr)[-3000:]):
                return
        server = Path(tmp) / "out" / "server"
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run(["readelf", "-d", str(server)]).stdout) if server.exists() else []
        t.check(server.exists(), f"the context alone builds the server ({time.monotonic() - t0:.0f} s; "
                f"it needs {' '.join(needed)})")


# --------------------------------------------------------------------------
# k8s/


def checker(paths):
    r = run(["node", str(CHECKER), "--json"] + [str(p) for p in paths])
    try:
        return r.returncode, json.loads(r.stdout), r.stderr
    except ValueError:
        return r.returncode, None, r.stderr + r.stdout


# (label, file, text to find, replacement, what the checker's output must name)
BROKEN = [
    ("replicas as a word", "deployment.yaml", "replicas: 3", "replicas: three", "/spec/replicas must be integer"),
    ("a misspelt field", "serving.yaml", "readinessProbe:", "readinesProbe:", "unknown field /spec/template/spec/containers/0/readinesProbe"),
    ("a named port in a grpc probe", "serving.yaml", "port: 50051\n              service: tutorial",
     "port: grpc\n              service: tutorial", "readinessProbe/grpc/port must be integer"),
    ("a kind with a typo", "service.yaml", "kind: Service", "kind: Servcie", "no schema"),
    ("a container without a name", "deployment.yaml", "- name: server", "- nam: server", "must have required property name"),
    ("broken YAML", "client-config.yaml", "data:\n", "data:\n  target: [\n", "not valid YAML"),
    ("a patch for an object that is not there", "serving.yaml", "kind: Service\nmetadata:\n  name: tutorial-server\n",
     "kind: Service\nmetadata:\n  name: tutorial-srever\n", "matches no object"),
]


def check_schemas(t):
    t.section("k8s/: the manifests against the Kubernetes API schemas (kubernetes-models)")
    if not t.check(shutil.which("node") is not None, "node is installed (it runs the schema checker)",
                   "install it with `make setup` (Debian: sudo apt-get install nodejs npm)"):
        return []
    if not t.check((HERE / "node_modules" / "kubernetes-models").is_dir(), "kubernetes-models is installed",
                   "run `make deploy-deps` (npm ci in tests/workspace/deploy)"):
        return []
    rc, res, err = checker([K8S])
    if not t.check(res is not None, "check_manifests.mjs runs", err):
        return []
    for o in res["objects"]:
        if o["kind"] == "Kustomization":
            continue  # kustomize's own file, not an API object: see the resource list check
        label = f"{Path(o['file']).name}: {o['kind']} {o['name'] or ''}".rstrip()
        t.check(not o["errors"] and not o["unknown"], f"{label} is valid",
                "\n".join(o["errors"] + [f"unknown field {u}" for u in o["unknown"]]))
    t.check(not res["problems"] and rc == 0, "no file problems", "\n".join(res["problems"]))

    # Broken copies must fail, each for its own reason: one copy of k8s/ per
    # case with one file broken (a patch is merged into the objects of its
    # directory), all checked by one run of the checker.
    with tempfile.TemporaryDirectory(prefix="deploy-") as tmp:
        cases = []
        for i, (label, name, old, new, expect) in enumerate(BROKEN):
            text = (K8S / name).read_text()
            if old not in text:
                t.check(False, f"a broken copy fails: {label}", f"k8s/{name} no longer holds {old!r}: update BROKEN")
                continue
            d = Path(tmp) / f"broken-{i}"
            shutil.copytree(K8S, d)
            (d / name).write_text(text.replace(old, new, 1))
            cases.append((label, d / name, expect))
        if cases:
            r = run(["node", str(CHECKER)] + [str(f.parent) for _, f, _ in cases])
            for label, f, expect in cases:
                mine = [ln for ln in r.stdout.splitlines()
                        if ln.startswith("FAIL") and f" {f.parent}/" in ln]
                t.check(r.returncode == 1 and any(expect in ln for ln in mine),
                        f"a broken copy fails: {label}",
                        f"exit status {r.returncode}, wanted 1 and {expect!r} for {f.name}:\n"
                        + "\n".join(mine) + r.stderr)
    return res["objects"]


def check_kustomize(t, objs):
    """The patch merged as kustomize merges it: where kubectl is at hand
    (it carries kustomize), `kubectl kustomize k8s/` must give exactly the
    objects check_manifests.mjs's own strategic merge gives, so the offline
    merge that checks a learner's serving.yaml is the one a cluster applies."""
    t.section("k8s/: the offline merge against kustomize")
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        print("  - kubectl is not on this machine: the merge is not compared with kustomize's "
              "(make setup does not install it; Debian has no package)", flush=True)
        return
    r = run([kubectl, "kustomize", str(K8S)], timeout=120)
    if not t.check(r.returncode == 0, "kubectl kustomize k8s/ renders the manifests", r.stderr):
        return
    with tempfile.TemporaryDirectory(prefix="kustomize-") as tmp:
        (Path(tmp) / "rendered.yaml").write_text(r.stdout)
        _, res, err = checker([tmp])
    if not t.check(res is not None and not res["problems"], "check_manifests.mjs reads kustomize's output",
                   err if res is None else "\n".join(res["problems"])):
        return
    theirs = {(o["kind"], o["name"]): o["object"] for o in res["objects"]}
    ours = {(o["kind"], o["name"]): o["object"] for o in objs if o["kind"] != "Kustomization"}
    differ = sorted(f"{k} {n}" for (k, n) in set(theirs) | set(ours) if theirs.get((k, n)) != ours.get((k, n)))
    t.check(not differ, f"kustomize and the offline merge give the same {len(ours)} objects "
            "(serving.yaml merged into the Deployment and the Service)",
            "they differ in: " + ", ".join(differ))


def one(objs, kind, pred=lambda o: True):
    found = [o["object"] for o in objs if o["kind"] == kind and pred(o["object"])]
    return found[0] if len(found) == 1 else None


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


SERVER = "tutorial-server"
COLLECTOR = "otel-collector"


def app_named(name):
    """Selects the objects of one app: the server's, or the collector's."""
    return lambda o: o.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/name") == name


def check_cross(t, objs, docker):
    t.section("k8s/: the manifests against each other, the Dockerfile and the contract")
    dep = one(objs, "Deployment", app_named(SERVER))
    if not t.check(dep is not None, "one Deployment of the server"):
        return None
    pod = dep["spec"]["template"]
    spec = pod["spec"]
    ctr = spec["containers"][0]
    env = {e["name"]: e for e in ctr.get("env", [])}
    val = {k: e.get("value") for k, e in env.items()}
    ports = {p.get("name"): p["containerPort"] for p in ctr.get("ports", [])}
    rp, lp = ctr.get("readinessProbe", {}), ctr.get("livenessProbe", {})
    grpc = int(CONTRACT["PORT"])
    metrics = int(CONTRACT["METRICS_PORT"])

    t.check(dep["spec"].get("replicas") == 3, f"3 replicas ({dep['spec'].get('replicas')})")
    t.check(len(spec["containers"]) == 1, "one container")
    t.check(ports.get("grpc") == grpc and val.get("PORT") == str(grpc)
            and rp.get("grpc", {}).get("port") == grpc and lp.get("grpc", {}).get("port") == grpc
            and docker.get("env", {}).get("PORT") == str(grpc),
            f"gRPC port {grpc} everywhere: containerPort, PORT, both probes, the Dockerfile",
            f"containerPort {ports.get('grpc')}, PORT {val.get('PORT')}, readiness {rp.get('grpc')}, "
            f"liveness {lp.get('grpc')}, Dockerfile PORT {docker.get('env', {}).get('PORT')}")
    t.check(ports.get("metrics") == metrics and val.get("METRICS_PORT") == str(metrics)
            and docker.get("env", {}).get("METRICS_PORT") == str(metrics),
            f"metrics port {metrics}: containerPort, METRICS_PORT, the Dockerfile",
            f"containerPort {ports.get('metrics')}, METRICS_PORT {val.get('METRICS_PORT')}")
    tgps = spec.get("terminationGracePeriodSeconds")
    grace = val.get("GRACE_PERIOD_SECONDS")
    t.check(isinstance(tgps, int) and grace is not None and grace.isdigit() and tgps > int(grace)
            and grace == CONTRACT["GRACE_PERIOD_SECONDS"] and docker.get("env", {}).get("GRACE_PERIOD_SECONDS") == grace,
            f"terminationGracePeriodSeconds {tgps} > GRACE_PERIOD_SECONDS {grace} (= the contract's, the Dockerfile's)")
    t.check(all(val.get(k) == v for k, v in CONTRACT.items() if k in ("HOST", "LOG_LEVEL")),
            f"HOST {val.get('HOST')} and LOG_LEVEL {val.get('LOG_LEVEL')} as the contract says")
    t.check(env.get("REPLICA_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name",
            "REPLICA_NAME comes from the pod's name (downward API)")
    known = set(CONTRACT) | {"REPLICA_NAME", "AUTH_TOKENS", "OTEL_EXPORTER_OTLP_ENDPOINT",
                             "OTEL_SERVICE_NAME"}
    t.check(set(env) <= known, "no variable the server does not read", ", ".join(sorted(set(env) - known)))
    t.check("grpc" in rp and "grpc" in lp, "native gRPC readiness and liveness probes")
    res = ctr.get("resources", {})
    t.check(all(res.get(k, {}).get(r) for k in ("requests", "limits") for r in ("cpu", "memory")),
            "cpu and memory requests and limits")
    psc, csc = spec.get("securityContext", {}), ctr.get("securityContext", {})
    t.check(psc.get("runAsNonRoot") is True and str(psc.get("runAsUser")) == docker.get("user"),
            f"runs as non-root, user {psc.get('runAsUser')} = the Dockerfile's USER {docker.get('user')}")
    t.check(csc.get("readOnlyRootFilesystem") is True and csc.get("allowPrivilegeEscalation") is False
            and "ALL" in csc.get("capabilities", {}).get("drop", []),
            "read-only root filesystem, no privilege escalation, no capabilities")
    t.check(matches(dep["spec"]["selector"].get("matchLabels"), pod["metadata"].get("labels", {})),
            "the Deployment's selector matches its pods")

    labels = pod["metadata"].get("labels", {})
    svc = one(objs, "Service", lambda o: app_named(SERVER)(o) and o["spec"].get("clusterIP") == "None")
    msvc = one(objs, "Service", lambda o: app_named(SERVER)(o) and o["spec"].get("clusterIP") != "None")

    def target_port(p):
        tp = p.get("targetPort", p.get("port"))
        return ports.get(tp) if isinstance(tp, str) else tp

    t.check(svc is not None and matches(svc["spec"].get("selector"), labels)
            and any(target_port(p) == grpc and p["port"] == grpc for p in svc["spec"]["ports"]),
            "a headless Service (clusterIP: None) selects the pods, port and targetPort gRPC")
    ann = (msvc or {}).get("metadata", {}).get("annotations", {})
    t.check(msvc is not None and matches(msvc["spec"].get("selector"), labels)
            and any(target_port(p) == metrics for p in msvc["spec"]["ports"])
            and ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == str(metrics)
            and ann.get("prometheus.io/path") == "/metrics",
            "a metrics Service selects the pods on the metrics port, annotated for Prometheus")
    pdb = one(objs, "PodDisruptionBudget")
    t.check(pdb is None or (matches(pdb["spec"]["selector"].get("matchLabels"), labels)
                            and 0 < pdb["spec"].get("minAvailable", 0) < dep["spec"]["replicas"]),
            "the PodDisruptionBudget selects the pods and leaves room for one to go")

    ns = one(objs, "Namespace")
    nsname = ns["metadata"]["name"] if ns else None
    others = [o for o in objs if o["kind"] not in ("Namespace", "Kustomization")]
    t.check(ns is not None and all(o["object"]["metadata"].get("namespace") == nsname for o in others),
            f"every object lives in namespace {nsname}")

    check_collector(t, objs, val.get("OTEL_EXPORTER_OTLP_ENDPOINT"), nsname)

    cm = one(objs, "ConfigMap", app_named(SERVER))
    data = (cm or {}).get("data", {})
    try:
        cfg = json.loads(data.get("service-config.json", ""))
    except ValueError as e:
        cfg = None
        t.check(False, "the ConfigMap's service-config.json is JSON", str(e))
    ours = json.loads(SERVICE_CONFIG.read_text())
    t.check(cfg is not None and cfg == ours,
            "the ConfigMap's service config is the one make cluster uses (tools/cluster/service-config.json)")
    t.check(cfg is not None and {"round_robin": {}} in cfg.get("loadBalancingConfig", []),
            "the client's service config picks round_robin")
    want = f"dns:///{svc['metadata']['name'] if svc else '?'}.{nsname}.svc.cluster.local:{grpc}"
    t.check(data.get("target") == want, f"the ConfigMap's target is the headless Service's DNS name ({want})",
            f"got {data.get('target')}")

    kust = [o for o in objs if o["kind"] == "Kustomization"]
    files = sorted(p.name for p in K8S.glob("*.y*ml") if p.name != "kustomization.yaml")
    listed = sorted(kust[0]["object"].get("resources", []) +
                    [p.get("path") for p in kust[0]["object"].get("patches", [])]) if kust else []
    t.check(kust and listed == files, "kustomization.yaml lists every manifest and patch in k8s/",
            f"listed {listed}, files {files}")
    readme = K8S / "README.md"
    text = readme.read_text() if readme.exists() else ""
    named = set(re.findall(r"k8s/([\w.-]+\.ya?ml)", text))
    t.check(readme.exists() and "kubectl apply -k k8s/" in text and want in text and named <= set(files) | {"kustomization.yaml"},
            "k8s/README.md shows the commands and names only files that exist",
            f"unknown files: {sorted(named - set(files))}")
    return {"env": val, "readiness": rp["grpc"].get("service", ""), "liveness": lp["grpc"].get("service", "")}


def check_collector(t, objs, endpoint, nsname):
    """The server's OTEL_EXPORTER_OTLP_ENDPOINT reaches the collector's
    Service, whose pods receive OTLP/gRPC on that port."""
    dep = one(objs, "Deployment", app_named(COLLECTOR))
    svc = one(objs, "Service", app_named(COLLECTOR))
    cm = one(objs, "ConfigMap", app_named(COLLECTOR))
    if not t.check(dep is not None and svc is not None and cm is not None,
                   "an OpenTelemetry Collector: its Deployment, Service and ConfigMap"):
        return
    ctr = dep["spec"]["template"]["spec"]["containers"][0]
    ports = {p.get("name"): p["containerPort"] for p in ctr.get("ports", [])}
    want = f"http://{svc['metadata']['name']}.{nsname}.svc.cluster.local:"
    port = next((p["port"] for p in svc["spec"]["ports"]
                 if ports.get(p.get("targetPort")) == p["port"] or p.get("targetPort") == p["port"]), None)
    t.check(port is not None and endpoint == f"{want}{port}",
            f"the server's OTEL_EXPORTER_OTLP_ENDPOINT is the collector Service's port ({want}{port})",
            f"got {endpoint}")
    conf = cm.get("data", {}).get("collector.yaml", "")
    t.check(f"endpoint: 0.0.0.0:{port}" in conf and re.search(r"traces:\s*\n\s*receivers: \[otlp\]", conf)
            and matches(svc["spec"].get("selector"), dep["spec"]["template"]["metadata"].get("labels", {})),
            "the collector receives OTLP/gRPC on that port, in a traces pipeline, behind its Service")
    image = ctr.get("image", "")
    t.check(re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+", image) is not None,
            f"the collector's image has a pinned version ({image})")


# --------------------------------------------------------------------------
# Against the server


def check_server(t, server, client, facts):
    t.section("k8s/: the probes against the real server")
    if not t.check(Path(server).exists() and Path(client).exists(), "the server and the health client are built",
                   f"{server}, {client}"):
        return
    # The contract's defaults, as the server itself states them.
    r = run([str(server), "--help"], timeout=10)
    found = {}
    m = re.search(r"HOST, PORT\s.*?\(default ([\d.]+):(\d+)", r.stdout)
    if m:
        found["HOST"], found["PORT"] = m.group(1), m.group(2)
    for var in ("METRICS_PORT", "GRACE_PERIOD_SECONDS", "LOG_LEVEL"):
        m = re.search(rf"^\s*{var}\s.*?\(default (\S+?)\)", r.stdout, re.M)
        if m:
            found[var] = m.group(1)
    t.check(r.returncode == 0 and found == CONTRACT,
            "the server's --help states the defaults the Dockerfile and the manifests use",
            f"from --help: {found}\nexpected: {CONTRACT}\n{r.stdout}{r.stderr}")

    # The deployment's own environment, on loopback and free ports.
    env = dict(os.environ)
    env.update({k: v for k, v in facts["env"].items() if v is not None})
    env.update(HOST="127.0.0.1", PORT="0", METRICS_PORT="0", REPLICA_NAME="tutorial-server-abc12-xyz34")
    log = ROOT / "build" / "deploy" / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as err:
        proc = subprocess.Popen([str(server)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=err, text=True)
    try:
        addr = maddr = None
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(ln) for ln in iter(proc.stdout.readline, "")] + [lines.put(None)],
                         daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while addr is None or maddr is None:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                line = None
            if line is None:
                break
            m = re.fullmatch(r"(listening|metrics) on (\S+:\d+)", line.strip())
            if m:
                if m.group(1) == "listening":
                    addr = m.group(2)
                else:
                    maddr = m.group(2)
        if not t.check(addr and maddr, "the server starts with the Deployment's environment "
                       "(listening on ..., metrics on ...)",
                       (f"exit status {proc.poll()}" if proc.poll() is not None else "no such lines in time")
                       + f"; {log.relative_to(ROOT)}:\n" + log.read_text(errors="replace")[-1500:]):
            return
        for what, name in (("readiness", facts["readiness"]), ("liveness", facts["liveness"])):
            r = run([str(client), "health", addr, name], timeout=15)
            t.check(r.returncode == 0 and r.stdout.strip() == "SERVING",
                    f"the {what} probe's service {name!r}: Health/Check answers SERVING",
                    r.stdout + r.stderr)
        r = run([str(client), "health", addr, "tutorial.v1.NoSuchService"], timeout=15)
        t.check(r.returncode == 1 and "NOT_FOUND" in r.stderr,
                "a service name the server does not know is NOT_FOUND (so the names above were checked)",
                r.stdout + r.stderr)
        try:
            with urllib.request.urlopen(f"http://{maddr}/metrics", timeout=5) as resp:
                body, ctype, status = resp.read().decode("utf-8", "replace"), resp.headers.get("Content-Type", ""), resp.status
        except OSError as e:
            body, ctype, status = str(e), "", None
        t.check(status == 200 and ctype.startswith("text/plain") and "# TYPE rpc_server_calls_total counter" in body,
                "GET /metrics (the scrape annotations' path) answers Prometheus text",
                f"status {status}, Content-Type {ctype!r}\n{body[:300]}")
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=int(facts["env"].get("GRACE_PERIOD_SECONDS") or 20) + 5)
        except subprocess.TimeoutExpired:
            rc = None
        t.check(rc == 0, f"SIGTERM: the server exits 0 (status {rc})")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()


# --------------------------------------------------------------------------
# .devcontainer/


def check_devcontainer(t):
    t.section(".devcontainer/")
    path = ROOT / ".devcontainer" / "devcontainer.json"
    if not t.check(path.exists(), ".devcontainer/devcontainer.json exists"):
        return
    text = "\n".join(ln for ln in path.read_text().splitlines() if not ln.strip().startswith("//"))
    try:
        dc = json.loads(text)
    except ValueError as e:
        t.check(False, "devcontainer.json is JSON (full-line // comments allowed)", str(e))
        return
    t.check(True, "devcontainer.json is JSON (full-line // comments allowed)")
    build = dc.get("build", {})
    dfile = ROOT / ".devcontainer" / build.get("dockerfile", "?")
    ctx = (ROOT / ".devcontainer" / build.get("context", ".")).resolve()
    t.check(dfile.exists() and ctx == ROOT, "it builds .devcontainer/" + build.get("dockerfile", "?")
            + " with the repository as the context")
    if dfile.exists():
        problems = []
        instrs = dockerfile_instructions(dfile)
        pats = ignore_patterns(ctx / ".dockerignore")
        for w, rest, n in instrs:
            if w in ("COPY", "ADD"):
                opts, srcs, _ = copy_sources(rest)
                for s in srcs:
                    if "--from" in opts:
                        continue
                    if not (ctx / s).exists():
                        problems.append(f"line {n}: {s} does not exist")
                    elif ctx == ROOT and not context_files(s.rstrip("/"), pats):
                        problems.append(f"line {n}: the repository's .dockerignore leaves {s} out of the context")
        t.check(not problems, "every COPY source of its Dockerfile exists and is in the build context",
                "\n".join(problems))
        stages = stages_of(instrs)
        t.check(stages and all(re.match(r"debian:(12|bookworm)", s["base"]) for s in stages),
                "its image is Debian 12, like the course's machines")
        runs = " ".join(rest for w, rest, _ in instrs if w == "RUN")
        t.check("setup.sh --missing all" in runs,
                "it installs every row of tools/setup/packages.tsv (tools/setup/setup.sh --missing all)")
    post = dc.get("postCreateCommand", "")
    t.check(post.strip() == "make setup" and re.search(r"^setup:", (ROOT / "Makefile").read_text(), re.M),
            "after creation it runs `make setup` (the Makefile's target: the shared parts get built)")


# --------------------------------------------------------------------------


def main(argv):
    ap = argparse.ArgumentParser(description="offline checks of Dockerfile, k8s/ and .devcontainer/")
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--context-build", action="store_true",
                    help="also build the server from a copy of the Docker build context (a minute or two)")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the `finally`s
    t = Tally()
    t0 = time.monotonic()
    docker = check_dockerfile(t, args.server)
    if args.context_build:
        check_context_build(t, docker)
    objs = check_schemas(t)
    if objs:
        check_kustomize(t, objs)
    facts = check_cross(t, objs, docker) if objs else None
    if facts:
        check_server(t, args.server, args.client, facts)
    check_devcontainer(t)
    print(paint(f"\n({time.monotonic() - t0:.1f} s)", "2"))
    if t.failed:
        print(paint("Failed: ", "31") + "; ".join(t.failed))
    print(f"{t.passed} passed, {len(t.failed)} failed")
    return 0 if not t.failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
