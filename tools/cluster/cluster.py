#!/usr/bin/env python3
"""cluster.py: three replicas behind one round_robin client, behind `make cluster`.

What a Kubernetes Deployment of three replicas behind a headless Service does,
on loopback and in a few seconds:

  1. starts three replicas of the step-07 server on 127.0.0.1, each on a free
     port (PORT=0, METRICS_PORT=0) and named replica-1..3 (REPLICA_NAME);
  2. starts one client (tools/cluster/lb_client.c) with a channel to all three
     ("ipv4:127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3") and the service config a
     client in the cluster would get from k8s/client-config.yaml (round_robin,
     retries for the idempotent calls); its threads send UnaryCall after
     UnaryCall and note which replica answered (the `x-replica` header);
  3. after a while stops replica-2 with SIGTERM, as the kubelet would, while
     the calls keep coming, and waits for it to drain and exit;
  4. lets the load run on the two survivors, stops the client, reads every
     replica's /metrics, stops the survivors;
  5. reports the calls per replica before, during and after the stop, the
     failed calls (there must be none), the drain time and the exit statuses;
  6. and one trace: an OTLP receiver (`lb_client sink`) started first is the
     OTEL_EXPORTER_OTLP_ENDPOINT of the replicas and the client; the client's
     first call is traced (its span, the runtime's client interceptor's span,
     traceparent sent), and the replica that answered exports its server
     span, the client span's child: the report draws the tree.

  cluster.py --server PATH --client PATH --service-config FILE [--test]
             [--threads N] [--seconds S] [--grace S] [--no-retry]

--no-retry drops the retry policy from the service config (round_robin
stays): then the few calls that cross the draining replica's GOAWAY fail,
which is what the retry policy is for.

--test ends with the line "N passed, M failed" (make test-cluster) and exits
non-zero on any failed check. Without --test the exit status is non-zero when
a call failed or a replica misbehaved. Only the standard library is used.
"""

import argparse
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "tools" / d) for d in ("course", "checks")]  # tools/: the coursekit package
from coursekit.term import bold, dim, green, red  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
LOG_DIR = ROOT / "build" / "cluster"

REPLICAS = 3
STOPPED = 1             # index of the replica that gets SIGTERM (replica-2)
START_TIMEOUT = 15      # seconds for a replica's "listening on" / "metrics on" lines
CONNECT_TIMEOUT = 15    # seconds for the client to connect
PHASE_TIMEOUT = 30      # seconds a phase may take to reach its minimum
MIN_CALLS = 20          # calls each live replica must answer in a phase

def say(text=""):
    print(text, flush=True)


def rel(path):
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


class ClusterError(Exception):
    """Something that stops the run: a replica that does not start, a client that dies."""


# --------------------------------------------------------------------------
# Processes


class Lines:
    """Reads a pipe line by line on a thread, so that nothing blocks on a full
    pipe and a reader can wait for a line with a time limit."""

    def __init__(self, pipe):
        self.q = queue.Queue()
        self.all = []
        self.t = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.t.start()

    def _run(self, pipe):
        for ln in iter(pipe.readline, ""):
            ln = ln.rstrip("\n")
            self.all.append(ln)
            self.q.put(ln)
        self.q.put(None)

    def next(self, timeout):
        """The next line, None at the end of the output, or TimeoutError."""
        try:
            return self.q.get(timeout=max(timeout, 0))
        except queue.Empty:
            raise TimeoutError from None


