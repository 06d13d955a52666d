#!/usr/bin/env python3
"""make bench-client: the runtime's client against gRPC's own clients.

One fixed server, the C++ callback one (bench/cpp/callback_server.cc),
checked first with bench/check_service.py. Then five clients do the same
work against it in interleaved, rotated rounds (as in make bench): the
runtime's blocking API (bench/c/bench_client.c: cg_unary, cg_call_*), the
runtime's callback API (the same program, "callback": cg_unary_async, unary
only), libgrpc++'s sync and callback APIs (bench/cpp/client.cc) and
grpc-go's (bench/go/client/main.go). The two callback clients run the same
shape: one call chain per "thread", each call's completion starting the
chain's next call on the library's own threads, as many calls in flight as
the blocking clients have threads. Scenarios:

  unary     UnaryCall from BENCH_CLIENT_THREADS threads or chains (4), one
            channel
  1-thread  UnaryCall from one thread or chain (the latency of one call at
            a time)
  stream    ServerStream value=1000 from 2 threads (not the callback
            runtime client: the runtime has no asynchronous stream API)

Each client checks every response (message text and status) and reports
calls, mean and p99 latency and its own CPU time (getrusage) over the
measured window; any wrong response fails the run. Prints a table of
medians and each runtime client's ratios to each other client (medians of
the per-round ratios); writes build/bench/client_results.json.

Settings (environment): BENCH_ROUNDS (3), BENCH_SECONDS (3), BENCH_WARMUP
(0.5), BENCH_CLIENT_THREADS (4), BENCH_CLIENTS (comma-separated subset of
cgrpc,cgrpc-callback,cpp-sync,cpp-callback,grpc-go). Standard library only.
"""

import argparse
import json
import os
import platform
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench  # noqa: E402  (processes, the server, medians)
from run_bench import BenchError, Server, fmt_rate, median, run  # noqa: E402


