#!/usr/bin/env python3
"""make_corpus.py: writes the seed corpus of every fuzz target.

    python3 fuzz/make_corpus.py [--out fuzz/corpus [--regress tests/workspace/regress]]

Also writes the regression inputs (tests/workspace/regress/<target>/): the smallest
input that shows each bug the fuzzers found.

The seeds are valid (and a few deliberately broken) inputs, built here from
the course's messages so that a reader can see what each one is; the
fuzzers start from them and mutate. Re-running gives the same files byte
for byte (gzip without a timestamp), so the committed corpus can be checked
against this script. The input layouts are described at the top of each
fuzz_<target>.c and in fuzz/README.md.

The plugin's seeds are real CodeGeneratorRequests: protoc runs this very
script as a plugin (--plugin=protoc-gen-capture=...), and the script, seeing
FUZZ_CAPTURE_TO in its environment, saves the request it reads on stdin.
"""

import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# ---- protobuf wire format, enough for the course's messages ---------------


def varint(n):
    n &= (1 << 64) - 1  # negative int32/int64 go out as ten bytes
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(num, v):
    return varint(num << 3) + varint(v)


def f_bytes(num, b):
    if isinstance(b, str):
        b = b.encode()
    return varint(num << 3 | 2) + varint(len(b)) + b


def f_fixed32(num, v):
    return varint(num << 3 | 5) + v.to_bytes(4, "little")


def f_fixed64(num, v):
    return varint(num << 3 | 1) + v.to_bytes(8, "little")


def gzip_of(b):
    return gzip.compress(b, compresslevel=6, mtime=0)


def deflate_of(b):
    return zlib.compress(b, 6)  # zlib-wrapped deflate, as gRPC's "deflate"


# ---- the course's messages (proto/tutorial/v1/*.proto) ---------------------

# Index = the codec fuzzer's type byte.
TYPES = ["request", "response", "chat_message", "file_chunk", "upload_response",
         "stream_request", "notification", "get_user_request", "user"]

UNKNOWN = f_varint(15, 7) + f_bytes(16, "later") + f_fixed32(17, 1) + f_fixed64(18, 2)

SAMPLES = {
    "request": {
        "typical": f_bytes(1, "test-123") + f_varint(2, 42),
        "negative": f_bytes(1, "n") + f_varint(2, -1),
        "unicode": f_bytes(1, "사용자-1") + f_varint(2, 2147483647),
    },
    "response": {
        "typical": f_varint(1, 1) + f_bytes(2, "Processed: test-123"),
        "bool2": f_varint(1, 2) + f_bytes(2, ""),
    },
    "chat_message": {
        "typical": f_bytes(1, "user123") + f_bytes(2, "hello, room"),
        "duplicate": f_bytes(1, "first") + f_bytes(1, "last wins"),
    },
    "file_chunk": {
        "typical": f_bytes(1, "notes.txt") + f_bytes(2, b"\x00\x01\x02binary\xff"),
        "data-only": f_bytes(2, bytes(range(64))),
    },
    "upload_response": {
        "typical": f_varint(1, 1) + f_bytes(2, "cbf29ce484222325") + f_varint(3, 123456789012),
        "negative-size": f_varint(3, -5),
    },
    "stream_request": {
        "typical": f_bytes(1, "1") + f_varint(2, 5),
        "max": f_bytes(1, "2") + f_varint(2, 1001),
    },
    "notification": {
        "typical": f_bytes(1, "n-1") + f_bytes(2, "1") + f_bytes(3, "Notification 1 for 1")
        + f_varint(4, 1),
    },
    "get_user_request": {
        "typical": f_bytes(1, "1"),
        "unknown-user": f_bytes(1, "404"),
    },
    "user": {
        "typical": f_bytes(1, "1") + f_bytes(2, "Alice") + f_bytes(3, "alice@example.com")
        + f_varint(4, 2),
        "unknown-role": f_bytes(1, "9") + f_varint(4, 77),
    },
}