class Replica:
    def __init__(self, index, server, grace):
        self.name = f"replica-{index + 1}"
        self.server = server
        self.grace = grace
        self.proc = None
        self.out = None
        self.addr = None
        self.metrics_addr = None
        self.log = LOG_DIR / f"{self.name}.log"

    def start(self, otlp):
        env = dict(os.environ, HOST="127.0.0.1", PORT="0", METRICS_PORT="0",
                   REPLICA_NAME=self.name, GRACE_PERIOD_SECONDS=str(self.grace),
                   LOG_LEVEL="warn", OTEL_EXPORTER_OTLP_ENDPOINT=otlp)
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen([str(self.server)], env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=err, text=True)
        self.out = Lines(self.proc.stdout)

    def wait_listening(self):
        """Waits for both lines the contract promises: gRPC and /metrics."""
        deadline = time.monotonic() + START_TIMEOUT
        while self.addr is None or self.metrics_addr is None:
            try:
                line = self.out.next(deadline - time.monotonic())
            except TimeoutError:
                line = None
            if line is None:
                self.kill()
                raise ClusterError(
                    f"{self.name} did not print both 'listening on HOST:PORT' and "
                    f"'metrics on HOST:PORT' within {START_TIMEOUT} s; its log "
                    f"({rel(self.log)}) says:\n" + tail(self.log))
            m = re.fullmatch(r"(listening|metrics) on (\S+:\d+)", line.strip())
            if m and m.group(1) == "listening":
                self.addr = m.group(2)
            elif m:
                self.metrics_addr = m.group(2)

    def stop(self, timeout):
        """SIGTERM; returns (exit status or None if it had to be killed, seconds)."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = None
        return rc, time.monotonic() - t0

    def printed_stopped(self):
        self.out.t.join(timeout=5)
        return any(ln.strip() == "stopped" for ln in self.out.all)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def tail(path, n=10):
    try:
        lines = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return "    (no log)"
    return "\n".join("    " + ln for ln in lines[-n:]) or "    (nothing)"


class Client:
    """lb_client load: JSON events on stdout, commands on stdin."""

    def __init__(self, client, target, service_config, threads, otlp):
        self.cmd = [str(client), "load", target, "--service-config", str(service_config),
                    "--threads", str(threads)]
        self.log = LOG_DIR / "client.log"
        env = dict(os.environ, OTEL_EXPORTER_OTLP_ENDPOINT=otlp)
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=err, text=True, env=env)
        self.out = Lines(self.proc.stdout)
        self.last = {}

    def event(self, kind, timeout):
        """Reads events until one of `kind`; returns it. Progress events are kept."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.out.next(deadline - time.monotonic())
            except TimeoutError:
                raise ClusterError(f"the client sent no '{kind}' event within {timeout} s") from None
            if line is None:
                self.proc.wait()
                raise ClusterError(f"the client ended (exit status {self.proc.returncode}) before "
                                   f"its '{kind}' event; {rel(self.log)} says:\n" + tail(self.log))
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") == "progress":
                self.last = ev["phase"]
            if ev.get("event") == kind:
                return ev

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def phase(self, name):
        self.send(f"phase {name}")
        while self.event("phase", 10)["name"] != name:
            pass
        self.last = {"name": name, "by_replica": {}}

    def run_phase(self, names, seconds):
        """Lets the current phase run for `seconds` and until each replica in
        `names` has answered MIN_CALLS of its calls."""
        t0 = time.monotonic()
        while True:
            self.event("progress", 10)
            counts = self.last.get("by_replica", {})
            elapsed = time.monotonic() - t0
            if elapsed >= seconds and all(counts.get(n, 0) >= MIN_CALLS for n in names):
                return
            if elapsed > PHASE_TIMEOUT:
                return  # the checks will say which replica got too few

    def finish(self):
        self.send("stop")
        summary = self.event("summary", 30)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        return summary

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Sink:
    """lb_client sink: an OTLP receiver; the spans of traces begun elsewhere,
    one JSON line each, until its stdin closes."""

    def __init__(self, client):
        self.log = LOG_DIR / "trace-sink.log"
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen([str(client), "sink"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=err, text=True)
        self.out = Lines(self.proc.stdout)
        try:
            ev = json.loads(self.out.next(START_TIMEOUT) or "{}")
        except (TimeoutError, ValueError):
            ev = {}
        if ev.get("event") != "listening":
            self.kill()
            raise ClusterError(f"the trace sink did not start; {rel(self.log)} says:\n" + tail(self.log))
        self.endpoint = f"http://127.0.0.1:{ev['port']}"

    def spans(self):
        """Closes the sink and returns the spans it printed."""
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.out.t.join(timeout=5)
        out = []
        for ln in self.out.all:
            try:
                ev = json.loads(ln)
            except ValueError:
                continue
            if ev.get("event") == "span":
                out.append(ev)
        return out

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------
# Metrics


LABEL_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(addr):
    """Successful UnaryCalls by the server's own count (rpc_server_calls_total),
    or None when /metrics does not answer."""
    try:
        with urllib.request.urlopen(f"http://{addr}/metrics", timeout=5) as resp:
            text = resp.read().decode("utf-8", "replace")
    except OSError:
        return None
    total = 0
    for ln in text.splitlines():
        m = re.match(r"rpc_server_calls_total\{(.*)\}\s+([0-9.eE+]+)\s*$", ln)
        if not m:
            continue
        labels = dict(LABEL_RE.findall(m.group(1)))
        if (labels.get("rpc_service") == "tutorial.v1.MyService" and labels.get("rpc_method") == "UnaryCall"
                and labels.get("rpc_grpc_status_code") == "0"):
            total += int(float(m.group(2)))
    return total


# --------------------------------------------------------------------------
# The run


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, ok, label, why=""):
        if ok:
            self.passed += 1
        else:
            self.failed.append(label)
        say(f"  {green('✓') if ok else red('✗')} {label}")
        if not ok and why:
            for ln in why.splitlines():
                say(red(f"      {ln}"))
        return ok


