#!/usr/bin/env python3
"""Runs the interop cases between the C runtime and other gRPC implementations.

For each pair (client -> server) it starts the server on 127.0.0.1:0, waits for
its `listening on 127.0.0.1:PORT` line, runs the client once per case, then
stops the server with SIGTERM and expects it to exit 0. It prints a matrix of
case x pair and ends with the line `N passed, M failed`; the exit status is 1
when anything failed. Every process it starts is ended, also on errors,
timeouts and Ctrl-C. Standard library only.

    tests/workspace/interop/run_interop.py [--pairs c-python,python-c,...] [--sanity]
                                 [--cases large_unary,...] [--build DIR]

Peers: c (build/interop/c/interop_{server,client}), python (grpcio, run with
/usr/bin/python3), node (@grpc/grpc-js). Default pairs: c->python, c->node,
python->c, node->c; --sanity adds python->node and node->python, which need
no C at all.
"""

import argparse
import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

CASES = [
    "empty_unary", "large_unary", "client_streaming", "server_streaming",
    "ping_pong", "empty_stream", "cancel_after_begin", "cancel_after_first_response",
    "timeout_on_sleeping_server", "status_code_and_message", "special_status_message",
    "unimplemented_method", "unimplemented_service", "custom_metadata",
]
READY = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
# The last row of the matrix: the server exits 0 on SIGTERM.
SHUTDOWN = "server exits 0 on SIGTERM"

DEFAULT_PAIRS = ["c-python", "c-node", "python-c", "node-c"]
SANITY_PAIRS = ["python-node", "node-python"]

PYTHON = os.environ.get("INTEROP_PYTHON", "/usr/bin/python3")
NODE = os.environ.get("INTEROP_NODE", "node")


def peer_commands(build):
    """name -> (server argv, client argv), without the port/case flags."""
    py, js, c = (os.path.join(HERE, d) for d in ("python", "node", "c"))
    cbin = os.path.join(build, "c")
    return {
        "c": ([os.path.join(cbin, "interop_server")], [os.path.join(cbin, "interop_client")]),
        "python": ([PYTHON, os.path.join(py, "interop_server.py")],
                   [PYTHON, os.path.join(py, "interop_client.py")]),
        "node": ([NODE, os.path.join(js, "interop_server.js")],
                 [NODE, os.path.join(js, "interop_client.js")]),
    }


# --------------------------------------------------------------------------
# Processes: every one started goes into LIVE and is ended by end_all().
# --------------------------------------------------------------------------

LIVE = set()
LIVE_LOCK = threading.Lock()


def spawn(argv, **kw):
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, **kw)
    with LIVE_LOCK:
        LIVE.add(proc)
    return proc


def end(proc, sig=signal.SIGKILL, wait_s=5.0):
    """Sends sig (unless it already exited) and reaps; SIGKILL if it lingers.
    Returns the exit status, and whether it ended within wait_s."""
    in_time = True
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            in_time = False
            proc.kill()
            proc.wait()
    with LIVE_LOCK:
        LIVE.discard(proc)
    return proc.returncode, in_time


def end_all():
    with LIVE_LOCK:
        procs = list(LIVE)
    for p in procs:
        end(p)


def on_signal(signum, _frame):
    end_all()
    sys.exit(128 + signum)


# --------------------------------------------------------------------------
# One pair
# --------------------------------------------------------------------------

class Result:
    def __init__(self, ok, ms, detail=""):
        self.ok, self.ms, self.detail = ok, ms, detail


def tail(text, n=6):
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join(lines[-n:])


def start_server(argv, log_path, timeout_s):
    """Starts a server; returns (proc, port) or (proc, None) with the reason
    in the log. Waits on its stdout for the `listening on` line, no polling."""
    with open(log_path, "wb") as log:
        try:
            proc = spawn(argv + ["--port=0"], stdout=subprocess.PIPE, stderr=log, cwd=ROOT)
        except OSError as e:
            log.write(f"cannot run {argv[0]}: {e.strerror}\n".encode())
            return None, None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    buf = b""
    port = None
    try:
        while port is None:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                break
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:  # the server exited (or closed stdout) before it was ready
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")  # whole lines only: a port may arrive in pieces
            for line in lines:
                m = READY.fullmatch(line.decode(errors="replace").strip())
                if m:
                    port = int(m.group(1))
    finally:
        sel.close()
    # Keep draining stdout so that a chatty server never blocks on a full pipe.
    threading.Thread(target=lambda: proc.stdout.read(), daemon=True).start()
    return proc, port


def run_client(argv, timeout_s):
    """Runs one client; returns (passed, what it said when it failed)."""
    try:
        cli = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    except OSError as e:
        return False, f"cannot run {argv[0]}: {e.strerror}"
    try:
        out, _ = cli.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        # What it was doing: the Python client prints its threads' stacks on
        # SIGUSR1 (faulthandler); the others just end. Then it is killed.
        end(cli, signal.SIGUSR1, 2.0)
        out, _ = cli.communicate()  # all it said, what came before the timeout too
        said = tail(out.decode(errors="replace"), 30)
        return False, f"client still running after {timeout_s:.0f} s: killed" + (f"\n{said}" if said else "")
    finally:
        end(cli)
    if cli.returncode == 0:
        return True, ""
    return False, tail(out.decode(errors="replace")) or f"exit status {cli.returncode}"


