#!/usr/bin/env python3
"""test_reflection_clients.py: the course's servers asked what they serve by
two reflection clients that know nothing of the runtime (behind `make
test-reflection`).

For each server (the step 4 reference program, which is also `make demo`'s
server; the step 7 reference program; the bench server), started on
127.0.0.1:0 and stopped with SIGTERM:

  1. buf curl --list-methods, with no schema (server reflection only), over
     grpc.reflection.v1 and over v1alpha: the methods must be exactly those
     the server registers, read here from proto/ (plus the health service on
     step 7, and the two reflection services).
  2. Python grpcio, with messages built from gRPC's own reflection.proto
     (Debian's /usr/share/grpc-proto, not the runtime's copy): list the
     services; fetch each one's file by symbol, load the files into a
     protobuf DescriptorPool (which checks every import and type), compare
     the methods; call MyService/UnaryCall with a request built from the
     reflected descriptor alone; ask for an unknown symbol (NOT_FOUND) and a
     file by name.
  3. On step 7 with AUTH_TOKENS set: reflection needs a token like any
     other method; `make call` (tools/call/call.py) says so without one, and
     sends CALL_ARGS' authorization header with its reflection requests.

Usage: test_reflection_clients.py [--buf PATH | --deps-dir DIR] --server NAME=PATH [...]
(--deps-dir: make call's npm folder, tools/call, where buf is found.)
Last line: `N passed, M failed`. Every process it starts is ended.
"""

import argparse
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
WORK = ROOT / "build" / "reflection"
GRPC_PROTO = Path(os.environ.get("GRPC_PROTO_DIR", "/usr/share/grpc-proto"))
READY_TIMEOUT = 30
RPC_TIMEOUT = 20
REFLECTION = {"grpc.reflection.v1.ServerReflection": ["ServerReflectionInfo"],
              "grpc.reflection.v1alpha.ServerReflection": ["ServerReflectionInfo"]}
# Beyond the course protos: what each server also registers.
EXTRA = {"step07": {"grpc.health.v1.Health": ["Check", "Watch"]}}
# The services of proto/tutorial/ each server registers (None: all of them).
SERVES = {"step04": None, "step07": None, "bench": ["tutorial.v1.MyService"]}


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)


def proto_services():
    """{service full name: [methods]} read from the steps' protos
    (proto/tutorial/, not the class board's proto/class/) with a regex,
    independently of every tool under test."""
    out = {}
    for p in sorted((ROOT / "proto" / "tutorial").rglob("*.proto")):
        text = re.sub(r"//[^\n]*", "", p.read_text())
        pkg = re.search(r"^\s*package\s+([\w.]+)\s*;", text, re.M)
        prefix = pkg.group(1) + "." if pkg else ""
        for sm in re.finditer(r"\bservice\s+(\w+)\s*\{(.*?)\n\}", text, re.S):
            out[prefix + sm.group(1)] = re.findall(r"\brpc\s+(\w+)", sm.group(2))
    return out


def expected(name):
    services = proto_services()
    keep = SERVES[name]
    want = {s: m for s, m in services.items() if keep is None or s in keep}
    want.update(REFLECTION)
    want.update(EXTRA.get(name, {}))
    return {f"{s}/{m}" for s, ms in want.items() for m in ms}


# --------------------------------------------------------------------------
# The server


class Server:
    def __init__(self, name, path, tokens=None):
        WORK.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("AUTH_TOKENS", "PORT", "HOST")}
        env["METRICS_PORT"] = "off"
        if tokens:
            env["AUTH_TOKENS"] = tokens
        self.log_path = WORK / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([str(path), "--listen", "127.0.0.1:0"], env=env,
                                     stdout=subprocess.PIPE, stderr=self.log)

    def wait_listening(self):
        deadline = time.monotonic() + READY_TIMEOUT
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while not re.search(rb"listening on \S+:\d+\n", buf):
                left = deadline - time.monotonic()
                check(left > 0, f"no `listening on` line within {READY_TIMEOUT} s")
                if not sel.select(left):
                    continue
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                check(chunk, f"the server exited before listening (see {self.log_path})")
                buf += chunk
        return re.search(rb"listening on (\S+:\d+)\n", buf).group(1).decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        return self.proc.returncode