def describe_config(path):
    try:
        cfg = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise ClusterError(f"cannot read the service config {rel(path)}: {e}") from None
    lb = [next(iter(p)) for p in cfg.get("loadBalancingConfig", [])]
    codes = sorted({c for mc in cfg.get("methodConfig", [])
                    for c in mc.get("retryPolicy", {}).get("retryableStatusCodes", [])})
    text = "load balancing " + (", ".join(lb) or "pick_first (the default)")
    if codes:
        text += "; retries on " + ", ".join(codes)
    return text


def without_retries(path):
    """A copy of the service config without its methodConfig (the retries)."""
    try:
        cfg = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise ClusterError(f"cannot read the service config {rel(path)}: {e}") from None
    cfg.pop("methodConfig", None)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    out = LOG_DIR / "service-config-no-retry.json"
    out.write_text(json.dumps(cfg, indent=2) + "\n")
    return out


def run(args):
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for what, path in (("server", args.server), ("client", args.client)):
        if not Path(path).exists():
            raise ClusterError(f"the {what} program {rel(path)} is missing: 'make cluster' builds it.")

    replicas = [Replica(i, args.server, args.grace) for i in range(REPLICAS)]
    client = None
    sink = None
    t_start = time.monotonic()
    try:
        sink = Sink(args.client)
        say(bold(f"Starting {REPLICAS} replicas of the step-07 server") +
            dim(f"  ({rel(args.server)}, GRACE_PERIOD_SECONDS={args.grace})"))
        for r in replicas:
            r.start(sink.endpoint)
        for r in replicas:
            r.wait_listening()
            say(f"  {r.name}  gRPC {r.addr}  metrics http://{r.metrics_addr}/metrics  "
                + dim(f"log {rel(r.log)}"))
        at_start = {r.name: scrape(r.metrics_addr) for r in replicas}

        target = "ipv4:" + ",".join(r.addr for r in replicas)
        say(bold("\nStarting the client") + dim(f"  ({rel(args.client)}, {args.threads} threads)"))
        say(f"  target          {target}")
        say(f"  service config  {rel(args.service_config)}: {describe_config(args.service_config)}")
        say(f"  traces          OTEL_EXPORTER_OTLP_ENDPOINT={sink.endpoint} "
            + dim("(lb_client sink, for replicas and client)"))
        client = Client(args.client, target, args.service_config, args.threads, sink.endpoint)
        traced = client.event("traced", CONNECT_TIMEOUT)
        client.event("ready", CONNECT_TIMEOUT)
        t_load = time.monotonic()

        names = [r.name for r in replicas]
        survivors = [r for i, r in enumerate(replicas) if i != STOPPED]
        victim = replicas[STOPPED]

        client.run_phase(names, args.seconds)
        client.phase("draining")
        before_stop = scrape(victim.metrics_addr)
        say(bold(f"\nStopping {victim.name} with SIGTERM") +
            dim(f" after {time.monotonic() - t_load:.1f} s of load; the calls keep coming"))
        rc, drain = victim.stop(args.grace + 10)
        stopped_line = victim.printed_stopped()
        say(f"  {victim.name} exited with status {rc if rc is not None else 'none: killed after waiting'}"
            f" after {drain * 1000:.0f} ms" + (", having printed 'stopped'" if stopped_line else ""))
        client.phase("after")
        client.run_phase([r.name for r in survivors], args.seconds)
        summary = client.finish()
        client_rc = client.proc.returncode
        at_end = {r.name: scrape(r.metrics_addr) for r in survivors}

        survivor_rcs = {}
        for r in survivors:
            survivor_rcs[r.name] = r.stop(args.grace + 10)[0]
        spans = sink.spans()
        wall = time.monotonic() - t_start
    finally:
        if client is not None:
            client.kill()
        if sink is not None:
            sink.kill()
        for r in replicas:
            r.kill()

    return report(args, replicas, victim, survivors, summary, client_rc, rc, drain, stopped_line,
                  at_start, before_stop, at_end, survivor_rcs, wall, (traced, spans))


