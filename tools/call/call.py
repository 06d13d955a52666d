#!/usr/bin/env python3
"""call.py: call a running course server by hand, behind `make call`.

  call.py call [--method M] [--data D] [--addr A] [--timeout S]
      Call one method with `buf curl` and print the JSON response(s), or the
      gRPC status code and message. Without --method: the course's methods,
      each with a one-line example.
  call.py call --list [--addr A]
      What the server at A serves, asked through server reflection
      (`make call LIST=1`).
  call.py list
      The services and methods of the course protos, with their request
      messages (`make call-list`).

The schema comes from the server itself, through gRPC server reflection
(every course server turns it on: cg_server_enable_reflection), so no
.proto file is needed. The course protos (proto/ by default, --schema) give
the examples and the explanations of a refused request, and are the schema
for a server without reflection. buf comes from the npm package
@bufbuild/buf, installed by `make call-deps` into tools/call/node_modules.
Only the standard library is used.
"""

import argparse
import difflib
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ADDR = "127.0.0.1:50051"
DEFAULT_TIMEOUT = 10.0

# gRPC status codes, by number (grpc/impl/codegen/status.h).
CODES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
         "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
         "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
         "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]

# A sentence for the codes a newcomer meets first.
CODE_HINTS = {
    "INVALID_ARGUMENT": "the server refused the request as invalid: check DATA.",
    "NOT_FOUND": "the server did not find what the request names.",
    "UNKNOWN": "the server failed without saying why: look at the server's own output.",
    "INTERNAL": "the server hit an internal error: look at the server's own output.",
    "CANCELLED": "the call was cancelled before it finished.",
    "RESOURCE_EXHAUSTED": "the server (or a size limit) refused the call for lack of resources.",
}