class Client:
    def __init__(self, key, label, argv_prefix, unary_only=False):
        self.key = key
        self.label = label
        self.argv_prefix = argv_prefix  # the binary (and the API for cpp_client)
        self.unary_only = unary_only  # no streaming API: stream cells stay empty

    def run(self, target, mode, threads, seconds, warmup):
        argv = self.argv_prefix + [target, mode, str(threads), f"{seconds:g}", f"{warmup:g}"]
        rc, out, err = run(argv, timeout=seconds + warmup + 60)
        m = re.search(r"^result calls=(\d+) msgs=(\d+) errors=(\d+) mean_us=([\d.]+) "
                      r"p99_us=([\d.]+) cpu_s=([\d.]+) wall_s=([\d.]+)$", out, re.M)
        if rc != 0 or not m:
            raise BenchError(f"{self.label} client, {mode}: exit {rc}: {(out + err).strip()}")
        r = dict(zip(("calls", "msgs", "errors"), map(int, m.groups()[:3])))
        r.update(zip(("mean_us", "p99_us", "cpu_s", "wall_s"), map(float, m.groups()[3:])))
        if r["errors"] or not r["calls"]:
            raise BenchError(f"{self.label} client, {mode}: {r['errors']} wrong or failed "
                             f"calls, {r['calls']} good ({err.strip()})")
        r["calls_per_s"] = r["calls"] / r["wall_s"]
        r["msgs_per_s"] = r["msgs"] / r["wall_s"]
        r["cpu_us_per_call"] = r["cpu_s"] / r["calls"] * 1e6
        return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--server", required=True, help="the C++ callback server")
    ap.add_argument("--c-client", required=True)
    ap.add_argument("--cpp-client", required=True)
    ap.add_argument("--go-client", required=True)
    args = ap.parse_args()

    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    seconds = float(os.environ.get("BENCH_SECONDS", "3"))
    warmup = float(os.environ.get("BENCH_WARMUP", "0.5"))
    threads = int(os.environ.get("BENCH_CLIENT_THREADS", "4"))
    if rounds < 1 or seconds <= 0 or warmup < 0 or threads < 1:
        raise BenchError("BENCH_ROUNDS >= 1, BENCH_SECONDS > 0, BENCH_WARMUP >= 0, "
                         "BENCH_CLIENT_THREADS >= 1 please")
    scenarios = [  # (key, title, mode, threads, per-call unit)
        ("unary", f"unary, {threads} threads", "unary", threads),
        ("latency", "unary, 1 thread", "unary", 1),
        ("stream", "ServerStream x1000, 2 threads", "stream", 2),
    ]
    all_clients = [
        Client("cgrpc", "cgrpc (C runtime)", [args.c_client]),
        Client("cgrpc-callback", "cgrpc callback", [args.c_client, "callback"], unary_only=True),
        Client("cpp-sync", "C++ sync", [args.cpp_client, "sync"]),
        Client("cpp-callback", "C++ callback", [args.cpp_client, "callback"]),
        Client("grpc-go", "grpc-go", [args.go_client]),
    ]
    wanted = [w.strip() for w in os.environ.get("BENCH_CLIENTS", "").split(",") if w.strip()]
    unknown = set(wanted) - {c.key for c in all_clients}
    if unknown:
        raise BenchError(f"BENCH_CLIENTS: unknown {', '.join(sorted(unknown))}")
    clients = [c for c in all_clients if not wanted or c.key in wanted]
    for c in clients:
        if not os.access(c.argv_prefix[0], os.X_OK):
            raise BenchError(f"{c.label}: {c.argv_prefix[0]} is not built")

    log_dir = os.path.join(args.build, "logs")
    os.makedirs(log_dir, exist_ok=True)
    est = rounds * len(scenarios) * len(clients) * (seconds + warmup + 0.4)
    print(f"bench-client: {len(clients)} clients x {len(scenarios)} scenarios x {rounds} "
          f"round(s) of {seconds:g} s (+{warmup:g} s warm-up), about {est / 60:.1f} min")
    server = Server("client-bench-server", "C++ callback server", args.server, log_dir)
    server.start()
    checker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_service.py")
    if os.access(run_bench.CHECKER_PYTHON, os.X_OK):
        rc, out, err = run([run_bench.CHECKER_PYTHON, checker, f"127.0.0.1:{server.port}"],
                           timeout=60)
        if rc not in (0, 3):
            raise BenchError("the C++ callback server answers wrongly: " + (out + err).strip())
    target = f"127.0.0.1:{server.port}"
    print(f"  server: C++ callback on port {server.port}")

    samples = {c.key: {s[0]: [] for s in scenarios} for c in clients}
    for rnd in range(1, rounds + 1):
        k = (rnd - 1) % len(clients)
        order = clients[k:] + clients[:k]
        for key, _, mode, n in scenarios:
            for c in order:
                if c.unary_only and mode != "unary":
                    continue
                if not server.alive():
                    raise BenchError(f"the server died (log: {server.log_path})")
                r = c.run(target, mode, n, seconds, warmup)
                r["round"] = rnd
                samples[c.key][key].append(r)
        print(f"  round {rnd}/{rounds} done (unary calls/s: " + ", ".join(
            f"{c.label} {fmt_rate(samples[c.key]['unary'][-1]['calls_per_s'])}"
            for c in clients) + ")")
    server.stop()

    # Table: medians per client; then the runtime's ratios to each other client.
    cols = [  # (title, scenario, field, format, higher is better)
        ("unary calls/s", "unary", "calls_per_s", fmt_rate, True),
        ("mean us", "unary", "mean_us", "{:.0f}".format, False),
        ("p99 us", "unary", "p99_us", "{:.0f}".format, False),
        ("CPU us/call", "unary", "cpu_us_per_call", "{:.1f}".format, False),
        ("1-thread mean us", "latency", "mean_us", "{:.0f}".format, False),
        ("1-thread p99 us", "latency", "p99_us", "{:.0f}".format, False),
        ("stream msg/s", "stream", "msgs_per_s", fmt_rate, True),
        ("stream CPU us/msg", "stream", "cpu_us_per_call", lambda v: f"{v / 1000:.2f}", False),
    ]

    def med(ck, sc, field):
        return median([r[field] for r in samples[ck][sc]])

    def ratio(ck, ref, sc, field):
        return median([a[field] / b[field] for a, b in zip(samples[ck][sc], samples[ref][sc])
                       if b[field]])

    labels = {c.key: c.label for c in clients}

    def fmt_cell(fmt, v):
        return fmt(v) if v == v else "-"  # NaN: the client did not run it

    def fmt_ratio(v):
        return f"{v:.2f}x" if v == v else "-"

    def table(header, rows):
        widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
        return ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in
                          enumerate(zip(r, widths))) for r in [header] + rows]

    lines = [f"MyService clients against the C++ callback server on 127.0.0.1, "
             f"{os.cpu_count()} CPUs shared by client and server; medians of {rounds} "
             f"interleaved round(s) x {seconds:g} s; unary with {threads} threads "
             f"(callback clients: {threads} call chains, as many calls in flight)"]
    lines += table(["client"] + [c[0] for c in cols],
                   [[c.label] + [fmt_cell(fmt, med(c.key, sc, f))
                                 for _, sc, f, fmt, _ in cols]
                    for c in clients])
    ratios = {}
    ours = [c for c in clients if c.key.startswith("cgrpc")]
    refs = [c for c in clients if not c.key.startswith("cgrpc")]
    for o in ours if refs else []:
        rows = []
        ratios[o.key] = {}
        for c in refs:
            ratios[o.key][c.key] = {f"{sc}.{f}": ratio(o.key, c.key, sc, f)
                                    for _, sc, f, _, _ in cols}
            rows.append([c.label] + [fmt_ratio(ratios[o.key][c.key][f"{sc}.{f}"])
                                     for _, sc, f, _, _ in cols])
        lines.append("")
        lines.append(f"{o.label} / each other client (medians of per-round ratios; "
                     "latency and CPU: lower is better):")
        lines += table(["vs"] + [c[0] for c in cols], rows)
    if ratios:
        lines.append("target (issue 17): the runtime's client >= 1.0x the C++ clients' and "
                     "grpc-go's calls/s and msg/s:")
    for ok, per_ref in ratios.items():
        for ref, r in per_ref.items():
            for sc, f in (("unary", "calls_per_s"), ("stream", "msgs_per_s")):
                rt = r[f"{sc}.{f}"]
                if rt == rt:  # not NaN: both ran this scenario
                    lines.append(f"  {'met   ' if rt >= 1.0 else 'MISSED'}  {sc}, "
                                 f"{labels[ok]} vs {labels[ref]}: {rt:.2f}x")
    print()
    print("\n".join(lines))
    out = os.path.join(args.build, "client_results.json")
    with open(out, "w") as f:
        json.dump({"config": {"rounds": rounds, "seconds": seconds, "warmup": warmup,
                              "threads": threads, "cpus": os.cpu_count(),
                              "machine": platform.platform(),
                              "load_average_at_end": os.getloadavg()},
                   "scenarios": {s[0]: {"title": s[1], "mode": s[2], "threads": s[3]}
                                 for s in scenarios},
                   "runs": samples, "ratios_of_cgrpc_clients": ratios}, f, indent=2)
    print(f"results: {out}")
    return 0


def _on_signal(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench-client: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("bench-client: interrupted", file=sys.stderr)
        sys.exit(130)
    finally:
        run_bench.kill_all()
