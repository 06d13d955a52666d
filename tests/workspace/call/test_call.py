#!/usr/bin/env python3
"""test_call.py: `make call` against a real server (behind `make test-call`).

Starts a C server of tutorial.v1.MyService (by default the bench's,
build/bench/c_bench_server: UnaryCall answers "Processed: <id>", ServerStream
sends `value` messages, ClientStream answers "Received: <count>",
BidirectionalStream echoes each id, an empty id is INVALID_ARGUMENT) on
127.0.0.1:0, waits for its `listening on HOST:PORT` line, and runs
`make -f mk/call.mk call ...` the way a learner would. Every process it
starts is ended; every wait is bounded. Last line: `N passed, M failed`.

Usage: test_call.py [--server PATH] [-k SUBSTRING]
Only the standard library is used.
"""

import argparse
import json
import os
import re
import selectors
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
WORK = ROOT / "build" / "call" / "test"
CALL_TIMEOUT = 60     # seconds for one `make call`
READY_TIMEOUT = 30    # seconds for the server's listening line


class Failed(Exception):
    pass


def check(cond, what, result=None):
    if not cond:
        if result is not None:
            what += (f"\n      exit status {result.returncode}"
                     f"\n      stdout: {result.stdout.strip()[:800]!r}"
                     f"\n      stderr: {result.stderr.strip()[:800]!r}")
        raise Failed(what)


# --------------------------------------------------------------------------
# Processes