class CallError(Exception):
    """A problem to explain to the learner; exit status 2 (or the one given:
    1 when the server is down or did not answer)."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status


def rel(path):
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def shell_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


# --------------------------------------------------------------------------
# buf


def find_buf(deps_dir):
    """The buf executable from @bufbuild/buf: the platform package's binary
    when it is there (no node start-up), else npm's `.bin/buf` launcher."""
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "aarch64", "arm64": "arm64",
            "armv7l": "armv7"}.get(machine, machine)
    system = platform.system().lower()
    if system == "linux" and arch == "arm64":
        arch = "aarch64"
    if system == "darwin" and arch == "aarch64":
        arch = "arm64"
    candidates = [deps_dir / "node_modules" / "@bufbuild" / f"buf-{system}-{arch}" / "bin" / "buf",
                  deps_dir / "node_modules" / ".bin" / "buf"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    raise CallError(
        f"buf is not installed in {rel(deps_dir / 'node_modules')}.\n"
        "  `make call` installs it by itself the first time (npm ci); to do it by hand:\n"
        "      make call-deps\n"
        "  It needs npm once (sudo apt-get install nodejs npm, or `make setup`).")


def check_locked_version(deps_dir):
    """Warn when node_modules holds another buf than package-lock.json pins."""
    try:
        lock = json.loads((deps_dir / "package-lock.json").read_text())
        want = lock["packages"]["node_modules/@bufbuild/buf"]["version"]
        have = json.loads((deps_dir / "node_modules/@bufbuild/buf/package.json").read_text())["version"]
    except (OSError, KeyError, ValueError):
        return
    if want != have:
        print(f"make call: note: {rel(deps_dir / 'node_modules')} has buf {have} but "
              f"package-lock.json pins {want}; reinstall with: "
              f"rm -rf {rel(deps_dir / 'node_modules')} && make call-deps", file=sys.stderr)


def buf_env(cache_dir):
    env = dict(os.environ)
    if cache_dir and "BUF_CACHE_DIR" not in env:
        env["BUF_CACHE_DIR"] = str(cache_dir)
    # Plain text from buf, no colour codes to parse around.
    env.setdefault("BUF_LOG_FORMAT", "text")
    return env


# --------------------------------------------------------------------------
# The schema, as buf compiles it


class Schema:
    """Services, methods and messages of the course protos, read from the
    FileDescriptorSet that `buf build` writes as JSON."""

    def __init__(self, files, schema_dir):
        self.schema_dir = schema_dir
        self.messages = {}   # ".pkg.Name" -> DescriptorProto (JSON)
        self.enums = {}      # ".pkg.Name" -> EnumDescriptorProto (JSON)
        self.services = []   # (full name, file name, ServiceDescriptorProto)
        for f in files:
            pkg = f.get("package", "")
            prefix = f".{pkg}" if pkg else ""
            for m in f.get("messageType", []):
                self._add_message(prefix, m)
            for e in f.get("enumType", []):
                self.enums[f"{prefix}.{e['name']}"] = e
            for s in f.get("service", []):
                full = f"{pkg}.{s['name']}" if pkg else s["name"]
                self.services.append((full, f["name"], s))

    def _add_message(self, prefix, m):
        name = f"{prefix}.{m['name']}"
        self.messages[name] = m
        for n in m.get("nestedType", []):
            self._add_message(name, n)
        for e in m.get("enumType", []):
            self.enums[f"{name}.{e['name']}"] = e

    def methods(self):
        """(service full name, service short name, method, file) in proto order."""
        for full, fname, s in self.services:
            for m in s.get("method", []):
                yield full, s["name"], m, fname

    def method(self, service_full, name):
        """The MethodDescriptorProto (JSON) of service_full/name, or None."""
        for full, _, m, _ in self.methods():
            if full == service_full and m["name"] == name:
                return m
        return None

    def entries(self):
        """(service full name, service short name, method name) of every method."""
        return [(full, short, m["name"]) for full, short, m, _ in self.methods()]

    def short_names_unique(self):
        shorts = [s["name"] for _, _, s in self.services]
        return len(shorts) == len(set(shorts))


def schema_or_none(buf, schema_dir, cache_dir):
    """The course protos compiled, or None when there are none (reflection
    alone then) or they do not compile."""
    if not schema_dir.is_dir() or not any(schema_dir.rglob("*.proto")):
        return None
    try:
        return load_schema(buf, schema_dir, cache_dir)
    except CallError:
        return None


def load_schema(buf, schema_dir, cache_dir):
    """The compiled schema; kept in cache_dir/schema.json until a .proto changes."""
    protos = sorted(schema_dir.rglob("*.proto"))
    key = [str(buf)] + [f"{p.relative_to(schema_dir)}:{p.stat().st_mtime_ns}:{p.stat().st_size}"
                        for p in protos]
    cache = cache_dir / "schema.json" if cache_dir else None
    if cache is not None:
        try:
            saved = json.loads(cache.read_text())
            if saved.get("key") == key:
                return Schema(saved["files"], schema_dir)
        except (OSError, ValueError, KeyError):
            pass
    cmd = [str(buf), "build", str(schema_dir), "-o", "-#format=json"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=buf_env(cache_dir), timeout=120)
    except subprocess.TimeoutExpired:
        raise CallError(f"`buf build {rel(schema_dir)}` took more than 2 minutes; giving up")
    if p.returncode != 0:
        raise CallError(f"the protos in {rel(schema_dir)} do not compile (buf build says):\n"
                        + indent(p.stderr.strip() or p.stdout.strip()))
    files = json.loads(p.stdout).get("file", [])
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps({"key": key, "files": files}))
            tmp.replace(cache)
        except OSError:
            pass
    return Schema(files, schema_dir)


def indent(text, pad="    "):
    return "\n".join(pad + ln for ln in text.splitlines())


# --------------------------------------------------------------------------
# Examples and descriptions, derived from the schema

SCALAR = {"TYPE_DOUBLE": "double", "TYPE_FLOAT": "float", "TYPE_INT64": "int64",
          "TYPE_UINT64": "uint64", "TYPE_INT32": "int32", "TYPE_FIXED64": "fixed64",
          "TYPE_FIXED32": "fixed32", "TYPE_BOOL": "bool", "TYPE_STRING": "string",
          "TYPE_BYTES": "bytes", "TYPE_UINT32": "uint32", "TYPE_SFIXED32": "sfixed32",
          "TYPE_SFIXED64": "sfixed64", "TYPE_SINT32": "sint32", "TYPE_SINT64": "sint64"}


def field_type(f):
    t = SCALAR.get(f["type"]) or f.get("typeName", "?").lstrip(".")
    return f"repeated {t}" if f.get("label") == "LABEL_REPEATED" else t