def trace_tree(traced, spans):
    """The spans of the traced call as (span, depth), each parent before its
    children."""
    mine = [s for s in spans if s["trace"] == traced["trace"]]
    ids = {s["span"] for s in mine}
    out = []

    def walk(span, depth):
        out.append((span, depth))
        for child in mine:
            if child["parent"] == span["span"]:
                walk(child, depth + 1)
    for root in [s for s in mine if s["parent"] not in ids]:
        walk(root, 0)
    return out


def report_trace(traced, spans):
    """Prints the traced call's spans as a tree; returns (ok, why) for the
    check that the replica's span is the child of the client's."""
    say(bold("\nOne trace, from the client to a replica") +
        dim(f"  (trace {traced['trace']}, answered by {traced['replica']})"))
    tree = trace_tree(traced, spans)
    kinds = {1: "internal", 2: "server", 3: "client"}
    for s, depth in tree:
        say(f"  {'   ' * depth}{'└─ ' if depth else ''}{kinds.get(s['kind'], s['kind'])} {s['name']}"
            + dim(f"  span {s['span']}, service {s['service']}"))
    client_spans = [s for s, _ in tree if s["kind"] == 3]
    server_spans = [s for s, _ in tree if s["kind"] == 2]
    ok = (traced["code"] == "OK" and len(client_spans) == 1 and len(server_spans) == 1
          and server_spans[0]["parent"] == client_spans[0]["span"]
          and server_spans[0]["service"] == "grpc-server")
    return ok, f"call {traced['code']}; spans of the trace: {[s for s, _ in tree]}"