# ---- codec seeds -----------------------------------------------------------

ONE_SLICE, MANY_SLICES, HARNESS_GZIP, HARNESS_DEFLATE, RAW_GZIP, RAW_DEFLATE = range(6)
ARENA = 8


def codec_seeds():
    seeds = {}
    for idx, name in enumerate(TYPES):
        t = bytes([idx])
        samples = SAMPLES[name]
        typical = samples["typical"]
        seeds[f"{name}-empty"] = t + bytes([ONE_SLICE])
        seeds[f"{name}-typical"] = t + bytes([ONE_SLICE]) + typical
        seeds[f"{name}-typical-arena"] = t + bytes([ONE_SLICE | ARENA]) + typical
        # Slices of 3 bytes: (3 - 1) << 4.
        seeds[f"{name}-typical-slices3"] = t + bytes([MANY_SLICES | 2 << 4]) + typical
        seeds[f"{name}-unknown-fields"] = t + bytes([ONE_SLICE]) + typical + UNKNOWN
        for label, data in samples.items():
            if label != "typical":
                seeds[f"{name}-{label}"] = t + bytes([ONE_SLICE]) + data
    # Compression, the cut-short and the malformed, on Request and User.
    for idx, name in ((0, "request"), (8, "user")):
        t = bytes([idx])
        typical = SAMPLES[name]["typical"]
        seeds[f"{name}-harness-gzip"] = t + bytes([HARNESS_GZIP]) + typical
        seeds[f"{name}-harness-deflate-arena"] = t + bytes([HARNESS_DEFLATE | ARENA]) + typical
        seeds[f"{name}-gzip-data"] = t + bytes([RAW_GZIP]) + gzip_of(typical)
        seeds[f"{name}-deflate-data"] = t + bytes([RAW_DEFLATE]) + deflate_of(typical)
        seeds[f"{name}-truncated"] = t + bytes([ONE_SLICE]) + typical[:-1]
        seeds[f"{name}-length-past-end"] = t + bytes([ONE_SLICE]) + f_bytes(1, "x")[:1] + b"\x7f" + b"x"
        seeds[f"{name}-wrong-wire-type"] = t + bytes([ONE_SLICE]) + varint(1 << 3 | 0) + varint(5)
        seeds[f"{name}-group-wire-type"] = t + bytes([ONE_SLICE]) + varint(20 << 3 | 3) + varint(20 << 3 | 4)
        seeds[f"{name}-long-varint"] = t + bytes([ONE_SLICE]) + b"\x10" + b"\xff" * 10 + b"\x01"
    return seeds


# ---- server seeds ------------------------------------------------------------

UNARY, SERVER_STREAM, CLIENT_STREAM, BIDI, UNKNOWN_METHOD = range(5)
ENC = {"none": 0, "identity": 1, "gzip": 2, "deflate": 3}
TIMEOUT = {"none": 0, "30S": 1 << 2, "1m": 2 << 2, "100u": 3 << 2}
END = {"end": 0, "empty-end": 1 << 4, "cancel": 2 << 4, "cancel-after-first": 3 << 4}
FRAMED = 1 << 6
INTERLEAVE = 1 << 7


def frame(msg, compressed=False):
    return bytes([1 if compressed else 0]) + len(msg).to_bytes(4, "big") + msg


def request(id_, value=0):
    return (f_bytes(1, id_) if id_ else b"") + (f_varint(2, value) if value else b"")


def chunk(msg, compressed=False):
    """One chunk of the server fuzzer's framed mode: [flags][len][bytes]."""
    assert len(msg) < 256
    return bytes([1 if compressed else 0, len(msg)]) + msg