def kind_of(method):
    cs, ss = method.get("clientStreaming", False), method.get("serverStreaming", False)
    return {(False, False): "unary", (False, True): "server streaming",
            (True, False): "client streaming", (True, True): "bidirectional streaming"}[(cs, ss)]


def example_value(schema, f, n, depth):
    """A plausible value for field f; n numbers the messages of a stream (0 = a single message)."""
    t, name = f["type"], f["name"]
    if t == "TYPE_STRING":
        if name == "id":
            return f"test-{n}" if n else "test-123"
        if name.endswith("_id"):
            return str(n or 1)
        return f"my {name.replace('_', ' ')}" + (f" {n}" if n else "")
    if t == "TYPE_BOOL":
        return True
    if t in ("TYPE_DOUBLE", "TYPE_FLOAT"):
        return 1.5
    if t == "TYPE_BYTES":
        return "aGVsbG8="  # base64 of "hello": proto3 JSON writes bytes in base64
    if t == "TYPE_ENUM":
        values = schema.enums.get(f.get("typeName", ""), {}).get("value", [])
        nonzero = [v["name"] for v in values if v.get("number", 0) != 0]
        return nonzero[0] if nonzero else (values[0]["name"] if values else 0)
    if t == "TYPE_MESSAGE":
        type_name = f.get("typeName", "")
        sub = schema.messages.get(type_name)
        if sub is None or sub.get("options", {}).get("mapEntry") or depth > 2 \
                or type_name.startswith(".google.protobuf."):
            return None
        return example_message(schema, type_name, n, depth + 1)
    return n or 3  # the integer types


def example_message(schema, type_name, n=0, depth=0):
    msg = schema.messages.get(type_name, {})
    out, seen_oneofs = {}, set()
    for f in msg.get("field", []):
        if "oneofIndex" in f and not f.get("proto3Optional"):
            if f["oneofIndex"] in seen_oneofs:
                continue
            seen_oneofs.add(f["oneofIndex"])
        v = example_value(schema, f, n, depth)
        if v is None:
            continue
        out[f["name"]] = [v] if f.get("label") == "LABEL_REPEATED" else v
    return out


def example_data(schema, method):
    compact = lambda o: json.dumps(o, separators=(", ", ": "))
    if method.get("clientStreaming"):
        return " ".join(compact(example_message(schema, method["inputType"], i)) for i in (1, 2))
    return compact(example_message(schema, method["inputType"]))


def describe_message(schema, type_name):
    msg = schema.messages.get(type_name)
    if msg is None:
        return type_name.lstrip(".")
    fields = "; ".join(f"{field_type(f)} {f['name']} = {f['number']}" for f in msg.get("field", []))
    return f"{type_name.lstrip('.')} {{ {fields}{';' if fields else ''} }}"


def method_label(schema, service_full, service_short, method):
    svc = service_short if schema.short_names_unique() else service_full
    return f"{svc}/{method['name']}"


def print_examples(schema):
    print("make call: call a method of a running course server by hand (with buf curl).\n")
    print("  make call METHOD=<Service>/<Method> [DATA='<json>'] [ADDR=host:port]\n")
    print(f"ADDR defaults to {DEFAULT_ADDR}, DATA to '{{}}'. "
          f"Methods in {rel(schema.schema_dir)}/, one example each:\n")
    rows = [(method_label(schema, full, short, m), kind_of(m), example_data(schema, m))
            for full, short, m, _ in schema.methods()]
    width = max((len(r[0]) for r in rows), default=0)
    for label, kind, data in rows:
        print(f"  {label:<{width}}  {kind}")
        print(f"      make call METHOD={label} DATA={shell_quote(data)}")
    print("\nStreams of requests: put several JSON objects in DATA, or DATA=@file.json,"
          "\nor DATA=@- to type them one per line (Ctrl-D ends the stream)."
          "\n`make call-list` shows each method's request message; `make call LIST=1 "
          "[ADDR=host:port]`\nasks a running server what it serves (server reflection); "
          "docs/en/reference/calling-by-hand.md explains more.")


