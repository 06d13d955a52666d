"""Interop client on Python grpcio: runs gRPC's standard interop cases against a
grpc.testing.TestService server.

    /usr/bin/python3 interop_client.py --server_host=127.0.0.1 --server_port=PORT \
        --test_case=large_unary

Exits 0 when the case passed; otherwise prints `FAIL <case>: wanted ..., got ...`
on stderr and exits 1. --test_case takes a comma-separated list, or `all`.
The facts of each case (sizes, keys, codes) are those of gRPC's
doc/interop-test-descriptions.md.
"""

import argparse
import faulthandler
import queue
import signal
import sys
import time

import grpc

from interop_pb import empty, messages, services

ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")
SPECIAL_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"


class Failure(Exception):
    pass


def expect_eq(what, got, want):
    if got != want:
        raise Failure(f"{what}: wanted {want!r}, got {got!r}")


def expect_zeros(what, body, size):
    expect_eq(f"{what} size", len(body), size)
    if body.count(0) != size:
        raise Failure(f"{what}: wanted {size} zero bytes, got non-zero bytes")


def zeros(size):
    return messages.Payload(body=bytes(size))


def md_value(metadata, key):
    for k, v in metadata or ():
        if k == key:
            return v
    return None


def expect_error(what, call_or_error, code, details=None):
    """call_or_error: a finished call or an RpcError; checks its status."""
    expect_eq(f"{what} status code", call_or_error.code(), code)
    if details is not None:
        expect_eq(f"{what} status message", call_or_error.details(), details)


class Pipe:
    """A request iterator fed one message at a time, for bidi calls in which
    the client waits for a response before it sends the next request."""

    _END = object()

    def __init__(self):
        self._q = queue.Queue()

    def add(self, msg):
        self._q.put(msg)

    def close(self):
        self._q.put(self._END)

    def __iter__(self):
        return self

    def __next__(self):
        msg = self._q.get()
        if msg is self._END:
            raise StopIteration
        return msg