def server_seeds():
    s = {}

    def put(name, method, opts, payload, frame_size=0):
        s[name] = bytes([method, opts, frame_size]) + payload

    ok = request("test-123", 42)
    put("unary-ok", UNARY, 0, frame(ok))
    put("unary-ok-framed", UNARY, FRAMED, chunk(ok))
    put("unary-empty-message", UNARY, 0, frame(b""))
    put("unary-empty-id", UNARY, 0, frame(request("", 7)))
    put("unary-no-message", UNARY, 0, b"")
    put("unary-two-messages", UNARY, 0, frame(ok) + frame(ok))
    put("unary-truncated-prefix", UNARY, 0, frame(ok)[:3])
    put("unary-truncated-body", UNARY, 0, frame(ok)[:-2])
    put("unary-length-too-big", UNARY, 0, b"\x00\x7f\xff\xff\xff" + ok)
    put("unary-over-limit", UNARY, 0, frame(request("x" * 1100)))
    put("unary-malformed-protobuf", UNARY, 0, frame(b"\x0a\x7fshort"))
    put("unary-compressed-flag-no-encoding", UNARY, 0, frame(ok, compressed=True))
    put("unary-gzip", UNARY, ENC["gzip"], frame(gzip_of(ok), compressed=True))
    put("unary-deflate-framed", UNARY, ENC["deflate"] | FRAMED, chunk(ok, compressed=True))
    put("unary-gzip-bad-data", UNARY, ENC["gzip"], frame(b"not gzip at all", compressed=True))
    put("unary-identity-uncompressed", UNARY, ENC["identity"], frame(ok))
    put("unary-flag-2", UNARY, 0, b"\x02" + frame(ok)[1:])
    put("unary-timeout-30s", UNARY, TIMEOUT["30S"], frame(ok))
    put("unary-timeout-1ms", UNARY, TIMEOUT["1m"], frame(ok))
    put("unary-cancel", UNARY, END["cancel"], frame(ok))
    put("unary-empty-end", UNARY, END["empty-end"], frame(ok))
    put("unary-split-frames", UNARY, 0, frame(ok), frame_size=3)

    put("server-stream-3", SERVER_STREAM, 0, frame(request("s", 3)))
    put("server-stream-0", SERVER_STREAM, 0, frame(request("s", 0)))
    put("server-stream-negative", SERVER_STREAM, 0, frame(request("s", -1)))
    put("server-stream-too-many", SERVER_STREAM, 0, frame(request("s", 10001)))
    put("server-stream-cancel-after-first", SERVER_STREAM, END["cancel-after-first"],
        frame(request("s", 10000)))
    put("server-stream-timeout-100us", SERVER_STREAM, TIMEOUT["100u"], frame(request("s", 50)))
    put("server-stream-framed", SERVER_STREAM, FRAMED, chunk(request("s", 2)))

    three = frame(request("a", 1)) + frame(request("b", 2)) + frame(request("c", 3))
    put("client-stream-3", CLIENT_STREAM, 0, three)
    put("client-stream-none", CLIENT_STREAM, 0, b"")
    put("client-stream-empty-id", CLIENT_STREAM, 0, frame(request("a", 1)) + frame(request("")))
    put("client-stream-cancel", CLIENT_STREAM, END["cancel"], three)
    put("client-stream-truncated-last", CLIENT_STREAM, 0, three[:-1])
    put("client-stream-malformed-second", CLIENT_STREAM, 0,
        frame(request("a", 1)) + frame(b"\xff\xff"))
    put("client-stream-framed-3", CLIENT_STREAM, FRAMED,
        chunk(request("a", 1)) + chunk(request("b", 2)) + chunk(request("c", 3)))
    put("client-stream-gzip-framed", CLIENT_STREAM, ENC["gzip"] | FRAMED,
        chunk(request("a", 1), compressed=True) + chunk(request("b", 2)))
    put("client-stream-split-frames", CLIENT_STREAM, 0, three, frame_size=7)
    put("client-stream-over-limit", CLIENT_STREAM, 0, frame(request("y" * 1100)))

    put("bidi-3", BIDI, 0, three)
    put("bidi-3-interleaved", BIDI, INTERLEAVE, three, frame_size=len(frame(request("a", 1))))
    put("bidi-empty-id", BIDI, 0, frame(request("a")) + frame(request("")) + frame(request("b")))
    put("bidi-cancel-after-first", BIDI, END["cancel-after-first"], three)
    put("bidi-none", BIDI, END["empty-end"], b"")
    put("bidi-framed-deflate", BIDI, FRAMED | ENC["deflate"],
        chunk(request("z", 1), compressed=True) + chunk(request("y", 2), compressed=True))
    put("bidi-timeout-1ms", BIDI, TIMEOUT["1m"], three)

    put("unknown-method", UNKNOWN_METHOD, 0, frame(ok))
    put("unknown-method-cancel", UNKNOWN_METHOD, END["cancel"], b"")
    return s