def print_list(schema):
    print(f"Services and methods in {rel(schema.schema_dir)}/ (as buf compiles them):")
    for full, fname, s in schema.services:
        print(f"\n{full}    ({rel(schema.schema_dir / fname)})")
        for m in s.get("method", []):
            cs = "stream " if m.get("clientStreaming") else ""
            ss = "stream " if m.get("serverStreaming") else ""
            sig = (f"rpc {m['name']}({cs}{m['inputType'].lstrip('.')}) "
                   f"returns ({ss}{m['outputType'].lstrip('.')})")
            print(f"  {sig}    [{kind_of(m)}]")
            print(f"      request: {describe_message(schema, m['inputType'])}")
    print("\nCall one: make call METHOD=<Service>/<Method> DATA='<json>' "
          "(`make call` alone prints an example for each).")


# --------------------------------------------------------------------------
# METHOD and ADDR


def label_of(entries, full, short, name):
    """Svc/Method when no other service is called Svc, else pkg.Svc/Method."""
    others = {f for f, sh, _ in entries if sh == short and f != full}
    return f"{full if others else short}/{name}"


def resolve_method(entries, text, where):
    """Finds METHOD among entries, (service full name, short name, method
    name) triples: accepts pkg.Svc/Method, Svc/Method, /pkg.Svc/Method,
    pkg.Svc.Method, Method (when only one service has it). Returns
    (service full name, method name); `where` names the entries' source
    in messages."""
    raw = text.strip()
    t = raw.strip("/")
    if "/" in t:
        svc, _, name = t.rpartition("/")
        svc = svc.strip("/")
    elif "." in t:
        svc, _, name = t.rpartition(".")
    else:
        svc, name = "", t
    matches = [(full, n) for full, short, n in entries
               if n == name and (not svc or svc in (full, short))]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise CallError(f"METHOD={raw} is ambiguous; say which service:\n"
                        + "\n".join(f"    METHOD={full}/{n}" for full, n in matches))
    raise CallError(no_such_method(entries, t, svc, name, where))


def no_such_method(entries, t, svc, name, where):
    """Why METHOD matched nothing, and what is close."""
    label = lambda e: label_of(entries, *e)
    svc_names = {n: full for full, short, _ in entries for n in (full, short)}
    services = list(dict.fromkeys((full, short) for full, short, _ in entries))
    if t in svc_names:
        methods = [label(e) for e in entries if e[0] == svc_names[t]]
        msg = f"{t} is a service; METHOD names one of its methods: " + ", ".join(methods)
    elif svc and svc not in svc_names:
        shorts = [label_of(entries, full, short, "")[:-1] for full, short in services]
        close = difflib.get_close_matches(svc.split(".")[-1], shorts, n=3, cutoff=0.5)
        msg = f"no service {svc} in {where}"
        if close:
            msg += "\n  Did you mean: " + ", ".join(close) + " ?"
        msg += "\n  Services there: " + ", ".join(shorts)
    else:
        in_svc = [e for e in entries if not svc or svc_names[svc] == e[0]]
        names = [e[2] for e in in_svc]
        close = set(difflib.get_close_matches(name, names, n=3, cutoff=0.5))
        close |= {n for n in names if n.lower() == name.lower()}
        msg = f"no method {name} in " + (f"service {svc_names[svc]}" if svc else where)
        if close:
            msg += "\n  Did you mean: " + ", ".join(label(e) for e in in_svc if e[2] in close) + " ?"
        elif svc:
            msg += "\n  Its methods: " + ", ".join(names)
    return msg + ("\n  `make call LIST=1` lists what a server serves; `make call` gives an example "
                  "for each course method.")


def resolve_addr(text):
    """ADDR as a URL for buf curl, and the host:port to name in messages."""
    a = (text or DEFAULT_ADDR).strip()
    scheme = "http"
    for prefix in ("http://", "https://"):
        if a.startswith(prefix):
            scheme, a = prefix[:-3], a[len(prefix):]
    for prefix in ("dns:///", "ipv4:", "ipv6:"):
        if a.startswith(prefix):
            a = a[len(prefix):]
    a = a.rstrip("/")
    if a.startswith("unix:"):
        return "http://localhost", a, a[len("unix:"):]
    if a.isdigit():
        a = "127.0.0.1:" + a
    elif a.startswith(":"):
        a = "127.0.0.1" + a
    # A server that listens on every address prints 0.0.0.0 or [::]: call it locally.
    if a.startswith("0.0.0.0:"):
        a = "127.0.0.1:" + a.split(":", 1)[1]
    elif a.startswith("[::]:"):
        a = "[::1]:" + a[len("[::]:"):]
    host, sep, port = a.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise CallError(f"ADDR={text} is not HOST:PORT (for example ADDR=127.0.0.1:50051)")
    return f"{scheme}://{a}", a, None