class Cases:
    def __init__(self, channel, timeout):
        self.stub = services.TestServiceStub(channel)
        self.other = services.UnimplementedServiceStub(channel)
        self.t = timeout

    def empty_unary(self):
        resp = self.stub.EmptyCall(empty.Empty(), timeout=self.t)
        expect_eq("response type", type(resp), empty.Empty)

    def large_unary(self):
        req = messages.SimpleRequest(response_size=314159, payload=zeros(271828))
        resp = self.stub.UnaryCall(req, timeout=self.t)
        expect_zeros("response payload", resp.payload.body, 314159)

    def client_streaming(self):
        reqs = [messages.StreamingInputCallRequest(payload=zeros(n)) for n in (27182, 8, 1828, 45904)]
        resp = self.stub.StreamingInputCall(iter(reqs), timeout=self.t)
        expect_eq("aggregated_payload_size", resp.aggregated_payload_size, 74922)

    def server_streaming(self):
        sizes = [31415, 9, 2653, 58979]
        req = messages.StreamingOutputCallRequest(
            response_parameters=[messages.ResponseParameters(size=n) for n in sizes])
        got = list(self.stub.StreamingOutputCall(req, timeout=self.t))
        expect_eq("response sizes", [len(r.payload.body) for r in got], sizes)
        for i, r in enumerate(got):
            expect_zeros(f"response {i + 1}", r.payload.body, sizes[i])

    def ping_pong(self):
        pipe = Pipe()
        call = self.stub.FullDuplexCall(pipe, timeout=self.t)
        try:
            for req_size, resp_size in ((27182, 31415), (8, 9), (1828, 2653), (45904, 58979)):
                pipe.add(messages.StreamingOutputCallRequest(
                    response_parameters=[messages.ResponseParameters(size=resp_size)],
                    payload=zeros(req_size)))
                resp = next(call, None)
                if resp is None:
                    raise Failure(f"wanted a response of {resp_size} bytes, got the end of the stream")
                expect_zeros("response payload", resp.payload.body, resp_size)
        finally:
            pipe.close()
        expect_eq("responses after half-close", len(list(call)), 0)

    def empty_stream(self):
        got = list(self.stub.FullDuplexCall(iter(()), timeout=self.t))
        expect_eq("number of responses", len(got), 0)

    def cancel_after_begin(self):
        pipe = Pipe()
        fut = self.stub.StreamingInputCall.future(pipe, timeout=self.t)
        fut.cancel()
        pipe.close()
        expect_eq("status code", fut.code(), grpc.StatusCode.CANCELLED)

    def cancel_after_first_response(self):
        pipe = Pipe()
        call = self.stub.FullDuplexCall(pipe, timeout=self.t)
        pipe.add(messages.StreamingOutputCallRequest(
            response_parameters=[messages.ResponseParameters(size=31415)], payload=zeros(27182)))
        try:
            resp = next(call)
            expect_eq("first response size", len(resp.payload.body), 31415)
            call.cancel()
        finally:
            pipe.close()
        expect_eq("status code", call.code(), grpc.StatusCode.CANCELLED)

    def timeout_on_sleeping_server(self):
        pipe = Pipe()
        call = self.stub.FullDuplexCall(pipe, timeout=0.001)
        pipe.add(messages.StreamingOutputCallRequest(payload=zeros(27182)))
        try:
            got = list(call)
            raise Failure(f"wanted DEADLINE_EXCEEDED, got {len(got)} responses and OK")
        except grpc.RpcError as e:
            expect_error("call", e, grpc.StatusCode.DEADLINE_EXCEEDED)
        finally:
            pipe.close()

    def _echo_status(self, message):
        status = messages.EchoStatus(code=2, message=message)
        try:
            self.stub.UnaryCall(messages.SimpleRequest(response_status=status), timeout=self.t)
            raise Failure("UnaryCall: wanted status UNKNOWN, got OK")
        except grpc.RpcError as e:
            expect_error("UnaryCall", e, grpc.StatusCode.UNKNOWN, message)
        return status

    def status_code_and_message(self):
        status = self._echo_status("test status message")
        call = self.stub.FullDuplexCall(
            iter([messages.StreamingOutputCallRequest(response_status=status)]), timeout=self.t)
        try:
            list(call)
            raise Failure("FullDuplexCall: wanted status UNKNOWN, got OK")
        except grpc.RpcError as e:
            expect_error("FullDuplexCall", e, grpc.StatusCode.UNKNOWN, status.message)

    def special_status_message(self):
        self._echo_status(SPECIAL_MESSAGE)

    def unimplemented_method(self):
        try:
            self.stub.UnimplementedCall(empty.Empty(), timeout=self.t)
            raise Failure("wanted UNIMPLEMENTED, got OK")
        except grpc.RpcError as e:
            expect_error("call", e, grpc.StatusCode.UNIMPLEMENTED)

    def unimplemented_service(self):
        try:
            self.other.UnimplementedCall(empty.Empty(), timeout=self.t)
            raise Failure("wanted UNIMPLEMENTED, got OK")
        except grpc.RpcError as e:
            expect_error("call", e, grpc.StatusCode.UNIMPLEMENTED)

    def custom_metadata(self):
        md = (ECHO_INITIAL, ECHO_TRAILING)

        def check(what, call):
            expect_eq(f"{what} header {ECHO_INITIAL[0]}",
                      md_value(call.initial_metadata(), ECHO_INITIAL[0]), ECHO_INITIAL[1])
            expect_eq(f"{what} trailer {ECHO_TRAILING[0]}",
                      md_value(call.trailing_metadata(), ECHO_TRAILING[0]), ECHO_TRAILING[1])

        req = messages.SimpleRequest(response_size=314159, payload=zeros(271828))
        resp, call = self.stub.UnaryCall.with_call(req, metadata=md, timeout=self.t)
        expect_eq("UnaryCall response size", len(resp.payload.body), 314159)
        check("UnaryCall", call)

        req = messages.StreamingOutputCallRequest(
            response_parameters=[messages.ResponseParameters(size=314159)], payload=zeros(271828))
        call = self.stub.FullDuplexCall(iter([req]), metadata=md, timeout=self.t)
        expect_eq("FullDuplexCall response sizes", [len(r.payload.body) for r in call], [314159])
        check("FullDuplexCall", call)


CASE_NAMES = [n for n in vars(Cases) if not n.startswith("_")]


def main():
    # The harness sends SIGUSR1 to a client that outlives its time: say where
    # every thread is before it is killed.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server_host", default="127.0.0.1")
    ap.add_argument("--server_port", type=int, required=True)
    ap.add_argument("--test_case", required=True, help="a case name, a comma-separated list, or all")
    ap.add_argument("--timeout", type=float, default=5.0, help="deadline of each call in seconds")
    args = ap.parse_args()

    names = CASE_NAMES if args.test_case == "all" else args.test_case.split(",")
    unknown = [n for n in names if n not in CASE_NAMES]
    if unknown:
        sys.exit(f"interop_client.py: unknown test case {', '.join(unknown)}; known: {', '.join(CASE_NAMES)}")

    failed = 0
    with grpc.insecure_channel(f"{args.server_host}:{args.server_port}") as channel:
        cases = Cases(channel, args.timeout)
        for name in names:
            t0 = time.monotonic()
            try:
                getattr(cases, name)()
                print(f"PASS {name} ({(time.monotonic() - t0) * 1000:.0f} ms)")
            except Failure as e:
                failed += 1
                print(f"FAIL {name}: {e}", file=sys.stderr)
            except grpc.RpcError as e:
                failed += 1
                print(f"FAIL {name}: unexpected status {e.code().name}: {e.details()}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