def run_pair(client, server, cmds, cases, args, logdir):
    """Runs every case for client -> server; returns {row: Result}."""
    results = {}
    name = f"{client}-{server}"
    server_log = os.path.join(logdir, f"{name}.server.log")
    t0 = time.monotonic()
    proc, port = start_server(cmds[server][0], server_log, args.start_timeout)
    if port is None:
        code = end(proc)[0] if proc else None
        with open(server_log, errors="replace") as fh:
            why = tail(fh.read()) or f"no `listening on` line within {args.start_timeout:.0f} s (exit status {code})"
        bad = Result(False, (time.monotonic() - t0) * 1000, f"server did not start: {why}")
        return {row: bad for row in cases + [SHUTDOWN]}

    try:
        for case in cases:
            if time.monotonic() > args.deadline:
                results[case] = Result(False, 0, f"not run: the whole run's budget of {args.budget:.0f} s was spent")
                continue
            argv = cmds[client][1] + ["--server_host=127.0.0.1", f"--server_port={port}", f"--test_case={case}"]
            c0 = time.monotonic()
            ok, detail = run_client(argv, min(args.case_timeout, max(1.0, args.deadline - c0)))
            if not ok and proc.poll() is not None:
                detail += f"\n(the server exited with status {proc.returncode}; see {os.path.relpath(server_log, ROOT)})"
            results[case] = Result(ok, (time.monotonic() - c0) * 1000, detail)
    finally:
        s0 = time.monotonic()
        already = proc.poll()
        code, in_time = end(proc, signal.SIGTERM, args.stop_timeout)
        ms = (time.monotonic() - s0) * 1000
        if already is not None:
            results[SHUTDOWN] = Result(False, ms, f"the server had already exited with status {already}")
        elif not in_time:
            results[SHUTDOWN] = Result(False, ms, f"still running {args.stop_timeout:.0f} s after SIGTERM: killed")
        else:
            results[SHUTDOWN] = Result(code == 0, ms, "" if code == 0 else f"exit status {code} after SIGTERM")
    return results


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def report(pairs, cases, table):
    rows = cases + [SHUTDOWN]
    heads = [p.replace("-", " -> ") for p in pairs]
    w0 = max(len(r) for r in rows)
    widths = [max(len(h), 12) for h in heads]
    print(f"{'case':<{w0}}  " + "  ".join(f"{h:<{w}}" for h, w in zip(heads, widths)))
    print(f"{'-' * w0}  " + "  ".join("-" * w for w in widths))
    for row in rows:
        cells = []
        for p, w in zip(pairs, widths):
            r = table[p][row]
            cells.append(f"{('ok' if r.ok else 'FAIL') + f' {r.ms:.0f} ms':<{w}}")
        print(f"{row:<{w0}}  " + "  ".join(cells))

    failures = [(p, row, table[p][row]) for p in pairs for row in rows if not table[p][row].ok]
    if failures:
        print("\nFailures:")
        for p, row, r in failures:
            print(f"- {row} [{p.replace('-', ' -> ')}]")
            for ln in r.detail.splitlines():
                print(f"    {ln}")
    passed = sum(1 for p in pairs for row in rows if table[p][row].ok)
    print(f"{passed} passed, {len(failures)} failed")
    return not failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", default=",".join(DEFAULT_PAIRS),
                    help="comma-separated CLIENT-SERVER pairs of c, python, node")
    ap.add_argument("--sanity", action="store_true", help="also run python -> node and node -> python")
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "interop"),
                    help="build folder (holds c/interop_server, c/interop_client, logs/)")
    ap.add_argument("--case-timeout", type=float, default=15.0, help="seconds one client run may take")
    ap.add_argument("--start-timeout", type=float, default=15.0, help="seconds a server may take to listen")
    ap.add_argument("--stop-timeout", type=float, default=5.0, help="seconds a server may take to exit on SIGTERM")
    ap.add_argument("--budget", type=float, default=100.0,
                    help="seconds for the whole run; cases not started by then fail as not run")
    args = ap.parse_args()

    cmds = peer_commands(args.build)
    pairs = [p for p in args.pairs.split(",") if p]
    if args.sanity:
        pairs += [p for p in SANITY_PAIRS if p not in pairs]
    for p in pairs:
        parts = p.split("-")
        if len(parts) != 2 or not all(x in cmds for x in parts):
            ap.error(f"bad pair {p!r}: want CLIENT-SERVER with each one of {', '.join(cmds)}")
    cases = [c for c in args.cases.split(",") if c]
    for c in cases:
        if c not in CASES:
            ap.error(f"unknown case {c!r}; known: {', '.join(CASES)}")

    logdir = os.path.join(args.build, "logs")
    os.makedirs(logdir, exist_ok=True)
    # The Python peers' bytecode goes to the build folder, not next to the sources.
    os.environ["PYTHONPYCACHEPREFIX"] = os.path.join(args.build, "pycache")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    t0 = time.monotonic()
    args.deadline = t0 + args.budget
    table = {}
    try:
        for p in pairs:
            client, server = p.split("-")
            table[p] = run_pair(client, server, cmds, cases, args, logdir)
    finally:
        end_all()
    print(f"interop: {len(pairs)} pairs x {len(cases)} cases in {time.monotonic() - t0:.1f} s "
          f"(server logs in {os.path.relpath(logdir, ROOT)})\n")
    return 0 if report(pairs, cases, table) else 1


if __name__ == "__main__":
    sys.exit(main())