def start_server_hint(addr):
    lines = [f"no server at {addr} (connection refused).",
             "  Start one first, in another terminal, and call the address it prints"
             " (`listening on HOST:PORT`):"]
    steps = sorted(p for p in (ROOT / "steps").glob("*-server") if p.is_dir())
    for p in steps:
        lines.append(f"      make run -C {rel(p)}                (your server of step {p.name[:2]})")
        lines.append(f"      make run -C {rel(p)} SOLUTION=1     (the reference solution)")
    lines.append("      make -f mk/bench.mk bench-c && build/bench/c_bench_server --listen "
                 f"{addr if not addr.startswith('unix:') else '127.0.0.1:50051'}"
                 "   (a ready-made MyService)")
    lines.append("  Then: make call METHOD=... ADDR=HOST:PORT (the default is "
                 f"{DEFAULT_ADDR}).")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# The call


def parse_status(stderr):
    """buf curl prints a failed RPC's status as JSON on stderr: {"code": "...", "message": "..."}."""
    text = stderr.strip()
    start = text.find("{")
    while start != -1:
        try:
            obj, end = json.JSONDecoder().raw_decode(text[start:])
            if isinstance(obj, dict) and "code" in obj:
                return obj, (text[:start] + text[start + end:]).strip()
        except ValueError:
            pass
        start = text.find("{", start + 1)
    return None, text


def explain_failure(schema, method, text, data):
    """buf's own errors (exit status < 8): usage, JSON, files."""
    msg = text.strip()
    if msg.startswith("Failure: "):
        msg = msg[len("Failure: "):]
    if method is None:  # not in the course protos: nothing to explain it with
        return f"buf curl failed: {msg}"
    request = describe_message(schema, method["inputType"])
    example = example_data(schema, method)
    if "unknown field" in msg or "invalid value for" in msg:
        return (f"DATA does not fit the request message: {msg}\n"
                f"  The request is {request}\n  For example: DATA={shell_quote(example)}")
    if "accepts only a single request message" in msg:
        return (f"{method['name']} is {kind_of(method)}: it takes exactly one request message, "
                f"so DATA must hold one JSON object.\n  ({msg})\n  For example: DATA={shell_quote(example)}")
    if "'\\''" in msg or "invalid character '\\''" in msg or ("'" in data and "invalid character" in msg):
        return (f"DATA is not valid JSON: {msg}\n"
                "  JSON wants double quotes around names and strings; wrap the whole of DATA in "
                f"single quotes for the shell:\n      DATA={shell_quote(example)}")
    if "syntax error" in msg or "invalid character" in msg or "unexpected EOF" in msg \
            or "looking for beginning" in msg:
        return (f"DATA is not valid JSON: {msg}\n  The request is {request}\n"
                f"  For example: DATA={shell_quote(example)}")
    if "no such file" in msg.lower():
        return f"cannot read DATA: {msg}"
    return f"buf curl failed: {msg}"


def no_answer(addr, timeout):
    return (f"no answer from {addr} within {timeout:g} s (DEADLINE_EXCEEDED).\n"
            "  Is the server stuck, or is something other than a gRPC server listening there?\n"
            "  A slow call: give it longer with CALL_TIMEOUT=60 (0 = no limit).")


def buf_target(buf, url_base, unix_path, timeout):
    """The start of a buf curl command line for the server."""
    cmd = [str(buf), "curl", "--protocol", "grpc"]
    if url_base.startswith("http://"):
        cmd.append("--http2-prior-knowledge")
    if unix_path:
        cmd += ["--unix-socket", unix_path]
    if timeout > 0:
        cmd += ["--timeout", f"{timeout:g}s"]
    return cmd


