#!/usr/bin/python3
"""Checks that a MyService server answers all four methods correctly.

Usage: /usr/bin/python3 bench/check_service.py 127.0.0.1:PORT

A second, independent client next to run_bench.py's nghttp checks: Debian's
grpcio (python3-grpcio, installed for /usr/bin/python3) with generic
byte-level calls, so no generated Python code is needed. Messages are
encoded and decoded by hand and compared byte for byte. Exit status 0 when
every check passes, 1 on a wrong answer, 3 when grpcio is not installed.
"""
import sys

try:
    import grpc
except ImportError:
    print("grpcio is not installed for", sys.executable, "(apt-get install python3-grpcio)")
    sys.exit(3)

SERVICE = "/tutorial.v1.MyService/"
TIMEOUT = 10.0


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


def request(id_, value=0):
    """tutorial.v1.Request{id=1 string, value=2 int32}, proto3 encoding."""
    out = b""
    if id_:
        raw = id_.encode()
        out += b"\x0a" + varint(len(raw)) + raw
    if value:
        out += b"\x10" + varint(value)
    return out


def response(message, success=True):
    """tutorial.v1.Response{success=1 bool, message=2 string}."""
    out = b"\x08\x01" if success else b""
    if message:
        raw = message.encode()
        out += b"\x12" + varint(len(raw)) + raw
    return out


class Failed(Exception):
    pass


def expect(what, got, want):
    if got != want:
        raise Failed(f"{what}: expected {want!r}, got {got!r}")


def expect_error(what, fn, code, details):
    try:
        got = fn()
    except grpc.RpcError as e:
        expect(what + " (status)", e.code(), code)
        expect(what + " (message)", e.details(), details)
        return
    raise Failed(f"{what}: expected {code.name}, got a response {got!r}")


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2])
        return 2
    target = sys.argv[1]
    with grpc.insecure_channel(target) as ch:
        grpc.channel_ready_future(ch).result(timeout=TIMEOUT)
        unary = ch.unary_unary(SERVICE + "UnaryCall")
        sstream = ch.unary_stream(SERVICE + "ServerStream")
        cstream = ch.stream_unary(SERVICE + "ClientStream")
        bidi = ch.stream_stream(SERVICE + "BidirectionalStream")
        try:
            expect("UnaryCall", unary(request("check-1", 7), timeout=TIMEOUT),
                   response("Processed: check-1"))
            long_id = "k" * 1024
            expect("UnaryCall 1 KiB id", unary(request(long_id), timeout=TIMEOUT),
                   response("Processed: " + long_id))
            expect_error("UnaryCall empty id", lambda: unary(request(""), timeout=TIMEOUT),
                         grpc.StatusCode.INVALID_ARGUMENT, "id is required")
            expect("ServerStream value=5", list(sstream(request("s", 5), timeout=TIMEOUT)),
                   [response(f"Processed: s #{i}") for i in range(1, 6)])
            expect("ServerStream value=0", list(sstream(request("s", 0), timeout=TIMEOUT)), [])
            expect_error("ServerStream empty id",
                         lambda: list(sstream(request("", 3), timeout=TIMEOUT)),
                         grpc.StatusCode.INVALID_ARGUMENT, "id is required")
            expect("ClientStream 3 requests",
                   cstream(iter([request("a"), request("b"), request("c")]), timeout=TIMEOUT),
                   response("Received: 3"))
            expect("ClientStream 0 requests", cstream(iter([]), timeout=TIMEOUT),
                   response("Received: 0"))
            expect_error("ClientStream empty id",
                         lambda: cstream(iter([request("a"), request("")]), timeout=TIMEOUT),
                         grpc.StatusCode.INVALID_ARGUMENT, "id is required")
            expect("BidirectionalStream echo",
                   list(bidi(iter([request("x"), request("yy"), request("zzz")]),
                             timeout=TIMEOUT)),
                   [response("x"), response("yy"), response("zzz")])
        except Failed as e:
            print("FAIL", e)
            return 1
        except grpc.RpcError as e:
            print(f"FAIL unexpected status {e.code().name}: {e.details()}")
            return 1
    print("ok: UnaryCall, ServerStream, ClientStream, BidirectionalStream, errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
