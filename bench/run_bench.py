#!/usr/bin/env python3
"""make bench: the runtime's MyService server against the C++ and Go servers.

Starts four servers that implement the same MyService (bench/c on the
cgrpc runtime, bench/cpp on libgrpc++'s sync and callback APIs, bench/go on
grpc-go), each on
127.0.0.1:0, and waits for its "listening on HOST:PORT" line. Before any
load it checks that every server answers correctly: the exact request
bodies the load uses are sent with nghttp (the HTTP/2 client from the same
package as h2load), and grpc-status and the response bytes are compared
with what MyService must answer; bench/check_service.py (Debian's grpcio)
then checks all four methods and the error case. h2load alone would count a
gRPC error as a success (it only sees HTTP status 200).

Then it runs the scenarios below with h2load in interleaved rounds
(round 1: A B C per scenario, round 2: A B C, ...), each measured run preceded
by a short warm-up run, and after each run checks that the DATA bytes
received match the number of succeeded requests (a gRPC error has no DATA,
so an error under load shows up as missing bytes; such calls are left out
of the rates and reported, and fail the bench when the runtime's server
gave them). It prints one table of medians, then the runtime's ratios
against each of the other servers (each ratio the median of per-round
ratios), each server's CPU time per call, how
busy the machine was with other work, the targets met or missed, and writes
build/bench/results.json.

Settings (environment): BENCH_ROUNDS (3), BENCH_SECONDS per run (3),
BENCH_WARMUP seconds (0.5), BENCH_H2LOAD_THREADS (1), BENCH_SERVERS
(comma-separated subset of: cgrpc,cpp-callback,cpp-sync,grpc-go).

Every process started here is ended here, also on errors and Ctrl-C.
Standard library only.
"""

import argparse
import json
import os
import platform
import re
import resource
import selectors
import signal
import statistics
import subprocess
import sys
import threading
import time

SERVICE = "/tutorial.v1.MyService/"
READY_TIMEOUT = 15.0  # seconds for a server to print its listening line
CHECKER_PYTHON = "/usr/bin/python3"  # Debian's python3-grpcio lives here


# --------------------------------------------------------------------------
# Protobuf by hand: tutorial.v1.Request / Response are two fields each.

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_request(id_, value=0):
    out = b""
    if id_:
        raw = id_.encode()
        out += b"\x0a" + varint(len(raw)) + raw
    if value:
        out += b"\x10" + varint(value)
    return out


def pb_response(message, success=True):
    out = b"\x08\x01" if success else b""
    if message:
        raw = message.encode()
        out += b"\x12" + varint(len(raw)) + raw
    return out


def grpc_frame(msg):
    """A gRPC length-prefixed message: flag 0 (uncompressed), 4-byte length."""
    return b"\x00" + len(msg).to_bytes(4, "big") + msg


# --------------------------------------------------------------------------
# Scenarios

ID = "bench-0001"  # with its tag and length byte the request is 12 bytes
ID_1K = "k" * 1024
STREAM_N = 1000


class Scenario:
    def __init__(self, key, title, method, req, expected, clients, streams, per_request=1):
        self.key = key
        self.title = title
        self.method = method
        self.body = grpc_frame(req)
        self.expected = expected  # the exact response body (all DATA bytes)
        self.clients = clients
        self.streams = streams
        self.per_request = per_request  # messages per request (streaming)
        self.body_file = None


SCENARIOS = [
    Scenario("unary", "unary 12 B, 4 conn x 16 streams", "UnaryCall",
             pb_request(ID), grpc_frame(pb_response("Processed: " + ID)), 4, 16),
    Scenario("unary_1k", "unary 1 KiB id, 4 x 16", "UnaryCall",
             pb_request(ID_1K), grpc_frame(pb_response("Processed: " + ID_1K)), 4, 16),
    Scenario("latency", "unary, 1 conn x 1 stream", "UnaryCall",
             pb_request(ID), grpc_frame(pb_response("Processed: " + ID)), 1, 1),
    Scenario("stream", f"ServerStream value={STREAM_N}, 4 x 4", "ServerStream",
             pb_request(ID, STREAM_N),
             b"".join(grpc_frame(pb_response(f"Processed: {ID} #{i}"))
                      for i in range(1, STREAM_N + 1)), 4, 4, STREAM_N),
]
assert len(pb_request(ID)) == 12