def reflected_methods(args, buf, url_base, addr, unix_path, timeout):
    """What the server serves, asked through server reflection (`buf curl
    --list-methods`): (service full name, service short name, method name)
    triples, or None when the server has no reflection service."""
    # The headers of CALL_ARGS (an authorization token) go with the
    # reflection requests too: a server with auth may want them there.
    cmd = buf_target(buf, url_base, unix_path, timeout) + [
        "--reflect", "--reflect-header", "*", *shlex.split(args.extra or ""),
        "--list-methods", url_base]
    if args.verbose:
        print("  " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=buf_env(args.cache_dir),
                           timeout=(timeout or DEFAULT_TIMEOUT) + 10)
        err = p.stderr.strip()
    except subprocess.TimeoutExpired:
        p, err = None, "deadline exceeded"
    if p is not None and p.returncode == 0:
        out = []
        for line in p.stdout.split():
            svc, _, name = line.strip().rpartition("/")
            if svc and name:
                out.append((svc, svc.rsplit(".", 1)[-1], name))
        return out
    low = err.lower()
    if "grpc.reflection" in low and ("unimplemented" in low or "unknown" in low):
        return None
    if "unavailable" in low or "connection refused" in low:
        raise CallError(start_server_hint(addr), 1)
    if "deadline" in low:
        raise CallError(no_answer(addr, timeout), 1)
    if "not authenticated" in low or "unauthenticated" in low or "permission" in low:
        # buf words a refused reflection call as if its own registry refused it.
        raise CallError(f"the server at {addr} wants credentials even to say what it serves "
                        "(server reflection answered UNAUTHENTICATED or PERMISSION_DENIED).\n"
                        "  Send them with CALL_ARGS, for example:\n"
                        "      CALL_ARGS='-H \"authorization: Bearer <token>\"'", 1)
    raise CallError(f"could not ask {addr} what it serves (server reflection): "
                    + (err.removeprefix("Failure: ") or f"buf curl exited with {p.returncode}"), 1)


def print_served(args, buf, schema):
    """make call LIST=1: what the server at ADDR serves, by reflection."""
    url_base, addr, unix_path = resolve_addr(args.addr)
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    served = reflected_methods(args, buf, url_base, addr, unix_path, timeout)
    if served is None:
        raise CallError(f"the server at {addr} has no server reflection, so it cannot say what it "
                        "serves.\n  `make call-list` shows what the course protos declare.", 1)
    print(f"The server at {addr} serves (asked through server reflection):")
    last = None
    for full, short, name in served:
        if full != last:
            print(f"\n{full}")
            last = full
        m = schema.method(full, name) if schema else None
        if m is None:
            print(f"  {name}")
            continue
        label = label_of(served, full, short, name)
        print(f"  {name}    [{kind_of(m)}]")
        print(f"      make call METHOD={label} DATA={shell_quote(example_data(schema, m))}")
    print(f"\nCall one: make call METHOD=<Service>/<Method> DATA='<json>' ADDR={addr}")
    return 0


def pick_method(args, buf, schema, url_base, addr, unix_path, timeout):
    """(service, method name, use the course protos as schema?) for METHOD:
    from what the server serves when it has reflection; a method of the
    course protos that it does not serve is called anyway, through the
    protos, for the server's own answer (UNIMPLEMENTED)."""
    served = reflected_methods(args, buf, url_base, addr, unix_path, timeout)
    local = schema.entries() if schema else []
    if served is None:
        if schema is None:
            raise CallError(f"the server at {addr} has no server reflection, and there are no "
                            f".proto files in {rel(args.schema)} to call it with.")
        print(f"make call: note: the server at {addr} has no server reflection; "
              f"using the protos in {rel(schema.schema_dir)}/.", file=sys.stderr)
        where = f"the course protos ({rel(schema.schema_dir)}/)"
        return resolve_method(local, args.method, where) + (True,)
    try:
        return resolve_method(served, args.method, f"what the server at {addr} serves") + (False,)
    except CallError:
        try:
            return resolve_method(local, args.method, "the course protos") + (True,)
        except CallError:
            pass
        raise