# --------------------------------------------------------------------------
# Client 1: buf curl


def buf_methods(buf, addr, protocol):
    cmd = [buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge",
           "--reflect-protocol", protocol, "--list-methods", f"http://{addr}"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, BUF_CACHE_DIR=str(WORK / "buf-cache")))
    check(p.returncode == 0, f"buf curl --list-methods ({protocol}) failed: {p.stderr.strip()}")
    return set(p.stdout.split())


# --------------------------------------------------------------------------
# Client 2: Python grpcio with gRPC's own reflection.proto


def load_pb():
    from google.protobuf import descriptor_pb2, descriptor_pool
    WORK.mkdir(parents=True, exist_ok=True)
    out = WORK / "reflection.desc"
    files = ["grpc/reflection/v1/reflection.proto", "grpc/reflection/v1alpha/reflection.proto"]
    p = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{GRPC_PROTO}",
                        f"--descriptor_set_out={out}", *files], capture_output=True, text=True)
    check(p.returncode == 0, f"grpc_tools.protoc on {GRPC_PROTO}: {p.stderr.strip()}")
    pool = descriptor_pool.DescriptorPool()
    for f in descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file:
        pool.Add(f)
    return pool


def message_class(pool, name):
    from google.protobuf import message_factory
    desc = pool.FindMessageTypeByName(name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


class Reflector:
    """One reflection version: ask() sends requests on one stream."""

    def __init__(self, channel, pb_pool, version):
        self.req = message_class(pb_pool, f"grpc.reflection.{version}.ServerReflectionRequest")
        resp = message_class(pb_pool, f"grpc.reflection.{version}.ServerReflectionResponse")
        self.call = channel.stream_stream(
            f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=resp.FromString)

    def ask(self, *requests):
        got = list(self.call(iter(self.req(**r) for r in requests), timeout=RPC_TIMEOUT))
        check(len(got) == len(requests), f"{len(requests)} requests, {len(got)} responses")
        return got


def add_files(pool, blobs):
    """Adds serialized FileDescriptorProtos to pool, each after its imports."""
    from google.protobuf import descriptor_pb2
    files = {}
    for b in blobs:
        f = descriptor_pb2.FileDescriptorProto.FromString(b)
        files[f.name] = f

    def add(name, seen):
        if name in seen:
            return
        seen.add(name)
        try:
            pool.FindFileByName(name)
            return
        except KeyError:
            pass
        check(name in files, f"import {name} was not sent")
        for dep in files[name].dependency:
            add(dep, seen)
        pool.Add(files[name])

    seen = set()
    for name in files:
        add(name, seen)


def python_client(pb_pool, addr, version, want):
    import grpc
    from google.protobuf import descriptor_pool
    with grpc.insecure_channel(addr) as ch:
        r = Reflector(ch, pb_pool, version)
        listed = r.ask({"list_services": "*"})[0]
        names = {s.name for s in listed.list_services_response.service}
        want_services = {m.split("/")[0] for m in want}
        check(names == want_services, f"{version} list_services: {sorted(names)}, "
                                      f"want {sorted(want_services)}")
        pool = descriptor_pool.DescriptorPool()
        got = set()
        answers = r.ask(*({"file_containing_symbol": n} for n in sorted(names)))
        for name, a in zip(sorted(names), answers):
            check(a.WhichOneof("message_response") == "file_descriptor_response",
                  f"{version} file_containing_symbol {name}: {a}")
            add_files(pool, a.file_descriptor_response.file_descriptor_proto)
            svc = pool.FindServiceByName(name)
            got |= {f"{name}/{m.name}" for m in svc.methods}
        check(got == want, f"{version} methods by descriptor differ: "
                           f"extra {sorted(got - want)}, missing {sorted(want - got)}")
        unknown, by_name = r.ask({"file_containing_symbol": "tutorial.v1.NoSuchThing"},
                                 {"file_by_filename": "tutorial/v1/my_service.proto"})
        check(unknown.WhichOneof("message_response") == "error_response"
              and unknown.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0],
              f"{version} unknown symbol: {unknown}")
        check(by_name.WhichOneof("message_response") == "file_descriptor_response",
              f"{version} file_by_filename: {by_name}")
        # A call whose request is built from the reflected descriptor alone.
        method = pool.FindServiceByName("tutorial.v1.MyService").methods_by_name["UnaryCall"]
        req_cls = message_class(pool, method.input_type.full_name)
        resp_cls = message_class(pool, method.output_type.full_name)
        call = ch.unary_unary("/tutorial.v1.MyService/UnaryCall",
                              request_serializer=lambda m: m.SerializeToString(),
                              response_deserializer=resp_cls.FromString)
        resp = call(req_cls(id="reflected"), timeout=RPC_TIMEOUT)
        check(resp.message == "Processed: reflected", f"UnaryCall answered {resp}")