GRPC_HEADERS = ["-H", "content-type: application/grpc", "-H", "te: trailers"]


# --------------------------------------------------------------------------
# Processes: every one started goes through here and is ended in cleanup().

_procs = []
_procs_lock = threading.Lock()


def spawn(argv, **kw):
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    with _procs_lock:
        _procs.append(p)
    return p


def forget(p):
    with _procs_lock:
        if p in _procs:
            _procs.remove(p)


def kill_all():
    with _procs_lock:
        procs = list(_procs)
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        forget(p)


def run(argv, timeout, capture_bytes=False):
    """Runs a short-lived tool (h2load, nghttp, the checker) to completion."""
    p = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        forget(p)
        raise BenchError(f"{os.path.basename(argv[0])} timed out after {timeout:.0f} s: "
                         + " ".join(argv))
    forget(p)
    if not capture_bytes:
        out = out.decode(errors="replace")
    return p.returncode, out, err.decode(errors="replace")


class BenchError(Exception):
    pass


class Server:
    def __init__(self, key, label, path, log_dir):
        self.key = key
        self.label = label
        self.path = path
        self.log_path = os.path.join(log_dir, f"{key}.log")
        self.proc = None
        self.port = None
        self.exit_code = None
        self._log = None
        self._drainer = None

    def start(self):
        if not os.access(self.path, os.X_OK):
            raise BenchError(f"{self.label}: {self.path} is not built")
        self._log = open(self.log_path, "wb")
        self.proc = spawn([self.path, "--listen", "127.0.0.1:0"],
                          stdout=subprocess.PIPE, stderr=self._log)
        # Wait for the listening line: it is printed once the server accepts calls.
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        buf = b""
        deadline = time.monotonic() + READY_TIMEOUT
        try:
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise BenchError(f"{self.label}: no 'listening on' line within "
                                     f"{READY_TIMEOUT:.0f} s (log: {self.log_path})")
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    raise BenchError(f"{self.label} exited before listening "
                                     f"(status {self.proc.wait()}, log: {self.log_path})")
                buf += chunk
        finally:
            sel.close()
        line, rest = buf.split(b"\n", 1)
        m = re.fullmatch(rb"listening on 127\.0\.0\.1:(\d+)", line.strip())
        if not m:
            raise BenchError(f"{self.label}: unexpected first line {line!r}")
        self.port = int(m.group(1))
        # Anything else it prints goes to its log; a full pipe must never block it.
        self._log.write(rest)
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self):
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            self._log.write(chunk)

    def memory(self):
        """(VmHWM, VmRSS) in KiB from /proc."""
        vals = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS"):
                    vals[k] = int(v.split()[0])
        return vals.get("VmHWM", 0), vals.get("VmRSS", 0)

    def thread_count(self):
        """(all threads, runtime workers) of the server process right now.
        The cgrpc runtime names its pool threads "cgrpc-worker"; the rest
        are gRPC core's, the runtime's helpers and main."""
        total = workers = 0
        for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{tid}/comm") as f:
                    name = f.read().strip()
            except OSError:
                continue  # exited meanwhile
            total += 1
            workers += name == "cgrpc-worker"
        return total, workers

    def cpu_seconds(self):
        """User + system CPU time of the server process so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then the exit status (it must be 0) within 10 s."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                self.exit_code = "hung on SIGTERM (killed)"
        else:
            self.exit_code = self.proc.returncode
        forget(self.proc)
        if self._drainer:
            self._drainer.join(timeout=5)  # ends at EOF of the exited server's stdout
        if self._log:
            self._log.close()

    def url(self, method):
        return f"http://127.0.0.1:{self.port}{SERVICE}{method}"


# --------------------------------------------------------------------------
# Correctness checks before any load.

def nghttp_call(server, method, body_file):
    """One gRPC call with nghttp: (headers and trailers dict, response body)."""
    argv = ["nghttp", "-t", "10", "-d", body_file] + GRPC_HEADERS + [server.url(method)]
    rc, verbose, err = run(argv[:1] + ["-v", "-n"] + argv[1:], timeout=20)
    if rc != 0:
        raise BenchError(f"{server.label}: nghttp {method} failed: {err.strip()}")
    fields = {}
    for m in re.finditer(r"recv \(stream_id=\d+\) ([^:\s][^:]*|:[a-z]+): (.*)", verbose):
        fields[m.group(1)] = m.group(2).strip()
    rc, body, err = run(argv, timeout=20, capture_bytes=True)
    if rc != 0:
        raise BenchError(f"{server.label}: nghttp {method} failed: {err.strip()}")
    return fields, body


def check_server(server, build_dir, checker):
    problems = []
    for sc in SCENARIOS:
        if sc.key == "latency":
            continue  # the same request as "unary"
        fields, body = nghttp_call(server, sc.method, sc.body_file)
        status = fields.get("grpc-status")
        if status != "0":
            problems.append(f"{sc.title}: grpc-status {status} "
                            f"({fields.get('grpc-message', '')!r}), expected 0")
        elif body != sc.expected:
            problems.append(f"{sc.title}: {len(body)} response bytes differ from the "
                            f"expected {len(sc.expected)} (first: {body[:40]!r})")
    empty_file = os.path.join(build_dir, "req_empty_id.bin")
    for method in ("UnaryCall", "ServerStream"):
        fields, body = nghttp_call(server, method, empty_file)
        if fields.get("grpc-status") != "3" or fields.get("grpc-message") != "id is required":
            problems.append(f"{method} with an empty id: grpc-status "
                            f"{fields.get('grpc-status')} {fields.get('grpc-message')!r}, "
                            "expected 3 'id is required'")
    if checker:
        rc, out, err = run([CHECKER_PYTHON, checker, f"127.0.0.1:{server.port}"], timeout=60)
        if rc == 3:
            print(f"  note: {out.strip()}; only the nghttp checks ran")
        elif rc != 0:
            problems.append("check_service.py: " + (out + err).strip())
    if problems:
        raise BenchError(f"{server.label} answers wrongly, not loading it:\n  "
                         + "\n  ".join(problems))


# --------------------------------------------------------------------------
# Load with h2load.

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_h2load(out):
    r = {}
    m = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out)
    if not m:
        raise BenchError("h2load output not understood:\n" + out[-2000:])
    r["rps"] = float(m.group(3))
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", out)
    for name, v in zip(("total", "started", "done", "succeeded", "failed", "errored",
                        "timeout"), m.groups()):
        r[name] = int(v)
    m = re.search(r"traffic: .*?\((\d+)\) total, .*?\((\d+)\) headers .*?\((\d+)\) data", out)
    r["data_bytes"] = int(m.group(3))
    m = re.search(r"time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+"
                  r"([\d.]+)(us|ms|s)", out)
    r["mean_ms"] = float(m.group(5)) * UNITS[m.group(6)]
    r["max_ms"] = float(m.group(3)) * UNITS[m.group(4)]
    return r


def cpu_busy_seconds():
    """CPU time processes have used on this machine: user, nice and system
    time from /proc/stat (interrupt time, which no process is charged
    for, left out)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:4]]
    return sum(fields) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def h2load(server, sc, seconds, threads, warmup=False):
    argv = ["h2load", "-c", str(sc.clients), "-m", str(sc.streams), "-t", str(threads),
            "-D", f"{int(seconds * 1000)}ms", "-d", sc.body_file] + GRPC_HEADERS + \
           [server.url(sc.method)]
    rc, out, err = run(argv, timeout=seconds + 60)
    if rc != 0:
        raise BenchError(f"{server.label}: h2load failed ({rc}): {err.strip()}\n{out[-1000:]}")
    r = parse_h2load(out)
    # h2load counts any HTTP 200 as a success; check the gRPC side from the bytes:
    # every succeeded request carried its full response, and nothing failed.
    expect = len(sc.expected)
    in_flight = sc.clients * sc.streams
    bad = []
    if r["succeeded"] == 0 and not warmup:
        # (A short warm-up may end before the first 1000-message stream does.)
        bad.append("no request succeeded")
    if r["failed"] or r["errored"] or r["timeout"]:
        bad.append(f"{r['failed']} failed, {r['errored']} errored, {r['timeout']} timeouts")
    if r["data_bytes"] > (r["succeeded"] + in_flight) * expect:
        bad.append(f"{r['data_bytes']} response bytes for {r['succeeded']} requests of "
                   f"{expect} bytes each: the responses are not what was checked")
    if bad:
        raise BenchError(f"{server.label}, {sc.title}: " + "; ".join(bad))
    # Fewer bytes than the succeeded requests need: some were answered with
    # an error status (HTTP 200, no DATA) or a short stream. They are not
    # counted as done, and reported.
    missing = r["succeeded"] * expect - r["data_bytes"]
    r["calls_without_response"] = -(-missing // expect) if missing > 0 else 0
    if r["calls_without_response"] and not warmup:
        r["probe"] = probe_errors(server, sc)
    r["seconds"] = seconds
    r["msgs_per_s"] = (r["succeeded"] - r["calls_without_response"]) * sc.per_request / seconds
    return r


def probe_errors(server, sc, n=256):
    """After a run with error answers: n concurrent calls on one connection
    with nghttp, to catch what status the server answers under load."""
    argv = ["nghttp", "-v", "-n", "-t", "30", "-m", str(n), "-d", sc.body_file] + \
        GRPC_HEADERS + [server.url(sc.method)]
    rc, out, _ = run(argv, timeout=60)
    statuses = {}
    msg = ""
    for m in re.finditer(r"recv \(stream_id=\d+\) (grpc-status|grpc-message): (.*)", out):
        if m.group(1) == "grpc-message":
            msg = m.group(2).strip()
        elif m.group(2).strip() != "0":
            key = f"status {m.group(2).strip()}"
            statuses[key] = statuses.get(key, 0) + 1
    if msg:
        statuses["message"] = msg
    return statuses or f"none of {n} concurrent probe calls failed"


# --------------------------------------------------------------------------
# Report

def fmt_rate(v):
    return f"{v / 1e3:,.1f}k" if v < 1e6 else f"{v / 1e6:,.2f}M"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def build_report(servers, samples, rss, cpu, rounds, seconds):
    keys = [s.key for s in servers]
    med = {k: {} for k in keys}
    for k in keys:
        for sc in SCENARIOS:
            runs = samples[k][sc.key]
            med[k][sc.key] = {
                "rate": median([r["msgs_per_s"] for r in runs]),
                "mean_ms": median([r["mean_ms"] for r in runs]),
                "cpu_us": median([c for c in cpu[k][sc.key]]) if cpu[k][sc.key] else None,
                "spread": (max(r["msgs_per_s"] for r in runs) / min(r["msgs_per_s"] for r in runs)
                           - 1) if runs else 0,
            }
    # Columns: (title, scenario, metric, higher is better)
    cols = [
        ("unary req/s", "unary", "rate", True),
        ("1 KiB req/s", "unary_1k", "rate", True),
        ("unary mean ms", "unary", "mean_ms", False),
        ("1-stream mean us", "latency", "mean_ms", False),
        ("stream msg/s", "stream", "rate", True),
    ]

    def ratio(k, sc, metric, ref):
        """Median of the per-round ratios: each round's runs of the two
        servers are minutes apart at most, so a slow spell of a shared
        machine cancels out better than in a ratio of medians."""
        if ref not in med or k not in med:
            return None
        field = {"rate": "msgs_per_s", "mean_ms": "mean_ms"}[metric]
        pairs = zip(samples[k][sc], samples[ref][sc])
        return median([a[field] / b[field] for a, b in pairs])

    def threads_cell(k):
        """Fewest-most threads seen at the end of a unary run (and of them
        the runtime's pool workers, where the server has any)."""
        runs = [r for sc in ("unary", "unary_1k") for r in samples[k][sc]]
        if not runs:
            return "?"
        total = [r["threads"] for r in runs]
        text = f"{min(total)}-{max(total)}"
        workers = [r["workers"] for r in runs]
        if max(workers) > 0:
            text += f" ({min(workers)}-{max(workers)} workers)"
        return text

    def cell(k, col):
        _, sc, metric, _ = col
        v = med[k][sc][metric]
        if metric == "rate":
            return fmt_rate(v)
        if sc == "latency":
            return f"{v * 1e3:.0f}"
        return f"{v:.2f}"

    def table(header, rows):
        widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
        return ["  ".join(c.rjust(w) if i else c.ljust(w)
                          for i, (c, w) in enumerate(zip(r, widths)))
                for r in [header] + rows]

    label = {s.key: s.label for s in servers}
    lines = []
    lines.append(f"MyService on 127.0.0.1, h2load -t {os.environ.get('BENCH_H2LOAD_THREADS', '1')}, "
                 f"{os.cpu_count()} CPUs shared by load and server; medians of {rounds} "
                 f"interleaved round(s) x {seconds:g} s")
    header = ["server"] + [c[0] for c in cols] + ["peak RSS MiB", "threads"]
    lines.extend(table(header, [[label[k]] + [cell(k, c) for c in cols]
                                + [f"{rss[k][0] / 1024:.1f}", threads_cell(k)] for k in keys]))

    # The runtime against each anchor, side by side.
    if "cgrpc" in med and len(keys) > 1:
        rows = []
        for ref in keys:
            if ref == "cgrpc":
                continue
            row = [label[ref]]
            for _, sc, metric, _ in cols:
                row.append(f"{ratio('cgrpc', sc, metric, ref):.2f}x")
            row.append(f"{rss['cgrpc'][0] / rss[ref][0]:.2f}x" if rss[ref][0] else "?")
            rows.append(row)
        lines.append("")
        lines.append(f"{label['cgrpc']} / each other server (medians of per-round ratios; "
                     "mean latency and RSS: lower is better):")
        lines.extend(table(["vs"] + [c[0] for c in cols] + ["peak RSS"], rows))

    # Server CPU per call: how much of the shared CPUs each server needs.
    lines.append("")
    lines.append("server CPU per call (per message for stream), microseconds:")
    for k in keys:
        parts = []
        for sc in SCENARIOS:
            c = med[k][sc.key]["cpu_us"]
            if c is not None:
                parts.append(f"{sc.key} {c:.1f}")
        lines.append(f"  {label[k]}: " + ", ".join(parts))
    worst = max(med[k][sc.key]["spread"] for k in keys for sc in SCENARIOS)
    if rounds > 1:
        lines.append(f"noise: largest max/min spread of a rate across rounds {worst * 100:.0f}%")
    foreign = median([r["foreign_cpu_share"] for k in keys for sc in SCENARIOS
                      for r in samples[k][sc.key]])
    lines.append(f"other work on the machine during the runs: {foreign * 100:.0f}% of its CPU "
                 "(median)" + ("; figures are noisy, compare ratios" if foreign > 0.1 else ""))

    targets = []
    if "cgrpc" in med:
        def target(name, rt, bound, higher):
            if rt is None:
                return
            ok = rt >= bound if higher else rt <= bound
            targets.append({"target": name, "ratio": rt, "bound": bound, "met": ok})

        # Issue 17's targets, then the earlier ones (still held).
        target("unary req/s >= 1.0x grpc-go", ratio("cgrpc", "unary", "rate", "grpc-go"),
               1.0, True)
        target("1 KiB unary req/s >= 1.0x grpc-go",
               ratio("cgrpc", "unary_1k", "rate", "grpc-go"), 1.0, True)
        target("stream msg/s >= 1.0x grpc-go", ratio("cgrpc", "stream", "rate", "grpc-go"),
               1.0, True)
        target("1-stream mean latency <= 1.0x C++ callback",
               ratio("cgrpc", "latency", "mean_ms", "cpp-callback"), 1.0, False)
        if "cpp-callback" in rss and rss["cpp-callback"][0]:
            target("peak RSS <= C++ callback", rss["cgrpc"][0] / rss["cpp-callback"][0],
                   1.0, False)
        target("unary req/s >= 1.0x C++ callback",
               ratio("cgrpc", "unary", "rate", "cpp-callback"), 1.0, True)
        target("unary mean latency <= 1.2x C++ callback",
               ratio("cgrpc", "unary", "mean_ms", "cpp-callback"), 1.2, False)
        target("stream msg/s >= 1.0x C++ sync", ratio("cgrpc", "stream", "rate", "cpp-sync"),
               1.0, True)
        lines.append("targets (cgrpc):")
        for t in targets:
            lines.append(f"  {'met   ' if t['met'] else 'MISSED'}  {t['target']}: "
                         f"{t['ratio']:.2f}x")
    return "\n".join(lines), med, targets


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, help="build/bench directory")
    ap.add_argument("--c-server", required=True)
    ap.add_argument("--cpp-sync-server", required=True)
    ap.add_argument("--cpp-callback-server", required=True)
    ap.add_argument("--go-server", required=True)
    args = ap.parse_args()

    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    seconds = float(os.environ.get("BENCH_SECONDS", "3"))
    warmup = float(os.environ.get("BENCH_WARMUP", "0.5"))
    threads = int(os.environ.get("BENCH_H2LOAD_THREADS", "1"))
    if rounds < 1 or seconds <= 0 or warmup < 0 or threads < 1:
        raise BenchError("BENCH_ROUNDS >= 1, BENCH_SECONDS > 0, BENCH_WARMUP >= 0, "
                         "BENCH_H2LOAD_THREADS >= 1 please")
    build = args.build
    log_dir = os.path.join(build, "logs")
    os.makedirs(log_dir, exist_ok=True)

    all_servers = [
        Server("cgrpc", "cgrpc (C runtime)", args.c_server, log_dir),
        Server("cpp-callback", "C++ callback", args.cpp_callback_server, log_dir),
        Server("cpp-sync", "C++ sync", args.cpp_sync_server, log_dir),
        Server("grpc-go", "grpc-go", args.go_server, log_dir),
    ]
    wanted = os.environ.get("BENCH_SERVERS", "")
    if wanted:
        names = [w.strip() for w in wanted.split(",") if w.strip()]
        unknown = set(names) - {s.key for s in all_servers}
        if unknown:
            raise BenchError(f"BENCH_SERVERS: unknown {', '.join(sorted(unknown))}")
        servers = [s for s in all_servers if s.key in names]
    else:
        servers = all_servers

    for sc in SCENARIOS:
        sc.body_file = os.path.join(build, f"req_{sc.key}.bin")
        with open(sc.body_file, "wb") as f:
            f.write(sc.body)
    with open(os.path.join(build, "req_empty_id.bin"), "wb") as f:
        f.write(grpc_frame(pb_request("", 3)))
    checker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_service.py")
    if not os.access(CHECKER_PYTHON, os.X_OK):
        print(f"note: {CHECKER_PYTHON} not found; only the nghttp checks will run")
        checker = None

    per_run = warmup + seconds + 0.3
    est = rounds * len(SCENARIOS) * len(servers) * per_run
    print(f"bench: {len(servers)} servers x {len(SCENARIOS)} scenarios x {rounds} round(s) "
          f"of {seconds:g} s (+{warmup:g} s warm-up), about {est / 60:.1f} min")

    for s in servers:
        s.start()
        check_server(s, build, checker)
        print(f"  {s.label:<18} listening on port {s.port}, answers correctly")

    samples = {s.key: {sc.key: [] for sc in SCENARIOS} for s in servers}
    cpu = {s.key: {sc.key: [] for sc in SCENARIOS} for s in servers}
    for rnd in range(1, rounds + 1):
        # Each round starts with the next server: over as many rounds as
        # there are servers, each runs first, second and last once, so a
        # machine that speeds up or slows down over the run favours none.
        k = (rnd - 1) % len(servers)
        order = servers[k:] + servers[:k]
        for sc in SCENARIOS:
            for s in order:
                if not s.alive():
                    raise BenchError(f"{s.label} died (status {s.proc.returncode}, "
                                     f"log: {s.log_path})")
                if warmup > 0:
                    h2load(s, sc, warmup, threads, warmup=True)
                c0, m0, l0, t0 = (s.cpu_seconds(), cpu_busy_seconds(),
                                  children_cpu_seconds(), time.monotonic())
                r = h2load(s, sc, seconds, threads)
                c1, m1, l1, t1 = (s.cpu_seconds(), cpu_busy_seconds(),
                                  children_cpu_seconds(), time.monotonic())
                r["round"] = rnd
                # Sampled as the load ends: how many threads the load made
                # the server run (the runtime's pool should not grow under
                # quick calls; see lib/src/pool.h).
                r["threads"], r["workers"] = s.thread_count()
                if r["calls_without_response"]:
                    print(f"  warning: {s.label}, {sc.title}: {r['calls_without_response']} "
                          f"of {r['succeeded']} calls got no or a short response "
                          f"(probe: {r['probe']})")
                r["server_cpu_s"] = c1 - c0
                r["h2load_cpu_s"] = l1 - l0
                # CPU that neither this server nor h2load used: other work on
                # the machine competing with the measurement.
                r["foreign_cpu_share"] = max(0.0, (m1 - m0) - (c1 - c0) - (l1 - l0)) / (
                    (t1 - t0) * (os.cpu_count() or 1))
                samples[s.key][sc.key].append(r)
                done = r["succeeded"] * sc.per_request
                if done:
                    cpu[s.key][sc.key].append((c1 - c0) / done * 1e6)
        progress = ", ".join(
            f"{s.label} {fmt_rate(samples[s.key]['unary'][-1]['rps'])}" for s in servers)
        print(f"  round {rnd}/{rounds} done (unary req/s: {progress})")

    rss = {s.key: s.memory() for s in servers}
    # Check again after the load: still answering correctly?
    for s in servers:
        check_server(s, build, None)
    for s in servers:
        s.stop()

    table, med, targets = build_report(servers, samples, rss, cpu, rounds, seconds)
    print()
    print(table)
    bad_exit = [f"{s.label} exited with {s.exit_code} on SIGTERM" for s in servers
                if s.exit_code != 0]
    for b in bad_exit:
        print("warning:", b)
    errors = {s.key: sum(r["calls_without_response"] for runs in samples[s.key].values()
                         for r in runs) for s in servers}
    for s in servers:
        if errors[s.key]:
            print(f"warning: {s.label} answered {errors[s.key]} calls under load without "
                  "a (full) response; they are left out of its rates")

    results = {
        "config": {"rounds": rounds, "seconds": seconds, "warmup": warmup,
                   "h2load_threads": threads, "cpus": os.cpu_count(),
                   "machine": platform.platform()},
        "scenarios": {sc.key: {"title": sc.title, "method": sc.method, "clients": sc.clients,
                               "streams": sc.streams, "request_bytes": len(sc.body) - 5,
                               "response_bytes": len(sc.expected),
                               "messages_per_request": sc.per_request} for sc in SCENARIOS},
        "servers": {s.key: {"label": s.label, "binary": s.path,
                            "peak_rss_kib": rss[s.key][0], "final_rss_kib": rss[s.key][1],
                            "exit_on_sigterm": s.exit_code,
                            "median": med[s.key], "runs": samples[s.key]} for s in servers},
        "targets": targets,
        "calls_without_response": errors,
    }
    out = os.path.join(build, "results.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
    print(f"results: {out}")
    # An anchor's stray error is reported; the runtime's own errors fail the bench.
    return 1 if errors.get("cgrpc") else 0


def _on_signal(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    # Also SIGINT: a shell may have started us with it ignored (background job).
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        kill_all()