def run_call(args, schema, buf):
    url_base, addr, unix_path = resolve_addr(args.addr)
    data = args.data if args.data not in (None, "") else "{}"
    timeout = args.timeout
    if timeout is None:
        # Typing a stream by hand (DATA=@-) takes as long as it takes.
        timeout = 0.0 if data == "@-" else DEFAULT_TIMEOUT
    service, name, by_protos = pick_method(args, buf, schema, url_base, addr, unix_path,
                                           timeout or DEFAULT_TIMEOUT)
    method = schema.method(service, name) if schema else None
    path = f"{service}/{name}"
    cmd = buf_target(buf, url_base, unix_path, timeout)
    if by_protos:
        cmd += ["--schema", str(schema.schema_dir)]
    else:
        cmd += ["--reflect", "--reflect-header", "*"]  # -H headers for reflection too
    cmd.append("--emit-defaults")
    extra = shlex.split(args.extra or "")
    tee_stderr = any(a in ("-v", "--verbose", "--debug") for a in extra)
    cmd += extra + [f"{url_base}/{path}", "-d", data]
    if args.verbose:
        print("  " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr)

    try:
        # Responses go straight to our stdout as they arrive (streams print
        # live); errors come on stderr, which we read to explain them.
        p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=buf_env(args.cache_dir))
        if tee_stderr:
            # buf -v: its trace (headers, trailers) as it happens.
            lines = []
            for line in p.stderr:
                sys.stderr.write(line)
                sys.stderr.flush()
                lines.append(line)
            p.wait()
            err = "".join(lines)
        else:
            _, err = p.communicate()
    except KeyboardInterrupt:
        p.wait()
        return 130
    rc = p.returncode
    if rc == 0:
        if err.strip() and not tee_stderr:
            sys.stderr.write(err)
        return 0
    if rc < 0:
        return 128 - rc
    status, rest = parse_status(err)
    if rc < 8 or status is None:
        if rest:
            print(f"make call: {explain_failure(schema, method, rest, data)}", file=sys.stderr)
        else:
            print(f"make call: buf curl exited with status {rc}", file=sys.stderr)
        return 2
    code = rc >> 3
    name = CODES[code] if code < len(CODES) else str(status.get("code", "")).upper()
    message = status.get("message", "")
    if name == "UNAVAILABLE" and "connection refused" in message:
        print(f"make call: {start_server_hint(addr)}", file=sys.stderr)
        return 1
    if name == "DEADLINE_EXCEEDED" and message == "context deadline exceeded":
        print(f"make call: {no_answer(addr, timeout)}", file=sys.stderr)
        return 1
    print(f"ERROR: {name} (code {code}): {message}", file=sys.stderr)
    for d in status.get("details", []) or []:
        print(f"  detail: {json.dumps(d)}", file=sys.stderr)
    if name == "UNIMPLEMENTED" and by_protos:
        print(f"  {path} is in the course protos, but the server at {addr} does not serve it.\n"
              "  Is that the server you meant, and does it register this service?", file=sys.stderr)
    elif name == "UNAVAILABLE":
        print(f"  Could not talk gRPC to {addr}: is a plain-text gRPC (HTTP/2) server listening there?",
              file=sys.stderr)
    elif name in CODE_HINTS:
        print(f"  ({CODE_HINTS[name]})", file=sys.stderr)
    return 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["call", "list"])
    ap.add_argument("--method", default="")
    ap.add_argument("--list", action="store_true",
                    help="what the server at --addr serves, through server reflection")
    ap.add_argument("--data", default=None)
    ap.add_argument("--addr", default="")
    ap.add_argument("--timeout", type=float, default=None,
                    help=f"seconds for the whole call (default {DEFAULT_TIMEOUT:g}; 0 = no limit; "
                         "no limit by default with --data @-)")
    ap.add_argument("--extra", default="", help="more buf curl flags, shell-quoted (e.g. '-v')")
    ap.add_argument("--schema", type=Path, default=ROOT / "proto")
    ap.add_argument("--deps-dir", type=Path, default=ROOT / "tools" / "call",
                    help="where package.json and node_modules are")
    ap.add_argument("--cache-dir", type=Path, default=ROOT / "build" / "call" / "buf-cache")
    ap.add_argument("--verbose", action="store_true", help="print the buf curl command line")
    args = ap.parse_args(argv)
    if args.timeout is not None and args.timeout < 0:
        args.timeout = 0.0
    try:
        buf = find_buf(args.deps_dir)
        check_locked_version(args.deps_dir)
        if args.command == "list" or (not args.method.strip() and not args.list):
            schema = load_schema(buf, args.schema.resolve(), args.cache_dir)
            if args.command == "list":
                print_list(schema)
            else:
                print_examples(schema)
            return 0
        schema = schema_or_none(buf, args.schema.resolve(), args.cache_dir)
        if args.list:
            return print_served(args, buf, schema)
        return run_call(args, schema, buf)
    except CallError as e:
        print(f"make call: {e}", file=sys.stderr)
        return e.status
    except BrokenPipeError:
        # `make call | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
