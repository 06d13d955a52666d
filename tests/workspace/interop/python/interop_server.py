"""grpc.testing.TestService on Python grpcio: the peer server of the interop tests.

Implements the server features of gRPC's interop test descriptions that the
cases of run_interop.py need: EmptyCall, UnaryCall, StreamingInputCall,
StreamingOutputCall, FullDuplexCall, Echo Status and Echo Metadata (not
compression, caching or interval_us). UnimplementedCall is left unimplemented
on purpose: the base servicer answers UNIMPLEMENTED.

    /usr/bin/python3 interop_server.py --port=0

prints `listening on 127.0.0.1:PORT` once it accepts calls, and exits 0 on
SIGTERM or SIGINT.
"""

import argparse
import signal
import sys
import threading
from concurrent import futures

import grpc

from interop_pb import empty, messages, services

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"

# grpc.StatusCode by its numeric value, for Echo Status.
CODES = {c.value[0]: c for c in grpc.StatusCode}


def zeros(size):
    return messages.Payload(body=bytes(size))


def echo_metadata(context):
    """Echo Metadata: send the two test keys back as header and trailer."""
    sent = dict(context.invocation_metadata())
    if ECHO_INITIAL in sent:
        context.send_initial_metadata(((ECHO_INITIAL, sent[ECHO_INITIAL]),))
    if ECHO_TRAILING in sent:
        context.set_trailing_metadata(((ECHO_TRAILING, sent[ECHO_TRAILING]),))


def echo_status(request, context):
    """Echo Status: end the call with the status the client asked for."""
    if request.HasField("response_status") and request.response_status.code != 0:
        st = request.response_status
        context.abort(CODES.get(st.code, grpc.StatusCode.UNKNOWN), st.message)


def respond(params):
    for p in params:
        yield messages.StreamingOutputCallResponse(payload=zeros(p.size))


class TestService(services.TestServiceServicer):
    def EmptyCall(self, request, context):
        return empty.Empty()

    def UnaryCall(self, request, context):
        echo_metadata(context)
        echo_status(request, context)
        return messages.SimpleResponse(payload=zeros(request.response_size))

    def StreamingOutputCall(self, request, context):
        echo_metadata(context)
        echo_status(request, context)
        yield from respond(request.response_parameters)

    def StreamingInputCall(self, request_iterator, context):
        total = sum(len(r.payload.body) for r in request_iterator)
        return messages.StreamingInputCallResponse(aggregated_payload_size=total)

    def FullDuplexCall(self, request_iterator, context):
        echo_metadata(context)
        for request in request_iterator:
            echo_status(request, context)
            yield from respond(request.response_parameters)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: the kernel picks)")
    args = ap.parse_args()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    services.add_TestServiceServicer_to_server(TestService(), server)
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    if port == 0:
        sys.exit(f"interop_server.py: cannot listen on 127.0.0.1:{args.port}")

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    stop.wait()
    server.stop(grace=1).wait()


if __name__ == "__main__":
    main()