class Server:
    """A server process on 127.0.0.1:0; `addr` once it said where it listens."""

    def __init__(self, path):
        WORK.mkdir(parents=True, exist_ok=True)
        self.log = open(WORK / "server.log", "wb")
        self.proc = subprocess.Popen([str(path), "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=self.log)
        self.addr = None

    def wait_listening(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        buf = b""
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failed(f"no `listening on` line from the server within {timeout} s")
                if not sel.select(left):
                    continue
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    raise Failed(f"the server exited ({self.proc.wait()}) before listening; "
                                 f"see {WORK / 'server.log'}")
                buf += chunk
        finally:
            sel.close()
        line = buf.split(b"\n", 1)[0].decode(errors="replace").strip()
        m = re.fullmatch(r"listening on (\S+:\d+)", line)
        if not m:
            raise Failed(f"unexpected first line from the server: {line!r}")
        self.addr = m.group(1)
        return self.addr

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()
        return self.proc.returncode


def clean_env():
    """Our environment without what an outer make passes down (MAKEFLAGS
    carries V=1, -s, -n ... which would change what `make call` prints)."""
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "V",
              "METHOD", "DATA", "ADDR", "CALL_TIMEOUT", "CALL_ARGS", "LIST", "CALL_SCHEMA"):
        env.pop(k, None)
    return env


def run(cmd, stdin_text=None, env=None, timeout=CALL_TIMEOUT):
    """Runs cmd in its own process group; on timeout the whole group is killed."""
    if env is None:
        env = clean_env()
    p = subprocess.Popen(cmd, cwd=ROOT, env=env, text=True, start_new_session=True,
                         stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(stdin_text, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise Failed(f"`{' '.join(cmd)}` took more than {timeout} s")
    except BaseException:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def make_call(target="call", stdin_text=None, env=None, timeout=CALL_TIMEOUT, **variables):
    cmd = ["make", "--no-print-directory", "-f", "mk/call.mk", target]
    cmd += [f"{k}={v}" for k, v in variables.items()]
    return run(cmd, stdin_text=stdin_text, env=env, timeout=timeout)


def json_values(text):
    """The JSON documents printed one after another (buf prints each message)."""
    dec, i, out = json.JSONDecoder(), 0, []
    text = text.strip()
    while i < len(text):
        obj, end = dec.raw_decode(text, i)
        out.append(obj)
        i = end
        while i < len(text) and text[i].isspace():
            i += 1
    return out


def free_port():
    """A port nothing listens on: bound by us, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proto_methods():
    """(service, rpc) pairs read straight from proto/, independently of call.py."""
    pairs = []
    for p in sorted((ROOT / "proto").rglob("*.proto")):
        text = re.sub(r"//[^\n]*", "", p.read_text())
        for sm in re.finditer(r"\bservice\s+(\w+)\s*\{(.*?)\n\}", text, re.S):
            for rm in re.finditer(r"\brpc\s+(\w+)", sm.group(2)):
                pairs.append((sm.group(1), rm.group(1)))
    return pairs


# --------------------------------------------------------------------------
# Tests: each takes the server's address


def test_examples_list(addr):
    """`make call` without METHOD lists every course method, each with an
    example; MyService's examples work against the server."""
    r = make_call()
    check(r.returncode == 0, "make call (no METHOD) failed", r)
    pairs = proto_methods()
    check(len(pairs) >= 4, f"found only {pairs} in proto/")
    examples = {}
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("make call METHOD="):
            words = shlex.split(line)
            kv = dict(w.split("=", 1) for w in words[2:])
            examples[kv["METHOD"]] = kv.get("DATA", "{}")
    for svc, rpc in pairs:
        hits = [m for m in examples if m.endswith(f"{svc}/{rpc}")]
        check(hits, f"no example line for {svc}/{rpc} in:\n{r.stdout}")
        json_values(examples[hits[0]])  # the example DATA is JSON
    for method, data in examples.items():
        if "MyService/" in method:
            rr = make_call(METHOD=method, DATA=data, ADDR=addr)
            check(rr.returncode == 0 and json_values(rr.stdout),
                  f"the listed example for {method} does not work", rr)


def test_call_list(addr):
    r = make_call("call-list")
    check(r.returncode == 0, "make call-list failed", r)
    for svc, rpc in proto_methods():
        check(f"tutorial.v1.{svc}" in r.stdout, f"{svc} missing from make call-list", r)
        check(re.search(rf"\brpc {rpc}\(", r.stdout), f"{svc}/{rpc} missing from make call-list", r)
    check("[client streaming]" in r.stdout and "string id = 1" in r.stdout,
          "make call-list shows no kinds or request fields", r)


def test_list_served(addr):
    """`make call LIST=1` asks the server what it serves (server reflection)."""
    r = make_call(LIST="1", ADDR=addr)
    check(r.returncode == 0, "make call LIST=1 failed", r)
    check(f"The server at {addr} serves" in r.stdout, "LIST=1 does not say whose list it is", r)
    for svc in ("tutorial.v1.MyService", "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection"):
        check(re.search(rf"^{re.escape(svc)}$", r.stdout, re.M), f"{svc} missing from LIST=1", r)
    check("UserService" not in r.stdout, "LIST=1 lists a service this server does not serve", r)
    check(re.search(r"^  UnaryCall +\[unary\]$", r.stdout, re.M)
          and "ServerReflectionInfo" in r.stdout, "LIST=1 shows no methods or kinds", r)
    line = next((ln.strip() for ln in r.stdout.splitlines()
                 if ln.strip().startswith("make call METHOD=MyService/UnaryCall ")), None)
    check(line is not None, "LIST=1 gives no example for UnaryCall", r)
    kv = dict(w.split("=", 1) for w in shlex.split(line)[2:])
    rr = make_call(METHOD=kv["METHOD"], DATA=kv["DATA"], ADDR=addr)
    check(rr.returncode == 0 and "Processed: test-123" in rr.stdout,
          "the example LIST=1 gives does not work", rr)


def test_no_protos(addr):
    """With no .proto at hand the schema comes from the server alone."""
    with tempfile.TemporaryDirectory(dir=WORK) as empty:
        r = make_call(METHOD="MyService/ServerStream", DATA='{"id":"r","value":2}', ADDR=addr,
                      CALL_SCHEMA=empty)
        check(r.returncode == 0 and [m.get("message") for m in json_values(r.stdout)]
              == ["Processed: r #1", "Processed: r #2"], "a call without protos failed", r)
        r = make_call(LIST="1", ADDR=addr, CALL_SCHEMA=empty)
        check(r.returncode == 0 and re.search(r"^  BidirectionalStream$", r.stdout, re.M),
              "LIST=1 without protos does not list the methods", r)
        r = make_call(METHOD="MyService/UnaryCal", ADDR=addr, CALL_SCHEMA=empty)
        check(r.returncode != 0 and "Did you mean: MyService/UnaryCall" in r.stderr,
              "a wrong method without protos is not explained from the server's list", r)


def test_unary(addr):
    r = make_call(METHOD="tutorial.v1.MyService/UnaryCall", DATA='{"id":"test-123"}', ADDR=addr)
    check(r.returncode == 0, "UnaryCall failed", r)
    check("Processed: test-123" in r.stdout, "no 'Processed: test-123' in the output", r)
    check(json_values(r.stdout) == [{"success": True, "message": "Processed: test-123"}],
          "the output is not the one JSON response", r)


def test_method_forms(addr):
    for form in ("MyService/UnaryCall", "/tutorial.v1.MyService/UnaryCall",
                 "tutorial.v1.MyService.UnaryCall", "UnaryCall"):
        r = make_call(METHOD=form, DATA='{"id":"form"}', ADDR=addr)
        check(r.returncode == 0 and "Processed: form" in r.stdout, f"METHOD={form} did not work", r)


def test_default_data_and_addr_forms(addr):
    port = addr.rsplit(":", 1)[1]
    # DATA defaults to {}: an empty id, which this server refuses.
    r = make_call(METHOD="MyService/UnaryCall", ADDR=f"0.0.0.0:{port}")
    check(r.returncode != 0 and "INVALID_ARGUMENT" in r.stderr,
          "no DATA should send {} (ADDR as printed by a server on 0.0.0.0 should work)", r)
    r = make_call(METHOD="MyService/UnaryCall", DATA='{"id":"p"}', ADDR=port)
    check(r.returncode == 0 and "Processed: p" in r.stdout, "ADDR=PORT did not work", r)


def test_invalid_argument(addr):
    r = make_call(METHOD="MyService/UnaryCall", DATA='{"id":""}', ADDR=addr)
    check(r.returncode != 0, "an empty id should fail", r)
    check("INVALID_ARGUMENT" in r.stderr and "(code 3)" in r.stderr and "id is required" in r.stderr,
          "INVALID_ARGUMENT, its code and message are not shown", r)
    check(r.stdout.strip() == "", "nothing should be printed on stdout", r)


def test_server_stream(addr):
    r = make_call(METHOD="MyService/ServerStream", DATA='{"id":"s","value":3}', ADDR=addr)
    check(r.returncode == 0, "ServerStream failed", r)
    msgs = [m.get("message") for m in json_values(r.stdout)]
    check(msgs == ["Processed: s #1", "Processed: s #2", "Processed: s #3"],
          f"wanted three messages, got {msgs}", r)


def test_client_stream(addr):
    r = make_call(METHOD="MyService/ClientStream",
                  DATA='{"id":"a"}\n{"id":"b"} {"id":"c","value":7}', ADDR=addr)
    check(r.returncode == 0 and json_values(r.stdout) == [{"success": True, "message": "Received: 3"}],
          "ClientStream with three objects in DATA did not answer 'Received: 3'", r)
    WORK.mkdir(parents=True, exist_ok=True)
    req = WORK / "requests.json"
    req.write_text('{"id": "one"}\n{"id": "two"}\n')
    r = make_call(METHOD="MyService/ClientStream", DATA=f"@{req}", ADDR=addr)
    check(r.returncode == 0 and "Received: 2" in r.stdout, "DATA=@file did not work", r)


def test_bidi(addr):
    r = make_call(METHOD="MyService/BidirectionalStream", DATA='{"id":"a"} {"id":"b"}', ADDR=addr)
    check(r.returncode == 0, "BidirectionalStream failed", r)
    check([m.get("message") for m in json_values(r.stdout)] == ["a", "b"], "wanted echoes a, b", r)
    r = make_call(METHOD="MyService/BidirectionalStream", DATA="@-", ADDR=addr,
                  stdin_text='{"id":"x"}\n{"id":"y"}\n{"id":"z"}\n')
    check(r.returncode == 0 and [m.get("message") for m in json_values(r.stdout)] == ["x", "y", "z"],
          "DATA=@- (requests on stdin) did not work", r)


def test_wrong_method(addr):
    r = make_call(METHOD="MyService/UnaryCal", ADDR=addr)
    check(r.returncode != 0, "a wrong method should fail", r)
    check("no method UnaryCal" in r.stderr and "Did you mean: MyService/UnaryCall" in r.stderr,
          "the wrong-method message does not name the method and the right one", r)
    r = make_call(METHOD="NoSuchService/Foo", ADDR=addr)
    check(r.returncode != 0 and "no service NoSuchService" in r.stderr and "MyService" in r.stderr,
          "the unknown-service message does not list the services", r)


def test_unimplemented(addr):
    # In the course protos, but not served by this server.
    r = make_call(METHOD="UserService/GetUser", DATA='{"user_id":"u1"}', ADDR=addr)
    check(r.returncode != 0 and "UNIMPLEMENTED (code 12)" in r.stderr
          and "does not serve it" in r.stderr, "UNIMPLEMENTED is not explained", r)


def test_bad_data(addr):
    r = make_call(METHOD="MyService/UnaryCall", DATA='{"idx":1}', ADDR=addr)
    check(r.returncode != 0 and 'unknown field "idx"' in r.stderr and "string id = 1" in r.stderr,
          "an unknown field is not explained with the request's fields", r)
    r = make_call(METHOD="MyService/UnaryCall", DATA="{'id':'x'}", ADDR=addr)
    check(r.returncode != 0 and "not valid JSON" in r.stderr and "double quotes" in r.stderr,
          "single-quoted JSON is not explained", r)
    r = make_call(METHOD="MyService/UnaryCall", DATA='{"id":"a"} {"id":"b"}', ADDR=addr)
    check(r.returncode != 0 and "exactly one request message" in r.stderr,
          "two requests for a unary method are not explained", r)


def test_down_server(addr):
    port = free_port()
    t0 = time.monotonic()
    r = make_call(METHOD="MyService/UnaryCall", DATA='{"id":"x"}', ADDR=f"127.0.0.1:{port}")
    check(r.returncode != 0, "a call to a port nobody listens on should fail", r)
    check(f"no server at 127.0.0.1:{port}" in r.stderr and "make run" in r.stderr
          and "listening on HOST:PORT" in r.stderr,
          "the down-server message does not say how to start one", r)
    check(time.monotonic() - t0 < 30, "the down server took too long to report", r)
    r = make_call(LIST="1", ADDR=f"127.0.0.1:{port}")
    check(r.returncode != 0 and f"no server at 127.0.0.1:{port}" in r.stderr,
          "LIST=1 against a down server does not say so", r)


def test_silent_server(addr):
    """Something accepts connections but never answers: the call times out clearly."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = make_call(METHOD="MyService/UnaryCall", ADDR=f"127.0.0.1:{port}", CALL_TIMEOUT="1")
    check(r.returncode != 0 and f"no answer from 127.0.0.1:{port} within 1 s" in r.stderr
          and "DEADLINE_EXCEEDED" in r.stderr, "a silent server is not reported as such", r)


def test_missing_npm(addr):
    """Without node_modules and without npm: say what to install."""
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        tmp = Path(tmp)
        for f in ("package.json", "package-lock.json"):
            shutil.copy(ROOT / "tools" / "call" / f, tmp / f)
        bindir = tmp / "bin"
        bindir.mkdir()
        python = shutil.which("python3")
        if python:
            (bindir / "python3").symlink_to(python)
        env = dict(clean_env(), PATH=str(bindir))
        make = shutil.which("make") or "/usr/bin/make"
        r = run([make, "--no-print-directory", "-f", "mk/call.mk", "call",
                 f"CALL_DIR={tmp}", "METHOD=MyService/UnaryCall"], env=env)
        check(r.returncode != 0 and "needs npm" in r.stderr and "apt-get install nodejs npm" in r.stderr,
              "a missing npm is not explained", r)
        check(not (tmp / "node_modules").exists(), "node_modules appeared without npm", r)


TESTS = [test_examples_list, test_call_list, test_list_served, test_no_protos, test_unary, test_method_forms,
         test_default_data_and_addr_forms, test_invalid_argument, test_server_stream,
         test_client_stream, test_bidi, test_wrong_method, test_unimplemented, test_bad_data,
         test_down_server, test_silent_server, test_missing_npm]


def main():
    ap = argparse.ArgumentParser(description="make call against a real server")
    ap.add_argument("--server", type=Path, default=ROOT / "build" / "bench" / "c_bench_server",
                    help="a MyService server that takes --listen HOST:PORT")
    ap.add_argument("-k", default="", help="run only tests whose name contains this")
    args = ap.parse_args()

    # A SIGTERM (e.g. from a CI timeout) still ends the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    passed = failed = 0
    if not args.server.is_file():
        print(f"no server at {args.server}: build it with `make -f mk/bench.mk bench-c`")
        print("0 passed, 1 failed")
        return 1
    server = Server(args.server)
    try:
        addr = server.wait_listening()
        print(f"make call against {args.server.name} at {addr}")
        for t in TESTS:
            name = t.__name__[len("test_"):]
            if args.k not in name:
                continue
            t0 = time.monotonic()
            try:
                t(addr)
                passed += 1
                print(f"  ok    {name}  ({time.monotonic() - t0:.1f} s)")
            except Failed as e:
                failed += 1
                print(f"  FAIL  {name}: {e}")
            sys.stdout.flush()
    except Failed as e:
        failed += 1
        print(f"  FAIL  server start: {e}")
    finally:
        rc = server.stop()
    if rc not in (0, -signal.SIGTERM):
        failed += 1
        print(f"  FAIL  server exit: status {rc} after SIGTERM (see {WORK / 'server.log'})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