# --------------------------------------------------------------------------
# make call behind auth


def call_with_auth(deps_dir, path):
    """Step 7 with AUTH_TOKENS: tools/call/call.py without and with a token."""
    server = Server("step07-auth", path, tokens="t0ken-reader=reader")
    try:
        addr = server.wait_listening()
        base = [sys.executable, str(ROOT / "tools" / "call" / "call.py"), "call", "--deps-dir", str(deps_dir),
                "--cache-dir", str(WORK / "buf-cache"), "--addr", addr,
                "--method", "MyService/UnaryCall", "--data", '{"id":"auth"}']
        p = subprocess.run(base, capture_output=True, text=True, timeout=60)
        check(p.returncode == 1 and "wants credentials" in p.stderr and "CALL_ARGS" in p.stderr,
              f"no token: exit {p.returncode}, stderr {p.stderr.strip()!r}")
        p = subprocess.run(base + ["--extra", '-H "authorization: Bearer t0ken-reader"'],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and "Processed: auth" in p.stdout,
              f"with a token: exit {p.returncode}, stderr {p.stderr.strip()!r}")
    finally:
        server.stop()


# --------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--buf", help="the buf executable")
    ap.add_argument("--deps-dir", type=Path, default=ROOT / "tools" / "call",
                    help="make call's npm folder, to find buf in (when --buf is not given)")
    ap.add_argument("--server", action="append", default=[], help="NAME=PATH (step04, step07, bench)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    passed = failed = 0

    def result(ok, label, why=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"  ok    {label}")
        else:
            failed += 1
            print(f"  FAIL  {label}: {why}")
        sys.stdout.flush()

    if args.buf is None:
        sys.path[:0] = [str(Path(__file__).resolve().parents[3] / "tools" / d) for d in ("course", "checks", "call")]
        import call  # tools/call/call.py: where make call finds buf
        try:
            args.buf = str(call.find_buf(args.deps_dir))
        except call.CallError as e:
            print(f"  FAIL  buf: {e}\n0 passed, 1 failed")
            return 1
    try:
        pb_pool = load_pb()
    except Failed as e:
        result(False, "gRPC's reflection.proto loads", e)
        print(f"{passed} passed, {failed} failed")
        return 1
    for spec in args.server:
        name, _, path = spec.partition("=")
        server = Server(name, path)
        try:
            addr = server.wait_listening()
            want = expected(name)
            for protocol in ("grpc-v1", "grpc-v1alpha"):
                try:
                    got = buf_methods(args.buf, addr, protocol)
                    result(got == want, f"{name}: buf curl --list-methods ({protocol})",
                           f"extra {sorted(got - want)}, missing {sorted(want - got)}")
                except Failed as e:
                    result(False, f"{name}: buf curl --list-methods ({protocol})", e)
            for version in ("v1", "v1alpha"):
                try:
                    python_client(pb_pool, addr, version, want)
                    result(True, f"{name}: Python grpcio reflection client ({version})")
                except Exception as e:  # grpc.RpcError, Failed, KeyError from the pool
                    result(False, f"{name}: Python grpcio reflection client ({version})", e)
        except Failed as e:
            result(False, f"{name}: server start", e)
        finally:
            rc = server.stop()
        result(rc == 0, f"{name}: exits 0 on SIGTERM", f"status {rc} (see {server.log_path})")
    step07 = [path for name, _, path in (s.partition("=") for s in args.server) if name == "step07"]
    if step07:
        try:
            call_with_auth(args.deps_dir, step07[0])
            result(True, "step07 with AUTH_TOKENS: make call needs a token for reflection, and sends it")
        except Failed as e:
            result(False, "step07 with AUTH_TOKENS: make call needs a token for reflection, and sends it", e)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