# ---- plugin seeds: requests captured from protoc ---------------------------

CAPTURE_ENV = "FUZZ_CAPTURE_TO"


def capture_main():
    """Runs as protoc's plugin: save the request, answer with no files."""
    data = sys.stdin.buffer.read()
    Path(os.environ[CAPTURE_ENV]).write_bytes(data)
    # An empty CodeGeneratorResponse is zero bytes.
    return 0


def plugin_seeds(tmp):
    course = ROOT / "proto"
    tests = ROOT / "tests" / "workspace" / "plugin" / "protos"
    grpc_proto = Path("/usr/share/grpc-proto")
    runs = []
    for p in sorted((course / "tutorial" / "v1").glob("*.proto")):
        runs.append((f"course-{p.stem}", [course], [p.relative_to(course)], None))
    runs.append(("course-all", [course],
                 [p.relative_to(course) for p in sorted((course / "tutorial" / "v1").glob("*.proto"))],
                 None))
    runs.append(("course-my-service-with-option", [course], ["tutorial/v1/my_service.proto"], "fast"))
    for rel in ["echo.proto", "deep/deep.proto", "shop/v1/shop.proto", "legacy/legacy.proto"]:
        runs.append((f"golden-{Path(rel).stem}", [tests], [rel], None))
    for p in sorted((tests / "errors").glob("*.proto")):
        runs.append((f"error-{p.stem}", [tests], [p.relative_to(tests)], None))
    if (grpc_proto / "grpc/health/v1/health.proto").exists():
        runs.append(("grpc-health", [grpc_proto], ["grpc/health/v1/health.proto"], None))

    seeds = {}
    me = Path(__file__).resolve()
    for name, incs, files, param in runs:
        out = Path(tmp) / name
        outdir = Path(tmp) / (name + ".d")
        outdir.mkdir()
        target = f"{param}:{outdir}" if param else str(outdir)
        cmd = ["protoc", f"--plugin=protoc-gen-capture={me}", f"--capture_out={target}"]
        cmd += [f"-I{i}" for i in incs] + ["-I/usr/include"] + [str(f) for f in files]
        env = dict(os.environ, **{CAPTURE_ENV: str(out)})
        # protoc may still fail after the capture (e.g. proto3 optional,
        # which an empty response does not declare): the request is saved.
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not out.exists():
            sys.exit(f"make_corpus: protoc did not run the capture plugin for {name}: {' '.join(cmd)}")
        seeds[name] = drop_file(out.read_bytes(), "google/protobuf/descriptor.proto")
    return seeds


def read_varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def drop_file(req, name):
    """The request without the FileDescriptorProto of `name`.

    protoc sends every file a request depends on; descriptor.proto (reached
    through protobuf-c.proto's options) is 50 KB the plugin only indexes.
    Without it seeds stay small and fast, and nothing the plugin checks is
    lost: it never needs the options' own definitions."""
    out = bytearray()
    i = 0
    while i < len(req):
        start = i
        key, i = read_varint(req, i)
        wire = key & 7
        if wire == 0:
            _, i = read_varint(req, i)
        elif wire == 2:
            n, i = read_varint(req, i)
            body = req[i:i + n]
            i += n
            if key >> 3 == 15 and f_bytes(1, name) in body[:len(name) + 4]:
                continue  # proto_file = 15, its name = field 1, first
        else:
            sys.exit(f"make_corpus: unexpected wire type {wire} in a request")
        out += req[start:i]
    return bytes(out)