def report(args, replicas, victim, survivors, summary, client_rc, rc, drain, stopped_line,
           at_start, before_stop, at_end, survivor_rcs, wall, trace):
    phases = {p["name"]: p for p in summary["phases"]}
    order = ["before", "draining", "after"]
    by = {name: {ph: phases.get(ph, {}).get("by_replica", {}).get(name, 0) for ph in order}
          for name in [r.name for r in replicas]}
    others = sorted({n for p in summary["phases"] for n in p["by_replica"]} - set(by))

    say(bold("\nCalls answered, by replica and by the phase the call started in"))
    say(dim("  (draining = from the SIGTERM until the replica had exited)"))
    head = f"  {'':<20}{'before':>10}{'draining':>10}{'after':>10}{'total':>10}"
    say(head)
    for name, row in by.items():
        label = name + (" (stopped)" if name == victim.name else "")
        say(f"  {label:<20}" + "".join(f"{row[ph]:>10}" for ph in order) + f"{sum(row.values()):>10}")
    for name in others:
        row = {ph: phases.get(ph, {}).get("by_replica", {}).get(name, 0) for ph in order}
        say(f"  {name:<20}" + "".join(f"{row[ph]:>10}" for ph in order) + f"{sum(row.values()):>10}")
    ok_row = {ph: phases.get(ph, {}).get("ok", 0) for ph in order}
    fail_row = {ph: phases.get(ph, {}).get("failed", 0) for ph in order}
    say(f"  {'all replicas':<20}" + "".join(f"{ok_row[ph]:>10}" for ph in order) + f"{summary['ok']:>10}")
    say(f"  {'failed calls':<20}" + "".join(f"{fail_row[ph]:>10}" for ph in order) + f"{summary['failed']:>10}")
    for e in summary.get("errors", []):
        say(red(f"    {e}"))
    retries = "retries" in describe_config(args.service_config)
    if summary["failed"] and not retries:
        say(dim("  (calls that reached the draining replica just after it stopped taking calls: with\n"
                "   the retry policy of tools/cluster/service-config.json the channel resends them)"))
    elif not summary["failed"] and retries:
        say(dim("  (a call that crossed the draining replica's GOAWAY comes back CANCELLED or UNAVAILABLE\n"
                "   without having run; the service config's retry policy resends it to a survivor inside\n"
                "   the channel, so the counts above are the calls' final outcomes)"))

    say(bold("\nThe servers' own count") + dim("  (rpc_server_calls_total of UnaryCall, status OK, from /metrics)"))
    for r in replicas:
        seen = sum(by[r.name].values())
        if r is victim:
            say(f"  {r.name}: {at_start[r.name]} at the start, {before_stop} just before its SIGTERM "
                f"(the client counted {by[r.name]['before']} before, {seen} in all)")
        else:
            say(f"  {r.name}: {at_start[r.name]} at the start, {at_end[r.name]} at the end "
                f"(the client counted {seen})")

    slowest = max((p["max_ms"] for p in summary["phases"]), default=0)
    load_s = summary["elapsed_ms"] / 1000
    say(bold("\nSummary"))
    say(f"  {summary['ok'] + summary['failed']} calls from {summary['threads']} threads in {load_s:.1f} s "
        f"({(summary['ok'] + summary['failed']) / max(load_s, 1e-9):.0f} calls/s), slowest {slowest:.1f} ms; "
        f"{summary['failed']} failed")
    say(f"  {victim.name}: SIGTERM -> exit in {drain * 1000:.0f} ms, exit status {rc}")
    say(f"  wall time {wall:.1f} s")

    trace_ok, trace_why = report_trace(*trace)

    say(bold("\nChecks"))
    c = Checks()
    c.check(summary["failed"] == 0 and client_rc == 0,
            f"no call failed ({summary['ok']} calls answered)",
            "\n".join(summary.get("errors", [])) or f"client exit status {client_rc}")
    before = phases.get("before", {})
    share = {n: by[n]["before"] / max(before.get("ok", 0), 1) for n in by}
    c.check(all(by[n]["before"] >= MIN_CALLS for n in by) and min(share.values()) >= 0.5 / len(by),
            "before the stop, every replica answered its share of the calls (round_robin)",
            ", ".join(f"{n}: {by[n]['before']} ({share[n]:.0%})" for n in by))
    c.check(by[victim.name]["after"] == 0 and all(by[r.name]["after"] >= MIN_CALLS for r in survivors),
            f"after {victim.name} exited, only the two survivors answered",
            ", ".join(f"{n}: {by[n]['after']}" for n in by))
    c.check(not others, "every answer named its replica (x-replica header)", ", ".join(others))
    c.check(rc == 0 and stopped_line, f"{victim.name} printed 'stopped' and exited 0 on SIGTERM",
            f"exit status {rc}, 'stopped' printed: {stopped_line}; log {rel(victim.log)}:\n{tail(victim.log)}")
    c.check(drain < args.grace, f"{victim.name} drained within its grace period "
            f"({drain * 1000:.0f} ms < {args.grace} s)")
    c.check(all(v == 0 for v in survivor_rcs.values()), "the survivors exited 0 on SIGTERM",
            ", ".join(f"{n}: {v}" for n, v in survivor_rcs.items()))
    c.check(all(at_start[n] == 0 for n in at_start),
            "/metrics answered at the start, with no UnaryCall counted yet",
            ", ".join(f"{n}: {v}" for n, v in at_start.items()))
    c.check(all(at_end[r.name] == sum(by[r.name].values()) for r in survivors),
            "each survivor's rpc_server_calls_total equals the calls the client saw it answer",
            ", ".join(f"{r.name}: server {at_end[r.name]}, client {sum(by[r.name].values())}"
                      for r in survivors))
    c.check(before_stop is not None and 0 < before_stop <= sum(by[victim.name].values()),
            f"{victim.name}'s own count just before its SIGTERM is no more than the client saw it answer",
            f"server {before_stop}, client {sum(by[victim.name].values())}")
    c.check(trace_ok, "the traced call's server span (a replica's, exported over OTLP) is the "
            "child of the client's span, in one trace", trace_why)
    say()
    if args.test:
        say(f"{c.passed} passed, {len(c.failed)} failed")
    elif c.failed:
        say(red(bold("Not as it should be: ")) + "; ".join(c.failed))
    else:
        say(green(bold("No call lost: ")) + f"the round_robin client moved from three replicas to two "
            f"while {victim.name} drained.")
    return 0 if not c.failed else 1


def main(argv):
    ap = argparse.ArgumentParser(description="three replicas behind a round_robin client (make cluster)")
    ap.add_argument("--server", required=True, help="the step-07 server program")
    ap.add_argument("--client", required=True, help="build/cluster/lb_client")
    ap.add_argument("--service-config", required=True, help="the client's service config (JSON)")
    ap.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="load before the stop, and again after it (default 1)")
    ap.add_argument("--grace", type=int, default=5,
                    help="GRACE_PERIOD_SECONDS of the replicas (default 5)")
    ap.add_argument("--no-retry", action="store_true",
                    help="drop the retry policy from the service config, to see what it is for")
    ap.add_argument("--test", action="store_true", help='end with "N passed, M failed"')
    args = ap.parse_args(argv)
    # A SIGTERM (make interrupted, a CI timeout) unwinds like an exception, so
    # the `finally` in run() still stops every process this script started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if args.no_retry:
            args.service_config = without_retries(args.service_config)
        return run(args)
    except ClusterError as e:
        say(red(f"make cluster: {e}"))
        if args.test:
            say("0 passed, 1 failed")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