# ---- regression inputs: what the fuzzers found ------------------------------
#
# One small input per bug, written to tests/workspace/regress/<target>/; `make test`
# replays them (test-fuzz-replay) next to the seeds. Each shows its bug in
# the fewest bytes, built from the message definitions so it can be read.


def plugin_request(file_fields, syntax="proto3"):
    """A CodeGeneratorRequest for one file x.proto (package x) whose
    FileDescriptorProto has these extra fields (already encoded)."""
    fdp = f_bytes(1, "x.proto") + f_bytes(2, "x") + file_fields + f_bytes(12, syntax)
    return f_bytes(1, "x.proto") + f_bytes(15, fdp)


def message(name, *parts):
    return f_bytes(4, (f_bytes(1, name) if name else b"") + b"".join(parts))


def service(name, *methods):
    return f_bytes(6, (f_bytes(1, name) if name else b"") + b"".join(methods))


def method(name, inp=".x.M", out=".x.M"):
    return f_bytes(2, (f_bytes(1, name) if name else b"") + f_bytes(2, inp) + f_bytes(3, out))


def field(name, number, *extra):
    # label 1 = optional, type 9 = string
    return f_bytes(2, (f_bytes(1, name) if name else b"") + f_varint(3, number)
                   + f_varint(4, 1) + f_varint(5, 9) + b"".join(extra))


def regressions():
    plugin = {
        # protoc always names services, methods, fields and oneofs; the plugin
        # made C names from them without looking (strlen(NULL) in names.c).
        "service-without-name": plugin_request(message("M") + service(None, method("Get"))),
        "method-without-name": plugin_request(message("M") + service("S", method(None))),
        "field-with-default-without-name": plugin_request(
            message("M", field(None, 1, f_bytes(7, "d"))) + service("S", method("Get")),
            syntax="proto2"),
        "oneof-without-name": plugin_request(
            message("M", field("a", 1, f_varint(9, 0)), f_bytes(8, b""))
            + service("S", method("Get"))),
    }
    codec = {
        # protobuf-c 1.4.1 takes field number 0 written in two bytes (80 00)
        # as an unknown field, packs it as 00 and then refuses its own bytes.
        # The codec target must not flag it (a protobuf-c bug, README.md).
        "protobuf-c-tag-zero": bytes([7, ONE_SLICE]) + b"\x80\x00\x02",
    }
    return {"plugin": plugin, "codec": codec}


# ---- writing ---------------------------------------------------------------


def write(dirpath, seeds):
    if dirpath.exists():
        shutil.rmtree(dirpath)
    dirpath.mkdir(parents=True)
    for name, data in sorted(seeds.items()):
        (dirpath / name).write_bytes(data)
    return len(seeds)


def main(argv):
    if CAPTURE_ENV in os.environ:
        return capture_main()
    out = ROOT / "fuzz" / "corpus"
    if len(argv) >= 2 and argv[0] == "--out":
        out = Path(argv[1]).resolve()
    counts = {"codec": write(out / "codec", codec_seeds()),
              "server": write(out / "server", server_seeds())}
    with tempfile.TemporaryDirectory() as tmp:
        counts["plugin"] = write(out / "plugin", plugin_seeds(tmp))
    for target, n in counts.items():
        print(f"  SEED {n:3d} inputs in {shown(out / target)}")
    regress = ROOT / "tests" / "workspace" / "regress"
    if len(argv) >= 4 and argv[2] == "--regress":
        regress = Path(argv[3]).resolve()
    for target, inputs in regressions().items():
        n = write(regress / target, inputs)
        print(f"  SEED {n:3d} inputs in {shown(regress / target)}")
    return 0


def shown(path):
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
